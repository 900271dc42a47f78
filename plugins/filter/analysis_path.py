# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The analysis_path filter: where an analysis lives on FSx, with both segments validated."""

DOCUMENTATION = r"""
name: analysis_path
short_description: The FSx and headnode paths of one analysis directory
version_added: 0.1.0
author:
  - Daylily ephemeral cluster maintainers (!UNKNOWN)
description:
  - Outputs live only under C(/analysis_results/<executing_entity>/<analysis_id>/); both segments must be one safe path
    segment (letters, digits, C(.), C(_), C(-); starting with a letter or digit; no C(..)).
  - Fails with a message naming the offending value.
options:
  _input:
    description: The executing entity.
    type: str
    required: true
  analysis_id:
    description: The analysis id.
    type: str
    required: true
extends_documentation_fragment:
  - daylily.ephemeral_cluster.fsx.mount_point
"""

EXAMPLES = r"""
- name: Where the analysis goes
  ansible.builtin.set_fact:
    analysis: "{{ 'alice' | daylily.ephemeral_cluster.analysis_path('run42') }}"
"""

RETURN = r"""
_value:
  description: The paths.
  type: dict
  contains:
    source_path:
      description: The FSx API path (C(/analysis_results/<entity>/<id>/)).
      type: str
    headnode_path:
      description: The same directory on the headnode.
      type: str
    analysis_root:
      description: The headnode directory that holds every entity's analyses.
      type: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import export
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import paths


def analysis_path(executing_entity, analysis_id, mount_point=paths.DEFAULT_MOUNT_POINT):
    try:
        source = export.analysis_root(executing_entity, analysis_id)
        return {
            "source_path": source,
            "headnode_path": paths.api_to_headnode_path(source, mount_point=mount_point),
            "analysis_root": paths.api_to_headnode_path("/analysis_results/", mount_point=mount_point).rstrip("/"),
        }
    except paths.PathRuleError as exc:
        raise AnsibleFilterError(str(exc)) from exc


class FilterModule:
    """daylily.ephemeral_cluster.analysis_path"""

    def filters(self):
        return {"analysis_path": analysis_path}
