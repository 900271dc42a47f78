"""Fixtures of the integration suite: real ansible-playbook runs against the in-thread sandbox."""

import pytest

from sandbox.seed import seed_cluster


@pytest.fixture
def node_tmp(tmp_path, monkeypatch):
    """The headnode's TMPDIR (scratch, spool, stage and cache files of the ssm connection): one per test, so counts
    do not depend on earlier tests. Sandbox scripts inherit the test process's environment; ansible-playbook keeps
    the controller's usual TMPDIR (testlib.playbooks.playbook_environment)."""
    path = tmp_path / "node-tmp"
    path.mkdir()
    monkeypatch.setenv("TMPDIR", str(path))
    return path


@pytest.fixture
def cluster(sandbox):
    """A cluster-shaped set of sandbox resources (buckets, tagged FSx, SSM headnode)."""
    return seed_cluster(control=sandbox)
