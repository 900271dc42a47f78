# -*- coding: utf-8 -*-
# Copyright: Daylily ephemeral cluster maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SHA-256 of files, computed in parallel, for daylily.ephemeral_cluster.

Pure standard-library code (no Ansible, no boto3), Python >= 3.9, POSIX: it runs on the controller and on the headnode.

* :func:`sha256_file` hashes one file with file-descriptor calls, no file object: a small file takes two plain
  ``os.read`` calls (the second sees EOF), a big one goes on with ``os.readv`` of up to :data:`CHUNK_SIZE` into a
  buffer reused per thread, so hashing 100k files neither builds 100k file objects nor allocates 100k big buffers.
* :func:`sha256_files` hashes many files in input order. Small files (below :data:`SMALL_FILE_BYTES`) are hashed in
  the calling thread: for them a thread-pool round trip, and the GIL hand-offs around every open/read/close, cost
  more than the hash. Big files go to a thread pool, where they hash side by side (``hashlib`` and file reads
  release the GIL) while the caller goes on with the small ones. Items may be ``(path, size)`` pairs when the size
  is already known (a tree walk knows it), which saves a ``stat`` per file. Results stream back in input order
  with a bounded number of big files in flight and of results queued behind them: a generator of a million paths
  never sits in memory.
* :func:`hex_to_base64` / :func:`base64_to_hex` convert between the hex digest (Dewey, manifests) and S3's
  ``ChecksumSHA256`` (base64 of the 32 raw digest bytes).
"""

from __future__ import annotations

import base64
import binascii
import collections
import concurrent.futures
import hashlib
import os
import re
import threading

#: Bytes per read of a big file. A read from the page cache is a copy into the buffer, and hashlib then reads the
#: buffer again: a buffer that fits the core's L2 cache (1 MiB and up on current server cores) is hashed from L2,
#: while 8 MiB reads were hashed from L3 or memory: 4-9 % more CPU per byte in interleaved runs on a 2-core EPYC.
#: Not mmap: it saved no CPU measurably here, and a file truncated while mapped kills the process with SIGBUS.
CHUNK_SIZE = 1024 * 1024
MAX_DEFAULT_WORKERS = 8
#: Big files in flight per worker: enough to keep every worker busy while results are consumed in order.
QUEUE_FACTOR = 4
#: Files below this size are hashed in the calling thread, bigger ones in the pool. Hashing 1 MiB takes most of a
#: millisecond, far more than a pool round trip; for small files the round trip and the GIL hand-offs around
#: every open/read/close cost more than the hash, so threads would make them slower.
SMALL_FILE_BYTES = 1024 * 1024
#: Results (of small files) held behind a big file that is still hashing, at most; then the caller waits for it.
#: About 200 bytes each, so a few MB, and enough for the caller to keep hashing small files meanwhile.
MAX_QUEUED_RESULTS = 16384

#: Size of the first two plain reads of a file (``os.read`` allocates what it asks for; then the reused buffer).
FIRST_READ = 64 * 1024

_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_BINARY", 0)  # os.open makes descriptors non-inheritable already
_HEX_RE = re.compile(r"[0-9a-f]{64}")
_buffers = threading.local()


class DigestError(ValueError):
    """A digest value is malformed (not 64 hex digits, not base64 of 32 bytes, or an S3 composite checksum)."""


def default_workers():
    """``min(8, cpu count)``: the thread count used when none is given."""
    return max(1, min(MAX_DEFAULT_WORKERS, os.cpu_count() or 1))


def _buffer(chunk_size):
    view = getattr(_buffers, "view", None)
    if view is None or len(view) != chunk_size:
        view = memoryview(bytearray(chunk_size))
        _buffers.view = view
    return view


def _sha256_fd(fd, path, chunk_size):
    """Hex SHA-256 of an open file descriptor, read to its end."""
    try:
        # Most files are small: two plain reads (the second one sees EOF) are the cheapest way through them.
        data = os.read(fd, FIRST_READ)
        digest = hashlib.sha256(data)
        if data:
            data = os.read(fd, FIRST_READ)
        if data:  # a big file: read the rest into this thread's reusable buffer
            digest.update(data)
            view = _buffer(chunk_size)
            buffers = [view]
            count = os.readv(fd, buffers)
            while count:
                digest.update(view[:count])
                count = os.readv(fd, buffers)
    except OSError as err:  # name the file, as open's errors do
        if err.filename is None:
            err.filename = path
        raise
    return digest.hexdigest()


def sha256_file(path, chunk_size=CHUNK_SIZE):
    """Return the SHA-256 of the file at ``path`` as 64 lowercase hex digits. Raises ``OSError`` as ``open`` does.

    Symlinks are followed (hash the link itself by not calling this on it).
    """
    fd = os.open(path, _OPEN_FLAGS)
    try:
        return _sha256_fd(fd, path, chunk_size)
    finally:
        os.close(fd)


def sha256_bytes(data):
    """Return the SHA-256 of ``data`` (bytes, or str encoded as UTF-8) as hex."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(data).hexdigest()


def _sha256_unless_big(path, chunk_size):
    """Hex SHA-256 of a file of unknown size, or None when ``fstat`` says it is big (left for the pool)."""
    fd = os.open(path, _OPEN_FLAGS)
    try:
        if os.fstat(fd).st_size >= SMALL_FILE_BYTES:
            return None
        return _sha256_fd(fd, path, chunk_size)
    finally:
        os.close(fd)


class _InOrder:
    """Results in input order: hex digests and OSErrors of small files, futures of big files."""

    __slots__ = ("queue", "in_flight")

    def __init__(self):
        self.queue = collections.deque()
        self.in_flight = 0

    def add(self, path, value):
        self.queue.append((path, value))
        if isinstance(value, concurrent.futures.Future):
            self.in_flight += 1

    def pop_done(self, wait=False):
        """Yield ``(path, hexdigest)`` from the head while it is done (with ``wait``, wait for the first future);
        an OSError is raised when it reaches the head."""
        queue = self.queue
        while queue:
            path, value = queue[0]
            if isinstance(value, concurrent.futures.Future):
                if not (wait or value.done()):
                    return
                wait = False
                queue.popleft()
                self.in_flight -= 1
                value = value.result()
            else:
                queue.popleft()
            if isinstance(value, OSError):
                raise value
            yield path, value


def sha256_files(paths, workers=None, chunk_size=CHUNK_SIZE):
    """Yield ``(path, hexdigest)`` for every item of the iterable ``paths``, in input order.

    An item is a path, or a ``(path, size)`` pair when the size is known (``size`` None: unknown); ``path`` is
    yielded as given. Files below :data:`SMALL_FILE_BYTES` are hashed in the calling thread, bigger ones by a pool
    of ``workers`` threads (default :func:`default_workers`) while the caller continues; with ``workers=1`` there
    is no pool and every file is hashed in the calling thread. At most ``workers * QUEUE_FACTOR`` big files are in
    flight and at most :data:`MAX_QUEUED_RESULTS` results wait behind them, so memory stays bounded whatever the
    number of paths. The first ``OSError`` (a file that vanished or cannot be read) is raised when its position is
    reached; the pool is then shut down and pending work cancelled. A size that changed since it was measured only
    changes where the file is hashed: every file is read to its end.
    """
    workers = default_workers() if workers is None else int(workers)
    if workers < 1:
        raise ValueError("workers must be at least 1, got %d" % workers)
    if workers == 1:
        for item in paths:
            path = item[0] if isinstance(item, tuple) else item
            yield path, sha256_file(path, chunk_size)
        return
    max_in_flight = workers * QUEUE_FACTOR
    results = _InOrder()
    executor = concurrent.futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sha256")
    try:
        for item in paths:
            path, size = item if isinstance(item, tuple) else (item, None)
            try:
                if size is None:
                    value = _sha256_unless_big(path, chunk_size)
                else:
                    value = sha256_file(path, chunk_size) if size < SMALL_FILE_BYTES else None
            except OSError as err:
                value = err
            if value is None:  # a big file
                value = executor.submit(sha256_file, path, chunk_size)
            elif not results.queue:  # nothing ahead of it: no need to queue
                if isinstance(value, OSError):
                    raise value
                yield path, value
                continue
            results.add(path, value)
            if isinstance(value, OSError):
                break  # raised once everything before it is out; nothing after it is needed
            full = results.in_flight >= max_in_flight or len(results.queue) >= MAX_QUEUED_RESULTS
            yield from results.pop_done(wait=full)
        while results.queue:
            yield from results.pop_done(wait=True)
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


def is_sha256_hex(value):
    """True when ``value`` is a SHA-256 hex digest (64 lowercase hex digits). An S3 ETag is never one."""
    return isinstance(value, str) and _HEX_RE.fullmatch(value) is not None


def hex_to_base64(hexdigest):
    """Return S3's ``ChecksumSHA256`` form (base64 of the raw 32 bytes) of a hex SHA-256 digest."""
    if not isinstance(hexdigest, str) or not _HEX_RE.fullmatch(hexdigest.lower()):
        raise DigestError("expected a SHA-256 hex digest (64 hex digits), got %s" % ascii(hexdigest))
    return base64.b64encode(bytes.fromhex(hexdigest)).decode("ascii")


def base64_to_hex(checksum):
    """Return the hex digest of an S3 ``ChecksumSHA256`` value (base64 of the 32 raw digest bytes).

    A composite checksum of a multipart upload (``<base64>-<parts>``) is the SHA-256 of the part checksums, not
    of the object, and is refused: read the object's own SHA-256 (metadata, or hash it) instead.
    """
    if not isinstance(checksum, str) or not checksum:
        raise DigestError("expected a base64 ChecksumSHA256, got %s" % ascii(checksum))
    if re.search(r"-[0-9]+$", checksum):
        raise DigestError(
            "ChecksumSHA256 %s is a composite multipart checksum, not the SHA-256 of the object" % ascii(checksum)
        )
    try:
        raw = base64.b64decode(checksum, validate=True)
    except (binascii.Error, ValueError):
        raise DigestError("ChecksumSHA256 %s is not valid base64" % ascii(checksum)) from None
    if len(raw) != hashlib.sha256().digest_size:
        raise DigestError("ChecksumSHA256 %s decodes to %d bytes, not 32" % (ascii(checksum), len(raw)))
    return raw.hex()


def sha256_file_base64(path, chunk_size=CHUNK_SIZE):
    """Return the SHA-256 of a file in S3's ``ChecksumSHA256`` form (base64 of the raw digest)."""
    return hex_to_base64(sha256_file(path, chunk_size))
