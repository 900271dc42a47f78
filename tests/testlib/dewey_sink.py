"""A local Dewey endpoint that only answers 201, and the analysis registration of an S3 inventory, for the memory
bench (row 6d) and the tests that pin the bytes a registration POSTs."""

from __future__ import annotations

import contextlib
import http.server
import json
import threading

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._dewey import build
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._dewey import contract

WORKFLOW = {
    "pipeline_name": "daylily-omics-analysis",
    "pipeline_version": "2.0.26",
    "git_sha": "0" * 40,
    "snakemake_version": "9.0.0",
    "workflow_config_hash": "1" * 64,
    "workflow_profile": "slurm",
}


def analysis_body(objects):
    """``(records, body)``: the records of every object of an S3 inventory (``{relative path: {"size", "sha256",
    ...}}``) and the finalised analysis request registering them (contract check, ``manifest_sha256``), built as
    ``_dewey.plan`` builds them: the request goes straight into ``contract.finalise``, the records stay in the plan."""
    records = build.inventory_records(objects, {})
    request = build.analysis_request(
        records,
        {"identity": {"analysis_euid": "AN-1", "run_euid": "RUN-1"}},
        {"dayoa_s3_root": "s3://bench/derived/e/a/"},
        WORKFLOW,
        "2026-12-06T00:00:00Z",
        "hg38",
    )
    return records, contract.finalise("analysis", request)


@contextlib.contextmanager
def post_sink(keep_bodies=False):
    """``(url, received)``: a 127.0.0.1 endpoint answering every POST 201. The body is read in 64 KiB pieces and
    dropped (the server may share the process whose memory is measured) unless ``keep_bodies``; ``received`` lists
    ``(Content-Length header, body or None)``."""
    received = []

    class Sink(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            length = self.headers["Content-Length"]
            left, pieces = int(length), []
            while left:
                piece = self.rfile.read(min(left, 1 << 16))
                left -= len(piece)
                if keep_bodies:
                    pieces.append(piece)
            received.append((length, b"".join(pieces) if keep_bodies else None))
            answer = json.dumps({"status_code": 201}).encode()
            self.send_response(201)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *_args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Sink)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield "http://127.0.0.1:%d" % server.server_address[1], received
    finally:
        server.shutdown()
        server.server_close()
