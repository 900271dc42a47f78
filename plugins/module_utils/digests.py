# -*- coding: utf-8 -*-
# Copyright: Daylily ephemeral cluster maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SHA-256 of files, computed in parallel, for daylily.ephemeral_cluster.

Pure standard-library code (no Ansible, no boto3), Python >= 3.9: it runs on the controller and on the headnode.

* :func:`sha256_file` hashes one file with large reads (8 MiB) into a buffer reused per thread, so hashing 100k
  small files does not allocate 100k buffers.
* :func:`sha256_files` hashes many files with a thread pool. ``hashlib`` releases the GIL while it digests more
  than 2 KiB, and file reads release it too, so threads scale on I/O and on CPU. Small files are batched (a pool
  round trip costs more than hashing 1 KiB). Results stream back in input order while a bounded number of batches
  are in flight: a generator of a million paths never sits in memory.
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

CHUNK_SIZE = 8 * 1024 * 1024
MAX_DEFAULT_WORKERS = 8
#: In-flight batches per worker: enough to keep every worker busy while results are consumed in order.
QUEUE_FACTOR = 4
#: Batch limits: files smaller than BATCH_BYTES share a thread-pool task, up to BATCH_FILES of them.
BATCH_BYTES = 8 * 1024 * 1024
BATCH_FILES = 256

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


def sha256_file(path, chunk_size=CHUNK_SIZE):
    """Return the SHA-256 of the file at ``path`` as 64 lowercase hex digits. Raises ``OSError`` as ``open`` does.

    Symlinks are followed (hash the link itself by not calling this on it).
    """
    digest = hashlib.sha256()
    view = _buffer(chunk_size)
    with open(path, "rb", buffering=0) as handle:
        while True:
            count = handle.readinto(view)
            if not count:
                break
            digest.update(view[:count])
    return digest.hexdigest()


def sha256_bytes(data):
    """Return the SHA-256 of ``data`` (bytes, or str encoded as UTF-8) as hex."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(data).hexdigest()


def _hash_batch(batch, chunk_size):
    """[(path, hexdigest)] of a batch; an OSError stops it and is returned in place of the failing file's digest."""
    done = []
    for path in batch:
        try:
            done.append((path, sha256_file(path, chunk_size)))
        except OSError as err:
            done.append((path, err))
            break
    return done


def _batches(paths, batch_bytes, batch_files):
    """Group consecutive paths into batches of about ``batch_bytes`` (a big file is a batch of its own)."""
    batch, size = [], 0
    for path in paths:
        try:
            size += os.stat(path).st_size
        except OSError:
            pass  # the worker reports the error at the file's position
        batch.append(path)
        if size >= batch_bytes or len(batch) >= batch_files:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def sha256_files(paths, workers=None, chunk_size=CHUNK_SIZE):
    """Yield ``(path, hexdigest)`` for every path of the iterable ``paths``, in input order.

    ``workers`` threads (default :func:`default_workers`) hash the files. Small files travel in batches (up to
    :data:`BATCH_BYTES` or :data:`BATCH_FILES`) because a thread-pool round trip costs more than hashing a small
    file; a file of :data:`BATCH_BYTES` or more is a batch of its own, so big files are hashed side by side.
    At most ``workers * QUEUE_FACTOR`` batches are in flight, so memory stays bounded whatever the number of paths.
    The first ``OSError`` (a file that vanished or cannot be read) is raised when its position is reached; the
    pool is then shut down and pending work cancelled.
    """
    workers = default_workers() if workers is None else int(workers)
    if workers < 1:
        raise ValueError("workers must be at least 1, got %d" % workers)
    window = workers * QUEUE_FACTOR
    pending = collections.deque()
    executor = concurrent.futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sha256")
    try:
        for batch in _batches(paths, BATCH_BYTES, BATCH_FILES):
            pending.append(executor.submit(_hash_batch, batch, chunk_size))
            if len(pending) >= window:
                yield from _results(pending.popleft())
        while pending:
            yield from _results(pending.popleft())
    finally:
        for future in pending:
            future.cancel()
        executor.shutdown(wait=True)


def _results(future):
    for path, digest in future.result():
        if isinstance(digest, OSError):
            raise digest
        yield path, digest


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
        raise DigestError("ChecksumSHA256 %s is a composite multipart checksum, not the SHA-256 of the object" % ascii(checksum))
    try:
        raw = base64.b64decode(checksum, validate=True)
    except (binascii.Error, ValueError):
        raise DigestError("ChecksumSHA256 %s is not valid base64" % ascii(checksum))
    if len(raw) != hashlib.sha256().digest_size:
        raise DigestError("ChecksumSHA256 %s decodes to %d bytes, not 32" % (ascii(checksum), len(raw)))
    return raw.hex()


def sha256_file_base64(path, chunk_size=CHUNK_SIZE):
    """Return the SHA-256 of a file in S3's ``ChecksumSHA256`` form (base64 of the raw digest)."""
    return hex_to_base64(sha256_file(path, chunk_size))
