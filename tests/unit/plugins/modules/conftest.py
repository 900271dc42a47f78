"""Shared by every module unit test: no AWS environment leaks in, and amazon.aws's collection info is restored."""

import pytest

from ansible_collections.amazon.aws.plugins.module_utils import common as aws_common

AWS_ENVIRONMENT = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_URL",
                   "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for name in AWS_ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    saved = dict(aws_common.get_collection_info())
    yield
    aws_common.set_collection_info(saved["name"], saved["version"])  # DaylilyAWSModule sets it process-wide
