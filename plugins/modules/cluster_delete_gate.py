#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: cluster_delete_gate
short_description: Decide whether a ParallelCluster cluster may be deleted without losing analysis results
version_added: 0.1.0
description:
  - The delete gate of the collection's safety contract. It decides, and changes nothing; the C(teardown) role deletes
    only after it passed.
  - Every analysis directory C(<entity>/<analysis_id>) of O(analysis_inventory) (the inventory of
    C(<mount>/analysis_results) on the headnode) needs a verified export that still matches S3 and FSx now - one of
    O(export_results), the re-verification by M(daylily.ephemeral_cluster.export_receipt) with C(state=verified) of the
    newest verified receipt under C(<export root><entity>/<analysis_id>/), with the directory's files, must be verified
    and must have compared FSx with the export manifest (no file added, changed or removed since). Files outside any
    analysis directory block too.
  - It reads the cluster itself (C(pcluster describe-cluster) and its config) and refuses while one of the cluster's
    data repository associations is C(CREATING) or C(UPDATING), while a data repository task on its file systems is
    C(PENDING), C(EXECUTING) or C(CANCELING), and while another cluster mounts (C(FileSystemId) in its config) a file
    system this deletion would delete (C(DeletionPolicy) C(Delete)).
  - A refusal fails the module (unless O(fail_when_blocked=false)) with a table of what blocks the deletion and what
    to run to unblock each (RV(table)).
  - The named override O(delete_without_verified_exports) with O(confirm_cluster_name) equal to O(cluster_name)
    lifts the export blockers only (RV(overridden)); it never lifts a running task, an association in transition or a
    file system another cluster uses.
  - RV(plan) lists what the deletion deletes, the associations it detaches first (always with
    C(DeleteDataInFileSystem=false)) and what it keeps; nothing in S3 is ever deleted.
  - Read-only; it supports check mode and never reports a change.
author:
  - Daylily ephemeral cluster maintainers (!UNKNOWN)
options:
  cluster_name:
    description: The cluster to delete.
    type: str
    required: true
    aliases: [name]
  analysis_inventory:
    description:
      - The result of M(daylily.ephemeral_cluster.analysis_inventory) on C(<mount>/analysis_results) with
        O(daylily.ephemeral_cluster.analysis_inventory#module:return_files=true) (paths C(<entity>/<analysis_id>/...)).
      - "V({\"files\": []}) when that directory does not exist."
    type: dict
    required: true
  export_results:
    description:
      - The registered results (C(results)) of M(daylily.ephemeral_cluster.export_receipt) with C(state=verified),
        looped over the P(daylily.ephemeral_cluster.analysis_export_checks#filter) of O(analysis_inventory); each
        result's C(item) names its C(analysis_dir) and C(destination_s3_uri).
    type: list
    elements: dict
    default: []
  export_s3_uris:
    description:
      - The export roots C(s3://bucket/prefix/) the checks were made for; with none, every analysis directory blocks.
    type: list
    elements: str
    default: []
  delete_without_verified_exports:
    description: The named override; needs O(confirm_cluster_name).
    type: bool
    default: false
  confirm_cluster_name:
    description: With O(delete_without_verified_exports), the cluster name typed again. Anything else fails at once.
    type: str
  fail_when_blocked:
    description: Fail with the table when something blocks the deletion.
    type: bool
    default: true
  cluster:
    description:
      - The cluster as M(daylily.ephemeral_cluster.pcluster_cluster_info) described it (an entry of its
        RV(daylily.ephemeral_cluster.pcluster_cluster_info#module:clusters)), which saves a C(pcluster describe-cluster).
        Described again when omitted or empty.
    type: dict
extends_documentation_fragment:
  - daylily.ephemeral_cluster.aws
  - daylily.ephemeral_cluster.option_names
  - daylily.ephemeral_cluster.pcluster
notes:
  - Needs C(fsx:DescribeFileSystems), C(fsx:DescribeDataRepositoryAssociations), C(fsx:DescribeDataRepositoryTasks),
    and the C(pcluster) CLI with the permissions of C(describe-cluster) and C(list-clusters).
"""

EXAMPLES = r"""
- name: List what FSx holds under analysis_results on the headnode
  daylily.ephemeral_cluster.analysis_inventory:
    path: /fsx/analysis_results
  delegate_to: headnode
  register: analyses

- name: Re-verify each analysis directory's export now, against S3 and FSx
  daylily.ephemeral_cluster.export_receipt:
    state: verified
    destination_s3_uri: "{{ item.destination_s3_uri }}"
    fsx_inventory: "{{ item.fsx_inventory }}"
  loop: "{{ analyses | daylily.ephemeral_cluster.analysis_export_checks(['s3://omics-analysis/derived/']) }}"
  loop_control:
    label: "{{ item.destination_s3_uri }}"
  failed_when: false
  register: exports

- name: Decide
  daylily.ephemeral_cluster.cluster_delete_gate:
    cluster_name: day-giab-7
    analysis_inventory: "{{ analyses }}"
    export_results: "{{ exports.results }}"
    export_s3_uris: [s3://omics-analysis/derived/]
  register: gate
"""

RETURN = r"""
allowed:
  description: Whether the cluster may be deleted (it exists and nothing blocks, or only what the override lifted).
  returned: always
  type: bool
  sample: false
blockers:
  description: What blocks the deletion, one row of RV(table) each.
  returned: always
  type: list
  elements: dict
  contains:
    kind:
      description:
        - V(no_export), V(export_not_verified), V(fsx_changed), V(no_manifest), V(unexportable_name), V(stray_files)
          (lifted by the override), V(association_busy), V(task_running), V(file_system_shared), V(sharing_unknown).
      returned: always
      type: str
      sample: fsx_changed
    subject:
      description: The analysis directory, association, task or file system.
      returned: always
      type: str
      sample: alice/run42
    reason:
      description: Why it blocks.
      returned: always
      type: str
      sample: "FSx changed since the verified export to s3://b/derived/alice/run42/: 1 added (late.txt)"
    unblock:
      description: What to run to unblock it.
      returned: always
      type: str
      sample: ansible-playbook playbooks/export.yml -e cluster_name=day-giab-7 ... -e export_update_existing=true
    overridable:
      description: Whether O(delete_without_verified_exports) lifts it.
      returned: always
      type: bool
      sample: true
overridden:
  description: The blockers the override lifted (same fields as RV(blockers)).
  returned: always
  type: list
  elements: dict
override:
  description: Whether the override was used (it lifted at least one blocker).
  returned: always
  type: bool
  sample: false
confirm_cluster_name:
  description: The confirmation given with the override.
  returned: when the override was used
  type: str
  sample: day-giab-7
table:
  description: RV(blockers) as a text table; empty when nothing blocks.
  returned: always
  type: str
analyses:
  description: Every analysis directory, its FSx file count and bytes, and its verified receipt.
  returned: always
  type: list
  elements: dict
  sample: [{"analysis_dir": "alice/run42", "fsx_file_count": 12, "fsx_total_bytes": 4096, "verified": true,
            "receipt_s3_uri": "s3://b/derived/alice/run42/_daylily_monitor/fsx-export/20260131T120000Z/fsx_export.yaml",
            "destination_s3_uri": "s3://b/derived/alice/run42/"}]
plan:
  description:
    - C(delete) (the cluster, its headnode, the file systems deleted with it), C(detach) (the associations detached
      first, each with C(delete_data_in_file_system=false)) and C(preserve) (file systems kept, every S3 prefix), each
      entry with C(resource), C(id) and C(why) (C(detach) entries with the association's fields).
  returned: always
  type: dict
cluster:
  description: Whether the cluster exists, and its status.
  returned: always
  type: dict
  sample: {"exists": true, "status": "CREATE_COMPLETE"}
timestamp:
  description: When the gate decided (C(YYYYmmddTHHMMSSZ), UTC); the deletion receipt is filed under it.
  returned: always
  type: str
  sample: 20260131T120000Z
export_roots:
  description: The normalised export roots.
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.urls import open_url

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import export
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import fsx
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import paths
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import pcluster
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import teardown
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import DaylilyAWSModule
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import module_retry


def fetch(url):
    return open_url(url, timeout=60).read().decode("utf-8")


def main():
    module = DaylilyAWSModule(
        argument_spec={
            "cluster_name": {"type": "str", "required": True, "aliases": ["name"]},
            "analysis_inventory": {"type": "dict", "required": True},
            "export_results": {"type": "list", "elements": "dict", "default": []},
            "export_s3_uris": {"type": "list", "elements": "str", "default": []},
            "delete_without_verified_exports": {"type": "bool", "default": False},
            "confirm_cluster_name": {"type": "str"},
            "fail_when_blocked": {"type": "bool", "default": True},
            "cluster": {"type": "dict"},
            "pcluster_command": {"type": "str", "default": "pcluster"},
            "option_names": {"type": "dict", "default": {}},
        },
        supports_check_mode=True,
    )
    params = module.params
    names = params["option_names"]
    try:
        teardown.check_override(
            params["cluster_name"], params["delete_without_verified_exports"], params["confirm_cluster_name"], names
        )
        roots = teardown.normalize_roots(params["export_s3_uris"])
        teardown.split_inventory(params["analysis_inventory"])
    except (teardown.OverrideError, paths.PathRuleError, ValueError) as err:
        module.fail_json(msg=str(err))
    cli = pcluster.PclusterCli(params["pcluster_command"], module.run_command, module.region)
    try:
        facts = teardown.cluster_facts(
            params["cluster_name"],
            cli,
            module.client("fsx", retry_decorator=module_retry(module)),
            fetch,
            params["cluster"] or None,
        )
        decision = teardown.decide(
            facts,
            params["analysis_inventory"],
            params["export_results"],
            roots,
            params["delete_without_verified_exports"],
            params["confirm_cluster_name"],
            names,
        )
    except pcluster.PclusterError as err:
        module.fail_json(msg=err.message, answer=err.answer)
    except fsx.AnsibleFSxError as err:
        module.fail_json_aws_error(err)
    except ValueError as err:
        module.fail_json(msg=str(err))
    result = dict(
        decision,
        changed=False,
        table=teardown.table(decision["blockers"]) if decision["blockers"] else "",
        cluster={"exists": facts["exists"], "status": facts["status"]},
        timestamp=export.export_timestamp(),
        export_roots=roots,
    )
    if decision["override"]:
        result["confirm_cluster_name"] = params["confirm_cluster_name"]
    if not facts["exists"]:
        result["msg"] = "Cluster %s does not exist; there is nothing to delete." % params["cluster_name"]
    elif decision["blockers"]:
        result["msg"] = teardown.refusal_message(params["cluster_name"], decision, names)
        if params["fail_when_blocked"]:
            module.fail_json(**result)
    else:
        result["msg"] = "Cluster %s may be deleted%s." % (
            params["cluster_name"],
            " under the override (%d blocker(s) lifted)" % len(decision["overridden"]) if decision["override"] else "",
        )
    module.exit_json(**result)


if __name__ == "__main__":
    main()
