"""playbooks/export.yml with export_register_with_dewey: the sandbox DayOA's run is exported, verified and registered
with Dewey in one run (its real evidence manifest: one analysis set and one MultiQC set per report), the receipts
record it, and a re-run replays with changed=false. Against the sandbox Dewey, and against the REAL dewey-service
3.0.27 (PostgreSQL from Debian) as the demo's export would be.

A verified receipt is never overwritten; the registration's ``dewey_*`` fields are the one change it allows
(receipt.add_registration), so the receipt must still verify after it: the re-run's preflight re-verifies it
against S3 and finds nothing to do.
"""

import json
from pathlib import Path

import pytest

from sandbox.dayoa_repo import build_repository
from testlib import dewey as dewey_testlib
from testlib import workflow
from testlib.dewey import TOKEN_ENV
from testlib.playbooks import OPERATOR_PLAYBOOKS
from testlib.playbooks import run_playbook
from testlib.registration import EVIDENCE_MANIFEST
from testlib.registration import check_registered_receipt
from testlib.registration import dewey_variables
from testlib.registration import load_receipt
from testlib.registration import run_sandbox_dayoa

dewey_stub_server = dewey_testlib.dewey_stub_server  # fixtures
dewey_stub = dewey_testlib.dewey_stub
live_dewey_server = dewey_testlib.live_dewey_server
live_dewey = dewey_testlib.live_dewey

EXPORT = str(OPERATOR_PLAYBOOKS / "export.yml")
ENTITY, ANALYSIS = "tester", "wgs-registered"
REGISTER_TASK = "daylily.ephemeral_cluster.dewey : Register the exported analysis with Dewey"


@pytest.fixture(scope="module")
def dayoa_url(tmp_path_factory):
    return build_repository(tmp_path_factory.mktemp("dayoa-git"))


@pytest.fixture
def analysis(cluster, dayoa_url, tmp_path):
    """The sandbox DayOA's run of two samples, under the analysis root on FSx."""
    root = Path(cluster["fsx_mount"]) / "analysis_results" / ENTITY / ANALYSIS
    return run_sandbox_dayoa(root, dayoa_url, tmp_path / "fastq")


def destination(cluster):
    return "s3://%s/derived/%s/%s/" % (cluster["buckets"][1], ENTITY, ANALYSIS)


def export_vars(cluster, output_dir, url, token_env=TOKEN_ENV):
    return workflow.export_vars(
        cluster, ENTITY, ANALYSIS, destination(cluster), output_dir, **dewey_variables(url, token_env)
    )


def s3_text(aws, uri):
    bucket, _slash, key = uri[len("s3://") :].partition("/")
    return aws("s3").get_object(Bucket=bucket, Key=key)["Body"].read().decode()


def export_receipt_uris(aws, cluster):
    prefix = destination(cluster)[len("s3://%s/" % cluster["buckets"][1]) :] + "_daylily_monitor/fsx-export/"
    listing = aws("s3").list_objects_v2(Bucket=cluster["buckets"][1], Prefix=prefix).get("Contents", [])
    return ["s3://%s/%s" % (cluster["buckets"][1], o["Key"]) for o in listing if o["Key"].endswith("/fsx_export.yaml")]


def check_receipts(aws, cluster, output_dir):
    """The registration receipt in S3 and locally, and the one export receipt recording it in S3 and locally;
    returns the registration receipt."""
    registration_uri = destination(cluster) + "_daylily_monitor/dewey/dewey_registration_receipt.json"
    registration = json.loads(s3_text(aws, registration_uri))
    assert json.loads((output_dir / "dewey_registration_receipt.json").read_text()) == registration
    (receipt_uri,) = export_receipt_uris(aws, cluster)
    in_s3 = load_receipt(s3_text(aws, receipt_uri))
    local = load_receipt((output_dir / "fsx_export.yaml").read_text())
    assert in_s3 == local and not (output_dir / "attempts").exists()
    check_registered_receipt(local, registration, registration_uri, destination(cluster) + "daylily-omics-analysis/")
    names = list(local)  # the fields sit where DayEC writes them, after the v4 fields
    assert names.index("failure_details") < names.index("dewey_registration_status") < names.index("producer")
    return registration


def test_export_registers_the_sandbox_dayoa_run_after_it_verified_then_replays_unchanged(
    sandbox, aws, cluster, dewey_stub, analysis, tmp_path
):
    output_dir = tmp_path / "exports"
    sandbox.clear_audit()
    process = dewey_testlib.run_verbose(EXPORT, export_vars(cluster, output_dir, dewey_stub.url))
    assert process.returncode == 0, process.stdout[-4000:]
    registration = check_receipts(aws, cluster, output_dir)

    sets = dewey_stub.state()["artifact_sets"]
    assert sorted(found["kind"] for found in sets.values()) == ["analysis_artifact_set", "multiqc_artifact_set"]
    analysis_set = registration["analysis_response"]
    evidence = json.loads((analysis / EVIDENCE_MANIFEST).read_text())
    listed = {record["relative_path"]: record["sha256"] for record in evidence["files"]}
    registered = analysis_set["registered_artifacts"]
    assert len(registered) == registration["selected_artifact_count"] >= 10
    for artifact in registered:  # every file as the evidence manifest describes it, where the export put it
        assert artifact["sha256"] == listed[artifact["relative_path"]]
        assert artifact["storage_uri"] == destination(cluster) + "daylily-omics-analysis/" + artifact["relative_path"]
    assert {"config/samples.tsv", "config/units.tsv"} <= {a["relative_path"] for a in registered}
    multiqc = registration["multiqc_responses"][0]
    assert multiqc["report_kind"] == "final" and [a["artifact_role"] for a in multiqc["registered_artifacts"]] == [
        "directory"
    ]
    # The token went to Dewey only: not into the -vvvv output, receipts, requests' record or the AWS audit log.
    dewey_testlib.assert_token_nowhere(
        stdout=process.stdout,
        stderr=process.stderr,
        registration_receipt=(output_dir / "dewey_registration_receipt.json").read_text(),
        export_receipt=(output_dir / "fsx_export.yaml").read_text(),
        Deweys_request_record=json.dumps(dewey_stub.requests()),
        sandbox_audit_log=json.dumps(sandbox.audit()),
    )
    assert "artifact_set_euid" in process.stdout  # the -vvvv output did show the registration

    posts = len(dewey_stub.posts())
    again = run_playbook(EXPORT, export_vars(cluster, output_dir, dewey_stub.url))
    assert again.rc == 0 and again.changed_count() == 0, again.failures()
    replay = again.result(REGISTER_TASK)
    assert replay["changed"] is False and replay["artifact_set_euids"] == [
        registration["analysis_response"]["artifact_set_euid"],
        multiqc["artifact_set_euid"],
    ]
    assert len(dewey_stub.posts()) == 2 * posts and len(dewey_stub.state()["artifact_sets"]) == 2
    assert check_receipts(aws, cluster, output_dir) == registration

    # --check --diff of a registered export: every request built and validated, nothing posted or written
    sandbox.clear_audit()
    checked = run_playbook(EXPORT, export_vars(cluster, output_dir, dewey_stub.url), check=True, diff=True)
    assert checked.rc == 0 and checked.changed_count() == 0, checked.failures()
    fields = checked.result(REGISTER_TASK)["export_receipt_fields"]
    assert fields["dewey_selected_artifact_count"] == registration["selected_artifact_count"]
    assert len(dewey_stub.posts()) == 2 * posts and sandbox.mutating_calls() == []


def test_registration_inputs_are_checked_before_the_export_changes_anything(sandbox, cluster, analysis, tmp_path):
    variables = export_vars(cluster, tmp_path / "exports", "http://127.0.0.1:9", token_env="DAYEC_TEST_NO_SUCH_TOKEN")
    sandbox.clear_audit()
    run = run_playbook(EXPORT, variables)
    assert run.rc != 0 and "DAYEC_TEST_NO_SUCH_TOKEN (export_dewey_token_env)" in run.failures()
    assert sandbox.mutating_calls() == []
    no_url = run_playbook(EXPORT, dict(export_vars(cluster, tmp_path / "exports", ""), export_dewey_url="dewey"))
    assert no_url.rc != 0 and "export_dewey_url" in no_url.failures()
    assert sandbox.mutating_calls() == []


def test_export_registers_with_the_real_dewey_service_then_replays_unchanged(
    sandbox, aws, cluster, live_dewey, analysis, tmp_path
):
    output_dir = tmp_path / "exports"
    run = run_playbook(EXPORT, export_vars(cluster, output_dir, live_dewey.url))
    assert run.rc == 0, run.failures()
    result = run.result(REGISTER_TASK)
    registration = check_receipts(aws, cluster, output_dir)
    assert result["registration_receipt"] == registration
    analysis_set, (multiqc,) = registration["analysis_response"], registration["multiqc_responses"]
    assert analysis_set["status_code"] == 201 and analysis_set["artifact_set_kind"] == "analysis_artifact_set"
    assert analysis_set["source_service"] == "dewey" and analysis_set["source_version"]
    assert multiqc["artifact_set_kind"] == "multiqc_artifact_set" and multiqc["report_kind"] == "final"
    assert (
        len(analysis_set["registered_artifacts"]) + len(analysis_set["skipped_existing"])
        == (registration["selected_artifact_count"])
    )

    again = run_playbook(EXPORT, export_vars(cluster, output_dir, live_dewey.url))
    assert again.rc == 0 and again.changed_count() == 0, again.failures()
    replay = again.result(REGISTER_TASK)
    assert replay["artifact_set_euids"] == result["artifact_set_euids"]
    assert replay["registration_receipt"] == registration  # Dewey replayed the stored bodies
