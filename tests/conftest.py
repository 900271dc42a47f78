"""Fixtures shared by every test suite: the sandbox (moto + extensions) in a thread, reset before each test."""

import os

import boto3
import pytest

from sandbox.client import SandboxControl
from sandbox.server import SandboxServer


@pytest.fixture(scope="session")
def sandbox_server(tmp_path_factory):
    server = SandboxServer(tmp_path_factory.mktemp("sandbox"), port=0).start()
    saved = {key: os.environ.get(key) for key in list(server.environment) + ["AWS_PROFILE", "AWS_DEFAULT_PROFILE"]}
    os.environ.pop("AWS_PROFILE", None)
    os.environ.pop("AWS_DEFAULT_PROFILE", None)
    os.environ.update(server.environment)  # inherited by ansible-playbook subprocesses
    try:
        yield server
    finally:
        server.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture
def sandbox(sandbox_server):
    """A clean sandbox for this test: moto state, faults, audit log and FSx/headnode directories reset."""
    control = SandboxControl(sandbox_server.endpoint)
    control.reset()
    return control


@pytest.fixture
def aws(sandbox):
    """Factory for boto3 clients bound to the sandbox: aws("fsx")."""

    def make(service, **kwargs):
        return boto3.client(service, **kwargs)

    return make
