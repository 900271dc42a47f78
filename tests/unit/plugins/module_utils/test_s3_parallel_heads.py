"""Many objects read one request each, side by side (``s3_objects.in_parallel``, under Dewey's ``head_objects``).

Issue 15 row 2a: the HEADs of the ``s3_inventory`` registration run 16 in flight on one client. botocore pools 10
connections unless the client's config says otherwise, and a thread beyond the pool opens a connection for each
request and throws it away; so the workers never outnumber the client's pool, and dewey_register makes its S3 client
with a pool of 16 (``client_config``). AWS requests are checked with botocore's Stubber.
"""

import threading

import boto3
import pytest
from botocore.config import Config
from botocore.stub import Stubber

from ansible.module_utils.testing import patch_module_args

from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import s3_objects
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._dewey import storage
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import DaylilyAWSModule
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import aws_retry
from ansible_collections.daylily.ephemeral_cluster.plugins.modules import dewey_register
from testlib import dewey as dewey_testlib
from testlib.modules import execute_module


def s3(**config):
    return boto3.client(
        "s3",
        region_name="us-west-2",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(**config),
    )


def threads_used(client, concurrency, expected):
    """The worker threads ``in_parallel`` ran ``4 * expected`` requests on, each request held until ``expected`` are in
    flight (a worker short, and the barrier breaks instead of hanging)."""
    barrier = threading.Barrier(expected, timeout=10)
    names = set()

    def request(item):
        names.add(threading.current_thread().name)
        barrier.wait()
        return item * 2

    items = range(4 * expected)
    answers = s3_objects.in_parallel(client, request, items, concurrency)
    assert answers == {item: item * 2 for item in items}
    return names


def test_in_parallel_never_runs_more_workers_than_the_client_pools_connections():
    # botocore's default pool is 10: 16 workers would open and discard a connection per request for 6 of them
    assert len(threads_used(RetryingBotoClientWrapper(s3(), aws_retry()), 16, expected=10)) == 10


def test_in_parallel_runs_the_concurrency_asked_for_on_a_client_made_with_client_config():
    client = s3(**s3_objects.client_config())
    assert client.meta.config.max_pool_connections == s3_objects.CONCURRENCY == 16
    assert len(threads_used(client, 16, expected=16)) == 16
    assert s3_objects.client_config(4) == {"max_pool_connections": 10}  # never below botocore's own pool


def test_in_parallel_one_at_a_time_runs_in_the_callers_thread_and_raises_the_first_failure():
    seen = []
    assert s3_objects.in_parallel(s3(), lambda item: seen.append(threading.current_thread()) or item, [1, 2], 1) == {
        1: 1,
        2: 2,
    }
    assert seen == [threading.current_thread()] * 2

    def broken(item):
        raise ValueError("object %d" % item)

    with pytest.raises(ValueError, match="object"):
        s3_objects.in_parallel(s3(), broken, range(5), 4)


def test_a_module_client_made_with_client_config_pools_a_connection_per_head(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with patch_module_args({"region": "us-west-2"}):
        module = DaylilyAWSModule(argument_spec={})
        client = module.client("s3", retry_decorator=aws_retry(), config=s3_objects.client_config())
    assert client.meta.config.max_pool_connections == 16
    keys = ["k%02d" % index for index in range(32)]
    with Stubber(client.client) as stubber:
        for _key in keys:  # threads ask in no fixed order: the same answer for each
            stubber.add_response("head_object", {"ContentLength": 3})
        heads = storage.head_objects(client, "b", keys)
        stubber.assert_no_pending_responses()
    assert heads == {key: {"size": 3, "sha256": None, "sha256_source": None} for key in keys}


class _ClientMade(Exception):
    pass


def test_defect_dewey_register_makes_its_s3_client_with_a_pooled_connection_per_head(monkeypatch, capsys):
    made = []

    def client(self, service, retry_decorator=None, **extra):  # pylint: disable=unused-argument
        made.append((service, extra))
        raise _ClientMade

    monkeypatch.setattr(DaylilyAWSModule, "client", client)
    monkeypatch.setenv(dewey_testlib.TOKEN_ENV, "token")
    with pytest.raises(_ClientMade):
        execute_module(
            capsys,
            dewey_register.main,
            {
                "destination_s3_uri": "s3://bucket/exports/an-1/",
                "command_id": "ilmn_germline_wgs_align_qc",
                "dewey_url": "http://127.0.0.1:1",
                "dewey_token_env": dewey_testlib.TOKEN_ENV,
            },
        )
    assert made == [("s3", {"config": s3_objects.client_config()})]
