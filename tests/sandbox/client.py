"""A small client for the sandbox control plane, shared by tests, the demo and benchmarks."""

import json
import os
import urllib.request


class SandboxControl:
    def __init__(self, endpoint=None):
        self.endpoint = (endpoint or os.environ["DAYEC_SANDBOX_URL"]).rstrip("/")

    def call(self, method, name, payload=None):
        data = None if payload is None else json.dumps(payload).encode()
        request = urllib.request.Request(f"{self.endpoint}/_sandbox/{name}", data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"null")

    def inject_fault(self, service, operation=None, code="ThrottlingException", status=400, count=1, message=None):
        rule = {"service": service, "code": code, "status": status, "count": count}
        if operation:
            rule["operation"] = operation
        if message:
            rule["message"] = message
        return self.call("POST", "faults", rule)

    def clear_faults(self):
        return self.call("DELETE", "faults")

    def audit(self):
        return self.call("GET", "audit")

    def clear_audit(self):
        return self.call("DELETE", "audit")

    def mutating_calls(self):
        return [entry for entry in self.audit() if entry["mutating"]]

    def reset(self):
        return self.call("POST", "reset")

    def slow_lifecycle(self, model, times=1):
        """Make `model` ("fsx::association", "fsx::task") advance one state every `times` describes."""
        return self.call("POST", "lifecycle", {"model": model, "progression": "manual", "times": times})

    def info(self):
        return self.call("GET", "info")
