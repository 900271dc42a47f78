"""The ssm connection's GetCommandInvocation schedule (plugins/plugin_utils/ssm.py ``_wait``) and its documentation.

Issue 15 row 3b: at most 3 polls per module task. A module task ends about a second or more after SendCommand
(Python's start-up on the node alone takes ~0.5 s), so the first poll comes 1 s after the send and each wait is
1.5 times the one before, up to 3 s: polls at 1, 2.5, 4.75 and 7.75 s, then every 3 s. Requests are checked with
botocore's Stubber; the clock is fake and every sleep is recorded.
"""

import uuid

import boto3
import pytest
import yaml
from botocore.stub import Stubber

from ansible_collections.daylily.ephemeral_cluster.plugins.connection import ssm as connection
from ansible_collections.daylily.ephemeral_cluster.plugins.plugin_utils import ssm

INSTANCE = "i-0123456789abcdef0"
COMMAND_ID = str(uuid.uuid5(uuid.NAMESPACE_OID, "poll-schedule"))
DOCUMENTED_POLLS = [1.0, 2.5, 4.75, 7.75, 10.75, 13.75]


def _waited(statuses, **settings):
    """The sleeps of one ``_wait`` over GetCommandInvocation answers with ``statuses`` (the last one ends it)."""
    client = boto3.client("ssm", region_name="us-west-2", aws_access_key_id="testing", aws_secret_access_key="testing")
    sleeps = []
    now = [0.0]

    def sleep(seconds):
        sleeps.append(seconds)
        now[0] += seconds

    runner = ssm.SSMCommandRunner(
        client, ssm.SSMSettings(instance_id=INSTANCE, **settings), sleep=sleep, clock=lambda: now[0]
    )
    with Stubber(client) as stubber:
        for status in statuses:
            stubber.add_response(
                "get_command_invocation",
                {"CommandId": COMMAND_ID, "InstanceId": INSTANCE, "Status": status, "ResponseCode": 0},
                {"CommandId": COMMAND_ID, "InstanceId": INSTANCE},
            )
        assert runner._wait(COMMAND_ID)["Status"] == statuses[-1]  # noqa: SLF001
        stubber.assert_no_pending_responses()
    return sleeps


def _cumulative(sleeps):
    total, times = 0.0, []
    for seconds in sleeps:
        total += seconds
        times.append(total)
    return times


@pytest.mark.parametrize(
    ("statuses", "polled_at"),
    [
        (["Success"], [1.0]),  # a shell command that ended within 1 s
        (["InProgress", "Success"], [1.0, 2.5]),  # a module task that ended within 2.5 s: two polls
        (["InProgress", "InProgress", "Success"], [1.0, 2.5, 4.75]),  # within 4.75 s: three
    ],
)
def test_default_schedule_needs_at_most_three_polls_for_a_task_of_under_4_75_s(statuses, polled_at):
    assert _cumulative(_waited(statuses)) == polled_at


def test_default_schedule_waits_grow_by_half_up_to_three_seconds():
    sleeps = _waited(["Pending"] + ["InProgress"] * 4 + ["Success"])
    assert sleeps == [1.0, 1.5, 2.25, 3.0, 3.0, 3.0]
    assert _cumulative(sleeps) == DOCUMENTED_POLLS == ssm.poll_times(count=6)


def test_an_ended_command_is_noticed_at_most_one_wait_late():
    # the lag bound the documentation states: 1.5 s in the first 2.5 s, 2.25 s until 4.75 s, then poll_max_interval
    polls = ssm.poll_times(count=8)
    waits = [later - earlier for earlier, later in zip([0.0] + polls, polls, strict=False)]
    assert waits[1:3] == [1.5, 2.25]
    assert max(waits) == ssm.POLL_MAX_INTERVAL


def test_poll_times_follow_the_options_given():
    assert _cumulative(_waited(["InProgress"] * 3 + ["Success"], poll_interval=0.5, poll_max_interval=1.0)) == (
        ssm.poll_times(0.5, 1.0, count=4)
    )
    assert ssm.poll_times(0.5, 1.0, count=4) == [0.5, 1.25, 2.25, 3.25]


def test_the_connection_documents_the_runner_defaults_and_their_polls():
    documentation = yaml.safe_load(connection.DOCUMENTATION)["options"]
    assert documentation["poll_interval"]["default"] == ssm.SSMSettings.poll_interval == ssm.POLL_INTERVAL == 1.0
    assert documentation["poll_max_interval"]["default"] == ssm.SSMSettings.poll_max_interval == 3.0
    text = " ".join(documentation["poll_interval"]["description"])
    first, second, third, fourth = (f"{moment:g}" for moment in ssm.poll_times(count=4))
    assert f"the polls come {first}, {second}, {third} and {fourth} seconds after C(SendCommand)" in text
    assert "1.5 times longer" in text and ssm.POLL_GROWTH == 1.5
