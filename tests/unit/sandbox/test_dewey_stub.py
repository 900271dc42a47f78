"""The sandbox Dewey enforces Dewey 3.0.27's registration rules, and the collection's Dewey client (module_utils)
behaves against it: retries only what may be retried, and registers exactly once."""

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import dewey
from testlib import dewey as dewey_testlib
from testlib.dewey import TOKEN
from testlib.dewey import analysis_fields

dewey_stub_server = dewey_testlib.dewey_stub_server  # fixtures
dewey_stub = dewey_testlib.dewey_stub

BUCKET = "dewey-stub-objects"
BODY = b"<html>report</html>\n"
SHA = hashlib.sha256(BODY).hexdigest()


@pytest.fixture
def objects(aws):
    s3 = aws("s3")
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
    s3.put_object(Bucket=BUCKET, Key="a/r/report.html", Body=BODY)
    return s3


def analysis(**artifact_changes):
    item = {
        "logical_name": "report.html",
        "relative_path": "r/report.html",
        "storage_uri": "s3://%s/a/r/report.html" % BUCKET,
        "sha256": SHA,
        "size_bytes": len(BODY),
        "mime_type": "text/html",
        "artifact_role": "multiqc_html",
        "produced_by": "dayoa",
    }
    item.update(artifact_changes)
    return dewey.finalise("analysis", analysis_fields([item]))


def post(stub, body, token=TOKEN, key=None, raw=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    if key:
        headers["Idempotency-Key"] = key
    data = raw if raw is not None else json.dumps(body).encode()
    request = urllib.request.Request(stub.url + dewey.ROUTES["analysis"], data=data, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def client(stub, **options):
    return dewey.DeweyClient(stub.url, TOKEN, timeout=5, retry_delay=0, **options)


def test_registration_answers_200_with_status_code_201_and_replays_identically(dewey_stub, objects):
    body = analysis()
    status, first = post(dewey_stub, body)
    assert status == 200 and first["status_code"] == 201 and first["status"] == "registered"
    assert [a["storage_uri"] for a in first["registered_artifacts"]] == [body["artifacts"][0]["storage_uri"]]
    assert first["idempotency_key"] == dewey.idempotency_key(body)
    assert post(dewey_stub, body, key=dewey.idempotency_key(body)) == (200, first)
    assert dewey_stub.state()["receipt_count"] == 1


def test_bearer_token_missing_or_unknown_is_401(dewey_stub, objects):
    assert post(dewey_stub, analysis(), token=None) == (401, {"detail": "Missing bearer token"})
    assert post(dewey_stub, analysis(), token="nope") == (401, {"detail": "Invalid bearer token"})


def test_unknown_field_is_422(dewey_stub, objects):
    status, answer = post(dewey_stub, dict(analysis(), metadata={"x": 1}))
    assert status == 422 and answer["detail"][0]["loc"] == ["body", "metadata"]


def test_manifest_hash_of_raw_request_is_400(dewey_stub, objects):
    body = dict(analysis(), manifest_sha256="0" * 64)
    assert post(dewey_stub, body) == (400, {"detail": "manifest_sha256 does not match canonical registration manifest"})


def test_idempotency_key_not_the_request_hash_is_409(dewey_stub, objects):
    status, answer = post(dewey_stub, analysis(), key="dyec-analysis-register-0123")
    assert status == 409 and "Idempotency-Key" in answer["detail"]


def test_missing_object_404_and_size_mismatch_400(dewey_stub, objects):
    status, answer = post(dewey_stub, analysis(storage_uri="s3://%s/a/r/gone.html" % BUCKET))
    assert (
        status == 404
        and answer["detail"] == "'Required artifact missing: report.html (s3://%s/a/r/gone.html)'" % BUCKET
    )
    status, answer = post(dewey_stub, analysis(size_bytes=len(BODY) + 1))
    assert status == 400 and "size_bytes mismatch" in answer["detail"]


def test_directory_rules_are_400(dewey_stub, objects):
    raw = analysis()
    raw["artifacts"][0].update(storage_uri="s3://%s/a/r/" % BUCKET)
    raw["manifest_sha256"] = dewey.manifest_sha256(raw)
    assert post(dewey_stub, raw)[0] == 400
    raw["artifacts"][0].update(artifact_role="directory", size_bytes=5, mime_type="inode/directory")
    raw["manifest_sha256"] = dewey.manifest_sha256(raw)
    assert post(dewey_stub, raw) == (400, {"detail": "directory artifacts require size_bytes=0"})


def test_same_uri_with_other_digest_is_409_and_records_are_not_rewritten(dewey_stub, objects):
    assert post(dewey_stub, analysis())[0] == 200
    status, answer = post(dewey_stub, analysis(sha256="d" * 64))
    assert status == 409 and "immutable" in answer["detail"]
    assert dewey_stub.registry.artifacts["s3://%s/a/r/report.html" % BUCKET]["sha256"] == SHA


def test_same_files_in_a_new_request_make_a_new_set_that_reuses_them(dewey_stub, objects):
    post(dewey_stub, analysis())
    body = dewey.finalise("analysis", dict(analysis(), generated_at="2026-06-02T00:00:00Z"))
    status, answer = post(dewey_stub, body)
    assert status == 200 and answer["registered_artifacts"] == [] and len(answer["skipped_existing"]) == 1


def test_request_record_never_holds_the_token(dewey_stub, objects):
    post(dewey_stub, analysis())
    recorded = json.dumps(dewey_stub.requests())
    assert TOKEN not in recorded and dewey_stub.requests()[0]["authorization"] == "valid"


def test_client_retries_5xx_twice_then_registers_once(dewey_stub, objects):
    dewey_stub.faults.add("status", count=2, status=503)
    answer = client(dewey_stub).register("analysis", analysis(), dewey.idempotency_key(analysis()))
    assert answer["status_code"] == 201
    assert [entry.get("status") for entry in dewey_stub.posts()] == [503, 503, 200]
    assert dewey_stub.state()["receipt_count"] == 1


def test_client_does_not_retry_409_and_says_why(dewey_stub, objects):
    with pytest.raises(dewey.DeweyHTTPError) as raised:
        client(dewey_stub).register("analysis", analysis(), "not-the-request-hash")
    assert raised.value.status == 409 and len(dewey_stub.posts()) == 1
    assert "not retried" in str(raised.value) and "Idempotency-Key does not match" in str(raised.value)


def test_client_does_not_retry_422(dewey_stub, objects):
    body = dict(analysis(), metadata={"x": 1})
    with pytest.raises(dewey.DeweyHTTPError) as raised:
        client(dewey_stub).register("analysis", body, None)
    assert raised.value.status == 422 and len(dewey_stub.posts()) == 1


def test_client_after_connection_dropped_mid_post_registers_exactly_once(dewey_stub, objects):
    dewey_stub.faults.add("drop_after", count=1)  # stored, but the answer is lost
    body = analysis()
    answer = client(dewey_stub).register("analysis", body, dewey.idempotency_key(body))
    assert answer["status_code"] == 201 and len(dewey_stub.posts()) == 2
    assert dewey_stub.state()["receipt_count"] == 1 and len(dewey_stub.state()["artifact_sets"]) == 1


def test_client_gives_up_after_its_retries_on_a_dead_connection(dewey_stub, objects):
    dewey_stub.faults.add("drop_before", count=10)
    with pytest.raises(dewey.DeweyHTTPError) as raised:
        client(dewey_stub, retries=2).register("analysis", analysis(), None)
    assert raised.value.status is None and raised.value.attempts == 3 and len(dewey_stub.posts()) == 3
    assert dewey_stub.state()["receipt_count"] == 0


def test_client_times_out_on_a_slow_dewey_and_retries(dewey_stub, objects):
    dewey_stub.faults.add("delay", count=1, seconds=2.5)
    started = time.monotonic()
    answer = dewey.DeweyClient(dewey_stub.url, TOKEN, timeout=1, retry_delay=0).register(
        "analysis", analysis(), dewey.idempotency_key(analysis())
    )
    assert answer["status_code"] == 201 and time.monotonic() - started < 10
    assert dewey_stub.state()["receipt_count"] == 1


def test_client_without_idempotency_key_option_sends_none(dewey_stub, objects):
    client(dewey_stub, send_idempotency_key=False).register("analysis", analysis(), "ignored")
    assert dewey_stub.posts()[0]["idempotency_key"] is None


def test_stub_runs_as_a_process_on_loopback(sandbox_server, tmp_path):
    token_file, env_file, pid_file = tmp_path / "token", tmp_path / "dewey.env", tmp_path / "dewey.pid"
    token_file.write_text(TOKEN)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sandbox.dewey",
            "--s3-endpoint",
            sandbox_server.endpoint,
            "--token-file",
            str(token_file),
            "--env-file",
            str(env_file),
            "--pid-file",
            str(pid_file),
        ],
        env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert "listening on http://127.0.0.1:" in process.stdout.readline()
        url = env_file.read_text().strip().split("=", 1)[1]
        with urllib.request.urlopen(url + "/healthz", timeout=5) as response:
            assert json.loads(response.read())["version"] == "3.0.27"
        assert int(pid_file.read_text()) == process.pid
    finally:
        os.kill(process.pid, signal.SIGTERM)
        process.wait(10)
    assert not pid_file.exists()
