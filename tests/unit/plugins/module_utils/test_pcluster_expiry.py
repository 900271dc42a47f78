"""The expiry create.yml tags a cluster with (the cluster_ttl contract), set once: a cluster that exists keeps its
expiry however much time passed; and the connection variables of a cluster's headnode."""

import datetime

import pytest

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import pcluster
from ansible_collections.daylily.ephemeral_cluster.plugins.modules import pcluster_cluster
from testlib.modules import execute_module

NOW = datetime.datetime(2026, 12, 6, 12, 0, 0, tzinfo=datetime.UTC)
CREATED = {"daylily:expires-at": "2026-12-06T22:00:00Z", "daylily:ttl-hours": "10"}


def test_a_new_cluster_expires_ttl_hours_from_now():
    assert pcluster.expiry_tags(10, None, NOW) == CREATED
    assert pcluster.expiry_tags(1.5, {"aws-parallelcluster-clustername": "x"}, NOW) == {
        "daylily:expires-at": "2026-12-06T13:30:00Z",
        "daylily:ttl-hours": "1.5",
    }


def test_an_existing_cluster_keeps_its_expiry_a_day_later_and_with_another_ttl():
    assert pcluster.expiry_tags(10, CREATED, NOW + datetime.timedelta(days=1)) == CREATED
    assert pcluster.expiry_tags(48, CREATED, NOW) == CREATED
    assert pcluster.expiry_tags(48, {"daylily:expires-at": "2026-12-06T22:00:00Z"}, NOW) == {
        "daylily:expires-at": "2026-12-06T22:00:00Z",
        "daylily:ttl-hours": "48",
    }


@pytest.mark.parametrize("broken", ["tomorrow", "2026-12-06 22:00:00", ""])
def test_an_unreadable_expiry_is_replaced_by_a_new_one(broken):
    assert pcluster.expiry_tags(10, {"daylily:expires-at": broken}, NOW) == CREATED


def test_headnode_connection_variables_come_from_describe_cluster():
    view = {"region": "us-west-2", "head_node": {"instance_id": "i-0123456789abcdef0", "state": "running"}}
    assert pcluster.headnode_connection(view) == {
        "ansible_connection": "daylily.ephemeral_cluster.ssm",
        "ansible_ssm_instance_id": "i-0123456789abcdef0",
        "ansible_ssm_region": "us-west-2",
    }
    assert pcluster.headnode_connection({"region": "us-west-2"}) == {}


@pytest.mark.parametrize(
    "extra",
    [{"ttl_hours": 0, "cluster_config": {}}, {"ttl_hours": 5, "config_path": "/nonexistent.yaml"}],
)
def test_a_ttl_needs_positive_hours_and_the_template_and_the_hint_names_the_role_variable(capsys, tmp_path, extra):
    args = dict(
        extra,
        name="dayec-ttl",
        pcluster_command=str(tmp_path / "no-pcluster-here"),
        option_names={"ttl_hours": "cluster_ttl_hours"},
    )
    rc, result = execute_module(capsys, pcluster_cluster.main, args)
    assert rc == 1
    assert result["msg"].startswith("cluster_ttl_hours must be a positive number of hours, with cluster_config")
