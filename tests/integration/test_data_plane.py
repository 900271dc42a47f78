"""The FSx data plane end to end: run-folder mounts and receipt-producing exports through the operator playbooks."""

import os
import signal
import time
from pathlib import Path

import yaml

from testlib.playbooks import OPERATOR_PLAYBOOKS
from testlib.playbooks import run_playbook
from testlib.playbooks import start_playbook

MOUNT = str(OPERATOR_PLAYBOOKS / "mount_run.yml")
EXPORT = str(OPERATOR_PLAYBOOKS / "export.yml")
ENTITY, ANALYSIS = "johnm", "illumina_run_qc"
BIG_FILE_BYTES = 200 * 1024 * 1024


def mount_vars(cluster, **extra):
    return dict(
        {
            "cluster_name": cluster["cluster_name"],
            "fsx_mount_point": cluster["fsx_mount"],
            "run_mount_poll_interval": 1,
        },
        **extra,
    )


def export_vars(cluster, output_dir, **extra):
    destination = f"s3://{cluster['buckets'][1]}/derived/{ENTITY}/{ANALYSIS}/"
    return dict(
        {
            "cluster_name": cluster["cluster_name"],
            "fsx_mount_point": cluster["fsx_mount"],
            "export_executing_entity": ENTITY,
            "export_analysis_id": ANALYSIS,
            "export_destination_s3_uri": destination,
            "export_output_dir": str(output_dir),
            "export_poll_interval": 1,
        },
        **extra,
    )


def put_run(aws, cluster, run_id="230101_A0001_0001_AH2"):
    bucket = cluster["buckets"][2]
    s3 = aws("s3")
    files = {
        f"{run_id}/RunInfo.xml": b"<RunInfo Version='6'/>\n",
        f"{run_id}/SampleSheet.csv": b"[Header]\nx\n",
        f"{run_id}/Data/Intensities/BaseCalls/L001/s_1_1101.bcl": b"\x00\x01" * 512,
    }
    for key, body in files.items():
        s3.put_object(Bucket=bucket, Key=key, Body=body)
    return f"s3://{bucket}/{run_id}/", files


def s3_objects(aws, bucket, prefix):
    paginator = aws("s3").get_paginator("list_objects_v2")
    return {
        obj["Key"]: obj["Size"]
        for page in paginator.paginate(Bucket=bucket, Prefix=prefix)
        for obj in page.get("Contents", [])
    }


def analysis_dir(cluster):
    return Path(cluster["fsx_mount"]) / "analysis_results" / ENTITY / ANALYSIS


def write_tree(root, big=False):
    """Nested dirs, empty files, unicode names (and optionally a 200 MB file); returns {relative path: size}."""
    files = {
        "config/samples.tsv": b"SAMPLEID\tSAMPLETYPE\nS1\tblood\n",
        "results/day/hg38/S1/S1.stats.tsv": b"reads\t1000\n",
        "results/day/hg38/reports/empty.log": b"",
        "results/échantillon/données_🧬.txt": "unicode ✓\n".encode(),
        "deep/a/b/c/d/e/f/leaf.txt": b"leaf\n",
    }
    for relative, body in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_bytes(body)
    sizes = {relative: len(body) for relative, body in files.items()}
    if big:
        big_path = root / "results/day/hg38/S1/S1.cram"
        with open(big_path, "wb") as handle:
            block = os.urandom(1024 * 1024)
            for _block_number in range(BIG_FILE_BYTES // len(block)):
                handle.write(block)
        sizes["results/day/hg38/S1/S1.cram"] = BIG_FILE_BYTES
    return sizes


def load_receipt(output_dir):
    receipts = sorted(Path(output_dir).rglob("fsx_export.yaml"))
    assert receipts, f"no receipt under {output_dir}"
    return yaml.safe_load(receipts[-1].read_text(encoding="utf-8"))["fsx_export"]


# --- run-folder mounts ---------------------------------------------------------------------------------------


def test_mount_run_prefix_read_on_headnode_then_detach_keeps_everything(aws, cluster):
    s3_uri, files = put_run(aws, cluster)
    run = run_playbook(MOUNT, mount_vars(cluster, run_mount_s3_uri=s3_uri))
    assert run.rc == 0, run.failures()
    headnode_run = Path(cluster["fsx_mount"]) / "run_dir_mounts" / "230101_A0001_0001_AH2"
    assert (headnode_run / "RunInfo.xml").read_bytes() == files["230101_A0001_0001_AH2/RunInfo.xml"]

    again = run_playbook(MOUNT, mount_vars(cluster, run_mount_s3_uri=s3_uri))
    assert again.rc == 0 and again.changed_count() == 0, again.failures()

    detach = run_playbook(MOUNT, mount_vars(cluster, run_mount_id="230101_A0001_0001_AH2", run_mount_state="absent"))
    assert detach.rc == 0, detach.failures()
    remaining = aws("fsx").describe_data_repository_associations()["Associations"]
    assert [a["FileSystemPath"] for a in remaining] == ["/references/"]
    assert (headnode_run / "RunInfo.xml").exists(), "detach must keep the files on FSx"
    assert set(s3_objects(aws, cluster["buckets"][2], "230101")) == set(files)


def test_invariant_05_mounts_are_read_only_and_writeback_needs_admin_and_marker(sandbox, aws, cluster):
    s3_uri, _files = put_run(aws, cluster)
    sandbox.clear_audit()
    run = run_playbook(MOUNT, mount_vars(cluster, run_mount_s3_uri=s3_uri))
    assert run.rc == 0, run.failures()
    created = sandbox.calls("CreateDataRepositoryAssociation")[-1]["request"]
    assert "AutoExportPolicy" not in created.get("S3", {})

    writeback = mount_vars(
        cluster, run_mount_s3_uri=f"s3://{cluster['buckets'][2]}/other/", run_mount_id="rw", run_mount_read_only=False
    )
    refused = run_playbook(MOUNT, writeback)
    assert refused.rc != 0 and "allow_writeback_admin" in refused.stdout
    no_marker = run_playbook(MOUNT, dict(writeback, run_mount_allow_writeback_admin=True))
    assert no_marker.rc != 0 and ".atlas_rw" in no_marker.stdout
    assert len(sandbox.calls("CreateDataRepositoryAssociation")) == 1


def test_invariant_04_mount_overlapping_an_active_association_is_refused(aws, cluster):
    s3_uri, _files = put_run(aws, cluster)
    assert run_playbook(MOUNT, mount_vars(cluster, run_mount_s3_uri=s3_uri)).rc == 0
    nested = run_playbook(MOUNT, mount_vars(cluster, run_mount_s3_uri=s3_uri + "Data/", run_mount_id="nested"))
    assert nested.rc != 0
    assert "overlap" in nested.stdout.lower()


def test_invariant_06_fsx_paths_never_start_with_fsx(sandbox, aws, cluster):
    s3_uri, _files = put_run(aws, cluster)
    assert run_playbook(MOUNT, mount_vars(cluster, run_mount_s3_uri=s3_uri)).rc == 0
    request = sandbox.calls("CreateDataRepositoryAssociation")[-1]["request"]
    assert request["FileSystemPath"] == "/run_dir_mounts/230101_A0001_0001_AH2/"
    bad = run_playbook(MOUNT, mount_vars(cluster, run_mount_s3_uri=s3_uri, run_mount_id="../x"))
    assert bad.rc != 0 and "mount_id" in bad.stdout


def test_mount_check_mode_makes_no_mutating_call(sandbox, aws, cluster):
    s3_uri, _files = put_run(aws, cluster)
    sandbox.clear_audit()
    run = run_playbook(MOUNT, mount_vars(cluster, run_mount_s3_uri=s3_uri), check=True, diff=True)
    assert run.rc == 0, run.failures()
    assert sandbox.mutating_calls() == []
    assert len(aws("fsx").describe_data_repository_associations()["Associations"]) == 1


def test_defect_06_a_mistyped_run_prefix_is_refused_before_anything_is_attached(sandbox, aws, cluster):
    s3_uri, _files = put_run(aws, cluster)
    sandbox.clear_audit()

    run = run_playbook(
        MOUNT, mount_vars(cluster, run_mount_s3_uri=s3_uri.replace("AH2", "AH3"), run_mount_id="230101_A0001_0001_AH2")
    )

    assert run.rc != 0
    message = run.result("daylily.ephemeral_cluster.run_mount : Create the association and wait until it is AVAILABLE")[
        "msg"
    ]
    assert f"{s3_uri.replace('AH2', 'AH3')} holds no objects" in message and "Nothing was attached" in message
    assert sandbox.calls("CreateDataRepositoryAssociation") == []


def test_defect_06_a_failed_headnode_check_detaches_the_association_it_attached(sandbox, aws, cluster, tmp_path):
    s3_uri, files = put_run(aws, cluster)

    run = run_playbook(MOUNT, mount_vars(cluster, run_mount_s3_uri=s3_uri, fsx_mount_point=str(tmp_path / "not-fsx")))

    assert run.rc != 0
    message = run.result("daylily.ephemeral_cluster.run_mount : Fail, saying what was undone")["msg"]
    created = sandbox.calls("CreateDataRepositoryAssociation")[-1]
    assert "is not readable on headnode" in message
    assert "that this run attached was detached again (nothing in S3 or on FSx was deleted)" in message
    remaining = aws("fsx").describe_data_repository_associations()["Associations"]
    assert [a["FileSystemPath"] for a in remaining] == ["/references/"]
    deletes = [c["request"] for c in sandbox.calls("DeleteDataRepositoryAssociation")]
    assert len(deletes) == 1 and deletes[0]["DeleteDataInFileSystem"] is False
    assert created["request"]["FileSystemPath"] == "/run_dir_mounts/230101_A0001_0001_AH2/"
    assert set(s3_objects(aws, cluster["buckets"][2], "230101")) == set(files)


def test_defect_12_mount_hints_name_what_the_operator_of_mount_run_yml_sets(sandbox, aws, cluster):
    s3_uri, _files = put_run(aws, cluster)
    no_cluster = run_playbook(MOUNT, {"run_mount_s3_uri": s3_uri, "fsx_mount_point": cluster["fsx_mount"]})
    assert no_cluster.rc != 0
    message = no_cluster.result("daylily.ephemeral_cluster.run_mount : Require a file system")["msg"]
    assert message.startswith(
        "Set exactly one of cluster_name (the cluster whose file system is used) and file_system_id"
    )
    assert "run_mount_cluster_name" not in message

    assert run_playbook(MOUNT, mount_vars(cluster, run_mount_s3_uri=s3_uri)).rc == 0
    nested = run_playbook(MOUNT, mount_vars(cluster, run_mount_s3_uri=s3_uri + "Data/", run_mount_id="nested"))
    assert nested.rc != 0
    refusal = nested.result(
        "daylily.ephemeral_cluster.run_mount : Create the association and wait until it is AVAILABLE"
    )
    assert "Detach the overlapping association(s) with run_mount_state=absent" in refusal["msg"]


def test_defect_14_mount_and_detach_print_no_deprecation_warnings(aws, cluster):
    s3_uri, _files = put_run(aws, cluster)
    runs = [
        run_playbook(MOUNT, mount_vars(cluster, run_mount_s3_uri=s3_uri)),
        run_playbook(MOUNT, mount_vars(cluster, run_mount_id="230101_A0001_0001_AH2", run_mount_state="absent")),
    ]
    for run in runs:
        assert run.rc == 0, run.failures()
        assert "[DEPRECATION WARNING]" not in run.stdout + run.stderr
        deprecations = [
            result.get("deprecations")
            for play in run.report["plays"]
            for task in play["tasks"]
            for result in task["hosts"].values()
            if result.get("deprecations")
        ]
        assert deprecations == []


# --- exports -------------------------------------------------------------------------------------------------


def test_export_of_a_mixed_tree_with_a_200_mb_file_is_verified(sandbox, aws, cluster, tmp_path):
    tree = write_tree(analysis_dir(cluster), big=True)
    run = run_playbook(EXPORT, export_vars(cluster, tmp_path))
    assert run.rc == 0, run.failures()
    receipt = load_receipt(tmp_path)
    assert receipt["status"] == "success" and receipt["phase"] == "complete" and receipt["verified"] is True
    assert receipt["task_lifecycle"] == "SUCCEEDED" and receipt["detached"] is True
    assert receipt["delete_data_in_file_system"] is False
    prefix = f"derived/{ENTITY}/{ANALYSIS}/"
    exported = {
        key[len(prefix) :]: size
        for key, size in s3_objects(aws, cluster["buckets"][1], prefix).items()
        if not key[len(prefix) :].startswith("_daylily_monitor/")
    }
    assert exported == tree
    assert receipt["s3_object_count"] == receipt["fsx_file_count"] == len(tree)
    destination = f"s3://{cluster['buckets'][1]}/{prefix}"
    assert receipt["report_path"].startswith(destination + "_daylily_monitor/fsx-export/")
    monitor = s3_objects(aws, cluster["buckets"][1], prefix + "_daylily_monitor/")
    assert any(key.endswith("/fsx_export.yaml") for key in monitor)


def test_invariants_10_11_12_export_association_task_and_detach_requests(sandbox, aws, cluster, tmp_path):
    write_tree(analysis_dir(cluster))
    assert run_playbook(EXPORT, export_vars(cluster, tmp_path)).rc == 0
    created = [c["request"] for c in sandbox.calls("CreateDataRepositoryAssociation")]
    export_dra = [r for r in created if r["FileSystemPath"] == f"/analysis_results/{ENTITY}/{ANALYSIS}/"]
    assert len(export_dra) == 1
    assert "S3" not in export_dra[0] and export_dra[0]["BatchImportMetaDataOnCreate"] is False
    assert {t["Key"]: t["Value"] for t in export_dra[0]["Tags"]} == {
        "lsmc:purpose": "output-export",
        "Name": f"{ENTITY}/{ANALYSIS}",
    }
    tasks = [c["request"] for c in sandbox.calls("CreateDataRepositoryTask")]
    assert len(tasks) == 1 and tasks[0]["Type"] == "EXPORT_TO_REPOSITORY"
    assert tasks[0]["Report"]["Scope"] == "FAILED_FILES_ONLY" and tasks[0]["Report"]["Format"] == "REPORT_CSV_20191124"
    assert "/_daylily_monitor/fsx-export/" in tasks[0]["Report"]["Path"]
    deletes = [c["request"] for c in sandbox.calls("DeleteDataRepositoryAssociation")]
    assert deletes and all(d.get("DeleteDataInFileSystem") is False for d in deletes)


def test_invariant_01_export_keeps_fsx_files_and_s3_after_detach(aws, cluster, tmp_path):
    tree = write_tree(analysis_dir(cluster))
    assert run_playbook(EXPORT, export_vars(cluster, tmp_path)).rc == 0
    for relative in tree:
        assert (analysis_dir(cluster) / relative).exists()
    assert [a["FileSystemPath"] for a in aws("fsx").describe_data_repository_associations()["Associations"]] == [
        "/references/"
    ]


def test_rerunning_a_verified_export_is_a_no_op(sandbox, aws, cluster, tmp_path):
    write_tree(analysis_dir(cluster))
    assert run_playbook(EXPORT, export_vars(cluster, tmp_path)).rc == 0
    sandbox.clear_audit()
    again = run_playbook(EXPORT, export_vars(cluster, tmp_path))
    assert again.rc == 0, again.failures()
    assert again.changed_count() == 0
    assert sandbox.mutating_calls() == []


def test_export_check_mode_makes_no_mutating_call(sandbox, aws, cluster, tmp_path):
    write_tree(analysis_dir(cluster))
    sandbox.clear_audit()
    run = run_playbook(EXPORT, export_vars(cluster, tmp_path), check=True, diff=True)
    assert run.rc == 0, run.failures()
    assert sandbox.mutating_calls() == []
    assert not list(tmp_path.rglob("fsx_export.yaml"))


def test_invariant_13_failed_files_give_an_error_receipt_and_the_association_is_still_detached(
    sandbox, aws, cluster, tmp_path
):
    write_tree(analysis_dir(cluster))
    sandbox.call("POST", "fsx-outcomes", {"fail_export_paths": ["*/deep/*"], "count": -1})
    run = run_playbook(EXPORT, export_vars(cluster, tmp_path))
    assert run.rc != 0
    receipt = load_receipt(tmp_path)
    assert receipt["status"] == "error" and receipt["phase"] == "run" and receipt["verified"] is False
    assert receipt["task_lifecycle"] == "FAILED"
    assert receipt["detached"] is True and receipt["detach_lifecycle"] == "DELETED"
    assert any("leaf.txt" in str(entry) for entry in receipt["failed_files"])
    assert [a["FileSystemPath"] for a in aws("fsx").describe_data_repository_associations()["Associations"]] == [
        "/references/"
    ]


def test_export_survives_throttling_on_every_fsx_call(sandbox, aws, cluster, tmp_path):
    write_tree(analysis_dir(cluster))
    for operation in (
        "DescribeFileSystems",
        "DescribeDataRepositoryAssociations",
        "CreateDataRepositoryAssociation",
        "CreateDataRepositoryTask",
        "DescribeDataRepositoryTasks",
        "DeleteDataRepositoryAssociation",
    ):
        sandbox.inject_fault("fsx", operation, count=2)
    run = run_playbook(EXPORT, export_vars(cluster, tmp_path, retry_delay=0.2))
    assert run.rc == 0, run.failures()
    assert load_receipt(tmp_path)["verified"] is True
    assert len([e for e in sandbox.audit() if e.get("fault")]) == 12


def test_killed_export_rerun_attaches_instead_of_starting_a_second_task(sandbox, aws, cluster, tmp_path):
    write_tree(analysis_dir(cluster))
    sandbox.slow_lifecycle("fsx::task", times=1000)
    process = start_playbook(EXPORT, export_vars(cluster, tmp_path), log_path=tmp_path / "killed.log")
    try:
        deadline = time.monotonic() + 120
        while not sandbox.calls("CreateDataRepositoryTask"):
            assert process.poll() is None, (tmp_path / "killed.log").read_text()
            assert time.monotonic() < deadline, "the export task was never created"
            time.sleep(0.2)
        time.sleep(1)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    sandbox.call("POST", "lifecycle", {"model": "fsx::task", "progression": "immediate"})
    rerun = run_playbook(EXPORT, export_vars(cluster, tmp_path))
    assert rerun.rc == 0, rerun.failures()
    assert len(sandbox.calls("CreateDataRepositoryTask")) == 1
    receipt = load_receipt(tmp_path)
    assert receipt["verified"] is True and receipt["task_id"]


def test_misconfigured_export_association_is_a_clear_error_and_nothing_is_deleted(sandbox, aws, cluster, tmp_path):
    tree = write_tree(analysis_dir(cluster))
    sandbox.call(
        "POST",
        "fsx-outcomes",
        {"association_lifecycle": "MISCONFIGURED", "count": 1, "message": "bucket policy denies FSx"},
    )
    run = run_playbook(EXPORT, export_vars(cluster, tmp_path))
    assert run.rc != 0
    assert "MISCONFIGURED" in run.stdout
    receipt = load_receipt(tmp_path)
    assert receipt["status"] == "error" and receipt["phase"] == "attach"
    for relative in tree:
        assert (analysis_dir(cluster) / relative).exists()
    assert not sandbox.calls("CreateDataRepositoryTask")


def test_invariants_07_08_09_bad_export_requests_are_refused_before_any_call(sandbox, aws, cluster, tmp_path):
    write_tree(analysis_dir(cluster))
    bad_requests = [
        {"export_executing_entity": "../etc"},
        {"export_analysis_id": "a/b"},
        {"export_destination_s3_uri": f"s3://{cluster['buckets'][1]}/derived/someone-else/{ANALYSIS}/"},
        {"export_destination_s3_uri": "https://example.invalid/derived/johnm/illumina_run_qc/"},
    ]
    for bad in bad_requests:
        sandbox.clear_audit()
        run = run_playbook(EXPORT, export_vars(cluster, tmp_path / "refused", **bad))
        assert run.rc != 0, bad
        assert sandbox.mutating_calls() == [], bad
        assert load_receipt(tmp_path / "refused")["phase"] == "validate"


def test_invariant_09_non_empty_destination_is_refused(sandbox, aws, cluster, tmp_path):
    write_tree(analysis_dir(cluster))
    aws("s3").put_object(Bucket=cluster["buckets"][1], Key=f"derived/{ENTITY}/{ANALYSIS}/old.txt", Body=b"old")
    run = run_playbook(EXPORT, export_vars(cluster, tmp_path))
    assert run.rc != 0
    assert "not empty" in run.stdout
    assert len(sandbox.calls("CreateDataRepositoryAssociation")) == 1  # the seed's /references/ only
