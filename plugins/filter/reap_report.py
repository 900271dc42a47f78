# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The reap_report filter: what became of each expired cluster in playbooks/reap.yml, and whether the run succeeded."""

DOCUMENTATION = r"""
name: reap_report
short_description: The outcome of each expired cluster of a reap run, as rows, a table and a verdict
version_added: 0.1.0
author:
  - Daylily ephemeral cluster maintainers (!UNKNOWN)
description:
  - "Outcomes: V(deleted) (the delete gate allowed it, or it was already gone), V(would_delete) (check mode),
    V(kept) (the gate refused it - each blocker with what unblocks it -, its head node did not answer, is not running,
    or it is not expired), V(failed) (its deletion started and failed; the deletion receipt says where),
    V(deleting) (already being deleted)."
  - C(ok) is false when a cluster was kept or failed, because such an expired cluster still runs and needs someone.
options:
  _input:
    description:
      - "What the play recorded, one entry per cluster: the skipped clusters of P(daylily.ephemeral_cluster.reap_plan#filter)
        as they are, and for each cluster put through the gate C({cluster, failed_task, failed_result: {msg, blockers}})
        (it failed), C({cluster, unreachable}) (its head node did not answer), C({cluster, gone: true}) (it no longer
        existed) or C({cluster, receipt_path}) (deleted)."
    type: list
    elements: dict
    required: true
  check_mode:
    description: The run is in check mode (a cluster the gate allows is V(would_delete)).
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Summarise the run
  ansible.builtin.set_fact:
    reap_summary: "{{ reap_outcomes | daylily.ephemeral_cluster.reap_report(ansible_check_mode) }}"
"""

RETURN = r"""
_value:
  description:
    - C(clusters) (rows with C(cluster), C(region), C(expires_at), C(outcome), C(why), C(receipt_path)), the cluster
      names per outcome (C(deleted), C(would_delete), C(kept), C(failed)), C(table) (the rows as text), C(ok) and
      C(msg) (one line).
  type: dict
"""

from ansible_collections.daylily.ephemeral_cluster.plugins.plugin_utils.reap import reap_report


class FilterModule:
    """daylily.ephemeral_cluster.reap_report"""

    def filters(self):
        return {"reap_report": reap_report}
