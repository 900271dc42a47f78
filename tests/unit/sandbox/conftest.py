"""Fixtures of the sandbox fidelity tests: boto3 clients on the in-thread sandbox."""

import pytest


@pytest.fixture
def fsx(aws):
    return aws("fsx")


@pytest.fixture
def s3(aws, request):
    """An S3 client, with the test module's BUCKET created."""
    client = aws("s3")
    client.create_bucket(Bucket=request.module.BUCKET, CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
    return client
