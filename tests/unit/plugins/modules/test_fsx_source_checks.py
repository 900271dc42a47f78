"""What the FSx modules themselves check about a source before they link or export it.

* Read-only roots (defect 5 of issue 8): fsx_export_task never exports out of, and fsx_dra never turns automatic
  export on under, /run_dir_mounts/, /references/, /staging/ or /control_data/ without the writeback guard
  (allow_writeback=true and an .atlas_rw marker object at the S3 prefix or a parent), and both modules read the same
  path spellings the same way.
* require_objects (defect 6): a mistyped or empty S3 prefix is refused before CreateDataRepositoryAssociation.

Every AWS request goes through Stubber-validated botocore clients (FSx and S3); a request that was not stubbed fails.
"""

import pytest

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import paths
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.fsx import read_association_params
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.fsx import task_rules
from ansible_collections.daylily.ephemeral_cluster.plugins.modules import fsx_dra
from ansible_collections.daylily.ephemeral_cluster.plugins.modules import fsx_export_task
from testlib.fsx_api import CREATED
from testlib.fsx_api import FS_ID
from testlib.fsx_api import REGION
from testlib.fsx_api import association
from testlib.modules import execute_module
from testlib.modules import stubbed_module_clients

CONNECTION = {
    "region": REGION,
    "access_key": "testing",
    "secret_key": "testing",
    "retry_delay": 0,
    "poll_interval": 0.001,
}
FS_FILTER = {"Filters": [{"Name": "file-system-id", "Values": [FS_ID]}]}
RUN_PATH = "/run_dir_mounts/R1/"
RUN_URI = "s3://dayec-runs/R1/"
RUN_MOUNT = association(1, path=RUN_PATH, uri=RUN_URI)
READ_ONLY_PATHS = [
    "/run_dir_mounts/R1/",
    "/fsx/references/hg38",
    "/staging/remote_stage_x/",
    "/control_data/",
    "/fsx/run_dir_mounts",
]
MARKER_KEYS = ("R1/.atlas_rw",)
LISTING = {"Bucket": "dayec-runs", "Prefix": "R1/", "MaxKeys": 1}


@pytest.fixture
def stubbers(monkeypatch):
    with stubbed_module_clients(monkeypatch, "fsx", "s3") as stubbed:
        yield stubbed


def no_marker(s3, keys=MARKER_KEYS, bucket="dayec-runs"):
    for key in keys:
        s3.add_client_error("head_object", "404", "Not Found", 404, expected_params={"Bucket": bucket, "Key": key})


def marker(s3, key="R1/.atlas_rw", bucket="dayec-runs"):
    s3.add_response("head_object", {"ContentLength": 0}, {"Bucket": bucket, "Key": key})


# --- fsx_export_task ---------------------------------------------------------------------------------------------


def export(capsys, **args):
    return execute_module(capsys, fsx_export_task.main, dict(CONNECTION, file_system_id=FS_ID, **args))


@pytest.mark.parametrize("path", READ_ONLY_PATHS)
def test_defect_05_invariant_08_export_out_of_a_read_only_root_is_refused_before_any_aws_call(stubbers, capsys, path):
    rc, result = export(capsys, paths=[path], report_path=RUN_URI + "_daylily_monitor/export-report/")

    assert rc == 1
    assert result["msg"].startswith("Refusing to export /")
    assert "Nothing was changed" in result["msg"]
    # the hint never points into the source's bucket
    assert "s3://" not in result["msg"] and "report_path" not in result["msg"]


def test_defect_05_invariant_08_admin_switch_without_marker_still_refuses(stubbers, capsys):
    stubbers["fsx"].add_response("describe_data_repository_associations", {"Associations": [RUN_MOUNT]}, FS_FILTER)
    no_marker(stubbers["s3"])

    rc, result = export(
        capsys, paths=[RUN_PATH], report_path=RUN_URI + "_daylily_monitor/export-report/", allow_writeback=True
    )

    assert rc == 1
    assert "No .atlas_rw marker object allows writing into s3://dayec-runs/R1/" in result["msg"]
    assert "s3://dayec-runs/R1/.atlas_rw" in result["msg"]


def test_defect_05_writeback_guard_lets_an_allowed_export_go_on(stubbers, capsys):
    report = RUN_URI + "_daylily_monitor/export-report/"
    stubbers["fsx"].add_response("describe_data_repository_associations", {"Associations": [RUN_MOUNT]}, FS_FILTER)
    marker(stubbers["s3"])
    stubbers["fsx"].add_response("describe_data_repository_tasks", {"DataRepositoryTasks": []}, FS_FILTER)
    request = task_rules.export_request(FS_ID, [RUN_PATH], report, task_rules.export_token(FS_ID, [RUN_PATH], report))
    created = {
        "TaskId": "task-00000000000000009",
        "FileSystemId": FS_ID,
        "Type": "EXPORT_TO_REPOSITORY",
        "Lifecycle": "PENDING",
        "Paths": request["Paths"],
        "Report": request["Report"],
        "CreationTime": CREATED,
    }
    stubbers["fsx"].add_response("create_data_repository_task", {"DataRepositoryTask": created}, request)

    rc, result = export(capsys, paths=[RUN_PATH], report_path=report, allow_writeback=True, wait=False)

    assert rc == 0, result
    assert result["changed"] is True and result["task_id"] == "task-00000000000000009"


# --- fsx_dra ---------------------------------------------------------------------------------------------------


def expect_a_free_path(fsx):
    """No association yet, on an AVAILABLE SCRATCH_2 file system: the checks before a create pass."""
    fsx.add_response("describe_data_repository_associations", {"Associations": []}, FS_FILTER)
    file_system = {
        "FileSystemId": FS_ID,
        "FileSystemType": "LUSTRE",
        "Lifecycle": "AVAILABLE",
        "LustreConfiguration": {"DeploymentType": "SCRATCH_2"},
    }
    fsx.add_response("describe_file_systems", {"FileSystems": [file_system]}, {"FileSystemIds": [FS_ID]})


def attach(capsys, check_mode=False, **args):
    args = dict({"file_system_id": FS_ID}, **args)
    return execute_module(
        capsys,
        fsx_dra.main,
        dict(CONNECTION, **{k: v for k, v in args.items() if v is not None}),
        check_mode=check_mode,
    )


@pytest.mark.parametrize("path", READ_ONLY_PATHS)
def test_defect_05_invariant_05_auto_export_under_a_read_only_root_is_refused_before_any_aws_call(
    stubbers, capsys, path
):
    rc, result = attach(capsys, file_system_path=path, data_repository_path=RUN_URI, auto_export_events=["NEW"])

    assert rc == 1
    assert result["msg"].startswith("Refusing automatic export (auto_export_events) on /")
    assert "allow_writeback=true and an .atlas_rw marker object" in result["msg"]


def test_defect_05_invariant_05_auto_export_needs_the_marker_even_with_the_admin_switch(stubbers, capsys):
    expect_a_free_path(stubbers["fsx"])
    no_marker(stubbers["s3"])

    rc, result = attach(
        capsys,
        file_system_path=RUN_PATH,
        data_repository_path=RUN_URI,
        auto_export_events=["NEW"],
        allow_writeback=True,
    )

    assert rc == 1
    assert "No .atlas_rw marker object allows writing into s3://dayec-runs/R1/" in result["msg"]
    assert result["changed"] is False


def test_defect_05_invariant_05_turning_auto_export_on_for_an_existing_run_mount_is_refused(stubbers, capsys):
    stubbers["fsx"].add_response(
        "describe_data_repository_associations",
        {"Associations": [RUN_MOUNT]},
        {"AssociationIds": [RUN_MOUNT["AssociationId"]]},
    )

    rc, result = attach(
        capsys, association_id=RUN_MOUNT["AssociationId"], auto_export_events=["NEW", "CHANGED"], file_system_id=None
    )

    assert rc == 1
    assert result["msg"].startswith(f"Refusing automatic export (auto_export_events) on {RUN_PATH}")


def test_defect_05_read_only_mounts_without_auto_export_are_still_attached(stubbers, capsys):
    expect_a_free_path(stubbers["fsx"])

    rc, result = attach(
        capsys, check_mode=True, file_system_path=RUN_PATH, data_repository_path=RUN_URI, auto_import_events=["NEW"]
    )

    assert rc == 0, result
    assert result["changed"] is True


# --- one normaliser --------------------------------------------------------------------------------------------

SPELLINGS = [
    ("/analysis_results/e/a/", "/fsx"),
    ("/analysis_results/e/a", "/fsx"),
    ("/fsx/analysis_results/e/a", "/fsx"),
    ("/fsx/analysis_results/e/a/", "/mnt/fsx"),
    ("/mnt/fsx/analysis_results/e/a", "/mnt/fsx"),
    ("/mnt/fsx/analysis_results/e/a/", "/mnt/fsx/"),
    ("/mnt/fsx/analysis_results/e/a", "/fsx"),
    ("analysis_results/e/a", "/fsx"),
    ("/analysis_results//e/a", "/fsx"),
    ("/analysis_results/e/../a", "/fsx"),
    ("/analysis_results/e/./a", "/fsx"),
    ("/analysis_results/e/a%2F", "/fsx"),
    ("/analysis_results/e/ a", "/fsx"),
    ("/analysis_results/é/a", "/fsx"),
    ("\\analysis_results\\e", "/fsx"),
    ("/analysis_results/e/a", "fsx"),
]


def dra_path(path, mount_point):
    params = {
        "state": "absent",
        "file_system_id": FS_ID,
        "cluster_name": None,
        "association_id": None,
        "file_system_path": path,
        "data_repository_path": None,
        "auto_import_events": None,
        "auto_export_events": None,
        "imported_file_chunk_size": None,
        "tags": None,
        "wait_timeout": 1,
        "poll_interval": 1,
        "delete_data_in_file_system": False,
        "confirm_delete_data_in_file_system": False,
        "mount_point": mount_point,
        "allow_writeback": False,
    }
    return read_association_params(params)["file_system_path"]


@pytest.mark.parametrize("path, mount_point", SPELLINGS)
def test_defect_05_fsx_dra_and_fsx_export_task_read_every_path_spelling_the_same_way(path, mount_point):
    outcomes = []
    for read in (dra_path, lambda p, m: task_rules.prepare_export_paths([p], mount_point=m)[0]):
        try:
            outcomes.append(read(path, mount_point))
        except paths.PathRuleError as err:
            outcomes.append(type(err))
    assert outcomes[0] == outcomes[1]


# --- require_objects ---------------------------------------------------------------------------------------------


def attach_run(capsys, check_mode=False):
    return attach(
        capsys, check_mode=check_mode, file_system_path=RUN_PATH, data_repository_path=RUN_URI, require_objects=True
    )


@pytest.mark.parametrize("check_mode", [False, True])
def test_defect_06_an_empty_prefix_is_refused_before_anything_is_attached(stubbers, capsys, check_mode):
    expect_a_free_path(stubbers["fsx"])
    stubbers["s3"].add_response("list_objects_v2", {"KeyCount": 0, "Name": "dayec-runs", "Prefix": "R1/"}, LISTING)

    rc, result = attach_run(capsys, check_mode=check_mode)

    assert rc == 1
    assert result["msg"] == (
        "s3://dayec-runs/R1/ holds no objects: check the S3 URI for a typo, or upload the data "
        "first. Nothing was attached to /run_dir_mounts/R1/"
    )
    assert result["changed"] is False


def test_defect_06_a_missing_bucket_is_refused_the_same_way(stubbers, capsys):
    expect_a_free_path(stubbers["fsx"])
    stubbers["s3"].add_client_error("list_objects_v2", "NoSuchBucket", "gone", 404, expected_params=LISTING)

    rc, result = attach_run(capsys)

    assert rc == 1 and "holds no objects" in result["msg"]


def test_defect_06_a_prefix_with_objects_is_attached(stubbers, capsys):
    expect_a_free_path(stubbers["fsx"])
    stubbers["s3"].add_response("list_objects_v2", {"KeyCount": 1, "Contents": [{"Key": "R1/RunInfo.xml"}]}, LISTING)

    rc, result = attach_run(capsys, check_mode=True)

    assert rc == 0, result
    assert result["changed"] is True


def test_defect_06_an_existing_association_is_not_listed_again(stubbers, capsys):
    stubbers["fsx"].add_response("describe_data_repository_associations", {"Associations": [RUN_MOUNT]}, FS_FILTER)

    rc, result = attach_run(capsys)

    assert rc == 0, result
    assert result["changed"] is False and result["created"] is False  # a role's rescue never detaches it
