"""lifecycle_phases: lifecycle.yml's marks become the run report's phases."""

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.daylily.ephemeral_cluster.plugins.filter.lifecycle_phases import lifecycle_phases


def mark(phase, event, at):
    return {"phase": phase, "event": event, "at": at}


@pytest.mark.parametrize(
    "marks, phases",
    [
        pytest.param(
            [
                mark("create", "start", "2026-12-06T10:00:00Z"),
                mark("create", "end", "2026-12-06T10:12:30Z"),
                mark("export", "start", "2026-12-06T11:00:00Z"),
                mark("export", "end", "2026-12-06T11:00:01.500000+00:00"),
            ],
            [
                dict(name="create", started_at="2026-12-06T10:00:00Z", ended_at="2026-12-06T10:12:30Z", status="ok"),
                dict(
                    name="export",
                    started_at="2026-12-06T11:00:00Z",
                    ended_at="2026-12-06T11:00:01.500000+00:00",
                    status="ok",
                ),
            ],
            id="pairs_starts_with_ends_in_start_order",
        ),
        pytest.param(
            [
                mark("launch", "start", "2026-12-06T10:00:00Z"),
                mark("launch", "start", "2026-12-06T10:05:00Z"),
                mark("launch", "end", "2026-12-06T10:05:10Z"),
                mark("wait", "start", "2026-12-06T10:06:00Z"),
            ],
            [
                dict(name="launch", started_at="2026-12-06T10:05:00Z", ended_at="2026-12-06T10:05:10Z", status="ok"),
                {"name": "wait", "started_at": "2026-12-06T10:06:00Z", "status": "running"},
            ],
            id="a_phase_without_end_is_running_and_a_restarted_phase_counts_from_its_last_start",
        ),
    ],
)
def test_marks_become_phases(marks, phases):
    assert lifecycle_phases(marks) == phases


def test_an_end_without_start_is_ignored_and_no_marks_give_no_phases():
    assert lifecycle_phases([mark("delete", "end", "2026-12-06T10:00:00Z")]) == []
    assert lifecycle_phases(None) == []


@pytest.mark.parametrize(
    "bad",
    [{"phase": "x", "event": "begin", "at": "2026-12-06T10:00:00Z"}, {"event": "start", "at": "x"}, "start"],
)
def test_malformed_marks_are_refused_with_what_a_mark_needs(bad):
    with pytest.raises(AnsibleFilterError, match="phase, event"):
        lifecycle_phases([bad])


def test_a_time_that_is_not_iso_8601_is_named():
    with pytest.raises(AnsibleFilterError, match="'yesterday' is not an ISO 8601 time"):
        lifecycle_phases([mark("x", "start", "2026-12-06T10:00:00Z"), mark("x", "end", "yesterday")])
