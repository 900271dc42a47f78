# -*- coding: utf-8 -*-
"""The manifest comparisons stream two sorted sides instead of building sets and dicts of every file (bench row 6c).

Their results must not change: ``export_streaming_golden.json`` holds what the set-based code returned for the cases
below (recorded before the change), including unsorted inputs, duplicate paths, non-ASCII keys (S3 lists keys in
UTF-8 byte order, which is Python's code-point order) and more differences than a message names.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import export

GOLDEN = json.loads((Path(__file__).parent / "export_streaming_golden.json").read_text(encoding="utf-8"))

SHA_A, SHA_B = "a" * 64, "b" * 64
UNICODE = ["Z.txt", "a.txt", "\u00e9t\u00e9.txt", "\uff5a.txt", "\U0001f600.txt", "a/b.txt", "a-b.txt", "a.txt/x"]


def _manifest(paths, size=1, sha=None):
    return {path: dict({"path": path, "size": size}, **({"sha256": sha} if sha else {})) for path in paths}


MANY = ["f%03d.txt" % index for index in range(12)]

CASES_COMPARE = [
    (_manifest(["a.txt", "b.txt"]), {"a.txt": 1, "b.txt": 1}),
    (_manifest(["b.txt", "a.txt"]), {"b.txt": 1, "a.txt": 1}),  # neither side sorted
    (_manifest(UNICODE), {path: 1 for path in sorted(UNICODE)}),
    (_manifest(UNICODE), {path: 2 for path in reversed(UNICODE[2:])}),
    (_manifest(MANY), {"g%03d.txt" % index: 1 for index in range(12)}),
    (_manifest(MANY[::-1]), dict({path: 5 for path in MANY[::2]}, **{"zz": 0, "0": 7})),
    ({}, {"x": 1}),
    (_manifest(["x"]), {}),
    ({}, {}),
]

CASES_DRIFT = [
    (_manifest(["a.txt", "b.txt"], sha=SHA_A), [{"path": "a.txt", "size": 1, "sha256": SHA_A}]),
    (
        _manifest(["b.txt", "a.txt"], sha=SHA_A),
        [{"path": "c.txt", "size": 1}, {"path": "a.txt", "size": 1, "sha256": SHA_B}],
    ),
    (_manifest(UNICODE[::-1]), [{"path": path, "size": 1 + index % 2} for index, path in enumerate(UNICODE)]),
    # the same path twice: the later entry is the one compared
    (_manifest(["a"]), [{"path": "a", "size": 1}, {"path": "a", "size": 2}]),
    (_manifest(["a"]), [{"path": "a", "size": 2}, {"path": "a", "size": 1}]),
    (_manifest(["a"], sha=SHA_A), [{"path": "a", "size": 1}]),  # no checksum on one side: the size decides
    (_manifest(MANY), [{"path": path, "size": 1} for path in MANY[1::3] + ["new%d" % n for n in range(7)]]),
    ({}, []),
]

CASES_LOAD = [
    '{"path":"a","size":1}\n{"path":"b","size":2,"sha256":"%s"}\n' % SHA_A,
    '{"path":"b","size":2}\r\n\r\n{"path":"a","size":1,"extra":true}',
    '{"path":"a","size":1}\x85{"path":"b"}\n',
    '{"path":"a","size":1}\n\n   \n{"size":1}\n',
    '{"path":"a","size":1}\n{"path":"a","size":3}\n',
    '{"path":"\\u00e9","size":1}\u2028{"path":"c","size":"1"}',
    "",
]


@pytest.mark.parametrize("index", range(len(CASES_COMPARE)))
def test_compare_with_s3_reports_what_the_set_based_comparison_reported(index):
    manifest, s3_objects = CASES_COMPARE[index]
    assert export.compare_with_s3(manifest, s3_objects) == GOLDEN["compare"][index]


@pytest.mark.parametrize("index", range(len(CASES_DRIFT)))
def test_fsx_drift_reports_what_the_set_based_comparison_reported(index):
    manifest, entries = CASES_DRIFT[index]
    assert export.fsx_drift(manifest, entries) == GOLDEN["drift"][index]


@pytest.mark.parametrize("index", range(len(CASES_LOAD)))
def test_load_manifest_reads_what_it_read_before(index):
    try:
        loaded = ["ok", [list(item) for item in export.load_manifest(CASES_LOAD[index]).items()]]
    except ValueError as err:
        loaded = ["error", str(err)]
    assert loaded == GOLDEN["load"][index]


def test_export_receipt_writes_the_manifest_it_wrote_before_to_a_file_and_reads_back_the_same_entries(tmp_path):
    from ansible_collections.daylily.ephemeral_cluster.plugins.modules import export_receipt  # noqa: PLC0415

    files = [
        {"path": "r\u00e9sum\u00e9/\U0001f600.txt", "size": 10, "type": "file", "sha256": "c" * 64},
        {"path": "bad-\udcff.bin", "size": 0, "type": "file"},  # an undecodable name, as os.walk gives it
        {"path": "Z", "size": 2, "type": "file", "sha256": ""},
        {"path": "dir", "size": 0, "type": "directory"},
        {"path": "a", "size": 7, "type": "file"},
    ]
    manifest = export_receipt.fsx_manifest({"file_count": 4, "total_bytes": 19, "files": files}, str(tmp_path))
    text = Path(manifest.path).read_text(encoding="ascii")
    # the text and digest recorded before the change
    assert text == (
        '{"path":"Z","size":2}\n{"path":"a","size":7}\n{"path":"bad-\\udcff.bin","size":0}\n'
        '{"path":"r\\u00e9sum\\u00e9/\\ud83d\\ude00.txt","size":10,"sha256":"%s"}\n' % ("c" * 64)
    )
    assert manifest.sha256 == "16cffb8cf0e61bd5d72a485c031d537a67aa52983fb9162bd04d6d9cb3ee841e"
    assert list(manifest.items()) == sorted(export.load_manifest(text).items())
    assert export_receipt.fsx_manifest({"file_count": 0, "total_bytes": 0}, str(tmp_path)) is None
