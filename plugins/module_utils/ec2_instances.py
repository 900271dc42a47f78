# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""EC2 instances of a ParallelCluster cluster (``DescribeInstances``): finding the cluster's head node by its tags.

The AWS call is one small function behind ``EC2ErrorHandler`` (errors become ``AnsibleEC2Error`` with what to do);
choosing the one head node among what it returns is pure and fails with ``HeadnodeLookupError``, which carries the
candidates for the module's result. ``client`` is what ``module.client("ec2", retry_decorator=module_retry(module))``
returns: a whole paginated query is retried with that policy (``client.retry``).
"""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import paginated_query_with_retries

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.fsx import CLUSTER_NAME_TAG
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import DaylilyAWSError
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import DaylilyErrorHandler

NODE_TYPE_TAG = "parallelcluster:node-type"
# Instances that still exist: a stopped head node is listed (its cluster still costs money), a terminated one is not.
LIVE_INSTANCE_STATES = ("pending", "running", "stopping", "stopped")
# DescribeInstances takes at most 200 values per filter
NAMES_PER_REQUEST = 100


class AnsibleEC2Error(DaylilyAWSError):
    """An EC2 failure (see ``DaylilyAWSError``)."""

    SERVICE = "EC2"


class EC2ErrorHandler(DaylilyErrorHandler):
    """amazon.aws's AWSErrorHandler raising AnsibleEC2Error."""

    _CUSTOM_EXCEPTION = AnsibleEC2Error


class HeadnodeLookupError(AnsibleEC2Error):
    """No, or more than one, running instance is tagged as the cluster's head node; ``headnode_candidates`` (in
    ``kwargs``) lists what was found."""


def _instances(client, filters):
    """Every instance matching ``filters`` (every page, the whole query retried with ``client.retry``)."""
    answer = paginated_query_with_retries(client, "describe_instances", client.retry, Filters=filters)
    return [
        instance for reservation in answer.get("Reservations") or [] for instance in reservation.get("Instances") or []
    ]


@EC2ErrorHandler.common_error_handler("find the head node of cluster {cluster_name}")
def describe_running_headnodes(client, cluster_name):
    """The running EC2 instances tagged as ``cluster_name``'s head node (every page)."""
    filters = [
        {"Name": f"tag:{CLUSTER_NAME_TAG}", "Values": [cluster_name]},
        {"Name": f"tag:{NODE_TYPE_TAG}", "Values": ["HeadNode"]},
        {"Name": "instance-state-name", "Values": ["running"]},
    ]
    return _instances(client, filters)


@EC2ErrorHandler.common_error_handler("describe the head nodes of ParallelCluster clusters (DescribeInstances)")
def describe_headnodes(client, cluster_names=None):
    """The live EC2 instances (:data:`LIVE_INSTANCE_STATES`) tagged as a ParallelCluster head node, of
    ``cluster_names`` only when given (in batches: DescribeInstances takes at most 200 values per filter)."""
    base = [
        {"Name": f"tag:{NODE_TYPE_TAG}", "Values": ["HeadNode"]},
        {"Name": "instance-state-name", "Values": list(LIVE_INSTANCE_STATES)},
    ]
    names = sorted(set(cluster_names or []))
    batches = [names[i : i + NAMES_PER_REQUEST] for i in range(0, len(names), NAMES_PER_REQUEST)] or [None]
    instances = []
    for batch in batches:
        instances += _instances(
            client, base + ([{"Name": f"tag:{CLUSTER_NAME_TAG}", "Values": batch}] if batch else [])
        )
    return instances


def find_headnode(client, cluster_name, region):
    """The instance id of the one running EC2 instance tagged as the cluster's head node; raises HeadnodeLookupError."""
    return choose_headnode(describe_running_headnodes(client, cluster_name), cluster_name, region)


def choose_headnode(instances, cluster_name, region):
    if len(instances) == 1:
        return instances[0]["InstanceId"]
    tags = f"{CLUSTER_NAME_TAG}={cluster_name} and {NODE_TYPE_TAG}=HeadNode"
    if not instances:
        raise HeadnodeLookupError(
            f"No running EC2 instance in {region} is tagged {tags} (DescribeInstances). Check cluster_name and region; "
            "`pcluster describe-cluster` shows whether the cluster exists and its head node is running "
            "(a cluster still in CREATE_IN_PROGRESS may not have one yet).",
            headnode_candidates=[],
        )
    candidates = [
        {"instance_id": instance["InstanceId"], "launch_time": _iso(instance.get("LaunchTime"))}
        for instance in instances
    ]
    listed = ", ".join(f"{item['instance_id']} (launched {item['launch_time']})" for item in candidates)
    raise HeadnodeLookupError(
        f"{len(instances)} running EC2 instances in {region} are tagged {tags} (DescribeInstances): {listed}. "
        "A cluster has one head node: stop or re-tag the stray instance, or pass instance_ids instead of cluster_name.",
        headnode_candidates=candidates,
    )


def _iso(value):
    return value.isoformat() if hasattr(value, "isoformat") else value
