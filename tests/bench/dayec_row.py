"""Row 7: DayEC 5.1.5's own `dyec export` against our playbooks/export.yml, on the same 200-file tree in the same
sandbox: wall time and AWS calls (the sandbox audit log), then both again under 3 injected FSx throttles: who ends
with a receipt that says the export succeeded, and whether S3 really holds every file.

DayEC comes from its wheel (daylily-ephemeral-cluster==5.1.5, requirements-dayec.txt) in .venv-dayec, built by
`make dayec-venv`; it needs no pcluster and no headnode (it finds the file system by the parallelcluster:cluster-name
tag). Without that venv the row reports ours alone.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import yaml

from bench.common import REPO
from bench.common import count_calls
from bench.common import rows_against
from bench.common import sandbox

DAYEC = REPO / ".venv-dayec" / "bin" / "dyec"
FILES = 200
ENTITY = "bench"
THROTTLES = 3
#: The S3 calls of receipts and their verification (listing the destination, reading and writing receipts and
#: manifests); "beyond the verification itself" the two tools' other calls are compared.
VERIFICATION_CALLS = ("ListObjectsV2", "GetObject", "PutObject", "HeadObject")
#: Where the 3 throttles land: the first FSx calls of the run (resolving the file system), or the task's describes
#: once the export runs (the export succeeds; only the wait sees throttles).
THROTTLE_SCENARIOS = {"first_fsx_calls": None, "task_describes": "DescribeDataRepositoryTasks"}


def write_tree(root):
    """200 files of a few KiB in a DayOA-like layout."""
    for index in range(FILES):
        path = root / f"results/day/hg38/S{index % 20:02d}/file{index:03d}.tsv"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(512 + 37 * index))


def _receipt(output_dir):
    found = sorted(Path(output_dir).rglob("fsx_export.yaml"))
    if not found:
        return {}
    return (yaml.safe_load(found[0].read_text(encoding="utf-8")) or {}).get("fsx_export") or {}


def _exported(s3, bucket, prefix):
    keys = set()
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys.update(item["Key"][len(prefix) :] for item in page.get("Contents") or [])
    return len([key for key in keys if key.startswith("results/")])


def _run_dayec(cluster, analysis, destination, output_dir):
    command = [
        str(DAYEC),
        "export",
        "--cluster-name",
        cluster["cluster_name"],
        "--source-path",
        f"/fsx/analysis_results/{ENTITY}/{analysis}",
        "--destination-s3-uri",
        destination,
        "--region",
        cluster["region"],
        "--output-dir",
        str(output_dir),
    ]
    env = dict(os.environ)
    env.pop("AWS_PROFILE", None)
    process = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600, check=False)
    return process.returncode, (process.stdout + process.stderr)[-2000:], None


def _run_ours(cluster, analysis, destination, output_dir):
    from testlib.playbooks import OPERATOR_PLAYBOOKS  # noqa: PLC0415
    from testlib.playbooks import run_playbook  # noqa: PLC0415

    run = run_playbook(
        str(OPERATOR_PLAYBOOKS / "export.yml"),
        {
            "cluster_name": cluster["cluster_name"],
            "fsx_mount_point": cluster["fsx_mount"],
            "export_executing_entity": ENTITY,
            "export_analysis_id": analysis,
            "export_destination_s3_uri": destination,
            "export_output_dir": str(output_dir),
            "export_poll_interval": 1,
        },
    )
    return run.rc, run.failures()[-2000:] if run.rc else "", _task_seconds(run.report)


def _task_seconds(report):
    """{task name: seconds} of a json-callback report: where the wall time of the playbook goes."""
    from datetime import datetime  # noqa: PLC0415

    seconds = {}
    for play in report.get("plays", []):
        for task in play.get("tasks", []):
            duration = task["task"].get("duration") or {}
            if duration.get("start") and duration.get("end"):
                start, end = (datetime.fromisoformat(duration[key].replace("Z", "+00:00")) for key in ("start", "end"))
                name = task["task"]["name"]
                seconds[name] = seconds.get(name, 0.0) + (end - start).total_seconds()
    return seconds


def _measure(tool, runner, cluster, control, s3, scratch, analysis, throttles=0, operation=None):
    root = Path(cluster["fsx_mount"]) / "analysis_results" / ENTITY / analysis
    write_tree(root)
    bucket = cluster["buckets"][1]
    prefix = f"derived/{ENTITY}/{analysis}/"
    output_dir = scratch / f"{tool}-{analysis}"
    output_dir.mkdir()
    control.clear_faults()
    control.clear_audit()
    if throttles:
        control.inject_fault("fsx", operation=operation, count=throttles)
    start = time.perf_counter()
    rc, log, task_seconds = runner(cluster, analysis, f"s3://{bucket}/{prefix}", output_dir)
    elapsed = time.perf_counter() - start
    audit = control.audit()
    control.clear_faults()
    receipt = _receipt(output_dir)
    exported = _exported(s3, bucket, prefix)
    return {
        "rc": rc,
        "seconds": elapsed,
        "aws_calls": len(audit),
        "calls": count_calls(audit),
        "calls_beyond_verification": sum(
            count for operation, count in count_calls(audit).items() if operation not in VERIFICATION_CALLS
        ),
        "throttled_calls": len([entry for entry in audit if "fault" in entry]),
        "receipt_status": receipt.get("status"),
        "receipt_verified": receipt.get("verified"),
        "files_in_s3": exported,
        "all_files_in_s3": exported == FILES,
        "log_tail": log if rc else "",
        "task_seconds": task_seconds,
    }


def _ends_verified(result, tool):
    """Our receipt says verified: true; DayEC's receipt has no such field, its success is status: success."""
    if tool == "ours":
        return result["rc"] == 0 and result["receipt_verified"] is True and result["all_files_in_s3"]
    return result["rc"] == 0 and result["receipt_status"] == "success" and result["all_files_in_s3"]


def bench_dayec(scratch):
    import boto3  # noqa: PLC0415

    from sandbox.seed import seed_cluster  # noqa: PLC0415

    scratch = Path(scratch)
    have_dayec = DAYEC.exists()
    results = {}
    with sandbox(scratch) as (_server, control):
        cluster = seed_cluster(control=control)
        s3 = boto3.client("s3", region_name=cluster["region"])
        tools = [("ours", _run_ours)] + ([("dayec", _run_dayec)] if have_dayec else [])
        for tool, runner in tools:
            results[tool] = _measure(tool, runner, cluster, control, s3, scratch, f"{tool}-clean")
            for scenario, operation in THROTTLE_SCENARIOS.items():
                results[f"{tool}_throttled_{scenario}"] = _measure(
                    tool, runner, cluster, control, s3, scratch, f"{tool}-{scenario}", THROTTLES, operation
                )
    ours, dayec = results["ours"], results.get("dayec")
    note = "DayEC 5.1.5 (.venv-dayec)" if have_dayec else "DayEC not installed: run `make dayec-venv`"
    details = dict(results, files=FILES, throttles=THROTTLES, dayec_installed=have_dayec)
    verified = {
        tool: sum(_ends_verified(results[f"{tool}_throttled_{scenario}"], tool) for scenario in THROTTLE_SCENARIOS)
        for tool in ("ours", "dayec")
        if tool in results
    }
    return rows_against(
        note,
        details,
        (
            "7a export of 200 files, wall time",
            "s",
            ours["seconds"],
            dayec["seconds"] if dayec else None,
            "ours <= 5 s",
            ours["seconds"] <= 5,
        ),
        (
            "7b export of 200 files, AWS calls",
            "calls",
            ours["aws_calls"],
            dayec["aws_calls"] if dayec else None,
            "no more than DayEC beyond verification",
            (ours["calls_beyond_verification"] <= dayec["calls_beyond_verification"]) if dayec else None,
        ),
        (
            f"7c verified under {THROTTLES} FSx throttles",
            f"runs of {len(THROTTLE_SCENARIOS)} verified",
            verified["ours"],
            verified["dayec"] if dayec else None,
            f"ours {len(THROTTLE_SCENARIOS)} of {len(THROTTLE_SCENARIOS)}",
            verified["ours"] == len(THROTTLE_SCENARIOS),
        ),
    )
