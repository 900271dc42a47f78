"""dewey_register through ansible-playbook against the sandbox S3 and the sandbox Dewey (reference: Dewey 3.0.27).

The export is a toy DayOA analysis whose evidence manifest DayOA's own writer wrote, uploaded with boto3 under an
export destination together with a verified ``fsx_export.yaml``.
"""

import hashlib
import json

import pytest

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import catalog
from testlib import dewey as dewey_testlib
from testlib.dewey import BUCKET
from testlib.dewey import DAYOA_ROOT
from testlib.dewey import DESTINATION
from testlib.dewey import RECEIPT_KEY
from testlib.dewey import TOKEN_ENV
from testlib.playbooks import OPERATOR_PLAYBOOKS
from testlib.playbooks import run_playbook

dewey_stub_server = dewey_testlib.dewey_stub_server  # fixtures
dewey_stub = dewey_testlib.dewey_stub

PLAYBOOK = "dewey_register.yml"
TASK = "Register with Dewey"
COMMAND = "ilmn_germline_wgs_align_qc"
REGISTRATION_KEY = DESTINATION[len("s3://%s/" % BUCKET) :] + "_daylily_monitor/dewey/dewey_registration_receipt.json"


@pytest.fixture
def s3(aws):
    return aws("s3")


@pytest.fixture
def exported(s3, tmp_path):
    """The toy analysis, exported: {relative_path: size}."""
    tree = tmp_path / "analysis"
    dewey_testlib.write_toy_analysis(tree)
    return dewey_testlib.upload_export(s3, tree)


def args(stub, tmp_path, **extra):
    values = {
        "destination_s3_uri": DESTINATION,
        "command_id": COMMAND,
        "dewey_url": stub.url,
        "dewey_token_env": TOKEN_ENV,
        "output_dir": str(tmp_path / "out"),
        "http_retry_delay": 0,
        "retry_delay": 0,
    }
    values.update(extra)
    return {"dewey_register_args": {key: value for key, value in values.items() if value is not None}}


def register(stub, tmp_path, check=False, diff=False, **extra):
    run = run_playbook(PLAYBOOK, args(stub, tmp_path, **extra), check=check, diff=diff)
    return run, run.result(TASK)


def test_dayoa_manifest_registers_analysis_and_multiqc_sets_then_replays_unchanged(
    dewey_stub, sandbox, exported, s3, tmp_path
):
    sandbox.clear_audit()
    run, result = register(dewey_stub, tmp_path)
    assert run.rc == 0, run.failures()
    # Our S3 calls do not grow with the number of files: sizes come from one listing, digests from the manifest.
    # The HEADs are Dewey's own, one per file artifact of each request (9 analysis + 6 MultiQC). The two PUTs are
    # the registration receipt and the export receipt recording it.
    operations = sorted(entry["operation"] for entry in sandbox.audit() if entry["service"] == "s3")
    assert operations == ["GetObject"] * 3 + ["HeadObject"] * 15 + ["ListObjectsV2"] * 2 + ["PutObject"] * 2, operations
    assert result["changed"] is True and result["manifest_source"] == "dayoa_manifest"
    assert len(result["artifact_set_euids"]) == 2 and len(result["multiqc_artifact_set_euids"]) == 1
    kinds = sorted(found["kind"] for found in dewey_stub.state()["artifact_sets"].values())
    assert kinds == ["analysis_artifact_set", "multiqc_artifact_set"]
    receipt = json.loads(s3.get_object(Bucket=BUCKET, Key=REGISTRATION_KEY)["Body"].read())
    assert receipt == result["registration_receipt"]
    assert json.loads((tmp_path / "out" / "dewey_registration_receipt.json").read_text()) == receipt
    assert receipt["schema_version"] == "dyec.dewey_registration_receipt.v1"
    assert receipt["source_manifest_s3_uri"] == DAYOA_ROOT + "results/day/hg38/reports/dayoa_evidence_manifest.json"
    assert receipt["selected_artifact_count"] == result["selected_artifact_count"] == 9
    assert receipt["multiqc_artifact_set_count"] == 1
    analysis = receipt["analysis_response"]
    assert analysis["status_code"] == 201 and len(analysis["registered_artifacts"]) == 9
    multiqc = receipt["multiqc_responses"][0]
    # after the analysis, only the data directory is new (reference §1.6)
    assert (
        len(multiqc["registered_artifacts"]) == 1 and multiqc["registered_artifacts"][0]["artifact_role"] == "directory"
    )
    assert result["export_receipt_fields"]["dewey_registration_status"] == "success"
    first_posts = len(dewey_stub.posts())

    again, replay = register(dewey_stub, tmp_path)
    assert again.rc == 0, again.failures()
    assert replay["changed"] is False and replay["artifact_set_euids"] == result["artifact_set_euids"]
    assert len(dewey_stub.posts()) == 2 * first_posts and dewey_stub.state()["receipt_count"] == 2


def test_check_mode_validates_every_request_and_posts_nothing(dewey_stub, sandbox, exported, s3, tmp_path):
    sandbox.clear_audit()
    run, result = register(dewey_stub, tmp_path, check=True, diff=True)
    assert run.rc == 0, run.failures()
    assert sandbox.mutating_calls() == []
    assert result["changed"] is True and len(result["requests"]["multiqc"]) == 1
    assert dewey_stub.posts() == []
    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET, Prefix=REGISTRATION_KEY)
    assert not (tmp_path / "out").exists()


def test_s3_inventory_missing_sha256_fails_naming_the_object_with_zero_posts(dewey_stub, s3, tmp_path):
    tree = tmp_path / "analysis"
    dewey_testlib.write_toy_analysis(tree)
    dewey_testlib.upload_export(s3, tree, with_checksums=True)
    unhashed = DAYOA_ROOT + "config/units.tsv"
    key = unhashed[len("s3://%s/" % BUCKET) :]
    s3.put_object(Bucket=BUCKET, Key=key, Body=(tree / "config/units.tsv").read_bytes())  # no sha256 metadata
    run, result = register(dewey_stub, tmp_path, manifest_source="s3_inventory")
    assert run.rc != 0 and result["failed"] is True
    assert unhashed in result["msg"] and "no SHA-256 for 1 selected object" in result["msg"]
    assert dewey_stub.posts() == []


def test_s3_inventory_with_sha256_metadata_registers(dewey_stub, s3, tmp_path):
    tree = tmp_path / "analysis"
    dewey_testlib.write_toy_analysis(tree)
    dewey_testlib.upload_export(s3, tree, with_checksums=True)
    run, result = register(dewey_stub, tmp_path, manifest_source="s3_inventory")
    assert run.rc == 0, run.failures()
    assert result["registration_receipt"]["source_manifest_s3_uri"] == "dyec:s3_inventory"
    stored = dewey_stub.registry.artifacts[DAYOA_ROOT + "config/units.tsv"]
    assert stored["sha256"] == hashlib.sha256((tree / "config/units.tsv").read_bytes()).hexdigest()


def test_5xx_twice_then_success_registers_once(dewey_stub, exported, tmp_path):
    dewey_stub.faults.add("status", count=2, status=503, path="/api/v1/artifact-sets/analysis/register")
    run, result = register(dewey_stub, tmp_path)
    assert run.rc == 0, run.failures()
    statuses = [entry["status"] for entry in dewey_stub.posts()]
    assert statuses == [503, 503, 200, 200]
    assert len(dewey_stub.state()["artifact_sets"]) == 2 and dewey_stub.state()["receipt_count"] == 2


def test_409_fails_clearly_without_retry(dewey_stub, exported, s3, tmp_path):
    # Dewey already holds the html under the same URI with another digest: records are immutable
    dewey_stub.registry.artifacts[DAYOA_ROOT + "results/day/hg38/reports/DAY_final_multiqc.html"] = {
        "artifact_euid": "Z-DGX-999999",
        "sha256": "f" * 64,
        "size_bytes": 26,
        "artifact_role": "multiqc_html",
    }
    run, result = register(dewey_stub, tmp_path)
    assert run.rc != 0 and result["status"] == 409
    assert "conflicts with immutable registration manifest" in result["msg"] and "not retried" in result["msg"]
    assert len(dewey_stub.posts()) == 1
    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET, Prefix=REGISTRATION_KEY)


def test_dropped_connection_mid_post_then_rerun_registers_exactly_once(dewey_stub, exported, tmp_path):
    dewey_stub.faults.add("drop_after", count=1, path="/api/v1/artifact-sets/analysis/register")
    run, result = register(dewey_stub, tmp_path, http_retries=0)
    assert run.rc != 0 and "no answer" in result["msg"]
    assert len(dewey_stub.state()["artifact_sets"]) == 1  # Dewey stored it; the client could not know

    again, rerun = register(dewey_stub, tmp_path, http_retries=0)
    assert again.rc == 0, again.failures()
    kinds = sorted(found["kind"] for found in dewey_stub.state()["artifact_sets"].values())
    assert kinds == ["analysis_artifact_set", "multiqc_artifact_set"]
    assert rerun["analysis_artifact_set_euid"] in dewey_stub.state()["artifact_sets"]


def test_unverified_export_is_refused_before_any_post(dewey_stub, exported, s3, tmp_path):
    s3.put_object(Bucket=BUCKET, Key=RECEIPT_KEY, Body=dewey_testlib.export_receipt_yaml(verified=False).encode())
    run, result = register(
        dewey_stub, tmp_path, destination_s3_uri=None, export_receipt_uri="s3://%s/%s" % (BUCKET, RECEIPT_KEY)
    )
    assert run.rc != 0 and "not a verified success" in result["msg"]
    assert dewey_stub.posts() == []


def test_unset_token_variable_fails_before_anything(dewey_stub, exported, tmp_path):
    run, result = register(dewey_stub, tmp_path, dewey_token_env="DAYEC_TEST_NO_SUCH_TOKEN")
    assert run.rc != 0 and "DAYEC_TEST_NO_SUCH_TOKEN (dewey_token_env) is unset or empty" in result["msg"]
    assert dewey_stub.posts() == []


def test_token_appears_nowhere_in_vvvv_output_results_receipts_or_records(dewey_stub, exported, s3, tmp_path):
    process = dewey_testlib.run_verbose(PLAYBOOK, args(dewey_stub, tmp_path))
    assert process.returncode == 0, process.stdout[-3000:]
    assert "artifact_set_euid" in process.stdout  # the -vvvv output does show the result
    dewey_testlib.assert_token_nowhere(
        stdout=process.stdout,
        stderr=process.stderr,
        S3_receipt=s3.get_object(Bucket=BUCKET, Key=REGISTRATION_KEY)["Body"].read().decode(),
        S3_export_receipt=s3.get_object(Bucket=BUCKET, Key=RECEIPT_KEY)["Body"].read().decode(),
        local_receipt=(tmp_path / "out" / "dewey_registration_receipt.json").read_text(),
        Deweys_request_record=json.dumps(dewey_stub.requests()),
    )


def test_catalog_policy_is_the_commands(dewey_stub):
    """The command the tests register with carries the shared DayOA MultiQC policy (reference §2.2)."""
    policy = catalog.resolve_command(catalog.load_catalog(catalog.default_catalog_path()), COMMAND)["command"]
    assert policy["artifact_registration"]["manifest_source"] == "dayoa_manifest"


def test_export_manifest_source_registers_with_the_digests_computed_at_export(dewey_stub, s3, tmp_path):
    tree = tmp_path / "analysis"
    dewey_testlib.write_toy_analysis(tree)
    manifest_key = RECEIPT_KEY.replace("fsx_export.yaml", "fsx_export_manifest.jsonl")
    receipt = dewey_testlib.export_receipt_yaml(manifest_s3_uri="s3://%s/%s" % (BUCKET, manifest_key))
    sizes = dewey_testlib.upload_export(s3, tree, receipt=receipt)
    lines = [
        json.dumps(
            {
                "path": "daylily-omics-analysis/" + path,
                "size": size,
                "sha256": hashlib.sha256((tree / path).read_bytes()).hexdigest(),
            }
        )
        for path, size in sorted(sizes.items())
    ]
    s3.put_object(Bucket=BUCKET, Key=manifest_key, Body="\n".join(lines).encode())
    run, result = register(dewey_stub, tmp_path, manifest_source="export_manifest")
    assert run.rc == 0, run.failures()
    assert result["source_manifest_s3_uri"] == "s3://%s/%s" % (BUCKET, manifest_key)
    assert result["selected_artifact_count"] == 9 and len(result["artifact_set_euids"]) == 2


def test_size_differing_from_s3_fails_naming_the_object_before_any_post(dewey_stub, exported, s3, tmp_path):
    changed = DAYOA_ROOT + "config/samples.tsv"
    s3.put_object(Bucket=BUCKET, Key=changed[len("s3://%s/" % BUCKET) :], Body=b"rewritten after the export\n")
    run, result = register(dewey_stub, tmp_path)
    assert run.rc != 0 and changed in result["msg"] and "in S3" in result["msg"]
    assert dewey_stub.posts() == []


def test_register_playbook_registers_through_the_dewey_role_then_changes_nothing(dewey_stub, exported, tmp_path):
    variables = {
        "dewey_url": dewey_stub.url,
        "dewey_command_id": COMMAND,
        "dewey_destination_s3_uri": DESTINATION,
        "dewey_token_env": TOKEN_ENV,
        "dewey_output_dir": str(tmp_path / "out"),
    }
    playbook = str(OPERATOR_PLAYBOOKS / "register.yml")
    run = run_playbook(playbook, variables)
    assert run.rc == 0, run.failures()
    result = run.result("daylily.ephemeral_cluster.dewey : Register the exported analysis with Dewey")
    assert result["changed"] is True and len(result["artifact_set_euids"]) == 2
    assert (tmp_path / "out" / "dewey_registration_receipt.json").exists()
    again = run_playbook(playbook, variables)
    assert again.rc == 0 and again.changed_count() == 0, again.failures()
