"""pcluster_cluster against the sandbox's pcluster: the dry run first, create and wait, idempotence with drift in the
diff, check mode that only dry-runs, delete and wait until gone, and input problems before any pcluster call."""

import pytest

from ansible_collections.daylily.ephemeral_cluster.plugins.modules import pcluster_cluster
from ansible_collections.daylily.ephemeral_cluster.plugins.modules import pcluster_cluster_info
from testlib.modules import execute_module
from testlib.pcluster import REFERENCE_BUCKET
from testlib.pcluster import STANDIN
from testlib.pcluster import require_pcluster_python
from testlib.pcluster import seed_account


@pytest.fixture
def account(sandbox):
    require_pcluster_python()
    return seed_account()


def _args(account, name="dayec-mod", **extra):
    config = {
        "headnode_subnet_id": account["public_subnet_id"],
        "compute_subnet_ids": [account["private_subnet_id"]],
        "reference_s3_uri": f"s3://{REFERENCE_BUCKET}/",
        "region": "us-west-2",
    }
    config.update(extra.pop("cluster_config", {}))
    args = {"name": name, "cluster_config": config, "pcluster_command": STANDIN, "poll_interval": 1, "wait_timeout": 60}
    args.update(extra)
    return args


def test_check_mode_runs_only_the_dry_run(capsys, sandbox, account):
    sandbox.clear_audit()
    rc, result = execute_module(capsys, pcluster_cluster.main, _args(account), check_mode=True)
    assert rc == 0 and result["changed"] is True, result
    assert result["dry_run"]["message"] == "Request would have succeeded, but DryRun flag is set."
    assert sandbox.mutating_calls() == []


def test_present_creates_waits_and_is_idempotent_with_drift_in_the_diff(capsys, sandbox, account, aws):
    rc, created = execute_module(capsys, pcluster_cluster.main, _args(account), diff=True)
    assert rc == 0 and created["changed"] is True, created
    assert created["cluster"]["cluster_status"] == "CREATE_COMPLETE"
    assert created["cluster"]["head_node"]["state"] == "running"
    assert created["cluster"]["tags"]["aws-parallelcluster-clustername"] == "dayec-mod"
    assert created["dry_run"]["message"] == "Request would have succeeded, but DryRun flag is set."

    rc, again = execute_module(capsys, pcluster_cluster.main, _args(account), diff=True)
    assert rc == 0 and again["changed"] is False and again["config_drift"] == [] and "diff" not in again

    rc, info = execute_module(capsys, pcluster_cluster_info.main, {"name": "dayec-mod", "pcluster_command": STANDIN})
    (cluster,) = info["clusters"]
    assert cluster["cluster_status"] == "CREATE_COMPLETE" and info["changed"] is False
    assert [(i["instance_id"], i["node_type"]) for i in cluster["instances"]] == [
        (created["cluster"]["head_node"]["instance_id"], "HeadNode")
    ]
    rc, listed = execute_module(capsys, pcluster_cluster_info.main, {"pcluster_command": STANDIN})
    assert [c["cluster_name"] for c in listed["clusters"]] == ["dayec-mod"]
    rc, missing = execute_module(
        capsys, pcluster_cluster_info.main, {"name": "dayec-none", "pcluster_command": STANDIN}
    )
    assert rc == 0 and missing["clusters"] == []

    bigger = _args(account, cluster_config={"fsx_storage_capacity": 2400, "headnode_instance_type": "r7i.4xlarge"})
    sandbox.clear_audit()
    rc, drifted = execute_module(capsys, pcluster_cluster.main, bigger, diff=True)
    assert rc == 0 and drifted["changed"] is False
    assert drifted["config_drift"] == ["HeadNode.InstanceType", "SharedStorage[0].FsxLustreSettings.StorageCapacity"]
    assert drifted["diff"]["before"]["HeadNode"]["InstanceType"] == "r7i.2xlarge"
    assert drifted["diff"]["after"]["HeadNode"]["InstanceType"] == "r7i.4xlarge"
    assert sandbox.mutating_calls() == []


def test_a_failing_dry_run_stops_before_the_create(capsys, sandbox, account):
    args = _args(account, cluster_config={"headnode_subnet_id": "subnet-00000000000000000"})
    rc, result = execute_module(capsys, pcluster_cluster.main, args)
    assert rc == 1 and result["msg"].startswith("The pcluster dry run of dayec-mod did not pass: ")
    assert "subnet-00000000000000000" in str(result["dry_run"])
    assert sandbox.calls("CreateStack") == []


def test_waits_through_in_progress_statuses_and_absent_deletes_until_gone(capsys, sandbox, account, aws):
    sandbox.slow_lifecycle("pcluster::cluster", times=3)  # each phase lasts three describes
    sandbox.clear_audit()
    rc, created = execute_module(capsys, pcluster_cluster.main, _args(account))
    assert rc == 0 and created["cluster"]["cluster_status"] == "CREATE_COMPLETE", created
    assert len(sandbox.calls("DescribeStacks")) >= 4  # polled while CREATE_IN_PROGRESS
    rc, checked = execute_module(capsys, pcluster_cluster.main, _args(account, state="absent"), check_mode=True)
    assert rc == 0 and checked["changed"] is True
    assert aws("cloudformation").describe_stacks(StackName="dayec-mod")["Stacks"]
    rc, deleted = execute_module(capsys, pcluster_cluster.main, _args(account, state="absent"))
    assert rc == 0 and deleted["changed"] is True and deleted["cluster"] == {}
    assert aws("fsx").describe_file_systems()["FileSystems"] == []
    rc, again = execute_module(capsys, pcluster_cluster.main, _args(account, state="absent"))
    assert rc == 0 and again["changed"] is False


def test_every_input_problem_is_reported_before_pcluster_runs(capsys, tmp_path):
    args = {
        "name": "x",
        "pcluster_command": str(tmp_path / "no-pcluster-here"),
        "cluster_config": {
            "region": "us-west-2",
            "headnode_subnet_id": "subnet-0123456789abcdef0",
            "compute_subnet_ids": ["subnet-0123456789abcdef1"],
            "reference_s3_uri": "s3://refs/",
            "fsx_storage_capacity": 3000,
            "headnode_instance_type": "t3.micro",
        },
    }
    rc, result = execute_module(capsys, pcluster_cluster.main, args)
    assert rc == 1
    assert result["problems"] == [
        "cluster_name: 'x' has 1 characters; expected 5 to 25 characters",
        "headnode_instance_type: is 't3.micro'; expected one of r7i.2xlarge, r7i.4xlarge, r7i.8xlarge, r7i.16xlarge",
        "fsx_storage_capacity: 3000 GiB is not a size FSx for Lustre offers; expected 1200, 2400 or a multiple of "
        "2400 (4800, 7200, ...)",
    ]
