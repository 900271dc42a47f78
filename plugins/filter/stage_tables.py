# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The stage_tables filter: where a sample stage keeps its samples.tsv and units.tsv, checked before anything runs."""

DOCUMENTATION = r"""
name: stage_tables
short_description: The samples.tsv and units.tsv of a sample stage on the headnode
version_added: 0.1.0
author:
  - Daylily ephemeral cluster maintainers (!UNKNOWN)
description:
  - A stage made by P(daylily.ephemeral_cluster.s3_stage#module) (C(playbooks/stage_samples.yml)) is a directory
    C(remote_stage_<YYYYMMDDTHHMMSSZ>_<8 hex>) holding the staged files and its tables C(<YYYYMMDDTHHMMSSZ>_samples.tsv)
    and C(<YYYYMMDDTHHMMSSZ>_units.tsv), whose read paths point into the stage.
  - Given the stage directory on the headnode, returns the stage name and the headnode paths of both tables.
  - Fails with a message naming O(field) when the path is not absolute or its last segment is not a stage name.
options:
  _input:
    description: The stage directory on the headnode, as C(stage_samples.yml) prints it.
    type: str
    required: true
  field:
    description: How the failure message names the stage directory (the variable the operator sets).
    type: str
    default: stage_dir
"""

EXAMPLES = r"""
- name: The tables of a stage
  ansible.builtin.set_fact:
    tables: "{{ '/fsx/staging/staged_external_sequencing_data/remote_stage_20260101T120000Z_0a1b2c3d'
                | daylily.ephemeral_cluster.stage_tables(field='workflow_stage_dir') }}"
  # tables.units == '/fsx/staging/.../remote_stage_20260101T120000Z_0a1b2c3d/20260101T120000Z_units.tsv'
"""

RETURN = r"""
_value:
  description: The stage.
  type: dict
  contains:
    stage_name:
      description: The stage's name.
      type: str
    samples:
      description: The headnode path of the stage's C(samples.tsv).
      type: str
    units:
      description: The headnode path of the stage's C(units.tsv).
      type: str
"""

import posixpath

from ansible.errors import AnsibleFilterError

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import samples


def stage_tables(stage_dir, field="stage_dir"):
    text = stage_dir if isinstance(stage_dir, str) else ""
    directory = posixpath.normpath(text) if text.startswith("/") else ""
    name = posixpath.basename(directory)
    if not samples.STAGE_NAME_RE.match(name):
        raise AnsibleFilterError(
            "%s %r is not a stage directory: give the absolute headnode path that stage_samples.yml printed, ending in "
            "remote_stage_<YYYYMMDDTHHMMSSZ>_<8 hex digits>; nothing was launched." % (field, stage_dir)
        )
    samples_name, units_name = samples.stage_table_names(name)
    return {
        "stage_name": name,
        "samples": posixpath.join(directory, samples_name),
        "units": posixpath.join(directory, units_name),
    }


class FilterModule:
    """daylily.ephemeral_cluster.stage_tables"""

    def filters(self):
        return {"stage_tables": stage_tables}
