# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""A cluster's lifecycle as ``pcluster describe-cluster`` shows it: what counts as done or failed, the wait, the
drift between the running config and the desired one, and the snake_case view modules return.

Private to :mod:`..pcluster`; import the facade, not this module.
"""

from __future__ import annotations

import re
import time

CREATE_COMPLETE = "CREATE_COMPLETE"
CREATE_IN_PROGRESS = "CREATE_IN_PROGRESS"
DELETE_IN_PROGRESS = "DELETE_IN_PROGRESS"
# clusterStatus values that end a create or a delete badly; cloudFormationStackStatus ROLLBACK_* counts too
FAILED_STATUSES = ("CREATE_FAILED", "DELETE_FAILED", "UPDATE_FAILED")


class WaitTimeout(Exception):
    def __init__(self, message, last=None):
        super().__init__(message)
        self.message, self.last = message, last


def failed(described):
    """True when a describe-cluster answer shows a failed create, delete or rollback."""
    stack_status = described.get("cloudFormationStackStatus") or ""
    return described.get("clusterStatus") in FAILED_STATUSES or stack_status.startswith("ROLLBACK_")


def failure_reasons(described):
    """What ParallelCluster says went wrong ("code: reason" per failure), else the statuses."""
    reasons = [
        "%s: %s" % (failure.get("failureCode", "Failure"), failure.get("failureReason", ""))
        for failure in described.get("failures") or []
    ]
    return reasons or [
        "cluster status %s, stack status %s"
        % (described.get("clusterStatus"), described.get("cloudFormationStackStatus"))
    ]


def settled(described):
    """True when nothing is in progress: no cluster, or a status that will not change by itself (complete, failed)."""
    if described is None:
        return True
    statuses = (described.get("clusterStatus") or "", described.get("cloudFormationStackStatus") or "")
    return not any(status.endswith("_IN_PROGRESS") for status in statuses)


def progress_line(name, described):
    """One line for an operator waiting for a cluster: its status and its stack's."""
    if described is None:
        return "cluster %s does not exist" % name
    return "cluster %s %s (stack %s)" % (
        name,
        described.get("clusterStatus"),
        described.get("cloudFormationStackStatus"),
    )


def wait_for(describe, finished, timeout, interval, sleep=time.sleep, clock=time.monotonic):
    """Call ``describe()`` until ``finished(answer)`` is true (returns the answer) or ``failed(answer)`` (returns it
    too: the caller reports it); raise :class:`WaitTimeout` after ``timeout`` seconds."""
    deadline = clock() + timeout
    while True:
        answer = describe()
        if finished(answer) or (answer is not None and failed(answer)):
            return answer
        if clock() >= deadline:
            raise WaitTimeout("still %s after %d seconds" % (_status(answer), timeout), answer)
        sleep(interval)


def _status(answer):
    return "gone" if answer is None else answer.get("clusterStatus", "unknown")


def config_drift(running, desired, path=""):
    """Paths (``HeadNode.InstanceType``, ``Scheduling.SlurmQueues[0].ComputeResources[0].MaxCount``) where the
    running config differs from the desired one."""
    if isinstance(running, dict) and isinstance(desired, dict):
        found = []
        for key in sorted(set(running) | set(desired), key=str):
            found += config_drift(running.get(key), desired.get(key), "%s.%s" % (path, key) if path else str(key))
        return found
    if isinstance(running, list) and isinstance(desired, list) and len(running) == len(desired):
        found = []
        for index, (left, right) in enumerate(zip(running, desired)):
            found += config_drift(left, right, "%s[%d]" % (path, index))
        return found
    return [] if running == desired else [path or "(config)"]


def _snake(name):
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def cluster_view(described):
    """describe-cluster's answer in snake_case, tags as a dict."""
    view = {}
    for key, value in (described or {}).items():
        if key == "tags":
            view["tags"] = {tag["key"]: tag["value"] for tag in value}
        elif isinstance(value, dict):
            view[_snake(key)] = {_snake(inner): item for inner, item in value.items()}
        elif isinstance(value, list):
            view[_snake(key)] = [
                {_snake(inner): item for inner, item in entry.items()} if isinstance(entry, dict) else entry
                for entry in value
            ]
        else:
            view[_snake(key)] = value
    return view
