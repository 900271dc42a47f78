# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""A cluster's expiry as create sets it, and how its headnode is reached.

Private to :mod:`..pcluster`; import the facade, not this module.

The expiry tags and their format are :mod:`..cluster_ttl`'s (the contract with the ``pcluster`` inventory plugin and
``playbooks/reap.yml``). They are set once, when the cluster is created: on a cluster that exists the expiry is read
from its tags, so running create again neither moves the expiry nor reports drift because time passed.
"""

from __future__ import annotations

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import cluster_ttl

SSM_CONNECTION = "daylily.ephemeral_cluster.ssm"


def expiry_tags(ttl_hours, existing_tags=None, now=None):
    """``{daylily:expires-at, daylily:ttl-hours}`` for a cluster that lives ``ttl_hours`` from ``now``; those of
    ``existing_tags`` (a cluster that exists) when they hold a valid expiry, so the expiry is set once."""
    existing = existing_tags or {}
    try:
        cluster_ttl.parse_expires_at(existing.get(cluster_ttl.EXPIRES_AT_TAG))
    except ValueError:
        return cluster_ttl.expiry_tags(ttl_hours, now)
    kept = {cluster_ttl.EXPIRES_AT_TAG: existing[cluster_ttl.EXPIRES_AT_TAG]}
    kept[cluster_ttl.TTL_HOURS_TAG] = (
        existing.get(cluster_ttl.TTL_HOURS_TAG) or cluster_ttl.expiry_tags(ttl_hours, now)[cluster_ttl.TTL_HOURS_TAG]
    )
    return kept


def headnode_connection(view):
    """The inventory variables that reach a cluster's headnode through the collection's ssm connection, from the
    snake_case view of describe-cluster; empty while the cluster has no headnode."""
    instance_id = (view.get("head_node") or {}).get("instance_id")
    if not instance_id:
        return {}
    found = {"ansible_connection": SSM_CONNECTION, "ansible_ssm_instance_id": instance_id}
    if view.get("region"):
        found["ansible_ssm_region"] = view["region"]
    return found
