# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The analysis_export_checks filter: what the delete gate re-verifies, per analysis directory and export root."""

DOCUMENTATION = r"""
name: analysis_export_checks
short_description: The export of each analysis directory to re-verify before a cluster is deleted
version_added: 0.1.0
author:
  - Daylily ephemeral cluster maintainers (!UNKNOWN)
description:
  - Splits one inventory of C(<mount>/analysis_results) into its analysis directories C(<entity>/<analysis_id>) and
    gives, for each directory and each export root, the destination C(<root><entity>/<analysis_id>/) and the
    directory's own inventory, what M(daylily.ephemeral_cluster.export_receipt) with C(state=verified) takes.
  - Directories whose names cannot be an export destination, and files outside any analysis directory, are left out;
    M(daylily.ephemeral_cluster.cluster_delete_gate) blocks them.
options:
  _input:
    description:
      - The result of M(daylily.ephemeral_cluster.analysis_inventory) on C(<mount>/analysis_results), with its
        C(files).
    type: dict
    required: true
  roots:
    description: The export roots C(s3://bucket/prefix/), one URI or a list.
    type: list
    elements: str
    required: true
"""

EXAMPLES = r"""
- name: Re-verify each analysis directory's export
  daylily.ephemeral_cluster.export_receipt:
    state: verified
    destination_s3_uri: "{{ item.destination_s3_uri }}"
    fsx_inventory: "{{ item.fsx_inventory }}"
  loop: "{{ analyses | daylily.ephemeral_cluster.analysis_export_checks(['s3://omics-analysis/derived/']) }}"
  failed_when: false
  register: exports
"""

RETURN = r"""
_value:
  description: One entry per analysis directory and export root, directories sorted, roots in order.
  type: list
  elements: dict
  contains:
    analysis_dir:
      description: C(<entity>/<analysis_id>).
      type: str
    destination_s3_uri:
      description: C(<root><entity>/<analysis_id>/).
      type: str
    fsx_inventory:
      description: The directory's C(file_count), C(total_bytes) and C(files) (paths relative to it).
      type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import paths
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import teardown


def analysis_export_checks(inventory, roots):
    try:
        return teardown.export_checks(inventory, roots)
    except (paths.PathRuleError, ValueError) as exc:
        raise AnsibleFilterError(str(exc)) from exc


class FilterModule:
    """daylily.ephemeral_cluster.analysis_export_checks"""

    def filters(self):
        return {"analysis_export_checks": analysis_export_checks}
