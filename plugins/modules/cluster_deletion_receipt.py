#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: cluster_deletion_receipt
short_description: Write the deletion receipt of a cluster deleted through the delete gate
version_added: 0.1.0
description:
  - Writes C(cluster_deletion.yaml) (top key C(cluster_deletion)) - what M(daylily.ephemeral_cluster.cluster_delete_gate)
    decided (every analysis directory with its verified receipt, the blockers the override lifted, with
    C(delete_without_verified_exports) and C(confirm_cluster_name)), what was deleted, every association detached first
    (C(delete_data_in_file_system=false) and how the detach ended), what was preserved, the AWS Budget, and how the
    deletion ended (C(status) V(deleted) or V(error), the C(phase) it reached, C(failure_details)).
  - "Layout: C(<output_dir>/<cluster>/<timestamp>/cluster_deletion.yaml) on the host running the module, and
    C(<export root>_daylily_monitor/cluster-deletion/<cluster>/<timestamp>/cluster_deletion.yaml) in S3 under every
    export root of the gate (RV(daylily.ephemeral_cluster.cluster_delete_gate#module:export_roots)), next to the
    exports. The timestamp is the gate's."
  - Idempotent - nothing is written where the same receipt already is. Check mode writes nothing and returns the
    receipt that would be written.
author:
  - Daylily ephemeral cluster maintainers (!UNKNOWN)
options:
  cluster_name:
    description: The cluster.
    type: str
    required: true
  gate:
    description: The registered result of M(daylily.ephemeral_cluster.cluster_delete_gate).
    type: dict
    required: true
  phase:
    description:
      - The phase the deletion reached - V(gate), V(detach), V(delete), V(budget) or V(complete).
      - Anything but V(complete), a failed result in O(results), or a detach that did not end C(DELETED) or
        C(NOT_FOUND), makes the receipt an error.
    type: str
    required: true
    choices: [gate, detach, delete, budget, complete]
  results:
    description:
      - The registered results of the deletion - C(detach) (the M(daylily.ephemeral_cluster.fsx_dra) loop over the
        gate's C(plan.detach)), C(cluster) (M(daylily.ephemeral_cluster.pcluster_cluster)), C(budget) (the budget's
        removal) and C(failed) (the result that stopped the deletion), each optional.
    type: dict
    default: {}
  output_dir:
    description: The local directory of the receipts; omit it to write to S3 only.
    type: path
  upload:
    description: Write the receipt under every export root in S3 (C(PutObject)).
    type: bool
    default: true
extends_documentation_fragment:
  - daylily.ephemeral_cluster.aws
notes:
  - Needs C(s3:GetObject) and C(s3:PutObject) under each export root's C(_daylily_monitor/cluster-deletion/).
"""

EXAMPLES = r"""
- name: Record how the deletion ended
  daylily.ephemeral_cluster.cluster_deletion_receipt:
    cluster_name: day-giab-7
    gate: "{{ gate }}"
    phase: complete
    results:
      detach: "{{ detached }}"
      cluster: "{{ deleted }}"
    output_dir: /home/alice/deletions
  delegate_to: localhost
"""

RETURN = r"""
receipt:
  description: The receipt fields (the document wraps them under C(cluster_deletion)).
  returned: always
  type: dict
  sample: {"schema_version": 1, "cluster_name": "day-giab-7", "status": "deleted", "phase": "complete"}
receipt_path:
  description: The local receipt file.
  returned: when O(output_dir) is given
  type: str
  sample: /home/alice/deletions/day-giab-7/20260131T120000Z/cluster_deletion.yaml
receipt_s3_uris:
  description: The receipt objects in S3.
  returned: always
  type: list
  elements: str
  sample: [s3://omics-analysis/derived/_daylily_monitor/cluster-deletion/day-giab-7/20260131T120000Z/cluster_deletion.yaml]
"""

import os
import tempfile

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import export
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import paths
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import s3_objects
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import teardown
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import DaylilyAWSModule
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import module_retry

CONTENT_TYPE = "application/yaml"


def _read_local(path):
    if not os.path.isfile(path):
        return None
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def _write_local(module, path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), dir=os.path.dirname(path))
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    module.atomic_move(temp, path)


def main():
    module = DaylilyAWSModule(
        argument_spec={
            "cluster_name": {"type": "str", "required": True},
            "gate": {"type": "dict", "required": True},
            "phase": {"type": "str", "required": True, "choices": list(teardown.RECEIPT_PHASES)},
            "results": {"type": "dict", "default": {}},
            "output_dir": {"type": "path"},
            "upload": {"type": "bool", "default": True},
        },
        supports_check_mode=True,
    )
    params = module.params
    gate = params["gate"]
    try:
        timestamp = export.check_timestamp(gate.get("timestamp"))
        roots = teardown.normalize_roots(gate.get("export_roots") or []) if params["upload"] else []
    except paths.PathRuleError as err:
        module.fail_json(msg="gate is not a cluster_delete_gate result: %s" % err)
    uris = [teardown.receipt_s3_uri(root, params["cluster_name"], timestamp) for root in roots]
    body = teardown.build_receipt(params["cluster_name"], module.region, gate, params["phase"], params["results"], uris)
    text = teardown.dump_receipt(body)
    result = {"changed": False, "receipt": body, "receipt_s3_uris": uris}
    writes = []
    before = []  # what each written place held, for --diff
    if params["output_dir"]:  # the local file first, so the evidence exists even when S3 refuses
        path = teardown.receipt_local_path(params["output_dir"], params["cluster_name"], timestamp)
        result["receipt_path"] = path
        held = _read_local(path)
        if held != text:
            writes.append(path)
            before.append(held or "")
            if not module.check_mode:
                _write_local(module, path, text)
    if uris:
        client = module.client("s3", retry_decorator=module_retry(module))
        try:
            for uri in uris:
                bucket, key = paths.s3_uri_to_key(uri)
                held = s3_objects.get_text(client, bucket, key)
                if held != text:
                    writes.append(uri)
                    before.append(held or "")
                    if not module.check_mode:
                        s3_objects.put_text(client, bucket, key, text, CONTENT_TYPE)
        except s3_objects.AnsibleS3Error as err:
            module.fail_json_aws(err.exception, msg=err.message, **result)
    result["changed"] = bool(writes)
    if module._diff and writes:
        result["diff"] = {"before": before[0], "after": text}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
