"""fsx_export: one run attaches the directory, exports it with one task, waits on the task's pace and detaches with
DeleteDataInFileSystem=false in ``finally`` (invariants 1, 10-12), using the file system and associations the caller
described instead of describing them again.

main() runs for real with a botocore FSx client in Stubber: every request is checked against the API model and
against the expected order, and a call that is not expected fails the test (so "no other call" is asserted by the
stubs themselves). The module's clock and the wait's UTC clock are one fake clock starting when the task is created.
"""

import datetime

import pytest
from botocore.stub import ANY

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx import temporary_export
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx import waits
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.fsx import normalize_association
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.fsx import normalize_file_system
from ansible_collections.daylily.ephemeral_cluster.plugins.modules import fsx_dra_info
from ansible_collections.daylily.ephemeral_cluster.plugins.modules import fsx_export
from testlib import fsx_api
from testlib.clock import FakeClock
from testlib.fsx_items import data_repository_task
from testlib.fsx_items import file_system
from testlib.fsx_items import task_status
from testlib.modules import execute_module

FS_ID = fsx_api.FS_ID
SOURCE = "/analysis_results/e1/a1/"
PREFIX = "s3://dayec-analysis/derived/e1/a1/"
REPORT = PREFIX + "_daylily_monitor/fsx-export/20260131T120000Z/export-report/"
FS_FILTER = {"Filters": [{"Name": "file-system-id", "Values": [FS_ID]}]}
OURS = 7
ASSOCIATION_ID = f"dra-{OURS:017x}"
TASK_ID = "task-00000000000000009"
ARGS = {
    "region": fsx_api.REGION,
    "access_key": "testing",
    "secret_key": "testing",
    "file_system_id": FS_ID,
    "file_system_path": "/fsx/analysis_results/e1/a1",
    "data_repository_path": PREFIX,
    "report_path": REPORT,
    "tags": {"lsmc:purpose": "output-export", "Name": "e1/a1"},
    "file_system": normalize_file_system(file_system()),
    "associations": [normalize_association(fsx_api.association(1))],
    "option_names": {"wait_timeout": "export_wait_timeout"},
}


def ours(lifecycle="AVAILABLE"):
    return fsx_api.association(
        OURS,
        path=SOURCE,
        uri=PREFIX,
        lifecycle=lifecycle,
        batch_import=False,
        tags={"lsmc:purpose": "output-export", "Name": "e1/a1"},
    )


def task(lifecycle, done=0, failed=0, **fields):
    return data_repository_task(
        9,
        lifecycle,
        report=REPORT,
        status=task_status(100, done, failed, updated=fsx_api.CREATED + datetime.timedelta(seconds=1)),
        StartTime=fsx_api.CREATED,
        **fields,
    )


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(fsx_export, "time", fake)
    monkeypatch.setattr(waits, "utc_now", lambda: fsx_api.CREATED + datetime.timedelta(seconds=fake()))
    return fake


def expect_tasks(stubber, *tasks):
    stubber.add_response("describe_data_repository_tasks", {"DataRepositoryTasks": list(tasks)}, FS_FILTER)


def expect_attach(stubber):
    stubber.add_response(
        "create_data_repository_association",
        {"Association": ours("CREATING")},
        {
            "FileSystemId": FS_ID,
            "FileSystemPath": SOURCE,
            "DataRepositoryPath": PREFIX,
            "BatchImportMetaDataOnCreate": False,
            "Tags": ANY,
            "ClientRequestToken": ANY,
        },
    )
    stubber.add_response(
        "describe_data_repository_associations", {"Associations": [ours()]}, {"AssociationIds": [ASSOCIATION_ID]}
    )


def expect_create_task(stubber, *described):
    stubber.add_response("create_data_repository_task", {"DataRepositoryTask": task("PENDING")}, None)
    for item in described:
        stubber.add_response("describe_data_repository_tasks", {"DataRepositoryTasks": [item]}, {"TaskIds": [TASK_ID]})


def expect_detach(stubber):
    stubber.add_response(
        "delete_data_repository_association",
        {"AssociationId": ASSOCIATION_ID, "Lifecycle": "DELETING", "DeleteDataInFileSystem": False},
        {"AssociationId": ASSOCIATION_ID, "DeleteDataInFileSystem": False, "ClientRequestToken": ANY},
    )
    stubber.add_client_error(
        "describe_data_repository_associations",
        service_error_code="DataRepositoryAssociationNotFound",
        expected_params={"AssociationIds": [ASSOCIATION_ID]},
    )


def test_invariant_12_one_run_attaches_exports_and_detaches_without_describing_what_the_caller_gave(fsx, clock, capsys):
    stubber = fsx[0]
    expect_tasks(stubber)
    expect_attach(stubber)
    expect_create_task(stubber, task("SUCCEEDED", 100))
    expect_detach(stubber)

    rc, result = execute_module(capsys, fsx_export.main, ARGS)

    assert rc == 0, result
    assert result["changed"] is True and result["phase"] == "complete" and result["left_attached"] is False
    assert result["attach"]["created"] is True and result["attach"]["association"]["association_id"] == ASSOCIATION_ID
    assert result["export"]["task_id"] == TASK_ID and result["task_lifecycle"] == "SUCCEEDED"
    assert result["detach"]["detach_lifecycle"] == "DELETED"
    assert result["progress"] == f"{TASK_ID} SUCCEEDED: 100 of 100 files done, 0 failed"
    assert clock.sleeps == [1]  # one describe of the task, 1 s after its creation
    assert fsx[1] == ["fsx"]  # one client; no DescribeFileSystems and no association listing (the stubs say so)


def test_invariant_12_a_failed_task_fails_the_run_in_phase_run_after_the_detach(fsx, clock, capsys):
    stubber = fsx[0]
    expect_tasks(stubber)
    expect_attach(stubber)
    expect_create_task(stubber, task("FAILED", 90, 10, FailureDetails={"Message": "10 files failed"}))
    expect_detach(stubber)

    rc, result = execute_module(capsys, fsx_export.main, ARGS)

    assert rc == 1 and result["phase"] == "run"
    assert result["msg"].startswith(f"Export task {TASK_ID} ended FAILED: 10 files failed (10 of 100 files failed")
    assert result["detach"]["detach_lifecycle"] == "DELETED" and result["export"]["task_lifecycle"] == "FAILED"


def test_invariant_04_an_overlapping_association_refuses_the_attach_before_any_change(fsx, clock, capsys):
    stubber = fsx[0]
    parent = fsx_api.association(2, path="/analysis_results/e1/", uri="s3://dayec-analysis/derived/e1/")
    expect_tasks(stubber)

    args = dict(ARGS, associations=[normalize_association(parent)])
    rc, result = execute_module(capsys, fsx_export.main, args)

    assert rc == 1 and result["phase"] == "attach" and "overlaps active association" in result["msg"]
    assert result["changed"] is False and result["detach"]["detach_lifecycle"] == "NOT_FOUND"


def test_invariant_03_the_callers_file_system_description_is_checked(fsx, clock, capsys):
    stubber = fsx[0]
    expect_tasks(stubber)

    args = dict(ARGS, file_system=normalize_file_system(file_system(lifecycle="UPDATING")))
    rc, result = execute_module(capsys, fsx_export.main, args)

    assert rc == 1 and result["phase"] == "attach" and "its lifecycle is UPDATING, not AVAILABLE" in result["msg"]


def test_without_the_callers_descriptions_the_module_describes_them(fsx, clock, capsys):
    stubber = fsx[0]
    expect_tasks(stubber)
    stubber.add_response("describe_data_repository_associations", {"Associations": []}, FS_FILTER)
    stubber.add_response("describe_file_systems", {"FileSystems": [file_system()]}, {"FileSystemIds": [FS_ID]})
    expect_attach(stubber)
    expect_create_task(stubber, task("SUCCEEDED", 100))
    expect_detach(stubber)

    args = {key: value for key, value in ARGS.items() if key not in ("file_system", "associations")}
    rc, result = execute_module(capsys, fsx_export.main, args)

    assert rc == 0 and result["phase"] == "complete", result


def test_check_mode_only_describes_and_shows_the_diff(fsx, clock, capsys):
    stubber = fsx[0]
    expect_tasks(stubber)

    rc, result = execute_module(capsys, fsx_export.main, ARGS, check_mode=True, diff=True)

    assert rc == 0 and result["changed"] is True and result["task_id"] is None
    assert result["export"]["would_create"]["paths"] == ["analysis_results/e1/a1"]
    assert result["detach"]["detach_lifecycle"] == "DELETED" and clock.sleeps == []
    assert result["diff"]["before"] == {"association": {}, "task": {}}
    assert result["diff"]["after"]["association"] == {} and result["diff"]["after"]["task"]["paths"]


def test_a_second_run_adopts_the_succeeded_export_and_changes_nothing(fsx, clock, capsys):
    stubber = fsx[0]
    expect_tasks(stubber, task("SUCCEEDED", 100))

    rc, result = execute_module(capsys, fsx_export.main, ARGS)

    assert rc == 0 and result["changed"] is False and result["export"]["adopted"] is True
    assert result["phase"] == "complete" and result["detach"]["detach_lifecycle"] == "NOT_FOUND"


def test_an_association_left_by_an_interrupted_run_is_reused_and_detached(fsx, clock, capsys):
    stubber = fsx[0]
    expect_tasks(stubber, task("SUCCEEDED", 100))
    expect_detach(stubber)

    args = dict(ARGS, associations=[normalize_association(ours())])
    rc, result = execute_module(capsys, fsx_export.main, args)

    assert rc == 0 and result["attach"]["created"] is False and result["export"]["adopted"] is True
    assert result["changed"] is True and result["detach"]["detach_lifecycle"] == "DELETED"


def test_a_task_that_outlives_wait_seconds_keeps_its_association_for_a_follow_up_run(fsx, clock, capsys):
    stubber = fsx[0]
    expect_tasks(stubber)
    expect_attach(stubber)
    expect_create_task(stubber, task("EXECUTING", 10), task("EXECUTING", 20))

    rc, result = execute_module(capsys, fsx_export.main, dict(ARGS, wait_seconds=2))

    assert rc == 0 and result["left_attached"] is True and result["phase"] == "run"
    assert result["task_lifecycle"] == "EXECUTING" and result["detach"] == {}


def test_a_follow_up_run_detaches_once_the_task_has_ended(fsx, clock, capsys):
    stubber = fsx[0]
    stubber.add_response("describe_data_repository_associations", {"Associations": [ours()]}, FS_FILTER)
    stubber.add_response(
        "describe_data_repository_tasks", {"DataRepositoryTasks": [task("SUCCEEDED", 100)]}, {"TaskIds": [TASK_ID]}
    )
    expect_detach(stubber)

    rc, result = execute_module(capsys, fsx_export.main, dict(ARGS, task_id=TASK_ID, wait_seconds=30))

    assert rc == 0 and result["phase"] == "complete" and result["detach"]["detach_lifecycle"] == "DELETED"


def test_a_task_still_running_at_wait_timeout_is_detached_and_fails_naming_the_role_variable(fsx, clock, capsys):
    stubber = fsx[0]
    stubber.add_response("describe_data_repository_associations", {"Associations": [ours()]}, FS_FILTER)
    stubber.add_response(
        "describe_data_repository_tasks", {"DataRepositoryTasks": [task("EXECUTING", 10)]}, {"TaskIds": [TASK_ID]}
    )
    expect_detach(stubber)
    clock.now = 120.0  # the task is two minutes old

    rc, result = execute_module(capsys, fsx_export.main, dict(ARGS, task_id=TASK_ID, wait_seconds=30, wait_timeout=60))

    assert rc == 1 and result["phase"] == "run" and "export_wait_timeout=60" in result["msg"]
    assert result["detach"]["detach_lifecycle"] == "DELETED"


def test_a_detach_that_does_not_end_deleted_fails_the_run_in_phase_detach(fsx, clock, capsys):
    stubber = fsx[0]
    expect_tasks(stubber)
    expect_attach(stubber)
    expect_create_task(stubber, task("SUCCEEDED", 100))
    stubber.add_client_error(
        "delete_data_repository_association", service_error_code="BadRequest", service_message="no"
    )

    rc, result = execute_module(capsys, fsx_export.main, ARGS)

    assert rc == 1 and result["phase"] == "detach" and result["msg"].startswith("Detach failed")
    assert result["detach"]["detach_lifecycle"] == "AVAILABLE" and result["task_lifecycle"] == "SUCCEEDED"


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"report_path": "s3://dayec-analysis/elsewhere/"}, "report_path s3://dayec-analysis/elsewhere/ is outside"),
        ({"file_system_path": "/fsx/references/hg38"}, "Refusing to export /references/hg38/"),
        ({"file_system": normalize_file_system(file_system("fs-0fedcba9876543210"))}, "must describe file system"),
        ({"wait_seconds": -1}, "wait_seconds must be zero or positive"),
    ],
)
def test_bad_input_is_refused_before_any_aws_call(fsx, clock, capsys, override, message):
    rc, result = execute_module(capsys, fsx_export.main, dict(ARGS, **override))

    assert rc == 1 and message in result["msg"]
    assert result.get("changed") in (None, False)


def test_invariant_12_another_task_blocking_the_export_fails_the_run_after_the_detach(fsx, clock, capsys):
    stubber = fsx[0]
    other = data_repository_task(3, "EXECUTING", kind="IMPORT_METADATA_FROM_REPOSITORY", paths=("run_dir_mounts/r1",))
    expect_tasks(stubber, other)
    expect_attach(stubber)
    expect_detach(stubber)

    rc, result = execute_module(capsys, fsx_export.main, dict(ARGS, wait_for_other_tasks=False))

    assert rc == 1 and result["phase"] == "run" and "is busy with data repository task" in result["msg"]
    assert result["detach"]["detach_lifecycle"] == "DELETED" and result["blocking_tasks"]


def test_fsx_dra_info_returns_the_file_system_it_found_in_the_form_fsx_export_reads_back(fsx, capsys):
    stubber = fsx[0]
    found = file_system(cluster="day-demo")
    stubber.add_response("describe_file_systems", {"FileSystems": [found]}, {})
    stubber.add_response("describe_data_repository_associations", {"Associations": [ours()]}, FS_FILTER)

    args = {key: ARGS[key] for key in ("region", "access_key", "secret_key")}
    rc, result = execute_module(capsys, fsx_dra_info.main, dict(args, cluster_name="day-demo"))

    assert rc == 0 and result["file_system"]["file_system_id"] == FS_ID
    read_back = temporary_export.raw_file_system(result["file_system"])
    assert {key: read_back[key] for key in ("FileSystemId", "FileSystemType", "Lifecycle", "Tags")} == {
        key: found[key] for key in ("FileSystemId", "FileSystemType", "Lifecycle", "Tags")
    }
    association = temporary_export.raw_association(result["associations"][0])
    assert {key: association[key] for key in ("AssociationId", "ResourceARN", "FileSystemPath", "Tags")} == {
        key: ours()[key] for key in ("AssociationId", "ResourceARN", "FileSystemPath", "Tags")
    }
