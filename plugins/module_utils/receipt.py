# -*- coding: utf-8 -*-
# Copyright: Daylily ephemeral cluster maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``fsx_export.yaml`` export receipt of daylily.ephemeral_cluster.

Controller code without Ansible or boto3; it reads receipts with PyYAML (which ansible-core needs anyway).

The receipt keeps DayEC's v4 field names and order under the top key ``fsx_export`` so existing ``yq`` readers
keep working, then DayEC's optional Dewey fields (only when set), then this collection's additions: ``producer``,
the attempt's ``timestamp``, the FSx/S3 file counts and byte totals, the export manifest's location and SHA-256,
``verified`` and ``failed_files``.

* :func:`build_receipt` / :func:`update_receipt` produce an ordered, validated flat mapping;
  :func:`add_registration` sets the Dewey fields of a verified receipt, the only change one allows;
  :func:`receipt_paths` derives the path fields from (entity, analysis id, destination, mount point).
* :func:`outcome_fields` turns the registered results of the export's module calls into receipt fields.
* :func:`dump_receipt` writes YAML with a small emitter (every string double-quoted, output pure ASCII);
  :func:`load_receipt` / :func:`parse_yaml` read it back.
* :func:`parse_failure_report` reads the FSx ``failures.csv`` task report; :func:`verify_receipt` returns the
  failed verification checks (key by key against the manifest when there is one) and :func:`apply_verification`
  records counts, failed files and ``verified``.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import math
import re

try:
    import yaml
except ImportError:  # ansible-core installs PyYAML on the controller; the modules report it when missing
    yaml = None

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import collection
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import export
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import paths

SCHEMA_VERSION = 4
TOP_KEY = "fsx_export"

STATUSES = ("started", "success", "error")
PHASES = ("validate", "attach", "preflight", "run", "detach", "dewey_registration", "complete")
DETACHED_LIFECYCLES = ("DELETED", "NOT_FOUND")
DAYOA_DIRNAME = "daylily-omics-analysis/"

#: DayEC 5.1.5 receipt v4 fields, in DayEC's order.
V4_FIELDS = (
    "schema_version",
    "status",
    "phase",
    "cluster_name",
    "region",
    "analysis_dir",
    "source_path",
    "headnode_path",
    "destination_s3_uri",
    "fsx_root",
    "s3_root",
    "dayoa_analysis_root",
    "dayoa_s3_root",
    "fsx_file_system_id",
    "file_system_path",
    "association_id",
    "lifecycle",
    "task_id",
    "task_lifecycle",
    "report_path",
    "detach_lifecycle",
    "detached",
    "delete_data_in_file_system",
    "failure_details",
)
#: DayEC's Dewey registration fields; written only when set.
DEWEY_FIELDS = (
    "registration_only",
    "dewey_registration_status",
    "dewey_registration_receipt",
    "dewey_source_manifest_s3_uri",
    "dewey_source_manifest_mode",
    "dewey_selected_artifact_count",
    "dewey_multiqc_artifact_set_count",
    "dewey_analysis_directory_link_status",
)
#: Fields this collection adds.
EXTENSION_FIELDS = (
    "producer",
    "fsx_file_count",
    "fsx_total_bytes",
    "s3_object_count",
    "s3_total_bytes",
    "verified",
    "failed_files",
    "timestamp",
    "manifest_s3_uri",
    "manifest_sha256",
)
ALL_FIELDS = V4_FIELDS + DEWEY_FIELDS + EXTENSION_FIELDS

_BOOL_FIELDS = ("detached", "delete_data_in_file_system", "verified", "registration_only")
_COUNT_FIELDS = (
    "fsx_file_count",
    "fsx_total_bytes",
    "s3_object_count",
    "s3_total_bytes",
    "dewey_selected_artifact_count",
    "dewey_multiqc_artifact_set_count",
)
_MAPPING_FIELDS = ("failure_details", "producer")
_FREE_FIELDS = ("dewey_registration_receipt",)  # a location or an embedded summary
_REPORT_COLUMNS = ("file_path", "file_status", "error_code")


class ReceiptError(ValueError):
    """A receipt field has the wrong name, type or value, or a receipt document cannot be read."""


def default_producer():
    """The ``producer`` mapping: this collection's name and version."""
    return {"name": collection.NAME, "version": collection.VERSION}


# --------------------------------------------------------------------------------------------------------------
# building


def receipt_paths(executing_entity, analysis_id, destination_s3_uri, mount_point=paths.DEFAULT_MOUNT_POINT):
    """Derive the v4 path fields (DayEC export receipt v4) and ``file_system_path``; raises :class:`paths.PathRuleError`.

    ``analysis_dir`` is ``<entity>/<id>``; ``source_path``/``file_system_path`` the API path; ``headnode_path`` =
    ``fsx_root`` the headnode path under ``mount_point``; ``destination_s3_uri`` = ``s3_root`` the normalised
    destination; the ``dayoa_*`` roots add ``daylily-omics-analysis/``.
    """
    source = export.analysis_root(executing_entity, analysis_id)
    destination = export.validate_export_destination(destination_s3_uri, executing_entity, analysis_id)
    headnode = paths.api_to_headnode_path(source, mount_point=mount_point)
    return {
        "analysis_dir": "%s/%s" % (executing_entity, analysis_id),
        "source_path": source,
        "headnode_path": headnode,
        "destination_s3_uri": destination,
        "fsx_root": headnode,
        "s3_root": destination,
        "dayoa_analysis_root": headnode + DAYOA_DIRNAME,
        "dayoa_s3_root": destination + DAYOA_DIRNAME,
        "file_system_path": source,
    }


def _check_field(name, value):
    if name not in ALL_FIELDS:
        raise ReceiptError("unknown receipt field %s; expected one of: %s" % (ascii(name), ", ".join(ALL_FIELDS)))
    if name == "schema_version":
        if value != SCHEMA_VERSION or isinstance(value, bool):
            raise ReceiptError("schema_version: expected %d, got %s" % (SCHEMA_VERSION, ascii(value)))
    elif name == "status":
        if value not in STATUSES:
            raise ReceiptError("status: expected one of %s, got %s" % ("|".join(STATUSES), ascii(value)))
    elif name == "phase":
        if value not in PHASES:
            raise ReceiptError("phase: expected one of %s, got %s" % ("|".join(PHASES), ascii(value)))
    elif name == "delete_data_in_file_system":
        if value is not False:
            raise ReceiptError(
                "delete_data_in_file_system: expected false (this collection never deletes data through a DRA), "
                "got %s" % ascii(value)
            )
    elif name in _BOOL_FIELDS:
        if not isinstance(value, bool):
            raise ReceiptError("%s: expected true or false, got %s" % (name, ascii(value)))
    elif name in _COUNT_FIELDS:
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            raise ReceiptError("%s: expected a non-negative integer or null, got %s" % (name, ascii(value)))
    elif name in _MAPPING_FIELDS:
        if not isinstance(value, dict):
            raise ReceiptError("%s: expected a mapping, got %s" % (name, ascii(value)))
    elif name in _FREE_FIELDS:
        if value is not None and not isinstance(value, (str, dict)):
            raise ReceiptError("%s: expected a string, a mapping or null, got %s" % (name, ascii(value)))
    elif name == "failed_files":
        if not isinstance(value, list) or not all(isinstance(row, dict) for row in value):
            raise ReceiptError("failed_files: expected a list of mappings, got %s" % ascii(value))
    elif value is not None and not isinstance(value, str):
        raise ReceiptError("%s: expected a string or null, got %s" % (name, ascii(value)))


def _ordered(fields):
    return {name: fields[name] for name in ALL_FIELDS if name in fields}


def build_receipt(**fields):
    """Return a new flat receipt mapping with every v4 and extension field, in order.

    Defaults: schema_version 4, status ``started``, phase ``attach``, ``detached`` false,
    ``delete_data_in_file_system`` false, ``failure_details`` ``{}``, ``producer`` this collection,
    ``verified`` false, ``failed_files`` ``[]``, everything else null. Dewey fields appear only when passed.
    Unknown names and invalid values raise :class:`ReceiptError`.
    """
    receipt = {name: None for name in V4_FIELDS + EXTENSION_FIELDS}
    receipt.update(
        {
            "schema_version": SCHEMA_VERSION,
            "status": "started",
            "phase": "attach",
            "detached": False,
            "delete_data_in_file_system": False,
            "failure_details": {},
            "producer": default_producer(),
            "verified": False,
            "failed_files": [],
        }
    )
    for name, value in fields.items():
        _check_field(name, value)
    receipt.update(fields)
    return _ordered(receipt)


def update_receipt(receipt, **fields):
    """Return a copy of ``receipt`` (flat or wrapped under ``fsx_export``) with ``fields`` set, validated, in order."""
    current = dict(_unwrap(receipt))
    for name, value in fields.items():
        _check_field(name, value)
    current.update(fields)
    return _ordered(current)


def add_registration(receipt, **fields):
    """Return a copy of a verified receipt (flat or wrapped) with Dewey registration fields set.

    This is the one change a verified receipt allows (DESIGN: a verified receipt is never overwritten): a Dewey
    registration happens after the export verified and is recorded in the same ``fsx_export.yaml``, where DayEC's
    readers look for the ``dewey_*`` fields. Only :data:`DEWEY_FIELDS` may be given, so every field the
    verification rests on (status, task, detach, counts, manifest digest, ``verified``) and every field of another
    writer keeps its value: :func:`verified_content` is the same before and after. ``registration_only`` (DayEC's
    mark of a registration made apart from the export) is recorded by the first registration of the receipt only, so
    registering again, by either path, changes nothing. Raises
    :class:`ReceiptError` for another field, an invalid value, or a receipt that is not a verified success.
    """
    current = dict(_unwrap(receipt))
    if current.get("status") != "success" or current.get("verified") is not True:
        raise ReceiptError(
            "only a verified export receipt records a registration (status %s, verified %s)"
            % (ascii(current.get("status")), ascii(current.get("verified")))
        )
    others = sorted(set(fields) - set(DEWEY_FIELDS))
    if others:
        raise ReceiptError(
            "a registration records only %s; %s belong to the verified export" % (", ".join(DEWEY_FIELDS), others)
        )
    for name, value in fields.items():
        _check_field(name, value)
    if current.get("dewey_registration_status") is not None:  # how the first registration was made stays recorded
        fields = dict((name, value) for name, value in fields.items() if name != "registration_only")
    current.update(fields)
    return _ordered_for_dump(current)


def verified_content(receipt):
    """The receipt without its Dewey fields: what its verification recorded, which a registration never changes."""
    return {name: value for name, value in _unwrap(receipt).items() if name not in DEWEY_FIELDS}


def wrap_receipt(receipt):
    """Return ``{"fsx_export": receipt}``; an already wrapped receipt is returned as a new wrapper of the same body."""
    return {TOP_KEY: _unwrap(receipt)}


def _unwrap(receipt):
    if not isinstance(receipt, dict):
        raise ReceiptError("receipt: expected a mapping, got %s" % type(receipt).__name__)
    if TOP_KEY in receipt:
        inner = receipt[TOP_KEY]
        if not isinstance(inner, dict):
            raise ReceiptError("%s: expected a mapping, got %s" % (TOP_KEY, type(inner).__name__))
        return inner
    return receipt


# --------------------------------------------------------------------------------------------------------------
# YAML writing (no PyYAML)

_PLAIN_KEY_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Words YAML 1.1 (PyYAML) or other readers would not read back as strings when unquoted.
_RESERVED_WORDS = frozenset(("y", "n", "yes", "no", "on", "off", "true", "false", "null", "nan", "inf"))
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r", "\0": "\\0"}


def _quote(text):
    """Double-quoted YAML scalar using only ASCII: escapes control and all non-ASCII characters."""
    out = ['"']
    for char in text:
        code = ord(char)
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif 0x20 <= code < 0x7F:
            out.append(char)
        elif code < 0x100:
            out.append("\\x%02x" % code)
        elif code < 0x10000:
            out.append("\\u%04x" % code)
        else:
            out.append("\\U%08x" % code)
    out.append('"')
    return "".join(out)


def _key(key):
    if not isinstance(key, str):
        raise ReceiptError("YAML keys must be strings, got %s" % ascii(key))
    if _PLAIN_KEY_RE.fullmatch(key) and key.lower() not in _RESERVED_WORDS:
        return key
    return _quote(key)


def _scalar(value):
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        text = repr(value)
        if "." not in text:  # YAML 1.1 floats need a dot: 1e+100 -> 1.0e+100
            mantissa, _sep, exponent = text.partition("e")
            text = mantissa + ".0" + ("e" + exponent if exponent else "")
        return text
    if isinstance(value, (datetime.datetime, datetime.date)):
        return _quote(value.isoformat())
    if isinstance(value, str):
        return _quote(value)
    raise ReceiptError("cannot write a value of type %s to YAML" % type(value).__name__)


def _is_block(value):
    return isinstance(value, (dict, list, tuple)) and len(value) > 0


def _emit(value, indent):
    """Lines for a non-empty mapping or sequence at ``indent`` spaces."""
    pad = " " * indent
    lines = []
    if isinstance(value, dict):
        for key, item in value.items():
            if _is_block(item):
                lines.append("%s%s:" % (pad, _key(key)))
                lines.extend(_emit(item, indent + 2))
            else:
                lines.append("%s%s: %s" % (pad, _key(key), _inline(item)))
        return lines
    for item in value:
        if _is_block(item):
            child = _emit(item, indent + 2)
            child[0] = pad + "- " + child[0][indent + 2 :]
            lines.extend(child)
        else:
            lines.append("%s- %s" % (pad, _inline(item)))
    return lines


def _inline(value):
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, (list, tuple)):
        return "[]"
    return _scalar(value)


def dump_yaml(data):
    """Serialise ``data`` (mappings with string keys, lists, str, int, float, bool, None) as block YAML.

    Strings are always double-quoted with ASCII escapes, so the output is plain ASCII and reads back unchanged
    with ``yaml.safe_load`` (datetimes are written as ISO strings).
    """
    if _is_block(data):
        return "\n".join(_emit(data, 0)) + "\n"
    return _inline(data) + "\n"


def dump_receipt(receipt):
    """Serialise a receipt (flat or wrapped) as the ``fsx_export.yaml`` document, fields in receipt order."""
    return dump_yaml(wrap_receipt(_ordered_for_dump(_unwrap(receipt))))


def _ordered_for_dump(receipt):
    known = _ordered(receipt)
    extra = {key: value for key, value in receipt.items() if key not in known}
    known.update(extra)  # keep foreign fields of a receipt read from elsewhere, after ours
    return known


# --------------------------------------------------------------------------------------------------------------
# YAML reading (PyYAML, which ansible-core itself needs on the controller, where receipts are read)


def parse_yaml(text):
    """Parse a YAML (or JSON) document with ``yaml.safe_load``; raises :class:`ReceiptError` when it cannot."""
    if yaml is None:
        raise ReceiptError("reading a receipt needs PyYAML on the host running the module (pip install PyYAML)")
    if isinstance(text, bytes):
        text = text.decode("utf-8-sig")
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise ReceiptError("cannot parse YAML: %s" % err) from err


def load_receipt(text):
    """Parse an ``fsx_export.yaml`` document and return the flat receipt under ``fsx_export``."""
    document = parse_yaml(text)
    if not isinstance(document, dict) or TOP_KEY not in document:
        raise ReceiptError("receipt document: expected a mapping with the top key %s" % TOP_KEY)
    return _unwrap(document)


# --------------------------------------------------------------------------------------------------------------
# the FSx task report (REPORT_CSV_20191124, FAILED_FILES_ONLY)


def _unwrap_report_path(value):
    """FSx wraps paths that start with ``@ + - =`` in quotes (CSV injection guard); remove that wrapping."""
    if len(value) >= 3 and value[0] == value[-1] and value[0] in "'\"" and value[1] in "@+-=":
        return value[1:-1]
    return value


def parse_failure_report(text):
    """Parse an FSx task completion report (``failures.csv``) into rows.

    The format (AWS FSx for Lustre guide, "Working with task completion reports") is RFC 4180 CSV without a
    header, three fields per line: FilePath, FileStatus, ErrorCode, e.g. ``dir1/big,failed,FileSizeTooLarge``.
    Returns ``[{"file_path", "file_status", "error_code"}]``; tolerates bytes, a BOM, CRLF, blank lines, a header
    line, missing trailing fields (None) and extra fields (kept in ``extra``).
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8-sig")
    text = text.lstrip("\ufeff")
    rows = []
    for cells in csv.reader(io.StringIO(text, newline="")):
        if not cells or all(not cell.strip() for cell in cells):
            continue
        if not rows and cells[0].strip().lower() in ("filepath", "file_path", "file path"):
            continue
        row = {name: (cells[i].strip() if i < len(cells) else None) for i, name in enumerate(_REPORT_COLUMNS)}
        row["file_path"] = _unwrap_report_path(cells[0])
        if len(cells) > len(_REPORT_COLUMNS):
            row["extra"] = cells[len(_REPORT_COLUMNS) :]
        rows.append(row)
    return rows


# --------------------------------------------------------------------------------------------------------------
# verification


def _entry_size(entry):
    if isinstance(entry, bool):
        raise ReceiptError("inventory entry: expected a size or a mapping, got %s" % ascii(entry))
    if isinstance(entry, int):
        return entry
    if isinstance(entry, dict):
        for name in ("Size", "size", "size_bytes", "bytes"):
            if isinstance(entry.get(name), int) and not isinstance(entry.get(name), bool):
                return entry[name]
    raise ReceiptError("inventory entry %s has no integer Size/size/size_bytes" % ascii(entry))


def _skip_s3_entry(entry):
    """S3 objects that are not exported files: directory markers and everything under ``_daylily_monitor/``."""
    if not isinstance(entry, dict):
        return False
    key = entry.get("Key", entry.get("key"))
    if not isinstance(key, str):
        return False
    return key.endswith("/") or export.MONITOR_DIR in key.split("/")


def summarize_inventory(inventory, s3=False):
    """Return ``(count, total_bytes)`` of an inventory.

    ``inventory`` is a summary mapping (``count``/``object_count``/``file_count`` and ``total_bytes``/``bytes``)
    or a list of entries (ints, or mappings with ``Size``/``size``/``size_bytes``). With ``s3=True``, entries whose
    ``Key`` ends with ``/`` (directory markers) or lies under ``_daylily_monitor/`` are not counted.
    """
    if isinstance(inventory, dict):
        count = next((inventory[k] for k in ("count", "object_count", "file_count") if k in inventory), None)
        total = next((inventory[k] for k in ("total_bytes", "bytes") if k in inventory), None)
        for value in (count, total):
            if isinstance(value, bool) or not isinstance(value, int):
                raise ReceiptError(
                    "inventory summary: expected integer count and total_bytes, got %s" % ascii(inventory)
                )
        return count, total
    count = total = 0
    for entry in inventory:
        if s3 and _skip_s3_entry(entry):
            continue
        count += 1
        total += _entry_size(entry)
    return count, total


def _failure(failures, field, expected, actual, message=None):
    failures.append(
        {
            "field": field,
            "expected": expected,
            "actual": actual,
            "message": message or "%s: expected %s, got %s" % (field, _show(expected), _show(actual)),
        }
    )


def _show(value):
    return json.dumps(value, default=str) if not isinstance(value, str) else ascii(value)


def _evidence(receipt, failures, inventory, count_field, bytes_field, what, s3):
    """Return (count, bytes) from the inventory (checking the receipt agrees) or from the receipt."""
    recorded = (receipt.get(count_field), receipt.get(bytes_field))
    if inventory is None:
        for field, value in zip((count_field, bytes_field), recorded):
            if isinstance(value, bool) or not isinstance(value, int):
                _failure(failures, field, "a number from the %s inventory" % what, value)
        return recorded
    actual = summarize_inventory(inventory, s3=s3)
    for field, value, observed in zip((count_field, bytes_field), recorded, actual):
        if value is not None and value != observed:
            _failure(
                failures,
                field,
                observed,
                value,
                "%s: the receipt records %s but the %s inventory has %s" % (field, _show(value), what, observed),
            )
    return actual


def verify_receipt(receipt, s3_inventory=None, fsx_inventory=None, report_rows=None, manifest=None, s3_objects=None):
    """Return the failed checks of an export receipt; an empty list means the export is verified.

    Checks: schema_version 4, status ``success``, task_lifecycle ``SUCCEEDED``, ``detached`` true with
    detach_lifecycle DELETED or NOT_FOUND, ``delete_data_in_file_system`` false, no failed-file rows
    (``report_rows`` from :func:`parse_failure_report`, else the receipt's ``failed_files``), and S3 object
    count/bytes equal FSx file count/bytes. Inventories (see :func:`summarize_inventory`) override the receipt's
    counts and must agree with counts the receipt records. With the export ``manifest`` (``{path: entry}``) and
    ``s3_objects`` (``{key relative to the destination: size}`` of the exported files), every file must be in S3 under
    its own name with its own size, and nothing else. The receipt's own ``verified`` is ignored. Each failure is
    ``{"field", "expected", "actual", "message"}``.
    """
    failures = []
    try:
        body = _unwrap(receipt)
    except ReceiptError as err:
        _failure(failures, TOP_KEY, "a receipt mapping", type(receipt).__name__, str(err))
        return failures
    if body.get("schema_version") != SCHEMA_VERSION:
        _failure(failures, "schema_version", SCHEMA_VERSION, body.get("schema_version"))
    if body.get("status") != "success":
        _failure(failures, "status", "success", body.get("status"))
    if body.get("task_lifecycle") != "SUCCEEDED":
        _failure(failures, "task_lifecycle", "SUCCEEDED", body.get("task_lifecycle"))
    if body.get("detached") is not True:
        _failure(failures, "detached", True, body.get("detached"))
    if body.get("detach_lifecycle") not in DETACHED_LIFECYCLES:
        _failure(failures, "detach_lifecycle", " or ".join(DETACHED_LIFECYCLES), body.get("detach_lifecycle"))
    if body.get("delete_data_in_file_system") is not False:
        _failure(failures, "delete_data_in_file_system", False, body.get("delete_data_in_file_system"))
    rows = report_rows if report_rows is not None else body.get("failed_files") or []
    if rows:
        first = rows[0] if isinstance(rows[0], dict) else {}
        _failure(
            failures,
            "failed_files",
            0,
            len(rows),
            "failed_files: expected no failed-file report rows, got %d (first: %s %s)"
            % (len(rows), ascii(first.get("file_path")), first.get("error_code")),
        )
    s3_count, s3_bytes = _evidence(body, failures, s3_inventory, "s3_object_count", "s3_total_bytes", "S3", True)
    fsx_count, fsx_bytes = _evidence(body, failures, fsx_inventory, "fsx_file_count", "fsx_total_bytes", "FSx", False)
    if None not in (s3_count, fsx_count) and s3_count != fsx_count:
        _failure(
            failures,
            "s3_object_count",
            fsx_count,
            s3_count,
            "s3_object_count: expected %s (fsx_file_count), got %s" % (fsx_count, s3_count),
        )
    if None not in (s3_bytes, fsx_bytes) and s3_bytes != fsx_bytes:
        _failure(
            failures,
            "s3_total_bytes",
            fsx_bytes,
            s3_bytes,
            "s3_total_bytes: expected %s (fsx_total_bytes), got %s" % (fsx_bytes, s3_bytes),
        )
    if manifest is not None and s3_objects is not None:
        failures.extend(export.compare_with_s3(manifest, s3_objects))
    return failures


def apply_verification(
    receipt, s3_inventory=None, fsx_inventory=None, report_rows=None, manifest=None, s3_objects=None
):
    """Verify ``receipt`` (see :func:`verify_receipt`) and return ``(updated_receipt, failures)``.

    The copy records the inventory counts, the failed-file rows (when given) and ``verified`` = no failures.
    """
    failures = verify_receipt(
        receipt,
        s3_inventory=s3_inventory,
        fsx_inventory=fsx_inventory,
        report_rows=report_rows,
        manifest=manifest,
        s3_objects=s3_objects,
    )
    updates = {}
    if s3_inventory is not None:
        updates["s3_object_count"], updates["s3_total_bytes"] = summarize_inventory(s3_inventory, s3=True)
    if fsx_inventory is not None:
        updates["fsx_file_count"], updates["fsx_total_bytes"] = summarize_inventory(fsx_inventory)
    if report_rows is not None:
        updates["failed_files"] = [dict(row) for row in report_rows]
    updates["verified"] = not failures
    return update_receipt(receipt, **updates), failures


# --------------------------------------------------------------------------------------------------------------
# the outcome of an export run


def _result_message(result):
    return (result or {}).get("msg") or None


def outcome_fields(
    source_path,
    report_path,
    phase,
    failed_result=None,
    association=None,
    task=None,
    progress=None,
    detach=None,
    file_system_id=None,
):
    """Receipt fields for how an export run ended, from the registered results of its module calls.

    ``phase`` is the phase the run reached; ``failed_result`` the result that stopped it (``ansible_failed_result``),
    if any. ``association`` and ``detach`` are the ``fsx_dra`` results (present, absent), ``task`` the
    ``fsx_export_task`` result and ``progress`` the last ``fsx_data_repository_task_info`` result. A result that is
    missing or skipped contributes nothing. A detach that did not end DELETED or NOT_FOUND fails the run in phase
    ``detach`` (the association is still attached), unless an earlier phase failed first.
    """
    association, task, progress, detach = (value or {} for value in (association, task, progress, detach))
    tasks = progress.get("tasks") or []
    final_task = tasks[0] if tasks else task.get("task") or {}
    detach_lifecycle = detach.get("detach_lifecycle")
    message = None
    if failed_result:
        message = _result_message(failed_result) or "the %s phase failed" % phase
    elif detach and not detach.get("skipped") and detach_lifecycle not in DETACHED_LIFECYCLES:
        phase = "detach"
        message = "Detach failed, the association is still attached: %s" % (_result_message(detach) or "no details")
    failure = {}
    if message is not None:
        failure = {"message": message, "task_failure_details": (tasks[0].get("failure_details") or {}) if tasks else {}}
    return {
        "status": "error" if failure else "success",
        "phase": phase if failure else "complete",
        "fsx_file_system_id": association.get("file_system_id") or file_system_id or None,
        "file_system_path": source_path,
        "association_id": (association.get("association") or {}).get("association_id"),
        "lifecycle": (association.get("association") or {}).get("lifecycle"),
        "task_id": task.get("task_id"),
        "task_lifecycle": final_task.get("lifecycle"),
        "report_path": (final_task.get("report") or {}).get("path") or report_path,
        "detach_lifecycle": detach_lifecycle,
        "detached": detach_lifecycle in DETACHED_LIFECYCLES,
        "delete_data_in_file_system": False,
        "failure_details": failure,
    }
