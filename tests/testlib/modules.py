"""Drive a module's main() in-process, and give modules a Stubber-validated botocore client."""

import contextlib
import json

import boto3
import pytest
from botocore.stub import Stubber

from ansible.module_utils.testing import patch_module_args

from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import DaylilyAWSModule
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import aws_retry

REGION = "us-west-2"


def execute_module(capsys, main, args, check_mode=False, diff=False):
    """Run `main()` with `args`; return (exit code, parsed JSON result)."""
    args = dict(args)
    if check_mode:
        args["_ansible_check_mode"] = True
    if diff:
        args["_ansible_diff"] = True
    with patch_module_args(args):
        with pytest.raises(SystemExit) as exited:
            main()
    return exited.value.code, json.loads(capsys.readouterr().out)


@contextlib.contextmanager
def stubbed_module_client(monkeypatch, service, region=REGION):
    """DaylilyAWSModule.client(service) returns one Stubber-validated client; yields (stubber, services asked for)."""
    client = boto3.client(service, region_name=region, aws_access_key_id="testing", aws_secret_access_key="testing")
    calls = []

    def fake_client(self, name, retry_decorator=None, **extra):  # pylint: disable=unused-argument
        calls.append(name)
        assert retry_decorator is not None, f"{name} clients must be created with a retry decorator"
        return RetryingBotoClientWrapper(client, aws_retry(delay=0))

    monkeypatch.setattr(DaylilyAWSModule, "client", fake_client)
    with Stubber(client) as stubber:
        yield stubber, calls
        stubber.assert_no_pending_responses()


@contextlib.contextmanager
def stubbed_client(service, region=REGION):
    """``(stubber, client)``: a Stubber-validated client wrapped with the modules' retries (no back-off delay), for
    service functions called directly; every queued response must be used."""
    client = boto3.client(service, region_name=region, aws_access_key_id="testing", aws_secret_access_key="testing")
    with Stubber(client) as stubber:
        yield stubber, RetryingBotoClientWrapper(client, aws_retry(delay=0))
        stubber.assert_no_pending_responses()


class FileBody:
    """A Stubber ``expected_params`` value for a ``Body`` sent from a file: equal to a file positioned at its start
    whose content is ``data`` (its position is left as it was)."""

    def __init__(self, data):
        self.data = data

    def __eq__(self, other):
        if not hasattr(other, "read"):
            return NotImplemented
        position = other.tell()
        try:
            return position == 0 and other.read() == self.data
        finally:
            other.seek(position)

    def __ne__(self, other):
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    __hash__ = None

    def __repr__(self):
        return "FileBody(%r)" % self.data


@contextlib.contextmanager
def stubbed_module_clients(monkeypatch, *services, region=REGION):
    """Like :func:`stubbed_module_client` for a module that asks for several services: one Stubber-validated client
    per service; yields ``{service: stubber}`` (a service not listed fails the test when the module asks for it)."""
    clients = {
        name: boto3.client(name, region_name=region, aws_access_key_id="testing", aws_secret_access_key="testing")
        for name in services
    }

    def fake_client(self, name, retry_decorator=None, **extra):  # pylint: disable=unused-argument
        assert name in clients, f"the module asked for an unexpected {name} client"
        assert retry_decorator is not None, f"{name} clients must be created with a retry decorator"
        return RetryingBotoClientWrapper(clients[name], aws_retry(delay=0))

    monkeypatch.setattr(DaylilyAWSModule, "client", fake_client)
    with contextlib.ExitStack() as stack:
        stubbers = {name: stack.enter_context(Stubber(client)) for name, client in clients.items()}
        yield stubbers
        for stubber in stubbers.values():
            stubber.assert_no_pending_responses()


def stub_head_object(stubber, bucket, key, size=None, etag=None, metadata=None):
    """Stub one HeadObject of ``bucket``/``key``: 404 when ``size`` is None, else an object of that size."""
    if size is None:
        stubber.add_client_error(
            "head_object",
            service_error_code="404",
            http_status_code=404,
            expected_params={"Bucket": bucket, "Key": key},
        )
        return
    answer = {"ContentLength": size, "ETag": etag or '"e-%s"' % key, "Metadata": metadata or {}}
    stubber.add_response("head_object", answer, {"Bucket": bucket, "Key": key})
