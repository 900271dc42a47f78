"""Unit tests for plugins/modules/analysis_inventory.py (and module_utils/inventory.py) on real temporary trees.

main() runs for real (argument parsing, check mode, exit_json/fail_json) with patch_module_args; no AWS is involved.
"""

import hashlib
import json
import os

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import inventory
from ansible_collections.daylily.ephemeral_cluster.plugins.modules import analysis_inventory
from testlib.modules import execute_module

UNICODE_NAME = "\u00e9chantillon \u6587\u4ef6 \U0001f9ec.txt"


def run_module(capsys, args, check_mode=False):
    """Run analysis_inventory.main(); return (exit code, parsed JSON result)."""
    return execute_module(capsys, analysis_inventory.main, args, check_mode=check_mode)


def make_tree(root):
    """A small analysis directory; returns {relative path: bytes} of its regular files."""
    files = {
        "config/samples.tsv": b"sample\tpath\nS1\t/x\n",
        "config/units.tsv": b"",
        "results/day/hg38/reports/multiqc.html": b"<html>" + b"x" * 5000 + b"</html>",
        "results/day/hg38/reports/multiqc_data/multiqc_data.json": b"{}",
        "a.txt": b"a",
        "a-b": b"ab",
        "a0": b"zero",
        "a/b": b"nested",
        UNICODE_NAME: "\u00e9".encode("utf-8"),
        "empty": b"",
    }
    for relative, data in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    (root / "logs" / "empty_dir").mkdir(parents=True)
    return files


def data_with_links(root, links):
    """data/real.txt (5 bytes) under ``root``, and the symlinks ``{relative path: target}``, made in that order."""
    (root / "data").mkdir()
    (root / "data" / "real.txt").write_bytes(b"12345")
    for link, target in links.items():
        os.symlink(target, root / link)


def sha(data):
    return hashlib.sha256(data).hexdigest()


# ----------------------------------------------------------------------------------------------------------------
# results
# ----------------------------------------------------------------------------------------------------------------


def test_counts_sizes_and_sorted_relative_posix_paths(tmp_path, capsys):
    files = make_tree(tmp_path / "e1" / "a1")

    rc, result = run_module(capsys, {"path": str(tmp_path / "e1" / "a1")})

    assert rc == 0
    assert result["changed"] is False
    assert result["path"] == str(tmp_path / "e1" / "a1")
    assert result["file_count"] == len(files)
    assert result["total_bytes"] == sum(len(data) for data in files.values())
    # config, results, results/day, .../hg38, .../reports, .../multiqc_data, a, logs, logs/empty_dir
    assert result["directory_count"] == 9
    assert result["symlink_count"] == 0 and result["special_count"] == 0
    paths = [entry["path"] for entry in result["files"]]
    assert paths == sorted(files)  # "a-b" < "a.txt" < "a/b" < "a0": sorted as full strings, not per directory
    assert {entry["path"]: entry["size"] for entry in result["files"]} == {k: len(v) for k, v in files.items()}
    assert all(entry["type"] == "file" and "sha256" not in entry for entry in result["files"])


def test_checksums_match_hashlib_whatever_the_worker_count(tmp_path, capsys):
    files = make_tree(tmp_path)
    big = os.urandom(3 * 1024 * 1024 + 11)
    (tmp_path / "big.bin").write_bytes(big)
    files["big.bin"] = big

    results = []
    for workers in (1, 4):
        rc, result = run_module(capsys, {"path": str(tmp_path), "checksum": True, "workers": workers})
        assert rc == 0
        results.append(result["files"])
    assert results[0] == results[1]
    assert {entry["path"]: entry["sha256"] for entry in results[0]} == {k: sha(v) for k, v in files.items()}
    empty = next(entry for entry in results[0] if entry["path"] == "empty")
    assert empty == {"path": "empty", "size": 0, "type": "file", "sha256": sha(b"")}


def test_unicode_names_are_returned_as_text(tmp_path, capsys):
    (tmp_path / UNICODE_NAME).write_bytes(b"x")

    rc, result = run_module(capsys, {"path": str(tmp_path), "checksum": True})

    assert rc == 0
    assert result["files"] == [{"path": UNICODE_NAME, "size": 1, "type": "file", "sha256": sha(b"x")}]


def test_empty_directory(tmp_path, capsys):
    rc, result = run_module(capsys, {"path": str(tmp_path)})

    assert rc == 0
    assert (result["file_count"], result["total_bytes"], result["directory_count"], result["files"]) == (0, 0, 0, [])


def test_symlinks_are_listed_counted_and_not_followed(tmp_path, capsys):
    data_with_links(tmp_path, {"to_file": "data/real.txt", "to_dir": "data", "dangling": "missing", "data/loop": "."})

    rc, result = run_module(capsys, {"path": str(tmp_path), "checksum": True})

    assert rc == 0
    assert result["file_count"] == 1 and result["total_bytes"] == 5
    assert result["symlink_count"] == 4
    assert result["directory_count"] == 1
    by_path = {entry["path"]: entry for entry in result["files"]}
    assert by_path["to_file"] == {
        "path": "to_file",
        "size": len("data/real.txt"),
        "type": "symlink",
        "target": "data/real.txt",
    }
    assert by_path["to_dir"]["type"] == "symlink" and "sha256" not in by_path["to_dir"]
    assert by_path["dangling"]["target"] == "missing"
    assert by_path["data/loop"]["target"] == "."


def test_follow_symlinks_walks_links_once_and_cuts_loops(tmp_path, capsys):
    data_with_links(
        tmp_path, {"to_file": "data/real.txt", "b_dir_link": "data", "dangling": "missing", "data/up": ".."}
    )

    rc, result = run_module(capsys, {"path": str(tmp_path), "checksum": True, "follow_symlinks": True})

    assert rc == 0
    by_path = {entry["path"]: entry for entry in result["files"]}
    # b_dir_link sorts before data: the directory is walked once, through the link
    assert sorted(by_path) == ["b_dir_link/real.txt", "dangling", "to_file"]
    assert by_path["to_file"] == {"path": "to_file", "size": 5, "type": "file", "sha256": sha(b"12345")}
    assert by_path["dangling"]["type"] == "symlink"
    assert result["symlink_count"] == 4
    assert result["file_count"] == 2


def test_special_files_are_counted_not_listed(tmp_path, capsys):
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "f").write_bytes(b"1")

    rc, result = run_module(capsys, {"path": str(tmp_path), "checksum": True})

    assert rc == 0
    assert result["special_count"] == 1
    assert [entry["path"] for entry in result["files"]] == ["f"]


def test_deep_tree_needs_no_recursion(tmp_path, capsys):
    depth = 1200  # deeper than Python's default recursion limit of 1000
    directory = str(tmp_path)
    for _level in range(depth):  # pathlib's mkdir(parents=True) and shutil.rmtree recurse: build and remove by hand
        directory = os.path.join(directory, "d")
        os.mkdir(directory)
    with open(os.path.join(directory, "leaf"), "wb") as handle:
        handle.write(b"deep")

    try:
        rc, result = run_module(capsys, {"path": str(tmp_path), "return_files": True})
    finally:
        os.unlink(os.path.join(directory, "leaf"))
        for _level in range(depth):
            os.rmdir(directory)
            directory = os.path.dirname(directory)

    assert rc == 0
    assert result["directory_count"] == depth
    assert result["files"] == [{"path": "d/" * depth + "leaf", "size": 4, "type": "file"}]


def test_return_files_false_returns_only_totals(tmp_path, capsys):
    files = make_tree(tmp_path)

    rc, result = run_module(capsys, {"path": str(tmp_path), "return_files": False, "checksum": True})

    assert rc == 0
    assert "files" not in result
    assert result["file_count"] == len(files)


def test_check_mode_gives_the_same_result(tmp_path, capsys):
    make_tree(tmp_path)
    rc, normal = run_module(capsys, {"path": str(tmp_path), "checksum": True})
    rc_check, checked = run_module(capsys, {"path": str(tmp_path), "checksum": True}, check_mode=True)

    assert rc == rc_check == 0
    for key in ("changed", "path", "file_count", "total_bytes", "directory_count", "symlink_count", "files"):
        assert normal[key] == checked[key]


# ----------------------------------------------------------------------------------------------------------------
# manifest
# ----------------------------------------------------------------------------------------------------------------


def test_manifest_is_json_lines_sorted_and_written_only_when_it_changes(tmp_path, capsys):
    tree = tmp_path / "tree"
    make_tree(tree)
    manifest = tmp_path / "out" / "sub" / "inventory.jsonl"
    args = {"path": str(tree), "checksum": True, "manifest_path": str(manifest)}

    rc, first = run_module(capsys, args)
    assert rc == 0 and first["changed"] is True
    lines = manifest.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == first["files"]
    assert first["manifest_path"] == str(manifest)
    assert first["manifest_sha256"] == sha(manifest.read_bytes())
    assert UNICODE_NAME in manifest.read_text(encoding="utf-8")  # UTF-8, not \u escapes
    assert not [name for name in os.listdir(manifest.parent) if name.endswith(".tmp")]

    mtime = manifest.stat().st_mtime_ns
    rc, second = run_module(capsys, args)
    assert rc == 0 and second["changed"] is False
    assert manifest.stat().st_mtime_ns == mtime
    assert not [name for name in os.listdir(manifest.parent) if name.endswith(".tmp")]

    (tree / "new.txt").write_bytes(b"new")
    rc, third = run_module(capsys, args)
    assert rc == 0 and third["changed"] is True
    assert '"path":"new.txt"' in manifest.read_text(encoding="utf-8")


def test_manifest_in_check_mode_is_not_written_but_reports_the_change(tmp_path, capsys):
    tree = tmp_path / "tree"
    make_tree(tree)
    manifest = tmp_path / "inventory.jsonl"

    rc, result = run_module(
        capsys, {"path": str(tree), "manifest_path": str(manifest), "return_files": False}, check_mode=True
    )

    assert rc == 0
    assert result["changed"] is True
    assert not manifest.exists()
    assert sorted(os.listdir(tmp_path)) == ["tree"]

    run_module(capsys, {"path": str(tree), "manifest_path": str(manifest), "return_files": False})
    rc, again = run_module(
        capsys, {"path": str(tree), "manifest_path": str(manifest), "return_files": False}, check_mode=True
    )
    assert rc == 0 and again["changed"] is False
    assert again["manifest_sha256"] == result["manifest_sha256"]


def test_manifest_inside_the_tree_is_refused(tmp_path, capsys):
    make_tree(tmp_path)

    rc, result = run_module(
        capsys, {"path": str(tmp_path), "manifest_path": str(tmp_path / "config" / "inventory.jsonl")}
    )

    assert rc == 1
    assert "inside path" in result["msg"] and "outside the analysis directory" in result["msg"]
    assert not (tmp_path / "config" / "inventory.jsonl").exists()


def test_manifest_path_that_is_a_directory_is_refused(tmp_path, capsys):
    (tmp_path / "tree").mkdir()

    rc, result = run_module(capsys, {"path": str(tmp_path / "tree"), "manifest_path": str(tmp_path)})

    assert rc == 1
    assert "is a directory" in result["msg"]


# ----------------------------------------------------------------------------------------------------------------
# failures
# ----------------------------------------------------------------------------------------------------------------


def test_missing_path_fails_naming_it_and_the_nearest_parent(tmp_path, capsys):
    missing = tmp_path / "analysis_results" / "e1" / "a1"

    rc, result = run_module(capsys, {"path": str(missing)})

    assert rc == 1
    assert result["failed"] is True
    assert result["msg"].startswith("path '%s' does not exist" % missing)
    assert "nearest existing parent is '%s'" % tmp_path in result["msg"]
    assert "mounted" in result["msg"]


def test_a_file_instead_of_a_directory_fails(tmp_path, capsys):
    (tmp_path / "f").write_bytes(b"")

    rc, result = run_module(capsys, {"path": str(tmp_path / "f")})

    assert rc == 1
    assert "is not a directory" in result["msg"]


def test_unreadable_directory_fails_instead_of_returning_a_partial_inventory(tmp_path, capsys, monkeypatch):
    make_tree(tmp_path)
    locked = str(tmp_path / "results")
    real_scandir = os.scandir

    def scandir(path):  # chmod 000 does not stop root, so refuse like the kernel would for another user
        if os.fspath(path) == locked:
            raise PermissionError(13, "Permission denied", path)
        return real_scandir(path)

    monkeypatch.setattr(inventory.os, "scandir", scandir)
    rc, result = run_module(capsys, {"path": str(tmp_path)})

    assert rc == 1
    assert result["msg"] == (
        "cannot list the directory '%s': Permission denied; give the user running the module read "
        "(and, for directories, execute) permission on it" % locked
    )


def test_zero_workers_are_refused(tmp_path, capsys):
    rc, result = run_module(capsys, {"path": str(tmp_path), "checksum": True, "workers": 0})

    assert rc == 1
    assert "workers must be at least 1" in result["msg"]


# ----------------------------------------------------------------------------------------------------------------
# module_utils/inventory.py directly
# ----------------------------------------------------------------------------------------------------------------


def test_walk_tree_streams_and_counts(tmp_path):
    files = make_tree(tmp_path)
    counts = inventory.TreeCounts()
    walk = inventory.walk_tree(str(tmp_path), counts=counts)
    first = next(walk)
    assert first.path == sorted(files)[0]
    assert counts.file_count == 1  # counted as the walk goes
    rest = list(walk)
    assert [entry.path for entry in [first] + rest] == sorted(files)
    assert counts.as_dict() == {
        "file_count": len(files),
        "total_bytes": sum(map(len, files.values())),
        "directory_count": 9,
        "symlink_count": 0,
        "special_count": 0,
    }


def test_undecodable_names_are_escaped_and_reported(tmp_path, capsys, monkeypatch):
    # Once controller code is imported in the same process (connection plugin tests), core sends module warnings to
    # the display instead of the result, so record what the module warns directly.
    warned = []
    original_warn = analysis_inventory.AnsibleModule.warn
    monkeypatch.setattr(
        analysis_inventory.AnsibleModule,
        "warn",
        lambda self, message, *a, **k: (warned.append(message), original_warn(self, message, *a, **k))[1],
    )
    raw = os.path.join(os.fsencode(str(tmp_path)), b"bad\xff.txt")
    with open(raw, "wb") as handle:
        handle.write(b"1")

    rc, result = run_module(capsys, {"path": str(tmp_path), "checksum": True})

    assert rc == 0
    assert result["files"][0]["path"] == "bad\\xff.txt"
    assert result["files"][0]["sha256"] == sha(b"1")
    assert any("not valid UTF-8" in message for message in warned)
