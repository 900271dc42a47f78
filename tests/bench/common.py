"""What every benchmark row shares: the result shape, timing, the machine, and a sandbox of its own."""

from __future__ import annotations

import contextlib
import logging
import os
import platform
import resource
import sys
import time
from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
#: Generated inputs that are expensive to make (the 2 GB digest tree) live here and are reused by later runs.
CACHE = REPO / ".build" / "bench"
RESULTS = REPO / "bench-results"

for _path in (str(REPO / "tests"), str(REPO / ".build" / "collections")):
    if _path not in sys.path:
        sys.path.insert(0, _path)


@dataclass
class Row:
    """One line of the table: ``ours`` against ``baseline`` in ``unit``; ``ratio`` is how many times better ours is
    (baseline / ours for costs such as seconds or calls, ours / baseline for throughputs)."""

    name: str
    unit: str
    ours: float | None
    baseline: float | None
    baseline_name: str
    target: str = ""
    met: bool | None = None
    higher_is_better: bool = False
    details: dict = field(default_factory=dict)

    @property
    def ratio(self):
        if not self.ours or not self.baseline:
            return None
        return self.ours / self.baseline if self.higher_is_better else self.baseline / self.ours

    def as_dict(self):
        return dict(asdict(self), ratio=self.ratio)


def rows_against(baseline_name, details, *lines):
    """Rows measured against one baseline, sharing one ``details`` dict; each line is
    ``(name, unit, ours, baseline, target, met)``."""
    return [
        Row(name, unit, ours, baseline, baseline_name, target=target, met=met, details=details)
        for name, unit, ours, baseline, target, met in lines
    ]


def best_of(function, repeat=3):
    """(fastest wall time, its result) of ``repeat`` calls: the least disturbed run on a shared machine."""
    best = None
    for _attempt in range(repeat):
        start = time.perf_counter()
        result = function()
        elapsed = time.perf_counter() - start
        if best is None or elapsed < best[0]:
            best = (elapsed, result)
    return best


def machine():
    """Cores, CPU model, memory and load: the context every figure is read in."""
    model = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = None
    with contextlib.suppress(OSError, ValueError, IndexError):
        memory = int(Path("/proc/meminfo").read_text(encoding="utf-8").split()[1]) * 1024
    return {
        "cores": os.cpu_count(),
        "cpu_model": model,
        "memory_bytes": memory,
        "python": platform.python_version(),
        "system": platform.platform(),
        "load_average_at_start": os.getloadavg(),
    }


def peak_rss_of_children():
    """Peak resident set size (bytes) of the largest child process waited for so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024


@contextlib.contextmanager
def sandbox(scratch):
    """A sandbox server of this process (moto + extensions) on 127.0.0.1, its environment exported while in use."""
    from sandbox.client import SandboxControl  # noqa: PLC0415  (the sandbox pulls moto in: only rows that need it)
    from sandbox.server import SandboxServer  # noqa: PLC0415

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request would bury the results
    server = SandboxServer(Path(scratch) / "sandbox", port=0).start()
    saved = dict(os.environ)
    os.environ.update(server.environment)
    try:
        control = SandboxControl(server.endpoint)
        control.reset()
        yield server, control
    finally:
        server.stop()
        os.environ.clear()
        os.environ.update(saved)


def count_calls(audit, service=None):
    """``{operation: count}`` of audit entries (faults included: an injected throttle is a call the client made)."""
    counts = {}
    for entry in audit:
        if service in (None, entry["service"]):
            counts[entry["operation"]] = counts.get(entry["operation"], 0) + 1
    return counts


@contextlib.contextmanager
def sandbox_process(scratch):
    """A sandbox server in a process of its own (as `make sandbox-up` starts it), for rows whose clients must not
    share the server's interpreter lock; its environment exported while in use, the process stopped by its PID."""
    import subprocess  # noqa: PLC0415

    from sandbox.client import SandboxControl  # noqa: PLC0415
    from sandbox.server import read_env_file  # noqa: PLC0415

    scratch = Path(scratch)
    env_file = scratch / "sandbox.env"
    log = open(scratch / "sandbox.log", "w", encoding="utf-8")  # noqa: SIM115
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sandbox",
            "--port",
            "0",
            "--root",
            str(scratch / "sandbox"),
            "--env-file",
            str(env_file),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=REPO / "tests",
    )
    saved = dict(os.environ)
    try:
        for _attempt in range(300):
            if env_file.exists() and env_file.stat().st_size:
                break
            if process.poll() is not None:
                raise RuntimeError(f"the sandbox exited: {(scratch / 'sandbox.log').read_text(encoding='utf-8')}")
            time.sleep(0.1)
        os.environ.update(read_env_file(env_file))
        control = SandboxControl(os.environ["DAYEC_SANDBOX_URL"])
        control.reset()
        yield control
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        os.environ.clear()
        os.environ.update(saved)
