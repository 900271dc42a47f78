"""Checkers of the safety invariants (reference dayec_domain.md §12), for tests that run whole playbooks.

Each checker is named after the invariant it guards and raises AssertionError saying what broke it. They read what
the sandbox can show: the audit log (every AWS call, with JSON request parameters), snapshots of every S3 object and
of the analysis directories on FSx taken before and after a run, the FSx associations and tasks, the Dewey stub's
registry, and the receipts. The chaos suite (tests/integration/chaos/) checks them all after every faulted run and
after every clean re-run; any test may reuse one.
"""

import hashlib
import json
from pathlib import Path

import yaml

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._preflight.checks import PROBE_PREFIX
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.receipt import DEWEY_FIELDS

RECEIPT_NAME = "fsx_export.yaml"
MONITOR = "_daylily_monitor/"
EXPORT_PURPOSE = "output-export"
ACTIVE_ASSOCIATION = ("CREATING", "AVAILABLE", "UPDATING", "MISCONFIGURED")
ACTIVE_TASK = ("PENDING", "EXECUTING", "CANCELING")
# Calls that delete a cluster or its file system (the pcluster stand-in deletes the stack and the file system).
CLUSTER_DELETING_CALLS = (("fsx", "DeleteFileSystem"), ("cloudformation", "DeleteStack"))


# --- snapshots ---------------------------------------------------------------------------------------------------
def s3_snapshot(s3):
    """{"bucket/key": sha256 of the body} of every object in every bucket; export receipts keep their fields too
    ({"bucket/key": (sha256, fields)}), since registration may add its Dewey fields to a verified one."""
    found = {}
    for bucket in (entry["Name"] for entry in s3.list_buckets()["Buckets"]):
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for entry in page.get("Contents", []):
                body = s3.get_object(Bucket=bucket, Key=entry["Key"])["Body"].read()
                digest = hashlib.sha256(body).hexdigest()
                if entry["Key"].endswith("/" + RECEIPT_NAME):
                    digest = (digest, yaml.safe_load(body)["fsx_export"])
                found[f"{bucket}/{entry['Key']}"] = digest
    return found


def _allowed_receipt_change(before, after):
    """A verified receipt may change only by gaining DayEC's Dewey fields (receipt.add_registration)."""
    if not (isinstance(before, tuple) and isinstance(after, tuple)) or before[1].get("verified") is not True:
        return False
    changed = {name for name in set(before[1]) | set(after[1]) if before[1].get(name) != after[1].get(name)}
    return changed <= set(DEWEY_FIELDS)


def fsx_snapshot(fsx_mount, under="analysis_results"):
    """{relative path: sha256} of every file under <fsx_mount>/<under> (the analysis directories)."""
    root = Path(fsx_mount) / under
    if not root.is_dir():
        return {}
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file() and not path.is_symlink()
    }


def all_associations(fsx, file_system_id):
    pages = fsx.describe_data_repository_associations(Filters=[{"Name": "file-system-id", "Values": [file_system_id]}])
    return pages["Associations"]


def all_tasks(fsx, file_system_id):
    return fsx.describe_data_repository_tasks(Filters=[{"Name": "file-system-id", "Values": [file_system_id]}])[
        "DataRepositoryTasks"
    ]


def _tag(resource, key):
    return next((tag["Value"] for tag in resource.get("Tags", []) if tag["Key"] == key), None)


def _successful(audit, service, operation):
    return [
        entry
        for entry in audit
        if entry["service"] == service
        and entry["operation"] == operation
        and "fault" not in entry
        and entry.get("status", 200) < 300
    ]


# --- invariant 1: S3 is durable, FSx is disposable -----------------------------------------------------------------
def _preflight_probe(entry, before):
    """A DeleteObject of preflight's write probe (put, then deleted, under <role prefix>dayec-preflight/): an object
    the run wrote itself, never one that was there before."""
    key = entry.get("key") or ""
    return (
        entry["operation"] == "DeleteObject"
        and (key.startswith(PROBE_PREFIX) or f"/{PROBE_PREFIX}" in key)
        and f"{entry.get('bucket')}/{key}" not in before
    )


def _parallelcluster_own(key):
    """An object of ParallelCluster's own bucket (``parallelcluster-<hash>-v1-do-not-delete``): the service rewrites a
    cluster's config there each time the cluster is created again; no data of the operator's lives there."""
    bucket = key.split("/", 1)[0]
    return bucket.startswith("parallelcluster-") and bucket.endswith("-do-not-delete")


def invariant_01_no_s3_object_deleted_or_overwritten(before, after, audit):
    """Nothing deletes S3: no delete call succeeded (but preflight's deletion of the write probe it had just put), and
    every object of `before` is in `after` with the same body."""
    deletes = [
        f"{entry['operation']} {entry.get('bucket')}/{entry.get('key', '')}"
        for entry in _successful(audit, "s3", "DeleteObject") + _successful(audit, "s3", "DeleteObjects")
        if not _preflight_probe(entry, before)
    ]
    assert not deletes, f"invariant 1: S3 delete calls were made: {deletes}"
    gone = sorted(key for key in before if key not in after)
    assert not gone, f"invariant 1: S3 objects disappeared: {gone[:10]}"
    rewritten = sorted(
        key
        for key in before
        if key in after
        and after[key] != before[key]
        and not _allowed_receipt_change(before[key], after[key])
        and not _parallelcluster_own(key)
    )
    assert not rewritten, f"invariant 1: S3 objects were overwritten with different content: {rewritten[:10]}"


def invariant_01_no_association_deleted_with_its_data(audit):
    """Every DeleteDataRepositoryAssociation asked DeleteDataInFileSystem=false (the audit log keeps the requests)."""
    calls = [entry for entry in audit if entry["operation"] == "DeleteDataRepositoryAssociation"]
    bad = [
        entry.get("request")
        for entry in calls
        if (entry.get("request") or {}).get("DeleteDataInFileSystem") is not False
    ]
    assert not bad, f"invariant 1: associations deleted without DeleteDataInFileSystem=false: {bad}"


def invariant_01_analysis_data_on_fsx_intact_until_verified_export(before, after, verified_analyses=()):
    """Every analysis file on FSx before the run is still there, unchanged, unless its analysis directory
    (<entity>/<analysis_id>) has a verified export (then FSx is disposable)."""
    broken = sorted(
        path
        for path, digest in before.items()
        if after.get(path) != digest and "/".join(path.split("/")[:2]) not in set(verified_analyses)
    )
    assert not broken, (
        f"invariant 1: analysis files on FSx were removed or changed before a verified export: {broken[:10]}"
    )


# --- invariants 4, 11, 12: one association and one export task per export --------------------------------------------
def invariant_04_no_duplicate_association(associations):
    """No two active associations claim the same file system path (or the same S3 prefix)."""
    active = [a for a in associations if a["Lifecycle"] in ACTIVE_ASSOCIATION]
    for field in ("FileSystemPath", "DataRepositoryPath"):
        values = [a[field] for a in active]
        duplicated = sorted({value for value in values if values.count(value) > 1})
        assert not duplicated, f"invariant 4: several active associations on {field} {duplicated}: {active}"


def invariant_12_no_export_association_left(associations):
    """After a run that ended (well or not, but not killed), no export association is left attached."""
    left = [
        (a["AssociationId"], a["FileSystemPath"], a["Lifecycle"])
        for a in associations
        if _tag(a, "lsmc:purpose") == EXPORT_PURPOSE and a["Lifecycle"] not in ("DELETING", "FAILED")
    ]
    assert not left, f"invariant 12: export associations still attached: {left}"


def invariant_11_no_duplicate_export_task(tasks):
    """One EXPORT_TO_REPOSITORY task per export: never two at once on the same paths, never one after a success."""
    exports = sorted(
        (task for task in tasks if task["Type"] == "EXPORT_TO_REPOSITORY"), key=lambda task: task["CreationTime"]
    )
    for index, later in enumerate(exports):
        for earlier in exports[:index]:
            if earlier["Paths"] != later["Paths"]:
                continue
            overlapping = earlier["Lifecycle"] in ACTIVE_TASK or (
                earlier.get("EndTime") and later["CreationTime"] < earlier["EndTime"]
            )
            assert not overlapping, f"invariant 11: two export tasks at once on {later['Paths']}: {earlier}, {later}"
            assert earlier["Lifecycle"] != "SUCCEEDED", (
                f"invariant 11: a second export task {later['TaskId']} on {later['Paths']} after "
                f"{earlier['TaskId']} succeeded"
            )


# --- invariant 25: one Dewey registration per verified export ----------------------------------------------------------
def invariant_25_no_duplicate_dewey_registration(dewey_state):
    """The registry holds each kind of artifact set of the analysis once, however often it was asked."""
    kinds = [found["kind"] for found in dewey_state["artifact_sets"].values()]
    duplicated = sorted({kind for kind in kinds if kinds.count(kind) > 1})
    assert not duplicated, f"invariant 25: artifact sets registered more than once: {duplicated} in {kinds}"


# --- invariant 13: the receipt says what S3 holds ------------------------------------------------------------------
def _s3_objects(s3, bucket, prefix):
    return {
        entry["Key"]: entry["Size"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        for entry in page.get("Contents", [])
    }


def _read_s3_uri(s3, uri):
    bucket, _slash, key = uri[len("s3://") :].partition("/")
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read()


def receipts_in_s3(s3, destination):
    """[(key, receipt fields)] of every export receipt under the destination's monitor prefix."""
    bucket, _slash, prefix = destination[len("s3://") :].partition("/")
    keys = sorted(key for key in _s3_objects(s3, bucket, prefix + MONITOR) if key.endswith("/" + RECEIPT_NAME))
    return [(key, yaml.safe_load(s3.get_object(Bucket=bucket, Key=key)["Body"].read())["fsx_export"]) for key in keys]


def receipts_on_disk(output_dir):
    """[(path, receipt fields)] of every receipt in a controller output directory (current and attempts)."""
    return [
        (str(path), yaml.safe_load(path.read_text(encoding="utf-8"))["fsx_export"])
        for path in sorted(Path(output_dir).rglob(RECEIPT_NAME))
    ]


def invariant_13_receipts_consistent_with_s3(s3, destination, output_dir=None):
    """Every verified receipt (in S3 and on disk) is a success whose manifest S3 matches file by file; returns the
    verified receipts found."""
    bucket, _slash, prefix = destination[len("s3://") :].partition("/")
    exported = {
        key[len(prefix) :]: size
        for key, size in _s3_objects(s3, bucket, prefix).items()
        if not key[len(prefix) :].startswith(MONITOR)
    }
    receipts = receipts_in_s3(s3, destination) + (receipts_on_disk(output_dir) if output_dir else [])
    verified = [(where, receipt) for where, receipt in receipts if receipt.get("verified") is True]
    for where, receipt in verified:
        assert receipt["status"] == "success" and receipt["task_lifecycle"] == "SUCCEEDED", (
            f"invariant 13: {where} is verified but says {receipt['status']}/{receipt['task_lifecycle']}"
        )
        assert receipt["detached"] is True, f"invariant 13: {where} is verified but not detached"
        assert receipt["delete_data_in_file_system"] is False, f"invariant 13: {where} deleted data on FSx"
        manifest_text = _read_s3_uri(s3, receipt["manifest_s3_uri"])
        assert hashlib.sha256(manifest_text).hexdigest() == receipt["manifest_sha256"], (
            f"invariant 13: the manifest of {where} is not the one the receipt names"
        )
        manifest = {entry["path"]: entry["size"] for entry in map(json.loads, manifest_text.decode().splitlines())}
        missing = sorted(path for path in manifest if exported.get(path) != manifest[path])
        assert not missing, f"invariant 13: {where} lists files S3 lacks or holds at another size: {missing[:10]}"
        assert receipt["s3_object_count"] == len(manifest), f"invariant 13: {where} counts {receipt['s3_object_count']}"
    return [receipt for _timestamp, receipt in verified]


# --- invariant 24: the cluster goes only after its exports verified ---------------------------------------------------
def invariant_24_cluster_deleted_only_after_verified_exports(audit, analyses_on_fsx, verified_analyses):
    """If anything deleted the cluster or its file system, every analysis directory on it had a verified export."""
    deleting = [
        entry for service, operation in CLUSTER_DELETING_CALLS for entry in _successful(audit, service, operation)
    ]
    if not deleting:
        return
    unexported = sorted(set(analyses_on_fsx) - set(verified_analyses))
    assert not unexported, (
        f"invariant 24: the cluster was deleted ({[e['operation'] for e in deleting]}) while analyses lacked a "
        f"verified export: {unexported}"
    )


def analyses_of(fsx_files):
    """The <entity>/<analysis_id> directories of an fsx_snapshot."""
    return sorted({"/".join(path.split("/")[:2]) for path in fsx_files if path.count("/") >= 2})
