# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The S3 object calls of the export receipts: list a prefix, read and write small text objects, and stream a
listing or a big object (a manifest) through without holding it.

Each call is one small function wrapped in amazon.aws's ``S3ErrorHandler``, so a botocore failure arrives as an
``AnsibleS3Error`` (a missing object as ``None``) whose message names the call, the object and what to do
(:func:`failure_message`). Clients: ``module.client("s3", retry_decorator=...)``, so each call is retried with
the module's back-off (``aws_retry=True``); a listing is retried as a whole.
"""

import concurrent.futures
import functools
import hashlib

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.s3 import AnsibleS3Error
from ansible_collections.amazon.aws.plugins.module_utils.s3 import S3ErrorHandler

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import digests
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.aws_errors import THROTTLE_CODES
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.aws_errors import aws_error_code

__all__ = (
    "AnsibleS3Error",
    "client_config",
    "failure_message",
    "get_text",
    "in_parallel",
    "list_objects",
    "put_file",
    "put_text",
    "read_object",
    "scan_objects",
)

_ACCESS_CODES = ("AccessDenied", "AllAccessDisabled", "InvalidAccessKeyId", "SignatureDoesNotMatch")


class ObjectErrorHandler(S3ErrorHandler):
    """``S3ErrorHandler`` for object reads: only a missing key counts as missing (a missing bucket is an error)."""

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code(["NoSuchKey", "404", "NotFound"])


def _described(operation, action):
    """Re-raise the handler's ``AnsibleS3Error`` with :func:`failure_message` (the call, the object, what to do); the
    wrapped function takes ``(client, bucket, key_or_prefix, ...)``."""

    def wrapper(func):
        @functools.wraps(func)
        def handler(client, bucket, key, *args, **kwargs):
            try:
                return func(client, bucket, key, *args, **kwargs)
            except AnsibleS3Error as err:
                raise AnsibleS3Error(
                    message=failure_message(err, operation, action, bucket, key), exception=err.exception
                ) from err

        return handler

    return wrapper


@_described("ListObjectsV2", "ListBucket")
@S3ErrorHandler.common_error_handler("list the objects")
def list_objects(client, bucket, prefix):
    """``{key: size}`` of every object under ``prefix``, all pages; a throttle restarts the listing from the first page."""

    def listing():
        found = {}
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            found.update((item["Key"], item["Size"]) for item in page.get("Contents") or [])
        return found

    return client.retry(listing)()


@_described("ListObjectsV2", "ListBucket")
@S3ErrorHandler.common_error_handler("list the objects")
def scan_objects(client, bucket, prefix, consume):
    """``consume(pairs)`` of ``(key, size)`` of every object under ``prefix``, read page by page as ``consume`` asks
    (nothing is kept here), in S3's order (UTF-8 byte order of the keys); what it returns is returned. A throttle
    restarts the listing from the first page and calls ``consume`` again."""

    def listing():
        pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        return consume((item["Key"], item["Size"]) for page in pages for item in page.get("Contents") or [])

    return client.retry(listing)()


#: The pieces :func:`read_object` reads an object in
TRANSFER_CHUNK = 64 * 1024


@_described("GetObject", "GetObject")
@ObjectErrorHandler.list_error_handler("read the object", default_value=None)
def read_object(client, bucket, key, write=None):
    """Read the object a piece at a time, handing each to ``write`` (when given), and return its SHA-256 (hex), or
    None when it does not exist."""
    body = client.get_object(Bucket=bucket, Key=key, aws_retry=True)["Body"]
    digest = hashlib.sha256()
    for chunk in body.iter_chunks(TRANSFER_CHUNK):
        digest.update(chunk)
        if write is not None:
            write(chunk)
    return digest.hexdigest()


@_described("PutObject", "PutObject")
@S3ErrorHandler.common_error_handler("write the object")
def put_file(client, bucket, key, path, sha256, content_type):
    """Write the file at ``path`` (botocore sends it in pieces) with its SHA-256 (hex), so S3 refuses a body damaged
    on the way; a retry sends the file again from its start."""

    def put():
        with open(path, "rb") as body:
            client.put_object(
                Bucket=bucket,
                Key=key,
                Body=body,
                ContentType=content_type,
                ChecksumSHA256=digests.hex_to_base64(sha256),
            )

    client.retry(put)()


@_described("GetObject", "GetObject")
@ObjectErrorHandler.list_error_handler("read the object", default_value=None)
def get_text(client, bucket, key):
    """The object's content as text, or None when it does not exist."""
    return client.get_object(Bucket=bucket, Key=key, aws_retry=True)["Body"].read().decode("utf-8")


@_described("PutObject", "PutObject")
@S3ErrorHandler.common_error_handler("write the object")
def put_text(client, bucket, key, text, content_type):
    """Write ``text`` with its SHA-256, so S3 refuses a body damaged on the way."""
    body = text.encode("utf-8")
    client.put_object(
        Bucket=bucket,
        Key=key,
        Body=body,
        ContentType=content_type,
        ChecksumSHA256=digests.hex_to_base64(digests.sha256_bytes(body)),
        aws_retry=True,
    )


def _hint(code, action, bucket, key):
    if code in _ACCESS_CODES:
        resource = "arn:aws:s3:::%s" % bucket + ("/%s" % key if key is not None else "")
        return "allow s3:%s on %s for the user or role running Ansible" % (action, resource)
    if code == "NoSuchBucket":
        return "check the bucket name and region"
    if code in THROTTLE_CODES:
        return "S3 kept throttling after every retry; re-run later"
    return "check the S3 URI, the region and the credentials"


def failure_message(error, operation, action, bucket, key=None):
    """``<operation> of s3://bucket/key failed (<operation>, <code>): <what to do>`` for an ``AnsibleS3Error``."""
    code = aws_error_code(getattr(error, "exception", None))
    detail = "%s, %s" % (operation, code) if code else operation
    return "%s of s3://%s/%s failed (%s): %s" % (
        operation,
        bucket,
        key if key is not None else "",
        detail,
        _hint(code, action, bucket, key),
    )


#: Requests in flight at once when many objects are read one request each (HEADs): a request costs a round trip to
#: S3 (tens of ms) and almost no CPU, and S3 serves thousands of requests per second per prefix.
CONCURRENCY = 16

#: botocore's connection pool when the client's config does not say (``max_pool_connections``)
_BOTOCORE_POOL = 10


def client_config(concurrency=CONCURRENCY):
    """The ``config`` of ``module.client("s3", config=...)`` for a client that :func:`in_parallel` shares between
    ``concurrency`` threads: a pooled connection for each (an operator's ``aws_config`` still wins)."""
    return {"max_pool_connections": max(concurrency, _BOTOCORE_POOL)}


def in_parallel(client, request, items, concurrency=CONCURRENCY):
    """``{item: request(item)}``, at most ``concurrency`` requests in flight on the one ``client`` (boto3 clients are
    thread-safe), and never more than its pooled connections: a thread beyond the pool would open a connection for
    each request and throw it away. The first exception ``request`` raises is raised."""
    items = list(items)
    config = getattr(getattr(client, "meta", None), "config", None)
    connections = getattr(config, "max_pool_connections", None) or _BOTOCORE_POOL
    workers = min(concurrency, connections, len(items))
    if workers <= 1:
        return dict((item, request(item)) for item in items)
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="s3") as pool:
        return dict(zip(items, pool.map(request, items)))
