#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: fsx_dra
short_description: Attach or detach one FSx for Lustre data repository association
version_added: 0.1.0
description:
  - Manages one data repository association (DRA), the link between a directory of an FSx for Lustre file system
    and an S3 prefix.
  - Address the association by O(file_system_id) (or O(cluster_name)) plus O(file_system_path), or by O(association_id).
  - "O(state=present) creates the association when the path has none, after checking that the file system is LUSTRE,
    AVAILABLE, not SCRATCH_1 and has no legacy file-system-level data repository configuration, that neither the path
    nor the S3 prefix overlaps an active association (V(MISCONFIGURED) ones count), and that fewer than 8 associations
    are active (a warning from 6 on)."
  - An association at the same path with the same S3 prefix is kept; its automatic import and export events, chunk
    size and tags are updated when they differ. One with a different S3 prefix is never replaced; the module fails
    and names it.
  - "O(state=absent) detaches the association with C(DeleteDataInFileSystem=false): the files stay in the file system
    and nothing in S3 is touched. It also removes associations in the V(MISCONFIGURED) and V(FAILED) states."
  - Create and delete requests carry a C(ClientRequestToken) derived from their inputs, so a re-run after a crash
    gets the same association back instead of a second one.
  - Waits are the module's own loop over C(DescribeDataRepositoryAssociations) (FSx has no waiters); every AWS call is
    retried on throttling and transient errors.
  - In check mode only C(Describe*) calls are made; the result and the diff say what would change.
  - With O(association_id), the association must belong to O(file_system_id) (or O(cluster_name)) when one is given.
author:
  - Daylily ephemeral cluster maintainers (!UNKNOWN)
options:
  state:
    description:
      - V(present) makes sure the association exists and is V(AVAILABLE) with the given settings.
      - V(absent) detaches it (and any V(FAILED) association left at the same path).
    type: str
    choices: [present, absent]
    default: present
  file_system_path:
    description:
      - The directory of the association, in the FSx API form (V(/run_dir_mounts/run42/)) or the headnode form
        (V(/fsx/run_dir_mounts/run42)); a leading C(/fsx) is stripped and a trailing slash added.
      - Needs O(file_system_id) or O(cluster_name). Mutually exclusive with O(association_id).
    type: str
  association_id:
    description:
      - The association, for example V(dra-0123456789abcdef0). With O(state=present) it must exist; the module then
        only updates it.
    type: str
  data_repository_path:
    description:
      - The S3 prefix, for example V(s3://daylily-runs/run42/); normalised with a trailing slash.
      - Required to create an association. When given for an existing one, its prefix must be the same.
    type: str
  batch_import_meta_data_on_create:
    description:
      - Import the metadata of the objects under the prefix when the association is created, so they appear as files.
      - Only used when the association is created; AWS cannot change it later.
      - An association that was V(MISCONFIGURED) from its creation never imported. When O(state=present) recovers it,
        with this option true, one import task on the prefix imports the listing, and the module waits for it.
      - That owed import is recorded on the association as the C(daylily:import-pending) tag (its value is when it was
        set), set before the recovery and removed once the import task V(SUCCEEDED). Whenever O(state=present) finds
        the tag on an V(AVAILABLE) association (a run was interrupted in between, or the import failed), it imports,
        whatever this option says. The import task carries the same tag, so an import task an interrupted run created
        for it is waited for (or, once V(SUCCEEDED), only the tag is removed) instead of a second import.
    type: bool
    default: false
  imported_file_chunk_size:
    description:
      - Stripe size in MiB of files imported from S3 (1 to 512000). AWS uses 1024 when it is not given at creation.
      - When not given, an existing association keeps its chunk size.
    type: int
  auto_import_events:
    description:
      - S3 events imported automatically into the file system.
      - V([]) turns automatic import off. When not given, a new association has none and an existing one keeps its own.
    type: list
    elements: str
    choices: [NEW, CHANGED, DELETED]
  auto_export_events:
    description:
      - File system changes exported automatically to S3. Leave it unset for read-only mounts and export associations.
      - V([]) and leaving it unset work as for O(auto_import_events).
    type: list
    elements: str
    choices: [NEW, CHANGED, DELETED]
  wait:
    description:
      - Wait until the association is V(AVAILABLE) (O(state=present)) or gone (O(state=absent)).
      - The wait fails at once when the association becomes V(FAILED) or V(MISCONFIGURED), with AWS's failure details.
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait. On timeout the association is kept and the module fails saying so; re-run the task to keep waiting.
    type: int
    default: 900
  poll_interval:
    description:
      - Seconds between two C(DescribeDataRepositoryAssociations) calls while waiting.
    type: float
    default: 15
  allow_writeback:
    description:
      - The writeback admin switch. Automatic export (O(auto_export_events)) on a path that is, lies under or contains a
        read-only root (C(/run_dir_mounts/), C(/references/), C(/staging/), C(/control_data/)) is refused without it,
        before any AWS call.
      - With it, turning automatic export on (anywhere) also needs an C(.atlas_rw) marker object at
        O(data_repository_path) or one of its parent prefixes (C(s3:HeadObject)); the bucket root never counts.
    type: bool
    default: false
  require_objects:
    description:
      - Before creating an association, check that O(data_repository_path) holds at least one object
        (C(s3:ListBucket)), so a mistyped or empty prefix is refused instead of attached.
    type: bool
    default: false
  delete_data_in_file_system:
    description:
      - With O(state=absent), also delete the association's files from the file system (the S3 objects are never deleted).
      - Needs O(confirm_delete_data_in_file_system=true), and is refused for any association whose path is, lies under,
        or contains C(/analysis_results/).
    type: bool
    default: false
  confirm_delete_data_in_file_system:
    description:
      - Confirms O(delete_data_in_file_system=true). It has no other effect.
    type: bool
    default: false
notes:
  - "IAM actions: C(fsx:DescribeDataRepositoryAssociations), C(fsx:DescribeFileSystems), C(fsx:CreateDataRepositoryAssociation),
    C(fsx:UpdateDataRepositoryAssociation), C(fsx:DeleteDataRepositoryAssociation), C(fsx:TagResource), C(fsx:UntagResource),
    C(fsx:CreateDataRepositoryTask) and C(fsx:DescribeDataRepositoryTasks) (the import of a recovered association),
    plus the S3 permissions FSx needs to link the bucket; C(s3:GetObject) for O(allow_writeback) and C(s3:ListBucket)
    for O(require_objects)."
  - "If AWS answers a create with an association that this token created earlier and that has since been removed (a
    re-attach after a detach), the module derives a new token from that association's ID and creates a new one."
  - Tags whose keys start with C(aws:) are refused in O(tags) and never removed. So is C(daylily:import-pending), the
    module's own record of an owed import (see O(batch_import_meta_data_on_create)); O(purge_tags) never removes it.
extends_documentation_fragment:
  - daylily.ephemeral_cluster.aws
  - amazon.aws.tags
  - daylily.ephemeral_cluster.fsx
  - daylily.ephemeral_cluster.option_names
"""

EXAMPLES = r"""
- name: Attach a sequencing run read-only, with its objects visible as files
  daylily.ephemeral_cluster.fsx_dra:
    cluster_name: day-demo
    file_system_path: /fsx/run_dir_mounts/run42
    data_repository_path: s3://daylily-runs/run42/
    batch_import_meta_data_on_create: true
    auto_import_events: [NEW, CHANGED, DELETED]
    tags:
      "lsmc:purpose": run-dir-mount
  register: run_mount

- name: Attach an analysis directory for export (no automatic import or export)
  daylily.ephemeral_cluster.fsx_dra:
    file_system_id: fs-0123456789abcdef0
    file_system_path: /analysis_results/alice/run42/
    data_repository_path: s3://daylily-analysis/derived/alice/run42/
    tags:
      "lsmc:purpose": output-export
      Name: alice/run42
  register: export_dra

- name: Detach it again; its files stay in the file system
  daylily.ephemeral_cluster.fsx_dra:
    association_id: "{{ export_dra.association.association_id }}"
    state: absent
  register: detached

- name: Clean up a MISCONFIGURED association found by its path
  daylily.ephemeral_cluster.fsx_dra:
    cluster_name: day-demo
    file_system_path: /run_dir_mounts/run42/
    state: absent
    wait_timeout: 1800
"""

RETURN = r"""
changed:
  description: Whether an association was created, updated, tagged or detached (or would be, in check mode).
  returned: always
  type: bool
  sample: true
file_system_id:
  description: The file system of the association, given or resolved from O(cluster_name).
  returned: when known
  type: str
  sample: fs-0123456789abcdef0
association:
  description:
    - The association after the run, with the fields M(daylily.ephemeral_cluster.fsx_dra_info) returns for each
      association (RV(daylily.ephemeral_cluster.fsx_dra_info#module:associations)).
    - With O(state=absent), the association as it was before it was detached.
    - Empty when there is none (nothing found, or check mode before a creation).
    - On a failed wait, the association in its last state.
  returned: always
  type: dict
  sample: {"association_id": "dra-0123456789abcdef0", "file_system_path": "/run_dir_mounts/run42/", "lifecycle": "AVAILABLE"}
created:
  description:
    - Whether this run created the association (not in check mode). A role that attaches and then checks the mount
      detaches only what it created.
  returned: always
  type: bool
  sample: true
detach_lifecycle:
  description:
    - With O(state=absent), V(DELETED) once the association is gone, V(DELETING) when O(wait=false),
      V(NOT_FOUND) when there was nothing to detach.
    - In check mode, the state a real run would reach.
  returned: when O(state=absent)
  type: str
  sample: DELETED
listing_import:
  description:
    - What the run did about the listing import the association owed (its C(daylily:import-pending) tag, see
      O(batch_import_meta_data_on_create)); in check mode, what a run would do.
  returned: when the association owed its listing import
  type: dict
  contains:
    action:
      description:
        - V(import) creates one import task on the prefix; V(wait) waits for the running one an interrupted run
          created for the same tag; V(finish) only removes the tag, that task having V(SUCCEEDED).
      returned: always
      type: str
    data_repository_path:
      description: The S3 prefix imported.
      returned: always
      type: str
    pending_since:
      description: The value of the tag, the time the import was found owed.
      returned: always
      type: str
    task_id:
      description: The import task (not in check mode before its creation).
      returned: when there is one
      type: str
    lifecycle:
      description:
        - The import task's last lifecycle; the tag is removed only after V(SUCCEEDED). With O(wait=false) it may still
          be running; a later run finishes it.
      returned: when there is a task
      type: str
  sample: {"action": "import", "data_repository_path": "s3://daylily-runs/run42/", "pending_since": "2026-12-06T19:30:00.000000Z",
           "task_id": "task-0123456789abcdef0", "lifecycle": "SUCCEEDED"}
conflicting_associations:
  description: The active associations whose path or S3 prefix overlaps the requested ones, when that refused a creation.
  returned: on failure, when overlapping associations refused the creation
  type: list
  elements: dict
  sample: [{"association_id": "dra-0123456789abcdef0", "file_system_path": "/run_dir_mounts/", "lifecycle": "AVAILABLE"}]
diff:
  description:
    - With C(--diff), the managed settings before and after (C(file_system_path), C(data_repository_path),
      C(auto_import_events), C(auto_export_events), C(imported_file_chunk_size), C(tags), C(lifecycle)); V({}) for
      no association.
  returned: when diff mode is on
  type: dict
  contains:
    before:
      description: The current association's settings, or V({}).
      returned: always
      type: dict
    after:
      description: The desired settings, or V({}).
      returned: always
      type: dict
  sample: {"before": {}, "after": {"file_system_path": "/run_dir_mounts/run42/", "lifecycle": "AVAILABLE"}}
"""

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.fsx import EVENT_TYPES
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.fsx import FILE_SYSTEM_EXCLUSIVE
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.fsx import AnsibleFSxError
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.fsx import AssociationManager
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.fsx import file_system_argument_spec
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.fsx import fsx_client
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.fsx import read_association_params
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import DaylilyAWSModule


def ensure_present(manager, check_mode):
    """Create the association, or bring the existing one to the wanted settings; wait until it is AVAILABLE."""
    return manager.present(check_mode)


def ensure_absent(manager, check_mode):
    """Detach the association (and FAILED ones at the same path) with DeleteDataInFileSystem=false by default."""
    return manager.absent(check_mode)


def main():
    argument_spec = file_system_argument_spec(
        state=dict(type="str", choices=["present", "absent"], default="present"),
        file_system_path=dict(type="str"),
        association_id=dict(type="str"),
        data_repository_path=dict(type="str"),
        batch_import_meta_data_on_create=dict(type="bool", default=False),
        imported_file_chunk_size=dict(type="int"),
        auto_import_events=dict(type="list", elements="str", choices=list(EVENT_TYPES)),
        auto_export_events=dict(type="list", elements="str", choices=list(EVENT_TYPES)),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=900),
        poll_interval=dict(type="float", default=15),
        delete_data_in_file_system=dict(type="bool", default=False),
        confirm_delete_data_in_file_system=dict(type="bool", default=False),
        allow_writeback=dict(type="bool", default=False),
        require_objects=dict(type="bool", default=False),
        option_names=dict(type="dict", default={}),
    )
    module = DaylilyAWSModule(
        argument_spec=argument_spec,
        mutually_exclusive=[FILE_SYSTEM_EXCLUSIVE, ["association_id", "file_system_path"]],
        required_one_of=[["association_id", "file_system_path"]],
        supports_check_mode=True,
    )
    try:
        want = read_association_params(module.params, module.option_name)
    except ValueError as e:
        module.fail_json(msg=str(e))

    manager = AssociationManager(module, fsx_client(module), want)
    try:
        ensure = ensure_present if want["state"] == "present" else ensure_absent
        result = ensure(manager, module.check_mode)
    except AnsibleFSxError as e:
        e.kwargs.setdefault("changed", manager.changed)
        if manager.file_system_id:
            e.kwargs.setdefault("file_system_id", manager.file_system_id)
        module.fail_json_aws_error(e)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
