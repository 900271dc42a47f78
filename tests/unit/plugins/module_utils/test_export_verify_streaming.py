"""Export verification holds no per-file state (bench row 6c): the manifest is written to a file as it is produced,
the S3 listing is read page by page into a file, and the manifest, the listing and the FSx inventory are compared as
sorted streams (a merge-join), with the same failures the dict-based comparison reported.

S3 lists keys in UTF-8 byte order; Python orders strings by code point, which is the same order (UTF-16 order, for
one, is not: U+FF5A sorts after U+1F600 there). The listings below are built in UTF-8 byte order, as S3 sends them.
"""

from __future__ import annotations

import base64
import hashlib
import io
import random
import tracemalloc

import pytest
from botocore.response import StreamingBody

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import export
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import s3_objects
from testlib.export_verification import PREFIX
from testlib.export_verification import TIMESTAMP
from testlib.export_verification import listing_of
from testlib.export_verification import queue_export
from testlib.export_verification import stubbed_s3
from testlib.export_verification import utf8_ordered
from testlib.export_verification import verify_export
from testlib.modules import FileBody

# names whose code-point (= UTF-8 byte) order differs from UTF-16's and from a naive ASCII-first order
NON_ASCII = ["a.txt", "a/\u00e9.txt", "\u00e9t\u00e9.txt", "\uff5a.txt", "\U0001f600.txt", "Z.txt", "a-b.txt"]


def inventory_files(names, size=7):
    return [{"path": name, "size": size, "type": "file", "sha256": "%064x" % len(name)} for name in sorted(names)]


def dict_compare(files, listing):
    """What the comparison of whole dicts (the code before streaming) reports."""
    manifest = export.load_manifest(export.dump_manifest(export.manifest_entries(files)))
    objects = {key[len(PREFIX) :]: size for key, size in listing if export.is_exported_key(key[len(PREFIX) :])}
    return export.compare_with_s3(manifest, objects)


def streamed_compare(files, listing, directory):
    manifest = export.write_manifest(files, str(directory))
    listed = export.write_listing(iter(listing), PREFIX, str(directory))
    return manifest, listed, export.compare_with_s3(manifest, listed.objects)


# ----------------------------------------------------------------------------------------------------------------
# the merge-join


def test_matching_export_streams_in_utf8_byte_order_with_no_failure(tmp_path):
    files = inventory_files(NON_ASCII)
    listing = listing_of(files) + [(PREFIX + "_daylily_monitor/fsx-export/x/fsx_export.yaml", 9), (PREFIX + "a/", 0)]

    manifest, listed, failures = streamed_compare(files, utf8_ordered(listing), tmp_path)

    assert failures == []
    assert listed.objects.in_order  # read back as listed: nothing sorted or held in memory
    assert (listed.count, listed.total_bytes) == (len(NON_ASCII), 7 * len(NON_ASCII))
    assert [path for path, _entry in manifest.items()] == [key[len(PREFIX) :] for key, _size in listing_of(files)]


def test_a_file_missing_from_s3_is_reported_as_before(tmp_path):
    files = inventory_files(NON_ASCII)
    listing = listing_of(files, changes={"\uff5a.txt": None, "a/\u00e9.txt": None})

    failures = streamed_compare(files, listing, tmp_path)[2]

    assert failures == dict_compare(files, listing)
    assert [failure["expected"] for failure in failures] == [["a/\u00e9.txt", "\uff5a.txt"]]
    assert failures[0]["message"].startswith("manifest: 2 exported file(s) are not in S3: ")


def test_an_object_no_file_explains_is_reported_as_before(tmp_path):
    files = inventory_files(NON_ASCII)
    listing = listing_of(files, changes={"\U0001f600-extra.txt": 3, "0.txt": 1})

    failures = streamed_compare(files, listing, tmp_path)[2]

    assert failures == dict_compare(files, listing)
    assert [failure["actual"] for failure in failures] == [["0.txt", "\U0001f600-extra.txt"]]


def test_a_size_mismatch_is_reported_with_both_sizes_as_before(tmp_path):
    files = inventory_files(NON_ASCII)
    listing = listing_of(files, changes={"\u00e9t\u00e9.txt": 8})

    failures = streamed_compare(files, listing, tmp_path)[2]

    assert failures == dict_compare(files, listing)
    assert failures[0]["actual"] == ["\u00e9t\u00e9.txt"]
    assert "\u00e9t\u00e9.txt (manifest 7, S3 8 bytes)" in failures[0]["message"]


def test_every_kind_of_difference_at_once_and_more_than_a_message_names(tmp_path):
    files = inventory_files(["f%03d" % index for index in range(40)] + NON_ASCII)
    changes = {"f%03d" % index: None for index in range(0, 40, 3)}
    changes.update({"f%03d" % index: 99 for index in range(1, 40, 5)})
    changes.update({"g%03d" % index: 1 for index in range(9)})
    listing = listing_of(files, changes=changes)

    assert streamed_compare(files, listing, tmp_path)[2] == dict_compare(files, listing)


def test_a_listing_out_of_utf8_order_is_noticed_and_still_compared_correctly(tmp_path):
    files = inventory_files(NON_ASCII)
    listing = listing_of(files, changes={"\u00e9t\u00e9.txt": 8})[::-1]

    _manifest, listed, failures = streamed_compare(files, listing, tmp_path)

    assert not listed.objects.in_order
    assert failures == dict_compare(files, listing)


def test_drift_against_a_manifest_file_and_the_inventory_records_is_what_the_dicts_gave(tmp_path):
    before = inventory_files(NON_ASCII)
    now = [dict(record) for record in before if record["path"] != "Z.txt"]
    now[0]["sha256"] = "f" * 64
    now.append({"path": "\U0001f600/new.txt", "size": 1, "type": "file"})
    now.append({"path": "a", "size": 0, "type": "directory"})
    manifest = export.write_manifest(before, str(tmp_path))
    by_path = export.load_manifest(export.dump_manifest(export.manifest_entries(before)))

    drift = export.fsx_drift(manifest, export.FileRecords(now))

    assert drift == export.fsx_drift(by_path, export.manifest_entries(now))
    assert drift == {"added": ["\U0001f600/new.txt"], "changed": [now[0]["path"]], "removed": ["Z.txt"]}


def test_an_unsorted_inventory_gives_the_manifest_the_sorted_one_gives(tmp_path):
    files = inventory_files(NON_ASCII)
    shuffled = files[3:] + files[:3] + [{"path": "d", "size": 0, "type": "directory"}]

    written = export.write_manifest(shuffled, str(tmp_path))

    text = export.dump_manifest(export.manifest_entries(files))
    assert open(written.path, encoding="ascii").read() == text
    assert written.sha256 == export.manifest_sha256(text)


def test_a_downloaded_manifest_reads_back_as_load_manifest_reads_it(tmp_path):
    text = '{"path":"b","size":2}\r\n\r\n{"path":"a","size":1,"extra":true}\u2028{"path":"a","size":3}\n'
    path = tmp_path / "m.jsonl"
    path.write_bytes(text.encode("utf-8"))

    entry_file = export.EntryFile.read(str(path))

    assert not entry_file.in_order
    assert list(entry_file.items()) == sorted(export.load_manifest(text).items())
    path.write_bytes(b'{"path":"a","size":1}\n{"size":1}\n')
    with pytest.raises(ValueError, match="line 2 is not a manifest entry"):
        export.EntryFile.read(str(path))


# ----------------------------------------------------------------------------------------------------------------
# memory: what verifying an export adds does not grow with its file count


@pytest.fixture
def s3():
    with stubbed_s3() as stubbed:
        yield stubbed


def many_files(count):
    """analysis_inventory ``files`` of ``count`` files in 100 directories, sorted by path as it lists them."""
    files = [
        {
            "path": "d%02d/f%06d.txt" % (index % 100, index),
            "size": 64 + index % 64,
            "type": "file",
            "sha256": "%064x" % index,
        }
        for index in range(count)
    ]
    return sorted(files, key=lambda record: record["path"])


def peak_verifying(s3, files, scratch):
    stubber, client = s3
    queue_export(stubber, files)  # the inventory and S3's answers exist before; what verifying adds is measured
    tracemalloc.start()
    try:
        failures, drift = verify_export(client, files, str(scratch))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert failures == [] and not any(drift.values())
    return peak


def test_verifying_20000_files_needs_no_more_memory_than_2000(s3, tmp_path):
    warm, small, large = tmp_path / "warm", tmp_path / "small", tmp_path / "large"
    for scratch in (warm, small, large):
        scratch.mkdir()
    peak_verifying(s3, many_files(100), warm)  # botocore's models and caches load on first use, not per file
    peak_small = peak_verifying(s3, many_files(2_000), small)
    peak_large = peak_verifying(s3, many_files(20_000), large)

    # A {path: entry} of the manifest alone would add ~400 bytes per file, over 7 MB for the 18,000 more; streams
    # add nothing per file: the two peaks differ by noise (buffers, interpreter caches), far under 1 MiB.
    assert peak_large - peak_small < 1024 * 1024, (peak_small, peak_large)


# ----------------------------------------------------------------------------------------------------------------
# the S3 calls that stream (s3_objects)


def test_a_listing_throttled_midway_is_consumed_again_from_the_first_page(s3):
    stubber, client = s3
    first = {"Bucket": "b", "Prefix": "p/"}
    page1 = {"Contents": [{"Key": "p/a", "Size": 1}], "IsTruncated": True, "NextContinuationToken": "t"}
    stubber.add_response("list_objects_v2", page1, first)
    stubber.add_client_error(
        "list_objects_v2",
        "SlowDown",
        "reduce your request rate",
        503,
        {"Bucket": "b", "Prefix": "p/", "ContinuationToken": "t"},
    )
    stubber.add_response("list_objects_v2", page1, first)
    stubber.add_response(
        "list_objects_v2",
        {"Contents": [{"Key": "p/\u00e9", "Size": 2}], "IsTruncated": False},
        {"Bucket": "b", "Prefix": "p/", "ContinuationToken": "t"},
    )
    consumed = []

    def consume(pairs):
        consumed.append([])
        for pair in pairs:
            consumed[-1].append(pair)
        return len(consumed[-1])

    assert s3_objects.scan_objects(client, "b", "p/", consume) == 2
    assert consumed == [[("p/a", 1)], [("p/a", 1), ("p/\u00e9", 2)]]


def test_read_object_hands_over_the_pieces_and_their_digest_and_none_when_missing(s3):
    stubber, client = s3
    data = b"x" * (s3_objects.TRANSFER_CHUNK + 5)
    stubber.add_response(
        "get_object", {"Body": StreamingBody(io.BytesIO(data), len(data))}, {"Bucket": "b", "Key": "k"}
    )
    stubber.add_client_error("get_object", "NoSuchKey", "missing", 404, expected_params={"Bucket": "b", "Key": "gone"})
    pieces = []

    assert s3_objects.read_object(client, "b", "k", pieces.append) == hashlib.sha256(data).hexdigest()
    assert [len(piece) for piece in pieces] == [s3_objects.TRANSFER_CHUNK, 5]
    assert s3_objects.read_object(client, "b", "gone") is None


def test_put_file_sends_the_whole_file_again_after_a_throttle_with_its_checksum(s3, tmp_path):
    stubber, client = s3
    data = b'{"path":"a","size":1}\n'
    path = tmp_path / "manifest.jsonl"
    path.write_bytes(data)
    checksum = base64.b64encode(hashlib.sha256(data).digest()).decode()
    expected = {
        "Bucket": "b",
        "Key": "m.jsonl",
        "Body": FileBody(data),
        "ContentType": "application/x-ndjson",
        "ChecksumSHA256": checksum,
    }
    stubber.add_client_error("put_object", "SlowDown", "reduce your request rate", 503, expected_params=expected)
    stubber.add_response("put_object", {"ETag": '"etag"'}, expected)

    s3_objects.put_file(client, "b", "m.jsonl", str(path), hashlib.sha256(data).hexdigest(), "application/x-ndjson")


# ----------------------------------------------------------------------------------------------------------------
# the preflight's foreign objects: the listing and every attempt's manifest walked side by side


def foreign_by_sets(listing, attempts, fsx_entries):
    """The set-based rule the preflight applied before streaming (the reference the merge must agree with)."""
    known = {attempt.timestamp for attempt in attempts}
    registered = any(export.is_verified(attempt.receipt) for attempt in attempts)
    written = set()
    for attempt in attempts:
        written.update(attempt.manifest if attempt.manifest is not None else (entry["path"] for entry in fsx_entries))
    monitor = export.MONITOR_DIR + "/fsx-export/"
    foreign = []
    for key in sorted(listing):
        if key.endswith("/") or (registered and key.startswith(export.REGISTRATION_PREFIX)):
            continue
        if key.startswith(monitor):
            found = export.attempt_of_key(key[len(monitor) :])
            if found is None or found[0] not in known:
                foreign.append(key)
        elif key not in written:
            foreign.append(key)
    return foreign


@pytest.mark.parametrize("seed", range(30))
def test_foreign_objects_walked_side_by_side_are_the_ones_the_sets_found(seed, tmp_path):
    chooser = random.Random(seed)
    names = NON_ASCII + ["f%02d" % index for index in range(12)] + ["a/", "\u00e9/"]
    monitor = ["_daylily_monitor/fsx-export/%s/fsx_export.yaml" % stamp for stamp in (TIMESTAMP, "20260101T000000Z")]
    monitor += ["_daylily_monitor/dewey/dewey_registration_receipt.json", "_daylily_monitor/fsx-export/junk"]
    listing = {name: 1 for name in chooser.sample(names + monitor, chooser.randint(0, len(names + monitor)))}
    fsx_entries = [{"path": name, "size": 1} for name in sorted(chooser.sample(names, 5))]
    verified = {"status": "success", "verified": True}
    attempts = []
    for stamp in chooser.sample([TIMESTAMP, "20260201T000000Z", "20260301T000000Z"], chooser.randint(0, 3)):
        written = inventory_files(chooser.sample(names, chooser.randint(0, 8)))
        manifest = export.write_manifest(written, str(tmp_path)) if chooser.random() < 0.7 else None
        attempts.append(export.Attempt(stamp, verified if chooser.random() < 0.3 else {}, manifest))
    spooled = export.write_listing(
        utf8_ordered((PREFIX + key, 1) for key in listing), PREFIX, str(tmp_path), keep=lambda _key: True
    )

    expected = foreign_by_sets(listing, attempts, fsx_entries)
    assert export.foreign_objects(listing, attempts, fsx_entries) == expected
    assert export.foreign_objects(spooled.objects, attempts, export.FileRecords(fsx_entries)) == expected
