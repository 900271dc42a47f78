"""inventories/aws, the example for a real account, through real ansible-playbook runs against the sandbox: the headnode
is reached with the daylily.ephemeral_cluster.ssm connection exactly as the inventory sets it up, with only what the
sandbox must differ in given on the command line (the instance id placeholder, no sudo, the local Python)."""

import sys

import pytest

from testlib.playbooks import REPO
from testlib.playbooks import run_playbook

pytestmark = pytest.mark.integration

INVENTORY = REPO / "inventories" / "aws"
PLAYBOOK = "connection_ssm_faults.yml"  # a module task (ping) and a raw command on the host `headnode`


def sandbox_overrides(cluster, **extra):
    overrides = {
        "ansible_ssm_instance_id": cluster["headnode_instance_id"],
        "ansible_ssm_run_as": "",
        "ansible_python_interpreter": sys.executable,
        "ansible_ssm_poll_interval": 0.05,
    }
    overrides.update(extra)
    return overrides


def ssm_calls(sandbox, operation):
    return [e for e in sandbox.audit() if e["service"] == "ssm" and e["operation"] == operation]


@pytest.mark.parametrize("with_bucket", [False, True])
def test_defect_17_the_aws_inventory_reaches_the_headnode_through_the_ssm_connection(
    sandbox, cluster, node_tmp, with_bucket
):
    extra = {"ansible_ssm_bucket_name": cluster["buckets"][2]} if with_bucket else {}
    sandbox.clear_audit()
    run = run_playbook(PLAYBOOK, sandbox_overrides(cluster, **extra), inventory=INVENTORY)
    assert run.rc == 0, run.failures()
    assert run.result("Ping")["ping"] == "pong"
    assert run.result("Raw")["stdout"] == "raw-ok\n"
    sends = ssm_calls(sandbox, "SendCommand")
    assert sends and all(e["request"]["InstanceIds"] == [cluster["headnode_instance_id"]] for e in sends)
    assert all(("OutputS3BucketName" in e["request"]) == with_bucket for e in sends)


def test_defect_17_the_instance_id_placeholder_fails_before_any_aws_call(sandbox, cluster, node_tmp):
    overrides = sandbox_overrides(cluster)
    del overrides["ansible_ssm_instance_id"]
    sandbox.clear_audit()
    run = run_playbook(PLAYBOOK, overrides, inventory=INVENTORY)
    assert run.rc != 0
    result = run.result("Ping")
    assert result.get("unreachable") is True
    assert "'REPLACE-with-the-headnode-instance-id' is not an EC2 instance id" in result["msg"], result["msg"]
    assert "set ansible_ssm_instance_id" in result["msg"]
    assert [e for e in sandbox.audit() if e["service"] == "ssm"] == []
