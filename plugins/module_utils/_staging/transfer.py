# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Sample staging decisions: which sources exist and how big they are, what each staged object is made of, what a
stage already holds, and how an object is copied (CopyObject, or UploadPartCopy parts for merges and objects over
5 GiB). S3 calls go through :mod:`.objects`; reads and copies run in a bounded thread pool sharing one client.

A staged object carries the digest of the sources it was made from (size and ETag of each, in order) in its
metadata, so a re-run of the same stage skips what is already complete and copies the rest: objects appear whole
(CopyObject and CompleteMultipartUpload are atomic), never partial, and a copy a killed run left unfinished is
aborted before it is made again. An object the stage holds from other sources is never copied over (see
pending_jobs).
"""

import concurrent.futures
import hashlib
import json
import math
from typing import NamedTuple

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import paths
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import samples
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._staging import objects

MIB = 1024 * 1024
GIB = 1024 * MIB
MAX_COPY_OBJECT_BYTES = 5 * GIB  # CopyObject's limit; bigger objects are copied in parts
MAX_PART_BYTES = 5 * GIB  # UploadPartCopy's limit per part
MIN_PART_SIZE = 10 * MIB  # a part size for which every evenly split piece is at least S3's 5 MiB minimum
MAX_PARTS = 10000
SOURCE_METADATA = "daylily-stage-source"
TABLE_METADATA = "daylily-content-sha256"
WRITE_PROBE = ".daylily_write_probe"
FASTQ_SUFFIXES = (".fastq.gz", ".fq.gz", ".fastq", ".fq")


class S3Object(NamedTuple):
    bucket: str
    key: str
    size: int
    etag: str

    @property
    def uri(self):
        return "s3://%s/%s" % (self.bucket, self.key)


class Job(NamedTuple):
    """One staged object: ``key`` in the stage bucket, made of ``sources`` in order."""

    key: str
    sources: tuple
    line: int
    column: str

    @property
    def size(self):
        return sum(source.size for source in self.sources)

    @property
    def digest(self):
        recipe = json.dumps([[source.uri, source.size, source.etag] for source in self.sources])
        return hashlib.sha256(recipe.encode("utf-8")).hexdigest()


class Stage(NamedTuple):
    """Where a stage lives in S3: ``prefix`` is ``<stage_s3_uri prefix><stage name>/``."""

    bucket: str
    prefix: str
    name: str

    @property
    def uri(self):
        return "s3://%s/%s" % (self.bucket, self.prefix)


class Precheck(NamedTuple):
    jobs: list
    problems: list
    sources_checked: int


def stage_location(stage_s3_uri, stage_name, field="stage_s3_uri"):
    """The :class:`Stage` ``<stage_s3_uri>/<stage_name>/``; a bad URI raises ``paths.S3UriError`` naming ``field``."""
    location = paths.parse_s3_uri(stage_s3_uri, field=field)
    return Stage(location.bucket, location.prefix + stage_name + "/", stage_name)


def split_uri(uri):
    bucket, _sep, key = uri[len("s3://") :].partition("/")
    return bucket, key


def run_parallel(function, items, concurrency):
    """``function(item)`` for each item on at most ``concurrency`` threads; an AnsibleStagingError is returned in
    place of the result, so one unreadable object does not hide the others."""

    def guarded(item):
        try:
            return function(item)
        except objects.AnsibleStagingError as err:
            return err

    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        return dict(zip(items, pool.map(guarded, items)))


def _head(client, uri):
    return objects.head_object(client, *split_uri(uri))


def _list(client, uri):
    return objects.list_objects(client, *split_uri(uri))


def _merge_problem(copy, sources):
    """S3 refuses parts under 5 MiB except the last, so a merge of small files fails at copy time: refuse it now."""
    small = [source for source in sources[:-1] if source.size < samples.MIN_PART_BYTES]
    if not small:
        return None
    return samples.Problem(
        copy.line,
        copy.column,
        "merges %d files into %s by a multipart copy, whose parts but the "
        "last must be at least 5 MiB; too small: %s"
        % (len(sources), copy.key, ", ".join("%s (%d bytes)" % (s.uri, s.size) for s in small)),
    )


def precheck(client, plan, stage, concurrency):
    """Read every source (HeadObject, and ListObjectsV2 for prefixes) in parallel; return the copy jobs and every
    problem. Reads only."""
    heads = [uri for copy in plan.copies if copy.mode == "concat" for uri in copy.sources]
    heads += [check.uri for check in plan.checks]
    prefixes = [copy.sources[0] for copy in plan.copies if copy.mode != "concat"]
    answers = run_parallel(lambda uri: _head(client, uri), list(dict.fromkeys(heads)), concurrency)
    listings = run_parallel(lambda uri: _list(client, uri), list(dict.fromkeys(prefixes)), concurrency)
    problems, jobs = [], []

    def found(uri, line, column):
        answer = answers[uri]
        if isinstance(answer, objects.AnsibleStagingError):
            problems.append(samples.Problem(line, column, "%s cannot be read: %s" % (uri, answer.message)))
        elif answer is None:
            problems.append(samples.Problem(line, column, "%s does not exist; fix the path or upload the file" % uri))
        else:
            return S3Object(*split_uri(uri), size=answer["ContentLength"], etag=answer.get("ETag", ""))
        return None

    for copy in plan.copies:
        if copy.mode == "concat":
            sources = [found(uri, copy.line, copy.column) for uri in copy.sources]
            if None in sources:
                continue
        else:
            listing = listings[copy.sources[0]]
            if isinstance(listing, objects.AnsibleStagingError):
                problems.append(
                    samples.Problem(
                        copy.line, copy.column, "%s cannot be listed: %s" % (copy.sources[0], listing.message)
                    )
                )
                continue
            bucket = split_uri(copy.sources[0])[0]
            sources = [
                S3Object(bucket, key, size, etag)
                for key, (size, etag) in sorted(listing.items())
                if copy.mode == "tree" or key.endswith(FASTQ_SUFFIXES)
            ]
            if not sources:
                what = "objects" if copy.mode == "tree" else "FASTQ files (%s)" % ", ".join(FASTQ_SUFFIXES)
                problems.append(samples.Problem(copy.line, copy.column, "%s holds no %s" % (copy.sources[0], what)))
                continue
        if copy.mode == "tree":
            source_prefix = split_uri(copy.sources[0])[1]
            jobs += [
                Job(stage.prefix + copy.key + source.key[len(source_prefix) :], (source,), copy.line, copy.column)
                for source in sources
            ]
            continue
        problem = _merge_problem(copy, sources) if len(sources) > 1 else None
        if problem:
            problems.append(problem)
        else:
            jobs.append(Job(stage.prefix + copy.key, tuple(sources), copy.line, copy.column))
    for check in plan.checks:
        found(check.uri, check.line, check.column)
    return Precheck(jobs, problems, len(answers) + len(listings))


def parts_of(job, part_size):
    """``[(source, first byte, last byte)]`` of a multipart copy, or None when one CopyObject does it. Each source is
    split into pieces of at most ``part_size`` of equal length, so no piece is smaller than half a part."""
    if len(job.sources) == 1 and job.size <= MAX_COPY_OBJECT_BYTES:
        return None
    parts = []
    for source in job.sources:
        count = max(1, math.ceil(source.size / part_size))
        piece = max(1, math.ceil(source.size / count))
        parts += [(source, start, min(start + piece, source.size) - 1) for start in range(0, source.size, piece)]
    return parts


def is_complete(job, answer):
    """A staged object is complete when it has the size and source digest of the job."""
    return (
        bool(answer)
        and answer.get("ContentLength") == job.size
        and (answer.get("Metadata") or {}).get(SOURCE_METADATA) == job.digest
    )


class StageObjectsDiffer(Exception):
    """Objects of the stage were made from other sources than this run's; raised before anything is written.
    ``objects``: one dict per such object (key, sources, what the stage holds, what the sources make now)."""

    def __init__(self, message, objects_differing):
        super().__init__(message)
        self.objects = objects_differing


def new_stage_hint(names):
    """How the operator stages other content: in a new stage, never over the one that exists."""
    return "leave %s unset so that a new stage is made (or give a new remote_stage_<timestamp>_<hex> name)" % names(
        "stage_name"
    )


def differing_object(stage, job, answer):
    """What the stage's object ``answer`` holds and the job would now make of its sources."""
    stored = (answer.get("Metadata") or {}).get(SOURCE_METADATA)
    return dict(
        key=job.key,
        uri="s3://%s/%s" % (stage.bucket, job.key),
        sources=[source.uri for source in job.sources],
        line=job.line,
        column=job.column,
        staged_size=answer.get("ContentLength"),
        staged_source_digest=stored,
        size=job.size,
        source_digest=job.digest,
    )


def describe_differing(item):
    """One object of the refusal: its sources -> the staged object (what differs)."""
    if not item["staged_source_digest"]:
        why = "no %s metadata: not staged by this module" % SOURCE_METADATA
    else:
        why = "source digest %s staged, %s now; %d bytes staged, %d now" % (
            item["staged_source_digest"][:12],
            item["source_digest"][:12],
            item["staged_size"],
            item["size"],
        )
    return "%s -> %s (%s)" % (" + ".join(item["sources"]), item["uri"], why)


def pending_jobs(client, stage, jobs, concurrency, manifest="", names=lambda option: option):
    """(jobs still to copy, jobs already complete) after reading every destination in parallel. A job whose object
    exists but is not complete (made from sources of another size or ETag, or not by this module) raises
    StageObjectsDiffer naming every such object: copying over it would change an S3 object (invariant 1) that the
    stage's tables describe. A missing object (a copy a killed run never completed) is pending."""
    answers = run_parallel(lambda job: objects.head_object(client, stage.bucket, job.key), jobs, concurrency)
    for answer in answers.values():
        if isinstance(answer, objects.AnsibleStagingError):
            raise answer
    differing = [
        differing_object(stage, job, answers[job])
        for job in jobs
        if answers[job] and not is_complete(job, answers[job])
    ]
    if differing:
        raise StageObjectsDiffer(
            "Stage %s already holds objects that the sources of the sample sheet %s would now stage differently (a "
            "source re-uploaded under the same key, or a sample merged from other files): %s. A staged object is "
            "never overwritten: it is the data the stage's tables describe. To stage these sources, %s; to resume "
            "this stage, restore the original sources (the same objects under the same S3 keys). Nothing was written."
            % (stage.uri, manifest, "; ".join(describe_differing(item) for item in differing), new_stage_hint(names)),
            differing,
        )
    return [job for job in jobs if not answers[job]], [job for job in jobs if answers[job]]


def copy_job(client, stage, job, part_size):
    """Copy one job (CopyObject, or a multipart copy aborted on failure); returns the bytes copied."""
    metadata = {SOURCE_METADATA: job.digest}
    parts = parts_of(job, part_size)
    if parts is None:
        source = job.sources[0]
        objects.copy_object(client, stage.bucket, job.key, source.bucket, source.key, metadata)
        return job.size
    upload_id = objects.create_multipart_upload(client, stage.bucket, job.key, metadata)
    try:
        etags = [
            objects.upload_part_copy(
                client, stage.bucket, job.key, upload_id, number, source.bucket, source.key, first, last
            )
            for number, (source, first, last) in enumerate(parts, 1)
        ]
        objects.complete_multipart_upload(client, stage.bucket, job.key, upload_id, etags)
    except objects.AnsibleStagingError:
        objects.abort_multipart_upload(client, stage.bucket, job.key, upload_id)
        raise
    return job.size


def abort_unfinished_copies(client, stage):
    """Abort the multipart copies a killed run left under the stage; returns how many."""
    uploads = objects.list_multipart_uploads(client, stage.bucket, stage.prefix)
    for key, upload_id in uploads:
        objects.abort_multipart_upload(client, stage.bucket, key, upload_id)
    return len(uploads)


def copy_jobs(client, stage, jobs, concurrency, part_size):
    """Copy ``jobs`` on at most ``concurrency`` threads; returns (copied jobs, failures as (job, error))."""
    copied, failures = [], []
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        futures = {pool.submit(copy_job, client, stage, job, part_size): job for job in jobs}
        for future in concurrent.futures.as_completed(futures):
            try:
                future.result()
                copied.append(futures[future])
            except objects.AnsibleStagingError as err:
                failures.append((futures[future], err))
    return copied, failures


def write_probe(client, stage):
    """Prove the stage prefix is writable before the first copy (a small object naming the stage)."""
    objects.put_object(client, stage.bucket, stage.prefix + WRITE_PROBE, stage.name.encode("utf-8"), "text/plain", {})


def table_objects(stage, plan):
    """``{key: text}`` of ``<timestamp>_samples.tsv`` and ``<timestamp>_units.tsv`` in the stage."""
    samples_name, units_name = samples.stage_table_names(stage.name)
    return {stage.prefix + samples_name: plan.samples_tsv, stage.prefix + units_name: plan.units_tsv}


class StageTablesDiffer(Exception):
    """Tables of the stage hold other content than this run would write; raised before anything is written."""


def table_digest(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def tables_to_write(client, stage, tables, manifest, names=lambda option: option):
    """The tables (made from the sample sheet ``manifest``) whose object is missing; an identical one is left alone. A table object with other content, or
    without our digest, raises StageTablesDiffer: overwriting it would change an S3 object (invariant 1), and the
    stage's tables would no longer describe the data copied from the sheet that wrote them."""
    missing, differing = {}, []
    for key, text in tables.items():
        answer = objects.head_object(client, stage.bucket, key)
        if not answer:
            missing[key] = text
            continue
        stored = (answer.get("Metadata") or {}).get(TABLE_METADATA)
        if stored != table_digest(text):
            why = (
                "stored sha256 %s" % stored if stored else "no %s metadata: not written by this module" % TABLE_METADATA
            )
            differing.append("s3://%s/%s (%s)" % (stage.bucket, key, why))
    if differing:
        raise StageTablesDiffer(
            "Stage %s already holds tables that the sample sheet %s would now write differently: %s. A stage's tables "
            "are never overwritten: they describe the data staged from the sheet that wrote them. To stage this sheet, "
            "%s; to resume this stage, restore the sample sheet %s to the one it was made from. Nothing was written."
            % (stage.uri, manifest, "; ".join(differing), new_stage_hint(names), manifest)
        )
    return missing


def write_tables(client, stage, tables):
    for key, text in tables.items():
        objects.put_object(
            client,
            stage.bucket,
            key,
            text.encode("utf-8"),
            "text/tab-separated-values",
            {TABLE_METADATA: table_digest(text)},
        )
