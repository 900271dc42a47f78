# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Preflight: the public face of the private ``_preflight`` package; import from here.

* ``_preflight.aws`` -- the AWS calls, one small function each in a file per service behind its error handler;
* ``_preflight.checks`` -- the checks (stable ids, PASS/WARN/FAIL/SKIPPED, remediation), their order and verdict;
* ``_preflight.cost`` -- the cost forecast: prices looked up, idle and ceiling per hour and over the planned hours.

Preflight only reads, except the write probe (put + delete of one object under ``<role prefix>dayec-preflight/``
in the stage and export buckets), which check mode skips.
"""

import json
import os
import time

# Not intended for general re-use / re-import: the facade below is the interface.
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import pcluster as _pcluster
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._preflight import checks as _checks
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._preflight import cost as _cost

PASS = _checks.PASS
WARN = _checks.WARN
FAIL = _checks.FAIL
SKIPPED = _checks.SKIPPED
STATUSES = _checks.STATUSES
ROLES = _checks.ROLES
REFERENCE_VERSION = _checks.REFERENCE_VERSION
REFERENCE_MARKER = _checks.REFERENCE_MARKER
REFERENCE_PREFIXES = _checks.REFERENCE_PREFIXES
PROBE_PREFIX = _checks.PROBE_PREFIX
QUOTAS = _checks.QUOTAS

run_checks = _checks.run_checks
verdict = _checks.verdict
required_policies = _checks.required_policies
planned_nodes = _checks.planned_nodes

# the cost forecast
HOURS_PER_MONTH = _cost.HOURS_PER_MONTH
look_up_prices = _cost.look_up_prices
forecast = _cost.forecast


def cost_plan(cluster_inputs):
    """What costs money in these cluster inputs (the cluster config's defaults for what they leave unset)."""
    return _cost.cost_plan(cluster_inputs or {}, _pcluster.INPUT_DEFAULTS, _pcluster.DEFAULT_QUEUES)


def summary(results):
    """``{status: count}`` for every status."""
    return {status: sum(1 for item in results if item["status"] == status) for status in STATUSES}


def cluster_name_problems(cluster_name):
    """ParallelCluster's objections to ``cluster_name`` (it also names the report file): a list of messages."""
    found = _pcluster.input_problems({"cluster_name": cluster_name})
    return [str(problem) for problem in found if problem.field == "cluster_name"]


def write_report(output_dir, cluster_name, report, now=None):
    """Write ``preflight_<cluster>_<UTC timestamp>.json`` (sorted keys) into ``output_dir``; return its path."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
    os.makedirs(output_dir, exist_ok=True)
    path = os.path.join(output_dir, "preflight_%s_%s.json" % (cluster_name, stamp))
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(report, handle, indent=2, sort_keys=True, default=str)
        handle.write("\n")
    return path
