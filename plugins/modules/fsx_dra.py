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
      - V([]) turns automatic export off. When not given, a new association has none and an existing one keeps its own.
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
  option_names:
    description:
      - "How error messages name this module's options, for example V({\"wait_timeout\": \"run_mount_wait_timeout\"})
        when a role sets them from its own variables, so a hint names what the operator sets. Options not listed are
        named as they are."
    type: dict
    default: {}
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
    plus the S3 permissions FSx needs to link the bucket; C(s3:GetObject) for O(allow_writeback) and C(s3:ListBucket)
    for O(require_objects)."
  - "If AWS answers a create with an association that this token created earlier and that has since been removed (a
    re-attach after a detach), the module derives a new token from that association's ID and creates a new one."
  - Tags whose keys start with C(aws:) are refused in O(tags) and never removed.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
  - daylily.ephemeral_cluster.retries
  - daylily.ephemeral_cluster.fsx
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
    - The association after the run, as M(daylily.ephemeral_cluster.fsx_dra_info) returns it.
    - With O(state=absent), the association as it was before it was detached.
    - Empty when there is none (nothing found, or check mode before a creation).
    - On a failed wait, the association in its last state.
  returned: always
  type: dict
  contains:
    association_id:
      description: The association ID.
      returned: when not empty
      type: str
      sample: dra-0123456789abcdef0
    resource_arn:
      description: The association's ARN.
      returned: when not empty
      type: str
      sample: arn:aws:fsx:us-west-2:123456789012:association/fs-0123456789abcdef0/dra-0123456789abcdef0
    file_system_id:
      description: The file system.
      returned: when not empty
      type: str
      sample: fs-0123456789abcdef0
    lifecycle:
      description: The association's state.
      returned: when not empty
      type: str
      sample: AVAILABLE
    failure_details:
      description: Why the association failed or is misconfigured.
      returned: when AWS reports a failure
      type: dict
      contains:
        message:
          description: AWS's explanation.
          returned: always
          type: str
          sample: Amazon FSx cannot access the S3 bucket of this data repository association.
    file_system_path:
      description: The directory, in the FSx API form (the headnode path is C(/fsx) followed by it).
      returned: when not empty
      type: str
      sample: /run_dir_mounts/run42/
    data_repository_path:
      description: The S3 prefix, as AWS stores it.
      returned: when not empty
      type: str
      sample: s3://daylily-runs/run42/
    batch_import_meta_data_on_create:
      description: Whether object metadata was imported when the association was created.
      returned: when not empty
      type: bool
      sample: true
    imported_file_chunk_size:
      description: Stripe size in MiB of imported files.
      returned: when not empty
      type: int
      sample: 1024
    s3:
      description: Automatic import and export settings, with C(auto_import_policy.events) and C(auto_export_policy.events).
      returned: when AWS reports them
      type: dict
      sample: {"auto_import_policy": {"events": ["NEW", "CHANGED", "DELETED"]}}
    tags:
      description: The association's tags as a dict.
      returned: when not empty
      type: dict
      sample: {"lsmc:purpose": "run-dir-mount"}
    creation_time:
      description: When the association was created (ISO 8601).
      returned: when not empty
      type: str
      sample: "2026-01-31T12:00:00+00:00"
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

import re
import time

from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import dra
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import paths
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import s3_prefix
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx import rules
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.fsx import AnsibleFSxError
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.fsx import FSxErrorHandler
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.fsx import describe_associations
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.fsx import filter_associations
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.fsx import find_file_system_by_cluster
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.fsx import fsx_client
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.fsx import normalize_association
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import DaylilyAWSModule
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import module_retry

CREATE_TOKEN_PURPOSE = "dra"
DELETE_TOKEN_PURPOSE = "dra-delete"
# Each re-attach within AWS's idempotency window adds one replayed association to skip; more means something is wrong.
MAX_CREATE_TOKENS = 10
MAX_CHUNK_SIZE = 512000
_FILE_SYSTEM_ID_RE = re.compile(r"fs-[0-9a-f]{8,}")
_ASSOCIATION_ID_RE = re.compile(r"dra-[0-9a-f]{8,}")


# --------------------------------------------------------------------------------------------------------------
# AWS calls (each retried by the client wrapper; errors become AnsibleFSxError naming the operation)
# --------------------------------------------------------------------------------------------------------------


@FSxErrorHandler.common_error_handler("describe FSx file system {file_system_id} (DescribeFileSystems)")
def describe_file_system(client, file_system_id):
    return client.describe_file_systems(FileSystemIds=[file_system_id], aws_retry=True)["FileSystems"][0]


@FSxErrorHandler.common_error_handler("create the FSx data repository association (CreateDataRepositoryAssociation)")
def create_association(client, request):
    return client.create_data_repository_association(aws_retry=True, **request)["Association"]


@FSxErrorHandler.common_error_handler("update FSx data repository association {request[AssociationId]} (UpdateDataRepositoryAssociation)")
def update_association(client, request):
    return client.update_data_repository_association(aws_retry=True, **request)["Association"]


@FSxErrorHandler.deletion_error_handler("delete FSx data repository association {association_id} (DeleteDataRepositoryAssociation)")
def delete_association(client, association_id, delete_data_in_file_system):
    """The DeleteDataRepositoryAssociation answer, or False when the association is already gone."""
    return client.delete_data_repository_association(
        AssociationId=association_id,
        DeleteDataInFileSystem=delete_data_in_file_system,
        ClientRequestToken=paths.client_request_token(DELETE_TOKEN_PURPOSE, {"association_id": association_id}),
        aws_retry=True,
    )


@FSxErrorHandler.common_error_handler("tag FSx data repository association {arn} (TagResource)")
def tag_association(client, arn, tags):
    client.tag_resource(ResourceARN=arn, Tags=[{"Key": key, "Value": value} for key, value in sorted(tags.items())], aws_retry=True)


@FSxErrorHandler.common_error_handler("untag FSx data repository association {arn} (UntagResource)")
def untag_association(client, arn, keys):
    client.untag_resource(ResourceARN=arn, TagKeys=sorted(keys), aws_retry=True)


def describe_one(client, association_id):
    """The association, or None when AWS does not know it (any more)."""
    found = describe_associations(client, association_ids=[association_id])
    return found[0] if found else None


# --------------------------------------------------------------------------------------------------------------
# options
# --------------------------------------------------------------------------------------------------------------


def writeback_refusal(file_system_path, auto_export_events, allow_writeback, names):
    """Why automatic export may not be turned on at ``file_system_path`` without the admin switch, else None."""
    root = rules.read_only_root(file_system_path)
    if not auto_export_events or allow_writeback or not root:
        return None
    return (f"Refusing automatic export ({names('auto_export_events')}) on {file_system_path}: it lies in "
            f"{rules.describe_read_only_root(root)}, whose associations link source data that FSx never writes back. "
            f"Writeback there needs the writeback guard: {names('allow_writeback')}=true and an "
            f"{s3_prefix.WRITEBACK_MARKER} marker object at the S3 prefix or a parent prefix")


def read_params(params, names=lambda option: option):
    """Validate and normalise the options before any AWS call; raises ValueError with a message saying what to do.

    ``names`` says how a message names an option (``DaylilyAWSModule.option_name``)."""
    want = dict(params)
    present = params["state"] == "present"
    if params["file_system_id"] is not None and not _FILE_SYSTEM_ID_RE.fullmatch(params["file_system_id"]):
        raise ValueError(f"file_system_id {params['file_system_id']!r} is not a file system ID such as fs-0123456789abcdef0")
    if params["association_id"] is not None and not _ASSOCIATION_ID_RE.fullmatch(params["association_id"]):
        raise ValueError(f"association_id {params['association_id']!r} is not an association ID such as dra-0123456789abcdef0")
    if params["file_system_path"] is not None:
        if not (params["file_system_id"] or params["cluster_name"]):
            raise ValueError("file_system_path needs file_system_id or cluster_name to say which file system it is on")
        want["file_system_path"] = rules.api_path(params["file_system_path"], mount_point=params["mount_point"])
    if params["data_repository_path"] is not None:
        want["data_repository_path"] = paths.normalize_s3_uri(params["data_repository_path"], field="data_repository_path")
    elif present and params["association_id"] is None:
        raise ValueError("state=present with file_system_path needs data_repository_path, the S3 prefix to link "
                         "(e.g. s3://bucket/prefix/)")
    for key in ("auto_import_events", "auto_export_events"):
        want[key] = dra.normalize_events(params[key])
    chunk = params["imported_file_chunk_size"]
    if chunk is not None and not 1 <= chunk <= MAX_CHUNK_SIZE:
        raise ValueError(f"imported_file_chunk_size must be between 1 and {MAX_CHUNK_SIZE} MiB, not {chunk}")
    refusal = want["file_system_path"] and writeback_refusal(want["file_system_path"], want["auto_export_events"],
                                                             params["allow_writeback"], names)
    if refusal:
        raise ValueError(refusal)
    if params["tags"] is not None:
        reserved = sorted(key for key in params["tags"] if str(key).startswith("aws:"))
        if reserved:
            raise ValueError(f"tag keys starting with 'aws:' are reserved by AWS and cannot be set: {', '.join(reserved)}")
        want["tags"] = {str(key): "" if value is None else str(value) for key, value in params["tags"].items()}
    if params["wait_timeout"] < 0:
        raise ValueError("wait_timeout must be zero or positive (seconds)")
    if params["poll_interval"] <= 0:
        raise ValueError("poll_interval must be positive (seconds)")
    if params["delete_data_in_file_system"]:
        if not params["confirm_delete_data_in_file_system"]:
            raise ValueError("delete_data_in_file_system=true deletes the association's files from the file system; "
                             "set confirm_delete_data_in_file_system=true as well if that is really wanted")
        refusal = want["file_system_path"] and dra.delete_data_refusal(want["file_system_path"])
        if refusal:
            raise ValueError(f"delete_data_in_file_system=true is refused: {refusal}")
    return want


# --------------------------------------------------------------------------------------------------------------
# the resource
# --------------------------------------------------------------------------------------------------------------


class DraManager:
    """Brings one association to the desired state. ``changed`` is True once a mutating call has been made."""

    def __init__(self, module, client, want, sleep=None, clock=None, s3_client=None):
        self.module = module
        self.client = client
        self.want = want
        self._s3_client = s3_client  # made on first use: most runs never ask S3 anything
        self.sleep = sleep or time.sleep
        self.clock = clock or time.monotonic
        self.changed = False
        self.file_system_id = want["file_system_id"]
        self.file_system = None

    # --- helpers ------------------------------------------------------------------------------------------------

    def error(self, message, association=None, **extra):
        return AnsibleFSxError(message=message, association=normalize_association(association) if association else {}, **extra)

    def result(self, association, before, after, **extra):
        would_change = extra.pop("would_change", False)
        result = dict(changed=self.changed or would_change, created=extra.pop("created", False),
                      association=normalize_association(association) if association else {}, **extra)
        if self.file_system_id:
            result["file_system_id"] = self.file_system_id
        if self.module._diff:  # pylint: disable=protected-access
            result["diff"] = {"before": before, "after": after}
        return result

    def s3(self):
        if self._s3_client is None:
            self._s3_client = self.module.client("s3", retry_decorator=module_retry(self.module))
        return self._s3_client

    def name(self, option):
        return self.module.option_name(option)

    def check_source(self, association_id, file_system_path, data_repository_path, auto_export_events):
        """Before linking: the writeback guard for automatic export, and (``require_objects``) a prefix with objects."""
        refusal = writeback_refusal(file_system_path, auto_export_events, self.want["allow_writeback"], self.name)
        if refusal:
            raise self.error(refusal)
        if auto_export_events and self.want["allow_writeback"]:
            if not s3_prefix.find_writeback_marker(self.s3(), data_repository_path):
                raise self.error(f"Refusing automatic export on {file_system_path}"
                                 f"{' (' + association_id + ')' if association_id else ''}: "
                                 f"{s3_prefix.missing_marker_message(data_repository_path)}")
        if self.want["require_objects"] and association_id is None:
            if not s3_prefix.holds_objects(self.s3(), data_repository_path):
                raise self.error(
                    f"{data_repository_path} holds no objects: check the S3 URI for a typo, or upload the data first. "
                    f"Nothing was attached to {file_system_path}")

    def resolve_file_system(self):
        if self.want["cluster_name"]:
            self.file_system = find_file_system_by_cluster(self.client, self.want["cluster_name"],
                                                           names=self.want["option_names"])
            self.file_system_id = self.file_system["FileSystemId"]
        return self.file_system_id

    def by_id(self):
        """The association named by association_id (None when unknown), checked against file_system_id/cluster_name."""
        association = describe_one(self.client, self.want["association_id"])
        wanted_fs = self.resolve_file_system() if (self.want["file_system_id"] or self.want["cluster_name"]) else None
        if association is None:
            return None
        if wanted_fs and association["FileSystemId"] != wanted_fs:
            raise self.error(f"Association {self.want['association_id']} belongs to file system {association['FileSystemId']}, "
                             f"not {wanted_fs}: check association_id and file_system_id/cluster_name", association)
        self.file_system_id = association["FileSystemId"]
        return association

    def check_prefix(self, association):
        wanted = self.want["data_repository_path"]
        if wanted and dra.comparable_s3(association.get("DataRepositoryPath")) != wanted:
            raise self.error(
                f"The path {association.get('FileSystemPath')} of file system {association['FileSystemId']} is already linked to "
                f"another S3 prefix by association {dra.describe(association)}, not to {wanted}. It is never replaced "
                f"silently: detach it first ({self.name('state')}=absent) or choose another {self.name('file_system_path')}",
                association)

    def broken(self, association):
        lifecycle = association.get("Lifecycle")
        remove = (f"remove it with {self.name('state')}=absent and association_id={association['AssociationId']} (files stay in the file "
                  "system and in S3) and re-run")
        if lifecycle == "MISCONFIGURED":  # AWS recovers it once the cause is fixed
            remove = f"Fix the cause (usually the S3 bucket policy, KMS key or event notifications) and re-run, or {remove}"
        else:
            remove = remove[0].upper() + remove[1:]
        return self.error(
            f"Data repository association {association['AssociationId']} (path {association.get('FileSystemPath')}, prefix "
            f"{association.get('DataRepositoryPath')}) is {lifecycle}: {dra.failure_message(association)}. {remove}", association)

    # --- waits --------------------------------------------------------------------------------------------------

    def wait_available(self, association):
        """Poll until AVAILABLE; FAILED/MISCONFIGURED, disappearance and timeout raise (the association is kept)."""
        deadline = self.clock() + self.want["wait_timeout"]
        while True:
            lifecycle = association.get("Lifecycle")
            if lifecycle == "AVAILABLE":
                return association
            if lifecycle in dra.BROKEN_LIFECYCLES:
                raise self.broken(association)
            if lifecycle not in dra.TRANSITIONAL_LIFECYCLES:
                raise self.error(f"Data repository association {association['AssociationId']} is {lifecycle} and will not become "
                                 "AVAILABLE: wait until it is gone and re-run", association)
            remaining = deadline - self.clock()
            if remaining <= 0:
                raise self.error(
                    f"Timed out after {self.want['wait_timeout']} s waiting for data repository association "
                    f"{association['AssociationId']} to become AVAILABLE; its last lifecycle was {lifecycle}. The association is "
                    f"kept: re-run the task to keep waiting, or raise {self.name('wait_timeout')}", association)
            self.sleep(min(self.want["poll_interval"], remaining))
            latest = describe_one(self.client, association["AssociationId"])
            if latest is None:
                raise self.error(f"Data repository association {association['AssociationId']} disappeared while it was "
                                 f"{lifecycle}: someone deleted it; re-run to create it again", association)
            association = latest

    def wait_deleted(self, association):
        """Poll until AWS answers DataRepositoryAssociationNotFound (= deleted); timeout raises."""
        deadline = self.clock() + self.want["wait_timeout"]
        while True:
            latest = describe_one(self.client, association["AssociationId"])
            if latest is None:
                return "DELETED"
            association = latest
            remaining = deadline - self.clock()
            if remaining <= 0:
                details = (association.get("FailureDetails") or {}).get("Message")
                details = f" ({details})" if details else ""
                raise self.error(
                    f"Timed out after {self.want['wait_timeout']} s waiting for data repository association "
                    f"{association['AssociationId']} to be deleted; its last lifecycle was {association.get('Lifecycle')}"
                    f"{details}. The deletion goes on in AWS: re-run the task to keep waiting, "
                    f"or raise {self.name('wait_timeout')}", association)
            self.sleep(min(self.want["poll_interval"], remaining))

    # --- present ------------------------------------------------------------------------------------------------

    def present(self):
        if self.want["association_id"]:
            current = self.by_id()
            if current is None:
                raise self.error(
                    f"Data repository association {self.want['association_id']} does not exist. To create one, give "
                    "file_system_id or cluster_name, file_system_path and data_repository_path instead of association_id")
            if not paths.is_active_association(current) and current.get("Lifecycle") != "FAILED":
                raise self.error(f"Data repository association {current['AssociationId']} is {current.get('Lifecycle')}: "
                                 "it is being removed and cannot be updated", current)
            self.check_prefix(current)
            return self.existing(current)

        self.resolve_file_system()
        associations = describe_associations(self.client, file_system_id=self.file_system_id)
        at_path = filter_associations(associations, file_system_path=self.want["file_system_path"])
        active = [association for association in at_path if paths.is_active_association(association)]
        if active:
            self.check_prefix(active[0])
            return self.existing(active[0])
        failed = [association for association in at_path if association.get("Lifecycle") == "FAILED"]
        if failed:
            raise self.broken(failed[-1])
        return self.create(associations)

    def existing(self, current):
        if current.get("Lifecycle") in dra.TRANSITIONAL_LIFECYCLES and self.want["wait"]:
            current = self.wait_available(current)
        if current.get("Lifecycle") in dra.BROKEN_LIFECYCLES:
            raise self.broken(current)

        update = dra.build_update_request(current, self.want["imported_file_chunk_size"], self.want["auto_import_events"],
                                          self.want["auto_export_events"])
        current_tags = dra.tag_dict(current.get("Tags"))
        to_set, to_unset = {}, []
        if self.want["tags"] is not None:
            to_set, to_unset = compare_aws_tags(current_tags, self.want["tags"], self.want["purge_tags"])
        after_tags = dict({key: value for key, value in current_tags.items() if key not in to_unset}, **to_set)

        before = dra.summarize(current)
        after = dra.desired_summary(before, imported_file_chunk_size=self.want["imported_file_chunk_size"],
                                    auto_import_events=self.want["auto_import_events"],
                                    auto_export_events=self.want["auto_export_events"], tags=after_tags)
        if not (update or to_set or to_unset):
            return self.result(current, before, after)
        if update and current.get("Lifecycle") != "AVAILABLE":
            raise self.error(f"Data repository association {current['AssociationId']} is {current.get('Lifecycle')}; AWS "
                             f"updates only AVAILABLE associations: re-run with {self.name('wait')}=true, or later", current)
        if after["auto_export_events"] and not before["auto_export_events"]:
            self.check_source(current["AssociationId"], before["file_system_path"], before["data_repository_path"],
                              after["auto_export_events"])
        if self.module.check_mode:
            return self.result(current, before, after, would_change=True)

        arn = current["ResourceARN"]
        if to_unset:
            untag_association(self.client, arn, to_unset)
            self.changed = True
        if to_set:
            tag_association(self.client, arn, to_set)
            self.changed = True
        if update:
            # No explicit token: an update sets values, so repeating it is harmless, and a token derived from the
            # values would make AWS replay an older update when the same change is made twice.
            update_association(self.client, update)
            self.changed = True
        latest = describe_one(self.client, current["AssociationId"]) or current
        if update and self.want["wait"]:
            latest = self.wait_available(latest)
        elif latest.get("Lifecycle") in dra.BROKEN_LIFECYCLES:
            raise self.broken(latest)
        return self.result(latest, before, after)

    def create(self, associations):
        path, prefix = self.want["file_system_path"], self.want["data_repository_path"]
        file_system = self.file_system or describe_file_system(self.client, self.file_system_id)
        problems = dra.file_system_problems(file_system)
        if problems:
            raise self.error(
                f"Refusing to create a data repository association on file system {self.file_system_id}: "
                f"{'; '.join(problems)}. Data repository associations need an AVAILABLE FSx for Lustre file system that is "
                "not SCRATCH_1 and not linked with ImportPath/ExportPath; use or create such a file system")
        conflicts = paths.find_conflicting_associations(path, prefix, associations)
        if conflicts:
            described = "; ".join(f"{dra.describe(other)}: {', '.join(paths.association_conflict_reasons(path, prefix, other))}"
                                  for other in conflicts)
            raise self.error(
                f"Refusing to link {path} to {prefix} on file system {self.file_system_id}: it overlaps active association(s) "
                f"{described}. Detach the overlapping association(s) with {self.name('state')}=absent, or choose a path and prefix that "
                "overlap none", conflicting_associations=[normalize_association(other) for other in conflicts])
        capacity = paths.association_capacity(associations)
        if not capacity.ok:
            raise self.error(f"Refusing to create a data repository association on file system {self.file_system_id}: {capacity.error}")
        if capacity.warning:
            self.module.warn(f"File system {self.file_system_id}: {capacity.warning}")

        self.check_source(None, path, prefix, self.want["auto_export_events"])

        request = dra.build_create_request(
            self.file_system_id, path, prefix, self.want["batch_import_meta_data_on_create"],
            self.want["imported_file_chunk_size"], self.want["auto_import_events"], self.want["auto_export_events"],
            self.want["tags"])
        after = dra.desired_summary({}, path, prefix, self.want["imported_file_chunk_size"], self.want["auto_import_events"],
                                    self.want["auto_export_events"], self.want["tags"])
        if self.module.check_mode:
            return self.result(None, {}, after, would_change=True)

        created = self.send_create(request, {association["AssociationId"] for association in associations})
        if self.want["wait"]:
            created = self.wait_available(created)
        elif created.get("Lifecycle") in dra.BROKEN_LIFECYCLES:
            raise self.broken(created)
        return self.result(created, {}, after, created=True)

    def send_create(self, request, known_ids):
        """CreateDataRepositoryAssociation with a token derived from (file system, path, prefix); the new association.

        AWS answers a reused token with the association it created first. When that association is one we already
        saw (FAILED, DELETING) or no longer exists, the path was attached and detached before: derive the next token
        from that association's ID, which is as deterministic for a re-run as the first token.
        """
        inputs = dra.create_token_inputs(self.file_system_id, request["FileSystemPath"], request["DataRepositoryPath"])
        replayed = []
        for _attempt in range(MAX_CREATE_TOKENS):
            try:
                answer = create_association(self.client, dict(request, ClientRequestToken=paths.client_request_token(CREATE_TOKEN_PURPOSE, inputs)))
            except AnsibleFSxError as e:
                if e.code != "IncompatibleParameterError" or "request" in inputs:
                    raise
                # The token was first used with other settings (an earlier attach of this path): include them.
                inputs = dict(inputs, request={key: value for key, value in request.items() if key != "ClientRequestToken"})
                continue
            association_id = answer["AssociationId"]
            latest = None if association_id in known_ids else describe_one(self.client, association_id)
            if latest is not None:
                self.changed = True
                return latest
            replayed.append(association_id)
            inputs = dict(inputs, replaces=association_id)
        raise self.error(
            f"CreateDataRepositoryAssociation kept answering with earlier associations that are gone ({', '.join(replayed)}); "
            f"wait until AWS forgets their request tokens (hours) and re-run")

    # --- absent -------------------------------------------------------------------------------------------------

    def absent(self):
        if self.want["association_id"]:
            current = self.by_id()
            targets = [current] if current else []
        else:
            self.resolve_file_system()
            associations = describe_associations(self.client, file_system_id=self.file_system_id)
            targets = filter_associations(associations, file_system_path=self.want["file_system_path"])
        if not targets:
            return self.result(None, {}, {}, detach_lifecycle="NOT_FOUND")

        active = [association for association in targets if paths.is_active_association(association)]
        primary = (active or targets)[-1]
        for association in targets:
            self.check_prefix(association)
            if self.want["delete_data_in_file_system"]:
                refusal = dra.delete_data_refusal(association.get("FileSystemPath"))
                if refusal:
                    raise self.error(f"delete_data_in_file_system=true is refused for {association['AssociationId']}: {refusal}",
                                     association)
        pending = [association for association in targets if association.get("Lifecycle") != "DELETING"]
        before = dra.summarize(primary)
        if self.module.check_mode:
            return self.result(primary, before, {}, would_change=bool(pending),
                               detach_lifecycle="DELETED" if self.want["wait"] else "DELETING")
        for association in pending:
            if delete_association(self.client, association["AssociationId"], self.want["delete_data_in_file_system"]):
                self.changed = True
        detach_lifecycle = "DELETING"
        if self.want["wait"]:
            for association in targets:
                detach_lifecycle = self.wait_deleted(association)
        return self.result(primary, before, {}, detach_lifecycle=detach_lifecycle)


def main():
    argument_spec = dict(
        state=dict(type="str", choices=["present", "absent"], default="present"),
        file_system_id=dict(type="str"),
        cluster_name=dict(type="str"),
        file_system_path=dict(type="str"),
        association_id=dict(type="str"),
        data_repository_path=dict(type="str"),
        mount_point=dict(type="str", default=rules.DEFAULT_MOUNT_POINT),
        batch_import_meta_data_on_create=dict(type="bool", default=False),
        imported_file_chunk_size=dict(type="int"),
        auto_import_events=dict(type="list", elements="str", choices=list(dra.EVENT_TYPES)),
        auto_export_events=dict(type="list", elements="str", choices=list(dra.EVENT_TYPES)),
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
        mutually_exclusive=[["file_system_id", "cluster_name"], ["association_id", "file_system_path"]],
        required_one_of=[["association_id", "file_system_path"]],
        supports_check_mode=True,
    )
    try:
        want = read_params(module.params, module.option_name)
    except ValueError as e:
        module.fail_json(msg=str(e))

    manager = DraManager(module, fsx_client(module), want)
    try:
        result = manager.present() if want["state"] == "present" else manager.absent()
    except AnsibleFSxError as e:
        e.kwargs.setdefault("changed", manager.changed)
        if manager.file_system_id:
            e.kwargs.setdefault("file_system_id", manager.file_system_id)
        module.fail_json_aws_error(e)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
