"""dewey_register against the REAL dewey-service 3.0.27 (PostgreSQL from Debian, both on 127.0.0.1, started and
stopped by the session fixture): the contract the sandbox Dewey copies holds against Dewey itself."""

import json

import pytest

from testlib import dewey as dewey_testlib
from testlib.dewey import BUCKET
from testlib.dewey import TOKEN_ENV
from testlib.playbooks import run_playbook

live_dewey_server = dewey_testlib.live_dewey_server  # fixtures
live_dewey = dewey_testlib.live_dewey

PLAYBOOK = "dewey_register.yml"
TASK = "Register with Dewey"


@pytest.fixture
def exported(aws, tmp_path):
    tree = tmp_path / "analysis"
    dewey_testlib.write_toy_analysis(tree)
    return dewey_testlib.upload_export(aws("s3"), tree)


def register(server, tmp_path, **extra):
    values = {
        "destination_s3_uri": dewey_testlib.DESTINATION,
        "command_id": "ilmn_germline_wgs_align_qc",
        "dewey_url": server.url,
        "dewey_token_env": TOKEN_ENV,
        "output_dir": str(tmp_path / "out"),
        "http_retry_delay": 0,
        "retry_delay": 0,
    }
    values.update(extra)
    run = run_playbook(PLAYBOOK, {"dewey_register_args": values})
    return run, run.result(TASK)


def test_export_registers_with_real_dewey_then_replays_unchanged(live_dewey, exported, aws, tmp_path):
    run, result = register(live_dewey, tmp_path)
    assert run.rc == 0, run.failures()
    receipt = result["registration_receipt"]
    analysis, (multiqc,) = receipt["analysis_response"], receipt["multiqc_responses"]
    assert analysis["status_code"] == 201 and analysis["artifact_set_kind"] == "analysis_artifact_set"
    assert multiqc["artifact_set_kind"] == "multiqc_artifact_set" and multiqc["report_kind"] == "final"
    assert analysis["source_service"] == "dewey" and analysis["source_version"]
    assert len(analysis["registered_artifacts"]) + len(analysis["skipped_existing"]) == 9
    assert [a["artifact_role"] for a in multiqc["registered_artifacts"]] == ["directory"]
    assert analysis["manifest_sha256"] == receipt["analysis_request_manifest_sha256"]
    key = (
        dewey_testlib.DESTINATION[len("s3://%s/" % BUCKET) :] + "_daylily_monitor/dewey/dewey_registration_receipt.json"
    )
    assert json.loads(aws("s3").get_object(Bucket=BUCKET, Key=key)["Body"].read()) == receipt

    again, replay = register(live_dewey, tmp_path)
    assert again.rc == 0, again.failures()
    assert replay["changed"] is False and replay["artifact_set_euids"] == result["artifact_set_euids"]
    assert replay["registration_receipt"] == receipt  # Dewey replayed the stored bodies


def test_real_dewey_rejects_metadata_with_422_as_the_stub_does(live_dewey, exported, tmp_path):
    run, result = register(live_dewey, tmp_path, send_metadata=True)
    assert run.rc != 0 and result["status"] == 422 and "metadata" in result["msg"]
    assert result["http_attempts"] == [["/api/v1/artifact-sets/analysis/register", 422]]  # never retried
