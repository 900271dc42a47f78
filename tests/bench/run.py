"""`make bench`: the collection's hot paths against a baseline or a physical limit measured in the same run.

No timing is asserted anywhere (and `make test` runs none of this): it prints a table for humans and writes
bench-results/latest.json (every figure, the machine and the date) and bench-results/latest.md (the table for the
README). One module per row of issue 15:
  1. digests_row     SHA-256 of a >= 2 GB tree vs GNU sha256sum and vs cores x one core's hashlib; the tree walk and
                     small-file hashing vs naive loops
  2. s3_row          list + HEAD of 5,000 objects (Dewey's s3_inventory path, the delete gate's re-verification) vs
                     one HEAD at a time; the staging precheck vs `aws s3 ls` per file and sequential HeadObject
  3. ssm_row         SendCommand and GetCommandInvocation per task through the ssm connection
  4. waits_row       notice lag and describes per minute of export waits (10 s, 2 min, 20 min, simulated clock)
  5. lifecycle_row   wall time and AWS calls of `make demo`, per phase
  6. memory_row      peak RSS of inventory + manifest + verification of 100,000 files and of 10,000 registrations
  7. dayec_row       DayEC 5.1.5's `dyec export` vs our export.yml on the same tree in the same sandbox
Run a subset with BENCH_ROWS=digests,waits (module names without _row): each row function's results are kept in
bench-results/rows/, and the table is made of the latest results of every row, each with its own date and load.
"""

from __future__ import annotations

import datetime
import importlib
import json
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import RESULTS  # noqa: E402
from bench.common import machine  # noqa: E402

#: (module, function): each function takes a scratch directory and returns a list of Rows.
ROWS = (
    ("digests_row", "bench_digests"),
    ("digests_row", "bench_inventory"),
    ("s3_row", "bench_s3"),
    ("ssm_row", "bench_ssm"),
    ("waits_row", "bench_waits"),
    ("lifecycle_row", "bench_lifecycle"),
    ("memory_row", "bench_memory"),
    ("dayec_row", "bench_dayec"),
)


def _number(value):
    if value is None:
        return "-"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def table(rows, markdown=False):
    header = ("row", "unit", "ours", "baseline", "ratio", "target", "met", "baseline is")
    lines = []
    for row in rows:
        met = {True: "yes", False: "NO", None: ""}[row["met"]]
        ratio = f"{row['ratio']:.2f}x" if row["ratio"] else "-"
        lines.append(
            (
                row["name"],
                row["unit"],
                _number(row["ours"]),
                _number(row["baseline"]),
                ratio,
                row["target"],
                met,
                row["baseline_name"],
            )
        )
    if markdown:
        out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        out += ["| " + " | ".join(str(cell) for cell in line) + " |" for line in lines]
        return "\n".join(out)
    widths = [max(len(str(line[i])) for line in [header, *lines]) for i in range(len(header) - 1)]
    return "\n".join(
        "  ".join(str(cell).ljust(width) for cell, width in zip(line, widths, strict=False)) + "  " + str(line[-1])
        for line in [header, *lines]
    )


def _measure(label, module_name, function_name):
    """Run one row function; its results (rows or the error, date, load, seconds) as a dict."""
    print(f"bench: {label} ...", flush=True)
    start = time.perf_counter()
    result = {
        "label": label,
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "load_average": os.getloadavg(),
        "rows": [],
    }
    try:
        function = getattr(importlib.import_module(f"bench.{module_name}"), function_name)
        with tempfile.TemporaryDirectory(prefix="dayec-bench-") as scratch:
            result["rows"] = [row.as_dict() for row in function(Path(scratch))]
    except Exception:  # noqa: BLE001  (a broken row is reported, and the others still run)
        result["error"] = traceback.format_exc()
        print(result["error"], file=sys.stderr, flush=True)
    result["seconds"] = time.perf_counter() - start
    print(f"bench: {label} took {result['seconds']:.0f} s", flush=True)
    return result


def main():
    wanted = {name.strip() + "_row" for name in os.environ.get("BENCH_ROWS", "").split(",") if name.strip()}
    started = datetime.datetime.now(datetime.UTC)
    kept = RESULTS / "rows"
    kept.mkdir(parents=True, exist_ok=True)
    errors = []
    for module_name, function_name in ROWS:
        if wanted and module_name not in wanted:
            continue
        label = f"{module_name}.{function_name}"
        result = _measure(label, module_name, function_name)
        if "error" in result:
            errors.append(label)
        (kept / f"{label}.json").write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
    results = [
        json.loads((kept / f"{module}.{function}.json").read_text(encoding="utf-8"))
        for module, function in ROWS
        if (kept / f"{module}.{function}.json").exists()
    ]
    report = {
        "date": started.isoformat(timespec="seconds"),
        "machine": machine(),
        "duration_s": (datetime.datetime.now(datetime.UTC) - started).total_seconds(),
        "rows": [dict(row, measured=result["date"]) for result in results for row in result["rows"]],
        "errors": {result["label"]: result["error"] for result in results if "error" in result},
        "row_functions": {result["label"]: {k: v for k, v in result.items() if k != "rows"} for result in results},
    }
    (RESULTS / "latest.json").write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
    cpu = report["machine"]
    dates = sorted({result["date"][:16] for result in results})
    loads = ", ".join(f"{result['load_average'][0]:.1f}" for result in results)
    title = (
        f"make bench on {cpu['cores']} cores ({cpu['cpu_model']}), measured {dates[0]}"
        + (f" to {dates[-1]}" if len(dates) > 1 else "")
        + f" UTC; load average at the start of each row: {loads}"
    )
    (RESULTS / "latest.md").write_text(f"{title}\n\n{table(report['rows'], markdown=True)}\n", encoding="utf-8")
    print(f"\n{title}\n{table(report['rows'])}")
    for label in report["errors"]:
        print(f"FAILED: {label} (traceback in bench-results/latest.json)")
    print(f"wrote {RESULTS / 'latest.json'} and {RESULTS / 'latest.md'}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
