"""Row 4: how soon an export wait notices that the task ended, and how many describes a minute it costs.

A real export task in the sandbox is held PENDING (lifecycle progression "manual" that never advances) and released
at the simulated completion time (progression "immediate": the next describe shows SUCCEEDED), so the completion
instant is exact. The wait is the FSx modules' own loop (``_fsx/waits.py`` with ``describe_task``) on a simulated
clock: the describes are real calls to the sandbox, the sleeps between them are counted, not slept, so a 20-minute
task takes a second. Two schedules: today's module and role default (one describe every 30 s), and the
growing schedule (1 s, then a tenth of the time waited, at most 30 s).
"""

from __future__ import annotations

import time
from pathlib import Path

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx import waits
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.tasks import describe_task
from bench.common import Row
from bench.common import sandbox

#: Simulated task durations (seconds).
CASES = (10, 120, 1200)
#: Each case runs at these multiples of its duration: where the completion falls between two polls changes the lag
#: (10 s, 10.3 s, 10.6 s, 10.9 s; 120 s, 123.6 s, ...), and round numbers would flatter a constant schedule.
STRETCHES = (1.0, 1.03, 1.06, 1.09)
POLL_INTERVAL = 30  # fsx_export_task's poll_interval and roles/export's export_poll_interval default
MIN_INTERVAL = 1
NEVER = 10**9


class SimulatedClock:
    """Seconds since creation: real time spent in calls plus simulated sleeps (which return at once). When a sleep
    crosses ``release_at``, ``release()`` runs (the task completes in the sandbox) and the exact simulated instant is
    kept in ``released``."""

    def __init__(self, release_at, release):
        self.origin = time.monotonic()
        self.slept = 0.0
        self.release_at, self.release = release_at, release
        self.released = None

    def __call__(self):
        return time.monotonic() - self.origin + self.slept

    def sleep(self, seconds):
        now = self()
        if self.released is None and now + seconds >= self.release_at:
            self.released = max(self.release_at, now)
            self.release()
        self.slept += seconds


def _export_association(fsx, file_system_id, bucket):
    """(FSx path, S3 destination) of the export association every measured task runs in."""
    path, destination = "/analysis_results/bench/wait", f"s3://{bucket}/derived/bench/wait/"
    fsx.create_data_repository_association(
        FileSystemId=file_system_id,
        FileSystemPath=path,
        DataRepositoryPath=destination,
        BatchImportMetaDataOnCreate=False,
    )
    return path, destination


def _export_task(fsx, control, file_system_id, association):
    """A new export task, held PENDING until released."""
    path, destination = association
    control.call("POST", "lifecycle", {"model": "fsx::task", "progression": "manual", "times": NEVER})
    return fsx.create_data_repository_task(
        Type="EXPORT_TO_REPOSITORY",
        FileSystemId=file_system_id,
        Paths=[path],
        Report={
            "Enabled": True,
            "Path": destination + "_reports",
            "Format": "REPORT_CSV_20191124",
            "Scope": "FAILED_FILES_ONLY",
        },
    )["DataRepositoryTask"]


def _measure(fsx, control, task, seconds, min_interval):
    """(notice lag, describes, seconds waited) of one wait, in simulated seconds."""
    clock = SimulatedClock(
        seconds, lambda: control.call("POST", "lifecycle", {"model": "fsx::task", "progression": "immediate"})
    )
    control.clear_audit()
    deadline = waits.Deadline(
        4 * seconds + 60, POLL_INTERVAL, sleep=clock.sleep, clock=clock, min_interval=min_interval
    )
    ended = waits.wait_until(
        task,
        lambda current: current["Lifecycle"] == "SUCCEEDED",
        lambda current: describe_task(fsx, current["TaskId"]),
        deadline,
        RuntimeError,
    )
    noticed = clock()
    if ended["Lifecycle"] != "SUCCEEDED" or clock.released is None:
        raise SystemExit(f"wait bench: the task ended {ended['Lifecycle']} before it was released")
    describes = len(control.calls("DescribeDataRepositoryTasks", "fsx"))
    return noticed - clock.released, describes, noticed


def bench_waits(scratch):
    import boto3  # noqa: PLC0415

    from sandbox.seed import seed_cluster  # noqa: PLC0415

    rows = []
    with sandbox(Path(scratch)) as (_server, control):
        cluster = seed_cluster(control=control)
        fsx = boto3.client("fsx", region_name=cluster["region"])
        association = _export_association(fsx, cluster["file_system_id"], cluster["buckets"][1])
        for seconds in CASES:
            measured = {}
            for schedule, min_interval in (("constant", None), ("growing", MIN_INTERVAL)):
                runs = []
                for stretch in STRETCHES:
                    task = _export_task(fsx, control, cluster["file_system_id"], association)
                    runs.append(_measure(fsx, control, task, seconds * stretch, min_interval))
                measured[schedule] = {
                    "notice_lag_s": max(lag for lag, _describes, _waited in runs),
                    "notice_lag_mean_s": sum(lag for lag, _describes, _waited in runs) / len(runs),
                    "all_within_allowed": all(
                        lag <= max(1.0, 0.1 * seconds * stretch)
                        for stretch, (lag, _describes, _waited) in zip(STRETCHES, runs, strict=True)
                    ),
                    "describes": [describes for _lag, describes, _waited in runs],
                    "describes_per_minute": max(describes / (waited / 60) for _lag, describes, waited in runs),
                }
            allowed = max(1.0, 0.1 * seconds)
            ours, base = measured["growing"], measured["constant"]
            label = f"{seconds // 60} min" if seconds >= 60 else f"{seconds} s"
            details = {"task_s": seconds, "stretches": STRETCHES, "allowed_lag_s": allowed, **measured}
            rows.append(
                Row(
                    f"4 wait notice lag, {label} task",
                    "s",
                    ours["notice_lag_s"],
                    base["notice_lag_s"],
                    f"constant {POLL_INTERVAL} s polls (module/role default)",
                    target="<= max(1 s, 10% of the task)",
                    met=ours["all_within_allowed"],
                    details=details,
                )
            )
            rows.append(
                Row(
                    f"4 wait describes/min, {label} task",
                    "calls/min",
                    ours["describes_per_minute"],
                    base["describes_per_minute"],
                    f"constant {POLL_INTERVAL} s polls (module/role default)",
                    target="<= 6",
                    met=ours["describes_per_minute"] <= 6,
                    details=details,
                )
            )
    return rows
