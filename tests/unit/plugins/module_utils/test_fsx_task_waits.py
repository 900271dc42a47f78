"""The data repository task wait (module_utils/_fsx/waits.py: predicted_seconds_left, task_poll_interval,
wait_for_tasks): describes shortly before the end a running task's own pace predicts, else on a schedule growing
with the task's age, within a budget. Time is a fake clock; the tasks are raw DescribeDataRepositoryTasks entries.
"""

import datetime

import pytest

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx import waits
from testlib.clock import FakeClock

T0 = datetime.datetime(2026, 1, 31, 12, 0, tzinfo=datetime.UTC)


def at(seconds):
    return T0 + datetime.timedelta(seconds=seconds)


def running(total, done, started=0.0, updated=None, lifecycle="EXECUTING", created=0.0):
    """A raw task created at T0 + created, started at T0 + started, ``done`` of ``total`` files as of ``updated``."""
    return {
        "TaskId": "task-0123456789abcdef0",
        "Lifecycle": lifecycle,
        "CreationTime": at(created),
        "StartTime": at(started),
        "Status": {
            "TotalCount": total,
            "SucceededCount": done,
            "FailedCount": 0,
            "LastUpdatedTime": at(started if updated is None else updated),
        },
    }


class EvenTask:
    """An export of ``files`` files that runs ``seconds`` from T0 at an even pace, as the fake clock tells time."""

    def __init__(self, clock, seconds, files=1200):
        self.clock, self.seconds, self.files = clock, seconds, files
        self.describes = []

    def now(self):
        return at(self.clock())

    def describe(self):
        elapsed = self.clock()
        self.describes.append(elapsed)
        if elapsed >= self.seconds:
            return [dict(running(self.files, self.files, updated=self.seconds), Lifecycle="SUCCEEDED")]
        done = int(self.files * elapsed / self.seconds)
        return [running(self.files, done, updated=self.seconds * done / self.files)]


def role_wait(task, budget=30):
    """What roles/export does: the wait of one module run (wait_seconds=budget) again until the task has ended."""
    tasks = task.describe()
    while not waits.task_ended(tasks[0]):
        tasks = waits.wait_for_tasks(tasks, task.describe, budget, task.clock.sleep, task.clock, task.now)
        if not waits.task_ended(tasks[0]):
            tasks = task.describe()  # the next run of the until: loop describes first thing
    return tasks[0]


def test_no_pace_while_pending_before_the_first_file_or_without_times():
    assert waits.predicted_seconds_left(running(100, 0, updated=5), at(5)) is None
    assert waits.predicted_seconds_left(running(100, 10, lifecycle="PENDING", updated=5), at(5)) is None
    assert waits.predicted_seconds_left(dict(running(100, 10, updated=5), StartTime=None), at(5)) is None
    assert waits.predicted_seconds_left(running(0, 0), at(5)) is None


def test_pace_predicts_the_end_from_start_time_last_update_and_counts():
    # 10 of 100 files in the first 5 s: the other 90 take 45 s more, from the last update
    assert waits.predicted_seconds_left(running(100, 10, updated=5), at(5)) == pytest.approx(45)
    assert waits.predicted_seconds_left(running(100, 10, updated=5), at(8)) == pytest.approx(42)
    assert waits.predicted_seconds_left(running(100, 10, updated=5), at(60)) == pytest.approx(-10)


def test_the_next_describe_comes_a_little_before_the_predicted_end_and_at_most_30_s_on():
    assert waits.task_poll_interval(running(100, 10, updated=5), at(5)) == pytest.approx(30)
    assert waits.task_poll_interval(running(100, 80, updated=20), at(20)) == pytest.approx(0.9 * 5)
    # close to the end: one describe at the predicted end, not one before it and one after
    assert waits.task_poll_interval(running(100, 95, updated=19), at(19)) == pytest.approx(1)
    assert waits.task_poll_interval(running(1000, 990, updated=99), at(99)) == pytest.approx(1)


def test_without_a_pace_or_once_late_the_schedule_grows_with_the_task_age():
    assert waits.task_poll_interval(running(100, 0), at(0.5)) == 1
    assert waits.task_poll_interval(running(100, 0), at(200)) == pytest.approx(20)
    # late by 10 s on its pace: no prediction to go by, a tenth of its 110 s
    assert waits.task_poll_interval(running(100, 10, updated=10), at(110)) == pytest.approx(11)
    assert waits.task_poll_interval(running(100, 0, lifecycle="PENDING"), at(10_000)) == 30


@pytest.mark.parametrize("seconds", [10, 10.9, 120, 130.8, 1200, 1308])
def test_the_role_wait_notices_an_even_task_within_a_second_with_at_most_6_describes_in_any_minute(seconds):
    clock = FakeClock()
    task = EvenTask(clock, seconds)
    assert role_wait(task)["Lifecycle"] == "SUCCEEDED"
    lag = task.describes[-1] - seconds
    assert 0 <= lag <= 1
    most = max(sum(1 for t in task.describes if start <= t < start + 60) for start in task.describes)
    assert most <= 6


def test_a_wait_returns_once_every_task_has_ended_without_sleeping():
    clock = FakeClock()
    ended = [dict(running(5, 5, updated=3), Lifecycle="SUCCEEDED")]
    assert waits.wait_for_tasks(ended, pytest.fail, 30, clock.sleep, clock, lambda: at(clock())) == ended
    assert clock.sleeps == []


def test_a_wait_sleeps_out_its_budget_without_a_describe_when_the_next_one_would_come_after_it():
    clock = FakeClock(now=200)  # the task is 200 s old and shows no pace: the next describe is 20 s away
    tasks = [running(100, 0)]
    assert waits.wait_for_tasks(tasks, pytest.fail, 15, clock.sleep, clock, lambda: at(clock())) == tasks
    assert clock.sleeps == [15]


def test_a_wait_of_zero_seconds_neither_sleeps_nor_describes():
    clock = FakeClock()
    tasks = [running(100, 0)]
    assert waits.wait_for_tasks(tasks, pytest.fail, 0, clock.sleep, clock, lambda: at(clock())) == tasks
    assert clock.sleeps == []
