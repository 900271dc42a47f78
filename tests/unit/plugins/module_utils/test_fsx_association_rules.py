"""Unit tests for plugins/module_utils/_fsx/association_rules.py: overlap and capacity rules, and the desired-versus-current
logic of one data repository association."""

import ast
import os

import pytest

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx import association_rules as dra
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.paths import FsxPathError
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.paths import S3UriError

FS_ID = "fs-0123456789abcdef0"


def association(**overrides):
    item = {
        "AssociationId": "dra-0123456789abcdef0",
        "ResourceARN": "arn:aws:fsx:us-west-2:123456789012:association/fs-0123456789abcdef0/dra-0123456789abcdef0",
        "FileSystemId": FS_ID,
        "Lifecycle": "AVAILABLE",
        "FileSystemPath": "/run_dir_mounts/run42",
        "DataRepositoryPath": "s3://daylily-runs/run42",
        "BatchImportMetaDataOnCreate": True,
        "ImportedFileChunkSize": 1024,
    }
    item.update(overrides)
    return item


def lustre(**overrides):
    file_system = {
        "FileSystemId": FS_ID,
        "FileSystemType": "LUSTRE",
        "Lifecycle": "AVAILABLE",
        "LustreConfiguration": {"DeploymentType": "SCRATCH_2"},
    }
    file_system.update(overrides)
    return file_system


def test_module_is_pure_python():
    tree = ast.parse(open(dra.__file__, encoding="utf-8").read())
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    forbidden = ("ansible.", "botocore", "boto3", "ansible_collections.amazon")
    assert not [name for name in imported if name and name.startswith(forbidden)]
    assert os.path.basename(dra.__file__) == "association_rules.py"


# --- events and summaries ----------------------------------------------------------------------------------------


def test_events_are_deduplicated_in_aws_order_and_none_means_not_managed():
    assert dra.normalize_events(["DELETED", "NEW", "NEW"]) == ["NEW", "DELETED"]
    assert dra.normalize_events([]) == []
    assert dra.normalize_events(None) is None
    with pytest.raises(ValueError, match="MODIFIED"):
        dra.normalize_events(["MODIFIED"])


def test_summary_normalises_what_aws_returns_as_given():
    current = association(
        S3={"AutoImportPolicy": {"Events": ["DELETED", "NEW"]}},
        Tags=[{"Key": "lsmc:purpose", "Value": "run-dir-mount"}],
    )
    assert dra.summarize(current) == {
        "file_system_path": "/run_dir_mounts/run42/",
        "data_repository_path": "s3://daylily-runs/run42/",
        "auto_import_events": ["NEW", "DELETED"],
        "auto_export_events": [],
        "imported_file_chunk_size": 1024,
        "tags": {"lsmc:purpose": "run-dir-mount"},
        "lifecycle": "AVAILABLE",
    }
    assert dra.summarize(None) == {}


def test_comparable_s3_keeps_values_the_strict_rules_refuse():
    assert dra.comparable_s3("s3://bucket/a/b") == "s3://bucket/a/b/"
    assert dra.comparable_s3("s3://Bucket_Upper/x") == "s3://Bucket_Upper/x/"


def test_describe_names_id_path_prefix_lifecycle_and_failure():
    text = dra.describe(association(Lifecycle="MISCONFIGURED", FailureDetails={"Message": "no access"}))
    for part in (
        "dra-0123456789abcdef0",
        "/run_dir_mounts/run42",
        "s3://daylily-runs/run42",
        "MISCONFIGURED",
        "no access",
    ):
        assert part in text


# --- file system compatibility (invariant 3) ---------------------------------------------------------------------


def test_compatible_file_system_has_no_problems():
    assert dra.file_system_problems(lustre()) == []


@pytest.mark.parametrize(
    "file_system, expected",
    [
        (lustre(FileSystemType="ONTAP"), "not LUSTRE"),
        (lustre(Lifecycle="UPDATING"), "UPDATING, not AVAILABLE"),
        (lustre(LustreConfiguration={"DeploymentType": "SCRATCH_1"}), "SCRATCH_1"),
        (
            lustre(
                LustreConfiguration={
                    "DeploymentType": "SCRATCH_2",
                    "DataRepositoryConfiguration": {"ImportPath": "s3://legacy/"},
                }
            ),
            "legacy",
        ),
    ],
)
def test_invariant_03_incompatible_file_system_problems(file_system, expected):
    problems = dra.file_system_problems(file_system)
    assert len(problems) == 1 and expected in problems[0]


# --- delete data guard ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/analysis_results/", "/analysis_results/alice/run42/", "/analysis_results/alice", "/"]
)
def test_invariant_01_delete_data_refused_for_analysis_results(path):
    assert "/analysis_results/" in dra.delete_data_refusal(path)


@pytest.mark.parametrize("path", ["/run_dir_mounts/run42/", "/analysis_results_old/x/", "/staging/"])
def test_delete_data_allowed_elsewhere(path):
    assert dra.delete_data_refusal(path) is None


# --- requests ------------------------------------------------------------------------------------------------------


def test_create_request_without_events_has_no_s3_block_and_no_empty_tags():
    request = dra.build_create_request(FS_ID, "/analysis_results/a/b/", "s3://out/derived/a/b/", tags={})
    assert request == {
        "FileSystemId": FS_ID,
        "FileSystemPath": "/analysis_results/a/b/",
        "DataRepositoryPath": "s3://out/derived/a/b/",
        "BatchImportMetaDataOnCreate": False,
    }
    assert "S3" not in dra.build_create_request(
        FS_ID, "/x/", "s3://out/x/", auto_import_events=[], auto_export_events=[]
    )


def test_create_request_sends_only_policies_with_events():
    request = dra.build_create_request(
        FS_ID, "/run_dir_mounts/r/", "s3://runs/r/", True, 2048, ["DELETED", "NEW"], [], {"n": 1}, "dra-token"
    )
    assert request["S3"] == {"AutoImportPolicy": {"Events": ["NEW", "DELETED"]}}
    assert request["Tags"] == [{"Key": "n", "Value": "1"}]
    assert request["ImportedFileChunkSize"] == 2048 and request["BatchImportMetaDataOnCreate"] is True
    assert request["ClientRequestToken"] == "dra-token"


def test_update_request_is_none_when_nothing_differs_or_nothing_is_managed():
    current = association(S3={"AutoImportPolicy": {"Events": ["NEW", "CHANGED"]}})
    assert dra.build_update_request(current) is None
    assert dra.build_update_request(current, 1024, ["CHANGED", "NEW"], []) is None


def test_update_request_sends_both_policies_when_one_changes():
    current = association(S3={"AutoImportPolicy": {"Events": ["NEW"]}, "AutoExportPolicy": {"Events": ["NEW"]}})
    assert dra.build_update_request(current, auto_import_events=["NEW", "CHANGED"]) == {
        "AssociationId": current["AssociationId"],
        "S3": {"AutoImportPolicy": {"Events": ["NEW", "CHANGED"]}, "AutoExportPolicy": {"Events": ["NEW"]}},
    }
    assert dra.build_update_request(current, imported_file_chunk_size=4096) == {
        "AssociationId": current["AssociationId"],
        "ImportedFileChunkSize": 4096,
    }


def test_desired_summary_for_a_new_and_an_existing_association():
    new = dra.desired_summary({}, "/x/", "s3://b/x/", None, ["NEW"], None, {"k": "v"})
    assert new == {
        "file_system_path": "/x/",
        "data_repository_path": "s3://b/x/",
        "auto_import_events": ["NEW"],
        "auto_export_events": [],
        "imported_file_chunk_size": 1024,
        "tags": {"k": "v"},
        "lifecycle": "AVAILABLE",
    }
    before = dra.summarize(association(Lifecycle="UPDATING", S3={"AutoExportPolicy": {"Events": ["NEW"]}}))
    after = dra.desired_summary(before, auto_export_events=[])
    assert after["auto_export_events"] == [] and after["lifecycle"] == "AVAILABLE"
    assert after["data_repository_path"] == before["data_repository_path"]


# --- overlap and capacity (moved from test_paths.py with the rules) ------------------------------------------------


def entry(path, uri, lifecycle="AVAILABLE", association_id="dra-0123456789abcdef0"):
    return {"FileSystemPath": path, "DataRepositoryPath": uri, "Lifecycle": lifecycle, "AssociationId": association_id}


def test_invariant_04_overlap_with_active_association_is_refused():
    existing = [
        entry("/references", "s3://ref-bucket/data", association_id="dra-00000000000000001"),
        entry("/run_dir_mounts/run1/", "s3://runs-bucket/runs/run1/", association_id="dra-00000000000000002"),
        entry(
            "/analysis_results/e/old/",
            "s3://out-bucket/derived/e/old/",
            "DELETED",
            association_id="dra-00000000000000003",
        ),
        entry(
            "/analysis_results/e/a/",
            "s3://out-bucket/derived/e/a/",
            "MISCONFIGURED",
            association_id="dra-00000000000000004",
        ),
    ]
    # FSx path overlap (child of the startup DRA), S3 free
    conflicts = dra.find_conflicting_associations("/references/hg38/", "s3://other-bucket/x/", existing)
    assert [c["AssociationId"] for c in conflicts] == ["dra-00000000000000001"]
    # S3 overlap only (parent prefix of a run mount)
    conflicts = dra.find_conflicting_associations("/run_dir_mounts/run2/", "s3://runs-bucket/runs/", existing)
    assert [c["AssociationId"] for c in conflicts] == ["dra-00000000000000002"]
    # a MISCONFIGURED leftover of a failed export blocks re-export; the DELETED one does not
    conflicts = dra.find_conflicting_associations("/analysis_results/e/a/", "s3://out-bucket/derived/e/a/", existing)
    assert [c["AssociationId"] for c in conflicts] == ["dra-00000000000000004"]
    assert (
        dra.find_conflicting_associations("/analysis_results/e/old/", "s3://out-bucket/derived/e/old/", existing) == []
    )
    # nothing overlaps
    assert dra.find_conflicting_associations("/run_dir_mounts/run10/", "s3://runs-bucket/runs/run10/", existing) == []
    # the input dicts are returned as given, not copies with extra keys
    conflicts = dra.find_conflicting_associations("/references/", "s3://ref-bucket/data/", existing)
    assert conflicts[0] is existing[0]


@pytest.mark.parametrize(
    "lifecycle, active",
    [
        ("AVAILABLE", True),
        ("CREATING", True),
        ("UPDATING", True),
        ("MISCONFIGURED", True),
        (None, True),
        ("DELETING", False),
        ("DELETED", False),
        ("DELETE_IN_PROGRESS", False),
        ("FAILED", False),
    ],
)
def test_is_active_association(lifecycle, active):
    association = entry("/x/", "s3://b-k/x/", lifecycle)
    if lifecycle is None:
        del association["Lifecycle"]
    assert dra.is_active_association(association) is active
    conflicts = dra.find_conflicting_associations("/x/", "s3://b-k/x/", [association])
    assert bool(conflicts) is active


def test_conflict_reasons_name_both_sides():
    reasons = dra.association_conflict_reasons(
        "/references/hg38/", "s3://ref-bucket/data/hg38/", entry("/references", "s3://ref-bucket/data")
    )
    assert reasons == [
        "FileSystemPath /references/ overlaps /references/hg38/",
        "DataRepositoryPath s3://ref-bucket/data/ overlaps s3://ref-bucket/data/hg38/",
    ]
    assert dra.association_conflict_reasons("/a/", "s3://b-k/a/", entry("/b/", "s3://b-k/b/")) == []


def test_unparseable_existing_association_counts_as_conflict():
    weird = [entry(None, "s3://b-k/x/"), entry("/y/", "nfs://server/export"), entry("/z/", None)]
    conflicts = dra.find_conflicting_associations("/new/", "s3://b-k/new/", weird)
    assert conflicts == weird


def test_root_file_system_path_association_overlaps_everything():
    existing = [entry("/", "s3://b-k/root/")]
    assert dra.find_conflicting_associations("/analysis_results/e/a/", "s3://other/e/a/", existing) == existing


def test_conflicts_can_exclude_own_association():
    existing = [entry("/analysis_results/e/a/", "s3://out/derived/e/a/", association_id="dra-0123456789abcdef0")]
    assert (
        dra.find_conflicting_associations(
            "/analysis_results/e/a/", "s3://out/derived/e/a/", existing, exclude_ids=("dra-0123456789abcdef0",)
        )
        == []
    )


def test_conflict_check_validates_the_proposal():
    with pytest.raises(FsxPathError):
        dra.find_conflicting_associations("/fsx/analysis_results/e/a/", "s3://out/e/a/", [])
    with pytest.raises(S3UriError):
        dra.find_conflicting_associations("/analysis_results/e/a/", "s3://out/e/a/?x", [])


@pytest.mark.parametrize(
    "active, ok, warns",
    [(0, True, False), (5, True, False), (6, True, True), (7, True, True), (8, False, False), (9, False, False)],
)
def test_invariant_04_max_8_active_associations_warn_at_6(active, ok, warns):
    associations = [
        entry("/p%d/" % i, "s3://b-k/p%d/" % i, "MISCONFIGURED" if i % 2 else "AVAILABLE") for i in range(active)
    ]
    associations += [entry("/gone%d/" % i, "s3://b-k/gone%d/" % i, "DELETED") for i in range(5)]
    check = dra.association_capacity(associations)
    assert check.active == active
    assert check.ok is ok
    assert (check.warning is not None) is warns
    assert (check.error is not None) is (not ok)
    if not ok:
        assert "limit 8" in check.error and "DeleteDataInFileSystem=false" in check.error
