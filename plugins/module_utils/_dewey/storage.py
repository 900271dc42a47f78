# -*- coding: utf-8 -*-
# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The S3 calls of Dewey registration, each one small function behind amazon.aws's ``S3ErrorHandler``.

Listing, reading and writing small objects are the export receipts' own (``s3_objects``); this adds HeadObject
with ``ChecksumMode=ENABLED``: the object's size, its full-object ``ChecksumSHA256`` and its user metadata, the
only places S3 keeps a SHA-256 (an ETag is an MD5, or not a digest at all for multipart uploads). The listing with
each object's LastModified and the read of an object with its own (``list_object_details``, ``get_text_and_time``)
tell whether an object changed since the export manifest vouched for it, so it needs no HEAD.
"""

from __future__ import annotations

from ansible_collections.amazon.aws.plugins.module_utils.s3 import S3ErrorHandler

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import digests
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import s3_objects

get_text = s3_objects.get_text
put_text = s3_objects.put_text
list_objects = s3_objects.list_objects
AnsibleS3Error = s3_objects.AnsibleS3Error

#: HEADs in flight at once (``s3_objects.in_parallel``): thousands of objects read in a fraction of the sequential
#: time; the client comes from ``module.client("s3", config=client_config())``, one pooled connection per HEAD.
HEAD_CONCURRENCY = s3_objects.CONCURRENCY
client_config = s3_objects.client_config

#: user-metadata keys that carry a hex SHA-256 (DayEC's and common tools' spellings)
SHA256_METADATA_KEYS = ("sha256", "file-sha256", "checksum-sha256")


class _HeadErrorHandler(S3ErrorHandler):
    @classmethod
    def _is_missing(cls):
        return s3_objects.ObjectErrorHandler._is_missing()


@_HeadErrorHandler.list_error_handler("read the object's size and checksum", default_value=None)
def head_object(client, bucket, key):
    """``{"size", "sha256", "sha256_source"}`` of an object (``sha256`` None when S3 holds none), or None when it
    does not exist."""
    head = client.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED", aws_retry=True)
    sha256, source = object_sha256(head)
    return {"size": head["ContentLength"], "sha256": sha256, "sha256_source": source}


@S3ErrorHandler.common_error_handler("list the objects with their sizes and times")
def list_object_details(client, bucket, prefix):
    """``{key: {"size", "last_modified", "checksum_algorithms"}}`` of every object under ``prefix``, all pages (the
    requests of ``s3_objects.list_objects``); ``checksum_algorithms``: those S3 keeps a checksum of the object in."""

    def listing():
        found = {}
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents") or []:
                found[item["Key"]] = {
                    "size": item["Size"],
                    "last_modified": item["LastModified"],
                    "checksum_algorithms": tuple(item.get("ChecksumAlgorithm") or ()),
                }
        return found

    return client.retry(listing)()


@s3_objects.ObjectErrorHandler.list_error_handler("read the object", default_value=None)
def get_text_and_time(client, bucket, key):
    """``(content as text, LastModified)`` of the object, or None when it does not exist."""
    answer = client.get_object(Bucket=bucket, Key=key, aws_retry=True)
    return answer["Body"].read().decode("utf-8"), answer["LastModified"]


def head_objects(client, bucket, keys, concurrency=HEAD_CONCURRENCY):
    """``{key: head_object(...)}`` of every key, ``concurrency`` HEADs at a time on the one client
    (``s3_objects.in_parallel``); the first failure is raised as ``head_object`` raises it."""
    return s3_objects.in_parallel(client, lambda key: head_object(client, bucket, key), keys, concurrency)


def object_sha256(head):
    """(hex SHA-256, where it came from) of a HeadObject answer, or (None, None)."""
    metadata = dict((k.lower(), v) for k, v in (head.get("Metadata") or {}).items())
    for name in SHA256_METADATA_KEYS:
        value = str(metadata.get(name) or "").strip().lower()
        if digests.is_sha256_hex(value):
            return value, "metadata:%s" % name
    checksum = head.get("ChecksumSHA256")
    if checksum and head.get("ChecksumType", "FULL_OBJECT") == "FULL_OBJECT" and "-" not in checksum:
        try:
            return digests.base64_to_hex(checksum), "ChecksumSHA256"
        except digests.DigestError:
            return None, None
    return None, None
