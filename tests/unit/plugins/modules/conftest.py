"""Shared by every module unit test: no AWS environment leaks in, amazon.aws's collection info is restored, and the
module runs as in its own process."""

import pytest

from ansible.module_utils import _internal as module_internal

from ansible_collections.amazon.aws.plugins.module_utils import common as aws_common

from testlib.modules import stubbed_module_client

AWS_ENVIRONMENT = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_ENDPOINT_URL",
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for name in AWS_ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    saved = dict(aws_common.get_collection_info())
    yield
    aws_common.set_collection_info(saved["name"], saved["version"])  # DaylilyAWSModule sets it process-wide


@pytest.fixture(autouse=True)
def module_process(monkeypatch):
    """A module never runs in the controller's process. Once a test in this worker imported controller code,
    ansible-core would send module warnings to the controller's display instead of the result (amazon.aws before
    11.x does not keep its own copy), so a warning test would depend on which tests ran before it."""
    monkeypatch.setattr(module_internal, "is_controller", False)


@pytest.fixture
def fsx(monkeypatch):
    """(stubber, calls): DaylilyAWSModule.client('fsx', ...) returns a real botocore FSx client in Stubber (requests
    checked against the API model); calls lists the services the module asked a client for. A test file that needs
    another FSx stand-in defines its own ``fsx``."""
    with stubbed_module_client(monkeypatch, "fsx") as stubbed:
        yield stubbed
