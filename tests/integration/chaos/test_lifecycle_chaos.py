"""Chaos across playbooks/lifecycle.yml (issue 15): for each seed, random faults while lifecycle.yml runs on a sandbox
account, then a clean re-run of the same command, with the safety invariants of dayec_domain.md §12 checked after both.

A seed is one reproducible scenario (plan_lifecycle_scenario): a window of lifecycle.yml's steps, run with their tags
(create -> register, stage -> register, launch -> register or export -> register; in a fifth of the seeds up to the
gated delete and the report), the analysis it works on (chaos/s<seed>), two to four faults armed when the playbook
prints the mark of the step they belong to (AWS throttling and 5xx on any service, a DRA going MISCONFIGURED, an export
task FAILED, Dewey 5xx and dropped connections, SSM commands TimedOut, the headnode ConnectionLost) and, in a third of
the seeds, the whole process group SIGKILLed after a random number of a step's tasks.

Time: a lifecycle.yml run takes minutes on the sandbox, so each pytest worker keeps one account and one cluster for all
its seeds: each seed has an analysis of its own (the earlier seeds' analyses stay on the cluster, verified), the stage
is shared (staging again is a no-op), and a seed whose window starts after create begins on the worker's cluster
(created first, without faults, when a delete removed it). The export window's analysis is written on FSx directly
(a finished DayOA analysis), so it costs no workflow run. Each seed's time is printed in the summary.

    CHAOS_SEEDS=50 pytest -n 2 tests/integration/chaos     (make chaos; make test runs the first 5 seeds)
    CHAOS_SEED=17 pytest -q tests/integration/chaos/test_lifecycle_chaos.py   (replay one seed, as a failure prints)

A replayed seed runs on a fresh account: it creates its cluster first, so its earlier steps are not no-ops as they
were on a worker's shared cluster; the faults, the window and the kill point are the same.
"""

import json
import os
import random
import shutil
import signal
import tempfile
import threading
import time
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

import pytest

from testlib import dewey as dewey_testlib
from testlib import invariants
from testlib.chaos import DEWEY_ROUTES
from testlib.chaos import OPERATIONS
from testlib.chaos import disarm
from testlib.chaos import inject
from testlib.chaos import plan_fault
from testlib.chaos import seed_failure
from testlib.lifecycle import PHASES
from testlib.lifecycle import LifecycleAccount

THIS_FILE = "tests/integration/chaos/test_lifecycle_chaos.py"
ENTITY = "chaos"
# Where a seed's window of lifecycle.yml starts, with its weight: the cheap windows more often, every step covered.
WINDOW_STARTS = {"create": 1, "stage": 1, "launch": 2, "export": 3}
LAST_STEP = "register"
# The share of seeds whose window ends with the gated delete (the delete takes a minute, and the next seed on the
# worker creates the cluster again).
DELETE_SHARE = 0.2
# The steps each fault kind can be armed in (AWS throttling and 5xx: any step of the window).
FAULT_STEPS = {
    "dra_misconfigured": ("stage", "export"),
    "export_task_failed": ("export",),
    "dewey_5xx": ("register",),
    "dewey_dropped": ("register",),
    "ssm_timed_out": ("create", "stage", "launch", "wait", "export"),
    "headnode_connection_lost": ("create", "stage", "launch", "wait", "export"),
}
FAULT_KINDS = ("aws_throttle", "aws_5xx", *FAULT_STEPS)
# lifecycle.yml calls these too (preflight, the pcluster stand-in, the budget), besides those of testlib.chaos.
SERVICES = dict(OPERATIONS, cloudformation=("DescribeStacks", None), sts=("GetCallerIdentity", None))
# The sandbox answers in milliseconds: waits that would last an hour on AWS end in seconds, so a fault that outlives
# every retry fails its step quickly instead of stalling the seed.
FAST_WAITS = {
    "cluster_wait_timeout": 600,
    "cluster_reference_wait_timeout": 120,
    "headnode_ssm_wait_timeout": 30,
    "samples_wait_timeout": 120,
    "workflow_wait_timeout": 600,
    "export_wait_timeout": 180,
    "wait_timeout": 600,
}
RECONNECTED_AFTER = 5  # seconds a headnode that lost its connection once stays ConnectionLost
PASS_TIMEOUT = 1200
# Under `make integration` (--dist loadgroup) the seeds share one worker, so the suite creates one cluster for them;
# `make chaos` (--dist load) spreads them over every worker, one account and cluster each.
pytestmark = pytest.mark.xdist_group("lifecycle_chaos")
# Each seed's playbook logs (pytest's tmp_path keeps only the last few sessions: other sessions would remove them).
LOGS = (
    Path(__file__).resolve().parents[3] / ".build" / "chaos"
)  # seconds; a pass that outlives it is killed and the seed fails


def seeds():
    if os.environ.get("CHAOS_SEED"):
        return [int(os.environ["CHAOS_SEED"])]
    return list(range(1, int(os.environ.get("CHAOS_SEEDS", "5")) + 1))


# --- the scenario of a seed --------------------------------------------------------------------------------------
@dataclass
class LifecycleScenario:
    seed: int
    steps: list
    faults: list = field(default_factory=list)
    kill: tuple = None  # (step, tasks of it started before the SIGKILL) or None

    @property
    def analysis_id(self):
        return f"s{self.seed:03d}"

    @property
    def deletes(self):
        return "delete" in self.steps

    def tags(self):
        """ansible-playbook arguments that run the window: the whole lifecycle.yml, or its steps' tags."""
        if self.steps[0] == "create" and self.deletes:
            return []
        return ["--tags", ",".join(self.steps + (["report"] if self.deletes else []))]

    def describe(self):
        return json.dumps({"seed": self.seed, "steps": self.steps, "faults": self.faults, "kill": self.kill})


def plan_lifecycle_scenario(seed):
    rng = random.Random(seed)
    # Seeds 1-5 of `make test` cover every step: windows from create, stage, launch and export (twice), the last up
    # to the gated delete (the cheapest window that deletes).
    starts = sorted(WINDOW_STARTS, key=PHASES.index)
    if seed <= 5:
        start = (starts + ["export"])[seed - 1]
    else:
        start = rng.choices(starts, [WINDOW_STARTS[name] for name in starts])[0]
    steps = list(PHASES[PHASES.index(start) : PHASES.index(LAST_STEP) + 1])
    if seed == 5 or (seed > 5 and rng.random() < DELETE_SHARE):
        steps.append("delete")
    # Seeds 1-4 (and every 4 after) meet two kinds in turn, so the 5 seeds of `make test` meet all eight.
    kinds = [FAULT_KINDS[(2 * (seed - 1) + offset) % len(FAULT_KINDS)] for offset in (0, 1)]
    kinds += [rng.choice(FAULT_KINDS) for _extra in range(rng.randint(0, 2))]
    faults = [plan_fault(rng, kind, steps, FAULT_STEPS, SERVICES) for kind in kinds]
    kill = None
    if rng.random() < 1 / 3:
        kill = (rng.choice(steps), rng.randrange(0, 12))
    return LifecycleScenario(seed, steps, faults, kill)


# --- the account: one per worker, its cluster reused by the seeds ---------------------------------------------------
class DeweyFaults:
    """The fault switch of the sandbox Dewey process (/_dewey/faults), shaped like the in-process stub's Faults."""

    def __init__(self, url):
        self.url = url.rstrip("/")

    def _post(self, path, payload):
        import urllib.request  # pylint: disable=import-outside-toplevel

        request = urllib.request.Request(
            self.url + path,
            data=json.dumps(payload).encode(),
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    def add(self, kind, count=1, path=None, status=503):
        return self._post("/_dewey/faults", {"kind": kind, "count": count, "path": path, "status": status})

    def clear(self):
        """The process has no route that clears its faults: use up what is left with unauthenticated requests (a 401
        when no fault answers them: nothing is registered)."""
        for rule in self.add("status", count=0):
            for _left in range(rule["count"]):
                try:
                    self._post(rule["path"] or DEWEY_ROUTES[0], {})
                except OSError:  # the 401, an injected status or a dropped connection
                    pass


class DeweyProcess:
    def __init__(self, url):
        self.faults = DeweyFaults(url)


class ChaosAccount:
    """A LifecycleAccount with the fault switches of its sandbox and its Dewey (a process of its own)."""

    def __init__(self):
        self.account = None
        self.dewey = None
        self.timers = []
        self.stages = 0
        self.start()

    def start(self):
        """A new sandbox account (the tmux socket of the headnode needs a short path)."""
        self.account = LifecycleAccount(tempfile.mkdtemp(prefix="dayec-chaos-"))
        self.account.start()
        self.dewey = DeweyProcess(self.account.dewey_url)

    def stop(self):
        self.disarm_timers()
        self.account.stop()
        shutil.rmtree(self.account.work, ignore_errors=True)

    def replace(self):
        """A failed seed may leave what later seeds would trip over (an analysis never exported makes every later
        gated delete refuse, rightly): the next seed starts on a new account, so a failure stays the seed's own."""
        self.stop()
        self.stages = 0
        self.start()

    def stage_name(self):
        """One stage per cluster, shared by its seeds (staging again is a no-op). A new cluster gets a new stage: the
        sandbox's stage tables name the headnode's paths, which contain its instance id, so staging the same name
        for another cluster would ask to rewrite them in S3, which s3_stage refuses (on AWS the paths are the same
        /fsx/...)."""
        return f"remote_stage_20261206T000000Z_{0xC4A05000 + self.stages:08x}"

    @property
    def control(self):
        return self.account.control

    def cluster(self):
        """{"file_system_id", "headnode_instance_id", "fsx_mount"} of the account's cluster, or None."""
        fsx = self.account.aws("fsx")
        available = [fs for fs in fsx.describe_file_systems()["FileSystems"] if fs["Lifecycle"] == "AVAILABLE"]
        if not available:
            return None
        file_system_id = available[0]["FileSystemId"]
        headnode = next((node for node in self.control.headnodes() if node["file_system_id"] == file_system_id), None)
        if headnode is None:
            return None
        return {
            "file_system_id": file_system_id,
            "headnode_instance_id": headnode["instance_id"],
            "fsx_mount": headnode["fsx_mount"],
        }

    def inject(self, fault):
        """Arm one planned fault (testlib.chaos.inject); a headnode that lost its connection once (count 1) is back
        Online after a few seconds, twice (count 2) stays lost until the faults are disarmed."""
        # From the control plane, not AWS: an AWS call here would use up the faults armed for the playbook.
        headnode = next((node for node in reversed(self.control.headnodes()) if Path(node["fsx_mount"]).exists()), None)
        if headnode is None:
            return  # no cluster yet: the fault has nothing to act on
        cluster = {"headnode_instance_id": headnode["instance_id"]}
        inject(fault, self.control, self.dewey, cluster)
        if fault["kind"] == "headnode_connection_lost" and fault["count"] == 1:
            timer = threading.Timer(RECONNECTED_AFTER, self.headnode_online, (cluster["headnode_instance_id"],))
            timer.start()
            self.timers.append(timer)

    def headnode_online(self, instance_id):
        try:
            self.control.register_headnode(instance_id, ping_status="Online")
        except OSError:  # deregistered meanwhile (the cluster was deleted)
            pass

    def disarm_timers(self):
        for timer in self.timers:
            timer.cancel()
        self.timers.clear()

    def disarm(self):
        """Take every fault back (testlib.chaos.disarm; the data and resources stay as the faults left them)."""
        self.disarm_timers()
        self.control.clear_faults()  # before the describes of cluster()
        cluster = self.cluster()
        if cluster:
            disarm(self.control, self.dewey, cluster)
        else:
            self.control.clear_outcomes()
            self.dewey.faults.clear()

    # --- runs -------------------------------------------------------------------------------------------------
    def run(self, extra, log_path, on_step=None, kill=None):
        """lifecycle.yml with `extra` arguments, its output in log_path; on_step(step) when a step's start mark is
        printed; kill=(step, tasks) SIGKILLs the process group once that many of the step's tasks started (or the
        step ended). Returns (rc, killed)."""
        process = self.account.popen(*extra)
        watchdog = threading.Timer(PASS_TIMEOUT, lambda: _kill_group(process))
        watchdog.start()
        step, seen, killed = None, 0, False
        try:
            with open(log_path, "w", encoding="utf-8", buffering=1) as log:  # line by line: readable while it runs
                for line in process.stdout:
                    log.write(line)
                    if line.startswith("PLAY [Lifecycle mark: "):
                        name, event = line[len("PLAY [Lifecycle mark: ") :].split("]", 1)[0].split(" ", 1)
                        if event == "start":
                            step, seen = name, 0
                            if on_step:
                                on_step(name)
                        elif kill and name == kill[0]:
                            seen = kill[1] + 1  # the step ended before its task count: kill at its end
                    elif line.startswith("TASK ["):
                        seen += 1
                    if kill and step == kill[0] and seen > kill[1]:
                        log.write(f"### SIGKILL to process group {process.pid}\n")
                        _kill_group(process)
                        killed = True
                        break
                rc = process.wait(timeout=120)
                log.write(process.stdout.read())
        finally:
            watchdog.cancel()
            process.stdout.close()
        if killed:
            _kill_group(process)  # what the SIGKILL left in the group (forks, the pcluster stand-in)
        return rc, killed


def _kill_group(process):
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


@pytest.fixture(scope="module")
def chaos_account():
    """One sandbox account per worker for its seeds (a new one after a failed seed)."""
    chaos = ChaosAccount()
    try:
        yield chaos
    finally:
        chaos.stop()


# --- the invariants --------------------------------------------------------------------------------------------
class Seed:
    """One seed on the account: its variables, what the invariants compare, and its checks."""

    def __init__(self, chaos, scenario, logs):
        self.chaos, self.scenario, self.logs = chaos, scenario, logs
        self.account = chaos.account
        self.export_root = Path(self.account.variables["export_output_root"])
        self.cluster = chaos.cluster()
        self.s3_before = invariants.s3_snapshot(self.account.aws("s3"))
        self.fsx_before = invariants.fsx_snapshot(self.cluster["fsx_mount"]) if self.cluster else {}
        self.deleted = False

    @property
    def analysis(self):
        return f"{ENTITY}/{self.scenario.analysis_id}"

    def variables(self):
        return [
            "-e",
            json.dumps(
                dict(
                    FAST_WAITS,
                    workflow_executing_entity=ENTITY,
                    workflow_analysis_id=self.scenario.analysis_id,
                    stage_name=self.chaos.stage_name(),
                )
            ),
        ]

    def destination(self, analysis):
        return f"{self.account.variables['export_s3_uri']}{analysis}/"

    def verified(self, analysis):
        return invariants.invariant_13_receipts_consistent_with_s3(
            self.account.aws("s3"), self.destination(analysis), self.export_root / analysis
        )

    def prepare(self):
        """The cluster the window starts on (created without faults if a delete removed it), and for an export
        window a finished DayOA analysis on its FSx."""
        if self.cluster is None:  # a new cluster (this seed's or the setup's) stages anew
            self.chaos.stages += 1
        if self.scenario.steps[0] != "create" and self.cluster is None:
            rc, _killed = self.chaos.run(["--tags", "create"] + self.variables(), self.logs / "setup-create.log")
            assert rc == 0, f"creating the worker's cluster failed; see {self.logs / 'setup-create.log'}"
            self.cluster = self.chaos.cluster()
        if self.scenario.steps[0] == "export":
            dewey_testlib.write_toy_analysis(
                Path(self.cluster["fsx_mount"]) / "analysis_results" / self.analysis / "daylily-omics-analysis"
            )
        if self.cluster:
            self.fsx_before = invariants.fsx_snapshot(self.cluster["fsx_mount"])
        self.s3_before = invariants.s3_snapshot(self.account.aws("s3"))

    def check_invariants(self, ended=True):
        """Every §12 invariant the lifecycle touches; `ended` is False after a killed run (it may leave an export DRA
        attached, which the next run must detach)."""
        s3, audit = self.account.aws("s3"), self.chaos.control.audit()
        s3_now = invariants.s3_snapshot(s3)
        invariants.invariant_01_no_s3_object_deleted_or_overwritten(self.s3_before, s3_now, audit)
        invariants.invariant_01_no_association_deleted_with_its_data(audit)
        analyses = sorted(set(invariants.analyses_of(self.fsx_before)) | {self.analysis})
        verified = {analysis for analysis in analyses if self.verified(analysis)}
        cluster = self.chaos.cluster()
        self.deleted = any(
            (entry["service"], entry["operation"]) in invariants.CLUSTER_DELETING_CALLS
            and "fault" not in entry
            and entry.get("status", 200) < 300
            for entry in audit
        )
        fsx_now = invariants.fsx_snapshot(cluster["fsx_mount"]) if cluster else {}
        invariants.invariant_01_analysis_data_on_fsx_intact_until_verified_export(self.fsx_before, fsx_now, verified)
        if cluster:
            fsx = self.account.aws("fsx")
            associations = invariants.all_associations(fsx, cluster["file_system_id"])
            invariants.invariant_04_no_duplicate_association(associations)
            if ended:
                invariants.invariant_12_no_export_association_left(associations)
            invariants.invariant_11_no_duplicate_export_task(invariants.all_tasks(fsx, cluster["file_system_id"]))
        state = self.account.dewey_state()
        for analysis in analyses:
            label_end = ":" + analysis.split("/")[1]
            invariants.invariant_25_no_duplicate_dewey_registration(
                {"artifact_sets": {k: v for k, v in state["artifact_sets"].items() if v["label"].endswith(label_end)}}
            )
        invariants.invariant_24_cluster_deleted_only_after_verified_exports(audit, analyses, verified)
        self.s3_before = s3_now  # later passes must keep what this one wrote
        return verified

    def check_converged(self, verified):
        """The clean re-run's end state: the analysis exported and verified, both artifact sets registered once, the
        cluster deleted when the window ends with the delete (with a deletion receipt), else kept."""
        assert self.analysis in verified, f"no verified export receipt for {self.analysis} after the clean re-run"
        label_end = ":" + self.scenario.analysis_id
        kinds = sorted(
            found["kind"]
            for found in self.account.dewey_state()["artifact_sets"].values()
            if found["label"].endswith(label_end)
        )
        assert kinds == ["analysis_artifact_set", "multiqc_artifact_set"], kinds
        if self.scenario.deletes:
            assert self.chaos.cluster() is None, "the clean re-run ended with the delete but the cluster is still there"
            receipts = sorted(Path(self.account.variables["output_dir"]).rglob("*.yaml"))
            assert receipts, "the cluster was deleted without a deletion receipt"
        else:
            assert self.chaos.cluster() is not None, "the cluster is gone though the window ends before the delete"


@pytest.mark.parametrize("seed", seeds())
def test_lifecycle_chaos_seed_keeps_every_invariant_and_the_clean_rerun_converges(seed, chaos_account, record_property):
    began = time.monotonic()
    scenario = plan_lifecycle_scenario(seed)
    logs = LOGS / f"lifecycle-seed-{seed:03d}"
    shutil.rmtree(logs, ignore_errors=True)
    logs.mkdir(parents=True)
    record_property("chaos_scenario", scenario.describe())
    log = []
    try:
        run = Seed(chaos_account, scenario, logs)
        run.prepare()
        chaos_account.control.clear_audit()
        extra = scenario.tags() + run.variables()

        def arm(step):
            for fault in scenario.faults:
                if fault["step"] == step:
                    chaos_account.inject(fault)
                    log.append(f"armed {fault['kind']} at {step}")

        rc, killed = chaos_account.run(extra, logs / "faulted.log", on_step=arm, kill=scenario.kill)
        log.append(f"faulted run: rc {rc}{' (killed)' if killed else ''}")
        chaos_account.disarm()
        run.check_invariants(ended=not killed)

        if scenario.deletes and run.deleted:
            # The faulted run got through the delete: what is left to resume is the delete (a no-op now) and the
            # report; running the whole window again would create a cluster for an analysis already exported.
            extra = ["--tags", "delete,report"] + run.variables()
        rc, _killed = chaos_account.run(extra, logs / "clean.log")
        log.append(
            f"clean re-run {' '.join(extra[:2]) if extra[:1] == ['--tags'] else '(the whole lifecycle)'}: rc {rc}"
        )
        assert rc == 0, f"the clean re-run did not converge; see {logs / 'clean.log'}:\n{_failures(logs / 'clean.log')}"
        run.check_converged(run.check_invariants())
    except Exception as exc:  # pylint: disable=broad-exception-caught  # any failure prints how to replay the seed
        failure = seed_failure(seed, scenario, log, THIS_FILE, exc, f"\nlogs: {logs}")
        (logs / "failure.txt").write_text(failure, encoding="utf-8")  # readable while the other seeds run
        chaos_account.replace()
        raise AssertionError(failure) from exc
    finally:
        seconds = round(time.monotonic() - began)
        record_property("chaos_seconds", seconds)
        record_property("chaos_log", "; ".join(log))


def _failures(log_path):
    """The failed tasks' lines of a run's output."""
    lines = Path(log_path).read_text(encoding="utf-8").splitlines()
    return "\n".join(line[:600] for line in lines if line.startswith(("fatal:", "failed:", "ERROR!")))[-4000:]
