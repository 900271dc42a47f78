"""dewey_register with ``manifest_source: s3_inventory`` over the sandbox: the SHA-256s the verified export manifest
vouches for need no HeadObject of ours (the only HEADs left are Dewey's own), and an object rewritten after the
manifest was written is asked of S3 (invariant 25: a real SHA-256, never one S3's current object contradicts). The
last test takes the manifest from a real export (playbooks/export.yml with export_checksum) on the sandbox cluster.
"""

import hashlib
import time
from pathlib import Path

import pytest

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import export
from testlib import dewey as dewey_testlib
from testlib.dewey import BUCKET
from testlib.dewey import DAYOA_ROOT
from testlib.dewey import DESTINATION
from testlib.dewey import RECEIPT_KEY
from testlib.dewey import TOKEN_ENV
from testlib.playbooks import OPERATOR_PLAYBOOKS
from testlib.playbooks import run_playbook
from testlib.registration import dewey_variables
from testlib.workflow import export_vars

dewey_stub_server = dewey_testlib.dewey_stub_server  # fixtures
dewey_stub = dewey_testlib.dewey_stub

MANIFEST_KEY = RECEIPT_KEY.replace(export.RECEIPT_FILENAME, export.MANIFEST_FILENAME)
PREFIX = DAYOA_ROOT[len("s3://%s/" % BUCKET) :]


@pytest.fixture
def s3(aws):
    return aws("s3")


def export_with_manifest(s3, tree):
    """The toy analysis exported with a verified receipt naming its manifest, the manifest written after the data
    (in a later second, as S3 counts time), as export_receipt writes it after its verification: {path: bytes}."""
    files = {path.relative_to(tree).as_posix(): path.read_bytes() for path in sorted(tree.rglob("*")) if path.is_file()}
    entries = [
        {"path": "daylily-omics-analysis/" + path, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        for path, data in files.items()
    ]
    text = export.dump_manifest(export.manifest_entries(entries))
    receipt = dewey_testlib.export_receipt_yaml(
        manifest_s3_uri="s3://%s/%s" % (BUCKET, MANIFEST_KEY), manifest_sha256=export.manifest_sha256(text)
    )
    dewey_testlib.upload_export(s3, tree, receipt=receipt)
    time.sleep(1.1)
    s3.put_object(Bucket=BUCKET, Key=MANIFEST_KEY, Body=text.encode())
    return files


def register(stub, tmp_path):
    variables = {
        "dewey_register_args": {
            "destination_s3_uri": DESTINATION,
            "command_id": "ilmn_germline_wgs_align_qc",
            "manifest_source": "s3_inventory",
            "dewey_url": stub.url,
            "dewey_token_env": TOKEN_ENV,
            "http_retry_delay": 0,
            "retry_delay": 0,
        }
    }
    run = run_playbook("dewey_register.yml", variables)
    return run, run.result("Register with Dewey")


def our_heads(sandbox):
    """HeadObject calls of the module (Dewey's own HEADs come from its boto3, without Ansible's user agent)."""
    return [
        entry["key"]
        for entry in sandbox.audit()
        if entry["operation"] == "HeadObject" and "Ansible" in entry.get("user_agent", "")
    ]


def test_invariant_25_s3_inventory_registers_the_verified_manifests_digests_without_a_head_of_ours(
    dewey_stub, sandbox, s3, tmp_path
):
    tree = tmp_path / "analysis"
    dewey_testlib.write_toy_analysis(tree)
    files = export_with_manifest(s3, tree)
    sandbox.clear_audit()
    run, result = register(dewey_stub, tmp_path)
    assert run.rc == 0, run.failures()
    assert our_heads(sandbox) == []
    assert any(entry["operation"] == "HeadObject" for entry in sandbox.audit())  # Dewey's, so the filter sees HEADs
    lookup = result["sha256_lookup"]
    assert lookup == {"export_manifest": result["selected_artifact_count"], "s3_head": 0, "manifest_unused": None}
    for path, data in files.items():
        if DAYOA_ROOT + path in dewey_stub.registry.artifacts:
            assert dewey_stub.registry.artifacts[DAYOA_ROOT + path]["sha256"] == hashlib.sha256(data).hexdigest()


def test_invariant_25_an_object_rewritten_after_the_manifest_is_headed_and_refused_without_a_sha256_in_s3(
    dewey_stub, sandbox, s3, tmp_path
):
    tree = tmp_path / "analysis"
    dewey_testlib.write_toy_analysis(tree)
    files = export_with_manifest(s3, tree)
    rewritten = "config/samples.tsv"
    same_size = bytes(reversed(files[rewritten]))
    time.sleep(1.1)
    s3.put_object(Bucket=BUCKET, Key=PREFIX + rewritten, Body=same_size)  # same size, other content, no digest
    sandbox.clear_audit()
    run, result = register(dewey_stub, tmp_path)
    assert (
        run.rc != 0 and DAYOA_ROOT + rewritten in result["msg"] and "no SHA-256 for 1 selected object" in result["msg"]
    )
    assert our_heads(sandbox) == [PREFIX + rewritten]
    assert dewey_stub.posts() == []

    # with S3's own digest of the new content, that digest is registered, not the manifest's
    digest = hashlib.sha256(same_size).hexdigest()
    s3.put_object(Bucket=BUCKET, Key=PREFIX + rewritten, Body=same_size, Metadata={"sha256": digest})
    run, result = register(dewey_stub, tmp_path)
    assert run.rc == 0, run.failures()
    assert result["sha256_lookup"]["s3_head"] == 1
    assert dewey_stub.registry.artifacts[DAYOA_ROOT + rewritten]["sha256"] == digest
    assert result["sha256_lookup"]["export_manifest"] == result["selected_artifact_count"] - 1


def test_invariant_25_an_export_with_checksums_registers_by_s3_inventory_without_a_head_of_ours(
    dewey_stub, sandbox, aws, cluster, tmp_path
):
    entity, analysis_id = "lab9", "an-inventory"
    root = Path(cluster["fsx_mount"]) / "analysis_results" / entity / analysis_id / "daylily-omics-analysis"
    dewey_testlib.write_toy_analysis(root)
    destination = "s3://%s/derived/%s/%s/" % (cluster["buckets"][1], entity, analysis_id)
    variables = export_vars(
        cluster,
        entity,
        analysis_id,
        destination,
        tmp_path / "exports",
        export_checksum=True,
        export_dewey_manifest_source="s3_inventory",
        **dewey_variables(dewey_stub.url, TOKEN_ENV, command_id="ilmn_germline_wgs_align_qc"),
    )
    sandbox.clear_audit()
    run = run_playbook(str(OPERATOR_PLAYBOOKS / "export.yml"), variables)
    assert run.rc == 0, run.failures()
    result = run.result("daylily.ephemeral_cluster.dewey : Register the exported analysis with Dewey")
    assert result["manifest_source"] == "s3_inventory"
    assert result["sha256_lookup"] == {
        "export_manifest": result["selected_artifact_count"],
        "s3_head": 0,
        "manifest_unused": None,
    }
    assert our_heads(sandbox) == []
    registered = dewey_stub.registry.artifacts
    for path in ("config/samples.tsv", "config/units.tsv"):
        digest = hashlib.sha256((root / path).read_bytes()).hexdigest()
        assert registered[destination + "daylily-omics-analysis/" + path]["sha256"] == digest
