"""Unit tests for plugins/modules/fsx_export_task.py.

main() runs for real (argument parsing, check mode, diff, exit_json/fail_json) with patch_module_args; only the client
is intercepted: DaylilyAWSModule.client returns a real botocore FSx client in Stubber (every request validated against
the API model, in order) inside amazon.aws's RetryingBotoClientWrapper with the production retry codes and no back-off.
Time is a fake clock, so waits and timeouts are exact and instant.
"""

import datetime
import re

import pytest

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import paths
from ansible_collections.daylily.ephemeral_cluster.plugins.modules import fsx_export_task
from testlib import fsx_api
from testlib.clock import FakeClock
from testlib.fsx_items import data_repository_task
from testlib.fsx_items import file_system
from testlib.fsx_items import task_status
from testlib.modules import execute_module

REGION = "us-west-2"
FS_ID = "fs-0123456789abcdef0"
CONNECTION = {"region": REGION, "access_key": "testing", "secret_key": "testing"}
T0 = datetime.datetime(2026, 1, 31, 12, 0, tzinfo=datetime.UTC)
SOURCE = "/analysis_results/e1/a1/"
WIRE = "analysis_results/e1/a1"
PREFIX = "s3://dayec-analysis/derived/e1/a1/"
REPORT = PREFIX + "_daylily_monitor/fsx-export/20260131T120000Z/export-report/"
REPORT_CONFIG = {"Enabled": True, "Path": REPORT, "Format": "REPORT_CSV_20191124", "Scope": "FAILED_FILES_ONLY"}
FS_FILTER = {"Filters": [{"Name": "file-system-id", "Values": [FS_ID]}]}
DRA_ID = "dra-00000000000000001"
DRAS = "describe_data_repository_associations"
TASKS = "describe_data_repository_tasks"
CREATE = "create_data_repository_task"
ARGS = {"file_system_id": FS_ID, "paths": ["/fsx/analysis_results/e1/a1"], "report_path": REPORT, "poll_interval": 5}


def association(path=SOURCE, prefix=PREFIX, lifecycle="AVAILABLE", n=1):
    return fsx_api.association(n, path=path, uri=prefix, lifecycle=lifecycle, batch_import=False)


REFERENCES = association("/references/", "s3://dayec-reference/", n=2)


def task(n, lifecycle, paths_=(WIRE,), report=REPORT, counts=(0, 0, 0), **options):
    return data_repository_task(n, lifecycle, paths=paths_, report=report, status=task_status(*counts), **options)


def token(previous=None):
    inputs = {"file_system_id": FS_ID, "paths": [SOURCE], "report_path": REPORT}
    if previous:
        inputs["after"] = previous
    return paths.client_request_token("export-task", inputs)


def create_request(previous=None):
    return {
        "FileSystemId": FS_ID,
        "Type": "EXPORT_TO_REPOSITORY",
        "Paths": [WIRE],
        "Report": REPORT_CONFIG,
        "ClientRequestToken": token(previous),
    }


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock(now=1000.0)
    monkeypatch.setattr(fsx_export_task, "time", fake)
    return fake


def run_module(capsys, args, check_mode=False, diff=False):
    return execute_module(capsys, fsx_export_task.main, dict(CONNECTION, **args), check_mode=check_mode, diff=diff)


EXPORT_ASSOCIATIONS = (REFERENCES, association())


def expect_setup(stubber, existing=(), associations=EXPORT_ASSOCIATIONS):
    stubber.add_response(DRAS, {"Associations": list(associations)}, FS_FILTER)
    stubber.add_response(TASKS, {"DataRepositoryTasks": list(existing)}, FS_FILTER)


def expect_poll(stubber, *states):
    for item in states:
        stubber.add_response(TASKS, {"DataRepositoryTasks": [item]}, {"TaskIds": [item["TaskId"]]})


# ----------------------------------------------------------------------------------------------------------------
# Creating
# ----------------------------------------------------------------------------------------------------------------


def test_invariant_11_one_export_task_with_failed_files_report_inside_destination(fsx, clock, capsys):
    stubber = fsx[0]
    expect_setup(stubber)
    stubber.add_response(CREATE, {"DataRepositoryTask": task(9, "PENDING")}, create_request())
    expect_poll(stubber, task(9, "EXECUTING", counts=(3, 1, 0)), task(9, "SUCCEEDED", counts=(3, 3, 0)))

    rc, result = run_module(capsys, ARGS, diff=True)

    assert rc == 0, result
    assert result["changed"] is True and result["attached"] is False and result["adopted"] is False
    assert result["task_id"] == task(9, "PENDING")["TaskId"] and result["task_lifecycle"] == "SUCCEEDED"
    assert (result["total_count"], result["succeeded_count"], result["failed_count"]) == (3, 3, 0)
    assert result["report_path"] == REPORT + "task-00000000000000009/failures.csv"
    assert result["report_path"].startswith(PREFIX)
    assert result["association_id"] == DRA_ID and result["data_repository_path"] == PREFIX
    assert result["failure_details"] == {} and result["waited_for_tasks"] == []
    assert result["task"]["status"]["succeeded_count"] == 3
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"]["paths"] == [WIRE] and result["diff"]["after"]["report"]["path"] == REPORT
    assert clock.sleeps == [5, 5]


def test_polling_over_several_describes_until_succeeded(fsx, clock, capsys):
    stubber = fsx[0]
    expect_setup(stubber)
    stubber.add_response(CREATE, {"DataRepositoryTask": task(9, "PENDING")}, create_request())
    expect_poll(
        stubber,
        task(9, "PENDING"),
        task(9, "EXECUTING"),
        task(9, "EXECUTING", counts=(10, 5, 0)),
        task(9, "EXECUTING", counts=(10, 9, 0)),
        task(9, "SUCCEEDED", counts=(10, 10, 0)),
    )

    rc, result = run_module(capsys, dict(ARGS, poll_interval=2))

    assert rc == 0 and result["task_lifecycle"] == "SUCCEEDED" and result["succeeded_count"] == 10
    assert clock.sleeps == [2, 2, 2, 2, 2]


def test_wait_false_returns_the_pending_task(fsx, clock, capsys):
    stubber = fsx[0]
    expect_setup(stubber)
    stubber.add_response(CREATE, {"DataRepositoryTask": task(9, "PENDING")}, create_request())

    rc, result = run_module(capsys, dict(ARGS, wait=False))

    assert rc == 0 and result["changed"] is True and result["task_lifecycle"] == "PENDING" and clock.sleeps == []


def test_cluster_name_is_resolved_by_tag(fsx, clock, capsys):
    stubber = fsx[0]
    stubber.add_response("describe_file_systems", {"FileSystems": [file_system(FS_ID, "day-demo")]}, {})
    expect_setup(stubber)
    stubber.add_response(CREATE, {"DataRepositoryTask": task(9, "PENDING")}, create_request())

    args = dict(ARGS, wait=False, cluster_name="day-demo")
    del args["file_system_id"]
    rc, result = run_module(capsys, args)

    assert rc == 0 and result["file_system_id"] == FS_ID


def test_throttled_create_is_retried_with_the_same_token(fsx, clock, capsys):
    stubber = fsx[0]
    expect_setup(stubber)
    stubber.add_client_error(CREATE, "ThrottlingException", "Rate exceeded", 400, expected_params=create_request())
    stubber.add_client_error(CREATE, "InternalServerError", "oops", 500, expected_params=create_request())
    stubber.add_response(CREATE, {"DataRepositoryTask": task(9, "PENDING")}, create_request())

    rc, result = run_module(capsys, dict(ARGS, wait=False))

    assert rc == 0 and result["changed"] is True


def test_a_token_replaying_a_known_task_is_not_a_change(fsx, clock, capsys):
    stubber = fsx[0]
    earlier = task(9, "SUCCEEDED", report=REPORT)
    expect_setup(stubber, existing=[earlier])
    stubber.add_response(CREATE, {"DataRepositoryTask": earlier}, create_request(previous=earlier["TaskId"]))

    rc, result = run_module(capsys, dict(ARGS, adopt_succeeded=False))

    assert rc == 0 and result["changed"] is False and result["attached"] is True


# ----------------------------------------------------------------------------------------------------------------
# Re-runs: attach and adopt
# ----------------------------------------------------------------------------------------------------------------


def test_attaches_to_the_running_export_of_the_same_paths(fsx, clock, capsys):
    stubber = fsx[0]
    running = task(7, "EXECUTING", paths_=[SOURCE], report=PREFIX + "_daylily_monitor/older/")  # DayEC's path form
    expect_setup(stubber, existing=[task(1, "FAILED", minutes=-5), running])

    rc, result = run_module(capsys, dict(ARGS, wait=False), diff=True)

    assert rc == 0
    assert result["changed"] is False and result["attached"] is True and result["task_id"] == running["TaskId"]
    assert result["task_lifecycle"] == "EXECUTING"
    assert result["report_path"] == PREFIX + "_daylily_monitor/older/task-00000000000000007/failures.csv"
    assert (
        result["diff"]["before"] == result["diff"]["after"] and result["diff"]["before"]["task_id"] == running["TaskId"]
    )


def test_attached_task_is_waited_for(fsx, clock, capsys):
    stubber = fsx[0]
    expect_setup(stubber, existing=[task(7, "PENDING")])
    expect_poll(stubber, task(7, "EXECUTING"), task(7, "SUCCEEDED", counts=(2, 2, 0)))

    rc, result = run_module(capsys, ARGS)

    assert (
        rc == 0
        and result["attached"] is True
        and result["changed"] is False
        and result["task_lifecycle"] == "SUCCEEDED"
    )


def test_adopts_a_succeeded_export_whose_report_is_inside_the_prefix(fsx, clock, capsys):
    stubber = fsx[0]
    done = task(
        5, "SUCCEEDED", report=PREFIX + "_daylily_monitor/fsx-export/20260130T000000Z/export-report/", counts=(4, 4, 0)
    )
    expect_setup(stubber, existing=[done])

    rc, result = run_module(capsys, ARGS)

    assert rc == 0
    assert result["changed"] is False and result["adopted"] is True and result["attached"] is False
    assert result["task_id"] == done["TaskId"] and result["succeeded_count"] == 4 and clock.sleeps == []


def test_succeeded_export_with_a_report_outside_the_prefix_is_not_adopted(fsx, clock, capsys):
    stubber = fsx[0]
    elsewhere = task(5, "SUCCEEDED", report="s3://dayec-analysis/derived/e1/other/")
    expect_setup(stubber, existing=[elsewhere])
    stubber.add_response(
        CREATE, {"DataRepositoryTask": task(9, "PENDING")}, create_request(previous=elsewhere["TaskId"])
    )

    rc, result = run_module(capsys, dict(ARGS, wait=False))

    assert rc == 0 and result["changed"] is True and result["adopted"] is False


def test_adopt_succeeded_false_exports_again_with_a_new_token(fsx, clock, capsys):
    stubber = fsx[0]
    done = task(5, "SUCCEEDED")
    expect_setup(stubber, existing=[done])
    stubber.add_response(CREATE, {"DataRepositoryTask": task(9, "PENDING")}, create_request(previous=done["TaskId"]))

    rc, result = run_module(capsys, dict(ARGS, wait=False, adopt_succeeded=False))

    assert rc == 0 and result["changed"] is True and result["task_id"] == task(9, "PENDING")["TaskId"]


def test_rerun_after_a_failed_export_starts_a_new_task(fsx, clock, capsys):
    stubber = fsx[0]
    failed = task(5, "FAILED", failure="1 of 3 files failed")
    expect_setup(stubber, existing=[failed])
    stubber.add_response(CREATE, {"DataRepositoryTask": task(9, "PENDING")}, create_request(previous=failed["TaskId"]))

    rc, result = run_module(capsys, dict(ARGS, wait=False))

    assert rc == 0 and result["changed"] is True


# ----------------------------------------------------------------------------------------------------------------
# Other tasks on the file system
# ----------------------------------------------------------------------------------------------------------------


IMPORT = {"kind": "IMPORT_METADATA_FROM_REPOSITORY", "paths_": ["s3://dayec-reference/genomic_data/"], "report": None}


def expect_create_refused_while_executing(stubber, other):
    """The describes, then a create that FSx refuses because ``other`` is executing, then the describe that finds it."""
    expect_setup(stubber)
    stubber.add_client_error(
        CREATE, "DataRepositoryTaskExecuting", "A task is executing", 400, expected_params=create_request()
    )
    stubber.add_response(TASKS, {"DataRepositoryTasks": [other]}, FS_FILTER)


def test_task_executing_from_an_unrelated_task_waits_then_creates(fsx, clock, capsys):
    stubber = fsx[0]
    expect_create_refused_while_executing(stubber, task(3, "EXECUTING", **IMPORT))
    stubber.add_response(TASKS, {"DataRepositoryTasks": [task(3, "EXECUTING", **IMPORT)]}, FS_FILTER)
    stubber.add_response(TASKS, {"DataRepositoryTasks": [task(3, "SUCCEEDED", **IMPORT)]}, FS_FILTER)
    stubber.add_response(CREATE, {"DataRepositoryTask": task(9, "PENDING")}, create_request())

    rc, result = run_module(capsys, dict(ARGS, wait=False))

    assert rc == 0 and result["changed"] is True
    assert result["waited_for_tasks"] == [task(3, "EXECUTING")["TaskId"]]
    assert clock.sleeps == [5, 5]


def test_task_executing_without_waiting_fails_naming_the_task_and_its_paths(fsx, clock, capsys):
    stubber = fsx[0]
    expect_create_refused_while_executing(stubber, task(3, "EXECUTING", **IMPORT))

    rc, result = run_module(capsys, dict(ARGS, wait_for_other_tasks=False))

    assert rc == 1
    assert task(3, "EXECUTING")["TaskId"] in result["msg"] and "s3://dayec-reference/genomic_data/" in result["msg"]
    assert "wait_for_other_tasks" in result["msg"]
    assert result["blocking_tasks"][0]["type"] == "IMPORT_METADATA_FROM_REPOSITORY"


def test_running_unrelated_task_in_the_describe_fails_before_any_create(fsx, clock, capsys):
    stubber = fsx[0]
    other = task(4, "EXECUTING", paths_=["analysis_results/e1/a2"])
    expect_setup(stubber, existing=[other])

    rc, result = run_module(capsys, dict(ARGS, wait_for_other_tasks=False))

    assert rc == 1 and other["TaskId"] in result["msg"] and "analysis_results/e1/a2" in result["msg"]


def test_defect_12_hints_name_the_variables_a_role_sets(fsx, clock, capsys):
    other = task(4, "EXECUTING", paths_=["analysis_results/e1/a2"])
    expect_setup(fsx[0], existing=[other])
    names = {"wait_for_other_tasks": "export_wait_for_other_tasks"}

    rc, result = run_module(capsys, dict(ARGS, wait_for_other_tasks=False, option_names=names))

    assert rc == 1 and result["msg"].endswith("or set export_wait_for_other_tasks: true to wait for it")


def test_running_unrelated_task_is_waited_for_then_export_created(fsx, clock, capsys):
    stubber = fsx[0]
    other = task(4, "EXECUTING", paths_=["analysis_results/e1/a2"])
    expect_setup(stubber, existing=[other])
    stubber.add_response(TASKS, {"DataRepositoryTasks": [dict(other, Lifecycle="SUCCEEDED")]}, FS_FILTER)
    stubber.add_response(CREATE, {"DataRepositoryTask": task(9, "PENDING")}, create_request())
    expect_poll(stubber, task(9, "SUCCEEDED"))

    rc, result = run_module(capsys, ARGS)

    assert rc == 0 and result["waited_for_tasks"] == [other["TaskId"]] and result["task_lifecycle"] == "SUCCEEDED"


def test_waiting_for_another_task_is_bounded_by_wait_timeout(fsx, clock, capsys):
    stubber = fsx[0]
    other = task(4, "EXECUTING", **IMPORT)
    expect_setup(stubber, existing=[other])
    stubber.add_response(TASKS, {"DataRepositoryTasks": [other]}, FS_FILTER)
    stubber.add_response(TASKS, {"DataRepositoryTasks": [other]}, FS_FILTER)

    rc, result = run_module(capsys, dict(ARGS, wait_timeout=10))

    assert rc == 1 and "Gave up waiting after wait_timeout=10" in result["msg"] and other["TaskId"] in result["msg"]
    assert sum(clock.sleeps) == 10


# ----------------------------------------------------------------------------------------------------------------
# Task failure and timeouts
# ----------------------------------------------------------------------------------------------------------------


FAILED_MESSAGE = "The task failed to process 2 of 5 files. See the task completion report."


def test_failed_task_fails_with_details_counts_and_report(fsx, clock, capsys):
    stubber = fsx[0]
    expect_setup(stubber)
    stubber.add_response(CREATE, {"DataRepositoryTask": task(9, "PENDING")}, create_request())
    expect_poll(stubber, task(9, "FAILED", counts=(5, 3, 2), failure=FAILED_MESSAGE))

    rc, result = run_module(capsys, ARGS)

    assert rc == 1 and result["failed"] is True
    assert FAILED_MESSAGE in result["msg"] and "2 of 5 files failed" in result["msg"]
    assert result["task_lifecycle"] == "FAILED" and result["failed_count"] == 2 and result["total_count"] == 5
    assert result["failure_details"] == {"message": FAILED_MESSAGE}
    assert (
        result["report_path"] == REPORT + "task-00000000000000009/failures.csv"
        and result["report_path"] in result["msg"]
    )
    assert result["changed"] is True and result["task_id"] == task(9, "PENDING")["TaskId"]


def test_failed_task_returns_normally_when_fail_on_task_failure_is_false(fsx, clock, capsys):
    stubber = fsx[0]
    expect_setup(stubber)
    stubber.add_response(CREATE, {"DataRepositoryTask": task(9, "PENDING")}, create_request())
    expect_poll(stubber, task(9, "CANCELED", failure="Canceled by an operator"))

    rc, result = run_module(capsys, dict(ARGS, fail_on_task_failure=False))

    assert rc == 0 and "failed" not in result
    assert result["task_lifecycle"] == "CANCELED" and result["failure_details"] == {
        "message": "Canceled by an operator"
    }


def test_timeout_fails_with_the_task_state_and_says_how_to_attach(fsx, clock, capsys):
    stubber = fsx[0]
    expect_setup(stubber)
    stubber.add_response(CREATE, {"DataRepositoryTask": task(9, "PENDING")}, create_request())
    expect_poll(stubber, task(9, "EXECUTING"), task(9, "EXECUTING", counts=(8, 4, 0)))

    rc, result = run_module(capsys, dict(ARGS, wait_timeout=8))

    assert rc == 1 and "still EXECUTING" in result["msg"] and "re-run to attach" in result["msg"]
    assert result["task_id"] == task(9, "PENDING")["TaskId"] and result["succeeded_count"] == 4
    assert clock.sleeps == [5, 3]


# ----------------------------------------------------------------------------------------------------------------
# Refusals before any mutating call
# ----------------------------------------------------------------------------------------------------------------


def test_report_outside_the_prefix_is_refused_without_any_task_call(fsx, clock, capsys):
    stubber = fsx[0]
    stubber.add_response(DRAS, {"Associations": [REFERENCES, association()]}, FS_FILTER)

    rc, result = run_module(capsys, dict(ARGS, report_path="s3://dayec-analysis/derived/e1/report/"))

    assert rc == 1
    assert DRA_ID in result["msg"] and PREFIX in result["msg"] and "outside" in result["msg"]


def test_report_in_another_association_prefix_is_refused(fsx, clock, capsys):
    stubber = fsx[0]
    stubber.add_response(DRAS, {"Associations": [REFERENCES, association()]}, FS_FILTER)

    rc, result = run_module(capsys, dict(ARGS, report_path="s3://dayec-reference/reports/"))

    assert rc == 1 and DRA_ID in result["msg"] and PREFIX in result["msg"]


def test_path_in_no_available_association_is_refused(fsx, clock, capsys):
    stubber = fsx[0]
    stubber.add_response(DRAS, {"Associations": [REFERENCES, association(lifecycle="CREATING")]}, FS_FILTER)

    rc, result = run_module(capsys, ARGS)

    assert rc == 1 and "not AVAILABLE" in result["msg"] and DRA_ID in result["msg"]


def test_paths_in_different_associations_are_refused(fsx, clock, capsys):
    stubber = fsx[0]
    other = association("/analysis_results/e1/a2/", "s3://dayec-analysis/derived/e1/a2/", n=3)
    stubber.add_response(DRAS, {"Associations": [association(), other]}, FS_FILTER)

    rc, result = run_module(capsys, dict(ARGS, paths=[SOURCE, "/analysis_results/e1/a2/"]))

    assert rc == 1 and "different data repository associations" in result["msg"]


@pytest.mark.parametrize(
    "bad, match",
    [
        ({"paths": ["/fsx"]}, "root"),
        ({"paths": ["analysis_results/e1/a1"]}, "absolute"),
        ({"report_path": "https://dayec-analysis/x/"}, "s3://"),
        ({"poll_interval": -1}, "zero or positive"),
        ({"file_system_id": None}, "file_system_id or cluster_name is required"),
        ({"file_system_id": "fs-0123456789abcdef0", "cluster_name": "day-demo"}, "mutually exclusive"),
    ],
)
def test_bad_input_fails_before_any_aws_client(fsx, clock, capsys, bad, match):
    rc, result = run_module(capsys, dict(ARGS, **bad))

    assert rc == 1
    assert re.search(match, result["msg"]), result["msg"]
    assert fsx[1] == []


def test_file_system_id_or_cluster_name_is_required(fsx, clock, capsys):
    args = dict(ARGS)
    del args["file_system_id"]
    rc, result = run_module(capsys, args)

    assert rc == 1 and "one of the following is required: file_system_id, cluster_name" in result["msg"]
    assert fsx[1] == []


# ----------------------------------------------------------------------------------------------------------------
# Check mode
# ----------------------------------------------------------------------------------------------------------------


def test_check_mode_describes_only_and_says_what_would_be_created(fsx, clock, capsys):
    stubber = fsx[0]
    expect_setup(stubber)

    rc, result = run_module(capsys, ARGS, check_mode=True, diff=True)

    assert rc == 0 and result["changed"] is True
    assert result["task"] == {} and result["task_id"] is None
    assert result["would_create"] == {
        "file_system_id": FS_ID,
        "type": "EXPORT_TO_REPOSITORY",
        "paths": [WIRE],
        "report": {"enabled": True, "path": REPORT, "format": "REPORT_CSV_20191124", "scope": "FAILED_FILES_ONLY"},
        "client_request_token": token(),
    }
    assert result["diff"] == {"before": {}, "after": result["would_create"]}


def test_check_mode_does_not_wait_for_other_tasks(fsx, clock, capsys):
    stubber = fsx[0]
    other = task(4, "EXECUTING", **IMPORT)
    expect_setup(stubber, existing=[other])

    rc, result = run_module(capsys, ARGS, check_mode=True)

    assert rc == 0 and result["changed"] is True and result["blocking_tasks"][0]["task_id"] == other["TaskId"]
    assert clock.sleeps == []


def test_check_mode_attach_is_not_a_change(fsx, clock, capsys):
    stubber = fsx[0]
    expect_setup(stubber, existing=[task(7, "EXECUTING")])

    rc, result = run_module(capsys, ARGS, check_mode=True)

    assert rc == 0 and result["changed"] is False and result["attached"] is True and clock.sleeps == []


def test_check_mode_accepts_an_association_still_being_created(fsx, clock, capsys):
    stubber = fsx[0]
    expect_setup(stubber, associations=[association(lifecycle="CREATING")])

    rc, result = run_module(capsys, ARGS, check_mode=True)

    assert rc == 0 and result["changed"] is True and result["association_id"] == DRA_ID
    assert result["would_create"]["report"]["path"] == REPORT


def test_check_mode_still_refuses_a_report_outside_a_creating_association(fsx, clock, capsys):
    stubber = fsx[0]
    stubber.add_response(DRAS, {"Associations": [association(lifecycle="CREATING")]}, FS_FILTER)

    rc, result = run_module(capsys, dict(ARGS, report_path="s3://dayec-analysis/derived/e1/report/"), check_mode=True)

    assert rc == 1 and PREFIX in result["msg"]


def test_check_mode_goes_on_when_the_association_is_not_attached_yet(fsx, clock, capsys):
    stubber = fsx[0]
    expect_setup(stubber, associations=[REFERENCES])

    rc, result = run_module(capsys, ARGS, check_mode=True)

    assert rc == 0 and result["changed"] is True and result["association_id"] is None
    assert result["would_create"]["paths"] == [WIRE]


def test_a_missing_association_is_refused_outside_check_mode(fsx, clock, capsys):
    stubber = fsx[0]
    stubber.add_response(DRAS, {"Associations": [REFERENCES]}, FS_FILTER)

    rc, result = run_module(capsys, ARGS)

    assert (
        rc == 1 and "lies in no AVAILABLE data repository association" in result["msg"] and "fsx_dra" in result["msg"]
    )
