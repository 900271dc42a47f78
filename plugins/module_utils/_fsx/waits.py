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
"""

import time

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
