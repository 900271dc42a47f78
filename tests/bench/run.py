"""`make bench`: the collection's hot paths against a naive baseline measured in the same run, reported as ratios.

No timing is asserted anywhere; this prints numbers for humans and writes bench-results/latest.json.
  1. Tree inventory (analysis_inventory's walk) vs os.walk + os.stat.
  2. Inventory with SHA-256 (small files inline, big ones on a thread pool) vs a sequential hashlib loop with 64 KiB
     reads.
  3. File tasks (copy, template, script) over the ssm connection on the sandbox headnode: SendCommands and wall time
     with deferred housekeeping vs Ansible's own sequence (ansible_ssm_defer_housekeeping: false). The sandbox
     answers a command in milliseconds; on AWS each SendCommand and its polling take about a second, so the count
     ratio is the one that carries over.
"""

import hashlib
import json
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO / "tests"), str(REPO / ".build" / "collections")]

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import inventory  # noqa: E402  pylint: disable=wrong-import-position

SMALL_FILES = int(os.environ.get("BENCH_SMALL_FILES", "20000"))
BIG_FILES = int(os.environ.get("BENCH_BIG_FILES", "8"))
BIG_FILE_MB = int(os.environ.get("BENCH_BIG_FILE_MB", "32"))


def make_tree(root):
    for index in range(SMALL_FILES):
        directory = root / f"d{index % 100:03d}"
        directory.mkdir(exist_ok=True)
        (directory / f"f{index}.txt").write_bytes(os.urandom(256))
    block = os.urandom(1024 * 1024)
    for index in range(BIG_FILES):
        with open(root / f"big{index}.bin", "wb") as handle:
            for _megabyte in range(BIG_FILE_MB):
                handle.write(block)


def best_of(function, repeat=3):
    times = []
    for _attempt in range(repeat):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return min(times), result


def baseline_walk(root):
    count = total = 0
    for directory, _subdirs, names in os.walk(root):
        for name in names:
            count += 1
            total += os.stat(os.path.join(directory, name)).st_size
    return count, total


def baseline_hash(root):
    digests = {}
    for directory, _subdirs, names in os.walk(root):
        for name in names:
            path = os.path.join(directory, name)
            digest = hashlib.sha256()
            with open(path, "rb") as handle:
                for chunk in iter(lambda handle=handle: handle.read(64 * 1024), b""):
                    digest.update(chunk)
            digests[path] = digest.hexdigest()
    return len(digests)


def ours(root, checksum):
    counts = inventory.TreeCounts()
    for _record in inventory.scan_tree(str(root), checksum=checksum, counts=counts):
        pass
    return counts.file_count


def bench_ssm_file_tasks(scratch):
    """(SendCommands, best wall time) of tests/bench/ssm_file_tasks.yml with deferral on and off."""
    from sandbox.client import SandboxControl  # pylint: disable=import-outside-toplevel
    from sandbox.seed import seed_cluster  # pylint: disable=import-outside-toplevel
    from sandbox.server import SandboxServer  # pylint: disable=import-outside-toplevel
    from testlib.playbooks import run_playbook  # pylint: disable=import-outside-toplevel
    from testlib.playbooks import ssm_inventory  # pylint: disable=import-outside-toplevel

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request would bury the results
    server = SandboxServer(scratch / "sandbox", port=0).start()
    saved = dict(os.environ)
    os.environ.update(server.environment)
    try:
        control = SandboxControl(server.endpoint)
        control.reset()
        cluster = seed_cluster(control=control)
        template, script = scratch / "motd.j2", scratch / "hello.sh"
        template.write_text("{{ inventory_hostname }} {{ item }}\n", encoding="utf-8")
        script.write_text("#!/bin/sh\necho hello\n", encoding="utf-8")
        extra = {
            "work_dir": str(Path(cluster["headnode_root"]) / "home" / "ubuntu"),
            "template_file": str(template),
            "script_file": str(script),
        }
        measured = {}
        for defer in (False, True, False, True):
            inventory_file = ssm_inventory(
                scratch, cluster, ansible_ssm_bucket_name=cluster["buckets"][2], ansible_ssm_defer_housekeeping=defer
            )
            for written in Path(extra["work_dir"]).glob("*-*.txt"):
                written.unlink()  # every run transfers every file
            control.clear_audit()
            start = time.perf_counter()
            run = run_playbook(
                str(Path(__file__).with_name("ssm_file_tasks.yml")),
                extra,
                env={"ANSIBLE_INVENTORY": str(inventory_file)},
            )
            elapsed = time.perf_counter() - start
            if run.rc != 0:
                raise SystemExit(f"ssm bench playbook failed:\n{run.failures()}")
            sends = len(control.calls("SendCommand", "ssm"))
            measured[defer] = (sends, min(elapsed, measured.get(defer, (0, elapsed))[1]))
        return measured[False], measured[True]
    finally:
        server.stop()
        os.environ.clear()
        os.environ.update(saved)


def main():
    results = {}
    with tempfile.TemporaryDirectory(prefix="dayec-bench-") as scratch:
        root = Path(scratch) / "tree"
        root.mkdir()
        make_tree(root)
        base_walk, (count, _total) = best_of(lambda: baseline_walk(root))
        our_walk, our_count = best_of(lambda: ours(root, checksum=False))
        base_hash, _hashed = best_of(lambda: baseline_hash(root), repeat=2)
        our_hash, _ours_hashed = best_of(lambda: ours(root, checksum=True), repeat=2)
        results["inventory_walk"] = {
            "files": count,
            "baseline_s": base_walk,
            "ours_s": our_walk,
            "speedup": base_walk / our_walk,
            "counted": our_count,
        }
        results["inventory_sha256"] = {
            "bytes": SMALL_FILES * 256 + BIG_FILES * BIG_FILE_MB * 2**20,
            "baseline_s": base_hash,
            "ours_s": our_hash,
            "speedup": base_hash / our_hash,
        }
        (base_sends, base_time), (our_sends, our_time) = bench_ssm_file_tasks(Path(scratch))
        results["ssm_file_tasks"] = {
            "tasks": 7,
            "baseline_sendcommands": base_sends,
            "ours_sendcommands": our_sends,
            "sendcommand_ratio": base_sends / our_sends,
            "baseline_s": base_time,
            "ours_s": our_time,
            "speedup": base_time / our_time,
        }
    for name, numbers in results.items():
        print(
            f"{name:18s} baseline {numbers['baseline_s']:.3f}s  ours {numbers['ours_s']:.3f}s  "
            f"ratio {numbers['speedup']:.2f}x"
        )
        if "sendcommand_ratio" in numbers:
            print(
                f"{'':18s} SendCommands: baseline {numbers['baseline_sendcommands']}  ours "
                f"{numbers['ours_sendcommands']}  ratio {numbers['sendcommand_ratio']:.2f}x"
            )
    out = REPO / "bench-results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
