# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The input tables of a launch: runs.tsv (run_analysis: parse, validate every row, plan each run mount) and the
sample manifests samples.tsv + units.tsv (sample_analysis: known columns, rows, the files they name).

Pure Python (standard library and the collection's path rules). Every problem of the whole input is reported at once,
before anything is mounted or launched.
"""

from __future__ import annotations

import os

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import paths
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import samples

REQUIRED_COLUMNS = ("RUNID", "PLATFORM", "RUN_DIR", "SOURCE_S3_URI", "MOUNT_ID")
RUNS_TABLE = "runs"
# Cells DayOA reads as "no value".
EMPTY_VALUES = frozenset(("", "na", "none", "null"))
# Columns of the input tables that name a file the workflow reads: the staged reads and alignments of units.tsv.
INPUT_PATH_COLUMNS = {
    "units": samples.FASTQ_PATH_COLUMNS + ("ULTIMA_CRAM", "ONT_CRAM", "PB_BAM", "ROCHE_BAM"),
}


class RunContextError(ValueError):
    """runs.tsv is malformed; ``problems`` lists every problem found."""

    def __init__(self, problems, what="runs.tsv"):
        self.problems = list(problems)
        super().__init__("%s is not usable: %s" % (what, "; ".join(self.problems)))


def _lines(text):
    return [line for line in (line.rstrip("\r") for line in (text or "").split("\n")) if line.strip()]


def parse_table(text, name, columns):
    """Rows (dicts) of a tab-separated input table whose header holds only ``columns``; at least one row."""
    lines, what = _lines(text), "%s.tsv" % name
    if not lines:
        raise RunContextError(["the file is empty; expected a header row and at least one row"], what)
    header = lines[0].split("\t")
    problems = [
        "unknown column %r (expected columns: %s)" % (column, ", ".join(columns))
        for column in header
        if column not in columns
    ]
    if len(set(header)) != len(header):
        problems.append("duplicated column names in the header")
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        values = line.split("\t")
        if len(values) != len(header):
            problems.append("line %d has %d fields, the header has %d" % (number, len(values), len(header)))
        else:
            rows.append(dict(zip(header, values), _line=number))
    if not lines[1:]:
        problems.append("no rows after the header")
    if problems:
        raise RunContextError(problems, what)
    return rows


def input_files(name, rows):
    """``[{path, source}]``: the absolute paths the rows of table ``name`` name in its input-path columns.

    Empty cells (``EMPTY_VALUES``) name nothing; relative paths are DayOA's to resolve inside the checkout.
    """
    found = []
    for row in rows:
        for column in INPUT_PATH_COLUMNS.get(name, ()):
            value = row.get(column, "").strip()
            if value.lower() not in EMPTY_VALUES and os.path.isabs(value):
                found.append({"path": value, "source": "%s.tsv line %d %s" % (name, row["_line"], column)})
    return found


def parse_run_context(
    text, columns=None, source_column="SOURCE_S3_URI", mount_id_column="MOUNT_ID", mount_point=paths.DEFAULT_MOUNT_POINT
):
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


def check_contract_tables(command, contract, given, labels=None):
    """Refuse unless the ``given`` table names are exactly the tables of ``command``'s input ``contract``.

    ``labels`` names each table's input as the operator sets it. Raises :class:`RunContextError`.
    """
    labels = labels or {}
    given, needed = sorted(given), sorted(contract.get("tables") or {})
    if given != needed:

        def label(names):
            return ", ".join(labels.get(name) or name for name in names) or "no input files"

        raise RunContextError(
            [
                "%s is a %s command: it reads %s, nothing else; given: %s"
                % (command["command_id"], command["command_class"], label(needed), label(given) if given else "nothing")
            ],
            "the launch input",
        )


def read_input_files(files, labels=None):
    """{table: text} of the given (non-empty) ``files`` {table: path}; every unreadable file is listed at once."""
    labels, texts, problems = labels or {}, {}, []
    for name, path in sorted(files.items()):
        if not path:
            continue
        try:
            with open(path, encoding="utf-8") as handle:
                texts[name] = handle.read()
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(
                "%s %r cannot be read: %s" % (labels.get(name) or name, path, getattr(exc, "strerror", None) or exc)
            )
    if problems:
        raise RunContextError(problems, "the launch input")
    return texts


def launch_inputs(command, contract, texts, mount_point=paths.DEFAULT_MOUNT_POINT, labels=None):
    """What a launch of ``command`` writes and checks, from its resolved input ``contract`` and the given ``texts``.

    ``texts`` maps table names (``samples``, ``units``, ``runs``) to the text given for them (None or "" when not
    given); ``labels`` names each table's input as the operator sets it. The command reads exactly its contract's
    tables. Returns ``config_files`` ({file name: text}), ``runs`` (runs.tsv rows with their mounts), ``run_links``
    ({RUNID: headnode path}) and ``required_inputs`` ([{path, source}] that must exist on the headnode).
    Raises :class:`RunContextError` listing every problem.
    """
    check_contract_tables(command, contract, [name for name, text in texts.items() if text], labels)
    tables = contract.get("tables") or {}
    needed = sorted(tables)
    result = {"config_files": {}, "runs": [], "run_links": {}, "required_inputs": []}
    problems = []
    for name in needed:
        table, text = tables[name], texts[name]
        result["config_files"][os.path.basename(table.get("path") or name + ".tsv")] = text
        try:
            if name == RUNS_TABLE:
                result["runs"] = parse_run_context(text, columns=table.get("columns"), mount_point=mount_point)
            else:
                result["required_inputs"] += input_files(name, parse_table(text, name, table.get("columns") or []))
        except RunContextError as exc:
            problems.append(str(exc))
    if problems:
        raise RunContextError(problems, "the launch input")
    for run in result["runs"]:
        result["run_links"][run["RUNID"]] = run["mount"]["headnode_path"]
        result["required_inputs"].append(
            {"path": run["mount"]["headnode_path"], "source": "runs.tsv RUNID %s (its run mount)" % run["RUNID"]}
        )
    return result


def _same_location(association, run):
    try:
        return (
            paths.normalize_fsx_path(association.get("file_system_path") or "") == run["mount"]["file_system_path"]
            and paths.normalize_s3_uri(association.get("data_repository_path") or "") == run["mount"]["s3_uri"]
        )
    except paths.PathRuleError:
        return False


def missing_run_mounts(runs, associations):
    """The runs with no AVAILABLE association of their S3 prefix at their run-mount path."""
    return [
        run
        for run in runs
        if not any(
            association.get("lifecycle") == "AVAILABLE" and _same_location(association, run)
            for association in associations or []
        )
    ]
