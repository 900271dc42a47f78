"""fsx_export_task and fsx_data_repository_task_info through ansible-playbook against the sandbox.

The layout of every test: the seeded cluster (tests/integration/conftest.py `cluster`) plus a temporary export
association /analysis_results/e1/a1/ -> s3://<analysis bucket>/derived/e1/a1/ (created with boto3, as the export role's
fsx_dra step would) and a small tree written straight into the file system's namespace directory.
"""

import os
from pathlib import Path

import pytest

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.receipt import parse_failure_report
from testlib.playbooks import run_playbook

PLAYBOOK = "fsx_export_task_run.yml"
SOURCE = "/analysis_results/e1/a1/"
EXPORT = "Run the export task"
LISTING = "List the export tasks of these paths"
FSX_OPERATIONS = (
    "DescribeFileSystems",
    "DescribeDataRepositoryAssociations",
    "DescribeDataRepositoryTasks",
    "CreateDataRepositoryTask",
)

# relative path -> content: nested directories, an empty file and a non-ASCII name
TREE = {
    "README.md": b"# e1/a1\n",
    "config/samples.tsv": b"SAMPLEID\tSAMPLESOURCE\nS1\tblood\n",
    "results/day/hg38/reports/multiqc_report.html": b"<html>" + b"x" * 4096 + b"</html>",
    "results/day/hg38/reports/multiqc_data/multiqc_data.json": b"{}",
    "results/day/hg38/empty.marker": b"",
    "results/day/hg38/\u00e9chantillon-\u540d\u524d.txt": "unicode name \u2713\n".encode(),
}


@pytest.fixture
def export_dra(aws, cluster):
    """The export association and the tree; returns what the tests need."""
    bucket = cluster["buckets"][1]
    prefix = f"s3://{bucket}/derived/e1/a1/"
    association = aws("fsx").create_data_repository_association(
        FileSystemId=cluster["file_system_id"],
        FileSystemPath=SOURCE,
        DataRepositoryPath=prefix,
        BatchImportMetaDataOnCreate=False,
        Tags=[{"Key": "lsmc:purpose", "Value": "output-export"}, {"Key": "Name", "Value": "e1/a1"}],
    )["Association"]
    root = Path(os.environ["DAYEC_SANDBOX_FSX_ROOT"]) / cluster["file_system_id"] / SOURCE.strip("/")
    for relative, data in TREE.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return {
        "bucket": bucket,
        "prefix": prefix,
        "association_id": association["AssociationId"],
        "report_path": prefix + "_daylily_monitor/fsx-export/20260131T120000Z/export-report/",
        "file_system_id": cluster["file_system_id"],
    }


def play_vars(setup, **extra):
    return dict(
        {
            "file_system_id": setup["file_system_id"],
            "export_paths": [SOURCE],
            "report_path": setup["report_path"],
            "retry_delay": 0.1,
        },
        **extra,
    )


def s3_objects(aws, bucket, prefix):
    """{key: size} of every object under prefix."""
    found = {}
    for page in aws("s3").get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        found.update({item["Key"]: item["Size"] for item in page.get("Contents", [])})
    return found


def s3_uri_parts(uri):
    bucket, _sep, key = uri[len("s3://") :].partition("/")
    return bucket, key


def test_invariant_11_one_export_task_with_failed_files_report_inside_destination(aws, cluster, export_dra):
    run = run_playbook(PLAYBOOK, play_vars(export_dra, export_paths=["/fsx/analysis_results/e1/a1"]))  # headnode form
    assert run.rc == 0, run.stdout[-3000:]

    export = run.result(EXPORT)
    assert export["changed"] is True and export["task_lifecycle"] == "SUCCEEDED"
    assert export["association_id"] == export_dra["association_id"]
    assert (export["total_count"], export["succeeded_count"], export["failed_count"]) == (len(TREE), len(TREE), 0)
    # exactly one task, on [src], with the FAILED_FILES_ONLY CSV report inside the destination
    listed = run.result(LISTING)["tasks"]
    assert [task["task_id"] for task in listed] == [export["task_id"]]
    assert listed[0]["paths"] == ["analysis_results/e1/a1"]
    assert listed[0]["report"] == {
        "enabled": True,
        "path": export_dra["report_path"],
        "format": "REPORT_CSV_20191124",
        "scope": "FAILED_FILES_ONLY",
    }
    assert export["report_path"] == f"{export_dra['report_path']}task-{export['task_id'][len('task-') :]}/failures.csv"
    assert export["report_path"].startswith(export_dra["prefix"] + "_daylily_monitor/")

    # S3 holds the tree: same keys, same sizes; nothing else outside the report prefix
    _bucket, key_prefix = s3_uri_parts(export_dra["prefix"])
    objects = s3_objects(aws, export_dra["bucket"], key_prefix)
    data = {
        key[len(key_prefix) :]: size
        for key, size in objects.items()
        if "/_daylily_monitor/" not in "/" + key[len(key_prefix) :]
    }
    assert data == {relative: len(content) for relative, content in TREE.items()}
    reports = [key for key in objects if key.startswith(key_prefix + "_daylily_monitor/")]
    assert all(f"s3://{export_dra['bucket']}/{key}".startswith(export_dra["report_path"]) for key in reports)

    # a second run adopts the SUCCEEDED export: no new task, no change
    again = run_playbook(PLAYBOOK, play_vars(export_dra))
    assert again.rc == 0, again.stdout[-3000:]
    assert again.result(EXPORT)["changed"] is False and again.result(EXPORT)["adopted"] is True
    assert again.result(EXPORT)["task_id"] == export["task_id"]
    assert len(again.result(LISTING)["tasks"]) == 1 and again.changed_count() == 0


def test_a_rerun_while_the_export_runs_attaches_instead_of_starting_another(sandbox, aws, cluster, export_dra):
    sandbox.slow_lifecycle("fsx::task", times=20)

    first = run_playbook(PLAYBOOK, play_vars(export_dra, export_wait=False))
    assert first.rc == 0, first.stdout[-3000:]
    started = first.result(EXPORT)
    assert started["changed"] is True and started["task_lifecycle"] == "PENDING" and started["attached"] is False

    second = run_playbook(PLAYBOOK, play_vars(export_dra, export_wait=False))
    assert second.rc == 0, second.stdout[-3000:]
    attached = second.result(EXPORT)
    assert attached["changed"] is False and attached["attached"] is True
    assert attached["task_id"] == started["task_id"] and attached["task_lifecycle"] in ("PENDING", "EXECUTING")
    assert [task["task_id"] for task in second.result(LISTING)["tasks"]] == [started["task_id"]]

    # a third run waits on the same task until it has ended
    third = run_playbook(PLAYBOOK, play_vars(export_dra, poll_interval=0))
    assert third.rc == 0, third.stdout[-3000:]
    assert (
        third.result(EXPORT)["task_id"] == started["task_id"] and third.result(EXPORT)["task_lifecycle"] == "SUCCEEDED"
    )
    assert len(third.result(LISTING)["tasks"]) == 1
    creates = [e for e in sandbox.audit() if e.get("operation") == "CreateDataRepositoryTask"]
    assert len(creates) == 1


def test_failed_files_fail_the_task_and_are_listed_in_the_report(sandbox, aws, cluster, export_dra):
    sandbox.call(
        "POST",
        "fsx-outcomes",
        {"fail_export_paths": ["analysis_results/e1/a1/results/day/hg38/reports/*"], "count": -1},
    )
    failing = sorted(
        f"analysis_results/e1/a1/{relative}" for relative in TREE if relative.startswith("results/day/hg38/reports/")
    )

    run = run_playbook(PLAYBOOK, play_vars(export_dra))
    assert run.rc != 0
    failure = run.result(EXPORT)
    assert failure["failed"] is True and failure["task_lifecycle"] == "FAILED"
    assert failure["failed_count"] == len(failing) > 0 and failure["total_count"] == len(TREE)
    assert failure["failure_details"]["message"] and failure["report_path"] in failure["msg"]
    bucket, key = s3_uri_parts(failure["report_path"])
    assert failure["report_path"].startswith(export_dra["report_path"])
    rows = parse_failure_report(aws("s3").get_object(Bucket=bucket, Key=key)["Body"].read())
    assert sorted(row["file_path"] for row in rows) == failing
    assert {row["file_status"] for row in rows} == {"failed"}

    # fail_on_task_failure: false returns the FAILED task normally, from a new task (the failed one is not replayed)
    recorded = run_playbook(PLAYBOOK, play_vars(export_dra, fail_on_task_failure=False))
    assert recorded.rc == 0, recorded.stdout[-3000:]
    second = recorded.result(EXPORT)
    assert second["task_lifecycle"] == "FAILED" and second["failed_count"] == len(failing) and second["changed"] is True
    assert second["task_id"] != failure["task_id"]
    assert len(recorded.result(LISTING)["tasks"]) == 2


def test_three_throttles_on_every_fsx_operation_still_succeed(sandbox, aws, cluster, export_dra):
    for operation in FSX_OPERATIONS:
        sandbox.inject_fault("fsx", operation, code="ThrottlingException", count=3)
    extra = play_vars(export_dra, cluster_name=cluster["cluster_name"], retry_delay=0.05)
    del extra["file_system_id"]

    run = run_playbook(PLAYBOOK, extra)
    assert run.rc == 0, run.stdout[-3000:]
    assert run.result(EXPORT)["task_lifecycle"] == "SUCCEEDED"
    assert len(run.result(LISTING)["tasks"]) == 1
    throttled = [e["operation"] for e in sandbox.audit() if e.get("fault") == "ThrottlingException"]
    assert sorted(throttled) == sorted(FSX_OPERATIONS * 3)


def test_check_mode_issues_zero_mutating_calls(sandbox, aws, cluster, export_dra):
    sandbox.clear_audit()

    run = run_playbook(PLAYBOOK, play_vars(export_dra), check=True, diff=True)
    assert run.rc == 0, run.stdout[-3000:]
    export = run.result(EXPORT)
    assert export["changed"] is True and export["task_id"] is None
    assert export["would_create"]["paths"] == ["analysis_results/e1/a1"]
    assert export["would_create"]["report"]["path"] == export_dra["report_path"]
    assert export["diff"]["before"] == {} and export["diff"]["after"] == export["would_create"]
    assert sandbox.mutating_calls() == []
    assert run.result(LISTING)["tasks"] == []
    assert aws("fsx").describe_data_repository_tasks()["DataRepositoryTasks"] == []


def test_report_outside_the_association_prefix_is_refused_before_any_mutating_call(sandbox, aws, cluster, export_dra):
    sandbox.clear_audit()
    outside = f"s3://{export_dra['bucket']}/derived/e1/a1-reports/"

    run = run_playbook(PLAYBOOK, play_vars(export_dra, report_path=outside))
    assert run.rc != 0
    failure = run.result(EXPORT)
    assert export_dra["association_id"] in failure["msg"] and export_dra["prefix"] in failure["msg"]
    assert sandbox.mutating_calls() == []


def test_an_unrelated_running_task_is_named_or_waited_for(sandbox, aws, cluster, export_dra):
    sandbox.slow_lifecycle("fsx::task", times=3)
    reference = f"s3://{cluster['buckets'][0]}/genomic_data/"
    other = aws("fsx").create_data_repository_task(
        FileSystemId=cluster["file_system_id"],
        Type="IMPORT_METADATA_FROM_REPOSITORY",
        Paths=[reference],
        Report={"Enabled": False},
    )["DataRepositoryTask"]["TaskId"]

    refused = run_playbook(PLAYBOOK, play_vars(export_dra, wait_for_other_tasks=False))
    assert refused.rc != 0
    message = refused.result(EXPORT)["msg"]
    assert other in message and reference in message

    waited = run_playbook(PLAYBOOK, play_vars(export_dra, poll_interval=0))
    assert waited.rc == 0, waited.stdout[-3000:]
    export = waited.result(EXPORT)
    assert (
        export["waited_for_tasks"] == [other] and export["task_lifecycle"] == "SUCCEEDED" and export["changed"] is True
    )


def test_check_mode_before_the_association_is_attached_warns_and_changes_nothing(sandbox, aws, cluster):
    sandbox.clear_audit()
    report = f"s3://{cluster['buckets'][1]}/derived/e1/a1/_daylily_monitor/export-report/"

    run = run_playbook(
        PLAYBOOK,
        {"file_system_id": cluster["file_system_id"], "export_paths": [SOURCE], "report_path": report},
        check=True,
    )
    assert run.rc == 0, run.stdout[-3000:]
    export = run.result(EXPORT)
    assert export["changed"] is True and export["association_id"] is None
    assert any("lies in no" in warning for warning in export.get("warnings", []))
    assert sandbox.mutating_calls() == []
