"""Verifying an export the way export_receipt does, on a Stubber-validated S3 client: shared by the unit test that
bounds its memory (tests/unit/plugins/module_utils/test_export_verify_streaming.py) and bench row 6c
(tests/bench/memory_row.py).

The S3 answers are queued before the verification starts, so a measurement started after :func:`queue_export` counts
only what verifying adds to the inventory it is given and to what S3 sends.
"""

from __future__ import annotations

import io

from botocore.response import StreamingBody
from botocore.stub import ANY

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import export
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import receipt
from ansible_collections.daylily.ephemeral_cluster.plugins.modules import export_receipt
from testlib import receipts
from testlib.modules import stubbed_client

BUCKET = "dayec-analysis"
PREFIX = "derived/e1/a1/"
DESTINATION = "s3://%s/%s" % (BUCKET, PREFIX)
TIMESTAMP = "20260131T120000Z"
TASK_ID = "task-0123456789abcdef0"
REPORT_KEY = "%s_daylily_monitor/fsx-export/%s/export-report/%s/failures.csv" % (PREFIX, TIMESTAMP, TASK_ID)
MANIFEST_KEY = "%s_daylily_monitor/fsx-export/%s/%s" % (PREFIX, TIMESTAMP, export.MANIFEST_FILENAME)
RECEIPT_KEY = MANIFEST_KEY[: -len(export.MANIFEST_FILENAME)] + export.RECEIPT_FILENAME
PAGE = 1000


def stubbed_s3():
    """``(stubber, client)``: an S3 client in a Stubber, wrapped with the modules' retries (no back-off delay)."""
    return stubbed_client("s3")


def utf8_ordered(pairs):
    """``(key, size)`` in the order S3 lists keys: by their UTF-8 bytes."""
    return sorted(pairs, key=lambda pair: pair[0].encode("utf-8"))


def listing_of(files, prefix=PREFIX, changes=None):
    """The ``(key, size)`` S3 lists for an export of analysis_inventory ``files``; ``changes`` sets sizes (None:
    the object is missing, a new path: an object no file explains)."""
    sizes = {record["path"]: record["size"] for record in files if record.get("type", "file") == "file"}
    sizes.update(changes or {})
    return utf8_ordered((prefix + path, size) for path, size in sizes.items() if size is not None)


def queue_listing(stubber, listing):
    """ListObjectsV2 pages of 1,000 keys, then the task's failed-files report (none): what verify() reads. Returns
    the page responses."""
    pages = [listing[start : start + PAGE] for start in range(0, len(listing), PAGE)] or [[]]
    responses = []
    for number, page in enumerate(pages):
        response = {"Contents": [{"Key": key, "Size": size} for key, size in page], "KeyCount": len(page)}
        params = {"Bucket": BUCKET, "Prefix": PREFIX}
        if number:
            params["ContinuationToken"] = "page%d" % number
        if number + 1 < len(pages):
            response.update(IsTruncated=True, NextContinuationToken="page%d" % (number + 1))
        else:
            response["IsTruncated"] = False
        stubber.add_response("list_objects_v2", response, params)
        responses.append(response)
    stubber.add_client_error("get_object", "NoSuchKey", "missing", 404, {"Bucket": BUCKET, "Key": REPORT_KEY})
    return responses


def queue_export(stubber, files):
    """The S3 side of writing and re-verifying an export of ``files``: for state=present the listing, the report and
    the manifest (absent, then uploaded); for state=verified the manifest read back, the listing and the report.

    Returns every response queued: a caller measuring the process's peak keeps them, so the memory of the answers
    consumed is not freed for the verification to reuse unseen."""
    listing = listing_of(files)
    manifest_bytes = export.dump_manifest(export.manifest_entries(files)).encode("ascii")
    responses = queue_listing(stubber, listing)
    stubber.add_client_error("get_object", "NoSuchKey", "missing", 404, {"Bucket": BUCKET, "Key": MANIFEST_KEY})
    upload = {"Bucket": BUCKET, "Key": MANIFEST_KEY, "Body": ANY, "ContentType": ANY, "ChecksumSHA256": ANY}
    stubber.add_response("put_object", {"ETag": '"etag"'}, upload)
    body = {"Body": StreamingBody(io.BytesIO(manifest_bytes), len(manifest_bytes))}
    stubber.add_response("get_object", body, {"Bucket": BUCKET, "Key": MANIFEST_KEY})
    return responses + [body, manifest_bytes] + queue_listing(stubber, listing)


def verify_export(client, files, scratch):
    """export_receipt's state=present verification and manifest upload, then its state=verified re-reading (the
    manifest read back from S3, compared with S3 and with FSx): ``(failures of both, drift)``."""
    body = receipt.build_receipt(**receipts.success_fields("e1", "a1", DESTINATION, TIMESTAMP))
    inventory = {"file_count": len(files), "total_bytes": sum(record["size"] for record in files), "files": files}
    summary = export_receipt.fsx_summary(inventory)
    manifest = export_receipt.fsx_manifest(inventory, scratch)
    body = receipt.update_receipt(body, manifest_sha256=manifest.sha256)
    body, failures, _summary = export_receipt.verify(
        lambda: client, body, summary, DESTINATION, manifest=manifest, scratch=scratch
    )
    export_receipt._put_file_if_changed(lambda: client, BUCKET, MANIFEST_KEY, manifest, "application/x-ndjson", False)
    attempt = export_receipt.read_attempt(lambda: client, BUCKET, RECEIPT_KEY, TIMESTAMP, scratch, body)
    _body, again, _summary = export_receipt.verify(
        lambda: client, attempt.receipt, summary, DESTINATION, manifest=attempt.manifest, scratch=scratch
    )
    return failures + again, export.fsx_drift(attempt.manifest, export.FileRecords(files))
