"""The daylily.ephemeral_cluster.pcluster inventory plugin against the sandbox, through the real `ansible-inventory`
and `ansible-playbook`: clusters made by the sandbox's `pcluster`, credentials only from the environment (as an AWX
inventory source gets them), and a playbook that reaches the head node over the ssm connection the plugin set up."""

import json

import pytest

from sandbox.seed import seed_cluster
from testlib.clusters import SANDBOX_SOURCE
from testlib.clusters import create_cluster
from testlib.clusters import inventory_command
from testlib.clusters import inventory_list
from testlib.pcluster import seed_account
from testlib.playbooks import REPO
from testlib.playbooks import run_playbook

pytestmark = pytest.mark.integration

AWS_EXAMPLE_SOURCE = REPO / "inventories" / "clusters" / "pcluster.yml"


def host_results(run, task_name):
    """{host: result} of a task in the run's json report."""
    return {
        host: result
        for play in run.report["plays"]
        for task in play["tasks"]
        if task["task"]["name"] == task_name
        for host, result in task["hosts"].items()
    }


@pytest.fixture
def clusters(sandbox, tmp_path):
    """Two clusters made by the sandbox's pcluster: one created 4 hours ago with a 2-hour time-to-live, one without."""
    network = seed_account()
    create_cluster(tmp_path, network, "dayec-old", ttl_hours=-2)
    create_cluster(tmp_path, network, "dayec-forever")
    return {node["instance_id"]: node for node in sandbox.headnodes()}


def test_the_inventory_finds_each_headnode_with_its_ssm_variables_and_time_to_live(sandbox, clusters, aws):
    sandbox.clear_audit()
    listed = inventory_list(SANDBOX_SOURCE)
    hostvars = listed["_meta"]["hostvars"]
    assert sorted(hostvars) == ["dayec-forever", "dayec-old"]
    file_systems = {
        next(t["Value"] for t in fs["Tags"] if t["Key"] == "parallelcluster:cluster-name"): fs["FileSystemId"]
        for fs in aws("fsx").describe_file_systems()["FileSystems"]
    }
    for name, variables in hostvars.items():
        assert variables["ansible_connection"] == "daylily.ephemeral_cluster.ssm"
        assert variables["ansible_ssm_instance_id"] in clusters
        assert clusters[variables["ansible_ssm_instance_id"]]["file_system_id"] == file_systems[name]
        assert variables["ansible_ssm_region"] == "us-west-2"
        assert variables["daylily_cluster_name"] == name
        assert variables["daylily_cluster_status"] == "CREATE_COMPLETE"
        assert variables["daylily_file_system_id"] == file_systems[name]
        assert variables["daylily_headnode_state"] == "running"
        assert listed[f"daylily_cluster_{name.replace('-', '_')}"]["hosts"] == [name]
    assert listed["daylily_expired"]["hosts"] == ["dayec-old"]
    assert hostvars["dayec-old"]["daylily_expired"] is True
    assert hostvars["dayec-old"]["daylily_ttl_status"] == "expired"
    assert hostvars["dayec-old"]["daylily_ttl_hours"] == 2
    assert hostvars["dayec-forever"]["daylily_ttl_status"] == "none"
    assert hostvars["dayec-forever"]["daylily_expires_at"] is None
    assert hostvars["dayec-forever"]["daylily_ttl_message"].startswith("no TTL")
    assert listed["daylily_ttl_none"]["hosts"] == ["dayec-forever"]  # the source's keyed_groups
    # read-only, and no secret in the host variables
    assert sandbox.mutating_calls() == []
    assert "AWS_SECRET_ACCESS_KEY" not in json.dumps(listed) and "testing" not in json.dumps(hostvars)
    calls = sorted({(e["service"], e["operation"]) for e in sandbox.audit()})
    assert calls == [("cloudformation", "DescribeStacks"), ("ec2", "DescribeInstances"), ("fsx", "DescribeFileSystems")]

    # the example for a real account finds the same clusters
    listed = inventory_list(AWS_EXAMPLE_SOURCE)
    assert sorted(listed["_meta"]["hostvars"]) == ["dayec-forever", "dayec-old"]
    assert listed["_meta"]["hostvars"]["dayec-old"]["ansible_python_interpreter"] == "/usr/bin/python3"
    assert listed["daylily_expired"]["hosts"] == ["dayec-old"]


def test_a_playbook_reaches_each_headnode_over_the_ssm_connection_the_inventory_set_up(sandbox, node_tmp):
    seeded = [seed_cluster(name, control=sandbox) for name in ("dayec-one", "dayec-two")]
    sandbox.clear_audit()
    run = run_playbook("inventory_pcluster_ping.yml", inventory=SANDBOX_SOURCE)
    assert run.rc == 0, (run.failures(), run.stats, run.stdout[-3000:])
    answers = {host: result["stdout"] for host, result in host_results(run, "Where am I").items()}
    assert sorted(answers) == ["dayec-one", "dayec-two"]
    for cluster in seeded:  # each host ran on its own head node's machine
        assert answers[cluster["cluster_name"]].startswith(cluster["headnode_root"]), answers
    sends = [e for e in sandbox.audit() if e["service"] == "ssm" and e["operation"] == "SendCommand"]
    assert {e["request"]["InstanceIds"][0] for e in sends} == {c["headnode_instance_id"] for c in seeded}


def test_credentials_from_the_environment_only_and_a_refusal_says_what_was_refused(sandbox):
    # no profile, no config file: the sandbox's credentials are environment variables, as AWX injects them
    listed = inventory_list(SANDBOX_SOURCE)
    assert listed["_meta"]["hostvars"] == {}
    sandbox.inject_fault("ec2", "DescribeInstances", "UnauthorizedOperation", status=403, count=50)
    done = inventory_command(SANDBOX_SOURCE, {"ANSIBLE_INVENTORY_UNPARSED_FAILED": "true"})
    assert done.returncode != 0
    assert "DescribeInstances" in done.stderr and "UnauthorizedOperation" in done.stderr, done.stderr
