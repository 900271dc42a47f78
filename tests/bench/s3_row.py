"""Row 2: S3 inventories against one HEAD at a time, on a sandbox in a process of its own.

* Dewey's ``s3_inventory`` registration reads the listing and then each object's SHA-256 with HeadObject
  (``_dewey.storage.list_objects``, then ``_dewey.plan._lookup_sha256`` over the records: ``storage.head_objects``,
  16 in flight on one client) - against the same listing followed by one HEAD after the other.
* The delete gate's re-verification (``export_receipt`` state=verified) compares the destination's listing with
  the export manifest key by key: ListObjectsV2 pages of 1,000 keys (``s3_objects.list_objects``), no HEAD at all -
  against a HEAD per object.
* Issue 12's staging precheck: every source of a 500-sample manifest (R1 and R2: 1,000 objects) read by s3_stage's
  HEADs in parallel (``_staging.transfer.run_parallel``, the module's default concurrency) - against sequential
  HeadObject and against one `aws s3 ls` subprocess per file (the reference CLI's way; the AWS CLI from .venv-awscli,
  `make bench-venvs`), the latter timed on a sample of files and reported as objects per second.

The sandbox answers a request in about a millisecond of its own CPU, where S3 takes tens of milliseconds of round
trip, so parallel HEADs gain less here than against AWS: on 2 cores the sandbox's CPU is the limit.
"""

from __future__ import annotations

import concurrent.futures
import os
import subprocess
import time
from pathlib import Path

from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import s3_objects
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._dewey import build
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._dewey import plan
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._dewey import storage
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._staging import objects as staging_objects
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._staging import transfer
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import aws_retry
from bench.common import REPO
from bench.common import Row
from bench.common import sandbox_process

OBJECTS = 5000
SAMPLES = 500
AWS_CLI = REPO / ".venv-awscli" / "bin" / "aws"
AWS_CLI_SAMPLE = 10
#: One HEAD at a time costs the same for every object: it is timed over this many objects and scaled to all of them.
SEQUENTIAL_SAMPLE = 1000
STAGE_CONCURRENCY = 16  # s3_stage's default concurrency
BUCKET = "bench-inventory"
PREFIX = "derived/bench/run5000/"
SOURCES = "runs/bench-500/"


def _client():
    import boto3  # noqa: PLC0415
    from botocore.config import Config  # noqa: PLC0415

    # as module.client() makes it: a retrying wrapper around one client, with a pool as large as the HEADs in flight
    raw = boto3.client("s3", config=Config(max_pool_connections=32))
    return RetryingBotoClientWrapper(raw, aws_retry())


def _seed(client):
    raw = client.client
    raw.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": raw.meta.region_name})
    keys = [f"{PREFIX}results/S{index % 50:02d}/file{index:05d}.tsv" for index in range(OBJECTS)]
    keys += [f"{SOURCES}S{index:03d}_R{read}.fastq.gz" for index in range(SAMPLES) for read in (1, 2)]

    def put(key):
        raw.put_object(Bucket=BUCKET, Key=key, Body=key.encode() * 4, ChecksumAlgorithm="SHA256")

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        list(pool.map(put, keys))


def _timed(function):
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def _step(what, started):
    print(f"  s3: {what} after {time.perf_counter() - started:.0f} s", flush=True)


def _aws_s3_ls_rate(keys):
    """Objects per second of one `aws s3 ls s3://bucket/key` subprocess per file, over ``keys``."""
    env = dict(os.environ)
    env.pop("AWS_PROFILE", None)
    start = time.perf_counter()
    for key in keys:
        subprocess.run(
            [str(AWS_CLI), "s3", "ls", f"s3://{BUCKET}/{key}"], env=env, check=True, capture_output=True, timeout=120
        )
    return len(keys) / (time.perf_counter() - start)


def bench_s3(scratch):
    started = time.perf_counter()
    with sandbox_process(Path(scratch)):
        client = _client()
        _seed(client)
        _step("seeded", started)

        listed_s, listing = _timed(lambda: storage.list_objects(client, BUCKET, PREFIX))
        keys = sorted(listing)
        records = build.inventory_records({key[len(PREFIX) :]: {"size": size} for key, size in listing.items()}, {})
        parallel_s, _none = _timed(lambda: plan._lookup_sha256(client, f"s3://{BUCKET}/{PREFIX}", records))  # noqa: SLF001
        sample_s, _heads = _timed(lambda: storage.head_objects(client, BUCKET, keys[:SEQUENTIAL_SAMPLE], concurrency=1))
        sequential_s = sample_s * len(keys) / SEQUENTIAL_SAMPLE
        if len(keys) != OBJECTS or any(record["sha256"] is None for record in records):
            raise SystemExit("s3 bench: the inventory missed objects or their SHA-256")
        _step("inventory measured", started)
        gate_s, gate_listing = _timed(lambda: s3_objects.list_objects(client, BUCKET, PREFIX))

        sources = [
            f"s3://{BUCKET}/{SOURCES}S{index:03d}_R{read}.fastq.gz" for index in range(SAMPLES) for read in (1, 2)
        ]
        stage_s, answers = _timed(
            lambda: transfer.run_parallel(
                lambda uri: staging_objects.head_object(client, *transfer.split_uri(uri)), sources, STAGE_CONCURRENCY
            )
        )
        stage_seq_s, _answers = _timed(
            lambda: [staging_objects.head_object(client, *transfer.split_uri(uri)) for uri in sources]
        )
        if any(answer is None or isinstance(answer, Exception) for answer in answers.values()):
            raise SystemExit("s3 bench: the staging precheck missed sources")
        _step("staging measured", started)
        cli_rate = None
        if AWS_CLI.exists():
            cli_rate = _aws_s3_ls_rate([uri.split("/", 3)[3] for uri in sources[:AWS_CLI_SAMPLE]])

    ours_rate, seq_rate = len(sources) / stage_s, len(sources) / stage_seq_s
    details = {
        "objects": OBJECTS,
        "list_s": listed_s,
        "heads_parallel_s": parallel_s,
        "heads_sequential_s": sequential_s,
        "heads_sequential_sample": SEQUENTIAL_SAMPLE,
        "head_concurrency": storage.HEAD_CONCURRENCY,
        "delete_gate_listing_s": gate_s,
        "delete_gate_keys": len(gate_listing),
        "staging_sources": len(sources),
        "staging_parallel_s": stage_s,
        "staging_sequential_s": stage_seq_s,
        "staging_concurrency": STAGE_CONCURRENCY,
        "aws_s3_ls_objects_per_s": cli_rate,
        "aws_s3_ls_sample": AWS_CLI_SAMPLE,
        "aws_cli": "awscli from .venv-awscli" if cli_rate else "not installed: make bench-venvs",
    }
    return [
        Row(
            "2a s3_inventory list + HEAD of 5,000 objects",
            "s",
            listed_s + parallel_s,
            listed_s + sequential_s,
            f"list + one HEAD at a time (timed on {SEQUENTIAL_SAMPLE:,}, scaled)",
            target=">= 4x",
            met=(listed_s + sequential_s) >= 4 * (listed_s + parallel_s),
            details=details,
        ),
        Row(
            "2b delete gate re-verification of 5,000 objects",
            "s",
            gate_s,
            sequential_s,
            f"one HEAD at a time (timed on {SEQUENTIAL_SAMPLE:,}, scaled)",
            target=">= 4x",
            met=sequential_s >= 4 * gate_s,
            details=details,
        ),
        Row(
            "2c staging precheck, 500 samples (1,000 objects)",
            "objects/s",
            ours_rate,
            cli_rate,
            "one `aws s3 ls` subprocess per file" if cli_rate else "aws CLI not installed (make bench-venvs)",
            target=">= 20x",
            met=(ours_rate >= 20 * cli_rate) if cli_rate else None,
            higher_is_better=True,
            details=details,
        ),
        Row(
            "2d staging precheck vs sequential HeadObject",
            "objects/s",
            ours_rate,
            seq_rate,
            "sequential HeadObject",
            higher_is_better=True,
            details=details,
        ),
    ]
