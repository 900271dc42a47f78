"""fsx_dra through ansible-playbook against the sandbox: attach, idempotency, check mode, diff, detach, refusals,
injected outcomes and throttling."""

import os
from pathlib import Path

from testlib.playbooks import run_playbook

PRESENT = "fsx_dra_present.yml"
ABSENT = "fsx_dra_absent.yml"
ATTACH = "Attach the association"
DETACH = "Detach the association"
RUN_FILES = {"RunInfo.xml": b"<RunInfo/>", "Data/Intensities/L001/s_1_1101.bcl": b"\x00\x01bcl"}


def seed_run(aws, cluster, run):
    bucket = cluster["buckets"][2]
    for key, body in RUN_FILES.items():
        aws("s3").put_object(Bucket=bucket, Key=f"{run}/{key}", Body=body)
    return f"s3://{bucket}/{run}/"


def run_vars(cluster, run, uri, **extra):
    return dict(
        {
            "file_system_id": cluster["file_system_id"],
            "file_system_path": f"/run_dir_mounts/{run}/",
            "data_repository_path": uri,
        },
        **extra,
    )


def namespace(cluster):
    return Path(os.environ["DAYEC_SANDBOX_FSX_ROOT"]) / cluster["file_system_id"]


def associations_at(aws, cluster, path):
    found = aws("fsx").describe_data_repository_associations(
        Filters=[{"Name": "file-system-id", "Values": [cluster["file_system_id"]]}]
    )["Associations"]
    return [association for association in found if association["FileSystemPath"].rstrip("/") + "/" == path]


def s3_keys(aws, bucket):
    return sorted(item["Key"] for item in aws("s3").list_objects_v2(Bucket=bucket).get("Contents", []))


def test_present_batch_imports_the_objects_and_a_second_run_changes_nothing(aws, cluster):
    uri = seed_run(aws, cluster, "run-a")
    extra = run_vars(
        cluster,
        "run-a",
        uri,
        batch_import=True,
        auto_import_events=["NEW", "CHANGED", "DELETED"],
        dra_tags={"lsmc:purpose": "run-dir-mount"},
    )
    first = run_playbook(PRESENT, extra)
    assert first.rc == 0, first.stdout[-3000:]
    attached = first.result(ATTACH)
    assert attached["changed"] is True
    assert attached["association"]["lifecycle"] == "AVAILABLE"
    assert attached["association"]["tags"] == {"lsmc:purpose": "run-dir-mount"}
    assert attached["file_system_id"] == cluster["file_system_id"]
    for key, body in RUN_FILES.items():
        assert (namespace(cluster) / "run_dir_mounts" / "run-a" / key).read_bytes() == body

    second = run_playbook(
        PRESENT, dict(extra, file_system_path="/fsx/run_dir_mounts/run-a", data_repository_path=uri.rstrip("/"))
    )
    assert second.rc == 0, second.stdout[-3000:]
    assert second.changed_count() == 0
    assert second.result(ATTACH)["association"]["association_id"] == attached["association"]["association_id"]


def test_present_by_cluster_name_updates_events_with_diff(aws, cluster):
    uri = seed_run(aws, cluster, "run-b")
    extra = {
        "cluster_name": cluster["cluster_name"],
        "file_system_path": "/run_dir_mounts/run-b/",
        "data_repository_path": uri,
    }
    created = run_playbook(PRESENT, extra, diff=True)
    assert created.rc == 0, created.stdout[-3000:]
    diff = created.result(ATTACH)["diff"]
    assert diff["before"] == {}
    assert diff["after"]["file_system_path"] == "/run_dir_mounts/run-b/" and diff["after"]["auto_import_events"] == []

    updated = run_playbook(PRESENT, dict(extra, auto_import_events=["NEW"]), diff=True)
    assert updated.rc == 0, updated.stdout[-3000:]
    result = updated.result(ATTACH)
    assert result["changed"] is True
    assert result["diff"]["before"]["auto_import_events"] == [] and result["diff"]["after"]["auto_import_events"] == [
        "NEW"
    ]
    assert result["association"]["s3"]["auto_import_policy"]["events"] == ["NEW"]
    assert result["association"]["lifecycle"] == "AVAILABLE"


def test_check_mode_on_a_new_association_makes_no_mutating_call(sandbox, aws, cluster):
    uri = seed_run(aws, cluster, "run-c")
    sandbox.clear_audit()
    run = run_playbook(PRESENT, run_vars(cluster, "run-c", uri, batch_import=True), check=True, diff=True)
    assert run.rc == 0, run.stdout[-3000:]
    result = run.result(ATTACH)
    assert result["changed"] is True and result["association"] == {}
    assert result["diff"]["before"] == {} and result["diff"]["after"]["data_repository_path"] == uri
    assert sandbox.audit() and sandbox.mutating_calls() == []
    assert associations_at(aws, cluster, "/run_dir_mounts/run-c/") == []
    assert not (namespace(cluster) / "run_dir_mounts" / "run-c").exists()


def test_invariant_01_detach_never_deletes_data_in_file_system(sandbox, aws, cluster):
    uri = seed_run(aws, cluster, "run-d")
    attached = run_playbook(PRESENT, run_vars(cluster, "run-d", uri, batch_import=True))
    assert attached.rc == 0, attached.stdout[-3000:]
    keys_before = s3_keys(aws, cluster["buckets"][2])

    check = run_playbook(
        ABSENT, {"association_id": attached.result(ATTACH)["association"]["association_id"]}, check=True
    )
    assert check.rc == 0 and check.result(DETACH)["changed"] is True
    assert len(associations_at(aws, cluster, "/run_dir_mounts/run-d/")) == 1

    detached = run_playbook(
        ABSENT, {"cluster_name": cluster["cluster_name"], "file_system_path": "/fsx/run_dir_mounts/run-d"}, diff=True
    )
    assert detached.rc == 0, detached.stdout[-3000:]
    result = detached.result(DETACH)
    assert result["changed"] is True and result["detach_lifecycle"] == "DELETED"
    assert result["diff"]["after"] == {} and result["diff"]["before"]["file_system_path"] == "/run_dir_mounts/run-d/"
    assert associations_at(aws, cluster, "/run_dir_mounts/run-d/") == []
    for key, body in RUN_FILES.items():  # the files stay in the namespace ...
        assert (namespace(cluster) / "run_dir_mounts" / "run-d" / key).read_bytes() == body
    assert s3_keys(aws, cluster["buckets"][2]) == keys_before  # ... and every S3 object stays

    again = run_playbook(
        ABSENT, {"file_system_id": cluster["file_system_id"], "file_system_path": "/run_dir_mounts/run-d/"}
    )
    assert again.rc == 0 and again.changed_count() == 0
    assert again.result(DETACH)["detach_lifecycle"] == "NOT_FOUND"


def test_reattach_after_detach_creates_a_new_association(sandbox, aws, cluster):
    """The create token of the first attach is reused; the sandbox replays the removed association, as AWS does."""
    uri = seed_run(aws, cluster, "run-e")
    first = run_playbook(PRESENT, run_vars(cluster, "run-e", uri))
    assert first.rc == 0, first.stdout[-3000:]
    first_id = first.result(ATTACH)["association"]["association_id"]
    assert run_playbook(ABSENT, {"association_id": first_id}).rc == 0

    sandbox.clear_audit()
    second = run_playbook(PRESENT, run_vars(cluster, "run-e", uri))
    assert second.rc == 0, second.stdout[-3000:]
    creates = [entry for entry in sandbox.audit() if entry["operation"] == "CreateDataRepositoryAssociation"]
    assert len(creates) == 2  # the first token replays the removed association, the next one derives from its ID
    result = second.result(ATTACH)
    assert result["association"]["association_id"] != first_id
    assert result["association"]["lifecycle"] == "AVAILABLE"
    assert [a["AssociationId"] for a in associations_at(aws, cluster, "/run_dir_mounts/run-e/")] == [
        result["association"]["association_id"]
    ]


def test_same_path_with_another_prefix_fails_naming_the_association(sandbox, aws, cluster):
    uri = seed_run(aws, cluster, "run-f")
    first = run_playbook(PRESENT, run_vars(cluster, "run-f", uri))
    assert first.rc == 0, first.stdout[-3000:]
    existing = first.result(ATTACH)["association"]["association_id"]

    other = seed_run(aws, cluster, "run-f2")
    sandbox.clear_audit()
    run = run_playbook(PRESENT, run_vars(cluster, "run-f", other))
    assert run.rc != 0
    failure = run.result(ATTACH)
    assert failure["failed"] and existing in failure["msg"] and uri in failure["msg"] and other in failure["msg"]
    assert sandbox.mutating_calls() == []
    assert [a["DataRepositoryPath"] for a in associations_at(aws, cluster, "/run_dir_mounts/run-f/")] == [uri]


def test_invariant_04_overlap_with_active_association_refused(sandbox, aws, cluster):
    sandbox.clear_audit()
    run = run_playbook(
        PRESENT,
        {
            "file_system_id": cluster["file_system_id"],
            "file_system_path": "/references/extra/",
            "data_repository_path": f"s3://{cluster['buckets'][1]}/extra/",
        },
    )
    assert run.rc != 0
    failure = run.result(ATTACH)
    assert cluster["reference_association_id"] in failure["msg"] and "/references/" in failure["msg"]
    assert [a["association_id"] for a in failure["conflicting_associations"]] == [cluster["reference_association_id"]]
    assert sandbox.mutating_calls() == []


def test_invariant_03_incompatible_file_system_refused_before_create(sandbox, aws, cluster):
    uri = seed_run(aws, cluster, "run-g")
    sandbox.call("POST", "fsx-filesystem", {"file_system_id": cluster["file_system_id"], "lifecycle": "UPDATING"})
    sandbox.clear_audit()
    run = run_playbook(PRESENT, run_vars(cluster, "run-g", uri))
    assert run.rc != 0
    failure = run.result(ATTACH)
    assert "UPDATING, not AVAILABLE" in failure["msg"] and cluster["file_system_id"] in failure["msg"]
    assert sandbox.mutating_calls() == []


def test_misconfigured_outcome_fails_clearly_and_present_never_deletes_it(sandbox, aws, cluster):
    uri = seed_run(aws, cluster, "run-h")
    sandbox.call("POST", "fsx-outcomes", {"association_lifecycle": "MISCONFIGURED", "count": 1})
    run = run_playbook(PRESENT, run_vars(cluster, "run-h", uri))
    assert run.rc != 0
    failure = run.result(ATTACH)
    assert "MISCONFIGURED" in failure["msg"] and "cannot access the S3 bucket" in failure["msg"]
    assert failure["changed"] is True
    association_id = failure["association"]["association_id"]
    assert failure["association"]["lifecycle"] == "MISCONFIGURED"

    sandbox.clear_audit()
    sandbox.call("POST", "fsx-outcomes", {"association_lifecycle": "MISCONFIGURED", "count": 1})  # cause not fixed
    again = run_playbook(PRESENT, run_vars(cluster, "run-h", uri))
    assert again.rc != 0 and association_id in again.result(ATTACH)["msg"]
    # the re-run only asks AWS to re-check it (an update), never deletes it
    assert [entry["operation"] for entry in sandbox.mutating_calls()] == ["UpdateDataRepositoryAssociation"]
    assert [a["Lifecycle"] for a in associations_at(aws, cluster, "/run_dir_mounts/run-h/")] == ["MISCONFIGURED"]

    cleanup = run_playbook(ABSENT, {"association_id": association_id})
    assert cleanup.rc == 0, cleanup.stdout[-3000:]
    assert cleanup.result(DETACH)["detach_lifecycle"] == "DELETED"
    assert associations_at(aws, cluster, "/run_dir_mounts/run-h/") == []


def test_three_throttles_on_every_fsx_operation_still_succeed(sandbox, aws, cluster):
    uri = seed_run(aws, cluster, "run-i")
    sandbox.clear_audit()
    sandbox.inject_fault("fsx", code="ThrottlingException", count=3)
    run = run_playbook(PRESENT, run_vars(cluster, "run-i", uri, batch_import=True))
    assert run.rc == 0, run.stdout[-3000:]
    assert run.result(ATTACH)["association"]["lifecycle"] == "AVAILABLE"
    throttled = [entry for entry in sandbox.audit() if entry.get("fault") == "ThrottlingException"]
    assert len(throttled) == 3
    creates = [
        entry
        for entry in sandbox.audit()
        if entry["operation"] == "CreateDataRepositoryAssociation" and not entry.get("fault")
    ]
    assert len(creates) == 1
    assert len(associations_at(aws, cluster, "/run_dir_mounts/run-i/")) == 1
