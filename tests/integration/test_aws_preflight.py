"""aws_preflight through ansible-playbook against the sandbox: every problem in one run, read-only but for the
write probe, and AccessDenied/throttling as clear results."""

import json

import pytest

from testlib.playbooks import run_playbook
from testlib.preflight import BUCKETS
from testlib.preflight import CLUSTER
from testlib.preflight import POLICIES
from testlib.preflight import ROLE_URIS
from testlib.preflight import seed_account

PLAYBOOK = "aws_preflight.yml"


def play_vars(tmp_path, **extra):
    values = {
        "cluster_name": CLUSTER,
        **ROLE_URIS,
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
