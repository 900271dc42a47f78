"""SSM Run Command for the sandbox: AWS-RunShellScript really runs, on a local "headnode" directory.

moto 5.2.5 accepts SendCommand but runs nothing (Success at once, rc 0, empty output), adds every EC2
instance of the region to InstanceIds, and has no DescribeInstanceInformation, ListCommandInvocations or
CancelCommand. This module swaps moto's SSM response class (the same mechanism as the FSx extension) for one
that keeps moto's other SSM operations and adds:

- managed instances ("headnodes") registered through the control route /_sandbox/headnodes. The directory
  <headnode_root>/<instance-id>/ stands for the machine's "/": it holds home/ubuntu/ and, when the instance
  has a file system, the symlink fsx -> <fsx_root>/<file-system-id> (the Lustre mount);
- scripts run with bash in their own process group (timeout and cancel kill the whole group), one thread per
  invocation, with AWS's statuses, output caps and S3 output layout, and the SSM agent's exit-code rules.
- a fault switch, /_sandbox/ssm-outcomes: the next N commands run out of time (TimedOut) as soon as they start.
"""

import base64
import binascii
import json
import os
import re
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from datetime import UTC
from datetime import datetime
from pathlib import Path

from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult
from moto.ec2.models import ec2_backends
from moto.s3.exceptions import S3ClientError
from moto.s3.models import s3_backends
from moto.ssm import urls as ssm_urls
from moto.ssm.models import Command
from moto.ssm.responses import SimpleSystemManagerResponse
from moto.utilities.utils import get_partition

CONTROL_NAME = "headnodes"
DEFAULT_REGION = "us-west-2"  # the sandbox's region (sandbox.server.REGION)
RUN_SHELL_SCRIPT = "AWS-RunShellScript"
PLUGIN_NAME = "aws:runShellScript"
S3_PLUGIN_DIR = "awsrunShellScript"  # the agent's name for the plugin in S3 keys and on disk
S3_STEP_DIR = "0.awsrunShellScript"
STDOUT_LIMIT = 24_000  # GetCommandInvocation.StandardOutputContent: "the first 24,000 characters"
STDERR_LIMIT = 8_000  # GetCommandInvocation.StandardErrorContent: "the first 8,000 characters"
PLUGIN_OUTPUT_LIMIT = 2_400  # the agent's MaximumPluginOutputSize for CommandPlugin.Output (API max 2,500)
DEFAULT_EXECUTION_TIMEOUT = 3600
MAX_EXECUTION_TIMEOUT = 172_800  # AWS-RunShellScript's executionTimeout allowed range is 1..172800
# The Linux agent's CommandStoppedPreemptivelyExitCode (128 + SIGKILL): what a timed-out or cancelled
# script reports. The agent maps exit code 137 to TimedOut (Cancelled if cancel was asked) whatever the
# cause, so a script that itself exits 137 also shows TimedOut on AWS.
STOPPED_EXIT_CODE = 137
NOT_RUN_EXIT_CODE = -1  # "the command hasn't started running on the managed node"; also Go's code for a signal
PING_STATUSES = ("Online", "ConnectionLost", "Inactive")
TERMINAL = frozenset({"Success", "Failed", "TimedOut", "Cancelled"})
NO_CLOUDWATCH = {"CloudWatchLogGroupName": "", "CloudWatchOutputEnabled": False}
NO_NOTIFICATIONS = {"NotificationArn": "", "NotificationEvents": [], "NotificationType": ""}
DEFAULT_PAGE_SIZE = 50

_INSTANCE_ID = re.compile(r"^(i-(\w{8}|\w{17})|mi-\w{17})$")
_FILE_SYSTEM_ID = re.compile(r"^fs-[0-9a-f]{8,21}$")
_HEADNODE_FIELDS = {
    "ping_status",
    "platform_name",
    "platform_version",
    "agent_version",
    "ip_address",
    "computer_name",
    "file_system_id",
    "region",
}
_RUN_SHELL_SCRIPT_PARAMETERS = {"commands", "workingDirectory", "executionTimeout"}

# One lock for every invocation's fields: worker threads write them while request threads serialize them.
_LOCK = threading.RLock()
_RUNNING = set()  # invocations whose script is running, so a sandbox reset can kill them
_generation = 0  # bumped by a sandbox reset: invocations sent before it never start
_registry = None


# --- AWS errors ---------------------------------------------------------------------------------------------
class InvalidInstanceId(ServiceException):
    code = "InvalidInstanceId"


class InvocationDoesNotExist(ServiceException):
    code = "InvocationDoesNotExist"


class InvalidCommandId(ServiceException):
    code = "InvalidCommandId"


class InvalidParameters(ServiceException):
    code = "InvalidParameters"


class InvalidPluginName(ServiceException):
    code = "InvalidPluginName"


class InvalidNextToken(ServiceException):
    code = "InvalidNextToken"


class InvalidFilterKey(ServiceException):
    code = "InvalidFilterKey"


class InvalidInstanceInformationFilterValue(ServiceException):
    code = "InvalidInstanceInformationFilterValue"


# --- small helpers ------------------------------------------------------------------------------------------
def _now():
    return datetime.now(UTC)


def _iso(moment):
    """AWS's ExecutionStartDateTime form: 2023-05-07T22:13:33.797Z ("" when not reached)."""
    if moment is None:
        return ""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _duration(seconds):
    """ISO 8601 duration the way SSM writes ExecutionElapsedTime, e.g. PT1H0.271S."""
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return (
        "PT"
        + (f"{int(hours)}H" if hours >= 1 else "")
        + (f"{int(minutes)}M" if minutes >= 1 else "")
        + f"{seconds:.3f}S"
    )


def _encode_token(offset):
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


def _decode_token(token):
    try:
        offset = json.loads(base64.urlsafe_b64decode(token.encode()))["offset"]
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise InvalidNextToken("The specified token isn't valid.") from None
    if not isinstance(offset, int) or offset < 0:
        raise InvalidNextToken("The specified token isn't valid.")
    return offset


def _page(items, max_results, next_token):
    """One page of items and the token for the next (None on the last page)."""
    start = _decode_token(next_token) if next_token else 0
    end = start + (max_results or DEFAULT_PAGE_SIZE)
    return items[start:end], (_encode_token(end) if end < len(items) else None)


def plugin_output(stdout, stderr, capacity=PLUGIN_OUTPUT_LIMIT):
    """CommandPlugin.Output as the SSM agent builds it: stdout, an error banner, stderr, cut to fit."""
    cut_out, cut_err = "\n---Output truncated---", "\n---Error truncated----"
    banner = "\n----------ERROR-------\n" if stderr else ""
    room = capacity - len(banner)
    if len(stdout) + len(stderr) < room:
        return stdout + banner + stderr
    if len(stdout) > room // 2 and len(stderr) > room // 2:
        half = (room - len(cut_out) - len(cut_err)) // 2
        return stdout[:half] + cut_out + banner + stderr[:half] + cut_err
    if len(stdout) < room // 2:
        return stdout + banner + stderr[: room - len(cut_err) - len(stdout)] + cut_err
    return stdout[: room - len(cut_out) - len(stderr)] + cut_out + banner + stderr


def _kill_group(process):
    """SIGKILL the script's whole process group, as the agent does, so children like `sleep` die too."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


# --- managed instances ("headnodes") ------------------------------------------------------------------------
@dataclass
class Headnode:
    instance_id: str
    root: Path
    region: str = DEFAULT_REGION
    ping_status: str = "Online"
    platform_name: str = "Ubuntu"
    platform_version: str = "22.04"
    agent_version: str = "3.3.1142.0"
    ip_address: str = ""
    computer_name: str = ""
    file_system_id: str = None
    registered_at: datetime = field(default_factory=_now)
    last_ping: datetime = field(default_factory=_now)

    @property
    def home(self):
        return self.root / "home" / "ubuntu"

    @property
    def fsx_mount(self):
        return self.root / "fsx"

    @property
    def online(self):
        return self.ping_status == "Online"

    def information(self):
        """The InstanceInformation entry of DescribeInstanceInformation."""
        return {
            "InstanceId": self.instance_id,
            "PingStatus": self.ping_status,
            "LastPingDateTime": _now() if self.online else self.last_ping,  # an online agent pings every few minutes
            "AgentVersion": self.agent_version,
            "IsLatestVersion": False,
            "PlatformType": "Linux",
            "PlatformName": self.platform_name,
            "PlatformVersion": self.platform_version,
            "ResourceType": "ManagedInstance" if self.instance_id.startswith("mi-") else "EC2Instance",
            "IPAddress": self.ip_address,
            "ComputerName": self.computer_name,
            "RegistrationDate": self.registered_at,
            "SourceId": self.instance_id,
            "SourceType": "AWS::EC2::Instance",
        }

    def to_json(self):
        """The control route's view, with the local paths a test or the demo needs."""
        return {
            "instance_id": self.instance_id,
            "region": self.region,
            "ping_status": self.ping_status,
            "platform_name": self.platform_name,
            "platform_version": self.platform_version,
            "agent_version": self.agent_version,
            "ip_address": self.ip_address,
            "computer_name": self.computer_name,
            "file_system_id": self.file_system_id,
            "root": str(self.root),
            "home": str(self.home),
            "fsx_mount": str(self.fsx_mount),
        }


class HeadnodeRegistry:
    """The SSM managed instances of the sandbox. Registration is explicit (the pcluster stand-in calls it)."""

    def __init__(self, state):
        self.state = state
        self.lock = threading.RLock()
        self.nodes = {}

    # control route /_sandbox/headnodes
    def handle(self, method, payload):
        if method == "POST":
            created, node = self.register(payload)
            return (201 if created else 200), node.to_json()
        if method == "GET" and not payload.get("instance_id"):
            return 200, [node.to_json() for node in self.all()]
        if method in ("GET", "DELETE"):
            instance_id = payload["instance_id"]
            node = self.deregister(instance_id) if method == "DELETE" else self.find(instance_id)
            return (200, node.to_json()) if node else (404, {"error": f"{instance_id} is not registered"})
        return 405, {"error": f"{method} is not supported on /_sandbox/{CONTROL_NAME} (GET, POST, DELETE)"}

    def register(self, payload):
        """Register or update one instance; returns (created, headnode)."""
        unknown = set(payload) - _HEADNODE_FIELDS - {"instance_id"}
        if unknown:
            raise ValueError(f"unknown headnode fields {sorted(unknown)}; known: {sorted(_HEADNODE_FIELDS)}")
        instance_id = payload["instance_id"]
        if not isinstance(instance_id, str) or not _INSTANCE_ID.match(instance_id):
            raise ValueError(f"instance_id {instance_id!r} is not an instance id (i-<17 hex>)")
        with self.lock:
            node = self.nodes.get(instance_id)
            created = node is None
            if created:
                node = Headnode(instance_id, self.state.headnode_root / instance_id)
            self._update(node, payload)
            self._lay_out(node)
            self.nodes[instance_id] = node
        return created, node

    def deregister(self, instance_id):
        with self.lock:
            return self.nodes.pop(instance_id, None)

    def all(self):
        with self.lock:
            return list(self.nodes.values())

    def in_region(self, region):
        return [node for node in self.all() if node.region == region]

    def find(self, instance_id):
        with self.lock:
            return self.nodes.get(instance_id)

    def get(self, instance_id, region):
        node = self.find(instance_id)
        return node if node and node.region == region else None

    def reset(self):
        """Sandbox reset: forget every instance and kill the scripts still running (their backend is gone)."""
        global _generation
        with self.lock:
            self.nodes.clear()
        with _LOCK:
            _generation += 1
            running = list(_RUNNING)
        for invocation in running:
            _kill_group(invocation.process)

    def _update(self, node, payload):
        status = payload.get("ping_status", node.ping_status)
        if status not in PING_STATUSES:
            raise ValueError(f"ping_status {status!r} is not one of {list(PING_STATUSES)}")
        if status != node.ping_status:
            node.last_ping = _now()  # the last ping before the connection was lost
        fs_id = payload.get("file_system_id", node.file_system_id)
        if fs_id is not None and not _FILE_SYSTEM_ID.match(str(fs_id)):
            raise ValueError(f"file_system_id {fs_id!r} is not a file system id (fs-<hex>)")
        for name in _HEADNODE_FIELDS - {"ping_status", "file_system_id"}:
            if payload.get(name) is not None:
                setattr(node, name, str(payload[name]))
        node.ping_status, node.file_system_id = status, fs_id
        node.ip_address = node.ip_address or self._ec2_private_ip(node) or _made_up_ip(node.instance_id)
        node.computer_name = (
            node.computer_name or f"ip-{node.ip_address.replace('.', '-')}.{node.region}.compute.internal"
        )

    def _lay_out(self, node):
        """Create the machine's home and point its /fsx at the file system's Lustre namespace."""
        node.home.mkdir(parents=True, exist_ok=True)
        # Login shells (the connection runs `bash -l`) reset PATH; like a real headnode's profile, put the tools back.
        profile = node.home / ".profile"
        if not profile.exists():
            profile.write_text(
                f'export PATH="{os.path.dirname(sys.executable)}:$HOME/.local/bin:$PATH"\n'
                f'export TMUX_TMPDIR="{node.root / "tmp"}"\n',
                encoding="utf-8",
            )
        link = node.fsx_mount
        if link.exists() and not link.is_symlink():
            raise ValueError(f"{link} exists and is not a symlink; not replacing it")
        if link.is_symlink():
            link.unlink()
        if node.file_system_id:
            target = self.state.fsx_root / node.file_system_id
            target.mkdir(parents=True, exist_ok=True)
            link.symlink_to(target, target_is_directory=True)

    @staticmethod
    def _ec2_private_ip(node):
        """The instance's private IP when it exists in the sandbox's EC2 (the pcluster stand-in creates it)."""
        from moto.core import DEFAULT_ACCOUNT_ID

        try:
            return ec2_backends[DEFAULT_ACCOUNT_ID][node.region].get_instance(node.instance_id).private_ip
        except Exception:  # noqa: BLE001 - no such instance or region: make one up
            return None


def _made_up_ip(instance_id):
    number = int(instance_id.split("-", 1)[1], 16) if re.fullmatch(r"[0-9a-f]+", instance_id[2:]) else 1
    return f"10.0.{number // 254 % 254}.{number % 254 + 1}"


# --- one instance's copy of a command -----------------------------------------------------------------------
@dataclass(frozen=True)
class ScriptSpec:
    """What AWS-RunShellScript runs: the joined commands, executionTimeout and workingDirectory."""

    script: str
    execution_timeout: int
    working_directory: str


class Invocation:
    """A command on one instance. Fields change only under _LOCK."""

    def __init__(self, command, node):
        self.command = command
        self.node = node
        self.instance_id = node.instance_id
        self.status = self.details = "Pending"
        self.response_code = NOT_RUN_EXIT_CODE
        self.started = self.ended = None
        self.stdout = self.stderr = ""
        self.stdout_url = self.stderr_url = ""
        self.process = None
        self.cancel_requested = False
        self.generation = _generation

    @property
    def terminal(self):
        return self.status in TERMINAL

    # state changes ------------------------------------------------------------------------------------
    def begin(self):
        """Pending -> InProgress; False when it was cancelled, or the sandbox reset, before it started."""
        with _LOCK:
            if self.terminal or self.generation != _generation:
                return False
            self.status = self.details = "InProgress"
            self.started = _now()
            return True

    def attach(self, process):
        """Remember the running script; False when a cancel arrived while it was starting."""
        with _LOCK:
            self.process = process
            _RUNNING.add(self)
            return not self.cancel_requested

    def request_cancel(self):
        with _LOCK:
            if self.terminal or self.cancel_requested:
                return
            self.cancel_requested = True
            if self.process is None and self.status == "Pending":
                self._settle("Cancelled", "Cancelled", NOT_RUN_EXIT_CODE)
                return
            self.status = self.details = "Cancelling"
            if self.process is not None:
                _kill_group(self.process)

    def finish(self, code, stdout, stderr):
        """Record the script's end with the agent's exit-code rules."""
        with _LOCK:
            _RUNNING.discard(self)
            self.stdout, self.stderr = stdout, stderr
            if code == 0:
                self._settle("Success", "Success", 0)
            elif code == STOPPED_EXIT_CODE and self.cancel_requested:
                self._settle("Cancelled", "Cancelled", code)
            elif code == STOPPED_EXIT_CODE:
                self._settle("TimedOut", "ExecutionTimedOut", code)
            else:
                self._settle("Failed", "Failed", code)

    def set_output_urls(self, stdout_url, stderr_url):
        with _LOCK:
            self.stdout_url, self.stderr_url = stdout_url, stderr_url

    def _settle(self, status, details, code):
        self.status, self.details, self.response_code = status, details, code
        self.ended = _now()

    # views (callers hold _LOCK) -------------------------------------------------------------------------
    def _elapsed(self):
        if self.started is None:
            return ""
        return _duration(((self.ended or _now()) - self.started).total_seconds())

    def view(self):
        """The GetCommandInvocation response. Output appears once the invocation is terminal, as on AWS."""
        command = self.command
        return {
            "CommandId": command.command_id,
            "InstanceId": self.instance_id,
            "Comment": command.comment,
            "DocumentName": command.document_name,
            "DocumentVersion": "$DEFAULT",
            "PluginName": PLUGIN_NAME,
            "ResponseCode": self.response_code,
            "ExecutionStartDateTime": _iso(self.started),
            "ExecutionElapsedTime": self._elapsed(),
            "ExecutionEndDateTime": _iso(self.ended),
            "Status": self.status,
            "StatusDetails": self.details,
            "StandardOutputContent": self.stdout[:STDOUT_LIMIT] if self.terminal else "",
            "StandardOutputUrl": self.stdout_url,
            "StandardErrorContent": self.stderr[:STDERR_LIMIT] if self.terminal else "",
            "StandardErrorUrl": self.stderr_url,
            "CloudWatchOutputConfig": NO_CLOUDWATCH,
        }

    def summary(self, details):
        """The CommandInvocation entry of ListCommandInvocations."""
        command = self.command
        return {
            "CommandId": command.command_id,
            "InstanceId": self.instance_id,
            "InstanceName": self.node.computer_name,
            "Comment": command.comment,
            "DocumentName": command.document_name,
            "DocumentVersion": "$DEFAULT",
            "RequestedDateTime": command.requested_date_time,
            "Status": self.status,
            "StatusDetails": self.details,
            "TraceOutput": "",
            "StandardOutputUrl": self.stdout_url,
            "StandardErrorUrl": self.stderr_url,
            "CommandPlugins": [self._plugin()] if details else [],
            "ServiceRole": command.service_role_arn,
            "NotificationConfig": command.notification_config,
            "CloudWatchOutputConfig": NO_CLOUDWATCH,
        }

    def _plugin(self):
        plugin = {
            "Name": PLUGIN_NAME,
            "Status": "InProgress" if self.status == "Cancelling" else self.status,  # no Cancelling for plugins
            "StatusDetails": self.details,
            "ResponseCode": self.response_code,
            "Output": plugin_output(self.stdout, self.stderr) if self.terminal else "",
            "StandardOutputUrl": self.stdout_url,
            "StandardErrorUrl": self.stderr_url,
            "OutputS3BucketName": self.command.output_s3_bucket_name,
            "OutputS3KeyPrefix": self.s3_plugin_prefix() if self.command.output_s3_bucket_name else "",
        }
        if self.started:
            plugin["ResponseStartDateTime"] = self.started
        if self.ended:
            plugin["ResponseFinishDateTime"] = self.ended
        return plugin

    def s3_plugin_prefix(self):
        """<prefix>/<command-id>/<instance-id>/awsrunShellScript, AWS's layout for command output."""
        parts = [self.command.output_s3_key_prefix.strip("/"), self.command.command_id, self.instance_id, S3_PLUGIN_DIR]
        return "/".join(part for part in parts if part)


# --- running a script ---------------------------------------------------------------------------------------
def _orchestration_dir(invocation):
    """Where the agent keeps a command's script and output on the machine."""
    node = invocation.node
    return (
        node.root
        / "var/lib/amazon/ssm"
        / node.instance_id
        / "document/orchestration"
        / invocation.command.command_id
        / S3_PLUGIN_DIR
        / S3_STEP_DIR
    )


def _environment(node):
    """The headnode's environment: its own HOME, its own tmux server, and the sandbox's tools (snakemake) on PATH."""
    tmux_dir = node.root / "tmp"
    tmux_dir.mkdir(parents=True, exist_ok=True)
    tools = os.path.dirname(sys.executable)
    return dict(
        os.environ,
        HOME=str(node.home),
        DAYEC_HEADNODE_ROOT=str(node.root),
        DAYEC_FSX_MOUNT=str(node.fsx_mount),
        TMUX_TMPDIR=str(tmux_dir),
        PATH=tools + os.pathsep + os.environ.get("PATH", ""),
    )


def _working_directory(node, requested):
    """workingDirectory is a path on the machine, whose "/" is the instance directory; default: the home."""
    if not requested:
        return node.home
    path = node.root / requested.lstrip("/")
    return path if path.is_dir() else None


def _execute(invocation, spec):
    """Run the script to its end, timeout or cancel; returns (exit code, stdout bytes, stderr bytes)."""
    work = _orchestration_dir(invocation)
    work.mkdir(parents=True, exist_ok=True)
    script = work / "_script.sh"
    script.write_text(spec.script, encoding="utf-8")
    cwd = _working_directory(invocation.node, spec.working_directory)
    if cwd is None:
        return 1, b"", f"Invalid workingDirectory {spec.working_directory}: the directory does not exist.\n".encode()
    # Output goes to files, as with the agent: no pipe to fill up, and the full text stays for the S3 upload.
    with open(work / "stdout", "w+b") as out, open(work / "stderr", "w+b") as err:
        try:
            process = subprocess.Popen(
                ["bash", str(script)],
                cwd=cwd,
                env=_environment(invocation.node),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                start_new_session=True,
            )
        except OSError as exc:
            return 1, b"", f"failed to run the script: {exc}\n".encode()
        if not invocation.attach(process):
            _kill_group(process)
        timed_out = False
        try:
            code = process.wait(timeout=spec.execution_timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            _kill_group(process)
            code = process.wait()
        if code < 0:  # killed by a signal: by us (timeout, cancel) or by someone else
            code = STOPPED_EXIT_CODE if timed_out or invocation.cancel_requested else NOT_RUN_EXIT_CODE
        out.seek(0)
        err.seek(0)
        return code, out.read(), err.read()


def _upload_output(invocation, stdout, stderr):
    """Write the full stdout/stderr to S3 as the agent does; returns their URLs (computed even if it fails)."""
    command = invocation.command
    prefix = f"{invocation.s3_plugin_prefix()}/{S3_STEP_DIR}"
    bucket = command.output_s3_bucket_name
    region = command.output_s3_region or command.backend_region
    backend = s3_backends[command.account_id][get_partition(region)]
    for name, body in (("stdout", stdout), ("stderr", stderr)):
        try:
            backend.put_object(bucket, f"{prefix}/{name}", body)
        except S3ClientError:
            pass  # no such bucket: the agent's upload fails and the command result stands
    base = f"https://s3.{region}.amazonaws.com/{bucket}/{prefix}"
    return f"{base}/stdout", f"{base}/stderr"


def _run(invocation, spec):
    """Worker thread body: one invocation from Pending to a terminal status."""
    if not invocation.begin():
        return
    try:
        code, stdout, stderr = _execute(invocation, spec)
    except Exception as exc:  # noqa: BLE001 - a sandbox bug must end the invocation, not leave it InProgress
        code, stdout, stderr = 1, b"", f"sandbox error while running the script: {exc!r}\n".encode()
    if invocation.command.output_s3_bucket_name:
        invocation.set_output_urls(*_upload_output(invocation, stdout, stderr))
    invocation.finish(code, stdout.decode("utf-8", "replace"), stderr.decode("utf-8", "replace"))


def script_spec(parameters):
    """Validate AWS-RunShellScript's parameters the way SendCommand does."""
    unknown = set(parameters) - _RUN_SHELL_SCRIPT_PARAMETERS
    if unknown:
        raise InvalidParameters(
            f"Parameters {sorted(unknown)} are not defined in document {RUN_SHELL_SCRIPT}; "
            f"it takes {sorted(_RUN_SHELL_SCRIPT_PARAMETERS)}."
        )
    commands = parameters.get("commands") or []
    if not commands:
        raise InvalidParameters(f"Document {RUN_SHELL_SCRIPT} requires parameter commands.")
    timeout = (parameters.get("executionTimeout") or [str(DEFAULT_EXECUTION_TIMEOUT)])[0]
    if not re.fullmatch(r"[1-9][0-9]{0,5}", str(timeout)) or int(timeout) > MAX_EXECUTION_TIMEOUT:
        raise InvalidParameters(
            f"Parameter executionTimeout {timeout!r} must be an integer from 1 to {MAX_EXECUTION_TIMEOUT}."
        )
    working_directory = (parameters.get("workingDirectory") or [""])[0]
    return ScriptSpec("\n".join(commands), int(timeout), working_directory)


# --- the command ----------------------------------------------------------------------------------------------
def _max_errors(value, count):
    value = str(value or "0")
    if value.endswith("%"):
        return int(value[:-1]) * count // 100
    return int(value)


def aggregate(statuses, max_errors):
    """The command-level (Status, StatusDetails) from its invocations' statuses."""
    if "Cancelling" in statuses:
        return "Cancelling", "Cancelling"
    if any(status not in TERMINAL for status in statuses):
        return ("Pending", "Pending") if all(s == "Pending" for s in statuses) else ("InProgress", "InProgress")
    if "Cancelled" in statuses:
        return "Cancelled", "Cancelled"
    failed, timed_out = statuses.count("Failed"), statuses.count("TimedOut")
    if failed + timed_out > max_errors:
        return ("TimedOut", "ExecutionTimedOut") if timed_out > failed else ("Failed", "Failed")
    if all(status == "Success" for status in statuses):
        return "Success", "Success"
    return "Success", "Incomplete"


class SandboxCommand(Command):
    """moto's Command with real invocations: only the instances asked for, statuses from real runs."""

    def __init__(self, nodes, spec, **kwargs):
        kwargs["instance_ids"] = [node.instance_id for node in nodes]
        kwargs["notification_config"] = kwargs.get("notification_config") or NO_NOTIFICATIONS  # moto puts "string"
        super().__init__(**kwargs)
        self.instance_ids = [node.instance_id for node in nodes]  # ordered; moto's set() shuffles them
        self.invocations = [Invocation(self, node) for node in nodes]
        self.target_count = len(nodes)
        self.spec = spec

    def _get_instance_ids_from_targets(self):
        # moto filters EC2 by the targets, and with no targets that selects every instance in the region.
        # Targets are resolved against the managed instances before the command is built.
        return []

    def start(self):
        if self.spec is None:  # a document we do not run: keep moto's behaviour (Success at once, no output)
            for invocation in self.invocations:
                invocation.begin()
                invocation.finish(0, "", "")
            return
        for invocation in self.invocations:
            threading.Thread(
                target=_run,
                args=(invocation, self.spec),
                daemon=True,
                name=f"ssm-{self.command_id[:8]}-{invocation.instance_id}",
            ).start()

    def cancel(self, instance_ids=None):
        for invocation in self.invocations:
            if not instance_ids or invocation.instance_id in instance_ids:
                invocation.request_cancel()

    def invocation_for(self, instance_id):
        return next((inv for inv in self.invocations if inv.instance_id == instance_id), None)

    def response_object(self):
        with _LOCK:
            result = super().response_object()
            statuses = [invocation.status for invocation in self.invocations]
            status, details = aggregate(statuses, _max_errors(self.max_errors, len(statuses)))
            result.update(
                Status=status,
                StatusDetails=details,
                InstanceIds=list(self.instance_ids),
                TargetCount=self.target_count,
                CompletedCount=sum(s in TERMINAL for s in statuses),
                ErrorCount=statuses.count("Failed") + statuses.count("TimedOut"),
                DeliveryTimedOutCount=0,
                DocumentVersion="$DEFAULT",
                CloudWatchOutputConfig=NO_CLOUDWATCH,
            )
            return result

    def get_invocation(self, instance_id, plugin_name):
        invocation = self.invocation_for(instance_id)
        if invocation is None:
            raise InvocationDoesNotExist("Invocation does not exist.")
        if plugin_name not in (None, PLUGIN_NAME):
            raise InvalidPluginName(f"Plugin {plugin_name} is not in the document; it has {PLUGIN_NAME}.")
        with _LOCK:
            return invocation.view()


# --- the SSM API ------------------------------------------------------------------------------------------------
class SandboxSSMResponse(SimpleSystemManagerResponse):
    """moto's SSM plus real Run Command and DescribeInstanceInformation."""

    @property
    def registry(self):
        return _registry

    def _commands(self):
        return [c for c in self.ssm_backend._commands if isinstance(c, SandboxCommand)]

    def _command(self, command_id):
        return next((c for c in self._commands() if c.command_id == command_id), None)

    # SendCommand ------------------------------------------------------------------------------------------
    def send_command(self):
        document = self._get_param("DocumentName")
        parameters = self._get_param("Parameters", {}) or {}
        targets = self._get_param("Targets", []) or []
        nodes = self._target_nodes(self._get_param("InstanceIds", []) or [], targets)
        spec = script_spec(parameters) if document == RUN_SHELL_SCRIPT else None
        if spec is not None and _TIMEOUTS.take():
            spec = replace(spec, execution_timeout=0)  # injected: out of time as soon as it starts
        command = SandboxCommand(
            nodes,
            spec,
            account_id=self.current_account,
            backend_region=self.region,
            comment=self._get_param("Comment", ""),
            document_name=document,
            timeout_seconds=self._get_int_param("TimeoutSeconds"),  # delivery timeout: delivery is immediate here
            max_concurrency=self._get_param("MaxConcurrency", "50"),
            max_errors=self._get_param("MaxErrors", "0"),
            notification_config=self._get_param("NotificationConfig"),
            output_s3_bucket_name=self._get_param("OutputS3BucketName", ""),
            output_s3_key_prefix=self._get_param("OutputS3KeyPrefix", ""),
            output_s3_region=self._get_param("OutputS3Region", ""),
            parameters=parameters,
            service_role_arn=self._get_param("ServiceRoleArn", ""),
            targets=targets,
        )
        self.ssm_backend._commands.append(command)
        response = command.response_object()  # before the threads start: AWS answers Pending
        command.start()
        return ActionResult({"Command": response})

    def _target_nodes(self, instance_ids, targets):
        """The managed, online instances a command goes to; InvalidInstanceId names any other asked for."""
        wanted = list(instance_ids)
        tagged = []
        for target in targets:
            if target["Key"] == "InstanceIds":
                wanted += target["Values"]
            else:
                tagged += self._tagged_instances(target["Key"], target["Values"])
        wanted = list(dict.fromkeys(wanted))
        nodes = [self.registry.get(instance_id, self.region) for instance_id in wanted]
        invalid = [i for i, node in zip(wanted, nodes, strict=True) if node is None or not node.online]
        if invalid:
            raise InvalidInstanceId(
                f"Instances [[{', '.join(invalid)}]] not in a valid state for account {self.current_account}"
            )
        for instance_id in dict.fromkeys(tagged):  # tag targets quietly skip unmanaged or offline instances
            node = self.registry.get(instance_id, self.region)
            if node and node.online and node not in nodes:
                nodes.append(node)
        return nodes

    def _tagged_instances(self, key, values):
        if not (key.startswith("tag:") or key == "tag-key"):
            raise InvalidParameters(
                f"Target key {key!r} is not modelled by the sandbox (use InstanceIds, tag:<key> or tag-key)."
            )
        reservations = ec2_backends[self.current_account][self.region].all_reservations(filters={key: values})
        return [instance.id for reservation in reservations for instance in reservation.instances]

    # GetCommandInvocation / ListCommandInvocations / CancelCommand -------------------------------------------
    def get_command_invocation(self):
        command = self._command(self._get_param("CommandId"))
        if command is None:
            raise InvocationDoesNotExist("Invocation does not exist.")
        return ActionResult(command.get_invocation(self._get_param("InstanceId"), self._get_param("PluginName")))

    def list_command_invocations(self):
        command_id, instance_id = self._get_param("CommandId"), self._get_param("InstanceId")
        # An unknown command id gives an empty list on AWS, not an error.
        commands = [c for c in self._commands() if command_id in (None, c.command_id)]
        invocations = [
            inv for c in reversed(commands) for inv in c.invocations if instance_id in (None, inv.instance_id)
        ]
        for rule in self._get_param("Filters", []) or []:
            invocations = _filter_invocations(invocations, rule["key"], rule["value"])
        page, token = _page(invocations, self._get_int_param("MaxResults"), self._get_param("NextToken"))
        details = bool(self._get_param("Details", False))
        with _LOCK:
            result = {"CommandInvocations": [invocation.summary(details) for invocation in page]}
        if token:
            result["NextToken"] = token
        return ActionResult(result)

    def cancel_command(self):
        command = self._command(self._get_param("CommandId"))
        if command is None:
            raise InvalidCommandId("Invalid command id.")
        instance_ids = self._get_param("InstanceIds", []) or []
        unknown = [i for i in instance_ids if i not in command.instance_ids]
        if unknown:
            raise InvalidInstanceId(
                f"Instances [[{', '.join(unknown)}]] are not targets of command {command.command_id}"
            )
        command.cancel(instance_ids)
        return ActionResult({})

    # DescribeInstanceInformation ---------------------------------------------------------------------------
    def describe_instance_information(self):
        nodes = sorted(self.registry.in_region(self.region), key=lambda node: node.instance_id)
        for rule in self._get_param("InstanceInformationFilterList", []) or []:
            nodes = self._filter_nodes(nodes, rule["key"], rule["valueSet"])
        for rule in self._get_param("Filters", []) or []:
            nodes = self._filter_nodes(nodes, rule["Key"], rule["Values"])
        page, token = _page(nodes, self._get_int_param("MaxResults"), self._get_param("NextToken"))
        result = {"InstanceInformationList": [node.information() for node in page]}
        if token:
            result["NextToken"] = token
        return ActionResult(result)

    def _filter_nodes(self, nodes, key, values):
        if key == "PingStatus":
            bad = [value for value in values if value not in PING_STATUSES]
            if bad:
                raise InvalidInstanceInformationFilterValue(f"PingStatus values {bad} are not in {list(PING_STATUSES)}")
        fields = {
            "InstanceIds": "InstanceId",
            "PingStatus": "PingStatus",
            "PlatformTypes": "PlatformType",
            "ResourceType": "ResourceType",
            "AgentVersion": "AgentVersion",
        }
        if key in fields:
            return [node for node in nodes if node.information()[fields[key]] in values]
        if key.startswith("tag:") or key == "tag-key":
            tagged = set(self._tagged_instances(key, values))
            return [node for node in nodes if node.instance_id in tagged]
        raise InvalidFilterKey(
            f"Filter key {key!r} is not supported by the sandbox; it models {sorted(fields)}, tag:<key> and tag-key."
        )


def _filter_invocations(invocations, key, value):
    if key == "Status":
        return [inv for inv in invocations if inv.status == value]
    if key == "DocumentName":
        return [inv for inv in invocations if inv.command.document_name == value]
    raise InvalidFilterKey(f"Filter key {key!r} is not supported by the sandbox; it models Status and DocumentName.")


# --- injected timeouts (the ssm-outcomes control route) -----------------------------------------------------------
class InjectedTimeouts:
    """POST /_sandbox/ssm-outcomes {"timed_out": N}: the next N AWS-RunShellScript commands run out of time as soon
    as their script starts (status TimedOut, exit code 137), as a script exceeding executionTimeout does on AWS.
    GET shows how many are pending; DELETE and a sandbox reset clear them."""

    def __init__(self):
        self.pending = 0

    def take(self):
        with _LOCK:
            if self.pending <= 0:
                return False
            self.pending -= 1
            return True

    def clear(self):
        with _LOCK:
            self.pending = 0

    def handle(self, method, payload):
        with _LOCK:
            if method == "POST":
                count = payload.get("timed_out")
                if not isinstance(count, int) or count < 0:
                    raise ValueError("give timed_out: the number of commands that run out of time (an integer >= 0)")
                self.pending += count
            elif method == "DELETE":
                self.pending = 0
            return 200, {"timed_out": self.pending}


_TIMEOUTS = InjectedTimeouts()


# --- entry point -------------------------------------------------------------------------------------------------
def install(state):
    """Route moto's SSM to SandboxSSMResponse and add /_sandbox/headnodes. Idempotent; before the first SSM call."""
    global _registry
    ssm_urls.url_paths["{0}/$"] = SandboxSSMResponse.dispatch
    if _registry is not None and _registry.state is state:
        return
    _registry = HeadnodeRegistry(state)
    state.add_control(CONTROL_NAME, _registry.handle)
    state.on_reset(_registry.reset)
    state.add_control("ssm-outcomes", _TIMEOUTS.handle)
    state.on_reset(_TIMEOUTS.clear)
