# -*- coding: utf-8 -*-
# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Dewey 3.0.27 registration contract on the client side: request shapes, normalisation and hashes.

Dewey validates a request with strict models, then hashes the *validated* request: every field present (defaults
filled, unset optionals ``null``), strings trimmed, empty optionals ``null``, SHA-256s lowercased, ``generated_at``
in UTC with ``Z``. :func:`normalise` produces exactly that form without pydantic, and refuses what Dewey would
refuse with 422 (unknown or missing fields, empty strings, bad digests), so check mode validates every request.
:func:`finalise` adds ``manifest_sha256`` (the hash of the normalised request without it); the full-request hash
is the ``Idempotency-Key`` Dewey computes itself (:func:`idempotency_key`).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re

SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
SCHEMA_VERSION = "1.0"

# field kinds: text (required, trimmed), optional (trimmed, empty -> null), sha256, when (ISO-8601 -> UTC Z),
# bool, size (int >= 0), texts (list of trimmed non-empty strings), and nested models.
_ARTIFACT = (
    ("logical_name", "text", None),
    ("relative_path", "relative_path", None),
    ("storage_uri", "s3_uri", None),
    ("sha256", "sha256", None),
    ("size_bytes", "size", None),
    ("mime_type", "text", None),
    ("artifact_role", "text", None),
    ("parser_hint", "optional", None),
    ("required", "bool", True),
    ("produced_by", "text", None),
    ("parent_artifact_euids", "texts", []),
)
_LINEAGE = (("kind", "text", None), ("euid", "text", None), ("role", "optional", None))
_ANALYSIS = (
    ("schema_version", "text", SCHEMA_VERSION),
    ("analysis_euid", "text", None),
    ("run_euid", "text", None),
    ("workset_euid", "optional", None),
    ("project_euid", "optional", None),
    ("assay_id", "optional", None),
    ("pipeline_name", "text", None),
    ("pipeline_version", "text", None),
    ("workflow_engine", "text", None),
    ("workflow_engine_version", "text", None),
    ("snakemake_version", "text", None),
    ("workflow_git_sha", "text", None),
    ("workflow_config_sha256", "sha256", None),
    ("workflow_profile", "text", None),
    ("generated_at", "when", None),
    ("manifest_sha256", "sha256", None),
    ("parent_analysis_artifact_set_euid", "optional", None),
    ("rerun_of", "optional", None),
    ("status", "text", None),
    ("artifacts", "artifacts+", None),
    ("lineage_refs", "lineage", []),
    ("local_only", "bool", False),
    ("parser_family_hint", "optional", None),
)
_MULTIQC = (
    ("schema_version", "text", SCHEMA_VERSION),
    ("analysis_euid", "text", None),
    ("report_kind", "text", None),
    ("multiqc_version", "text", None),
    ("html_artifact", "artifact", None),
    ("data_dir_artifact", "artifact", None),
    ("key_files", "artifacts", []),
    ("parser_relevant_files", "artifacts", []),
    ("generated_at", "when", None),
    ("manifest_sha256", "sha256", None),
    ("local_only", "bool", False),
    ("parser_family_hint", "optional", None),
)
#: route suffix -> field table
REQUEST_KINDS = {"analysis": _ANALYSIS, "multiqc": _MULTIQC}
_REQUIRED = object()


class ContractError(ValueError):
    """A request Dewey would refuse with 422 (or 400 for the directory rules); ``location`` names the field."""

    def __init__(self, location, message):
        super().__init__("%s: %s" % (location, message))
        self.location = location


def _text(value):
    return "" if value is None else str(value).strip()


def _utc(value, where):
    raw = _text(value)
    if not raw:
        raise ContractError(where, "required")
    try:
        parsed = datetime.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ContractError(where, "must be ISO-8601, got %r" % raw) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.timezone.utc)
    return parsed.astimezone(datetime.timezone.utc).isoformat().replace("+00:00", "Z")


def _field(kind, value, where, extra_keys):
    if kind in ("text", "relative_path", "s3_uri"):
        clean = _text(value)
        if not clean:
            raise ContractError(where, "must be a non-empty string")
        if kind == "relative_path" and (clean.startswith("/") or ".." in clean.split("/")):
            raise ContractError(where, "must be relative without '..', got %r" % clean)
        if kind == "s3_uri" and not clean.startswith("s3://"):
            raise ContractError(where, "must use s3://, got %r" % clean)
        return clean
    if kind == "optional":
        return _text(value) or None
    if kind == "sha256":
        clean = _text(value).lower()
        if not SHA256_RE.match(clean):
            raise ContractError(where, "must be a 64-character hex SHA-256, got %r" % (value,))
        return clean
    if kind == "when":
        return _utc(value, where)
    if kind == "bool":
        if not isinstance(value, bool):
            raise ContractError(where, "must be true or false")
        return value
    if kind == "size":
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ContractError(where, "must be an integer >= 0")
        return value
    if kind == "texts":
        if not isinstance(value, list):
            raise ContractError(where, "must be a list")
        return [item for item in (_text(v) for v in value) if item]
    if kind in ("artifact", "artifacts", "artifacts+", "lineage"):
        table = _LINEAGE if kind == "lineage" else _ARTIFACT
        if kind == "artifact":
            return _model(table, value, where, extra_keys)
        if not isinstance(value, list) or (kind == "artifacts+" and not value):
            raise ContractError(where, "must be a list" + (" of at least one artifact" if kind == "artifacts+" else ""))
        return [_model(table, item, "%s[%d]" % (where, index), extra_keys) for index, item in enumerate(value)]
    raise AssertionError(kind)


def _model(table, value, where, extra_keys):
    if not isinstance(value, dict):
        raise ContractError(where, "must be an object")
    allowed = set(name for name, _kind, _default in table) | set(extra_keys)
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise ContractError(where, "unknown field(s) %s: Dewey 3.0.27 rejects them (422)" % ", ".join(unknown))
    result = {}
    for name, kind, default in table:
        here = "%s.%s" % (where, name) if where else name
        if name not in value:
            if default is None and kind not in ("optional",):
                raise ContractError(here, "required")
            result[name] = list(default) if isinstance(default, list) else default
            continue
        result[name] = _field(kind, value[name], here, extra_keys)
    for name in extra_keys:
        if name in value:
            result[name] = value[name]
    return result


def normalise(kind, request, extra_keys=()):
    """The request as Dewey validates it (every field, normalised); raises :class:`ContractError`.

    ``extra_keys`` lets fields through that 3.0.27 does not know (``metadata`` for a Dewey that accepts it)."""
    body = _model(
        REQUEST_KINDS[kind], dict(request, manifest_sha256=request.get("manifest_sha256") or "0" * 64), "", extra_keys
    )
    if kind == "multiqc":
        if body["html_artifact"]["artifact_role"] != "multiqc_html":
            raise ContractError("html_artifact.artifact_role", "must be multiqc_html")
        if body["data_dir_artifact"]["artifact_role"] != "directory":
            raise ContractError("data_dir_artifact.artifact_role", "must be directory")
    for where, artifact in _artifacts(kind, body):
        _check_directory_rules(where, artifact)
    return body


def _artifacts(kind, body):
    if kind == "analysis":
        return [("artifacts[%d]" % i, a) for i, a in enumerate(body["artifacts"])]
    found = [("html_artifact", body["html_artifact"]), ("data_dir_artifact", body["data_dir_artifact"])]
    for field in ("key_files", "parser_relevant_files"):
        found += [("%s[%d]" % (field, i), a) for i, a in enumerate(body[field])]
    return found


def _check_directory_rules(where, artifact):
    """Dewey's 400s for directory artifacts: a prefix URI, ``inode/directory``, size 0; files never end in ``/``."""
    if artifact["artifact_role"] == "directory":
        if not artifact["storage_uri"].endswith("/"):
            raise ContractError(where, "a directory artifact needs a storage_uri ending in '/'")
        if artifact["mime_type"] != "inode/directory" or artifact["size_bytes"] != 0:
            raise ContractError(where, "a directory artifact needs mime_type inode/directory and size_bytes 0")
    elif artifact["storage_uri"].endswith("/"):
        raise ContractError(where, "a storage_uri ending in '/' needs artifact_role directory")


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def canonical_json(value):
    """Dewey's canonical JSON: sorted keys, ``,``/``:`` separators, ASCII escapes."""
    return _CANONICAL.encode(value)


def canonical_body(value):
    """:func:`canonical_json` as the bytes of a request body, encoded piece by piece into one buffer, so the text and
    its bytes are never both held."""
    body = bytearray()
    for chunk in _CANONICAL.iterencode(value):
        body += chunk.encode("utf-8")
    return body


def canonical_sha256(value):
    """The SHA-256 of :func:`canonical_json`, hashed piece by piece as it is encoded: a request listing every artifact
    is never held as one string (and its bytes) just to be hashed."""
    digest = hashlib.sha256()
    for chunk in _CANONICAL.iterencode(value):
        digest.update(chunk.encode("utf-8"))
    return digest.hexdigest()


def manifest_sha256(normalised):
    """SHA-256 of the canonical normalised request without ``manifest_sha256``."""
    return canonical_sha256(dict((k, v) for k, v in normalised.items() if k != "manifest_sha256"))


def finalise(kind, request, extra_keys=()):
    """The request to send: normalised, with its ``manifest_sha256``."""
    body = normalise(kind, request, extra_keys)
    body["manifest_sha256"] = manifest_sha256(body)
    return body


def idempotency_key(body):
    """The key Dewey computes for a finalised request: the SHA-256 of the whole canonical request."""
    return canonical_sha256(body)
