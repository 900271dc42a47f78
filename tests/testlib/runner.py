"""Run an operator playbook the way AWX does: through ansible-runner, with a private data dir, no terminal, the
credentials injected as environment variables (env/envvars, what AWX's credential types write) and the survey answers
as env/extravars; then read the job events it recorded.

The runner process gets a scrubbed environment (no AWS_* or sandbox variable of the test process), so whatever the
playbook knows about AWS came through env/envvars, as in an AWX job.
"""

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

from testlib.playbooks import CONTROLLER_TMP
from testlib.playbooks import OPERATOR_PLAYBOOKS
from testlib.playbooks import REPO

RUNNER = Path(sys.executable).with_name("ansible-runner")
# What the runner process inherits from the test process: enough to find programs and write files, nothing else.
INHERITED = ("HOME", "LANG", "LC_ALL", "PYENV_VERSION")
# The settings AWX gives its jobs that matter here: no idle or job timeout of the runner's own.
SETTINGS = {"suppress_ansible_output": True, "job_timeout": 0, "idle_timeout": 0}


def task_label(event_data):
    """A task's name as ansible-playbook prints it: '<role> : <task>' inside a role."""
    role = event_data.get("resolved_role") or event_data.get("role")
    return f"{role} : {event_data.get('task')}" if role else event_data.get("task")


@dataclass
class RunnerJob:
    """One ansible-runner job: its status, return code, stdout and job events (artifacts/<ident>/job_events/)."""

    status: str
    rc: int
    stdout: str
    events: list = field(default_factory=list)
    private_data_dir: Path = None

    def of(self, *event_types):
        return [event for event in self.events if event["event"] in event_types]

    def task_results(self, name):
        """The event data of every host result (ok, failed, skipped, unreachable) of the task called `name`."""
        found = [
            event["event_data"]
            for event in self.of("runner_on_ok", "runner_on_failed", "runner_on_skipped", "runner_on_unreachable")
            if name in (event["event_data"].get("task"), task_label(event["event_data"]))
        ]
        if not found:
            tasks = sorted({task_label(event["event_data"]) for event in self.of("playbook_on_task_start")})
            raise AssertionError(f"no result of a task named {name!r}; tasks: {tasks}\n{self.stdout[-3000:]}")
        return found

    def result(self, name):
        return self.task_results(name)[-1]["res"]

    @property
    def stats(self):
        (stats,) = self.of("playbook_on_stats")
        return stats["event_data"]

    def changed_count(self):
        return sum(self.stats.get("changed", {}).values())

    def failures(self):
        """'task: message' of every failed host result, for assertion messages."""
        lines = [
            f"{event['event_data'].get('task')}: {event['event_data']['res'].get('msg')}"
            for event in self.of("runner_on_failed", "runner_on_unreachable")
        ]
        return "\n".join(lines) or self.stdout[-3000:]


def runner_environment():
    """The runner process's own environment: the venv on PATH, no AWS or sandbox variable."""
    environment = {key: os.environ[key] for key in INHERITED if key in os.environ}
    environment["PATH"] = os.pathsep.join([str(RUNNER.parent), "/usr/local/bin", "/usr/bin", "/bin"])
    environment["TMPDIR"] = CONTROLLER_TMP
    return environment


def job_environment(credentials, directory):
    """env/envvars: the credentials (what an AWX credential type injects) and the collection's Ansible settings. The
    job's AWS identity comes from `credentials` alone: no shared config or credentials file, no instance metadata."""
    environment = {
        "AWS_CONFIG_FILE": str(Path(directory) / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(Path(directory) / "no-aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
        "ANSIBLE_COLLECTIONS_PATH": str(REPO / ".build" / "collections"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_LOCALHOST_WARNING": "false",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
        "PYTHONPATH": str(REPO / "tests"),
    }
    environment.update(credentials)
    return environment


def write_private_data_dir(directory, credentials, extra_vars):
    env = Path(directory) / "env"
    env.mkdir(parents=True, exist_ok=True)
    (env / "envvars").write_text(json.dumps(job_environment(credentials, directory)), encoding="utf-8")
    (env / "extravars").write_text(json.dumps(extra_vars or {}), encoding="utf-8")
    (env / "settings").write_text(json.dumps(SETTINGS), encoding="utf-8")
    return Path(directory)


def read_events(private_data_dir, ident):
    events_dir = private_data_dir / "artifacts" / ident / "job_events"
    events = [json.loads(path.read_text(encoding="utf-8")) for path in events_dir.glob("*.json")]
    return sorted(events, key=lambda event: event["counter"])


def run_with_runner(playbook, private_data_dir, credentials, extra_vars=None, inventory=None, check=False, timeout=600):
    """Run `playbook` (a file of playbooks/, or a path) with `ansible-runner run` in `private_data_dir`.

    `credentials` is what the job's credential types would inject (env/envvars); `extra_vars` what its survey
    answers would (env/extravars). The runner has no terminal (stdin /dev/null, a session of its own)."""
    path = Path(playbook) if Path(playbook).is_absolute() else OPERATOR_PLAYBOOKS / playbook
    directory = write_private_data_dir(private_data_dir, credentials, extra_vars)
    ident = "job"
    command = [str(RUNNER), "run", str(directory), "--ident", ident, "--project-dir", str(REPO)]
    command += [
        "--playbook",
        str(path.relative_to(REPO)),
        "--inventory",
        str(inventory or REPO / "inventories" / "sandbox"),
    ]
    if check:
        command += ["--cmdline", "--check --diff"]
    process = subprocess.run(
        command,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=runner_environment(),
        cwd=directory,
        timeout=timeout,
        start_new_session=True,
        check=False,
    )
    artifacts = directory / "artifacts" / ident
    status = (artifacts / "status").read_text(encoding="utf-8").strip() if (artifacts / "status").exists() else "none"
    stdout_file = artifacts / "stdout"
    stdout = stdout_file.read_text(encoding="utf-8") if stdout_file.exists() else process.stdout + process.stderr
    rc_file = artifacts / "rc"
    rc = int(rc_file.read_text(encoding="utf-8")) if rc_file.exists() else process.returncode
    return RunnerJob(status, rc, stdout, read_events(directory, ident), directory)
