"""Copy a MultiQC report's inputs into its staging directory and write the stage manifest DayOA keeps.

    stage_multiqc_inputs.py --input-root results/day/hg38/ --output-dir results/day/hg38/reports/multiqc_inputs/final \
        --report-stage final --manifest .../manifest.tsv results/day/hg38/S1/S1.stats.tsv ...

Each input keeps its path relative to --input-root. manifest.tsv has one row per (file, sample):
Sample, base_sample, group_id, source_path, staged_path (DayOA's evidence writer reads the first three).
"""

import argparse
import csv
import shutil
import sys
from pathlib import Path

COHORT_DIRS = {"other_reports", "reports", "logs", "benchmarks"}
MANIFEST_COLUMNS = ("Sample", "base_sample", "group_id", "source_path", "staged_path")


def samples_of(relative, source):
    """The samples a staged file covers: its sample directory, or the Sample column of a *_mqc.tsv table."""
    if relative.parts[0] not in COHORT_DIRS and len(relative.parts) > 1:
        return [relative.parts[0]]
    if source.name.endswith("_mqc.tsv"):
        with source.open(encoding="utf-8", newline="") as handle:
            lines = [line for line in handle if not line.startswith("#")]
        return sorted({row["Sample"] for row in csv.DictReader(lines, delimiter="\t") if row.get("Sample")})
    return [""]


def stage(input_root, output_dir, report_stage, inputs):
    root = Path(input_root)
    out = Path(output_dir)
    if out.exists():
        shutil.rmtree(out)  # a re-stage must not keep inputs a previous run had
    rows = []
    for name in sorted(set(inputs)):
        source = Path(name)
        relative = source.relative_to(root)
        staged = out / relative
        staged.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, staged)
        for sample in samples_of(relative, source):
            rows.append(
                {
                    "Sample": sample,
                    "base_sample": sample,
                    "group_id": report_stage,
                    "source_path": str(source),
                    "staged_path": str(staged),
                }
            )
        print(f"staged {source} -> {staged}")
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--input-root", required=True)
    parser.add_argument("--output-dir", required=True)
    parser.add_argument("--report-stage", required=True)
    parser.add_argument("--manifest", required=True)
    parser.add_argument("inputs", nargs="+")
    args = parser.parse_args(argv)
    try:
        rows = stage(args.input_root, args.output_dir, args.report_stage, args.inputs)
        Path(args.manifest).parent.mkdir(parents=True, exist_ok=True)
        with open(args.manifest, "w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=MANIFEST_COLUMNS, delimiter="\t", lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
    except (OSError, ValueError, KeyError) as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
