# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What the ``pcluster`` inventory plugin reads from AWS and decides about each cluster, without Ansible's inventory.

Reading (one small function per AWS call, errors through the collection's handlers, every call retried):

* the head nodes: EC2 ``DescribeInstances`` filtered on ParallelCluster's tags (``parallelcluster:node-type=HeadNode``,
  optionally ``parallelcluster:cluster-name``), live instance states only;
* each cluster's CloudFormation stack (``DescribeStacks``): its status and the cluster's own tags;
* the region's FSx file systems (``DescribeFileSystems``), matched to clusters by ``parallelcluster:cluster-name``.

:func:`cluster_records` turns those answers into plain JSON-safe records (what the inventory cache keeps);
:func:`host_variables` and :func:`group_names` decide, from a record and the current UTC time, the host's variables
and groups. Expiry is decided there, never cached: a cached inventory still expires clusters on time.
"""

from __future__ import annotations

import re

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.botocore import paginated_query_with_retries
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import cluster_ttl
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import fsx
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.ec2_instances import NODE_TYPE_TAG
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.ec2_instances import EC2ErrorHandler
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import DaylilyAWSError
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import DaylilyErrorHandler

CLUSTER_NAME_TAG = fsx.CLUSTER_NAME_TAG
SSM_CONNECTION = "daylily.ephemeral_cluster.ssm"
# Instances that still exist: a stopped head node is listed (its cluster still costs money), a terminated one is not.
LIVE_INSTANCE_STATES = ("pending", "running", "stopping", "stopped")
EXPIRED_GROUP = "daylily_expired"
INVALID_TTL_GROUP = "daylily_ttl_invalid"
CLUSTER_GROUP_PREFIX = "daylily_cluster_"
# DescribeInstances takes at most 200 values per filter
NAMES_PER_REQUEST = 100


class AnsibleCloudFormationError(DaylilyAWSError):
    """A CloudFormation failure (see ``DaylilyAWSError``)."""

    SERVICE = "CloudFormation"


class CloudFormationErrorHandler(DaylilyErrorHandler):
    """amazon.aws's AWSErrorHandler raising AnsibleCloudFormationError."""

    _CUSTOM_EXCEPTION = AnsibleCloudFormationError


@EC2ErrorHandler.common_error_handler("describe the head nodes of ParallelCluster clusters (DescribeInstances)")
def describe_headnodes(client, cluster_names=None):
    """The live EC2 instances tagged as a ParallelCluster head node (of ``cluster_names`` only, when given); every
    page, the whole query retried with ``client.retry``."""
    base = [
        {"Name": f"tag:{NODE_TYPE_TAG}", "Values": ["HeadNode"]},
        {"Name": "instance-state-name", "Values": list(LIVE_INSTANCE_STATES)},
    ]
    names = sorted(set(cluster_names or []))
    batches = [names[i : i + NAMES_PER_REQUEST] for i in range(0, len(names), NAMES_PER_REQUEST)] or [None]
    instances = []
    for batch in batches:
        filters = base + ([{"Name": f"tag:{CLUSTER_NAME_TAG}", "Values": batch}] if batch else [])
        answer = paginated_query_with_retries(client, "describe_instances", client.retry, Filters=filters)
        instances += [i for reservation in answer.get("Reservations") or [] for i in reservation.get("Instances") or []]
    return instances


@CloudFormationErrorHandler.common_error_handler("describe the stack of cluster {cluster_name} (DescribeStacks)")
def describe_cluster_stack(client, cluster_name):
    """The cluster's CloudFormation stack (ParallelCluster names it after the cluster), None when there is none."""
    try:
        return client.describe_stacks(StackName=cluster_name, aws_retry=True)["Stacks"][0]
    except is_boto3_error_code("ValidationError") as err:
        if "does not exist" in str(err):
            return None
        raise


def describe_file_systems(client):
    """Every FSx file system of the region (retried with the client's policy)."""
    return fsx.describe_file_systems(client, retry_decorator=client.retry)


def headnode_cluster_names(instances):
    """The cluster names the head nodes carry (``parallelcluster:cluster-name``), sorted."""
    names = (boto3_tag_list_to_ansible_dict(i.get("Tags") or []).get(CLUSTER_NAME_TAG) for i in instances)
    return sorted({name for name in names if name})


def _iso(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def cluster_records(region, instances, stacks, file_systems):
    """One JSON-safe record per head node: ``instances`` from :func:`describe_headnodes`, ``stacks`` maps a cluster
    name to its stack (None: no stack; a name left out: not looked up), ``file_systems`` from
    :func:`describe_file_systems` (None: not looked up)."""
    records = []
    for instance in instances:
        instance_tags = boto3_tag_list_to_ansible_dict(instance.get("Tags") or [])
        name = instance_tags.get(CLUSTER_NAME_TAG)
        if not name:
            continue
        record = {
            "cluster_name": name,
            "region": region,
            "instance_id": instance["InstanceId"],
            "instance_state": (instance.get("State") or {}).get("Name"),
            "instance_type": instance.get("InstanceType"),
            "launch_time": _iso(instance.get("LaunchTime")),
            "private_ip_address": instance.get("PrivateIpAddress"),
            "instance_tags": instance_tags,
            "stack_found": None,
            "stack_status": None,
            "stack_tags": None,
            "file_system_ids": None,
        }
        if name in stacks:
            stack = stacks[name]
            record["stack_found"] = stack is not None
            if stack is not None:
                record["stack_status"] = stack.get("StackStatus")
                record["stack_tags"] = boto3_tag_list_to_ansible_dict(stack.get("Tags") or [])
        if file_systems is not None:
            mine = [fs for fs in file_systems if fsx.tags_match(fs.get("Tags"), {CLUSTER_NAME_TAG: name})]
            mine.sort(key=lambda fs: (_iso(fs.get("CreationTime")) or "", fs["FileSystemId"]))
            record["file_system_ids"] = [fs["FileSystemId"] for fs in mine if fs.get("Lifecycle") != "DELETING"]
        records.append(record)
    return records


def cluster_tags(record):
    """The cluster's tags: the head node's, overridden by the stack's (the stack is the cluster; ParallelCluster
    propagates the config's tags to both)."""
    return dict(record.get("instance_tags") or {}, **(record.get("stack_tags") or {}))


def group_name(cluster_name):
    """The group of a cluster's hosts: ``daylily_cluster_<name>`` with ``-`` (and anything else a group name may not
    hold) as ``_``."""
    return CLUSTER_GROUP_PREFIX + re.sub(r"[^A-Za-z0-9_]", "_", cluster_name)


def host_names(records):
    """{instance id: inventory host name}: the cluster name, or ``<cluster name>_<instance id>`` for every head node
    of a name that more than one head node carries (a stray instance, or one cluster name in two regions)."""
    count = {}
    for record in records:
        count[record["cluster_name"]] = count.get(record["cluster_name"], 0) + 1
    return {
        r["instance_id"]: r["cluster_name"]
        if count[r["cluster_name"]] == 1
        else f"{r['cluster_name']}_{r['instance_id']}"
        for r in records
    }


def host_variables(record, now=None, connection_options=None):
    """The host variables of a head node: the ssm connection's (``connection_options`` maps connection variables
    such as ``ansible_ssm_bucket_name`` to values; None values are left out) and the cluster's, with its
    time-to-live decided at ``now`` (UTC, default the current time)."""
    tags = cluster_tags(record)
    ttl = cluster_ttl.ttl_state(tags, now)
    file_system_ids = record.get("file_system_ids")
    variables = {
        "ansible_connection": SSM_CONNECTION,
        "ansible_ssm_instance_id": record["instance_id"],
        "ansible_ssm_region": record["region"],
    }
    variables.update({key: value for key, value in (connection_options or {}).items() if value is not None})
    variables.update(
        {
            "daylily_cluster_name": record["cluster_name"],
            "daylily_cluster_status": record.get("stack_status"),
            "daylily_region": record["region"],
            "daylily_headnode_instance_id": record["instance_id"],
            "daylily_headnode_state": record.get("instance_state"),
            "daylily_headnode_instance_type": record.get("instance_type"),
            "daylily_headnode_launch_time": record.get("launch_time"),
            "daylily_headnode_private_ip_address": record.get("private_ip_address"),
            "daylily_file_system_ids": file_system_ids,
            "daylily_file_system_id": file_system_ids[0] if file_system_ids and len(file_system_ids) == 1 else None,
            "daylily_cluster_tags": tags,
            "daylily_expires_at": ttl["expires_at"],
            "daylily_ttl_hours": ttl["ttl_hours"],
            "daylily_ttl_status": ttl["status"],
            "daylily_ttl_seconds_left": ttl["seconds_left"],
            "daylily_ttl_message": ttl["message"],
            "daylily_expired": ttl["expired"],
        }
    )
    return variables


def group_names(variables):
    """The plugin's own groups of a host: its cluster's, plus ``daylily_expired`` or ``daylily_ttl_invalid``."""
    groups = [group_name(variables["daylily_cluster_name"])]
    if variables["daylily_expired"]:
        groups.append(EXPIRED_GROUP)
    if variables["daylily_ttl_status"] == cluster_ttl.INVALID:
        groups.append(INVALID_TTL_GROUP)
    return groups
