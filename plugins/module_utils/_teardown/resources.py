# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What the delete gate reads about a cluster: its status and config (``pcluster``), its FSx file systems with their
data repository associations and tasks (the ``fsx`` service layer), and which other clusters mount those file
systems (their configs). Read-only.

Private to :mod:`..teardown`; import the facade, not this module.
"""

from __future__ import annotations

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import fsx
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import pcluster

DELETE_IN_PROGRESS = "DELETE_IN_PROGRESS"
DEFAULT_DELETION_POLICY = "Delete"  # ParallelCluster's default for a file system it creates


def _field(described, camel, snake):
    """A field of describe-cluster's answer, as the CLI writes it or in pcluster_cluster_info's snake_case view."""
    value = described.get(camel)
    return described.get(snake) if value is None else value


def read_config(described, fetch):
    """The cluster config (a dict) behind describe-cluster's ``clusterConfiguration.url``, or None when it cannot be
    read. ``fetch(url) -> text``."""
    url = (_field(described, "clusterConfiguration", "cluster_configuration") or {}).get("url")
    if not url:
        return None
    try:
        return pcluster.parse_config_text(fetch(url), "the config of a cluster")
    except Exception:  # pylint: disable=broad-except  # unreadable is an answer here: the caller is conservative
        return None


def lustre_storage(config):
    """``(deletion policies of the file systems the cluster creates, ids of the file systems it mounts)``."""
    policies, mounted = [], []
    for storage in (config or {}).get("SharedStorage") or []:
        if storage.get("StorageType") != "FsxLustre":
            continue
        settings = storage.get("FsxLustreSettings") or {}
        if settings.get("FileSystemId"):
            mounted.append(settings["FileSystemId"])
        else:
            policies.append(settings.get("DeletionPolicy") or DEFAULT_DELETION_POLICY)
    return policies, mounted


def other_clusters_mounts(cli, cluster_name, fetch):
    """``({file system id: [other clusters mounting it]}, [other clusters whose config cannot be read])``."""
    mounts, unknown = {}, []
    for summary in cli.list_clusters():
        name = summary.get("clusterName")
        if name == cluster_name or summary.get("cloudformationStackStatus") == DELETE_IN_PROGRESS:
            continue
        described = cli.describe(name)
        if described is None:
            continue
        config = read_config(described, fetch)
        if config is None:
            unknown.append(name)
            continue
        for file_system_id in lustre_storage(config)[1]:
            mounts.setdefault(file_system_id, []).append(name)
    return mounts, unknown


def _tag(resource, key):
    return next((tag["Value"] for tag in resource.get("Tags") or [] if tag["Key"] == key), None)


def cluster_facts(cluster_name, cli, fsx_client, fetch, described=None):
    """Everything the gate decides on, as a dict (``exists`` false, and nothing else, for a cluster that is gone).

    ``described`` is the cluster's describe-cluster answer when the caller already has it (CLI or snake_case view);
    it is asked for otherwise.

    ``file_systems``: the cluster's own (tagged ``parallelcluster:cluster-name``) and those it mounts by id, each with
    ``managed``, ``deletion_policy``, ``deleted_with_cluster``, ``used_by`` (other clusters mounting it) and
    ``unknown_users`` (other clusters whose config cannot be read while this file system would be deleted);
    ``associations`` and ``tasks`` of the cluster's own file systems, snake_case.
    """
    facts = {
        "cluster_name": cluster_name,
        "exists": False,
        "status": None,
        "headnode_instance_id": None,
        "file_systems": [],
        "associations": [],
        "tasks": [],
    }
    described = described or cli.describe(cluster_name)
    if described is None:
        return facts
    config = read_config(described, fetch)
    policies, mounted = lustre_storage(config)
    # An unreadable config is read as the worst case: the file systems go with the cluster.
    retained = bool(policies) and all(policy == "Retain" for policy in policies)
    policy = "Retain" if retained else DEFAULT_DELETION_POLICY
    facts.update(
        exists=True,
        status=_field(described, "clusterStatus", "cluster_status"),
        headnode_instance_id=_field(_field(described, "headNode", "head_node") or {}, "instanceId", "instance_id"),
        config_read=config is not None,
    )
    everything = fsx.describe_file_systems(fsx_client)
    own = [fs for fs in everything if _tag(fs, fsx.CLUSTER_NAME_TAG) == cluster_name]
    elsewhere = [fs for fs in everything if fs["FileSystemId"] in mounted and fs not in own]
    mounts, unknown = other_clusters_mounts(cli, cluster_name, fetch) if own else ({}, [])
    for file_system in own + elsewhere:
        managed = file_system in own
        deleted = managed and not retained
        facts["file_systems"].append(
            {
                "file_system_id": file_system["FileSystemId"],
                "lifecycle": file_system.get("Lifecycle"),
                "managed": managed,
                "deletion_policy": policy if managed else None,
                "deleted_with_cluster": deleted,
                "used_by": sorted(mounts.get(file_system["FileSystemId"], [])),
                "unknown_users": sorted(unknown) if deleted else [],
            }
        )
    own_ids = [fs["FileSystemId"] for fs in own]
    if own_ids:
        facts["associations"] = [
            fsx.normalize_association(dra) for dra in fsx.describe_associations(fsx_client, file_system_id=own_ids)
        ]
        facts["tasks"] = [fsx.normalize_task(task) for task in fsx.describe_tasks(fsx_client, file_system_id=own_ids)]
    return facts
