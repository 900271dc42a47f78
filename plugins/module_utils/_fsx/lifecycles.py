# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The one table of FSx lifecycles: what each lifecycle of an association and of a data repository task means to
the collection. Every lifecycle tuple elsewhere is derived from these two tables (pure Python, no imports)."""

# Association lifecycle (the API's values) -> (active, transitional, broken):
#   active        the association still holds its FSx path and S3 prefix (MISCONFIGURED does: AWS keeps them reserved)
#   transitional  on its way to AVAILABLE
#   broken        will not become AVAILABLE without an operator
ASSOCIATION_LIFECYCLES = {
    "CREATING": (True, True, False),
    "AVAILABLE": (True, False, False),
    "MISCONFIGURED": (True, False, True),
    "UPDATING": (True, True, False),
    "DELETING": (False, False, False),
    "FAILED": (False, False, True),
}
# Lifecycles DayEC also treats as released; AWS does not return them, but a value from elsewhere is never "active".
_RELEASED_ELSEWHERE = ("DELETED", "DELETE_IN_PROGRESS")

DRA_LIFECYCLES = tuple(ASSOCIATION_LIFECYCLES)
DRA_ACTIVE_LIFECYCLES = tuple(name for name, (active, _t, _b) in ASSOCIATION_LIFECYCLES.items() if active)
DRA_INACTIVE_LIFECYCLES = frozenset(name for name in DRA_LIFECYCLES if name not in DRA_ACTIVE_LIFECYCLES) | frozenset(
    _RELEASED_ELSEWHERE
)
DRA_TRANSITIONAL_LIFECYCLES = tuple(
    name for name, (_a, transitional, _b) in ASSOCIATION_LIFECYCLES.items() if transitional
)
DRA_BROKEN_LIFECYCLES = tuple(name for name, (_a, _t, broken) in ASSOCIATION_LIFECYCLES.items() if broken)
#: Associations a check-mode export accepts: in a real run the play's attach step waits until they are AVAILABLE.
CHECK_MODE_ASSOCIATION_LIFECYCLES = tuple(
    name for name in DRA_LIFECYCLES if name == "AVAILABLE" or name in DRA_TRANSITIONAL_LIFECYCLES
)

# Task lifecycle (the API's values) -> (running, ended, succeeded):
#   running  the task occupies the file system (FSx runs one task at a time)
#   ended    the task will not change any more
TASK_LIFECYCLES_TABLE = {
    "PENDING": (True, False, False),
    "EXECUTING": (True, False, False),
    "FAILED": (False, True, False),
    "SUCCEEDED": (False, True, True),
    "CANCELED": (False, True, False),
    "CANCELING": (True, False, False),
}

TASK_LIFECYCLES = tuple(TASK_LIFECYCLES_TABLE)
TASK_ACTIVE_LIFECYCLES = tuple(name for name, (running, _e, _s) in TASK_LIFECYCLES_TABLE.items() if running)
#: A running export that a re-run joins instead of starting another one (a canceling one is not joined).
TASK_ATTACHABLE_LIFECYCLES = tuple(name for name in TASK_ACTIVE_LIFECYCLES if name != "CANCELING")
TASK_TERMINAL_LIFECYCLES = tuple(name for name, (_r, ended, _s) in TASK_LIFECYCLES_TABLE.items() if ended)
TASK_UNSUCCESSFUL_LIFECYCLES = tuple(
    name for name, (_r, ended, succeeded) in TASK_LIFECYCLES_TABLE.items() if ended and not succeeded
)


def is_active_association(association):
    """True unless the association's ``Lifecycle`` has released its paths (DELETING, FAILED, ...).

    MISCONFIGURED counts as active, and so does a missing lifecycle (conservative).
    """
    return association.get("Lifecycle") not in DRA_INACTIVE_LIFECYCLES
