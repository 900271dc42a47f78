"""The DayOA stand-in (tests/sandbox/dayoa/), cloned with day-clone at 2.0.26 and run with bin/day_run.

Sample analysis: samples.tsv/units.tsv with two samples and tiny FASTQs -> per-sample stats, the final
MultiQC-style report with its _data/ dir, and the evidence manifest written by DayOA's own writer.
Run analysis: config/runs.tsv whose RUN_DIR is a run-folder mount -> run QC report read from that folder.
"""

import gzip
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from daylily_omics_analysis.evidence_manifest import manifest_checksum

from sandbox.dayoa_repo import REPOSITORY_NAME
from sandbox.dayoa_repo import TAG
from sandbox.dayoa_repo import build_repository

pytestmark = pytest.mark.slow

DAY_CLONE = Path(__file__).resolve().parents[3] / "roles" / "headnode" / "files" / "day-clone"
SAMPLE_TARGET = "produce_multiqc_final_report"
REPORTS = "results/day/hg38/reports"
SAMPLES_COLUMNS = (
    "SAMPLEID SAMPLESOURCE SAMPLECLASS BIOLOGICAL_SEX CONCORDANCE_CONTROL_PATH IS_POSITIVE_CONTROL "
    "IS_NEGATIVE_CONTROL SAMPLE_TYPE TUM_NRM_SAMPLEID_MATCH EXTERNAL_SAMPLE_ID N_X N_Y TRUTH_DATA_DIR"
).split()
UNITS_COLUMNS = (
    "RUNID SAMPLEID EXPERIMENTID LANEID BARCODEID LIBPREP SEQ_VENDOR SEQ_PLATFORM ILMN_R1_PATH ILMN_R2_PATH "
    "PACBIO_R1_PATH PACBIO_R2_PATH ONT_R1_PATH ONT_R2_PATH UG_R1_PATH UG_R2_PATH SUBSAMPLE_PCT "
    "ILMN_TRIM_READ_LENGTH SAMPLEUSE BWA_KMER DEEP_MODEL ULTIMA_CRAM ULTIMA_CRAM_ALIGNER ULTIMA_CRAM_SNV_CALLER "
    "ONT_CRAM ONT_CRAM_ALIGNER ONT_CRAM_SNV_CALLER PB_BAM PB_BAM_ALIGNER PB_BAM_SNV_CALLER ROCHE_BAM "
    "ROCHE_BAM_ALIGNER ROCHE_BAM_SNV_CALLER ROCHE_DOWNSAMPLE_RATIO LONGREADTRIM_READ_LENGTH LONGREADTRIM_MODE "
    "ULTIMA_SUBSAMPLE_PCT ONT_SUBSAMPLE_PCT ONT_BAM ONT_BAM_ALIGNER ONT_BAM_SNV_CALLER"
).split()
RUNS_COLUMNS = "RUNID PLATFORM RUN_DIR SOURCE_S3_URI MOUNT_ID SAMPLE_SHEET BASECALLING_STATE RUN_STATUS OUTPUT_ROOT REGION PROFILE".split()
# Two reads: 10 + 6 bases, 5 + 6 of them G/C.
FASTQ = "@r1\nACGTACGTAC\n+\nIIIIIIIIII\n@r2\nGGGGCC\n+\nIIIIII\n"


@pytest.fixture(scope="module")
def dayoa_url(tmp_path_factory):
    return build_repository(tmp_path_factory.mktemp("repos"))


def clone(root, url, analysis_id):
    """day-clone the stand-in at the pinned tag, as the headnode launch does; return the clone's path."""
    root.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [
            "bash",
            str(DAY_CLONE),
            "--destination",
            analysis_id,
            "--executing-entity",
            "ubuntu",
            "--repository",
            REPOSITORY_NAME,
            "--git-tag",
            TAG,
            "--repository-url",
            url,
            "--analysis-root",
            str(root),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return Path(result.stdout.strip().splitlines()[-1].split("=", 1)[1])


def day_run(repo, *args, env=None):
    """bin/day_run with the test's venv first on PATH (as the sandbox headnode has it)."""
    environment = {
        key: value for key, value in os.environ.items() if key not in ("DAY_GENOME_BUILD", "DAY_PROFILE", "SNAKEMAKE")
    }
    environment["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), environment.get("PATH", "")])
    environment.update(env or {})
    started = time.monotonic()
    result = subprocess.run(
        [str(repo / "bin" / "day_run"), *args], cwd=repo, capture_output=True, text=True, env=environment, check=False
    )
    result.elapsed = time.monotonic() - started
    result.output = result.stdout + result.stderr  # snakemake logs to either stream
    return result


def write_tsv(path, columns, rows):
    lines = ["\t".join(columns)] + ["\t".join(row.get(column, "") for column in columns) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_sample_inputs(repo, fastq_dir, s2_r1=None):
    """config/samples.tsv + config/units.tsv as DayEC's staging writes them: S1 paired, S2 single gzipped FASTQ."""
    fastq_dir.mkdir(parents=True, exist_ok=True)
    (fastq_dir / "S1_R1.fastq").write_text(FASTQ, encoding="ascii")
    (fastq_dir / "S1_R2.fastq").write_text(FASTQ, encoding="ascii")
    with gzip.open(fastq_dir / "S2_R1.fastq.gz", "wt", encoding="ascii") as handle:
        handle.write(FASTQ * 3)
    write_tsv(
        repo / "config" / "samples.tsv",
        SAMPLES_COLUMNS,
        [
            {
                "SAMPLEID": "S1",
                "SAMPLESOURCE": "blood",
                "SAMPLECLASS": "research",
                "SAMPLE_TYPE": "WGS",
                "N_X": "2",
                "N_Y": "0",
            },
            {
                "SAMPLEID": "S2",
                "SAMPLESOURCE": "blood",
                "SAMPLECLASS": "research",
                "SAMPLE_TYPE": "WGS",
                "N_X": "1",
                "N_Y": "1",
            },
        ],
    )
    unit = {
        "RUNID": "R0",
        "EXPERIMENTID": "EX1",
        "LANEID": "0",
        "LIBPREP": "PCR-FREE",
        "SEQ_VENDOR": "ILMN",
        "SEQ_PLATFORM": "NOVASEQ",
        "BWA_KMER": "19",
    }
    write_tsv(
        repo / "config" / "units.tsv",
        UNITS_COLUMNS,
        [
            dict(
                unit,
                SAMPLEID="S1",
                BARCODEID="BC1",
                ILMN_R1_PATH=str(fastq_dir / "S1_R1.fastq"),
                ILMN_R2_PATH=str(fastq_dir / "S1_R2.fastq"),
            ),
            dict(
                unit,
                SAMPLEID="S2",
                BARCODEID="BC2",
                ILMN_R1_PATH=s2_r1 or str(fastq_dir / "S2_R1.fastq.gz"),
                ILMN_R2_PATH="na",
            ),
        ],
    )


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory, dayoa_url):
    """One sample analysis, as the catalog launches it: bin/day_run <target> -p -k -j 2."""
    tmp = tmp_path_factory.mktemp("sample-analysis")
    repo = clone(tmp / "analysis_results", dayoa_url, "sample-run")
    write_sample_inputs(repo, tmp / "staging")
    result = day_run(repo, SAMPLE_TARGET, "-p", "-k", "-j", "2")
    assert result.returncode == 0, result.output
    print(f"day_run {SAMPLE_TARGET} took {result.elapsed:.2f}s")
    return SimpleNamespace(repo=repo, result=result, staging=tmp / "staging")


def read_rows(path):
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    header = lines[0].split("\t")
    return [dict(zip(header, line.split("\t"), strict=False)) for line in lines[1:]]


def test_sample_analysis_runs_quickly_and_prints_its_commands(sample_run):
    assert sample_run.result.elapsed < 60  # about 3 s here; the bound only catches a hang
    assert "fastq_stats.py sample --sample S1" in sample_run.result.output  # -p
    assert "daylily_omics_analysis.evidence_manifest multiqc-final" in sample_run.result.output


def test_per_sample_stats_count_reads_and_bases(sample_run):
    s1 = read_rows(sample_run.repo / "results/day/hg38/S1/S1.stats.tsv")
    s2 = read_rows(sample_run.repo / "results/day/hg38/S2/S2.stats.tsv")

    assert [(row["READ_COLUMN"], row["reads"], row["bases"], row["gc_percent"]) for row in s1] == [
        ("ILMN_R1_PATH", "2", "16", "68.75"),
        ("ILMN_R2_PATH", "2", "16", "68.75"),
    ]
    assert [(row["RUNID"], row["BARCODEID"], row["reads"], row["bases"]) for row in s2] == [("R0", "BC2", "6", "48")]
    summary = read_rows(sample_run.repo / "results/day/hg38/other_reports/fastq_stats_mqc.tsv")
    assert [(row["Sample"], row["fastq_files"], row["reads"], row["bases"]) for row in summary] == [
        ("S1", "2", "4", "32"),
        ("S2", "1", "6", "48"),
    ]


def test_multiqc_style_report_and_data_dir(sample_run):
    html = (sample_run.repo / REPORTS / "DAY_final_multiqc.html").read_text(encoding="utf-8")
    data_dir = sample_run.repo / REPORTS / "DAY_final_multiqc_data"
    data = json.loads((data_dir / "multiqc_data.json").read_text(encoding="utf-8"))

    assert "Final Multiqc Report" in html and "<td>S1</td>" in html and "<td>S2</td>" in html
    assert sorted(path.name for path in data_dir.iterdir()) == [
        "multiqc.log",
        "multiqc_data.json",
        "multiqc_fastq_stats.txt",
        "multiqc_general_stats.txt",
        "multiqc_sources.txt",
    ]
    stats = data["report_general_stats_data"][0]
    assert stats["S1"]["fastq_stats_mqc-generalstats-fastq_stats-reads"] == 4
    assert stats["S2"]["fastq_stats_mqc-generalstats-fastq_stats-bases"] == 48
    assert data["config_version"] == "1.35"
    assert [row["Sample"] for row in read_rows(data_dir / "multiqc_general_stats.txt")] == ["S1", "S2"]
    assert f"(TAG:{TAG})" in data["config_report_comment"]


def test_evidence_manifest_is_dayoas_and_lists_the_report_and_inputs(sample_run):
    repo = sample_run.repo
    manifest = json.loads((repo / REPORTS / "dayoa_evidence_manifest.json").read_text(encoding="utf-8"))
    files = {record["relative_path"]: record for record in manifest["files"]}

    assert manifest["schema_version"] == "dayoa.evidence_manifest.v1"
    assert manifest["manifest_kind"] == "dayoa.multiqc_final_evidence"
    assert manifest["manifest_checksum"] == manifest_checksum(manifest)
    assert manifest["analysis"] == {"analysis_name": REPOSITORY_NAME, "genome_build": "hg38", "run_name": ""}
    workflow = manifest["workflow"]
    assert (workflow["pipeline_name"], workflow["pipeline_version"]) == ("daylily-omics-analysis", TAG)
    assert (
        workflow["git_sha"]
        == subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
    )
    assert workflow["snakemake_version"] == "9.27.1" and workflow["workflow_profile"] == "local"

    data_dir = f"{REPORTS}/DAY_final_multiqc_data"
    assert manifest["required_files"] == [
        f"{REPORTS}/DAY_final_multiqc.html",
        f"{REPORTS}/multiqc_inputs/final/manifest.tsv",
    ] + [
        f"{data_dir}/{name}"
        for name in ("multiqc_data.json", "multiqc_general_stats.txt", "multiqc_sources.txt", "multiqc.log")
    ]
    expected = {
        f"{REPORTS}/DAY_final_multiqc.html": "multiqc_html",
        f"{data_dir}/multiqc_data.json": "multiqc_data_json",
        f"{data_dir}/multiqc_general_stats.txt": "multiqc_general_stats",
        f"{data_dir}/multiqc_sources.txt": "multiqc_sources",
        f"{data_dir}/multiqc.log": "multiqc_log",
        f"{data_dir}/multiqc_fastq_stats.txt": "multiqc_data_text_artifact",  # the whole _data dir is walked
        f"{REPORTS}/multiqc_inputs/final/manifest.tsv": "staging_manifest",
        "results/day/hg38/other_reports/fastq_stats_mqc.tsv": "custom_mqc_tsv",
        "config/samples.tsv": "samples_manifest",
        "config/units.tsv": "units_manifest",
    }
    assert {path: files[path]["classification"] for path in expected} == expected
    for path, record in files.items():
        content = (repo / path).read_bytes()
        assert (record["size_bytes"], record["sha256"]) == (len(content), hashlib.sha256(content).hexdigest()), path
    html = files[f"{REPORTS}/DAY_final_multiqc.html"]
    assert html["required"] and html["parser_relevant"]
    assert html["metadata"]["report_kind"] == "final" and html["metadata"]["sample_names"] == ["S1", "S2"]
    assert {"multiqc", "report_kind:final", "sample:S1", "sample:S2", "run:R0", "barcode:BC1"} <= set(html["tags"])
    assert {"manifest:samples", "sample:S1", "experiment:EX1"} <= set(files["config/samples.tsv"]["tags"])
    assert "manifest:units" in files["config/units.tsv"]["tags"]
    assert files["results/day/hg38/S1/S1.stats.tsv"]["metadata"]["sample_id"] == "S1"
    assert manifest["warnings"] == []


def test_rerun_of_the_dayoa_targets_is_a_no_op(sample_run):
    html = sample_run.repo / REPORTS / "DAY_final_multiqc.html"
    before = html.stat().st_mtime_ns

    result = day_run(
        sample_run.repo,
        "produce_multiqc_all",
        "produce_dayoa_evidence_manifest",
        "produce_multiqc_final",
        "-p",
        "-k",
        "-j",
        "2",
    )

    assert result.returncode == 0, result.output
    assert "Nothing to be done" in result.output
    assert html.stat().st_mtime_ns == before


def test_dry_run_writes_nothing(tmp_path, dayoa_url):
    repo = clone(tmp_path / "analysis_results", dayoa_url, "dry-run")
    write_sample_inputs(repo, tmp_path / "staging")
    snakemake = Path(sys.executable).parent / "snakemake"

    result = day_run(
        repo, SAMPLE_TARGET, "-p", "-k", "-j", "2", "-n", env={"SNAKEMAKE": str(snakemake), "PATH": "/usr/bin:/bin"}
    )

    assert result.returncode == 0, result.stderr
    assert "This was a dry-run" in result.output
    assert "write_dayoa_evidence_manifest" in result.output
    assert not (repo / "results").exists()
    status = subprocess.run(
        ["git", "-C", str(repo), "status", "--porcelain", "--ignored", "--untracked-files=all"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    changed = {line[3:] for line in status if not line[3:].startswith(".snakemake/")}
    assert changed == {"config/samples.tsv", "config/units.tsv"}


def test_missing_fastq_fails_before_any_job(tmp_path, dayoa_url):
    repo = clone(tmp_path / "analysis_results", dayoa_url, "missing-fastq")
    write_sample_inputs(repo, tmp_path / "staging", s2_r1=str(tmp_path / "absent_R1.fastq.gz"))

    result = day_run(repo, SAMPLE_TARGET, "-p", "-k", "-j", "2")

    assert result.returncode != 0
    assert "absent_R1.fastq.gz" in result.output
    assert not (repo / "results").exists()


def test_run_analysis_reads_the_mounted_run_folder(tmp_path, dayoa_url):
    run_folder = tmp_path / "fsx" / "run_dir_mounts" / "RUN1"
    (run_folder / "InterOp").mkdir(parents=True)
    (run_folder / "RunInfo.xml").write_text(
        '<?xml version="1.0"?><RunInfo Version="6"><Run Id="240101_A00001_0001_AHXXXX" Number="1"><Flowcell>HXXXX</Flowcell>'
        '<Instrument>A00001</Instrument><Reads><Read Number="1" NumCycles="151"/><Read Number="2" NumCycles="8"/>'
        '<Read Number="3" NumCycles="151"/></Reads></Run></RunInfo>\n',
        encoding="utf-8",
    )
    (run_folder / "SampleSheet.csv").write_text(
        "[Header]\nFileFormatVersion,2\n[BCLConvert_Data]\nLane,Sample_ID,Index\n1,S1,AAAA\n1,S2,CCCC\n",
        encoding="utf-8",
    )
    (run_folder / "InterOp" / "TileMetricsOut.bin").write_bytes(b"\x02\x0a" * 8)
    (run_folder / "Undetermined_S0_R1_001.fastq").write_text(FASTQ, encoding="ascii")
    repo = clone(tmp_path / "analysis_results", dayoa_url, "run-qc")
    (repo / "config" / "run_dir_links").mkdir()
    (repo / "config" / "run_dir_links" / "RUN1").symlink_to(run_folder)  # as launch.sh projects RUN_DIRs
    write_tsv(
        repo / "config" / "runs.tsv",
        RUNS_COLUMNS,
        [
            {
                "RUNID": "RUN1",
                "PLATFORM": "ILMN",
                "RUN_DIR": "config/run_dir_links/RUN1",
                "SOURCE_S3_URI": "s3://runs/RUN1/",
                "MOUNT_ID": "RUN1",
                "SAMPLE_SHEET": "SampleSheet.csv",
                "BASECALLING_STATE": "complete",
                "RUN_STATUS": "complete",
                "REGION": "us-west-2",
            }
        ],
    )

    result = day_run(
        repo, "produce_illumina_run_qc", "-p", "-k", "-j", "2", "--config", "run_context_file=config/runs.tsv"
    )

    assert result.returncode == 0, result.output
    out = repo / "results" / "runs" / "RUN1" / "run_qc" / "illumina"
    [summary] = read_rows(out / "summary.tsv")
    assert (summary["files"], summary["cycles"], summary["flowcell"], summary["sample_sheet_samples"]) == (
        "4",
        "310",
        "HXXXX",
        "2",
    )
    assert (summary["fastq_files"], summary["reads"], summary["bases"]) == ("1", "2", "16")
    detail = json.loads((out / "illumina_run_qc.json").read_text(encoding="utf-8"))
    assert [item["relative_path"] for item in detail["files"]] == [
        "InterOp/TileMetricsOut.bin",
        "RunInfo.xml",
        "SampleSheet.csv",
        "Undetermined_S0_R1_001.fastq",
    ]
    data = json.loads((out / "multiqc_report_data" / "multiqc_data.json").read_text(encoding="utf-8"))
    assert data["report_general_stats_data"][0]["RUN1"]["run_qc_mqc-generalstats-run_qc-cycles"] == 310
    assert "RUN1 Run QC MultiQC Report" in (out / "multiqc_report.html").read_text(encoding="utf-8")
    assert not (repo / "results" / "day").exists()
    print(f"day_run produce_illumina_run_qc took {result.elapsed:.2f}s")


def test_run_target_without_a_run_context_file_fails_clearly(tmp_path, dayoa_url):
    repo = clone(tmp_path / "analysis_results", dayoa_url, "no-runs")

    result = day_run(repo, "produce_illumina_run_qc", "-n", "--config", "run_context_file=config/runs.tsv")

    assert result.returncode != 0
    assert "run context file config/runs.tsv does not exist" in result.output


@pytest.mark.parametrize("jobs", ["0", "two", "-1"])
def test_day_run_rejects_a_bad_job_count(tmp_path, dayoa_url, jobs):
    repo = clone(tmp_path / "analysis_results", dayoa_url, "bad-jobs")

    result = day_run(repo, SAMPLE_TARGET, "-j", jobs)

    assert result.returncode == 64
    assert "positive integer" in result.stderr
