"""Realistic inputs of the run_report module: what playbooks/lifecycle.yml hands it after a whole run (phase times,
fsx_dra results, receipts written by the receipt code itself, dewey_register results, the cost so far)."""

from pathlib import Path

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import export
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import receipt
from testlib import receipts

DESTINATION = "s3://dayec-analysis/derived/alice/run42/"
TIMESTAMP = "20261206T123301Z"
RECEIPT_S3_URI = export.export_receipt_uri(DESTINATION, TIMESTAMP)
EUIDS = ["Z-DGX-000003", "Z-DGX-000004", "Z-DGX-000005"]
OBJECT_COUNT = 1234
TOTAL_BYTES = 73400320

PHASES = [
    {"name": "preflight", "started_at": "2026-12-06T12:00:00Z", "ended_at": "2026-12-06T12:00:41Z", "status": "ok"},
    {
        "name": "create",
        "started_at": "2026-12-06T12:00:41Z",
        "ended_at": "2026-12-06T12:21:02Z",
        "status": "ok",
        "changed": True,
    },
    {
        "name": "stage_samples",
        "started_at": "2026-12-06T12:21:02+00:00",
        "ended_at": "2026-12-06T12:22:30.250000+00:00",
        "status": "ok",
        "changed": True,
    },
    {
        "name": "launch",
        "started_at": "20261206T122230Z",
        "ended_at": "20261206T122301Z",
        "status": "ok",
        "changed": True,
    },
    {"name": "wait", "started_at": "2026-12-06T12:23:01Z", "ended_at": "2026-12-06T12:33:01Z", "status": "ok"},
    {
        "name": "export",
        "started_at": "2026-12-06T12:33:01Z",
        "ended_at": "2026-12-06T12:35:40Z",
        "status": "ok",
        "changed": True,
    },
    {
        "name": "register",
        "started_at": "2026-12-06T12:35:40Z",
        "ended_at": "2026-12-06T12:35:44Z",
        "status": "ok",
        "changed": True,
    },
    {"name": "delete", "status": "skipped"},
]


def fsx_dra_result(association_id, file_system_path, data_repository_path, purpose, lifecycle="AVAILABLE"):
    """A registered result of the fsx_dra module."""
    return {
        "changed": True,
        "file_system_id": "fs-0123456789abcdef0",
        "association": {
            "association_id": association_id,
            "file_system_id": "fs-0123456789abcdef0",
            "file_system_path": file_system_path,
            "data_repository_path": data_repository_path,
            "lifecycle": lifecycle,
            "tags": {"lsmc:purpose": purpose},
        },
    }


ASSOCIATIONS = {
    "attached": [
        fsx_dra_result("dra-0aaaaaaaaaaaaaaa1", "/staging/alice-run42/", "s3://dayec-stage/alice-run42/", "staging"),
        fsx_dra_result("dra-0aaaaaaaaaaaaaaa2", "/analysis_results/alice/run42/", DESTINATION, "export"),
        {"skipped": True, "changed": False},
    ],
    "detached": [
        dict(
            fsx_dra_result("dra-0aaaaaaaaaaaaaaa2", "/analysis_results/alice/run42/", DESTINATION, "export"),
            detach_lifecycle="DELETED",  # fsx_dra state=absent: the association as it was, and how the detach ended
        ),
    ],
}

REGISTRATION = {
    "changed": True,
    "analysis_artifact_set_euid": EUIDS[0],
    "multiqc_artifact_set_euids": EUIDS[1:],
    "artifact_set_euids": EUIDS,
    "registration_receipt_s3_uri": DESTINATION + "_daylily_monitor/dewey/dewey_registration_receipt.json",
    "export_receipt_uri": RECEIPT_S3_URI,
}

SUMMARY = {"Cluster": "day-demo", "Cost so far (USD)": 3.87, "Region": "us-west-2"}


def write_receipt(directory, **overrides):
    """A verified fsx_export.yaml for alice/run42, written by the receipt code; its path."""
    verified = {
        "cluster_name": "day-demo",
        "association_id": "dra-0aaaaaaaaaaaaaaa2",
        "fsx_file_count": OBJECT_COUNT,
        "fsx_total_bytes": TOTAL_BYTES,
        "s3_object_count": OBJECT_COUNT,
        "s3_total_bytes": TOTAL_BYTES,
        "verified": True,
        "timestamp": TIMESTAMP,
    }
    fields = receipts.success_fields("alice", "run42", DESTINATION, TIMESTAMP, **dict(verified, **overrides))
    path = Path(directory) / "receipts" / "alice" / "run42" / export.RECEIPT_FILENAME
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(receipt.dump_receipt(receipt.build_receipt(**fields)), encoding="utf-8")
    return path


def module_args(directory, **overrides):
    """The run_report options of a whole lifecycle run whose output and receipts live in ``directory``."""
    args = {
        "title": "day-demo: alice/run42",
        "output_dir": str(Path(directory) / "report"),
        "phases": PHASES,
        "associations": ASSOCIATIONS,
        "receipts": [str(write_receipt(directory))],
        "registrations": [REGISTRATION, {"skipped": True}],
        "summary": SUMMARY,
    }
    args.update(overrides)
    return args
