"""Unit tests for plugins/module_utils/receipt.py: the fsx_export.yaml receipt (dayec_domain.md §8, §12)."""

from __future__ import annotations

import math
import os
import random
from pathlib import Path

import pytest
import yaml

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import collection
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import paths
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import receipt
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.receipt import ReceiptError
from testlib.receipts import success_fields

COLLECTION_ROOT = os.path.abspath(os.path.join(os.path.dirname(receipt.__file__), "..", ".."))
DESTINATION = "s3://out-bucket/derived/johnm/illumina_run_qc/"

#: A verified receipt in the layout readers rely on; the field order the tests expect is its order.
GOLDEN_RECEIPT = Path(__file__).resolve().parents[2] / "fixtures" / "receipts" / "fsx_export_verified.yaml"
GOLDEN_TIMESTAMP = "20240102T030405Z"
EXPECTED_ORDER = list(yaml.safe_load(GOLDEN_RECEIPT.read_text(encoding="utf-8"))["fsx_export"])

# Strings that a naive emitter gets wrong (YAML 1.1 booleans, numbers, indicators, control and non-ASCII characters).
TRICKY_STRINGS = [
    "",
    " ",
    "yes",
    "No",
    "ON",
    "off",
    "y",
    "n",
    "true",
    "False",
    "null",
    "~",
    "Null",
    "123",
    "-1",
    "0x1f",
    "0o17",
    "017",
    "1e5",
    "1.0",
    ".inf",
    ".nan",
    "1_000",
    "12:30:00",
    "2024-01-02",
    "a: b",
    "a:b",
    "- x",
    "-",
    "? x",
    "#comment",
    "a #b",
    "@x",
    "`x`",
    "'single'",
    '"double"',
    "\\",
    "\\n",
    "\t",
    "\n",
    "line1\nline2",
    "\r\n",
    "\x00",
    "\x07",
    "\x1b",
    "\x7f",
    "\x85",
    "\xa0",
    "\u2028",
    "\u2029",
    "\ufeff",
    "caf\u00e9",
    "\u2024\u2024",
    "\U0001f600",
    "%",
    "&anchor",
    "*alias",
    "!tag",
    "!!str",
    "|",
    ">",
    "{a}",
    "[b]",
    "{}",
    "[]",
    "---",
    "...",
    "<<",
    "=",
    "trailing ",
    " leading",
    "s3://out-bucket/derived/johnm/illumina_run_qc/",
    "/fsx/analysis_results/johnm/illumina_run_qc/",
]


def success_receipt(**overrides):
    counts = {"fsx_file_count": 3, "fsx_total_bytes": 600, "s3_object_count": 3, "s3_total_bytes": 600}
    fields = success_fields("johnm", "illumina_run_qc", DESTINATION, GOLDEN_TIMESTAMP, **dict(counts, **overrides))
    return receipt.build_receipt(**fields)


def s3_objects(sizes, prefix="derived/johnm/illumina_run_qc/"):
    return [{"Key": "%sfile%d" % (prefix, i), "Size": size} for i, size in enumerate(sizes)]


# --------------------------------------------------------------------------------------------------------------
# building


def test_the_receipt_code_writes_the_golden_receipt():
    golden_text = GOLDEN_RECEIPT.read_text(encoding="utf-8")
    built = success_receipt(verified=True, timestamp=GOLDEN_TIMESTAMP)
    golden = receipt.load_receipt(golden_text)
    assert built == dict(golden, producer=receipt.default_producer())  # the version moves with galaxy.yml
    assert receipt.dump_receipt(dict(built, producer=golden["producer"])) in golden_text
    assert (
        len(EXPECTED_ORDER) == 34 and EXPECTED_ORDER[0] == "schema_version" and EXPECTED_ORDER[23] == "failure_details"
    )


def test_build_receipt_defaults_and_v4_field_order():
    built = receipt.build_receipt()
    assert list(built) == EXPECTED_ORDER
    assert built["schema_version"] == 4
    assert built["status"] == "started"
    assert built["phase"] == "attach"
    assert built["detached"] is False
    assert built["delete_data_in_file_system"] is False
    assert built["failure_details"] == {}
    assert built["verified"] is False
    assert built["failed_files"] == []
    assert built["producer"] == {"name": "daylily.ephemeral_cluster", "version": collection.VERSION}
    assert all(built[name] is None for name in ("cluster_name", "task_id", "fsx_file_count", "report_path"))
    assert list(receipt.V4_FIELDS) == EXPECTED_ORDER[:24]


def test_field_order_is_kept_whatever_the_argument_order():
    built = receipt.build_receipt(failure_details={"message": "x"}, task_id="task-0123456789abcdef0", status="error")
    assert list(built) == EXPECTED_ORDER
    updated = receipt.update_receipt(built, verified=False, cluster_name="c", phase="run")
    assert list(updated) == EXPECTED_ORDER


def test_producer_version_matches_galaxy_yml():
    with open(os.path.join(COLLECTION_ROOT, "galaxy.yml"), encoding="utf-8") as handle:
        galaxy = yaml.safe_load(handle)
    assert "%s.%s" % (galaxy["namespace"], galaxy["name"]) == collection.NAME
    assert galaxy["version"] == collection.VERSION


def test_receipt_paths_follow_dayec_section_8():
    derived = receipt.receipt_paths("johnm", "illumina_run_qc", "s3://out-bucket/derived/johnm/illumina_run_qc")
    assert derived == {
        "analysis_dir": "johnm/illumina_run_qc",
        "source_path": "/analysis_results/johnm/illumina_run_qc/",
        "headnode_path": "/fsx/analysis_results/johnm/illumina_run_qc/",
        "destination_s3_uri": "s3://out-bucket/derived/johnm/illumina_run_qc/",
        "fsx_root": "/fsx/analysis_results/johnm/illumina_run_qc/",
        "s3_root": "s3://out-bucket/derived/johnm/illumina_run_qc/",
        "dayoa_analysis_root": "/fsx/analysis_results/johnm/illumina_run_qc/daylily-omics-analysis/",
        "dayoa_s3_root": "s3://out-bucket/derived/johnm/illumina_run_qc/daylily-omics-analysis/",
        "file_system_path": "/analysis_results/johnm/illumina_run_qc/",
    }


def test_receipt_paths_with_sandbox_mount_point():
    derived = receipt.receipt_paths("e", "a", "s3://out-bucket/e/a/", mount_point="/tmp/sandbox/i-0abc/fsx/")
    assert derived["headnode_path"] == derived["fsx_root"] == "/tmp/sandbox/i-0abc/fsx/analysis_results/e/a/"
    assert derived["source_path"] == "/analysis_results/e/a/"


@pytest.mark.parametrize(
    "entity, analysis_id, destination",
    [
        ("johnm", "qc", "s3://out-bucket/derived/johnm/other/"),
        ("john/m", "qc", "s3://out-bucket/derived/john/m/qc/"),
        ("..", "qc", "s3://out-bucket/derived/../qc/"),
        ("johnm", "qc ", "s3://out-bucket/derived/johnm/qc /"),
        ("johnm", "qc", "S3://out-bucket/derived/johnm/qc/"),
    ],
)
def test_receipt_paths_refuse_invalid_inputs(entity, analysis_id, destination):
    with pytest.raises(paths.PathRuleError):
        receipt.receipt_paths(entity, analysis_id, destination)


def test_error_receipt_for_invalid_input_can_still_be_written():
    with pytest.raises(paths.PathRuleError) as info:
        receipt.receipt_paths("johnm", "qc", "s3://out-bucket/derived/")
    error = receipt.build_receipt(
        status="error",
        phase="validate",
        destination_s3_uri="s3://out-bucket/derived/",
        failure_details={"message": str(info.value)},
    )
    assert error["status"] == "error" and error["phase"] == "validate"
    assert (
        "does not end with 'johnm/qc/'"
        in receipt.load_receipt(receipt.dump_receipt(error))["failure_details"]["message"]
    )


@pytest.mark.parametrize(
    "name, value, fragment",
    [
        ("schema_version", 3, "schema_version"),
        ("schema_version", True, "schema_version"),
        ("status", "succeeded", "status"),
        ("status", None, "status"),
        ("phase", "export", "phase"),
        ("detached", "true", "detached"),
        ("detached", 1, "detached"),
        ("verified", None, "verified"),
        ("fsx_file_count", -1, "fsx_file_count"),
        ("s3_total_bytes", 1.5, "s3_total_bytes"),
        ("s3_object_count", True, "s3_object_count"),
        ("failure_details", None, "failure_details"),
        ("failure_details", "boom", "failure_details"),
        ("failed_files", ["a"], "failed_files"),
        ("task_id", 5, "task_id"),
        ("producer", "me", "producer"),
        ("statuss", "success", "unknown receipt field"),
        ("fsx_export", {}, "unknown receipt field"),
    ],
)
def test_build_receipt_refuses_invalid_fields(name, value, fragment):
    with pytest.raises(ReceiptError, match=fragment):
        receipt.build_receipt(**{name: value})
    with pytest.raises(ReceiptError, match=fragment):
        receipt.update_receipt(receipt.build_receipt(), **{name: value})


@pytest.mark.parametrize("value", [True, None, "false", 0])
def test_invariant_01_delete_data_in_file_system_is_always_false(value):
    with pytest.raises(ReceiptError, match="never deletes data"):
        receipt.build_receipt(delete_data_in_file_system=value)
    assert receipt.build_receipt(delete_data_in_file_system=False)["delete_data_in_file_system"] is False
    failures = receipt.verify_receipt(dict(success_receipt(), delete_data_in_file_system=value))
    assert [f["field"] for f in failures] == ["delete_data_in_file_system"]


def test_update_receipt_copies_and_accepts_wrapped_receipts():
    original = receipt.build_receipt()
    updated = receipt.update_receipt({"fsx_export": original}, status="error", phase="detach")
    assert original["status"] == "started"
    assert updated["status"] == "error" and updated["phase"] == "detach"
    assert receipt.wrap_receipt(updated) == {"fsx_export": updated}
    assert receipt.wrap_receipt({"fsx_export": updated}) == {"fsx_export": updated}
    with pytest.raises(ReceiptError):
        receipt.update_receipt(["not", "a", "mapping"], status="error")
    with pytest.raises(ReceiptError):
        receipt.update_receipt({"fsx_export": "text"}, status="error")


def test_dewey_fields_appear_only_when_set_between_v4_and_extensions():
    assert not set(receipt.DEWEY_FIELDS) & set(receipt.build_receipt())
    built = receipt.build_receipt(
        dewey_registration_status="registered",
        registration_only=False,
        dewey_selected_artifact_count=12,
        dewey_registration_receipt="s3://b-k/x.json",
    )
    keys = list(built)
    assert keys[:24] == EXPECTED_ORDER[:24]
    assert keys[24:28] == [
        "registration_only",
        "dewey_registration_status",
        "dewey_registration_receipt",
        "dewey_selected_artifact_count",
    ]
    assert keys[28:] == EXPECTED_ORDER[24:]


# --------------------------------------------------------------------------------------------------------------
# YAML writing and reading


def test_dump_receipt_layout():
    text = receipt.dump_receipt(success_receipt())
    lines = text.splitlines()
    assert lines[0] == "fsx_export:"
    assert lines[1] == "  schema_version: 4"
    assert lines[2] == '  status: "success"'
    assert "  delete_data_in_file_system: false" in lines
    assert "  failure_details: {}" in lines
    assert "  failed_files: []" in lines
    assert text.endswith("\n") and text.isascii()
    assert [
        line.split(":")[0].strip() for line in lines[1:] if line.startswith("  ") and not line.startswith("    ")
    ] == EXPECTED_ORDER


def test_dump_receipt_round_trips_through_pyyaml():
    built = success_receipt(
        failure_details={"message": "Task FAILED", "task_failure_details": {"Message": "S3 access denied"}},
        failed_files=[{"file_path": "dir1/myLargeFile", "file_status": "failed", "error_code": "FileSizeTooLarge"}],
    )
    text = receipt.dump_receipt(built)
    assert yaml.safe_load(text) == {"fsx_export": built}
    assert receipt.load_receipt(text) == built
    assert list(receipt.load_receipt(text)) == EXPECTED_ORDER


def test_dump_receipt_accepts_wrapped_and_keeps_foreign_fields_last():
    body = dict(success_receipt())
    body["written_by_dayec"] = "5.1.5"
    text = receipt.dump_receipt({"fsx_export": body})
    loaded = yaml.safe_load(text)["fsx_export"]
    assert loaded == body
    assert list(loaded)[-1] == "written_by_dayec"


@pytest.mark.parametrize("value", TRICKY_STRINGS)
def test_tricky_strings_round_trip(value):
    data = {"value": value, value or "empty": [value], "nested": {"list": [{"k": value}]}}
    text = receipt.dump_yaml(data)
    assert text.isascii()
    assert yaml.safe_load(text) == data


SCALARS = [
    None,
    True,
    False,
    0,
    -1,
    7,
    2**70,
    -(2**70),
    0.1,
    -2.5,
    1e100,
    1e-05,
    -1.5e-300,
    3.0,
    float("inf"),
    float("-inf"),
    "x",
]


@pytest.mark.parametrize("value", SCALARS)
def test_scalars_round_trip(value):
    data = {"v": value, "l": [value, [value]]}
    text = receipt.dump_yaml(data)
    assert yaml.safe_load(text) == data


def test_nan_round_trips():
    text = receipt.dump_yaml({"v": float("nan")})
    assert math.isnan(yaml.safe_load(text)["v"])
    assert math.isnan(receipt.parse_yaml(text)["v"])


NESTED = {
    "empty_map": {},
    "empty_list": [],
    "list_of_lists": [[1, 2], [], [[3]], [{"a": 1}]],
    "list_of_maps": [{"a": 1, "b": {"c": [1, {"d": None}]}}, {}, {"e": []}],
    "map": {"inner": {"deeper": {"deepest": "x"}}, "True": 1, "null": 2, "1": 3, "a b": 4, "k:v": 5, "-": 6, "": 7},
    "tuple": (1, 2),
}


def test_nested_structures_round_trip():
    expected = dict(NESTED, tuple=[1, 2])
    text = receipt.dump_yaml(NESTED)
    assert yaml.safe_load(text) == expected


def test_random_strings_round_trip():
    rng = random.Random(20240102)
    alphabet = [chr(c) for c in range(0, 0x80)] + [
        "\x85",
        "\xa0",
        "\xe9",
        "\u2024",
        "\u2028",
        "\ufeff",
        "\uffff",
        "\U0001f600",
        "\U0010ffff",
    ]
    data = {"s%d" % i: "".join(rng.choice(alphabet) for _char in range(rng.randint(0, 20))) for i in range(400)}
    data["list"] = list(data.values())[:50]
    text = receipt.dump_yaml(data)
    assert text.isascii()
    assert yaml.safe_load(text) == data


def test_top_level_scalars_and_lists():
    assert receipt.dump_yaml("x") == '"x"\n'
    assert receipt.dump_yaml([]) == "[]\n"
    assert yaml.safe_load(receipt.dump_yaml([1, "a", {"b": None}])) == [1, "a", {"b": None}]


def test_datetimes_are_written_as_iso_strings():
    import datetime

    when = datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    assert yaml.safe_load(receipt.dump_yaml({"t": when})) == {"t": "2024-01-02T03:04:05+00:00"}


@pytest.mark.parametrize("data", [{"k": object()}, {1: "int key"}, {"k": {b"bytes": 1}}, {"k": b"bytes"}])
def test_dump_refuses_unsupported_values(data):
    with pytest.raises(ReceiptError):
        receipt.dump_yaml(data)


def test_parse_with_pyyaml_reports_errors_as_receipt_errors():
    with pytest.raises(ReceiptError, match="cannot parse YAML"):
        receipt.parse_yaml("a: [1,\n")


@pytest.mark.parametrize("text", ["", "just text\n", "other: 1\n", "fsx_export: text\n", "- 1\n"])
def test_load_receipt_requires_the_fsx_export_mapping(text):
    with pytest.raises(ReceiptError):
        receipt.load_receipt(text)


def test_load_receipt_reads_what_dump_receipt_wrote():
    built = success_receipt(failed_files=[{"file_path": "-x", "file_status": "failed", "error_code": "S3AccessDenied"}])
    assert receipt.load_receipt(receipt.dump_receipt(built)) == built


# --------------------------------------------------------------------------------------------------------------
# failure report


def test_parse_failure_report_aws_example():
    text = (
        "myRestrictedFile,failed,S3AccessDenied\n"
        "dir1/myLargeFile,failed,FileSizeTooLarge\n"
        "dir2/anotherLargeFile,failed,FileSizeTooLarge\n"
    )
    assert receipt.parse_failure_report(text) == [
        {"file_path": "myRestrictedFile", "file_status": "failed", "error_code": "S3AccessDenied"},
        {"file_path": "dir1/myLargeFile", "file_status": "failed", "error_code": "FileSizeTooLarge"},
        {"file_path": "dir2/anotherLargeFile", "file_status": "failed", "error_code": "FileSizeTooLarge"},
    ]


@pytest.mark.parametrize(
    "line, path",
    [
        ('"""@filename.txt""",failed,X', "@filename.txt"),
        ('"""+filename.txt""",failed,X', "+filename.txt"),
        ("'-filename.txt',failed,X", "-filename.txt"),
        ("'=cmd',failed,X", "=cmd"),
        ('"file,name.txt",failed,X', "file,name.txt"),
        ('"file""name.txt",failed,X', 'file"name.txt'),
        ("'quoted'.txt,failed,X", "'quoted'.txt"),
        ("caf\u00e9/r\u00e9sum\u00e9.txt,failed,X", "caf\u00e9/r\u00e9sum\u00e9.txt"),
    ],
)
def test_parse_failure_report_rfc4180_quoting(line, path):
    assert receipt.parse_failure_report(line + "\n") == [
        {"file_path": path, "file_status": "failed", "error_code": "X"}
    ]


def test_parse_failure_report_tolerates_encoding_header_blank_lines_and_odd_rows():
    data = (
        "\ufeffFilePath,FileStatus,ErrorCode\r\n"
        "a,failed,S3AccessDenied\r\n"
        "\r\n"
        "b,failed\r\n"
        "c,failed,InternalError,unexpected,extra\r\n"
    ).encode("utf-8")
    assert receipt.parse_failure_report(data) == [
        {"file_path": "a", "file_status": "failed", "error_code": "S3AccessDenied"},
        {"file_path": "b", "file_status": "failed", "error_code": None},
        {"file_path": "c", "file_status": "failed", "error_code": "InternalError", "extra": ["unexpected", "extra"]},
    ]
    assert receipt.parse_failure_report("") == []
    assert receipt.parse_failure_report("\n\n") == []


# --------------------------------------------------------------------------------------------------------------
# verification


def test_successful_receipt_verifies():
    assert receipt.verify_receipt(success_receipt()) == []
    assert receipt.verify_receipt({"fsx_export": success_receipt()}) == []
    assert receipt.verify_receipt(success_receipt(detach_lifecycle="NOT_FOUND")) == []


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"status": "error"}, "status"),
        ({"status": "started"}, "status"),
        ({"task_lifecycle": "FAILED"}, "task_lifecycle"),
        ({"task_lifecycle": "CANCELED"}, "task_lifecycle"),
        ({"task_lifecycle": None}, "task_lifecycle"),
        ({"detached": False}, "detached"),
        ({"detach_lifecycle": "DELETING"}, "detach_lifecycle"),
        ({"detach_lifecycle": None}, "detach_lifecycle"),
    ],
)
def test_invariant_13_receipt_success_requires_succeeded_and_detached(overrides, field):
    failures = receipt.verify_receipt(success_receipt(**overrides))
    assert [f["field"] for f in failures] == [field]
    failure = failures[0]
    assert failure["message"].startswith(field + ": expected ")
    assert failure["actual"] == overrides[field]
    updated, failures = receipt.apply_verification(success_receipt(**overrides))
    assert updated["verified"] is False and failures


def test_verify_receipt_checks_raw_documents_too():
    raw = yaml.safe_load(receipt.dump_receipt(success_receipt()))
    raw["fsx_export"]["detached"] = "true"  # a string is not true
    raw["fsx_export"]["schema_version"] = 3
    raw["fsx_export"].pop("delete_data_in_file_system")
    fields = [f["field"] for f in receipt.verify_receipt(raw)]
    assert fields == ["schema_version", "detached", "delete_data_in_file_system"]
    assert receipt.verify_receipt("text")[0]["field"] == "fsx_export"


def test_verify_ignores_the_receipts_own_verified_flag():
    lying = success_receipt(status="error", verified=True)
    assert [f["field"] for f in receipt.verify_receipt(lying)] == ["status"]


def test_failed_file_rows_fail_verification():
    rows = receipt.parse_failure_report("dir1/myLargeFile,failed,FileSizeTooLarge\n")
    failures = receipt.verify_receipt(success_receipt(), report_rows=rows)
    assert [f["field"] for f in failures] == ["failed_files"]
    assert "dir1/myLargeFile" in failures[0]["message"] and "FileSizeTooLarge" in failures[0]["message"]
    recorded = success_receipt(failed_files=rows)
    assert [f["field"] for f in receipt.verify_receipt(recorded)] == ["failed_files"]
    # explicit empty report rows (the CSV is absent or empty) win over nothing recorded
    assert receipt.verify_receipt(success_receipt(), report_rows=[]) == []


def test_counts_from_the_receipt_must_match():
    failures = receipt.verify_receipt(success_receipt(s3_object_count=2, s3_total_bytes=500))
    assert [f["field"] for f in failures] == ["s3_object_count", "s3_total_bytes"]
    assert failures[0]["message"] == "s3_object_count: expected 3 (fsx_file_count), got 2"
    assert failures[1]["expected"] == 600 and failures[1]["actual"] == 500


def test_missing_counts_fail_verification():
    failures = receipt.verify_receipt(
        success_receipt(s3_object_count=None, s3_total_bytes=None, fsx_file_count=None, fsx_total_bytes=None)
    )
    assert [f["field"] for f in failures] == ["s3_object_count", "s3_total_bytes", "fsx_file_count", "fsx_total_bytes"]
    assert "from the S3 inventory" in failures[0]["message"]


def test_inventories_override_and_cross_check_the_receipt():
    built = success_receipt(s3_object_count=None, s3_total_bytes=None, fsx_file_count=None, fsx_total_bytes=None)
    objects = s3_objects([100, 200, 300]) + [
        {"Key": "derived/johnm/illumina_run_qc/results/", "Size": 0},  # directory marker
        {
            "Key": "derived/johnm/illumina_run_qc/_daylily_monitor/fsx-export/20240102T030405Z/fsx_export.yaml",
            "Size": 900,
        },
    ]
    fsx_files = [
        {"path": "/analysis_results/johnm/illumina_run_qc/f%d" % i, "size": s} for i, s in enumerate([300, 200, 100])
    ]
    assert receipt.verify_receipt(built, s3_inventory=objects, fsx_inventory=fsx_files) == []
    assert (
        receipt.verify_receipt(built, s3_inventory={"count": 3, "total_bytes": 600}, fsx_inventory=[100, 200, 300])
        == []
    )
    # one object short
    failures = receipt.verify_receipt(built, s3_inventory=objects[1:], fsx_inventory=fsx_files)
    assert [f["field"] for f in failures] == ["s3_object_count", "s3_total_bytes"]
    # the receipt's recorded counts disagree with what S3 holds now
    failures = receipt.verify_receipt(
        success_receipt(), s3_inventory=s3_objects([100, 200, 301]), fsx_inventory=fsx_files
    )
    assert [f["field"] for f in failures] == ["s3_total_bytes", "s3_total_bytes"]
    assert "the receipt records 600 but the S3 inventory has 601" in failures[0]["message"]


@pytest.mark.parametrize("inventory", [[{"Key": "x"}], [True], ["12"], {"count": 1}, {"count": "1", "total_bytes": 2}])
def test_bad_inventories_are_refused(inventory):
    with pytest.raises(ReceiptError):
        receipt.verify_receipt(success_receipt(), s3_inventory=inventory)


def test_summarize_inventory():
    assert receipt.summarize_inventory([]) == (0, 0)
    assert receipt.summarize_inventory({"object_count": 2, "bytes": 10}) == (2, 10)
    assert receipt.summarize_inventory({"file_count": 2, "total_bytes": 10}) == (2, 10)
    assert receipt.summarize_inventory([{"size_bytes": 4}, 6, {"Size": 0}]) == (3, 10)
    objects = [{"Key": "a/", "Size": 0}, {"Key": "a/_daylily_monitor/r.yaml", "Size": 5}, {"Key": "a/b", "Size": 1}]
    assert receipt.summarize_inventory(objects, s3=True) == (1, 1)
    assert receipt.summarize_inventory(objects) == (3, 6)


def test_apply_verification_records_counts_rows_and_verified():
    built = success_receipt(s3_object_count=None, s3_total_bytes=None, fsx_file_count=None, fsx_total_bytes=None)
    updated, failures = receipt.apply_verification(
        built, s3_inventory=s3_objects([1, 2]), fsx_inventory=[2, 1], report_rows=[]
    )
    assert failures == []
    assert updated["verified"] is True
    assert (
        updated["s3_object_count"],
        updated["s3_total_bytes"],
        updated["fsx_file_count"],
        updated["fsx_total_bytes"],
    ) == (2, 3, 2, 3)
    assert updated["failed_files"] == []
    assert list(updated) == EXPECTED_ORDER
    assert built["verified"] is False  # the input is not modified

    rows = [{"file_path": "x", "file_status": "failed", "error_code": "S3AccessDenied"}]
    updated, failures = receipt.apply_verification(
        built, s3_inventory=s3_objects([1]), fsx_inventory=[2, 1], report_rows=rows
    )
    assert updated["verified"] is False
    assert updated["failed_files"] == rows
    assert {f["field"] for f in failures} == {"failed_files", "s3_object_count", "s3_total_bytes"}
    assert receipt.load_receipt(receipt.dump_receipt(updated)) == updated


# --------------------------------------------------------------------------------------------------------------
# the outcome of an export run, from the registered module results


def test_outcome_fields_of_a_successful_run():
    task = {
        "task_id": "task-0123456789abcdef0",
        "lifecycle": "SUCCEEDED",
        "report": {"path": "s3://b/e/a/_daylily_monitor/r/"},
    }
    fields = receipt.outcome_fields(
        "/analysis_results/e/a/",
        "s3://b/e/a/_daylily_monitor/planned/",
        "run",
        association={"file_system_id": "fs-1", "association": {"association_id": "dra-1", "lifecycle": "AVAILABLE"}},
        task={"task_id": task["task_id"], "task": task},
        progress={"tasks": [task]},
        detach={"detach_lifecycle": "DELETED"},
    )
    assert fields == {
        "status": "success",
        "phase": "complete",
        "fsx_file_system_id": "fs-1",
        "file_system_path": "/analysis_results/e/a/",
        "association_id": "dra-1",
        "lifecycle": "AVAILABLE",
        "task_id": task["task_id"],
        "task_lifecycle": "SUCCEEDED",
        "report_path": "s3://b/e/a/_daylily_monitor/r/",
        "detach_lifecycle": "DELETED",
        "detached": True,
        "delete_data_in_file_system": False,
        "failure_details": {},
    }
    receipt.build_receipt(**fields)  # every field is valid


def test_outcome_fields_of_a_run_that_failed_before_its_task():
    failed = {"failed": True, "msg": "the association ended MISCONFIGURED"}
    fields = receipt.outcome_fields(
        "/analysis_results/e/a/",
        "s3://b/e/a/_daylily_monitor/p/",
        "attach",
        failed_result=failed,
        association={"failed": True, "msg": failed["msg"]},
        task={"skipped": True},
        detach={"detach_lifecycle": "DELETED"},
        file_system_id="fs-2",
    )
    assert (fields["status"], fields["phase"], fields["fsx_file_system_id"]) == ("error", "attach", "fs-2")
    assert fields["failure_details"] == {"message": failed["msg"], "task_failure_details": {}}
    assert (fields["task_id"], fields["report_path"], fields["detached"]) == (
        None,
        "s3://b/e/a/_daylily_monitor/p/",
        True,
    )


def test_outcome_fields_without_any_result_name_the_phase():
    fields = receipt.outcome_fields(None, None, "validate", failed_result={"failed": True})
    assert fields["failure_details"]["message"] == "the validate phase failed"
    assert fields["status"] == "error" and fields["detached"] is False
