# -*- coding: utf-8 -*-
# Copyright: Daylily ephemeral cluster maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rules of FSx data repository associations (DRAs): overlap, capacity, which file systems take one, and the
desired-versus-current logic of one association (``fsx_dra``; the export and mount roles build on it).

Pure standard-library code (no Ansible, no boto3): every function takes and returns plain dicts in the shapes of the
FSx API (``CreateDataRepositoryAssociation`` requests, ``DescribeDataRepositoryAssociations`` entries,
``DescribeFileSystems`` entries). The AWS calls are in ``associations``.
"""

from __future__ import annotations

from typing import NamedTuple

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import paths
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.lifecycles import is_active_association

#: Event types of AutoImportPolicy / AutoExportPolicy, in the order AWS documents them (and we send them).
EVENT_TYPES = ("NEW", "CHANGED", "DELETED")
#: ImportedFileChunkSize when the create request leaves it out (MiB).
DEFAULT_IMPORTED_FILE_CHUNK_SIZE = 1024
MAX_ACTIVE_ASSOCIATIONS = 8
WARN_ACTIVE_ASSOCIATIONS = 6
#: Keys of the diff subset (``summarize``).
SUMMARY_KEYS = (
    "file_system_path",
    "data_repository_path",
    "auto_import_events",
    "auto_export_events",
    "imported_file_chunk_size",
    "tags",
    "lifecycle",
)

_POLICIES = {"auto_import_events": "AutoImportPolicy", "auto_export_events": "AutoExportPolicy"}


# --------------------------------------------------------------------------------------------------------------
# reading associations as AWS returns them


def normalize_events(events):
    """Events as a list without duplicates in AWS's order (NEW, CHANGED, DELETED); None stays None ("not managed").

    Unknown event types raise ValueError (AWS would answer BadRequest after the round trip).
    """
    if events is None:
        return None
    unknown = sorted(set(events) - set(EVENT_TYPES))
    if unknown:
        raise ValueError("unknown event type(s) %s; allowed: %s" % (", ".join(unknown), ", ".join(EVENT_TYPES)))
    return [event for event in EVENT_TYPES if event in events]


def current_events(association, key):
    """The events of ``association``'s AutoImportPolicy (``key="auto_import_events"``) or AutoExportPolicy."""
    policy = (association.get("S3") or {}).get(_POLICIES[key]) or {}
    return [event for event in EVENT_TYPES if event in (policy.get("Events") or [])]


def comparable_s3(uri):
    """``uri`` in the normalised ``s3://bucket/prefix/`` form; AWS returns DataRepositoryPath as it was given."""
    try:
        return paths.normalize_s3_uri(uri, field="DataRepositoryPath")
    except paths.PathRuleError:
        return uri if not isinstance(uri, str) or uri.endswith("/") else uri + "/"


def comparable_fsx_path(path):
    """``path`` with one trailing slash; AWS returns FileSystemPath as it was given."""
    if not isinstance(path, str) or not path:
        return path
    return path.rstrip("/") + "/"


def tag_dict(tag_list):
    """A boto3 tag list (``[{"Key": k, "Value": v}]``) as a dict."""
    return {tag["Key"]: tag.get("Value", "") for tag in tag_list or []}


def summarize(association):
    """The subset of an association that ``fsx_dra`` manages, as shown in its diff; ``{}`` for None."""
    if not association:
        return {}
    return {
        "file_system_path": comparable_fsx_path(association.get("FileSystemPath")),
        "data_repository_path": comparable_s3(association.get("DataRepositoryPath")),
        "auto_import_events": current_events(association, "auto_import_events"),
        "auto_export_events": current_events(association, "auto_export_events"),
        "imported_file_chunk_size": association.get("ImportedFileChunkSize"),
        "tags": tag_dict(association.get("Tags")),
        "lifecycle": association.get("Lifecycle"),
    }


def describe(association):
    """One association for an error message: ``dra-… (path /x/, prefix s3://b/p/, lifecycle AVAILABLE)``."""
    text = "%s (path %s, prefix %s, lifecycle %s" % (
        association.get("AssociationId"),
        association.get("FileSystemPath"),
        association.get("DataRepositoryPath"),
        association.get("Lifecycle"),
    )
    message = (association.get("FailureDetails") or {}).get("Message")
    if message:
        text += ", failure: %s" % message
    return text + ")"


def failure_message(association):
    """AWS's FailureDetails.Message of ``association`` without its final period (messages go on after it), or a
    placeholder that says there is none."""
    message = ((association.get("FailureDetails") or {}).get("Message") or "").strip().rstrip(".")
    return message or "AWS gave no FailureDetails"


# --------------------------------------------------------------------------------------------------------------
# checks before creating


def file_system_problems(file_system):
    """Why no DRA may be created on ``file_system`` (a DescribeFileSystems entry); an empty list means none.

    Invariant 3: LUSTRE, AVAILABLE, not SCRATCH_1, no legacy file-system-level data repository configuration.
    """
    problems = []
    lustre = file_system.get("LustreConfiguration") or {}
    if file_system.get("FileSystemType") != "LUSTRE":
        problems.append("its type is %s, not LUSTRE" % file_system.get("FileSystemType"))
    if file_system.get("Lifecycle") != "AVAILABLE":
        problems.append("its lifecycle is %s, not AVAILABLE" % file_system.get("Lifecycle"))
    if lustre.get("DeploymentType") == "SCRATCH_1":
        problems.append("its deployment type SCRATCH_1 does not support data repository associations")
    if lustre.get("DataRepositoryConfiguration"):
        legacy = lustre["DataRepositoryConfiguration"]
        problems.append(
            "it has a legacy file-system-level data repository configuration (ImportPath %s), "
            "which rules out data repository associations" % legacy.get("ImportPath")
        )
    return problems


def delete_data_refusal(file_system_path):
    """Why DeleteDataInFileSystem=true is refused for an association at ``file_system_path``, else None.

    Analysis outputs are only durable once exported: no association whose path is, lies under or contains
    ``/analysis_results/`` (e.g. ``/``) may delete the files it links.
    """
    path = comparable_fsx_path(file_system_path)
    root = paths.ANALYSIS_RESULTS_ROOT
    if not path or path.startswith(root) or root.startswith(path):
        return "the association's path %s overlaps %s (analysis outputs); files there are never deleted by a detach" % (
            file_system_path,
            root,
        )
    return None


# --------------------------------------------------------------------------------------------------------------
# requests


def create_token_inputs(file_system_id, file_system_path, data_repository_path):
    """Inputs of the create ClientRequestToken: a re-run after a crash sends the same token."""
    return {
        "file_system_id": file_system_id,
        "file_system_path": file_system_path,
        "data_repository_path": data_repository_path,
    }


def build_create_request(
    file_system_id,
    file_system_path,
    data_repository_path,
    batch_import_meta_data_on_create=False,
    imported_file_chunk_size=None,
    auto_import_events=None,
    auto_export_events=None,
    tags=None,
    client_request_token=None,
):
    """The CreateDataRepositoryAssociation request (paths already normalised).

    Each S3 policy is sent only when it has events and the ``S3`` block only when one has (an export DRA has none);
    ``Tags`` only when there are tags (the API refuses an empty list); values are sent as strings.
    """
    request = {
        "FileSystemId": file_system_id,
        "FileSystemPath": file_system_path,
        "DataRepositoryPath": data_repository_path,
        "BatchImportMetaDataOnCreate": bool(batch_import_meta_data_on_create),
    }
    if imported_file_chunk_size is not None:
        request["ImportedFileChunkSize"] = imported_file_chunk_size
    s3 = {}
    for key, events in (("auto_import_events", auto_import_events), ("auto_export_events", auto_export_events)):
        events = normalize_events(events)
        if events:
            s3[_POLICIES[key]] = {"Events": events}
    if s3:
        request["S3"] = s3
    if tags:
        request["Tags"] = [{"Key": key, "Value": str(value)} for key, value in tags.items()]
    if client_request_token:
        request["ClientRequestToken"] = client_request_token
    return request


def build_update_request(association, imported_file_chunk_size=None, auto_import_events=None, auto_export_events=None):
    """The UpdateDataRepositoryAssociation request that brings ``association`` to the desired settings, or None.

    None for a setting means "leave it as it is". When either event list changes, both policies are sent (the
    unchanged one with its current events), so the answer does not depend on whether AWS merges or replaces ``S3``.
    """
    request = {}
    if imported_file_chunk_size is not None and imported_file_chunk_size != association.get("ImportedFileChunkSize"):
        request["ImportedFileChunkSize"] = imported_file_chunk_size
    desired = {
        "auto_import_events": normalize_events(auto_import_events),
        "auto_export_events": normalize_events(auto_export_events),
    }
    wanted = {key: current_events(association, key) if events is None else events for key, events in desired.items()}
    if any(wanted[key] != current_events(association, key) for key in _POLICIES):
        request["S3"] = {_POLICIES[key]: {"Events": wanted[key]} for key in _POLICIES}
    if not request:
        return None
    return dict(request, AssociationId=association["AssociationId"])


def desired_summary(
    current_summary,
    file_system_path=None,
    data_repository_path=None,
    imported_file_chunk_size=None,
    auto_import_events=None,
    auto_export_events=None,
    tags=None,
):
    """The diff's ``after``: ``current_summary`` (``{}`` for a new association) with the desired values applied.

    None means "not managed" (kept from the current association, or the API default for a new one); the
    lifecycle after a successful run is AVAILABLE.
    """
    after = (
        dict(current_summary)
        if current_summary
        else {
            "auto_import_events": [],
            "auto_export_events": [],
            "imported_file_chunk_size": DEFAULT_IMPORTED_FILE_CHUNK_SIZE,
            "tags": {},
        }
    )
    updates = {
        "file_system_path": file_system_path,
        "data_repository_path": data_repository_path,
        "imported_file_chunk_size": imported_file_chunk_size,
        "auto_import_events": normalize_events(auto_import_events),
        "auto_export_events": normalize_events(auto_export_events),
        "tags": tags,
    }
    after.update({key: value for key, value in updates.items() if value is not None})
    after["lifecycle"] = "AVAILABLE"
    return {key: after.get(key) for key in SUMMARY_KEYS}


class CapacityCheck(NamedTuple):
    """Result of :func:`association_capacity`: ``ok`` is False when another association must be refused."""

    ok: bool
    warning: str | None
    error: str | None
    active: int


# --------------------------------------------------------------------------------------------------------------
# associations: overlap and capacity


def _lenient_fsx_path(value):
    """Existing associations come from AWS and may use any form: only make them comparable."""
    if not isinstance(value, str) or not value:
        return None
    if not value.startswith("/"):
        value = "/" + value
    return value if value.endswith("/") else value + "/"


def _lenient_s3(value):
    if not isinstance(value, str) or not value.lower().startswith("s3://"):
        return None
    bucket, _sep, key = value[5:].partition("/")
    if not bucket:
        return None
    if key and not key.endswith("/"):
        key += "/"
    return paths.S3Location(bucket, key)


def association_conflict_reasons(file_system_path, s3_uri, association):
    """Return why ``association`` (a DescribeDataRepositoryAssociations entry) conflicts with a proposed
    ``(file_system_path, s3_uri)``; an empty list means no conflict. Lifecycle is not considered here.

    An existing path that cannot be parsed is reported as a conflict: overlap cannot be ruled out.
    """
    path = paths.normalize_fsx_path(file_system_path)
    location = paths.parse_s3_uri(s3_uri, field="data_repository_path")
    reasons = []
    other_path = _lenient_fsx_path(association.get("FileSystemPath"))
    if other_path is None:
        reasons.append("FileSystemPath %s cannot be compared" % ascii(association.get("FileSystemPath")))
    elif path.startswith(other_path) or other_path.startswith(path):
        reasons.append("FileSystemPath %s overlaps %s" % (other_path, path))
    other_location = _lenient_s3(association.get("DataRepositoryPath"))
    if other_location is None:
        reasons.append("DataRepositoryPath %s cannot be compared" % ascii(association.get("DataRepositoryPath")))
    elif paths.locations_overlap(location, other_location):
        reasons.append("DataRepositoryPath %s overlaps %s" % (other_location.uri, location.uri))
    return reasons


def find_conflicting_associations(file_system_path, s3_uri, associations, exclude_ids=()):
    """Return the active associations whose FSx path or S3 prefix overlaps the proposed pair, in input order.

    ``associations`` are plain dicts with FileSystemPath, DataRepositoryPath, Lifecycle and AssociationId.
    ``exclude_ids`` skips associations by id (e.g. the one an idempotent re-run already created).
    """
    file_system_path = paths.normalize_fsx_path(file_system_path)
    s3_uri = paths.normalize_s3_uri(s3_uri, field="data_repository_path")
    conflicts = []
    for association in associations:
        if association.get("AssociationId") in exclude_ids or not is_active_association(association):
            continue
        if association_conflict_reasons(file_system_path, s3_uri, association):
            conflicts.append(association)
    return conflicts


def count_active_associations(associations):
    """Number of active associations (see :func:`is_active_association`)."""
    return sum(1 for association in associations if is_active_association(association))


def association_capacity(associations, limit=MAX_ACTIVE_ASSOCIATIONS, warn_at=WARN_ACTIVE_ASSOCIATIONS):
    """Check whether one more association may be attached: refuse at ``limit`` active, warn from ``warn_at``.

    Returns :class:`CapacityCheck` ``(ok, warning, error, active)``.
    """
    active = count_active_associations(associations)
    if active >= limit:
        return CapacityCheck(
            False,
            None,
            "%d data repository associations are active (limit %d, MISCONFIGURED included); "
            "detach one with DeleteDataInFileSystem=false before attaching another" % (active, limit),
            active,
        )
    if active >= warn_at:
        return CapacityCheck(
            True,
            "%d of %d data repository associations are active; %d left" % (active, limit, limit - active),
            None,
            active,
        )
    return CapacityCheck(True, None, None, active)
