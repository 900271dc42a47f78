# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The run_context filter: parse and validate runs.tsv before anything is mounted or launched."""

DOCUMENTATION = r"""
name: run_context
short_description: Parse a runs.tsv run context and plan the run mount of every row
version_added: 0.1.0
author:
  - Daylily ephemeral cluster maintainers (!UNKNOWN)
description:
  - Parses the tab-separated run context of a C(run_analysis) command and checks every row at once
    (known columns, required columns, field counts, S3 URI, mount id, run id).
  - Each row gets a C(mount) entry with the run DRA it needs at C(/run_dir_mounts/<MOUNT_ID>/).
options:
  _input:
    description: The text of runs.tsv.
    type: str
    required: true
  columns:
    description: The columns the input contract allows (from the catalog); unknown columns are refused.
    type: list
    elements: str
extends_documentation_fragment:
  - daylily.ephemeral_cluster.fsx.mount_point
"""

EXAMPLES = r"""
- name: Plan the run mounts of a run context
  ansible.builtin.set_fact:
    runs: "{{ lookup('ansible.builtin.file', 'runs.tsv') | daylily.ephemeral_cluster.run_context }}"
"""

RETURN = r"""
_value:
  description: One dict per run row (the TSV columns), each with C(mount) (mount_id, s3_uri, file_system_path, headnode_path).
  type: list
  elements: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import paths
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.run_context import RunContextError
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.run_context import parse_run_context


def run_context(text, columns=None, mount_point=paths.DEFAULT_MOUNT_POINT):
    try:
        return parse_run_context(text, columns=columns, mount_point=mount_point)
    except RunContextError as exc:
        raise AnsibleFilterError(str(exc)) from exc


class FilterModule:
    """daylily.ephemeral_cluster.run_context"""

    def filters(self):
        return {"run_context": run_context}
