"""playbooks/lifecycle.yml end to end on a sandbox account of its own (testlib.lifecycle, what `make demo` runs), in
the order an operator meets it, once for the whole module since each run takes a minute or more:

1. `--check --diff` on the fresh account: the whole plan, no mutating call;
2. runs interrupted (SIGTERM or SIGKILL of the whole process group) inside three steps a seeded random choice picks,
   each interrupted run being the re-run of the one before; then a run that completes up to the registration;
3. the same again, which changes nothing (the json callback's result of every task);
4. the whole lifecycle.yml through ansible-runner, as AWX runs it: the gated delete and the run report.

The fixture only records what each run did; every test asserts on its part, so one broken step fails its own test.
Replay a choice of steps with DAYEC_LIFECYCLE_SEED=<seed> (the failure messages print it).
"""

import json
import os
import random
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

from testlib import invariants
from testlib.lifecycle import INVENTORY
from testlib.lifecycle import PHASES
from testlib.lifecycle import PLAYBOOK
from testlib.lifecycle import LifecycleAccount
from testlib.lifecycle import mark_play
from testlib.playbooks import PlaybookRun
from testlib.runner import run_with_runner

SEED = int(os.environ.get("DAYEC_LIFECYCLE_SEED") or random.SystemRandom().randrange(1_000_000))
REPLAY = f"DAYEC_LIFECYCLE_SEED={SEED} pytest -q tests/integration/test_lifecycle.py"
# The steps a run may be interrupted in (delete comes after the second run, which must find the cluster).
INTERRUPTIBLE = PHASES[: PHASES.index("delete")]
# One account for the module: under `--dist loadgroup` every test of it goes to the same worker.
pytestmark = pytest.mark.xdist_group("lifecycle")
# What the runs' processes learn about the sandbox account (the runner job gets nothing else).
ACCOUNT_VARIABLES = ("AWS_", "DAYEC_", "DEWEY_TOKEN")


def plan_interruptions(seed):
    """Three steps in lifecycle order, each with how many of its tasks start before the signal, and the signal."""
    rng = random.Random(seed)
    phases = sorted(rng.sample(INTERRUPTIBLE, 3), key=PHASES.index)
    return [(phase, rng.randrange(0, 12), rng.choice((signal.SIGTERM, signal.SIGKILL))) for phase in phases]


def run_json(account, *extra):
    """lifecycle.yml with the json callback: the report of every task's result on every host."""
    completed = account.run(*extra, env={"ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.json"})
    try:
        report = json.loads(completed.stdout[completed.stdout.index("{") :])
    except ValueError:
        report = {}
    return PlaybookRun(completed.returncode, completed.stdout, "", report)


def interrupted_run(account, phase, tasks, signum, log_path):
    """Start lifecycle.yml (up to the registration); once `tasks` tasks of `phase` started (or the phase ended),
    send `signum` to its whole process group. Returns (interrupted, rc); the output goes to `log_path`."""
    process = account.popen("--skip-tags", "delete")
    started, seen, interrupted = False, 0, False
    with open(log_path, "w", encoding="utf-8") as log:
        for line in process.stdout:
            log.write(line)
            if line.startswith(mark_play(phase, "start")):
                started = True
            elif started and line.startswith("TASK ["):
                seen += 1
            if started and not interrupted and (seen > tasks or line.startswith(mark_play(phase, "end"))):
                log.write(f"### {signal.Signals(signum).name} to process group {process.pid}\n")
                log.flush()
                os.killpg(process.pid, signum)
                interrupted = True
                break
        try:
            rc = process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            rc = process.wait()
        log.write(process.stdout.read())
    process.stdout.close()
    if signum != signal.SIGKILL and interrupted:
        # What a SIGTERM left running in the group (forks, the pcluster stand-in) goes the way of a crash.
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return interrupted, rc


def runner_credentials(account):
    """What the AWX job's credential types would inject: the sandbox account's AWS identity and endpoint, the
    sandbox's own settings, the Dewey token."""
    return {key: value for key, value in account.environment.items() if key.startswith(ACCOUNT_VARIABLES)}


@pytest.fixture(scope="module")
def lifecycle_history(tmp_path_factory):
    """One account, the runs of the module docstring in order; what each did (and the audit log after each)."""
    work = tmp_path_factory.mktemp("lifecycle")  # the runs' logs
    # The headnode's tmux socket lives under the account's root: a pytest tmp path is too long for a socket path.
    account = LifecycleAccount(tempfile.mkdtemp(prefix="dayec-lc-"))
    history = {"account": account, "work": work, "interruptions": [], "associations": []}
    try:
        account.start()
        account.control.clear_audit()  # the seeding's calls
        history["check"] = run_json(account, "--check", "--diff")
        history["check_audit"] = account.control.audit()
        for index, (phase, tasks, signum) in enumerate(plan_interruptions(SEED)):
            log = work / f"interrupted_{index}_{phase}.log"
            began = time.monotonic()
            interrupted, rc = interrupted_run(account, phase, tasks, signum, log)
            history["interruptions"].append(
                {
                    "phase": phase,
                    "tasks": tasks,
                    "signal": signal.Signals(signum).name,
                    "interrupted": interrupted,
                    "rc": rc,
                    "log": log,
                    "seconds": round(time.monotonic() - began),
                }
            )
            history["associations"].append(fsx_state(account)[0])
        history["resumed"] = account.run("--skip-tags", "delete")
        associations, history["tasks"] = fsx_state(account)
        history["associations"].append(associations)
        history["second"] = run_json(account, "--skip-tags", "delete,report")
        history["job"] = run_with_runner(
            PLAYBOOK,
            work / "runner",
            runner_credentials(account),
            extra_vars=account.variables,
            inventory=INVENTORY,
            timeout=1800,
        )
        history["audit"] = account.control.audit()
        history["dewey_requests"] = account.dewey_requests()
        history["dewey_state"] = account.dewey_state()
        yield history
    finally:
        account.stop()
        shutil.rmtree(account.work, ignore_errors=True)


def fsx_state(account):
    """([associations], [tasks]) of every file system of the account (none before the cluster exists)."""
    fsx = account.aws("fsx")
    associations, tasks = [], []
    for file_system in fsx.describe_file_systems()["FileSystems"]:
        associations += invariants.all_associations(fsx, file_system["FileSystemId"])
        tasks += invariants.all_tasks(fsx, file_system["FileSystemId"])
    return associations, tasks


def successful(audit, operation):
    return [
        entry
        for entry in audit
        if entry["operation"] == operation and "fault" not in entry and entry.get("status", 200) < 300
    ]


# --- 1. --check --diff on a fresh account ------------------------------------------------------------------------
def test_check_diff_on_a_fresh_account_plans_every_step_and_makes_no_mutating_call(lifecycle_history):
    run = lifecycle_history["check"]
    assert run.rc == 0, run.failures()
    mutating = [
        f"{entry['service']}:{entry['operation']}" for entry in lifecycle_history["check_audit"] if entry["mutating"]
    ]
    assert not mutating, f"--check made mutating calls: {mutating}"
    plays = [play["play"]["name"] for play in run.report["plays"]]
    for phase in PHASES:
        assert f"Lifecycle mark: {phase} end" in plays, f"--check did not get through {phase}: {plays}"
    (create,) = run.task_results(
        "daylily.ephemeral_cluster.cluster : Create the cluster after its dry run, or report how it drifted"
    )
    assert create["changed"] and create.get("diff"), f"--check --diff shows no cluster to create: {create}"
    # The steps after create need the cluster: skipped, with a message that says why, rather than failing.
    (said,) = run.task_results("Say which steps check mode skips")
    assert "does not exist yet" in said["msg"] and "Run without --check" in said["msg"], said
    for task in (
        "daylily.ephemeral_cluster.samples : Check the manifest and write samples.tsv and units.tsv",
        "Wait for the workflow, failing when it failed (export it anyway with --tags export)",
    ):
        assert all(result.get("skipped") for result in run.task_results(task)), f"{task} ran in check mode"
    (report,) = run.task_results("Write the run report")
    # The run report says so too: create planned (ok), every later step skipped, not "ok".
    statuses = {phase["name"]: phase["status"] for phase in report["report"]["phases"]}
    assert statuses == {phase: "ok" if phase == "create" else "skipped" for phase in PHASES}, statuses
    (summary,) = run.task_results("Summary")
    assert "Exported: nothing yet (no export receipt)" in summary["msg"], summary["msg"]


# --- 2. interrupted at three steps, then resumed -------------------------------------------------------------------
def test_interrupted_at_three_steps_each_rerun_resumes_and_completes_without_duplicates(lifecycle_history):
    interruptions = lifecycle_history["interruptions"]
    context = f"(replay: {REPLAY}) interruptions: {interruptions}"
    assert len({found["phase"] for found in interruptions}) == 3, context
    for found in interruptions:
        assert found["interrupted"], f"the run ended before {found['phase']} was interrupted; {context}"
    resumed = lifecycle_history["resumed"]
    assert resumed.returncode == 0, f"the re-run after the interruptions failed; {context}\n{resumed.stdout[-4000:]}"
    job = lifecycle_history["job"]
    assert job.status == "successful", f"the final run failed; {context}\n{job.failures()}"

    audit = lifecycle_history["audit"]
    # One export task for the analysis, and never a second one on the same paths after it succeeded.
    exports = [
        entry
        for entry in successful(audit, "CreateDataRepositoryTask")
        if (entry.get("request") or {}).get("Type") == "EXPORT_TO_REPOSITORY"
    ]
    assert len(exports) == 1, f"{len(exports)} export tasks created; {context}: {[e.get('request') for e in exports]}"
    # One association per FSx path at a time: in the audit log, a second CreateDataRepositoryAssociation on a path
    # comes only after some association was deleted (the log keeps requests, not which association a delete named);
    # and after every interrupted run, no two active associations share a path (invariant 4).
    attached = {}
    changes = successful(audit, "CreateDataRepositoryAssociation") + successful(
        audit, "DeleteDataRepositoryAssociation"
    )
    for entry in sorted(changes, key=lambda entry: entry["seq"]):
        if entry["operation"] == "DeleteDataRepositoryAssociation":
            attached.clear()
            continue
        path = entry["request"]["FileSystemPath"]
        assert path not in attached, f"a second association on {path} while the first was attached; {context}"
        attached[path] = entry["seq"]
    for associations in lifecycle_history["associations"]:
        invariants.invariant_04_no_duplicate_association(associations)
    invariants.invariant_11_no_duplicate_export_task(lifecycle_history["tasks"])
    invariants.invariant_01_no_association_deleted_with_its_data(audit)
    # One registration per artifact set: the registry holds each kind once, and every request to register a kind
    # was the same registration (same body), however often the re-runs asked.
    state = lifecycle_history["dewey_state"]
    invariants.invariant_25_no_duplicate_dewey_registration(state)
    assert state["artifact_sets"], f"nothing was registered with Dewey; {context}"
    bodies = {}
    for request in lifecycle_history["dewey_requests"]:
        if request["method"] == "POST" and request["path"].endswith("/register"):
            bodies.setdefault(request["path"], set()).add(request["body_sha256"])
    assert len(bodies) == len(state["artifact_sets"]), f"{sorted(bodies)} for {state['artifact_sets']}; {context}"
    different = {path: len(found) for path, found in bodies.items() if len(found) > 1}
    assert not different, f"different registrations of one artifact set: {different}; {context}"


def test_the_cluster_is_deleted_only_after_a_verified_receipt_and_leaves_a_deletion_receipt(lifecycle_history):
    account, audit = lifecycle_history["account"], lifecycle_history["audit"]
    destination = (
        f"{account.variables['export_s3_uri']}{account.variables['workflow_executing_entity']}/"
        f"{account.variables['workflow_analysis_id']}/"
    )
    verified = invariants.invariant_13_receipts_consistent_with_s3(
        account.aws("s3"), destination, account.work / "exports"
    )
    assert verified, f"no verified export receipt in {destination} (replay: {REPLAY})"
    analysis = f"{account.variables['workflow_executing_entity']}/{account.variables['workflow_analysis_id']}"
    invariants.invariant_24_cluster_deleted_only_after_verified_exports(audit, [analysis], [analysis])
    deleting = [
        entry
        for service, operation in invariants.CLUSTER_DELETING_CALLS
        for entry in successful(audit, operation)
        if entry["service"] == service
    ]
    assert deleting, "the final run did not delete the cluster"
    exported = [
        entry
        for entry in successful(audit, "CreateDataRepositoryTask")
        if entry["request"].get("Type") == "EXPORT_TO_REPOSITORY"
    ]
    assert exported and max(e["seq"] for e in exported) < min(e["seq"] for e in deleting), (
        "the cluster was deleted before (or without) its export"
    )
    deletion_receipts = sorted((account.work / "deletions").rglob("*.yaml"))
    assert deletion_receipts, f"no deletion receipt under {account.work / 'deletions'}"


# --- 3. a second run changes nothing -------------------------------------------------------------------------------
def test_a_second_run_before_delete_changes_nothing_in_any_task(lifecycle_history):
    run = lifecycle_history["second"]
    assert run.rc == 0, run.failures()
    changed = [
        f"{task['task']['name']} [{host}]"
        for play in run.report["plays"]
        for task in play["tasks"]
        for host, result in task["hosts"].items()
        if result.get("changed")
    ]
    assert not changed, f"the second run changed: {changed}"
    assert run.stats and run.changed_count() == 0, run.stats


# --- 4. through ansible-runner --------------------------------------------------------------------------------------
def test_through_ansible_runner_the_whole_lifecycle_ends_without_failure_with_every_phase_marked(lifecycle_history):
    job = lifecycle_history["job"]
    assert job.status == "successful" and job.rc == 0, job.failures()
    stats = job.stats
    assert not stats.get("failures") and not stats.get("dark"), stats
    marks = {event["event_data"].get("play") for event in job.of("playbook_on_play_start")}
    for phase in PHASES:
        for event in ("start", "end"):
            assert f"Lifecycle mark: {phase} {event}" in marks, f"no {phase} {event} mark in the job: {sorted(marks)}"
    marked = [
        event for event in job.of("runner_on_ok") if event["event_data"].get("task", "").startswith("Mark the time")
    ]
    assert len(marked) == 2 * len(PHASES), [event["event_data"]["task"] for event in marked]
    assert job.result("Write the run report")["report_path"].endswith("run_report.html")
