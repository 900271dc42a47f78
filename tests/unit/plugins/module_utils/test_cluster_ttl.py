"""The time-to-live contract: the tags create.yml writes and the expiry decision the inventory plugin and reap.yml act on."""

import datetime

import pytest

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import cluster_ttl

UTC = datetime.UTC
NOW = datetime.datetime(2026, 12, 6, 12, 0, 0, tzinfo=UTC)


def test_expiry_tags_name_the_utc_instant_and_the_hours():
    assert cluster_ttl.expiry_tags(8, NOW) == {"daylily:expires-at": "2026-12-06T20:00:00Z", "daylily:ttl-hours": "8"}
    assert cluster_ttl.expiry_tags(1.5, NOW)["daylily:expires-at"] == "2026-12-06T13:30:00Z"
    # another time zone is converted; a fraction of a second rounds up (never shorter than asked)
    eastern = datetime.timezone(datetime.timedelta(hours=-5))
    when = datetime.datetime(2026, 12, 6, 7, 0, 0, 250000, tzinfo=eastern)
    assert cluster_ttl.expiry_tags(24, when)["daylily:expires-at"] == "2026-12-07T12:00:01Z"


@pytest.mark.parametrize("hours", [0, -1, "8", None, True])
def test_a_time_to_live_that_is_not_a_positive_number_is_refused(hours):
    with pytest.raises(ValueError, match="positive number of hours"):
        cluster_ttl.expiry_tags(hours, NOW)


def test_the_tags_written_are_read_back_as_live_until_the_instant_then_expired():
    tags = cluster_ttl.expiry_tags(2, NOW)
    live = cluster_ttl.ttl_state(tags, NOW + datetime.timedelta(hours=1, minutes=59, seconds=59))
    assert (live["status"], live["expired"], live["seconds_left"]) == ("live", False, 1)
    assert live["ttl_hours"] == 2.0 and live["expires_at"] == "2026-12-06T14:00:00Z"
    at = cluster_ttl.ttl_state(tags, NOW + datetime.timedelta(hours=2))
    assert (at["status"], at["expired"], at["seconds_left"]) == ("expired", True, 0)
    later = cluster_ttl.ttl_state(tags, NOW + datetime.timedelta(hours=5, minutes=30))
    assert later["message"] == "expired 3h30m ago (at 2026-12-06T14:00:00Z)"
    assert cluster_ttl.ttl_state(tags, NOW)["message"] == "expires in 2h00m (at 2026-12-06T14:00:00Z)"


@pytest.mark.parametrize("tags", [{}, None, {"daylily:ttl-hours": "8"}, {"Name": "HeadNode"}])
def test_no_expiry_tag_never_expires(tags):
    state = cluster_ttl.ttl_state(tags, NOW + datetime.timedelta(days=3650))
    assert (state["status"], state["expired"], state["expires_at"], state["seconds_left"]) == (
        "none",
        False,
        None,
        None,
    )
    assert state["message"].startswith("no TTL: no daylily:expires-at tag")


def test_ttl_hours_without_an_expiry_says_it_does_not_expire_the_cluster():
    state = cluster_ttl.ttl_state({"daylily:ttl-hours": "8"}, NOW)
    assert "daylily:ttl-hours alone does not expire a cluster" in state["message"] and state["ttl_hours"] == 8.0


@pytest.mark.parametrize(
    "value",
    ["2026-12-06T10:00:00", "2026-12-06 10:00:00Z", "2026-12-06T10:00:00+00:00", "yesterday", "", "2026-12-06"],
)
def test_an_expiry_in_another_format_never_expires_and_says_the_format(value):
    state = cluster_ttl.ttl_state({"daylily:expires-at": value}, NOW)
    assert (state["status"], state["expired"], state["expires_at"]) == ("invalid", False, value)
    assert "YYYY-MM-DDTHH:MM:SSZ" in state["message"] and "never expires until the tag is fixed" in state["message"]


def test_durations_in_messages_are_readable():
    tags = {"daylily:expires-at": "2026-12-06T11:59:30Z"}
    assert cluster_ttl.ttl_state(tags, NOW)["message"] == "expired 30s ago (at 2026-12-06T11:59:30Z)"
    assert cluster_ttl.ttl_state({"daylily:expires-at": "2026-12-04T09:00:00Z"}, NOW)["message"].startswith(
        "expired 2d3h ago"
    )
    assert cluster_ttl.ttl_state({"daylily:expires-at": "2026-12-06T12:05:00Z"}, NOW)["message"].startswith(
        "expires in 5m"
    )
