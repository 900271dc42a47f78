# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The lifecycle_phases filter: lifecycle.yml's start/end marks folded into the phases of the run report."""

DOCUMENTATION = r"""
name: lifecycle_phases
short_description: Fold lifecycle.yml's phase marks into the run report's phases
version_added: 0.1.0
author:
  - Daylily ephemeral cluster maintainers (!UNKNOWN)
description:
  - C(playbooks/lifecycle.yml) marks the start and the end of every phase it runs (a list of
    C({phase, event, at}) with C(event) V(start) or V(end) and C(at) an ISO 8601 UTC time).
  - This filter pairs each start with the end that follows it, in the order the phases started, into the C(phases)
    input of the P(daylily.ephemeral_cluster.run_report#module) module. A phase that started but has no end (the run
    failed in it, or it is still running) is V(running); phases skipped by C(--tags)/C(--skip-tags) have no marks and are left out.
  - An end mark with C(skipped=true) makes its phase V(skipped); lifecycle.yml marks so the steps it skips in check
    mode because the cluster does not exist yet.
options:
  _input:
    description: The marks, in the order they were recorded.
    type: list
    elements: dict
    required: true
"""

EXAMPLES = r"""
- name: The phases of this run
  ansible.builtin.debug:
    msg: "{{ lifecycle_marks | daylily.ephemeral_cluster.lifecycle_phases }}"
"""

RETURN = r"""
_value:
  description: One entry a phase, in the order the phases started.
  type: list
  elements: dict
  contains:
    name:
      description: The phase (the lifecycle.yml tag that runs it alone).
      type: str
    started_at:
      description: When it started.
      type: str
    ended_at:
      description: When it ended; absent when it did not.
      type: str
    status:
      description: V(ok) (ended), V(skipped) (ended without running, see above) or V(running) (no end mark).
      type: str
"""

import datetime

from ansible.errors import AnsibleFilterError

EVENTS = ("start", "end")


def _parse(at):
    try:
        return datetime.datetime.fromisoformat(str(at).replace("Z", "+00:00"))
    except ValueError as exc:
        raise AnsibleFilterError("lifecycle_phases: %r is not an ISO 8601 time" % (at,)) from exc


def lifecycle_phases(marks):
    phases = {}
    for mark in marks or []:
        if not isinstance(mark, dict) or mark.get("event") not in EVENTS or not mark.get("phase"):
            raise AnsibleFilterError(
                "lifecycle_phases: every mark needs phase, event (start or end) and at; got %r" % (mark,)
            )
        name = mark["phase"]
        if mark["event"] == "start":
            phases.pop(name, None)  # a phase started again (a resumed run) is reported from its last start
            _parse(mark["at"])
            phases[name] = dict(name=name, started_at=mark["at"], status="running")
        elif name in phases:
            _parse(mark["at"])
            phases[name].update(ended_at=mark["at"], status="skipped" if mark.get("skipped") else "ok")
    return list(phases.values())


class FilterModule:
    """daylily.ephemeral_cluster.lifecycle_phases"""

    def filters(self):
        return {"lifecycle_phases": lifecycle_phases}
