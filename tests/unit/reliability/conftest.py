"""Fixtures of the bad-input fuzzing: modules run in-process against the in-thread sandbox (its audit log shows every
AWS call), as in their own process."""

import pytest

from ansible.module_utils import _internal as module_internal

from ansible_collections.amazon.aws.plugins.module_utils import common as aws_common

from sandbox.seed import seed_cluster


@pytest.fixture(autouse=True)
def module_process(monkeypatch):
    """Module warnings go to the result, not to a controller display (see tests/unit/plugins/modules/conftest.py)."""
    monkeypatch.setattr(module_internal, "is_controller", False)
    saved = dict(aws_common.get_collection_info())
    yield
    aws_common.set_collection_info(saved["name"], saved["version"])


@pytest.fixture
def cluster(sandbox):
    """A cluster-shaped set of sandbox resources (buckets, tagged FSx with its startup DRA, SSM headnode)."""
    return seed_cluster(control=sandbox)
