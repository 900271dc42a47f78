"""Unit tests for plugins/modules/fsx_dra.py.

main() runs for real (argument parsing, check mode, diff, exit_json/fail_json) with patch_module_args; only client
creation is intercepted: DaylilyAWSModule.client returns a real botocore FSx client wrapped in Stubber (every request
validated against the API model, and any call that was not stubbed fails the test) inside the same
RetryingBotoClientWrapper amazon.aws builds, with the production retry codes and no back-off delay.
"""

import json

import boto3
import pytest
from botocore.stub import Stubber

from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import DaylilyAWSModule
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import aws_retry
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.paths import client_request_token
from ansible_collections.daylily.ephemeral_cluster.plugins.modules import fsx_dra
from testlib.fsx_api import CREATED
from testlib.fsx_api import FS_ID
from testlib.fsx_api import OTHER_FS_ID
from testlib.fsx_api import REGION
from testlib.fsx_api import association as dra
from testlib.modules import execute_module

CONNECTION = {"region": REGION, "access_key": "testing", "secret_key": "testing", "retry_delay": 0}
FS_FILTER = {"Filters": [{"Name": "file-system-id", "Values": [FS_ID]}]}
DESCRIBE = "describe_data_repository_associations"
CREATE = "create_data_repository_association"
UPDATE = "update_data_repository_association"
DELETE = "delete_data_repository_association"
RUN_PATH = "/run_dir_mounts/run42/"
RUN_URI = "s3://daylily-runs/run42/"
NEW_ID = "dra-00000000000000042"
MUTATING = (CREATE, UPDATE, DELETE, "tag_resource", "untag_resource")


def new_dra(lifecycle="AVAILABLE", **kwargs):
    kwargs.setdefault("path", RUN_PATH)
    kwargs.setdefault("uri", RUN_URI)
    kwargs.setdefault("assoc_id", NEW_ID)
    return dra(0x42, lifecycle=lifecycle, **kwargs)


def file_system(
    deployment="SCRATCH_2", lifecycle="AVAILABLE", fs_type="LUSTRE", legacy=False, cluster=None, fs_id=FS_ID
):
    lustre = {"DeploymentType": deployment, "MountName": "abcdefgh"}
    if legacy:
        lustre["DataRepositoryConfiguration"] = {"Lifecycle": "AVAILABLE", "ImportPath": "s3://legacy-bucket/"}
    item = {
        "FileSystemId": fs_id,
        "FileSystemType": fs_type,
        "Lifecycle": lifecycle,
        "CreationTime": CREATED,
        "LustreConfiguration": lustre,
    }
    if cluster:
        item["Tags"] = [{"Key": "parallelcluster:cluster-name", "Value": cluster}]
    return item


def create_token(path=RUN_PATH, uri=RUN_URI, **extra):
    return client_request_token(
        "dra", dict({"file_system_id": FS_ID, "file_system_path": path, "data_repository_path": uri}, **extra)
    )


class Fsx:
    """The stubbed client plus shorthands for the calls fsx_dra makes."""

    def __init__(self, stubber):
        self.stubber = stubber

    def listing(self, *associations):
        self.stubber.add_response(DESCRIBE, {"Associations": list(associations)}, FS_FILTER)

    def by_id(self, association):
        self.stubber.add_response(
            DESCRIBE, {"Associations": [association]}, {"AssociationIds": [association["AssociationId"]]}
        )

    def not_found(self, association_id):
        self.stubber.add_client_error(
            DESCRIBE,
            "DataRepositoryAssociationNotFound",
            "gone",
            400,
            expected_params={"AssociationIds": [association_id]},
        )

    def file_system(self, **kwargs):
        self.stubber.add_response(
            "describe_file_systems", {"FileSystems": [file_system(**kwargs)]}, {"FileSystemIds": [FS_ID]}
        )

    def create(self, request, answer):
        self.stubber.add_response(CREATE, {"Association": answer}, request)

    def created_new(self, *lifecycles):
        """No association yet: the file system, the create answered CREATING, then a describe per lifecycle."""
        self.listing()
        self.file_system()
        self.create(None, new_dra("CREATING"))
        for lifecycle in lifecycles:
            self.by_id(new_dra(lifecycle))

    def update(self, request, answer):
        # No ClientRequestToken on purpose (see _fsx.attach.AssociationManager.existing); botocore adds a random one after this check.
        self.stubber.add_response(UPDATE, {"Association": answer}, request)

    def recheck(self, association):
        """The update that asks AWS to re-check a MISCONFIGURED association, then its state after it."""
        self.update({"AssociationId": association["AssociationId"]}, dict(association, Lifecycle="UPDATING"))
        self.by_id(association)

    def delete(self, association_id, delete_data=False):
        self.stubber.add_response(
            DELETE,
            {"AssociationId": association_id, "Lifecycle": "DELETING", "DeleteDataInFileSystem": delete_data},
            {
                "AssociationId": association_id,
                "DeleteDataInFileSystem": delete_data,
                "ClientRequestToken": client_request_token("dra-delete", {"association_id": association_id}),
            },
        )


@pytest.fixture
def fsx(monkeypatch):
    """Fsx shorthands over a Stubber; the test fails if a stubbed response is left or an unexpected call is made."""
    client = boto3.client("fsx", region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing")

    def fake_client(self, service, retry_decorator=None, **extra):
        assert service == "fsx" and retry_decorator is not None
        return RetryingBotoClientWrapper(client, aws_retry(delay=0))

    monkeypatch.setattr(DaylilyAWSModule, "client", fake_client)
    with Stubber(client) as stubber:
        yield Fsx(stubber)
        stubber.assert_no_pending_responses()


def run_module(capsys, args, check_mode=False, diff=False):
    """Run fsx_dra.main(); return (exit code, parsed JSON result)."""
    return execute_module(
        capsys, fsx_dra.main, dict(CONNECTION, poll_interval=0.001, **args), check_mode=check_mode, diff=diff
    )


def present(**extra):
    return dict({"file_system_id": FS_ID, "file_system_path": RUN_PATH, "data_repository_path": RUN_URI}, **extra)


# ----------------------------------------------------------------------------------------------------------------
# create
# ----------------------------------------------------------------------------------------------------------------


def test_create_sends_the_derived_token_and_the_exact_request(fsx, capsys):
    fsx.listing(dra(1, path="/references/", uri="s3://daylily-ref/"))
    fsx.file_system()
    fsx.create(
        {
            "FileSystemId": FS_ID,
            "FileSystemPath": RUN_PATH,
            "DataRepositoryPath": RUN_URI,
            "BatchImportMetaDataOnCreate": True,
            "ImportedFileChunkSize": 2048,
            "S3": {"AutoImportPolicy": {"Events": ["NEW", "CHANGED", "DELETED"]}},
            "Tags": [{"Key": "lsmc:purpose", "Value": "run-dir-mount"}],
            "ClientRequestToken": create_token(),
        },
        new_dra("CREATING"),
    )
    fsx.by_id(new_dra(tags={"lsmc:purpose": "run-dir-mount"}))

    rc, result = run_module(
        capsys,
        present(
            file_system_path="/fsx/run_dir_mounts/run42",  # headnode form
            data_repository_path="s3://daylily-runs/run42",  # no trailing slash
            batch_import_meta_data_on_create=True,
            imported_file_chunk_size=2048,
            auto_import_events=["DELETED", "NEW", "CHANGED"],
            tags={"lsmc:purpose": "run-dir-mount"},
        ),
        diff=True,
    )

    assert rc == 0, result
    assert result["changed"] is True
    assert result["file_system_id"] == FS_ID
    assert result["association"]["association_id"] == NEW_ID
    assert result["association"]["lifecycle"] == "AVAILABLE"
    assert result["association"]["tags"] == {"lsmc:purpose": "run-dir-mount"}
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"] == {
        "file_system_path": RUN_PATH,
        "data_repository_path": RUN_URI,
        "auto_import_events": ["NEW", "CHANGED", "DELETED"],
        "auto_export_events": [],
        "imported_file_chunk_size": 2048,
        "tags": {"lsmc:purpose": "run-dir-mount"},
        "lifecycle": "AVAILABLE",
    }
    assert "detach_lifecycle" not in result


def test_create_without_events_sends_no_s3_block(fsx, capsys):
    path, uri = "/analysis_results/alice/run42/", "s3://daylily-analysis/derived/alice/run42/"
    fsx.listing()
    fsx.file_system()
    fsx.create(
        {
            "FileSystemId": FS_ID,
            "FileSystemPath": path,
            "DataRepositoryPath": uri,
            "BatchImportMetaDataOnCreate": False,
            "ClientRequestToken": create_token(path, uri),
        },
        new_dra("CREATING", path=path, uri=uri),
    )
    fsx.by_id(new_dra(path=path, uri=uri))

    rc, result = run_module(capsys, present(file_system_path=path, data_repository_path=uri))

    assert rc == 0, result
    assert result["changed"] is True and "s3" not in result["association"]


def test_cluster_name_resolves_the_file_system_once(fsx, capsys):
    fsx.stubber.add_response(
        "describe_file_systems",
        {"FileSystems": [file_system(cluster="other", fs_id=OTHER_FS_ID), file_system(cluster="day-demo")]},
        {},
    )
    fsx.listing()
    fsx.create(
        {
            "FileSystemId": FS_ID,
            "FileSystemPath": RUN_PATH,
            "DataRepositoryPath": RUN_URI,
            "BatchImportMetaDataOnCreate": False,
            "ClientRequestToken": create_token(),
        },
        new_dra("CREATING"),
    )
    fsx.by_id(new_dra())

    rc, result = run_module(
        capsys, {"cluster_name": "day-demo", "file_system_path": RUN_PATH, "data_repository_path": RUN_URI}
    )

    assert rc == 0, result
    assert result["file_system_id"] == FS_ID


def test_wait_reaches_available_over_several_describes(fsx, capsys):
    fsx.created_new("CREATING", "CREATING", "CREATING", "AVAILABLE")

    rc, result = run_module(capsys, present())

    assert rc == 0, result
    assert result["association"]["lifecycle"] == "AVAILABLE"


def test_misconfigured_during_wait_fails_with_details_and_the_association(fsx, capsys):
    fsx.created_new("CREATING")
    fsx.by_id(new_dra("MISCONFIGURED", failure="Amazon FSx cannot access the S3 bucket."))

    rc, result = run_module(capsys, present())

    assert rc == 1
    assert "MISCONFIGURED" in result["msg"] and "Amazon FSx cannot access the S3 bucket." in result["msg"]
    assert NEW_ID in result["msg"] and "state=absent" in result["msg"]
    assert result["association"]["association_id"] == NEW_ID
    assert result["association"]["failure_details"] == {"message": "Amazon FSx cannot access the S3 bucket."}
    assert result["changed"] is True  # the association was created and is kept


@pytest.mark.parametrize(
    "failure", ["Amazon FSx cannot access the S3 bucket.", "Amazon FSx cannot access the S3 bucket"]
)
def test_defect_13_misconfigured_message_has_no_doubled_period(fsx, capsys, failure):
    fsx.listing(new_dra("MISCONFIGURED", failure=failure))
    fsx.recheck(new_dra("MISCONFIGURED", failure=failure))

    rc, result = run_module(capsys, present())

    assert rc == 1
    assert "Amazon FSx cannot access the S3 bucket. Fix the cause" in result["msg"]
    assert ".." not in result["msg"]


ROLE_NAMES = {
    "state": "run_mount_state",
    "wait_timeout": "run_mount_wait_timeout",
    "cluster_name": "workflow_cluster_name",
    "file_system_id": "workflow_file_system_id",
    "file_system_path": "run_mount_file_system_path",
}


def test_defect_12_overlap_hint_names_the_variable_the_role_sets(fsx, capsys):
    fsx.listing(dra(1, path="/run_dir_mounts/", uri="s3://other/"))
    fsx.file_system()

    rc, result = run_module(capsys, present(option_names=ROLE_NAMES))

    assert rc == 1
    assert "Detach the overlapping association(s) with run_mount_state=absent" in result["msg"]


def test_defect_12_other_prefix_hint_names_the_variables_the_role_sets(fsx, capsys):
    fsx.listing(new_dra(uri="s3://daylily-runs/other/"))

    rc, result = run_module(capsys, present(option_names=ROLE_NAMES))

    assert rc == 1
    assert "detach it first (run_mount_state=absent) or choose another run_mount_file_system_path" in result["msg"]


def test_defect_12_unknown_cluster_hint_names_the_variables_the_role_sets(fsx, capsys):
    fsx.stubber.add_response("describe_file_systems", {"FileSystems": []}, {})

    args = {key: value for key, value in present(option_names=ROLE_NAMES).items() if key != "file_system_id"}
    rc, result = run_module(capsys, dict(args, cluster_name="day-x"))

    assert rc == 1
    assert "Check workflow_cluster_name and region, or pass workflow_file_system_id" in result["msg"]


def test_defect_12_wait_timeout_hint_names_the_variable_the_role_sets(fsx, capsys):
    fsx.listing(new_dra("CREATING"))

    rc, result = run_module(capsys, present(option_names=ROLE_NAMES, wait_timeout=0))

    assert rc == 1
    assert "re-run the task to keep waiting, or raise run_mount_wait_timeout" in result["msg"]


def test_wait_timeout_names_the_association_and_its_last_lifecycle(fsx, capsys):
    fsx.created_new("CREATING")

    rc, result = run_module(capsys, present(wait_timeout=0))

    assert rc == 1
    assert NEW_ID in result["msg"] and "last lifecycle was CREATING" in result["msg"]
    assert "re-run" in result["msg"] and "kept" in result["msg"]
    assert result["association"]["lifecycle"] == "CREATING"


def test_no_wait_returns_the_creating_association(fsx, capsys):
    fsx.created_new("CREATING")

    rc, result = run_module(capsys, present(wait=False))

    assert rc == 0 and result["changed"] is True and result["association"]["lifecycle"] == "CREATING"


def test_reattach_after_detach_skips_the_replayed_association(fsx, capsys):
    """AWS answers the reused token with the association it created first; that one is gone, so use a new token."""
    old_id = "dra-000000000000000aa"
    fsx.listing()
    fsx.file_system()
    fsx.create(None, new_dra("AVAILABLE", assoc_id=old_id))
    fsx.not_found(old_id)
    fsx.create(
        {
            "FileSystemId": FS_ID,
            "FileSystemPath": RUN_PATH,
            "DataRepositoryPath": RUN_URI,
            "BatchImportMetaDataOnCreate": False,
            "ClientRequestToken": create_token(replaces=old_id),
        },
        new_dra("CREATING"),
    )
    fsx.by_id(new_dra())

    rc, result = run_module(capsys, present())

    assert rc == 0, result
    assert result["association"]["association_id"] == NEW_ID


def test_token_reused_with_other_settings_falls_back_to_a_token_over_the_request(fsx, capsys):
    fsx.listing()
    fsx.file_system()
    fsx.stubber.add_client_error(
        CREATE,
        "IncompatibleParameterError",
        "token reused",
        400,
        expected_params=None,
        modeled_fields={"Parameter": "S3"},
    )
    request = {
        "FileSystemId": FS_ID,
        "FileSystemPath": RUN_PATH,
        "DataRepositoryPath": RUN_URI,
        "BatchImportMetaDataOnCreate": False,
        "S3": {"AutoImportPolicy": {"Events": ["NEW"]}},
    }
    fsx.create(dict(request, ClientRequestToken=create_token(request=request)), new_dra("CREATING"))
    fsx.by_id(new_dra())

    rc, result = run_module(capsys, present(auto_import_events=["NEW"]))

    assert rc == 0, result


# ----------------------------------------------------------------------------------------------------------------
# existing associations
# ----------------------------------------------------------------------------------------------------------------


def test_same_path_and_prefix_is_unchanged(fsx, capsys):
    # AWS returns the paths as they were given: without trailing slashes here.
    current = new_dra(
        path="/run_dir_mounts/run42",
        uri="s3://daylily-runs/run42",
        tags={"lsmc:purpose": "run-dir-mount"},
        s3={"AutoImportPolicy": {"Events": ["NEW", "CHANGED"]}},
    )
    fsx.listing(dra(1, path="/references/", uri="s3://daylily-ref/"), current)

    rc, result = run_module(
        capsys,
        present(
            file_system_path="/fsx/run_dir_mounts/run42/",
            auto_import_events=["CHANGED", "NEW"],
            tags={"lsmc:purpose": "run-dir-mount"},
        ),
        diff=True,
    )

    assert rc == 0, result
    assert result["changed"] is False
    assert result["association"]["association_id"] == NEW_ID
    assert result["diff"]["before"] == result["diff"]["after"]


def test_same_path_with_another_prefix_is_refused_naming_the_association(fsx, capsys):
    fsx.listing(new_dra(uri="s3://daylily-runs/run41/"))

    rc, result = run_module(capsys, present())

    assert rc == 1
    for part in (NEW_ID, "s3://daylily-runs/run41/", RUN_URI, "never replaced"):
        assert part in result["msg"]
    assert result["changed"] is False


def test_different_events_chunk_size_and_tags_are_updated(fsx, capsys):
    current = new_dra(
        tags={"lsmc:purpose": "old", "Name": "run42", "aws:cloudformation:stack-name": "day"},
        s3={"AutoImportPolicy": {"Events": ["NEW"]}},
    )
    fsx.listing(current)
    fsx.stubber.add_response("untag_resource", {}, {"ResourceARN": current["ResourceARN"], "TagKeys": ["Name"]})
    fsx.stubber.add_response(
        "tag_resource",
        {},
        {"ResourceARN": current["ResourceARN"], "Tags": [{"Key": "lsmc:purpose", "Value": "run-dir-mount"}]},
    )
    fsx.update(
        {
            "AssociationId": NEW_ID,
            "ImportedFileChunkSize": 4096,
            "S3": {"AutoImportPolicy": {"Events": ["NEW", "CHANGED", "DELETED"]}, "AutoExportPolicy": {"Events": []}},
        },
        new_dra("UPDATING"),
    )
    updated = new_dra(
        "UPDATING",
        tags={"lsmc:purpose": "run-dir-mount", "aws:cloudformation:stack-name": "day"},
        s3={"AutoImportPolicy": {"Events": ["NEW", "CHANGED", "DELETED"]}},
    )
    fsx.by_id(updated)
    fsx.by_id(dict(updated, Lifecycle="AVAILABLE", ImportedFileChunkSize=4096))

    rc, result = run_module(
        capsys,
        present(
            auto_import_events=["NEW", "CHANGED", "DELETED"],
            auto_export_events=[],
            imported_file_chunk_size=4096,
            tags={"lsmc:purpose": "run-dir-mount"},
        ),
        diff=True,
    )

    assert rc == 0, result
    assert result["changed"] is True
    assert result["association"]["lifecycle"] == "AVAILABLE"
    assert result["diff"]["before"]["auto_import_events"] == ["NEW"]
    assert result["diff"]["after"]["auto_import_events"] == ["NEW", "CHANGED", "DELETED"]
    assert result["diff"]["after"]["tags"] == {"lsmc:purpose": "run-dir-mount", "aws:cloudformation:stack-name": "day"}
    assert result["diff"]["after"]["imported_file_chunk_size"] == 4096


def test_purge_tags_false_only_adds(fsx, capsys):
    current = new_dra(tags={"Name": "run42"})
    fsx.listing(current)
    fsx.stubber.add_response(
        "tag_resource", {}, {"ResourceARN": current["ResourceARN"], "Tags": [{"Key": "owner", "Value": "7"}]}
    )
    fsx.by_id(new_dra(tags={"Name": "run42", "owner": "7"}))

    rc, result = run_module(capsys, present(tags={"owner": 7}, purge_tags=False))

    assert rc == 0, result
    assert result["association"]["tags"] == {"Name": "run42", "owner": "7"}


def test_existing_misconfigured_association_fails_and_is_kept(fsx, capsys):
    fsx.listing(new_dra("MISCONFIGURED", failure="Amazon FSx cannot access the S3 bucket."))
    fsx.recheck(new_dra("MISCONFIGURED", failure="Amazon FSx cannot access the S3 bucket."))  # the cause persists

    rc, result = run_module(capsys, present())

    assert rc == 1
    assert "MISCONFIGURED" in result["msg"] and "cannot access" in result["msg"]
    assert result["changed"] is True  # the re-check is an update; nothing was deleted


def test_existing_misconfigured_association_recovers_when_aws_rechecks_it(fsx, capsys):
    fsx.listing(new_dra("MISCONFIGURED", failure="Amazon FSx cannot access the S3 bucket."))
    fsx.recheck(new_dra())  # the cause was fixed: AVAILABLE again

    rc, result = run_module(capsys, present())

    assert rc == 0, result
    assert result["changed"] is True and result["association"]["lifecycle"] == "AVAILABLE"


def test_failed_association_at_the_path_must_be_removed_first(fsx, capsys):
    fsx.listing(new_dra("FAILED", failure="The data repository association could not be created."))

    rc, result = run_module(capsys, present())

    assert rc == 1
    assert "FAILED" in result["msg"] and f"association_id={NEW_ID}" in result["msg"]


def test_present_by_association_id_updates_it(fsx, capsys):
    current = new_dra(s3={"AutoExportPolicy": {"Events": ["NEW"]}})
    fsx.by_id(current)
    fsx.update(
        {"AssociationId": NEW_ID, "S3": {"AutoImportPolicy": {"Events": []}, "AutoExportPolicy": {"Events": []}}},
        new_dra("UPDATING"),
    )
    fsx.by_id(new_dra("AVAILABLE"))

    rc, result = run_module(capsys, {"association_id": NEW_ID, "auto_export_events": []})

    assert rc == 0, result
    assert result["changed"] is True and result["file_system_id"] == FS_ID


def test_present_by_unknown_association_id_fails(fsx, capsys):
    fsx.not_found(NEW_ID)

    rc, result = run_module(capsys, {"association_id": NEW_ID})

    assert rc == 1 and "does not exist" in result["msg"]


# ----------------------------------------------------------------------------------------------------------------
# refusals before create
# ----------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "other, reason",
    [
        (dra(1, path="/run_dir_mounts/", uri="s3://daylily-runs-parent/"), "FileSystemPath /run_dir_mounts/ overlaps"),
        (
            dra(2, path="/run_dir_mounts/run42/lane1/", uri="s3://elsewhere/x/"),
            "FileSystemPath /run_dir_mounts/run42/lane1/ overlaps",
        ),
        (dra(3, path="/staging/x/", uri="s3://daylily-runs/"), "DataRepositoryPath s3://daylily-runs/ overlaps"),
        (
            dra(4, path="/staging/y/", uri="s3://daylily-runs/run42/sub/", lifecycle="MISCONFIGURED"),
            "DataRepositoryPath",
        ),
    ],
)
def test_invariant_04_overlap_with_active_association_refused(fsx, capsys, other, reason):
    fsx.listing(dra(9, path="/old/", uri="s3://daylily-runs/run42/old/", lifecycle="FAILED"), other)
    fsx.file_system()

    rc, result = run_module(capsys, present())

    assert rc == 1
    for part in (
        other["AssociationId"],
        other["FileSystemPath"],
        other["DataRepositoryPath"],
        other["Lifecycle"],
        reason,
    ):
        assert part in result["msg"]
    assert "dra-00000000000000009" not in result["msg"]  # FAILED associations hold no paths
    assert [item["association_id"] for item in result["conflicting_associations"]] == [other["AssociationId"]]


def test_invariant_04_eighth_active_association_refused(fsx, capsys):
    fsx.listing(*[dra(n, lifecycle="MISCONFIGURED" if n == 1 else "AVAILABLE") for n in range(1, 9)])
    fsx.file_system()

    rc, result = run_module(capsys, present(file_system_path="/staging/new/", data_repository_path="s3://new-bucket/"))

    assert rc == 1
    assert "8 data repository associations are active" in result["msg"]


def test_invariant_04_sixth_active_association_warns(fsx, capsys):
    existing = [dra(n) for n in range(1, 7)] + [dra(7, lifecycle="FAILED")]
    fsx.listing(*existing)
    fsx.file_system()
    fsx.create(None, new_dra("CREATING", path="/staging/new/", uri="s3://new-bucket/"))
    fsx.by_id(new_dra(path="/staging/new/", uri="s3://new-bucket/"))

    rc, result = run_module(capsys, present(file_system_path="/staging/new/", data_repository_path="s3://new-bucket/"))

    assert rc == 0, result
    assert "6 of 8 data repository associations are active; 2 left" in json.dumps(result["warnings"])


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        ({"deployment": "SCRATCH_1"}, "SCRATCH_1"),
        ({"legacy": True}, "legacy file-system-level data repository configuration"),
        ({"lifecycle": "UPDATING"}, "UPDATING, not AVAILABLE"),
        ({"fs_type": "OPENZFS"}, "not LUSTRE"),
    ],
)
def test_invariant_03_incompatible_file_system_refused_before_create(fsx, capsys, kwargs, expected):
    fsx.listing()
    fsx.file_system(**kwargs)

    rc, result = run_module(capsys, present())

    assert rc == 1
    assert expected in result["msg"] and FS_ID in result["msg"]
    assert result["changed"] is False


# ----------------------------------------------------------------------------------------------------------------
# check mode: describes only (Stubber fails on any call that is not stubbed)
# ----------------------------------------------------------------------------------------------------------------


def test_check_mode_create_makes_no_mutating_call(fsx, capsys):
    fsx.listing()
    fsx.file_system()

    rc, result = run_module(capsys, present(tags={"a": "b"}), check_mode=True, diff=True)

    assert rc == 0, result
    assert result["changed"] is True and result["association"] == {}
    assert result["diff"]["before"] == {} and result["diff"]["after"]["file_system_path"] == RUN_PATH


def test_check_mode_update_makes_no_mutating_call(fsx, capsys):
    fsx.listing(new_dra(tags={"old": "1"}))

    rc, result = run_module(capsys, present(auto_import_events=["NEW"], tags={"new": "2"}), check_mode=True, diff=True)

    assert rc == 0, result
    assert result["changed"] is True
    assert result["diff"]["after"]["tags"] == {"new": "2"} and result["diff"]["after"]["auto_import_events"] == ["NEW"]
    assert result["association"]["tags"] == {"old": "1"}


def test_check_mode_absent_makes_no_mutating_call(fsx, capsys):
    fsx.listing(new_dra())

    rc, result = run_module(
        capsys, {"file_system_id": FS_ID, "file_system_path": RUN_PATH, "state": "absent"}, check_mode=True, diff=True
    )

    assert rc == 0, result
    assert result["changed"] is True and result["detach_lifecycle"] == "DELETED"
    assert result["diff"]["after"] == {} and result["diff"]["before"]["file_system_path"] == RUN_PATH


# ----------------------------------------------------------------------------------------------------------------
# absent
# ----------------------------------------------------------------------------------------------------------------


def test_invariant_01_detach_never_deletes_data_in_file_system(fsx, capsys):
    fsx.listing(new_dra())
    fsx.delete(NEW_ID, delete_data=False)
    fsx.by_id(new_dra("DELETING"))
    fsx.not_found(NEW_ID)

    rc, result = run_module(
        capsys, {"file_system_id": FS_ID, "file_system_path": "/fsx/run_dir_mounts/run42", "state": "absent"}, diff=True
    )

    assert rc == 0, result
    assert result["changed"] is True
    assert result["detach_lifecycle"] == "DELETED"
    assert result["association"]["association_id"] == NEW_ID
    assert result["diff"] == {"before": result["diff"]["before"], "after": {}}


def test_absent_on_a_missing_association_is_unchanged(fsx, capsys):
    fsx.not_found(NEW_ID)

    rc, result = run_module(capsys, {"association_id": NEW_ID, "state": "absent"})

    assert rc == 0, result
    assert result["changed"] is False and result["detach_lifecycle"] == "NOT_FOUND" and result["association"] == {}


@pytest.mark.parametrize("lifecycle", ["MISCONFIGURED", "FAILED"])
def test_absent_removes_broken_associations(fsx, capsys, lifecycle):
    fsx.by_id(new_dra(lifecycle, failure="broken"))
    fsx.delete(NEW_ID)
    fsx.not_found(NEW_ID)

    rc, result = run_module(capsys, {"association_id": NEW_ID, "state": "absent"})

    assert rc == 0, result
    assert result["changed"] is True and result["detach_lifecycle"] == "DELETED"


def test_absent_without_wait_returns_deleting(fsx, capsys):
    fsx.by_id(new_dra())
    fsx.delete(NEW_ID)

    rc, result = run_module(capsys, {"association_id": NEW_ID, "state": "absent", "wait": False})

    assert rc == 0 and result["detach_lifecycle"] == "DELETING"


def test_absent_on_a_deleting_association_only_waits(fsx, capsys):
    fsx.by_id(new_dra("DELETING"))
    fsx.by_id(new_dra("DELETING"))
    fsx.not_found(NEW_ID)

    rc, result = run_module(capsys, {"association_id": NEW_ID, "state": "absent"})

    assert rc == 0 and result["changed"] is False and result["detach_lifecycle"] == "DELETED"


def test_delete_data_with_confirmation_is_sent(fsx, capsys):
    fsx.by_id(new_dra())
    fsx.delete(NEW_ID, delete_data=True)
    fsx.not_found(NEW_ID)

    rc, result = run_module(
        capsys,
        {
            "association_id": NEW_ID,
            "state": "absent",
            "delete_data_in_file_system": True,
            "confirm_delete_data_in_file_system": True,
        },
    )

    assert rc == 0, result


def test_delete_data_without_confirmation_is_refused_before_any_call(fsx, capsys):
    rc, result = run_module(capsys, {"association_id": NEW_ID, "state": "absent", "delete_data_in_file_system": True})

    assert rc == 1 and "confirm_delete_data_in_file_system" in result["msg"]


def test_invariant_01_delete_data_refused_under_analysis_results_even_when_confirmed(fsx, capsys):
    confirmed = {"state": "absent", "delete_data_in_file_system": True, "confirm_delete_data_in_file_system": True}

    rc, result = run_module(
        capsys, dict(confirmed, file_system_id=FS_ID, file_system_path="/fsx/analysis_results/alice/run42")
    )
    assert rc == 1 and "/analysis_results/" in result["msg"]  # refused before any AWS call

    fsx.by_id(new_dra(path="/analysis_results/alice/run42/"))
    rc, result = run_module(capsys, dict(confirmed, association_id=NEW_ID))
    assert (
        rc == 1 and "/analysis_results/" in result["msg"]
    )  # refused after the describe, no DeleteDataRepositoryAssociation


def test_delete_wait_timeout_keeps_the_association(fsx, capsys):
    fsx.by_id(new_dra())
    fsx.delete(NEW_ID)
    fsx.by_id(new_dra("DELETING"))

    rc, result = run_module(capsys, {"association_id": NEW_ID, "state": "absent", "wait_timeout": 0})

    assert rc == 1
    assert NEW_ID in result["msg"] and "DELETING" in result["msg"] and "re-run" in result["msg"]
    assert result["changed"] is True


# ----------------------------------------------------------------------------------------------------------------
# options checked before any AWS call
# ----------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, expected",
    [
        ({"file_system_path": RUN_PATH, "data_repository_path": RUN_URI}, "needs file_system_id or cluster_name"),
        ({"file_system_id": FS_ID, "file_system_path": RUN_PATH}, "needs data_repository_path"),
        (
            {"file_system_id": FS_ID, "file_system_path": "run_dir_mounts/x", "data_repository_path": RUN_URI},
            "file_system_path",
        ),
        (
            {"file_system_id": FS_ID, "file_system_path": RUN_PATH, "data_repository_path": "https://x/"},
            "data_repository_path",
        ),
        ({"file_system_id": "fs-XYZ", "file_system_path": RUN_PATH, "data_repository_path": RUN_URI}, "file_system_id"),
        ({"association_id": "dra-1", "state": "absent"}, "association_id"),
        ({"association_id": NEW_ID, "file_system_path": RUN_PATH}, "mutually exclusive"),
        ({"file_system_id": FS_ID}, "one of the following is required"),
        ({"association_id": NEW_ID, "tags": {"aws:x": "y"}}, "reserved"),
        ({"association_id": NEW_ID, "imported_file_chunk_size": 0}, "imported_file_chunk_size"),
        ({"association_id": NEW_ID, "auto_import_events": ["MODIFIED"]}, "auto_import_events"),
    ],
)
def test_bad_options_fail_before_any_aws_call(fsx, capsys, args, expected):
    rc, result = run_module(capsys, args)

    assert rc == 1
    assert expected in result["msg"]
