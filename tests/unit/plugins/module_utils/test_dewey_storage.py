"""The S3 calls of Dewey registration, checked against the S3 API model with botocore's Stubber."""

import base64
import hashlib

import boto3
from botocore.stub import Stubber

from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import dewey
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import aws_retry

DIGEST = hashlib.sha256(b"x").hexdigest()


def s3():
    return boto3.client("s3", region_name="us-west-2", aws_access_key_id="t", aws_secret_access_key="t")


def test_head_object_asks_for_checksums_and_reads_the_full_object_sha256():
    client = s3()
    response = {
        "ContentLength": 1,
        "ChecksumSHA256": base64.b64encode(bytes.fromhex(DIGEST)).decode(),
        "ETag": '"9dd4e461268c8034f5c8564e155c67a6"',
    }
    # S3 answers ChecksumType only in newer API models (botocore 1.36+); older clients never see it
    if "ChecksumType" in client.meta.service_model.operation_model("HeadObject").output_shape.members:
        response["ChecksumType"] = "FULL_OBJECT"
    with Stubber(client) as stubber:
        stubber.add_response("head_object", response, {"Bucket": "b", "Key": "k", "ChecksumMode": "ENABLED"})
        assert dewey.head_object(RetryingBotoClientWrapper(client, aws_retry(delay=0)), "b", "k") == {
            "size": 1,
            "sha256": DIGEST,
            "sha256_source": "ChecksumSHA256",
        }


def test_head_object_of_a_missing_object_is_none():
    client = s3()
    with Stubber(client) as stubber:
        stubber.add_client_error(
            "head_object",
            service_error_code="404",
            http_status_code=404,
            expected_params={"Bucket": "b", "Key": "gone", "ChecksumMode": "ENABLED"},
        )
        assert dewey.head_object(RetryingBotoClientWrapper(client, aws_retry(delay=0)), "b", "gone") is None


def test_head_object_with_only_an_etag_has_no_sha256():
    client = s3()
    with Stubber(client) as stubber:
        stubber.add_response(
            "head_object",
            {"ContentLength": 1, "ETag": '"%s"' % DIGEST[:32]},
            {"Bucket": "b", "Key": "k", "ChecksumMode": "ENABLED"},
        )
        assert dewey.head_object(RetryingBotoClientWrapper(client, aws_retry(delay=0)), "b", "k") == {
            "size": 1,
            "sha256": None,
            "sha256_source": None,
        }
