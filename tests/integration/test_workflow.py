"""Launching DayOA from the catalog on the sandbox headnode (reached over SSM), in tmux, then exporting it."""

import subprocess
from pathlib import Path

import pytest
import yaml

from sandbox.dayoa_repo import build_repository
from testlib.playbooks import OPERATOR_PLAYBOOKS
from testlib.playbooks import run_playbook
from testlib.playbooks import ssm_inventory
from testlib.workflow import RUN_COMMAND
from testlib.workflow import SAMPLE_COMMAND
from testlib.workflow import export_on_success
from testlib.workflow import launch_vars
from testlib.workflow import read_status
from testlib.workflow import sample_inputs
from testlib.workflow import stop_tmux
from testlib.workflow import write_run_context

LAUNCH = str(OPERATOR_PLAYBOOKS / "launch.yml")
MOUNT = str(OPERATOR_PLAYBOOKS / "mount_run.yml")


@pytest.fixture(scope="session")
def dayoa_url(tmp_path_factory):
    return build_repository(tmp_path_factory.mktemp("dayoa-git"))


def test_sample_analysis_runs_dayoa_in_tmux_and_exports_on_success(sandbox, aws, cluster, tmp_path, dayoa_url):
    samples, units = sample_inputs(cluster, tmp_path)
    variables = launch_vars(
        cluster,
        dayoa_url,
        "wgs1",
        workflow_command_id=SAMPLE_COMMAND,
        workflow_samples_file=samples,
        workflow_units_file=units,
        **export_on_success(cluster, tmp_path, "wgs1"),
    )
    try:
        run = run_playbook(LAUNCH, variables, inventory=ssm_inventory(tmp_path, cluster))
    finally:
        stop_tmux(cluster, "wgs1")
    assert run.rc == 0, run.failures()
    status = read_status(cluster, "wgs1")
    assert status["exit_code"] == 0 and status["session_name"] == "wgs1" and status["completed_at"]
    assert "bin/day_run produce_snv_concordances" in status["command"]
    repo = Path(status["repo_path"])
    assert repo == Path(cluster["fsx_mount"]) / "analysis_results/tester/wgs1/daylily-omics-analysis"
    assert (repo / "results/day/hg38/reports/dayoa_evidence_manifest.json").is_file()
    tag = subprocess.run(
        ["git", "-C", str(repo), "describe", "--tags", "--exact-match"], capture_output=True, text=True, check=False
    )
    assert tag.stdout.strip() == "2.0.26"
    receipt = yaml.safe_load(next((tmp_path / "exports").rglob("fsx_export.yaml")).read_text())["fsx_export"]
    assert receipt["verified"] is True and receipt["status"] == "success"
    launches = sandbox.calls("SendCommand", service="ssm")
    assert launches, "the headnode was reached over SSM Run Command"


def test_run_analysis_with_a_run_mount_completes(sandbox, aws, cluster, tmp_path, dayoa_url):
    bucket = cluster["buckets"][2]
    s3 = aws("s3")
    s3.put_object(Bucket=bucket, Key="R7/RunInfo.xml", Body=b"<RunInfo Version='6'><Run Id='R7'/></RunInfo>\n")
    s3.put_object(
        Bucket=bucket,
        Key="R7/SampleSheet.csv",
        Body=b"[Header]\nFileFormatVersion,2\n[BCLConvert_Data]\nSample_ID\nS1\n",
    )
    runs = write_run_context(tmp_path, bucket, "R7")
    inventory = ssm_inventory(tmp_path, cluster)
    mounted = run_playbook(
        MOUNT,
        {
            "cluster_name": cluster["cluster_name"],
            "fsx_mount_point": cluster["fsx_mount"],
            "run_mount_s3_uri": f"s3://{bucket}/R7/",
            "run_mount_poll_interval": 1,
        },
        inventory=inventory,
    )
    assert mounted.rc == 0, mounted.failures()
    try:
        run = run_playbook(
            LAUNCH,
            launch_vars(cluster, dayoa_url, "runqc1", workflow_command_id=RUN_COMMAND, workflow_run_context_file=runs),
            inventory=inventory,
        )
    finally:
        stop_tmux(cluster, "runqc1")
    assert run.rc == 0, run.failures()
    status = read_status(cluster, "runqc1")
    assert status["exit_code"] == 0
    assert (Path(status["repo_path"]) / "config/run_dir_links/R7").resolve() == (
        Path(cluster["fsx_mount"]) / "run_dir_mounts/R7"
    ).resolve()
    assert list(Path(status["repo_path"]).glob("results/runs/R7/**/multiqc_report.html"))


def test_run_analysis_without_its_run_mount_is_refused_and_nothing_runs(sandbox, aws, cluster, tmp_path, dayoa_url):
    runs = write_run_context(tmp_path, cluster["buckets"][2], "R9")
    sandbox.clear_audit()
    run = run_playbook(
        LAUNCH,
        launch_vars(cluster, dayoa_url, "runqc2", workflow_command_id=RUN_COMMAND, workflow_run_context_file=runs),
        inventory=ssm_inventory(tmp_path, cluster),
    )
    assert run.rc != 0
    assert "R9" in run.failures() and "mount_run.yml" in run.failures()
    assert sandbox.calls("SendCommand", service="ssm") == []
    assert not (Path(cluster["fsx_mount"]) / "analysis_results/tester/runqc2").exists()


@pytest.mark.parametrize(
    "bad, expected",
    [
        ({"workflow_command_id": "no_such_command"}, "ilmn_germline_wgs_align_qc"),
        (
            {"workflow_command_id": RUN_COMMAND, "workflow_samples_file": "x", "workflow_units_file": "y"},
            "run_analysis",
        ),
        ({"workflow_command_id": SAMPLE_COMMAND, "workflow_executing_entity": "../etc"}, "executing_entity"),
    ],
)
def test_bad_requests_fail_precisely_and_nothing_runs(sandbox, aws, cluster, tmp_path, dayoa_url, bad, expected):
    sandbox.clear_audit()
    run = run_playbook(
        LAUNCH, launch_vars(cluster, dayoa_url, "bad1", **bad), inventory=ssm_inventory(tmp_path, cluster)
    )
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
        replaced = run_playbook(
            LAUNCH,
            launch_vars(cluster, dayoa_url, "wgs3", workflow_replace_existing=True, workflow_dryrun=True, **common),
            inventory=inventory,
        )
    finally:
        stop_tmux(cluster, "wgs3")
    assert replaced.rc == 0, replaced.failures()
    assert not (existing / "keep.txt").exists()
    assert read_status(cluster, "wgs3")["exit_code"] == 0
