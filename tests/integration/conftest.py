"""Fixtures of the integration suite: real ansible-playbook runs against the in-thread sandbox."""

import pytest

from sandbox.seed import seed_cluster


@pytest.fixture
def cluster(sandbox):
    """A cluster-shaped set of sandbox resources (buckets, tagged FSx, SSM headnode)."""
    return seed_cluster(control=sandbox)
