"""Dewey registration's HEADs of many objects (``_dewey.storage.head_objects``), checked with botocore's Stubber."""

import boto3
from botocore.stub import Stubber

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._dewey import storage


def s3():
    return boto3.client("s3", region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s")


def wrapped(client):
    return RetryingBotoClientWrapper(client, AWSRetry.jittered_backoff(retries=2, delay=0))


def test_head_objects_one_at_a_time_maps_each_key_to_its_head_and_a_missing_one_to_none():
    client = s3()
    with Stubber(client) as stubber:
        for key, size in (("a", 1), ("b", 22)):
            stubber.add_response(
                "head_object", {"ContentLength": size}, {"Bucket": "b", "Key": key, "ChecksumMode": "ENABLED"}
            )
        stubber.add_client_error(
            "head_object",
            "404",
            "Not Found",
            404,
            expected_params={"Bucket": "b", "Key": "gone", "ChecksumMode": "ENABLED"},
        )
        heads = storage.head_objects(wrapped(client), "b", ["a", "b", "gone"], concurrency=1)
        stubber.assert_no_pending_responses()
    assert heads == {
        "a": {"size": 1, "sha256": None, "sha256_source": None},
        "b": {"size": 22, "sha256": None, "sha256_source": None},
        "gone": None,
    }


def test_head_objects_in_parallel_heads_every_key_once():
    client = s3()
    keys = ["k%02d" % index for index in range(40)]
    with Stubber(client) as stubber:
        for _key in keys:  # the order the threads ask in is not fixed: same answer for each
            stubber.add_response(
                "head_object", {"ContentLength": 7, "ChecksumSHA256": "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="}
            )
        heads = storage.head_objects(wrapped(client), "b", keys, concurrency=8)
        stubber.assert_no_pending_responses()
    assert sorted(heads) == keys
    assert {head["sha256_source"] for head in heads.values()} == {"ChecksumSHA256"}
