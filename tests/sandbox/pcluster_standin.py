"""The sandbox's `pcluster`: ParallelCluster 3.16.1's CLI for create-cluster, describe-cluster, list-clusters,
describe-cluster-instances and delete-cluster, against the sandbox (DESIGN §4). Run it with tests/sandbox/bin/pcluster.

It runs in the pcluster venv (.venv-pcluster) and answers with ParallelCluster's own response models and JSON encoder,
so the output has the real CLI's shape, field for field; arguments are the real CLI's (a test compares the parsers).

* `create-cluster --dryrun true` is the REAL `pcluster` of that venv, pointed at the sandbox (AWS_ENDPOINT_URL), with
  only the two launch-template validators suppressed: moto's RunInstances(DryRun) wants an `Ebs` block in every
  device mapping (reference/emulation.md §6).
* `create-cluster` checks the config with ParallelCluster's schema, then creates what a real cluster has: its config
  in the ParallelCluster bucket, an FSx for Lustre file system tagged `parallelcluster:cluster-name` with the config's
  startup DRAs (batch-importing the reference prefix), a running headnode tagged like ParallelCluster's and registered
  with SSM (its machine mounts that file system), and a CloudFormation stack named after the cluster. The stack
  is CREATE_IN_PROGRESS, then CREATE_COMPLETE at the next describe (later when the sandbox's "pcluster::cluster"
  lifecycle is slowed; sandbox/parallelcluster.py paces it).
* `delete-cluster` terminates the headnode, deletes the file system when its DeletionPolicy is Delete (the sandbox
  refuses while a data repository task runs, as AWS does), and the stack goes DELETE_IN_PROGRESS, then away.
"""

import argparse
import hashlib
import json
import os
import sys
import urllib.error
from pathlib import Path

import boto3
import jmespath
from botocore.exceptions import ClientError

from sandbox.client import SandboxControl
from sandbox.parallelcluster import OFFICIAL_IMAGES
from sandbox.parallelcluster import PCLUSTER_VERSION
from sandbox.pcluster_schema import schema_errors
from sandbox.seed import create_cluster_file_system
from sandbox.seed import create_startup_association
from sandbox.seed import launch_headnode

SUPPRESSED_IN_THE_SANDBOX = ("type:HeadNodeLaunchTemplateValidator", "type:ComputeResourceLaunchTemplateValidator")
VERSION_TAG = "parallelcluster:version"
CLUSTER_TAG = "parallelcluster:cluster-name"
NODE_TYPE_TAG = "parallelcluster:node-type"
CONFIG_KEY_TAG = "parallelcluster:cluster_dir"
BUCKET_TAG = "parallelcluster:s3_bucket"
# CloudFormation only needs one resource; a WaitConditionHandle is one moto creates without GetAtt support.
STACK_TEMPLATE = json.dumps({"Resources": {"ClusterWaitHandle": {"Type": "AWS::CloudFormation::WaitConditionHandle"}}})
LIVE_INSTANCE_STATES = ["pending", "running", "stopping", "stopped"]


class CliError(Exception):
    """An error the real CLI prints as JSON on stdout with exit code 1."""

    def __init__(self, content):
        super().__init__(str(content))
        self.content = content


def _not_found(name, hint=""):
    return CliError(
        {
            "message": f"Cluster '{name}' does not exist or belongs to an incompatible ParallelCluster major "
            f"version.{hint}"
        }
    )


# --- arguments: the real CLI's (pcluster.cli.entrypoint.gen_parser over its API model) ---------------------------------
def parser():
    root = argparse.ArgumentParser(prog="pcluster", description="The sandbox's pcluster (ParallelCluster 3.16.1).")
    commands = root.add_subparsers(dest="operation", required=True)

    def command(name, *options):
        sub = commands.add_parser(name)
        for flags, extra in options:
            sub.add_argument(*flags, **extra)
        sub.add_argument("--debug", action="store_true", default=False)
        sub.add_argument("--query")
        return sub

    region = (("-r", "--region"), {})
    name = (("-n", "--cluster-name"), {"required": True})
    true_false = {"choices": None, "type": lambda text: text.lower() == "true"}
    command(
        "create-cluster",
        region,
        name,
        (("-c", "--cluster-configuration"), {"required": True}),
        (("--suppress-validators",), {"nargs": "+"}),
        (("--validation-failure-level",), {"choices": ["INFO", "WARNING", "ERROR"]}),
        (("--dryrun",), true_false),
        (("--rollback-on-failure",), true_false),
        (("--wait",), {"action": "store_true"}),
    )
    command("describe-cluster", name, region)
    statuses = [
        "CREATE_IN_PROGRESS",
        "CREATE_FAILED",
        "CREATE_COMPLETE",
        "DELETE_IN_PROGRESS",
        "DELETE_FAILED",
        "UPDATE_IN_PROGRESS",
        "UPDATE_COMPLETE",
        "UPDATE_FAILED",
    ]
    command(
        "list-clusters", region, (("--next-token",), {}), (("--cluster-status",), {"nargs": "+", "choices": statuses})
    )
    command(
        "describe-cluster-instances",
        name,
        region,
        (("--next-token",), {}),
        (("--node-type",), {"choices": ["HeadNode", "ComputeNode", "LoginNode"]}),
        (("--queue-name",), {}),
    )
    command("delete-cluster", name, region, (("--wait",), {"action": "store_true"}))
    return root


# --- the sandbox's AWS -------------------------------------------------------------------------------------------------
class Sandbox:
    def __init__(self, region):
        self.region = region or os.environ.get("AWS_DEFAULT_REGION") or "us-west-2"
        os.environ["AWS_DEFAULT_REGION"] = self.region  # as the real CLI does with --region
        self.clients = {}

    def __getattr__(self, service):
        if service not in ("cloudformation", "ec2", "fsx", "s3", "sts"):
            raise AttributeError(service)
        if service not in self.clients:
            self.clients[service] = boto3.client(service, region_name=self.region)
        return self.clients[service]

    def pace(self, name, phase=None):
        """Start a stack phase ("create", "delete"), or observe the stack once (sandbox/parallelcluster.py); its
        status, None for a stack the sandbox does not pace."""
        payload = {"stack_name": name, "region": self.region}
        if phase:
            payload["phase"] = phase
        try:
            return SandboxControl().call("POST" if phase else "GET", "pcluster-stacks", payload)["status"]
        except urllib.error.HTTPError as err:
            if err.code == 404:
                return None
            raise

    def stack(self, name, observe=True):
        """The cluster's stack (None when there is none); ``observe`` counts as one describe for its pace."""
        if observe and self.pace(name) == "DELETE_COMPLETE":
            self.cloudformation.delete_stack(StackName=name)
            return None
        try:
            stack = self.cloudformation.describe_stacks(StackName=name)["Stacks"][0]
        except ClientError as err:
            if "does not exist" in str(err):
                return None
            raise
        return stack if _tag(stack, VERSION_TAG) else None

    def bucket(self):
        """ParallelCluster's per-account, per-region bucket (parallelcluster-<hash>-v1-do-not-delete)."""
        account = self.sts.get_caller_identity()["Account"]
        name = (
            "parallelcluster-%s-v1-do-not-delete" % hashlib.sha256(f"{account}{self.region}".encode()).hexdigest()[:16]
        )
        if name not in {b["Name"] for b in self.s3.list_buckets()["Buckets"]}:
            self.s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": self.region})
        return name

    def instances(self, name, node_type=None):
        filters = [
            {"Name": f"tag:{CLUSTER_TAG}", "Values": [name]},
            {"Name": "instance-state-name", "Values": LIVE_INSTANCE_STATES},
        ]
        if node_type:
            filters.append({"Name": f"tag:{NODE_TYPE_TAG}", "Values": [node_type]})
        pages = self.ec2.get_paginator("describe_instances").paginate(Filters=filters)
        return [i for page in pages for reservation in page["Reservations"] for i in reservation["Instances"]]

    def file_systems(self, name):
        pages = self.fsx.get_paginator("describe_file_systems").paginate()
        return [fs for page in pages for fs in page["FileSystems"] if _tag(fs, CLUSTER_TAG) == name]


def _tag(resource, key):
    return next((tag["Value"] for tag in resource.get("Tags", []) if tag["Key"] == key), None)


# --- responses: ParallelCluster's own models --------------------------------------------------------------------------
def _summary(stack, region, status=None):
    from pcluster.api.converters import cloud_formation_status_to_cluster_status
    from pcluster.api.models import ClusterInfoSummary
    from pcluster.api.models import Scheduler

    status = status or stack["StackStatus"]
    return ClusterInfoSummary(
        cluster_name=stack["StackName"],
        cloudformation_stack_status=status,
        cloudformation_stack_arn=stack["StackId"],
        region=region,
        version=_tag(stack, VERSION_TAG),
        cluster_status=cloud_formation_status_to_cluster_status(status),
        scheduler=Scheduler(type="slurm"),
    )


def _ec2_instance(model, instance, **extra):
    from pcluster.api.models import InstanceState

    return model(
        instance_id=instance["InstanceId"],
        launch_time=instance["LaunchTime"],
        public_ip_address=instance.get("PublicIpAddress"),
        instance_type=instance["InstanceType"],
        state=InstanceState.from_dict(instance["State"]["Name"]),
        private_ip_address=instance.get("PrivateIpAddress"),
        **extra,
    )


# --- commands ----------------------------------------------------------------------------------------------------------
def dry_run(argv):
    """The real pcluster of this venv, with the two validators moto cannot satisfy suppressed."""
    real = Path(sys.executable).with_name("pcluster")
    argv = list(argv)
    if "--suppress-validators" in argv:
        at = argv.index("--suppress-validators") + 1
        argv[at:at] = list(SUPPRESSED_IN_THE_SANDBOX)
    else:
        argv += ["--suppress-validators", *SUPPRESSED_IN_THE_SANDBOX]
    os.execv(str(real), [str(real), *argv])


def create_cluster(args, aws):
    import yaml

    text = Path(args.cluster_configuration).read_text(encoding="utf-8")
    errors = schema_errors(args.cluster_name, text)
    if errors:
        raise CliError(
            {
                "configurationValidationErrors": [
                    {"level": "ERROR", "type": "ConfigSchemaValidator", "message": error} for error in errors
                ],
                "message": "Invalid cluster configuration.",
            }
        )
    if aws.stack(args.cluster_name):
        raise CliError({"message": f"Bad Request: Cluster {args.cluster_name} already exists."})
    config = yaml.safe_load(text)
    bucket = aws.bucket()
    cluster_dir = f"parallelcluster/{PCLUSTER_VERSION}/clusters/{args.cluster_name.lower()}"
    aws.s3.put_object(Bucket=bucket, Key=f"{cluster_dir}/configs/cluster-config.yaml", Body=text.encode())

    head = config["HeadNode"]
    subnet = head["Networking"]["SubnetId"]
    file_system = None
    for storage in config.get("SharedStorage") or []:
        settings = storage.get("FsxLustreSettings") or {}
        if storage["StorageType"] != "FsxLustre" or settings.get("FileSystemId"):
            continue
        file_system = create_cluster_file_system(
            aws.fsx,
            args.cluster_name,
            subnet,
            settings.get("DeploymentType", "SCRATCH_2"),
            settings.get("StorageCapacity", 1200),
            settings.get("PerUnitStorageThroughput"),
        )
        for association in settings.get("DataRepositoryAssociations") or []:
            create_startup_association(
                aws.fsx,
                file_system,
                association["DataRepositoryPath"],
                association["FileSystemPath"],
                association.get("BatchImportMetaDataOnCreate", False),
                association.get("AutoImportPolicy"),
            )
    image = config["Image"].get("CustomAmi") or OFFICIAL_IMAGES[config["Image"]["Os"]][1]
    headnode, _instance = launch_headnode(
        aws.ec2, SandboxControl(), args.cluster_name, subnet, file_system, head["InstanceType"], image
    )
    if config.get("Tags"):  # ParallelCluster puts the config's Tags on the stack and on every instance
        aws.ec2.create_tags(Resources=[headnode], Tags=[{"Key": t["Key"], "Value": t["Value"]} for t in config["Tags"]])

    tags = [
        {"Key": VERSION_TAG, "Value": PCLUSTER_VERSION},
        {"Key": CONFIG_KEY_TAG, "Value": cluster_dir},
        {"Key": BUCKET_TAG, "Value": bucket},
    ]
    tags += [{"Key": tag["Key"], "Value": tag["Value"]} for tag in config.get("Tags") or []]
    aws.cloudformation.create_stack(
        StackName=args.cluster_name, TemplateBody=STACK_TEMPLATE, Tags=tags, Capabilities=["CAPABILITY_IAM"]
    )
    aws.pace(args.cluster_name, "create")
    from pcluster.api.models import CreateClusterResponseContent

    return CreateClusterResponseContent(
        cluster=_summary(aws.stack(args.cluster_name, observe=False), aws.region, status="CREATE_IN_PROGRESS")
    )


def describe_cluster(args, aws):
    from pcluster.api.models import ClusterConfigurationStructure
    from pcluster.api.models import DescribeClusterResponseContent
    from pcluster.api.models import EC2Instance
    from pcluster.api.models import Tag

    stack = aws.stack(args.cluster_name)
    if stack is None:
        raise _not_found(args.cluster_name)
    summary = _summary(stack, aws.region)
    key = f"{_tag(stack, CONFIG_KEY_TAG)}/configs/cluster-config.yaml"
    url = aws.s3.generate_presigned_url("get_object", Params={"Bucket": _tag(stack, BUCKET_TAG), "Key": key})
    response = DescribeClusterResponseContent(
        creation_time=stack["CreationTime"],
        version=summary.version,
        cluster_configuration=ClusterConfigurationStructure(url=url),
        tags=[Tag(key=tag["Key"], value=tag["Value"]) for tag in stack.get("Tags", [])],
        cloud_formation_stack_status=summary.cloudformation_stack_status,
        cluster_name=summary.cluster_name,
        compute_fleet_status="RUNNING" if summary.cluster_status == "CREATE_COMPLETE" else "UNKNOWN",
        cloudformation_stack_arn=summary.cloudformation_stack_arn,
        last_updated_time=stack.get("LastUpdatedTime", stack["CreationTime"]),
        region=aws.region,
        cluster_status=summary.cluster_status,
        scheduler=summary.scheduler,
    )
    heads = aws.instances(args.cluster_name, "HeadNode")
    if heads:
        response.head_node = _ec2_instance(EC2Instance, heads[0])
    return response


def list_clusters(args, aws):
    from pcluster.api.models import ListClustersResponseContent

    pages = aws.cloudformation.get_paginator("describe_stacks").paginate()
    names = [s["StackName"] for page in pages for s in page["Stacks"] if _tag(s, VERSION_TAG) and not s.get("ParentId")]
    stacks = [stack for stack in map(aws.stack, names) if stack is not None]
    summaries = [_summary(stack, aws.region) for stack in stacks]
    if args.cluster_status:
        summaries = [s for s in summaries if s.cluster_status in args.cluster_status]
    return ListClustersResponseContent(clusters=summaries)


def describe_cluster_instances(args, aws):
    from pcluster.api.models import ClusterInstance
    from pcluster.api.models import DescribeClusterInstancesResponseContent

    if aws.stack(args.cluster_name) is None:
        raise _not_found(args.cluster_name)
    instances = []
    for instance in aws.instances(args.cluster_name, args.node_type):
        node_type = _tag(instance, NODE_TYPE_TAG)
        if args.queue_name and _tag(instance, "parallelcluster:queue-name") != args.queue_name:
            continue
        instances.append(
            _ec2_instance(
                ClusterInstance, instance, node_type=node_type, queue_name=_tag(instance, "parallelcluster:queue-name")
            )
        )
    return DescribeClusterInstancesResponseContent(instances=instances)


def delete_cluster(args, aws):
    from pcluster.api.models import DeleteClusterResponseContent

    stack = aws.stack(args.cluster_name)
    if stack is None:
        raise _not_found(
            args.cluster_name,
            " In case you have running instances belonging to a deleted cluster please "
            "use the DeleteClusterInstances API.",
        )
    config = _stored_config(aws, stack)
    retained = {
        storage["FsxLustreSettings"].get("DeletionPolicy") == "Retain"
        for storage in config.get("SharedStorage") or []
        if storage.get("StorageType") == "FsxLustre"
    }
    if True not in retained:
        for file_system in aws.file_systems(args.cluster_name):
            try:  # first: a file system AWS refuses to delete stops the delete before anything changed
                aws.fsx.delete_file_system(FileSystemId=file_system["FileSystemId"])
            except ClientError as err:
                raise CliError(
                    {
                        "message": f"Failed when deleting cluster '{args.cluster_name}': the stack "
                        f"would end DELETE_FAILED: {err.response['Error']['Message']}"
                    }
                ) from None
    instances = aws.instances(args.cluster_name)
    if instances:
        aws.ec2.terminate_instances(InstanceIds=[i["InstanceId"] for i in instances])
        for instance in instances:
            SandboxControl().deregister_headnode(instance["InstanceId"])
    aws.pace(args.cluster_name, "delete")
    return DeleteClusterResponseContent(cluster=_summary(stack, aws.region, status="DELETE_IN_PROGRESS"))


def _stored_config(aws, stack):
    import yaml

    key = f"{_tag(stack, CONFIG_KEY_TAG)}/configs/cluster-config.yaml"
    body = aws.s3.get_object(Bucket=_tag(stack, BUCKET_TAG), Key=key)["Body"].read()
    return yaml.safe_load(body) or {}


COMMANDS = {
    "create-cluster": create_cluster,
    "describe-cluster": describe_cluster,
    "list-clusters": list_clusters,
    "describe-cluster-instances": describe_cluster_instances,
    "delete-cluster": delete_cluster,
}


def _encoded(model):
    from pcluster.api.encoder import JSONEncoder

    return json.loads(JSONEncoder().encode(model))


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parser().parse_args(argv)
    if args.operation == "create-cluster" and args.dryrun:
        dry_run(argv)
    try:
        answer = _encoded(COMMANDS[args.operation](args, Sandbox(args.region)))
        code = 0
    except CliError as err:
        answer, code = err.content, 1
    if args.query and code == 0:
        answer = jmespath.search(args.query, answer)
    print(json.dumps(answer, indent=2, default=str))
    return code


if __name__ == "__main__":
    sys.exit(main())
