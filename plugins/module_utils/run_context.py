# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""runs.tsv, the run-context input of run_analysis commands: parse, validate every row, plan each run mount.

Pure Python (standard library and the collection's path rules). Every problem of the whole file is reported at once,
before anything is mounted or launched.
"""

from __future__ import annotations

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import paths

REQUIRED_COLUMNS = ("RUNID", "PLATFORM", "RUN_DIR", "SOURCE_S3_URI", "MOUNT_ID")


class RunContextError(ValueError):
    """runs.tsv is malformed; ``problems`` lists every problem found."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__("runs.tsv is not usable: " + "; ".join(self.problems))


def parse_run_context(text, columns=None, source_column="SOURCE_S3_URI", mount_id_column="MOUNT_ID",
                      mount_point=paths.DEFAULT_MOUNT_POINT):
    """Return one dict per run row, each with its run mount planned (``mount``: file_system_path, headnode_path).

    ``columns`` is the contract's full column list: unknown columns are refused, missing required ones too.
    """
    lines = [line.rstrip("\r") for line in (text or "").split("\n")]
    lines = [line for line in lines if line.strip()]
    if not lines:
        raise RunContextError(["the file is empty; expected a header row and one row per run"])
    header = lines[0].split("\t")
    problems = []
    known = list(columns or ()) or list(header)
    for name in header:
        if name not in known:
            problems.append("unknown column %r (expected columns: %s)" % (name, ", ".join(known)))
    if len(set(header)) != len(header):
        problems.append("duplicated column names in the header")
    for name in REQUIRED_COLUMNS + (source_column, mount_id_column):
        if name not in header and "missing required column %r" % name not in problems:
            problems.append("missing required column %r" % name)
    if problems:
        raise RunContextError(problems)
    rows, seen_mounts = [], {}
    for number, line in enumerate(lines[1:], start=2):
        values = line.split("\t")
        if len(values) != len(header):
            problems.append("line %d has %d fields, the header has %d" % (number, len(values), len(header)))
            continue
        row = dict(zip(header, values))
        try:
            location = paths.parse_s3_uri(row[source_column], field="line %d %s" % (number, source_column))
            mount_id = paths.validate_mount_id(row[mount_id_column], field="line %d %s" % (number, mount_id_column))
            paths.validate_segment(row["RUNID"], field="line %d RUNID" % number)
        except paths.PathRuleError as exc:
            problems.append(str(exc))
            continue
        if mount_id in seen_mounts and seen_mounts[mount_id] != location.uri:
            problems.append("line %d: MOUNT_ID %r is used for two different S3 prefixes" % (number, mount_id))
            continue
        seen_mounts[mount_id] = location.uri
        file_system_path = paths.mount_path_for("run", mount_id=mount_id)
        row["mount"] = {
            "mount_id": mount_id,
            "s3_uri": location.uri,
            "file_system_path": file_system_path,
            "headnode_path": paths.api_to_headnode_path(file_system_path, mount_point=mount_point),
        }
        rows.append(row)
    if not rows and not problems:
        problems.append("no run rows after the header")
    if problems:
        raise RunContextError(problems)
    return rows
