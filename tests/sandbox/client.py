"""A small client for the sandbox control plane, shared by tests, the demo and benchmarks."""

import json
import os
import urllib.request


class SandboxControl:
    def __init__(self, endpoint=None):
        self.endpoint = (endpoint or os.environ["DAYEC_SANDBOX_URL"]).rstrip("/")

    def call(self, method, name, payload=None):
        data = None if payload is None else json.dumps(payload).encode()
        request = urllib.request.Request(
            f"{self.endpoint}/_sandbox/{name}", data=data, method=method, headers={"Content-Type": "application/json"}
        )
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

    def calls(self, operation, service=None):
        """Audit entries of one operation (with their JSON request parameters where the protocol has them)."""
        return [
            entry
            for entry in self.audit()
            if entry["operation"] == operation and service in (None, entry["service"]) and "fault" not in entry
        ]

    def mutating_calls(self):
        return [entry for entry in self.audit() if entry["mutating"]]

    def reset(self):
        return self.call("POST", "reset")

    def slow_lifecycle(self, model, times=1):
        """Make `model` ("fsx::association", "fsx::task") advance one state every `times` describes."""
        return self.call("POST", "lifecycle", {"model": model, "progression": "manual", "times": times})

    def info(self):
        return self.call("GET", "info")

    # --- SSM managed instances (tests/sandbox/ssm.py) ------------------------------------------------------
    def register_headnode(self, instance_id, file_system_id=None, **fields):
        """Register (or update) an SSM managed instance whose machine is <headnode_root>/<instance_id>/.

        fields: ping_status ("Online", "ConnectionLost", "Inactive"), platform_name, platform_version,
        agent_version, ip_address, computer_name, region. Returns the headnode with its local paths.
        """
        payload = dict(fields, instance_id=instance_id)
        if file_system_id is not None:
            payload["file_system_id"] = file_system_id
        return self.call("POST", "headnodes", payload)

    def deregister_headnode(self, instance_id):
        return self.call("DELETE", "headnodes", {"instance_id": instance_id})

    def headnodes(self):
        return self.call("GET", "headnodes")

    # --- injected outcomes: DRA lifecycles and export failures (fsx.py), commands that time out (ssm.py) ----------
    def inject_fsx_outcome(self, **payload):
        """{association_lifecycle: "MISCONFIGURED", count: 1} or {fail_export_paths: ["*"], count: 1}."""
        return self.call("POST", "fsx-outcomes", payload)

    def inject_ssm_timeouts(self, count=1):
        """The next `count` AWS-RunShellScript commands end TimedOut as soon as their script starts."""
        return self.call("POST", "ssm-outcomes", {"timed_out": count})

    def clear_outcomes(self):
        """Forget the injected FSx outcomes and SSM timeouts still pending."""
        self.call("DELETE", "fsx-outcomes")
        self.call("DELETE", "ssm-outcomes")
