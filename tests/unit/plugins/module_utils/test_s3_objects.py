"""Unit tests for plugins/module_utils/s3_objects.py: the export receipts' S3 calls, on a Stubber-validated client."""

import io

import pytest
from botocore.response import StreamingBody

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import s3_objects
from testlib.modules import stubbed_client

BUCKET = "dayec-analysis"


@pytest.fixture
def s3():
    with stubbed_client("s3") as stubbed:
        yield stubbed


def test_list_objects_follows_every_page_and_restarts_after_a_throttle(s3):
    stubber, client = s3
    first = {"Bucket": BUCKET, "Prefix": "p/"}
    stubber.add_client_error("list_objects_v2", "SlowDown", "reduce your request rate", 503, expected_params=first)
    stubber.add_response(
        "list_objects_v2",
        {"Contents": [{"Key": "p/a", "Size": 1}], "IsTruncated": True, "NextContinuationToken": "t"},
        first,
    )
    stubber.add_response(
        "list_objects_v2",
        {"Contents": [{"Key": "p/b", "Size": 2}], "IsTruncated": False},
        {"Bucket": BUCKET, "Prefix": "p/", "ContinuationToken": "t"},
    )

    assert s3_objects.list_objects(client, BUCKET, "p/") == {"p/a": 1, "p/b": 2}


def test_get_text_returns_none_for_a_missing_key_only(s3):
    stubber, client = s3
    stubber.add_response(
        "get_object", {"Body": StreamingBody(io.BytesIO(b"x: 1\n"), 5)}, {"Bucket": BUCKET, "Key": "k"}
    )
    stubber.add_client_error(
        "get_object", "NoSuchKey", "missing", 404, expected_params={"Bucket": BUCKET, "Key": "gone"}
    )
    stubber.add_client_error(
        "get_object", "NoSuchBucket", "no bucket", 404, expected_params={"Bucket": BUCKET, "Key": "k"}
    )

    assert s3_objects.get_text(client, BUCKET, "k") == "x: 1\n"
    assert s3_objects.get_text(client, BUCKET, "gone") is None
    with pytest.raises(s3_objects.AnsibleS3Error) as raised:
        s3_objects.get_text(client, BUCKET, "k")
    assert raised.value.message == (
        "GetObject of s3://dayec-analysis/k failed (GetObject, NoSuchBucket): check the bucket name and region"
    )


def test_put_text_denied_names_the_permission_to_grant(s3):
    stubber, client = s3
    stubber.add_client_error("put_object", "AccessDenied", "Access Denied", 403)

    with pytest.raises(s3_objects.AnsibleS3Error) as raised:
        s3_objects.put_text(client, BUCKET, "r/fsx_export.yaml", "x", "application/yaml")
    assert raised.value.message == (
        "PutObject of s3://dayec-analysis/r/fsx_export.yaml failed (PutObject, AccessDenied): "
        "allow s3:PutObject on arn:aws:s3:::dayec-analysis/r/fsx_export.yaml for the user or "
        "role running Ansible"
    )
