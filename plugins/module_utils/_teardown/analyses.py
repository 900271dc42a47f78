# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What FSx holds under ``<mount>/analysis_results/``: the analysis directories ``<entity>/<analysis_id>`` and their
files, from one inventory of the whole tree, and the export destinations where each may have been exported.

Private to :mod:`..teardown`; import the facade, not this module.
"""

from __future__ import annotations

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import paths

ANALYSIS_ROOT = "analysis_results"


def split_inventory(inventory):
    """``({analysis_dir: [file records relative to it]}, stray paths)`` of an analysis_inventory result of
    ``<mount>/analysis_results`` that lists its files.

    An analysis directory is the two first segments of a path (``alice/run42``); a file that lies above that depth
    (``alice/notes.txt``) belongs to no analysis and is a stray path. Directories without files hold nothing to lose
    and do not appear.
    """
    if not isinstance(inventory, dict) or not isinstance(inventory.get("files"), list):
        raise ValueError(
            "the inventory of %s/ lists no files; register analysis_inventory with return_files: true" % ANALYSIS_ROOT
        )
    directories = {}
    stray = []
    for record in inventory["files"]:
        parts = record["path"].split("/")
        if len(parts) < 3:
            stray.append(record["path"])
            continue
        directories.setdefault("/".join(parts[:2]), []).append(dict(record, path="/".join(parts[2:])))
    return directories, sorted(stray)


def invalid_name(analysis_dir):
    """Why ``analysis_dir`` cannot be exported (its segments are not safe path segments), or None."""
    entity, analysis_id = analysis_dir.split("/")
    try:
        paths.validate_segment(entity, field="executing_entity")
        paths.validate_segment(analysis_id, field="analysis_id")
    except paths.PathRuleError as err:
        return str(err)
    return None


def directory_inventory(root_path, analysis_dir, files):
    """An analysis_inventory-shaped result of one analysis directory (regular files counted, every record listed)."""
    regular = [record for record in files if record.get("type", "file") == "file"]
    return {
        "path": "%s/%s" % (root_path.rstrip("/"), analysis_dir),
        "file_count": len(regular),
        "total_bytes": sum(record["size"] for record in regular),
        "files": files,
    }


def normalize_roots(roots):
    """The export roots as normalised ``s3://bucket/prefix/`` URIs, in order, without repeats."""
    if isinstance(roots, str):
        roots = [roots] if roots else []
    normalized = []
    for root in roots or []:
        uri = paths.normalize_s3_uri(root, field="export_s3_uri")
        if uri not in normalized:
            normalized.append(uri)
    return normalized


def export_checks(inventory, roots):
    """One entry per analysis directory and export root, in that order: ``{analysis_dir, destination_s3_uri,
    fsx_inventory}``, what ``export_receipt`` with ``state=verified`` re-verifies. Directories whose names cannot be
    an export destination are left out (the gate blocks them)."""
    directories, _stray = split_inventory(inventory)
    checks = []
    for analysis_dir in sorted(directories):
        if invalid_name(analysis_dir):
            continue
        fsx_inventory = directory_inventory(
            inventory.get("path") or ANALYSIS_ROOT, analysis_dir, directories[analysis_dir]
        )
        for root in normalize_roots(roots):
            checks.append(
                {
                    "analysis_dir": analysis_dir,
                    "destination_s3_uri": "%s%s/" % (root, analysis_dir),
                    "fsx_inventory": fsx_inventory,
                }
            )
    return checks
