"""Run QC of one run folder (a config/runs.tsv row): what the folder holds, read from the folder itself.

    run_qc.py --run-id R1 --platform ILMN --run-dir /fsx/run_dir_mounts/R1 [--sample-sheet SampleSheet.csv]
        [--source-s3-uri s3://...] --summary-tsv summary.tsv --summary-json illumina_run_qc.json --mqc-tsv X_mqc.tsv

Counts files and bytes, reads RunInfo.xml (run id, flowcell, instrument, cycles) and the sample sheet's
[BCLConvert_Data]/[Data] Sample_IDs when present, and counts reads and bases of any FASTQ in the folder.
"""

import argparse
import csv
import json
import os
import sys
from pathlib import Path
from xml.etree import ElementTree

from fastq_stats import FastqError
from fastq_stats import fastq_counts
from fastq_stats import write_tsv

FASTQ_SUFFIXES = (".fastq", ".fastq.gz", ".fq", ".fq.gz")
SUMMARY_COLUMNS = (
    "RUNID",
    "PLATFORM",
    "RUN_DIR",
    "SOURCE_S3_URI",
    "files",
    "total_bytes",
    "run_info_present",
    "run_info_id",
    "flowcell",
    "instrument",
    "cycles",
    "sample_sheet_samples",
    "fastq_files",
    "reads",
    "bases",
)
MQC_COLUMNS = ("Sample", "files", "total_bytes", "cycles", "sample_sheet_samples", "fastq_files", "reads", "bases")
EMPTY_VALUES = {"", "na", "none", "null"}


def inventory(run_dir):
    """[(relative path, size)] of every file under run_dir; run_dir itself may be a symlink (a projected mount)."""
    files = []
    for directory, _dirs, names in os.walk(run_dir):
        for name in names:
            path = Path(directory) / name
            files.append((path.relative_to(run_dir).as_posix(), path.stat().st_size))
    return sorted(files)


def run_info(run_dir):
    path = Path(run_dir) / "RunInfo.xml"
    if not path.is_file():
        return {"run_info_present": False, "run_info_id": "", "flowcell": "", "instrument": "", "cycles": 0}
    root = ElementTree.parse(path).getroot()
    run = root.find("Run")
    if run is None:
        raise ValueError(f"{path} has no <Run> element")
    cycles = sum(int(read.get("NumCycles", "0")) for read in run.iter("Read"))
    return {
        "run_info_present": True,
        "run_info_id": run.get("Id", ""),
        "flowcell": run.findtext("Flowcell", ""),
        "instrument": run.findtext("Instrument", ""),
        "cycles": cycles,
    }


def sample_sheet_samples(run_dir, sample_sheet):
    """Sample_IDs of the sample sheet's data section; the sheet is relative to the run folder unless absolute."""
    if sample_sheet.strip().lower() in EMPTY_VALUES:
        return 0
    path = Path(run_dir) / sample_sheet
    section = ""
    header = None
    samples = set()
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.reader(handle):
            if row and row[0].startswith("["):
                section, header = row[0].strip(), None
            elif section in ("[BCLConvert_Data]", "[Data]") and any(cell.strip() for cell in row):
                if header is None:
                    header = [cell.strip() for cell in row]
                elif "Sample_ID" in header:
                    samples.add(row[header.index("Sample_ID")].strip())
    return len(samples)


def run_qc(args):
    run_dir = Path(args.run_dir)
    if not run_dir.is_dir():
        raise ValueError(f"RUN_DIR {run_dir} is not a directory (is the run folder mounted?)")
    files = inventory(run_dir)
    summary = {
        "RUNID": args.run_id,
        "PLATFORM": args.platform,
        "RUN_DIR": args.run_dir,
        "SOURCE_S3_URI": args.source_s3_uri,
        "files": len(files),
        "total_bytes": sum(size for _path, size in files),
    }
    summary.update(run_info(run_dir))
    summary["sample_sheet_samples"] = sample_sheet_samples(run_dir, args.sample_sheet)
    reads = bases = fastq_files = 0
    for relative, _size in files:
        if relative.endswith(FASTQ_SUFFIXES):
            fastq_reads, fastq_bases, _gc = fastq_counts(run_dir / relative)
            reads, bases, fastq_files = reads + fastq_reads, bases + fastq_bases, fastq_files + 1
    summary.update(fastq_files=fastq_files, reads=reads, bases=bases)
    write_tsv(args.summary_tsv, SUMMARY_COLUMNS, [summary])
    detail = dict(
        summary, files=[{"relative_path": path, "size_bytes": size} for path, size in files], file_count=len(files)
    )
    Path(args.summary_json).write_text(json.dumps(detail, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    comments = (
        "id: 'run_qc'",
        f"section_name: '{args.platform} run QC'",
        "description: 'What the run folder holds: files, bytes, RunInfo.xml cycles, sample sheet, FASTQ reads.'",
        "plot_type: 'table'",
    )
    write_tsv(args.mqc_tsv, MQC_COLUMNS, [dict(summary, Sample=args.run_id)], comments)
    print(json.dumps(summary, sort_keys=True))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run-id", required=True)
    parser.add_argument("--platform", required=True)
    parser.add_argument("--run-dir", required=True)
    parser.add_argument("--sample-sheet", default="")
    parser.add_argument("--source-s3-uri", default="")
    parser.add_argument("--summary-tsv", required=True)
    parser.add_argument("--summary-json", required=True)
    parser.add_argument("--mqc-tsv", required=True)
    args = parser.parse_args(argv)
    try:
        run_qc(args)
    except (OSError, ValueError, FastqError, ElementTree.ParseError) as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
