# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The reap_plan filter: which expired clusters playbooks/reap.yml puts through the delete gate."""

DOCUMENTATION = r"""
name: reap_plan
short_description: Split the expired clusters into those to put through the delete gate and those left alone
version_added: 0.1.0
author:
  - Daylily ephemeral cluster maintainers (!UNKNOWN)
description:
  - Takes the host variables of the head nodes in the C(daylily_expired) group of the
    P(daylily.ephemeral_cluster.pcluster#inventory) inventory plugin and returns, sorted by cluster name, the clusters to
    put through the delete gate (C(reap)) and those left alone with why (C(skipped)) - a cluster that is not expired,
    one already being deleted (C(DELETE_IN_PROGRESS)), one whose head node is not running (the gate lists the
    analysis directories on it).
  - Each cluster carries C(host), C(cluster_name), C(region), C(status), C(headnode_state), C(expires_at),
    C(ttl_message), C(export_s3_uri) (a list) and C(fsx_mount_point); a head node's own C(export_s3_uri) and
    C(fsx_mount_point) variables win over the filter's arguments.
options:
  _input:
    description: The host variables of the expired head nodes (C(groups['daylily_expired'] | map('extract', hostvars))).
    type: list
    elements: dict
    required: true
  export_s3_uri:
    description: The export roots (one URI or a list) of every cluster without its own.
    type: raw
  fsx_mount_point:
    description: The FSx mount point of every cluster without its own; C(/fsx) when empty.
    type: str
"""

EXAMPLES = r"""
- name: Plan the reaping
  ansible.builtin.set_fact:
    reap_clusters: >-
      {{ groups['daylily_expired'] | default([]) | map('extract', hostvars)
         | daylily.ephemeral_cluster.reap_plan(export_s3_uri | default([])) }}
"""

RETURN = r"""
_value:
  description: The clusters to put through the gate (C(reap)) and those left alone, each with its outcome and why (C(skipped)).
  type: dict
"""

from ansible_collections.daylily.ephemeral_cluster.plugins.plugin_utils.reap import reap_plan


class FilterModule:
    """daylily.ephemeral_cluster.reap_plan"""

    def filters(self):
        return {"reap_plan": reap_plan}
