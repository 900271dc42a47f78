# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""AWS ParallelCluster: the public face of the private ``_pcluster`` package; import from here.

* ``_pcluster.config`` -- the cluster config: the inputs an operator sets, their checks (every problem at once,
  before any AWS call) and defaults, the render of ``catalog/pcluster/cluster_config.yaml.j2``, and the refusal of a
  render whose startup data repository associations are not exactly ``["/references/"]``;
* ``_pcluster.cli`` -- the ``pcluster`` CLI, one function per command, JSON answers parsed;
* ``_pcluster.lifecycle`` -- statuses, failures and their reasons, the wait, config drift, the snake_case view;
* ``_pcluster.expiry`` -- the expiry tags of ``cluster_ttl`` set once, when the cluster is created, and the
  connection variables of a headnode.
"""

from __future__ import annotations

import os

# Not intended for general re-use / re-import: the facade below is the interface.
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._pcluster import cli as _cli
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._pcluster import config as _config
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._pcluster import expiry as _expiry
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._pcluster import lifecycle as _lifecycle
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.catalog import find_collection_file

HAS_YAML = _config.HAS_YAML
YAML_IMPORT_ERROR = _config.YAML_IMPORT_ERROR
HAS_JINJA2 = _config.HAS_JINJA2
JINJA2_IMPORT_ERROR = _config.JINJA2_IMPORT_ERROR

# the rules
CLUSTER_NAME_MIN = _config.CLUSTER_NAME_MIN
CLUSTER_NAME_MAX = _config.CLUSTER_NAME_MAX
HEADNODE_INSTANCE_TYPES = _config.HEADNODE_INSTANCE_TYPES
FSX_DELETION_POLICIES = _config.FSX_DELETION_POLICIES
FSX_DEPLOYMENT_TYPES = _config.FSX_DEPLOYMENT_TYPES
FSX_MOUNT_DIR = _config.FSX_MOUNT_DIR
STARTUP_DRA_PATHS = _config.STARTUP_DRA_PATHS
CAPACITY_TYPES = _config.CAPACITY_TYPES
DEFAULT_QUEUES = _config.DEFAULT_QUEUES
INPUT_DEFAULTS = _config.INPUT_DEFAULTS
REQUIRED_INPUTS = _config.REQUIRED_INPUTS
fsx_capacity_allowed = _config.fsx_capacity_allowed
normalize_s3_prefix_uri = _config.normalize_s3_prefix_uri

# problems and errors
ConfigProblem = _config.ConfigProblem
ClusterConfigError = _config.ClusterConfigError

# inputs, render and the rendered config
input_problems = _config.input_problems
render_context = _config.render_context
startup_associations = _config.startup_associations
startup_association_problems = _config.startup_association_problems
parse_config_text = _config.parse_config_text

# the CLI
DRY_RUN_SUCCESS = _cli.DRY_RUN_SUCCESS
PclusterCli = _cli.PclusterCli
PclusterError = _cli.PclusterError

# the lifecycle
CREATE_COMPLETE = _lifecycle.CREATE_COMPLETE
WaitTimeout = _lifecycle.WaitTimeout
failed = _lifecycle.failed
failure_reasons = _lifecycle.failure_reasons
wait_for = _lifecycle.wait_for
settled = _lifecycle.settled
progress_line = _lifecycle.progress_line
config_drift = _lifecycle.config_drift
cluster_view = _lifecycle.cluster_view

# the time to live (tags and format: module_utils/cluster_ttl.py) and the headnode
EXPIRES_AT_TAG = _expiry.cluster_ttl.EXPIRES_AT_TAG
TTL_HOURS_TAG = _expiry.cluster_ttl.TTL_HOURS_TAG
expiry_tags = _expiry.expiry_tags
headnode_connection = _expiry.headnode_connection


def budget_name(cluster_name):
    """The AWS budget of a cluster, ``daylily-<cluster_name>`` (the teardown role deletes it by this name)."""
    return "daylily-" + cluster_name


def cost_allocation_tag(cluster_name):
    """The tag every resource of the cluster carries for cost allocation (the cluster's budget filters on it)."""
    return {"key": _config.CLUSTER_NAME_TAG, "value": cluster_name}


def default_template_path():
    """The cluster config template shipped in the collection (``catalog/pcluster/cluster_config.yaml.j2``)."""
    found = find_collection_file(*_config.TEMPLATE_RELATIVE_PATH)
    if found is None:
        raise ClusterConfigError(
            "Cannot find the cluster config template %s of daylily.ephemeral_cluster; pass a "
            "template path." % os.path.join(*_config.TEMPLATE_RELATIVE_PATH)
        )
    return found


def render_cluster_config(inputs, template_path=None):
    """Check ``inputs`` and render them: ``(text, parsed config)``; raises :class:`ClusterConfigError` listing every
    problem of the inputs, or of the render's startup data repository associations."""
    return _config.render_cluster_config(inputs, template_path or default_template_path())
