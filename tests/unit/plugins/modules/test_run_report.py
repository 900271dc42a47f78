"""Unit tests for plugins/modules/run_report.py.

main() runs for real with patch_module_args; S3 is a Stubber-validated botocore client (every request checked against
the S3 API model), and a call the test did not queue fails the test, so "no PutObject" is proven by not queueing one.
"""

import base64
import hashlib
import io

import pytest
from botocore.response import StreamingBody

from ansible_collections.daylily.ephemeral_cluster.plugins.modules import run_report
from testlib import run_report as inputs
from testlib.modules import execute_module
from testlib.modules import stubbed_module_client

CONNECTION = {"region": "us-west-2", "access_key": "testing", "secret_key": "testing", "retry_delay": 0}
BUCKET = "dayec-analysis"
REPORT_KEY = "derived/alice/run42/_daylily_monitor/run-report/run_report.html"


@pytest.fixture
def s3(monkeypatch):
    with stubbed_module_client(monkeypatch, "s3") as (stubber, _calls):
        yield stubber


def run(capsys, args, check_mode=False, diff=False):
    return execute_module(capsys, run_report.main, dict(CONNECTION, **args), check_mode=check_mode, diff=diff)


def expect_stored(stubber, text=None):
    if text is None:
        stubber.add_client_error(
            "get_object", "NoSuchKey", "The specified key does not exist.", 404, {"Bucket": BUCKET, "Key": REPORT_KEY}
        )
    else:
        data = text.encode()
        stubber.add_response(
            "get_object", {"Body": StreamingBody(io.BytesIO(data), len(data))}, {"Bucket": BUCKET, "Key": REPORT_KEY}
        )


def expect_put(stubber, text):
    data = text.encode()
    stubber.add_response(
        "put_object",
        {"ETag": '"etag"'},
        {
            "Bucket": BUCKET,
            "Key": REPORT_KEY,
            "Body": data,
            "ContentType": "text/html; charset=utf-8",
            "ChecksumSHA256": base64.b64encode(hashlib.sha256(data).digest()).decode(),
        },
    )


def test_the_report_is_written_once_then_a_second_run_changes_nothing(capsys, tmp_path):
    args = inputs.module_args(tmp_path)
    code, first = run(capsys, args)
    assert code == 0, first
    assert first["changed"] is True
    path = tmp_path / "report" / "run_report.html"
    assert first["report_path"] == str(path)
    page = path.read_bytes()
    assert first["sha256"] == hashlib.sha256(page).hexdigest()
    assert first["report"]["outcome"] == "succeeded"
    assert first["report"]["euids"] == inputs.EUIDS

    code, second = run(capsys, args)
    assert code == 0 and second["changed"] is False
    assert path.read_bytes() == page


def test_check_mode_writes_nothing_and_diff_shows_the_page(capsys, tmp_path):
    code, result = run(capsys, inputs.module_args(tmp_path), check_mode=True, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert not (tmp_path / "report").exists()
    (diff,) = result["diff"]
    assert diff["before"] == "" and diff["after"].startswith("<!DOCTYPE html>")
    assert diff["after_header"] == str(tmp_path / "report" / "run_report.html")


def test_a_changed_input_changes_the_page_and_diff_shows_before_and_after(capsys, tmp_path):
    args = inputs.module_args(tmp_path)
    run(capsys, args)
    code, result = run(capsys, dict(args, summary={"Cost so far (USD)": 4.02}), diff=True)
    assert code == 0 and result["changed"] is True
    (diff,) = result["diff"]
    assert "3.87" in diff["before"] and "4.02" in diff["after"] and "4.02" not in diff["before"]


def test_the_report_is_uploaded_under_the_destinations_monitor_folder_once(s3, capsys, tmp_path):
    args = inputs.module_args(tmp_path, s3_uri=inputs.DESTINATION)
    _code, planned = run(capsys, dict(args, s3_uri=None), check_mode=True, diff=True)
    page = planned["diff"][0]["after"]  # the page the module writes, without writing it

    expect_stored(s3)
    expect_put(s3, page)
    code, result = run(capsys, args)
    assert code == 0, result
    assert result["changed"] is True
    assert result["report_s3_uri"] == "s3://%s/%s" % (BUCKET, REPORT_KEY)

    expect_stored(s3, page)  # the same object: no PutObject queued, so one would fail the test
    code, result = run(capsys, args)
    assert code == 0 and result["changed"] is False


def test_check_mode_reads_s3_but_puts_nothing(s3, capsys, tmp_path):
    expect_stored(s3)
    code, result = run(capsys, inputs.module_args(tmp_path, s3_uri=inputs.DESTINATION), check_mode=True, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert [item["after_header"] for item in result["diff"]] == [
        str(tmp_path / "report" / "run_report.html"),
        "s3://%s/%s" % (BUCKET, REPORT_KEY),
    ]


def test_a_refused_upload_leaves_the_local_page_and_says_what_to_grant(s3, capsys, tmp_path):
    s3.add_client_error("get_object", "AccessDenied", "Access Denied", 403, {"Bucket": BUCKET, "Key": REPORT_KEY})
    code, result = run(capsys, inputs.module_args(tmp_path, s3_uri=inputs.DESTINATION))
    assert code == 1
    assert "allow s3:GetObject on arn:aws:s3:::%s/%s" % (BUCKET, REPORT_KEY) in result["msg"]
    assert result["changed"] is True
    assert (tmp_path / "report" / "run_report.html").is_file()


@pytest.mark.parametrize(
    "overrides, fragment",
    [
        ({"s3_uri": "s3://dayec-analysis/derived/alice/run42/report.html"}, "is not under a _daylily_monitor/ folder"),
        ({"phases": [{"name": "create", "started_at": "2026-12-06T12:00:00"}]}, "phases[0].started_at (create)"),
        ({"receipts": ["/nonexistent/fsx_export.yaml"]}, "receipts[0] '/nonexistent/fsx_export.yaml' is not a file"),
        ({"filename": "../escape.html"}, "filename is '../escape.html'"),
        ({"associations": {"attached": [{"lifecycle": "AVAILABLE"}]}}, "associations.attached[0] has neither"),
    ],
)
def test_bad_input_fails_before_anything_is_written_or_called(s3, capsys, tmp_path, overrides, fragment):
    code, result = run(capsys, inputs.module_args(tmp_path, **dict({"s3_uri": inputs.DESTINATION}, **overrides)))
    assert code == 1
    assert fragment in result["msg"]
    assert result.get("changed") is not True
    assert not (tmp_path / "report").exists()
