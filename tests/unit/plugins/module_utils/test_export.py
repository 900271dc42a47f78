"""Unit tests for plugins/module_utils/export.py: the paths, manifest, receipt layout and decisions of an export
(dayec_domain.md §8, §12)."""

from __future__ import annotations

import datetime
import re

import pytest

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import export
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import paths
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.export import ExportRuleError
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.paths import PathRuleError
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.paths import SegmentError
from testlib.path_cases import ADVERSARIAL_TEXT

# --------------------------------------------------------------------------------------------------------------
# paths


def test_invariant_07_outputs_only_under_analysis_results():
    assert export.analysis_root("johnm", "illumina_run_qc") == "/analysis_results/johnm/illumina_run_qc/"
    assert (
        paths.api_to_headnode_path(export.analysis_root("johnm", "illumina_run_qc"))
        == "/fsx/analysis_results/johnm/illumina_run_qc/"
    )
    # both segments are validated: nothing can climb out of or nest inside /analysis_results/<e>/<a>/
    for bad in ADVERSARIAL_TEXT + ["a/b", "-x", "a..b"]:
        with pytest.raises(SegmentError):
            export.analysis_root(bad, "ok")
        with pytest.raises(SegmentError):
            export.analysis_root("ok", bad)


@pytest.mark.parametrize(
    "source",
    [
        "/analysis_results/johnm/illumina_run_qc/",
        "/analysis_results/johnm/illumina_run_qc",
        "/fsx/analysis_results/johnm/illumina_run_qc/",
        "/fsx/analysis_results/johnm/illumina_run_qc",
    ],
)
def test_validate_export_source_accepts_one_analysis_root(source):
    assert export.validate_export_source(source) == (
        "/analysis_results/johnm/illumina_run_qc/",
        "johnm",
        "illumina_run_qc",
    )
    assert (
        export.validate_export_source(source, executing_entity="johnm", analysis_id="illumina_run_qc").path
        == "/analysis_results/johnm/illumina_run_qc/"
    )


def test_validate_export_source_with_sandbox_mount_point():
    source = export.validate_export_source("/tmp/hn/fsx/analysis_results/e/a/", mount_point="/tmp/hn/fsx")
    assert source.path == "/analysis_results/e/a/"


@pytest.mark.parametrize(
    "source, fragment",
    [
        ("/run_dir_mounts/run1/", "run mount root"),
        ("/fsx/run_dir_mounts/run1/", "run mount root"),
        ("/references/", "reference role root"),
        ("/control_data/", "control-data role root"),
        ("/staging/x/", "staging role root"),
        ("/data/", "retired root"),
        ("/exports/e/a/", "retired export root"),
        ("/fsx/data/e/a/", "retired root"),
        ("/", "file system root"),
        ("/fsx", "file system root"),
        ("/home/ubuntu/x/", "not under /analysis_results/"),
        ("/analysis_results/", "analysis results root itself"),
        ("/analysis_results/johnm/", "only the executing entity"),
        ("/analysis_results/johnm/qc/sub/", "nested inside the analysis root /analysis_results/johnm/qc/"),
        ("/analysis_results/johnm/qc/daylily-omics-analysis/", "nested"),
        ("/analysis_results//johnm/qc/", "'//'"),
        ("/analysis_results/johnm/../qc/", "'..'"),
        ("/analysis_results/johnm/qc/..", "'..'"),
        ("/analysis_results/johnm/%2e%2e/", "'%'"),
        ("/analysis_results/johnm/q c/", "printable ASCII"),
        ("/analysis_results/johnm/qc/ ", "whitespace"),
        ("analysis_results/johnm/qc/", "not absolute"),
        ("/analysis_results/-johnm/qc/", "executing_entity"),
        ("/analysis_results/johnm/_qc/", "analysis_id"),
        ("/analysis_results/johnm/q\u2024\u2024c/", "U+2024"),
        ("/fsx/fsx/analysis_results/johnm/qc/", "starts with the headnode mount point"),
        ("", "is empty"),
    ],
)
def test_invariant_08_export_source_is_exactly_one_analysis_root(source, fragment):
    with pytest.raises(PathRuleError) as info:
        export.validate_export_source(source)
    assert fragment in str(info.value)
    assert "expected" in str(info.value)


def test_invariant_08_export_source_must_name_the_expected_analysis():
    with pytest.raises(ExportRuleError, match="executing_entity"):
        export.validate_export_source("/analysis_results/other/qc/", executing_entity="johnm", analysis_id="qc")
    with pytest.raises(ExportRuleError, match="analysis_id"):
        export.validate_export_source("/analysis_results/johnm/other/", executing_entity="johnm", analysis_id="qc")


@pytest.mark.parametrize(
    "destination, expected",
    [
        ("s3://out-bucket/derived/johnm/illumina_run_qc/", "s3://out-bucket/derived/johnm/illumina_run_qc/"),
        ("s3://out-bucket/derived/johnm/illumina_run_qc", "s3://out-bucket/derived/johnm/illumina_run_qc/"),
        ("s3://out-bucket/johnm/illumina_run_qc/", "s3://out-bucket/johnm/illumina_run_qc/"),
    ],
)
def test_validate_export_destination_accepts(destination, expected):
    assert export.validate_export_destination(destination, "johnm", "illumina_run_qc") == expected


@pytest.mark.parametrize(
    "destination, fragment",
    [
        ("s3://out-bucket/derived/", "does not end with 'johnm/illumina_run_qc/'"),
        ("s3://out-bucket/derived/johnm/", "does not end with"),
        ("s3://out-bucket/derived/illumina_run_qc/", "does not end with"),
        ("s3://out-bucket/derived/illumina_run_qc/johnm/", "does not end with"),
        ("s3://out-bucket/derived/xjohnm/illumina_run_qc/", "does not end with"),  # segment boundary
        ("s3://out-bucket/derived/johnm/illumina_run_qc/results/", "does not end with"),
        ("s3://out-bucket/", "does not end with"),
        ("s3://out-bucket/derived/_daylily_monitor/johnm/illumina_run_qc/", "_daylily_monitor"),
        ("s3://out-bucket/derived/johnm/illumina_run_qc/../illumina_run_qc/", "'..'"),
        ("s3://out-bucket/derived/johnm/illumina_run_qc/?x=1", "query"),
        ("S3://out-bucket/derived/johnm/illumina_run_qc/", "uppercase scheme"),
        ("s3:/out-bucket/derived/johnm/illumina_run_qc/", "does not start with 's3://'"),
        ("s3://Out-Bucket/derived/johnm/illumina_run_qc/", "uppercase"),
        ("s3://out-bucket/derived/johnm/illumina_run_qc/ ", "whitespace"),
        ("/fsx/analysis_results/johnm/illumina_run_qc/", "does not start with 's3://'"),
    ],
)
def test_invariant_09_destination_ends_with_entity_and_analysis_id(destination, fragment):
    with pytest.raises(PathRuleError) as info:
        export.validate_export_destination(destination, "johnm", "illumina_run_qc")
    assert fragment in str(info.value)


def test_invariant_09_destination_segments_are_validated():
    with pytest.raises(SegmentError):
        export.validate_export_destination("s3://out-bucket/../x/", "..", "x")
    with pytest.raises(SegmentError):
        export.validate_export_destination("s3://out-bucket/a/b/", "a/b", "")


def test_invariant_11_report_path_inside_destination_under_daylily_monitor():
    destination = "s3://out-bucket/derived/johnm/illumina_run_qc/"
    when = datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    report = export.export_report_path(destination, when)
    assert report == destination + "_daylily_monitor/fsx-export/20240102T030405Z/export-report/"
    assert paths.is_under(report, destination)
    receipt = export.export_receipt_uri(destination, "20240102T030405Z")
    assert receipt == destination + "_daylily_monitor/fsx-export/20240102T030405Z/fsx_export.yaml"
    assert paths.is_under(receipt, destination)
    assert (
        export.export_monitor_prefix(destination.rstrip("/"), when)
        == destination + "_daylily_monitor/fsx-export/20240102T030405Z/"
    )
    csv_uri = export.failure_report_uri(report, "task-0123456789abcdef0")
    assert csv_uri == report + "task-0123456789abcdef0/failures.csv"
    assert export.failure_report_uri(report, "0123456789abcdef0") == csv_uri
    assert "//" not in csv_uri[len("s3://") :]


def test_export_timestamp_is_utc():
    tz = datetime.timezone(datetime.timedelta(hours=-7))
    assert export.export_timestamp(datetime.datetime(2024, 1, 1, 20, 0, 0, tzinfo=tz)) == "20240102T030000Z"
    assert re.fullmatch(r"\d{8}T\d{6}Z", export.export_timestamp())


@pytest.mark.parametrize(
    "timestamp",
    [
        "2024-01-02T03:04:05Z",
        "20240102T030405",
        "20241302T030405Z",
        "20240102T250405Z",
        "",
        None,
        20240102,
        "20240102T030405Z ",
        datetime.datetime(2024, 1, 2),
    ],
)
def test_export_paths_refuse_bad_timestamps(timestamp):
    with pytest.raises(ExportRuleError):
        export.export_report_path("s3://out-bucket/e/a/", timestamp)


def test_failure_report_uri_refuses_bad_task_ids():
    for task_id in ("task-XYZ", "", None, "../x", "task-0123"):
        with pytest.raises(ExportRuleError):
            export.failure_report_uri("s3://out-bucket/e/a/_daylily_monitor/", task_id)


def test_manifest_uri_sits_beside_the_receipt():
    destination = "s3://out-bucket/derived/johnm/illumina_run_qc/"
    assert (
        export.export_manifest_uri(destination, "20240102T030405Z")
        == destination + "_daylily_monitor/fsx-export/20240102T030405Z/fsx_export_manifest.jsonl"
    )


# --------------------------------------------------------------------------------------------------------------
# local layout


def test_defect_07_output_dir_is_built_only_from_validated_segments():
    assert export.output_dir_for("/home/op/exports", "johnm", "qc") == "/home/op/exports/johnm/qc"
    for entity, analysis in (("../../pwned", "qc"), ("johnm", ".."), ("a/b", "qc"), ("", "qc")):
        with pytest.raises(SegmentError):
            export.output_dir_for("/home/op/exports", entity, analysis)


def test_attempt_dir_needs_a_timestamp():
    assert export.attempt_dir("/out", "20240102T030405Z") == "/out/attempts/20240102T030405Z"
    with pytest.raises(ExportRuleError):
        export.attempt_dir("/out", "../x")


# --------------------------------------------------------------------------------------------------------------
# the manifest

FILES = [
    {"path": "results/b.txt", "size": 3, "type": "file", "sha256": "b" * 64},
    {"path": "a.txt", "size": 1, "type": "file"},
    {"path": "link", "size": 5, "type": "symlink", "target": "a.txt"},
    {"path": "dir", "size": 0, "type": "directory"},
]


def test_manifest_lists_regular_files_sorted_with_their_checksums():
    entries = export.manifest_entries(FILES)
    assert entries == [{"path": "a.txt", "size": 1}, {"path": "results/b.txt", "size": 3, "sha256": "b" * 64}]
    text = export.dump_manifest(entries)
    assert text == '{"path":"a.txt","size":1}\n{"path":"results/b.txt","size":3,"sha256":"%s"}\n' % ("b" * 64)
    assert export.load_manifest(text) == {entry["path"]: entry for entry in entries}
    assert export.manifest_sha256(text) == export.manifest_sha256(
        export.dump_manifest(export.manifest_entries(FILES[::-1]))
    )


@pytest.mark.parametrize("text", ['{"path": 1, "size": 2}\n', '{"path": "a"}\n', "[1]\n", "not json\n"])
def test_load_manifest_refuses_what_is_not_an_entry(text):
    with pytest.raises(ValueError):
        export.load_manifest(text)


def test_defect_03_a_renamed_object_fails_the_key_by_key_comparison():
    manifest = export.load_manifest(export.dump_manifest(export.manifest_entries(FILES)))
    assert export.compare_with_s3(manifest, {"a.txt": 1, "results/b.txt": 3}) == []
    failures = export.compare_with_s3(manifest, {"a2.txt": 1, "results/b.txt": 4})
    messages = " ".join(failure["message"] for failure in failures)
    assert "not in S3: a.txt" in messages and "not in the manifest: a2.txt" in messages
    assert "results/b.txt (manifest 3, S3 4 bytes)" in messages


def test_defect_04_drift_names_added_changed_and_removed_files():
    manifest = export.load_manifest(export.dump_manifest(export.manifest_entries(FILES)))
    now = [{"path": "results/b.txt", "size": 3, "sha256": "c" * 64}, {"path": "new.txt", "size": 9}]
    drift = export.fsx_drift(manifest, now)
    assert drift == {"added": ["new.txt"], "changed": ["results/b.txt"], "removed": ["a.txt"]}
    assert export.describe_drift(drift) == "1 added (new.txt), 1 changed (results/b.txt), 1 removed (a.txt)"
    assert export.fsx_drift(manifest, [{"path": "a.txt", "size": 1}, {"path": "results/b.txt", "size": 3}]) == {
        "added": [],
        "changed": [],
        "removed": [],
    }


# --------------------------------------------------------------------------------------------------------------
# what a run does

DESTINATION = "s3://out-bucket/derived/johnm/qc/"
SOURCE = "/analysis_results/johnm/qc/"
FSX = [{"path": "a.txt", "size": 1}, {"path": "b.txt", "size": 2}]


def attempt(timestamp, status="success", verified=True, manifest=None, source=SOURCE, destination=DESTINATION):
    receipt = {"status": status, "verified": verified, "source_path": source, "destination_s3_uri": destination}
    return export.Attempt(timestamp, receipt, {e["path"]: e for e in FSX} if manifest is None else manifest)


def decide(listing, attempts, fsx=None, resuming=False, update_existing=False, s3_failures=()):
    return export.decide(
        DESTINATION,
        SOURCE,
        listing,
        attempts,
        FSX if fsx is None else fsx,
        resuming,
        update_existing,
        lambda _attempt: list(s3_failures),
    )


def test_invariant_09_an_empty_destination_is_exported():
    assert decide({}, []).action == "export"


def test_invariant_09_a_destination_holding_a_foreign_object_is_refused():
    decision = decide({"old.txt": 3}, [])
    assert decision.action == "refuse"
    assert "is not empty (it holds old.txt)" in decision.message and "nothing was written to S3" in decision.message


def test_defect_01_a_failed_attempt_is_retried_but_not_beside_a_foreign_object():
    failed = attempt("20240101T000000Z", status="error", verified=False)
    listing = {
        "a.txt": 1,
        "_daylily_monitor/fsx-export/20240101T000000Z/fsx_export.yaml": 10,
        "_daylily_monitor/fsx-export/20240101T000000Z/export-report/task-1/failures.csv": 10,
    }
    assert decide(listing, [failed]).action == "export"
    refused = decide(dict(listing, **{"c.txt": 1}), [failed])
    assert refused.action == "refuse" and "c.txt, which no earlier attempt of this export wrote" in refused.message
    stray = decide(dict(listing, **{"_daylily_monitor/fsx-export/20230101T000000Z/x": 1}), [failed])
    assert stray.action == "refuse"


def test_defect_01_a_receipt_of_another_export_is_refused():
    other = attempt("20240101T000000Z", source="/analysis_results/johnm/other/")
    decision = decide({"_daylily_monitor/fsx-export/20240101T000000Z/fsx_export.yaml": 10}, [other])
    assert decision.action == "refuse" and "/analysis_results/johnm/other/" in decision.message


def test_an_interrupted_export_is_resumed_whatever_it_wrote():
    assert decide({"a.txt": 1, "partial": 1}, [], resuming=True).action == "export"


def test_a_verified_export_matching_s3_and_fsx_has_nothing_to_do():
    decision = decide({"a.txt": 1, "b.txt": 2}, [attempt("20240101T000000Z")])
    assert decision.action == "none" and "nothing to do" in decision.message


def test_defect_03_a_verified_export_that_no_longer_matches_s3_is_refused():
    failure = {"field": "manifest", "message": "manifest: 1 exported file(s) are not in S3: a.txt"}
    decision = decide({"b.txt": 2, "renamed": 1}, [attempt("20240101T000000Z")], s3_failures=[failure])
    assert decision.action == "refuse" and "no longer matches S3" in decision.message and "a.txt" in decision.message


def test_defect_04_drift_is_reported_and_exported_only_with_update_existing():
    verified = attempt("20240101T000000Z")
    fsx = FSX + [{"path": "late.txt", "size": 4}]
    refused = decide({"a.txt": 1, "b.txt": 2}, [verified], fsx=fsx)
    assert refused.action == "refuse" and "1 added (late.txt)" in refused.message
    assert "export_update_existing" in refused.message and refused.drift["added"] == ["late.txt"]
    update = decide({"a.txt": 1, "b.txt": 2}, [verified], fsx=fsx, update_existing=True)
    assert update.action == "export" and update.attempt is verified


def test_defect_04_removed_files_are_refused_even_with_update_existing():
    decision = decide({"a.txt": 1, "b.txt": 2}, [attempt("20240101T000000Z")], fsx=FSX[:1], update_existing=True)
    assert decision.action == "refuse" and "nothing deletes S3" in decision.message


def test_defect_04_a_failed_update_is_retried():
    verified = attempt("20240101T000000Z")
    fsx = FSX + [{"path": "late.txt", "size": 4}]
    failed_update = attempt("20240102T000000Z", status="error", verified=False, manifest={e["path"]: e for e in fsx})
    listing = {"a.txt": 1, "b.txt": 2, "late.txt": 4}
    decision = decide(listing, [verified, failed_update], fsx=fsx, update_existing=True)
    assert decision.action == "export" and decision.attempt is verified
