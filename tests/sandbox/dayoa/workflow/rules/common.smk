import csv
import hashlib
import json
import os
import re
import shlex
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import snakemake as _snakemake
from snakemake.exceptions import WorkflowError

# Every rule runs its script with the interpreter that runs Snakemake, so the scripts and DayOA's evidence writer
# come from the same environment (the venv whose snakemake bin/day_run found).
PYTHON = sys.executable
SCRIPTS = Path(workflow.basedir) / "scripts"
SAFE_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
EMPTY_VALUES = {"", "na", "none", "null"}
# units.tsv columns that may name a FASTQ (DayEC's staging writes the platform's pair).
READ_PATH_COLUMNS = (
    "ILMN_R1_PATH", "ILMN_R2_PATH",
    "PACBIO_R1_PATH", "PACBIO_R2_PATH",
    "ONT_R1_PATH", "ONT_R2_PATH",
    "UG_R1_PATH", "UG_R2_PATH",
)
RUN_PLATFORM_DIRS = {"ILMN": "illumina", "ONT": "ont", "ULTIMA": "ultima", "PACBIO": "pacbio"}


def filled(value):
    return str(value or "").strip().lower() not in EMPTY_VALUES


def safe_segment(value, what):
    text = str(value or "").strip()
    if not SAFE_SEGMENT.match(text) or ".." in text:
        raise WorkflowError(f"{what} {text!r} must match {SAFE_SEGMENT.pattern} and must not contain '..'")
    return text


def _git(*args):
    try:
        return subprocess.run(["git", *args], cwd=workflow.basedir, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


GENOME_BUILD = safe_segment(config.get("genome_build") or os.environ.get("DAY_GENOME_BUILD") or "hg38", "genome_build")
WORKFLOW_PROFILE = str(config.get("workflow_profile") or os.environ.get("DAY_PROFILE") or "local")
MDIR = f"results/day/{GENOME_BUILD}/"
PIPELINE_NAME = str(config.get("pipeline_name") or "daylily-omics-analysis")
GIT_SHA = _git("rev-parse", "HEAD") or "unknown"
GIT_TAG = _git("describe", "--tags", "--exact-match", "HEAD") or str(config.get("gittag") or "untagged")
SNAKEMAKE_VERSION = _snakemake.__version__
SAMPLES_TABLE = str(config.get("samples_table") or "config/samples.tsv")
UNITS_TABLE = str(config.get("units_table") or "config/units.tsv")
RUN_CONTEXT_FILE = str(config.get("run_context_file") or "config/runs.tsv")

wildcard_constraints:
    sample=r"[A-Za-z0-9][A-Za-z0-9._-]*",
    run_root=r"results/.+",
    platform_dir=r"[a-z0-9_]+",


def read_table(path, required, what):
    table = Path(path)
    if not table.is_file():
        raise WorkflowError(f"{what} {path} does not exist (write it into config/ before running this target)")
    with table.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t")
        columns = [str(name or "").strip() for name in reader.fieldnames or []]
        missing = sorted(set(required) - set(columns))
        if missing:
            raise WorkflowError(f"{path} lacks required column(s): {', '.join(missing)}")
        return [{str(key or "").strip(): str(value or "").strip() for key, value in row.items()} for row in reader]


_CACHE = {}


def sample_units():
    """{SAMPLEID: [units.tsv rows]} after checking samples.tsv and units.tsv agree; read once per run."""
    if "units" not in _CACHE:
        samples = read_table(SAMPLES_TABLE, {"SAMPLEID"}, "samples table")
        units = read_table(UNITS_TABLE, {"RUNID", "SAMPLEID", "EXPERIMENTID"}, "units table")
        by_sample = {safe_segment(row["SAMPLEID"], f"{SAMPLES_TABLE} SAMPLEID"): [] for row in samples}
        if not by_sample:
            raise WorkflowError(f"{SAMPLES_TABLE} lists no samples")
        for row in units:
            if row["SAMPLEID"] not in by_sample:
                raise WorkflowError(f"{UNITS_TABLE} SAMPLEID {row['SAMPLEID']!r} is not in {SAMPLES_TABLE}")
            by_sample[row["SAMPLEID"]].append(row)
        for sample, rows in by_sample.items():
            if not any(filled(row.get(column)) for row in rows for column in READ_PATH_COLUMNS):
                raise WorkflowError(f"sample {sample!r} has no unit with a FASTQ path ({', '.join(READ_PATH_COLUMNS)})")
        _CACHE["units"] = by_sample
    return _CACHE["units"]


def samples():
    return sorted(sample_units())


def sample_fastqs(wildcards):
    rows = sample_units().get(wildcards.sample)
    if rows is None:
        raise WorkflowError(f"sample {wildcards.sample!r} is not in {SAMPLES_TABLE}")
    return [row[column] for row in rows for column in READ_PATH_COLUMNS if filled(row.get(column))]


def run_contexts():
    """config/runs.tsv rows keyed by (output root, platform dir); read once per run."""
    if "runs" not in _CACHE:
        rows = read_table(RUN_CONTEXT_FILE, {"RUNID", "PLATFORM", "RUN_DIR"}, "run context file")
        contexts = {}
        for row in rows:
            run_id = safe_segment(row["RUNID"], f"{RUN_CONTEXT_FILE} RUNID")
            platform = row["PLATFORM"].upper()
            if not filled(row["RUN_DIR"]):
                raise WorkflowError(f"RUNID={run_id} must populate RUN_DIR for mounted run QC")
            root = row.get("OUTPUT_ROOT", "").rstrip("/") if filled(row.get("OUTPUT_ROOT")) else f"results/runs/{run_id}"
            if root.startswith("/") or ".." in root.split("/") or not root.startswith("results/"):
                raise WorkflowError(f"RUNID={run_id} OUTPUT_ROOT {root!r} must be a relative path under results/")
            platform_dir = RUN_PLATFORM_DIRS.get(platform, re.sub(r"[^a-z0-9_]", "_", platform.lower()) or "unknown")
            key = (root, platform_dir)
            if key in contexts:
                raise WorkflowError(f"RUNID={run_id}: two runs.tsv rows write {root}/run_qc/{platform_dir}")
            contexts[key] = dict(row, RUNID=run_id, PLATFORM=platform)
        if not contexts:
            raise WorkflowError(f"{RUN_CONTEXT_FILE} lists no runs")
        _CACHE["runs"] = contexts
    return _CACHE["runs"]


def run_context(wildcards):
    context = run_contexts().get((wildcards.run_root, wildcards.platform_dir))
    if context is None:
        raise WorkflowError(f"no {RUN_CONTEXT_FILE} row writes {wildcards.run_root}/run_qc/{wildcards.platform_dir}")
    return context


def run_qc_dirs(platform=None):
    dirs = [f"{root}/run_qc/{platform_dir}" for (root, platform_dir), row in sorted(run_contexts().items())
            if platform is None or row["PLATFORM"] == platform]
    if not dirs:
        raise WorkflowError(f"{RUN_CONTEXT_FILE} has no PLATFORM={platform} row")
    return dirs


def workflow_config_hash():
    material = {
        "genome_build": GENOME_BUILD,
        "profile": WORKFLOW_PROFILE,
        "samples_table_path": SAMPLES_TABLE,
        "units_table_path": UNITS_TABLE,
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode("utf-8")).hexdigest()


def evidence_generated_at():
    """The manifest's generated_at: pinned by config or SOURCE_DATE_EPOCH for byte-identical reruns, else now."""
    pinned = str(config.get("evidence_generated_at") or "").strip()
    if pinned:
        return pinned
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return ""
