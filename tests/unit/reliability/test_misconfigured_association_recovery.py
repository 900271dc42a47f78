"""Found by the chaos suite (seed 3): a run mount whose association went MISCONFIGURED never converged on a re-run,
even after the cause was gone. AWS re-checks a MISCONFIGURED association when it is updated ("After resolving the
underlying issue, the DRA automatically returns to the Available state within 15 minutes, or you can immediately
trigger the state change using update-data-repository-association"), so fsx_dra state=present does that once and
waits; while the cause persists it still fails with the hint, keeping the association."""

from pathlib import Path

from ansible_collections.daylily.ephemeral_cluster.plugins.modules import fsx_dra
from testlib.modules import execute_module

RUN_PREFIX = "230101_A0001_0001_AH2/"
RUN_PATH = "run_dir_mounts/230101_A0001_0001_AH2"
RUN_MOUNT = {"batch_import_meta_data_on_create": True}  # as roles/run_mount asks (run_mount_batch_import)


def mount(capsys, cluster, check_mode=False, **options):
    return execute_module(
        capsys,
        fsx_dra.main,
        dict(
            cluster_name=cluster["cluster_name"],
            file_system_path=f"/{RUN_PATH}/",
            data_repository_path=f"s3://{cluster['buckets'][2]}/{RUN_PREFIX}",
            wait_timeout=10,
            poll_interval=0.01,
            **options,
        ),
        check_mode=check_mode,
    )


def misconfigured_mount(capsys, sandbox, aws, cluster, **options):
    aws("s3").put_object(Bucket=cluster["buckets"][2], Key=RUN_PREFIX + "RunInfo.xml", Body=b"<RunInfo/>\n")
    sandbox.inject_fsx_outcome(association_lifecycle="MISCONFIGURED", count=1)
    code, result = mount(capsys, cluster, **options)
    assert code != 0 and "is MISCONFIGURED" in result["msg"] and "Fix the cause" in result["msg"], result
    return result["association"]["association_id"]


def test_invariant_04_a_misconfigured_mount_recovers_on_rerun_once_the_cause_is_gone(capsys, sandbox, aws, cluster):
    association_id = misconfigured_mount(capsys, sandbox, aws, cluster)
    sandbox.clear_audit()
    code, result = mount(capsys, cluster)
    assert code == 0, result["msg"]
    assert result["changed"] is True and result["association"]["association_id"] == association_id
    assert result["association"]["lifecycle"] == "AVAILABLE"
    assert [entry["operation"] for entry in sandbox.mutating_calls()] == ["UpdateDataRepositoryAssociation"]
    again_code, again = mount(capsys, cluster)
    assert again_code == 0 and again["changed"] is False


def test_a_misconfigured_mount_whose_cause_persists_still_fails_with_the_hint_and_is_kept(
    capsys, sandbox, aws, cluster
):
    association_id = misconfigured_mount(capsys, sandbox, aws, cluster)
    sandbox.inject_fsx_outcome(association_lifecycle="MISCONFIGURED", count=1)  # the bucket policy is still wrong
    code, result = mount(capsys, cluster)
    assert code != 0 and "is MISCONFIGURED" in result["msg"] and "Fix the cause" in result["msg"], result
    associations = aws("fsx").describe_data_repository_associations(AssociationIds=[association_id])["Associations"]
    assert associations[0]["Lifecycle"] == "MISCONFIGURED"


def test_check_mode_does_not_recheck_a_misconfigured_mount(capsys, sandbox, aws, cluster):
    misconfigured_mount(capsys, sandbox, aws, cluster)
    sandbox.clear_audit()
    code, result = mount(capsys, cluster, check_mode=True)
    assert sandbox.mutating_calls() == []
    assert code != 0 and "is MISCONFIGURED" in result["msg"]


def test_defect_02_a_mount_recovered_from_misconfigured_imports_its_listing(capsys, sandbox, aws, cluster):
    """Found by the chaos suite: its batch import never ran (the association was MISCONFIGURED when it was created),
    so after the re-check the mount was AVAILABLE but empty and mount_run.yml failed on every re-run. The recovery
    imports the prefix's listing once (IMPORT_METADATA_FROM_REPOSITORY on the prefix) and waits for it."""
    misconfigured_mount(capsys, sandbox, aws, cluster, **RUN_MOUNT)
    mounted = Path(cluster["fsx_mount"]) / RUN_PATH
    assert not (mounted / "RunInfo.xml").exists()
    sandbox.clear_audit()
    code, result = mount(capsys, cluster, **RUN_MOUNT)
    assert code == 0, result["msg"]
    assert (mounted / "RunInfo.xml").read_bytes() == b"<RunInfo/>\n"
    (imported,) = sandbox.calls("CreateDataRepositoryTask")
    assert imported["request"]["Type"] == "IMPORT_METADATA_FROM_REPOSITORY", imported["request"]
    assert imported["request"]["Paths"] == [f"s3://{cluster['buckets'][2]}/{RUN_PREFIX}"], imported["request"]
    sandbox.clear_audit()
    again_code, again = mount(capsys, cluster, **RUN_MOUNT)
    assert again_code == 0 and again["changed"] is False
    assert not sandbox.mutating_calls(), "the second run imported again"
