"""A MultiQC-style report from MultiQC custom-content tables (*_mqc.tsv), without MultiQC (1.1 GB installed).

    multiqc_report.py --title T [--comment C] [--stage-manifest manifest.tsv] --filename out/NAME.html ANALYSIS_DIR

Writes NAME.html and, as MultiQC does, NAME_data/ beside it with multiqc_data.json, multiqc_general_stats.txt,
multiqc_sources.txt, multiqc.log and one multiqc_<id>.txt per table. Each table's first column is the sample
name; `# key: value` lines before the header set its id, section_name and description. The output depends only
on the inputs (no dates, relative paths), so a rerun writes the same bytes. With --stage-manifest every sample
in the report must be a Sample of the stage manifest (DayOA's validate_multiqc_sample_ids check).
"""

import argparse
import csv
import html
import json
import shutil
import sys
from pathlib import Path

MULTIQC_VERSION = "1.35"  # the version DayOA pins (docker://multiqc/multiqc:v1.35) and DayEC registers
GENERATOR = "daylily-omics-analysis sandbox stand-in (workflow/scripts/multiqc_report.py)"


class ReportError(ValueError):
    """Inputs a report cannot be built from."""


def value_of(text):
    """Numbers as numbers in multiqc_data.json, like MultiQC's custom content parser."""
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def read_table(path):
    meta = {}
    lines = []
    with path.open(encoding="utf-8", newline="") as handle:
        for line in handle:
            if line.startswith("#"):
                key, _sep, value = line[1:].partition(":")
                meta[key.strip()] = value.strip().strip("'\"")
            elif line.strip():
                lines.append(line)
    reader = csv.reader(lines, delimiter="\t")
    header = next(reader, None)
    if not header or len(header) < 2:
        raise ReportError(f"{path}: needs a header with a sample column and at least one value column")
    rows = {}
    for row in reader:
        if row[0] in rows:
            raise ReportError(f"{path}: sample {row[0]!r} appears twice")
        rows[row[0]] = {column: value_of(value) for column, value in zip(header[1:], row[1:], strict=False)}
    table_id = meta.get("id") or path.name[: -len("_mqc.tsv")]
    return {
        "id": table_id,
        "section_name": meta.get("section_name") or table_id,
        "description": meta.get("description", ""),
        "columns": header[1:],
        "rows": rows,
        "source": str(path),
    }


def stage_samples(manifest):
    with open(manifest, encoding="utf-8", newline="") as handle:
        return {row["Sample"] for row in csv.DictReader(handle, delimiter="\t") if row.get("Sample")}


def cell(value):
    return html.escape(f"{value:,}" if isinstance(value, int) else str(value))


def html_table(columns, rows, titles=None):
    titles = titles or {}
    head = "".join(f"<th>{html.escape(titles.get(column, column))}</th>" for column in ["Sample"] + columns)
    body = "".join(
        "<tr><td>"
        + html.escape(sample)
        + "</td>"
        + "".join(f"<td>{cell(values.get(column, ''))}</td>" for column in columns)
        + "</tr>"
        for sample, values in sorted(rows.items())
    )
    return f'<table class="table mqc_table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def render_html(title, comment, general, tables):
    general_columns, general_rows, headers = general
    sections = "".join(
        f'<div class="mqc-module-section" id="{html.escape(table["id"])}"><h2>{html.escape(table["section_name"])}</h2>'
        f"<p>{html.escape(table['description'])}</p>{html_table(table['columns'], table['rows'])}</div>"
        for table in tables
    )
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8">'
        f'<meta name="generator" content="{html.escape(GENERATOR)}"><title>{html.escape(title)}</title></head>\n'
        f'<body class="multiqc"><h1>{html.escape(title)}</h1><p class="report-comment">{html.escape(comment)}</p>\n'
        f'<div class="mqc-module-section" id="general_stats"><h2>General Statistics</h2>'
        f"{html_table(general_columns, general_rows, {key: header['title'] for key, header in headers.items()})}</div>\n"
        f"{sections}\n</body>\n</html>\n"
    )


def build(args):
    analysis_dir = Path(args.analysis_dir)
    paths = sorted(analysis_dir.rglob("*_mqc.tsv"))
    if not paths:
        raise ReportError(f"no *_mqc.tsv tables under {analysis_dir}")
    tables = [read_table(path) for path in paths]
    general_columns = []
    general_rows = {}
    headers = {}
    for table in tables:
        for column in table["columns"]:
            key = f"{table['id']}_mqc-generalstats-{table['id']}-{column}"
            general_columns.append(key)
            headers[key] = {"title": column, "namespace": table["section_name"], "description": column}
        for sample, values in table["rows"].items():
            general_rows.setdefault(sample, {}).update(
                {f"{table['id']}_mqc-generalstats-{table['id']}-{column}": value for column, value in values.items()}
            )
    if args.stage_manifest:
        unknown = sorted(set(general_rows) - stage_samples(args.stage_manifest))
        if unknown:
            raise ReportError(f"samples not in the stage manifest {args.stage_manifest}: {', '.join(unknown)}")

    out = Path(args.filename)
    data_dir = out.with_name(out.stem + "_data")
    if data_dir.is_dir():
        shutil.rmtree(data_dir)  # multiqc -f: a rerun replaces the data directory
    data_dir.mkdir(parents=True)
    log = [
        f"[INFO   ]         multiqc : This is MultiQC-style report {GENERATOR}",
        f"[INFO   ]         multiqc : Search path : {analysis_dir}",
    ]
    for table in tables:
        with (data_dir / f"multiqc_{table['id']}.txt").open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
            writer.writerow(["Sample"] + table["columns"])
            writer.writerows(
                [sample] + [values.get(column, "") for column in table["columns"]]
                for sample, values in sorted(table["rows"].items())
            )
        log.append(
            f"[INFO   ]  custom_content : {table['section_name']}: Found {len(table['rows'])} samples ({table['source']})"
        )
    with (data_dir / "multiqc_general_stats.txt").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(["Sample"] + general_columns)
        writer.writerows(
            [sample] + [values.get(column, "") for column in general_columns]
            for sample, values in sorted(general_rows.items())
        )
    with (data_dir / "multiqc_sources.txt").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(["Module", "Section", "Sample Name", "Source"])
        writer.writerows(
            ["Custom content", table["section_name"], sample, table["source"]]
            for table in tables
            for sample in sorted(table["rows"])
        )
    data = {
        "config_title": args.title,
        "config_report_comment": args.comment,
        "config_version": MULTIQC_VERSION,
        "config_analysis_dir": [str(analysis_dir)],
        "config_output_fn_name": out.name,
        "config_data_dir_name": data_dir.name,
        "multiqc_generator": GENERATOR,
        "report_data_sources": {
            "Custom content": {
                table["section_name"]: {sample: table["source"] for sample in sorted(table["rows"])} for table in tables
            }
        },
        "report_general_stats_data": [general_rows],
        "report_general_stats_headers": [headers],
        "report_saved_raw_data": {f"multiqc_{table['id']}": table["rows"] for table in tables},
        "report_plot_data": {},
    }
    (data_dir / "multiqc_data.json").write_text(json.dumps(data, indent=4, sort_keys=True) + "\n", encoding="utf-8")
    log.append(f"[INFO   ]         multiqc : Report      : {out}")
    log.append(f"[INFO   ]         multiqc : Data        : {data_dir}")
    (data_dir / "multiqc.log").write_text("\n".join(log) + "\n", encoding="utf-8")
    out.write_text(
        render_html(args.title, args.comment, (general_columns, general_rows, headers), tables), encoding="utf-8"
    )
    print("\n".join(log))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--title", required=True)
    parser.add_argument("--comment", default="")
    parser.add_argument("--filename", required=True, help="the report's .html path; its data dir goes beside it")
    parser.add_argument("--stage-manifest", default="")
    parser.add_argument("analysis_dir")
    args = parser.parse_args(argv)
    if not args.filename.endswith(".html"):
        parser.error("--filename must end with .html")
    try:
        build(args)
    except (OSError, ReportError) as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
