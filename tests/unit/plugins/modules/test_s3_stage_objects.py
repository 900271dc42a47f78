"""s3_stage and the data objects a stage already holds, with Stubber-validated S3 requests (concurrency 1 keeps the
order).

A resumed stage used to copy over a staged object whose source digest (the size and ETag of each source it was made
from) differed from the job's: a source re-uploaded under the same key, or a merged sample that gained a lane. That
overwrote an S3 object with different content (invariant 1) while the stage's tables stayed the same. Such objects
are now refused together, before anything is written; a missing object is still copied and an identical one skipped.
No stubbed response stands for a write in the refusals: any write would fail the Stubber."""

from botocore.stub import ANY

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import samples
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import staging
from ansible_collections.daylily.ephemeral_cluster.plugins.modules import s3_stage
from testlib.modules import execute_module
from testlib.modules import stub_head_object
from testlib.modules import stubbed_module_client

STAGE = "remote_stage_20260101T120000Z_0a1b2c3d"
STAGE_URI = "s3://stage-bucket/staged/%s/" % STAGE
PREFIX = "staged/%s/" % STAGE
HEADER = "\t".join(samples.REQUIRED_COLUMNS) + "\tILMN_R1_FQ"
SINGLE_KEY = PREFIX + "R_S-NOVASEQ-PF-blood-E_B_0/a.fq.gz"
MERGED_KEY = PREFIX + "R_T-NOVASEQ-PF-blood-E_B_0/R_T-NOVASEQ-PF-blood-E_B_0_R1.fastq.gz"
UNMERGED_KEY = PREFIX + "R_T-NOVASEQ-PF-blood-E_B_0/b.fq.gz"  # sample T from one file keeps its name
LANE = 6 * 1024 * 1024  # a merge's parts but the last are at least 5 MiB


def write_manifest(tmp_path, single, merged):
    """Sample S from one file, sample T merged from several (``merged``: their keys in in-bucket)."""
    rows = [
        "R\tS\tE\tblood\tPF\tILMN\tNOVASEQ\t0\tB\ts3://in-bucket/%s" % single,
        "R\tT\tE\tblood\tPF\tILMN\tNOVASEQ\t0\tB\t%s" % ",".join("s3://in-bucket/%s" % key for key in merged),
    ]
    path = tmp_path / "analysis_samples.tsv"
    path.write_text("\n".join([HEADER] + rows) + "\n")
    return str(path)


def run(capsys, src, check_mode=False, **args):
    args = dict(src=src, stage_s3_uri="s3://stage-bucket/staged/", stage_name=STAGE, concurrency=1, **args)
    return execute_module(capsys, s3_stage.main, dict(args, upload_tables=False), check_mode=check_mode)


def staged_from(key, *sources):
    """The metadata of a staged object made from ``sources`` ((key, size, etag) in in-bucket)."""
    job = staging.Job(key, tuple(staging.S3Object("in-bucket", *source) for source in sources), 2, "ILMN_R1_FQ")
    return {staging.SOURCE_METADATA: job.digest}


def sources_read(stubber, *sources):
    for key, size, etag in sources:
        stub_head_object(stubber, "in-bucket", key, size, etag=etag)


def test_defect_21_invariant_01_a_staged_object_from_other_sources_is_refused_before_any_write(
    capsys, monkeypatch, tmp_path
):
    """a.fq.gz re-uploaded under the same key (another ETag) and sample T's merge grown by a lane: both refused in
    one error naming source, staged key and what differs, in check mode too; nothing is written."""
    src = write_manifest(tmp_path, "a.fq.gz", ["b.fq.gz", "c.fq.gz"])
    now = [("a.fq.gz", 100, '"e-a2"'), ("b.fq.gz", LANE, '"e-b"'), ("c.fq.gz", 10, '"e-c"')]
    for check_mode in (False, True):
        with stubbed_module_client(monkeypatch, "s3") as (stubber, _calls):
            sources_read(stubber, *now)
            stub_head_object(
                stubber, "stage-bucket", SINGLE_KEY, 100, metadata=staged_from(SINGLE_KEY, ("a.fq.gz", 100, '"e-a1"'))
            )
            stub_head_object(
                stubber, "stage-bucket", MERGED_KEY, LANE, metadata=staged_from(MERGED_KEY, ("b.fq.gz", LANE, '"e-b"'))
            )
            code, result = run(capsys, src, check_mode=check_mode, option_names={"stage_name": "stage_name_var"})
            stubber.assert_no_pending_responses()
        message = result["msg"]
        assert code == 1 and result.get("objects_copied", 0) == 0 and not result.get("changed"), result
        assert message.startswith(
            "Stage %s already holds objects that the sources of the sample sheet %s would now stage differently"
            % (STAGE_URI, src)
        ), message
        assert "s3://in-bucket/a.fq.gz -> s3://stage-bucket/%s (source digest " % SINGLE_KEY in message, message
        assert "100 bytes staged, 100 now" in message, message
        merged = "s3://in-bucket/b.fq.gz + s3://in-bucket/c.fq.gz -> s3://stage-bucket/%s" % MERGED_KEY
        assert merged in message and "%d bytes staged, %d now" % (LANE, LANE + 10) in message, message
        assert "leave stage_name_var unset" in message and "restore the original sources" in message, message
        assert message.endswith("Nothing was written.")
        assert [item["key"] for item in result["differing_objects"]] == [SINGLE_KEY, MERGED_KEY]


def test_an_object_in_the_stage_not_staged_by_this_module_is_refused(capsys, monkeypatch, tmp_path):
    src = write_manifest(tmp_path, "a.fq.gz", ["b.fq.gz"])
    with stubbed_module_client(monkeypatch, "s3") as (stubber, _calls):
        sources_read(stubber, ("a.fq.gz", 100, '"e-a"'), ("b.fq.gz", 10, '"e-b"'))
        stub_head_object(stubber, "stage-bucket", SINGLE_KEY, 100)  # no daylily-stage-source metadata
        stub_head_object(stubber, "stage-bucket", UNMERGED_KEY, None)
        code, result = run(capsys, src)
    assert code == 1 and "(no daylily-stage-source metadata: not staged by this module)" in result["msg"], result
    assert [item["key"] for item in result["differing_objects"]] == [SINGLE_KEY]


def test_a_resumed_stage_copies_what_is_missing_and_skips_what_is_identical(capsys, monkeypatch, tmp_path):
    """The resumption the refusal must keep: the complete object is skipped, the missing one copied."""
    src = write_manifest(tmp_path, "a.fq.gz", ["b.fq.gz"])
    with stubbed_module_client(monkeypatch, "s3") as (stubber, _calls):
        sources_read(stubber, ("a.fq.gz", 100, '"e-a"'), ("b.fq.gz", 10, '"e-b"'))
        stub_head_object(
            stubber, "stage-bucket", SINGLE_KEY, 100, metadata=staged_from(SINGLE_KEY, ("a.fq.gz", 100, '"e-a"'))
        )
        stub_head_object(stubber, "stage-bucket", UNMERGED_KEY, None)  # a killed run's copy never completed
        probe = {"Bucket": "stage-bucket", "Key": PREFIX + staging.WRITE_PROBE, "Body": ANY}
        stubber.add_response("put_object", {}, dict(probe, ContentType="text/plain", Metadata={}))
        stubber.add_response("list_multipart_uploads", {}, {"Bucket": "stage-bucket", "Prefix": PREFIX})
        copy = {"Bucket": "stage-bucket", "Key": UNMERGED_KEY, "CopySource": {"Bucket": "in-bucket", "Key": "b.fq.gz"}}
        metadata = staged_from(UNMERGED_KEY, ("b.fq.gz", 10, '"e-b"'))
        stubber.add_response("copy_object", {}, dict(copy, Metadata=metadata, MetadataDirective="REPLACE"))
        code, result = run(capsys, src)
        assert code == 0 and result["changed"] is True, result
        stubber.assert_no_pending_responses()
    assert (result["objects_skipped"], result["objects_copied"]) == (1, 1)
