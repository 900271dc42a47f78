"""fsx_data_repository_task_info's wait_seconds: one module run waits for the listed tasks to end, describing them
again shortly before the end their pace predicts, and returns early once they ended or sleeps out the budget.

main() runs for real with a botocore FSx client in Stubber (requests checked against the API model); the wait's time
functions (module_utils/_fsx/waits.py's ``time`` and ``utc_now``) are a fake clock, so nothing sleeps.
"""

import datetime

import pytest

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx import waits
from ansible_collections.daylily.ephemeral_cluster.plugins.modules import fsx_data_repository_task_info
from testlib.clock import FakeClock
from testlib.fsx_api import FS_ID
from testlib.fsx_api import REGION
from testlib.fsx_items import data_repository_task
from testlib.fsx_items import task_status
from testlib.modules import execute_module

CONNECTION = {"region": REGION, "access_key": "testing", "secret_key": "testing"}
T0 = datetime.datetime(2026, 1, 31, 12, 0, tzinfo=datetime.UTC)
TASK_ID = "task-00000000000000001"


def at(seconds):
    return T0 + datetime.timedelta(seconds=seconds)


def export(lifecycle, done, updated):
    """Task 1 started at T0 with 100 files, ``done`` of them as of T0 + ``updated``."""
    return data_repository_task(1, lifecycle, status=task_status(100, done, 0, updated=at(updated)), StartTime=T0)


@pytest.fixture
def clock(monkeypatch):
    """The wait's clock, 20 s after the task started."""
    fake = FakeClock(now=20)
    monkeypatch.setattr(waits, "time", fake)
    monkeypatch.setattr(waits, "utc_now", lambda: at(fake()))
    return fake


def expect_describe(stubber, task):
    stubber.add_response(
        "describe_data_repository_tasks",
        {"DataRepositoryTasks": [task]},
        {"TaskIds": [TASK_ID], "Filters": [{"Name": "file-system-id", "Values": [FS_ID]}]},
    )


def run(capsys, **args):
    params = dict(CONNECTION, file_system_id=FS_ID, task_ids=[TASK_ID], **args)
    return execute_module(capsys, fsx_data_repository_task_info.main, params)


def test_wait_seconds_describes_again_just_before_the_predicted_end_and_returns_once_it_ended(fsx, clock, capsys):
    stubber = fsx[0]
    expect_describe(stubber, export("EXECUTING", 80, updated=20))  # 80 of 100 in 20 s: the end in 5 s
    expect_describe(stubber, export("EXECUTING", 98, updated=24.5))
    expect_describe(stubber, export("SUCCEEDED", 100, updated=25))

    rc, result = run(capsys, wait_seconds=30)

    assert rc == 0 and result["changed"] is False
    assert result["tasks"][0]["lifecycle"] == "SUCCEEDED"
    assert result["progress"] == f"{TASK_ID} SUCCEEDED: 100 of 100 files done, 0 failed"
    assert clock.sleeps == [pytest.approx(4.5), pytest.approx(1)]
    stubber.assert_no_pending_responses()


def test_wait_seconds_sleeps_out_the_budget_and_returns_the_last_state_without_another_describe(fsx, clock, capsys):
    stubber = fsx[0]
    expect_describe(stubber, export("EXECUTING", 10, updated=20))  # 10 of 100 in 20 s: 180 s to go

    rc, result = run(capsys, wait_seconds=25)

    assert rc == 0 and result["tasks"][0]["lifecycle"] == "EXECUTING"
    assert clock.sleeps == [25]
    stubber.assert_no_pending_responses()


def test_without_wait_seconds_the_module_describes_once(fsx, clock, capsys):
    stubber = fsx[0]
    expect_describe(stubber, export("EXECUTING", 10, updated=20))

    rc, result = run(capsys)

    assert rc == 0 and result["tasks"][0]["lifecycle"] == "EXECUTING" and clock.sleeps == []
    stubber.assert_no_pending_responses()


def test_negative_wait_seconds_is_refused_before_any_call(fsx, clock, capsys):
    rc, result = run(capsys, wait_seconds=-1)

    assert rc == 1 and "wait_seconds must be zero or positive" in result["msg"]
    assert fsx[0].assert_no_pending_responses() is None and clock.sleeps == []
