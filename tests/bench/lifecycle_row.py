"""Row 5: wall time and AWS calls of `make demo` (tests/sandbox/demo.py), per phase.

The demo is run as it is, whatever it does today: its phases are its banners (lines starting with "=== "), each
timed until the next one; its AWS calls are read from its own sandbox's audit log (the sandbox URL is in the env file
the demo writes under .build/demo/) each time a banner appears, and attributed to the phase that just ended.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request

from bench.common import REPO
from bench.common import Row

DEMO = REPO / "tests" / "sandbox" / "demo.py"
DEMO_ENV = REPO / ".build" / "demo" / "env"
BANNER = "=== "


def _audit_size():
    """Calls in the demo sandbox's audit log, or None when it is not (or no longer) up."""
    try:
        url = next(
            line.split("=", 1)[1].strip().strip("'\"")
            for line in DEMO_ENV.read_text(encoding="utf-8").splitlines()
            if line.startswith("export DAYEC_SANDBOX_URL=")
        )
        with urllib.request.urlopen(url.rstrip("/") + "/_sandbox/audit", timeout=30) as response:
            return len(json.loads(response.read()))
    except (OSError, StopIteration, ValueError):
        return None


def bench_lifecycle(scratch):
    phases = []
    log = scratch / "demo.log"
    start = time.perf_counter()
    with open(log, "w", encoding="utf-8") as out:
        process = subprocess.Popen(
            [sys.executable, str(DEMO)], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        calls_seen = 0
        for line in process.stdout:
            out.write(line)
            if not line.startswith(BANNER):
                continue
            now, calls = time.perf_counter(), _audit_size()
            if phases:
                phases[-1]["seconds"] = now - phases[-1]["started"]
                if calls is not None:
                    phases[-1]["aws_calls"] = calls - calls_seen
            calls_seen = calls if calls is not None else calls_seen
            phases.append({"phase": line[len(BANNER) :].strip(), "started": now, "aws_calls": None})
        rc = process.wait()
    total = time.perf_counter() - start
    if phases:
        phases[-1]["seconds"] = time.perf_counter() - phases[-1]["started"]
    for phase in phases:
        phase["started"] -= start
    if rc != 0:
        raise SystemExit(
            f"make demo failed (rc={rc}); its output is in {log}:\n" + log.read_text(encoding="utf-8")[-3000:]
        )
    calls = sum(phase["aws_calls"] or 0 for phase in phases)
    details = {"phases": phases, "total_s": total, "aws_calls": calls}
    rows = [
        Row(
            f"5 demo: {phase['phase'][:60]}",
            "s",
            phase["seconds"],
            None,
            f"no baseline; {phase['aws_calls']} AWS calls" if phase["aws_calls"] is not None else "no baseline",
            details={"aws_calls": phase["aws_calls"]},
        )
        for phase in phases
        if phase["seconds"] >= 0.05 or phase["aws_calls"]
    ]
    rows.append(Row("5 demo: total", "s", total, None, f"no baseline; {calls} AWS calls", details=details))
    return rows
