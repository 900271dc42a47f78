# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The one wait loop of the FSx modules (FSx has no botocore waiters): poll until a resource settles, within a time
budget, sleeping one poll interval between two describes and never past the deadline.

The interval is ``poll_interval``, or, with ``min_interval``, a growing one: ``min_interval`` at first, then
:data:`NOTICE_FRACTION` of the time waited so far, never more than ``poll_interval``. A resource that settles after
``t`` seconds is then noticed within ``max(min_interval, t / 10)`` seconds (until the cap is reached), and the
describes per minute fall as the wait grows: about ``10 + 10 ln(t / 10 min_interval)`` calls in all while the cap is
not reached, ``60 / poll_interval`` per minute after that.

Data repository tasks report their own pace (``StartTime``, ``Status.LastUpdatedTime`` and the file counts while
EXECUTING): :func:`task_poll_interval` polls again shortly before the end that pace predicts, so a wait makes a few
describes however long the task runs and, while the pace holds, notices the end within about a second; without a pace
to go by it falls back to the growing schedule, measured from the task's own ``CreationTime`` so that it carries over
from one module run to the next. :func:`wait_for_tasks` is the wait of one module run on that schedule, within a budget.
"""

import datetime
import time

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.lifecycles import TASK_TERMINAL_LIFECYCLES

#: With a growing interval, the next poll comes after this fraction of the time waited so far.
NOTICE_FRACTION = 0.1


def poll_interval_after(waited, poll_interval, min_interval=None):
    """Seconds to the next poll after ``waited`` seconds of waiting: constant ``poll_interval`` without
    ``min_interval``, else ``NOTICE_FRACTION * waited`` kept between ``min_interval`` and ``poll_interval``."""
    if min_interval is None:
        return poll_interval
    return min(poll_interval, max(min_interval, NOTICE_FRACTION * waited))


class Deadline:
    """A time budget of ``timeout`` seconds from now, polled every ``poll_interval`` seconds (with ``min_interval``:
    at growing intervals from ``min_interval`` up to ``poll_interval``, see :func:`poll_interval_after`)."""

    def __init__(self, timeout, poll_interval, sleep=None, clock=None, min_interval=None):
        self.sleep = sleep or time.sleep
        self.clock = clock or time.monotonic
        self.timeout = timeout
        self.poll_interval = poll_interval
        self.min_interval = min_interval
        self.started = self.clock()
        self.deadline = self.started + timeout

    def remaining(self):
        return self.deadline - self.clock()

    def pause(self):
        """Sleep one poll interval, or what is left of the budget when that is less."""
        interval = poll_interval_after(self.clock() - self.started, self.poll_interval, self.min_interval)
        self.sleep(max(0.0, min(interval, self.remaining())))


def wait_until(current, settled, refresh, deadline, timed_out):
    """Return ``current`` once ``settled(current)`` is true, calling ``refresh(current)`` after each pause.

    ``settled`` and ``refresh`` may raise to stop at once (a broken or vanished resource); when the budget is spent
    the error ``timed_out(current)`` returns is raised, with the last state seen.
    """
    while not settled(current):
        if deadline.remaining() <= 0:
            raise timed_out(current)
        deadline.pause()
        current = refresh(current)
    return current


#: The bounds of a task wait's schedule: no poll sooner than TASK_MIN_INTERVAL after the last, none later than
#: TASK_MAX_INTERVAL (seconds).
TASK_MIN_INTERVAL = 1
TASK_MAX_INTERVAL = 30
#: With a predicted end, the next poll comes after this share of the time the task's pace says is left: a little
#: early, so a task that speeds up is not noticed late, and each poll refines the prediction.
PREDICTION_SHARE = 0.9


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc)


def predicted_seconds_left(task, now):
    """Seconds from ``now`` until the raw DescribeDataRepositoryTasks entry ``task`` ends at the pace it has kept
    since its ``StartTime`` (files done per second up to ``Status.LastUpdatedTime``); negative when it is late. None
    while there is no pace to go by: not EXECUTING, no file done yet, or no times."""
    status = task.get("Status") or {}
    total = status.get("TotalCount") or 0
    done = (status.get("SucceededCount") or 0) + (status.get("FailedCount") or 0)
    started, updated = task.get("StartTime"), status.get("LastUpdatedTime")
    if task.get("Lifecycle") != "EXECUTING" or not total or not done or started is None or updated is None:
        return None
    spent = (updated - started).total_seconds()
    if spent <= 0:
        return None
    return (updated - now).total_seconds() + (total - done) * spent / done


def task_poll_interval(task, now, max_interval=TASK_MAX_INTERVAL, min_interval=TASK_MIN_INTERVAL):
    """Seconds to the next describe of a running task: just before the end its pace predicts, else (no pace, or
    the predicted end has passed) the growing schedule over the task's age; always within the bounds."""
    left = predicted_seconds_left(task, now)
    if left is not None and left > 0:
        # close to the end, one describe at the predicted end rather than one before it and one after
        early = PREDICTION_SHARE * left
        return min(max_interval, max(min_interval, early if early >= min_interval else left))
    created = task.get("CreationTime")
    age = (now - created).total_seconds() if created is not None else 0.0
    return poll_interval_after(max(0.0, age), max_interval, min_interval)


def task_ended(task):
    return task.get("Lifecycle") in TASK_TERMINAL_LIFECYCLES


def wait_for_tasks(
    tasks, refresh, seconds, sleep=None, clock=None, now=None, max_interval=TASK_MAX_INTERVAL, describe_at_end=False
):
    """Wait up to ``seconds`` for every one of the raw ``tasks`` to end, describing them again with ``refresh()``
    (which returns the raw tasks) on the schedule of :func:`task_poll_interval`; return the last tasks described.

    When the next describe would come after the budget, the wait sleeps out the budget and returns the last tasks
    described without another call: a caller that runs the wait again (an ``until:`` loop) describes first thing.
    With ``describe_at_end`` it describes once more at the end of the budget instead, for a caller whose next step
    depends on whether the tasks have ended.
    """
    sleep, clock, now = sleep or time.sleep, clock or time.monotonic, now or utc_now
    deadline = clock() + seconds
    while tasks and not all(task_ended(task) for task in tasks):
        moment = now()
        interval = min(task_poll_interval(task, moment, max_interval) for task in tasks if not task_ended(task))
        left = deadline - clock()
        if interval >= left:
            if left > 0:
                sleep(left)
            return refresh() if describe_at_end and left > 0 else tasks
        sleep(interval)
        tasks = refresh()
    return tasks
