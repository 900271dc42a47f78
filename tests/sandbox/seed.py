"""Seed the sandbox with what a freshly created Daylily cluster has: buckets, an FSx for Lustre file system tagged
with the cluster name, a running headnode EC2 instance tagged like ParallelCluster's, registered with SSM.

Usable from tests (`seed_cluster(...)`) and from the shell (`python -m sandbox.seed --out seed.json`), with the
sandbox environment (AWS_ENDPOINT_URL etc.) already exported.
"""

import argparse
import json
import sys

import boto3

from sandbox.client import SandboxControl

DEFAULT_CLUSTER = "dayec-sandbox"
SUBNET_CIDR = "10.0.1.0/24"


def ensure_bucket(s3, name, region):
    existing = {bucket["Name"] for bucket in s3.list_buckets()["Buckets"]}
    if name not in existing:
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})


REFERENCE_OBJECTS = {
    "s3_reference_data_version.info": b"0.7.131c\n",
    "genomic_data/organism_references/H_sapiens/hg38/fasta/README": b"hg38 placeholder for the sandbox\n",
    "genomic_data/organism_annotations/H_sapiens/hg38/README": b"annotations placeholder\n",
}


def create_startup_association(
    fsx,
    file_system,
    data_repository_path,
    file_system_path="/references/",
    batch_import=True,
    auto_import=("NEW", "CHANGED", "DELETED"),
):
    """A DRA as ParallelCluster creates it with the file system (batch import, auto-import events); its id."""
    request = {
        "FileSystemId": file_system,
        "FileSystemPath": file_system_path,
        "DataRepositoryPath": data_repository_path,
        "BatchImportMetaDataOnCreate": batch_import,
        "Tags": [{"Key": "lsmc:purpose", "Value": "reference"}],
    }
    if auto_import:
        request["S3"] = {"AutoImportPolicy": {"Events": list(auto_import)}}
    return fsx.create_data_repository_association(**request)["Association"]["AssociationId"]


def attach_references(s3, fsx, file_system, bucket):
    """The one startup DRA every Daylily cluster has (invariant 2): /references/ <- the reference bucket."""
    for key, body in REFERENCE_OBJECTS.items():
        s3.put_object(Bucket=bucket, Key=key, Body=body)
    return create_startup_association(fsx, file_system, f"s3://{bucket}/")


def cluster_tags(cluster_name):
    """The tag ParallelCluster puts on everything a cluster owns."""
    return [{"Key": "parallelcluster:cluster-name", "Value": cluster_name}]


def create_cluster_file_system(
    fsx, cluster_name, subnet, deployment_type="SCRATCH_2", storage_capacity=1200, per_unit_storage_throughput=None
):
    """The cluster's FSx for Lustre file system, tagged with the cluster name; its id."""
    lustre = {"DeploymentType": deployment_type}
    if per_unit_storage_throughput:
        lustre["PerUnitStorageThroughput"] = per_unit_storage_throughput
    return fsx.create_file_system(
        FileSystemType="LUSTRE",
        StorageCapacity=storage_capacity,
        SubnetIds=[subnet],
        LustreConfiguration=lustre,
        Tags=cluster_tags(cluster_name) + [{"Key": "Name", "Value": f"{cluster_name}-fsx"}],
    )["FileSystem"]["FileSystemId"]


def launch_headnode(ec2, control, cluster_name, subnet, file_system, instance_type="r7i.2xlarge", image=None):
    """A running headnode instance tagged like ParallelCluster's, registered with SSM (its machine mounts the file
    system at fsx/): (instance id, the sandbox's headnode record)."""
    image = image or ec2.describe_images()["Images"][0]["ImageId"]
    instance = ec2.run_instances(
        ImageId=image,
        MinCount=1,
        MaxCount=1,
        InstanceType=instance_type,
        SubnetId=subnet,
        TagSpecifications=[
            {
                "ResourceType": "instance",
                "Tags": cluster_tags(cluster_name)
                + [{"Key": "parallelcluster:node-type", "Value": "HeadNode"}, {"Key": "Name", "Value": "HeadNode"}],
            }
        ],
    )["Instances"][0]["InstanceId"]
    return instance, control.call("POST", "headnodes", {"instance_id": instance, "file_system_id": file_system})


def seed_cluster(
    cluster_name=DEFAULT_CLUSTER,
    region="us-west-2",
    deployment_type="SCRATCH_2",
    buckets=("dayec-reference", "dayec-analysis", "dayec-runs"),
    control=None,
    image=None,
):
    """Create a cluster-shaped set of resources and return their identifiers (``image``: the headnode's AMI; naming
    one spares listing every AMI, which takes seconds)."""
    control = control or SandboxControl()
    s3 = boto3.client("s3", region_name=region)
    ec2 = boto3.client("ec2", region_name=region)
    fsx = boto3.client("fsx", region_name=region)
    for bucket in buckets:
        ensure_bucket(s3, bucket, region)

    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=SUBNET_CIDR)["Subnet"]["SubnetId"]
    file_system = create_cluster_file_system(fsx, cluster_name, subnet, deployment_type)
    instance, headnode = launch_headnode(ec2, control, cluster_name, subnet, file_system, image=image)
    startup = attach_references(s3, fsx, file_system, buckets[0])
    return {
        "cluster_name": cluster_name,
        "region": region,
        "file_system_id": file_system,
        "headnode_instance_id": instance,
        "headnode_root": headnode.get("root", ""),
        "fsx_mount": headnode.get("fsx_mount", ""),
        "subnet_id": subnet,
        "reference_association_id": startup,
        "buckets": list(buckets),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description="Seed the running sandbox with a cluster's resources.")
    parser.add_argument("--cluster-name", default=DEFAULT_CLUSTER)
    parser.add_argument("--deployment-type", default="SCRATCH_2")
    parser.add_argument("--out", help="write the identifiers as JSON here (usable with ansible-playbook -e @file)")
    args = parser.parse_args(argv)
    seeded = seed_cluster(args.cluster_name, deployment_type=args.deployment_type)
    text = json.dumps(seeded, indent=2, sort_keys=True)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
