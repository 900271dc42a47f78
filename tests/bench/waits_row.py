"""Row 4: how soon an export wait notices that the task ended, and how many describes it costs.

A real export task of the sandbox runs on the sandbox's clock (the fsx-task-timing control route): EXECUTING for
the simulated duration with its file counts and LastUpdatedTime advancing evenly, as AWS shows a running export,
then SUCCEEDED on the first describe after its end, so the completion instant is exact. The clock is simulated: the
describes are real calls to the sandbox, each sleep between them is counted, not slept, and moves the sandbox's
clock on by as much, so a 20-minute task takes a second. The end is noticed when the describe that shows it is sent
(the sandbox copies the files while answering it, which AWS does in the background).

Ours is what roles/export does: fsx_export_task waits up to wait_seconds=export_poll_interval (30 s) after the create
(the same wait_for_tasks), then fsx_data_repository_task_info with the same wait_seconds runs in an ``until:`` loop
(the module's own list_tasks, run again until the task has ended). The baseline is the role before
it: one describe every 30 s. "Describes per minute" is given two ways: the most describes in any 60 s of the wait
(the row's target: a wait shorter than a minute may make 6), and describes per minute averaged over the wait (the
target for waits of a minute or more; for a 10 s task it is shown without a target: the average extrapolates its
3 describes to a minute that never happens, and no schedule could keep it at 6 while noticing the end within a
second, which allows one describe in 10 s).
"""

from __future__ import annotations

import datetime
import time
from pathlib import Path

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx import waits
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.tasks import describe_task
from ansible_collections.daylily.ephemeral_cluster.plugins.modules.fsx_data_repository_task_info import list_tasks
from bench.common import rows_against
from bench.common import sandbox

#: Simulated task durations (seconds).
CASES = (10, 120, 1200)
#: Each case runs at these multiples of its duration: where the completion falls between two polls changes the lag
#: (10 s, 10.3 s, 10.6 s, 10.9 s; 120 s, 123.6 s, ...), and round numbers would flatter a constant schedule.
STRETCHES = (1.0, 1.03, 1.06, 1.09)
POLL_INTERVAL = 30  # roles/export's export_poll_interval default: the baseline's delay and ours' wait_seconds
#: Files in the exported directory (a DayOA analysis directory holds thousands): its counts advance in 1/1200 steps.
FILES = 1200
WINDOW = 60


class SimulatedClock:
    """Seconds since creation: real time spent in calls plus simulated sleeps, which return at once and move the
    sandbox's clock on by as much. ``now()`` is the matching UTC time, the sandbox's clock."""

    def __init__(self, control):
        self.control = control
        control.call("DELETE", "fsx-task-timing")  # the sandbox's clock back to real time
        self.origin, self.wall = time.monotonic(), datetime.datetime.now(datetime.UTC)
        self.slept = 0.0

    def __call__(self):
        return time.monotonic() - self.origin + self.slept

    def now(self):
        return self.wall + datetime.timedelta(seconds=self())

    def sleep(self, seconds):
        if seconds > 0:
            self.control.call("POST", "fsx-task-timing", {"advance": seconds})
            self.slept += seconds


def _export_association(fsx, cluster):
    """(FSx path, S3 destination) of the export association every measured task runs in, with FILES files."""
    path, destination = "/analysis_results/bench/wait", f"s3://{cluster['buckets'][1]}/derived/bench/wait/"
    root = Path(cluster["fsx_mount"]) / path.lstrip("/")
    root.mkdir(parents=True, exist_ok=True)
    for index in range(FILES):
        (root / f"file{index:03d}.tsv").write_bytes(b"x" * (64 + index))
    fsx.create_data_repository_association(
        FileSystemId=cluster["file_system_id"],
        FileSystemPath=path,
        DataRepositoryPath=destination,
        BatchImportMetaDataOnCreate=False,
    )
    return path, destination


def _export_task(fsx, control, file_system_id, association, seconds):
    """A new export task that runs ``seconds`` on the sandbox's clock."""
    path, destination = association
    control.call("POST", "fsx-task-timing", {"seconds": seconds, "count": 1})
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


def _role_wait(fsx, task, clock):
    """roles/export's wait: fsx_export_task's wait_seconds=POLL_INTERVAL after the create (describing at its end),
    then, unless the task has ended, task_info with wait_seconds=POLL_INTERVAL again until it has."""
    (task,) = waits.wait_for_tasks(
        [task],
        lambda: [describe_task(fsx, task["TaskId"])],
        POLL_INTERVAL,
        clock.sleep,
        clock,
        clock.now,
        describe_at_end=True,
    )
    if task["Lifecycle"] in waits.TASK_TERMINAL_LIFECYCLES:
        return task["Lifecycle"]
    params = {
        "task_ids": [task["TaskId"]],
        "file_system_id": task["FileSystemId"],
        "cluster_name": None,
        "lifecycle": None,
        "association_id": None,
        "type": None,
        "paths": None,
        "mount_point": "/fsx",
        "wait_seconds": POLL_INTERVAL,
    }
    while True:
        _fs, tasks = list_tasks(fsx, params, sleep=clock.sleep, clock=clock, now=clock.now)
        if tasks[0]["lifecycle"] in waits.TASK_TERMINAL_LIFECYCLES:
            return tasks[0]["lifecycle"]


def _constant_wait(fsx, task, clock):
    """The role before: task_info in an ``until:`` loop, one describe at once and then every POLL_INTERVAL seconds."""
    deadline = waits.Deadline(10**6, POLL_INTERVAL, sleep=clock.sleep, clock=clock)
    ended = waits.wait_until(
        describe_task(fsx, task["TaskId"]),
        lambda current: current["Lifecycle"] in waits.TASK_TERMINAL_LIFECYCLES,
        lambda current: describe_task(fsx, current["TaskId"]),
        deadline,
        RuntimeError,
    )
    return ended["Lifecycle"]


def _most_in_window(times):
    return max(sum(1 for other in times if start <= other < start + WINDOW) for start in times) if times else 0


def _measure(fsx, control, cluster, association, seconds, wait):
    """Notice lag, describes, the most describes in any WINDOW seconds, and seconds waited, all simulated."""
    clock = SimulatedClock(control)
    times = []

    def count(**_kwargs):
        times.append(clock())

    fsx.meta.events.register("before-call.fsx.DescribeDataRepositoryTasks", count)
    try:
        created = clock()
        task = _export_task(fsx, control, cluster["file_system_id"], association, seconds)
        lifecycle = wait(fsx, task, clock)
        noticed = times[-1]  # the describe that saw the end was sent then (answering it ran the task's work)
    finally:
        fsx.meta.events.unregister("before-call.fsx.DescribeDataRepositoryTasks", count)
    if lifecycle != "SUCCEEDED":
        raise SystemExit(f"wait bench: the task ended {lifecycle}")
    waited = noticed - created
    return {
        "lag": noticed - (created + seconds),
        "describes": len(times),
        "most_in_window": _most_in_window(times),
        "per_minute": len(times) / (waited / 60),
    }


def _summary(seconds, runs):
    return {
        "notice_lag_s": max(run["lag"] for run in runs),
        "notice_lag_mean_s": sum(run["lag"] for run in runs) / len(runs),
        "all_within_allowed": all(
            run["lag"] <= max(1.0, 0.1 * seconds * stretch) for stretch, run in zip(STRETCHES, runs, strict=True)
        ),
        "describes": [run["describes"] for run in runs],
        "most_describes_in_60_s": max(run["most_in_window"] for run in runs),
        "describes_per_minute": max(run["per_minute"] for run in runs),
    }


def bench_waits(scratch):
    import boto3  # noqa: PLC0415

    from sandbox.seed import seed_cluster  # noqa: PLC0415

    rows = []
    baseline_name = f"constant {POLL_INTERVAL} s polls (the role before)"
    with sandbox(Path(scratch)) as (_server, control):
        cluster = seed_cluster(control=control)
        fsx = boto3.client("fsx", region_name=cluster["region"])
        association = _export_association(fsx, cluster)
        for seconds in CASES:
            measured = {}
            for schedule, wait in (("constant", _constant_wait), ("role", _role_wait)):
                runs = [_measure(fsx, control, cluster, association, seconds * stretch, wait) for stretch in STRETCHES]
                measured[schedule] = _summary(seconds, runs)
            ours, base = measured["role"], measured["constant"]
            label = f"{seconds // 60} min" if seconds >= 60 else f"{seconds} s"
            details = {
                "task_s": seconds,
                "stretches": STRETCHES,
                "allowed_lag_s": max(1.0, 0.1 * seconds),
                "files": FILES,
                **measured,
            }
            rows += rows_against(
                baseline_name,
                details,
                (
                    f"4 wait notice lag, {label} task",
                    "s",
                    ours["notice_lag_s"],
                    base["notice_lag_s"],
                    "<= max(1 s, 10% of the task)",
                    ours["all_within_allowed"],
                ),
                (
                    f"4 wait most describes in any 60 s, {label} task",
                    "calls",
                    ours["most_describes_in_60_s"],
                    base["most_describes_in_60_s"],
                    "<= 6",
                    ours["most_describes_in_60_s"] <= 6,
                ),
                (
                    f"4 wait describes/min averaged over the wait, {label} task",
                    "calls/min",
                    ours["describes_per_minute"],
                    base["describes_per_minute"],
                    # A wait shorter than a minute makes its calls within one minute: the row above holds it to 6.
                    "<= 6" if seconds >= 60 else "",
                    ours["describes_per_minute"] <= 6 if seconds >= 60 else None,
                ),
            )
    return rows
