"""aws_preflight through ansible-playbook against the sandbox: every problem in one run, read-only but for the
write probe, and AccessDenied/throttling as clear results."""

import json

import pytest

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import preflight
from testlib.playbooks import run_playbook

PLAYBOOK = "aws_preflight.yml"
CLUSTER = "day-preflight"
BUCKETS = {"reference": "day-ref", "control": "day-control", "stage": "day-stage", "export": "day-export"}
REFERENCE_PREFIXES = preflight.REFERENCE_PREFIXES
POLICIES = ["DaylilyGlobalEClusterPolicy", "DaylilyRegionalEClusterPolicy-us-west-2"]
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
    policy_document = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]})
    for index, name in enumerate(policies):
        arn = iam.create_policy(PolicyName=name, PolicyDocument=policy_document)["Policy"]["Arn"]
        if index == 0:
            iam.attach_user_policy(UserName=CALLER, PolicyArn=arn)
        else:
            iam.attach_group_policy(GroupName="daylily-operators", PolicyArn=arn)


def play_vars(tmp_path, **extra):
    values = {
        "cluster_name": CLUSTER,
        "reference_s3_uri": f"s3://{BUCKETS['reference']}/",
        "control_s3_uri": f"s3://{BUCKETS['control']}/",
        "stage_s3_uri": f"s3://{BUCKETS['stage']}/staged_external_data/",
        "export_s3_uri": f"s3://{BUCKETS['export']}/derived/",
        "cluster_inputs": {"headnode_instance_type": "r7i.2xlarge", "fsx_storage_capacity": 1200},
        "output_dir": str(tmp_path / "reports"),
        "retry_delay": 0,
    }
    values.update(extra)
    return values


def statuses(result):
    return {check["id"]: check["status"] for check in result["checks"]}


def test_ready_account_passes_with_only_the_unreadable_ec2_quotas_warned(sandbox, aws, tmp_path):
    seed_account(aws)
    sandbox.clear_audit()
    run = run_playbook(PLAYBOOK, play_vars(tmp_path, pass_on_warn=True))
    result = run.result("Preflight")
    assert not result.get("failed"), result.get("msg")
    found = statuses(result)
    # moto's service-quotas knows only the VPC quotas: the EC2 ones cannot be read there.
    warned = {"quota.ondemand_vcpu", "quota.spot_vcpu", "quota.elastic_ips"}
    assert {check for check, status in found.items() if status != "PASS"} == warned
    assert {found[check] for check in warned} == {"WARN"}
    assert found["s3.write_probe.stage"] == found["s3.write_probe.export"] == "PASS"
    mutating = [(e["service"], e["operation"]) for e in sandbox.mutating_calls()]
    assert sorted(mutating) == [("s3", "DeleteObject")] * 2 + [("s3", "PutObject")] * 2
    probes = [check["details"] for check in result["checks"] if check["id"].startswith("s3.write_probe.")]
    assert "s3://day-export/derived/dayec-preflight/write-check-" in probes[1]
    assert not aws("s3").list_objects_v2(Bucket=BUCKETS["export"]).get("Contents")
    report = json.loads(open(result["report_path"], encoding="utf-8").read())
    assert report["checks"] == result["checks"] and report["cluster_name"] == CLUSTER


def test_warnings_fail_without_pass_on_warn(sandbox, aws, tmp_path):
    seed_account(aws)
    run = run_playbook(PLAYBOOK, play_vars(tmp_path))
    result = run.result("Preflight")
    assert result["failed"]
    assert "quota.spot_vcpu WARN" in result["msg"] and "pass_on_warn" in result["msg"]


@pytest.mark.parametrize("check_mode", [False, True], ids=["run", "check_mode"])
def test_five_problems_are_reported_in_one_run_with_no_mutating_call(sandbox, aws, tmp_path, check_mode):
    seed_account(aws, version="0.7.100", policies=POLICIES[:1])
    aws("s3").delete_bucket(Bucket=BUCKETS["control"])
    sandbox.clear_audit()
    variables = play_vars(
        tmp_path,
        pass_on_warn=True,
        export_s3_uri=f"s3://{BUCKETS['stage']}/staged_external_data/derived/",
        cluster_inputs={"headnode_instance_type": "m5.large", "fsx_storage_capacity": 3000},
    )
    run = run_playbook(PLAYBOOK, variables, check=check_mode)
    result = run.result("Preflight")
    assert result["failed"]
    failed = {check for check, status in statuses(result).items() if status == "FAIL"}
    assert failed == {
        "iam.policy.DaylilyRegionalEClusterPolicy-us-west-2",
        "s3.reference_version",
        "s3.role_config",
        "s3.role_verify.control",
        "config.fsx_capacity",
        "config.headnode_instance_type",
    }
    for check in result["checks"]:
        if check["status"] == "FAIL":
            assert check["remediation"], check
    mutating = [(e["service"], e["operation"]) for e in sandbox.mutating_calls()]
    if check_mode:
        assert mutating == []
        assert statuses(result)["s3.write_probe.export"] == "SKIPPED"
    else:
        assert {operation for _service, operation in mutating} <= {"PutObject", "DeleteObject"}


def test_access_denied_names_the_missing_action(sandbox, aws, tmp_path):
    seed_account(aws)
    sandbox.inject_fault("iam", "ListAttachedUserPolicies", code="AccessDenied", status=403, count=-1)
    sandbox.inject_fault("s3", "PutObject", code="AccessDenied", status=403, count=-1)
    run = run_playbook(PLAYBOOK, play_vars(tmp_path, pass_on_warn=True))
    result = run.result("Preflight")
    checks = {check["id"]: check for check in result["checks"]}
    policy = checks["iam.policy.DaylilyGlobalEClusterPolicy"]
    assert policy["status"] == "WARN" and "iam:ListAttachedUserPolicies" in policy["details"]
    probe = checks["s3.write_probe.export"]
    assert probe["status"] == "FAIL" and "s3:PutObject" in probe["remediation"]
    assert "Traceback" not in json.dumps(result)


def test_throttling_is_retried_then_reported(sandbox, aws, tmp_path):
    seed_account(aws)
    sandbox.inject_fault("s3", "HeadBucket", code="SlowDown", status=503, count=2)
    sandbox.inject_fault("sts", "GetCallerIdentity", code="Throttling", status=400, count=-1)
    run = run_playbook(PLAYBOOK, play_vars(tmp_path, pass_on_warn=True, retries=2))
    result = run.result("Preflight")
    checks = {check["id"]: check for check in result["checks"]}
    assert checks["s3.role_verify.reference"]["status"] == "PASS"
    identity = checks["sts.caller_identity"]
    assert identity["status"] == "FAIL" and "throttling" in identity["remediation"]
    assert "Traceback" not in json.dumps(result)
