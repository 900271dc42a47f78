"""``manifest_source: s3_inventory`` takes each SHA-256 from the export's verified manifest where it vouches for the
object as ONE listing shows it now, and HEADs every other object, as before; checked with botocore's Stubber.

Invariant 25 (dayec_domain.md §12): Dewey gets a real SHA-256, never an ETag, never a guess, and never one S3's current
object could contradict: an object the manifest does not vouch for (not in it, another size, changed since the
manifest was written, checksummed by S3 itself) is asked of S3.
"""

from __future__ import annotations

import datetime
import hashlib
import io

import boto3
import pytest
from botocore.config import Config
from botocore.response import StreamingBody
from botocore.stub import Stubber

from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import dewey
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import export
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import receipt
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import aws_retry
from testlib.dewey_sink import WORKFLOW

BUCKET = "exports"
DESTINATION = "s3://%s/derived/lab1/an-1/" % BUCKET
PREFIX = "derived/lab1/an-1/daylily-omics-analysis/"
MONITOR = "derived/lab1/an-1/_daylily_monitor/fsx-export/20260601T000000Z/"
RECEIPT_KEY = MONITOR + "fsx_export.yaml"
MANIFEST_KEY = MONITOR + "fsx_export_manifest.jsonl"
#: when the export wrote its manifest, right after its verification listing (S3's clock, whole seconds)
VERIFIED_AT = datetime.datetime(2026, 6, 1, 0, 5, 0, tzinfo=datetime.UTC)
EXPORTED_AT = VERIFIED_AT - datetime.timedelta(minutes=2)
FILES = {"results/a.tsv": b"alpha\n", "results/b.tsv": b"bravo!!\n", "results/c.tsv": b"charlie\n"}
POLICY = {
    "manifest_source": "s3_inventory",
    "include_paths": ["results/*.tsv"],
    "identity": {"analysis_euid": "{analysis_id}", "run_euid": "{analysis_id}"},
}


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def manifest_text(files=None, **entries):
    """The export manifest of ``files`` (paths relative to the destination; FILES by default), entries overridden by
    ``entries``."""
    files = FILES if files is None else files
    records = [
        {"path": "daylily-omics-analysis/" + path, "size": len(body), "sha256": sha256(body)}
        for path, body in files.items()
    ]
    for record in records:
        record.update(entries.get(record["path"][len("daylily-omics-analysis/") :], {}))
    return export.dump_manifest(export.manifest_entries(record for record in records if record.get("path")))


def receipt_text(manifest=None, **fields):
    """A verified export receipt naming ``manifest`` (its URI and digest) when given."""
    values = dict(
        status="success",
        phase="complete",
        cluster_name="c1",
        region="us-west-2",
        analysis_dir="lab1/an-1",
        source_path="/analysis_results/lab1/an-1/",
        destination_s3_uri=DESTINATION,
        dayoa_s3_root=DESTINATION + "daylily-omics-analysis/",
        task_lifecycle="SUCCEEDED",
        detached=True,
        detach_lifecycle="DELETED",
        verified=True,
        timestamp="20260601T000000Z",
    )
    if manifest is not None:
        values.update(
            manifest_s3_uri="s3://%s/%s" % (BUCKET, MANIFEST_KEY), manifest_sha256=export.manifest_sha256(manifest)
        )
    values.update(fields)
    return receipt.dump_receipt(receipt.build_receipt(**values))


def body(text):
    data = text.encode() if isinstance(text, str) else text
    return StreamingBody(io.BytesIO(data), len(data))


def listed(path, data, modified=EXPORTED_AT, algorithms=None):
    item = {"Key": PREFIX + path, "Size": len(data), "LastModified": modified, "ETag": '"%s"' % sha256(data)[:32]}
    if algorithms:
        item["ChecksumAlgorithm"] = algorithms
    return item


class Registration:
    """A Stubber-checked S3 client for one s3_inventory plan: HEADs one at a time (one pooled connection), so the
    HEADs are expected in path order."""

    def __init__(self):
        self.raw = boto3.client(
            "s3",
            region_name="us-west-2",
            aws_access_key_id="t",
            aws_secret_access_key="t",
            config=Config(max_pool_connections=1),
        )
        self.stubber = Stubber(self.raw)

    def reads_receipt(self, text):
        self.stubber.add_response("get_object", {"Body": body(text)}, {"Bucket": BUCKET, "Key": RECEIPT_KEY})

    def lists(self, *items):
        self.stubber.add_response(
            "list_objects_v2",
            {"Contents": list(items), "IsTruncated": False, "KeyCount": len(items)},
            {"Bucket": BUCKET, "Prefix": PREFIX},
        )

    def reads_manifest(self, text, modified=VERIFIED_AT):
        self.stubber.add_response(
            "get_object", {"Body": body(text), "LastModified": modified}, {"Bucket": BUCKET, "Key": MANIFEST_KEY}
        )

    def heads(self, path, data, with_sha256=True):
        answer = {"ContentLength": len(data), "LastModified": VERIFIED_AT}
        if with_sha256:
            answer["Metadata"] = {"sha256": sha256(data)}
        self.stubber.add_response(
            "head_object", answer, {"Bucket": BUCKET, "Key": PREFIX + path, "ChecksumMode": "ENABLED"}
        )

    def plan(self):
        with self.stubber:
            found = dewey.plan_registration(
                RetryingBotoClientWrapper(self.raw, aws_retry(delay=0)),
                POLICY,
                export_receipt_uri="s3://%s/%s" % (BUCKET, RECEIPT_KEY),
                genome="hg38",
                workflow=WORKFLOW,
            )
            self.stubber.assert_no_pending_responses()
        return found


def registered_digests(plan):
    return {artifact["relative_path"]: artifact["sha256"] for artifact in plan["analysis"]["artifacts"]}


def test_invariant_25_a_verified_manifest_and_a_matching_listing_register_the_manifests_digests_without_a_head():
    manifest = manifest_text()
    s3 = Registration()
    s3.reads_receipt(receipt_text(manifest))
    s3.lists(*(listed(path, data) for path, data in FILES.items()))
    s3.reads_manifest(manifest)
    found = s3.plan()  # the Stubber fails the test on any call not queued above: no HeadObject
    assert registered_digests(found) == {path: sha256(data) for path, data in FILES.items()}
    assert {record["sha256_source"] for record in found["selected"]} == {"export_manifest"}
    assert found["sha256_lookup"] == {"export_manifest": 3, "s3_head": 0, "manifest_unused": None}
    assert found["source_manifest_uri"] == dewey.INVENTORY_MANIFEST_URI and found["mode"] == "s3_inventory"


CHANGED = b"changed after the export\n"


@pytest.mark.parametrize(
    "why, manifest_entry, listing",
    [
        ("size_differs_from_the_manifest", {}, lambda: listed("results/b.tsv", CHANGED)),
        (
            "modified_after_the_manifest_was_written",
            {},
            lambda: listed("results/b.tsv", FILES["results/b.tsv"], VERIFIED_AT + datetime.timedelta(seconds=5)),
        ),
        (
            "modified_in_the_manifests_own_second",
            {},
            lambda: listed("results/b.tsv", FILES["results/b.tsv"], VERIFIED_AT),
        ),
        ("absent_from_the_manifest", {"path": None}, lambda: listed("results/b.tsv", FILES["results/b.tsv"])),
        ("manifest_entry_without_sha256", {"sha256": None}, lambda: listed("results/b.tsv", FILES["results/b.tsv"])),
        (
            "s3_keeps_its_own_sha256_checksum",
            {},
            lambda: listed("results/b.tsv", FILES["results/b.tsv"], algorithms=["SHA256"]),
        ),
    ],
)
def test_invariant_25_an_object_the_manifest_does_not_vouch_for_is_headed_and_only_that_one(
    why, manifest_entry, listing
):
    manifest = manifest_text(**{"results/b.tsv": manifest_entry})
    current = listing()
    data = CHANGED if current["Size"] == len(CHANGED) else FILES["results/b.tsv"]
    s3 = Registration()
    s3.reads_receipt(receipt_text(manifest))
    s3.lists(listed("results/a.tsv", FILES["results/a.tsv"]), current, listed("results/c.tsv", FILES["results/c.tsv"]))
    s3.reads_manifest(manifest)
    s3.heads("results/b.tsv", data)
    found = s3.plan()
    assert registered_digests(found) == {
        "results/a.tsv": sha256(FILES["results/a.tsv"]),
        "results/b.tsv": sha256(data),  # S3's own answer
        "results/c.tsv": sha256(FILES["results/c.tsv"]),
    }, why
    sources = {record["relative_path"]: record["sha256_source"] for record in found["selected"]}
    assert sources == {
        "results/a.tsv": "export_manifest",
        "results/b.tsv": "metadata:sha256",
        "results/c.tsv": "export_manifest",
    }
    assert found["sha256_lookup"] == {"export_manifest": 2, "s3_head": 1, "manifest_unused": None}


def test_invariant_25_an_object_changed_since_the_export_without_a_sha256_in_s3_is_refused_not_guessed():
    manifest = manifest_text()
    s3 = Registration()
    s3.reads_receipt(receipt_text(manifest))
    later = VERIFIED_AT + datetime.timedelta(hours=1)
    s3.lists(*(listed(path, data, later if path == "results/c.tsv" else EXPORTED_AT) for path, data in FILES.items()))
    s3.reads_manifest(manifest)
    s3.heads("results/c.tsv", FILES["results/c.tsv"], with_sha256=False)
    with pytest.raises(dewey.RegistrationError, match=r"no SHA-256 for 1 selected object.*results/c\.tsv"):
        s3.plan()


@pytest.mark.parametrize("case", ["receipt_names_no_manifest", "manifest_is_not_the_receipts", "manifest_is_missing"])
def test_invariant_25_without_a_verified_manifest_every_object_is_headed_as_before(case):
    manifest = manifest_text()
    s3 = Registration()
    if case == "receipt_names_no_manifest":
        s3.reads_receipt(receipt_text())
    else:
        s3.reads_receipt(receipt_text(manifest))
    s3.lists(*(listed(path, data) for path, data in FILES.items()))
    if case == "manifest_is_not_the_receipts":  # rewritten after the receipt recorded its digest
        s3.reads_manifest(manifest_text(**{"results/a.tsv": {"sha256": "0" * 64}}))
    elif case == "manifest_is_missing":
        s3.stubber.add_client_error(
            "get_object", "NoSuchKey", http_status_code=404, expected_params={"Bucket": BUCKET, "Key": MANIFEST_KEY}
        )
    for path, data in FILES.items():
        s3.heads(path, data)
    found = s3.plan()
    assert registered_digests(found) == {path: sha256(data) for path, data in FILES.items()}
    assert {record["sha256_source"] for record in found["selected"]} == {"metadata:sha256"}
    lookup = found["sha256_lookup"]
    assert (lookup["export_manifest"], lookup["s3_head"]) == (0, 3)
    assert {
        "receipt_names_no_manifest": "names no export manifest",
        "manifest_is_not_the_receipts": "is not the one the receipt's manifest_sha256 names",
        "manifest_is_missing": "does not exist",
    }[case] in lookup["manifest_unused"]


def test_an_unverified_export_receipt_is_refused_before_the_listing_and_any_head():
    s3 = Registration()
    s3.reads_receipt(receipt_text(manifest_text(), verified=False))
    with pytest.raises(dewey.RegistrationError, match="not a verified success"):
        s3.plan()
