"""Fidelity of the sandbox's FSx file systems and data repository associations, through boto3 (tests/sandbox/fsx.py).

Each test is named after the AWS rule it pins down.
"""

import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

SUBNET = "subnet-0123456789abcdef0"
BUCKET = "dayec-sandbox-data"


@pytest.fixture
def new_file_system(fsx):
    def create(deployment_type="PERSISTENT_2", **lustre):
        if deployment_type:
            lustre["DeploymentType"] = deployment_type
        return fsx.create_file_system(
            FileSystemType="LUSTRE", StorageCapacity=1200, SubnetIds=[SUBNET], LustreConfiguration=lustre
        )["FileSystem"]["FileSystemId"]

    return create


@pytest.fixture
def fs_id(new_file_system, s3):
    return new_file_system()


@pytest.fixture
def namespace(sandbox, fs_id):
    return Path(sandbox.info()["fsx_root"]) / fs_id


def associate(fsx, fs_id, path, prefix=None, **extra):
    prefix = path.strip("/") if prefix is None else prefix
    return fsx.create_data_repository_association(
        FileSystemId=fs_id, FileSystemPath=path, DataRepositoryPath=f"s3://{BUCKET}/{prefix}", **extra
    )["Association"]


def describe(fsx, association_id):
    return fsx.describe_data_repository_associations(AssociationIds=[association_id])["Associations"][0]


def refused(code, call, *args, **kwargs):
    with pytest.raises(ClientError) as caught:
        call(*args, **kwargs)
    assert caught.value.response["Error"]["Code"] == code, caught.value.response["Error"]
    return caught.value.response


# --- file systems ----------------------------------------------------------------------------------------------------
def test_created_file_system_is_available_with_deployment_type_mount_name_and_17_hex_id(fsx, new_file_system):
    fs_id = new_file_system("PERSISTENT_2", PerUnitStorageThroughput=125)
    shown = fsx.describe_file_systems(FileSystemIds=[fs_id])["FileSystems"][0]
    assert re.fullmatch(r"fs-[0-9a-f]{17}", fs_id)
    assert shown["Lifecycle"] == "AVAILABLE"
    assert shown["LustreConfiguration"]["DeploymentType"] == "PERSISTENT_2"
    assert shown["LustreConfiguration"]["PerUnitStorageThroughput"] == 125
    assert re.fullmatch(r"[a-z0-9]{8}", shown["LustreConfiguration"]["MountName"])
    assert "DataRepositoryConfiguration" not in shown["LustreConfiguration"]


def test_deployment_type_defaults_to_scratch_1_whose_mount_name_is_fsx(fsx, new_file_system):
    shown = fsx.describe_file_systems(FileSystemIds=[new_file_system(None)])["FileSystems"][0]
    assert shown["LustreConfiguration"]["DeploymentType"] == "SCRATCH_1"
    assert shown["LustreConfiguration"]["MountName"] == "fsx"


def test_legacy_import_path_shows_a_data_repository_configuration(fsx, new_file_system):
    fs_id = new_file_system("SCRATCH_2", ImportPath=f"s3://{BUCKET}/in", ExportPath=f"s3://{BUCKET}/out")
    legacy = fsx.describe_file_systems(FileSystemIds=[fs_id])["FileSystems"][0]["LustreConfiguration"][
        "DataRepositoryConfiguration"
    ]
    assert legacy["ImportPath"] == f"s3://{BUCKET}/in" and legacy["ExportPath"] == f"s3://{BUCKET}/out"
    assert legacy["Lifecycle"] == "AVAILABLE"


def test_cluster_name_tag_finds_the_file_system(fsx):
    tags = [{"Key": "parallelcluster:cluster-name", "Value": "day-1"}]
    created = fsx.create_file_system(
        FileSystemType="LUSTRE",
        StorageCapacity=1200,
        SubnetIds=[SUBNET],
        Tags=tags,
        LustreConfiguration={"DeploymentType": "SCRATCH_2"},
    )["FileSystem"]
    fsx.create_file_system(FileSystemType="LUSTRE", StorageCapacity=1200, SubnetIds=[SUBNET])
    found = [
        shown["FileSystemId"]
        for shown in fsx.describe_file_systems()["FileSystems"]
        if {"Key": "parallelcluster:cluster-name", "Value": "day-1"} in shown.get("Tags", [])
    ]
    assert found == [created["FileSystemId"]]
    assert fsx.list_tags_for_resource(ResourceARN=created["ResourceARN"])["Tags"] == tags


def test_unknown_file_system_is_file_system_not_found(fsx):
    refused("FileSystemNotFound", fsx.describe_file_systems, FileSystemIds=["fs-0123456789abcdef0"])


def test_each_file_system_has_a_namespace_directory(namespace):
    assert namespace.is_dir()


def test_control_route_sets_the_file_system_lifecycle(fsx, sandbox, fs_id):
    sandbox.call("POST", "fsx-filesystem", {"file_system_id": fs_id, "lifecycle": "FAILED", "message": "disk lost"})
    shown = fsx.describe_file_systems(FileSystemIds=[fs_id])["FileSystems"][0]
    assert shown["Lifecycle"] == "FAILED" and shown["FailureDetails"]["Message"] == "disk lost"


def test_deleting_a_file_system_removes_its_associations_and_namespace(fsx, fs_id, namespace):
    association = associate(fsx, fs_id, "/data")
    fsx.delete_file_system(FileSystemId=fs_id)
    refused("DataRepositoryAssociationNotFound", describe, fsx, association["AssociationId"])
    assert not namespace.exists()


# --- where associations can be created -------------------------------------------------------------------------------
def test_association_on_missing_file_system_is_file_system_not_found(fsx, s3):
    refused("FileSystemNotFound", associate, fsx, "fs-0123456789abcdef0", "/data")


def test_association_on_non_lustre_file_system_is_refused_with_bad_request(fsx, s3):
    windows = fsx.create_file_system(
        FileSystemType="WINDOWS", StorageCapacity=32, SubnetIds=[SUBNET], WindowsConfiguration={"ThroughputCapacity": 8}
    )["FileSystem"]["FileSystemId"]
    refused("BadRequest", associate, fsx, windows, "/data")


def test_association_on_scratch_1_file_system_is_refused_with_bad_request(fsx, new_file_system, s3):
    response = refused("BadRequest", associate, fsx, new_file_system("SCRATCH_1"), "/data")
    assert "SCRATCH_1" in response["Error"]["Message"]


@pytest.mark.parametrize("lifecycle", ["CREATING", "FAILED", "UPDATING"])
def test_association_on_file_system_that_is_not_available_is_refused_with_bad_request(fsx, sandbox, fs_id, lifecycle):
    sandbox.call("POST", "fsx-filesystem", {"file_system_id": fs_id, "lifecycle": lifecycle})
    response = refused("BadRequest", associate, fsx, fs_id, "/data")
    assert lifecycle in response["Error"]["Message"]


def test_association_on_file_system_with_legacy_import_path_is_refused_with_bad_request(fsx, new_file_system, s3):
    fs_id = new_file_system("PERSISTENT_2", ImportPath=f"s3://{BUCKET}/legacy")
    refused("BadRequest", associate, fsx, fs_id, "/data")


def test_ninth_association_on_a_file_system_is_refused_with_bad_request(fsx, fs_id):
    for index in range(8):
        associate(fsx, fs_id, f"/ns{index}")
    response = refused("BadRequest", associate, fsx, fs_id, "/ns8")
    assert "8" in response["Error"]["Message"]


# --- path rules -------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("second", ["/data", "/data/", "/data/sub", "/"])
def test_overlapping_file_system_path_is_refused_with_bad_request(fsx, fs_id, second):
    first = associate(fsx, fs_id, "/data")
    response = refused("BadRequest", associate, fsx, fs_id, second, prefix="elsewhere")
    assert first["AssociationId"] in response["Error"]["Message"] or second == "/"


def test_parent_file_system_path_of_an_existing_association_is_refused_with_bad_request(fsx, fs_id):
    associate(fsx, fs_id, "/data/sub")
    refused("BadRequest", associate, fsx, fs_id, "/data", prefix="elsewhere")


def test_sibling_paths_sharing_a_name_prefix_do_not_overlap(fsx, fs_id):
    associate(fsx, fs_id, "/data")
    assert associate(fsx, fs_id, "/database")["Lifecycle"] == "CREATING"


@pytest.mark.parametrize("second_prefix", ["data", "data/", "data/sub", ""])
def test_overlapping_s3_prefix_is_refused_with_bad_request(fsx, fs_id, second_prefix):
    associate(fsx, fs_id, "/one", prefix="data")
    response = refused("BadRequest", associate, fsx, fs_id, "/two", prefix=second_prefix)
    assert "data repository path" in response["Error"]["Message"]


def test_same_s3_prefix_on_another_file_system_is_allowed(fsx, fs_id, new_file_system):
    associate(fsx, fs_id, "/data")
    assert associate(fsx, new_file_system(), "/data")["Lifecycle"] == "CREATING"


def test_root_file_system_path_is_only_allowed_as_the_first_and_only_association(fsx, fs_id, new_file_system):
    associate(fsx, fs_id, "/", prefix="everything")
    refused("BadRequest", associate, fsx, fs_id, "/more", prefix="more")
    other = new_file_system()
    associate(fsx, other, "/data", prefix="other-data")
    response = refused("BadRequest", associate, fsx, other, "/", prefix="other-root")
    assert "first and only" in response["Error"]["Message"]


def test_concurrent_creates_of_one_path_yield_exactly_one_association(fsx, fs_id):
    def attempt(index):
        try:
            return associate(fsx, fs_id, "/data", prefix=f"attempt{index}")["AssociationId"]
        except ClientError as error:
            return error.response["Error"]["Code"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(attempt, range(8)))
    assert sorted(outcome == "BadRequest" for outcome in outcomes) == [False] + [True] * 7


def test_misconfigured_association_still_claims_its_paths(fsx, sandbox, fs_id):
    sandbox.call("POST", "fsx-outcomes", {"association_lifecycle": "MISCONFIGURED", "count": 1})
    associate(fsx, fs_id, "/data")
    refused("BadRequest", associate, fsx, fs_id, "/data", prefix="elsewhere")


def test_failed_or_deleting_association_frees_its_paths(fsx, sandbox, fs_id):
    sandbox.call("POST", "fsx-outcomes", {"association_lifecycle": "FAILED", "count": 1})
    associate(fsx, fs_id, "/failed")
    assert associate(fsx, fs_id, "/failed", prefix="failed-again")["Lifecycle"] == "CREATING"
    sandbox.slow_lifecycle("fsx::association-delete", times=5)
    deleting = associate(fsx, fs_id, "/old")
    fsx.delete_data_repository_association(AssociationId=deleting["AssociationId"])
    assert associate(fsx, fs_id, "/old", prefix="old-again")["Lifecycle"] == "CREATING"


@pytest.mark.parametrize("repository", ["bucket-without-scheme/prefix", "s3:///prefix", "https://example.com/x"])
def test_data_repository_path_must_be_an_s3_uri(fsx, fs_id, repository):
    refused(
        "BadRequest",
        fsx.create_data_repository_association,
        FileSystemId=fs_id,
        FileSystemPath="/data",
        DataRepositoryPath=repository,
    )


def test_data_repository_bucket_must_exist(fsx, fs_id):
    refused(
        "BadRequest",
        fsx.create_data_repository_association,
        FileSystemId=fs_id,
        FileSystemPath="/data",
        DataRepositoryPath="s3://no-such-bucket/data",
    )


@pytest.mark.parametrize("path", [None, "data", "/data/../escape"])
def test_file_system_path_is_required_absolute_and_inside_the_namespace(fsx, fs_id, path):
    request = {"FileSystemId": fs_id, "DataRepositoryPath": f"s3://{BUCKET}/data"}
    if path is not None:
        request["FileSystemPath"] = path
    refused("BadRequest", fsx.create_data_repository_association, **request)


# --- lifecycles -------------------------------------------------------------------------------------------------------
def test_association_goes_from_creating_to_available(fsx, sandbox, fs_id):
    sandbox.slow_lifecycle("fsx::association", times=2)  # one step every second describe
    created = associate(fsx, fs_id, "/data")
    assert re.fullmatch(r"dra-[0-9a-f]{17}", created["AssociationId"])
    assert created["Lifecycle"] == "CREATING"
    assert describe(fsx, created["AssociationId"])["Lifecycle"] == "CREATING"
    assert describe(fsx, created["AssociationId"])["Lifecycle"] == "AVAILABLE"


def test_immediate_association_is_available_at_the_first_describe(fsx, fs_id):
    created = associate(fsx, fs_id, "/data")
    assert created["Lifecycle"] == "CREATING"
    assert describe(fsx, created["AssociationId"])["Lifecycle"] == "AVAILABLE"


def test_update_goes_through_updating_to_available_and_changes_policies(fsx, sandbox, fs_id):
    created = associate(fsx, fs_id, "/data", S3={"AutoImportPolicy": {"Events": ["NEW"]}})
    sandbox.slow_lifecycle("fsx::association", times=2)
    updated = fsx.update_data_repository_association(
        AssociationId=created["AssociationId"],
        ImportedFileChunkSize=2048,
        S3={"AutoExportPolicy": {"Events": ["NEW", "CHANGED", "DELETED"]}},
    )["Association"]
    assert updated["Lifecycle"] == "UPDATING"
    assert describe(fsx, created["AssociationId"])["Lifecycle"] == "UPDATING"
    shown = describe(fsx, created["AssociationId"])
    assert shown["Lifecycle"] == "AVAILABLE"
    assert shown["ImportedFileChunkSize"] == 2048
    assert shown["S3"] == {
        "AutoImportPolicy": {"Events": ["NEW"]},
        "AutoExportPolicy": {"Events": ["NEW", "CHANGED", "DELETED"]},
    }


def test_update_while_creating_is_refused_with_bad_request(fsx, sandbox, fs_id):
    sandbox.slow_lifecycle("fsx::association", times=5)
    created = associate(fsx, fs_id, "/data")
    refused(
        "BadRequest",
        fsx.update_data_repository_association,
        AssociationId=created["AssociationId"],
        ImportedFileChunkSize=2048,
    )


def test_delete_goes_through_deleting_and_then_the_association_is_not_found(fsx, sandbox, fs_id):
    created = associate(fsx, fs_id, "/data")
    sandbox.slow_lifecycle("fsx::association-delete", times=2)
    deleted = fsx.delete_data_repository_association(AssociationId=created["AssociationId"])
    assert (deleted["Lifecycle"], deleted["DeleteDataInFileSystem"]) == ("DELETING", False)
    assert describe(fsx, created["AssociationId"])["Lifecycle"] == "DELETING"
    refused("DataRepositoryAssociationNotFound", describe, fsx, created["AssociationId"])
    refused(
        "DataRepositoryAssociationNotFound",
        fsx.delete_data_repository_association,
        AssociationId=created["AssociationId"],
    )


def test_unknown_association_is_data_repository_association_not_found(fsx, s3):
    refused("DataRepositoryAssociationNotFound", describe, fsx, "dra-0123456789abcdef0")
    refused(
        "DataRepositoryAssociationNotFound",
        fsx.update_data_repository_association,
        AssociationId="dra-0123456789abcdef0",
        ImportedFileChunkSize=2048,
    )


# --- data in the namespace --------------------------------------------------------------------------------------------
def test_batch_import_on_create_materializes_the_prefix_under_the_file_system_path(fsx, s3, fs_id, namespace):
    s3.put_object(Bucket=BUCKET, Key="ref/genome.fa", Body=b">chr1\nACGT\n")
    s3.put_object(Bucket=BUCKET, Key="ref/idx/genome.fai", Body=b"chr1\t4\n")
    s3.put_object(Bucket=BUCKET, Key="reference-other/skip.txt", Body=b"not linked")
    associate(fsx, fs_id, "/data/ref", prefix="ref", BatchImportMetaDataOnCreate=True)
    assert (namespace / "data/ref/genome.fa").read_bytes() == b">chr1\nACGT\n"
    assert (namespace / "data/ref/idx/genome.fai").read_bytes() == b"chr1\t4\n"
    assert sorted(p.name for p in (namespace / "data/ref").rglob("*") if p.is_file()) == ["genome.fa", "genome.fai"]


def test_batch_import_happens_when_the_association_becomes_available(fsx, sandbox, s3, fs_id, namespace):
    s3.put_object(Bucket=BUCKET, Key="ref/genome.fa", Body=b"ACGT")
    sandbox.slow_lifecycle("fsx::association", times=2)
    created = associate(fsx, fs_id, "/ref", BatchImportMetaDataOnCreate=True)
    assert describe(fsx, created["AssociationId"])["Lifecycle"] == "CREATING"
    assert not (namespace / "ref/genome.fa").exists()
    describe(fsx, created["AssociationId"])
    assert (namespace / "ref/genome.fa").read_bytes() == b"ACGT"


def test_without_batch_import_nothing_is_materialized(fsx, s3, fs_id, namespace):
    s3.put_object(Bucket=BUCKET, Key="ref/genome.fa", Body=b"ACGT")
    associate(fsx, fs_id, "/ref")
    assert not (namespace / "ref/genome.fa").exists()


def test_delete_data_in_file_system_removes_the_association_directory(fsx, fs_id, namespace):
    created = associate(fsx, fs_id, "/runs/r1", prefix="r1")
    (namespace / "runs/r1/out").mkdir(parents=True)
    (namespace / "runs/r1/out/result.txt").write_text("done")
    (namespace / "runs/keep.txt").write_text("outside the association")
    fsx.delete_data_repository_association(AssociationId=created["AssociationId"], DeleteDataInFileSystem=True)
    assert not (namespace / "runs/r1").exists()
    assert (namespace / "runs/keep.txt").read_text() == "outside the association"


def test_delete_without_deleting_data_keeps_every_file(fsx, fs_id, namespace):
    created = associate(fsx, fs_id, "/runs/r1", prefix="r1")
    (namespace / "runs/r1").mkdir(parents=True, exist_ok=True)
    (namespace / "runs/r1/result.txt").write_text("done")
    fsx.delete_data_repository_association(AssociationId=created["AssociationId"], DeleteDataInFileSystem=False)
    assert (namespace / "runs/r1/result.txt").read_text() == "done"


def test_data_is_deleted_only_when_the_deletion_completes(fsx, sandbox, fs_id, namespace):
    created = associate(fsx, fs_id, "/runs/r1", prefix="r1")
    (namespace / "runs/r1").mkdir(parents=True, exist_ok=True)
    (namespace / "runs/r1/result.txt").write_text("done")
    sandbox.slow_lifecycle("fsx::association-delete", times=2)
    fsx.delete_data_repository_association(AssociationId=created["AssociationId"], DeleteDataInFileSystem=True)
    assert describe(fsx, created["AssociationId"])["Lifecycle"] == "DELETING"
    assert (namespace / "runs/r1/result.txt").exists()
    refused("DataRepositoryAssociationNotFound", describe, fsx, created["AssociationId"])
    assert not (namespace / "runs/r1").exists()


# --- describe: filters and paging -------------------------------------------------------------------------------------
def test_describe_filters_by_file_system_id_data_repository_type_and_file_cache_id(fsx, fs_id, new_file_system):
    mine = associate(fsx, fs_id, "/data")["AssociationId"]
    associate(fsx, new_file_system(), "/data")

    def ids(*filters):
        found = fsx.describe_data_repository_associations(Filters=list(filters))["Associations"]
        return [association["AssociationId"] for association in found]

    assert ids({"Name": "file-system-id", "Values": [fs_id]}) == [mine]
    assert len(ids({"Name": "data-repository-type", "Values": ["S3"]})) == 2
    assert ids({"Name": "data-repository-type", "Values": ["NFS"]}) == []
    assert ids({"Name": "file-cache-id", "Values": ["fc-0123456789abcdef0"]}) == []


def test_unsupported_data_repository_type_filter_is_invalid_data_repository_type(fsx, fs_id):
    refused(
        "InvalidDataRepositoryType",
        fsx.describe_data_repository_associations,
        Filters=[{"Name": "data-repository-type", "Values": ["FTP"]}],
    )


def test_unknown_filter_name_is_refused_with_bad_request(fsx, fs_id):
    refused(
        "BadRequest",
        fsx.describe_data_repository_associations,
        Filters=[{"Name": "backup-type", "Values": ["USER_INITIATED"]}],
    )


def test_describe_returns_at_most_max_results_per_page_with_a_next_token(fsx, fs_id):
    created = [associate(fsx, fs_id, f"/ns{index}")["AssociationId"] for index in range(5)]
    first = fsx.describe_data_repository_associations(MaxResults=2)
    assert len(first["Associations"]) == 2 and first["NextToken"]
    seen = [a["AssociationId"] for a in first["Associations"]]
    token = first["NextToken"]
    while token:
        page = fsx.describe_data_repository_associations(MaxResults=2, NextToken=token)
        assert len(page["Associations"]) <= 2
        seen += [a["AssociationId"] for a in page["Associations"]]
        token = page.get("NextToken")
    assert seen == created


# --- idempotency, tags ------------------------------------------------------------------------------------------------
def test_same_client_request_token_and_request_returns_the_same_association(fsx, fs_id):
    first = associate(fsx, fs_id, "/data", ClientRequestToken="create-data-1")
    again = associate(fsx, fs_id, "/data", ClientRequestToken="create-data-1")
    assert again["AssociationId"] == first["AssociationId"]
    assert len(fsx.describe_data_repository_associations()["Associations"]) == 1


def test_same_client_request_token_with_another_request_is_refused_with_incompatible_parameter_error(fsx, fs_id):
    associate(fsx, fs_id, "/data", ClientRequestToken="create-data-1")
    response = refused(
        "IncompatibleParameterError", associate, fsx, fs_id, "/other", ClientRequestToken="create-data-1"
    )
    assert response["Parameter"] == "DataRepositoryPath"


def test_tags_are_stored_and_returned(fsx, fs_id):
    tags = [{"Key": "dayec:run", "Value": "r1"}]
    created = associate(fsx, fs_id, "/data", Tags=tags)
    assert created["Tags"] == tags and describe(fsx, created["AssociationId"])["Tags"] == tags
    assert fsx.list_tags_for_resource(ResourceARN=created["ResourceARN"])["Tags"] == tags


# --- injected outcomes and reset --------------------------------------------------------------------------------------
@pytest.mark.parametrize("lifecycle", ["MISCONFIGURED", "FAILED"])
def test_injected_outcome_ends_the_next_associations_in_that_lifecycle(fsx, sandbox, fs_id, lifecycle):
    sandbox.call("POST", "fsx-outcomes", {"association_lifecycle": lifecycle, "count": 1, "message": "no access"})
    broken = describe(fsx, associate(fsx, fs_id, "/one")["AssociationId"])
    assert broken["Lifecycle"] == lifecycle and broken["FailureDetails"]["Message"] == "no access"
    healthy = describe(fsx, associate(fsx, fs_id, "/two")["AssociationId"])
    assert healthy["Lifecycle"] == "AVAILABLE" and "FailureDetails" not in healthy


def test_update_of_a_misconfigured_association_makes_it_available(fsx, sandbox, fs_id):
    sandbox.call("POST", "fsx-outcomes", {"association_lifecycle": "MISCONFIGURED", "count": 1})
    created = associate(fsx, fs_id, "/data")
    fsx.update_data_repository_association(AssociationId=created["AssociationId"], ImportedFileChunkSize=1024)
    shown = describe(fsx, created["AssociationId"])
    assert shown["Lifecycle"] == "AVAILABLE" and "FailureDetails" not in shown


def test_outcome_control_rejects_unknown_lifecycles_and_clears_on_delete(sandbox):
    with pytest.raises(Exception, match="400"):
        sandbox.call("POST", "fsx-outcomes", {"association_lifecycle": "AVAILABLE"})
    sandbox.call("POST", "fsx-outcomes", {"association_lifecycle": "FAILED", "count": -1})
    assert sandbox.call("DELETE", "fsx-outcomes") == {"associations": [], "exports": []}


def test_reset_restores_immediate_lifecycles_and_clears_outcomes(aws, fsx, sandbox, new_file_system):
    sandbox.slow_lifecycle("fsx::association", times=50)
    sandbox.call("POST", "fsx-outcomes", {"association_lifecycle": "FAILED", "count": -1})
    sandbox.reset()
    assert sandbox.call("GET", "fsx-outcomes") == {"associations": [], "exports": []}
    aws("s3").create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
    created = associate(fsx, new_file_system(), "/data")
    assert describe(fsx, created["AssociationId"])["Lifecycle"] == "AVAILABLE"
