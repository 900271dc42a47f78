# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The decision of the cluster delete gate (DESIGN §6), without AWS calls: what blocks the deletion and what to run to
unblock it, what the named override lifts, and the plan of what is deleted, detached and preserved.

Private to :mod:`..teardown`; import the facade, not this module.
"""

from __future__ import annotations

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import export
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import fsx
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._teardown import analyses as _analyses

# Lifecycles that hold a deletion: an association in transition, a task that occupies the file system.
BUSY_ASSOCIATION_LIFECYCLES = ("CREATING", "UPDATING")
RUNNING_TASK_LIFECYCLES = fsx.TASK_ACTIVE_LIFECYCLES
# Associations that are already going away are not detached again.
RELEASED_ASSOCIATION_LIFECYCLES = ("DELETING",)

# Blocker kinds -> whether the named override lifts them. The override is about exports only: it never lifts what
# AWS would refuse anyway or what would destroy another cluster's file system.
OVERRIDABLE = {
    "no_export": True,
    "export_not_verified": True,
    "fsx_changed": True,
    "no_manifest": True,
    "unexportable_name": True,
    "stray_files": True,
    "association_busy": False,
    "task_running": False,
    "file_system_shared": False,
    "sharing_unknown": False,
}
# How a hint names the playbook/role variables (a role passes its own names, see the module's option_names).
DEFAULT_NAMES = {
    "delete_without_verified_exports": "delete_without_verified_exports",
    "confirm_cluster_name": "confirm_cluster_name",
    "export_s3_uri": "export_s3_uri",
}
_MAX_SHOWN = 5


class OverrideError(ValueError):
    """The override was requested without the cluster name confirmed."""


class Blocker(dict):
    """One row of the refusal table: ``kind``, ``subject``, ``reason``, ``unblock``, ``overridable``."""

    def __init__(self, kind, subject, reason, unblock):
        super().__init__(kind=kind, subject=subject, reason=reason, unblock=unblock, overridable=OVERRIDABLE[kind])


def _name(names, option):
    return (names or {}).get(option) or DEFAULT_NAMES.get(option, option)


def _shown(items):
    items = list(items)
    more = len(items) - _MAX_SHOWN
    return ", ".join(items[:_MAX_SHOWN]) + (" and %d more" % more if more > 0 else "")


def check_override(cluster_name, override, confirm, names=None):
    """Raise :class:`OverrideError` when the override is requested without the cluster name typed again."""
    if override and confirm != cluster_name:
        raise OverrideError(
            "%s=true needs %s=%s (the name of the cluster to delete, typed again); got %s. Nothing was changed."
            % (
                _name(names, "delete_without_verified_exports"),
                _name(names, "confirm_cluster_name"),
                cluster_name,
                ascii(confirm or ""),
            )
        )


# --------------------------------------------------------------------------------------------------------------
# exports


def export_command(cluster_name, analysis_dir, destination, update=False):
    entity, analysis_id = analysis_dir.split("/")
    command = (
        "ansible-playbook playbooks/export.yml -e cluster_name=%s -e export_executing_entity=%s "
        "-e export_analysis_id=%s -e export_destination_s3_uri=%s" % (cluster_name, entity, analysis_id, destination)
    )
    return command + (" -e export_update_existing=true" if update else "")


def export_results(results):
    """``{analysis_dir: [outcome]}`` from the registered results of ``export_receipt`` (``state=verified``) looped over
    the gate's export checks (each result's ``item`` holds ``analysis_dir`` and ``destination_s3_uri``)."""
    by_directory = {}
    for result in results or []:
        item = result.get("item") or {}
        if not item.get("analysis_dir"):
            raise ValueError("every export result needs item.analysis_dir (loop export_receipt over the export checks)")
        failures = [failure.get("message", "") for failure in result.get("verification_failures") or []]
        if result.get("failed") or "verified" not in result:  # the re-verification itself failed
            failures = [result.get("msg") or "export_receipt failed"] + failures
        by_directory.setdefault(item["analysis_dir"], []).append(
            {
                "destination_s3_uri": item.get("destination_s3_uri"),
                "verified": bool(result.get("verified")) and not result.get("failed"),
                "receipt_s3_uri": result.get("receipt_s3_uri"),
                "has_manifest": "drift" in result,
                "drift": result.get("drift") or {},
                "failures": failures,
            }
        )
    return by_directory


def verified_outcome(outcomes):
    """The outcome that covers an analysis directory: verified now and compared with FSx through its manifest."""
    return next((outcome for outcome in outcomes if outcome["verified"] and outcome["has_manifest"]), None)


def _first(outcomes, condition):
    return next((outcome for outcome in outcomes if condition(outcome)), None)


def analysis_problem(cluster_name, analysis_dir, outcomes, roots, names=None):
    """``(kind, reason, unblock)`` of an analysis directory no outcome covers, the most telling problem first: FSx
    changed since a verified export, a verified export without a manifest, a receipt that no longer verifies, none."""
    changed = _first(outcomes, lambda outcome: any(outcome["drift"].values()))
    if changed:
        return (
            "fsx_changed",
            "FSx changed since the verified export to %s: %s"
            % (changed["destination_s3_uri"], export.describe_drift(changed["drift"])),
            export_command(cluster_name, analysis_dir, changed["destination_s3_uri"], update=True),
        )
    unmanifested = _first(outcomes, lambda outcome: outcome["verified"])
    if unmanifested:
        return (
            "no_manifest",
            "the verified export %s has no export manifest, so FSx cannot be compared with it"
            % unmanifested["receipt_s3_uri"],
            export_command(cluster_name, analysis_dir, unmanifested["destination_s3_uri"], update=True),
        )
    found = _first(outcomes, lambda outcome: outcome["receipt_s3_uri"])
    if found:
        return (
            "export_not_verified",
            "the export receipt %s does not verify now: %s" % (found["receipt_s3_uri"], "; ".join(found["failures"])),
            "restore what S3 lacks under %s, or export again to a new root: %s and add that root to %s"
            % (
                found["destination_s3_uri"],
                export_command(cluster_name, analysis_dir, "<new root>%s/" % analysis_dir),
                _name(names, "export_s3_uri"),
            ),
        )
    if not roots:
        return (
            "no_export",
            "no export root is set, so no export receipt can be found",
            "set %s to the S3 prefix(es) the analyses were exported under" % _name(names, "export_s3_uri"),
        )
    failed = [message for outcome in outcomes for message in outcome["failures"] if "no fsx_export.yaml" not in message]
    searched = _shown("%s_daylily_monitor/fsx-export/" % outcome["destination_s3_uri"] for outcome in outcomes)
    return (
        "no_export",
        "no fsx_export.yaml under %s%s" % (searched, " (%s)" % "; ".join(failed) if failed else ""),
        export_command(cluster_name, analysis_dir, "%s%s/" % (roots[0], analysis_dir)),
    )


# --------------------------------------------------------------------------------------------------------------
# the decision


def decide(facts, inventory, export_results_list, roots, override=False, confirm=None, names=None):
    """The gate's answer, a dict: ``allowed``, ``blockers`` (what still blocks), ``overridden`` (what the override
    lifted), ``analyses`` (every analysis directory with its verified receipt) and ``plan``.

    ``facts`` describes the cluster (see ``resources.cluster_facts``); ``inventory`` is analysis_inventory's result of
    ``<mount>/analysis_results`` with its files, or None when that directory does not exist; ``roots`` the normalised
    export roots. Raises :class:`OverrideError` (before anything) for an unconfirmed override.
    """
    cluster_name = facts["cluster_name"]
    check_override(cluster_name, override, confirm, names)
    roots = _analyses.normalize_roots(roots)
    directories, stray = _analyses.split_inventory(inventory) if inventory is not None else ({}, [])
    outcomes = export_results(export_results_list)
    blockers = []
    analyses = []
    for analysis_dir in sorted(directories):
        files = directories[analysis_dir]
        entry = _analyses.directory_inventory("", analysis_dir, files)
        row = {
            "analysis_dir": analysis_dir,
            "fsx_file_count": entry["file_count"],
            "fsx_total_bytes": entry["total_bytes"],
            "verified": False,
            "receipt_s3_uri": None,
        }
        problem = _analyses.invalid_name(analysis_dir)
        if problem:
            blockers.append(
                Blocker(
                    "unexportable_name",
                    analysis_dir,
                    "cannot be exported: %s" % problem,
                    "move its files into a directory <entity>/<analysis_id> with safe names, then export it",
                )
            )
        else:
            found = outcomes.get(analysis_dir, [])
            verified = verified_outcome(found)
            if verified:
                row.update(verified=True, receipt_s3_uri=verified["receipt_s3_uri"])
                row["destination_s3_uri"] = verified["destination_s3_uri"]
            else:
                kind, reason, unblock = analysis_problem(cluster_name, analysis_dir, found, roots, names)
                blockers.append(Blocker(kind, analysis_dir, reason, unblock))
        analyses.append(row)
    if stray:
        blockers.append(
            Blocker(
                "stray_files",
                "analysis_results/",
                "%d file(s) outside any <entity>/<analysis_id> directory: %s" % (len(stray), _shown(stray)),
                "move them into an analysis directory and export it, or remove them",
            )
        )
    blockers += resource_blockers(facts)
    lifted = [blocker for blocker in blockers if override and blocker["overridable"]]
    remaining = [blocker for blocker in blockers if blocker not in lifted]
    return {
        "allowed": facts["exists"] and not remaining,
        "blockers": remaining,
        "overridden": lifted,
        "override": bool(override and lifted),
        "analyses": analyses,
        "plan": plan(facts, analyses, roots),
    }


def resource_blockers(facts):
    """What AWS or another cluster holds: associations in transition, running tasks, file systems in use elsewhere."""
    blockers = []
    for association in facts["associations"]:
        if association.get("lifecycle") in BUSY_ASSOCIATION_LIFECYCLES:
            blockers.append(
                Blocker(
                    "association_busy",
                    association["association_id"],
                    "data repository association %s -> %s is %s"
                    % (
                        association.get("file_system_path"),
                        association.get("data_repository_path"),
                        association["lifecycle"],
                    ),
                    "wait until it is AVAILABLE (ansible-playbook playbooks/fsx_status.yml), then run the deletion again",
                )
            )
    for task in facts["tasks"]:
        if task.get("lifecycle") in RUNNING_TASK_LIFECYCLES:
            blockers.append(
                Blocker(
                    "task_running",
                    task["task_id"],
                    "%s task on %s is %s" % (task.get("type"), _shown(task.get("paths") or ["/"]), task["lifecycle"]),
                    "wait until it ends (daylily.ephemeral_cluster.fsx_data_repository_task_info task_ids=[%s]), "
                    "then run the deletion again" % task["task_id"],
                )
            )
    for file_system in facts["file_systems"]:
        if not file_system["deleted_with_cluster"]:
            continue
        if file_system["used_by"]:
            blockers.append(
                Blocker(
                    "file_system_shared",
                    file_system["file_system_id"],
                    "deleting the cluster deletes this file system, which cluster(s) %s still mount"
                    % _shown(file_system["used_by"]),
                    "delete %s first" % _shown(file_system["used_by"]),
                )
            )
        if file_system["unknown_users"]:
            blockers.append(
                Blocker(
                    "sharing_unknown",
                    file_system["file_system_id"],
                    "cannot read the config of cluster(s) %s to tell whether they mount it"
                    % _shown(file_system["unknown_users"]),
                    "check that pcluster describe-cluster of each answers with a readable clusterConfiguration url, "
                    "then run the deletion again",
                )
            )
    return blockers


def _kept_file_system(file_system):
    if file_system["managed"]:
        why = "DeletionPolicy %s" % file_system["deletion_policy"]
        if file_system["used_by"]:
            why += "; mounted by %s" % ", ".join(file_system["used_by"])
    else:
        why = "not created by this cluster (mounted by FileSystemId)"
    return {"resource": "fsx_file_system", "id": file_system["file_system_id"], "why": why}


def plan(facts, analyses, roots):
    """What the deletion removes, which associations it detaches first (``DeleteDataInFileSystem=false``), and what
    it keeps."""
    if not facts["exists"]:
        return {"delete": [], "detach": [], "preserve": []}
    delete = [{"resource": "cluster", "id": facts["cluster_name"], "why": "pcluster delete-cluster"}]
    if facts.get("headnode_instance_id"):
        delete.append({"resource": "headnode", "id": facts["headnode_instance_id"], "why": "with the cluster"})
    preserve = []
    detach_from = set()
    for file_system in facts["file_systems"]:
        if file_system["deleted_with_cluster"]:
            delete.append(
                {
                    "resource": "fsx_file_system",
                    "id": file_system["file_system_id"],
                    "why": "DeletionPolicy %s" % file_system["deletion_policy"],
                }
            )
        else:
            preserve.append(_kept_file_system(file_system))
        if file_system["managed"] and not file_system["used_by"]:
            detach_from.add(file_system["file_system_id"])
    detach = [
        {
            "association_id": association["association_id"],
            "file_system_id": association.get("file_system_id"),
            "file_system_path": association.get("file_system_path"),
            "data_repository_path": association.get("data_repository_path"),
            "lifecycle": association.get("lifecycle"),
            "delete_data_in_file_system": False,
        }
        for association in facts["associations"]
        if association.get("file_system_id") in detach_from
        and association.get("lifecycle") not in RELEASED_ASSOCIATION_LIFECYCLES
    ]
    for association in detach:
        preserve.append(
            {"resource": "s3_data_repository", "id": association["data_repository_path"], "why": "S3 is never deleted"}
        )
    for row in analyses:
        if row.get("receipt_s3_uri"):
            preserve.append({"resource": "s3_export", "id": row["destination_s3_uri"], "why": row["receipt_s3_uri"]})
    for root in roots:
        preserve.append({"resource": "s3_export_root", "id": root, "why": "S3 is never deleted"})
    return {"delete": delete, "detach": detach, "preserve": preserve}


# --------------------------------------------------------------------------------------------------------------
# the refusal table


def table(blockers):
    """The blockers as a text table: number, what blocks, subject, why, how to unblock."""
    header = ("#", "blocks deletion", "what", "why", "to unblock")
    rows = [
        (str(number), blocker["kind"], blocker["subject"], blocker["reason"], blocker["unblock"])
        for number, blocker in enumerate(blockers, 1)
    ]
    widths = [max(len(row[column]) for row in [header] + rows) for column in range(3)]

    def line(row):
        return " | ".join(cell.ljust(width) for cell, width in zip(row[:3], widths)) + " | " + " | ".join(row[3:])

    return "\n".join([line(header)] + [line(row) for row in rows])


def refusal_message(cluster_name, decision, names=None):
    blockers = decision["blockers"]
    message = "Cluster %s was NOT deleted and nothing was changed: %d thing(s) block the deletion.\n%s" % (
        cluster_name,
        len(blockers),
        table(blockers),
    )
    if all(blocker["overridable"] for blocker in blockers):
        message += (
            "\nTo delete it anyway, losing what is not exported, set %s=true and %s=%s (recorded in the deletion receipt)."
            % (_name(names, "delete_without_verified_exports"), _name(names, "confirm_cluster_name"), cluster_name)
        )
    return message
