"""A cluster's lifecycle as describe-cluster shows it: when a wait may stop, and the line it prints at every poll."""

import pytest

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import pcluster


@pytest.mark.parametrize(
    ("cluster_status", "stack_status", "settled"),
    [
        ("CREATE_IN_PROGRESS", "CREATE_IN_PROGRESS", False),
        ("CREATE_COMPLETE", "UPDATE_IN_PROGRESS", False),  # the stack still moves
        ("DELETE_IN_PROGRESS", "DELETE_IN_PROGRESS", False),
        ("CREATE_COMPLETE", "CREATE_COMPLETE", True),
        ("CREATE_FAILED", "ROLLBACK_COMPLETE", True),  # failed for good: pcluster_cluster reports why
    ],
)
def test_a_wait_stops_once_nothing_is_in_progress(cluster_status, stack_status, settled):
    described = {"clusterStatus": cluster_status, "cloudFormationStackStatus": stack_status}
    assert pcluster.settled(described) is settled


def test_a_cluster_that_does_not_exist_is_settled_and_said_so():
    assert pcluster.settled(None) is True
    assert pcluster.progress_line("day-demo", None) == "cluster day-demo does not exist"


def test_the_progress_line_names_both_statuses():
    described = {"clusterStatus": "CREATE_IN_PROGRESS", "cloudFormationStackStatus": "CREATE_IN_PROGRESS"}
    assert (
        pcluster.progress_line("day-demo", described)
        == "cluster day-demo CREATE_IN_PROGRESS (stack CREATE_IN_PROGRESS)"
    )
