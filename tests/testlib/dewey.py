"""Dewey test helpers: the sandbox Dewey fixture, a toy DayOA analysis written by DayOA's own evidence-manifest
writer and uploaded as an export, and the export receipt that says it verified."""

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from sandbox.dewey import DeweyStub
from testlib.playbooks import REPO
from testlib.playbooks import playbook_command
from testlib.playbooks import playbook_environment

TOKEN = "sandbox-dewey-token-7f3a91c2"  # distinctive, so tests can grep for it
TOKEN_ENV = "DAYEC_TEST_DEWEY_TOKEN"
BUCKET = "dayec-dewey-exports"
ENTITY = "lab1"
ANALYSIS_ID = "an-0001"
GENOME = "hg38"
DESTINATION = "s3://%s/exports/%s/%s/" % (BUCKET, ENTITY, ANALYSIS_ID)
DAYOA_ROOT = DESTINATION + "daylily-omics-analysis/"
RECEIPT_KEY = "exports/%s/%s/_daylily_monitor/fsx-export/20260601T000000Z/fsx_export.yaml" % (ENTITY, ANALYSIS_ID)
REPORTS = "results/day/%s/reports/" % GENOME
DATA_DIR = REPORTS + "DAY_final_multiqc_data/"


def served_until_stopped(server):
    """A session fixture's body: yield the started ``server``, then stop it however the session ends."""
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def dewey_stub_server(sandbox_server):
    """The sandbox Dewey on 127.0.0.1, its HEADs going to the sandbox S3; stopped at the end of the session."""
    yield from served_until_stopped(DeweyStub([TOKEN], s3_endpoint=sandbox_server.endpoint).start())


@pytest.fixture
def dewey_stub(dewey_stub_server, sandbox, monkeypatch):
    """A clean sandbox Dewey for this test (registry, faults and request record reset), token in TOKEN_ENV."""
    dewey_stub_server.reset()
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    return dewey_stub_server


def analysis_fields(artifacts, **overrides):
    """The fields of an analysis registration request around ``artifacts`` (not normalised, no manifest hash)."""
    fields = {
        "analysis_euid": "an-1",
        "run_euid": "an-1",
        "pipeline_name": "dayoa",
        "pipeline_version": "2.0.26",
        "workflow_engine": "snakemake",
        "workflow_engine_version": "9.1.0",
        "snakemake_version": "9.1.0",
        "workflow_git_sha": "abc",
        "workflow_config_sha256": "c" * 64,
        "workflow_profile": "sandbox",
        "generated_at": "2026-06-01T00:00:00Z",
        "status": "completed",
        "artifacts": artifacts,
    }
    fields.update(overrides)
    return fields


def write_toy_analysis(root):
    """A DayOA-shaped analysis tree under ``root`` and its evidence manifest, written by DayOA's own writer."""
    root = Path(root)
    files = {
        "config/samples.tsv": "SAMPLEID\tSAMPLESOURCE\nS1\tblood\n",
        "config/units.tsv": "RUNID\tSAMPLEID\tEXPERIMENTID\tLANEID\tBARCODEID\tLIBPREP\tSEQ_VENDOR\tSEQ_PLATFORM\n"
        "R1\tS1\tE1\t1\tB1\tPCRfree\tILMN\tNOVASEQ\n",
        REPORTS + "DAY_final_multiqc.html": "<html>final report</html>\n",
        DATA_DIR + "multiqc_data.json": json.dumps({"report_general_stats_data": [{"S1": {"reads": 10}}]}) + "\n",
        DATA_DIR + "multiqc_general_stats.txt": "Sample\treads\nS1\t10\n",
        DATA_DIR + "multiqc_sources.txt": "Module\tSection\tSample Name\tSource\n",
        DATA_DIR + "multiqc.log": "multiqc ran\n",
        "results/day/%s/multiqc_inputs/final/manifest.tsv"
        % GENOME: "Sample\tbase_sample\tgroup_id\tsource_path\tstaged_path\nS1\tS1\tfinal\tx\ty\n",
        "results/day/%s/other_reports/S1_mqc.tsv" % GENOME: "# id: s1\nSample\tv\nS1\t1\n",
    }
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text, encoding="utf-8")
    manifest = root / REPORTS / "dayoa_evidence_manifest.json"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "daylily_omics_analysis.evidence_manifest",
            "multiqc-final",
            "--analysis-root",
            str(root),
            "--analysis-name",
            ANALYSIS_ID,
            "--genome-build",
            GENOME,
            "--pipeline-name",
            "daylily-omics-analysis",
            "--pipeline-version",
            "2.0.26",
            "--git-sha",
            "abc1234",
            "--snakemake-version",
            "9.1.0",
            "--workflow-config-hash",
            "cfg-hash-1",
            "--workflow-profile",
            "sandbox",
            "--generated-at",
            "2026-06-01T00:00:00Z",
            "--html",
            REPORTS + "DAY_final_multiqc.html",
            "--multiqc-data-dir",
            DATA_DIR.rstrip("/"),
            "--stage-manifest",
            "results/day/%s/multiqc_inputs/final/manifest.tsv" % GENOME,
            "--parser-relevant",
            DATA_DIR + "multiqc_data.json",
            "--evidence-manifest-output",
            str(manifest),
        ],
        check=True,
        cwd=root,
        capture_output=True,
    )
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def export_receipt_yaml(**overrides):
    fields = {
        "schema_version": 4,
        "status": "success",
        "phase": "complete",
        "cluster_name": "c1",
        "region": "us-west-2",
        "analysis_dir": "%s/%s" % (ENTITY, ANALYSIS_ID),
        "source_path": "/analysis_results/%s/%s/" % (ENTITY, ANALYSIS_ID),
        "destination_s3_uri": DESTINATION,
        "dayoa_s3_root": DAYOA_ROOT,
        "verified": True,
    }
    fields.update(overrides)
    return "fsx_export:\n" + "".join("  %s: %s\n" % (k, json.dumps(v)) for k, v in fields.items())


def upload_export(s3, root, with_checksums=False, receipt=None):
    """Upload the tree as an export (under DAYOA_ROOT) plus its receipt; returns {relative_path: size}."""
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
    sizes = {}
    prefix = DAYOA_ROOT[len("s3://%s/" % BUCKET) :]
    for path in sorted(Path(root).rglob("*")):
        if path.is_file():
            relative = path.relative_to(root).as_posix()
            body = path.read_bytes()
            extra = {"Metadata": {"sha256": hashlib.sha256(body).hexdigest()}} if with_checksums else {}
            s3.put_object(Bucket=BUCKET, Key=prefix + relative, Body=body, **extra)
            sizes[relative] = len(body)
    s3.put_object(Bucket=BUCKET, Key=RECEIPT_KEY, Body=(receipt or export_receipt_yaml()).encode())
    return sizes


@pytest.fixture(scope="session")
def live_dewey_server(sandbox_server, tmp_path_factory):
    """The real dewey-service 3.0.27 (sandbox.dewey_live) with its own PostgreSQL, HEADs to the sandbox S3."""
    from sandbox import dewey_live

    dewey_live.build_venv()  # once per requirements-dewey.txt content
    yield from served_until_stopped(
        dewey_live.LiveDewey(tmp_path_factory.mktemp("dewey-live"), sandbox_server.endpoint).start()
    )


@pytest.fixture
def live_dewey(live_dewey_server, sandbox, monkeypatch):
    """The real Dewey for this test, its token in TOKEN_ENV (registrations persist for the session)."""
    monkeypatch.setenv(TOKEN_ENV, live_dewey_server.token)
    return live_dewey_server


def run_verbose(playbook, variables, inventory=None):
    """ansible-playbook at -vvvv with the default callback (every module argument, result and connection command),
    for the tests that grep its output for the token."""
    command = playbook_command(playbook, variables, diff=True, inventory=inventory) + ["-vvvv"]
    environment = playbook_environment({"ANSIBLE_STDOUT_CALLBACK": "default"})
    return subprocess.run(command, capture_output=True, text=True, env=environment, timeout=900, cwd=REPO, check=False)


def assert_token_nowhere(**texts):
    """The bearer token appears in none of ``texts`` (``where=text``)."""
    for where, text in texts.items():
        assert TOKEN not in text, "the token leaked into %s" % where.replace("_", " ")
