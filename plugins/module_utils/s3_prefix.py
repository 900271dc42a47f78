# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What the FSx modules ask S3 about a prefix before they link it to the file system (S3 calls only).

* ``holds_objects()``: a mistyped or empty run prefix is refused before an association is attached to it.
* ``find_writeback_marker()``: the marker half of the writeback guard. FSx may write into an S3 prefix under a
  read-only root (automatic export, an export task) only when an administrator allowed it (the modules'
  ``allow_writeback`` switch) and put an ``.atlas_rw`` object at the prefix or one of its parents; the bucket root
  never counts.

Clients: ``module.client("s3", retry_decorator=...)`` (call with ``aws_retry=True``).
"""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import paths
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.aws_errors import S3_MISSING_OBJECT_CODES
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import DaylilyAWSError
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import DaylilyErrorHandler

WRITEBACK_MARKER = ".atlas_rw"


class AnsibleS3PrefixError(DaylilyAWSError):
    """An S3 failure while checking a prefix (see ``DaylilyAWSError``)."""

    SERVICE = "S3"


class S3PrefixErrorHandler(DaylilyErrorHandler):
    """Raises AnsibleS3PrefixError; "missing" is a HeadObject 404 or a missing key."""

    _CUSTOM_EXCEPTION = AnsibleS3PrefixError
    MISSING_CODES = S3_MISSING_OBJECT_CODES


def writeback_marker_keys(prefix):
    """The ``.atlas_rw`` keys that allow writeback under a key ``prefix``: at the prefix and each ancestor, never at
    the bucket root."""
    segments = [segment for segment in prefix.split("/") if segment]
    return ["/".join(segments[:depth]) + "/" + WRITEBACK_MARKER for depth in range(len(segments), 0, -1)]


@S3PrefixErrorHandler.list_error_handler(
    "look for the writeback marker s3://{bucket}/{key} (HeadObject)", default_value=False
)
def _object_exists(client, bucket, key):
    client.head_object(Bucket=bucket, Key=key, aws_retry=True)
    return True


@S3PrefixErrorHandler.common_error_handler("list the objects under {s3_uri} (ListObjectsV2)")
def holds_objects(client, s3_uri):
    """True when at least one object lies under the S3 prefix ``s3_uri`` (a missing bucket holds none)."""
    location = paths.parse_s3_uri(s3_uri, field="data_repository_path")
    try:
        answer = client.list_objects_v2(Bucket=location.bucket, Prefix=location.prefix, MaxKeys=1, aws_retry=True)
    except is_boto3_error_code("NoSuchBucket"):
        return False
    return bool(answer.get("KeyCount") or answer.get("Contents"))


def find_writeback_marker(client, s3_uri):
    """The URI of the nearest ``.atlas_rw`` marker at ``s3_uri`` or a parent prefix (not the bucket root), or None."""
    location = paths.parse_s3_uri(s3_uri, field="data_repository_path")
    for key in writeback_marker_keys(location.prefix):
        if _object_exists(client, location.bucket, key):
            return f"s3://{location.bucket}/{key}"
    return None


def missing_marker_message(s3_uri):
    """Why writeback into ``s3_uri`` is refused when no marker allows it, and what an administrator does about it."""
    location = paths.parse_s3_uri(s3_uri, field="data_repository_path")
    keys = writeback_marker_keys(location.prefix)
    where = ", ".join(f"s3://{location.bucket}/{key}" for key in keys) or "none (the bucket root never counts)"
    return (
        f"No {WRITEBACK_MARKER} marker object allows writing into {s3_uri} (looked for: {where}). An administrator "
        f"who wants FSx to write there puts an {WRITEBACK_MARKER} object at that prefix or a parent prefix"
    )
