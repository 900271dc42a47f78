# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Preflight's S3 calls. S3: reaching a bucket, reading an object, whether a prefix holds objects, and the write probe."""

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._preflight.errors import service_handler

S3Handler = service_handler("S3")


@S3Handler.common_error_handler("reach bucket {bucket}")
def head_bucket(client, bucket):
    client.head_bucket(Bucket=bucket)


@S3Handler.common_error_handler("read s3://{bucket}/{key}")
def object_text(client, bucket, key):
    return client.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8", "replace")


@S3Handler.common_error_handler("list s3://{bucket}/{prefix}")
def has_objects_under(client, bucket, prefix):
    return client.list_objects_v2(Bucket=bucket, Prefix=prefix, MaxKeys=1).get("KeyCount", 0) > 0


@S3Handler.common_error_handler("write the probe s3://{bucket}/{key}")
def put_probe(client, bucket, key):
    client.put_object(Bucket=bucket, Key=key, Body=b"daylily preflight write check\n")


@S3Handler.common_error_handler("delete the probe s3://{bucket}/{key}")
def delete_probe(client, bucket, key):
    client.delete_object(Bucket=bucket, Key=key)
