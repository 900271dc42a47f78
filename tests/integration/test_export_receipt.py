"""analysis_inventory + export_receipt through ansible-playbook against the sandbox (dayec_domain.md §8, §12).

The analysis directory lives in the sandbox file system's namespace (DAYEC_SANDBOX_FSX_ROOT/<fs>/analysis_results/
e1/a1/); its export is either put into S3 with boto3 or made by the sandbox's own FSx EXPORT_TO_REPOSITORY task.
"""

import os
from pathlib import Path

import yaml

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import export
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import paths
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import receipt
from testlib import receipts
from testlib.playbooks import run_playbook

PRESENT = "export_receipt_present.yml"
VERIFIED = "export_receipt_verified.yml"
ENTITY, ANALYSIS = "e1", "a1"
TIMESTAMP = "20260131T120000Z"
TASK_ID = "task-0123456789abcdef0"
FILES = {
    "config/samples.tsv": b"sample_id\tpath\nS1\t/fsx/staging/S1\n",
    "config/units.tsv": b"",
    "results/day/hg38/reports/multiqc.html": b"<html>" + b"q" * 20000 + b"</html>",
    "results/day/hg38/reports/multiqc_data/multiqc_data.json": b"{}",
    "r\u00e9sum\u00e9 \u6587\u4ef6.txt": "\u00e9".encode("utf-8"),
}


def analysis_tree(cluster):
    root = (
        Path(os.environ["DAYEC_SANDBOX_FSX_ROOT"]) / cluster["file_system_id"] / "analysis_results" / ENTITY / ANALYSIS
    )
    for relative, data in FILES.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def destination(cluster):
    return "s3://%s/derived/%s/%s/" % (cluster["buckets"][1], ENTITY, ANALYSIS)


def put_export(aws, cluster, skip=()):
    """What a successful export leaves in S3: every file under the destination (minus `skip`)."""
    s3 = aws("s3")
    location = paths.parse_s3_uri(destination(cluster))
    for relative, data in FILES.items():
        if relative not in skip:
            s3.put_object(Bucket=location.bucket, Key=location.prefix + relative, Body=data)


def receipt_fields(cluster, **overrides):
    where = {
        "cluster_name": cluster["cluster_name"],
        "region": cluster["region"],
        "fsx_file_system_id": cluster["file_system_id"],
        "task_id": TASK_ID,
    }
    return receipts.success_fields(ENTITY, ANALYSIS, destination(cluster), TIMESTAMP, **dict(where, **overrides))


def play_vars(cluster, tmp_path, **fields):
    return {
        "analysis_path": str(analysis_tree(cluster)),
        "receipt": receipt_fields(cluster, **fields),
        "output_dir": str(tmp_path / "receipts" / ENTITY / ANALYSIS),
        "retry_delay": 0.2,
    }


def unverified_receipt(run):
    """The result of the play's "Write the export receipt": the play succeeded, the receipt it wrote did not verify."""
    assert run.rc == 0, run.stdout[-3000:]
    result = run.result("Write the export receipt")
    assert result["verified"] is False
    return result


def s3_receipt(aws, cluster, timestamp=TIMESTAMP):
    location = paths.parse_s3_uri(destination(cluster))
    key = "%s_daylily_monitor/fsx-export/%s/fsx_export.yaml" % (location.prefix, timestamp)
    response = aws("s3").get_object(Bucket=location.bucket, Key=key)
    return response["ContentType"], response["Body"].read().decode("utf-8")


def test_invariant_13_receipt_always_written_success_requires_succeeded_and_detached(sandbox, aws, cluster, tmp_path):
    put_export(aws, cluster)
    extra_vars = play_vars(cluster, tmp_path)

    run = run_playbook(PRESENT, extra_vars)
    assert run.rc == 0, run.stdout[-3000:]
    inventory = run.result("Inventory the analysis directory")
    assert (inventory["file_count"], inventory["total_bytes"]) == (len(FILES), sum(map(len, FILES.values())))
    written = run.result("Write the export receipt")
    assert written["changed"] is True
    assert written["verified"] is True, written["verification_failures"]
    assert (written["s3_object_count"], written["s3_total_bytes"]) == (
        inventory["file_count"],
        inventory["total_bytes"],
    )
    assert written["receipt_s3_uri"] == export.export_receipt_uri(destination(cluster), TIMESTAMP)

    # the same receipt on the controller and next to the data
    local = (tmp_path / "receipts" / ENTITY / ANALYSIS / "fsx_export.yaml").read_text(encoding="ascii")
    content_type, remote = s3_receipt(aws, cluster)
    assert local == remote
    assert content_type == "application/yaml"
    document = yaml.safe_load(remote)
    assert list(document) == ["fsx_export"]
    fields = document["fsx_export"]
    assert list(fields)[: len(receipt.V4_FIELDS)] == list(receipt.V4_FIELDS)  # DayEC v4 names, in DayEC's order
    assert (fields["schema_version"], fields["status"], fields["task_lifecycle"], fields["detached"]) == (
        4,
        "success",
        "SUCCEEDED",
        True,
    )
    assert fields["delete_data_in_file_system"] is False
    assert fields["destination_s3_uri"] == destination(cluster)
    assert (fields["fsx_file_count"], fields["s3_object_count"], fields["verified"]) == (len(FILES), len(FILES), True)

    # idempotent
    again = run_playbook(PRESENT, extra_vars)
    assert again.rc == 0, again.stdout[-3000:]
    assert again.changed_count() == 0

    # check mode: a different receipt would be written, but nothing is
    sandbox.clear_audit()
    checked = run_playbook(
        PRESENT,
        dict(extra_vars, receipt=receipt_fields(cluster, detached=False, detach_lifecycle="AVAILABLE")),
        check=True,
        diff=True,
    )
    assert checked.rc == 0, checked.stdout[-3000:]
    would = checked.result("Write the export receipt")
    assert would["changed"] is True and would["verified"] is False
    assert sandbox.mutating_calls() == []
    assert {call["operation"] for call in sandbox.audit()} <= {"ListObjectsV2", "GetObject"}
    assert s3_receipt(aws, cluster)[1] == remote

    # an export that failed to detach is recorded too, but never verifies
    error_receipt = receipt_fields(
        cluster, status="error", phase="detach", detached=False, detach_lifecycle="AVAILABLE"
    )
    failed = run_playbook(PRESENT, dict(extra_vars, receipt=error_receipt))
    assert failed.rc == 0, failed.stdout[-3000:]
    result = failed.result("Write the export receipt")
    assert result["changed"] is True and result["verified"] is False
    assert [f["field"] for f in result["verification_failures"]] == ["status", "detached", "detach_lifecycle"]
    stored = yaml.safe_load(s3_receipt(aws, cluster)[1])["fsx_export"]
    assert (stored["status"], stored["phase"], stored["verified"]) == ("error", "detach", False)


def test_missing_s3_object_fails_verification_naming_s3_object_count(aws, cluster, tmp_path):
    put_export(aws, cluster, skip=("config/units.tsv",))

    run = run_playbook(PRESENT, play_vars(cluster, tmp_path))

    result = unverified_receipt(run)
    assert result["verification_failures"] == [
        {
            "field": "s3_object_count",
            "expected": len(FILES),
            "actual": len(FILES) - 1,
            "message": "s3_object_count: expected %d (fsx_file_count), got %d" % (len(FILES), len(FILES) - 1),
        }
    ]
    assert (tmp_path / "receipts" / ENTITY / ANALYSIS / "fsx_export.yaml").exists()


def test_failures_csv_fails_verification_and_lists_failed_files(aws, cluster, tmp_path):
    put_export(aws, cluster)
    report = export.failure_report_uri(export.export_report_path(destination(cluster), TIMESTAMP), TASK_ID)
    bucket, key = paths.s3_uri_to_key(report)
    aws("s3").put_object(
        Bucket=bucket, Key=key, Body=b"analysis_results/e1/a1/results/big.bam,failed,FileSizeTooLarge\n"
    )

    run = run_playbook(PRESENT, play_vars(cluster, tmp_path))

    result = unverified_receipt(run)
    assert result["failed_files"] == [
        {
            "file_path": "analysis_results/e1/a1/results/big.bam",
            "file_status": "failed",
            "error_code": "FileSizeTooLarge",
        }
    ]
    assert [f["field"] for f in result["verification_failures"]] == ["failed_files"]
    assert yaml.safe_load(s3_receipt(aws, cluster)[1])["fsx_export"]["failed_files"] == result["failed_files"]


def test_state_verified_re_reads_the_latest_receipt(sandbox, aws, cluster, tmp_path):
    put_export(aws, cluster)
    older = "20260101T000000Z"
    first = run_playbook(
        PRESENT,
        dict(
            play_vars(
                cluster,
                tmp_path,
                status="error",
                phase="run",
                report_path=export.export_report_path(destination(cluster), older),
            )
        ),
    )
    assert first.rc == 0 and first.result("Write the export receipt")["verified"] is False
    latest = run_playbook(PRESENT, play_vars(cluster, tmp_path))
    assert latest.rc == 0 and latest.result("Write the export receipt")["verified"] is True

    sandbox.clear_audit()
    run = run_playbook(VERIFIED, {"destination": destination(cluster), "retry_delay": 0.2})

    assert run.rc == 0, run.stdout[-3000:]
    result = run.result("Re-verify the latest export receipt")
    assert result["changed"] is False
    assert result["verified"] is True
    assert result["receipt_s3_uri"] == export.export_receipt_uri(destination(cluster), TIMESTAMP)
    assert result["receipt"]["status"] == "success"
    assert sandbox.mutating_calls() == []

    # S3 changes after the receipt was written: re-verification notices
    location = paths.parse_s3_uri(destination(cluster))
    aws("s3").put_object(Bucket=location.bucket, Key=location.prefix + "stray.txt", Body=b"late")
    stale = run_playbook(VERIFIED, {"destination": destination(cluster), "retry_delay": 0.2})
    assert stale.rc == 0, stale.stdout[-3000:]
    result = stale.result("Re-verify the latest export receipt")
    assert result["verified"] is False
    assert "s3_object_count" in [f["field"] for f in result["verification_failures"]]


def test_receipt_finds_the_report_the_sandbox_fsx_export_task_wrote(sandbox, aws, cluster, tmp_path):
    """The receipt reads failures.csv where FSx writes it: <Report.Path>task-<id>/failures.csv."""
    tree = analysis_tree(cluster)
    fsx = aws("fsx")
    source = export.analysis_root(ENTITY, ANALYSIS)
    dest = destination(cluster)
    report_path = export.export_report_path(dest, TIMESTAMP)
    association = fsx.create_data_repository_association(
        FileSystemId=cluster["file_system_id"],
        FileSystemPath=source,
        DataRepositoryPath=dest,
        BatchImportMetaDataOnCreate=False,
    )["Association"]
    sandbox.call("POST", "fsx-outcomes", {"fail_export_paths": ["*/multiqc_data.json"], "count": 1})
    task = fsx.create_data_repository_task(
        Type="EXPORT_TO_REPOSITORY",
        FileSystemId=cluster["file_system_id"],
        Paths=[source.strip("/")],
        Report={"Enabled": True, "Path": report_path, "Format": "REPORT_CSV_20191124", "Scope": "FAILED_FILES_ONLY"},
    )["DataRepositoryTask"]
    lifecycle = fsx.describe_data_repository_tasks(TaskIds=[task["TaskId"]])["DataRepositoryTasks"][0]["Lifecycle"]
    fsx.delete_data_repository_association(AssociationId=association["AssociationId"], DeleteDataInFileSystem=False)
    assert lifecycle == "FAILED"

    run = run_playbook(
        PRESENT,
        dict(
            play_vars(cluster, tmp_path),
            analysis_path=str(tree),
            receipt=receipt_fields(
                cluster,
                association_id=association["AssociationId"],
                task_id=task["TaskId"],
                task_lifecycle=lifecycle,
                status="error",
                phase="run",
                report_path=report_path,
            ),
        ),
    )

    result = unverified_receipt(run)
    assert [row["file_path"] for row in result["failed_files"]] == [
        "analysis_results/e1/a1/results/day/hg38/reports/multiqc_data/multiqc_data.json"
    ]
    assert result["s3_object_count"] == len(FILES) - 1
    fields = {f["field"] for f in result["verification_failures"]}
    assert {"status", "task_lifecycle", "failed_files", "s3_object_count"} <= fields
