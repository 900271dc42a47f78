"""Unit tests for plugins/module_utils/run_report.py: input checks, the decisions (durations, timeline, totals,
outcome, the S3 key) and the page (escaped, self-contained, the same bytes for the same inputs)."""

import datetime
import html
import re

import pytest

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import run_report
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.run_report import RunReportError
from testlib import run_report as inputs

UTC = datetime.UTC


def build(tmp_path, **overrides):
    args = inputs.module_args(tmp_path, **overrides)
    return run_report.report_from_options(args), args


def render(tmp_path, **overrides):
    model, args = build(tmp_path, **overrides)
    return run_report.render_html(model, args["output_dir"])


@pytest.mark.parametrize(
    "value",
    [
        "2026-12-06T12:00:05Z",
        "2026-12-06T12:00:05+00:00",
        "2026-12-06T14:00:05+02:00",
        "2026-12-06 07:00:05-0500",
        "20261206T120005Z",
        1796558405,
        "1796558405",
    ],
)
def test_times_in_every_accepted_form_are_read_as_utc(value):
    assert run_report.parse_time(value, "t") == datetime.datetime(2026, 12, 6, 12, 0, 5, tzinfo=UTC)


def test_fractional_seconds_of_any_precision_are_read():
    moment = run_report.parse_time("2026-12-06T12:00:05.123456789Z", "t")
    assert moment.microsecond == 123456


@pytest.mark.parametrize(
    "value, fragment",
    [
        ("2026-12-06T12:00:05", "has no time zone"),
        ("2026-13-06T12:00:05Z", "is not a valid time"),
        ("yesterday", "is not a time"),
        (True, "is True"),
        (None, "is a NoneType"),
    ],
)
def test_times_without_zone_or_meaning_are_refused_naming_the_field(value, fragment):
    with pytest.raises(RunReportError, match=re.escape(fragment)) as raised:
        run_report.parse_time(value, "phases[1].started_at (create)")
    assert str(raised.value).startswith("phases[1].started_at (create)")
    assert "now(utc=true).isoformat()" in str(raised.value)


def test_phases_get_durations_and_timeline_bars(tmp_path):
    model, _args = build(tmp_path)
    phases = {phase["name"]: phase for phase in model["phases"]}
    assert phases["preflight"]["duration_seconds"] == 41
    assert phases["stage_samples"]["duration_seconds"] == 88.25
    assert phases["delete"]["started_at"] is None and phases["delete"]["duration_seconds"] is None
    span = model["timeline"]
    assert span["duration_seconds"] == 35 * 60 + 44
    bars = dict(zip(phases, span["bars"], strict=True))
    assert bars["preflight"]["left"] == 0
    assert bars["register"]["left"] + bars["register"]["width"] == pytest.approx(100, abs=0.5)
    assert bars["delete"] is None
    assert all(0 <= geometry["left"] <= 100 for geometry in span["bars"] if geometry)


def test_a_running_phase_reaches_the_end_of_what_is_known_and_the_run_is_in_progress():
    phases = run_report.normalize_phases(
        [
            {"name": "create", "started_at": "2026-12-06T12:00:00Z", "ended_at": "2026-12-06T12:10:00Z"},
            {"name": "wait", "started_at": "2026-12-06T12:05:00Z", "status": "running"},
        ]
    )
    span = run_report.timeline(phases)
    assert span["bars"][1] == {"left": 50.0, "width": 50.0}
    assert run_report.outcome_of(phases, []) == "in progress"


@pytest.mark.parametrize(
    "phases, fragment",
    [
        (
            [{"name": "x", "started_at": "2026-12-06T12:10:00Z", "ended_at": "2026-12-06T12:00:00Z"}],
            "phases[0].ended_at (x) 2026-12-06T12:00:00Z is before started_at 2026-12-06T12:10:00Z",
        ),
        ([{"name": "x", "started_at": "2026-12-06T12:00:00Z"}], "phases[0].ended_at (x) is missing"),
        ([{"name": "x", "ended_at": "2026-12-06T12:00:00Z"}], "phases[0].started_at (x) is missing"),
        ([{"name": "x", "status": "done"}], "phases[0].status is 'done'; expected one of ok, failed, skipped, running"),
        ([{"name": "x", "status": "skipped", "changed": "yes"}], "phases[0].changed is 'yes'"),
        ([{"name": "x", "status": "skipped", "start": 1}], "phases[0] has unknown keys start"),
        ([{"status": "skipped"}], "phases[0].name is None"),
        (
            [
                {
                    "name": "x",
                    "started_at": "2026-12-06T12:00:00Z",
                    "ended_at": "2026-12-06T12:00:01Z",
                    "status": "running",
                }
            ],
            "phases[0].ended_at (x) is set; expected no end time while status is running",
        ),
        ("preflight", "phases is a str"),
    ],
)
def test_bad_phases_are_refused_precisely(phases, fragment):
    with pytest.raises(RunReportError, match=re.escape(fragment)):
        run_report.normalize_phases(phases)


def test_associations_come_from_fsx_dra_results_or_plain_associations():
    result = run_report.normalize_associations(
        {
            "attached": [
                inputs.fsx_dra_result("dra-1", "/staging/s/", "s3://b/s/", "staging"),
                {
                    "association_id": "dra-2",
                    "file_system_path": "/run_dir_mounts/r/",
                    "data_repository_path": "s3://b/r/",
                },
                {"skipped": True},
                {"changed": False, "association": {}},  # check mode before a creation
            ],
            "detached": [
                dict(inputs.fsx_dra_result("dra-1", "/staging/s/", "s3://b/s/", "staging"), detach_lifecycle="DELETED")
            ],
        }
    )
    assert [item["association_id"] for item in result["attached"]] == ["dra-1", "dra-2"]
    assert result["attached"][0]["purpose"] == "staging"
    assert [(item["association_id"], item["lifecycle"]) for item in result["detached"]] == [("dra-1", "DELETED")]


@pytest.mark.parametrize(
    "associations, fragment",
    [
        ({"created": []}, "associations has unknown keys created"),
        ({"attached": [{"lifecycle": "AVAILABLE"}]}, "associations.attached[0] has neither association_id"),
        ({"detached": ["dra-1"]}, "associations.detached[0] is a str"),
        ({"attached": [{"association_id": 7}]}, "associations.attached[0].association_id is 7"),
    ],
)
def test_bad_associations_are_refused_precisely(associations, fragment):
    with pytest.raises(RunReportError, match=re.escape(fragment)):
        run_report.normalize_associations(associations)


def test_registrations_from_dewey_register_results_and_euid_strings():
    result = run_report.normalize_registrations([inputs.REGISTRATION, "Z-DGX-000009", {"skipped": True}])
    assert [item["euids"] for item in result] == [inputs.EUIDS, ["Z-DGX-000009"]]
    assert result[0]["export_receipt_uri"] == inputs.RECEIPT_S3_URI


@pytest.mark.parametrize(
    "registrations, fragment",
    [
        ([{"artifact_set_euids": [3]}], "registrations[0].artifact_set_euids[0] is 3"),
        ([7], "registrations[0] is a int"),
        ([""], "registrations[0] is ''"),
    ],
)
def test_bad_registrations_are_refused_precisely(registrations, fragment):
    with pytest.raises(RunReportError, match=re.escape(fragment)):
        run_report.normalize_registrations(registrations)


def test_receipts_are_read_for_counts_bytes_and_verification(tmp_path):
    (summary,) = run_report.read_receipts([str(inputs.write_receipt(tmp_path))])
    assert summary["s3_object_count"] == inputs.OBJECT_COUNT
    assert summary["s3_total_bytes"] == inputs.TOTAL_BYTES
    assert summary["verified"] is True
    assert summary["receipt_s3_uri"] == inputs.RECEIPT_S3_URI


def test_unreadable_receipts_are_refused_naming_the_path(tmp_path):
    with pytest.raises(RunReportError, match=r"receipts\[0\] '.*missing.yaml' is not a file"):
        run_report.read_receipts([str(tmp_path / "missing.yaml")])
    other = tmp_path / "other.yaml"
    other.write_text("something: else\n", encoding="utf-8")
    with pytest.raises(RunReportError, match=r"receipts\[0\] .* cannot be read as an export receipt: .*fsx_export"):
        run_report.read_receipts([str(other)])


def test_totals_add_every_receipt_and_an_unknown_count_stays_unknown(tmp_path):
    first = run_report.read_receipts([str(inputs.write_receipt(tmp_path / "a"))])
    second = run_report.read_receipts([str(inputs.write_receipt(tmp_path / "b", s3_object_count=None, verified=False))])
    assert run_report.export_totals(first + first)["s3_object_count"] == 2 * inputs.OBJECT_COUNT
    totals = run_report.export_totals(first + second)
    assert totals["s3_object_count"] is None
    assert totals["s3_total_bytes"] == 2 * inputs.TOTAL_BYTES
    assert totals["verified"] is False
    assert run_report.export_totals([])["verified"] is None


def test_an_export_that_ended_in_error_fails_the_run(tmp_path):
    model, _args = build(tmp_path, receipts=[str(inputs.write_receipt(tmp_path / "e", status="error", phase="run"))])
    assert model["outcome"] == "failed"


def test_a_failed_phase_fails_the_run():
    phases = run_report.normalize_phases([{"name": "export", "started_at": 0, "ended_at": 60, "status": "failed"}])
    assert run_report.outcome_of(phases, []) == "failed"


@pytest.mark.parametrize(
    "s3_uri, expected",
    [
        (
            "s3://dayec-analysis/derived/alice/run42/",
            ("dayec-analysis", "derived/alice/run42/_daylily_monitor/run-report/run_report.html"),
        ),
        (
            "s3://dayec-analysis/derived/alice/run42/_daylily_monitor/reports/run.html",
            ("dayec-analysis", "derived/alice/run42/_daylily_monitor/reports/run.html"),
        ),
    ],
)
def test_the_report_goes_under_the_destinations_monitor_folder(s3_uri, expected):
    bucket, key, uri = run_report.report_key(s3_uri)
    assert (bucket, key) == expected
    assert uri == "s3://%s/%s" % expected


@pytest.mark.parametrize(
    "s3_uri", ["s3://dayec-analysis/derived/alice/run42/report.html", "s3://dayec-analysis/_daylily_monitor"]
)
def test_a_report_key_among_the_exported_data_is_refused(s3_uri):
    with pytest.raises(RunReportError, match="is not under a _daylily_monitor/ folder"):
        run_report.report_key(s3_uri)


@pytest.mark.parametrize("filename", ["../x.html", "report.txt", "", "a b.html", ".hidden.html"])
def test_filenames_are_plain_html_names(filename):
    with pytest.raises(RunReportError, match="filename"):
        run_report.check_filename(filename)


def test_the_same_inputs_give_the_same_bytes(tmp_path):
    assert render(tmp_path) == render(tmp_path)


def test_the_page_shows_phases_counts_euids_and_links_the_receipt(tmp_path):
    page = render(tmp_path)
    for phase in inputs.PHASES:
        assert 'data-phase="%s"' % phase["name"] in page
    assert "1,234" in page and "73,400,320 bytes (70.0 MiB)" in page
    for euid in inputs.EUIDS:
        assert '<code class="euid">%s</code>' % euid in page
    assert 'href="../receipts/alice/run42/fsx_export.yaml"' in page
    assert inputs.RECEIPT_S3_URI in page
    assert "Cost so far (USD)" in page and "3.87" in page


def test_every_value_is_escaped(tmp_path):
    hostile = '"><script>alert(1)</script><img src=x onerror=alert(2)>'
    page = render(
        tmp_path,
        title=hostile,
        phases=[{"name": hostile, "status": "skipped"}],
        summary={hostile: hostile},
        registrations=[hostile],
    )
    assert "<script" not in page and "<img" not in page
    assert page.count("&lt;script&gt;") >= 4
    assert "onerror=alert(2)&gt;" in page


def test_the_page_asks_for_nothing_from_anywhere(tmp_path):
    """The markup side of the browser test: no URL to fetch, and a policy that forbids fetching."""
    page = render(tmp_path)
    assert not re.search(r"(?i)\b(src|srcset|poster|data)=|url\(|@import|@font-face|<script|<iframe|<object", page)
    assert not re.search(r"(?i)https?://", page)
    assert "default-src 'none'" in html.unescape(page)
    hrefs = re.findall(r'href="([^"]*)"', page)
    assert hrefs == ["data:,", "../receipts/alice/run42/fsx_export.yaml"]


def test_links_to_receipts_are_percent_encoded_relative_paths(tmp_path):
    directory = tmp_path / "odd dir #1"
    path = inputs.write_receipt(directory)
    (summary,) = run_report.read_receipts([str(path)])
    model = run_report.build_report("t", exports=[summary])
    page = run_report.render_html(model, str(tmp_path / "report"))
    assert 'href="../odd%20dir%20%231/receipts/alice/run42/fsx_export.yaml"' in page


def test_summary_values_are_shown_as_text():
    assert run_report.normalize_summary({"a": None, "b": True, "c": [1, 2], "d": {"y": 1, "x": 2}, "e": 1.5}) == [
        ("a", "unknown"),
        ("b", "yes"),
        ("c", "[1, 2]"),
        ("d", '{"x": 2, "y": 1}'),
        ("e", "1.5"),
    ]


@pytest.mark.parametrize(
    "seconds, text", [(None, "\u2014"), (0, "0 s"), (41, "41 s"), (88.25, "1 min 28 s"), (3723, "1 h 02 min 03 s")]
)
def test_durations_read_naturally(seconds, text):
    assert run_report.format_duration(seconds) == text


def test_report_facts_are_plain_data(tmp_path):
    model, _args = build(tmp_path)
    facts = run_report.report_facts(model)
    assert facts["outcome"] == "succeeded"
    assert facts["started_at"] == "2026-12-06T12:00:00Z"
    assert facts["export"]["s3_object_count"] == inputs.OBJECT_COUNT
    assert facts["euids"] == inputs.EUIDS
    assert facts["phases"][2]["ended_at"] == "2026-12-06T12:22:30Z"
