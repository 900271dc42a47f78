"""Sandbox Dewey: a contract-faithful stand-in for the Dewey 3.0.27 registration API (DESIGN §4).

What it enforces, in Dewey's own order (one lock = one transaction):

1. ``Authorization: Bearer <token>`` from the configured set, else 401 (``Missing``/``Invalid bearer token``);
2. strict request models (pydantic, ``extra="forbid"``): unknown or missing fields, empty strings, bad SHA-256s,
   wrong MultiQC html/dir roles -> 422 with FastAPI's ``{"detail": [...]}``;
3. a supplied ``Idempotency-Key`` that is not the hash of the canonical validated request -> 409;
4. ``manifest_sha256`` not the hash of the canonical request without it -> 400;
5. the same request again -> the stored body replayed, nothing new;
6. one S3 HeadObject per file artifact in the sandbox S3: missing -> 404, other S3 error -> 502, size differs -> 400;
   directory artifacts need a ``/`` URI, ``inode/directory`` and size 0, a file URI must not end in ``/`` (400);
7. artifacts are immutable: the same URI with another sha256, size or role -> 409, an exact match is reused;
8. HTTP 200 with ``{"status_code": 201, ...receipt}``.

Beside the API, for tests: a fault switch (5xx N times, slow responses, dropped connections before or after the
registration is stored), a record of every request (the bearer token is never recorded) and the registered sets.
Control routes live under ``/_dewey/`` (no auth); :class:`DeweyStub` offers the same in-process.

Start it in a thread (``DeweyStub(...).start()``, pytest fixture ``dewey_stub``) or as a process::

    python -m sandbox.dewey --s3-endpoint http://127.0.0.1:PORT --token-file TOKEN [--env-file F] [--pid-file F]
"""

import argparse
import hashlib
import json
import os
import socket
import sys
import threading
import time
from datetime import UTC
from datetime import datetime
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from pathlib import Path
from pathlib import PurePosixPath
from typing import Annotated
from typing import Any

import boto3
import botocore.exceptions
from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field
from pydantic import StringConstraints
from pydantic import ValidationError
from pydantic import field_validator
from pydantic import model_validator

from sandbox.process import ServedFromThread
from sandbox.process import serve_until_terminated

LOOPBACK = "127.0.0.1"
SERVICE_VERSION = "3.0.27"
ANALYSIS_ROUTE = "/api/v1/artifact-sets/analysis/register"
MULTIQC_ROUTE = "/api/v1/artifact-sets/multiqc/register"
_HEX = set("0123456789abcdef")


# --------------------------------------------------------------------------------------------------------------
# the request models of Dewey 3.0.27 (registration_contracts): what is required, defaulted and normalised


def _text(value):
    return str(value or "").strip()


def _optional_text(value):
    return _text(value) or None


def _sha256(value):
    clean = _text(value).lower()
    if len(clean) != 64 or not set(clean) <= _HEX:
        raise ValueError("sha256 must be a 64-character lowercase hex digest")
    return clean


def _utc_iso(value):
    raw = _text(value)
    if not raw:
        raise ValueError("generated_at is required")
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError as err:
        raise ValueError("generated_at must be ISO8601") from err
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _normalising(normaliser, *fields, mode="before"):
    """A validator running ``normaliser`` on ``fields``: before pydantic checks their type, unless ``mode`` is after."""
    return field_validator(*fields, mode=mode)(classmethod(lambda cls, value: normaliser(value)))


Text = Annotated[str, StringConstraints(min_length=1)]
Sha256 = Annotated[str, StringConstraints(min_length=64, max_length=64)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FileArtifact(Strict):
    logical_name: Text
    relative_path: Text
    storage_uri: Text
    sha256: Sha256
    size_bytes: int = Field(ge=0)
    mime_type: Text
    artifact_role: Text
    parser_hint: str | None = None
    required: bool = True
    produced_by: Text
    parent_artifact_euids: list[str] = Field(default_factory=list)

    _trim = _normalising(
        _text, "logical_name", "relative_path", "storage_uri", "mime_type", "artifact_role", "produced_by"
    )
    _trim_optional = _normalising(_optional_text, "parser_hint")
    _sha = _normalising(_sha256, "sha256")

    @field_validator("parent_artifact_euids", mode="before")
    @classmethod
    def _parents(cls, value):
        if value is None:
            return []
        if not isinstance(value, list):
            raise ValueError("parent_artifact_euids must be a list")
        return [item for item in (_text(v) for v in value) if item]

    @field_validator("relative_path")
    @classmethod
    def _relative(cls, value):
        parts = PurePosixPath(value).parts
        if value.startswith("/"):
            raise ValueError("relative_path must be relative")
        if ".." in parts:
            raise ValueError("relative_path must not contain '..'")
        return value

    @field_validator("storage_uri")
    @classmethod
    def _s3(cls, value):
        if not value.startswith("s3://"):
            raise ValueError("storage_uri must use s3://")
        return value


class LineageRef(Strict):
    kind: Text
    euid: Text
    role: str | None = None

    _trim = _normalising(_text, "kind", "euid")
    _trim_optional = _normalising(_optional_text, "role")


class AnalysisRequest(Strict):
    schema_version: str = "1.0"
    analysis_euid: Text
    run_euid: Text
    workset_euid: str | None = None
    project_euid: str | None = None
    assay_id: str | None = None
    pipeline_name: Text
    pipeline_version: Text
    workflow_engine: Text
    workflow_engine_version: Text
    snakemake_version: Text
    workflow_git_sha: Text
    workflow_config_sha256: Sha256
    workflow_profile: Text
    generated_at: Text
    manifest_sha256: Sha256
    parent_analysis_artifact_set_euid: str | None = None
    rerun_of: str | None = None
    status: Text
    artifacts: list[FileArtifact] = Field(min_length=1)
    lineage_refs: list[LineageRef] = Field(default_factory=list)
    local_only: bool = False
    parser_family_hint: str | None = None

    _trim = _normalising(
        _text,
        "schema_version",
        "analysis_euid",
        "run_euid",
        "pipeline_name",
        "pipeline_version",
        "workflow_engine",
        "workflow_engine_version",
        "snakemake_version",
        "workflow_git_sha",
        "workflow_profile",
        "status",
    )
    _trim_optional = _normalising(
        _optional_text,
        "workset_euid",
        "project_euid",
        "assay_id",
        "parent_analysis_artifact_set_euid",
        "rerun_of",
        "parser_family_hint",
    )
    _sha = _normalising(_sha256, "manifest_sha256", "workflow_config_sha256")
    _when = _normalising(_utc_iso, "generated_at", mode="after")


class MultiQCRequest(Strict):
    schema_version: str = "1.0"
    analysis_euid: Text
    report_kind: Text
    multiqc_version: Text
    html_artifact: FileArtifact
    data_dir_artifact: FileArtifact
    key_files: list[FileArtifact] = Field(default_factory=list)
    parser_relevant_files: list[FileArtifact] = Field(default_factory=list)
    generated_at: Text
    manifest_sha256: Sha256
    local_only: bool = False
    parser_family_hint: str | None = None

    _trim = _normalising(_text, "schema_version", "analysis_euid", "report_kind", "multiqc_version")
    _trim_optional = _normalising(_optional_text, "parser_family_hint")
    _sha = _normalising(_sha256, "manifest_sha256")
    _when = _normalising(_utc_iso, "generated_at", mode="after")

    @model_validator(mode="after")
    def _roles(self):
        if self.html_artifact.artifact_role != "multiqc_html":
            raise ValueError("html_artifact.artifact_role must be multiqc_html")
        if self.data_dir_artifact.artifact_role != "directory":
            raise ValueError("data_dir_artifact.artifact_role must be directory")
        return self


def canonical_json(value: Any) -> str:
    """Dewey's canonical form: the model dumped in JSON mode, sorted keys, no spaces, ASCII escapes."""
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def canonical_sha256(value: Any) -> str:
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------------------------------------------
# the registry


class DeweyError(Exception):
    def __init__(self, status, detail):
        super().__init__(detail)
        self.status = status
        self.detail = detail


def not_found(message):
    """Dewey's 404: its not-found error is a KeyError, so the detail is the message in single quotes."""
    return DeweyError(404, "'%s'" % message)


def _split_s3_uri(uri):
    bucket, _slash, key = uri[len("s3://") :].partition("/")
    if not bucket:
        raise DeweyError(400, "storage_uri must name a bucket: %s" % uri)
    return bucket, key


class Registry:
    """Artifact sets, artifacts, receipts and idempotency records, behind one lock (Dewey's transaction)."""

    def __init__(self, s3_client):
        self.s3 = s3_client
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        self.artifacts = {}  # storage_uri -> {artifact_euid, sha256, size_bytes, artifact_role, ...}
        self.artifact_sets = {}  # euid -> {kind, label, members, request}
        self.idempotency = {}  # (operation, key) -> stored response
        self.receipts = []
        self.outbox = []
        self._counter = 0

    def _euid(self, prefix):
        self._counter += 1
        return "Z-%s-%06d" % (prefix, self._counter)

    def register(self, operation, body, supplied_key):
        computed = canonical_sha256(body)
        if supplied_key and supplied_key != computed:
            raise DeweyError(409, "Idempotency-Key does not match deterministic registration request hash")
        if body.manifest_sha256 != canonical_sha256(body.model_dump(mode="json", exclude={"manifest_sha256"})):
            raise DeweyError(400, "manifest_sha256 does not match canonical registration manifest")
        with self.lock:
            stored = self.idempotency.get((operation, computed))
            if stored is not None:
                return stored
            if operation == "analysis":
                artifacts, kind, label = (
                    body.artifacts,
                    "analysis_artifact_set",
                    "%s:%s" % (body.pipeline_name, body.analysis_euid),
                )
                report_kind, hint = None, body.parser_family_hint
            else:
                artifacts = _dedupe(
                    [body.html_artifact, body.data_dir_artifact, *body.key_files, *body.parser_relevant_files]
                )
                kind, label = "multiqc_artifact_set", "%s:%s" % (body.report_kind, body.analysis_euid)
                report_kind, hint = body.report_kind, body.parser_family_hint or body.report_kind
            self._preflight(artifacts)
            for parent in (getattr(body, "parent_analysis_artifact_set_euid", None), getattr(body, "rerun_of", None)):
                if parent and parent not in self.artifact_sets:
                    raise not_found("Artifact set lineage target not found: %s" % parent)
            registered, skipped = self._upsert(artifacts)
            now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
            set_euid = self._euid("DGX")
            self.artifact_sets[set_euid] = {
                "kind": kind,
                "label": label,
                "request": body.model_dump(mode="json"),
                "members": [a["artifact_euid"] for a in registered + skipped],
            }
            receipt = {
                "schema_version": "1.0",
                "request_id": hashlib.sha256(("dewey-registration-request:%s" % computed).encode()).hexdigest(),
                "idempotency_key": computed,
                "artifact_set_euid": set_euid,
                "artifact_set_kind": kind,
                "report_kind": report_kind,
                "manifest_sha256": body.manifest_sha256,
                "registered_artifacts": _sorted(registered),
                "skipped_existing": _sorted(skipped),
                "failed": [],
                "registered_at": now,
                "status": "local_only" if body.local_only else "registered",
                "source_service": "dewey",
                "source_version": SERVICE_VERSION,
                "parser_hint": hint,
            }
            response = dict(json.loads(canonical_json(receipt)), status_code=201)
            self.receipts.append(receipt)
            self.outbox.append(
                {
                    "event_type": "lsmc.dewey.%s.registered.v1"
                    % ("artifact_set" if operation == "analysis" else "multiqc_artifact_set"),
                    "payload": {
                        "artifact_set_euid": set_euid,
                        "analysis_euid": body.analysis_euid,
                        "manifest_sha256": body.manifest_sha256,
                    },
                    "dispatch_status": "local_only" if body.local_only else "pending",
                }
            )
            self.idempotency[(operation, computed)] = response
            return response

    def _preflight(self, artifacts):
        for artifact in artifacts:
            bucket, key = _split_s3_uri(artifact.storage_uri)
            if artifact.artifact_role == "directory":
                if not artifact.storage_uri.endswith("/"):
                    raise DeweyError(400, "directory artifacts require storage_uri ending in '/'")
                if artifact.mime_type != "inode/directory":
                    raise DeweyError(400, "directory artifacts require mime_type inode/directory")
                if artifact.size_bytes != 0:
                    raise DeweyError(400, "directory artifacts require size_bytes=0")
                continue
            if artifact.storage_uri.endswith("/"):
                raise DeweyError(400, "directory-shaped storage_uri requires artifact_role=directory")
            try:
                head = self.s3.head_object(Bucket=bucket, Key=key)
            except botocore.exceptions.ClientError as err:
                if err.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                    label = "Required artifact missing" if artifact.required else "Artifact missing"
                    raise not_found("%s: %s (%s)" % (label, artifact.logical_name, artifact.storage_uri)) from err
                raise DeweyError(502, "S3 HeadObject failed for %s: %s" % (artifact.storage_uri, err)) from err
            except botocore.exceptions.BotoCoreError as err:
                raise DeweyError(502, "S3 HeadObject failed for %s: %s" % (artifact.storage_uri, err)) from err
            if head["ContentLength"] != artifact.size_bytes:
                raise DeweyError(
                    400,
                    "size_bytes mismatch for %s: manifest=%s storage=%s"
                    % (artifact.logical_name, artifact.size_bytes, head["ContentLength"]),
                )

    def _upsert(self, artifacts):
        registered, skipped, fresh = [], [], {}
        for artifact in artifacts:
            known = self.artifacts.get(artifact.storage_uri) or fresh.get(artifact.storage_uri)
            identity = (artifact.sha256, artifact.size_bytes, artifact.artifact_role)
            if known is not None:
                if (known["sha256"], known["size_bytes"], known["artifact_role"]) != identity:
                    raise DeweyError(
                        409,
                        "Existing artifact record conflicts with immutable registration manifest: "
                        "%s" % artifact.storage_uri,
                    )
                skipped.append(_receipt_artifact(known["artifact_euid"], artifact))
                continue
            for parent in artifact.parent_artifact_euids:
                if not any(a["artifact_euid"] == parent for a in self.artifacts.values()):
                    raise not_found("Parent artifact not found: %s" % parent)
            row = _receipt_artifact(self._euid("DGX"), artifact)
            fresh[artifact.storage_uri] = row
            registered.append(row)
        self.artifacts.update(fresh)  # only once every artifact passed: no partial success
        return registered, skipped


def _dedupe(artifacts):
    seen, kept = set(), []
    for artifact in artifacts:
        key = (artifact.storage_uri, artifact.logical_name, artifact.artifact_role)
        if key not in seen:
            seen.add(key)
            kept.append(artifact)
    return kept


def _receipt_artifact(euid, artifact):
    return {
        "artifact_euid": euid,
        "logical_name": artifact.logical_name,
        "relative_path": artifact.relative_path,
        "storage_uri": artifact.storage_uri,
        "sha256": artifact.sha256,
        "size_bytes": artifact.size_bytes,
        "artifact_role": artifact.artifact_role,
        "parser_hint": artifact.parser_hint,
        "required": artifact.required,
    }


def _sorted(rows):
    return sorted(rows, key=lambda row: (row["relative_path"], row["logical_name"], row["artifact_euid"]))


def _validation_detail(err):
    """FastAPI's 422 body items for a pydantic error (``loc`` starts with ``body``)."""
    return [{"type": e["type"], "loc": ["body", *e["loc"]], "msg": e["msg"]} for e in err.errors()]


# --------------------------------------------------------------------------------------------------------------
# faults and the request record


class Faults:
    """Fault rules consumed in order; each applies to ``path`` (or every API path) ``count`` times.

    kinds: ``status`` (answer ``status`` without processing), ``delay`` (sleep ``seconds`` then process),
    ``drop_before`` (close the connection without processing), ``drop_after`` (process and store, then close the
    connection without an answer: the client cannot know the registration happened).
    """

    KINDS = ("status", "delay", "drop_before", "drop_after")

    def __init__(self):
        self.lock = threading.Lock()
        self.rules = []

    def add(self, kind, count=1, path=None, status=503, seconds=0.0):
        if kind not in self.KINDS:
            raise ValueError("fault kind must be one of %s" % ", ".join(self.KINDS))
        with self.lock:
            self.rules.append(
                {"kind": kind, "count": int(count), "path": path, "status": int(status), "seconds": float(seconds)}
            )

    def clear(self):
        with self.lock:
            self.rules = []

    def take(self, path):
        with self.lock:
            for rule in self.rules:
                if rule["count"] > 0 and rule["path"] in (None, path):
                    rule["count"] -= 1
                    return dict(rule)
        return None


class DeweyHandler(BaseHTTPRequestHandler):
    server_version = "dewey-sandbox/" + SERVICE_VERSION
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # noqa: A002 - quiet: the request record is the log
        pass

    @property
    def stub(self):
        return self.server.stub

    def _read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status, payload):
        body = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _drop(self):
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        if path == "/healthz":
            return self._send(200, {"status": "ok", "service": "dewey", "version": SERVICE_VERSION})
        if path == "/_dewey/requests":
            return self._send(200, self.stub.requests())
        if path == "/_dewey/state":
            return self._send(200, self.stub.state())
        if path.startswith("/api/v1/artifact-sets/"):
            status = self._authorize()
            if status:
                return self._send(401, {"detail": status})
            found = self.stub.registry.artifact_sets.get(path.rsplit("/", 1)[1])
            if found is None:
                return self._send(404, {"detail": "Artifact set not found"})
            return self._send(200, {"euid": path.rsplit("/", 1)[1], **found})
        return self._send(404, {"detail": "Not Found"})

    def do_POST(self):
        path = self.path.split("?", 1)[0]
        raw = self._read_body()
        if path.startswith("/_dewey/"):
            return self._control(path, raw)
        record = self.stub.record(self.command, path, self.headers, raw)
        fault = self.stub.faults.take(path)
        if fault:
            record["fault"] = fault["kind"]
            if fault["kind"] == "status":
                record["status"] = fault["status"]
                return self._send(fault["status"], {"detail": "injected fault"})
            if fault["kind"] == "drop_before":
                return self._drop()
            if fault["kind"] == "delay":
                time.sleep(fault["seconds"])
        status, payload = self._api(path, raw)
        record["status"] = status
        if fault and fault["kind"] == "drop_after":
            return self._drop()
        return self._send(status, payload)

    def _authorize(self):
        header = self.headers.get("Authorization") or ""
        scheme, _space, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return "Missing bearer token"
        if token.strip() not in self.stub.tokens:
            return "Invalid bearer token"
        return None

    def _api(self, path, raw):
        models = {ANALYSIS_ROUTE: ("analysis", AnalysisRequest), MULTIQC_ROUTE: ("multiqc", MultiQCRequest)}
        if path not in models:
            return 404, {"detail": "Not Found"}
        denied = self._authorize()
        if denied:
            return 401, {"detail": denied}
        operation, model = models[path]
        try:
            document = json.loads(raw or b"null")
        except ValueError as err:
            return 422, {"detail": [{"type": "json_invalid", "loc": ["body", 0], "msg": "JSON decode error: %s" % err}]}
        try:
            body = model.model_validate(document)
        except ValidationError as err:
            return 422, {"detail": _validation_detail(err)}
        try:
            return 200, self.stub.registry.register(
                operation, body, (self.headers.get("Idempotency-Key") or "").strip()
            )
        except DeweyError as err:
            return err.status, {"detail": err.detail}

    def _control(self, path, raw):
        payload = json.loads(raw or b"{}")
        if path == "/_dewey/faults":
            try:
                self.stub.faults.add(**payload)
            except (TypeError, ValueError) as err:
                return self._send(400, {"detail": str(err)})
            return self._send(200, self.stub.faults.rules)
        if path == "/_dewey/reset":
            self.stub.reset()
            return self._send(200, {"reset": True})
        return self._send(404, {"detail": "Not Found"})


class DeweyStub(ServedFromThread):
    """The sandbox Dewey on 127.0.0.1 (port 0: any free port), served from a thread or the main loop."""

    thread_name = "dewey-sandbox"

    def __init__(self, tokens, s3_endpoint=None, port=0, region="us-west-2"):
        if not tokens or not all(tokens):
            raise ValueError("Dewey needs at least one non-empty bearer token")
        self.tokens = frozenset(tokens)
        s3 = boto3.client("s3", endpoint_url=s3_endpoint, region_name=region)
        self.registry = Registry(s3)
        self.faults = Faults()
        self._requests = []
        self._requests_lock = threading.Lock()
        self.httpd = ThreadingHTTPServer((LOOPBACK, port), DeweyHandler)
        self.httpd.daemon_threads = True
        self.httpd.stub = self
        self.url = "http://%s:%d" % self.httpd.server_address[:2]

    def record(self, method, path, headers, raw):
        """Remember a request; the Authorization header only as present/valid, never its value."""
        auth = headers.get("Authorization") or ""
        entry = {
            "method": method,
            "path": path,
            "idempotency_key": headers.get("Idempotency-Key"),
            "authorization": "valid"
            if auth.partition(" ")[2].strip() in self.tokens
            else ("invalid" if auth else "missing"),
            "body_sha256": hashlib.sha256(raw).hexdigest(),
            "body": raw.decode("utf-8", "replace"),
        }
        with self._requests_lock:
            self._requests.append(entry)
        return entry

    def requests(self, path=None):
        with self._requests_lock:
            return [dict(entry) for entry in self._requests if path in (None, entry["path"])]

    def posts(self):
        return [entry for entry in self.requests() if entry["method"] == "POST"]

    def state(self):
        registry = self.registry
        with registry.lock:
            return {
                "artifact_sets": {
                    euid: {k: v for k, v in found.items() if k != "request"}
                    for euid, found in registry.artifact_sets.items()
                },
                "artifact_count": len(registry.artifacts),
                "receipt_count": len(registry.receipts),
                "outbox": list(registry.outbox),
            }

    def reset(self):
        with self.registry.lock:
            self.registry.reset()
        self.faults.clear()
        with self._requests_lock:
            self._requests = []


def token_from_file(path):
    return Path(path).read_text(encoding="utf-8").strip()


def main(argv=None):
    parser = argparse.ArgumentParser(description="Run the sandbox Dewey 3.0.27 registration API on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=0, help="TCP port (0: any free port)")
    parser.add_argument(
        "--s3-endpoint",
        default=os.environ.get("AWS_ENDPOINT_URL"),
        help="the sandbox S3 endpoint the registration HEADs go to (default: $AWS_ENDPOINT_URL)",
    )
    parser.add_argument("--token-file", required=True, help="file holding the bearer token (kept off the command line)")
    parser.add_argument("--env-file", default=None, help="write DEWEY_URL here (shell export line)")
    parser.add_argument("--pid-file", default=None, help="write this process's PID here")
    args = parser.parse_args(argv)

    stub = DeweyStub([token_from_file(args.token_file)], s3_endpoint=args.s3_endpoint, port=args.port)
    if args.env_file:
        Path(args.env_file).write_text("export DEWEY_URL=%s\n" % stub.url, encoding="utf-8")
    print("dewey sandbox listening on %s (S3 %s)" % (stub.url, args.s3_endpoint), flush=True)
    return serve_until_terminated(stub.httpd, args.pid_file)


if __name__ == "__main__":
    sys.exit(main())
