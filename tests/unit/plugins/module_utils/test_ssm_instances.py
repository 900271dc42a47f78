"""The SSM managed-instance and EC2 head-node service functions (module_utils/ssm_instances.py, ec2_instances.py) on
Stubber-validated clients wrapped the way DaylilyAWSModule.client wraps them."""

import datetime

import boto3
import pytest
from botocore.stub import Stubber

from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import ec2_instances
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import ssm_instances
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import aws_retry

REGION = "us-west-2"
HEADNODE = "i-0123456789abcdef0"
LAUNCHED = datetime.datetime(2026, 1, 31, 11, 0, tzinfo=datetime.UTC)


@pytest.fixture
def stubbed():
    """(wrapped client, Stubber) for a service; every queued response must be used."""
    made = []

    def make(service):
        client = boto3.client(service, region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing")
        stubber = Stubber(client)
        stubber.activate()
        made.append(stubber)
        return RetryingBotoClientWrapper(client, aws_retry(delay=0)), stubber

    yield make
    for stubber in made:
        stubber.assert_no_pending_responses()


def test_a_throttled_query_is_retried_with_the_clients_policy_and_errors_say_what_to_do(stubbed):
    ssm, stubber = stubbed("ssm")
    ids = {"Filters": [{"Key": "InstanceIds", "Values": [HEADNODE]}]}
    stubber.add_client_error(
        "describe_instance_information", "ThrottlingException", "Rate exceeded", expected_params=ids
    )
    stubber.add_response("describe_instance_information", {"InstanceInformationList": [{"InstanceId": HEADNODE}]}, ids)
    assert ssm_instances.instance_information(ssm, [HEADNODE, HEADNODE]) == [{"InstanceId": HEADNODE}]

    stubber.add_client_error("describe_instance_information", "AccessDeniedException", "no", expected_params={})
    with pytest.raises(ssm_instances.AnsibleSSMError) as caught:
        ssm_instances.instance_information(ssm)
    assert (caught.value.operation, caught.value.code) == ("DescribeInstanceInformation", "AccessDeniedException")
    assert "add ssm:DescribeInstanceInformation to the IAM policy" in caught.value.message


@pytest.mark.parametrize(
    "found, error",
    [
        ([HEADNODE], None),
        ([], "No running EC2 instance in us-west-2 is tagged parallelcluster:cluster-name=day-demo"),
        ([HEADNODE, "i-0fedcba9876543210"], "2 running EC2 instances in us-west-2 are tagged"),
    ],
)
def test_the_one_running_headnode_is_found_by_its_tags(stubbed, found, error):
    ec2, stubber = stubbed("ec2")
    filters = [
        {"Name": "tag:parallelcluster:cluster-name", "Values": ["day-demo"]},
        {"Name": "tag:parallelcluster:node-type", "Values": ["HeadNode"]},
        {"Name": "instance-state-name", "Values": ["running"]},
    ]
    stubber.add_response(
        "describe_instances",
        {
            "Reservations": [
                {
                    "ReservationId": "r-0123456789abcdef0",
                    "Instances": [{"InstanceId": instance, "LaunchTime": LAUNCHED} for instance in found],
                }
            ]
        },
        {"Filters": filters},
    )
    if not error:
        assert ec2_instances.find_headnode(ec2, "day-demo", REGION) == HEADNODE
        return
    with pytest.raises(ec2_instances.HeadnodeLookupError) as caught:
        ec2_instances.find_headnode(ec2, "day-demo", REGION)
    assert caught.value.message.startswith(error)
    assert [item["instance_id"] for item in caught.value.kwargs["headnode_candidates"]] == found
