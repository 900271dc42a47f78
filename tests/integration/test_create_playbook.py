"""playbooks/create.yml (preflight, then the cluster role) against the sandbox and its pcluster: the cluster with its
FSx file system, startup association and headnode, the expiry tags on the headnode, the cluster's budget, the
reference data read on the headnode over SSM, the headnode and its expiry found by the pcluster inventory plugin; a
second run changes nothing and keeps the expiry; --check runs the real pcluster dry run and makes no mutating call.

Invariants guarded (reference/dayec_domain.md §12): 2 (one startup association, /references/ <- the reference URI),
14 (the headnode is reached through SSM Run Command), 22 (preflight runs first), 23 (the dry run before the create).
"""

import datetime

import pytest

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import cluster_ttl
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import pcluster
from sandbox.parallelcluster import seed_network
from testlib.clusters import SANDBOX_SOURCE
from testlib.clusters import inventory_list
from testlib.pcluster import STANDIN
from testlib.pcluster import require_pcluster_python
from testlib.playbooks import OPERATOR_PLAYBOOKS
from testlib.playbooks import run_playbook
from testlib.playbooks import ssm_inventory
from testlib.preflight import BUCKETS
from testlib.preflight import ROLE_URIS
from testlib.preflight import seed_account

pytestmark = pytest.mark.integration

PLAYBOOK = OPERATOR_PLAYBOOKS / "create.yml"
NAME = "dayec-create"
ROLE = "daylily.ephemeral_cluster.cluster : "
CREATE_TASK = ROLE + "Create the cluster after its dry run, or report how it drifted"
WAIT_TASK = ROLE + "Wait for the cluster (each poll prints its status)"
READY_TASK = ROLE + "Require the cluster created, with ParallelCluster's reasons when it failed"
BUDGET_TASK = ROLE + "Keep the cluster's budget on its cost-allocation tag"
REFERENCES_TASK = ROLE + "Wait until the reference data is visible on the headnode"
PREFLIGHT_TASK = (
    "daylily.ephemeral_cluster.preflight : "
    "Check the account, the buckets and the cluster config (read-only but for the write probe)"
)
# The sandbox headnode's "/" is <headnode root>/<instance id>/: its /fsx is known once the instance is.
SANDBOX_FSX = (
    "{{ lookup('env', 'DAYEC_SANDBOX_HEADNODE_ROOT') }}/{{ hostvars['headnode'].ansible_ssm_instance_id }}/fsx"
)


@pytest.fixture
def account(sandbox, aws):
    require_pcluster_python()
    seed_account(aws)
    return seed_network(aws("ec2"))


def play_vars(account, tmp_path, **extra):
    return dict(
        {
            "cluster_name": NAME,
            "cluster_inputs": {
                "headnode_subnet_id": account["public_subnet_id"],
                "compute_subnet_ids": [account["private_subnet_id"]],
                "queues": [{"name": "i192", "instance_types": ["m7i.48xlarge"], "max_count": 4}],
                "s3_writable_buckets": [BUCKETS["export"]],
            },
            **ROLE_URIS,
            "preflight_output_dir": str(tmp_path / "reports"),
            "pass_on_warn": True,  # the sandbox has no service quotas to read
            "cluster_ttl_hours": 10,
            "cluster_pcluster_command": STANDIN,
            "cluster_poll_interval": 1,
            "cluster_wait_timeout": 120,
            "cluster_budget_limit_usd": 100,
            "cluster_budget_emails": ["ops@example.org"],
            "cluster_require_mountpoint": False,  # the sandbox's /fsx is a symlink to a directory
            "cluster_reference_poll_interval": 1,
            "headnode_ssm_poll_interval": 1,
            "fsx_mount_point": SANDBOX_FSX,
        },
        **extra,
    )


def inventory(tmp_path):
    """localhost, and the headnode's ssm connection settings for the sandbox (no sudo, fast polls); create.yml sets
    its instance id and region with add_host."""
    return ssm_inventory(tmp_path, {"headnode_instance_id": "i-00000000000000000", "region": "us-west-2"})


def tags(resource):
    return {tag["Key"]: tag["Value"] for tag in resource.get("Tags", [])}


def test_create_twice_builds_the_cluster_once_and_keeps_its_expiry(sandbox, aws, account, tmp_path, node_tmp):
    started = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    first = run_playbook(PLAYBOOK, play_vars(account, tmp_path), inventory=inventory(tmp_path))
    assert first.rc == 0, first.failures()
    created = first.result(CREATE_TASK)
    assert created["changed"] is True
    assert created["dry_run"]["message"] == pcluster.DRY_RUN_SUCCESS
    ready = first.result(READY_TASK)
    assert ready["cluster"]["cluster_status"] == "CREATE_COMPLETE" and ready["changed"] is False
    # the wait polled describe-cluster until the create settled (the progress callback prints this line at each poll)
    waited = first.result(WAIT_TASK)
    assert waited["settled"] is True
    assert waited["progress"] == f"cluster {NAME} CREATE_COMPLETE (stack CREATE_COMPLETE)"
    expires = cluster_ttl.parse_expires_at(created["expires_at"])
    assert started + datetime.timedelta(hours=10) <= expires <= started + datetime.timedelta(hours=10, minutes=10)
    assert first.result(PREFLIGHT_TASK)["summary"]["FAIL"] == 0

    # what a real cluster has: its stack, its file system with the one startup association, its headnode
    assert aws("cloudformation").describe_stacks(StackName=NAME)["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    (file_system,) = aws("fsx").describe_file_systems()["FileSystems"]
    assert tags(file_system)["parallelcluster:cluster-name"] == NAME
    associations = aws("fsx").describe_data_repository_associations()["Associations"]
    assert [(a["FileSystemPath"], a["DataRepositoryPath"], a["Lifecycle"]) for a in associations] == [
        ("/references/", ROLE_URIS["reference_s3_uri"], "AVAILABLE")
    ]
    headnode = ready["headnode_connection"]["ansible_ssm_instance_id"]
    instance = aws("ec2").describe_instances(InstanceIds=[headnode])["Reservations"][0]["Instances"][0]
    assert tags(instance)["parallelcluster:node-type"] == "HeadNode"
    assert tags(instance)[pcluster.EXPIRES_AT_TAG] == created["expires_at"]
    assert tags(instance)[pcluster.TTL_HOURS_TAG] == "10"

    # the inventory plugin (what reap.yml reads) finds the headnode and its expiry
    found = inventory_list(SANDBOX_SOURCE)["_meta"]["hostvars"][NAME]
    assert found["ansible_ssm_instance_id"] == headnode
    assert (found["daylily_expires_at"], found["daylily_ttl_status"]) == (created["expires_at"], "live")

    # the reference data, read on the headnode through SSM Run Command
    references = first.result(REFERENCES_TASK)
    assert references["ready"] is True
    marker = next(c for c in references["checks"] if c["id"] == "file:references/s3_reference_data_version.info")
    assert marker["status"] == "PASS"
    assert any(call["request"]["InstanceIds"] == [headnode] for call in sandbox.calls("SendCommand", "ssm"))

    account_id = aws("sts").get_caller_identity()["Account"]
    assert created["budget_name"] == "daylily-" + NAME  # the name the teardown role deletes
    budget = aws("budgets").describe_budget(AccountId=account_id, BudgetName=created["budget_name"])["Budget"]
    assert budget["CostFilters"] == {"TagKeyValue": ["user:aws-parallelcluster-clustername$" + NAME]}
    assert budget["BudgetLimit"]["Amount"] == "100.00"

    second = run_playbook(PLAYBOOK, play_vars(account, tmp_path), inventory=inventory(tmp_path))
    assert second.rc == 0, second.failures()
    assert second.changed_count() == 0, second.stats
    again = second.result(CREATE_TASK)
    assert again["expires_at"] == created["expires_at"] and again["config_drift"] == []
    assert second.result(BUDGET_TASK)["changed"] is False
    assert len(aws("fsx").describe_file_systems()["FileSystems"]) == 1


def test_check_mode_runs_the_real_dry_run_and_changes_nothing(sandbox, aws, account, tmp_path):
    sandbox.clear_audit()
    run = run_playbook(PLAYBOOK, play_vars(account, tmp_path), check=True, inventory=inventory(tmp_path))
    assert run.rc == 0, run.failures()
    planned = run.result(CREATE_TASK)
    assert planned["changed"] is True and planned["dry_run"]["message"] == pcluster.DRY_RUN_SUCCESS
    assert planned["headnode_connection"] == {}
    assert sandbox.mutating_calls() == []
    # ParallelCluster's own dry run read the network it would create the cluster in
    assert sandbox.calls("DescribeSubnets", "ec2")
    assert aws("cloudformation").describe_stacks()["Stacks"] == []
    assert run.result(BUDGET_TASK)["changed"] is True


def test_a_failing_preflight_stops_before_pcluster_runs(sandbox, aws, account, tmp_path):
    run = run_playbook(
        PLAYBOOK, play_vars(account, tmp_path, export_s3_uri=ROLE_URIS["stage_s3_uri"]), inventory=inventory(tmp_path)
    )
    assert run.rc != 0
    assert run.result(PREFLIGHT_TASK)["failed"] is True
    assert not any(task["task"]["name"] == CREATE_TASK for play in run.report["plays"] for task in play["tasks"])
    assert sandbox.calls("CreateStack") == []
