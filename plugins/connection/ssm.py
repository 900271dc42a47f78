# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The ssm connection plugin: Ansible tasks on a headnode through SSM Run Command, one SendCommand per task."""

from __future__ import annotations

DOCUMENTATION = r"""
name: ssm
short_description: Run tasks on EC2 instances through SSM Run Command (no session-manager-plugin, no S3 required)
version_added: 0.1.0
author:
  - Daylily ephemeral cluster maintainers (!UNKNOWN)
description:
  - Runs each command on the instance with one C(SendCommand) of the C(AWS-RunShellScript) document and reads the
    result with C(GetCommandInvocation), polled with a growing interval. No interactive session, no
    session-manager-plugin binary and no pty are involved, so it works from an AWX/AAP execution environment.
  - Pipelining is on by default, so a module task is one C(SendCommand); the module payload travels gzip- and
    base64-encoded inside the command and is fed to the interpreter's standard input.
  - Every command is base64-wrapped, so no quoting (single or double quotes, command substitution, backticks,
    backslashes, newlines, non-ASCII text) can break it, and runs as O(run_as) in a bash login shell (C(sudo -iu <user> bash -l)),
    the way Daylily's own remote calls run.
  - The output starts with a header carrying the exit code and the byte length and SHA-256 of stdout and stderr.
    C(GetCommandInvocation) returns at most 24,000 characters of stdout and 8,000 of stderr; output that does not
    match its header is never accepted. With O(bucket_name) the full output is read from the bucket
    (C(OutputS3BucketName)); without it, output above those sizes stays gzip- and base64-encoded in a temporary file
    on the node and is read back in chunks by further commands.
  - Files move inside the command (upload) or its output (download). Standard input that does not fit in one
    command (the 64 KB SSM document limit, see O(max_command_size)) goes through O(bucket_name) with a presigned URL
    when a bucket is set, else it is staged on the node by several commands.
  - Throttling, and for read-only calls 5xx and connection errors, are retried with a bounded full-jitter back-off
    (O(retries), O(retry_delay)); C(InvocationDoesNotExist) right after C(SendCommand) is waited out for up to
    O(delivery_timeout).
  - "Why not C(amazon.aws.aws_ssm): it needs the session-manager-plugin binary on the controller, an S3 bucket for
    every module run (no pipelining: each module is uploaded to S3 and downloaded with curl), a new session per task
    (about 3 s), and it has open hang bugs (amazon.aws#3070, #3032), drops SSE settings on uploads (#3018),
    overwrites C(remote_user) with the controller's user (#2991) and defaults the region to us-east-1.
    C(amazon.aws.aws_ssm) stays usable per host for operators who want interactive sessions."
notes:
  - The remote temporary directory follows C(ansible_remote_tmp) (default C(~/.ansible/tmp)); C(~) is the home of
    O(run_as), or the C(HOME) the SSM agent gives its scripts when O(run_as) is empty.
  - C(become) works when it needs no password (sudo C(NOPASSWD)); there is no terminal to answer a prompt.
    Prefer O(run_as) to choose the user.
  - The C(remote_user)/C(ansible_user) variables are ignored; O(run_as) sets the user explicitly.
  - SSM keeps every command's parameters in its command history for 30 days (C(ssm:ListCommands)). Without
    O(bucket_name) that includes module arguments; with it, module payloads (arguments included) travel through the
    bucket and are deleted after use. Restrict who may read the command history, and use C(no_log) for secrets.
  - A module's code (ansible-core's AnsiballZ payload, about 160 KB with ansible-core 2.21) is larger than one
    command can carry. With O(bucket_name) it goes through the bucket in the same single C(SendCommand). Without
    a bucket, its large line (the module's zip, the same for every task using that module) is kept in a cache
    on the node (C($TMPDIR/dayec-ssm-cache-<uid>), checked by SHA-256 on every use, entries unused for 7 days
    removed); the first use of each module on a node costs 3 commands (the module's zip travels in chunks, the
    first and last riding in the module's own command), later tasks one.
  - "Round trips (C(SendCommand) calls) per task: a module task 1 (without O(bucket_name): 1 once the module's code
    is cached on the node); C(copy) and C(template) 3, C(fetch) 2, C(script) 2, with O(defer_housekeeping)."
  - When SSM refuses a command (C(InvalidInstanceId)) or does not deliver it in O(delivery_timeout), the host is
    unreachable and the message gives the instance's SSM ping status (C(DescribeInstanceInformation)), or says
    that SSM does not know the instance in that region, and what to check.
  - Objects this plugin puts in O(bucket_name) (large uploads, command output) are deleted after use; an
    interrupted run can leave some behind, so give the prefix a short lifecycle rule and keep versioning off.
requirements:
  - boto3 and botocore on the controller.
  - On the instance, the SSM agent (running as root when O(run_as) is set, which needs C(sudo)), C(bash), and the
    coreutils C(base64), C(sha256sum), C(mktemp), C(dd), plus C(gzip).
  - For transfers through O(bucket_name), C(curl) or C(python3) on the instance, network access from it to S3, and
    an instance profile allowed C(s3:PutObject) on the bucket (for the command output the agent writes there).
  - "IAM on the controller: C(ssm:SendCommand), C(ssm:GetCommandInvocation), C(ssm:CancelCommand), and
    C(ssm:DescribeInstanceInformation) (asked only when SSM refuses or never delivers a command, to report the
    agent's ping status); with a bucket also C(s3:PutObject), C(s3:GetObject) and C(s3:DeleteObject) on
    O(bucket_prefix)."
options:
  instance_id:
    description:
      - The EC2 instance id (C(i-...)) or managed instance id (C(mi-...)) to run commands on.
      - Taken from C(ansible_ssm_instance_id), else C(ansible_host), else C(inventory_hostname).
    type: str
    vars:
      - name: inventory_hostname
      - name: ansible_host
      - name: ansible_ssm_instance_id
  region:
    description:
      - The AWS region of the instance. There is no built-in default; an empty value counts as unset, and then the
        region of O(profile) (or the AWS config file) is used.
    type: str
    env:
      - name: AWS_REGION
      - name: AWS_DEFAULT_REGION
    vars:
      - name: ansible_ssm_region
  profile:
    description:
      - The AWS profile to use. Cannot be combined with O(access_key), O(secret_key) or O(session_token).
    type: str
    aliases: [aws_profile]
    env:
      - name: AWS_PROFILE
      - name: AWS_DEFAULT_PROFILE
    vars:
      - name: ansible_ssm_profile
  access_key:
    description:
      - AWS access key id.
    type: str
    aliases: [access_key_id, aws_access_key_id]
    env:
      - name: AWS_ACCESS_KEY_ID
      - name: AWS_ACCESS_KEY
    vars:
      - name: ansible_ssm_access_key_id
  secret_key:
    description:
      - AWS secret access key.
    type: str
    aliases: [secret_access_key, aws_secret_access_key]
    env:
      - name: AWS_SECRET_ACCESS_KEY
      - name: AWS_SECRET_KEY
    vars:
      - name: ansible_ssm_secret_access_key
  session_token:
    description:
      - AWS session token, for temporary credentials.
    type: str
    aliases: [aws_session_token]
    env:
      - name: AWS_SESSION_TOKEN
    vars:
      - name: ansible_ssm_session_token
  endpoint_url:
    description:
      - URL of the SSM (and, without O(bucket_endpoint_url), S3) endpoint instead of AWS's.
      - When unset, botocore honours C(AWS_ENDPOINT_URL), C(AWS_ENDPOINT_URL_SSM) and C(AWS_ENDPOINT_URL_S3).
    type: str
    aliases: [aws_endpoint_url]
    vars:
      - name: ansible_ssm_endpoint_url
  run_as:
    description:
      - The user commands run as, in a bash login shell started with C(sudo -iu <run_as> bash -l) by the SSM agent
        (which runs as root).
      - An empty string runs commands as the SSM agent's own user, in a bash login shell, without sudo.
    type: str
    default: ubuntu
    vars:
      - name: ansible_ssm_run_as
  bucket_name:
    description:
      - An S3 bucket in the instance's region for what does not fit in one command, that is standard input or files above
        O(max_command_size) (uploaded here and downloaded by the node with a presigned URL), and command output
        above 24,000 characters (every command sets C(OutputS3BucketName) to it).
      - Optional. Without it large uploads are staged on the node by several commands and large output is read back
        in chunks.
    type: str
    vars:
      - name: ansible_ssm_bucket_name
  bucket_prefix:
    description:
      - Key prefix for everything this plugin writes to O(bucket_name); objects go under
        C(<bucket_prefix><instance_id>/).
    type: str
    default: daylily-ssm/
    vars:
      - name: ansible_ssm_bucket_prefix
  bucket_endpoint_url:
    description:
      - URL of the S3 endpoint for O(bucket_name), when it differs from O(endpoint_url).
    type: str
    vars:
      - name: ansible_ssm_bucket_endpoint_url
  bucket_sse_mode:
    description:
      - Server-side encryption for the objects this plugin uploads (applied to every upload, so a bucket policy that
        requires the encryption header is satisfied).
    type: str
    choices: [AES256, 'aws:kms']
    vars:
      - name: ansible_ssm_bucket_sse_mode
  bucket_sse_kms_key_id:
    description:
      - KMS key for O(bucket_sse_mode=aws:kms).
    type: str
    vars:
      - name: ansible_ssm_bucket_sse_kms_key_id
  command_timeout:
    description:
      - Seconds a command may run on the instance (the document's C(executionTimeout), 1 to 172800); it is stopped
        after that and the task fails.
    type: int
    default: 3600
    vars:
      - name: ansible_ssm_command_timeout
  delivery_timeout:
    description:
      - Seconds SSM may take to deliver a command to the agent (C(TimeoutSeconds), at least 30 is sent) and the
        controller waits for C(InvocationDoesNotExist) to clear after C(SendCommand).
    type: int
    default: 60
    vars:
      - name: ansible_ssm_delivery_timeout
  poll_interval:
    description:
      - Seconds before the first C(GetCommandInvocation); each later poll waits 1.5 times longer, up to
        O(poll_max_interval).
      - With the defaults the polls come 1, 2.5, 4.75 and 7.75 seconds after C(SendCommand), then every 3 seconds.
        A module task rarely ends before the first poll (Python alone takes about half a second to start on the
        node); it takes two polls when it ends within 2.5 seconds and three within 4.75 seconds. An ended command
        is noticed at most one wait late - 1.5 seconds in the first 2.5 seconds, 2.25 seconds until 4.75 seconds,
        O(poll_max_interval) after that.
    type: float
    default: 1.0
    vars:
      - name: ansible_ssm_poll_interval
  poll_max_interval:
    description:
      - The longest wait between two C(GetCommandInvocation) calls, in seconds.
    type: float
    default: 3.0
    vars:
      - name: ansible_ssm_poll_max_interval
  retries:
    description:
      - How many times a throttled AWS call (or a read-only one that hit a 5xx or connection error) is retried.
        C(SendCommand) is retried only when throttled or not sent, because it has no idempotency token.
    type: int
    default: 10
    vars:
      - name: ansible_ssm_retries
  retry_delay:
    description:
      - Initial back-off in seconds for O(retries); each retry waits a random time up to this doubled per attempt,
        capped at 20 seconds.
    type: float
    default: 1.0
    vars:
      - name: ansible_ssm_retry_delay
  max_command_size:
    description:
      - Bytes one C(SendCommand) may carry in its C(commands) parameter, wrapper and inline payload included
        (4 KiB of it are kept for the document itself). The default is the SSM document size limit, 64 KB
        (C(MaxDocumentSizeExceeded), "The size limit of a document is 64 KB").
      - Standard input and files that do not fit go through O(bucket_name), or are staged by several commands.
    type: int
    default: 65536
    vars:
      - name: ansible_ssm_max_command_size
  defer_housekeeping:
    description:
      - Answer Ansible's own housekeeping commands without a round trip and carry what they change in the next
        command. C(echo ~) is answered from the home directory every earlier command reported; the C(mkdir) of the
        task's remote temporary directory, files transferred into it (through O(bucket_name), or inline up to 16 KiB
        compressed) and a C(chmod) of them run first thing in the next command; removing a temporary directory that
        was never needed costs nothing.
      - With it, C(copy) and C(template) take 3 commands (stat, transfer and module together, cleanup) instead of 7.
      - A queued step that fails stops the command that carries it, which then reports exit code 125 and a message
        naming the step. Commands are never reordered; anything not recognised exactly runs as sent.
    type: boolean
    default: true
    vars:
      - name: ansible_ssm_defer_housekeeping
  pipelining:
    description:
      - Send the module inside the command (one C(SendCommand) per module task) instead of uploading it first.
      - On by default; commands never need a tty here, so pipelining has none of the C(requiretty) drawbacks it has
        with SSH.
    type: boolean
    default: true
    env:
      - name: ANSIBLE_PIPELINING
    ini:
      - section: defaults
        key: pipelining
      - section: connection
        key: pipelining
    vars:
      - name: ansible_pipelining
      - name: ansible_ssm_pipelining
"""

EXAMPLES = r"""
# Inventory (YAML): the headnode reached through SSM Run Command, commands run as ubuntu.
# all:
#   hosts:
#     headnode:
#       ansible_connection: daylily.ephemeral_cluster.ssm
#       ansible_ssm_instance_id: i-0123456789abcdef0
#       ansible_ssm_region: us-west-2
#       ansible_ssm_bucket_name: my-cluster-transfer-bucket   # optional, for large files and output

- name: Check the headnode answers
  hosts: headnode
  gather_facts: false
  tasks:
    - name: Ping through SSM Run Command (one SendCommand)
      ansible.builtin.ping:

    - name: Clone, configure and launch in one round trip
      ansible.builtin.shell: |
        set -euo pipefail
        day-clone --tag "{{ dayoa_tag }}" && ./bin/day_run --profile "{{ profile }}"
      args:
        executable: /bin/bash
      changed_when: true

- name: Run as the SSM agent's user (no sudo), for example on a test node
  hosts: testnode
  gather_facts: false
  vars:
    ansible_connection: daylily.ephemeral_cluster.ssm
    ansible_ssm_run_as: ""
  tasks:
    - name: Who am I
      ansible.builtin.command: id -un
      changed_when: false
"""

import os

try:
    import boto3
    import botocore.config
    import botocore.exceptions

    HAS_BOTO3 = True
except ImportError:
    HAS_BOTO3 = False

from ansible import __version__ as ANSIBLE_VERSION
from ansible import constants as C
from ansible.errors import AnsibleConnectionFailure
from ansible.errors import AnsibleError
from ansible.errors import AnsibleFileNotFound
from ansible.module_utils.common.text.converters import to_bytes
from ansible.module_utils.common.text.converters import to_native
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.connection import ConnectionBase
from ansible.plugins.connection import ensure_connect
from ansible.utils.display import Display

from ansible_collections.daylily.ephemeral_cluster.plugins.plugin_utils.ssm import SSMCommandFailed
from ansible_collections.daylily.ephemeral_cluster.plugins.plugin_utils.ssm import SSMCommandRunner
from ansible_collections.daylily.ephemeral_cluster.plugins.plugin_utils.ssm import SSMError
from ansible_collections.daylily.ephemeral_cluster.plugins.plugin_utils.ssm import SSMSettings

display = Display()

# Keep in sync with galaxy.yml (module_utils/modules.py holds the same pair for modules).
COLLECTION = "daylily.ephemeral_cluster/0.1.0"
#: options passed to SSMSettings as they are, under the same name
_SETTINGS_OPTIONS = (
    "command_timeout",
    "delivery_timeout",
    "poll_interval",
    "poll_max_interval",
    "retries",
    "retry_delay",
    "max_command_size",
    "defer_housekeeping",
)


def _option_or_none(value):
    """Options where '' means unset (an exported AWS_REGION="" must not become an endpoint like ssm..amazonaws.com)."""
    return value if value not in (None, "") else None


class Connection(ConnectionBase):
    """SSM Run Command connection (see DOCUMENTATION)."""

    transport = "daylily.ephemeral_cluster.ssm"
    has_pipelining = True
    has_tty = False  # become plugins that need a prompt fail early instead of hanging

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._runner = None
        self._instance_id = None
        self._remembered = {}  # what the run's memory files hold, as read at connect or last written

    # -- setup -------------------------------------------------------------------------------------------------
    def _settings(self):
        instance_id = self.get_option("instance_id") or getattr(self._play_context, "remote_addr", None)
        return SSMSettings(
            instance_id=to_text(instance_id or ""),
            run_as=self.get_option("run_as") or "",
            bucket=self.get_option("bucket_name") or "",
            bucket_prefix=self.get_option("bucket_prefix") or "",
            sse_mode=self.get_option("bucket_sse_mode") or "",
            sse_kms_key_id=self.get_option("bucket_sse_kms_key_id") or "",
            **dict((name, self.get_option(name)) for name in _SETTINGS_OPTIONS),
        )

    def _session(self):
        profile = _option_or_none(self.get_option("profile"))
        keys = [_option_or_none(self.get_option(name)) for name in ("access_key", "secret_key", "session_token")]
        if profile and any(keys):
            raise AnsibleConnectionFailure("ssm: set either profile or access_key/secret_key/session_token, not both")
        try:
            session = boto3.session.Session(
                profile_name=profile,
                aws_access_key_id=keys[0],
                aws_secret_access_key=keys[1],
                aws_session_token=keys[2],
                region_name=_option_or_none(self.get_option("region")),
            )
        except botocore.exceptions.BotoCoreError as exc:
            raise AnsibleConnectionFailure(f"ssm: cannot set up the AWS session: {to_native(exc)}") from None
        if not session.region_name:
            raise AnsibleConnectionFailure(
                "ssm: no AWS region: set ansible_ssm_region (or AWS_REGION, or a region in the AWS profile)"
            )
        return session

    def _client(self, session, service, endpoint_url):
        # Retries are the runner's (bounded, and never a blind re-send of SendCommand), so botocore makes one attempt.
        config = botocore.config.Config(
            user_agent_extra=f"APN/1.0 Ansible/{ANSIBLE_VERSION} {COLLECTION}",
            retries={"mode": "standard", "total_max_attempts": 1},
            signature_version="s3v4" if service == "s3" else None,
        )
        try:
            return session.client(service, endpoint_url=_option_or_none(endpoint_url), config=config)
        except (botocore.exceptions.BotoCoreError, ValueError) as exc:
            raise AnsibleConnectionFailure(f"ssm: cannot create the {service} client: {to_native(exc)}") from None

    def _connect(self):
        if self._runner is None:
            if not HAS_BOTO3:
                raise AnsibleConnectionFailure(
                    "the daylily.ephemeral_cluster.ssm connection needs boto3 and botocore "
                    "on the controller (pip install boto3)"
                )
            settings = self._settings()
            try:
                settings.validate()
            except SSMError as exc:
                raise AnsibleConnectionFailure(f"ssm: {exc}") from None
            session = self._session()
            ssm = self._client(session, "ssm", self.get_option("endpoint_url"))
            s3 = None
            if settings.bucket:
                s3 = self._client(
                    session, "s3", self.get_option("bucket_endpoint_url") or self.get_option("endpoint_url")
                )
            self._instance_id = settings.instance_id
            self._runner = SSMCommandRunner(ssm, settings, s3=s3, log=self._log)
            self._remembered = {what: self._recall(settings, what) for what in ("home", "cached")}
            self._runner.home = self._remembered["home"]
            self._runner.node_has = set(self._remembered["cached"].split())
            self._log(
                f"SSM Run Command to {settings.instance_id} in {session.region_name} as "
                f"{settings.run_as or 'the agent user'}"
            )
        self._connected = True
        return self

    # What one task learns about the instance and later tasks of the same run reuse: run_as's home (answers
    # "echo ~") and the pieces its cache holds (no chunk rides along for them). Kept in the controller's per-run
    # private directory (C.DEFAULT_LOCAL_TMP, shared by the run's task workers and removed when the run ends).
    @staticmethod
    def _memory_file(settings, what):
        user = settings.run_as or "-agent-"
        return os.path.join(C.DEFAULT_LOCAL_TMP, f"dayec-ssm-{what}-{settings.instance_id}-{user}")

    def _recall(self, settings, what):
        try:
            with open(self._memory_file(settings, what), encoding="utf-8") as handle:
                return handle.read()
        except OSError:
            return ""

    def _remember(self):
        runner = self._runner
        if runner is None:
            return
        for what, value in (("home", runner.home), ("cached", "\n".join(sorted(runner.node_has)))):
            if not value or value == self._remembered.get(what):
                continue
            try:
                with open(self._memory_file(runner.settings, what), "w", encoding="utf-8") as handle:
                    handle.write(value)
                self._remembered[what] = value
            except OSError as exc:
                self._log(f"cannot remember the {what} of {runner.settings.instance_id}: {exc}")

    def _log(self, message):
        display.vvv(f"SSM: {message}", host=self._instance_id)

    def _guard(self, action, *args, **kwargs):
        """Run a runner call; SSM and AWS failures become AnsibleConnectionFailure (the host is unreachable)."""
        try:
            return action(*args, **kwargs)
        except SSMCommandFailed:
            raise
        except SSMError as exc:
            # The message already names the AWS error; Ansible would append each cause's message after it again.
            self._log(f"{type(exc).__name__} caused by {exc.__cause__!r}")
            raise AnsibleConnectionFailure(f"ssm ({self._instance_id}): {exc}") from None

    # -- the connection API ------------------------------------------------------------------------------------
    @ensure_connect
    def exec_command(self, cmd, in_data=None, sudoable=True):
        super().exec_command(cmd, in_data=in_data, sudoable=sudoable)
        display.vvv(
            f"SSM EXEC {to_text(cmd)}{' (with %d bytes of stdin)' % len(in_data) if in_data else ''}",
            host=self._instance_id,
        )
        result = self._guard(
            self._runner.execute,
            to_bytes(cmd, errors="surrogate_or_strict"),
            stdin=to_bytes(in_data) if in_data is not None else None,
        )
        self._remember()
        return result.rc, result.stdout, result.stderr

    @ensure_connect
    def put_file(self, in_path, out_path):
        super().put_file(in_path, out_path)
        display.vvv(f"SSM PUT {in_path} TO {out_path}", host=self._instance_id)
        local = to_native(in_path, errors="surrogate_or_strict")
        if not os.path.isfile(local):
            raise AnsibleFileNotFound(f"file or module does not exist: {local}")
        try:
            self._guard(self._runner.put_file, local, to_text(out_path))
        except SSMCommandFailed as exc:
            raise AnsibleError(f"ssm: {exc}") from None

    @ensure_connect
    def fetch_file(self, in_path, out_path):
        super().fetch_file(in_path, out_path)
        display.vvv(f"SSM FETCH {in_path} TO {out_path}", host=self._instance_id)
        try:
            data = self._guard(self._runner.fetch, to_text(in_path))
        except SSMCommandFailed as exc:
            raise AnsibleError(f"ssm: {exc}") from None
        with open(to_bytes(out_path, errors="surrogate_or_strict"), "wb") as handle:
            handle.write(data)

    def reset(self):
        """Nothing persists between commands; forget the clients so changed options apply."""
        self.close()

    def close(self):
        """Run what is still queued (normally nothing: the task's commands carried it), then forget the clients."""
        runner, self._runner = self._runner, None
        self._connected = False
        if runner is None:
            return
        try:
            result = runner.flush()
        except SSMError as exc:
            display.warning(f"ssm ({self._instance_id}): queued housekeeping did not run: {exc}")
            return
        if result is not None and result.rc != 0:
            display.warning(
                f"ssm ({self._instance_id}): queued housekeeping failed: "
                f"{to_text(result.stderr, errors='surrogate_or_replace').strip()}"
            )
