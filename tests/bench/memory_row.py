"""Row 6: peak RSS at N and at 10 N, each measurement in a fresh process, of

* the analysis_inventory module (its ``main()``, argument parsing and ``exit_json`` included) hashing 10,000 and
  100,000 small files and streaming the manifest to a file (``return_files: false``, ``manifest_path``): the whole
  inventory side of an export is ours, and it holds no per-file state, so its peak must be flat;
* the same module returning every file (``return_files: true``, what the export role registers): its documented
  RETURN ``files`` lists every file, so that memory is the contract (Ansible serialises the list as one JSON
  string too); the figure is reported per file;
* the export verification (export_receipt's service layer: the manifest written from the inventory's ``files`` to a
  file, compared with an S3 listing read page by page, uploaded, read back from S3 and compared with S3 and FSx again)
  counted from the moment the inventory it is given and S3's answers (queued in a Stubber) are in memory (that list
  is export_receipt's ``fsx_inventory`` option, i.e. the contract above);
* registering 1,000 and 10,000 artifacts: Dewey records, the analysis request (``_dewey.build``), its contract check
  and ``manifest_sha256`` (``contract.finalise``) and the POST by ``DeweyClient``, counted from the moment the S3
  inventory it is given is in memory. The POST goes to a local endpoint in this process that reads the body in
  64 KiB pieces, drops them and answers 201 (the sandbox Dewey stub HEADs every artifact in S3, which would measure
  the stub rather than the client).

"before" is the process's RSS once the code is imported (and, for the last two, once its input exists), so
``peak - before`` is what the work adds: rows 6c and 6d compare that, rows 6a and 6b the process's whole peak. The
growth per item between N and 10 N is reported beside the ratio; "flat" means 10x the items add under 10 %.
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
#: What RSS readings resolve: the kernel counts each thread's resident pages in batches (up to 64 pages a thread
#: lag), so an "added" figure within this of zero is zero, and "flat" allows it.
RSS_RESOLUTION = 1_000_000


def _rss():
    """Peak RSS of this process image in bytes: VmHWM (ru_maxrss would keep the forking parent's peak across exec)."""
    for line in Path("/proc/self/status").read_text(encoding="utf-8").splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _reset_peak():
    """Make VmHWM the current RSS (``/proc/self/clear_refs``, Linux 4.0+), so a peak read later is the work's own,
    not a transient peak of building its input. Without it, the peak is the process's since exec."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as handle:
            handle.write("5")
    except OSError:
        pass


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


def inventory_module(root, return_files, scratch):
    """analysis_inventory's main() with SHA-256 and a manifest file, its JSON result sent to /dev/null."""
    import contextlib  # noqa: PLC0415

    from ansible.module_utils.testing import patch_module_args  # noqa: PLC0415

    from ansible_collections.daylily.ephemeral_cluster.plugins.modules import analysis_inventory  # noqa: PLC0415

    args = {
        "path": str(root),
        "checksum": True,
        "return_files": return_files,
        "manifest_path": str(Path(scratch) / "fsx_inventory.jsonl"),
    }
    before = _rss()
    with open(os.devnull, "w", encoding="utf-8") as sink, contextlib.redirect_stdout(sink), patch_module_args(args):
        try:
            analysis_inventory.main()
        except SystemExit as exit_:
            failed = exit_.code not in (None, 0)
            if failed:
                raise RuntimeError(f"analysis_inventory failed on {root}") from None
    return before, sum(1 for _line in open(args["manifest_path"], "rb"))  # noqa: SIM115


def export_and_verify(root):
    """export_receipt's verification of an export of the tree (testlib.export_verification.verify_export): the
    manifest written to a file and uploaded from it, the S3 listing (ListObjectsV2 pages of 1,000 from a Stubber)
    read page by page, both compared side by side, then the manifest read back from S3 and compared with S3 and
    with FSx again."""
    import tempfile  # noqa: PLC0415

    from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import inventory  # noqa: PLC0415
    from testlib.export_verification import queue_export  # noqa: PLC0415
    from testlib.export_verification import stubbed_s3  # noqa: PLC0415
    from testlib.export_verification import verify_export  # noqa: PLC0415

    files = list(inventory.scan_tree(str(root), checksum=True))  # export_receipt's fsx_inventory.files
    with stubbed_s3() as (stubber, client), tempfile.TemporaryDirectory(prefix="dayec-bench-verify-") as scratch:
        answers = queue_export(stubber, files)  # what S3 answers, queued before and kept to the end
        _reset_peak()  # the Stubber's checks of the queued answers peak higher than verifying does
        before = _rss()
        failures, drift = verify_export(client, files, scratch)
        del answers
    if failures or any(drift.values()):
        raise SystemExit(f"memory bench: verification found differences: {failures} {drift}")
    return before, len(files)


def register(count):
    from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._dewey import contract  # noqa: PLC0415
    from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._dewey.client import DeweyClient  # noqa: PLC0415
    from testlib.dewey_sink import analysis_body  # noqa: PLC0415
    from testlib.dewey_sink import post_sink  # noqa: PLC0415

    objects = {
        f"results/S{index % 100:02d}/file{index:05d}.tsv": {
            "size": 100 + index,
            "sha256": "%064x" % index,
            "sha256_source": "ChecksumSHA256",
        }
        for index in range(count)
    }
    with post_sink() as (url, _received):
        before = _rss()  # the S3 inventory (s3_inventory's result) is the input
        _records, body = analysis_body(objects)  # the plan keeps its selected records while it posts
        client = DeweyClient(url, "bench-token")
        client.register("analysis", body, contract.idempotency_key(body))
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


#: (row, kind, counts, figure, what bounds it). "peak" is the whole process (a module run); "added" is what the work
#: adds to the input it is given. Only the first holds no per-item state of ours; the others hold what a documented
#: interface lists, one entry per item, or (export verification, registration) per-item state outside this row's
#: reach, and say so.
MEASUREMENTS = (
    ("6a peak RSS, inventory of {large} files with SHA-256, manifest streamed", "inventory-stream", FILES, "peak", ""),
    (
        "6b peak RSS, inventory of {large} files returned",
        "inventory-return",
        FILES,
        "peak",
        "RETURN files lists every file (the contract)",
    ),
    (
        "6c RSS added verifying {large} exported files",
        "export",
        FILES,
        "added",
        "nothing per file: the manifest is written to a file as it is made and read back a line at a time, the"
        " listing goes page by page to a file, and manifest, S3 and FSx are compared side by side in path order;"
        " the inventory's files it is given (fsx_inventory, row 6b) and S3's answers are its input",
    ),
    (
        "6d RSS added registering {large} artifacts",
        "register",
        ARTIFACTS,
        "added",
        "one POST lists every artifact (Dewey's API): the plan's records, the finalised request and its body are"
        " per artifact; the digests are hashed as the JSON is encoded",
    ),
)


def _growth(figure, grown, counts):
    """The growth per item in words; an "added" growth within the RSS resolution is reported as its bound."""
    items = counts[1] - counts[0]
    if figure == "added" and abs(grown) < RSS_RESOLUTION:
        return f"no growth beyond the RSS resolution ({RSS_RESOLUTION / 1e6:.0f} MB: under {RSS_RESOLUTION / items:.0f} bytes per item)"
    return f"{grown / items:,.0f} bytes per item"


def bench_memory(_scratch):
    rows = []
    for name, kind, counts, figure, bound in MEASUREMENTS:
        small, large = (_child(kind, count) for count in counts)
        added_small = small["peak"] - small["before"]
        added_large = large["peak"] - large["before"]
        per_item = (added_large - added_small) / (counts[1] - counts[0])
        if figure == "peak":
            ours, baseline = large["peak"], small["peak"]
            met = ours <= 1.1 * baseline  # flat: 10x the items add less than 10 %
        else:  # below the resolution a reading is noise around zero (it can come out negative)
            ours, baseline = max(added_large, 0), max(added_small, 0)
            met = ours <= 1.1 * baseline + RSS_RESOLUTION
        details = {
            "small": dict(small, count=counts[0]),
            "large": dict(large, count=counts[1]),
            "added_small": added_small,
            "added_large": added_large,
            "bytes_per_item": per_item,
            "bound": bound or "flat: no per-item state",
        }
        print(
            f"memory: {kind}: peak {small['peak'] / 1e6:.1f} MB at {counts[0]:,}, {large['peak'] / 1e6:.1f} MB at "
            f"{counts[1]:,}; the work adds {added_small / 1e6:.1f} and {added_large / 1e6:.1f} MB, "
            f"{per_item:,.0f} bytes per item",
            flush=True,
        )
        rows.append(
            Row(
                name.format(large=f"{counts[1]:,}") + f" (vs {counts[0]:,})",
                "MB",
                ours / 1e6,
                baseline / 1e6,
                f"the same at {counts[0]:,}; {_growth(figure, added_large - added_small, counts)}"
                + (f": {bound}" if bound else ""),
                target="flat as the count grows 10x",
                met=met,
                details=details,
            )
        )
    return rows


def main(argv):
    import tempfile  # noqa: PLC0415

    kind, count = argv[0], int(argv[1])
    if kind.startswith("inventory-"):
        with tempfile.TemporaryDirectory(prefix="dayec-bench-memory-") as scratch:
            before, items = inventory_module(small_files_tree(count), kind == "inventory-return", scratch)
    elif kind == "export":
        before, items = export_and_verify(small_files_tree(count))
    else:
        before, items = register(count)
    print(json.dumps({"peak": _rss(), "before": before, "items": items}))
    return 0


if __name__ == "__main__":
    sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(REPO / ".build" / "collections")]
    sys.exit(main(sys.argv[1:]))
