# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The S3 calls of sample staging, one small function each behind ``StagingErrorHandler``.

A botocore failure arrives as ``AnsibleStagingError`` whose message names the call, the object and what to do; a
missing object is ``None`` from :func:`head_object`. ``client`` is what ``module.client("s3", retry_decorator=
module_retry(module))`` returns: every call is retried on throttling (``SlowDown`` included) and transient errors.
boto3 clients are thread-safe, so one client serves every worker thread.
"""

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.aws_errors import S3_MISSING_OBJECT_CODES
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import DaylilyAWSError
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import DaylilyErrorHandler


class AnsibleStagingError(DaylilyAWSError):
    """An S3 failure while staging samples (see ``DaylilyAWSError``)."""

    SERVICE = "S3"


class StagingErrorHandler(DaylilyErrorHandler):
    """Raises AnsibleStagingError; "missing" is a 404, a missing key or upload (not a missing bucket)."""

    _CUSTOM_EXCEPTION = AnsibleStagingError
    MISSING_CODES = S3_MISSING_OBJECT_CODES + ("NoSuchUpload",)


@StagingErrorHandler.list_error_handler("read s3://{bucket}/{key} (HeadObject)", default_value=None)
def head_object(client, bucket, key):
    """The object's HeadObject answer, or None when it does not exist."""
    return client.head_object(Bucket=bucket, Key=key, aws_retry=True)


@StagingErrorHandler.common_error_handler("list s3://{bucket}/{prefix} (ListObjectsV2)")
def list_objects(client, bucket, prefix):
    """``{key: (size, etag)}`` of every object under ``prefix`` (all pages; a throttle restarts the listing)."""

    def listing():
        found = {}
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            found.update((item["Key"], (item["Size"], item["ETag"])) for item in page.get("Contents") or [])
        return found

    return client.retry(listing)()


@StagingErrorHandler.common_error_handler("write s3://{bucket}/{key} (PutObject)")
def put_object(client, bucket, key, body, content_type, metadata):
    client.put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type, Metadata=metadata, aws_retry=True)


@StagingErrorHandler.common_error_handler("copy s3://{source_bucket}/{source_key} to s3://{bucket}/{key} (CopyObject)")
def copy_object(client, bucket, key, source_bucket, source_key, metadata):
    """A server-side copy of an object of at most 5 GiB, with our metadata instead of the source's."""
    client.copy_object(
        Bucket=bucket,
        Key=key,
        CopySource={"Bucket": source_bucket, "Key": source_key},
        Metadata=metadata,
        MetadataDirective="REPLACE",
        aws_retry=True,
    )


@StagingErrorHandler.common_error_handler("start a multipart copy to s3://{bucket}/{key} (CreateMultipartUpload)")
def create_multipart_upload(client, bucket, key, metadata):
    return client.create_multipart_upload(Bucket=bucket, Key=key, Metadata=metadata, aws_retry=True)["UploadId"]


@StagingErrorHandler.common_error_handler(
    "copy part {part_number} from s3://{source_bucket}/{source_key} to s3://{bucket}/{key} (UploadPartCopy)"
)
def upload_part_copy(client, bucket, key, upload_id, part_number, source_bucket, source_key, first_byte, last_byte):
    """Copy bytes ``first_byte..last_byte`` (inclusive) of the source as one part; returns the part's ETag."""
    answer = client.upload_part_copy(
        Bucket=bucket,
        Key=key,
        UploadId=upload_id,
        PartNumber=part_number,
        CopySource={"Bucket": source_bucket, "Key": source_key},
        CopySourceRange="bytes=%d-%d" % (first_byte, last_byte),
        aws_retry=True,
    )
    return answer["CopyPartResult"]["ETag"]


@StagingErrorHandler.common_error_handler("finish the multipart copy to s3://{bucket}/{key} (CompleteMultipartUpload)")
def complete_multipart_upload(client, bucket, key, upload_id, etags):
    parts = [{"ETag": etag, "PartNumber": number} for number, etag in enumerate(etags, 1)]
    client.complete_multipart_upload(
        Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}, aws_retry=True
    )


@StagingErrorHandler.deletion_error_handler("abandon the multipart copy to s3://{bucket}/{key} (AbortMultipartUpload)")
def abort_multipart_upload(client, bucket, key, upload_id):
    """Drop the parts of an unfinished copy (never an object); an upload already gone is fine."""
    client.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id, aws_retry=True)
    return True


@StagingErrorHandler.common_error_handler("list unfinished copies under s3://{bucket}/{prefix} (ListMultipartUploads)")
def list_multipart_uploads(client, bucket, prefix):
    """``[(key, upload id)]`` of the unfinished multipart uploads under ``prefix``."""

    def listing():
        found = []
        for page in client.get_paginator("list_multipart_uploads").paginate(Bucket=bucket, Prefix=prefix):
            found += [(item["Key"], item["UploadId"]) for item in page.get("Uploads") or []]
        return found

    return client.retry(listing)()
