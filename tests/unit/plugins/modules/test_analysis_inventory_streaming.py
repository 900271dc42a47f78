"""analysis_inventory's output bytes and memory (bench row 6 of issue 15): the manifest of a small tree is byte-identical
to a golden copy, and without return_files the module keeps no record once it is written."""

import hashlib
import json
import os
import weakref

from ansible_collections.daylily.ephemeral_cluster.plugins.modules import analysis_inventory
from testlib.modules import execute_module

GOLDEN_MANIFEST = (
    '{"path":"a.txt","size":1,"type":"file","sha256":"ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"}\n'
    '{"path":"empty","size":0,"type":"file","sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}\n'
    '{"path":"link","size":22,"type":"symlink","target":"results/S1/samples.tsv"}\n'
    '{"path":"results/S1/samples.tsv","size":12,"type":"file",'
    '"sha256":"7adf69b5b6be734883641554fdae3ae2e1c227a90e501e1a6b8896b51b938e4e"}\n'
    '{"path":"results/caf\u00e9.txt","size":2,"type":"file",'
    '"sha256":"4a99557e4033c3539de2eb65472017cad5f9557f7a0625a09f1c3f6e2ba69c4c"}\n'
).encode("utf-8")


def golden_tree(root):
    (root / "results" / "S1").mkdir(parents=True)
    (root / "logs").mkdir()
    (root / "a.txt").write_bytes(b"a")
    (root / "empty").write_bytes(b"")
    (root / "results" / "S1" / "samples.tsv").write_bytes(b"sample\tpath\n")
    (root / "results" / "caf\u00e9.txt").write_bytes("\u00e9".encode("utf-8"))
    os.symlink("results/S1/samples.tsv", root / "link")


def test_manifest_and_returned_files_are_byte_identical_to_the_golden_copy(tmp_path, capsys):
    golden_tree(tmp_path / "tree")
    manifest = tmp_path / "inventory.jsonl"

    for workers in (1, 2):
        rc, result = execute_module(
            capsys,
            analysis_inventory.main,
            {"path": str(tmp_path / "tree"), "checksum": True, "manifest_path": str(manifest), "workers": workers},
        )

        assert rc == 0
        assert manifest.read_bytes() == GOLDEN_MANIFEST
        assert result["manifest_sha256"] == hashlib.sha256(GOLDEN_MANIFEST).hexdigest()
        assert result["files"] == [json.loads(line) for line in GOLDEN_MANIFEST.decode("utf-8").splitlines()]
        assert (result["file_count"], result["total_bytes"], result["symlink_count"]) == (4, 15, 1)
        assert result["directory_count"] == 3


class Record(dict):
    """A record that can be watched with a weak reference (a plain dict cannot)."""

    __slots__ = ("__weakref__",)


def watched_records(monkeypatch, count):
    """Make the module's walk yield ``count`` watchable records; return the list of their weak references and the
    most records alive at any yield (besides the one being yielded)."""
    refs = []
    most_alive = [0]

    def scan_tree(_root, **_options):
        for index in range(count):
            most_alive[0] = max(most_alive[0], sum(1 for ref in refs if ref() is not None))
            record = Record(path="f%05d" % index, size=index, type="file", sha256="%064x" % index)
            refs.append(weakref.ref(record))
            yield record
            del record

    monkeypatch.setattr(analysis_inventory.inventory, "scan_tree", scan_tree)
    return refs, most_alive


def test_without_return_files_no_record_outlives_its_manifest_line(tmp_path, capsys, monkeypatch):
    refs, most_alive = watched_records(monkeypatch, 500)
    manifest = tmp_path / "inventory.jsonl"
    (tmp_path / "tree").mkdir()

    rc, result = execute_module(
        capsys,
        analysis_inventory.main,
        {"path": str(tmp_path / "tree"), "checksum": True, "return_files": False, "manifest_path": str(manifest)},
    )

    assert rc == 0 and "files" not in result
    assert len(manifest.read_bytes().splitlines()) == 500
    assert most_alive[0] <= 1  # the loop variable holds the previous record until the next one arrives
    assert sum(1 for ref in refs if ref() is not None) == 0


def test_with_return_files_every_record_is_kept_for_the_result(tmp_path, capsys, monkeypatch):
    # the converse, so the probe above is known to see accumulation: RETURN files lists every file by contract
    refs, most_alive = watched_records(monkeypatch, 500)

    rc, result = execute_module(capsys, analysis_inventory.main, {"path": str(tmp_path), "return_files": True})

    assert rc == 0 and len(result["files"]) == 500
    assert most_alive[0] == 499
