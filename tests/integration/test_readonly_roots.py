"""Read-only roots against the sandbox, through ansible-playbook (defect 5 of issue 8).

A run mount links the sequencing-run bucket: an export task on it, or automatic export turned on for it, would write
FSx's files into that bucket. The FSx modules themselves refuse both without the writeback guard (allow_writeback=true
plus an .atlas_rw marker object at the prefix or a parent), whatever role or playbook drives them.
"""

import pytest

from testlib.playbooks import run_playbook

RUN = "230101_A0001_0001_AH2"
RUN_FILES = {"RunInfo.xml": b"<RunInfo Version='6'/>\n", "SampleSheet.csv": b"[Header]\nx\n"}


@pytest.fixture
def run_mount(aws, cluster):
    """A read-only run mount /run_dir_mounts/<RUN>/ of s3://<runs bucket>/<RUN>/, as mount_run.yml attaches it."""
    bucket = cluster["buckets"][2]
    for name, body in RUN_FILES.items():
        aws("s3").put_object(Bucket=bucket, Key=f"{RUN}/{name}", Body=body)
    uri = f"s3://{bucket}/{RUN}/"
    aws("fsx").create_data_repository_association(
        FileSystemId=cluster["file_system_id"],
        FileSystemPath=f"/run_dir_mounts/{RUN}/",
        DataRepositoryPath=uri,
        BatchImportMetaDataOnCreate=True,
    )
    return {"bucket": bucket, "uri": uri, "path": f"/run_dir_mounts/{RUN}/"}


def run_objects(aws, bucket):
    s3 = aws("s3")
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=f"{RUN}/").get("Contents", [])
    return {item["Key"]: s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read() for item in listed}


def export_vars(cluster, mount, **extra):
    return dict(
        {
            "file_system_id": cluster["file_system_id"],
            "export_paths": [mount["path"]],
            "report_path": mount["uri"] + "_daylily_monitor/export-report/",
            "retry_delay": 0.1,
        },
        **extra,
    )


def test_invariant_08_export_task_out_of_a_run_mount_is_refused_and_the_run_bucket_is_untouched(
    sandbox, aws, cluster, run_mount
):
    before = run_objects(aws, run_mount["bucket"])
    sandbox.clear_audit()

    run = run_playbook("fsx_export_task_run.yml", export_vars(cluster, run_mount))

    assert run.rc != 0
    message = run.result("Run the export task")["msg"]
    assert message.startswith(f"Refusing to export {run_mount['path']}")
    assert "s3://" not in message  # no hint points into the run's bucket
    assert sandbox.mutating_calls() == []
    assert run_objects(aws, run_mount["bucket"]) == before


def test_invariant_08_export_task_with_the_admin_switch_still_needs_the_marker(sandbox, aws, cluster, run_mount):
    before = run_objects(aws, run_mount["bucket"])
    sandbox.clear_audit()

    run = run_playbook("fsx_export_task_run.yml", export_vars(cluster, run_mount, allow_writeback=True))

    assert run.rc != 0
    assert ".atlas_rw marker" in run.result("Run the export task")["msg"]
    assert sandbox.mutating_calls() == []
    assert run_objects(aws, run_mount["bucket"]) == before


@pytest.mark.parametrize("path", ["/references/extra/", "/fsx/staging/remote_stage_x", "/control_data/"])
def test_invariant_05_auto_export_under_a_read_only_root_is_refused(sandbox, aws, cluster, path):
    sandbox.clear_audit()
    run = run_playbook(
        "fsx_dra_present.yml",
        {
            "file_system_id": cluster["file_system_id"],
            "file_system_path": path,
            "data_repository_path": f"s3://{cluster['buckets'][2]}/extra/",
            "auto_export_events": ["NEW", "CHANGED"],
        },
    )

    assert run.rc != 0
    assert "Refusing automatic export" in run.result("Attach the association")["msg"]
    assert sandbox.mutating_calls() == []


def test_invariant_05_auto_export_with_the_writeback_guard_is_attached(sandbox, aws, cluster):
    bucket = cluster["buckets"][2]
    attach = {
        "file_system_id": cluster["file_system_id"],
        "file_system_path": "/staging/writeback/",
        "data_repository_path": f"s3://{bucket}/writeback/data/",
        "auto_export_events": ["NEW"],
        "allow_writeback": True,
    }
    sandbox.clear_audit()
    refused = run_playbook("fsx_dra_present.yml", attach)
    assert refused.rc != 0 and "No .atlas_rw marker" in refused.result("Attach the association")["msg"]
    assert sandbox.calls("CreateDataRepositoryAssociation") == []

    aws("s3").put_object(Bucket=bucket, Key="writeback/.atlas_rw", Body=b"")
    allowed = run_playbook("fsx_dra_present.yml", attach)

    assert allowed.rc == 0, allowed.failures()
    request = sandbox.calls("CreateDataRepositoryAssociation")[-1]["request"]
    assert request["S3"]["AutoExportPolicy"]["Events"] == ["NEW"]
