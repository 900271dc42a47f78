"""Launching DayOA from the catalog on the sandbox headnode (reached over SSM), in tmux, then exporting it."""

import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml

from sandbox.dayoa_repo import build_repository
from testlib.playbooks import OPERATOR_PLAYBOOKS, run_playbook, ssm_inventory

LAUNCH = str(OPERATOR_PLAYBOOKS / "launch.yml")
MOUNT = str(OPERATOR_PLAYBOOKS / "mount_run.yml")
SAMPLE_COMMAND, RUN_COMMAND = "ilmn_germline_wgs_align_qc", "illumina_run_qc_bclconvert"
SAMPLES_COLUMNS = ("SAMPLEID SAMPLESOURCE SAMPLECLASS BIOLOGICAL_SEX CONCORDANCE_CONTROL_PATH IS_POSITIVE_CONTROL "
                   "IS_NEGATIVE_CONTROL SAMPLE_TYPE TUM_NRM_SAMPLEID_MATCH EXTERNAL_SAMPLE_ID N_X N_Y TRUTH_DATA_DIR").split()
UNITS_COLUMNS = ("RUNID SAMPLEID EXPERIMENTID LANEID BARCODEID LIBPREP SEQ_VENDOR SEQ_PLATFORM ILMN_R1_PATH "
                 "ILMN_R2_PATH").split()
FASTQ = "@r1\nACGTACGTAC\n+\nIIIIIIIIII\n@r2\nGGGCCCAAAT\n+\nIIIIIIIIII\n"


@pytest.fixture(scope="session")
def dayoa_url(tmp_path_factory):
    return build_repository(tmp_path_factory.mktemp("dayoa-git"))


def write_tsv(path, columns, rows):
    lines = ["\t".join(columns)] + ["\t".join(row.get(column, "") for column in columns) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def sample_inputs(cluster, tmp_path):
    """Tiny FASTQs on the file system (as staging leaves them) and the manifests pointing at them."""
    staged = Path(cluster["fsx_mount"]) / "staging" / "remote_stage_demo"
    staged.mkdir(parents=True, exist_ok=True)
    rows = []
    for sample in ("S1", "S2"):
        (staged / f"{sample}_R1.fastq").write_text(FASTQ, encoding="utf-8")
        (staged / f"{sample}_R2.fastq").write_text(FASTQ, encoding="utf-8")
        rows.append({"RUNID": "R0", "SAMPLEID": sample, "EXPERIMENTID": "E1", "LANEID": "0", "BARCODEID": f"BC{sample}",
                     "LIBPREP": "PCR-FREE", "SEQ_VENDOR": "ILMN", "SEQ_PLATFORM": "NOVASEQ",
                     "ILMN_R1_PATH": str(staged / f"{sample}_R1.fastq"), "ILMN_R2_PATH": str(staged / f"{sample}_R2.fastq")})
    samples = write_tsv(tmp_path / "samples.tsv", SAMPLES_COLUMNS,
                        [{"SAMPLEID": r["SAMPLEID"], "SAMPLESOURCE": "blood", "SAMPLECLASS": "research",
                          "SAMPLE_TYPE": "WGS", "N_X": "2", "N_Y": "0"} for r in rows])
    units = write_tsv(tmp_path / "units.tsv", UNITS_COLUMNS, rows)
    return samples, units


def launch_vars(cluster, dayoa_url, analysis_id, **extra):
    return dict({"cluster_name": cluster["cluster_name"], "fsx_mount_point": cluster["fsx_mount"],
                 "workflow_executing_entity": "tester", "workflow_analysis_id": analysis_id,
                 "workflow_repository_urls": {"daylily-omics-analysis": dayoa_url},
                 "workflow_wait": True, "workflow_poll_interval": 1, "workflow_wait_timeout": 300,
                 "headnode_ssm_wait_timeout": 30, "headnode_ssm_poll_interval": 1,
                 "headnode_require_mountpoint": False}, **extra)


def headnode_home(cluster):
    return Path(cluster["headnode_root"]) / "home" / "ubuntu"


def read_status(cluster, session):
    return json.loads((headnode_home(cluster) / "daylily-runs" / session / "status.json").read_text(encoding="utf-8"))


def stop_tmux(cluster, session):
    """Stop the session on the sandbox headnode's own tmux server (if it still runs)."""
    env = dict(os.environ, TMUX_TMPDIR=str(Path(cluster["headnode_root"]) / "tmp"))
    subprocess.run(["tmux", "kill-session", "-t", f"={session}"], capture_output=True, check=False, env=env)


def test_sample_analysis_runs_dayoa_in_tmux_and_exports_on_success(sandbox, aws, cluster, tmp_path, dayoa_url):
    samples, units = sample_inputs(cluster, tmp_path)
    destination = f"s3://{cluster['buckets'][1]}/derived/tester/wgs1/"
    try:
        run = run_playbook(LAUNCH, launch_vars(
            cluster, dayoa_url, "wgs1", workflow_command_id=SAMPLE_COMMAND, workflow_samples_file=samples,
            workflow_units_file=units, workflow_export_trigger="on-success",
            workflow_export_destination_s3_uri=destination, workflow_export_output_dir=str(tmp_path / "exports"),
            export_poll_interval=1), inventory=ssm_inventory(tmp_path, cluster))
    finally:
        stop_tmux(cluster, "wgs1")
    assert run.rc == 0, run.failures()
    status = read_status(cluster, "wgs1")
    assert status["exit_code"] == 0 and status["session_name"] == "wgs1" and status["completed_at"]
    assert "bin/day_run produce_snv_concordances" in status["command"]
    repo = Path(status["repo_path"])
    assert repo == Path(cluster["fsx_mount"]) / "analysis_results/tester/wgs1/daylily-omics-analysis"
    assert (repo / "results/day/hg38/reports/dayoa_evidence_manifest.json").is_file()
    tag = subprocess.run(["git", "-C", str(repo), "describe", "--tags", "--exact-match"], capture_output=True, text=True,
                         check=False)
    assert tag.stdout.strip() == "2.0.26"
    receipt = yaml.safe_load(next((tmp_path / "exports").rglob("fsx_export.yaml")).read_text())["fsx_export"]
    assert receipt["verified"] is True and receipt["status"] == "success"
    launches = sandbox.calls("SendCommand", service="ssm")
    assert launches, "the headnode was reached over SSM Run Command"


def test_run_analysis_with_a_run_mount_completes(sandbox, aws, cluster, tmp_path, dayoa_url):
    bucket = cluster["buckets"][2]
    s3 = aws("s3")
    s3.put_object(Bucket=bucket, Key="R7/RunInfo.xml", Body=b"<RunInfo Version='6'><Run Id='R7'/></RunInfo>\n")
    s3.put_object(Bucket=bucket, Key="R7/SampleSheet.csv", Body=b"[Header]\nFileFormatVersion,2\n[BCLConvert_Data]\nSample_ID\nS1\n")
    runs = write_tsv(tmp_path / "runs.tsv", ["RUNID", "PLATFORM", "RUN_DIR", "SOURCE_S3_URI", "MOUNT_ID"],
                     [{"RUNID": "R7", "PLATFORM": "ILMN", "RUN_DIR": "/fsx/run_dir_mounts/R7/",
                       "SOURCE_S3_URI": f"s3://{bucket}/R7/", "MOUNT_ID": "R7"}])
    inventory = ssm_inventory(tmp_path, cluster)
    mounted = run_playbook(MOUNT, {"cluster_name": cluster["cluster_name"], "fsx_mount_point": cluster["fsx_mount"],
                                   "run_mount_s3_uri": f"s3://{bucket}/R7/", "run_mount_poll_interval": 1},
                           inventory=inventory)
    assert mounted.rc == 0, mounted.failures()
    try:
        run = run_playbook(LAUNCH, launch_vars(cluster, dayoa_url, "runqc1", workflow_command_id=RUN_COMMAND,
                                               workflow_run_context_file=runs), inventory=inventory)
    finally:
        stop_tmux(cluster, "runqc1")
    assert run.rc == 0, run.failures()
    status = read_status(cluster, "runqc1")
    assert status["exit_code"] == 0
    assert (Path(status["repo_path"]) / "config/run_dir_links/R7").resolve() == \
        (Path(cluster["fsx_mount"]) / "run_dir_mounts/R7").resolve()
    assert list(Path(status["repo_path"]).glob("results/runs/R7/**/multiqc_report.html"))


def test_run_analysis_without_its_run_mount_is_refused_and_nothing_runs(sandbox, aws, cluster, tmp_path, dayoa_url):
    runs = write_tsv(tmp_path / "runs.tsv", ["RUNID", "PLATFORM", "RUN_DIR", "SOURCE_S3_URI", "MOUNT_ID"],
                     [{"RUNID": "R9", "PLATFORM": "ILMN", "RUN_DIR": "/fsx/run_dir_mounts/R9/",
                       "SOURCE_S3_URI": f"s3://{cluster['buckets'][2]}/R9/", "MOUNT_ID": "R9"}])
    sandbox.clear_audit()
    run = run_playbook(LAUNCH, launch_vars(cluster, dayoa_url, "runqc2", workflow_command_id=RUN_COMMAND,
                                           workflow_run_context_file=runs), inventory=ssm_inventory(tmp_path, cluster))
    assert run.rc != 0
    assert "R9" in run.failures() and "mount_run.yml" in run.failures()
    assert sandbox.calls("SendCommand", service="ssm") == []
    assert not (Path(cluster["fsx_mount"]) / "analysis_results/tester/runqc2").exists()


@pytest.mark.parametrize("bad, expected", [
    ({"workflow_command_id": "no_such_command"}, "ilmn_germline_wgs_align_qc"),
    ({"workflow_command_id": RUN_COMMAND, "workflow_samples_file": "x", "workflow_units_file": "y"}, "run_analysis"),
    ({"workflow_command_id": SAMPLE_COMMAND, "workflow_executing_entity": "../etc"}, "executing_entity"),
])
def test_bad_requests_fail_precisely_and_nothing_runs(sandbox, aws, cluster, tmp_path, dayoa_url, bad, expected):
    sandbox.clear_audit()
    run = run_playbook(LAUNCH, launch_vars(cluster, dayoa_url, "bad1", **bad), inventory=ssm_inventory(tmp_path, cluster))
    assert run.rc != 0
    assert expected in run.failures()
    assert sandbox.calls("SendCommand", service="ssm") == []


def test_existing_analysis_dir_is_refused_unless_replaced(sandbox, aws, cluster, tmp_path, dayoa_url):
    samples, units = sample_inputs(cluster, tmp_path)
    existing = Path(cluster["fsx_mount"]) / "analysis_results/tester/wgs3"
    existing.mkdir(parents=True)
    (existing / "keep.txt").write_text("earlier analysis")
    common = {"workflow_command_id": SAMPLE_COMMAND, "workflow_samples_file": samples, "workflow_units_file": units}
    inventory = ssm_inventory(tmp_path, cluster)
    try:
        refused = run_playbook(LAUNCH, launch_vars(cluster, dayoa_url, "wgs3", **common), inventory=inventory)
        assert refused.rc != 0 and "analysis_dir_exists" in refused.failures()
        assert (existing / "keep.txt").read_text() == "earlier analysis"
        replaced = run_playbook(LAUNCH, launch_vars(cluster, dayoa_url, "wgs3", workflow_replace_existing=True,
                                                    workflow_dryrun=True, **common), inventory=inventory)
    finally:
        stop_tmux(cluster, "wgs3")
    assert replaced.rc == 0, replaced.failures()
    assert not (existing / "keep.txt").exists()
    assert read_status(cluster, "wgs3")["exit_code"] == 0
