"""Least-privilege IAM (issue 14): every operator playbook, run once on the sandbox in the order of a lifecycle, may
use only the AWS actions its committed policy (catalog/iam/<playbook>.json) grants. The playbooks that attach an
association (mount_run, stage_samples) run first with it going MISCONFIGURED and then again, recovering it.

The sandbox's audit log of each run is turned into IAM actions by tests/tools/iam_policies.py (the generator), so a
playbook that starts calling something new fails here, naming the playbook, the action and the command that
regenerates the policies:

    DAYEC_IAM_REGENERATE=1 pytest -q tests/integration/test_iam_policies.py
"""

import os

import pytest
from tools import iam_policies

from testlib.clusters import sandbox_inventory
from testlib.lifecycle import LifecycleAccount
from testlib.pcluster import require_pcluster_python
from testlib.playbooks import OPERATOR_PLAYBOOKS
from testlib.playbooks import run_playbook

pytestmark = pytest.mark.integration

REGENERATE = iam_policies.REGENERATE
RUN_ID = "230101_A0001"
ROLES = ("reference", "control", "stage", "export")
# The operator playbooks playbooks/lifecycle.yml runs as its steps.
LIFECYCLE_STEPS = ("preflight", "create", "stage_samples", "launch", "export", "register", "delete")
STAGE_TASK = "daylily.ephemeral_cluster.samples : Check every source in S3, then stage the samples (all or nothing)"


def fact(run, name):
    """The last value a task of the run set for the fact ``name``."""
    found = None
    for play in run.report.get("plays", []):
        for task in play.get("tasks", []):
            for result in task["hosts"].values():
                found = result.get("ansible_facts", {}).get(name, found)
    assert found is not None, f"no task set {name}: {run.failures()}"
    return found


class Recorder:
    """Runs operator playbooks in a lifecycle account and keeps the audit log of each."""

    def __init__(self, account, inventory):
        self.account, self.inventory = account, inventory
        self.audits = {}

    def run(self, playbook, extra=None, tags=None, failing=False):
        """``playbooks/<playbook>.yml`` with the lifecycle variables and ``extra`` (only the plays tagged ``tags``);
        its audit log added to the playbook's. It must succeed unless ``failing``: the calls of a run that fails
        need their permissions too."""
        control = self.account.control
        control.clear_audit()
        env = dict(self.account.environment, **({"ANSIBLE_RUN_TAGS": tags} if tags else {}))
        run = run_playbook(
            str(OPERATOR_PLAYBOOKS / f"{playbook}.yml"),
            dict(self.account.variables, **(extra or {})),
            env=env,
            inventory=self.inventory,
        )
        self.audits.setdefault(playbook, []).extend(control.audit())
        if not failing:
            assert run.rc == 0, f"{playbook}.yml (rc={run.rc}): {run.failures()}"
        return run

    def recovered(self, playbook, extra, resume=lambda run: {}):
        """``playbooks/<playbook>.yml`` whose new association goes MISCONFIGURED (the sandbox's injected outcome: the
        run fails, keeping it), then re-run (with what ``resume`` takes from the failed run) once the cause is gone:
        the re-run recovers the association (UpdateDataRepositoryAssociation, its import-pending tag, the import
        task), so the playbook's policy covers the recovery as well as the first attach."""
        self.account.control.inject_fsx_outcome(association_lifecycle="MISCONFIGURED", count=1)
        failed = self.run(playbook, extra, failing=True)
        assert failed.rc != 0 and "MISCONFIGURED" in failed.failures(), failed.failures()
        rerun = self.run(playbook, dict(extra, **resume(failed)))
        recovery = [entry["operation"] for entry in self.audits[playbook] if entry["service"] == "fsx"]
        assert {"UpdateDataRepositoryAssociation", "CreateDataRepositoryTask"} <= set(recovery), recovery
        return rerun


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """Every operator playbook once, in lifecycle order, in a lifecycle account of its own (seeded as `make demo`
    seeds it): {"audits": {playbook: [audit entry]}, "bucket_roles": {bucket: role}}. The "lifecycle" audit holds its
    own plays (the wait, the run report); its policy adds those of its steps."""
    require_pcluster_python()
    work = tmp_path_factory.mktemp("iam")
    account = LifecycleAccount(work / "account")
    variables = account.start()
    try:
        recorder = Recorder(account, sandbox_inventory(work))
        on_headnode = {"target_headnode": variables["cluster_name"]}
        entity, analysis = variables["workflow_executing_entity"], variables["workflow_analysis_id"]
        destination = f"{variables['export_s3_uri']}{entity}/{analysis}/"
        bucket_roles = {variables[f"{role}_s3_uri"].split("/")[2]: role for role in ROLES}

        recorder.run("preflight")
        recorder.run("create", on_headnode)
        staged = recorder.recovered(
            "stage_samples",
            dict(
                on_headnode,
                command_id=variables["workflow_command_id"],
                control_data_s3_uri=variables["control_s3_uri"],
            ),
            resume=lambda failed: {"stage_name": failed.result(STAGE_TASK)["stage_name"]},
        )
        stage_dir = fact(staged, "samples_stage_dir")
        recorder.run(
            "launch",
            dict(on_headnode, workflow_stage_dir=stage_dir, workflow_wait=False, workflow_export_trigger="none"),
        )
        lifecycle_only = {"samples_stage_dir": stage_dir}  # what its stage play sets for the plays after it
        recorder.run("lifecycle", lifecycle_only, tags="wait")
        recorder.run("workflow_status", dict(on_headnode, workflow_session_name=analysis))
        recorder.run("fsx_status")
        recorder.run("headnode", on_headnode)
        recorder.run(
            "export",
            dict(
                on_headnode,
                export_executing_entity=entity,
                export_analysis_id=analysis,
                export_destination_s3_uri=destination,
                export_checksum=True,
            ),
        )
        recorder.run(
            "register", dict(dewey_command_id=variables["workflow_command_id"], dewey_destination_s3_uri=destination)
        )
        stage_bucket = variables["stage_s3_uri"].split("/")[2]
        account.aws("s3").put_object(Bucket=stage_bucket, Key=f"runs/{RUN_ID}/RunInfo.xml", Body=b"<RunInfo/>")
        mount = dict(on_headnode, run_mount_poll_interval=1)
        recorder.recovered("mount_run", dict(mount, run_mount_s3_uri=f"s3://{stage_bucket}/runs/{RUN_ID}/"))
        recorder.run("mount_run", dict(mount, run_mount_id=RUN_ID, run_mount_state="absent"))
        recorder.run("delete", on_headnode)
        recorder.run("lifecycle", lifecycle_only, tags="report")
        recorder.run("reap")
    finally:
        account.stop()
    audits = recorder.audits
    for step in LIFECYCLE_STEPS:
        audits["lifecycle"] += audits[step]
    # The scenario's one cluster is deleted by delete.yml, so reap.yml finds none expired: each expired cluster it
    # deletes goes through delete.yml's role (playbooks/tasks/reap_cluster.yml), whose calls it therefore makes too.
    audits["reap"] += audits["delete"]
    return {"audits": audits, "bucket_roles": bucket_roles}


def test_every_operator_playbook_uses_only_what_its_committed_policy_grants(recorded):
    roles = recorded["bucket_roles"]
    generated = {
        playbook: iam_policies.policy(iam_policies.operator_actions(audit), iam_policies.s3_access(audit, roles))
        for playbook, audit in recorded["audits"].items()
    }
    assert sorted(generated) == sorted(path.stem for path in OPERATOR_PLAYBOOKS.glob("*.yml"))
    if os.environ.get("DAYEC_IAM_REGENERATE"):
        iam_policies.write_policies(generated)
    missing = iam_policies.missing_grants(generated)
    assert not missing, "\n".join(missing) + f"\nReview the change, then regenerate the policies: {REGENERATE}"


def test_the_recorded_runs_used_each_service_the_playbooks_need(recorded):
    """The scenario really ran them: the lifecycle created and exported through FSx, wrote to S3, ran commands on
    the head node and made the cluster's budget; reap.yml read the clusters."""
    actions = iam_policies.operator_actions(recorded["audits"]["lifecycle"])
    for action in ("fsx:CreateDataRepositoryTask", "s3:PutObject", "ssm:SendCommand", "budgets:ModifyBudget"):
        assert action in actions, sorted(actions)
    assert "ec2:DescribeInstances" in iam_policies.operator_actions(recorded["audits"]["reap"])
