"""A sandbox account ready for preflight: the four role buckets, the reference data and the caller's IAM policies."""

import json

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import preflight

CLUSTER = "day-preflight"
BUCKETS = {"reference": "day-ref", "control": "day-control", "stage": "day-stage", "export": "day-export"}
REFERENCE_PREFIXES = preflight.REFERENCE_PREFIXES
# The role URIs over BUCKETS, by the name the module and the playbook both give them.
ROLE_URIS = {
    "reference_s3_uri": f"s3://{BUCKETS['reference']}/",
    "control_s3_uri": f"s3://{BUCKETS['control']}/",
    "stage_s3_uri": f"s3://{BUCKETS['stage']}/staged_external_data/",
    "export_s3_uri": f"s3://{BUCKETS['export']}/derived/",
}
POLICIES = ("DaylilyGlobalEClusterPolicy", "DaylilyRegionalEClusterPolicy-us-west-2")
# moto's caller identity is the IAM user "moto".
CALLER = "moto"


def seed_account(aws, version="0.7.131c", policies=POLICIES):
    s3 = aws("s3")
    for bucket in BUCKETS.values():
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
    s3.put_object(Bucket=BUCKETS["reference"], Key=preflight.REFERENCE_MARKER, Body=f"{version}\n".encode())
    for prefix in REFERENCE_PREFIXES:
        s3.put_object(Bucket=BUCKETS["reference"], Key=prefix + "README", Body=b"x")
    iam = aws("iam")
    iam.create_user(UserName=CALLER)
    iam.create_group(GroupName="daylily-operators")
    iam.add_user_to_group(GroupName="daylily-operators", UserName=CALLER)
    policy_document = json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]}
    )
    for index, name in enumerate(policies):
        arn = iam.create_policy(PolicyName=name, PolicyDocument=policy_document)["Policy"]["Arn"]
        if index == 0:
            iam.attach_user_policy(UserName=CALLER, PolicyArn=arn)
        else:
            iam.attach_group_policy(GroupName="daylily-operators", PolicyArn=arn)
