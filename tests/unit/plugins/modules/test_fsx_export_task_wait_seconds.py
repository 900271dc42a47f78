"""fsx_export_task's wait_seconds (with wait=false): after the create it waits up to that long for the task to end on
the task schedule (module_utils/_fsx/waits.py), describing it once more at the end of the budget, and returns its
state without failing when it has not ended, so roles/export skips its separate wait for a small export.

main() runs for real with a botocore FSx client in Stubber (requests checked against the API model, in order); the
module's clock and the wait's UTC clock are one fake clock starting when the task was created.
"""

import datetime

import pytest

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx import waits
from ansible_collections.daylily.ephemeral_cluster.plugins.modules import fsx_export_task
from testlib import fsx_api
from testlib.clock import FakeClock
from testlib.fsx_items import data_repository_task
from testlib.fsx_items import task_status
from testlib.modules import execute_module

REGION = "us-west-2"
FS_ID = "fs-0123456789abcdef0"
PREFIX = "s3://dayec-analysis/derived/e1/a1/"
REPORT = PREFIX + "_daylily_monitor/fsx-export/20260131T120000Z/export-report/"
FS_FILTER = {"Filters": [{"Name": "file-system-id", "Values": [FS_ID]}]}
ARGS = {
    "region": REGION,
    "access_key": "testing",
    "secret_key": "testing",
    "file_system_id": FS_ID,
    "paths": ["/fsx/analysis_results/e1/a1"],
    "report_path": REPORT,
    "wait": False,
}


def task(lifecycle, done=0, updated=0.0):
    """Task 9, created at fsx_api.CREATED, started then, 100 files with ``done`` as of ``updated`` seconds later."""
    return data_repository_task(
        9,
        lifecycle,
        paths=("analysis_results/e1/a1",),
        report=REPORT,
        status=task_status(100, done, 0, updated=fsx_api.CREATED + datetime.timedelta(seconds=updated)),
        StartTime=fsx_api.CREATED,
    )


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(fsx_export_task, "time", fake)
    monkeypatch.setattr(waits, "utc_now", lambda: fsx_api.CREATED + datetime.timedelta(seconds=fake()))
    return fake


def expect_create_then_describes(stubber, *described):
    stubber.add_response(
        "describe_data_repository_associations",
        {"Associations": [fsx_api.association(1, path="/analysis_results/e1/a1/", uri=PREFIX, batch_import=False)]},
        FS_FILTER,
    )
    stubber.add_response("describe_data_repository_tasks", {"DataRepositoryTasks": []}, FS_FILTER)
    stubber.add_response("create_data_repository_task", {"DataRepositoryTask": task("PENDING")}, None)
    for item in described:
        stubber.add_response(
            "describe_data_repository_tasks", {"DataRepositoryTasks": [item]}, {"TaskIds": ["task-00000000000000009"]}
        )


def test_a_small_export_that_ends_within_wait_seconds_is_returned_ended(fsx, clock, capsys):
    stubber = fsx[0]
    expect_create_then_describes(stubber, task("EXECUTING", 50, updated=1), task("SUCCEEDED", 100, updated=2))

    rc, result = execute_module(capsys, fsx_export_task.main, dict(ARGS, wait_seconds=30))

    assert rc == 0 and result["changed"] is True and result["task_lifecycle"] == "SUCCEEDED"
    assert clock.sleeps == [1, 1]  # 1 s after the create; then the pace (50 of 100 in 1 s) predicts 1 s more
    stubber.assert_no_pending_responses()


def test_an_export_still_running_after_wait_seconds_is_described_at_the_end_and_returned_running(fsx, clock, capsys):
    stubber = fsx[0]
    expect_create_then_describes(stubber, task("EXECUTING", 1, updated=1), task("EXECUTING", 2, updated=2))

    rc, result = execute_module(capsys, fsx_export_task.main, dict(ARGS, wait_seconds=2))

    assert rc == 0 and result["task_lifecycle"] == "EXECUTING" and result["succeeded_count"] == 2
    assert clock.sleeps == [1, 1]  # the second pause is what is left of the budget, then the last describe
    stubber.assert_no_pending_responses()


def test_a_failed_export_within_wait_seconds_fails_the_module_unless_told_not_to(fsx, clock, capsys):
    stubber = fsx[0]
    failed = dict(
        task("FAILED", 90, updated=1), FailureDetails={"Message": "The task failed to process 10 of 100 files."}
    )
    expect_create_then_describes(stubber, failed)

    rc, result = execute_module(capsys, fsx_export_task.main, dict(ARGS, wait_seconds=30, fail_on_task_failure=False))

    assert rc == 0 and result["task_lifecycle"] == "FAILED"
    assert result["failure_details"] == {"message": "The task failed to process 10 of 100 files."}


def test_without_wait_seconds_wait_false_returns_at_once(fsx, clock, capsys):
    stubber = fsx[0]
    expect_create_then_describes(stubber)

    rc, result = execute_module(capsys, fsx_export_task.main, ARGS)

    assert rc == 0 and result["task_lifecycle"] == "PENDING" and clock.sleeps == []
    stubber.assert_no_pending_responses()


def test_check_mode_does_not_wait(fsx, clock, capsys):
    stubber = fsx[0]
    stubber.add_response(
        "describe_data_repository_associations",
        {"Associations": [fsx_api.association(1, path="/analysis_results/e1/a1/", uri=PREFIX, batch_import=False)]},
        FS_FILTER,
    )
    stubber.add_response("describe_data_repository_tasks", {"DataRepositoryTasks": []}, FS_FILTER)

    rc, result = execute_module(capsys, fsx_export_task.main, dict(ARGS, wait_seconds=30), check_mode=True)

    assert rc == 0 and result["changed"] is True and result["task_id"] is None and clock.sleeps == []
    stubber.assert_no_pending_responses()


def test_negative_wait_seconds_is_refused_before_any_call(fsx, clock, capsys):
    rc, result = execute_module(capsys, fsx_export_task.main, dict(ARGS, wait_seconds=-5))

    assert rc == 1 and "wait_seconds must be zero or positive" in result["msg"]
