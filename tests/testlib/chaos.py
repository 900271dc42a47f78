"""The chaos harness: random faults across the operator playbooks, chosen by a seed, then a clean re-run.

One seed = one reproducible scenario: which faults are injected (AWS throttling and 5xx on any service, a DRA going
MISCONFIGURED, an export task FAILED, Dewey 5xx and dropped connections, SSM commands TimedOut, the headnode
ConnectionLost) and whether the play is killed, at which step and after how long. The faulted pass stops at the first
failed step, as an operator's run does; the clean pass runs every step again and must converge.
"""

import json
import os
import random
import signal
import time
from dataclasses import dataclass
from dataclasses import field

from testlib.playbooks import OPERATOR_PLAYBOOKS
from testlib.playbooks import run_playbook
from testlib.playbooks import start_playbook

# Operations the playbooks call, per service: a fault names one, or none (the service's next call).
OPERATIONS = {
    "fsx": (
        "DescribeFileSystems",
        "DescribeDataRepositoryAssociations",
        "CreateDataRepositoryAssociation",
        "DeleteDataRepositoryAssociation",
        "CreateDataRepositoryTask",
        "DescribeDataRepositoryTasks",
        None,
    ),
    "s3": ("ListObjectsV2", "PutObject", "GetObject", "HeadObject", None),
    "ssm": ("SendCommand", "GetCommandInvocation", "DescribeInstanceInformation", None),
    "ec2": ("DescribeInstances", None),
}
THROTTLES = {"s3": ("SlowDown", 503), "ec2": ("RequestLimitExceeded", 503)}
SERVER_ERRORS = (("InternalServerError", 500), ("ServiceUnavailable", 503))
DEWEY_ROUTES = ("/api/v1/artifact-sets/analysis/register", "/api/v1/artifact-sets/multiqc/register", None)
# How many times a fault fires: a few (retries absorb them) or more than any retry budget (the step fails).
COUNTS = (1, 2, 3, 12)
FAULT_KINDS = (
    "aws_throttle",
    "aws_5xx",
    "dra_misconfigured",
    "export_task_failed",
    "dewey_5xx",
    "dewey_dropped",
    "ssm_timed_out",
    "headnode_connection_lost",
)

# The steps a fault is armed before, where it can fire (any step for AWS throttling and 5xx).
FAULT_STEPS = {
    "dra_misconfigured": ("mount", "export"),
    "export_task_failed": ("export",),
    "dewey_5xx": ("register",),
    "dewey_dropped": ("register",),
    "ssm_timed_out": ("mount", "export"),
    "headnode_connection_lost": ("mount", "export"),
}


@dataclass
class Step:
    """One operator playbook of the pipeline, with its variables."""

    name: str
    playbook: str
    variables: dict
    inventory: str = None


@dataclass
class Scenario:
    """What a seed does: the faults (as JSON-able dicts) and the kill (step index, seconds) or None."""

    seed: int
    faults: list = field(default_factory=list)
    kill: tuple = None

    def describe(self):
        return json.dumps({"seed": self.seed, "faults": self.faults, "kill": self.kill})


def plan_scenario(seed, step_names):
    """The scenario of a seed: 2 or 3 faults, each armed just before a random step, and in a third of the seeds the
    play killed at a random step after a random time."""
    rng = random.Random(seed)
    # Seeds 1-4 (and every 4 after) start with two kinds in turn, so the 5 seeds of `make test` meet every kind.
    kinds = [FAULT_KINDS[(2 * (seed - 1) + offset) % len(FAULT_KINDS)] for offset in (0, 1)]
    kinds += [rng.choice(FAULT_KINDS) for _extra in range(rng.randint(0, 1))]
    faults = [plan_fault(rng, kind, step_names) for kind in kinds]
    kill = (rng.randrange(len(step_names)), round(rng.uniform(0.5, 12.0), 2)) if rng.random() < 1 / 3 else None
    return Scenario(seed, faults, kill)


def plan_fault(rng, kind, step_names, fault_steps=None, operations=None):
    """One fault of `kind` armed before one of `step_names` (those `fault_steps` allow for the kind, FAULT_STEPS by
    default); AWS faults pick a service and operation of `operations` (OPERATIONS by default)."""
    fault_steps, operations = fault_steps or FAULT_STEPS, operations or OPERATIONS
    steps = [name for name in fault_steps.get(kind, step_names) if name in step_names] or step_names
    fault = {"kind": kind, "count": rng.choice(COUNTS), "step": rng.choice(steps)}
    if kind in ("aws_throttle", "aws_5xx"):
        service = rng.choice(sorted(operations))
        fault.update(service=service, operation=rng.choice(operations[service]))
        code, status = (
            THROTTLES.get(service, ("ThrottlingException", 400))
            if kind == "aws_throttle"
            else rng.choice(SERVER_ERRORS)
        )
        fault.update(code=code, status=status)
    elif kind in ("dra_misconfigured", "export_task_failed", "headnode_connection_lost"):
        fault["count"] = rng.choice((1, 1, 2))
    elif kind == "dewey_5xx":
        fault.update(status=rng.choice((500, 502, 503)), path=rng.choice(DEWEY_ROUTES))
    elif kind == "dewey_dropped":
        fault.update(when=rng.choice(("drop_before", "drop_after")), path=rng.choice(DEWEY_ROUTES))
    return fault


def inject(fault, sandbox, dewey, cluster):
    """Arm one planned fault in the sandbox or the Dewey stub."""
    kind, count = fault["kind"], fault["count"]
    if kind in ("aws_throttle", "aws_5xx"):
        sandbox.inject_fault(
            fault["service"], operation=fault["operation"], code=fault["code"], status=fault["status"], count=count
        )
    elif kind == "dra_misconfigured":
        sandbox.inject_fsx_outcome(association_lifecycle="MISCONFIGURED", count=count)
    elif kind == "export_task_failed":
        sandbox.inject_fsx_outcome(fail_export_paths=["*"], count=count)
    elif kind == "dewey_5xx":
        dewey.faults.add("status", count=count, status=fault["status"], path=fault["path"])
    elif kind == "dewey_dropped":
        dewey.faults.add(fault["when"], count=count, path=fault["path"])
    elif kind == "ssm_timed_out":
        sandbox.inject_ssm_timeouts(count)
    elif kind == "headnode_connection_lost":
        sandbox.register_headnode(cluster["headnode_instance_id"], ping_status="ConnectionLost")
    else:
        raise ValueError(f"unknown fault kind {kind!r}")


def disarm(sandbox, dewey, cluster):
    """Take every fault back: what a clean re-run starts from (the data and resources stay as the faults left them)."""
    sandbox.clear_faults()
    sandbox.clear_outcomes()
    dewey.faults.clear()
    sandbox.register_headnode(cluster["headnode_instance_id"], ping_status="Online")


def kill_after(step, seconds, log_path):
    """Start the step's playbook, SIGKILL its whole process group after `seconds` (if still running); its rc."""
    process = start_playbook(step.playbook, step.variables, log_path=log_path, inventory=step.inventory)
    deadline = time.monotonic() + seconds
    while process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    return process.wait(timeout=60)


def run_step(step):
    return run_playbook(step.playbook, step.variables, inventory=step.inventory)


def operator_playbook(name):
    return str(OPERATOR_PLAYBOOKS / name)


def replay_command(seed, test_path):
    return f"CHAOS_SEED={seed} pytest -q {test_path}"


def seed_failure(seed, scenario, log, test_path, exc, where=""):
    """The message of a failed seed: why, what it did step by step, and the command that replays it alone."""
    return (
        f"chaos seed {seed} failed: {exc}\nscenario: {scenario.describe()}\nsteps:\n  "
        + "\n  ".join(log)
        + where
        + f"\nreplay it: {replay_command(seed, test_path)}"
    )
