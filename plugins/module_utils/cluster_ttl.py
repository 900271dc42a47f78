# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""A cluster's time-to-live: the tags that carry it and the decision whether it has expired.

The contract between ``create.yml`` (which tags the cluster) and the ``pcluster`` inventory plugin and
``playbooks/reap.yml`` (which read the tags): ParallelCluster propagates the config's ``Tags`` to the cluster's
CloudFormation stack and its instances, and two of them carry the time-to-live:

* ``daylily:expires-at``: the expiry instant in UTC, exactly ``YYYY-MM-DDTHH:MM:SSZ`` (the only tag decisions read);
* ``daylily:ttl-hours``: the time-to-live it was computed from, for people reading the tags.

A cluster without ``daylily:expires-at`` never expires; one whose value is not in that format never expires either
(a guessed expiry must not delete a cluster) and is reported as invalid. Pure standard-library code, no Ansible.
"""

from __future__ import annotations

import datetime

EXPIRES_AT_TAG = "daylily:expires-at"
TTL_HOURS_TAG = "daylily:ttl-hours"
EXPIRES_AT_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

# ttl status values: no expiry tag, not yet expired, expired, a tag that cannot be read
NO_TTL = "none"
LIVE = "live"
EXPIRED = "expired"
INVALID = "invalid"


def utc_now():
    """The current time in UTC (timezone-aware)."""
    return datetime.datetime.now(datetime.timezone.utc)


def expiry_tags(ttl_hours, now=None):
    """The two tags for a cluster created at ``now`` (UTC, default the current time) that lives ``ttl_hours``:
    ``{daylily:expires-at: ..., daylily:ttl-hours: ...}``. Raises ValueError for a time-to-live that is not a
    positive number of hours."""
    if isinstance(ttl_hours, bool) or not isinstance(ttl_hours, (int, float)) or not ttl_hours > 0:
        raise ValueError(f"the cluster time-to-live must be a positive number of hours, got {ttl_hours!r}")
    now = now or utc_now()
    expires = now.astimezone(datetime.timezone.utc) + datetime.timedelta(hours=ttl_hours)
    # rounded up to the next whole second: a cluster never expires before its full time-to-live
    if expires.microsecond:
        expires = expires.replace(microsecond=0) + datetime.timedelta(seconds=1)
    hours = int(ttl_hours) if float(ttl_hours).is_integer() else ttl_hours
    return {EXPIRES_AT_TAG: expires.strftime(EXPIRES_AT_FORMAT), TTL_HOURS_TAG: str(hours)}


def parse_expires_at(value):
    """The UTC instant of a ``daylily:expires-at`` value; ValueError (saying the expected format) otherwise."""
    try:
        parsed = datetime.datetime.strptime(value, EXPIRES_AT_FORMAT)
    except (TypeError, ValueError):
        raise ValueError(
            f"{EXPIRES_AT_TAG}={value!r} is not a UTC time in the form YYYY-MM-DDTHH:MM:SSZ (e.g. 2026-12-06T18:00:00Z)"
        ) from None
    return parsed.replace(tzinfo=datetime.timezone.utc)


def _duration(seconds):
    seconds = int(abs(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days}d{hours}h"
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m" if minutes else f"{seconds}s"


def _ttl_hours(tags):
    try:
        return float(tags[TTL_HOURS_TAG])
    except (KeyError, TypeError, ValueError):
        return None


def ttl_state(tags, now=None):
    """Whether a cluster with these tags (a dict) has expired at ``now`` (UTC, default the current time).

    Returns ``{status, expired, expires_at, ttl_hours, seconds_left, message}``: ``status`` is one of ``none``,
    ``live``, ``expired``, ``invalid``; ``expired`` is true only for ``expired`` (a cluster expires at the instant
    its tag names); ``expires_at`` is the tag's value (None without it); ``seconds_left`` is negative once expired
    (None without a valid tag); ``message`` says it in words.
    """
    tags = tags or {}
    now = now or utc_now()
    state = {
        "status": NO_TTL,
        "expired": False,
        "expires_at": None,
        "ttl_hours": _ttl_hours(tags),
        "seconds_left": None,
    }
    if EXPIRES_AT_TAG not in tags:
        extra = f" ({TTL_HOURS_TAG} alone does not expire a cluster)" if TTL_HOURS_TAG in tags else ""
        return dict(state, message=f"no TTL: no {EXPIRES_AT_TAG} tag{extra}")
    state["expires_at"] = value = tags[EXPIRES_AT_TAG]
    try:
        expires = parse_expires_at(value)
    except ValueError as err:
        return dict(state, status=INVALID, message=f"invalid TTL, never expires until the tag is fixed: {err}")
    left = (expires - now).total_seconds()
    state["seconds_left"] = int(left)
    if left <= 0:
        return dict(state, status=EXPIRED, expired=True, message=f"expired {_duration(left)} ago (at {value})")
    return dict(state, status=LIVE, message=f"expires in {_duration(left)} (at {value})")
