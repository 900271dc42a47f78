# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The export_plan filter: every path of one analysis export, validated before anything changes."""

DOCUMENTATION = r"""
name: export_plan
short_description: Plan the export of one analysis directory (source, destination, report and receipt locations)
version_added: 0.1.0
author:
  - Daylily ephemeral cluster maintainers (!UNKNOWN)
description:
  - Validates an export request and returns every path the export uses.
  - The source is exactly C(/analysis_results/<executing_entity>/<analysis_id>/) on FSx; the destination S3 URI must end
    with C(<executing_entity>/<analysis_id>/).
  - The failed-files report and the receipt live under the destination's C(_daylily_monitor/fsx-export/<timestamp>/),
    inside the export association's prefix, so they are as durable as the data.
  - Fails with a message naming the offending value when any rule is broken, before any AWS call.
options:
  _input:
    description: The destination S3 URI, for example V(s3://analysis-bucket/derived/alice/run42/).
    type: str
    required: true
  executing_entity:
    description: Who ran the analysis (one safe path segment).
    type: str
    required: true
  analysis_id:
    description: The analysis id (one safe path segment).
    type: str
    required: true
  timestamp:
    description: The export's timestamp (C(YYYYmmddTHHMMSSZ), UTC); now when omitted.
    type: str
  output_root:
    description:
      - The local directory under which receipts go by default, in C(<output_root>/<executing_entity>/<analysis_id>).
      - The path is built only after both segments are validated, so no value can lead outside it.
    type: str
  output_dir:
    description: The local receipt directory; overrides O(output_root).
    type: str
extends_documentation_fragment:
  - daylily.ephemeral_cluster.fsx.mount_point
"""

EXAMPLES = r"""
- name: Plan an export
  ansible.builtin.set_fact:
    plan: "{{ 's3://analysis-bucket/derived/alice/run42/' | daylily.ephemeral_cluster.export_plan('alice', 'run42') }}"
"""

RETURN = r"""
_value:
  description: The export plan.
  type: dict
  contains:
    source_path:
      description: The FSx API path of the analysis directory.
      type: str
    headnode_path:
      description: The analysis directory on the headnode.
      type: str
    destination_s3_uri:
      description: The normalised destination.
      type: str
    bucket:
      description: The destination bucket.
      type: str
    prefix:
      description: The destination key prefix.
      type: str
    timestamp:
      description: The export timestamp.
      type: str
    report_path:
      description: Where FSx writes the failed-files report.
      type: str
    receipt_s3_uri:
      description: Where the receipt is stored next to the data.
      type: str
    manifest_s3_uri:
      description: Where the export manifest is stored next to the data.
      type: str
    output_dir:
      description: The local receipt directory (O(output_dir), else under O(output_root)); null when neither is given.
      type: str
    association_name:
      description: The C(Name) tag of the export association (C(<executing_entity>/<analysis_id>)).
      type: str
    executing_entity:
      description: The validated executing entity.
      type: str
    analysis_id:
      description: The validated analysis id.
      type: str
    receipt_fields:
      description: The path fields of the C(fsx_export.yaml) receipt.
      type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import export
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import paths
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import receipt


def export_plan(
    destination_s3_uri,
    executing_entity,
    analysis_id,
    timestamp=None,
    mount_point=paths.DEFAULT_MOUNT_POINT,
    output_root=None,
    output_dir=None,
):
    try:
        fields = receipt.receipt_paths(executing_entity, analysis_id, destination_s3_uri, mount_point=mount_point)
        stamp = export.check_timestamp(timestamp) if timestamp else export.export_timestamp()
        location = paths.parse_s3_uri(fields["destination_s3_uri"], field="destination_s3_uri")
        if not output_dir and output_root:
            output_dir = export.output_dir_for(output_root, executing_entity, analysis_id)
        plan = {
            "source_path": fields["source_path"],
            "headnode_path": fields["headnode_path"],
            "destination_s3_uri": location.uri,
            "bucket": location.bucket,
            "prefix": location.prefix,
            "timestamp": stamp,
            "report_path": export.export_report_path(location.uri, stamp),
            "receipt_s3_uri": export.export_receipt_uri(location.uri, stamp),
            "manifest_s3_uri": export.export_manifest_uri(location.uri, stamp),
            "association_name": fields["analysis_dir"],
            "executing_entity": executing_entity,
            "analysis_id": analysis_id,
            "output_dir": output_dir or None,
        }
    except (paths.PathRuleError, receipt.ReceiptError) as exc:
        raise AnsibleFilterError(str(exc)) from exc
    fields.pop("file_system_path")
    plan["receipt_fields"] = fields
    return plan


class FilterModule:
    """daylily.ephemeral_cluster.export_plan"""

    def filters(self):
        return {"export_plan": export_plan}
