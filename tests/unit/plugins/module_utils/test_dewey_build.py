"""Registration decisions of module_utils.dewey without S3 or HTTP: verified exports only, selection, SHA-256 and
size rules, MultiQC requests, where S3 keeps a SHA-256, and the client's back-off."""

import base64
import hashlib
import socket

import pytest

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import dewey

ROOT = "s3://b/x/e1/a1/daylily-omics-analysis/"
SHA = "a" * 64
HTML = "results/day/hg38/reports/DAY_final_multiqc.html"
DATA = "results/day/hg38/reports/DAY_final_multiqc_data/"
POLICY = {
    "include_classifications": ["multiqc_html", "multiqc_data_json", "staging_manifest"],
    "include_paths": ["config/samples.tsv", DATA + "**"],
    "require_existing": True,
    "parser_family_hint": "multiqc",
    "multiqc_version": "1.35",
    "multiqc_reports": [{"report_kind": "final", "html_path": HTML, "data_dir_path": DATA}],
    "identity": {"analysis_euid": "a1", "run_euid": "a1"},
}
WORKFLOW = {
    "pipeline_name": "dayoa",
    "pipeline_version": "2.0.26",
    "git_sha": "abc",
    "snakemake_version": "9",
    "workflow_config_hash": "cfg",
    "workflow_profile": "p",
}
ROOTS = {
    "dayoa_s3_root": ROOT,
    "destination_s3_uri": "s3://b/x/e1/a1/",
    "analysis_dir": "e1/a1",
    "executing_entity": "e1",
    "analysis_id": "a1",
    "cluster_name": "c",
    "region": "r",
    "source_path": "/s",
}


def record(path, classification, sha256=SHA, size=1, parser_relevant=True):
    return {
        "relative_path": path,
        "size_bytes": size,
        "sha256": sha256,
        "sha256_source": "t",
        "classification": classification,
        "parser_relevant": parser_relevant,
        "required": True,
        "metadata": {},
        "tags": [],
    }


def records():
    return [
        record("config/samples.tsv", "samples_manifest"),
        record(HTML, "multiqc_html"),
        record(DATA + "multiqc_data.json", "multiqc_data_json"),
        record(DATA + "multiqc.log", "multiqc_log", parser_relevant=False),
        record("results/day/hg38/multiqc_inputs/final/manifest.tsv", "staging_manifest"),
        record("results/day/hg38/other.bam", "alignment_bam"),
    ]


@pytest.mark.parametrize("changes", [{"status": "error"}, {"verified": False}, {"verified": None}])
def test_only_a_verified_successful_export_registers(changes):
    receipt = dict(
        {
            "status": "success",
            "verified": True,
            "dayoa_s3_root": ROOT,
            "destination_s3_uri": "s3://b/x/e1/a1/",
            "analysis_dir": "e1/a1",
        },
        **changes,
    )
    with pytest.raises(dewey.RegistrationError, match="not a verified success"):
        dewey.export_roots(receipt)


def test_selection_by_classification_or_glob_sorted_by_path():
    chosen = [r["relative_path"] for r in dewey.select(records(), POLICY, ROOT)]
    assert chosen == sorted(chosen) and "results/day/hg38/other.bam" not in chosen and len(chosen) == 5


def test_required_literal_path_missing_is_refused():
    with pytest.raises(dewey.RegistrationError, match="required file.*config/samples.tsv"):
        dewey.select(records()[1:], POLICY, ROOT)


def test_nothing_selected_is_refused():
    with pytest.raises(dewey.RegistrationError, match="selects no file"):
        dewey.select([record("x.bin", "unknown")], dict(POLICY, include_paths=[]), ROOT)


def test_missing_sha256_names_every_object():
    found = records()
    found[0]["sha256"] = None
    found[2]["sha256"] = "etag-like-0123"
    with pytest.raises(dewey.RegistrationError) as raised:
        dewey.select(found, POLICY, ROOT)
    assert ROOT + "config/samples.tsv" in str(raised.value) and ROOT + DATA + "multiqc_data.json" in str(raised.value)


def test_size_differing_from_s3_is_refused():
    sizes = {r["relative_path"]: 1 for r in records()}
    sizes[HTML] = 2
    with pytest.raises(dewey.RegistrationError, match="1 bytes in the manifest, 2 in S3"):
        dewey.select(records(), POLICY, ROOT, sizes)


def test_multiqc_request_has_directory_key_and_parser_relevant_files():
    selected = dewey.select(records(), POLICY, ROOT)
    (request,) = dewey.multiqc_requests(
        selected, POLICY, ROOTS, WORKFLOW, "2026-06-01T00:00:00Z", "hg38", lambda d: SHA
    )
    body = dewey.finalise("multiqc", request)
    assert body["data_dir_artifact"]["storage_uri"] == ROOT + DATA and body["data_dir_artifact"]["size_bytes"] == 0
    keys = [a["relative_path"] for a in body["key_files"]]
    assert keys == [
        DATA + "multiqc.log",
        DATA + "multiqc_data.json",
        "results/day/hg38/multiqc_inputs/final/manifest.tsv",
    ]
    assert DATA + "multiqc.log" not in [a["relative_path"] for a in body["parser_relevant_files"]]


def test_multiqc_report_not_in_policy_is_refused():
    policy = dict(POLICY, multiqc_reports=[])
    with pytest.raises(dewey.RegistrationError, match="matches 0 of the policy's multiqc_reports"):
        dewey.multiqc_requests(
            dewey.select(records(), policy, ROOT), policy, ROOTS, WORKFLOW, "2026-06-01", "hg38", lambda d: SHA
        )


def test_multiqc_without_data_json_is_refused():
    found = [r for r in records() if not r["relative_path"].endswith("multiqc_data.json")]
    with pytest.raises(dewey.RegistrationError, match="multiqc_data.json is not selected"):
        dewey.multiqc_requests(
            dewey.select(found, POLICY, ROOT), POLICY, ROOTS, WORKFLOW, "2026-06-01", "hg38", lambda d: SHA
        )


def test_unresolved_identity_template_is_refused():
    policy = dict(POLICY, identity={"analysis_euid": "{analysis_id}", "run_euid": "a1"})
    with pytest.raises(dewey.RegistrationError, match="identity.analysis_euid"):
        dewey.analysis_request(records(), policy, ROOTS, WORKFLOW, "2026-06-01", "hg38")


def test_workflow_config_hash_is_hashed_unless_a_sha256():
    request = dewey.analysis_request(records(), POLICY, ROOTS, WORKFLOW, "2026-06-01", "hg38")
    assert request["workflow_config_sha256"] == hashlib.sha256(b"cfg").hexdigest()
    assert request["workflow_engine"] == "snakemake" and request["status"] == "completed"
    assert "metadata" not in request


def test_s3_sha256_from_metadata_or_full_object_checksum_never_etag():
    digest = hashlib.sha256(b"x").hexdigest()
    b64 = base64.b64encode(bytes.fromhex(digest)).decode()
    assert dewey.object_sha256({"Metadata": {"sha256": digest.upper()}}) == (digest, "metadata:sha256")
    assert dewey.object_sha256({"ChecksumSHA256": b64, "ChecksumType": "FULL_OBJECT"}) == (digest, "ChecksumSHA256")
    assert dewey.object_sha256({"ChecksumSHA256": b64 + "-3", "ChecksumType": "COMPOSITE"}) == (None, None)
    assert dewey.object_sha256({"ETag": '"%s"' % digest[:32]}) == (None, None)


def test_client_backs_off_exponentially_on_connection_errors_then_gives_up():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: connections are refused
    slept = []
    client = dewey.DeweyClient(
        "http://127.0.0.1:%d" % port, "t", timeout=2, retries=3, retry_delay=0.5, sleep=slept.append
    )
    with pytest.raises(dewey.DeweyHTTPError) as raised:
        client.register("analysis", {"a": 1}, None)
    assert slept == [0.5, 1.0, 2.0] and raised.value.attempts == 4 and raised.value.status is None
