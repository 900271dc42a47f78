"""Unit tests for plugins/modules/ssm_instance_info.py.

main() runs for real (argument parsing, check mode, exit_json/fail_json) with patch_module_args; only client creation
is intercepted: DaylilyAWSModule.client returns real botocore SSM and EC2 clients under Stubber (every request
validated against the API model), wrapped the way amazon.aws wraps them.
"""

import datetime

import boto3
import pytest
from botocore.stub import Stubber

from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import DaylilyAWSModule
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import aws_retry
from ansible_collections.daylily.ephemeral_cluster.plugins.modules import ssm_instance_info
from testlib.modules import execute_module

REGION = "us-west-2"
HEADNODE = "i-0123456789abcdef0"
OTHER = "i-0fedcba9876543210"
PINGED = datetime.datetime(2026, 1, 31, 12, 0, tzinfo=datetime.UTC)
LAUNCHED = datetime.datetime(2026, 1, 31, 11, 0, tzinfo=datetime.UTC)
CONNECTION = {"region": REGION, "access_key": "testing", "secret_key": "testing", "retry_delay": 0}
HEADNODE_FILTERS = [
    {"Name": "tag:parallelcluster:cluster-name", "Values": ["day-demo"]},
    {"Name": "tag:parallelcluster:node-type", "Values": ["HeadNode"]},
    {"Name": "instance-state-name", "Values": ["running"]},
]
INFO = "describe_instance_information"


def information(instance_id=HEADNODE, ping_status="Online"):
    return {
        "InstanceId": instance_id,
        "PingStatus": ping_status,
        "LastPingDateTime": PINGED,
        "AgentVersion": "3.3.1142.0",
        "IsLatestVersion": False,
        "PlatformType": "Linux",
        "PlatformName": "Ubuntu",
        "PlatformVersion": "22.04",
        "ResourceType": "EC2Instance",
        "IPAddress": "10.0.1.23",
        "ComputerName": "ip-10-0-1-23.us-west-2.compute.internal",
    }


def reservations(*instance_ids):
    return {
        "Reservations": [
            {"ReservationId": f"r-{n:017x}", "Instances": [{"InstanceId": instance_id, "LaunchTime": LAUNCHED}]}
            for n, instance_id in enumerate(instance_ids)
        ]
    }


def ids_filter(*instance_ids, ping=None):
    filters = [{"Key": "PingStatus", "Values": ping}] if ping else []
    return {"Filters": filters + [{"Key": "InstanceIds", "Values": list(instance_ids)}]}


@pytest.fixture
def stubs(monkeypatch):
    """{"ssm": Stubber, "ec2": Stubber, "calls": [services]}; DaylilyAWSModule.client returns the stubbed clients."""
    clients = {
        service: boto3.client(service, region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing")
        for service in ("ssm", "ec2")
    }
    calls = []

    def fake_client(self, service, retry_decorator=None, **extra):
        calls.append(service)
        assert retry_decorator is not None, "clients must be created with a retry decorator"
        return RetryingBotoClientWrapper(clients[service], aws_retry(delay=0))

    monkeypatch.setattr(DaylilyAWSModule, "client", fake_client)
    with Stubber(clients["ssm"]) as ssm, Stubber(clients["ec2"]) as ec2:
        yield {"ssm": ssm, "ec2": ec2, "calls": calls}
        ssm.assert_no_pending_responses()
        ec2.assert_no_pending_responses()


def run_module(capsys, args, check_mode=False):
    return execute_module(capsys, ssm_instance_info.main, dict(CONNECTION, **args), check_mode=check_mode)


def test_instance_ids_are_described_and_snake_cased(stubs, capsys):
    stubs["ssm"].add_response(INFO, {"InstanceInformationList": [information()]}, ids_filter(HEADNODE))

    rc, result = run_module(capsys, {"instance_ids": [HEADNODE]})

    assert rc == 0 and result["changed"] is False
    assert "headnode_instance_id" not in result
    assert result["instances"] == [
        {
            "instance_id": HEADNODE,
            "ping_status": "Online",
            "last_ping_date_time": "2026-01-31T12:00:00+00:00",
            "platform_name": "Ubuntu",
            "platform_type": "Linux",
            "platform_version": "22.04",
            "agent_version": "3.3.1142.0",
            "computer_name": "ip-10-0-1-23.us-west-2.compute.internal",
            "ip_address": "10.0.1.23",
            "resource_type": "EC2Instance",
        }
    ]
    assert stubs["calls"] == ["ssm"]


def test_pages_are_followed(stubs, capsys):
    stubs["ssm"].add_response(INFO, {"InstanceInformationList": [information(HEADNODE)], "NextToken": "page2"}, {})
    stubs["ssm"].add_response(
        INFO, {"InstanceInformationList": [information(OTHER, "ConnectionLost")]}, {"NextToken": "page2"}
    )

    rc, result = run_module(capsys, {})

    assert rc == 0
    assert [(item["instance_id"], item["ping_status"]) for item in result["instances"]] == [
        (HEADNODE, "Online"),
        (OTHER, "ConnectionLost"),
    ]


def test_ping_status_filter_is_sent_to_ssm(stubs, capsys):
    stubs["ssm"].add_response(
        INFO,
        {"InstanceInformationList": [information(OTHER, "ConnectionLost")]},
        {"Filters": [{"Key": "PingStatus", "Values": ["ConnectionLost", "Inactive"]}]},
    )

    rc, result = run_module(capsys, {"ping_status": ["ConnectionLost", "Inactive"]})

    assert rc == 0 and [item["instance_id"] for item in result["instances"]] == [OTHER]


def test_many_instance_ids_are_asked_in_batches(stubs, capsys):
    ids = [f"i-{n:017x}" for n in range(1, 61)]
    stubs["ssm"].add_response(
        INFO, {"InstanceInformationList": [information(ids[0])]}, ids_filter(*ids[:50], ping=["Online"])
    )
    stubs["ssm"].add_response(
        INFO, {"InstanceInformationList": [information(ids[59])]}, ids_filter(*ids[50:], ping=["Online"])
    )

    rc, result = run_module(capsys, {"instance_ids": ids, "ping_status": ["Online"]})

    assert rc == 0 and [item["instance_id"] for item in result["instances"]] == [ids[0], ids[59]]


def test_cluster_name_resolves_the_running_headnode(stubs, capsys):
    stubs["ec2"].add_response("describe_instances", reservations(HEADNODE), {"Filters": HEADNODE_FILTERS})
    stubs["ssm"].add_response(
        INFO, {"InstanceInformationList": [information(HEADNODE, "ConnectionLost")]}, ids_filter(HEADNODE)
    )

    rc, result = run_module(capsys, {"cluster_name": "day-demo"}, check_mode=True)

    assert rc == 0
    assert result["headnode_instance_id"] == HEADNODE
    assert result["instances"][0]["ping_status"] == "ConnectionLost"
    assert stubs["calls"] == ["ec2", "ssm"]


def test_headnode_not_yet_registered_with_ssm_gives_no_instances(stubs, capsys):
    stubs["ec2"].add_response("describe_instances", reservations(HEADNODE), {"Filters": HEADNODE_FILTERS})
    stubs["ssm"].add_response(INFO, {"InstanceInformationList": []}, ids_filter(HEADNODE))

    rc, result = run_module(capsys, {"cluster_name": "day-demo"})

    assert rc == 0 and result["headnode_instance_id"] == HEADNODE and result["instances"] == []


def test_no_running_headnode_fails_precisely(stubs, capsys):
    stubs["ec2"].add_response("describe_instances", {"Reservations": []}, {"Filters": HEADNODE_FILTERS})

    rc, result = run_module(capsys, {"cluster_name": "day-demo"})

    assert rc == 1
    assert result["msg"].startswith(
        "No running EC2 instance in us-west-2 is tagged parallelcluster:cluster-name=day-demo and "
        "parallelcluster:node-type=HeadNode (DescribeInstances)."
    )
    assert "pcluster describe-cluster" in result["msg"]
    assert result["headnode_candidates"] == []
    assert stubs["calls"] == ["ec2"]


def test_two_running_headnodes_fail_and_are_listed(stubs, capsys):
    stubs["ec2"].add_response("describe_instances", reservations(HEADNODE, OTHER), {"Filters": HEADNODE_FILTERS})

    rc, result = run_module(capsys, {"cluster_name": "day-demo"})

    assert rc == 1
    assert result["msg"].startswith("2 running EC2 instances in us-west-2 are tagged")
    assert f"{HEADNODE} (launched 2026-01-31T11:00:00+00:00), {OTHER}" in result["msg"]
    assert "pass instance_ids" in result["msg"]
    assert [item["instance_id"] for item in result["headnode_candidates"]] == [HEADNODE, OTHER]


def test_throttling_is_retried(stubs, capsys):
    for _attempt in range(2):
        stubs["ssm"].add_client_error(
            INFO, "ThrottlingException", "Rate exceeded", 400, expected_params=ids_filter(HEADNODE)
        )
    stubs["ssm"].add_response(INFO, {"InstanceInformationList": [information()]}, ids_filter(HEADNODE))

    rc, result = run_module(capsys, {"instance_ids": [HEADNODE]})

    assert rc == 0 and len(result["instances"]) == 1


def test_access_denied_names_the_iam_action(stubs, capsys):
    stubs["ssm"].add_client_error(
        INFO, "AccessDeniedException", "not authorized", 400, expected_params=ids_filter(HEADNODE)
    )

    rc, result = run_module(capsys, {"instance_ids": [HEADNODE]})

    assert rc == 1
    assert "add ssm:DescribeInstanceInformation to the IAM policy" in result["msg"]
    assert result["error"]["code"] == "AccessDeniedException"


def test_ec2_unauthorized_names_the_iam_action(stubs, capsys):
    stubs["ec2"].add_client_error(
        "describe_instances", "UnauthorizedOperation", "no", 403, expected_params={"Filters": HEADNODE_FILTERS}
    )

    rc, result = run_module(capsys, {"cluster_name": "day-demo"})

    assert rc == 1 and "add ec2:DescribeInstances" in result["msg"]


@pytest.mark.parametrize(
    "args, message",
    [
        ({"instance_ids": ["i-123", HEADNODE]}, "are not instance ids"),
        ({"instance_ids": [HEADNODE], "cluster_name": "day-demo"}, "mutually exclusive"),
        ({"cluster_name": "  "}, "non-empty cluster name"),
        ({"ping_status": ["Offline"]}, "value of ping_status must be one or more of"),
    ],
)
def test_bad_input_fails_before_any_aws_call(stubs, capsys, args, message):
    rc, result = run_module(capsys, args)

    assert rc == 1 and message in result["msg"]
    assert stubs["calls"] == []
