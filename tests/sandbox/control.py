"""The sandbox control plane: fault switch, audit log and the routes extensions add under /_sandbox/.

This is WSGI middleware around moto's dispatcher. It sees every request before moto does, so it can
record it (service, operation, mutating or not, user agent) and answer it with an injected AWS error.
"""

import io
import json
import re
import shutil
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import parse_qs
from urllib.parse import unquote

CONTROL_PREFIX = "/_sandbox/"
_SIGV4_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")
MAX_RECORDED_BODY = 64 * 1024
_READ_ONLY_PREFIXES = ("Describe", "List", "Get", "Head", "BatchGet", "Lookup", "Search")


class SandboxState:
    """Everything the sandbox keeps besides moto's own backends; one instance per process."""

    def __init__(self):
        self.lock = threading.RLock()
        self.faults = []
        self.audit = []
        self.root = None
        self.controls = {}
        self.reset_hooks = []

    # --- filesystem roots -------------------------------------------------------------------------------
    def set_root(self, root):
        self.root = Path(root)
        self.fsx_root.mkdir(parents=True, exist_ok=True)
        self.headnode_root.mkdir(parents=True, exist_ok=True)

    @property
    def fsx_root(self):
        """Each FSx file system's Lustre namespace is the directory <fsx_root>/<file-system-id>/."""
        return self.root / "fsx"

    @property
    def headnode_root(self):
        """Each SSM-registered instance runs commands in <headnode_root>/<instance-id>/."""
        return self.root / "headnodes"

    # --- extension hooks --------------------------------------------------------------------------------
    def add_control(self, name, handler):
        """Route /_sandbox/<name> to handler(method, payload) -> (http_status, json_body)."""
        self.controls[name] = handler

    def on_reset(self, hook):
        self.reset_hooks.append(hook)

    def reset(self):
        from moto.core.base_backend import BackendDict
        from moto.core.model_instances import reset_model_data

        with self.lock:
            BackendDict.reset()
            reset_model_data()
            self.faults.clear()
            self.audit.clear()
            for hook in self.reset_hooks:  # first: extensions stop what still runs (SSM scripts)
                hook()
            for directory in (self.fsx_root, self.headnode_root):
                shutil.rmtree(directory, ignore_errors=True)
                directory.mkdir(parents=True, exist_ok=True)

    # --- faults -----------------------------------------------------------------------------------------
    def add_fault(self, rule):
        rule = dict(rule)
        if "service" not in rule:
            raise ValueError("a fault rule needs 'service' (e.g. 'fsx', 'ssm', 's3')")
        rule.setdefault("code", "ThrottlingException")
        rule.setdefault("status", 400)
        rule.setdefault("count", 1)  # -1: until cleared
        rule.setdefault("message", "Rate exceeded" if "Throttl" in rule["code"] else "Injected by the sandbox")
        rule["hits"] = 0
        with self.lock:
            self.faults.append(rule)
        return rule

    def take_fault(self, service, operation):
        with self.lock:
            for rule in self.faults:
                if rule["count"] == 0 or rule["service"] != service:
                    continue
                if rule.get("operation") not in (None, operation):
                    continue
                if rule["count"] > 0:
                    rule["count"] -= 1
                rule["hits"] += 1
                return rule
        return None

    def record(self, entry):
        with self.lock:
            entry["seq"] = len(self.audit) + 1
            self.audit.append(entry)


STATE = SandboxState()


def is_mutating(operation):
    return not operation.startswith(_READ_ONLY_PREFIXES)


def _s3_operation(method, path, query):
    """Name an S3 REST call after the API operation it is (enough for audit and fault matching)."""
    parts = unquote(path).lstrip("/").split("/", 1)
    has_key = len(parts) == 2 and parts[1] != ""
    if method == "GET":
        if has_key:
            return "GetObject"
        if "list-type" in query:
            return "ListObjectsV2"
        return "ListObjects" if parts[0] else "ListBuckets"
    if method == "HEAD":
        return "HeadObject" if has_key else "HeadBucket"
    if method == "PUT":
        if not has_key:
            return "CreateBucket"
        if query.get("x-amz-copy-source"):
            return "UploadPartCopy" if "partNumber" in query else "CopyObject"
        return "UploadPart" if "partNumber" in query else "PutObject"
    if method == "DELETE":
        return "DeleteObject" if has_key else "DeleteBucket"
    if method == "POST":
        if "delete" in query:
            return "DeleteObjects"
        if "uploads" in query:
            return "CreateMultipartUpload"
        return "CompleteMultipartUpload" if "uploadId" in query else "PostObject"
    return method


def classify(environ, body):
    """Return (service, operation) for one AWS request."""
    service = (_SIGV4_SCOPE.search(environ.get("HTTP_AUTHORIZATION", "")) or [None, None])[1]
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target:
        return service, target.rsplit(".", 1)[-1]
    query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    if "Action" in query:
        return service, query["Action"][0]
    if environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        action = parse_qs(body.decode("utf-8", "replace")).get("Action")
        if action:
            return service, action[0]
    if service == "s3":
        if environ.get("HTTP_X_AMZ_COPY_SOURCE"):
            query["x-amz-copy-source"] = ["1"]
        return service, _s3_operation(environ["REQUEST_METHOD"], environ.get("PATH_INFO", "/"), query)
    return service, environ["REQUEST_METHOD"]


def _json_or_none(body):
    try:
        return json.loads(body) if body else {}
    except ValueError:
        return None


def _json_response(start_response, status, payload):
    body = json.dumps(payload, default=str).encode()
    start_response(
        f"{status} {'OK' if status < 400 else 'ERROR'}",
        [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
    )
    return [body]


def _aws_error(start_response, rule, json_protocol):
    request_id = str(uuid.uuid4())
    code, message, status = rule["code"], rule["message"], int(rule["status"])
    if json_protocol:
        body = json.dumps({"__type": code, "message": message}).encode()
        headers = [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-ErrorType", code)]
    else:
        body = (
            f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message>"
            f"</Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        ).encode()
        headers = [("Content-Type", "text/xml")]
    start_response(f"{status} ERROR", headers + [("x-amzn-RequestId", request_id), ("Content-Length", str(len(body)))])
    return [body]


class ControlPlane:
    """WSGI middleware: /_sandbox/* control routes, fault injection and the audit log."""

    def __init__(self, app, state=STATE):
        self.app = app
        self.state = state

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)
        if path.startswith(CONTROL_PREFIX):
            return self.control(environ["REQUEST_METHOD"], path[len(CONTROL_PREFIX) :].strip("/"), body, start_response)
        service, operation = classify(environ, body)
        if service is None:  # moto's own /moto-api and unsigned requests
            return self.app(environ, start_response)
        entry = {
            "service": service,
            "operation": operation,
            "mutating": is_mutating(operation),
            "user_agent": environ.get("HTTP_USER_AGENT", ""),
            "time": time.time(),
        }
        if service == "s3":  # path-style: the bucket names the resource (least-privilege IAM policies read it)
            entry["bucket"] = unquote(environ.get("PATH_INFO", "/")).lstrip("/").split("/", 1)[0]
            # and the key the object (the invariant checkers tell which object a DeleteObject removed)
            entry["key"] = unquote(environ.get("PATH_INFO", "/")).lstrip("/").partition("/")[2]
        if environ.get("HTTP_X_AMZ_TARGET") and len(body) <= MAX_RECORDED_BODY:
            entry["request"] = _json_or_none(body)  # JSON-protocol parameters, so tests can assert on them
        rule = self.state.take_fault(service, operation)
        if rule:
            entry.update(status=int(rule["status"]), fault=rule["code"])
            self.state.record(entry)
            return _aws_error(start_response, rule, bool(environ.get("HTTP_X_AMZ_TARGET")))

        def recording_start_response(status, headers, exc_info=None):
            entry["status"] = int(status.split(" ", 1)[0])
            self.state.record(entry)
            return start_response(status, headers, exc_info)

        return self.app(environ, recording_start_response)

    def control(self, method, name, body, start_response):
        try:
            payload = json.loads(body) if body else {}
        except ValueError as exc:
            return _json_response(start_response, 400, {"error": f"request body is not JSON: {exc}"})
        try:
            if name == "faults":
                if method == "POST":
                    return _json_response(start_response, 201, self.state.add_fault(payload))
                if method == "DELETE":
                    self.state.faults.clear()
                return _json_response(start_response, 200, self.state.faults)
            if name == "audit":
                if method == "DELETE":
                    self.state.audit.clear()
                return _json_response(start_response, 200, self.state.audit)
            if name == "reset" and method == "POST":
                self.state.reset()
                return _json_response(start_response, 200, {"reset": True})
            if name == "lifecycle" and method == "POST":
                return _json_response(start_response, 200, set_lifecycle(payload))
            if name == "info":
                info = {
                    "root": str(self.state.root),
                    "fsx_root": str(self.state.fsx_root),
                    "headnode_root": str(self.state.headnode_root),
                    "controls": sorted(self.state.controls),
                }
                return _json_response(start_response, 200, info)
            handler = self.state.controls.get(name)
            if handler is None:
                return _json_response(start_response, 404, {"error": f"no sandbox control named {name!r}"})
            status, result = handler(method, payload)
            return _json_response(start_response, status, result)
        except (ValueError, KeyError) as exc:
            return _json_response(start_response, 400, {"error": str(exc)})


def set_lifecycle(payload):
    """Slow a model's lifecycle down: {"model": "fsx::task", "progression": "manual", "times": 3}.

    progression "immediate" restores the default; "manual" moves one step every `times` describes;
    "time" moves one step every `seconds` seconds.
    """
    from moto.moto_api import state_manager

    model = payload["model"]
    transition = {k: v for k, v in payload.items() if k != "model"}
    transition.setdefault("progression", "immediate")
    state_manager.set_transition(model, transition)
    return {"model": model, "transition": state_manager.get_transition(model)}
