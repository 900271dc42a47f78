"""The sandbox's `pcluster`: the real CLI's arguments and JSON shapes, the real dry run against the sandbox, and the
resources a created cluster has (stack, tagged FSx with the startup DRA, SSM headnode) until delete-cluster."""

import json
import subprocess
import textwrap

import pytest

from testlib.pcluster import REFERENCE_BUCKET
from testlib.pcluster import REFERENCE_OBJECTS
from testlib.pcluster import pcluster_environment
from testlib.pcluster import require_pcluster_python
from testlib.pcluster import run_pcluster
from testlib.pcluster import seed_account
from testlib.pcluster import write_cluster_config

OPERATIONS = ["create-cluster", "describe-cluster", "list-clusters", "describe-cluster-instances", "delete-cluster"]
DRY_RUN_SUCCESS = "Request would have succeeded, but DryRun flag is set."
COMPARE_PARSERS = textwrap.dedent("""
    import json, sys
    import pcluster.cli.entrypoint as entrypoint, pcluster.cli.model as model
    from pcluster.cli.middleware import add_additional_args
    from sandbox.pcluster_standin import parser

    _, real = entrypoint.gen_parser(model.load_model(model.package_spec()))
    add_additional_args(real)
    ours = parser()._subparsers._group_actions[0].choices

    def shape(sub):
        return sorted([sorted(a.option_strings), a.required, a.nargs, sorted(a.choices or [])]
                      for a in sub._actions if a.option_strings and a.dest != "help")

    print(json.dumps({op: [shape(real[op]), shape(ours[op])] for op in sys.argv[1:]}))
""")


@pytest.fixture
def account(sandbox):
    return seed_account()


def test_standin_takes_exactly_the_real_clis_arguments():
    done = subprocess.run(
        [require_pcluster_python(), "-c", COMPARE_PARSERS, *OPERATIONS],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=pcluster_environment(),
    )
    assert done.returncode == 0, done.stderr
    for operation, (real, ours) in json.loads(done.stdout).items():
        assert ours == real, operation


def test_dry_run_is_the_real_pcluster_against_the_sandbox(sandbox, account, tmp_path):
    config = write_cluster_config(tmp_path, "dayec-dry", account)
    sandbox.clear_audit()
    rc, answer = run_pcluster("create-cluster", "-n", "dayec-dry", "-c", config, "--dryrun", "true")
    assert answer["message"] == DRY_RUN_SUCCESS, answer
    assert rc == 1  # the real CLI exits 1 on its DryrunOperationException; callers read the message
    calls = {(entry["service"], entry["operation"]) for entry in sandbox.audit()}
    # ParallelCluster's own validators ran against the sandbox (the stand-in itself never reads IAM)
    assert {("iam", "GetPolicy"), ("ec2", "DescribeImages"), ("ec2", "DescribeSubnets")} <= calls
    assert sandbox.mutating_calls() == []
    assert run_pcluster("list-clusters")[1] == {"clusters": []}

    # what the real validators find in the sandbox is reported as they word it
    config = write_cluster_config(tmp_path, "dayec-dry", dict(account, public_subnet_id="subnet-00000000000000000"))
    rc, answer = run_pcluster("create-cluster", "-n", "dayec-dry", "-c", config, "--dryrun", "true")
    assert rc == 1 and answer["message"] != DRY_RUN_SUCCESS
    assert "subnet-00000000000000000" in json.dumps(answer)


def test_a_config_the_schema_refuses_fails_with_its_message_and_creates_nothing(sandbox, account, tmp_path):
    config = write_cluster_config(tmp_path, "dayec-bad", account)
    text = open(config, encoding="utf-8").read().replace('DeploymentType: "SCRATCH_2"', 'DeploymentType: "SCRATCH_9"')
    open(config, "w", encoding="utf-8").write(text)
    sandbox.clear_audit()
    rc, answer = run_pcluster("create-cluster", "-n", "dayec-bad", "-c", config)
    assert rc == 1
    assert answer == {
        "configurationValidationErrors": [
            {
                "level": "ERROR",
                "type": "ConfigSchemaValidator",
                "message": "[('SharedStorage', {0: {'FsxLustreSettings': {'DeploymentType': "
                "['Must be one of: SCRATCH_1, SCRATCH_2, PERSISTENT_1, PERSISTENT_2.']}}})]",
            }
        ],
        "message": "Invalid cluster configuration.",
    }
    assert sandbox.mutating_calls() == []


def test_create_makes_what_a_real_cluster_has_and_delete_removes_it(sandbox, account, aws, tmp_path):
    config = write_cluster_config(tmp_path, "dayec-life", account, fsx_storage_capacity=2400)
    rc, created = run_pcluster("create-cluster", "-n", "dayec-life", "-c", config)
    assert rc == 0, created
    assert (
        created["cluster"]["clusterStatus"] == created["cluster"]["cloudformationStackStatus"] == "CREATE_IN_PROGRESS"
    )
    assert created["cluster"]["version"] == "3.16.1" and created["cluster"]["scheduler"] == {"type": "slurm"}

    rc, described = run_pcluster("describe-cluster", "-n", "dayec-life")
    assert rc == 0 and described["clusterStatus"] == "CREATE_COMPLETE"
    head = described["headNode"]["instanceId"]
    assert described["headNode"]["state"] == "running" and described["headNode"]["instanceType"] == "r7i.2xlarge"
    assert {"key": "aws-parallelcluster-clustername", "value": "dayec-life"} in described["tags"]
    stack = aws("cloudformation").describe_stacks(StackName="dayec-life")["Stacks"][0]
    assert stack["StackId"] == described["cloudformationStackArn"]

    (file_system,) = [
        fs
        for fs in aws("fsx").describe_file_systems()["FileSystems"]
        if {"Key": "parallelcluster:cluster-name", "Value": "dayec-life"} in fs["Tags"]
    ]
    assert file_system["StorageCapacity"] == 2400
    assert file_system["LustreConfiguration"]["DeploymentType"] == "SCRATCH_2"
    (startup,) = aws("fsx").describe_data_repository_associations()["Associations"]
    assert (startup["FileSystemId"], startup["FileSystemPath"], startup["DataRepositoryPath"]) == (
        file_system["FileSystemId"],
        "/references/",
        f"s3://{REFERENCE_BUCKET}/",
    )
    assert startup["BatchImportMetaDataOnCreate"] and startup["Lifecycle"] == "AVAILABLE"
    assert startup["S3"]["AutoImportPolicy"]["Events"] == ["NEW", "CHANGED", "DELETED"]

    (node,) = sandbox.headnodes()
    assert node["instance_id"] == head and node["file_system_id"] == file_system["FileSystemId"]
    for key, body in REFERENCE_OBJECTS.items():  # batch-imported, visible on the headnode under /fsx/references
        with open(f"{node['fsx_mount']}/references/{key}", "rb") as handle:
            assert handle.read() == body
    info = aws("ssm").describe_instance_information()["InstanceInformationList"]
    assert [(i["InstanceId"], i["PingStatus"]) for i in info] == [(head, "Online")]

    assert [c["clusterName"] for c in run_pcluster("list-clusters")[1]["clusters"]] == ["dayec-life"]
    rc, instances = run_pcluster("describe-cluster-instances", "-n", "dayec-life", "--node-type", "HeadNode")
    assert rc == 0 and [(i["instanceId"], i["nodeType"]) for i in instances["instances"]] == [(head, "HeadNode")]
    assert run_pcluster("describe-cluster", "-n", "dayec-life", "--query", "clusterStatus") == (0, "CREATE_COMPLETE")
    assert run_pcluster("create-cluster", "-n", "dayec-life", "-c", config) == (
        1,
        {"message": "Bad Request: Cluster dayec-life already exists."},
    )

    rc, deleted = run_pcluster("delete-cluster", "-n", "dayec-life")
    assert rc == 0 and deleted["cluster"]["clusterStatus"] == "DELETE_IN_PROGRESS"
    assert run_pcluster("describe-cluster", "-n", "dayec-life") == (
        1,
        {"message": "Cluster 'dayec-life' does not exist or belongs to an incompatible ParallelCluster major version."},
    )
    assert aws("fsx").describe_file_systems()["FileSystems"] == []
    assert sandbox.headnodes() == []
    assert (
        aws("ec2").describe_instances(InstanceIds=[head])["Reservations"][0]["Instances"][0]["State"]["Name"]
        == "terminated"
    )
    kept = aws("s3").list_objects_v2(Bucket=REFERENCE_BUCKET)["Contents"]
    assert sorted(obj["Key"] for obj in kept) == sorted(REFERENCE_OBJECTS)  # S3 is durable


def test_statuses_move_through_in_progress_and_delete_keeps_a_retained_file_system(sandbox, account, aws, tmp_path):
    config = write_cluster_config(tmp_path, "dayec-keep", account, fsx_deletion_policy="Retain")
    sandbox.slow_lifecycle("pcluster::cluster", times=2)
    assert run_pcluster("create-cluster", "-n", "dayec-keep", "-c", config)[0] == 0
    status = ["describe-cluster", "-n", "dayec-keep", "--query", "[clusterStatus, cloudFormationStackStatus]"]
    assert run_pcluster(*status) == (0, ["CREATE_IN_PROGRESS", "CREATE_IN_PROGRESS"])
    assert aws("cloudformation").describe_stacks(StackName="dayec-keep")["Stacks"][0]["StackStatus"] == (
        "CREATE_IN_PROGRESS"
    )
    assert run_pcluster(*status) == (0, ["CREATE_COMPLETE", "CREATE_COMPLETE"])
    assert run_pcluster("delete-cluster", "-n", "dayec-keep")[0] == 0
    assert run_pcluster(*status) == (0, ["DELETE_IN_PROGRESS", "DELETE_IN_PROGRESS"])
    assert run_pcluster(*status)[0] == 1
    (kept,) = aws("fsx").describe_file_systems()["FileSystems"]
    assert {"Key": "parallelcluster:cluster-name", "Value": "dayec-keep"} in kept["Tags"]
    assert run_pcluster("list-clusters")[1] == {"clusters": []}


def test_delete_is_refused_while_a_data_repository_task_runs(sandbox, account, aws, tmp_path):
    config = write_cluster_config(tmp_path, "dayec-busy", account)
    assert run_pcluster("create-cluster", "-n", "dayec-busy", "-c", config)[0] == 0
    (file_system,) = aws("fsx").describe_file_systems()["FileSystems"]
    sandbox.slow_lifecycle("fsx::task", times=50)
    aws("fsx").create_data_repository_task(
        FileSystemId=file_system["FileSystemId"],
        Type="IMPORT_METADATA_FROM_REPOSITORY",
        Paths=[f"s3://{REFERENCE_BUCKET}/"],
        Report={"Enabled": False},
    )
    rc, answer = run_pcluster("delete-cluster", "-n", "dayec-busy")
    assert rc == 1 and "data repository task" in answer["message"] and "in progress" in answer["message"]
    assert run_pcluster("describe-cluster", "-n", "dayec-busy", "--query", "clusterStatus") == (0, "CREATE_COMPLETE")
    assert len(sandbox.headnodes()) == 1
