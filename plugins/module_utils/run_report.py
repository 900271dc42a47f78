# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The run report of a lifecycle run: one self-contained HTML page (phases on a timeline, DRAs, exports,
verification, Dewey EUIDs, links to the receipts).

Controller code without Ansible or boto3. :func:`build_report` validates the inputs (every problem raises
:class:`RunReportError`, a ``ValueError``, naming the input and what to pass) and decides what the page says:
durations, the timeline's geometry, export totals, the outcome. :func:`render_html` turns that model into the page:
every value HTML-escaped, CSS inline, no script, and a Content-Security-Policy that forbids every fetch, so the
page never makes a request of any kind (no fonts, scripts or images from anywhere). The same inputs give the same
bytes: nothing in the page depends on the time it was rendered.
"""

from __future__ import annotations

import datetime
import html
import json
import os
import posixpath
import re
from urllib.parse import quote

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import collection
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import export
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import paths
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import receipt as receipts

DEFAULT_FILENAME = "run_report.html"
REPORT_FOLDER = "run-report"
CONTENT_TYPE = "text/html; charset=utf-8"

#: ``ok``: ended well; ``failed``: stopped the run; ``skipped``: not run (check mode, a tag); ``running``: not ended.
PHASE_STATUSES = ("ok", "failed", "skipped", "running")
ASSOCIATION_EVENTS = ("attached", "detached")
OUTCOMES = ("succeeded", "failed", "in progress")

_UTC = datetime.timezone.utc
_ISO_RE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|z|[+-]\d{2}:?\d{2})$",
)
_COMPACT_RE = re.compile(r"\d{8}T\d{6}Z$")
_FILENAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\.html?$")


class RunReportError(ValueError):
    """An input of the run report has the wrong shape or value; the message names it and what to pass."""


def _error(field, problem, expected):
    return RunReportError("%s %s; expected %s" % (field, problem, expected))


# --------------------------------------------------------------------------------------------------------------
# inputs


def parse_time(value, field):
    """An aware UTC datetime from ISO 8601 with a zone (``2026-12-06T12:00:05Z``, ``...+00:00``, as
    ``now(utc=true).isoformat()`` gives), the export timestamp form ``20261206T120005Z``, or epoch seconds."""
    expected = "an ISO 8601 time with a zone, e.g. '2026-12-06T12:00:05Z' (Jinja: now(utc=true).isoformat())"
    if isinstance(value, bool):
        raise _error(field, "is %s" % ascii(value), expected)
    if isinstance(value, (int, float)):
        return datetime.datetime.fromtimestamp(value, _UTC)
    if not isinstance(value, str):
        raise _error(field, "is a %s" % type(value).__name__, expected)
    text = value.strip()
    if _COMPACT_RE.match(text):
        return datetime.datetime.strptime(text, export.EXPORT_TIMESTAMP_FORMAT).replace(tzinfo=_UTC)
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return datetime.datetime.fromtimestamp(float(text), _UTC)
    match = _ISO_RE.match(text)
    if not match:
        if re.match(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?$", text):
            raise _error(field, "%s has no time zone" % ascii(value), expected)
        raise _error(field, "%s is not a time" % ascii(value), expected)
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    if zone in ("Z", "z"):
        offset = datetime.timedelta(0)
    else:
        digits = zone[1:].replace(":", "")
        offset = datetime.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        offset = -offset if zone[0] == "-" else offset
    try:
        moment = datetime.datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second),
            int((fraction or "0").ljust(6, "0")[:6]),
            tzinfo=datetime.timezone(offset),
        )
    except ValueError as err:
        raise RunReportError(
            "%s %s is not a valid time (%s); expected %s" % (field, ascii(value), err, expected)
        ) from err
    return moment.astimezone(_UTC)


def _text(value, field, required=True):
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise _error(field, "is %s" % ascii(value), "a non-empty string")
    return value


def _mapping(value, field, expected):
    if not isinstance(value, dict):
        raise _error(field, "is a %s" % type(value).__name__, expected)
    return value


def _sequence(value, field, expected):
    if value is None:
        return []
    if not isinstance(value, (list, tuple)):
        raise _error(field, "is a %s" % type(value).__name__, expected)
    return list(value)


def normalize_phases(phases):
    """The phases in the order given, each ``{name, started_at, ended_at, status, changed, duration_seconds}``
    (times as aware datetimes, ``None`` where not known)."""
    expected = "a list of {name, started_at, ended_at, status, changed}"
    result = []
    for index, phase in enumerate(_sequence(phases, "phases", expected)):
        field = "phases[%d]" % index
        _mapping(phase, field, "a mapping {name, started_at, ended_at, status, changed}")
        unknown = sorted(set(phase) - {"name", "started_at", "ended_at", "status", "changed"})
        if unknown:
            raise _error(
                field, "has unknown keys %s" % ", ".join(unknown), "only name, started_at, ended_at, status, changed"
            )
        name = _text(phase.get("name"), field + ".name")
        status = phase.get("status", "ok")
        if status not in PHASE_STATUSES:
            raise _error("%s.status" % field, "is %s" % ascii(status), "one of %s" % ", ".join(PHASE_STATUSES))
        changed = phase.get("changed", False)
        if not isinstance(changed, bool):
            raise _error("%s.changed" % field, "is %s" % ascii(changed), "true or false")
        started = ended = None
        if phase.get("started_at") not in (None, ""):
            started = parse_time(phase["started_at"], "%s.started_at (%s)" % (field, name))
        elif status != "skipped":
            raise _error(
                "%s.started_at (%s)" % (field, name), "is missing", "the time the phase started (status %s)" % status
            )
        if phase.get("ended_at") not in (None, ""):
            ended = parse_time(phase["ended_at"], "%s.ended_at (%s)" % (field, name))
        elif status in ("ok", "failed"):
            raise _error(
                "%s.ended_at (%s)" % (field, name),
                "is missing",
                "the time the phase ended, or status running while it has not",
            )
        if status == "running" and ended is not None:
            raise _error("%s.ended_at (%s)" % (field, name), "is set", "no end time while status is running")
        if started is not None and ended is not None and ended < started:
            raise _error(
                "%s.ended_at (%s)" % (field, name),
                "%s is before started_at %s" % (_iso(ended), _iso(started)),
                "an end at or after the start",
            )
        result.append(
            {
                "name": name,
                "status": status,
                "changed": changed,
                "started_at": started,
                "ended_at": ended,
                "duration_seconds": (ended - started).total_seconds() if started and ended else None,
            }
        )
    return result


def _association_of(item, field):
    """A flat association from an association mapping or a registered fsx_dra result (a detach shows how it ended,
    its ``detach_lifecycle``); None for a result that has none (skipped, or check mode before a creation)."""
    _mapping(item, field, "an association or a registered fsx_dra result")
    if item.get("skipped"):
        return None
    detach_lifecycle = None
    if "association" in item or "changed" in item:  # a registered fsx_dra result
        detach_lifecycle = item.get("detach_lifecycle")  # state=absent: how the detach ended
        item = item.get("association") or {}
        if not item:
            return None
        _mapping(item, field + ".association", "the association of an fsx_dra result")
    if not (item.get("association_id") or item.get("file_system_path")):
        raise _error(
            field,
            "has neither association_id nor file_system_path",
            "an association (association_id, file_system_path, data_repository_path) or a registered fsx_dra result",
        )
    tags = item.get("tags") if isinstance(item.get("tags"), dict) else {}
    flat = {
        "association_id": item.get("association_id"),
        "file_system_id": item.get("file_system_id"),
        "file_system_path": item.get("file_system_path"),
        "data_repository_path": item.get("data_repository_path"),
        "lifecycle": detach_lifecycle or item.get("lifecycle"),
        "purpose": tags.get("lsmc:purpose") or item.get("purpose"),
    }
    for key, value in flat.items():
        if value is not None and not isinstance(value, str):
            raise _error("%s.%s" % (field, key), "is %s" % ascii(value), "a string")
    return flat


def normalize_associations(associations):
    """``{"attached": [...], "detached": [...]}`` of flat associations (see :func:`_association_of`)."""
    expected = "a mapping {attached: [...], detached: [...]} of associations or registered fsx_dra results"
    associations = _mapping(associations or {}, "associations", expected)
    unknown = sorted(set(associations) - set(ASSOCIATION_EVENTS))
    if unknown:
        raise _error("associations", "has unknown keys %s" % ", ".join(map(str, unknown)), expected)
    result = {}
    for event in ASSOCIATION_EVENTS:
        field = "associations.%s" % event
        items = _sequence(associations.get(event), field, "a list of associations or registered fsx_dra results")
        flat = (_association_of(item, "%s[%d]" % (field, i)) for i, item in enumerate(items))
        result[event] = [item for item in flat if item is not None]
    return result


def summarize_receipt(body, path):
    """What the page shows of one ``fsx_export.yaml``: counts, bytes, verification, where it is."""
    destination = body.get("destination_s3_uri") or body.get("s3_root")
    timestamp = body.get("timestamp") or export.report_timestamp(body.get("report_path"))
    receipt_s3_uri = None
    if destination and timestamp:
        try:
            receipt_s3_uri = export.export_receipt_uri(destination, timestamp)
        except (paths.PathRuleError, export.ExportRuleError):
            receipt_s3_uri = None
    failure = body.get("failure_details") if isinstance(body.get("failure_details"), dict) else {}
    return {
        "path": path,
        "analysis_dir": body.get("analysis_dir"),
        "destination_s3_uri": destination,
        "receipt_s3_uri": receipt_s3_uri,
        "status": body.get("status"),
        "phase": body.get("phase"),
        "task_id": body.get("task_id"),
        "task_lifecycle": body.get("task_lifecycle"),
        "timestamp": timestamp,
        "s3_object_count": body.get("s3_object_count"),
        "s3_total_bytes": body.get("s3_total_bytes"),
        "fsx_file_count": body.get("fsx_file_count"),
        "fsx_total_bytes": body.get("fsx_total_bytes"),
        "verified": body.get("verified") is True,
        "failed_file_count": len(body.get("failed_files") or []),
        "failure_message": failure.get("message"),
    }


def read_receipts(receipt_paths):
    """Read each ``fsx_export.yaml`` (local paths, on the host running the module) and summarise it."""
    expected = "a list of paths to fsx_export.yaml files (export_receipt's receipt_path)"
    result = []
    for index, path in enumerate(_sequence(receipt_paths, "receipts", expected)):
        field = "receipts[%d]" % index
        _text(path, field)
        if not os.path.isfile(path):
            raise _error(field, "%s is not a file" % ascii(path), "the receipt_path that export_receipt returned")
        with open(path, "rb") as handle:
            data = handle.read()
        try:
            body = receipts.load_receipt(data)
        except receipts.ReceiptError as err:
            raise RunReportError("%s %s cannot be read as an export receipt: %s" % (field, ascii(path), err)) from err
        result.append(summarize_receipt(body, os.path.abspath(path)))
    return result


def _euids(value, field):
    value = _sequence(value, field, "a list of EUIDs")
    for index, euid in enumerate(value):
        _text(euid, "%s[%d]" % (field, index))
    return value


def normalize_registrations(registrations):
    """Each registration as ``{analysis_euid, multiqc_euids, euids, receipt_s3_uri, export_receipt_uri}`` from an
    EUID string or a registered dewey_register result; skipped results are left out."""
    expected = "a list of Dewey EUIDs or registered dewey_register results"
    result = []
    for index, item in enumerate(_sequence(registrations, "registrations", expected)):
        field = "registrations[%d]" % index
        if isinstance(item, str):
            result.append(
                {
                    "analysis_euid": _text(item, field),
                    "multiqc_euids": [],
                    "euids": [item],
                    "receipt_s3_uri": None,
                    "export_receipt_uri": None,
                }
            )
            continue
        _mapping(item, field, "an EUID or a registered dewey_register result")
        if item.get("skipped"):
            continue
        analysis = _text(item.get("analysis_artifact_set_euid"), field + ".analysis_artifact_set_euid", False)
        multiqc = _euids(item.get("multiqc_artifact_set_euids"), field + ".multiqc_artifact_set_euids")
        euids = _euids(item.get("artifact_set_euids"), field + ".artifact_set_euids")
        if not euids:
            euids = ([analysis] if analysis else []) + multiqc
        result.append(
            {
                "analysis_euid": analysis,
                "multiqc_euids": multiqc,
                "euids": euids,
                "receipt_s3_uri": _text(item.get("registration_receipt_s3_uri"), field, False),
                "export_receipt_uri": _text(item.get("export_receipt_uri"), field, False),
            }
        )
    return result


def normalize_summary(summary):
    """The operator's extra facts (``{label: value}``, e.g. the cost so far), in the order given; values are shown
    as text (numbers as written, lists and mappings as JSON)."""
    summary = _mapping(summary or {}, "summary", "a mapping {label: value}, e.g. {cost_so_far_usd: 12.34}")
    result = []
    for label, value in summary.items():
        _text(label, "summary key")
        if isinstance(value, (dict, list, tuple)):
            value = json.dumps(value, sort_keys=True, default=str)
        elif value is None:
            value = "unknown"
        elif isinstance(value, bool):
            value = "yes" if value else "no"
        result.append((label, str(value)))
    return result


# --------------------------------------------------------------------------------------------------------------
# decisions


def _sum(values):
    """The sum of counts, or None when any is unknown."""
    values = list(values)
    if any(value is None or isinstance(value, bool) or not isinstance(value, int) for value in values):
        return None
    return sum(values)


def export_totals(exports):
    """Objects and bytes over every receipt, and whether every export verified (``None`` without any receipt)."""
    return {
        "receipt_count": len(exports),
        "s3_object_count": _sum(item["s3_object_count"] for item in exports),
        "s3_total_bytes": _sum(item["s3_total_bytes"] for item in exports),
        "verified": all(item["verified"] for item in exports) if exports else None,
        "failed_file_count": sum(item["failed_file_count"] for item in exports),
    }


def outcome_of(phases, exports):
    """``failed`` when a phase failed or an export ended in error; ``in progress`` while a phase runs; else
    ``succeeded``."""
    if any(phase["status"] == "failed" for phase in phases) or any(item["status"] == "error" for item in exports):
        return "failed"
    if any(phase["status"] == "running" for phase in phases):
        return "in progress"
    return "succeeded"


def timeline(phases):
    """The run's span and, per phase, its bar as percentages of it (``None`` for a phase without a start)."""
    starts = [phase["started_at"] for phase in phases if phase["started_at"]]
    ends = [phase["ended_at"] or phase["started_at"] for phase in phases if phase["started_at"]]
    if not starts:
        return {"started_at": None, "ended_at": None, "duration_seconds": None, "bars": [None] * len(phases)}
    first, last = min(starts), max(ends)
    span = (last - first).total_seconds()
    bars = []
    for phase in phases:
        if phase["started_at"] is None:
            bars.append(None)
            continue
        end = phase["ended_at"] or last  # a running phase runs to the end of what is known
        if span > 0:
            left = (phase["started_at"] - first).total_seconds() / span * 100
            width = (end - phase["started_at"]).total_seconds() / span * 100
        else:
            left, width = 0.0, 100.0
        bars.append({"left": round(left, 2), "width": round(max(width, 0.5), 2)})
    return {"started_at": first, "ended_at": last, "duration_seconds": span, "bars": bars}


def report_key(s3_uri, filename=DEFAULT_FILENAME):
    """``(bucket, key, uri)`` of the report in S3: under ``<destination>_daylily_monitor/run-report/`` for an export
    destination (a prefix ending with ``/``), or an object URI that lies under a ``_daylily_monitor/`` folder (anything
    else would be counted as exported data by the receipts' verification)."""
    if s3_uri.endswith("/"):
        destination = paths.normalize_s3_uri(s3_uri, field="s3_uri")
        uri = "%s%s/%s/%s" % (destination, export.MONITOR_DIR, REPORT_FOLDER, filename)
    else:
        uri = s3_uri
    bucket, key = paths.s3_uri_to_key(uri)
    if export.MONITOR_DIR not in key.split("/")[:-1]:
        raise _error(
            "s3_uri",
            "%s is not under a %s/ folder" % (ascii(s3_uri), export.MONITOR_DIR),
            "the export destination s3://bucket/prefix/<entity>/<analysis_id>/ (the report goes under its %s/)"
            % export.MONITOR_DIR,
        )
    return bucket, key, "s3://%s/%s" % (bucket, key)


def check_filename(filename):
    if not isinstance(filename, str) or not _FILENAME_RE.fullmatch(filename):
        raise _error("filename", "is %s" % ascii(filename), "a plain file name ending in .html, e.g. run_report.html")
    return filename


def build_report(title, phases=None, associations=None, exports=None, registrations=None, summary=None):
    """The model :func:`render_html` draws: validated inputs plus every decision (timeline, totals, outcome).

    ``exports`` are :func:`read_receipts` summaries; everything else is as the module takes it.
    """
    phases = normalize_phases(phases)
    exports = list(exports or [])
    return {
        "title": _text(title, "title"),
        "phases": phases,
        "timeline": timeline(phases),
        "associations": normalize_associations(associations),
        "exports": exports,
        "totals": export_totals(exports),
        "registrations": normalize_registrations(registrations),
        "summary": normalize_summary(summary),
        "outcome": outcome_of(phases, exports),
    }


def report_from_options(options):
    """:func:`build_report` from the module's options (``title``, ``phases``, ``associations``, ``receipts`` as
    paths, ``registrations``, ``summary``), reading the receipts."""
    return build_report(
        options["title"],
        phases=options.get("phases"),
        associations=options.get("associations"),
        exports=read_receipts(options.get("receipts")),
        registrations=options.get("registrations"),
        summary=options.get("summary"),
    )


def report_facts(model):
    """The model as plain data for the module's result (times as ISO strings)."""
    span = model["timeline"]
    return {
        "outcome": model["outcome"],
        "started_at": _iso(span["started_at"]),
        "ended_at": _iso(span["ended_at"]),
        "duration_seconds": span["duration_seconds"],
        "phases": [
            dict(phase, started_at=_iso(phase["started_at"]), ended_at=_iso(phase["ended_at"]))
            for phase in model["phases"]
        ],
        "associations": model["associations"],
        "export": model["totals"],
        "euids": [euid for item in model["registrations"] for euid in item["euids"]],
    }


# --------------------------------------------------------------------------------------------------------------
# formatting


def _iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def format_time(moment):
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "\u2014"


def format_duration(seconds):
    """``1 h 02 min 03 s``, ``4 min 05 s``, ``12 s``; an em dash when unknown."""
    if seconds is None:
        return "\u2014"
    total = int(round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return "%d h %02d min %02d s" % (hours, minutes, secs)
    if minutes:
        return "%d min %02d s" % (minutes, secs)
    return "%d s" % secs


def format_bytes(count):
    """``1,234,567 bytes (1.2 MiB)``; ``unknown`` when None."""
    if count is None:
        return "unknown"
    text = f"{count:,} bytes"
    size, unit = float(count), None
    for candidate in ("KiB", "MiB", "GiB", "TiB", "PiB"):
        if size < 1024:
            break
        size, unit = size / 1024, candidate
    return "%s (%.1f %s)" % (text, size, unit) if unit else text


def format_count(count):
    return "unknown" if count is None else f"{count:,}"


def _e(value):
    """HTML-escape any value (quotes too, so it is safe inside attributes)."""
    return html.escape("" if value is None else str(value), quote=True)


def _href(target, base_dir):
    """A relative, percent-encoded link from the report's folder to a local file."""
    relative = os.path.relpath(target, base_dir).replace(os.sep, "/")
    return quote(posixpath.normpath(relative), safe="/._-~")


# --------------------------------------------------------------------------------------------------------------
# rendering

_CSS = """
:root{color-scheme:light;--ok:#1a7f37;--failed:#cf222e;--skipped:#8c959f;--running:#9a6700;--line:#d0d7de}
*{box-sizing:border-box}
body{margin:0;padding:24px 32px;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;
color:#1f2328;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid var(--line);
padding-bottom:4px}
.meta{color:#59636e;margin:0 0 16px}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;font-size:12px;font-weight:600}
.badge.ok,.badge.success,.badge.succeeded,.badge.verified{background:var(--ok)}
.badge.failed,.badge.error,.badge.not-verified{background:var(--failed)}
.badge.skipped,.badge.none{background:var(--skipped)}
.badge.running,.badge.in-progress{background:var(--running)}
.cards{display:flex;flex-wrap:wrap;gap:12px}
.card{border:1px solid var(--line);border-radius:6px;padding:10px 14px;min-width:170px}
.card .label{color:#59636e;font-size:12px}.card .value{font-size:18px;font-weight:600}
table{border-collapse:collapse;width:100%;margin:4px 0}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{background:#f6f8fa;font-weight:600}
td.num{text-align:right;font-variant-numeric:tabular-nums}
code{font:12px/1.4 ui-monospace,"DejaVu Sans Mono",monospace;word-break:break-all}
code.euid{word-break:normal;white-space:nowrap}ul.euids{margin:0;padding-left:18px}
.legend{color:#59636e;font-size:12px;margin:6px 0 0}
.timeline{border:1px solid var(--line);border-radius:6px;padding:10px}
.track{display:flex;align-items:center;gap:8px;margin:4px 0}
.track .name{width:160px;flex:none;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.track .lane{position:relative;flex:1;height:18px;background:#f6f8fa;border-radius:3px}
.bar{position:absolute;top:0;bottom:0;border-radius:3px;min-width:3px}
.bar.ok{background:var(--ok)}.bar.failed{background:var(--failed)}.bar.running{background:var(--running)}
.bar.changed{box-shadow:inset 0 0 0 2px #0969da}
.track .time{width:110px;flex:none;text-align:right;color:#59636e;font-variant-numeric:tabular-nums}
.empty{color:#59636e;font-style:italic}
footer{margin-top:32px;color:#59636e;font-size:12px}
"""

# Forbids every fetch (default-src 'none'); only the inline stylesheet and style attributes are allowed.
_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"


def _badge(text, kind=None):
    return '<span class="badge %s">%s</span>' % (_e((kind or text).replace(" ", "-")), _e(text))


def _table(table_id, headers, rows, empty):
    if not rows:
        return '<p class="empty" id="%s">%s</p>' % (_e(table_id), _e(empty))
    head = "".join("<th>%s</th>" % _e(header) for header in headers)
    return '<table id="%s"><thead><tr>%s</tr></thead><tbody>%s</tbody></table>' % (
        _e(table_id),
        head,
        "".join(rows),
    )


def _card(card_id, label, value_html):
    return '<div class="card" id="%s"><div class="label">%s</div><div class="value">%s</div></div>' % (
        _e(card_id),
        _e(label),
        value_html,
    )


def _verification(verified):
    if verified is None:
        return _badge("no export", "none")
    return _badge("verified") if verified else _badge("not verified", "not-verified")


def _summary_cards(model):
    totals = model["totals"]
    phases = model["phases"]
    done = sum(1 for phase in phases if phase["status"] == "ok")
    cards = [
        _card("card-outcome", "Outcome", _badge(model["outcome"])),
        _card("card-duration", "Duration", _e(format_duration(model["timeline"]["duration_seconds"]))),
        _card("card-phases", "Phases ok", _e("%d of %d" % (done, len(phases)))),
        _card(
            "card-dras",
            "DRAs attached / detached",
            _e("%d / %d" % (len(model["associations"]["attached"]), len(model["associations"]["detached"]))),
        ),
        _card("card-objects", "Objects exported", _e(format_count(totals["s3_object_count"]))),
        _card("card-bytes", "Bytes exported", _e(format_bytes(totals["s3_total_bytes"]))),
        _card("card-verification", "Verification", _verification(totals["verified"])),
        _card(
            "card-euids",
            "Dewey EUIDs",
            _e(str(sum(len(item["euids"]) for item in model["registrations"]))),
        ),
    ]
    cards.extend(_card("summary-%d" % index, label, _e(value)) for index, (label, value) in enumerate(model["summary"]))
    return '<div class="cards" id="summary">%s</div>' % "".join(cards)


def _timeline_html(model):
    tracks = []
    for phase, geometry in zip(model["phases"], model["timeline"]["bars"]):
        classes = "bar %s%s" % (phase["status"], " changed" if phase["changed"] else "")
        lane = (
            '<div class="%s" style="left:%.2f%%;width:%.2f%%" title="%s"></div>'
            % (
                _e(classes),
                geometry["left"],
                min(geometry["width"], 100 - geometry["left"]),
                _e("%s: %s" % (phase["name"], format_duration(phase["duration_seconds"]))),
            )
            if geometry
            else ""
        )
        tracks.append(
            '<div class="track" data-phase="%s"><div class="name">%s</div><div class="lane">%s</div>'
            '<div class="time">%s</div></div>'
            % (_e(phase["name"]), _e(phase["name"]), lane, _e(format_duration(phase["duration_seconds"])))
        )
    if not tracks:
        return '<p class="empty" id="timeline">No phase was recorded.</p>'
    return (
        '<div class="timeline" id="timeline">%s<p class="legend">Bars span each phase within the run; an outlined bar'
        " changed something.</p></div>" % "".join(tracks)
    )


def _phase_rows(model):
    return [
        '<tr data-phase="%s"><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td class="num">%s</td></tr>'
        % (
            _e(phase["name"]),
            _e(phase["name"]),
            _badge(phase["status"]),
            "changed" if phase["changed"] else "no change",
            _e(format_time(phase["started_at"])),
            _e(format_time(phase["ended_at"])),
            _e(format_duration(phase["duration_seconds"])),
        )
        for phase in model["phases"]
    ]


def _association_rows(model):
    return [
        '<tr data-association="%s" data-event="%s"><td>%s</td><td><code>%s</code></td><td><code>%s</code></td>'
        "<td><code>%s</code></td><td>%s</td><td>%s</td></tr>"
        % (
            _e(item["association_id"]),
            _e(event),
            _e(event),
            _e(item["association_id"]),
            _e(item["file_system_path"]),
            _e(item["data_repository_path"]),
            _e(item["purpose"]),
            _e(item["lifecycle"]),
        )
        for event in ASSOCIATION_EVENTS
        for item in model["associations"][event]
    ]


def _export_rows(model, base_dir):
    rows = []
    for item in model["exports"]:
        status = _badge(item["status"] or "unknown", item["status"] or "none")
        if item["failure_message"]:
            status += "<br>%s" % _e(item["failure_message"])
        rows.append(
            '<tr class="export" data-analysis="%s"><td>%s</td><td><code>%s</code></td><td>%s</td>'
            '<td class="num objects">%s</td><td class="num bytes">%s</td><td class="num">%s</td><td>%s</td>'
            '<td><a class="receipt-link" href="%s">%s</a><br><code>%s</code></td></tr>'
            % (
                _e(item["analysis_dir"]),
                _e(item["analysis_dir"]),
                _e(item["destination_s3_uri"]),
                status,
                _e(format_count(item["s3_object_count"])),
                _e(format_bytes(item["s3_total_bytes"])),
                _e(format_count(item["failed_file_count"])),
                _verification(item["verified"]),
                _e(_href(item["path"], base_dir)),
                _e(os.path.basename(item["path"])),
                _e(item["receipt_s3_uri"]),
            )
        )
    return rows


def _registration_rows(model):
    rows = []
    for item in model["registrations"]:
        euids = "".join('<li><code class="euid">%s</code></li>' % _e(euid) for euid in item["euids"])
        rows.append(
            '<tr class="registration"><td><code>%s</code></td><td><ul class="euids">%s</ul></td><td><code>%s</code></td></tr>'
            % (_e(item["export_receipt_uri"]), euids or '<span class="empty">none</span>', _e(item["receipt_s3_uri"]))
        )
    return rows


def render_html(model, base_dir):
    """The page for ``model`` (:func:`build_report`); receipt links are relative to ``base_dir``, the report's folder."""
    span = model["timeline"]
    sections = [
        "<h2>Summary</h2>",
        _summary_cards(model),
        "<h2>Timeline</h2>",
        _timeline_html(model),
        "<h2>Phases</h2>",
        _table(
            "phases",
            ("Phase", "Status", "Change", "Started", "Ended", "Duration"),
            _phase_rows(model),
            "No phase was recorded.",
        ),
        "<h2>Data repository associations</h2>",
        _table(
            "associations",
            ("Event", "Association", "FSx path", "S3 path", "Purpose", "Lifecycle"),
            _association_rows(model),
            "No association was attached or detached.",
        ),
        "<h2>Exports</h2>",
        _table(
            "exports",
            ("Analysis", "Destination", "Status", "Objects", "Bytes", "Failed files", "Verification", "Receipt"),
            _export_rows(model, base_dir),
            "No export receipt.",
        ),
        "<h2>Dewey registrations</h2>",
        _table(
            "registrations",
            ("Export receipt", "Artifact set EUIDs", "Registration receipt"),
            _registration_rows(model),
            "Nothing was registered.",
        ),
    ]
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta http-equiv="Content-Security-Policy" content="%s">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="icon" href="data:,">'
        "<title>%s</title><style>%s</style></head>\n"
        '<body data-outcome="%s"><h1>%s</h1><p class="meta">%s &rarr; %s &middot; %s</p>\n%s\n'
        "<footer>Written by %s %s.</footer></body></html>\n"
        % (
            _e(_CSP),
            _e(model["title"]),
            _CSS.strip(),
            _e(model["outcome"]),
            _e(model["title"]),
            _e(format_time(span["started_at"])),
            _e(format_time(span["ended_at"])),
            _badge(model["outcome"]),
            "\n".join(sections),
            _e(collection.NAME),
            _e(collection.VERSION),
        )
    )
