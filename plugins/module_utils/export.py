# -*- coding: utf-8 -*-
# Copyright: Daylily ephemeral cluster maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The export of one analysis directory: its paths, its manifest, the layout of its receipts, and what a run must do.

Pure standard-library code (no Ansible, no boto3); the AWS calls are in ``s3.py`` and the modules.

Layout of one export (``<destination>`` is ``s3://bucket/.../<entity>/<analysis_id>/``)::

    <destination><the exported files>
    <destination>_daylily_monitor/fsx-export/<timestamp>/export-report/     the task's failed-files report (FSx)
    <destination>_daylily_monitor/fsx-export/<timestamp>/fsx_export.yaml    the receipt of that attempt
    <destination>_daylily_monitor/fsx-export/<timestamp>/fsx_export_manifest.jsonl
    <destination>_daylily_monitor/dewey/dewey_registration_receipt.json   the Dewey registration of a verified export

    <output_dir>/fsx_export.yaml (+ fsx_export_manifest.jsonl)   the current receipt: the newest verified one, or
                                                                  the newest attempt while none is verified
    <output_dir>/attempts/<timestamp>/fsx_export.yaml (+ manifest) every other attempt, kept

Every attempt that gets past the preflight has its own timestamp folder in S3, so attempts never overwrite each other
there; a refused attempt writes nothing to S3, only its local record.
"""

from __future__ import annotations

import datetime
import hashlib
import heapq
import json
import os
import re
import sys
import tempfile
from typing import NamedTuple

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import paths

MONITOR_DIR = "_daylily_monitor"
#: Where the Dewey registration of a verified export keeps its receipt, beside the export's attempts.
REGISTRATION_PREFIX = MONITOR_DIR + "/dewey/"
EXPORT_TIMESTAMP_FORMAT = "%Y%m%dT%H%M%SZ"
RECEIPT_FILENAME = "fsx_export.yaml"
MANIFEST_FILENAME = "fsx_export_manifest.jsonl"
ATTEMPTS_DIRNAME = "attempts"
#: Where a request refused before its entity and analysis id were valid is recorded, under the output root. A valid
#: entity never starts with '_', so this never collides with an analysis.
REFUSED_DIRNAME = "_refused"

_TIMESTAMP_RE = re.compile(r"\d{8}T\d{6}Z")
_REPORT_TIMESTAMP_RE = re.compile(r"/%s/fsx-export/(\d{8}T\d{6}Z)/" % MONITOR_DIR)
_ATTEMPT_KEY_RE = re.compile(r"(\d{8}T\d{6}Z)/(.+)")


class ExportRuleError(paths.PathRuleError):
    """An export source, destination or report location breaks the export rules."""


class ExportSource(NamedTuple):
    """A validated export source: the API path and the two segments it names."""

    path: str
    executing_entity: str
    analysis_id: str


# --------------------------------------------------------------------------------------------------------------
# paths


def analysis_root(executing_entity, analysis_id):
    """Return the FSx API path of an analysis: ``/analysis_results/<entity>/<analysis_id>/``."""
    paths.validate_segment(executing_entity, field="executing_entity")
    paths.validate_segment(analysis_id, field="analysis_id")
    return "%s%s/%s/" % (paths.ANALYSIS_RESULTS_ROOT, executing_entity, analysis_id)


def validate_export_source(source, executing_entity=None, analysis_id=None, mount_point=paths.DEFAULT_MOUNT_POINT):
    """Validate an export source and return :class:`ExportSource` ``(path, executing_entity, analysis_id)``.

    ``source`` is an API path or a headnode path (the mount point / ``/fsx`` is stripped). It must be exactly
    ``/analysis_results/<entity>/<analysis_id>/``: never a run mount, a role root, ``/data``, ``/exports``, the
    results root itself, an entity directory or anything nested inside an analysis root. When
    ``executing_entity``/``analysis_id`` are given, the source must name them.
    """
    field = "source_path"
    expected = "exactly one analysis root '/analysis_results/<executing_entity>/<analysis_id>/'"
    mount_point = paths.normalize_mount_point(mount_point)
    try:
        path = paths.to_api_path(source, mount_point=mount_point, field=field)
    except paths.FsxPathError as err:
        raise ExportRuleError(field, source, err.problem, expected) from err
    segments = path.strip("/").split("/") if path != "/" else []
    if not segments:
        raise ExportRuleError(field, source, "is the file system root", expected)
    top = "/%s/" % segments[0]
    if top != paths.ANALYSIS_RESULTS_ROOT:
        if top in paths.RESERVED_ROOTS:
            problem = "is under %s, %s" % (top, paths.RESERVED_ROOTS[top])
        else:
            problem = "is not under %s" % paths.ANALYSIS_RESULTS_ROOT
        raise ExportRuleError(field, source, problem, expected)
    if len(segments) == 1:
        raise ExportRuleError(field, source, "is the analysis results root itself", expected)
    if len(segments) == 2:
        raise ExportRuleError(field, source, "names only the executing entity", expected)
    if len(segments) > 3:
        raise ExportRuleError(
            field, source, "is nested inside the analysis root /%s/" % "/".join(segments[:3]), expected
        )
    entity = paths.validate_segment(segments[1], field="executing_entity in %s" % field)
    analysis = paths.validate_segment(segments[2], field="analysis_id in %s" % field)
    if executing_entity is not None and entity != executing_entity:
        raise ExportRuleError(
            field, source, "names executing_entity %s" % ascii(entity), "executing_entity %s" % ascii(executing_entity)
        )
    if analysis_id is not None and analysis != analysis_id:
        raise ExportRuleError(
            field, source, "names analysis_id %s" % ascii(analysis), "analysis_id %s" % ascii(analysis_id)
        )
    return ExportSource(path, entity, analysis)


def validate_export_destination(destination, executing_entity, analysis_id):
    """Return the normalised destination URI; its key must end with ``<executing_entity>/<analysis_id>/``.

    What the destination already holds is checked against S3 by :func:`decide`, not here.
    """
    field = "destination_s3_uri"
    paths.validate_segment(executing_entity, field="executing_entity")
    paths.validate_segment(analysis_id, field="analysis_id")
    location = paths.parse_s3_uri(destination, field=field)
    suffix = "%s/%s/" % (executing_entity, analysis_id)
    expected = "an S3 URI whose key ends with '%s'" % suffix
    if MONITOR_DIR in location.prefix.split("/"):
        raise ExportRuleError(field, destination, "lies inside a %s/ prefix" % MONITOR_DIR, expected)
    if not (location.prefix == suffix or location.prefix.endswith("/" + suffix)):
        raise ExportRuleError(field, destination, "does not end with '%s'" % suffix, expected)
    return location.uri


def export_timestamp(when=None):
    """Return the export timestamp ``YYYYmmddTHHMMSSZ`` (UTC) for ``when`` (an aware datetime) or now."""
    if when is None:
        when = datetime.datetime.now(datetime.timezone.utc)
    if not isinstance(when, datetime.datetime) or when.tzinfo is None or when.utcoffset() is None:
        raise ExportRuleError("timestamp", when, "is not a timezone-aware datetime", "an aware datetime, e.g. in UTC")
    return when.astimezone(datetime.timezone.utc).strftime(EXPORT_TIMESTAMP_FORMAT)


def check_timestamp(timestamp):
    """Return ``timestamp`` (a ``YYYYmmddTHHMMSSZ`` string, or an aware datetime formatted so); raise when invalid."""
    expected = "a UTC timestamp formatted YYYYmmddTHHMMSSZ"
    if isinstance(timestamp, datetime.datetime):
        return export_timestamp(timestamp)
    if not isinstance(timestamp, str) or not _TIMESTAMP_RE.fullmatch(timestamp):
        raise ExportRuleError("timestamp", timestamp, "is not formatted YYYYmmddTHHMMSSZ", expected)
    try:
        datetime.datetime.strptime(timestamp, EXPORT_TIMESTAMP_FORMAT)
    except ValueError:
        raise ExportRuleError("timestamp", timestamp, "is not a valid date and time", expected) from None
    return timestamp


def export_monitor_root(destination):
    """Return ``<destination>_daylily_monitor/fsx-export/``, the folder of every attempt's timestamp folder."""
    return "%s%s/fsx-export/" % (paths.normalize_s3_uri(destination, field="destination_s3_uri"), MONITOR_DIR)


def export_monitor_prefix(destination, timestamp):
    """Return ``<destination>_daylily_monitor/fsx-export/<timestamp>/`` (``timestamp``: string or aware datetime)."""
    return "%s%s/" % (export_monitor_root(destination), check_timestamp(timestamp))


def export_report_path(destination, timestamp):
    """Return the task report ``Path``: ``<destination>_daylily_monitor/fsx-export/<timestamp>/export-report/``."""
    return export_monitor_prefix(destination, timestamp) + "export-report/"


def export_receipt_uri(destination, timestamp):
    """Return the receipt location ``<destination>_daylily_monitor/fsx-export/<timestamp>/fsx_export.yaml``."""
    return export_monitor_prefix(destination, timestamp) + RECEIPT_FILENAME


def export_manifest_uri(destination, timestamp):
    """Return the manifest location ``<destination>_daylily_monitor/fsx-export/<timestamp>/fsx_export_manifest.jsonl``."""
    return export_monitor_prefix(destination, timestamp) + MANIFEST_FILENAME


def failure_report_uri(report_path, task_id):
    """Return where FSx writes a task's failed-files CSV: ``<report_path>/task-<id>/failures.csv``.

    ``task_id`` may be given with or without its ``task-`` prefix.
    """
    location = paths.parse_s3_uri(report_path, field="report_path")
    if not isinstance(task_id, str) or not re.fullmatch(r"(task-)?[0-9a-f]{17,}", task_id):
        raise ExportRuleError(
            "task_id", task_id, "is not a data repository task id", "an id like 'task-0123456789abcdef0'"
        )
    if not task_id.startswith("task-"):
        task_id = "task-" + task_id
    return "%s%s/failures.csv" % (location.uri, task_id)


def report_timestamp(report_path):
    """The ``YYYYmmddTHHMMSSZ`` of ``.../_daylily_monitor/fsx-export/<ts>/...`` in a report path, else None."""
    match = _REPORT_TIMESTAMP_RE.search(report_path or "")
    return match.group(1) if match else None


def attempt_of_key(relative_key):
    """``(timestamp, rest)`` of a key relative to :func:`export_monitor_root`, or None when it is not in an attempt."""
    match = _ATTEMPT_KEY_RE.fullmatch(relative_key)
    return (match.group(1), match.group(2)) if match else None


def is_exported_key(relative_key):
    """Whether a key relative to the destination is an exported file (not a directory marker, not bookkeeping)."""
    return not relative_key.endswith("/") and MONITOR_DIR not in relative_key.split("/")


# --------------------------------------------------------------------------------------------------------------
# local receipt layout


def output_dir_for(output_root, executing_entity, analysis_id):
    """``<output_root>/<entity>/<analysis_id>``, built only from validated segments (``..`` can never escape)."""
    paths.validate_segment(executing_entity, field="executing_entity")
    paths.validate_segment(analysis_id, field="analysis_id")
    return os.path.join(output_root, executing_entity, analysis_id)


def attempt_dir(output_dir, timestamp):
    """Where an attempt that is not the current receipt is kept: ``<output_dir>/attempts/<timestamp>``."""
    return os.path.join(output_dir, ATTEMPTS_DIRNAME, check_timestamp(timestamp))


# --------------------------------------------------------------------------------------------------------------
# the manifest: every exported file, its size and (with checksums) its SHA-256


def manifest_entries(files):
    """Manifest entries, sorted by path, from analysis_inventory ``files`` records: regular files only (what FSx
    exports as objects), ``{"path", "size"}`` plus ``sha256`` when the inventory computed it."""
    entries = []
    for record in files:
        if record.get("type", "file") != "file":
            continue
        entry = {"path": record["path"], "size": record["size"]}
        if record.get("sha256"):
            entry["sha256"] = record["sha256"]
        entries.append(entry)
    return sorted(entries, key=lambda entry: entry["path"])


def dump_manifest(entries):
    """JSON Lines, one entry per line, keys in a fixed order, so the same files always give the same digest."""
    return "".join(json.dumps(entry, ensure_ascii=True, separators=(",", ":")) + "\n" for entry in entries)


# what str.splitlines() splits on, matched one line at a time so a manifest is never held twice as a list of lines
_LINE_BREAKS = r"\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029"
_MANIFEST_LINE_RE = re.compile(r"([^%s]*)(\r\n|[%s]|\Z)" % (_LINE_BREAKS, _LINE_BREAKS))


def _lines(text):
    for match in _MANIFEST_LINE_RE.finditer(text):
        if not match.group(0):
            return  # the empty match at the end, after the last line break
        yield match.group(1)


def load_manifest(text):
    """``{path: entry}`` of a manifest; raises ValueError when a line is not an entry."""
    found = {}
    for number, line in enumerate(_lines(text), 1):
        if not line.strip():
            continue
        entry = json.loads(line)
        if (
            not isinstance(entry, dict)
            or not isinstance(entry.get("path"), str)
            or not isinstance(entry.get("size"), int)
        ):
            raise ValueError('line %d is not a manifest entry {"path", "size"}' % number)
        # json makes new key strings for every line; the interned ones are shared by all entries
        found[entry["path"]] = {sys.intern(key): value for key, value in entry.items()}
    return found


def manifest_sha256(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------------------------------------------
# manifests on disk: written, read back and compared one entry at a time, so verifying an export holds no per-file
# state whatever its file count


def _entry_line(entry):
    return (json.dumps(entry, ensure_ascii=True, separators=(",", ":")) + "\n").encode("ascii")


def _checked_entry(line, number):
    entry = json.loads(line)
    if not isinstance(entry, dict) or not isinstance(entry.get("path"), str) or not isinstance(entry.get("size"), int):
        raise ValueError('line %d is not a manifest entry {"path", "size"}' % number)
    return {sys.intern(key): value for key, value in entry.items()}


class EntryFile:
    """A JSON Lines file of ``{"path", "size", ...}`` entries (a manifest, or a listing kept by :func:`write_listing`)
    and its SHA-256, read one line at a time. Like the ``{path: entry}`` of :func:`load_manifest` (the last of equal
    paths counts), :meth:`items` gives ``(path, entry)`` pairs, here in path order; ``value`` names the one field
    they give instead of the whole entry (a listing's ``size``)."""

    def __init__(self, path, sha256, in_order, value=None):
        self.path = path
        self.sha256 = sha256
        self.in_order = in_order
        self.value = value

    @classmethod
    def read(cls, path, sha256=None):
        """The entry file at ``path``, every line checked (ValueError when one is not an entry) and its order noted."""
        previous, in_order = None, True
        for entry in cls(path, sha256, False).entries():
            in_order = in_order and (previous is None or previous <= entry["path"])
            previous = entry["path"]
        return cls(path, sha256, in_order)

    def entries(self):
        """The entries in file order; blank lines are skipped, and lines break where :func:`load_manifest`'s do."""
        number = 0
        with open(self.path, "rb") as handle:
            for raw in handle:  # one b"\n"-ended line at a time; the rarer breaks within it are split below
                for line in _lines(raw.decode("utf-8")):
                    number += 1
                    if line.strip():
                        yield _checked_entry(line, number)

    def items(self):
        pairs = ((entry["path"], entry if self.value is None else entry[self.value]) for entry in self.entries())
        if self.in_order:
            return _last_of_equal(pairs)
        by_path = dict(pairs)  # written elsewhere out of order: the only case held in memory
        return ((path, by_path[path]) for path in sorted(by_path))

    def __iter__(self):
        return (path for path, _value in self.items())


class FileRecords:
    """The regular files of analysis_inventory ``files`` records in path order, read again on each iteration:
    the FSx side of :func:`fsx_drift` and :func:`write_manifest` without a sorted copy (the inventory lists them
    sorted; an unsorted list is sorted as :func:`manifest_entries` does)."""

    def __init__(self, files):
        """Raises KeyError or TypeError, as :func:`manifest_entries` does, when a record has no path or size."""
        self.files = files
        previous, self._sorted = None, True
        for record in self._regular():
            path, _size = record["path"], record["size"]
            self._sorted = self._sorted and (previous is None or previous <= path)
            previous = path

    def _regular(self):
        return (record for record in self.files if record.get("type", "file") == "file")

    def __iter__(self):
        return iter(self._regular() if self._sorted else manifest_entries(self.files))


def write_manifest(files, directory):
    """Write the manifest of analysis_inventory ``files`` records to a new file in ``directory``, one entry at a
    time, hashing as it goes; return its :class:`EntryFile`. The bytes are those of
    ``dump_manifest(manifest_entries(files))``."""
    digest = hashlib.sha256()
    handle = tempfile.NamedTemporaryFile("wb", prefix="manifest.", suffix=".jsonl", dir=directory, delete=False)
    with handle:
        for record in FileRecords(files):
            entry = {"path": record["path"], "size": record["size"]}
            if record.get("sha256"):
                entry["sha256"] = record["sha256"]
            line = _entry_line(entry)
            digest.update(line)
            handle.write(line)
    return EntryFile(handle.name, digest.hexdigest(), True)


class Listing(NamedTuple):
    """Objects of a destination's listing (the exported files, unless said otherwise), kept in an :class:`EntryFile`
    (``{relative key: size}``), with their count and bytes."""

    objects: EntryFile
    count: int
    total_bytes: int


def write_listing(pairs, prefix, directory, keep=is_exported_key):
    """Keep the objects among ``(key, size)`` pairs of a listing under ``prefix`` whose key relative to it ``keep``
    accepts (by default the exported files: directory markers and ``_daylily_monitor/`` left out) in a new file in
    ``directory``, keys relative to ``prefix``; return a :class:`Listing`. S3 lists keys in UTF-8 byte order, which
    is Python's code-point order, so :meth:`EntryFile.items` reads them back as they came; a listing out of that order
    is noticed and sorted when read."""
    count = total = 0
    previous, in_order = None, True
    handle = tempfile.NamedTemporaryFile("wb", prefix="listing.", suffix=".jsonl", dir=directory, delete=False)
    with handle:
        for key, size in pairs:
            relative = key[len(prefix) :]
            if not key.startswith(prefix) or not keep(relative):
                continue
            handle.write(_entry_line({"path": relative, "size": size}))
            count, total = count + 1, total + size
            in_order = in_order and (previous is None or previous <= relative)
            previous = relative
    return Listing(EntryFile(handle.name, None, in_order, value="size"), count, total)


_ABSENT = object()


def _in_path_order(pairs):
    """``(path, value)`` pairs sorted by path, the last of equal paths kept (as a dict would): as given when they
    already are sorted (a listing, a manifest and an inventory are), so nothing per file is copied; else sorted.

    ``pairs`` is a callable giving a fresh iterator, read once to check the order and once to yield. Python orders
    strings by code point, which is the UTF-8 byte order S3 lists keys in.
    """
    previous = None
    for path, _value in pairs():
        if previous is not None and path < previous:
            by_path = dict(pairs())
            return ((path, by_path[path]) for path in sorted(by_path))
        previous = path
    return _last_of_equal(pairs())


def _last_of_equal(pairs):
    pending = _ABSENT
    for path, value in pairs:
        if pending is not _ABSENT and pending[0] != path:
            yield pending
        pending = (path, value)
    if pending is not _ABSENT:
        yield pending


def _merged(left, right):
    """``(path, left value, right value)`` of two path-ordered pair streams, ``_ABSENT`` for the side without it."""
    left, right = iter(left), iter(right)
    next_left, next_right = next(left, _ABSENT), next(right, _ABSENT)
    while next_left is not _ABSENT or next_right is not _ABSENT:
        if next_right is _ABSENT or (next_left is not _ABSENT and next_left[0] < next_right[0]):
            yield next_left[0], next_left[1], _ABSENT
            next_left = next(left, _ABSENT)
        elif next_left is _ABSENT or next_right[0] < next_left[0]:
            yield next_right[0], _ABSENT, next_right[1]
            next_right = next(right, _ABSENT)
        else:
            yield next_left[0], next_left[1], next_right[1]
            next_left, next_right = next(left, _ABSENT), next(right, _ABSENT)


def _mapping_in_order(mapping):
    if isinstance(mapping, EntryFile):
        return mapping.items()  # in path order already, read once
    return _in_path_order(lambda: iter(mapping.items()))


def _listed(names, limit=5):
    shown = ", ".join(names[:limit])
    return shown + (" and %d more" % (len(names) - limit) if len(names) > limit else "")


def compare_with_s3(manifest, s3_objects):
    """Failures (receipt verification format) where the S3 listing ``{relative key: size}`` of the exported files
    differs from the manifest ``{path: entry}``: a file missing from S3, an object no file explains, a size. Either
    side may be an :class:`EntryFile` (a manifest, a listing kept by :func:`write_listing`) instead of a dict.

    Both sides are walked in path order side by side, so the comparison keeps only the differences."""
    failures = []
    missing, unexpected, resized = [], [], []
    for path, entry, size in _merged(_mapping_in_order(manifest), _mapping_in_order(s3_objects)):
        if size is _ABSENT:
            missing.append(path)
        elif entry is _ABSENT:
            unexpected.append(path)
        elif entry["size"] != size:
            resized.append((path, entry["size"], size))
    if missing:
        failures.append(
            {
                "field": "manifest",
                "expected": missing,
                "actual": None,
                "message": "manifest: %d exported file(s) are not in S3: %s" % (len(missing), _listed(missing)),
            }
        )
    if unexpected:
        failures.append(
            {
                "field": "manifest",
                "expected": None,
                "actual": unexpected,
                "message": "manifest: %d object(s) in S3 are not in the manifest: %s"
                % (len(unexpected), _listed(unexpected)),
            }
        )
    if resized:
        sizes = ["%s (manifest %d, S3 %d bytes)" % found for found in resized]
        failures.append(
            {
                "field": "manifest",
                "expected": None,
                "actual": [path for path, _listed_size, _s3_size in resized],
                "message": "manifest: %d object(s) differ in size: %s" % (len(resized), _listed(sizes)),
            }
        )
    return failures


def fsx_drift(manifest, entries):
    """What changed on FSx since a manifest (``{path: entry}`` or an :class:`EntryFile`): ``{"added", "changed",
    "removed"}`` lists of paths. ``entries`` are manifest entries or :class:`FileRecords`, read twice. A file changed
    when its size differs, or its SHA-256 when both sides have one. Walked in path order side by side, like
    :func:`compare_with_s3`."""
    drift = {"added": [], "changed": [], "removed": []}
    now = _in_path_order(lambda: ((entry["path"], entry) for entry in entries))
    for path, before, after in _merged(_mapping_in_order(manifest), now):
        if after is _ABSENT:
            drift["removed"].append(path)
        elif before is _ABSENT:
            drift["added"].append(path)
        elif before["size"] != after["size"] or (
            before.get("sha256") and after.get("sha256") and before["sha256"] != after["sha256"]
        ):
            drift["changed"].append(path)
    return drift


def describe_drift(drift):
    parts = [
        "%d %s (%s)" % (len(drift[kind]), kind, _listed(drift[kind]))
        for kind in ("added", "changed", "removed")
        if drift[kind]
    ]
    return ", ".join(parts) or "no change"


# --------------------------------------------------------------------------------------------------------------
# what a run must do


class Attempt(NamedTuple):
    """An earlier attempt found under the destination: its timestamp, receipt and manifest (an :class:`EntryFile`, or
    ``{path: entry}``)."""

    timestamp: str
    receipt: dict
    manifest: EntryFile | dict | None


class Decision(NamedTuple):
    """What :func:`decide` concluded: ``action`` is ``export``, ``none`` (verified and unchanged) or ``refuse``."""

    action: str
    message: str
    attempt: Attempt | None = None
    drift: dict | None = None


def is_same_export(receipt, source_path, destination):
    return receipt.get("source_path") == source_path and receipt.get("destination_s3_uri") == destination


def is_verified(receipt):
    return receipt.get("status") == "success" and receipt.get("verified") is True


def newest_verified(attempts):
    """The newest attempt whose receipt recorded a verified export, else None."""
    verified = [attempt for attempt in attempts if is_verified(attempt.receipt)]
    return max(verified, key=lambda attempt: attempt.timestamp) if verified else None


def _refuse(destination, why, hint):
    return Decision(
        "refuse", "%s %s: %s; nothing was changed and nothing was written to S3." % (destination, why, hint)
    )


def foreign_receipt(destination, source_path, attempts):
    """A refusal when a receipt under the destination is of another export (another source or destination), else None."""
    for attempt in attempts:
        if not is_same_export(attempt.receipt, source_path, destination):
            return _refuse(
                destination,
                "holds the receipt of another export (%s to %s) at %s%s/"
                % (
                    attempt.receipt.get("source_path"),
                    attempt.receipt.get("destination_s3_uri"),
                    MONITOR_DIR + "/fsx-export/",
                    attempt.timestamp,
                ),
                "set another export_destination_s3_uri; this one belongs to that export",
            )
    return None


def _written_paths(attempts, fsx_entries):
    """``(path, True)`` of every file an earlier attempt wrote, in path order, each once: the attempts' manifests (the
    files on FSx now for an attempt without one) merged side by side."""
    streams = []
    for attempt in attempts:
        if attempt.manifest is not None:
            streams.append(path for path, _entry in _mapping_in_order(attempt.manifest))
        else:
            now = _in_path_order(lambda: ((entry["path"], entry) for entry in fsx_entries))
            streams.append(path for path, _entry in now)
    return _last_of_equal((path, True) for path in heapq.merge(*streams))


def foreign_objects(listing, attempts, fsx_entries):
    """The keys (relative to the destination) that no earlier attempt of this export wrote, in key order.

    An attempt wrote the files of its manifest (an attempt without a manifest, from an older version, the files now on
    FSx) and its own ``_daylily_monitor/fsx-export/<timestamp>/`` folder; a verified attempt may also have been
    registered with Dewey, whose receipt is under ``_daylily_monitor/dewey/``. Directory markers are ignored.
    ``listing`` (``{key: size}`` or an :class:`EntryFile`) and the written files are walked side by side in key order.
    """
    known = {attempt.timestamp for attempt in attempts}
    registered = any(is_verified(attempt.receipt) for attempt in attempts)
    monitor = MONITOR_DIR + "/fsx-export/"
    foreign = []
    for key, size, written in _merged(_mapping_in_order(listing), _written_paths(attempts, fsx_entries)):
        if size is _ABSENT or key.endswith("/"):
            continue
        if registered and key.startswith(REGISTRATION_PREFIX):
            continue
        if key.startswith(monitor):
            found = attempt_of_key(key[len(monitor) :])
            if found is None or found[0] not in known:
                foreign.append(key)
        elif written is _ABSENT:
            foreign.append(key)
    return foreign


def decide(destination, source_path, listing, attempts, fsx_entries, resuming, update_existing, s3_failures_of):
    """What this run does, from what the destination holds and what FSx holds now.

    ``listing`` is ``{key relative to the destination: size}`` (or an :class:`EntryFile` of it); ``attempts`` the :class:`Attempt` of every receipt
    under the destination (another export's receipt is refused at once); ``fsx_entries`` the manifest entries of FSx
    now; ``resuming`` whether an association of this export is still attached (an interrupted run, which may have
    written before it could record anything); ``s3_failures_of(attempt)`` the verification failures of an attempt's
    receipt against S3 as it is now.

    Refused: a destination holding anything no earlier attempt of this export wrote; a verified export that no longer
    matches S3; FSx changed since the verified export without ``update_existing`` (or with files removed, which S3
    would keep). Nothing to do: the newest verified export matches S3 and FSx. Otherwise export: a first export, a
    retry after failed attempts, a resumed run, or an update.
    """
    refusal = foreign_receipt(destination, source_path, attempts)
    if refusal is not None:
        return refusal
    if resuming:
        return Decision("export", "resuming the interrupted export of %s to %s" % (source_path, destination))
    foreign = foreign_objects(listing, attempts, fsx_entries)
    verified = newest_verified(attempts)
    if verified is None:
        if foreign and not attempts:
            return _refuse(
                destination,
                "is not empty (it holds %s) and no export of %s is in progress" % (_listed(foreign), source_path),
                "set export_destination_s3_uri to an empty prefix",
            )
        if foreign:
            return _refuse(
                destination,
                "holds %s, which no earlier attempt of this export wrote" % _listed(foreign),
                "remove what does not belong there, or set export_destination_s3_uri to an empty prefix",
            )
        if attempts:
            return Decision(
                "export",
                "retrying the export of %s to %s (%d earlier attempt(s), none verified)"
                % (source_path, destination, len(attempts)),
            )
        return Decision("export", "exporting %s to %s" % (source_path, destination))
    where = "%s%s/fsx-export/%s/%s" % (destination, MONITOR_DIR, verified.timestamp, RECEIPT_FILENAME)
    drift = fsx_drift(verified.manifest, fsx_entries) if verified.manifest is not None else None
    if drift is not None and any(drift.values()):
        described = describe_drift(drift)
        if not update_existing:
            return Decision(
                "refuse",
                "FSx changed since the verified export %s: %s. Set export_update_existing: true to "
                "export the change (a new receipt is written, the old one is kept); nothing was changed."
                % (where, described),
                verified,
                drift,
            )
        if drift["removed"]:
            return Decision(
                "refuse",
                "FSx changed since the verified export %s: %s. S3 keeps the removed files (nothing "
                "deletes S3), so an update could never verify: delete them from the destination deliberately, "
                "or export to a new destination; nothing was changed." % (where, described),
                verified,
                drift,
            )
        if foreign:
            return _refuse(
                destination,
                "holds %s, which no earlier attempt of this export wrote" % _listed(foreign),
                "remove what does not belong there before updating the export",
            )
        return Decision("export", "updating the export %s: %s" % (where, described), verified, drift)
    failures = s3_failures_of(verified)
    if failures:
        messages = "; ".join(failure["message"] for failure in failures)
        return Decision(
            "refuse",
            "The verified export %s no longer matches S3: %s. Find out who changed the destination; "
            "nothing was changed and nothing was written to S3." % (where, messages),
            verified,
            drift,
        )
    return Decision(
        "none",
        "%s already holds a verified export of %s (%s) and FSx has not changed since; nothing to do."
        % (destination, source_path, where),
        verified,
        drift,
    )
