"""The sample manifest: golden tables for every data mode, every problem at once, and properties of any manifest."""

import json
from pathlib import Path

import pytest

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import samples

FIXTURES = Path(__file__).parents[2] / "fixtures"
GOLDEN = sorted(path.name for path in (FIXTURES / "samples").iterdir() if path.is_dir())
STAGE = "remote_stage_20260101T120000Z_0a1b2c3d"
HEADER = "\t".join(samples.REQUIRED_COLUMNS)


def plan_of(text, **kwargs):
    return samples.plan_stage(text.encode("utf-8") if isinstance(text, str) else text, STAGE, **kwargs)


def test_golden_manifests_cover_every_data_mode():
    modes = {json.loads((FIXTURES / "samples" / name / "expected.json").read_text())["data_mode"] for name in GOLDEN}
    assert len(GOLDEN) >= 10
    assert modes == set(samples.DATA_MODES.values())


@pytest.mark.parametrize("name", GOLDEN)
def test_golden_manifest_gives_byte_exact_tables(name):
    case = FIXTURES / "samples" / name
    plan = samples.plan_stage(
        (case / "analysis_samples.tsv").read_bytes(),
        STAGE,
        reference_s3_uri="s3://day-refs/",
        control_data_s3_uri="s3://day-control/",
    )
    expected = json.loads((case / "expected.json").read_text())
    assert plan.problems == []
    assert plan.samples_tsv.encode() == (case / "samples.tsv").read_bytes()
    assert plan.units_tsv.encode() == (case / "units.tsv").read_bytes()
    assert plan.data_mode == expected["data_mode"]
    assert [[copy.key, list(copy.sources), copy.mode] for copy in plan.copies] == expected["copies"]


def test_tables_have_the_reference_columns_crlf_and_sorted_samples():
    plan = plan_of((FIXTURES / "samples" / "metadata_defaults" / "analysis_samples.tsv").read_bytes())
    samples_lines = plan.samples_tsv.split("\r\n")
    assert samples_lines[0].split("\t") == list(samples.SAMPLES_COLUMNS) and samples_lines[-1] == ""
    assert plan.units_tsv.split("\r\n")[0].split("\t") == list(samples.UNITS_COLUMNS)
    assert [row["SAMPLEID"] for row in plan.samples] == ["N1", "NTC", "T1"]  # sorted, not manifest order
    assert [row["SAMPLEID"] for row in plan.units] == ["T1", "N1", "NTC"]  # manifest order
    assert [row["SUBSAMPLE_PCT"] for row in plan.units] == ["0.5", "na", "1"]  # only (0, 1] is kept


def test_multilane_rows_merge_in_manifest_order_with_lane_zero_and_first_barcode():
    plan = plan_of((FIXTURES / "samples" / "ilmn_multilane_merge" / "analysis_samples.tsv").read_bytes())
    merged = plan.units[0]
    assert (merged["LANEID"], merged["BARCODEID"]) == ("0", "BC1")
    assert plan.copies[0].sources == (
        "s3://day-samples/runs/s1_L2_R1.fastq.gz",
        "s3://day-samples/runs/s1_L1a_R1.fastq.gz",
        "s3://day-samples/runs/s1_L1b_R1.fastq.gz",
    )


def test_normalisation_of_ids_vendor_libprep_and_platform():
    row = "R.1_a\tS_1\tE_1\tblood_x\tTruSeq_PF\tilmn\tNovaSeqX\t1\tBC_1\ts3://b-1/k_R1.fq.gz"
    unit = plan_of(HEADER + "\tILMN_R1_FQ\n" + row + "\n").units[0]
    assert (unit["RUNID"], unit["SAMPLEID"], unit["EXPERIMENTID"], unit["BARCODEID"]) == ("R-1-a", "S-1", "E-1", "BC-1")
    assert (unit["SEQ_VENDOR"], unit["LIBPREP"], unit["SEQ_PLATFORM"]) == ("ILMN", "PCR-FREE", "NOVASEQ")
    # Library prep aliases are Illumina's only.
    ont = plan_of(HEADER + "\tONT_R1_FQ\nR\tS\tE\tblood\tTruSeq_PF\tONT\tNovaSeqX\t1\tB\ts3://b-1/k.fq.gz\n").units[0]
    assert (ont["LIBPREP"], ont["SEQ_PLATFORM"]) == ("TruSeq-PF", "NovaSeqX")


def test_bom_crlf_and_trailing_blank_lines_are_tolerated():
    text = "\ufeff" + HEADER + "\tILMN_R1_FQ\r\nR\tS\tE\tblood\tPF\tILMN\tNOVASEQ\t1\tB\ts3://b-1/k.fq.gz\r\n\r\n\r\n"
    plan = plan_of(text)
    assert plan.problems == [] and len(plan.units) == 1


def test_fifteen_problems_are_all_reported_in_one_run_with_lines_and_columns():
    plan = plan_of((FIXTURES / "samples_problems" / "analysis_samples.tsv").read_bytes())
    found = [(problem.line, problem.column) for problem in plan.problems]
    assert found == [
        (1, "FOO"),
        (1, "DEEP_MODEL"),
        (2, "SAMPLE_ID"),
        (3, "SEQ_VENDOR"),
        (4, None),
        (5, "STAGE_DIRECTIVE"),
        (6, "ONT_R1_FQ"),
        (7, "ILMN_R1_FQ"),
        (8, "ILMN_R1_FQ"),
        (9, "ILMN_R1_FQ"),
        (10, "ONT_CRAM_ALIGNER"),
        (12, "LANE"),
        (13, "SAMPLECLASS"),
        (15, "ILMN_R1_FQ"),
        (16, "EXPERIMENTID"),
    ]
    message = samples.problems_message(plan.problems)
    assert message.startswith("the manifest has 15 problems; nothing was staged")
    assert "line 12, column LANE: is 0, but lines 11, 12 merge lanes" in message


@pytest.mark.parametrize(
    "extra, row, expected",
    [
        (
            "ONT_CRAM\tONT_CRAM_ALIGNER",
            "s3://b-1/x.cram\tont",
            "column ONT_CRAM: is a ONT file, but the row's SEQ_VENDOR is ILMN",
        ),
        (
            "ILMN_R1_FQ\tONT_FASTQ_PREFIX",
            "s3://b-1/x.fq.gz\ts3://b-1/20240101_ONT_r/FC1/barcode01/",
            "ONT_FASTQ_PREFIX: is for ONT rows only",
        ),
        ("ILMN_R1_FQ\tR1_FQ", "s3://b-1/x.fq.gz\ts3://b-1/y.fq.gz", "is a second R1 source of the row"),
        ("ILMN_R2_FQ", "s3://b-1/x.fq.gz", "gives R2 without R1"),
        (
            "ILMN_R1_FQ\tILMN_R2_FQ",
            "s3://b-1/a.fq.gz,s3://b-1/b.fq.gz\ts3://b-1/c.fq.gz",
            "lists 1 files but R1 lists 2",
        ),
        ("ILMN_R1_FQ\tSTAGE_DIRECTIVE", "s3://b-1/x.fq.gz\tpass_through", "is in S3, which the headnode cannot read"),
        (
            "ILMN_R1_FQ\tSTAGE_DIRECTIVE\tMOUNT_ID",
            "/fsx/run_dir_mounts/r/x.fq\tmounted_readonly\t",
            "MOUNT_ID: is empty; mounted_readonly rows name the run mount",
        ),
        ("ILMN_R1_FQ", "/fsx/references/x.fq.gz", "staging it needs reference_s3_uri"),
        (
            "ILMN_R1_FQ\tTRUTH_DATA_DIR",
            "s3://b-1/x.fq.gz\t/fsx/runtime_assets/giab",
            "TRUTH_DATA_DIR: '/fsx/runtime_assets/giab' is under a retired root",
        ),
    ],
)
def test_row_rules(extra, row, expected):
    plan = plan_of("%s\t%s\nR\tS\tE\tblood\tPF\tILMN\tNOVASEQ\t1\tB\t%s\n" % (HEADER, extra, row))
    assert any(expected in str(problem) for problem in plan.problems), [str(p) for p in plan.problems]


def test_header_problems_do_not_stop_the_row_checks():
    plan = plan_of("RUN_ID\tSAMPLE_ID\tILMN_R1_FQ\nR/1\tS\tx.fq\n")
    text = [str(problem) for problem in plan.problems]
    assert "line 1, column LANE: is a required column and is missing from the header" in text
    assert any(line.startswith("line 2, column RUN_ID") for line in text)
    assert any(line.startswith("line 2, column ILMN_R1_FQ") for line in text)


def test_duplicate_lane_of_a_merged_unit_and_non_ilmn_merge_are_refused():
    rows = ["R\tS\tE\tblood\tPF\tILMN\tNOVASEQ\t1\tB\ts3://b-1/%d.fq.gz" % i for i in range(2)]
    rows = [row + "\t" for row in rows]
    rows += ["R\tT\tE\tblood\tPF\tPACBIO\tRevio\t1\tB\t\ts3://b-1/p%d.fq.gz" % i for i in range(2)]
    text = [str(p) for p in plan_of(HEADER + "\tILMN_R1_FQ\tPACBIO_R1_FQ\n" + "\n".join(rows) + "\n").problems]
    assert any("lane 1 of sample unit" in line for line in text)
    assert any("only ILMN lanes merge" in line for line in text)


def test_data_mode_is_checked_against_the_command():
    text = (FIXTURES / "samples" / "ont_solo" / "analysis_samples.tsv").read_bytes()
    plan = samples.plan_stage(text, STAGE, compatible_data_modes=["ilmn_solo"], command_id="ilmn_germline_wgs_hg38")
    assert [str(p) for p in plan.problems] == [
        "column SEQ_VENDOR: the manifest's data mode ont_solo is not one command ilmn_germline_wgs_hg38 runs (ilmn_solo)"
    ]
    mixed = plan_of(
        HEADER + "\tILMN_R1_FQ\tPB_BAM\tPB_BAM_ALIGNER\n"
        "R\tS\tE\tblood\tPF\tILMN\tNOVASEQ\t1\tB\ts3://b-1/x.fq.gz\t\t\n"
        "R\tT\tE\tblood\tHiFi\tPACBIO\tRevio\t1\tB\t\ts3://b-1/t.bam\tsentmm2\n"
    )
    assert mixed.data_mode is None
    assert any("mixes ILMN, PACBIO, which no data mode runs" in str(p) for p in mixed.problems)


def test_new_stage_names_follow_the_reference_layout():
    name = samples.new_stage_name()
    assert samples.STAGE_NAME_RE.match(name)
    assert samples.stage_timestamp(name) == name.split("_")[2]
    assert any("stage_name 'stage1' is not remote_stage_" in str(p) for p in samples.plan_stage(b"", "stage1").problems)
