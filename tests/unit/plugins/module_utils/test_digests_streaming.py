"""Streaming and read-size guarantees of plugins/module_utils/digests.py and inventory.py (bench rows 1 and 6 of issue 15):
digests stay byte-identical to hashlib across every read boundary, big files are read in L2-sized pieces, inputs are
pulled lazily and the walk lists one directory at a time, and undecodable names are counted without being hoarded."""

import hashlib
import itertools
import os

import pytest

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import digests
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import inventory

FIRST = digests.FIRST_READ
CHUNK = digests.CHUNK_SIZE
#: Sizes on each side of every place the reading changes: the two plain reads, the reused buffer, the pool threshold.
BOUNDARY_SIZES = [
    FIRST - 1,
    FIRST,
    2 * FIRST,
    2 * FIRST + 1,
    2 * FIRST + CHUNK - 1,
    2 * FIRST + CHUNK,
    2 * FIRST + CHUNK + 1,
    digests.SMALL_FILE_BYTES - 1,
    digests.SMALL_FILE_BYTES,
    3 * CHUNK + 5,
]


@pytest.fixture(scope="module")
def boundary_files(tmp_path_factory):
    """``[(path, size, hex digest by hashlib)]`` of files whose sizes straddle the read boundaries."""
    root = tmp_path_factory.mktemp("boundaries")
    block = os.urandom(max(BOUNDARY_SIZES))
    files = []
    for size in BOUNDARY_SIZES:
        path = root / ("f%09d" % size)
        path.write_bytes(block[:size])
        files.append((str(path), size, hashlib.sha256(block[:size]).hexdigest()))
    return files


def test_digests_across_read_boundaries_equal_hashlib_in_the_caller_and_in_the_pool(boundary_files):
    expected = [(path, digest) for path, _size, digest in boundary_files]

    assert [(path, digests.sha256_file(path)) for path, _size, _digest in boundary_files] == expected
    assert list(digests.sha256_files([(path, size) for path, size, _digest in boundary_files], workers=2)) == expected
    assert list(digests.sha256_files([path for path, _size, _digest in boundary_files], workers=2)) == expected
    assert list(digests.sha256_files([path for path, _size, _digest in boundary_files], workers=1)) == expected


def test_big_files_are_read_in_pieces_that_fit_a_core_l2_cache(boundary_files, monkeypatch):
    # 8 MiB reads were copied to L3 and hashed from there: ~10 % more CPU per byte (tests/bench/digests_row.py)
    sizes = []
    real_readv = os.readv

    def recording_readv(fd, buffers):
        sizes.extend(len(buffer) for buffer in buffers)
        return real_readv(fd, buffers)

    monkeypatch.setattr(digests.os, "readv", recording_readv)
    path, _size, digest = boundary_files[-1]

    assert digests.sha256_file(path) == digest
    assert sizes and max(sizes) <= 1024 * 1024


def test_sha256_files_pulls_small_files_one_at_a_time(boundary_files):
    small = [(path, size) for path, size, _digest in boundary_files if size < digests.SMALL_FILE_BYTES]
    pulled = []
    endless = (pulled.append(item) or item for item in itertools.cycle(small))

    first = list(itertools.islice(digests.sha256_files(endless, workers=2), 50))

    assert len(first) == 50
    assert len(pulled) == 50  # nothing read ahead: a generator of a million paths never sits in memory


def test_sha256_files_reads_ahead_at_most_the_files_in_flight(boundary_files):
    big = [(path, size) for path, size, _digest in boundary_files if size >= digests.SMALL_FILE_BYTES]
    pulled = []
    endless = (pulled.append(item) or item for item in itertools.cycle(big))
    workers = 2

    first = list(itertools.islice(digests.sha256_files(endless, workers=workers), 10))

    assert len(first) == 10
    assert len(pulled) <= 10 + workers * digests.QUEUE_FACTOR


def test_scan_tree_lists_one_directory_at_a_time(tmp_path, monkeypatch):
    for directory in range(30):
        (tmp_path / ("d%02d" % directory)).mkdir()
        for index in range(3):
            (tmp_path / ("d%02d" % directory) / ("f%d" % index)).write_bytes(b"x" * index)
    listed = []
    real_scandir = os.scandir
    monkeypatch.setattr(inventory.os, "scandir", lambda path: (listed.append(path), real_scandir(path))[1])

    records = inventory.scan_tree(str(tmp_path), checksum=True)
    first = next(records)

    assert first == {"path": "d00/f0", "size": 0, "type": "file", "sha256": hashlib.sha256(b"").hexdigest()}
    assert len(listed) == 2  # the root and d00, not the 30 directories
    assert sum(1 for _record in records) == 89
    assert len(listed) == 31


def test_undecodable_names_are_all_counted_and_only_the_first_kept(tmp_path):
    count = inventory.UNDECODABLE_KEPT + 5
    for index in range(count):
        with open(os.path.join(os.fsencode(str(tmp_path)), b"bad%02d\xff" % index), "wb") as handle:
            handle.write(b"1")
    counts = inventory.TreeCounts()

    records = list(inventory.scan_tree(str(tmp_path), counts=counts))

    assert len(records) == count == counts.file_count
    assert counts.undecodable_count == count
    assert counts.undecodable_paths == ["bad%02d\\xff" % index for index in range(inventory.UNDECODABLE_KEPT)]
    assert "undecodable_count" not in counts.as_dict() and "undecodable_paths" not in counts.as_dict()
