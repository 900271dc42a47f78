# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The deletion receipt ``cluster_deletion.yaml``: what the gate decided (and the override, when one was used), what
was deleted, detached and preserved, and how the deletion ended; and where it is written.

Layout: ``<output_dir>/<cluster>/<timestamp>/cluster_deletion.yaml`` on the controller, and
``<export root>_daylily_monitor/cluster-deletion/<cluster>/<timestamp>/cluster_deletion.yaml`` under every export root,
next to the exports. Private to :mod:`..teardown`; import the facade, not this module.
"""

from __future__ import annotations

import os

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import export
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import receipt as receipts

TOP_KEY = "cluster_deletion"
FILENAME = "cluster_deletion.yaml"
SCHEMA_VERSION = 1
PHASES = ("gate", "detach", "delete", "budget", "complete")
DETACHED_LIFECYCLES = receipts.DETACHED_LIFECYCLES


def local_path(output_dir, cluster_name, timestamp):
    return os.path.join(output_dir, cluster_name, export.check_timestamp(timestamp), FILENAME)


def s3_uri(root, cluster_name, timestamp):
    return "%s%s/cluster-deletion/%s/%s/%s" % (
        root,
        export.MONITOR_DIR,
        cluster_name,
        export.check_timestamp(timestamp),
        FILENAME,
    )


def _loop_results(registered):
    """The per-item results of a registered loop (or [] when the task did not run)."""
    return list((registered or {}).get("results") or [])


def _message(result):
    return (result or {}).get("msg") or "no details"


def outcome(phase, results):
    """``(status, phase, failure message or None)`` from the phase reached and the registered results."""
    results = results or {}
    failed = results.get("failed") or {}
    if failed:
        return "error", phase, _message(failed)
    for result in _loop_results(results.get("detach")):
        if not result.get("skipped") and result.get("detach_lifecycle") not in DETACHED_LIFECYCLES:
            return (
                "error",
                "detach",
                "association %s is still attached: %s"
                % (
                    (result.get("item") or {}).get("association_id"),
                    _message(result),
                ),
            )
    if phase != "complete":
        return "error", phase, "the deletion stopped in phase %s" % phase
    return "deleted", "complete", None


def build(cluster_name, region, gate, phase, results, receipt_s3_uris):
    """The receipt (a flat dict, in the order it is written)."""
    results = results or {}
    status, phase, failure = outcome(phase, results)
    detached_by_id = {
        (result.get("item") or {}).get("association_id"): result.get("detach_lifecycle")
        for result in _loop_results(results.get("detach"))
    }
    budget = results.get("budget") or {}
    return {
        "schema_version": SCHEMA_VERSION,
        "producer": receipts.default_producer(),
        "cluster_name": cluster_name,
        "region": region,
        "timestamp": gate["timestamp"],
        "status": status,
        "phase": phase,
        "failure_details": {"message": failure} if failure else {},
        "gate": {
            "passed": not gate.get("overridden"),
            "blockers": gate.get("blockers") or [],
        },
        "override": {
            "delete_without_verified_exports": bool(gate.get("override")),
            "confirm_cluster_name": gate.get("confirm_cluster_name") if gate.get("override") else None,
            "overridden": gate.get("overridden") or [],
        },
        "analyses": gate.get("analyses") or [],
        "deleted": (gate.get("plan") or {}).get("delete") or [],
        "detached_associations": [
            dict(association, detach_lifecycle=detached_by_id.get(association["association_id"]))
            for association in (gate.get("plan") or {}).get("detach") or []
        ],
        "preserved": (gate.get("plan") or {}).get("preserve") or [],
        "budget": {"name": results.get("budget_name"), "removed": bool(budget.get("changed"))}
        if budget and not budget.get("skipped")
        else None,
        "receipt_s3_uris": list(receipt_s3_uris),
    }


def dump(body):
    return receipts.dump_yaml({TOP_KEY: body})
