"""s3_stage and the stage's samples/units tables, with Stubber-validated S3 requests (concurrency 1 keeps the order).

A resumed stage whose sample sheet changed used to overwrite its tables with the new content: an S3 object
overwritten with different content (invariant 1), and tables that no longer describe the data copied earlier. A table
that exists with other content (or without the digest this module writes) is refused before anything is written; a
missing one is written; an identical one is left alone."""

import hashlib

from botocore.stub import ANY

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import samples
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import staging
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._staging.transfer import TABLE_METADATA
from ansible_collections.daylily.ephemeral_cluster.plugins.modules import s3_stage
from testlib.modules import execute_module
from testlib.modules import stub_head_object
from testlib.modules import stubbed_module_client

STAGE = "remote_stage_20260101T120000Z_0a1b2c3d"
STAGE_URI = "s3://stage-bucket/staged/"
PREFIX = "staged/%s/" % STAGE
SAMPLES_KEY = PREFIX + "20260101T120000Z_samples.tsv"
UNITS_KEY = PREFIX + "20260101T120000Z_units.tsv"
DATA_KEY = PREFIX + "R_S-NOVASEQ-PF-blood-E_B_0/a.fq.gz"
SOURCE = staging.S3Object("in-bucket", "a.fq.gz", 100, '"e-a"')
HEADER = "\t".join(samples.REQUIRED_COLUMNS) + "\tILMN_R1_FQ"


def write_manifest(tmp_path):
    path = tmp_path / "analysis_samples.tsv"
    path.write_text(HEADER + "\nR\tS\tE\tblood\tPF\tILMN\tNOVASEQ\t0\tB\ts3://in-bucket/a.fq.gz\n")
    return str(path)


def table_digests(src):
    """{key: sha256} of the tables this manifest gives the stage, as the module computes them."""
    params = dict({name: spec.get("default") for name, spec in samples.MANIFEST_ARGUMENT_SPEC.items()}, src=src)
    plan = samples.plan_from_params(params, STAGE)
    tables = staging.table_objects(staging.stage_location(STAGE_URI, STAGE), plan)
    return {key: hashlib.sha256(text.encode("utf-8")).hexdigest() for key, text in tables.items()}


def staged_data(stubber):
    """The source is read and its staged copy is complete."""
    stub_head_object(stubber, "in-bucket", "a.fq.gz", 100, etag='"e-a"')
    job = staging.Job(DATA_KEY, (SOURCE,), 2, "ILMN_R1_FQ")
    stub_head_object(stubber, "stage-bucket", DATA_KEY, 100, metadata={staging.SOURCE_METADATA: job.digest})


def stage_holds(stubber, samples_table, units_table):
    """The staged data, then the two tables: each None (missing), or the metadata its object has."""
    staged_data(stubber)
    for key, metadata in ((SAMPLES_KEY, samples_table), (UNITS_KEY, units_table)):
        stub_head_object(stubber, "stage-bucket", key, None if metadata is None else 80, metadata=metadata)


def run(capsys, src, check_mode=False, **args):
    args = dict(src=src, stage_s3_uri=STAGE_URI, stage_name=STAGE, concurrency=1, **args)
    return execute_module(capsys, s3_stage.main, args, check_mode=check_mode)


def test_defect_19_invariant_01_a_table_with_other_content_is_refused_before_any_write(capsys, monkeypatch, tmp_path):
    src = write_manifest(tmp_path)
    digests = table_digests(src)
    with stubbed_module_client(monkeypatch, "s3") as (stubber, _calls):
        # the samples table was staged from another sheet
        stage_holds(stubber, {TABLE_METADATA: "0" * 64}, {TABLE_METADATA: digests[UNITS_KEY]})
        code, result = run(capsys, src, option_names={"stage_name": "stage_name"})
    # no put_object was stubbed: a write would have failed the stub before this message
    assert code == 1 and result["changed"] is False, result
    message = result["msg"]
    assert "s3://stage-bucket/%s" % SAMPLES_KEY in message and UNITS_KEY not in message, message
    assert (
        "leave stage_name unset" in message
        and "restore the sample sheet %s to the one it was made from" % src in message
    ), message
    assert "Nothing was written" in message


def test_a_table_without_the_digest_metadata_is_refused_too(capsys, monkeypatch, tmp_path):
    src = write_manifest(tmp_path)
    with stubbed_module_client(monkeypatch, "s3") as (stubber, _calls):
        stage_holds(stubber, {}, {})  # uploaded by hand, or by another tool
        code, result = run(capsys, src, check_mode=True)
    assert code == 1 and result["changed"] is False, result
    assert "s3://stage-bucket/%s" % SAMPLES_KEY in result["msg"] and "s3://stage-bucket/%s" % UNITS_KEY in result["msg"]
    assert "no %s metadata: not written by this module" % TABLE_METADATA in result["msg"]
    assert "leave stage_name unset" in result["msg"]  # no role: the module's own option


def test_identical_tables_are_left_alone(capsys, monkeypatch, tmp_path):
    src = write_manifest(tmp_path)
    digests = table_digests(src)
    with stubbed_module_client(monkeypatch, "s3") as (stubber, _calls):
        stage_holds(stubber, {TABLE_METADATA: digests[SAMPLES_KEY]}, {TABLE_METADATA: digests[UNITS_KEY]})
        code, result = run(capsys, src)
    assert code == 0 and result["changed"] is False, result


def test_a_missing_table_is_written_and_an_identical_one_is_not(capsys, monkeypatch, tmp_path):
    src = write_manifest(tmp_path)
    digests = table_digests(src)
    with stubbed_module_client(monkeypatch, "s3") as (stubber, _calls):
        # a run killed between the two table writes
        stage_holds(stubber, {TABLE_METADATA: digests[SAMPLES_KEY]}, None)
        probe = {"Bucket": "stage-bucket", "Key": PREFIX + staging.WRITE_PROBE, "Body": ANY}
        stubber.add_response("put_object", {}, dict(probe, ContentType="text/plain", Metadata={}))
        units = {"Bucket": "stage-bucket", "Key": UNITS_KEY, "Body": ANY, "ContentType": "text/tab-separated-values"}
        stubber.add_response("put_object", {}, dict(units, Metadata={TABLE_METADATA: digests[UNITS_KEY]}))
        code, result = run(capsys, src)
    assert code == 0 and result["changed"] is True, result
