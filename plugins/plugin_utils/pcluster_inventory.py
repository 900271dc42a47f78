# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What the ``pcluster`` inventory plugin decides about each cluster, without Ansible's inventory.

The plugin reads AWS through the service layer (each call retried, errors through the collection's handlers):

* the head nodes: ``ec2_instances.describe_headnodes`` (EC2 ``DescribeInstances`` on ParallelCluster's tags, live
  instance states only);
* each cluster's CloudFormation stack: ``cloudformation.describe_cluster_stack`` (its status and the cluster's tags);
* the region's FSx file systems: ``fsx.describe_file_systems``, matched to clusters by ``parallelcluster:cluster-name``.

:func:`cluster_records` turns those answers into plain JSON-safe records (what the inventory cache keeps);
:func:`host_variables` and :func:`group_names` decide, from a record and the current UTC time, the host's variables
and groups. Expiry is decided there, never cached: a cached inventory still expires clusters on time.
"""

from __future__ import annotations

import re

from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import cluster_ttl
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import fsx

CLUSTER_NAME_TAG = fsx.CLUSTER_NAME_TAG
SSM_CONNECTION = "daylily.ephemeral_cluster.ssm"
EXPIRED_GROUP = "daylily_expired"
INVALID_TTL_GROUP = "daylily_ttl_invalid"
CLUSTER_GROUP_PREFIX = "daylily_cluster_"


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
