"""Run real ansible-playbook processes (against the sandbox) and read their json-callback reports."""

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PLAYBOOKS = REPO / "tests" / "integration" / "playbooks"
OPERATOR_PLAYBOOKS = REPO / "playbooks"
# Read at import, before any test points TMPDIR elsewhere: ansible-playbook keeps its RPC socket there (short path).
CONTROLLER_TMP = tempfile.gettempdir()


@dataclass
class PlaybookRun:
    rc: int
    stdout: str
    stderr: str
    report: dict = field(default_factory=dict)

    def task_results(self, name):
        """Results of every host for the task called `name` (last play wins)."""
        found = []
        for play in self.report.get("plays", []):
            for task in play.get("tasks", []):
                if task["task"]["name"] == name:
                    found = list(task["hosts"].values())
        if not found:
            raise AssertionError(
                f"no task named {name!r} in the run; stderr:\n{self.stderr}\nstdout:\n{self.stdout[-4000:]}"
            )
        return found

    def result(self, name):
        return self.task_results(name)[0]

    def failures(self):
        """'task: message' for every failed host result, for assertion messages."""
        found = []
        for play in self.report.get("plays", []):
            for task in play.get("tasks", []):
                for host, result in task["hosts"].items():
                    if result.get("failed") and not result.get("skipped"):
                        found.append(
                            f"{task['task']['name']} [{host}]: {result.get('msg') or result.get('results') or result}"
                        )
        return "\n".join(found) or self.stderr[-3000:] or self.stdout[-3000:]

    @property
    def stats(self):
        return self.report.get("stats", {})

    def changed_count(self):
        return sum(host.get("changed", 0) for host in self.stats.values())


def playbook_command(playbook, extra_vars=None, check=False, diff=False, inventory=None):
    """The ansible-playbook command line; `playbook` is a name in tests/integration/playbooks or a path."""
    path = Path(playbook) if Path(playbook).is_absolute() else PLAYBOOKS / playbook
    command = [str(Path(sys.executable).with_name("ansible-playbook")), str(path)]
    if inventory:
        command += ["-i", str(inventory)]
    if extra_vars:
        command += ["-e", json.dumps(extra_vars)]
    if check:
        command.append("--check")
    if diff:
        command.append("--diff")
    return command


def playbook_environment(env=None):
    environment = dict(os.environ)
    environment.update(
        {
            "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
            "ANSIBLE_COLLECTIONS_PATH": str(REPO / ".build" / "collections"),
            "ANSIBLE_STDOUT_CALLBACK": "json",
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_LOCALHOST_WARNING": "false",
            "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
            "TMPDIR": CONTROLLER_TMP,
        }
    )
    environment.update(env or {})
    return environment


def start_playbook(playbook, extra_vars=None, env=None, log_path=None, inventory=None):
    """Start ansible-playbook in the background (for interruption tests); the caller stops it by PID."""
    log = open(log_path or os.devnull, "w", encoding="utf-8")  # pylint: disable=consider-using-with
    return subprocess.Popen(
        playbook_command(playbook, extra_vars, inventory=inventory),
        stdout=log,
        stderr=subprocess.STDOUT,
        env=playbook_environment(env),
        cwd=REPO,
        start_new_session=True,
    )


def run_playbook(playbook, extra_vars=None, check=False, diff=False, env=None, timeout=600, inventory=None):
    """Run ansible-playbook with the json callback and return its parsed report."""
    process = subprocess.run(
        playbook_command(playbook, extra_vars, check, diff, inventory),
        capture_output=True,
        text=True,
        env=playbook_environment(env),
        timeout=timeout,
        cwd=REPO,
        check=False,
    )
    try:
        report = json.loads(process.stdout[process.stdout.index("{") :])
    except ValueError:
        report = {}
    return PlaybookRun(process.returncode, process.stdout, process.stderr, report)


def ssm_headnode_vars(cluster, **extra):
    """Host variables of the sandbox headnode behind the collection's ssm connection: fast polls and retries, and no
    sudo (run_as ''), since the sandbox runs commands as the test's user. ``extra`` adds or overrides variables."""
    variables = {
        "ansible_connection": "daylily.ephemeral_cluster.ssm",
        "ansible_ssm_instance_id": cluster["headnode_instance_id"],
        "ansible_ssm_region": cluster["region"],
        "ansible_ssm_run_as": "",
        "ansible_ssm_poll_interval": 0.02,
        "ansible_ssm_poll_max_interval": 0.1,
        "ansible_ssm_retry_delay": 0.05,
        "ansible_python_interpreter": sys.executable,
    }
    variables.update(extra)
    return variables


def ssm_inventory(directory, cluster, **extra):
    """An inventory file with `localhost` (the controller) and `headnode` (:func:`ssm_headnode_vars`)."""
    path = Path(directory) / "inventory.json"
    path.write_text(
        json.dumps(
            {
                "all": {
                    "hosts": {
                        "localhost": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable},
                        "headnode": ssm_headnode_vars(cluster, **extra),
                    }
                }
            }
        ),
        encoding="utf-8",
    )
    return path
