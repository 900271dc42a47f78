"""aws_preflight: each check's PASS, WARN and FAIL paths against Stubber-validated requests, and the module's
verdict and report."""

import io
import json

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber

from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import preflight
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._preflight import checks
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import aws_retry
from ansible_collections.daylily.ephemeral_cluster.plugins.modules import aws_preflight
from testlib.modules import execute_module
from testlib.modules import stubbed_module_clients

USER_ARN = "arn:aws:iam::123456789012:user/alice"
REGIONAL = "DaylilyRegionalEClusterPolicy-us-west-2"
GLOBAL = "DaylilyGlobalEClusterPolicy"


@pytest.fixture
def stubbed():
    """``stubbed(service)`` -> (retrying client, active Stubber); every stubbed answer must be used."""
    made = []

    def make(service):
        client = boto3.client(service, region_name="us-west-2", aws_access_key_id="x", aws_secret_access_key="x")
        stubber = Stubber(client)
        stubber.activate()
        made.append(stubber)
        return RetryingBotoClientWrapper(client, aws_retry(retries=2, delay=0)), stubber

    yield make
    for stubber in made:
        stubber.assert_no_pending_responses()
        stubber.deactivate()


def by_id(results):
    return {item["id"]: item for item in results}


def attached(*names):
    return {
        "AttachedPolicies": [
            {"PolicyName": name, "PolicyArn": "arn:aws:iam::123456789012:policy/" + name} for name in names
        ]
    }


def group(name):
    return {
        "Groups": [
            {
                "Path": "/",
                "GroupName": name,
                "GroupId": "AGPA" + "X" * 17,
                "Arn": "arn:aws:iam::123456789012:group/" + name,
                "CreateDate": "2026-01-01T00:00:00Z",
            }
        ]
    }


def quota(value, code="L-1216C47A"):
    return {"Quota": {"QuotaCode": code, "Value": value}}


def text_body(text):
    data = text.encode()
    return {"Body": StreamingBody(io.BytesIO(data), len(data))}


def instance_types(**vcpus):
    return {
        "InstanceTypes": [
            {"InstanceType": name.replace("_", "."), "VCpuInfo": {"DefaultVCpus": count}}
            for name, count in vcpus.items()
        ]
    }


# --- caller identity and IAM policies ------------------------------------------------------------------------
def test_caller_identity_pass_and_access_denied_fail(stubbed):
    sts, stub = stubbed("sts")
    stub.add_response("get_caller_identity", {"Account": "123456789012", "Arn": USER_ARN, "UserId": "AIDA"})
    stub.add_client_error("get_caller_identity", "AccessDenied", http_status_code=403)
    found, arn = checks.caller_identity(lambda _s: sts, {})
    assert found[0]["status"] == "PASS" and arn == USER_ARN
    found, arn = checks.caller_identity(lambda _s: sts, {})
    assert found[0]["status"] == "FAIL" and arn is None
    assert "sts:GetCallerIdentity" in found[0]["details"]


def test_policies_attached_to_user_or_group_pass_and_a_missing_one_fails(stubbed):
    iam, stub = stubbed("iam")
    stub.add_response("list_attached_user_policies", attached(GLOBAL), {"UserName": "alice"})
    stub.add_response("list_groups_for_user", group("ops"), {"UserName": "alice"})
    stub.add_response("list_attached_group_policies", attached("Other"), {"GroupName": "ops"})
    found = by_id(checks.iam_policies(lambda _s: iam, {"region": "us-west-2"}, USER_ARN))
    assert found["iam.policy." + GLOBAL]["status"] == "PASS"
    missing = found["iam.policy." + REGIONAL]
    assert missing["status"] == "FAIL" and "Attach the managed policy " + REGIONAL in missing["remediation"]


def test_a_policy_attached_through_a_group_passes(stubbed):
    iam, stub = stubbed("iam")
    stub.add_response("list_attached_user_policies", attached(), {"UserName": "alice"})
    stub.add_response("list_groups_for_user", group("ops"), {"UserName": "alice"})
    stub.add_response("list_attached_group_policies", attached(GLOBAL, REGIONAL), {"GroupName": "ops"})
    found = checks.iam_policies(lambda _s: iam, {"region": "us-west-2"}, USER_ARN)
    assert [item["status"] for item in found] == ["PASS", "PASS"]
    assert "group ops" in found[0]["details"]


def test_root_passes_and_a_role_warns_without_any_iam_call():
    def no_client(service):
        raise AssertionError("no %s call expected" % service)

    root = checks.iam_policies(no_client, {"region": "us-west-2"}, "arn:aws:iam::123456789012:root")
    assert {item["status"] for item in root} == {"PASS"}
    role = checks.iam_policies(no_client, {"region": "us-west-2"}, "arn:aws:sts::123456789012:assumed-role/r/s")
    assert {item["status"] for item in role} == {"WARN"}


def test_denied_policy_listing_warns_naming_the_action(stubbed):
    iam, stub = stubbed("iam")
    stub.add_client_error("list_attached_user_policies", "AccessDenied", http_status_code=403)
    found = checks.iam_policies(lambda _s: iam, {"region": "us-west-2"}, USER_ARN)
    assert {item["status"] for item in found} == {"WARN"}
    assert "iam:ListAttachedUserPolicies" in found[0]["details"]


# --- quotas --------------------------------------------------------------------------------------------------
QUEUES = {
    "headnode_instance_type": "r7i.2xlarge",
    "queues": [
        {"name": "i8", "instance_types": ["m7i.2xlarge"], "max_count": 8},
        {"name": "od", "instance_types": ["m7i.2xlarge"], "max_count": 2, "capacity_type": "ONDEMAND"},
    ],
}


def quota_clients(stubbed, values):
    quotas, quota_stub = stubbed("service-quotas")
    ec2, ec2_stub = stubbed("ec2")
    ec2_stub.add_response(
        "describe_instance_types",
        instance_types(r7i_2xlarge=8, m7i_2xlarge=8),
        {"InstanceTypes": ["m7i.2xlarge", "r7i.2xlarge"]},
    )
    for (_id, service, code, _what, _minimum), value in zip(checks.QUOTAS, values, strict=True):
        if isinstance(value, str):
            quota_stub.add_client_error("get_service_quota", value, http_status_code=400)
        else:
            quota_stub.add_response(
                "get_service_quota", quota(value, code), {"ServiceCode": service, "QuotaCode": code}
            )
    return {"service-quotas": quotas, "ec2": ec2}.__getitem__


def test_quotas_pass_warn_below_minimum_and_fail_below_the_queues_demand(stubbed):
    # on-demand: headnode 8 + 2 x 8 = 24 vCPUs; spot: 8 x 8 = 64 vCPUs.
    clients = quota_clients(stubbed, [20, 100, 5, 3, "NoSuchResourceException", 5])
    found = by_id(checks.service_quotas(clients, {"cluster_inputs": QUEUES}))
    assert found["quota.ondemand_vcpu"]["status"] == "FAIL"
    assert "24 vCPUs" in found["quota.ondemand_vcpu"]["details"]
    assert found["quota.spot_vcpu"]["status"] == "WARN"  # enough for the queues, below the recommended 192
    assert found["quota.vpcs"]["status"] == "PASS"
    assert found["quota.elastic_ips"]["status"] == "WARN"
    assert (
        found["quota.nat_gateways"]["status"] == "WARN"
        and "could not be read" in found["quota.nat_gateways"]["details"]
    )
    assert found["quota.internet_gateways"]["status"] == "PASS"


def test_denied_instance_type_lookup_still_reads_every_quota(stubbed):
    quotas, quota_stub = stubbed("service-quotas")
    ec2, ec2_stub = stubbed("ec2")
    ec2_stub.add_client_error("describe_instance_types", "UnauthorizedOperation", http_status_code=403)
    for _id, service, code, _what, _minimum in checks.QUOTAS:
        quota_stub.add_response("get_service_quota", quota(500, code), {"ServiceCode": service, "QuotaCode": code})
    found = by_id(checks.service_quotas({"service-quotas": quotas, "ec2": ec2}.__getitem__, {"cluster_inputs": QUEUES}))
    assert found["quota.spot_vcpu"]["status"] == "PASS"
    assert found["quota.vcpu_demand"]["status"] == "WARN"
    assert "ec2:DescribeInstanceTypes" in found["quota.vcpu_demand"]["details"]


# --- S3 roles ------------------------------------------------------------------------------------------------
ROLE_URIS = {
    "reference": "s3://ref/",
    "control": "s3://control/",
    "stage": "s3://stage/staged_external_data/",
    "export": "s3://export/derived/",
}


def test_role_config_passes_for_distinct_prefixes_and_fails_naming_each_overlap_and_bad_uri():
    _locations, found = checks.role_locations({"role_uris": ROLE_URIS})
    assert found[0]["status"] == "PASS"
    overlapping = dict(ROLE_URIS, export="s3://stage/staged_external_data/derived", control="s3://Bad_Bucket/")
    locations, found = checks.role_locations({"role_uris": overlapping})
    assert found[0]["status"] == "FAIL"
    assert "export_s3_uri s3://stage/staged_external_data/derived/ and stage_s3_uri" in found[0]["details"]
    assert "control_s3_uri" in found[0]["details"] and "control" not in locations


def test_buckets_pass_missing_fails_and_forbidden_names_s3_list_bucket(stubbed):
    s3, stub = stubbed("s3")
    stub.add_response("head_bucket", {}, {"Bucket": "control"})
    stub.add_client_error("head_bucket", "404", http_status_code=404, expected_params={"Bucket": "export"})
    stub.add_client_error("head_bucket", "403", http_status_code=403, expected_params={"Bucket": "ref"})
    stub.add_response("head_bucket", {}, {"Bucket": "stage"})
    locations, _found = checks.role_locations({"role_uris": ROLE_URIS})
    found = by_id(checks.buckets_reachable(s3, locations))
    assert found["s3.role_verify.control"]["status"] == "PASS"
    assert (
        found["s3.role_verify.export"]["status"] == "FAIL"
        and "does not exist" in found["s3.role_verify.export"]["details"]
    )
    assert found["s3.role_verify.reference"]["status"] == "FAIL"
    assert "s3:ListBucket" in found["s3.role_verify.reference"]["details"]


def reference_stubs(stub, marker, empty=()):
    if isinstance(marker, str):
        stub.add_response("get_object", text_body(marker), {"Bucket": "ref", "Key": "s3_reference_data_version.info"})
    else:
        stub.add_client_error("get_object", "NoSuchKey", http_status_code=404)
    for prefix in checks.REFERENCE_PREFIXES:
        stub.add_response(
            "list_objects_v2",
            {"KeyCount": 0 if prefix in empty else 1},
            {"Bucket": "ref", "Prefix": prefix, "MaxKeys": 1},
        )


def test_reference_version_and_prefixes_pass(stubbed):
    s3, stub = stubbed("s3")
    reference_stubs(stub, "0.7.131c\n")
    found = checks.reference_data(s3, checks.role_locations({"role_uris": ROLE_URIS})[0]["reference"])
    assert [item["status"] for item in found] == ["PASS", "PASS"]


def test_wrong_or_missing_version_marker_and_an_empty_prefix_fail(stubbed):
    s3, stub = stubbed("s3")
    location = checks.role_locations({"role_uris": ROLE_URIS})[0]["reference"]
    reference_stubs(stub, "0.7.100", empty=("runtime_assets/cached_envs/",))
    found = by_id(checks.reference_data(s3, location))
    assert found["s3.reference_version"]["status"] == "FAIL" and "'0.7.100'" in found["s3.reference_version"]["details"]
    assert found["s3.reference_prefixes"]["status"] == "FAIL"
    assert "runtime_assets/cached_envs/" in found["s3.reference_prefixes"]["details"]
    reference_stubs(stub, None)
    found = by_id(checks.reference_data(s3, location))
    assert "does not exist" in found["s3.reference_version"]["details"]


def test_write_probe_puts_then_deletes_under_the_probe_prefix_and_is_skipped_in_check_mode(stubbed):
    s3, stub = stubbed("s3")
    location = checks.role_locations({"role_uris": ROLE_URIS})[0]["export"]
    stub.add_response("put_object", {})
    stub.add_response("delete_object", {})
    assert checks.write_probe(s3, "export", location, check_mode=True)[0]["status"] == "SKIPPED"
    found = checks.write_probe(s3, "export", location, check_mode=False)[0]
    assert found["status"] == "PASS"
    assert "s3://export/derived/dayec-preflight/write-check-" in found["details"]


def test_denied_write_probe_fails_naming_s3_put_object(stubbed):
    s3, stub = stubbed("s3")
    stub.add_client_error("put_object", "AccessDenied", http_status_code=403)
    location = checks.role_locations({"role_uris": ROLE_URIS})[0]["stage"]
    found = checks.write_probe(s3, "stage", location, check_mode=False)[0]
    assert found["status"] == "FAIL" and "Grant s3:PutObject" in found["remediation"]


# --- config checks -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "inputs, fsx, headnode",
    [
        ({"fsx_storage_capacity": 4800, "headnode_instance_type": "r7i.4xlarge"}, "PASS", "PASS"),
        ({"fsx_storage_capacity": 3000}, "FAIL", "PASS"),
        ({"fsx_deployment_type": "SCRATCH_1"}, "FAIL", "PASS"),
        ({"headnode_instance_type": "m5.large"}, "PASS", "FAIL"),
    ],
)
def test_fsx_capacity_and_headnode_type_follow_the_cluster_config_rules(inputs, fsx, headnode):
    found = by_id(checks.cluster_config({"cluster_inputs": inputs}))
    assert (found["config.fsx_capacity"]["status"], found["config.headnode_instance_type"]["status"]) == (fsx, headnode)


def test_catalog_parses_and_an_unparsable_catalog_fails(tmp_path):
    assert checks.repository_catalog({})[0]["status"] == "PASS"
    broken = tmp_path / "catalog.yaml"
    broken.write_text("repositories: [unclosed\n", encoding="utf-8")
    found = checks.repository_catalog({"catalog_path": str(broken)})[0]
    assert found["status"] == "FAIL" and str(broken) in found["details"]


# --- verdict and the module ----------------------------------------------------------------------------------
def test_fail_always_fails_and_warn_fails_unless_pass_on_warn():
    warn = [checks.result("a", "PASS", ""), checks.result("b", "WARN", "")]
    assert preflight.verdict(warn)[0] is True
    assert preflight.verdict(warn, pass_on_warn=True)[0] is False
    assert preflight.verdict(warn + [checks.result("c", "FAIL", "")], pass_on_warn=True)[0] is True


def test_module_runs_every_check_after_a_failure_and_writes_the_report(monkeypatch, capsys, tmp_path):
    with stubbed_module_clients(monkeypatch, "sts", "service-quotas", "ec2", "s3") as stubs:
        stubs["sts"].add_client_error("get_caller_identity", "AccessDenied", http_status_code=403)
        stubs["ec2"].add_response(
            "describe_instance_types",
            instance_types(r7i_2xlarge=8, m7i_2xlarge=8),
            {"InstanceTypes": ["m7i.2xlarge", "r7i.2xlarge"]},
        )
        for _id, service, code, _what, _minimum in checks.QUOTAS:
            stubs["service-quotas"].add_response(
                "get_service_quota", quota(500, code), {"ServiceCode": service, "QuotaCode": code}
            )
        for bucket in ("control", "export", "ref", "stage"):
            stubs["s3"].add_response("head_bucket", {}, {"Bucket": bucket})
        reference_stubs(stubs["s3"], "0.7.131c")
        code, result = execute_module(
            capsys,
            aws_preflight.main,
            dict(
                cluster_name="day-unit",
                region="us-west-2",
                output_dir=str(tmp_path),
                cluster_inputs=QUEUES,
                **{"%s_s3_uri" % role: uri for role, uri in ROLE_URIS.items()},
            ),
            check_mode=True,
        )
    assert code == 1 and result["failed"]
    found = by_id(result["checks"])
    assert found["sts.caller_identity"]["status"] == "FAIL"
    assert {found["iam.policy." + GLOBAL]["status"], found["iam.policy." + REGIONAL]["status"]} == {"WARN"}
    assert found["s3.write_probe.stage"]["status"] == "SKIPPED"
    assert found["config.fsx_capacity"]["status"] == "PASS"
    assert result["summary"]["FAIL"] == 1 and "sts.caller_identity FAIL" in result["msg"]
    assert result["report_path"].startswith(str(tmp_path / "preflight_day-unit_"))
    report = json.loads(open(result["report_path"], encoding="utf-8").read())
    assert list(report) == sorted(report) and report["failed"] is True
