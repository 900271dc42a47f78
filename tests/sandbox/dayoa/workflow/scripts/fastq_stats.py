"""Read and base counts of FASTQ files (plain or gzip), per sample and summarised as MultiQC custom content.

fastq_stats.py sample --sample S1 --units config/units.tsv --output results/day/hg38/S1/S1.stats.tsv
fastq_stats.py summarize --output results/day/hg38/other_reports/fastq_stats_mqc.tsv S1.stats.tsv ...
"""

import argparse
import csv
import gzip
import sys
from pathlib import Path

# units.tsv's read path columns. This script runs on the headnode, where the collection is not installed, so it keeps
# its own copy of samples.FASTQ_PATH_COLUMNS; test_fastq_path_columns.py keeps the two equal.
READ_PATH_COLUMNS = (
    "ILMN_R1_PATH",
    "ILMN_R2_PATH",
    "PACBIO_R1_PATH",
    "PACBIO_R2_PATH",
    "ONT_R1_PATH",
    "ONT_R2_PATH",
    "UG_R1_PATH",
    "UG_R2_PATH",
)
UNIT_COLUMNS = ("SAMPLEID", "RUNID", "EXPERIMENTID", "LANEID", "BARCODEID", "SEQ_PLATFORM")
STATS_COLUMNS = UNIT_COLUMNS + ("READ_COLUMN", "FASTQ", "reads", "bases", "gc_bases", "mean_read_length", "gc_percent")
SUMMARY_COLUMNS = ("Sample", "fastq_files", "reads", "bases", "mean_read_length", "gc_percent")
EMPTY_VALUES = {"", "na", "none", "null"}


class FastqError(ValueError):
    """A FASTQ that is not four-line records."""


def open_text(path):
    if str(path).endswith(".gz"):
        return gzip.open(path, "rt", encoding="ascii", newline="")
    return open(path, encoding="ascii", newline="")


def fastq_counts(path):
    """(reads, bases, gc_bases) of one FASTQ, checking the record structure as it goes."""
    reads = bases = gc_bases = 0
    with open_text(path) as handle:
        while True:
            header = handle.readline()
            if not header:
                return reads, bases, gc_bases
            sequence, separator, quality = (
                handle.readline().rstrip("\r\n"),
                handle.readline(),
                handle.readline().rstrip("\r\n"),
            )
            if not header.startswith("@") or not separator.startswith("+") or len(sequence) != len(quality):
                raise FastqError(f"{path}: record {reads + 1} is not a FASTQ record")
            reads += 1
            bases += len(sequence)
            gc_bases += sum(sequence.upper().count(base) for base in "GC")


def ratio(numerator, denominator, scale=1.0):
    return f"{scale * numerator / denominator:.2f}" if denominator else "0.00"


def read_tsv(path):
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def write_tsv(path, columns, rows, comments=()):
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        for comment in comments:
            handle.write(f"# {comment}\n")
        writer = csv.DictWriter(handle, fieldnames=columns, delimiter="\t", lineterminator="\n", extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def sample_stats(args):
    units = [row for row in read_tsv(args.units) if (row.get("SAMPLEID") or "").strip() == args.sample]
    rows = []
    for unit in units:
        for column in READ_PATH_COLUMNS:
            fastq = (unit.get(column) or "").strip()
            if fastq.lower() in EMPTY_VALUES:
                continue
            reads, bases, gc_bases = fastq_counts(fastq)
            row = {name: (unit.get(name) or "").strip() for name in UNIT_COLUMNS}
            row.update(
                READ_COLUMN=column,
                FASTQ=fastq,
                reads=reads,
                bases=bases,
                gc_bases=gc_bases,
                mean_read_length=ratio(bases, reads),
                gc_percent=ratio(gc_bases, bases, 100.0),
            )
            rows.append(row)
            print(f"{args.sample}\t{column}\t{fastq}\treads={reads}\tbases={bases}")
    if not rows:
        raise FastqError(f"{args.units} names no FASTQ for sample {args.sample}")
    write_tsv(args.output, STATS_COLUMNS, rows)


def summarize(args):
    rows = []
    for path in sorted(args.stats):
        stats = read_tsv(path)
        reads = sum(int(row["reads"]) for row in stats)
        bases = sum(int(row["bases"]) for row in stats)
        gc_bases = sum(int(row["gc_bases"]) for row in stats)
        rows.append(
            {
                "Sample": stats[0]["SAMPLEID"],
                "fastq_files": len(stats),
                "reads": reads,
                "bases": bases,
                "mean_read_length": ratio(bases, reads),
                "gc_percent": ratio(gc_bases, bases, 100.0),
            }
        )
    comments = (
        "id: 'fastq_stats'",
        "section_name: 'FASTQ statistics'",
        "description: 'Reads and bases per sample, counted from the FASTQ files of its units.'",
        "plot_type: 'table'",
    )
    write_tsv(args.output, SUMMARY_COLUMNS, sorted(rows, key=lambda row: row["Sample"]), comments)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    sample = commands.add_parser("sample", help="per-FASTQ counts of one sample")
    sample.add_argument("--sample", required=True)
    sample.add_argument("--units", required=True)
    sample.add_argument("--output", required=True)
    summary = commands.add_parser("summarize", help="per-sample totals as MultiQC custom content")
    summary.add_argument("--output", required=True)
    summary.add_argument("stats", nargs="+")
    args = parser.parse_args(argv)
    try:
        (sample_stats if args.command == "sample" else summarize)(args)
    except (OSError, EOFError, FastqError, KeyError, ValueError) as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
