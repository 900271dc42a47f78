"""Unit tests for plugins/module_utils/digests.py: parallel SHA-256 and S3's ChecksumSHA256 form."""

import base64
import concurrent.futures
import hashlib
import itertools
import os
import threading

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


def test_sha256_file_reads_a_big_file_to_its_end_in_small_chunks(tmp_path):
    data = os.urandom(3 * digests.FIRST_READ + 1234)  # past the two plain reads, into the reusable buffer
    path = write(tmp_path / "f", data)
    assert digests.sha256_file(path, chunk_size=1000) == hashlib.sha256(data).hexdigest()
    assert digests.sha256_file(path) == hashlib.sha256(data).hexdigest()


def test_sha256_file_follows_symlinks_and_names_the_file_in_errors(tmp_path):
    data = b"target"
    target = write(tmp_path / "target", data)
    os.symlink(target, str(tmp_path / "link"))
    assert digests.sha256_file(str(tmp_path / "link")) == hashlib.sha256(data).hexdigest()
    with pytest.raises(IsADirectoryError) as raised:  # os.open accepts a directory, the read refuses it
        digests.sha256_file(str(tmp_path))
    assert raised.value.filename == str(tmp_path)


def small_and_big(tmp_path, monkeypatch, pattern):
    """Files following ``pattern`` ("s" small, "b" big, with SMALL_FILE_BYTES at 100) as [(path, size, digest)]."""
    monkeypatch.setattr(digests, "SMALL_FILE_BYTES", 100)
    files = []
    for index, kind in enumerate(pattern):
        data = os.urandom(7 + index if kind == "s" else 100 + index)
        files.append((write(tmp_path / ("f%02d" % index), data), len(data), hashlib.sha256(data).hexdigest()))
    return files


def record_threads(monkeypatch):
    """Patch sha256_file to record, per path, whether it ran in the calling thread."""
    caller = threading.get_ident()
    where = {}
    real = digests.sha256_file

    def sha256_file(path, chunk_size=digests.CHUNK_SIZE):
        where[path] = threading.get_ident() == caller
        return real(path, chunk_size)

    monkeypatch.setattr(digests, "sha256_file", sha256_file)
    return where


@pytest.mark.parametrize("workers", [1, 2, 3, 8])
@pytest.mark.parametrize("sized", [True, False])
def test_sha256_files_yields_every_path_in_input_order(tmp_path, monkeypatch, workers, sized):
    files = small_and_big(tmp_path, monkeypatch, "bsssbbsbssbbbbbbbbbbbbs" + "s" * 40 + "b")
    items = [(path, size) if sized else path for path, size, _digest in files]
    results = list(digests.sha256_files(iter(items), workers=workers, chunk_size=64))
    assert results == [(path, digest) for path, _size, digest in files]


def test_small_files_are_hashed_inline_and_big_ones_in_the_pool(tmp_path, monkeypatch):
    files = small_and_big(tmp_path, monkeypatch, "sbsbbs")
    where = record_threads(monkeypatch)
    results = list(digests.sha256_files([(path, size) for path, size, _digest in files], workers=2))
    assert [digest for _path, digest in results] == [digest for _path, _size, digest in files]
    assert where == {path: size < 100 for path, size, _digest in files}


def test_the_size_given_decides_and_files_of_unknown_size_are_measured(tmp_path, monkeypatch):
    files = small_and_big(tmp_path, monkeypatch, "sb")
    (small, small_size, small_digest), (big, big_size, big_digest) = files
    where = record_threads(monkeypatch)
    # a stale size only moves a file between the caller and the pool: both read it to its end
    items = [(small, big_size), (big, small_size)]
    assert list(digests.sha256_files(items, workers=2)) == [(small, small_digest), (big, big_digest)]
    assert where == {small: False, big: True}
    where.clear()
    assert list(digests.sha256_files([small, big], workers=2)) == [(small, small_digest), (big, big_digest)]
    assert where == {big: False}  # the small one was hashed inline from its open descriptor


def test_one_worker_means_no_thread_at_all(tmp_path, monkeypatch):
    files = small_and_big(tmp_path, monkeypatch, "sbsb")

    def no_pool(*args, **kwargs):
        raise AssertionError("no thread pool with workers=1")

    monkeypatch.setattr(concurrent.futures, "ThreadPoolExecutor", no_pool)
    where = record_threads(monkeypatch)
    results = list(digests.sha256_files(((path, size) for path, size, _digest in files), workers=1))
    assert results == [(path, digest) for path, _size, digest in files]
    assert all(where.values()) and len(where) == 4


def consumed_generator(items, consumed, signal_at=None, signal=None):
    """Yield ``items``, recording each in ``consumed``; set ``signal`` once ``signal_at`` items were handed out."""
    for item in items:
        consumed.append(item)
        if signal is not None and len(consumed) == signal_at:
            signal.set()
        yield item


def test_sha256_files_streams_small_files_without_reading_ahead(tmp_path):
    path = write(tmp_path / "f", b"x")
    consumed = []
    stream = digests.sha256_files(consumed_generator(itertools.repeat((path, 1), 100000), consumed), workers=2)
    assert next(stream) == (path, hashlib.sha256(b"x").hexdigest())
    assert len(consumed) == 1  # nothing ahead of it: yielded at once
    stream.close()


def test_big_files_in_flight_are_bounded(tmp_path, monkeypatch):
    files = small_and_big(tmp_path, monkeypatch, "b")
    big, size, digest = files[0]
    release = threading.Event()
    real = digests.sha256_file

    def slow(path, chunk_size=digests.CHUNK_SIZE):
        release.wait(10)
        return real(path, chunk_size)

    monkeypatch.setattr(digests, "sha256_file", slow)
    consumed = []
    # The first big file finishes only once the window is full, so reading further would show in `consumed`.
    bound = 2 * digests.QUEUE_FACTOR
    stream = digests.sha256_files(
        consumed_generator(itertools.repeat((big, size), 1000), consumed, bound, release), workers=2
    )
    try:
        assert next(stream) == (big, digest)
        assert len(consumed) == bound  # the caller waited for the first big file once 2 * QUEUE_FACTOR were in flight
    finally:
        release.set()
        stream.close()


def test_results_queued_behind_a_big_file_are_bounded(tmp_path, monkeypatch):
    files = small_and_big(tmp_path, monkeypatch, "bs")
    (big, big_size, big_digest), (small, small_size, _small_digest) = files
    monkeypatch.setattr(digests, "MAX_QUEUED_RESULTS", 50)
    release = threading.Event()
    real = digests.sha256_file

    def slow_big(path, chunk_size=digests.CHUNK_SIZE):
        if path == big:
            release.wait(10)
        return real(path, chunk_size)

    monkeypatch.setattr(digests, "sha256_file", slow_big)
    consumed = []
    items = itertools.chain([(big, big_size)], itertools.repeat((small, small_size), 1000))
    stream = digests.sha256_files(consumed_generator(items, consumed, 50, release), workers=2)
    try:
        assert next(stream) == (big, big_digest)
        assert len(consumed) == 50  # small files hashed meanwhile, up to MAX_QUEUED_RESULTS results held
    finally:
        release.set()
        stream.close()


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("pattern", ["sXs", "bXs", "bbXb", "sbXsb"])
def test_sha256_files_raises_the_error_of_an_unreadable_file_at_its_position(tmp_path, monkeypatch, workers, pattern):
    files = small_and_big(tmp_path, monkeypatch, pattern.replace("X", "s"))
    missing = pattern.index("X")
    items = [(path, size) for path, size, _digest in files]
    items[missing] = (str(tmp_path / "vanished"), 1)
    results = digests.sha256_files(items, workers=workers)
    for path, _size, digest in files[:missing]:
        assert next(results) == (path, digest)
    with pytest.raises(FileNotFoundError):
        next(results)
    with pytest.raises(StopIteration):
        next(results)


def test_an_unreadable_big_file_raises_at_its_position(tmp_path, monkeypatch):
    files = small_and_big(tmp_path, monkeypatch, "sbs")
    items = [(path, size) for path, size, _digest in files]
    items[1] = (str(tmp_path / "vanished"), 1000)
    results = digests.sha256_files(items, workers=2)
    assert next(results) == (files[0][0], files[0][2])
    with pytest.raises(FileNotFoundError):
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


@pytest.mark.parametrize(
    "value, fragment",
    [
        (EMPTY_CHECKSUM[:-1] + "-3", "composite"),
        ("not base64!", "not valid base64"),
        (base64.b64encode(b"short").decode(), "not 32"),
        ("", "expected"),
        (None, "expected"),
    ],
)
def test_base64_to_hex_refuses_composite_and_malformed_checksums(value, fragment):
    with pytest.raises(DigestError, match=fragment):
        digests.base64_to_hex(value)


def test_is_sha256_hex_never_accepts_an_etag():
    assert digests.is_sha256_hex(EMPTY_SHA256)
    assert not digests.is_sha256_hex('"d41d8cd98f00b204e9800998ecf8427e"')
    assert not digests.is_sha256_hex("d41d8cd98f00b204e9800998ecf8427e-2")
    assert not digests.is_sha256_hex(EMPTY_SHA256.upper())
    assert not digests.is_sha256_hex(None)
