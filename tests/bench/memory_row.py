"""Row 6: peak RSS, at N and at 10 N, of

* exporting and verifying small files: analysis_inventory's walk with SHA-256 (the records the module returns), the
  export manifest (``export.manifest_entries``, dumped and loaded), and the verification against an S3 listing
  (``export.compare_with_s3``) and FSx (``export.fsx_drift``) - 10,000 and 100,000 files;
* registering artifacts: Dewey records, the analysis request (``_dewey.build``), its contract check and
  ``manifest_sha256`` (``contract.finalise``) and the POST by ``DeweyClient`` - 1,000 and 10,000 artifacts. The POST
  goes to a local endpoint that reads the body and answers 201: the sandbox Dewey stub HEADs every artifact in S3,
  10,000 HEADs of the sandbox, which measures the stub rather than the client.

Each measurement runs in a fresh process (`python -m bench.memory_row ...`), whose peak RSS is read back; "before"
is the same process's RSS once the code is imported, so the figure is what the work adds. These code paths hold
one record per file by design (the module result lists every file; verification compares key by key), so the
growth per file, not flatness, is the honest figure: it is reported beside the ratio.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

from bench.common import CACHE
from bench.common import REPO
from bench.common import Row

FILES = (10_000, 100_000)
ARTIFACTS = (1_000, 10_000)


def _rss():
    """Peak RSS of this process image in bytes: VmHWM (ru_maxrss would keep the forking parent's peak across exec)."""
    for line in Path("/proc/self/status").read_text(encoding="utf-8").splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def small_files_tree(count):
    root = CACHE / f"memory-tree-{count}"
    marker = root.with_suffix(".done")
    if marker.exists():
        return root
    for index in range(count):
        directory = root / f"d{index % 1000:03d}"
        directory.mkdir(parents=True, exist_ok=True)
        (directory / f"f{index:06d}.txt").write_bytes(b"x" * (64 + index % 64))
    marker.write_text(str(count), encoding="utf-8")
    return root


def export_and_verify(root):
    from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import export  # noqa: PLC0415
    from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import inventory  # noqa: PLC0415

    before = _rss()
    files = list(inventory.scan_tree(str(root), checksum=True))
    entries = export.manifest_entries(files)
    manifest = export.load_manifest(export.dump_manifest(entries))
    listing = {record["path"]: record["size"] for record in files}  # what ListObjectsV2 reports
    problems = export.compare_with_s3(manifest, listing)
    drift = export.fsx_drift(manifest, entries)
    if any(drift.values()):
        raise SystemExit(f"memory bench: verification found differences: {problems} {drift}")
    return before, len(files)


def register(count):
    import http.server  # noqa: PLC0415
    import threading  # noqa: PLC0415

    from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._dewey import build  # noqa: PLC0415
    from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._dewey import contract  # noqa: PLC0415
    from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._dewey.client import DeweyClient  # noqa: PLC0415

    class Sink(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            self.rfile.read(int(self.headers["Content-Length"]))
            body = json.dumps({"status_code": 201}).encode()
            self.send_response(201)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Sink)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    before = _rss()
    objects = {
        f"results/S{index % 100:02d}/file{index:05d}.tsv": {
            "size": 100 + index,
            "sha256": "%064x" % index,
            "sha256_source": "ChecksumSHA256",
        }
        for index in range(count)
    }
    records = build.inventory_records(objects, {})
    workflow = {
        "pipeline_name": "daylily-omics-analysis",
        "pipeline_version": "2.0.26",
        "git_sha": "0" * 40,
        "snakemake_version": "9.0.0",
        "workflow_config_hash": "1" * 64,
        "workflow_profile": "slurm",
    }
    request = build.analysis_request(
        records,
        {"identity": {"analysis_euid": "AN-1", "run_euid": "RUN-1"}},
        {"dayoa_s3_root": "s3://bench/derived/e/a/"},
        workflow,
        "2026-12-06T00:00:00Z",
        "hg38",
    )
    body = contract.finalise("analysis", request)
    client = DeweyClient(f"http://127.0.0.1:{server.server_address[1]}", "bench-token")
    client.register("analysis", body, contract.idempotency_key(body))
    server.shutdown()
    return before, len(body["artifacts"])


def _child(kind, count):
    """Run one measurement in a fresh interpreter: (peak RSS, RSS before the work, items) in bytes."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO / "tests"), str(REPO / ".build" / "collections")]))
    out = subprocess.run(
        [sys.executable, "-m", "bench.memory_row", kind, str(count)],
        cwd=REPO / "tests",
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=1200,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def bench_memory(_scratch):
    rows = []
    for kind, counts, label in (
        ("export", FILES, "files exported + verified"),
        ("register", ARTIFACTS, "artifacts registered"),
    ):
        small, large = (_child(kind, count) for count in counts)
        added_small = small["peak"] - small["before"]
        added_large = large["peak"] - large["before"]
        per_item = (added_large - added_small) / (counts[1] - counts[0])
        details = {
            "small": dict(small, count=counts[0]),
            "large": dict(large, count=counts[1]),
            "bytes_per_item": per_item,
        }
        rows.append(
            Row(
                f"6 peak RSS, {counts[1]:,} {label} (vs {counts[0]:,})",
                "MB",
                large["peak"] / 1e6,
                small["peak"] / 1e6,
                f"the same at {counts[0]:,}",
                target="flat as the count grows 10x",
                met=large["peak"] <= 1.5 * small["peak"],
                details=details,
            )
        )
    return rows


def main(argv):
    kind, count = argv[0], int(argv[1])
    if kind == "export":
        before, items = export_and_verify(small_files_tree(count))
    else:
        before, items = register(count)
    print(json.dumps({"peak": _rss(), "before": before, "items": items}))
    return 0


if __name__ == "__main__":
    sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(REPO / ".build" / "collections")]
    sys.exit(main(sys.argv[1:]))
