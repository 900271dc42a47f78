# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The one wait loop of the FSx modules (FSx has no botocore waiters): poll until a resource settles, within a time
budget, sleeping one poll interval between two describes and never past the deadline."""

import time


class Deadline:
    """A time budget of ``timeout`` seconds from now, polled every ``poll_interval`` seconds."""

    def __init__(self, timeout, poll_interval, sleep=None, clock=None):
        self.sleep = sleep or time.sleep
        self.clock = clock or time.monotonic
        self.timeout = timeout
        self.poll_interval = poll_interval
        self.deadline = self.clock() + timeout

    def remaining(self):
        return self.deadline - self.clock()

    def pause(self):
        """Sleep one poll interval, or what is left of the budget when that is less."""
        self.sleep(max(0.0, min(self.poll_interval, self.remaining())))


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
