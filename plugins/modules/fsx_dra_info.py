#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: fsx_dra_info
short_description: List FSx for Lustre data repository associations
version_added: 0.1.0
description:
  - Lists the data repository associations (DRAs) that link directories of an FSx for Lustre file system to S3 prefixes,
    as returned by the FSx C(DescribeDataRepositoryAssociations) API.
  - Select the file system by O(file_system_id), or by O(cluster_name), which finds the one file system tagged
    C(parallelcluster:cluster-name=<cluster_name>). With neither, every association of the account in the region is listed.
  - O(file_system_path), O(lifecycle) and O(tags) are applied to the answer; every given filter must match.
author:
  - Daylily ephemeral cluster maintainers (!UNKNOWN)
options:
  association_ids:
    description:
      - Only these associations, for example V([dra-0123456789abcdef0]); AWS is asked for these only.
      - IDs AWS does not know are skipped, not an error.
    type: list
    elements: str
  file_system_path:
    description:
      - Only the association whose file system path is exactly this directory (not its parents or children).
      - Give the FSx API form (V(/analysis_results/alice/run42/)) or the headnode form under O(mount_point) or C(/fsx)
        (V(/fsx/analysis_results/alice/run42)); both mean the same association.
      - "The rule: a path equal to O(mount_point) or C(/fsx), or below one of them, has it stripped; any other path is
        used as is. A trailing slash is added. Relative paths and C(//), C(.) or C(..) segments are refused."
    type: str
  lifecycle:
    description:
      - Only associations in one of these lifecycle states.
    type: list
    elements: str
    choices: [CREATING, AVAILABLE, MISCONFIGURED, UPDATING, DELETING, FAILED]
  tags:
    description:
      - Only associations that carry all of these tags with these values.
    type: dict
notes:
  - Needs the IAM action C(fsx:DescribeDataRepositoryAssociations), and C(fsx:DescribeFileSystems) when O(cluster_name) is used.
extends_documentation_fragment:
  - daylily.ephemeral_cluster.aws
  - daylily.ephemeral_cluster.fsx
  - daylily.ephemeral_cluster.read_only
"""

EXAMPLES = r"""
- name: List the data repository associations of a cluster's file system
  daylily.ephemeral_cluster.fsx_dra_info:
    cluster_name: day-demo
    region: us-west-2
  register: dras

- name: Find the export association of one analysis directory (headnode path accepted)
  daylily.ephemeral_cluster.fsx_dra_info:
    file_system_id: fs-0123456789abcdef0
    file_system_path: /fsx/analysis_results/alice/run42
    lifecycle: [CREATING, AVAILABLE, MISCONFIGURED, UPDATING]
  register: export_dra

- name: Wait until an association is available
  daylily.ephemeral_cluster.fsx_dra_info:
    association_ids: [dra-0123456789abcdef0]
  register: dra
  until: dra.associations | length == 1 and dra.associations[0].lifecycle == 'AVAILABLE'
  retries: 60
  delay: 15

- name: Run-directory mounts created by this collection
  daylily.ephemeral_cluster.fsx_dra_info:
    cluster_name: day-demo
    tags:
      "lsmc:purpose": run-dir-mount
  register: run_mounts

- name: Show the headnode paths of those mounts
  ansible.builtin.debug:
    msg: "{{ run_mounts.associations | map(attribute='file_system_path') | map('regex_replace', '^', '/fsx') | list }}"
"""

RETURN = r"""
file_system_id:
  description: The file system the associations were listed for, given as O(file_system_id) or resolved from O(cluster_name).
  returned: when O(file_system_id) or O(cluster_name) is given
  type: str
  sample: fs-0123456789abcdef0
file_system:
  description:
    - The file system found by O(cluster_name), as C(DescribeFileSystems) described it (snake_case), so that a later
      task (M(daylily.ephemeral_cluster.fsx_export)) checks it without describing it again.
  returned: when O(cluster_name) is given
  type: dict
  sample: {"file_system_id": "fs-0123456789abcdef0", "file_system_type": "LUSTRE", "lifecycle": "AVAILABLE"}
associations:
  description: The matching data repository associations, in the order AWS returned them.
  returned: always
  type: list
  elements: dict
  contains:
    association_id:
      description: The association ID.
      returned: always
      type: str
      sample: dra-0123456789abcdef0
    resource_arn:
      description: The association's ARN.
      returned: always
      type: str
      sample: arn:aws:fsx:us-west-2:123456789012:association/fs-0123456789abcdef0/dra-0123456789abcdef0
    file_system_id:
      description: The file system the association belongs to.
      returned: always
      type: str
      sample: fs-0123456789abcdef0
    lifecycle:
      description:
        - The association's state. V(MISCONFIGURED) associations still reserve their paths; V(FAILED) ones do not.
      returned: always
      type: str
      sample: AVAILABLE
    failure_details:
      description: Why the association failed or is misconfigured, in AWS's words (C(message)).
      returned: when AWS reports a failure
      type: dict
      sample: {"message": "Access denied to the S3 bucket"}
    file_system_path:
      description:
        - The linked directory in the FSx API form, without the C(/fsx) mount point. The headnode path is C(/fsx) followed by it.
      returned: always
      type: str
      sample: /analysis_results/alice/run42/
    data_repository_path:
      description: The linked S3 prefix.
      returned: always
      type: str
      sample: s3://daylily-analysis/derived/alice/run42/
    batch_import_meta_data_on_create:
      description: Whether S3 object metadata was imported into the file system when the association was created.
      returned: always
      type: bool
      sample: false
    imported_file_chunk_size:
      description: Stripe size in MiB of files imported from S3.
      returned: always
      type: int
      sample: 1024
    s3:
      description: Automatic import and export settings.
      returned: when AWS reports them
      type: dict
      contains:
        auto_import_policy:
          description: S3 changes that are imported automatically.
          returned: when set
          type: dict
          contains:
            events:
              description: Imported event types, from V(NEW), V(CHANGED) and V(DELETED).
              returned: always
              type: list
              elements: str
              sample: [NEW, CHANGED, DELETED]
        auto_export_policy:
          description: File system changes that are exported to S3 automatically.
          returned: when set
          type: dict
          contains:
            events:
              description: Exported event types, from V(NEW), V(CHANGED) and V(DELETED).
              returned: always
              type: list
              elements: str
              sample: []
    tags:
      description: The association's tags as a dict (empty when it has none).
      returned: always
      type: dict
      sample: {"lsmc:purpose": "output-export", "Name": "alice/run42"}
    creation_time:
      description: When the association was created (ISO 8601).
      returned: always
      type: str
      sample: "2026-01-31T12:00:00.000000+00:00"
"""

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.fsx import DRA_LIFECYCLES
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.fsx import FILE_SYSTEM_EXCLUSIVE
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.fsx import describe_associations
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.fsx import file_system_argument_spec
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.fsx import filter_associations
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.fsx import find_file_system_by_cluster
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.fsx import fsx_client
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.fsx import normalize_association
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.fsx import normalize_file_system
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.fsx import normalize_file_system_path
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import DaylilyAWSModule


def list_associations(client, params):
    """Return (file_system_id or None, [normalised associations], the file system found by cluster_name or None)."""
    file_system_path = None
    if params.get("file_system_path"):
        file_system_path = normalize_file_system_path(params["file_system_path"], mount_point=params.get("mount_point"))

    file_system_id, file_system = params.get("file_system_id"), None
    if params.get("cluster_name"):
        file_system = find_file_system_by_cluster(client, params["cluster_name"])
        file_system_id = file_system["FileSystemId"]

    if params.get("association_ids"):
        # Ask by ID only; the file system is checked on the answer.
        raw = describe_associations(client, association_ids=params["association_ids"])
    else:
        raw = describe_associations(client, file_system_id=file_system_id)

    matching = filter_associations(
        raw,
        file_system_id=file_system_id,
        file_system_path=file_system_path,
        lifecycles=params.get("lifecycle"),
        tags=params.get("tags"),
    )
    return file_system_id, [normalize_association(dra) for dra in matching], file_system


def main():
    argument_spec = file_system_argument_spec(
        association_ids=dict(type="list", elements="str"),
        file_system_path=dict(type="str"),
        lifecycle=dict(type="list", elements="str", choices=list(DRA_LIFECYCLES)),
        tags=dict(type="dict"),
    )
    module = DaylilyAWSModule(
        argument_spec=argument_spec,
        mutually_exclusive=[FILE_SYSTEM_EXCLUSIVE],
        supports_check_mode=True,
    )

    with module.reporting_failures():
        file_system_id, associations, file_system = list_associations(fsx_client(module), module.params)

    result = dict(changed=False, associations=associations)
    if file_system_id:
        result["file_system_id"] = file_system_id
    if file_system:
        result["file_system"] = normalize_file_system(file_system)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
