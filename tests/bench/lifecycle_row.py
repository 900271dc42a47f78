"""Row 5: wall time and AWS calls of `make demo` (tests/sandbox/demo.py), per phase.

The demo is run as it is, whatever it does today: its phases are its banners (lines starting with "=== ") and,
inside them, the plays of the playbooks it runs ("PLAY [...]" lines: lifecycle.yml's create, stage, launch, export,
register, delete...), each timed until the next boundary; its AWS calls are read from its own sandbox's audit log
(the sandbox URL is in the env file the demo writes under .build/demo/) at each boundary and attributed to the part
that just ended. The table shows each banner.
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
PLAY = "PLAY ["


def _audit_size(since):
    """Calls in the demo sandbox's audit log, or None when it is not (or no longer) up, or when the env file is
    older than ``since`` (an earlier demo's, before this one wrote its own)."""
    try:
        if DEMO_ENV.stat().st_mtime < since:
            return None
        url = next(
            line.split("=", 1)[1].strip().strip("'\"")
            for line in DEMO_ENV.read_text(encoding="utf-8").splitlines()
            if line.startswith("export DAYEC_SANDBOX_URL=")
        )
        with urllib.request.urlopen(url.rstrip("/") + "/_sandbox/audit", timeout=30) as response:
            return len(json.loads(response.read()))
    except (OSError, StopIteration, ValueError):
        return None


def _close(part, now, calls, calls_seen):
    part["seconds"] = now - part["started"]
    if calls is not None and calls_seen is not None:
        part["aws_calls"] = calls - calls_seen


def bench_lifecycle(scratch):
    phases = []  # {"phase", "started", "seconds", "aws_calls", "plays": [...]}
    log = scratch / "demo.log"
    start, started_at = time.perf_counter(), time.time()
    with open(log, "w", encoding="utf-8") as out:
        process = subprocess.Popen(
            [sys.executable, str(DEMO)], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        phase_calls = play_calls = None
        for line in process.stdout:
            out.write(line)
            is_banner, is_play = line.startswith(BANNER), line.startswith(PLAY)
            if not (is_banner or is_play):
                continue
            now, calls = time.perf_counter(), _audit_size(started_at)
            if phases and phases[-1]["plays"]:
                _close(phases[-1]["plays"][-1], now, calls, play_calls)
            play_calls = calls
            if is_play:
                if phases:
                    name = line[len(PLAY) :].split("]", 1)[0].strip()
                    phases[-1]["plays"].append({"play": name, "started": now, "aws_calls": None})
                continue
            if phases:
                _close(phases[-1], now, calls, phase_calls)
            phase_calls = calls
            phases.append({"phase": line[len(BANNER) :].strip(), "started": now, "aws_calls": None, "plays": []})
        rc = process.wait()
    total = time.perf_counter() - start
    now = time.perf_counter()
    if phases:
        _close(phases[-1], now, None, None)
        if phases[-1]["plays"]:
            _close(phases[-1]["plays"][-1], now, None, None)
    for phase in phases:
        for part in [phase, *phase["plays"]]:
            part["started"] -= start
    if rc != 0:
        raise SystemExit(
            f"make demo failed (rc={rc}); its output is in {log}:\n" + log.read_text(encoding="utf-8")[-3000:]
        )
    calls = sum(phase["aws_calls"] or 0 for phase in phases)
    details = {"phases": phases, "total_s": total, "aws_calls": calls}

    def row(name, part):
        known = part["aws_calls"] is not None
        return Row(
            name[:90],
            "s",
            part["seconds"],
            None,
            f"no baseline; {part['aws_calls']} AWS calls" if known else "no baseline",
            details={"aws_calls": part["aws_calls"]},
        )

    rows = []
    for phase in phases:
        if phase["seconds"] < 0.05 and not phase["aws_calls"]:
            continue
        rows.append(row(f"5 demo: {phase['phase']}", phase))
    # The demo prints each ansible-playbook run's output when the run ends, so its plays cannot be timed from it
    # (they are kept in the JSON details, not shown); a part whose calls could not be read (the last run: the demo
    # stops its sandbox before the next banner) is left out of the total, which says so.
    unread = [phase["phase"] for phase in phases if phase["aws_calls"] is None and phase["seconds"] >= 0.05]
    note = f"no baseline; {calls} AWS calls" + (f" (not read: {len(unread)} parts, see above)" if unread else "")
    rows.append(Row("5 demo: total", "s", total, None, note, details=details))
    return rows
