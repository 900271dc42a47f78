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


def attach_references(s3, fsx, file_system, bucket):
    """The one startup DRA every Daylily cluster has (invariant 2): /references/ <- the reference bucket."""
    for key, body in REFERENCE_OBJECTS.items():
        s3.put_object(Bucket=bucket, Key=key, Body=body)
    association = fsx.create_data_repository_association(
        FileSystemId=file_system, FileSystemPath="/references/", DataRepositoryPath=f"s3://{bucket}/",
        BatchImportMetaDataOnCreate=True,
        S3={"AutoImportPolicy": {"Events": ["NEW", "CHANGED", "DELETED"]}},
        Tags=[{"Key": "lsmc:purpose", "Value": "reference"}],
    )["Association"]
    return association["AssociationId"]


def seed_cluster(cluster_name=DEFAULT_CLUSTER, region="us-west-2", deployment_type="SCRATCH_2",
                 buckets=("dayec-reference", "dayec-analysis", "dayec-runs"), control=None):
    """Create a cluster-shaped set of resources and return their identifiers."""
    control = control or SandboxControl()
    s3 = boto3.client("s3", region_name=region)
    ec2 = boto3.client("ec2", region_name=region)
    fsx = boto3.client("fsx", region_name=region)
    for bucket in buckets:
        ensure_bucket(s3, bucket, region)

    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=SUBNET_CIDR)["Subnet"]["SubnetId"]
    cluster_tags = [{"Key": "parallelcluster:cluster-name", "Value": cluster_name}]
    file_system = fsx.create_file_system(
        FileSystemType="LUSTRE", StorageCapacity=1200, SubnetIds=[subnet],
        LustreConfiguration={"DeploymentType": deployment_type},
        Tags=cluster_tags + [{"Key": "Name", "Value": f"{cluster_name}-fsx"}],
    )["FileSystem"]["FileSystemId"]
    image = ec2.describe_images()["Images"][0]["ImageId"]
    instance = ec2.run_instances(
        ImageId=image, MinCount=1, MaxCount=1, InstanceType="r7i.2xlarge", SubnetId=subnet,
        TagSpecifications=[{"ResourceType": "instance", "Tags": cluster_tags + [
            {"Key": "parallelcluster:node-type", "Value": "HeadNode"}, {"Key": "Name", "Value": "HeadNode"}]}],
    )["Instances"][0]["InstanceId"]
    headnode = control.call("POST", "headnodes", {"instance_id": instance, "file_system_id": file_system})
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
