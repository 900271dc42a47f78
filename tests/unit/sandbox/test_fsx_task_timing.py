"""The sandbox's timed data repository tasks (tests/sandbox/fsx.py, control route fsx-task-timing): a task runs for
a set time on the sandbox's clock, showing its counts and LastUpdatedTime advance evenly as a running AWS export
does, and the clock can be moved on for a client that simulates its waits (the wait benchmark, row 4)."""

import datetime
from pathlib import Path

import pytest

BUCKET = "dayec-sandbox-timing"
PREFIX = "exports/results"
FILES = 10


@pytest.fixture
def fs_id(fsx, s3, sandbox):
    fs_id = fsx.create_file_system(
        FileSystemType="LUSTRE",
        StorageCapacity=1200,
        SubnetIds=["subnet-0123456789abcdef0"],
        LustreConfiguration={"DeploymentType": "PERSISTENT_2"},
    )["FileSystem"]["FileSystemId"]
    fsx.create_data_repository_association(
        FileSystemId=fs_id, FileSystemPath="/results", DataRepositoryPath=f"s3://{BUCKET}/{PREFIX}"
    )
    root = Path(sandbox.info()["fsx_root"]) / fs_id / "results"
    root.mkdir(parents=True)
    for index in range(FILES):
        (root / f"f{index}.txt").write_bytes(b"x")
    return fs_id


def start_timed_export(fsx, sandbox, fs_id, seconds):
    sandbox.call("POST", "fsx-task-timing", {"seconds": seconds, "count": 1})
    return fsx.create_data_repository_task(
        FileSystemId=fs_id, Type="EXPORT_TO_REPOSITORY", Paths=["/results"], Report={"Enabled": False}
    )["DataRepositoryTask"]


def describe(fsx, task_id):
    return fsx.describe_data_repository_tasks(TaskIds=[task_id])["DataRepositoryTasks"][0]


def test_a_timed_task_executes_with_even_progress_and_succeeds_once_its_time_is_up(fsx, s3, sandbox, fs_id):
    task = start_timed_export(fsx, sandbox, fs_id, 1000)
    first = describe(fsx, task["TaskId"])
    assert first["Lifecycle"] == "EXECUTING" and first["Status"]["TotalCount"] == FILES
    assert first["Status"]["SucceededCount"] == 0

    sandbox.call("POST", "fsx-task-timing", {"advance": 450})
    halfway = describe(fsx, task["TaskId"])
    assert halfway["Lifecycle"] == "EXECUTING" and halfway["Status"]["SucceededCount"] == 4
    # the count changed 400 s after the start: that is when the 4th file was done at this pace
    assert halfway["Status"]["LastUpdatedTime"] - halfway["StartTime"] == datetime.timedelta(seconds=400)
    assert not s3.list_objects_v2(Bucket=BUCKET, Prefix=PREFIX).get("Contents")

    sandbox.call("POST", "fsx-task-timing", {"advance": 600})
    ended = describe(fsx, task["TaskId"])
    assert ended["Lifecycle"] == "SUCCEEDED" and ended["Status"]["SucceededCount"] == FILES
    assert len(s3.list_objects_v2(Bucket=BUCKET, Prefix=PREFIX)["Contents"]) == FILES


def test_clearing_the_timing_puts_the_clock_back_and_leaves_later_tasks_to_the_lifecycle_model(fsx, sandbox, fs_id):
    sandbox.call("POST", "fsx-task-timing", {"advance": 3600})
    assert sandbox.call("DELETE", "fsx-task-timing") == {"timed_tasks": [], "clock_offset": 0.0}
    task = fsx.create_data_repository_task(
        FileSystemId=fs_id, Type="EXPORT_TO_REPOSITORY", Paths=["/results"], Report={"Enabled": False}
    )["DataRepositoryTask"]
    assert describe(fsx, task["TaskId"])["Lifecycle"] == "SUCCEEDED"  # the default: immediate
    assert abs(task["CreationTime"] - datetime.datetime.now(datetime.UTC)) < datetime.timedelta(minutes=5)
