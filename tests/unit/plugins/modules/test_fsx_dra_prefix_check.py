"""fsx_dra require_objects (defect 6 of issue 8): a mistyped or empty S3 prefix is refused before
CreateDataRepositoryAssociation, with Stubber-validated FSx and S3 clients."""

import pytest

from ansible_collections.daylily.ephemeral_cluster.plugins.modules import fsx_dra
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
LISTING = {"Bucket": "dayec-runs", "Prefix": "R1/", "MaxKeys": 1}
FILE_SYSTEM = {
    "FileSystemId": FS_ID,
    "FileSystemType": "LUSTRE",
    "Lifecycle": "AVAILABLE",
    "LustreConfiguration": {"DeploymentType": "SCRATCH_2"},
}


@pytest.fixture
def stubbers(monkeypatch):
    with stubbed_module_clients(monkeypatch, "fsx", "s3") as stubbed:
        yield stubbed


def attach(capsys, check_mode=False, **args):
    return execute_module(
        capsys,
        fsx_dra.main,
        dict(
            CONNECTION,
            file_system_id=FS_ID,
            file_system_path=RUN_PATH,
            data_repository_path=RUN_URI,
            require_objects=True,
            **args,
        ),
        check_mode=check_mode,
    )


def expect_describes(fsx, existing=()):
    fsx.add_response("describe_data_repository_associations", {"Associations": list(existing)}, FS_FILTER)


@pytest.mark.parametrize("check_mode", [False, True])
def test_defect_06_an_empty_prefix_is_refused_before_anything_is_attached(stubbers, capsys, check_mode):
    expect_describes(stubbers["fsx"])
    stubbers["fsx"].add_response("describe_file_systems", {"FileSystems": [FILE_SYSTEM]}, {"FileSystemIds": [FS_ID]})
    stubbers["s3"].add_response("list_objects_v2", {"KeyCount": 0, "Name": "dayec-runs", "Prefix": "R1/"}, LISTING)

    rc, result = attach(capsys, check_mode=check_mode)

    assert rc == 1
    assert result["msg"] == (
        "s3://dayec-runs/R1/ holds no objects: check the S3 URI for a typo, or upload the data "
        "first. Nothing was attached to /run_dir_mounts/R1/"
    )
    assert result["changed"] is False


def test_defect_06_a_missing_bucket_is_refused_the_same_way(stubbers, capsys):
    expect_describes(stubbers["fsx"])
    stubbers["fsx"].add_response("describe_file_systems", {"FileSystems": [FILE_SYSTEM]}, {"FileSystemIds": [FS_ID]})
    stubbers["s3"].add_client_error("list_objects_v2", "NoSuchBucket", "gone", 404, expected_params=LISTING)

    rc, result = attach(capsys)

    assert rc == 1 and "holds no objects" in result["msg"]


def test_defect_06_a_prefix_with_objects_is_attached(stubbers, capsys):
    expect_describes(stubbers["fsx"])
    stubbers["fsx"].add_response("describe_file_systems", {"FileSystems": [FILE_SYSTEM]}, {"FileSystemIds": [FS_ID]})
    stubbers["s3"].add_response("list_objects_v2", {"KeyCount": 1, "Contents": [{"Key": "R1/RunInfo.xml"}]}, LISTING)

    rc, result = attach(capsys, check_mode=True)

    assert rc == 0, result
    assert result["changed"] is True


def test_defect_06_an_existing_association_is_not_listed_again(stubbers, capsys):
    expect_describes(stubbers["fsx"], [association(1, path=RUN_PATH, uri=RUN_URI)])

    rc, result = attach(capsys)

    assert rc == 0, result
    assert result["changed"] is False and result["created"] is False  # a role's rescue never detaches it
