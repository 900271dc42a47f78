"""Unit tests for plugins/modules/export_receipt.py.

main() runs for real with patch_module_args. DaylilyAWSModule.client returns a real botocore S3 client wrapped in
Stubber (every request validated against the S3 API model) and in amazon.aws's RetryingBotoClientWrapper with the
production retry codes and no back-off delay. A call the test did not queue fails the test, so "no PutObject"
is proven by not queueing one.
"""

import base64
import datetime
import hashlib
import io

import pytest
import yaml
from botocore.response import StreamingBody

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import export
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import receipt
from ansible_collections.daylily.ephemeral_cluster.plugins.modules import export_receipt
from testlib import receipts
from testlib.modules import FileBody
from testlib.modules import execute_module
from testlib.modules import stubbed_module_client

REGION = "us-west-2"
CONNECTION = {"region": REGION, "access_key": "testing", "secret_key": "testing", "retry_delay": 0}
BUCKET = "dayec-analysis"
PREFIX = "derived/e1/a1/"
DESTINATION = "s3://%s/%s" % (BUCKET, PREFIX)
TIMESTAMP = "20260131T120000Z"
TASK_ID = "task-0123456789abcdef0"
REPORT_PATH = export.export_report_path(DESTINATION, TIMESTAMP)
REPORT_KEY = "%s_daylily_monitor/fsx-export/%s/export-report/%s/failures.csv" % (PREFIX, TIMESTAMP, TASK_ID)
RECEIPT_KEY = "%s_daylily_monitor/fsx-export/%s/fsx_export.yaml" % (PREFIX, TIMESTAMP)
MONITOR_PREFIX = PREFIX + "_daylily_monitor/fsx-export/"
MODIFIED = datetime.datetime(2026, 1, 31, 12, 0, tzinfo=datetime.UTC)
FILES = {"config/samples.tsv": 100, "results/multiqc.html": 5000, "results/empty": 0}


def success_fields(**overrides):
    return receipts.success_fields("e1", "a1", DESTINATION, TIMESTAMP, **overrides)  # in REGION, task TASK_ID


def fsx_inventory(files=None):
    files = FILES if files is None else files
    return {"file_count": len(files), "total_bytes": sum(files.values()), "directory_count": 2, "symlink_count": 0}


def s3_object(key, size):
    return {"Key": key, "Size": size, "LastModified": MODIFIED, "ETag": '"etag"', "StorageClass": "STANDARD"}


def body(data):
    return StreamingBody(io.BytesIO(data), len(data))


@pytest.fixture
def s3(monkeypatch):
    """(stubber, calls): DaylilyAWSModule.client('s3', ...) returns the stubbed client; calls records the services."""
    with stubbed_module_client(monkeypatch, "s3") as stubbed:
        yield stubbed


def run_module(capsys, args, check_mode=False, diff=False):
    """Run export_receipt.main(); return (exit code, parsed JSON result)."""
    return execute_module(capsys, export_receipt.main, dict(CONNECTION, **args), check_mode=check_mode, diff=diff)


# ----------------------------------------------------------------------------------------------------------------
# request shapes
# ----------------------------------------------------------------------------------------------------------------


def expect_listing(stubber, files=None, extra=()):
    """Two ListObjectsV2 pages of the destination: the files, a directory marker and _daylily_monitor objects."""
    files = FILES if files is None else files
    objects = [s3_object(PREFIX + key, size) for key, size in files.items()]
    objects += [
        s3_object(PREFIX + "results/", 0),
        s3_object(PREFIX + "_daylily_monitor/fsx-export/x/fsx_export.yaml", 999),
    ]
    objects += list(extra)
    half = len(objects) // 2
    stubber.add_response(
        "list_objects_v2",
        {"Contents": objects[:half], "IsTruncated": True, "NextContinuationToken": "page2", "KeyCount": half},
        {"Bucket": BUCKET, "Prefix": PREFIX},
    )
    stubber.add_response(
        "list_objects_v2",
        {"Contents": objects[half:], "IsTruncated": False, "KeyCount": len(objects) - half},
        {"Bucket": BUCKET, "Prefix": PREFIX, "ContinuationToken": "page2"},
    )


def expect_object(stubber, key, text=None):
    """A GetObject of ``key``: ``text`` as its body, or NoSuchKey when None."""
    if text is None:
        stubber.add_client_error(
            "get_object",
            "NoSuchKey",
            "The specified key does not exist.",
            404,
            expected_params={"Bucket": BUCKET, "Key": key},
        )
    else:
        stubber.add_response("get_object", {"Body": body(text.encode())}, {"Bucket": BUCKET, "Key": key})


def expect_report(stubber, text=None):
    expect_object(stubber, REPORT_KEY, text)


def expect_existing_receipt(stubber, text=None):
    expect_object(stubber, RECEIPT_KEY, text)


def expect_put(stubber, text):
    data = text.encode()
    checksum = base64.b64encode(hashlib.sha256(data).digest()).decode()
    stubber.add_response(
        "put_object",
        {"ETag": '"etag"'},
        {
            "Bucket": BUCKET,
            "Key": RECEIPT_KEY,
            "Body": data,
            "ContentType": "application/yaml",
            "ChecksumSHA256": checksum,
        },
    )


def expected_text(fields, files=None, rows=()):
    """The document the module must write: the receipt verified with these S3 and FSx inventories."""
    files = FILES if files is None else files
    summary = {"count": len(files), "total_bytes": sum(files.values())}
    verified, _failures = receipt.apply_verification(
        receipt.build_receipt(**fields), s3_inventory=summary, fsx_inventory=fsx_inventory(), report_rows=list(rows)
    )
    return receipt.dump_receipt(verified)


def test_success_receipt_is_verified_written_locally_and_uploaded(s3, capsys, tmp_path):
    stubber, calls = s3
    expect_listing(stubber)
    expect_report(stubber)  # NoSuchKey: no failures
    expect_existing_receipt(stubber)
    expect_put(stubber, expected_text(success_fields()))

    rc, result = run_module(
        capsys, {"receipt": success_fields(), "fsx_inventory": fsx_inventory(), "output_dir": str(tmp_path / "out")}
    )

    assert rc == 0, result
    assert calls == ["s3"]
    assert result["changed"] is True
    assert result["verified"] is True
    assert result["verification_failures"] == []
    assert (result["s3_object_count"], result["s3_total_bytes"]) == (3, 5100)
    assert result["failed_files"] == []
    assert result["receipt_s3_uri"] == "s3://%s/%s" % (BUCKET, RECEIPT_KEY)
    assert result["receipt_path"] == str(tmp_path / "out" / "fsx_export.yaml")
    text = (tmp_path / "out" / "fsx_export.yaml").read_text()
    assert text == expected_text(success_fields())
    document = yaml.safe_load(text)
    assert list(document) == ["fsx_export"]
    written = document["fsx_export"]
    assert written == result["receipt"]
    assert written["schema_version"] == 4
    assert list(written)[:24] == list(receipt.V4_FIELDS)
    assert (written["fsx_file_count"], written["fsx_total_bytes"]) == (3, 5100)
    assert (written["s3_object_count"], written["s3_total_bytes"]) == (3, 5100)
    assert written["verified"] is True
    assert written["producer"] == {"name": "daylily.ephemeral_cluster", "version": "0.1.0"}


def test_second_run_with_identical_local_file_and_s3_object_changes_nothing(s3, capsys, tmp_path):
    stubber = s3[0]
    text = expected_text(success_fields())
    out = tmp_path / "out"
    out.mkdir()
    (out / "fsx_export.yaml").write_text(text)
    expect_listing(stubber)
    expect_report(stubber)
    expect_existing_receipt(stubber, text)  # no PutObject queued: one would fail the test

    rc, result = run_module(
        capsys, {"receipt": success_fields(), "fsx_inventory": fsx_inventory(), "output_dir": str(out)}, diff=True
    )

    assert rc == 0, result
    assert result["changed"] is False
    assert result["verified"] is True
    assert result["diff"] == []


def test_check_mode_issues_no_put_object_and_writes_nothing_locally(s3, capsys, tmp_path):
    stubber = s3[0]
    expect_listing(stubber)
    expect_report(stubber)
    expect_existing_receipt(stubber)

    rc, result = run_module(
        capsys,
        {"receipt": success_fields(), "fsx_inventory": fsx_inventory(), "output_dir": str(tmp_path / "out")},
        check_mode=True,
        diff=True,
    )

    assert rc == 0, result
    assert result["changed"] is True
    assert result["verified"] is True
    assert result["receipt"]["verified"] is True
    assert not (tmp_path / "out").exists()
    text = expected_text(success_fields())
    assert result["diff"] == [
        {
            "before": "",
            "after": text,
            "before_header": str(tmp_path / "out" / "fsx_export.yaml"),
            "after_header": str(tmp_path / "out" / "fsx_export.yaml"),
        },
        {
            "before": "",
            "after": text,
            "before_header": result["receipt_s3_uri"],
            "after_header": result["receipt_s3_uri"],
        },
    ]


def test_diff_shows_the_existing_s3_receipt_as_before(s3, capsys):
    stubber = s3[0]
    old = expected_text(success_fields(status="error", phase="run"))
    new = expected_text(success_fields())
    expect_listing(stubber)
    expect_report(stubber)
    expect_existing_receipt(stubber, old)
    expect_put(stubber, new)

    rc, result = run_module(capsys, {"receipt": success_fields(), "fsx_inventory": fsx_inventory()}, diff=True)

    assert rc == 0, result
    assert result["changed"] is True
    assert "receipt_path" not in result
    assert result["diff"] == [
        {
            "before": old,
            "after": new,
            "before_header": result["receipt_s3_uri"],
            "after_header": result["receipt_s3_uri"],
        }
    ]


# ----------------------------------------------------------------------------------------------------------------
# verification outcomes (dayec_domain.md §12 invariant 13: the receipt is always written)
# ----------------------------------------------------------------------------------------------------------------


def test_invariant_13_missing_s3_object_fails_verification_on_count_and_is_still_written(s3, capsys, tmp_path):
    stubber = s3[0]
    in_s3 = {key: size for key, size in FILES.items() if key != "results/multiqc.html"}
    expect_listing(stubber, files=in_s3)
    expect_report(stubber)
    expect_existing_receipt(stubber)
    expect_put(
        stubber,
        receipt.dump_receipt(
            receipt.apply_verification(
                receipt.build_receipt(**success_fields()),
                s3_inventory={"count": 2, "total_bytes": 100},
                fsx_inventory=fsx_inventory(),
                report_rows=[],
            )[0]
        ),
    )

    rc, result = run_module(
        capsys, {"receipt": success_fields(), "fsx_inventory": fsx_inventory(), "output_dir": str(tmp_path)}
    )

    assert rc == 0, result
    assert result["verified"] is False
    assert [failure["field"] for failure in result["verification_failures"]] == ["s3_object_count", "s3_total_bytes"]
    assert result["verification_failures"][0] == {
        "field": "s3_object_count",
        "expected": 3,
        "actual": 2,
        "message": "s3_object_count: expected 3 (fsx_file_count), got 2",
    }
    assert yaml.safe_load((tmp_path / "fsx_export.yaml").read_text())["fsx_export"]["verified"] is False


def test_invariant_13_failed_rows_in_the_report_fail_verification_and_are_listed(s3, capsys, tmp_path):
    stubber = s3[0]
    report = 'analysis_results/e1/a1/results/big.bam,failed,S3AccessDenied\n"=odd,name",failed,FileSizeTooLarge\n'
    rows = receipt.parse_failure_report(report)
    expect_listing(stubber)
    expect_report(stubber, report)
    expect_existing_receipt(stubber)
    expect_put(stubber, expected_text(success_fields(), rows=rows))

    rc, result = run_module(
        capsys, {"receipt": success_fields(), "fsx_inventory": fsx_inventory(), "output_dir": str(tmp_path)}
    )

    assert rc == 0, result
    assert result["verified"] is False
    assert result["failed_files"] == [
        {
            "file_path": "analysis_results/e1/a1/results/big.bam",
            "file_status": "failed",
            "error_code": "S3AccessDenied",
        },
        {"file_path": "=odd,name", "file_status": "failed", "error_code": "FileSizeTooLarge"},
    ]
    assert [failure["field"] for failure in result["verification_failures"]] == ["failed_files"]
    assert (
        yaml.safe_load((tmp_path / "fsx_export.yaml").read_text())["fsx_export"]["failed_files"]
        == result["failed_files"]
    )


def test_invariant_13_success_requires_detached(s3, capsys, tmp_path):
    stubber = s3[0]
    fields = success_fields(detached=False, detach_lifecycle="AVAILABLE")
    expect_listing(stubber)
    expect_report(stubber)
    expect_existing_receipt(stubber)
    expect_put(stubber, expected_text(fields))

    rc, result = run_module(capsys, {"receipt": fields, "fsx_inventory": fsx_inventory(), "output_dir": str(tmp_path)})

    assert rc == 0, result
    assert result["verified"] is False
    assert [failure["field"] for failure in result["verification_failures"]] == ["detached", "detach_lifecycle"]
    assert (tmp_path / "fsx_export.yaml").exists()


def test_invariant_13_error_receipt_without_task_is_written_with_the_timestamp_option(s3, capsys, tmp_path):
    stubber = s3[0]
    fields = {
        "status": "error",
        "phase": "attach",
        "destination_s3_uri": DESTINATION,
        "failure_details": {"message": "CreateDataRepositoryAssociation failed: BadRequest"},
    }
    expect_listing(stubber, files={})
    expect_existing_receipt(stubber)  # no report_path/task_id: no failures.csv to read
    built, _failures = receipt.apply_verification(
        receipt.build_receipt(**fields), s3_inventory={"count": 0, "total_bytes": 0}
    )
    expect_put(stubber, receipt.dump_receipt(built))

    rc, result = run_module(capsys, {"receipt": fields, "timestamp": TIMESTAMP, "output_dir": str(tmp_path)})

    assert rc == 0, result
    assert result["verified"] is False
    fields_failed = [failure["field"] for failure in result["verification_failures"]]
    assert fields_failed[:2] == ["status", "task_lifecycle"]
    written = yaml.safe_load((tmp_path / "fsx_export.yaml").read_text())["fsx_export"]
    assert written["status"] == "error" and written["failure_details"]["message"].startswith("CreateDataRepository")


def test_fail_on_unverified_fails_after_writing(s3, capsys, tmp_path):
    stubber = s3[0]
    fields = success_fields(task_lifecycle="FAILED")
    expect_listing(stubber)
    expect_report(stubber)
    expect_existing_receipt(stubber)
    expect_put(stubber, expected_text(fields))

    rc, result = run_module(
        capsys,
        {"receipt": fields, "fsx_inventory": fsx_inventory(), "output_dir": str(tmp_path), "fail_on_unverified": True},
    )

    assert rc == 1
    assert result["msg"] == "the export receipt does not verify: task_lifecycle: expected 'SUCCEEDED', got 'FAILED'"
    assert result["changed"] is True and result["verified"] is False
    assert (tmp_path / "fsx_export.yaml").exists()


def test_listing_denied_becomes_a_verification_failure_and_the_receipt_is_still_written(s3, capsys, tmp_path):
    stubber = s3[0]
    stubber.add_client_error(
        "list_objects_v2", "AccessDenied", "Access Denied", 403, expected_params={"Bucket": BUCKET, "Prefix": PREFIX}
    )
    expect_report(stubber)
    expect_existing_receipt(stubber)
    built, _failures = receipt.apply_verification(
        receipt.build_receipt(**success_fields()), fsx_inventory=fsx_inventory(), report_rows=[]
    )
    expect_put(stubber, receipt.dump_receipt(receipt.update_receipt(built, verified=False)))

    rc, result = run_module(
        capsys, {"receipt": success_fields(), "fsx_inventory": fsx_inventory(), "output_dir": str(tmp_path)}
    )

    assert rc == 0, result
    assert result["verified"] is False
    first = result["verification_failures"][0]
    assert first["field"] == "s3_object_count"
    assert "ListObjectsV2" in first["message"] and "AccessDenied" in first["message"]
    assert "allow s3:ListBucket on arn:aws:s3:::%s/%s" % (BUCKET, PREFIX) in first["message"]
    assert "s3_object_count" not in result


def test_verify_false_reads_nothing_and_writes_an_unverified_receipt(s3, capsys, tmp_path):
    stubber = s3[0]
    built, _failures = receipt.apply_verification(
        receipt.build_receipt(**success_fields()), fsx_inventory=fsx_inventory()
    )
    expect_existing_receipt(stubber)
    expect_put(stubber, receipt.dump_receipt(receipt.update_receipt(built, verified=False)))

    rc, result = run_module(
        capsys,
        {"receipt": success_fields(), "fsx_inventory": fsx_inventory(), "verify": False, "output_dir": str(tmp_path)},
    )

    assert rc == 0, result
    assert result["verified"] is False
    assert result["verification_failures"][0]["message"] == "verified: not checked against S3 (verify is false)"


def test_local_only_needs_no_aws_client(s3, capsys, tmp_path):
    rc, result = run_module(
        capsys,
        {
            "receipt": {"status": "error", "phase": "validate", "destination_s3_uri": "not-an-s3-uri"},
            "verify": False,
            "upload": False,
            "output_dir": str(tmp_path),
        },
    )

    assert rc == 0, result
    assert s3[1] == []
    assert (
        yaml.safe_load((tmp_path / "fsx_export.yaml").read_text())["fsx_export"]["destination_s3_uri"]
        == "not-an-s3-uri"
    )


def test_invariant_13_error_receipt_with_an_invalid_destination_is_written_locally_and_verification_says_why(
    s3, capsys, tmp_path
):
    rc, result = run_module(
        capsys,
        {
            "receipt": {"status": "error", "phase": "validate", "destination_s3_uri": "s3://%s/x/../y/" % BUCKET},
            "upload": False,
            "output_dir": str(tmp_path),
        },
    )

    assert rc == 0, result
    assert s3[1] == []  # no S3 call, so no client (and no AWS configuration needed)
    first = result["verification_failures"][0]
    assert first["field"] == "destination_s3_uri"
    assert "S3 cannot be checked" in first["message"] and "contains '..'" in first["message"]
    assert (tmp_path / "fsx_export.yaml").exists()


def test_put_object_throttling_is_retried(s3, capsys):
    stubber = s3[0]
    expect_listing(stubber)
    expect_report(stubber)
    expect_existing_receipt(stubber)
    stubber.add_client_error("put_object", "SlowDown", "Please reduce your request rate.", 503)
    expect_put(stubber, expected_text(success_fields()))

    rc, result = run_module(capsys, {"receipt": success_fields(), "fsx_inventory": fsx_inventory()})

    assert rc == 0, result
    assert result["changed"] is True


def test_put_object_denied_fails_naming_the_permission_after_the_local_write(s3, capsys, tmp_path):
    stubber = s3[0]
    expect_listing(stubber)
    expect_report(stubber)
    expect_existing_receipt(stubber)
    stubber.add_client_error("put_object", "AccessDenied", "Access Denied", 403)

    rc, result = run_module(
        capsys, {"receipt": success_fields(), "fsx_inventory": fsx_inventory(), "output_dir": str(tmp_path)}
    )

    assert rc == 1
    assert "PutObject of s3://%s/%s failed (PutObject, AccessDenied)" % (BUCKET, RECEIPT_KEY) in result["msg"]
    assert "allow s3:PutObject on arn:aws:s3:::%s/%s" % (BUCKET, RECEIPT_KEY) in result["msg"]
    assert "the receipt was written to %s" % (tmp_path / "fsx_export.yaml") in result["msg"]
    assert (tmp_path / "fsx_export.yaml").exists()


# ----------------------------------------------------------------------------------------------------------------
# bad input is rejected before any AWS call
# ----------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, fragment",
    [
        ({"receipt": {"status": "done"}}, "status: expected one of started|success|error"),
        ({"receipt": {"colour": "red"}}, "unknown receipt field 'colour'"),
        ({"receipt": {"delete_data_in_file_system": True}}, "delete_data_in_file_system: expected false"),
        ({"receipt": {"status": "error", "destination_s3_uri": DESTINATION}}, "s3_uri None cannot be derived"),
        (
            {"receipt": {"status": "error", "destination_s3_uri": "s3:/x"}, "timestamp": TIMESTAMP},
            "does not start with 's3://'",
        ),
        ({"receipt": {"status": "error"}, "timestamp": TIMESTAMP}, "the receipt has no destination_s3_uri"),
        ({"receipt": success_fields(), "timestamp": "20250101T000000Z"}, "differs from the report_path timestamp"),
        (
            {
                "receipt": success_fields(),
                "timestamp": "yesterday",
                "s3_uri": None,
                "upload": True,
                "destination_s3_uri": "s3://other-bucket/derived/e1/a1/",
            },
            "differs from the receipt's",
        ),
        ({"receipt": success_fields(), "s3_uri": "s3://%s/receipts/" % BUCKET}, "ends with '/'"),
        ({"receipt": success_fields(), "fsx_inventory": {"files": []}}, "expected integer count and total_bytes"),
        ({"receipt": success_fields(), "upload": False}, "nothing to write"),
        ({}, "state is present but all of the following are missing: receipt"),
    ],
)
def test_invalid_options_fail_before_any_aws_call(s3, capsys, args, fragment):
    rc, result = run_module(capsys, args)

    assert rc == 1
    assert fragment in result["msg"]
    assert s3[1] == []


def test_explicit_s3_uri_is_used(s3, capsys):
    stubber = s3[0]
    expect_listing(stubber)
    expect_report(stubber)
    text = expected_text(success_fields())
    stubber.add_client_error(
        "get_object", "NoSuchKey", "missing", 404, expected_params={"Bucket": BUCKET, "Key": "r/one.yaml"}
    )
    stubber.add_response(
        "put_object",
        {},
        {
            "Bucket": BUCKET,
            "Key": "r/one.yaml",
            "Body": text.encode(),
            "ContentType": "application/yaml",
            "ChecksumSHA256": base64.b64encode(hashlib.sha256(text.encode()).digest()).decode(),
        },
    )

    rc, result = run_module(
        capsys, {"receipt": success_fields(), "fsx_inventory": fsx_inventory(), "s3_uri": "s3://%s/r/one.yaml" % BUCKET}
    )

    assert rc == 0, result
    assert result["receipt_s3_uri"] == "s3://%s/r/one.yaml" % BUCKET


# ----------------------------------------------------------------------------------------------------------------
# state: verified
# ----------------------------------------------------------------------------------------------------------------


def expect_monitor_listing(stubber, keys):
    stubber.add_response(
        "list_objects_v2",
        {"Contents": [s3_object(key, 10) for key in keys], "IsTruncated": False},
        {"Bucket": BUCKET, "Prefix": MONITOR_PREFIX},
    )


def test_state_verified_re_verifies_the_latest_receipt_and_writes_nothing(s3, capsys):
    stubber = s3[0]
    older = MONITOR_PREFIX + "20260101T000000Z/fsx_export.yaml"
    expect_monitor_listing(
        stubber,
        [
            older,
            MONITOR_PREFIX + "20260131T120000Z/export-report/%s/failures.csv" % TASK_ID,
            RECEIPT_KEY,
            MONITOR_PREFIX + "20991231T000000Z/notes.txt",
        ],
    )
    stubber.add_response(
        "get_object", {"Body": body(expected_text(success_fields()).encode())}, {"Bucket": BUCKET, "Key": RECEIPT_KEY}
    )
    expect_listing(stubber)
    expect_report(stubber)

    rc, result = run_module(capsys, {"state": "verified", "destination_s3_uri": DESTINATION})

    assert rc == 0, result
    assert result["changed"] is False
    assert result["verified"] is True
    assert result["receipt_s3_uri"] == "s3://%s/%s" % (BUCKET, RECEIPT_KEY)
    assert result["receipt"]["task_id"] == TASK_ID
    assert result["s3_object_count"] == 3
    assert "receipt_path" not in result


def test_state_verified_detects_objects_lost_since_the_receipt_was_written(s3, capsys):
    stubber = s3[0]
    expect_monitor_listing(stubber, [RECEIPT_KEY])
    stubber.add_response(
        "get_object", {"Body": body(expected_text(success_fields()).encode())}, {"Bucket": BUCKET, "Key": RECEIPT_KEY}
    )
    expect_listing(stubber, files={"config/samples.tsv": 100})
    expect_report(stubber)

    rc, result = run_module(
        capsys, {"state": "verified", "destination_s3_uri": DESTINATION, "fail_on_unverified": True}
    )

    assert rc == 1
    assert result["verified"] is False
    assert "s3_object_count" in result["msg"]
    assert result["verification_failures"][0]["field"] == "s3_object_count"


def test_state_verified_without_a_receipt_is_unverified(s3, capsys):
    stubber = s3[0]
    expect_monitor_listing(stubber, [])

    rc, result = run_module(capsys, {"state": "verified", "receipt": {"destination_s3_uri": DESTINATION}})

    assert rc == 0, result
    assert result["changed"] is False and result["verified"] is False
    assert result["verification_failures"][0]["field"] == "receipt"
    assert "write one with state=present" in result["verification_failures"][0]["message"]


def test_state_verified_with_a_timestamp_reads_that_receipt(s3, capsys):
    stubber = s3[0]
    older = MONITOR_PREFIX + "20260101T000000Z/fsx_export.yaml"
    expect_monitor_listing(stubber, [older, RECEIPT_KEY])
    stubber.add_response("get_object", {"Body": body(b"fsx_export: {}\n")}, {"Bucket": BUCKET, "Key": older})
    expect_listing(stubber)

    rc, result = run_module(
        capsys, {"state": "verified", "destination_s3_uri": DESTINATION, "timestamp": "20260101T000000Z"}
    )

    assert rc == 0, result
    assert result["receipt_s3_uri"] == "s3://%s/%s" % (BUCKET, older)
    assert result["verified"] is False
    assert "status" in [failure["field"] for failure in result["verification_failures"]]


def test_state_verified_needs_a_destination(s3, capsys):
    rc, result = run_module(capsys, {"state": "verified"})

    assert rc == 1
    assert (
        "destination_s3_uri None is required with state=verified (the receipt has no destination_s3_uri)"
        in result["msg"]
    )
    assert s3[1] == []


def test_latest_receipt_key_ignores_other_objects():
    keys = [
        MONITOR_PREFIX + "20260101T000000Z/fsx_export.yaml",
        MONITOR_PREFIX + "20270101T000000Z/fsx_export.yaml.bak",
        MONITOR_PREFIX + "x/20280101T000000Z/fsx_export.yaml",
        RECEIPT_KEY,
    ]
    assert export_receipt.latest_receipt_key(keys, MONITOR_PREFIX) == RECEIPT_KEY
    assert export_receipt.latest_receipt_key(keys, MONITOR_PREFIX, "20260101T000000Z") == keys[0]
    assert export_receipt.latest_receipt_key([], MONITOR_PREFIX) is None


def test_report_timestamp():
    assert export_receipt.report_timestamp(REPORT_PATH) == TIMESTAMP
    assert export_receipt.report_timestamp("s3://b/x/") is None
    assert export_receipt.report_timestamp(None) is None


# ----------------------------------------------------------------------------------------------------------------
# receipts assembled from the plan and the registered results; manifests; local attempts
# ----------------------------------------------------------------------------------------------------------------

MANIFEST_KEY = "%s_daylily_monitor/fsx-export/%s/fsx_export_manifest.jsonl" % (PREFIX, TIMESTAMP)
INVENTORY_FILES = [{"path": path, "size": size, "type": "file"} for path, size in sorted(FILES.items())]


def plan(**overrides):
    fields = dict(receipt.receipt_paths("e1", "a1", DESTINATION))
    fields.pop("file_system_path")
    planned = {
        "source_path": fields["source_path"],
        "destination_s3_uri": DESTINATION,
        "timestamp": TIMESTAMP,
        "report_path": REPORT_PATH,
        "receipt_fields": fields,
        "executing_entity": "e1",
        "analysis_id": "a1",
        "output_dir": None,
    }
    planned.update(overrides)
    return planned


def run_results(task_lifecycle="SUCCEEDED", detach_lifecycle="DELETED"):
    task = {
        "task_id": TASK_ID,
        "lifecycle": task_lifecycle,
        "report": {"path": REPORT_PATH},
        "failure_details": {"message": "1 file failed"} if task_lifecycle == "FAILED" else {},
    }
    return {
        "association": {
            "file_system_id": "fs-0123456789abcdef0",
            "association": {"association_id": "dra-0123456789abcdef0", "lifecycle": "AVAILABLE"},
        },
        "task": {"task_id": TASK_ID, "task": task},
        "progress": {"tasks": [task]},
        "detach": {"detach_lifecycle": detach_lifecycle},
    }


def manifest_text(files=None):
    return "".join('{"path":"%s","size":%d}\n' % (path, size) for path, size in sorted((files or FILES).items()))


def expect_put_key(stubber, key, text, content_type):
    data = text.encode()
    checksum = base64.b64encode(hashlib.sha256(data).digest()).decode()
    stubber.add_response(
        "put_object",
        {"ETag": '"etag"'},
        {"Bucket": BUCKET, "Key": key, "Body": FileBody(data), "ContentType": content_type, "ChecksumSHA256": checksum},
    )


def test_receipt_is_assembled_from_the_plan_and_the_results_with_its_manifest(s3, capsys, tmp_path):
    stubber = s3[0]
    expect_listing(stubber)
    expect_report(stubber)
    stubber.add_client_error(
        "get_object", "NoSuchKey", "missing", 404, expected_params={"Bucket": BUCKET, "Key": MANIFEST_KEY}
    )
    expect_put_key(stubber, MANIFEST_KEY, manifest_text(), "application/x-ndjson")
    expect_existing_receipt(stubber)
    stubber.add_response("put_object", {"ETag": '"etag"'})

    rc, result = run_module(
        capsys,
        {
            "plan": plan(output_dir=str(tmp_path)),
            "phase": "run",
            "results": run_results(),
            "receipt": {"cluster_name": "day-c1", "region": REGION},
            "fsx_inventory": dict(fsx_inventory(), files=INVENTORY_FILES),
        },
    )

    assert rc == 0, result
    written = result["receipt"]
    assert written["status"] == "success" and written["phase"] == "complete" and written["verified"] is True
    assert (written["association_id"], written["task_lifecycle"], written["detached"]) == (
        "dra-0123456789abcdef0",
        "SUCCEEDED",
        True,
    )
    assert written["timestamp"] == TIMESTAMP
    assert written["manifest_sha256"] == hashlib.sha256(manifest_text().encode()).hexdigest()
    assert written["manifest_s3_uri"] == "s3://%s/%s" % (BUCKET, MANIFEST_KEY)
    assert (tmp_path / "fsx_export_manifest.jsonl").read_text() == manifest_text()
    assert yaml.safe_load((tmp_path / "fsx_export.yaml").read_text())["fsx_export"] == written


def test_defect_13_a_failed_run_fails_with_its_root_cause_not_the_checks(s3, capsys, tmp_path):
    stubber = s3[0]
    expect_listing(stubber, files={"config/samples.tsv": 100})
    expect_report(stubber, "analysis_results/e1/a1/results/multiqc.html,failed,S3AccessDenied\n")
    expect_existing_receipt(stubber)
    stubber.add_response("put_object", {"ETag": '"etag"'})
    failed = {"failed": True, "msg": "Export task %s ended FAILED (1 of 3 files failed)" % TASK_ID}

    rc, result = run_module(
        capsys,
        {
            "plan": plan(output_dir=str(tmp_path)),
            "phase": "run",
            "results": dict(run_results("FAILED"), failed=failed),
            "receipt": {},
            "fsx_inventory": fsx_inventory(),
            "fail_on_unverified": True,
        },
    )

    assert rc == 1
    assert result["msg"].startswith(
        "The export of /analysis_results/e1/a1/ to %s failed in phase run: Export task %s "
        "ended FAILED" % (DESTINATION, TASK_ID)
    )
    assert "s3_object_count" not in result["msg"]
    assert result["receipt"]["failure_details"]["task_failure_details"] == {"message": "1 file failed"}


def test_a_failed_detach_makes_the_receipt_an_error_of_phase_detach(s3, capsys, tmp_path):
    results = run_results(detach_lifecycle=None)
    results["detach"] = {"msg": "DeleteDataRepositoryAssociation failed: AccessDenied"}

    rc, result = run_module(
        capsys,
        {
            "plan": plan(output_dir=str(tmp_path)),
            "phase": "run",
            "results": results,
            "receipt": {},
            "verify": False,
            "upload": False,
        },
    )

    assert rc == 0, result
    assert (result["receipt"]["status"], result["receipt"]["phase"], result["receipt"]["detached"]) == (
        "error",
        "detach",
        False,
    )
    assert "still attached: DeleteDataRepositoryAssociation failed" in result["receipt"]["failure_details"]["message"]


def verified_text(timestamp=TIMESTAMP):
    fields = success_fields(report_path=export.export_report_path(DESTINATION, timestamp))
    built, _failures = receipt.apply_verification(
        receipt.build_receipt(timestamp=timestamp, **fields),
        s3_inventory={"count": 3, "total_bytes": 5100},
        fsx_inventory=fsx_inventory(),
    )
    return receipt.dump_receipt(built)


def test_defect_02_a_later_attempt_never_replaces_a_verified_local_receipt(s3, capsys, tmp_path):
    (tmp_path / "fsx_export.yaml").write_text(verified_text("20250101T000000Z"))
    fields = {
        "status": "error",
        "phase": "attach",
        "destination_s3_uri": DESTINATION,
        "timestamp": TIMESTAMP,
        "failure_details": {"message": "CreateDataRepositoryAssociation failed"},
    }

    rc, result = run_module(capsys, {"receipt": fields, "verify": False, "upload": False, "output_dir": str(tmp_path)})

    assert rc == 0, result
    assert (tmp_path / "fsx_export.yaml").read_text() == verified_text("20250101T000000Z")
    assert result["receipt_path"] == str(tmp_path / "attempts" / TIMESTAMP / "fsx_export.yaml")
    assert (
        yaml.safe_load((tmp_path / "attempts" / TIMESTAMP / "fsx_export.yaml").read_text())["fsx_export"]["phase"]
        == "attach"
    )


def test_a_newer_attempt_keeps_the_unverified_one_it_replaces(s3, capsys, tmp_path):
    old = {"status": "error", "phase": "run", "destination_s3_uri": DESTINATION, "timestamp": "20250101T000000Z"}
    run_module(capsys, {"receipt": old, "verify": False, "upload": False, "output_dir": str(tmp_path)})
    new = dict(old, timestamp=TIMESTAMP, phase="attach")

    rc, result = run_module(capsys, {"receipt": new, "verify": False, "upload": False, "output_dir": str(tmp_path)})

    assert rc == 0 and result["changed"] is True
    assert yaml.safe_load((tmp_path / "fsx_export.yaml").read_text())["fsx_export"]["timestamp"] == TIMESTAMP
    kept = yaml.safe_load((tmp_path / "attempts" / "20250101T000000Z" / "fsx_export.yaml").read_text())["fsx_export"]
    assert kept["phase"] == "run"


def test_state_verified_skips_newer_failed_attempts_and_reads_the_newest_verified_receipt(s3, capsys):
    stubber = s3[0]
    newer = MONITOR_PREFIX + "20991231T000000Z/fsx_export.yaml"
    expect_monitor_listing(stubber, [RECEIPT_KEY, newer])
    error = receipt.dump_receipt(receipt.build_receipt(**success_fields(status="error", phase="run")))
    stubber.add_response("get_object", {"Body": body(error.encode())}, {"Bucket": BUCKET, "Key": newer})
    stubber.add_response("get_object", {"Body": body(verified_text().encode())}, {"Bucket": BUCKET, "Key": RECEIPT_KEY})
    expect_listing(stubber)
    expect_report(stubber)

    rc, result = run_module(capsys, {"state": "verified", "destination_s3_uri": DESTINATION})

    assert rc == 0, result
    assert result["verified"] is True
    assert result["receipt_s3_uri"] == "s3://%s/%s" % (BUCKET, RECEIPT_KEY)


# ----------------------------------------------------------------------------------------------------------------
# state: preflight
# ----------------------------------------------------------------------------------------------------------------


def expect_destination(stubber, keys):
    stubber.add_response(
        "list_objects_v2",
        {"Contents": [s3_object(PREFIX + key, size) for key, size in keys.items()], "IsTruncated": False},
        {"Bucket": BUCKET, "Prefix": PREFIX},
    )


def preflight(capsys, tmp_path, files=None, **extra):
    files = FILES if files is None else files
    inventory = {
        "file_count": len(files),
        "total_bytes": sum(files.values()),
        "files": [{"path": path, "size": size, "type": "file"} for path, size in files.items()],
    }
    args = {
        "state": "preflight",
        "plan": plan(output_dir=str(tmp_path)),
        "fsx_inventory": inventory,
        "associations": [],
    }
    args.update(extra)
    return run_module(capsys, args)


def test_preflight_of_an_empty_destination_exports(s3, capsys, tmp_path):
    expect_destination(s3[0], {})

    rc, result = preflight(capsys, tmp_path)

    assert rc == 0, result
    assert (result["action"], result["changed"], result["adopt_succeeded"]) == ("export", False, True)
    assert not list(tmp_path.iterdir())


def test_defect_01_a_preflight_refusal_records_the_attempt_locally_and_calls_no_put_object(s3, capsys, tmp_path):
    expect_destination(s3[0], {"old.txt": 3})  # no PutObject queued: one would fail the test

    rc, result = preflight(capsys, tmp_path)

    assert rc == 1
    assert "is not empty (it holds old.txt)" in result["msg"] and "nothing was written to S3" in result["msg"]
    recorded = yaml.safe_load((tmp_path / "fsx_export.yaml").read_text())["fsx_export"]
    assert (recorded["status"], recorded["phase"], recorded["timestamp"]) == ("error", "preflight", TIMESTAMP)


def test_preflight_of_a_verified_unchanged_export_has_nothing_to_do(s3, capsys, tmp_path):
    stubber = s3[0]
    text = manifest_text()
    fields = success_fields(manifest_sha256=hashlib.sha256(text.encode()).hexdigest())
    stored, _failures = receipt.apply_verification(
        receipt.build_receipt(**fields), s3_inventory={"count": 3, "total_bytes": 5100}, fsx_inventory=fsx_inventory()
    )
    expect_destination(stubber, dict(FILES, **{RECEIPT_KEY[len(PREFIX) :]: 10, MANIFEST_KEY[len(PREFIX) :]: 10}))
    stubber.add_response(
        "get_object", {"Body": body(receipt.dump_receipt(stored).encode())}, {"Bucket": BUCKET, "Key": RECEIPT_KEY}
    )
    stubber.add_response("get_object", {"Body": body(text.encode())}, {"Bucket": BUCKET, "Key": MANIFEST_KEY})
    expect_report(stubber)

    rc, result = preflight(capsys, tmp_path)

    assert rc == 0, result
    assert result["action"] == "none" and result["drift"] == {"added": [], "changed": [], "removed": []}
    assert result["previous_receipt_s3_uri"] == "s3://%s/%s" % (BUCKET, RECEIPT_KEY)

    # the same export once a file was added on FSx: an update, which must not adopt the earlier task
    expect_destination(stubber, dict(FILES, **{RECEIPT_KEY[len(PREFIX) :]: 10, MANIFEST_KEY[len(PREFIX) :]: 10}))
    stubber.add_response(
        "get_object", {"Body": body(receipt.dump_receipt(stored).encode())}, {"Bucket": BUCKET, "Key": RECEIPT_KEY}
    )
    stubber.add_response("get_object", {"Body": body(text.encode())}, {"Bucket": BUCKET, "Key": MANIFEST_KEY})

    rc, result = preflight(capsys, tmp_path, files=dict(FILES, **{"late.txt": 4}), update_existing=True)

    assert rc == 0, result
    assert (result["action"], result["drift"]["added"], result["adopt_succeeded"]) == ("export", ["late.txt"], False)


def test_a_receipt_timestamp_that_is_not_a_timestamp_is_refused_before_anything_is_written(s3, capsys, tmp_path):
    rc, result = run_module(
        capsys,
        {
            "receipt": {"status": "error", "timestamp": "../x"},
            "verify": False,
            "upload": False,
            "output_dir": str(tmp_path),
        },
    )

    assert rc == 1
    assert "timestamp '../x' is not formatted YYYYmmddTHHMMSSZ" in result["msg"]
    assert not list(tmp_path.iterdir())


def test_preflight_needs_the_file_list_of_the_inventory(s3, capsys, tmp_path):
    rc, result = preflight(capsys, tmp_path, fsx_inventory=fsx_inventory())

    assert rc == 1
    assert "return_files: true" in result["msg"]
    assert s3[1] == []


def test_state_verified_with_the_fsx_file_list_fails_when_fsx_changed_since_the_export(s3, capsys):
    stubber = s3[0]
    text = manifest_text()
    fields = success_fields(manifest_sha256=hashlib.sha256(text.encode()).hexdigest())
    stored, _failures = receipt.apply_verification(
        receipt.build_receipt(**fields), s3_inventory={"count": 3, "total_bytes": 5100}, fsx_inventory=fsx_inventory()
    )
    expect_monitor_listing(stubber, [RECEIPT_KEY, MANIFEST_KEY])
    stubber.add_response(
        "get_object", {"Body": body(receipt.dump_receipt(stored).encode())}, {"Bucket": BUCKET, "Key": RECEIPT_KEY}
    )
    stubber.add_response("get_object", {"Body": body(text.encode())}, {"Bucket": BUCKET, "Key": MANIFEST_KEY})
    expect_listing(stubber)
    expect_report(stubber)
    files = [dict(entry) for entry in INVENTORY_FILES] + [{"path": "late.txt", "size": 4, "type": "file"}]

    inventory = {"file_count": 4, "total_bytes": 5104, "files": files}

    rc, result = run_module(
        capsys, {"state": "verified", "destination_s3_uri": DESTINATION, "fsx_inventory": inventory}
    )

    assert rc == 0, result
    assert result["verified"] is False
    assert result["drift"] == {"added": ["late.txt"], "changed": [], "removed": []}
    assert (
        result["verification_failures"][-1]["message"] == "manifest: FSx changed since the export: 1 added (late.txt)"
    )
