"""s3_stage with Stubber-validated S3 requests: the order and shape of every call (concurrency 1 keeps the order)."""

from botocore.stub import ANY

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import samples
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import staging
from ansible_collections.daylily.ephemeral_cluster.plugins.modules import s3_stage
from testlib.modules import execute_module
from testlib.modules import stub_head_object
from testlib.modules import stubbed_module_client

STAGE = "remote_stage_20260101T120000Z_0a1b2c3d"
PREFIX = "staged/%s/" % STAGE
HEADER = "\t".join(samples.REQUIRED_COLUMNS) + "\tILMN_R1_FQ"
GIB = 1024**3
SAMPLE_DIR = "R_S-NOVASEQ-PF-blood-E_B_0/"


def write_manifest(tmp_path, *sources):
    rows = ["R\tS\tE\tblood\tPF\tILMN\tNOVASEQ\t0\tB\t%s" % ",".join(sources)]
    path = tmp_path / "analysis_samples.tsv"
    path.write_text("\n".join([HEADER] + rows) + "\n")
    return str(path)


def run(capsys, src, check_mode=False, **args):
    args = dict(
        dict(src=src, stage_s3_uri="s3://stage-bucket/staged/", stage_name=STAGE, concurrency=1, upload_tables=False),
        **args,
    )
    return execute_module(capsys, s3_stage.main, args, check_mode=check_mode)


def head(stubber, key, size=None, bucket="in-bucket", metadata=None):
    stub_head_object(stubber, bucket, key, size, metadata=metadata)


def start_copy(stubber):
    stubber.add_response(
        "put_object",
        {},
        {
            "Bucket": "stage-bucket",
            "Key": PREFIX + staging.WRITE_PROBE,
            "Body": ANY,
            "ContentType": "text/plain",
            "Metadata": {},
        },
    )
    stubber.add_response("list_multipart_uploads", {}, {"Bucket": "stage-bucket", "Prefix": PREFIX})


def test_single_object_is_one_server_side_copy_with_its_source_digest(capsys, monkeypatch, tmp_path):
    src = write_manifest(tmp_path, "s3://in-bucket/a.fq.gz")
    with stubbed_module_client(monkeypatch, "s3") as (stubber, _calls):
        head(stubber, "a.fq.gz", 100)
        head(stubber, PREFIX + SAMPLE_DIR + "a.fq.gz", bucket="stage-bucket")
        start_copy(stubber)
        stubber.add_response(
            "copy_object",
            {},
            {
                "Bucket": "stage-bucket",
                "Key": PREFIX + SAMPLE_DIR + "a.fq.gz",
                "CopySource": {"Bucket": "in-bucket", "Key": "a.fq.gz"},
                "Metadata": {staging.SOURCE_METADATA: ANY},
                "MetadataDirective": "REPLACE",
            },
        )
        code, result = run(capsys, src)
    assert code == 0 and result["changed"] is True
    assert (result["objects_copied"], result["bytes_copied"], result["unfinished_copies_aborted"]) == (1, 100, 0)


def test_object_over_5_gib_is_copied_in_equal_parts(capsys, monkeypatch, tmp_path):
    size = 12 * GIB
    src = write_manifest(tmp_path, "s3://in-bucket/big.fq.gz")
    key = PREFIX + SAMPLE_DIR + "big.fq.gz"
    with stubbed_module_client(monkeypatch, "s3") as (stubber, _calls):
        head(stubber, "big.fq.gz", size)
        head(stubber, key, bucket="stage-bucket")
        start_copy(stubber)
        stubber.add_response(
            "create_multipart_upload",
            {"UploadId": "u1"},
            {"Bucket": "stage-bucket", "Key": key, "Metadata": {staging.SOURCE_METADATA: ANY}},
        )
        for number in (1, 2, 3):
            first = (number - 1) * 4 * GIB
            stubber.add_response(
                "upload_part_copy",
                {"CopyPartResult": {"ETag": '"p%d"' % number}},
                {
                    "Bucket": "stage-bucket",
                    "Key": key,
                    "UploadId": "u1",
                    "PartNumber": number,
                    "CopySource": {"Bucket": "in-bucket", "Key": "big.fq.gz"},
                    "CopySourceRange": "bytes=%d-%d" % (first, first + 4 * GIB - 1),
                },
            )
        stubber.add_response(
            "complete_multipart_upload",
            {},
            {
                "Bucket": "stage-bucket",
                "Key": key,
                "UploadId": "u1",
                "MultipartUpload": {"Parts": [{"ETag": '"p%d"' % n, "PartNumber": n} for n in (1, 2, 3)]},
            },
        )
        code, result = run(capsys, src, part_size_mb=5120)
    assert code == 0 and result["bytes_copied"] == size


def test_failed_part_aborts_the_upload_and_says_how_to_resume(capsys, monkeypatch, tmp_path):
    src = write_manifest(tmp_path, "s3://in-bucket/a.fq.gz", "s3://in-bucket/b.fq.gz")
    key = PREFIX + SAMPLE_DIR + "R_S-NOVASEQ-PF-blood-E_B_0_R1.fastq.gz"
    with stubbed_module_client(monkeypatch, "s3") as (stubber, _calls):
        head(stubber, "a.fq.gz", 6 * 1024 * 1024)
        head(stubber, "b.fq.gz", 10)
        head(stubber, key, bucket="stage-bucket")
        start_copy(stubber)
        stubber.add_response("create_multipart_upload", {"UploadId": "u1"})
        stubber.add_client_error("upload_part_copy", service_error_code="AccessDenied", http_status_code=403)
        stubber.add_response("abort_multipart_upload", {}, {"Bucket": "stage-bucket", "Key": key, "UploadId": "u1"})
        code, result = run(capsys, src)
    assert code == 1 and result["objects_copied"] == 0 and result["changed"] is False
    assert "1 of 1 copies into s3://stage-bucket/%s failed" % PREFIX in result["msg"]
    assert "s3:UploadPartCopy" in result["msg"] or "AccessDenied" in result["msg"]
    assert "run again with stage_name %s to resume" % STAGE in result["msg"]
    assert result["failures"][0]["key"] == key


def test_complete_objects_are_skipped_and_check_mode_only_reads(capsys, monkeypatch, tmp_path):
    src = write_manifest(tmp_path, "s3://in-bucket/a.fq.gz")
    key = PREFIX + SAMPLE_DIR + "a.fq.gz"
    job = staging.Job(key, (staging.S3Object("in-bucket", "a.fq.gz", 100, '"e-a.fq.gz"'),), 2, "ILMN_R1_FQ")
    with stubbed_module_client(monkeypatch, "s3") as (stubber, _calls):
        head(stubber, "a.fq.gz", 100)
        head(stubber, key, 100, bucket="stage-bucket", metadata={staging.SOURCE_METADATA: job.digest})
        code, result = run(capsys, src)
    assert code == 0 and result["changed"] is False and result["objects_skipped"] == 1
    with stubbed_module_client(monkeypatch, "s3") as (stubber, _calls):
        head(stubber, "a.fq.gz", 100)
        head(stubber, key, bucket="stage-bucket")  # a killed run's copy never completed
        code, result = run(capsys, src, check_mode=True)
    assert code == 0 and result["changed"] is True and result["objects_pending"] == 1
    with stubbed_module_client(monkeypatch, "s3") as (stubber, _calls):
        head(stubber, "a.fq.gz", 100)
        head(stubber, key, 99, bucket="stage-bucket", metadata={staging.SOURCE_METADATA: job.digest})  # truncated
        code, result = run(capsys, src, check_mode=True)
    assert code == 1 and "99 bytes staged, 100 now" in result["msg"]  # never copied over (invariant 1)


def test_slowdown_is_retried(capsys, monkeypatch, tmp_path):
    src = write_manifest(tmp_path, "s3://in-bucket/a.fq.gz")
    with stubbed_module_client(monkeypatch, "s3") as (stubber, _calls):
        stubber.add_client_error("head_object", service_error_code="SlowDown", http_status_code=503)
        head(stubber, "a.fq.gz", 100)
        head(stubber, PREFIX + SAMPLE_DIR + "a.fq.gz", bucket="stage-bucket")
        code, result = run(capsys, src, check_mode=True)
    assert code == 0 and result["objects_pending"] == 1


def test_bad_options_fail_before_any_call(capsys, monkeypatch, tmp_path):
    src = write_manifest(tmp_path, "s3://in-bucket/a.fq.gz")
    with stubbed_module_client(monkeypatch, "s3") as (_stubber, calls):
        code, result = run(capsys, src, part_size_mb=6000)
        assert code == 1 and "part_size_mb must be between 10 and 5120" in result["msg"]
        code, result = run(capsys, src, concurrency=0)
        assert code == 1 and "concurrency must be between 1 and" in result["msg"]
        code, result = execute_module(capsys, s3_stage.main, dict(src=src, stage_s3_uri="s3://Bad/"))
        assert code == 1 and "stage_s3_uri" in result["msg"]
    assert calls == []


def test_parts_never_fall_below_half_a_part():
    job = staging.Job("k", (staging.S3Object("b", "k", 5 * GIB + 1, "e"),), 2, "c")
    parts = staging.parts_of(job, 5 * GIB)
    assert [last - first + 1 for _source, first, last in parts] == [2684354561, 2684354560]
    assert staging.parts_of(staging.Job("k", (staging.S3Object("b", "k", 5 * GIB, "e"),), 2, "c"), 5 * GIB) is None


def test_hints_name_the_variables_a_role_sets(capsys, monkeypatch, tmp_path):
    src = write_manifest(tmp_path, "/fsx/references/a.fq.gz")
    names = {"concurrency": "samples_concurrency", "reference_s3_uri": "reference_s3_uri_var", "stage_name": "stage"}
    with stubbed_module_client(monkeypatch, "s3") as (_stubber, calls):
        code, result = run(capsys, src, concurrency=0, option_names=names)
        assert code == 1 and result["msg"].startswith("samples_concurrency must be between 1 and")
        code, result = run(capsys, src, option_names=names)
        assert code == 1 and "staging it needs reference_s3_uri_var" in result["msg"]
        code, result = run(capsys, src, stage_name="stage1", option_names=names)
        assert "stage 'stage1' is not remote_stage_" in result["msg"]
    assert calls == []
