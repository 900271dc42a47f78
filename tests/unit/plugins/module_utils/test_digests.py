"""Unit tests for plugins/module_utils/digests.py: parallel SHA-256 and S3's ChecksumSHA256 form."""

import base64
import hashlib
import os

import pytest

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import digests
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.digests import DigestError

EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
EMPTY_CHECKSUM = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="  # what S3 returns as ChecksumSHA256 of an empty object


def write(path, data):
    path.write_bytes(data)
    return str(path)


@pytest.mark.parametrize("size", [0, 1, 2047, 2048, 65536, 3 * 1024 + 7])
def test_sha256_file_matches_hashlib(tmp_path, size):
    data = os.urandom(size)
    path = write(tmp_path / "f", data)
    assert digests.sha256_file(path) == hashlib.sha256(data).hexdigest()


def test_sha256_file_reads_in_chunks_and_reuses_a_buffer_per_chunk_size(tmp_path):
    data = os.urandom(10 * 1000 + 3)
    path = write(tmp_path / "f", data)
    assert digests.sha256_file(path, chunk_size=1000) == hashlib.sha256(data).hexdigest()
    assert digests.sha256_file(path, chunk_size=4096) == hashlib.sha256(data).hexdigest()
    assert digests.sha256_file(path) == hashlib.sha256(data).hexdigest()


def test_sha256_file_of_an_empty_file_and_a_unicode_name(tmp_path):
    path = write(tmp_path / "caf\u00e9 \u6587\u4ef6.txt", b"")
    assert digests.sha256_file(path) == EMPTY_SHA256
    assert digests.sha256_file_base64(path) == EMPTY_CHECKSUM


def test_sha256_file_missing_raises_oserror(tmp_path):
    with pytest.raises(FileNotFoundError):
        digests.sha256_file(str(tmp_path / "missing"))


def test_sha256_bytes():
    assert digests.sha256_bytes(b"") == EMPTY_SHA256
    assert digests.sha256_bytes("\u00e9") == hashlib.sha256("\u00e9".encode("utf-8")).hexdigest()


@pytest.mark.parametrize("workers", [1, 3, 8])
def test_sha256_files_yields_every_path_in_input_order(tmp_path, workers):
    files = []
    for index in range(60):
        data = os.urandom(index * 37)
        files.append((write(tmp_path / ("f%02d" % index), data), hashlib.sha256(data).hexdigest()))
    results = list(digests.sha256_files((path for path, _digest in files), workers=workers, chunk_size=64))
    assert results == files


def test_sha256_files_streams_with_a_bounded_window(tmp_path):
    path = write(tmp_path / "f", b"x")
    consumed = []

    total = 100000

    def paths():
        for index in range(total):
            consumed.append(index)
            yield path

    stream = digests.sha256_files(paths(), workers=2)
    first = next(stream)
    assert first == (path, hashlib.sha256(b"x").hexdigest())
    assert len(consumed) <= 2 * digests.QUEUE_FACTOR * digests.BATCH_FILES + 1  # not the whole generator
    stream.close()  # shuts the pool down
    assert len(consumed) < total


def test_big_files_are_batches_of_their_own(tmp_path, monkeypatch):
    monkeypatch.setattr(digests, "BATCH_BYTES", 100)
    small = [write(tmp_path / ("s%d" % index), b"s") for index in range(3)]
    big = [write(tmp_path / ("b%d" % index), b"b" * 100) for index in range(2)]
    batches = list(digests._batches(small + big + small, digests.BATCH_BYTES, 2))  # pylint: disable=protected-access
    assert batches == [small[:2], [small[2], big[0]], [big[1]], small[:2], small[2:]]
    missing = str(tmp_path / "missing")
    assert list(digests._batches([missing], 100, 2)) == [[missing]]  # pylint: disable=protected-access


def test_sha256_files_raises_the_error_of_an_unreadable_file_at_its_position(tmp_path):
    good = write(tmp_path / "good", b"ok")
    results = digests.sha256_files([good, str(tmp_path / "vanished"), good], workers=2)
    assert next(results)[0] == good
    with pytest.raises(FileNotFoundError):
        next(results)
    with pytest.raises(StopIteration):
        next(results)


def test_sha256_files_of_nothing_and_bad_worker_counts():
    assert not list(digests.sha256_files([], workers=2))
    with pytest.raises(ValueError, match="at least 1"):
        list(digests.sha256_files(["x"], workers=0))


def test_default_workers_is_cpu_count_capped_at_eight(monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    assert digests.default_workers() == 8
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert digests.default_workers() == 2
    monkeypatch.setattr(os, "cpu_count", lambda: None)
    assert digests.default_workers() == 1


def test_base64_form_is_s3_checksum_sha256():
    assert digests.hex_to_base64(EMPTY_SHA256) == EMPTY_CHECKSUM
    assert digests.hex_to_base64(EMPTY_SHA256.upper()) == EMPTY_CHECKSUM
    assert digests.base64_to_hex(EMPTY_CHECKSUM) == EMPTY_SHA256
    digest = hashlib.sha256(b"daylily").digest()
    assert digests.base64_to_hex(base64.b64encode(digest).decode()) == digest.hex()


@pytest.mark.parametrize("value", ["", "abc", "g" * 64, EMPTY_SHA256[:-1], 12, None])
def test_hex_to_base64_refuses_non_digests(value):
    with pytest.raises(DigestError):
        digests.hex_to_base64(value)


@pytest.mark.parametrize("value, fragment", [
    (EMPTY_CHECKSUM[:-1] + "-3", "composite"),
    ("not base64!", "not valid base64"),
    (base64.b64encode(b"short").decode(), "not 32"),
    ("", "expected"),
    (None, "expected"),
])
def test_base64_to_hex_refuses_composite_and_malformed_checksums(value, fragment):
    with pytest.raises(DigestError, match=fragment):
        digests.base64_to_hex(value)


def test_is_sha256_hex_never_accepts_an_etag():
    assert digests.is_sha256_hex(EMPTY_SHA256)
    assert not digests.is_sha256_hex('"d41d8cd98f00b204e9800998ecf8427e"')
    assert not digests.is_sha256_hex("d41d8cd98f00b204e9800998ecf8427e-2")
    assert not digests.is_sha256_hex(EMPTY_SHA256.upper())
    assert not digests.is_sha256_hex(None)
