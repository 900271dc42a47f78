"""lifecycle_phases: a phase whose end mark says skipped (lifecycle.yml in check mode before the cluster exists)."""

from ansible_collections.daylily.ephemeral_cluster.plugins.filter.lifecycle_phases import lifecycle_phases


def test_an_end_mark_with_skipped_makes_the_phase_skipped_and_others_stay_ok():
    marks = [
        {"phase": "create", "event": "start", "at": "2026-12-06T10:00:00Z", "skipped": False},
        {"phase": "create", "event": "end", "at": "2026-12-06T10:00:05Z", "skipped": False},
        {"phase": "export", "event": "start", "at": "2026-12-06T10:00:06Z", "skipped": True},
        {"phase": "export", "event": "end", "at": "2026-12-06T10:00:07Z", "skipped": True},
    ]
    assert [(phase["name"], phase["status"]) for phase in lifecycle_phases(marks)] == [
        ("create", "ok"),
        ("export", "skipped"),
    ]


def test_marks_without_the_skipped_key_are_ok_as_before():
    marks = [
        {"phase": "wait", "event": "start", "at": "2026-12-06T10:00:00Z"},
        {"phase": "wait", "event": "end", "at": "2026-12-06T10:01:00Z"},
    ]
    assert lifecycle_phases(marks)[0]["status"] == "ok"
