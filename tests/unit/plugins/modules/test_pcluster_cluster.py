"""pcluster_cluster's decisions on the CLI's answers: fail fast on CREATE_FAILED/ROLLBACK_* with ParallelCluster's
reasons, waits that end, drift paths, snake_case views. The CLI is a scripted stand-in that answers with the shapes
of pcluster 3.16.1 (the sandbox's real-shaped stand-in is exercised in tests/integration/test_pcluster_cluster.py)."""

import json
import sys

import pytest

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import pcluster
from ansible_collections.daylily.ephemeral_cluster.plugins.modules import pcluster_cluster
from testlib.modules import execute_module

FAILED = {
    "clusterName": "dayec-fail",
    "clusterStatus": "CREATE_FAILED",
    "cloudFormationStackStatus": "ROLLBACK_IN_PROGRESS",
    "failures": [
        {
            "failureCode": "HeadNodeBootstrapFailure",
            "failureReason": "Cluster creation failed because the head node bootstrap failed.",
        }
    ],
}
SCRIPTED_CLI = """#!{python}
import json, os, sys
state = {state!r}
args = sys.argv[1:]
with open(state + ".log", "a") as log:
    log.write(" ".join(args) + "\\n")
if args[0] == "create-cluster" and "--dryrun" in args:
    print(json.dumps({{"message": "Request would have succeeded, but DryRun flag is set."}})); sys.exit(1)
if args[0] == "create-cluster":
    open(state, "w").close()
    print(json.dumps({{"cluster": {{"clusterName": "dayec-fail", "clusterStatus": "CREATE_IN_PROGRESS"}}}})); sys.exit(0)
if args[0] == "describe-cluster" and os.path.exists(state):
    print(json.dumps({failed})); sys.exit(0)
print(json.dumps({{"message": "Cluster 'dayec-fail' does not exist or belongs to an incompatible ParallelCluster "
                              "major version."}}))
sys.exit(1)
"""


@pytest.fixture
def scripted_cli(tmp_path):
    path = tmp_path / "pcluster"
    path.write_text(SCRIPTED_CLI.format(python=sys.executable, state=str(tmp_path / "created"), failed=FAILED))
    path.chmod(0o755)
    return path


def test_create_fails_fast_on_create_failed_with_parallelclusters_reasons(capsys, scripted_cli, tmp_path):
    args = {
        "name": "dayec-fail",
        "pcluster_command": str(scripted_cli),
        "poll_interval": 30,
        "wait_timeout": 3600,
        "cluster_config": {
            "region": "us-west-2",
            "headnode_subnet_id": "subnet-0123456789abcdef0",
            "compute_subnet_ids": ["subnet-0123456789abcdef1"],
            "reference_s3_uri": "s3://refs/",
        },
    }
    rc, result = execute_module(capsys, pcluster_cluster.main, args)
    assert rc == 1
    assert result["msg"] == (
        "Cluster dayec-fail create failed: HeadNodeBootstrapFailure: Cluster creation failed "
        "because the head node bootstrap failed."
    )
    assert result["cluster"]["cloud_formation_stack_status"] == "ROLLBACK_IN_PROGRESS"
    calls = [
        line.split()[0] + (" --dryrun" if "--dryrun" in line else "")
        for line in (tmp_path / "created.log").read_text().splitlines()
    ]
    # dry run before create, and no second describe: a failed status ends the wait at once
    assert calls == ["describe-cluster", "create-cluster --dryrun", "create-cluster", "describe-cluster"]


@pytest.mark.parametrize(
    "described, expected",
    [
        ({"clusterStatus": "CREATE_FAILED", "cloudFormationStackStatus": "CREATE_FAILED"}, True),
        ({"clusterStatus": "CREATE_IN_PROGRESS", "cloudFormationStackStatus": "ROLLBACK_IN_PROGRESS"}, True),
        ({"clusterStatus": "DELETE_FAILED", "cloudFormationStackStatus": "DELETE_FAILED"}, True),
        ({"clusterStatus": "CREATE_IN_PROGRESS", "cloudFormationStackStatus": "CREATE_IN_PROGRESS"}, False),
        ({"clusterStatus": "CREATE_COMPLETE", "cloudFormationStackStatus": "CREATE_COMPLETE"}, False),
    ],
)
def test_failed_statuses(described, expected):
    assert pcluster.failed(described) is expected


def test_failure_reasons_fall_back_to_the_statuses():
    assert pcluster.failure_reasons(
        {"clusterStatus": "CREATE_FAILED", "cloudFormationStackStatus": "CREATE_FAILED"}
    ) == ["cluster status CREATE_FAILED, stack status CREATE_FAILED"]


def test_a_wait_ends_at_its_timeout_with_the_last_status():
    now = [0.0]
    answers = iter([{"clusterStatus": "CREATE_IN_PROGRESS"}] * 5)
    with pytest.raises(pcluster.WaitTimeout) as raised:
        pcluster.wait_for(
            lambda: next(answers),
            lambda a: False,
            timeout=60,
            interval=30,
            sleep=lambda s: now.__setitem__(0, now[0] + s),
            clock=lambda: now[0],
        )
    assert raised.value.message == "still CREATE_IN_PROGRESS after 60 seconds"


def test_drift_paths_and_views():
    running = {"HeadNode": {"InstanceType": "r7i.2xlarge"}, "Tags": [{"Key": "a", "Value": "1"}]}
    desired = {"HeadNode": {"InstanceType": "r7i.4xlarge"}, "Tags": [{"Key": "a", "Value": "2"}], "Region": "x"}
    assert pcluster.config_drift(running, desired) == ["HeadNode.InstanceType", "Region", "Tags[0].Value"]
    view = pcluster.cluster_view(
        {
            "clusterName": "c",
            "headNode": {"instanceId": "i-1"},
            "tags": [{"key": "k", "value": "v"}],
            "failures": [{"failureCode": "X"}],
        }
    )
    assert view == {
        "cluster_name": "c",
        "head_node": {"instance_id": "i-1"},
        "tags": {"k": "v"},
        "failures": [{"failure_code": "X"}],
    }
    assert json.dumps(view)
