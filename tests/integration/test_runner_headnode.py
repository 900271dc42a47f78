"""The headnode playbooks through ansible-runner, as AWX runs them, the headnode reached over the collection's ssm
connection (SSM Run Command on the sandbox headnode): headnode.yml installs day-clone and checks readiness,
workflow_status.yml reports a run's state and Snakemake's job count from the headnode. Credentials come only from the
injected environment (env/envvars)."""

import json
import uuid
from pathlib import Path

import pytest

from sandbox.dayoa_repo import build_repository
from testlib.playbooks import ssm_inventory
from testlib.runner import run_with_runner

REPOSITORY_NAME = "daylily-omics-analysis"


@pytest.fixture
def credentials(sandbox_server):
    return dict(sandbox_server.environment, AWS_SECRET_ACCESS_KEY=f"runner-secret-{uuid.uuid4().hex}")


def test_headnode_installs_day_clone_over_ssm_and_a_second_job_changes_nothing(sandbox, cluster, credentials, tmp_path):
    answers = {
        "cluster_name": cluster["cluster_name"],
        "region": cluster["region"],
        "fsx_mount_point": cluster["fsx_mount"],
        "headnode_require_mountpoint": "false",  # a survey answer arrives as a string
        "headnode_repository_urls": {REPOSITORY_NAME: build_repository(tmp_path / "git")},
        "headnode_ssm_poll_interval": 1,
    }
    inventory = ssm_inventory(tmp_path, cluster)
    sandbox.clear_audit()
    job = run_with_runner("headnode.yml", tmp_path / "first", credentials, answers, inventory=inventory)
    assert (job.status, job.rc) == ("successful", 0), job.failures()
    home = Path(cluster["headnode_root"]) / "home" / "ubuntu"
    assert (home / ".local" / "bin" / "day-clone").is_file()
    assert sandbox.calls("SendCommand", "ssm"), "the headnode tasks went through SSM Run Command"
    assert credentials["AWS_SECRET_ACCESS_KEY"] not in job.stdout + json.dumps(job.events)

    again = run_with_runner("headnode.yml", tmp_path / "second", credentials, answers, inventory=inventory)
    assert (again.status, again.rc) == ("successful", 0), again.failures()
    assert again.changed_count() == 0


def test_workflow_status_reports_the_state_and_the_snakemake_job_count(sandbox, cluster, credentials, tmp_path):
    run_dir = Path(cluster["headnode_root"]) / "home" / "ubuntu" / "daylily-runs" / "run42"
    run_dir.mkdir(parents=True)
    status = {"command": "bin/day_run", "started_at": "2026-12-06T12:00:00Z", "completed_at": "2026-12-06T12:30:00Z"}
    (run_dir / "status.json").write_text(json.dumps(dict(status, exit_code=0)), encoding="utf-8")
    (run_dir / "tmux.log").write_text("Building DAG of jobs...\n3 of 8 steps (38%) done\n8 of 8 steps (100%) done\n")
    answers = {"workflow_session_name": "run42", "workflow_wait": "true", "workflow_poll_interval": 1}
    job = run_with_runner(
        "workflow_status.yml", tmp_path / "job", credentials, answers, inventory=ssm_inventory(tmp_path, cluster)
    )
    assert (job.status, job.rc) == ("successful", 0), job.failures()
    read = job.result(
        "daylily.ephemeral_cluster.workflow : Read the workflow's status (polling until it ends when workflow_wait=true; -v shows each poll)"
    )
    assert (read["state"], read["steps"]) == ("succeeded", {"done": 8, "total": 8})
    assert read["progress"] == "workflow run42 succeeded: 8 of 8 Snakemake jobs done"
    assert job.changed_count() == 0
