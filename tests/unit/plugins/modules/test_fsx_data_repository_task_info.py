"""Unit tests for plugins/modules/fsx_data_repository_task_info.py.

main() runs for real with patch_module_args; DaylilyAWSModule.client returns a real botocore FSx client in Stubber
(requests validated against the API model) inside amazon.aws's RetryingBotoClientWrapper, with no back-off delay.
"""

import datetime
import re

import pytest

from ansible_collections.daylily.ephemeral_cluster.plugins.modules import fsx_data_repository_task_info
from testlib.fsx_api import FS_ID
from testlib.fsx_api import OTHER_FS_ID
from testlib.fsx_api import REGION
from testlib.fsx_items import data_repository_task
from testlib.fsx_items import file_system
from testlib.fsx_items import task_status
from testlib.modules import execute_module

CONNECTION = {"region": REGION, "access_key": "testing", "secret_key": "testing"}
T0 = datetime.datetime(2026, 1, 31, 12, 0, tzinfo=datetime.UTC)
REPORT = "s3://dayec-analysis/derived/e1/a1/_daylily_monitor/export-report/"
TASKS = "describe_data_repository_tasks"


def fs_filter(fs_id=FS_ID):
    return {"Name": "file-system-id", "Values": [fs_id]}


def task(n, lifecycle="SUCCEEDED", **options):
    """A task as FSx describes it to this module: with its ARN, start time, report and file counts."""
    return data_repository_task(
        n,
        lifecycle,
        report=REPORT,
        status=task_status(5, 3, 2, updated=T0),
        ResourceARN=f"arn:aws:fsx:{REGION}:123456789012:task/task-{n:017x}",
        StartTime=T0 + datetime.timedelta(seconds=5),
        **options,
    )


def run_module(capsys, args, check_mode=False):
    return execute_module(capsys, fsx_data_repository_task_info.main, dict(CONNECTION, **args), check_mode=check_mode)


def test_lists_tasks_of_a_cluster_normalised(fsx, capsys):
    stubber = fsx[0]
    stubber.add_response("describe_file_systems", {"FileSystems": [file_system(FS_ID, "day-demo")]}, {})
    failed = task(1, "FAILED", failure="The task failed to process 2 of 5 files.")
    stubber.add_response(TASKS, {"DataRepositoryTasks": [failed], "NextToken": "t1"}, {"Filters": [fs_filter()]})
    stubber.add_response(
        TASKS, {"DataRepositoryTasks": [task(2, "EXECUTING")]}, {"Filters": [fs_filter()], "NextToken": "t1"}
    )

    rc, result = run_module(capsys, {"cluster_name": "day-demo"})

    assert rc == 0 and result["changed"] is False and result["file_system_id"] == FS_ID
    first = result["tasks"][0]
    assert first == {
        "task_id": failed["TaskId"],
        "resource_arn": failed["ResourceARN"],
        "file_system_id": FS_ID,
        "type": "EXPORT_TO_REPOSITORY",
        "lifecycle": "FAILED",
        "creation_time": "2026-01-31T12:00:00+00:00",
        "start_time": "2026-01-31T12:00:05+00:00",
        "paths": ["analysis_results/e1/a1"],
        "report": {"enabled": True, "path": REPORT, "format": "REPORT_CSV_20191124", "scope": "FAILED_FILES_ONLY"},
        "status": {
            "total_count": 5,
            "succeeded_count": 3,
            "failed_count": 2,
            "last_updated_time": "2026-01-31T12:00:00+00:00",
        },
        "failure_details": {"message": "The task failed to process 2 of 5 files."},
        "tags": {},
    }
    assert [t["lifecycle"] for t in result["tasks"]] == ["FAILED", "EXECUTING"]


def test_lifecycle_and_association_are_server_side_filters(fsx, capsys):
    stubber = fsx[0]
    filters = [
        fs_filter(),
        {"Name": "task-lifecycle", "Values": ["PENDING", "EXECUTING"]},
        {"Name": "data-repository-association-id", "Values": ["dra-00000000000000001"]},
    ]
    stubber.add_response(TASKS, {"DataRepositoryTasks": [task(2, "EXECUTING")]}, {"Filters": filters})

    rc, result = run_module(
        capsys,
        {"file_system_id": FS_ID, "lifecycle": ["PENDING", "EXECUTING"], "association_id": "dra-00000000000000001"},
    )

    assert rc == 0 and len(result["tasks"]) == 1


def test_type_and_exact_paths_are_applied_to_the_answer(fsx, capsys):
    stubber = fsx[0]
    answer = [
        task(1, paths=["/analysis_results/e1/a1/"]),  # DayEC's form
        task(2),  # the relative form FSx documents
        task(3, paths=["analysis_results/e1"]),  # the parent: not an exact match
        task(4, paths=["analysis_results/e1/a1", "analysis_results/e1/a2"]),  # more paths
        task(5, kind="RELEASE_DATA_FROM_FILESYSTEM"),
        task(6, paths=None),  # the whole file system
    ]
    stubber.add_response(TASKS, {"DataRepositoryTasks": answer}, {"Filters": [fs_filter()]})

    rc, result = run_module(
        capsys, {"file_system_id": FS_ID, "type": "EXPORT_TO_REPOSITORY", "paths": ["/fsx/analysis_results/e1/a1"]}
    )

    assert rc == 0
    assert [t["task_id"] for t in result["tasks"]] == [answer[0]["TaskId"], answer[1]["TaskId"]]


def test_root_path_matches_tasks_without_paths(fsx, capsys):
    stubber = fsx[0]
    stubber.add_response(TASKS, {"DataRepositoryTasks": [task(1), task(6, paths=None)]}, {"Filters": [fs_filter()]})

    rc, result = run_module(capsys, {"file_system_id": FS_ID, "paths": ["/"]})

    assert rc == 0 and [t["task_id"] for t in result["tasks"]] == [task(6)["TaskId"]]


def test_task_ids_skip_unknown_ids_and_no_file_system_is_reported(fsx, capsys):
    stubber = fsx[0]
    known, unknown = task(1)["TaskId"], "task-0000000000000000f"
    stubber.add_client_error(
        TASKS, "DataRepositoryTaskNotFound", "not found", 400, expected_params={"TaskIds": [known, unknown]}
    )
    stubber.add_response(TASKS, {"DataRepositoryTasks": [task(1)]}, {"TaskIds": [known]})
    stubber.add_client_error(
        TASKS, "DataRepositoryTaskNotFound", "not found", 400, expected_params={"TaskIds": [unknown]}
    )

    rc, result = run_module(capsys, {"task_ids": [known, unknown]})

    assert rc == 0 and [t["task_id"] for t in result["tasks"]] == [known]
    assert "file_system_id" not in result


def test_task_ids_with_a_file_system_are_checked_against_it(fsx, capsys):
    stubber = fsx[0]
    ids = [task(1)["TaskId"], task(2)["TaskId"]]
    stubber.add_response(
        TASKS,
        {"DataRepositoryTasks": [task(1), task(2, fs_id=OTHER_FS_ID)]},
        {"TaskIds": ids, "Filters": [fs_filter()]},
    )

    rc, result = run_module(capsys, {"task_ids": ids, "file_system_id": FS_ID}, check_mode=True)

    assert rc == 0 and [t["task_id"] for t in result["tasks"]] == ids[:1]


def test_throttling_is_retried(fsx, capsys):
    stubber = fsx[0]
    for _attempt in range(3):
        stubber.add_client_error(
            TASKS, "ThrottlingException", "Rate exceeded", 400, expected_params={"Filters": [fs_filter()]}
        )
    stubber.add_response(TASKS, {"DataRepositoryTasks": [task(1)]}, {"Filters": [fs_filter()]})

    rc, result = run_module(capsys, {"file_system_id": FS_ID})

    assert rc == 0 and len(result["tasks"]) == 1


def test_access_denied_fails_naming_the_iam_action(fsx, capsys):
    stubber = fsx[0]
    stubber.add_client_error(TASKS, "AccessDeniedException", "denied", 400, expected_params={})

    rc, result = run_module(capsys, {})

    assert rc == 1 and "fsx:DescribeDataRepositoryTasks" in result["msg"]


@pytest.mark.parametrize(
    "bad, match",
    [
        ({"paths": ["/analysis_results/../x"]}, r"\.\."),
        ({"lifecycle": ["DONE"]}, "lifecycle"),
        ({"type": ["EXPORT"]}, "type"),
        ({"file_system_id": FS_ID, "cluster_name": "day-demo"}, "mutually exclusive"),
    ],
)
def test_bad_input_fails_before_any_aws_call(fsx, capsys, bad, match):
    rc, result = run_module(capsys, bad)

    assert rc == 1 and re.search(match, result["msg"])
    assert fsx[1] == []
