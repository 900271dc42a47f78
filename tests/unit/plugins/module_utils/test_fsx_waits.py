"""The FSx wait loop's poll schedule (module_utils/_fsx/waits.py): constant by default, growing with min_interval.

Time is a fake clock: each sleep advances it exactly.
"""

import pytest

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx import waits
from testlib.clock import FakeClock


def poll_times(clock, settles_at, timeout=7200, poll_interval=30, min_interval=None):
    """Times of the describes a wait makes for a resource that settles at ``settles_at``; the last one notices."""
    deadline = waits.Deadline(timeout, poll_interval, sleep=clock.sleep, clock=clock, min_interval=min_interval)
    seen = [clock()]
    waits.wait_until(
        clock(), lambda _t: seen[-1] >= settles_at, lambda _t: seen.append(clock()) or clock(), deadline, RuntimeError
    )
    return seen


def test_without_min_interval_the_interval_is_constant():
    clock = FakeClock()
    poll_times(clock, settles_at=95, poll_interval=30)
    assert clock.sleeps == [30, 30, 30, 30]


def test_growing_interval_starts_at_min_interval_and_is_capped_by_poll_interval():
    assert waits.poll_interval_after(0, 30, min_interval=1) == 1
    assert waits.poll_interval_after(55, 30, min_interval=1) == pytest.approx(5.5)
    assert waits.poll_interval_after(10_000, 30, min_interval=1) == 30


@pytest.mark.parametrize("settles_at", [0.5, 3, 10, 47, 120, 299, 1200, 5000])
def test_growing_interval_notices_within_a_tenth_of_the_wait_or_min_interval_or_the_cap(settles_at):
    clock = FakeClock()
    seen = poll_times(clock, settles_at, min_interval=1)
    lag = seen[-1] - settles_at
    assert 0 <= lag <= min(30, max(1, waits.NOTICE_FRACTION * settles_at)) + 1e-9


def test_growing_interval_makes_fewer_calls_per_minute_as_the_wait_grows():
    per_minute = []
    for minutes in (2, 20, 60):
        clock = FakeClock()
        seen = poll_times(clock, minutes * 60, min_interval=1)
        per_minute.append(len(seen) / minutes)
    assert per_minute[0] > per_minute[1] > per_minute[2]
    assert per_minute[1] <= 6  # a 20-minute wait: at most 6 describes a minute
    assert per_minute[2] <= 60 / 30 + 1  # long waits tend to the cap's 2 a minute


def test_the_last_pause_never_passes_the_deadline():
    clock = FakeClock()
    with pytest.raises(RuntimeError):
        poll_times(clock, settles_at=10**6, timeout=50, min_interval=1)
    assert sum(clock.sleeps) == pytest.approx(50)
