"""s3_stage against the sandbox's S3 (moto over HTTP): all or nothing, parallel, resumable, merges without download.

Each test runs the module in-process against the in-thread sandbox and reads the sandbox's audit log to prove what
was and was not written. The 500-sample and kill tests are in tests/integration/test_s3_stage_scale.py.
"""

from pathlib import Path

import pytest

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import samples
from testlib.staging import BUCKET
from testlib.staging import HEADER
from testlib.staging import MIB
from testlib.staging import STAGE
from testlib.staging import STAGE_BUCKET
from testlib.staging import STAGE_PREFIX
from testlib.staging import body
from testlib.staging import create_buckets
from testlib.staging import manifest
from testlib.staging import run_stage as run
from testlib.staging import stage_objects
from testlib.staging import upload_sources

FIXTURES = Path(__file__).parents[1] / "fixtures"


@pytest.fixture
def stage_bucket(aws):
    return create_buckets(aws)


def test_invariant_20_fifteen_problem_manifest_reports_all_and_writes_nothing(capsys, sandbox, stage_bucket):
    sandbox.clear_audit()
    code, result = run(capsys, FIXTURES / "samples_problems" / "analysis_samples.tsv")
    assert code == 1 and len(result["problems"]) == 15 and "has 15 problems; nothing was staged" in result["msg"]
    assert sandbox.mutating_calls() == []
    assert stage_objects(stage_bucket) == {}


def test_invariant_20_missing_sources_are_all_reported_and_nothing_is_copied(capsys, sandbox, stage_bucket, tmp_path):
    upload_sources(stage_bucket, 6)
    for key in ("in/s0001_R2.fq.gz", "in/s0004_R1.fq.gz"):
        stage_bucket.delete_object(Bucket=BUCKET, Key=key)
    sandbox.clear_audit()
    code, result = run(capsys, manifest(tmp_path, 6))
    assert code == 1
    assert [(p["line"], p["column"]) for p in result["problems"]] == [(3, "ILMN_R2_FQ"), (6, "ILMN_R1_FQ")]
    assert "s3://day-samples/in/s0004_R1.fq.gz does not exist; fix the path or upload the file" in result["msg"]
    assert sandbox.mutating_calls() == []
    assert len(sandbox.calls("HeadObject")) == 12  # every source read, none skipped after the first miss


def test_check_mode_copies_nothing_then_stage_copies_everything_once(capsys, sandbox, stage_bucket, tmp_path):
    upload_sources(stage_bucket, 3)
    path = manifest(tmp_path, 3)
    sandbox.clear_audit()
    code, checked = run(capsys, path, check_mode=True, diff=True)
    assert code == 0 and checked["changed"] is True and checked["objects_pending"] == 6
    assert sandbox.mutating_calls() == [] and stage_objects(stage_bucket) == {}
    code, staged = run(capsys, path)
    assert code == 0 and (staged["objects_copied"], staged["objects_total"], staged["bytes_copied"]) == (6, 6, 6 * 64)
    keys = stage_objects(stage_bucket)
    sample_dir = "staged_external_data/%s/RUN1_S0001-NOVASEQ-PCR-FREE-blood-E1_BC1_0/" % STAGE
    assert keys[sample_dir + "s0001_R1.fq.gz"] == 64
    assert "staged_external_data/%s/20260101T120000Z_units.tsv" % STAGE in keys
    units = (
        stage_bucket.get_object(Bucket=STAGE_BUCKET, Key="staged_external_data/%s/20260101T120000Z_units.tsv" % STAGE)[
            "Body"
        ]
        .read()
        .decode()
    )
    assert (
        "/fsx/staging/staged_external_sequencing_data/%s/RUN1_S0001-NOVASEQ-PCR-FREE-blood-E1_BC1_0/s0001_R1.fq.gz"
        % STAGE
    ) in units
    assert staged["stage_dir"] == "/fsx/staging/staged_external_sequencing_data/" + STAGE
    sandbox.clear_audit()
    code, again = run(capsys, path)
    assert code == 0 and again["changed"] is False and again["objects_skipped"] == 6
    assert sandbox.mutating_calls() == []


def test_multilane_merge_concatenates_in_manifest_order_without_download(capsys, sandbox, stage_bucket, tmp_path):
    parts = {"L2": body("L2", 5 * MIB), "L1a": body("L1a", 5 * MIB + 7), "L1b": body("L1b", 1000)}
    for name, data in parts.items():
        for read in (1, 2):
            stage_bucket.put_object(Bucket=BUCKET, Key="lanes/%s_R%d.fq.gz" % (name, read), Body=data)
    rows = [
        "RUN1\tS1\tE1\tblood\tPCR-FREE\tILMN\tNOVASEQ\t2\tBC1\ts3://day-samples/lanes/L2_R1.fq.gz\t"
        "s3://day-samples/lanes/L2_R2.fq.gz",
        "RUN1\tS1\tE1\tblood\tPCR-FREE\tILMN\tNOVASEQ\t1\tBC9\ts3://day-samples/lanes/L1a_R1.fq.gz,"
        "s3://day-samples/lanes/L1b_R1.fq.gz\ts3://day-samples/lanes/L1a_R2.fq.gz,s3://day-samples/lanes/L1b_R2.fq.gz",
    ]
    path = tmp_path / "lanes.tsv"
    path.write_text("\n".join([HEADER] + rows) + "\n")
    sandbox.clear_audit()
    code, result = run(capsys, path)
    assert code == 0, result["msg"]
    operations = [entry["operation"] for entry in sandbox.audit()]
    assert "GetObject" not in operations  # server-side only
    assert operations.count("CompleteMultipartUpload") == 2
    sample_dir = "RUN1_S1-NOVASEQ-PCR-FREE-blood-E1_BC1_0"
    key = "staged_external_data/%s/%s/%s_R1.fastq.gz" % (STAGE, sample_dir, sample_dir)
    merged = stage_bucket.get_object(Bucket=STAGE_BUCKET, Key=key)["Body"].read()
    assert merged == parts["L2"] + parts["L1a"] + parts["L1b"]


def test_lanes_too_small_to_merge_are_refused_before_any_copy(capsys, sandbox, stage_bucket, tmp_path):
    for name in ("a", "b"):
        stage_bucket.put_object(Bucket=BUCKET, Key="small/%s.fq.gz" % name, Body=body(name))
    path = tmp_path / "small.tsv"
    path.write_text(
        HEADER + "\nR\tS\tE\tblood\tPF\tILMN\tNOVASEQ\t0\tB\ts3://day-samples/small/a.fq.gz,"
        "s3://day-samples/small/b.fq.gz\t\n"
    )
    sandbox.clear_audit()
    code, result = run(capsys, path)
    assert code == 1 and "whose parts but the last must be at least 5 MiB" in result["msg"]
    assert sandbox.mutating_calls() == []


def test_throttling_and_slowdown_are_retried(capsys, sandbox, stage_bucket, tmp_path):
    upload_sources(stage_bucket, 2)
    sandbox.inject_fault("s3", "HeadObject", code="SlowDown", status=503, count=3)
    sandbox.inject_fault("s3", "PutObject", code="SlowDown", status=503, count=2)
    code, result = run(capsys, manifest(tmp_path, 2))
    assert code == 0, result["msg"]
    assert result["objects_copied"] == 4
    assert len(stage_objects(stage_bucket)) == 4 + 3  # objects, probe, two tables


def test_ont_run_prefix_and_s3_truth_data_are_staged(capsys, sandbox, stage_bucket, tmp_path):
    run_dir = "ont/20240115_ONT_run7/PAW12345/barcode07/"
    chunks = {run_dir + "part_%d.fastq.gz" % i: body("chunk%d" % i, 5 * MIB + i) for i in range(2)}
    chunks[run_dir + "part_2.fastq.gz"] = body("chunk2", 100)
    for key, data in chunks.items():
        stage_bucket.put_object(Bucket=BUCKET, Key=key, Body=data)
    stage_bucket.put_object(Bucket=BUCKET, Key=run_dir + "sequencing_summary.txt", Body=b"not a fastq")
    truth = {"giab/HG002/truth.vcf.gz": b"vcf", "giab/HG002/regions/high_conf.bed": b"bed"}
    for key, data in truth.items():
        stage_bucket.put_object(Bucket=BUCKET, Key=key, Body=data)
    path = tmp_path / "ont.tsv"
    path.write_text(
        "\t".join(samples.REQUIRED_COLUMNS) + "\tONT_FASTQ_PREFIX\tTRUTH_DATA_DIR\n"
        "x\tHG002\tE1\tblood\tLSK114\tONT\tPromethION\t1\tx\ts3://%s/%s\ts3://%s/giab/HG002/\n"
        % (BUCKET, run_dir, BUCKET)
    )
    code, result = run(capsys, path)
    assert code == 0, result.get("msg")
    sample_dir = STAGE_PREFIX + "20240115-ONT-run7_HG002-PromethION-LSK114-blood-E1_barcode07_0/"
    merged = stage_bucket.get_object(
        Bucket=STAGE_BUCKET, Key=sample_dir + "20240115_ONT_run7-PAW12345-barcode07-R1.fastq.gz"
    )
    assert merged["Body"].read() == b"".join(chunks[key] for key in sorted(chunks))  # key order, FASTQs only
    for key, data in truth.items():
        staged = sample_dir + "concordance_data/" + key[len("giab/HG002/") :]
        assert stage_bucket.get_object(Bucket=STAGE_BUCKET, Key=staged)["Body"].read() == data
    samples_tsv = stage_bucket.get_object(Bucket=STAGE_BUCKET, Key=STAGE_PREFIX + "20260101T120000Z_samples.tsv")
    row = samples_tsv["Body"].read().decode().split("\r\n")[1].split("\t")
    assert row[samples.SAMPLES_COLUMNS.index("IS_POSITIVE_CONTROL")] == "true"
    assert row[samples.SAMPLES_COLUMNS.index("TRUTH_DATA_DIR")].endswith(
        sample_dir[len(STAGE_PREFIX) :] + "concordance_data"
    )


def test_empty_prefixes_are_refused_before_any_copy(capsys, sandbox, stage_bucket, tmp_path):
    path = tmp_path / "ont.tsv"
    path.write_text(
        "\t".join(samples.REQUIRED_COLUMNS) + "\tONT_FASTQ_PREFIX\tTRUTH_DATA_DIR\n"
        "x\tS\tE1\tblood\tLSK114\tONT\tPromethION\t1\tx\ts3://%s/ont/20240101_ONT_r/FC1/barcode01/\ts3://%s/nothing/\n"
        % (BUCKET, BUCKET)
    )
    sandbox.clear_audit()
    code, result = run(capsys, path)
    assert code == 1
    assert sorted((p["line"], p["column"]) for p in result["problems"]) == [
        (2, "ONT_FASTQ_PREFIX"),
        (2, "TRUTH_DATA_DIR"),
    ]
    assert "holds no FASTQ files" in result["msg"] and "nothing/ holds no objects" in result["msg"]
    assert sandbox.mutating_calls() == []
