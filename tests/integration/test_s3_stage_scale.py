"""s3_stage at scale on the sandbox: a 500-sample manifest stages, and a stage killed mid-copy completes when run
again, with no duplicate, partial or unfinished object."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import samples
from testlib.staging import BUCKET
from testlib.staging import MIB
from testlib.staging import STAGE
from testlib.staging import STAGE_BUCKET
from testlib.staging import STAGE_URI
from testlib.staging import body
from testlib.staging import create_buckets
from testlib.staging import manifest
from testlib.staging import run_stage as run
from testlib.staging import stage_objects
from testlib.staging import upload_sources

ROOT = Path(__file__).parents[2]


@pytest.fixture
def stage_bucket(aws):
    return create_buckets(aws)


def test_five_hundred_samples_stage_in_parallel(capsys, sandbox, stage_bucket, tmp_path):
    upload_sources(stage_bucket, 500)
    path = manifest(tmp_path, 500)
    timings = {}
    for concurrency in (1, 16):  # the precheck alone (check mode), one request at a time and in parallel
        started = time.monotonic()
        code, checked = run(capsys, path, check_mode=True, concurrency=concurrency)
        timings[concurrency] = time.monotonic() - started
        assert code == 0 and checked["objects_pending"] == 1000
    sandbox.clear_audit()
    started = time.monotonic()
    code, result = run(capsys, path, concurrency=16)
    elapsed = time.monotonic() - started
    assert code == 0, result.get("msg")
    assert (result["objects_copied"], result["sources_checked"]) == (1000, 1000)
    assert len(stage_objects(stage_bucket)) == 1000 + 3
    assert sandbox.calls("GetObject") == []  # server-side copies only
    print(
        "\n500 samples, 1000 objects: check-only %.1f s sequential, %.1f s with 16 threads; staged in %.1f s"
        % (timings[1], timings[16], elapsed)
    )


def _run_module_process(path, env):
    args = {
        "ANSIBLE_MODULE_ARGS": dict(
            src=str(path), stage_s3_uri=STAGE_URI, stage_name=STAGE, concurrency=1, retry_delay=0
        )
    }
    args_file = path.parent / "args.json"
    args_file.write_text(json.dumps(args))
    return subprocess.Popen(
        [sys.executable, str(ROOT / "plugins" / "modules" / "s3_stage.py"), str(args_file)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_killed_mid_copy_then_rerun_completes_without_duplicate_or_partial_objects(sandbox, stage_bucket, tmp_path):
    upload_sources(stage_bucket, 40)
    # One sample merges two 5 MiB lanes: the kill may land inside its multipart copy.
    for lane in (1, 2):
        for read in (1, 2):
            key = "big/L%d_R%d.fq.gz" % (lane, read)
            stage_bucket.put_object(Bucket=BUCKET, Key=key, Body=body(key, 5 * MIB))
    path = manifest(tmp_path, 40)
    with open(path, "a") as handle:
        for lane in (1, 2):
            handle.write(
                "RUN1\tBIG\tE1\tblood\tPCR-FREE\tILMN\tNOVASEQ\t%d\tBC1\ts3://day-samples/big/L%d_R1.fq.gz\t"
                "s3://day-samples/big/L%d_R2.fq.gz\n" % (lane, lane, lane)
            )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / ".build" / "collections"), str(ROOT / "tests")]))
    sandbox.clear_audit()
    process = _run_module_process(path, env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(sandbox.mutating_calls()) < 15 and process.poll() is None:
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    copied_before = len(stage_objects(stage_bucket))
    assert 0 < copied_before < 82 + 3, "the kill must land mid-stage"
    process = _run_module_process(path, env)
    out, err = process.communicate(timeout=120)
    result = json.loads(out)
    assert process.returncode == 0, (result.get("msg"), err)
    keys = stage_objects(stage_bucket)
    plan = samples.plan_from_file(str(path), STAGE)
    expected = {"staged_external_data/%s/%s" % (STAGE, copy.key) for copy in plan.copies}
    tables = {"staged_external_data/%s/20260101T120000Z_%s.tsv" % (STAGE, name) for name in ("samples", "units")}
    assert set(keys) == expected | tables | {"staged_external_data/%s/.daylily_write_probe" % STAGE}
    for copy in plan.copies:
        staged = stage_bucket.get_object(Bucket=STAGE_BUCKET, Key="staged_external_data/%s/%s" % (STAGE, copy.key))
        data = staged["Body"].read()
        assert data == b"".join(
            body(source.split("/", 3)[3], 5 * MIB if "/big/" in source else 64) for source in copy.sources
        )
    assert stage_bucket.list_multipart_uploads(Bucket=STAGE_BUCKET).get("Uploads", []) == []
    assert result["objects_skipped"] + result["objects_copied"] == result["objects_total"] == 82
