"""Unit tests for plugins/module_utils/_fsx/task_rules.py: export task rules on raw boto3 dicts (no AWS calls)."""

import pytest

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import paths
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx import task_rules as tasks
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.task_rules import TaskRuleError
from testlib.fsx_api import FS_ID
from testlib.fsx_api import OTHER_FS_ID as OTHER_FS
from testlib.fsx_api import association
from testlib.fsx_items import data_repository_task
from testlib.fsx_items import task_status

SOURCE = "/analysis_results/e1/a1/"
PREFIX = "s3://dayec-analysis/derived/e1/a1/"
REPORT = PREFIX + "_daylily_monitor/fsx-export/20260131T120000Z/export-report/"


def dra(n, path, prefix, lifecycle="AVAILABLE"):
    return association(n, path=path, uri=prefix, lifecycle=lifecycle)


def task(n, lifecycle="SUCCEEDED", paths_=("analysis_results/e1/a1",), report=REPORT, **options):
    return data_repository_task(n, lifecycle, paths=paths_, report=report, **options)


EXPORT_DRA = dra(1, SOURCE, PREFIX)
REFERENCES = dra(2, "/references/", "s3://dayec-reference/")


# --- paths ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "given, expected",
    [
        ("analysis_results/e1/a1", SOURCE),  # the form FSx documents
        ("/analysis_results/e1/a1/", SOURCE),  # DayEC 5.1.5's form
        ("/analysis_results/e1/a1", SOURCE),
        ("analysis_results/e1/a1/", SOURCE),
        ("", "/"),
        ("/", "/"),
        (None, "/"),
    ],
)
def test_path_key_makes_every_form_comparable(given, expected):
    assert tasks.path_key(given) == expected


def test_paths_key_ignores_order_and_duplicates_and_empty_is_root():
    assert tasks.paths_key(["b/", "/a", "b"]) == ("/a/", "/b/")
    assert tasks.paths_key([]) == ("/",)
    assert tasks.task_paths_key({"Type": tasks.EXPORT_TYPE}) == ("/",)


def test_wire_path_is_relative_to_the_mount_point_without_slashes():
    assert tasks.wire_path(SOURCE) == "analysis_results/e1/a1"
    with pytest.raises(TaskRuleError, match="root"):
        tasks.wire_path("/")


def test_fsx_path_contains_uses_segment_boundaries():
    assert tasks.fsx_path_contains("/analysis_results/e1/", SOURCE)
    assert tasks.fsx_path_contains(SOURCE, "analysis_results/e1/a1")
    assert not tasks.fsx_path_contains("/analysis_results/e1/a", SOURCE)
    assert tasks.fsx_path_contains("/", SOURCE)


def test_prepare_export_paths_accepts_api_and_headnode_forms_and_drops_duplicates():
    got = tasks.prepare_export_paths(["/fsx/analysis_results/e1/a1", SOURCE, "/analysis_results/e1/a2"])
    assert got == [SOURCE, "/analysis_results/e1/a2/"]
    assert tasks.prepare_export_paths(["/mnt/lustre/analysis_results/e1/a1"], mount_point="/mnt/lustre") == [SOURCE]


@pytest.mark.parametrize(
    "bad, match",
    [
        ([], "at least one"),
        (["/fsx"], "root"),
        (["/"], "root"),
        ([SOURCE, SOURCE + "sub/"], "lies inside"),
        (["analysis_results/e1/a1"], "absolute"),
        (["/analysis_results/../etc/"], r"\.\."),
        (["/analysis_results/e1/a b/"], "whitespace|character"),
        (["/analysis_results/e1/\u00e9/"], "U\\+00E9"),
    ],
)
def test_prepare_export_paths_refuses(bad, match):
    with pytest.raises(ValueError, match=match):
        tasks.prepare_export_paths(bad)


def test_prepare_export_paths_refuses_more_than_100():
    many = [f"/analysis_results/e1/a{n}/" for n in range(101)]
    with pytest.raises(TaskRuleError, match="at most 100"):
        tasks.prepare_export_paths(many)


# --- association and report -----------------------------------------------------------------------------------


def test_export_association_is_the_available_one_containing_every_path():
    parent = dra(3, "/analysis_results/e1/", "s3://dayec-analysis/derived/e1/")
    assert tasks.export_association([REFERENCES, parent], [SOURCE, "/analysis_results/e1/a2/"]) is parent
    assert tasks.export_association([REFERENCES, EXPORT_DRA], [SOURCE]) is EXPORT_DRA


def test_export_association_refuses_a_path_in_none_and_lists_the_associations():
    with pytest.raises(TaskRuleError) as caught:
        tasks.export_association([REFERENCES], [SOURCE], FS_ID)
    message = str(caught.value)
    assert SOURCE in message and FS_ID in message and REFERENCES["AssociationId"] in message and "fsx_dra" in message


def test_export_association_names_an_association_that_is_not_available_yet():
    creating = dra(4, SOURCE, PREFIX, lifecycle="CREATING")
    with pytest.raises(TaskRuleError, match="not AVAILABLE.*wait"):
        tasks.export_association([creating], [SOURCE])
    misconfigured = dra(5, SOURCE, PREFIX, lifecycle="MISCONFIGURED")
    with pytest.raises(TaskRuleError, match=misconfigured["AssociationId"]):
        tasks.export_association([misconfigured], [SOURCE])


def test_export_association_refuses_paths_in_different_associations():
    other = dra(6, "/analysis_results/e1/a2/", "s3://dayec-analysis/derived/e1/a2/")
    with pytest.raises(TaskRuleError, match="different data repository associations") as caught:
        tasks.export_association([EXPORT_DRA, other], [SOURCE, "/analysis_results/e1/a2/"])
    assert EXPORT_DRA["AssociationId"] in str(caught.value) and other["AssociationId"] in str(caught.value)


def test_check_report_path_inside_the_prefix_is_normalised():
    assert tasks.check_report_path(REPORT.rstrip("/"), EXPORT_DRA) == REPORT
    assert tasks.check_report_path(PREFIX, EXPORT_DRA) == PREFIX
    no_slash = dict(EXPORT_DRA, DataRepositoryPath=PREFIX.rstrip("/"))  # AWS may drop the trailing slash
    assert tasks.check_report_path(REPORT, no_slash) == REPORT


@pytest.mark.parametrize(
    "outside",
    [
        "s3://dayec-analysis/derived/e1/a1-other/report/",  # a sibling prefix sharing the text
        "s3://dayec-analysis/derived/e1/",  # the parent
        "s3://dayec-other/derived/e1/a1/report/",  # another bucket
    ],
)
def test_check_report_path_outside_the_prefix_names_the_association_and_prefix(outside):
    with pytest.raises(TaskRuleError) as caught:
        tasks.check_report_path(outside, EXPORT_DRA)
    message = str(caught.value)
    assert EXPORT_DRA["AssociationId"] in message and PREFIX in message and "outside" in message


def test_check_report_path_refuses_a_malformed_uri():
    with pytest.raises(paths.S3UriError):
        tasks.check_report_path("https://dayec-analysis/x/", EXPORT_DRA)


# --- request and token ------------------------------------------------------------------------------------------


def test_export_request_is_exactly_what_create_data_repository_task_gets():
    token = tasks.export_token(FS_ID, [SOURCE], REPORT)
    assert tasks.export_request(FS_ID, [SOURCE], REPORT, token) == {
        "FileSystemId": FS_ID,
        "Type": "EXPORT_TO_REPOSITORY",
        "Paths": ["analysis_results/e1/a1"],
        "Report": {"Enabled": True, "Path": REPORT, "Format": "REPORT_CSV_20191124", "Scope": "FAILED_FILES_ONLY"},
        "ClientRequestToken": token,
    }


def test_export_token_is_derived_from_file_system_paths_and_report_path():
    token = tasks.export_token(FS_ID, [SOURCE, "/analysis_results/e1/a2/"], REPORT)
    assert token == paths.client_request_token(
        "export-task", {"file_system_id": FS_ID, "paths": [SOURCE, "/analysis_results/e1/a2/"], "report_path": REPORT}
    )
    assert len(token) <= 63 and token.startswith("export-task-")
    assert token == tasks.export_token(FS_ID, ["/analysis_results/e1/a2/", SOURCE], REPORT)  # order does not matter
    assert token != tasks.export_token(OTHER_FS, [SOURCE, "/analysis_results/e1/a2/"], REPORT)
    assert token != tasks.export_token(FS_ID, [SOURCE], REPORT)
    assert token != tasks.export_token(FS_ID, [SOURCE, "/analysis_results/e1/a2/"], PREFIX)


def test_a_previous_ended_attempt_changes_the_token():
    first = tasks.export_token(FS_ID, [SOURCE], REPORT)
    assert tasks.export_token(FS_ID, [SOURCE], REPORT, "task-00000000000000001") != first
    assert tasks.export_token(FS_ID, [SOURCE], REPORT, None) == first


# --- existing tasks ---------------------------------------------------------------------------------------------


def test_find_attachable_is_the_newest_running_export_of_the_same_paths_in_any_form():
    old = task(1, "PENDING", paths_=["/analysis_results/e1/a1/"], minutes=1)
    new = task(2, "EXECUTING", report=None, minutes=2)  # any report path
    others = [
        task(3, "EXECUTING", paths_=["analysis_results/e1/a2"]),
        task(4, "EXECUTING", fs_id=OTHER_FS),
        task(5, "EXECUTING", kind="RELEASE_DATA_FROM_FILESYSTEM"),
        task(6, "CANCELING"),
        task(7, "SUCCEEDED", minutes=9),
    ]
    assert tasks.find_attachable([old, new] + others, FS_ID, [SOURCE]) is new
    assert tasks.find_attachable(others, FS_ID, [SOURCE]) is None


def test_find_attachable_compares_the_path_set():
    both = task(1, "EXECUTING", paths_=["analysis_results/e1/a2", "analysis_results/e1/a1"])
    assert tasks.find_attachable([both], FS_ID, [SOURCE, "/analysis_results/e1/a2/"]) is both
    assert tasks.find_attachable([both], FS_ID, [SOURCE]) is None


def test_find_adoptable_needs_succeeded_same_paths_and_a_report_inside_the_prefix():
    good = task(1, "SUCCEEDED", minutes=1)
    newer = task(2, "SUCCEEDED", report=PREFIX + "_daylily_monitor/other/", minutes=2)
    outside = task(3, "SUCCEEDED", report="s3://dayec-analysis/elsewhere/", minutes=3)
    no_report = task(4, "SUCCEEDED", report=None, minutes=4)
    failed = task(5, "FAILED", minutes=5)
    assert tasks.find_adoptable([good, newer, outside, no_report, failed], FS_ID, [SOURCE], PREFIX) is newer
    assert tasks.find_adoptable([outside, no_report, failed], FS_ID, [SOURCE], PREFIX) is None


def test_previous_attempt_is_the_newest_ended_export_of_the_same_paths():
    assert (
        tasks.previous_attempt(
            [task(1, "FAILED", minutes=1), task(2, "CANCELED", minutes=2), task(3, "EXECUTING", minutes=3)],
            FS_ID,
            [SOURCE],
        )
        == task(2)["TaskId"]
    )
    assert tasks.previous_attempt([task(3, "EXECUTING")], FS_ID, [SOURCE]) is None


def test_blocking_tasks_are_running_tasks_of_the_file_system_oldest_first():
    running = [
        task(1, "EXECUTING", kind="IMPORT_METADATA_FROM_REPOSITORY", minutes=5),
        task(2, "CANCELING", minutes=1),
        task(3, "PENDING", minutes=3),
    ]
    ended = [task(4, "SUCCEEDED"), task(5, "FAILED"), task(6, "EXECUTING", fs_id=OTHER_FS)]
    assert [t["TaskId"] for t in tasks.blocking_tasks(running + ended, FS_ID)] == [
        task(2)["TaskId"],
        task(3)["TaskId"],
        task(1)["TaskId"],
    ]
    assert tasks.blocking_tasks(running, FS_ID, exclude_ids={task(2)["TaskId"], task(3)["TaskId"]}) == [running[0]]


def test_matches_filters_type_paths_file_system_and_lifecycle():
    item = task(1, "EXECUTING")
    assert tasks.matches(item)
    assert tasks.matches(
        item, types=["EXPORT_TO_REPOSITORY"], paths=[SOURCE], file_system_id=FS_ID, lifecycles=["EXECUTING"]
    )
    assert not tasks.matches(item, types=["IMPORT_METADATA_FROM_REPOSITORY"])
    assert not tasks.matches(item, paths=["/analysis_results/e1/"])
    assert not tasks.matches(item, file_system_id=OTHER_FS)
    assert not tasks.matches(item, lifecycles=["SUCCEEDED"])
    assert tasks.matches(task(2, paths_=None), paths=["/"])


# --- summaries --------------------------------------------------------------------------------------------------


def test_status_counts_default_to_zero_and_format_the_time():
    assert tasks.status_counts(task(1)) == {
        "total_count": 0,
        "succeeded_count": 0,
        "failed_count": 0,
        "last_updated_time": None,
    }
    counted = task(1, status=task_status(5, 3, 2))
    assert tasks.status_counts(counted) == {
        "total_count": 5,
        "succeeded_count": 3,
        "failed_count": 2,
        "last_updated_time": "2026-01-31T12:00:00+00:00",
    }


def test_task_report_uri_is_the_failures_csv():
    assert tasks.task_report_uri(task(1)) == REPORT + "task-00000000000000001/failures.csv"
    assert tasks.task_report_uri(task(1, report=None)) is None


def test_failure_details_and_summaries():
    failed = task(1, "FAILED", failure="2 of 5 files failed")
    assert tasks.failure_details(failed) == {"message": "2 of 5 files failed"}
    assert tasks.failure_details(task(2)) == {}
    summary = tasks.task_summary(failed)
    assert summary == {
        "task_id": failed["TaskId"],
        "lifecycle": "FAILED",
        "file_system_id": FS_ID,
        "type": tasks.EXPORT_TYPE,
        "paths": ["analysis_results/e1/a1"],
        "report": {"enabled": True, "path": REPORT, "format": "REPORT_CSV_20191124", "scope": "FAILED_FILES_ONLY"},
    }
    request = tasks.export_request(FS_ID, [SOURCE], REPORT, "export-task-x")
    assert tasks.request_summary(request) == {
        "file_system_id": FS_ID,
        "type": tasks.EXPORT_TYPE,
        "paths": ["analysis_results/e1/a1"],
        "report": summary["report"],
        "client_request_token": "export-task-x",
    }
    assert tasks.describe_task(failed) == f"{failed['TaskId']} (FAILED, EXPORT_TO_REPOSITORY of analysis_results/e1/a1)"
    assert "the whole file system" in tasks.describe_task(task(3, paths_=None))
