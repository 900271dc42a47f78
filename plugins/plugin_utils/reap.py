# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What ``playbooks/reap.yml`` decides: which expired clusters go to the delete gate, and what became of each.

:func:`reap_plan` takes the host variables of the ``daylily_expired`` group (set by the ``pcluster`` inventory
plugin) and splits them into the clusters to put through the gate and those left alone, with why.
:func:`reap_report` turns what the play recorded per cluster into outcomes (``deleted``, ``would_delete``, ``kept``,
``failed``, ``deleting``), a text table and whether the run is a success: it is not when an expired cluster is still
there because the gate refused it, its head node could not be reached, or its deletion failed. Pure Python.
"""

from __future__ import annotations

DELETED = "deleted"
WOULD_DELETE = "would_delete"
KEPT = "kept"
FAILED = "failed"
DELETING = "deleting"
# outcomes after which the expired cluster still runs and needs someone
UNRESOLVED = (KEPT, FAILED)
DEFAULT_FSX_MOUNT_POINT = "/fsx"


def _roots(value):
    if not value:
        return []
    return [value] if isinstance(value, str) else list(value)


def _cluster(host, export_s3_uri, fsx_mount_point):
    """The fields of one expired cluster the play and the report use."""
    return {
        "host": host["inventory_hostname"],
        "cluster_name": host["daylily_cluster_name"],
        "region": host["daylily_region"],
        "status": host.get("daylily_cluster_status"),
        "headnode_state": host.get("daylily_headnode_state"),
        "expires_at": host.get("daylily_expires_at"),
        "ttl_message": host.get("daylily_ttl_message"),
        # a cluster's own export roots and mount point (host or group variables) win over the play's
        "export_s3_uri": _roots(host.get("export_s3_uri", export_s3_uri)),
        "fsx_mount_point": host.get("fsx_mount_point") or fsx_mount_point or DEFAULT_FSX_MOUNT_POINT,
    }


def reap_plan(hosts, export_s3_uri=None, fsx_mount_point=None):
    """``{"reap": [...], "skipped": [...]}`` for the host variables of the expired clusters' head nodes, sorted by
    cluster name. Skipped (each with ``outcome`` and ``why``): a cluster not expired, one already being deleted, one
    whose head node is not running (the gate lists the analysis directories on it)."""
    reap, skipped = [], []
    for host in sorted(hosts, key=lambda h: (h["daylily_cluster_name"], h["inventory_hostname"])):
        cluster = _cluster(host, export_s3_uri, fsx_mount_point)
        if not host.get("daylily_expired"):
            skipped.append(dict(cluster, outcome=KEPT, why=f"not expired: {cluster['ttl_message']}"))
        elif cluster["status"] == "DELETE_IN_PROGRESS":
            skipped.append(dict(cluster, outcome=DELETING, why="already being deleted (DELETE_IN_PROGRESS)"))
        elif cluster["headnode_state"] != "running":
            skipped.append(
                dict(
                    cluster,
                    outcome=KEPT,
                    why=(
                        f"the head node {host.get('daylily_headnode_instance_id')} is {cluster['headnode_state']}; "
                        "the gate lists the analysis directories on it: start it and run reap.yml again"
                    ),
                )
            )
        else:
            reap.append(cluster)
    return {"reap": reap, "skipped": skipped}


def _refusal(result):
    """Why the gate refused, from its failed result: each blocker with what unblocks it."""
    lines = [
        f"{b.get('subject')}: {b.get('reason')} (unblock: {b.get('unblock')})" for b in result.get("blockers") or []
    ]
    return "the delete gate refused: " + "; ".join(lines)


def _outcome(entry, check_mode):
    """(outcome, why, receipt) of one recorded attempt."""
    if "outcome" in entry:  # skipped by the plan
        return entry["outcome"], entry["why"], None
    if entry.get("unreachable"):
        return KEPT, f"the head node did not answer over SSM: {entry['unreachable']}", None
    failed = entry.get("failed_result")
    if failed:
        if failed.get("blockers"):
            return KEPT, _refusal(failed), None
        task = entry.get("failed_task") or "a task"
        return FAILED, f"{task} failed: {failed.get('msg') or 'no message'}", None
    if entry.get("gone"):
        return DELETED, "the cluster no longer existed", None
    if check_mode:
        return WOULD_DELETE, "the delete gate allows it (check mode: nothing was deleted)", None
    return DELETED, "the delete gate allowed it; deleted", entry.get("receipt_path")


def _table(rows):
    columns = ("cluster", "region", "expires_at", "outcome", "why")
    cells = [[str(row[c] if row[c] is not None else "-") for c in columns] for row in rows]
    widths = [max([len(c)] + [len(cell[i]) for cell in cells]) for i, c in enumerate(columns[:-1])]

    def line(values):
        return " | ".join([v.ljust(w) for v, w in zip(values[:-1], widths, strict=True)] + [values[-1]])

    return "\n".join([line(list(columns)), line(["-" * w for w in widths] + ["---"])] + [line(c) for c in cells])


def reap_report(entries, check_mode=False):
    """The outcome of every expired cluster, from what the play recorded: the plan's skipped clusters, and per
    cluster put through the gate ``{"cluster": ..., "failed_task", "failed_result": {msg, blockers, receipt_path}}``
    or ``{"unreachable": msg}`` or ``{"receipt_path": ...}`` or ``{"gone": true}``.

    Returns ``{"clusters": [{cluster, region, expires_at, outcome, why, receipt_path}], "deleted", "kept", "failed",
    "table", "ok", "msg"}``; ``ok`` is false when a cluster was kept or its deletion failed."""
    rows = []
    for entry in entries:
        cluster = entry.get("cluster") or entry
        outcome, why, receipt = _outcome(entry, check_mode)
        rows.append(
            {
                "cluster": cluster["cluster_name"],
                "region": cluster["region"],
                "expires_at": cluster.get("expires_at"),
                "outcome": outcome,
                "why": why,
                "receipt_path": receipt,
            }
        )
    rows.sort(key=lambda row: row["cluster"])

    def named(*outcomes):
        return [row["cluster"] for row in rows if row["outcome"] in outcomes]

    unresolved = named(*UNRESOLVED)
    if not rows:
        msg = "No expired cluster: nothing to reap."
    else:
        done = named(WOULD_DELETE) if check_mode else named(DELETED)
        msg = "%d expired cluster(s): %s %s; kept or failed: %s." % (
            len(rows),
            "would delete" if check_mode else "deleted",
            ", ".join(done) or "none",
            ", ".join(unresolved) or "none",
        )
    return {
        "clusters": rows,
        "deleted": named(DELETED),
        "would_delete": named(WOULD_DELETE),
        "kept": named(KEPT),
        "failed": named(FAILED),
        "table": _table(rows) if rows else "",
        "ok": not unresolved,
        "msg": msg,
    }
