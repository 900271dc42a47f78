"""The sandbox Dewey answers as the real dewey-service 3.0.27 does: the same requests, sent to both, get the same
HTTP status and the same kind of answer (reference dewey_dayoa.md §1.7)."""

import hashlib
import json
import urllib.error
import urllib.request
import uuid

import pytest

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import dewey
from testlib import dewey as dewey_testlib
from testlib.dewey import TOKEN
from testlib.dewey import analysis_fields

dewey_stub_server = dewey_testlib.dewey_stub_server  # fixtures
live_dewey_server = dewey_testlib.live_dewey_server

BUCKET = "dewey-fidelity"
BODY = b"SAMPLEID\nS1\n"


@pytest.fixture
def registries(dewey_stub_server, live_dewey_server, sandbox, aws):
    """{name: (url, token)} of both Dewey, and a fresh object every request can name."""
    dewey_stub_server.reset()
    s3 = aws("s3")
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
    return {"stub": (dewey_stub_server.url, TOKEN), "real": (live_dewey_server.url, live_dewey_server.token)}


def request(run, **artifact_changes):
    """A valid analysis request for the object of this run (unique URIs: the real Dewey keeps its records)."""
    item = {
        "logical_name": "samples.tsv",
        "relative_path": "config/samples.tsv",
        "storage_uri": "s3://%s/%s/config/samples.tsv" % (BUCKET, run),
        "sha256": hashlib.sha256(BODY).hexdigest(),
        "size_bytes": len(BODY),
        "mime_type": "text/tab-separated-values",
        "artifact_role": "samples_manifest",
        "produced_by": "dayoa",
    }
    item.update(artifact_changes)
    return dewey.finalise("analysis", analysis_fields([item], analysis_euid="an-" + run, run_euid="an-" + run))


def post(url, token, body, key=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    if key:
        headers["Idempotency-Key"] = key
    sent = urllib.request.Request(url + dewey.ROUTES["analysis"], json.dumps(body).encode(), headers, method="POST")
    try:
        with urllib.request.urlopen(sent, timeout=30) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def answers(registries, aws, case):
    """{registry: (status, body)} for one case, each registry on its own objects."""
    found = {}
    for name, (url, token) in registries.items():
        run = uuid.uuid4().hex[:10]
        aws("s3").put_object(Bucket=BUCKET, Key="%s/config/samples.tsv" % run, Body=BODY)
        found[name] = case(url, token, run)
    return found


CASES = {
    "registered": lambda url, token, run: post(url, token, request(run)),
    "replayed": lambda url, token, run: [post(url, token, request(run)) for _attempt in range(2)][1],
    "missing token": lambda url, token, run: post(url, None, request(run)),
    "unknown token": lambda url, token, run: post(url, "not-a-token", request(run)),
    "unknown field": lambda url, token, run: post(url, token, dict(request(run), metadata={"a": 1})),
    "raw manifest hash": lambda url, token, run: post(url, token, dict(request(run), manifest_sha256="0" * 64)),
    "foreign key": lambda url, token, run: post(url, token, request(run), key="dyec-analysis-register-0"),
    "missing object": lambda url, token, run: post(
        url, token, request(run, storage_uri="s3://%s/%s/x" % (BUCKET, run))
    ),
    "size differs": lambda url, token, run: post(url, token, request(run, size_bytes=len(BODY) + 1)),
    "digest conflict": lambda url, token, run: [
        post(url, token, request(run)),
        post(url, token, request(run, sha256="e" * 64)),
    ][1],
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_sandbox_dewey_answers_like_dewey_3_0_27(registries, aws, case):
    found = answers(registries, aws, CASES[case])
    (stub_status, stub_body), (real_status, real_body) = found["stub"], found["real"]
    assert stub_status == real_status, found
    if stub_status == 200:
        assert stub_body["status_code"] == real_body["status_code"] == 201
        assert sorted(stub_body) == sorted(real_body)  # the same receipt fields
    elif stub_status == 422:
        assert [e["loc"] for e in stub_body["detail"]] == [e["loc"] for e in real_body["detail"]]
    else:  # the same message, up to the object it names (a 404's detail is quoted: Dewey raises a KeyError)
        assert stub_body["detail"].split(":")[0] == real_body["detail"].split(":")[0], found
