"""Row 2: S3 inventories against one HEAD at a time, on a sandbox in a process of its own.

* Dewey's ``s3_inventory`` registration (row 2a) as dewey_register runs it (``_dewey.plan.s3_inventory_records``):
  ONE listing of the export with each object's size and LastModified, ONE read of the export manifest that was
  verified with the export, each object's SHA-256 from that manifest where it vouches for the object as listed
  (``_dewey.build.vouched_sha256``: same size, not changed since the manifest was written, no SHA-256 checksum of
  S3's own), and a HEAD only for the others - against the same listing followed by one HEAD per object, one after
  the other (what registration did before, and what S3 needs when nothing vouches for an object: S3 keeps an
  object's SHA-256 only in its HEAD, ChecksumSHA256 or user metadata). The export is seeded as an export leaves it:
  the data, then, a second later, the manifest (with SHA-256s); the verified receipt naming it is handed over as
  registration has read it (the same GetObject before and after). Also measured: the same with 1 % of the objects
  rewritten after the export (those are HEADed), and with a modelled round trip.
* The fallback when no verified manifest vouches (an export without checksums, an older receipt): every object
  HEADed, 16 in flight (``_dewey.plan._lookup_sha256``: ``storage.head_objects`` through ``s3_objects.in_parallel``)
  on a client made as dewey_register makes it (``s3_objects.client_config()``: a pooled connection per HEAD).
* The delete gate's re-verification (``export_receipt`` state=verified) compares the destination's listing with
  the export manifest key by key and size by size: ListObjectsV2 pages of 1,000 keys (``s3_objects.list_objects``),
  no HEAD at all (the SHA-256s are the export manifest's) - against a HEAD per object. Its ratio is a listing's
  against 5,000 requests, not parallel HEADs'.
* Issue 12's staging precheck: every source of a 500-sample manifest (R1 and R2: 1,000 objects) read by s3_stage's
  HEADs in parallel (``_staging.transfer.run_parallel``, the module's default concurrency) - against sequential
  HeadObject and against one `aws s3 ls` subprocess per file (the reference CLI's way; the AWS CLI from .venv-awscli,
  `make bench-venvs`), the latter timed on a sample of files and reported as objects per second.

The sandbox (one Python process) spends a few milliseconds of its own CPU on each HEAD and the client about as much
again, where S3 takes tens of milliseconds of round trip and no CPU of ours: on 2 shared cores the HEADs in flight
wait for CPU (the sandbox's, and under load whatever share of the 2 cores the machine gives), not for a network.
So the fallback's rows also record the CPU-seconds per HEAD of the client and of the sandbox, parallel against one
at a time (load-independent: the same work, or the parallel path does something extra per object), and the same
HEADs with a modelled round trip of ``MODELLED_RTT`` seconds per request (a sleep before each request is sent: time
spent waiting, as on AWS) - what the 16 in flight are for.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import os
import subprocess
import time
from pathlib import Path

from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import export
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import receipt
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
#: the export destination; the registered objects are under its daylily-omics-analysis/ (dayoa_s3_root)
DESTINATION_PREFIX = "derived/bench/run5000/"
PREFIX = DESTINATION_PREFIX + "daylily-omics-analysis/"
ATTEMPT = "20261206T000000Z"
MANIFEST_KEY = DESTINATION_PREFIX + "_daylily_monitor/fsx-export/%s/%s" % (ATTEMPT, export.MANIFEST_FILENAME)
#: objects rewritten after the export (with the same content) in the 2a row that HEADs some
REWRITTEN = OBJECTS // 100
#: the registration policy: every object under results/ (classified by name, as s3_inventory does)
POLICY = {"include_paths": ["results/*"]}
SOURCES = "runs/bench-500/"
#: a modelled S3 round trip (HeadObject's first byte in the same region takes about this long)
MODELLED_RTT = 0.02
MODELLED_SAMPLE = 200  # HEADs one at a time with the modelled round trip, scaled to all


def _client(config=None):
    import boto3  # noqa: PLC0415
    from botocore.config import Config  # noqa: PLC0415

    # as dewey_register's module.client() makes it: a retrying wrapper around one client
    raw = boto3.client("s3", config=Config(**(config or s3_objects.client_config())))
    return RetryingBotoClientWrapper(raw, aws_retry())


def _modelled_round_trip(**_kwargs):
    time.sleep(MODELLED_RTT)


def _sandbox_cpu_s():
    """CPU seconds (user + system) of this process's sandbox children so far, from /proc."""
    total, me = 0.0, os.getpid()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text(encoding="utf-8").rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == me:
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _costed(function):
    """(wall seconds, client CPU seconds, sandbox CPU seconds, result) of ``function()``."""
    cpu, sandbox_cpu = time.process_time(), _sandbox_cpu_s()
    wall, result = _timed(function)
    return wall, time.process_time() - cpu, _sandbox_cpu_s() - sandbox_cpu, result


def _body(key):
    return key.encode() * 4


def _put_object(raw, key):
    """An object as an export leaves it for registration: no SHA-256 checksum of S3's own; its digest in user
    metadata, which only a HEAD reads (so the HEAD paths find the same digests as the manifest's)."""
    data = _body(key)
    raw.put_object(Bucket=BUCKET, Key=key, Body=data, Metadata={"sha256": hashlib.sha256(data).hexdigest()})


def _seed(client):
    """The 5,000 exported objects, the staging sources, then (in a later second, as S3 counts time) the export
    manifest with SHA-256s, as export_receipt writes it after its verification. Returns the flat verified receipt
    naming it."""
    raw = client.client
    raw.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": raw.meta.region_name})
    keys = [f"{PREFIX}results/S{index % 50:02d}/file{index:05d}.tsv" for index in range(OBJECTS)]
    sources = [f"{SOURCES}S{index:03d}_R{read}.fastq.gz" for index in range(SAMPLES) for read in (1, 2)]
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda key: _put_object(raw, key), keys + sources))
    entries = [
        {
            "path": key[len(DESTINATION_PREFIX) :],
            "size": len(_body(key)),
            "sha256": hashlib.sha256(_body(key)).hexdigest(),
        }
        for key in keys
    ]
    text = export.dump_manifest(export.manifest_entries(entries))
    _next_second()
    raw.put_object(Bucket=BUCKET, Key=MANIFEST_KEY, Body=text.encode())
    destination = f"s3://{BUCKET}/{DESTINATION_PREFIX}"
    return receipt.build_receipt(
        status="success",
        phase="complete",
        analysis_dir="bench/run5000",
        source_path="/analysis_results/bench/run5000/",
        destination_s3_uri=destination,
        dayoa_s3_root=f"s3://{BUCKET}/{PREFIX}",
        verified=True,
        timestamp=ATTEMPT,
        manifest_s3_uri=f"s3://{BUCKET}/{MANIFEST_KEY}",
        manifest_sha256=export.manifest_sha256(text),
    )


def _next_second():
    """Sleep into the next whole second and a little more: S3's LastModified counts whole seconds."""
    time.sleep(1.1 - (time.time() % 1.0))


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


def _cost_row(name, unit, measured, baseline_name, details, at_least=None):
    """A row of a cost (seconds, ms): ``measured`` is (ours, the baseline's); the target, if any, ``at_least`` x."""
    ours, baseline = measured
    return Row(
        name,
        unit,
        ours,
        baseline,
        baseline_name,
        target=f">= {at_least}x" if at_least else "",
        met=None if at_least is None else baseline >= at_least * ours,
        details=details,
    )


def _all_headed(client, listing):
    """The fallback when no verified manifest vouches: every listed object's SHA-256 by a HEAD, 16 in flight."""
    found = {key[len(PREFIX) :]: {"size": size} for key, size in listing.items()}
    records = build.inventory_records(found, {})
    plan._lookup_sha256(client, f"s3://{BUCKET}/{PREFIX}", records)  # noqa: SLF001
    return records


def _digests(records):
    return {record["relative_path"]: record["sha256"] for record in records}


def bench_s3(scratch):
    started = time.perf_counter()
    with sandbox_process(Path(scratch)):
        client = _client()
        exported = _seed(client)
        roots = build.export_roots(exported)
        _step("seeded", started)

        def registration(s3):
            """dewey_register's s3_inventory digests: one listing, the manifest, HEADs where it does not vouch."""
            return plan.s3_inventory_records(s3, roots, exported, {}, POLICY)

        ours_s, (records, _sizes, lookup) = _timed(lambda: registration(client))
        listed_s, listing = _timed(lambda: storage.list_objects(client, BUCKET, PREFIX))
        keys = sorted(listing)
        parallel_s, parallel_cpu, parallel_sandbox_cpu, headed = _costed(lambda: _all_headed(client, listing))
        sample_s, sample_cpu, sample_sandbox_cpu, _heads = _costed(
            lambda: storage.head_objects(client, BUCKET, keys[:SEQUENTIAL_SAMPLE], concurrency=1)
        )
        sequential_s = sample_s * len(keys) / SEQUENTIAL_SAMPLE
        if len(keys) != OBJECTS or lookup != {"export_manifest": OBJECTS, "s3_head": 0, "manifest_unused": None}:
            raise SystemExit(f"s3 bench: the registration listed {len(keys)} objects, digests {lookup}")
        if _digests(records) != _digests(headed) or None in _digests(headed).values():
            raise SystemExit("s3 bench: the manifest's digests are not the ones S3's HEADs give")

        _next_second()  # rewritten after the manifest: these are HEADed
        rewritten = keys[:: OBJECTS // REWRITTEN]
        for key in rewritten:
            _put_object(client.client, key)
        mixed_s, (mixed_records, _sizes, mixed_lookup) = _timed(lambda: registration(client))
        if mixed_lookup["s3_head"] != len(rewritten) or _digests(mixed_records) != _digests(headed):
            raise SystemExit(f"s3 bench: {len(rewritten)} rewritten objects, digests {mixed_lookup}")
        _step("inventory measured", started)
        modelled = _client()
        modelled.client.meta.events.register("before-send.s3", _modelled_round_trip)
        modelled_registration_s, _found = _timed(lambda: registration(modelled))
        modelled_list_s, _listing = _timed(lambda: storage.list_objects(modelled, BUCKET, PREFIX))
        modelled_s, _heads = _timed(lambda: storage.head_objects(modelled, BUCKET, keys))
        modelled_sample_s, _heads = _timed(
            lambda: storage.head_objects(modelled, BUCKET, keys[:MODELLED_SAMPLE], concurrency=1)
        )
        modelled_sequential_s = modelled_sample_s * len(keys) / MODELLED_SAMPLE
        _step("modelled round trips measured", started)
        gate_s, gate_listing = _timed(lambda: s3_objects.list_objects(client, BUCKET, DESTINATION_PREFIX))

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
    per_head_ms = {
        "client_cpu_parallel": 1000 * parallel_cpu / len(keys),
        "client_cpu_one_at_a_time": 1000 * sample_cpu / SEQUENTIAL_SAMPLE,
        "sandbox_cpu_parallel": 1000 * parallel_sandbox_cpu / len(keys),
        "sandbox_cpu_one_at_a_time": 1000 * sample_sandbox_cpu / SEQUENTIAL_SAMPLE,
        "wall_parallel": 1000 * parallel_s / len(keys),
        "wall_one_at_a_time": 1000 * sample_s / SEQUENTIAL_SAMPLE,
    }
    cpu_parallel = (parallel_cpu + parallel_sandbox_cpu) / len(keys)
    cpu_sequential = (sample_cpu + sample_sandbox_cpu) / SEQUENTIAL_SAMPLE
    details = {
        "objects": OBJECTS,
        "registration_s": ours_s,
        "registration_sha256_lookup": lookup,
        "registration_rewritten_objects": len(rewritten),
        "registration_with_rewritten_s": mixed_s,
        "registration_with_rewritten_sha256_lookup": mixed_lookup,
        "modelled_registration_s": modelled_registration_s,
        "modelled_list_s": modelled_list_s,
        "list_s": listed_s,
        "heads_parallel_s": parallel_s,
        "heads_sequential_s": sequential_s,
        "heads_sequential_sample": SEQUENTIAL_SAMPLE,
        "head_concurrency": storage.HEAD_CONCURRENCY,
        "client_pool_connections": client.meta.config.max_pool_connections,
        "per_head_ms": per_head_ms,
        "modelled_rtt_s": MODELLED_RTT,
        "modelled_parallel_s": modelled_s,
        "modelled_sequential_s": modelled_sequential_s,
        "modelled_sequential_sample": MODELLED_SAMPLE,
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
    one_at_a_time = f"one HEAD at a time (timed on {SEQUENTIAL_SAMPLE:,}, scaled)"
    return [
        _cost_row(
            "2a s3_inventory registration digests of 5,000 objects: one listing + the verified export manifest, "
            "HEADs where it does not vouch (none)",
            "s",
            (ours_s, listed_s + sequential_s),
            "list + " + one_at_a_time,
            details,
            at_least=4,
        ),
        _cost_row(
            f"2a the same with {len(rewritten)} objects rewritten after the export ({len(rewritten)} HEADs)",
            "s",
            (mixed_s, listed_s + sequential_s),
            "list + " + one_at_a_time,
            details,
        ),
        _cost_row(
            f"2a registration digests with a modelled {MODELLED_RTT * 1000:.0f} ms round trip",
            "s",
            (modelled_registration_s, modelled_list_s + modelled_sequential_s),
            f"list + one HEAD at a time with the same round trip (HEADs timed on {MODELLED_SAMPLE:,}, scaled)",
            details,
        ),
        _cost_row(
            "2a fallback, no manifest vouches: list + HEAD of 5,000 objects, 16 in flight",
            "s",
            (listed_s + parallel_s, listed_s + sequential_s),
            "list + " + one_at_a_time + "; CPU-bound on the sandbox, see the modelled row",
            details,
        ),
        _cost_row(
            "2a fallback CPU per HEAD, 16 in flight vs one at a time",
            "ms",
            (1000 * cpu_parallel, 1000 * cpu_sequential),
            "client + sandbox CPU per HEAD one at a time (the same work: no extra per-object cost)",
            details,
        ),
        _cost_row(
            f"2a fallback HEADs of 5,000 objects with a modelled {MODELLED_RTT * 1000:.0f} ms round trip",
            "s",
            (modelled_s, modelled_sequential_s),
            f"one HEAD at a time with the same round trip (timed on {MODELLED_SAMPLE:,}, scaled)",
            details,
            at_least=4,
        ),
        _cost_row(
            "2b delete gate re-verification of 5,000 objects (one listing, no HEAD)",
            "s",
            (gate_s, sequential_s),
            one_at_a_time,
            details,
            at_least=4,
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
