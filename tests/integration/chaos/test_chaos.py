"""Chaos runs (issue 15): for each seed, random faults across the operator playbooks, then a clean re-run.

The pipeline is what an operator runs for one analysis today: mount a run folder (mount_run.yml), export the analysis
(export.yml, the headnode reached over SSM Run Command) and register it with Dewey (register.yml). After the faulted
pass and after the clean re-run the safety invariants of dayec_domain.md §12 are checked (testlib/invariants.py);
the clean re-run must converge: every step succeeds, one verified export, one registration, no export DRA left.

    CHAOS_SEEDS=50 pytest -n 2 tests/integration/chaos     (make chaos; make test runs the first 5 seeds)
    CHAOS_SEED=17 pytest -q tests/integration/chaos        (replay one seed, as a failure prints it)
"""

import os

import pytest

from testlib import dewey as dewey_testlib
from testlib import invariants
from testlib.chaos import Step
from testlib.chaos import disarm
from testlib.chaos import inject
from testlib.chaos import kill_after
from testlib.chaos import operator_playbook
from testlib.chaos import plan_scenario
from testlib.chaos import run_step
from testlib.chaos import seed_failure
from testlib.playbooks import ssm_inventory

ENTITY, ANALYSIS = "chaos", "an-0001"
RUN_ID = "230101_A0001_0001_AH2"
COMMAND = "ilmn_germline_wgs_align_qc"
THIS_FILE = "tests/integration/chaos/test_chaos.py"


def seeds():
    if os.environ.get("CHAOS_SEED"):
        return [int(os.environ["CHAOS_SEED"])]
    return list(range(1, int(os.environ.get("CHAOS_SEEDS", "5")) + 1))


dewey_stub_server = dewey_testlib.dewey_stub_server  # fixtures
dewey = dewey_testlib.dewey_stub


def destination(cluster):
    return f"s3://{cluster['buckets'][1]}/derived/{ENTITY}/{ANALYSIS}/"


def prepare(aws, cluster):
    """A finished DayOA analysis on FSx (its evidence manifest by DayOA's own writer) and a run folder in S3."""
    dewey_testlib.write_toy_analysis(
        os.path.join(cluster["fsx_mount"], "analysis_results", ENTITY, ANALYSIS, "daylily-omics-analysis")
    )
    s3 = aws("s3")
    for name, body in {"RunInfo.xml": b"<RunInfo Version='6'/>\n", "SampleSheet.csv": b"[Header]\nx\n"}.items():
        s3.put_object(Bucket=cluster["buckets"][2], Key=f"{RUN_ID}/{name}", Body=body)


def pipeline(cluster, dewey, tmp_path):
    inventory = str(ssm_inventory(tmp_path, cluster, ansible_ssm_retries=2))
    common = {"cluster_name": cluster["cluster_name"], "fsx_mount_point": cluster["fsx_mount"]}
    return [
        Step(
            "mount",
            operator_playbook("mount_run.yml"),
            dict(
                common,
                run_mount_s3_uri=f"s3://{cluster['buckets'][2]}/{RUN_ID}/",
                run_mount_poll_interval=1,
                run_mount_wait_timeout=30,
            ),
            inventory,
        ),
        Step(
            "export",
            operator_playbook("export.yml"),
            dict(
                common,
                export_executing_entity=ENTITY,
                export_analysis_id=ANALYSIS,
                export_destination_s3_uri=destination(cluster),
                export_output_dir=str(tmp_path / "exports"),
                export_poll_interval=1,
                export_wait_timeout=60,
            ),
            inventory,
        ),
        Step(
            "register",
            operator_playbook("register.yml"),
            {
                "dewey_url": dewey.url,
                "dewey_command_id": COMMAND,
                "dewey_destination_s3_uri": destination(cluster),
                "dewey_token_env": dewey_testlib.TOKEN_ENV,
                "dewey_output_dir": str(tmp_path / "dewey"),
            },
        ),
    ]


class World:
    """What the invariants compare: S3 and FSx before the scenario, and the sandbox, Dewey and receipts now."""

    def __init__(self, aws, sandbox, dewey, cluster, tmp_path):
        self.aws, self.sandbox, self.dewey, self.cluster, self.tmp_path = aws, sandbox, dewey, cluster, tmp_path
        self.s3_before = invariants.s3_snapshot(aws("s3"))
        self.fsx_before = invariants.fsx_snapshot(cluster["fsx_mount"])

    def check_invariants(self, ended=True):
        """Every §12 invariant the pipeline touches; `ended` is False after a killed run (it may leave an export DRA
        attached, which the next run must detach)."""
        s3, fsx, audit = self.aws("s3"), self.aws("fsx"), self.sandbox.audit()
        s3_now = invariants.s3_snapshot(s3)
        invariants.invariant_01_no_s3_object_deleted_or_overwritten(self.s3_before, s3_now, audit)
        invariants.invariant_01_no_association_deleted_with_its_data(audit)
        verified = invariants.invariant_13_receipts_consistent_with_s3(
            s3, destination(self.cluster), self.tmp_path / "exports"
        )
        verified_analyses = {f"{ENTITY}/{ANALYSIS}"} if verified else set()
        fsx_now = invariants.fsx_snapshot(self.cluster["fsx_mount"])
        invariants.invariant_01_analysis_data_on_fsx_intact_until_verified_export(
            self.fsx_before, fsx_now, verified_analyses
        )
        associations = invariants.all_associations(fsx, self.cluster["file_system_id"])
        invariants.invariant_04_no_duplicate_association(associations)
        if ended:
            invariants.invariant_12_no_export_association_left(associations)
        invariants.invariant_11_no_duplicate_export_task(invariants.all_tasks(fsx, self.cluster["file_system_id"]))
        invariants.invariant_25_no_duplicate_dewey_registration(self.dewey.state())
        invariants.invariant_24_cluster_deleted_only_after_verified_exports(
            audit, invariants.analyses_of(self.fsx_before), verified_analyses
        )
        self.s3_before = s3_now  # later passes must keep what this one wrote
        return verified

    def check_converged(self, verified):
        """The clean re-run's end state: one verified export, both artifact sets registered, the run mounted once."""
        assert verified, "no verified export receipt after the clean re-run"
        kinds = sorted(found["kind"] for found in self.dewey.state()["artifact_sets"].values())
        assert kinds == ["analysis_artifact_set", "multiqc_artifact_set"], kinds
        mounts = [
            a
            for a in invariants.all_associations(self.aws("fsx"), self.cluster["file_system_id"])
            if a["FileSystemPath"].rstrip("/") == f"/run_dir_mounts/{RUN_ID}" and a["Lifecycle"] == "AVAILABLE"
        ]
        assert len(mounts) == 1, mounts


@pytest.mark.parametrize("seed", seeds())
def test_chaos_seed_keeps_every_invariant_and_the_clean_rerun_converges(
    seed, sandbox, aws, cluster, dewey, tmp_path, node_tmp
):
    prepare(aws, cluster)
    steps = pipeline(cluster, dewey, tmp_path)
    scenario = plan_scenario(seed, [step.name for step in steps])
    world = World(aws, sandbox, dewey, cluster, tmp_path)
    sandbox.clear_audit()
    log = []
    try:
        for index, step in enumerate(steps):
            for fault in (fault for fault in scenario.faults if fault["step"] == step.name):
                inject(fault, sandbox, dewey, cluster)
            if scenario.kill and scenario.kill[0] == index:
                rc = kill_after(step, scenario.kill[1], tmp_path / f"killed-{step.name}.log")
                log.append(f"faulted {step.name}: killed after {scenario.kill[1]}s (rc {rc})")
                break
            run = run_step(step)
            log.append(f"faulted {step.name}: rc {run.rc} {run.failures() if run.rc else ''}".strip())
            if run.rc != 0:
                break
        disarm(sandbox, dewey, cluster)
        killed = bool(scenario.kill) and log[-1].startswith(f"faulted {steps[scenario.kill[0]].name}: killed")
        world.check_invariants(ended=not killed)

        for step in steps:
            run = run_step(step)
            log.append(f"clean {step.name}: rc {run.rc}")
            assert run.rc == 0, f"the clean re-run did not converge at {step.name}: {run.failures()}"
        world.check_converged(world.check_invariants())
        print(f"chaos seed {seed}: {scenario.describe()}\n  " + "\n  ".join(log))  # shown with pytest -rP
    except Exception as exc:  # pylint: disable=broad-exception-caught  # any failure prints how to replay the seed
        raise AssertionError(seed_failure(seed, scenario, log, THIS_FILE, exc)) from exc
