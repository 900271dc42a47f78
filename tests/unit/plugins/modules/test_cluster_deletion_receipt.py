"""cluster_deletion_receipt: the deletion receipt's layout (local and under each export root), its content (the gate,
the override, every detached association and how the deletion ended), check mode and idempotence; S3 requests checked
by botocore's Stubber."""

import io

import pytest
import yaml
from botocore.response import StreamingBody
from botocore.stub import ANY

from ansible_collections.daylily.ephemeral_cluster.plugins.modules import cluster_deletion_receipt
from testlib.modules import execute_module
from testlib.modules import stubbed_module_client

BUCKET = "analysis"
STAMP = "20260131T120000Z"
KEY = f"derived/_daylily_monitor/cluster-deletion/day-c1/{STAMP}/cluster_deletion.yaml"
DETACH = {
    "association_id": "dra-0000000000000000a",
    "file_system_id": "fs-0000000000000000a",
    "file_system_path": "/references/",
    "data_repository_path": "s3://refs/",
    "lifecycle": "AVAILABLE",
    "delete_data_in_file_system": False,
}
GATE = {
    "allowed": True,
    "blockers": [],
    "overridden": [{"kind": "no_export", "subject": "alice/run42", "reason": "r", "unblock": "u", "overridable": True}],
    "override": True,
    "confirm_cluster_name": "day-c1",
    "analyses": [{"analysis_dir": "alice/run42", "verified": False, "receipt_s3_uri": None}],
    "plan": {
        "delete": [{"resource": "cluster", "id": "day-c1", "why": "pcluster delete-cluster"}],
        "detach": [DETACH],
        "preserve": [],
    },
    "timestamp": STAMP,
    "export_roots": [f"s3://{BUCKET}/derived/"],
}
DETACHED = {"results": [{"item": DETACH, "detach_lifecycle": "DELETED", "changed": True}]}


def args(tmp_path, phase="complete", **results):
    return {
        "cluster_name": "day-c1",
        "gate": GATE,
        "phase": phase,
        "results": dict({"detach": DETACHED, "cluster": {"changed": True}}, **results),
        "output_dir": str(tmp_path),
        "region": "us-west-2",
    }


@pytest.fixture
def s3(monkeypatch):
    with stubbed_module_client(monkeypatch, "s3") as (stubber, _calls):
        yield stubber


def test_writes_the_receipt_locally_and_under_the_export_root_then_changes_nothing(s3, capsys, tmp_path):
    s3.add_client_error("get_object", "NoSuchKey", http_status_code=404, expected_params={"Bucket": BUCKET, "Key": KEY})
    s3.add_response(
        "put_object",
        {},
        {"Bucket": BUCKET, "Key": KEY, "Body": ANY, "ContentType": "application/yaml", "ChecksumSHA256": ANY},
    )
    rc, result = execute_module(capsys, cluster_deletion_receipt.main, args(tmp_path), diff=True)
    assert rc == 0 and result["changed"] is True, result
    assert result["diff"]["before"] == "" and result["diff"]["after"].startswith("cluster_deletion:\n")
    local = tmp_path / "day-c1" / STAMP / "cluster_deletion.yaml"
    assert result["receipt_path"] == str(local) and result["receipt_s3_uris"] == [f"s3://{BUCKET}/{KEY}"]
    receipt = yaml.safe_load(local.read_text(encoding="utf-8"))["cluster_deletion"]
    assert (receipt["status"], receipt["phase"], receipt["failure_details"]) == ("deleted", "complete", {})
    assert receipt["override"] == {
        "delete_without_verified_exports": True,
        "confirm_cluster_name": "day-c1",
        "overridden": GATE["overridden"],
    }
    assert receipt["detached_associations"] == [dict(DETACH, detach_lifecycle="DELETED")]

    text = local.read_text(encoding="utf-8")
    s3.add_response(
        "get_object", {"Body": StreamingBody(io.BytesIO(text.encode()), len(text))}, {"Bucket": BUCKET, "Key": KEY}
    )
    rc, again = execute_module(capsys, cluster_deletion_receipt.main, args(tmp_path))
    assert rc == 0 and again["changed"] is False


def test_check_mode_writes_nothing(s3, capsys, tmp_path):
    s3.add_client_error("get_object", "NoSuchKey", http_status_code=404, expected_params={"Bucket": BUCKET, "Key": KEY})
    rc, result = execute_module(capsys, cluster_deletion_receipt.main, args(tmp_path), check_mode=True)
    assert rc == 0 and result["changed"] is True
    assert not (tmp_path / "day-c1").exists()


def test_a_detach_that_did_not_end_deleted_makes_the_receipt_an_error_of_phase_detach(s3, capsys, tmp_path):
    stuck = {"results": [{"item": DETACH, "detach_lifecycle": "AVAILABLE", "msg": "timed out"}]}
    rc, result = execute_module(capsys, cluster_deletion_receipt.main, dict(args(tmp_path, detach=stuck), upload=False))
    assert rc == 0
    receipt = result["receipt"]
    assert (receipt["status"], receipt["phase"]) == ("error", "detach")
    assert receipt["failure_details"]["message"] == "association dra-0000000000000000a is still attached: timed out"


def test_a_failed_deletion_records_its_phase_and_message(s3, capsys, tmp_path):
    failed = {"msg": "pcluster delete-cluster failed: stack DELETE_FAILED"}
    rc, result = execute_module(
        capsys, cluster_deletion_receipt.main, dict(args(tmp_path, phase="delete", failed=failed), upload=False)
    )
    assert rc == 0
    assert (result["receipt"]["status"], result["receipt"]["phase"]) == ("error", "delete")
    assert "DELETE_FAILED" in result["receipt"]["failure_details"]["message"]
