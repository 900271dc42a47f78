# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The analysis sample manifest (``analysis_samples.tsv``): parse, normalise, check, and plan the stage.

Pure Python, no Ansible and no AWS: the ``samples_manifest`` module writes what :func:`plan_stage` returns, and the
``s3_stage`` module checks and copies the plan's sources. Every problem of the file is collected (header, rows,
cross-row rules) and returned at once, each a :class:`Problem` naming the file line and the column, so an operator
fixes the whole manifest in one pass instead of finding row 412 after 411 copies.

Output tables are DayOA's ``config/samples.tsv`` and ``config/units.tsv``: the columns, order, defaults and CRLF line
endings of DayEC 5.1.5's converter. Staged files live at ``<stage_target>/<stage_name>/<sample dir>/<file>`` on the
headnode, which is ``<stage_s3_uri>/<stage_name>/<sample dir>/<file>`` in S3.
"""

import datetime
import os
import re
import secrets
from collections import OrderedDict
from typing import NamedTuple

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import catalog
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import paths

REQUIRED_COLUMNS = (
    "RUN_ID",
    "SAMPLE_ID",
    "EXPERIMENTID",
    "SAMPLE_TYPE",
    "LIB_PREP",
    "SEQ_VENDOR",
    "SEQ_PLATFORM",
    "LANE",
    "SEQBC_ID",
)

READS = (1, 2)
# FASTQ input columns: (vendor whose rows may use it, read number), <vendor>_R1_FQ and <vendor>_R2_FQ; the bare
# R1_FQ/R2_FQ are the legacy Illumina names.
FASTQ_COLUMNS = OrderedDict(
    ("%sR%d_FQ" % (prefix, read), (prefix.rstrip("_") or "ILMN", read))
    for prefix in ("ILMN_", "", "CG_", "PACBIO_", "ONT_", "UG_")
    for read in READS
)
# The units.tsv path column prefix of each vendor's FASTQs (Complete Genomics reads go where Illumina reads go).
FASTQ_OUTPUT_PREFIX = {"ILMN": "ILMN", "CG": "ILMN", "PACBIO": "PACBIO", "ONT": "ONT", "UG": "UG"}


def fastq_path_column(prefix, read):
    """The units.tsv column holding a unit's R1 or R2 FASTQ paths for an output prefix, e.g. ``ILMN_R1_PATH``."""
    return "%s_R%d_PATH" % (prefix, read)


# units.tsv's FASTQ path columns in DayOA's order: R1 and R2 of each output prefix.
FASTQ_PATH_COLUMNS = tuple(
    fastq_path_column(prefix, read) for prefix in dict.fromkeys(FASTQ_OUTPUT_PREFIX.values()) for read in READS
)


class AlignmentRule(NamedTuple):
    vendor: str
    # aligner (lower case) -> the index suffix that must sit next to the file, or None
    aligners: dict


ALIGNMENT_COLUMNS = OrderedDict(
    (
        ("ULTIMA_CRAM", AlignmentRule("UG", {"ug": ".crai", "hyb": ".crai"})),
        ("ONT_CRAM", AlignmentRule("ONT", {"ont": ".crai"})),
        ("PB_BAM", AlignmentRule("PACBIO", {"pb": ".csi", "sentmm2": None})),
        ("ONT_BAM", AlignmentRule("ONT", {"sentmm2ont": None})),
        ("ROCHE_BAM", AlignmentRule("ROCHE", {"roche": None})),
    )
)
ONT_PREFIX_COLUMN = "ONT_FASTQ_PREFIX"
STAGING_COLUMNS = ("STAGE_DIRECTIVE", "MOUNT_ID", "MOUNT_FSX_PATH", "SUBSAMPLE_PCT")
TRUTH_COLUMNS = ("TRUTH_DATA_DIR", "CONCORDANCE_CONTROL_PATH")
SAMPLE_METADATA_COLUMNS = (
    "SAMPLESOURCE",
    "SAMPLECLASS",
    "BIOLOGICAL_SEX",
    "IS_POSITIVE_CONTROL",
    "IS_NEGATIVE_CONTROL",
    "TUM_NRM_SAMPLEID_MATCH",
    "EXTERNAL_SAMPLE_ID",
    "N_X",
    "N_Y",
)
UNITS_PASS_THROUGH_COLUMNS = (
    "ILMN_TRIM_READ_LENGTH",
    "SAMPLEUSE",
    "BWA_KMER",
    "DEEP_MODEL",
    "ROCHE_DOWNSAMPLE_RATIO",
    "LONGREADTRIM_READ_LENGTH",
    "LONGREADTRIM_MODE",
    "ULTIMA_SUBSAMPLE_PCT",
    "ONT_SUBSAMPLE_PCT",
)

KNOWN_COLUMNS = frozenset(
    REQUIRED_COLUMNS
    + tuple(FASTQ_COLUMNS)
    + (ONT_PREFIX_COLUMN,)
    + STAGING_COLUMNS
    + TRUTH_COLUMNS
    + SAMPLE_METADATA_COLUMNS
    + UNITS_PASS_THROUGH_COLUMNS
    + tuple(name + suffix for name in ALIGNMENT_COLUMNS for suffix in ("", "_ALIGNER", "_SNV_CALLER"))
)

SAMPLES_COLUMNS = (
    "SAMPLEID",
    "SAMPLESOURCE",
    "SAMPLECLASS",
    "BIOLOGICAL_SEX",
    "CONCORDANCE_CONTROL_PATH",
    "IS_POSITIVE_CONTROL",
    "IS_NEGATIVE_CONTROL",
    "SAMPLE_TYPE",
    "TUM_NRM_SAMPLEID_MATCH",
    "EXTERNAL_SAMPLE_ID",
    "N_X",
    "N_Y",
    "TRUTH_DATA_DIR",
)
UNITS_COLUMNS = (
    "RUNID",
    "SAMPLEID",
    "EXPERIMENTID",
    "LANEID",
    "BARCODEID",
    "LIBPREP",
    "SEQ_VENDOR",
    "SEQ_PLATFORM",
    *FASTQ_PATH_COLUMNS,
    "SUBSAMPLE_PCT",
    "ILMN_TRIM_READ_LENGTH",
    "SAMPLEUSE",
    "BWA_KMER",
    "DEEP_MODEL",
    "ULTIMA_CRAM",
    "ULTIMA_CRAM_ALIGNER",
    "ULTIMA_CRAM_SNV_CALLER",
    "ONT_CRAM",
    "ONT_CRAM_ALIGNER",
    "ONT_CRAM_SNV_CALLER",
    "PB_BAM",
    "PB_BAM_ALIGNER",
    "PB_BAM_SNV_CALLER",
    "ROCHE_BAM",
    "ROCHE_BAM_ALIGNER",
    "ROCHE_BAM_SNV_CALLER",
    "ROCHE_DOWNSAMPLE_RATIO",
    "LONGREADTRIM_READ_LENGTH",
    "LONGREADTRIM_MODE",
    "ULTIMA_SUBSAMPLE_PCT",
    "ONT_SUBSAMPLE_PCT",
    "ONT_BAM",
    "ONT_BAM_ALIGNER",
    "ONT_BAM_SNV_CALLER",
)

NA = "na"
DEFAULT_SAMPLECLASS = "research"
DEFAULT_BWA_KMER = "19"
MERGED_LANE_ID = "0"
STAGE_TARGET_UNDER_MOUNT = "/staging/staged_external_sequencing_data"
DEFAULT_STAGE_TARGET = "/fsx" + STAGE_TARGET_UNDER_MOUNT

STAGE_DATA, PASS_THROUGH, MOUNTED_READONLY = "stage_data", "pass_through", "mounted_readonly"
STAGE_DIRECTIVES = (STAGE_DATA, PASS_THROUGH, MOUNTED_READONLY, "")
RUN_MOUNT_ROOT = "/fsx/run_dir_mounts/"
# Headnode paths whose content lives in a role bucket (stage options name the bucket URI of each).
ROLE_ROOTS = (
    ("/fsx/references/", "reference_s3_uri"),
    ("/fsx/control_data/", "control_data_s3_uri"),
    ("/fsx/staging/", "staging_s3_uri"),
)
RETIRED_ROOTS = ("/fsx/data", "/fsx/runtime_assets")

# SEQ_VENDOR spellings (upper case) -> vendor code.
VENDORS = {"ILMN": "ILMN", "CG": "CG", "CG/MGI": "CG", "UG": "UG", "ONT": "ONT", "PACBIO": "PACBIO", "ROCHE": "ROCHE"}
# Illumina library preps that DayOA knows as PCR-free (compared lower case without '-', '_' and spaces).
PCR_FREE_ALIASES = frozenset(
    ("noampwgs", "truseqpf", "truseqpcrfree", "pcrfree", "illuminapcrfree", "tsnano", "truseqnano")
)
PCR_FREE = "PCR-FREE"
PLATFORM_ALIASES = {"NOVASEQX": "NOVASEQ"}

# The data mode of a manifest, from the set of vendors it holds.
DATA_MODES = OrderedDict(
    (
        (frozenset(("ILMN",)), "ilmn_solo"),
        (frozenset(("CG",)), "complete_genomics_solo"),
        (frozenset(("UG",)), "ultima_solo"),
        (frozenset(("ONT",)), "ont_solo"),
        (frozenset(("PACBIO",)), "pacbio_solo"),
        (frozenset(("ROCHE",)), "roche_solo"),
        (frozenset(("ILMN", "ONT")), "hybrid_ilmn_ont"),
        (frozenset(("UG", "ONT")), "hybrid_ug_ont"),
    )
)

# S3's smallest multipart part: every merged part but the last must be at least this big.
MIN_PART_BYTES = 5 * 1024 * 1024
STAGE_NAME_RE = re.compile(r"^remote_stage_\d{8}T\d{6}Z_[0-9a-f]{8}$")
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.+-]*$")
_ONT_RUN_DIR_RE = re.compile(r"^\d{8}_ONT_[A-Za-z0-9._-]+$")
_S3_OBJECT_RE = re.compile(r"^s3://([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])/([^\s]+)$")
_FALSE, _TRUE = "false", "true"


class Problem(NamedTuple):
    """One problem of the manifest: ``line`` is the file line (the header is line 1; None for the whole file)."""

    line: object
    column: object
    message: str

    def __str__(self):
        where = ", ".join(
            part
            for part in (
                "line %d" % self.line if self.line else None,
                "column %s" % self.column if self.column else None,
            )
            if part
        )
        return "%s: %s" % (where, self.message) if where else self.message

    def as_dict(self):
        return {"line": self.line, "column": self.column, "message": self.message}


class SourceObject(NamedTuple):
    """An S3 object the stage needs: ``uri``, where the manifest names it, and whether it must be copied."""

    uri: str
    line: int
    column: str


class StageCopy(NamedTuple):
    """What the stage copies to ``key`` (relative to the stage), by ``mode``:

    * ``concat``: the object ``key`` (``<sample dir>/<file>``) from ``sources`` in order (several are concatenated
      by a multipart copy);
    * ``prefix_concat``: the object ``key`` from every FASTQ under the one source prefix, in key order (ONT runs);
    * ``tree``: every object under the one source prefix, with its name kept, under the prefix ``key``
      (concordance data).
    """

    key: str
    sources: tuple
    line: int
    column: str
    mode: str = "concat"


class Manifest(NamedTuple):
    columns: tuple
    rows: list  # (line, {column: value})
    problems: list


class StagePlan(NamedTuple):
    """Everything the manifest decides: the two tables, the data mode, and what staging copies and checks."""

    samples_tsv: str
    units_tsv: str
    samples: list
    units: list
    data_mode: object
    copies: list
    checks: list
    problems: list


def new_stage_name(now=None, token=None):
    """``remote_stage_<YYYYMMDDTHHMMSSZ>_<8 hex>``, the name of a new stage (UTC)."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    return "remote_stage_%s_%s" % (now.strftime("%Y%m%dT%H%M%SZ"), token or secrets.token_hex(4))


def stage_timestamp(stage_name):
    """The ``YYYYMMDDTHHMMSSZ`` part of a stage name (the prefix of its ``_samples.tsv``/``_units.tsv``)."""
    return stage_name.split("_")[2]


def stage_table_names(stage_name):
    """``(samples, units)``: the file names of a stage's tables, ``<timestamp>_samples.tsv``/``<timestamp>_units.tsv``,
    at the top of the stage (in S3 and on the headnode)."""
    stamp = stage_timestamp(stage_name)
    return "%s_samples.tsv" % stamp, "%s_units.tsv" % stamp


# ------------------------------------------------------------------------------------------------------------------
# parsing


def parse_manifest(data):
    """Parse manifest bytes (or text): UTF-8 with or without BOM, LF or CRLF, trailing blank lines ignored."""
    problems = []
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as err:
            line = data[: err.start].count(b"\n") + 1
            problems.append(
                Problem(line, None, "is not UTF-8 (byte 0x%02x); save the manifest as UTF-8" % data[err.start])
            )
            text = data.decode("utf-8-sig", errors="replace")
    else:
        text = data[1:] if data.startswith("\ufeff") else data
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        return Manifest(
            (),
            [],
            problems
            + [Problem(None, None, "the manifest is empty; it needs a header line and at least one sample row")],
        )
    columns = tuple(cell.strip() for cell in lines[0].split("\t"))
    seen = set()
    for index, name in enumerate(columns, 1):
        if not name:
            problems.append(Problem(1, None, "header field %d is empty; every column needs a name" % index))
        elif name in seen:
            problems.append(Problem(1, name, "appears more than once in the header; keep one"))
        elif name not in KNOWN_COLUMNS:
            problems.append(Problem(1, name, "is not a manifest column; remove it or fix its spelling"))
        seen.add(name)
    for name in REQUIRED_COLUMNS:
        if name not in seen:
            problems.append(Problem(1, name, "is a required column and is missing from the header"))
    rows = []
    for number, line in enumerate(lines[1:], 2):
        if not line.strip():
            problems.append(Problem(number, None, "is blank inside the table; remove it"))
            continue
        cells = [cell.strip() for cell in line.split("\t")]
        if len(cells) != len(columns):
            problems.append(
                Problem(number, None, "has %d tab-separated fields, the header has %d" % (len(cells), len(columns)))
            )
            cells = (cells + [""] * len(columns))[: len(columns)]
        row = {}
        for name, value in zip(columns, cells):
            if name and name not in row:
                row[name] = value
        rows.append((number, row))
    if len(lines) == 1:
        problems.append(Problem(None, None, "the manifest has a header but no sample rows"))
    return Manifest(columns, rows, problems)


# ------------------------------------------------------------------------------------------------------------------
# normalisation


def normalize_id(value, dots=False):
    value = value.replace("_", "-")
    return value.replace(".", "-") if dots else value


def normalize_vendor(value):
    return VENDORS.get(value.strip().upper())


def normalize_lib_prep(value, vendor):
    value = normalize_id(value)
    if vendor == "ILMN" and re.sub(r"[-_ ]", "", value.lower()) in PCR_FREE_ALIASES:
        return PCR_FREE
    return value


def normalize_platform(value, vendor):
    value = normalize_id(value)
    if vendor == "ILMN":
        return PLATFORM_ALIASES.get(value.upper(), value)
    return value


def _s3_object(uri):
    """(bucket, key) of an object URI, or None when it is not one."""
    match = _S3_OBJECT_RE.match(uri)
    if not match or match.group(2).endswith("/") or "//" in match.group(2) or ".." in match.group(2):
        return None
    return match.group(1), match.group(2)


def _join(uri, rest):
    return uri.rstrip("/") + "/" + rest


def _basename(path):
    return path.rstrip("/").rsplit("/", 1)[-1]


# The columns that make rows one sample unit: the lanes of one unit merge into one staged directory.
SAMPLE_UNIT_COLUMNS = ("RUNID", "SAMPLEID", "SEQ_PLATFORM", "LIBPREP", "SAMPLE_TYPE", "EXPERIMENTID")


def sample_unit_key(unit):
    return tuple(unit[column] for column in SAMPLE_UNIT_COLUMNS)


def sample_dir_name(unit):
    """``<RUNID>_<SAMPLEID>-<PLATFORM>-<LIBPREP>-<TYPE>-<EXPID>_<SEQBC>_0``: one staged directory per sample unit."""
    return "%s_%s-%s-%s-%s-%s_%s_0" % (sample_unit_key(unit) + (unit["BARCODEID"],))


# ------------------------------------------------------------------------------------------------------------------
# the checks and the plan


class _Planner:
    """Turns parsed rows into a :class:`StagePlan`, collecting every problem on the way."""

    def __init__(self, manifest, stage_name, stage_target, role_uris, option_names=None):
        self.manifest = manifest
        self.columns = set(manifest.columns)
        self.stage_dir = stage_target.rstrip("/") + "/" + stage_name
        self.role_uris = role_uris
        self.option_names = option_names or {}
        self.problems = list(manifest.problems)
        self.copies = []
        self.checks = []

    def problem(self, line, column, message):
        self.problems.append(Problem(line, column, message))

    # --- one row ----------------------------------------------------------------------------------------------
    def row_ids(self, line, row):
        ids = {}
        for column, output, dots in (
            ("RUN_ID", "RUNID", True),
            ("SAMPLE_ID", "SAMPLEID", False),
            ("EXPERIMENTID", "EXPERIMENTID", False),
            ("SAMPLE_TYPE", "SAMPLE_TYPE", False),
            ("LANE", "LANE", False),
            ("SEQBC_ID", "BARCODEID", False),
        ):
            raw = row.get(column, "")
            if column not in self.columns:
                ids[output] = ""
                continue
            if not raw:
                self.problem(line, column, "is empty; every row needs a value")
            elif "/" in raw or "\\" in raw:
                self.problem(line, column, "%r contains '/' or '\\'; ids become directory names" % raw)
            elif not _ID_RE.match(normalize_id(raw, dots)):
                self.problem(
                    line,
                    column,
                    "%r may hold only letters, digits, '.', '+', '-' and '_', starting with a letter or digit" % raw,
                )
            ids[output] = normalize_id(raw, dots)
        if ids["LANE"] and not ids["LANE"].isdigit():
            self.problem(line, "LANE", "%r is not a lane number (0 for a sample without lanes)" % row.get("LANE"))
        vendor_raw = row.get("SEQ_VENDOR", "")
        vendor = normalize_vendor(vendor_raw)
        if "SEQ_VENDOR" in self.columns and vendor is None:
            self.problem(line, "SEQ_VENDOR", "%r is not a vendor; use one of %s" % (vendor_raw, ", ".join(VENDORS)))
        for column in ("LIB_PREP", "SEQ_PLATFORM"):
            if column in self.columns and not row.get(column):
                self.problem(line, column, "is empty; every row needs a value")
        ids["SEQ_VENDOR"] = vendor or vendor_raw.upper()
        ids["LIBPREP"] = normalize_lib_prep(row.get("LIB_PREP", ""), vendor)
        ids["SEQ_PLATFORM"] = normalize_platform(row.get("SEQ_PLATFORM", ""), vendor)
        return ids

    def headnode_source(self, line, column, path, directive, mount_id):
        """Check a headnode path source; return the S3 URI that holds it (None when unknown)."""
        if directive == MOUNTED_READONLY:
            root = RUN_MOUNT_ROOT + (mount_id or "<MOUNT_ID>") + "/"
            if not mount_id:
                self.problem(line, "MOUNT_ID", "is empty; mounted_readonly rows name the run mount their files sit in")
            elif not path.startswith(root):
                self.problem(
                    line,
                    column,
                    "%r is not under %s; mounted_readonly files must sit in the row's run mount" % (path, root),
                )
            return None
        for root, option in ROLE_ROOTS:
            if path.startswith(root):
                base = self.role_uris.get(option)
                if directive == STAGE_DATA and not base:
                    self.problem(
                        line,
                        column,
                        "%r lies under %s: staging it needs %s" % (path, root, self.option_names.get(option, option)),
                    )
                return _join(base, path[len(root) :]) if base else None
        if directive == PASS_THROUGH and path.startswith(RUN_MOUNT_ROOT):
            return None
        if directive == PASS_THROUGH:
            self.problem(
                line,
                column,
                "%r is not visible on the headnode; pass_through paths lie under /fsx/references/,"
                " /fsx/control_data/, /fsx/staging/ or a run mount %s<MOUNT_ID>/" % (path, RUN_MOUNT_ROOT),
            )
        else:
            self.problem(
                line,
                column,
                "%r cannot be staged: stage_data copies from S3 or from /fsx/references/, "
                "/fsx/control_data/, /fsx/staging/ (a run mount's files use mounted_readonly)" % path,
            )
        return None

    def source(self, line, column, value, directive, mount_id):
        """Check one source file; return (uri to check or None, headnode path when not copied)."""
        if value.startswith(RETIRED_ROOTS):
            self.problem(
                line,
                column,
                "%r is under a retired root (%s); move the data to S3 or a current /fsx root"
                % (value, ", ".join(RETIRED_ROOTS)),
            )
            return None, value
        if value.startswith("s3://"):
            if _s3_object(value) is None:
                self.problem(line, column, "%r is not an S3 object URI (s3://bucket/key, no trailing '/')" % value)
                return None, None
            if directive in (PASS_THROUGH, MOUNTED_READONLY):
                self.problem(
                    line, column, "%r is in S3, which the headnode cannot read: use STAGE_DIRECTIVE stage_data" % value
                )
            return value, None
        if not value.startswith("/fsx/"):
            self.problem(line, column, "%r is neither an s3:// URI nor an /fsx/ headnode path" % value)
            return None, None
        return self.headnode_source(line, column, value, directive, mount_id), value

    def check_row(self, line, row):
        """The unit of one row: its ids, sources and options (``_sources``: [(output column, [(uri, path)], input column)])."""
        unit = self.row_ids(line, row)
        vendor = unit["SEQ_VENDOR"]
        directive = row.get("STAGE_DIRECTIVE", "")
        if directive not in STAGE_DIRECTIVES:
            self.problem(
                line,
                "STAGE_DIRECTIVE",
                "%r is not a directive; use stage_data, pass_through, mounted_readonly "
                "or leave it empty (stage_data)" % directive,
            )
        directive = directive or STAGE_DATA
        mount_id = row.get("MOUNT_ID", "")
        if mount_id and ("/" in mount_id or ".." in mount_id or not _ID_RE.match(mount_id.replace("_", "-"))):
            self.problem(line, "MOUNT_ID", "%r is not one safe path segment" % mount_id)
            mount_id = ""
        mount_path = row.get("MOUNT_FSX_PATH", "")
        if mount_path and mount_id and mount_path.rstrip("/") != RUN_MOUNT_ROOT + mount_id:
            self.problem(
                line,
                "MOUNT_FSX_PATH",
                "%r is not the run mount of MOUNT_ID %s (%s%s)" % (mount_path, mount_id, RUN_MOUNT_ROOT, mount_id),
            )
        unit.update(directive=directive, line=line, sources=[], reads={})
        for column, (column_vendor, read) in FASTQ_COLUMNS.items():
            value = row.get(column, "")
            if not value:
                continue
            if vendor in VENDORS.values() and column_vendor != vendor:
                self.problem(
                    line, column, "holds FASTQs of %s, but the row's SEQ_VENDOR is %s" % (column_vendor, vendor)
                )
                continue
            items = [item.strip() for item in value.split(",")]
            if len(items) > 1 and vendor != "ILMN":
                self.problem(
                    line, column, "lists %d files; comma-separated FASTQ lists are for ILMN rows only" % len(items)
                )
            if read in unit["reads"]:
                self.problem(
                    line,
                    column,
                    "is a second R%d source of the row (%s is given too); keep one" % (read, unit["reads"][read][0]),
                )
                continue
            if any(not item for item in items):
                self.problem(line, column, "has an empty entry in its comma-separated list")
                continue
            unit["reads"][read] = (column, [self.source(line, column, item, directive, mount_id) for item in items])
        if 2 in unit["reads"] and 1 not in unit["reads"]:
            self.problem(line, unit["reads"][2][0], "gives R2 without R1")
        if 1 in unit["reads"] and 2 in unit["reads"] and len(unit["reads"][1][1]) != len(unit["reads"][2][1]):
            self.problem(
                line,
                unit["reads"][2][0],
                "lists %d files but R1 lists %d; pair them one to one"
                % (len(unit["reads"][2][1]), len(unit["reads"][1][1])),
            )
        unit["alignments"] = {}
        for column, rule in ALIGNMENT_COLUMNS.items():
            value, aligner = row.get(column, ""), row.get(column + "_ALIGNER", "")
            if not value:
                for suffix in ("_ALIGNER", "_SNV_CALLER"):
                    if row.get(column + suffix):
                        self.problem(line, column + suffix, "is set but %s is empty" % column)
                continue
            if vendor in VENDORS.values() and rule.vendor != vendor:
                self.problem(line, column, "is a %s file, but the row's SEQ_VENDOR is %s" % (rule.vendor, vendor))
                continue
            if aligner.lower() not in rule.aligners:
                self.problem(
                    line,
                    column + "_ALIGNER",
                    "%r is not an aligner %s accepts; use one of %s"
                    % (aligner, column, ", ".join(sorted(rule.aligners))),
                )
            index = rule.aligners.get(aligner.lower())
            checked = self.source(line, column, value, directive, mount_id)
            unit["alignments"][column] = (checked, index)
        prefix = row.get(ONT_PREFIX_COLUMN, "")
        if prefix:
            self.check_ont_prefix(line, prefix, unit, directive)
        given = [column for column in tuple(FASTQ_COLUMNS) + tuple(ALIGNMENT_COLUMNS) if row.get(column)]
        if not (given or prefix):
            self.problem(
                line,
                None,
                "has no source: give FASTQs (%s), an alignment (%s) or %s"
                % (
                    "/".join(c for c in FASTQ_COLUMNS if not c.startswith("R")),
                    "/".join(ALIGNMENT_COLUMNS),
                    ONT_PREFIX_COLUMN,
                ),
            )
        return unit

    def check_ont_prefix(self, line, prefix, unit, directive):
        if unit["SEQ_VENDOR"] != "ONT":
            self.problem(line, ONT_PREFIX_COLUMN, "is for ONT rows only (SEQ_VENDOR is %s)" % unit["SEQ_VENDOR"])
        if directive != STAGE_DATA:
            self.problem(line, ONT_PREFIX_COLUMN, "needs STAGE_DIRECTIVE stage_data (it is %s)" % directive)
        if unit["reads"] or unit["alignments"]:
            self.problem(line, ONT_PREFIX_COLUMN, "must be the row's only source; remove the FASTQ/alignment columns")
        segments = prefix.rstrip("/").split("/")
        runs = [index for index, segment in enumerate(segments) if _ONT_RUN_DIR_RE.match(segment)]
        if not prefix.startswith("s3://") or not runs or len(segments) < runs[-1] + 3:
            self.problem(
                line, ONT_PREFIX_COLUMN, "%r is not s3://bucket/.../<YYYYMMDD_ONT_run>/<flowcell>/<barcode>/" % prefix
            )
            return
        run, flowcell, tag = segments[runs[-1]], segments[runs[-1] + 1], segments[-1]
        unit.update(RUNID=normalize_id(run, dots=True), LANE=flowcell, BARCODEID=tag)
        unit["ont_prefix"] = (prefix.rstrip("/") + "/", "%s-%s-%s-R1.fastq.gz" % (run, flowcell, tag))

    # --- samples ----------------------------------------------------------------------------------------------
    def sample_rows(self, rows, units_by_line):
        """One samples.tsv row per SAMPLEID, with conflicting per-sample values reported."""
        by_sample = OrderedDict()
        for line, row in rows:
            by_sample.setdefault(units_by_line[line]["SAMPLEID"], []).append((line, row))
        samples = []
        for sample_id, members in by_sample.items():
            for column in SAMPLE_METADATA_COLUMNS + TRUTH_COLUMNS + ("SAMPLE_TYPE",):
                values = OrderedDict()
                for line, row in members:
                    values.setdefault(row.get(column, ""), []).append(line)
                if len(values) > 1:
                    self.problem(
                        members[0][0],
                        column,
                        "conflicts between the rows of sample %s: %s"
                        % (
                            sample_id,
                            "; ".join(
                                "%r on line%s %s" % (value, "s" if len(lines) > 1 else "", ", ".join(map(str, lines)))
                                for value, lines in values.items()
                            ),
                        ),
                    )
            samples.append(self.sample_row(sample_id, members[0], units_by_line[members[0][0]]))
        return sorted(samples, key=lambda sample: sample["SAMPLEID"])

    def given(self, row, column):
        """A pass-through value: as written (blank stays blank) when the column exists, else ``na``."""
        return row.get(column, "") if column in self.columns else NA

    def sample_row(self, sample_id, first, unit):
        line, row = first
        truth = row.get("TRUTH_DATA_DIR") or row.get("CONCORDANCE_CONTROL_PATH") or ""
        if (
            row.get("TRUTH_DATA_DIR")
            and row.get("CONCORDANCE_CONTROL_PATH")
            and row["TRUTH_DATA_DIR"] != row["CONCORDANCE_CONTROL_PATH"]
        ):
            self.problem(line, "CONCORDANCE_CONTROL_PATH", "differs from TRUTH_DATA_DIR; they name the same truth data")
        if truth.startswith("s3://"):
            if _s3_object(truth.rstrip("/") + "/x") is None:
                self.problem(line, "TRUTH_DATA_DIR", "%r is not an S3 prefix URI" % truth)
            else:
                self.copies.append(
                    StageCopy(
                        unit["sample_dir"] + "/concordance_data/",
                        (truth.rstrip("/") + "/",),
                        line,
                        "TRUTH_DATA_DIR",
                        mode="tree",
                    )
                )
            truth_path = "%s/%s/concordance_data" % (self.stage_dir, unit["sample_dir"])
        elif truth.startswith(RETIRED_ROOTS):
            self.problem(line, "TRUTH_DATA_DIR", "%r is under a retired root (%s)" % (truth, ", ".join(RETIRED_ROOTS)))
            truth_path = truth
        else:
            truth_path = truth or NA
        sex = row.get("BIOLOGICAL_SEX", "") or {("2", "0"): "female", ("1", "1"): "male"}.get(
            (row.get("N_X", ""), row.get("N_Y", "")), NA
        )
        sample = {
            "SAMPLEID": sample_id,
            "SAMPLESOURCE": row.get("SAMPLESOURCE") or unit["SAMPLE_TYPE"],
            "SAMPLECLASS": row.get("SAMPLECLASS") or DEFAULT_SAMPLECLASS,
            "BIOLOGICAL_SEX": sex,
            "CONCORDANCE_CONTROL_PATH": truth_path,
            "IS_POSITIVE_CONTROL": row.get("IS_POSITIVE_CONTROL") or (_TRUE if is_positive_control(row) else _FALSE),
            "IS_NEGATIVE_CONTROL": row.get("IS_NEGATIVE_CONTROL") or _FALSE,
            "SAMPLE_TYPE": unit["SAMPLE_TYPE"],
            "TUM_NRM_SAMPLEID_MATCH": self.given(row, "TUM_NRM_SAMPLEID_MATCH"),
            "EXTERNAL_SAMPLE_ID": self.given(row, "EXTERNAL_SAMPLE_ID"),
            "N_X": self.given(row, "N_X"),
            "N_Y": self.given(row, "N_Y"),
            "TRUTH_DATA_DIR": truth_path,
        }
        return sample

    # --- units ------------------------------------------------------------------------------------------------
    def merge_groups(self, units):
        """Rows of one sample directory merge (ILMN multi-lane); returns the groups in manifest order."""
        groups = OrderedDict()
        for unit in units:
            unit["sample_dir"] = sample_dir_name(unit)
            groups.setdefault(sample_unit_key(unit), []).append(unit)
        for members in groups.values():
            first = members[0]
            for unit in members[1:]:
                unit["sample_dir"] = first["sample_dir"]
            if len(members) == 1:
                continue
            lines = ", ".join(str(unit["line"]) for unit in members)
            if first["SEQ_VENDOR"] != "ILMN":
                self.problem(
                    first["line"],
                    "LANE",
                    "lines %s are one %s sample unit; only ILMN lanes merge" % (lines, first["SEQ_VENDOR"]),
                )
                continue
            for unit in members:
                if unit["directive"] != STAGE_DATA:
                    self.problem(
                        unit["line"],
                        "STAGE_DIRECTIVE",
                        "lines %s merge lanes, which needs stage_data (this row is %s)" % (lines, unit["directive"]),
                    )
                if unit["LANE"] == "0":
                    self.problem(
                        unit["line"], "LANE", "is 0, but lines %s merge lanes; number each lane (1, 2, ...)" % lines
                    )
                if set(unit["reads"]) != set(first["reads"]):
                    self.problem(
                        unit["line"],
                        None,
                        "has reads %s but line %d has %s; merged lanes need the same reads"
                        % (sorted(unit["reads"]), first["line"], sorted(first["reads"])),
                    )
            seen = {}
            for unit in members:
                if unit["LANE"] in seen and unit["LANE"] != "0":
                    self.problem(
                        unit["line"],
                        "LANE",
                        "lane %s of sample unit %s is also on line %d"
                        % (unit["LANE"], first["sample_dir"], seen[unit["LANE"]]),
                    )
                seen.setdefault(unit["LANE"], unit["line"])
        return list(groups.values())

    def staged_path(self, unit, column, file_name, sources):
        """Record the copy of ``sources`` to the unit's directory; return the headnode path of the staged file."""
        key = "%s/%s" % (unit["sample_dir"], file_name)
        taken = {copy.key: copy for copy in self.copies}
        if key in taken and taken[key].sources != tuple(sources):
            self.problem(
                unit["line"],
                column,
                "stages to %s, which line %d (%s) stages to as well; rename one file"
                % (key, taken[key].line, taken[key].column),
            )
        elif key not in taken:
            self.copies.append(StageCopy(key, tuple(sources), unit["line"], column))
        return "%s/%s" % (self.stage_dir, key)

    def unit_row(self, members, row):
        first = members[0]
        unit = OrderedDict((column, NA) for column in UNITS_COLUMNS)
        for column in ("RUNID", "SAMPLEID", "EXPERIMENTID", "BARCODEID", "LIBPREP", "SEQ_VENDOR", "SEQ_PLATFORM"):
            unit[column] = first[column]
        unit["LANEID"] = MERGED_LANE_ID if len(members) > 1 else first["LANE"]
        prefix = FASTQ_OUTPUT_PREFIX.get(first["SEQ_VENDOR"], "ILMN")
        for read in READS:
            if read not in first["reads"]:
                continue
            column = first["reads"][read][0]
            entries = [entry for member in members for entry in member["reads"].get(read, (None, []))[1]]
            if first["directive"] != STAGE_DATA or any(uri is None for uri, _path in entries):
                unit[fastq_path_column(prefix, read)] = ",".join(path or uri or "" for uri, path in entries)
                self.checks.extend(SourceObject(uri, first["line"], column) for uri, _path in entries if uri)
                continue
            uris = [uri for uri, _path in entries]
            name = _basename(uris[0]) if len(uris) == 1 else "%s_R%d.fastq.gz" % (first["sample_dir"], read)
            unit[fastq_path_column(prefix, read)] = self.staged_path(first, column, name, uris)
        for column, ((uri, path), index) in first["alignments"].items():
            if first["directive"] != STAGE_DATA or uri is None:
                unit[column] = path or uri or ""
                if uri:
                    self.checks.append(SourceObject(uri, first["line"], column))
            else:
                unit[column] = self.staged_path(first, column, _basename(uri), [uri])
                if index:
                    self.staged_path(first, column, _basename(uri) + index, [uri + index])
            for suffix in ("_ALIGNER", "_SNV_CALLER"):
                unit[column + suffix] = row.get(column + suffix) or NA
        if first.get("ont_prefix"):
            source_prefix, name = first["ont_prefix"]
            key = "%s/%s" % (first["sample_dir"], name)
            self.copies.append(StageCopy(key, (source_prefix,), first["line"], ONT_PREFIX_COLUMN, mode="prefix_concat"))
            unit["ONT_R1_PATH"] = "%s/%s" % (self.stage_dir, key)
        for column in UNITS_PASS_THROUGH_COLUMNS:
            unit[column] = row.get(column) or NA
        unit["BWA_KMER"] = row.get("BWA_KMER") or DEFAULT_BWA_KMER
        unit["SAMPLEUSE"] = row.get("SAMPLEUSE") or ("posControl" if is_positive_control(row) else "sample")
        unit["SUBSAMPLE_PCT"] = _subsample(row.get("SUBSAMPLE_PCT", ""))
        return unit


def is_positive_control(row):
    """A sample whose truth data is GIAB's is a positive control."""
    truth = row.get("TRUTH_DATA_DIR") or row.get("CONCORDANCE_CONTROL_PATH") or ""
    return "giab" in truth.lower()


def _subsample(value):
    """SUBSAMPLE_PCT is kept only when it is a fraction in (0, 1]."""
    try:
        return value if 0 < float(value) <= 1 else NA
    except ValueError:
        return NA


def data_mode_of(vendors):
    """The data mode of a set of vendors, or None when no DayOA mode runs that mix."""
    return DATA_MODES.get(frozenset(vendors))


def render_tsv(columns, rows):
    """DayOA's TSV: tab-separated, CRLF line endings, a final CRLF."""
    lines = ["\t".join(columns)] + ["\t".join(str(row[column]) for column in columns) for row in rows]
    return "\r\n".join(lines) + "\r\n"


def plan_stage(
    data,
    stage_name,
    stage_target=DEFAULT_STAGE_TARGET,
    reference_s3_uri=None,
    control_data_s3_uri=None,
    staging_s3_uri=None,
    compatible_data_modes=None,
    command_id=None,
    option_names=None,
):
    """Parse and check a manifest and plan its stage. ``compatible_data_modes`` (of ``command_id``) is checked when
    given. The plan's ``problems`` lists everything wrong; tables are rendered from the rows that could be read.
    ``option_names`` says how problems name the options (``{"reference_s3_uri": "<the variable the operator sets>"}``)."""
    option_names = option_names or {}
    manifest = parse_manifest(data)
    planner = _Planner(
        manifest,
        stage_name,
        stage_target,
        {
            "reference_s3_uri": reference_s3_uri,
            "control_data_s3_uri": control_data_s3_uri,
            "staging_s3_uri": staging_s3_uri,
        },
        option_names,
    )
    if not STAGE_NAME_RE.match(stage_name):
        planner.problem(
            None,
            None,
            "%s %r is not remote_stage_<YYYYMMDDTHHMMSSZ>_<8 hex digits>"
            % (option_names.get("stage_name", "stage_name"), stage_name),
        )
    units = [planner.check_row(line, row) for line, row in manifest.rows]
    rows_by_line = dict(manifest.rows)
    groups = planner.merge_groups(units)
    units_by_line = {unit["line"]: unit for unit in units}
    samples = planner.sample_rows(manifest.rows, units_by_line)
    unit_rows = [planner.unit_row(members, rows_by_line[members[0]["line"]]) for members in groups]
    vendors = {unit["SEQ_VENDOR"] for unit in units if unit["SEQ_VENDOR"] in VENDORS.values()}
    data_mode = data_mode_of(vendors) if vendors else None
    if vendors and data_mode is None:
        planner.problem(
            None,
            "SEQ_VENDOR",
            "the manifest mixes %s, which no data mode runs; data modes: %s"
            % (", ".join(sorted(vendors)), ", ".join(DATA_MODES.values())),
        )
    if data_mode and compatible_data_modes is not None and data_mode not in compatible_data_modes:
        planner.problem(
            None,
            "SEQ_VENDOR",
            "the manifest's data mode %s is not one command %s runs (%s)"
            % (data_mode, command_id, ", ".join(compatible_data_modes) or "it takes no sample data"),
        )
    return StagePlan(
        samples_tsv=render_tsv(SAMPLES_COLUMNS, samples),
        units_tsv=render_tsv(UNITS_COLUMNS, unit_rows),
        samples=samples,
        units=unit_rows,
        data_mode=data_mode,
        copies=planner.copies,
        checks=planner.checks,
        problems=_ordered(planner.problems),
    )


def _ordered(problems):
    """Problems by line (whole-file ones first), without repeats."""
    unique = list(OrderedDict.fromkeys(problems))
    return sorted(unique, key=lambda problem: (problem.line or 0,))


def problems_message(problems, source="the manifest"):
    """One message listing every problem, each on its own line."""
    return "%s has %d problem%s; nothing was staged:\n%s" % (
        source,
        len(problems),
        "" if len(problems) == 1 else "s",
        "\n".join("- " + str(problem) for problem in problems),
    )


def command_data_modes(command_id, catalog_path=None):
    """The ``compatible_data_modes`` of a catalog command (None without a command). Raises ``catalog.CatalogError``."""
    if not command_id:
        return None
    loaded = catalog.load_catalog(catalog_path or catalog.default_catalog_path())
    _repository, _repo, command = catalog.find_command(loaded, command_id)
    return list(command.get("compatible_data_modes") or [])


def plan_from_file(
    path,
    stage_name,
    stage_target=DEFAULT_STAGE_TARGET,
    reference_s3_uri=None,
    control_data_s3_uri=None,
    staging_s3_uri=None,
    command_id=None,
    catalog_path=None,
    option_names=None,
):
    """:func:`plan_stage` of the manifest file ``path``, checked against ``command_id`` of the catalog when given.
    Raises OSError or ``catalog.CatalogError``."""
    return plan_stage(
        read_manifest(path),
        stage_name,
        stage_target=stage_target,
        reference_s3_uri=reference_s3_uri,
        control_data_s3_uri=control_data_s3_uri,
        staging_s3_uri=staging_s3_uri,
        compatible_data_modes=command_data_modes(command_id, catalog_path),
        command_id=command_id,
        option_names=option_names,
    )


CatalogError = catalog.CatalogError

# The options of every module that reads a manifest (doc fragment daylily.ephemeral_cluster.sample_manifest).
MANIFEST_ARGUMENT_SPEC = {
    "src": {"type": "path", "required": True},
    "stage_name": {"type": "str"},
    "stage_target": {"type": "str"},
    "fsx_mount_point": {"type": "str", "default": "/fsx"},
    "reference_s3_uri": {"type": "str"},
    "control_data_s3_uri": {"type": "str"},
    "staging_s3_uri": {"type": "str"},
    "command_id": {"type": "str"},
    "catalog_path": {"type": "path"},
    "option_names": {"type": "dict", "default": {}},
}


def stage_target_of(params):
    """The headnode directory of the stages: ``stage_target``, else ``<fsx_mount_point>/staging/staged_external_...``."""
    return (params["stage_target"] or params["fsx_mount_point"].rstrip("/") + STAGE_TARGET_UNDER_MOUNT).rstrip("/")


def plan_from_params(params, stage_name):
    """:func:`plan_from_file` from the MANIFEST_ARGUMENT_SPEC options of a module."""
    return plan_from_file(
        params["src"],
        stage_name,
        stage_target=stage_target_of(params),
        reference_s3_uri=params["reference_s3_uri"],
        control_data_s3_uri=params["control_data_s3_uri"],
        staging_s3_uri=params["staging_s3_uri"],
        command_id=params["command_id"],
        catalog_path=params["catalog_path"],
        option_names=params["option_names"],
    )


def plan_result(params, stage_name, plan):
    """The result fields every manifest module returns: the stage (headnode directory and FSx API path), the data mode
    and the problems."""
    stage_dir = "%s/%s" % (stage_target_of(params), stage_name)
    try:
        file_system_path = paths.headnode_to_api_path(stage_dir, params["fsx_mount_point"])
    except paths.PathRuleError:
        file_system_path = None  # a stage_target outside the file system: nothing to attach
    return {
        "changed": False,
        "stage_name": stage_name,
        "stage_dir": stage_dir,
        "stage_file_system_path": file_system_path,
        "data_mode": plan.data_mode,
        "problems": [problem.as_dict() for problem in plan.problems],
    }


def read_manifest(path):
    with open(os.path.expanduser(path), "rb") as handle:
        return handle.read()
