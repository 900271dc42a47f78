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


# A run killed between the recovery and the import (found by the chaos suite) left an AVAILABLE association that every
# re-run took as done: the owed import is recorded on the association (the daylily:import-pending tag, set before the
# update and removed once the import SUCCEEDED), so the re-run imports, once, and clears it.
MARKER = "daylily:import-pending"
SINCE = "2026-12-06T19:30:00.000000Z"


def described(aws, association_id):
    (association,) = aws("fsx").describe_data_repository_associations(AssociationIds=[association_id])["Associations"]
    return dict(association, Tags={tag["Key"]: tag["Value"] for tag in association.get("Tags", [])})


def killed_after_the_recovery(capsys, sandbox, aws, cluster):
    """A MISCONFIGURED run mount, then the recovering run as far as it got before it was killed: the marker, then the
    update (AVAILABLE, nothing imported). Returns the association as AWS describes it."""
    association_id = misconfigured_mount(capsys, sandbox, aws, cluster, **RUN_MOUNT)
    arn = described(aws, association_id)["ResourceARN"]
    aws("fsx").tag_resource(ResourceARN=arn, Tags=[{"Key": MARKER, "Value": SINCE}])
    aws("fsx").update_data_repository_association(AssociationId=association_id)
    association = described(aws, association_id)
    assert association["Lifecycle"] == "AVAILABLE" and association["Tags"][MARKER] == SINCE
    return association


def test_defect_18_a_run_killed_between_the_recovery_and_the_import_imports_on_the_rerun(capsys, sandbox, aws, cluster):
    association = killed_after_the_recovery(capsys, sandbox, aws, cluster)
    mounted = Path(cluster["fsx_mount"]) / RUN_PATH
    assert not (mounted / "RunInfo.xml").exists()

    sandbox.clear_audit()
    checked_code, checked = mount(capsys, cluster, check_mode=True, **RUN_MOUNT)
    assert checked_code == 0 and checked["changed"] is True, checked
    assert checked["listing_import"]["action"] == "import" and sandbox.mutating_calls() == []

    code, result = mount(capsys, cluster, **RUN_MOUNT)
    assert code == 0, result["msg"]
    assert (mounted / "RunInfo.xml").read_bytes() == b"<RunInfo/>\n"
    assert [entry["operation"] for entry in sandbox.mutating_calls()] == ["CreateDataRepositoryTask", "UntagResource"]
    assert MARKER not in described(aws, association["AssociationId"])["Tags"]

    sandbox.clear_audit()
    again_code, again = mount(capsys, cluster, **RUN_MOUNT)
    assert again_code == 0 and again["changed"] is False and "listing_import" not in again
    assert sandbox.mutating_calls() == [], "the second re-run imported again"


def test_a_recovery_whose_import_could_not_be_created_imports_on_the_rerun(capsys, sandbox, aws, cluster):
    association_id = misconfigured_mount(capsys, sandbox, aws, cluster, **RUN_MOUNT)
    sandbox.inject_fault("fsx", "CreateDataRepositoryTask", code="BadRequest", count=1)
    code, result = mount(capsys, cluster, **RUN_MOUNT)
    assert code != 0 and "create the FSx import task" in result["msg"], result
    assert MARKER in described(aws, association_id)["Tags"]  # recovered, the import still owed

    sandbox.clear_audit()
    code, result = mount(capsys, cluster, **RUN_MOUNT)
    assert code == 0, result["msg"]
    assert (Path(cluster["fsx_mount"]) / RUN_PATH / "RunInfo.xml").read_bytes() == b"<RunInfo/>\n"
    assert len(sandbox.calls("CreateDataRepositoryTask")) == 1
    assert MARKER not in described(aws, association_id)["Tags"]


def test_a_rerun_while_the_import_of_the_marker_runs_waits_for_it_instead_of_importing_twice(
    capsys, sandbox, aws, cluster
):
    association = killed_after_the_recovery(capsys, sandbox, aws, cluster)
    sandbox.slow_lifecycle("fsx::task", times=3)
    aws("fsx").create_data_repository_task(  # the killed run had created its import task, which still runs
        Type="IMPORT_METADATA_FROM_REPOSITORY",
        FileSystemId=association["FileSystemId"],
        Paths=[association["DataRepositoryPath"]],
        Report={"Enabled": False},
        Tags=[{"Key": MARKER, "Value": SINCE}],
    )

    sandbox.clear_audit()
    code, result = mount(capsys, cluster, **RUN_MOUNT)
    assert code == 0, result["msg"]
    assert result["listing_import"]["action"] == "wait" and result["listing_import"]["lifecycle"] == "SUCCEEDED"
    assert [entry["operation"] for entry in sandbox.mutating_calls()] == ["UntagResource"]
    assert (Path(cluster["fsx_mount"]) / RUN_PATH / "RunInfo.xml").read_bytes() == b"<RunInfo/>\n"
