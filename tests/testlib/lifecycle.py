"""playbooks/lifecycle.yml on a sandbox of its own, shared by `make demo` (tests/sandbox/demo.py) and the lifecycle
tests: the sandbox and the sandbox Dewey as background processes (stopped by PID), the account an operator has before
a cluster exists (network, role buckets with the reference data, the IAM policies preflight looks for, two samples'
FASTQs in S3 and their analysis manifest), the vars file, and lifecycle.yml runs with the pcluster inventory plugin.
"""

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from sandbox.client import SandboxControl
from sandbox.dayoa_repo import build_repository
from sandbox.server import read_env_file

REPO = Path(__file__).resolve().parents[2]
REGION = "us-west-2"
VARS_EXAMPLE = REPO / "inventories" / "sandbox_clusters" / "lifecycle_vars.yml"
INVENTORY = REPO / "inventories" / "sandbox_clusters" / "pcluster.yml"
PLAYBOOK = REPO / "playbooks" / "lifecycle.yml"
# lifecycle.yml's steps in the order it runs them; each has a mark play "Lifecycle mark: <phase> start|end".
PHASES = ("create", "stage", "launch", "wait", "export", "register", "delete")
# Variables of the test process that must not reach the sandbox account's processes.
FOREIGN = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN")


def mark_play(phase, event):
    """The header ansible-playbook's default callback prints for one of lifecycle.yml's phase marks."""
    return f"PLAY [Lifecycle mark: {phase} {event}]"


def _start_process(command, log_path, ready, what, **popen):
    """Start `command` in the background, its output in `log_path`; wait until `ready()` is true."""
    with open(log_path, "w", encoding="utf-8") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=REPO, **popen)
    deadline = time.monotonic() + 30
    while not ready():
        if process.poll() is not None or time.monotonic() > deadline:
            stop_process(process)
            raise RuntimeError(f"{what} did not start; see {log_path}")
        time.sleep(0.1)
    return process


def stop_process(process):
    """SIGTERM, then SIGKILL after 10 s: the one process we started, by its PID."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
    process.wait()


class LifecycleAccount:
    """A sandbox account in `work` (wiped first) where lifecycle.yml runs: start(), then run() or popen(), stop()."""

    def __init__(self, work):
        self.work = Path(work)
        self.sandbox = self.dewey = None
        self.environment = {}
        self.dewey_url = None
        self.variables = {}

    @property
    def vars_file(self):
        return self.work / "lifecycle_vars.json"

    @property
    def control(self):
        return SandboxControl(self.environment["DAYEC_SANDBOX_URL"])

    # --- processes ----------------------------------------------------------------------------------------------
    def start_sandbox(self):
        shutil.rmtree(self.work, ignore_errors=True)  # every account starts from nothing
        self.work.mkdir(parents=True)
        env_file = self.work / "env"
        self.sandbox = _start_process(
            [sys.executable, "-m", "sandbox", "--port", "0", "--root", str(self.work / "root")]
            + ["--env-file", str(env_file), "--pid-file", str(self.work / "pid")],
            self.work / "sandbox.log",
            lambda: env_file.exists() and env_file.read_text(encoding="utf-8").strip(),
            "the sandbox",
        )
        self.environment = {key: value for key, value in os.environ.items() if key not in FOREIGN}
        self.environment.update(read_env_file(env_file))
        return self.sandbox

    def start_dewey(self):
        """The sandbox Dewey (the 3.0.27 registration contract) on 127.0.0.1; its token in a file (never on a
        command line) and in DEWEY_TOKEN of the runs' environment."""
        token_file, env_file = self.work / "dewey.token", self.work / "dewey.env"
        token_file.write_text(secrets.token_urlsafe(24), encoding="utf-8")
        token_file.chmod(0o600)
        self.dewey = _start_process(
            [sys.executable, "-m", "sandbox.dewey", "--token-file", str(token_file), "--env-file", str(env_file)],
            self.work / "dewey.log",
            lambda: env_file.exists() and "DEWEY_URL=" in env_file.read_text(encoding="utf-8"),
            "the sandbox Dewey",
            env=self.environment,
        )
        self.dewey_url = env_file.read_text(encoding="utf-8").strip().split("DEWEY_URL=", 1)[1]
        self.environment["DEWEY_TOKEN"] = token_file.read_text(encoding="utf-8")
        return self.dewey

    def stop(self):
        """Stop the Dewey and the sandbox; returns [(name, pid)] of what was stopped."""
        stopped = []
        for name in ("dewey", "sandbox"):
            process = getattr(self, name)
            if process is not None:
                stop_process(process)
                stopped.append((name, process.pid))
                setattr(self, name, None)
        return stopped

    # --- the account --------------------------------------------------------------------------------------------
    def aws(self, service):
        import boto3  # pylint: disable=import-outside-toplevel

        return boto3.client(
            service,
            endpoint_url=self.environment["AWS_ENDPOINT_URL"],
            region_name=REGION,
            aws_access_key_id=self.environment["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=self.environment["AWS_SECRET_ACCESS_KEY"],
        )

    def seed(self):
        """What the operator's account holds before a create, and the analysis manifest of two samples in S3; then
        the vars file: the example of the sandbox inventory completed with what the seeding made."""
        from sandbox.parallelcluster import seed_network  # pylint: disable=import-outside-toplevel
        from testlib import preflight as account  # pylint: disable=import-outside-toplevel
        from testlib.registration import gzipped_fastq  # pylint: disable=import-outside-toplevel
        from testlib.staging import HEADER  # pylint: disable=import-outside-toplevel

        account.seed_account(self.aws)
        network = seed_network(self.aws("ec2"))
        s3, rows = self.aws("s3"), []
        for sample, reads in ((2, 3), (3, 4)):
            keys = [f"incoming/HG00{sample}_R{read}.fastq.gz" for read in (1, 2)]
            for key in keys:
                s3.put_object(Bucket=account.BUCKETS["stage"], Key=key, Body=gzipped_fastq(reads))
            rows.append(
                f"R0\tHG00{sample}\tE1\tblood\tnoampwgs\tILMN\tNovaSeqX\t1\tBC{sample}"
                f"\ts3://{account.BUCKETS['stage']}/{keys[0]}\ts3://{account.BUCKETS['stage']}/{keys[1]}"
            )
        manifest = self.work / "analysis_samples.tsv"
        manifest.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
        return self.write_variables(account.ROLE_URIS, account.BUCKETS, network, manifest)

    def write_variables(self, role_uris, buckets, network, manifest):
        import yaml  # pylint: disable=import-outside-toplevel

        from testlib.pcluster import STANDIN  # pylint: disable=import-outside-toplevel
        from testlib.workflow import SAMPLE_COMMAND  # pylint: disable=import-outside-toplevel

        variables = yaml.safe_load(VARS_EXAMPLE.read_text(encoding="utf-8"))
        variables.update(
            role_uris,
            cluster_inputs=dict(
                variables["cluster_inputs"],
                headnode_subnet_id=network["public_subnet_id"],
                compute_subnet_ids=[network["private_subnet_id"]],
                s3_writable_buckets=[buckets["export"]],
            ),
            cluster_pcluster_command=STANDIN,
            pcluster_command=STANDIN,
            manifest=str(manifest),
            workflow_command_id=SAMPLE_COMMAND,
            workflow_repository_urls={"daylily-omics-analysis": build_repository(self.work / "git")},
            dewey_url=self.dewey_url,
            export_output_root=str(self.work / "exports"),
            preflight_output_dir=str(self.work / "preflight"),
            output_dir=str(self.work / "deletions"),
        )
        self.vars_file.write_text(json.dumps(variables, indent=2), encoding="utf-8")
        self.variables = variables
        return variables

    def start(self):
        """Sandbox, Dewey, seeding and vars file; stops what it started if any of it fails."""
        try:
            self.start_sandbox()
            self.start_dewey()
            return self.seed()
        except BaseException:
            self.stop()
            raise

    def _dewey(self, name):
        import urllib.request  # pylint: disable=import-outside-toplevel

        with urllib.request.urlopen(f"{self.dewey_url.rstrip('/')}/_dewey/{name}", timeout=30) as response:
            return json.loads(response.read())

    def dewey_requests(self):
        """The sandbox Dewey's request record (method, path, idempotency key, body) of every call it received."""
        return self._dewey("requests")

    def dewey_state(self):
        """The sandbox Dewey's registry: {"artifact_sets": {euid: {...}}, ...}."""
        return self._dewey("state")

    # --- lifecycle.yml ------------------------------------------------------------------------------------------
    def command(self, *extra):
        """ansible-playbook lifecycle.yml with the vars file and the sandbox's clusters as the inventory."""
        return [
            str(Path(sys.executable).with_name("ansible-playbook")),
            "-i",
            str(INVENTORY),
            str(PLAYBOOK),
            "-e",
            f"@{self.vars_file}",
            *map(str, extra),
        ]

    def run_environment(self, **extra):
        return dict(self.environment, ANSIBLE_NOCOLOR="1", **extra)

    def run(self, *extra, env=None):
        """Run lifecycle.yml to its end; a CompletedProcess with its stdout (stderr goes to ours)."""
        return subprocess.run(
            self.command(*extra),
            env=self.run_environment(**(env or {})),
            cwd=REPO,
            check=False,
            stdout=subprocess.PIPE,
            text=True,
        )

    def popen(self, *extra, env=None):
        """Start lifecycle.yml in a session of its own (so a test can signal the whole process group), its output
        line by line on stdout."""
        return subprocess.Popen(
            self.command(*extra),
            env=self.run_environment(**(env or {})),
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
