"""Operator defects of the launch, headnode and status playbooks (issue 8: items 8-12 and 15), against the sandbox.

Invariants guarded (reference/dayec_domain.md §12): 7 (outputs only under <analysis_root>/<entity>/<analysis_id>/,
every segment validated), 16 (an analysis dir or tmux session is never reused unless replacement is explicit),
17 (headnode readiness before every launch), 18 (the catalog's class rules decide the inputs).
"""

import json
import sys
from pathlib import Path

import pytest

from sandbox.dayoa_repo import REPOSITORY_NAME
from sandbox.dayoa_repo import build_repository
from testlib.playbooks import OPERATOR_PLAYBOOKS
from testlib.playbooks import run_playbook
from testlib.playbooks import ssm_headnode_vars
from testlib.playbooks import ssm_inventory
from testlib.workflow import SAMPLE_COMMAND
from testlib.workflow import export_on_success
from testlib.workflow import headnode_home
from testlib.workflow import launch_vars
from testlib.workflow import read_status
from testlib.workflow import sample_inputs
from testlib.workflow import stop_tmux

pytestmark = pytest.mark.integration

LAUNCH = str(OPERATOR_PLAYBOOKS / "launch.yml")
HEADNODE = str(OPERATOR_PLAYBOOKS / "headnode.yml")
STATUS = str(OPERATOR_PLAYBOOKS / "workflow_status.yml")
ROLE = "daylily.ephemeral_cluster.workflow : "
LAUNCH_TASK = (
    ROLE + "Clone at the pinned tag, write the inputs and start the workflow in tmux (one headnode round trip)"
)


@pytest.fixture(scope="module")
def dayoa_url(tmp_path_factory):
    return build_repository(tmp_path_factory.mktemp("dayoa-git"))


def sample_vars(cluster, tmp_path, dayoa_url, analysis_id, **extra):
    samples, units = sample_inputs(cluster, tmp_path)
    return launch_vars(
        cluster,
        dayoa_url,
        analysis_id,
        workflow_command_id=SAMPLE_COMMAND,
        workflow_samples_file=samples,
        workflow_units_file=units,
        **extra,
    )


def analysis_dir(cluster, analysis_id):
    return Path(cluster["fsx_mount"]) / "analysis_results" / "tester" / analysis_id


def test_defect_08_an_analysis_id_with_a_dot_gets_a_tmux_safe_session_and_exports_on_success(
    sandbox, aws, cluster, tmp_path, dayoa_url
):
    variables = sample_vars(
        cluster, tmp_path, dayoa_url, "wgs.8", workflow_dryrun=True, **export_on_success(cluster, tmp_path, "wgs.8")
    )
    try:
        run = run_playbook(LAUNCH, variables, inventory=ssm_inventory(tmp_path, cluster))
    finally:
        stop_tmux(cluster, "wgs_8")
    assert run.rc == 0, run.failures()
    launched = run.result(LAUNCH_TASK)
    assert launched["session_name"] == "wgs_8" and launched["state"] == "started"
    assert read_status(cluster, "wgs_8")["exit_code"] == 0
    assert next((tmp_path / "exports").rglob("fsx_export.yaml")).is_file()  # the on-success export was not skipped


@pytest.mark.parametrize("session", ["../../escaped", "a.b", "a:b", "-x"])
def test_defect_08_invariant_07_a_bad_session_name_is_refused_before_anything_runs(
    sandbox, aws, cluster, tmp_path, dayoa_url, session
):
    sandbox.clear_audit()
    run = run_playbook(
        LAUNCH,
        sample_vars(cluster, tmp_path, dayoa_url, "wgs81", workflow_session_name=session),
        inventory=ssm_inventory(tmp_path, cluster),
    )
    assert run.rc != 0
    assert "workflow_session_name" in run.failures() and repr(session) in run.failures()
    assert sandbox.calls("SendCommand", service="ssm") == []
    assert not analysis_dir(cluster, "wgs81").exists()
    assert not (Path(cluster["headnode_root"]) / "home" / "escaped").exists()
    assert not list(Path(cluster["headnode_root"]).rglob("escaped"))


def test_defect_09_invariant_16_a_second_launch_reports_the_state_unchanged(sandbox, aws, cluster, tmp_path, dayoa_url):
    inventory = ssm_inventory(tmp_path, cluster)
    variables = sample_vars(cluster, tmp_path, dayoa_url, "wgs9", workflow_dryrun=True)
    try:
        first = run_playbook(LAUNCH, variables, inventory=inventory)
        assert first.rc == 0, first.failures()
        assert first.result(LAUNCH_TASK)["changed"] is True
        started_at = read_status(cluster, "wgs9")["started_at"]

        again = run_playbook(LAUNCH, variables, inventory=inventory)
        checked = run_playbook(LAUNCH, variables, inventory=inventory, check=True, diff=True)
    finally:
        stop_tmux(cluster, "wgs9")
    assert again.rc == 0, again.failures()
    second = again.result(LAUNCH_TASK)
    assert second["changed"] is False and second["state"] == "succeeded"
    assert second["status"]["exit_code"] == 0 and "already ran" in second["msg"]
    assert again.changed_count() == 0, again.stats
    assert read_status(cluster, "wgs9")["started_at"] == started_at  # nothing was relaunched
    assert checked.rc == 0, checked.failures()
    assert checked.result(LAUNCH_TASK)["changed"] is False


def test_defect_09_check_mode_shows_what_it_would_start_and_changes_nothing(sandbox, aws, cluster, tmp_path, dayoa_url):
    inventory = ssm_inventory(tmp_path, cluster)
    run_playbook(
        HEADNODE,
        {
            "cluster_name": cluster["cluster_name"],
            "fsx_mount_point": cluster["fsx_mount"],
            "headnode_require_mountpoint": False,
            "headnode_ssm_poll_interval": 1,
            "headnode_repository_urls": {REPOSITORY_NAME: dayoa_url},
        },
        inventory=inventory,
    )

    run = run_playbook(
        LAUNCH, sample_vars(cluster, tmp_path, dayoa_url, "wgs10"), inventory=inventory, check=True, diff=True
    )

    assert run.rc == 0, run.failures()
    launch = run.result(LAUNCH_TASK)
    assert launch["changed"] is True and launch["state"] == "would_start"
    after = launch["diff"]["after"]
    assert after["session_name"] == "wgs10" and after["analysis_dir"] == str(analysis_dir(cluster, "wgs10"))
    assert after["command"].startswith("bin/day_run produce_snv_concordances") and after["git_tag"] == "2.0.26"
    assert after["config_files"] == ["samples.tsv", "units.tsv"]
    assert launch["diff"]["before"] == {}
    assert not analysis_dir(cluster, "wgs10").exists()
    assert not (headnode_home(cluster) / "daylily-runs" / "wgs10").exists()


def test_defect_10_a_missing_fastq_is_refused_before_launch(sandbox, aws, cluster, tmp_path, dayoa_url):
    variables = sample_vars(cluster, tmp_path, dayoa_url, "wgs11")
    missing = Path(cluster["fsx_mount"]) / "staging" / "remote_stage_demo" / "S2_R2.fastq"
    missing.unlink()
    try:
        run = run_playbook(LAUNCH, variables, inventory=ssm_inventory(tmp_path, cluster))
    finally:
        stop_tmux(cluster, "wgs11")
    assert run.rc != 0
    assert str(missing) in run.failures() and "units.tsv" in run.failures() and "ILMN_R2_PATH" in run.failures()
    assert not analysis_dir(cluster, "wgs11").exists()
    assert not (headnode_home(cluster) / "daylily-runs" / "wgs11").exists()


def test_defect_12_an_existing_analysis_dir_names_the_variable_that_replaces_it(
    sandbox, aws, cluster, tmp_path, dayoa_url
):
    existing = analysis_dir(cluster, "wgs12")
    existing.mkdir(parents=True)
    run = run_playbook(
        LAUNCH, sample_vars(cluster, tmp_path, dayoa_url, "wgs12"), inventory=ssm_inventory(tmp_path, cluster)
    )
    assert run.rc != 0
    assert "analysis_dir_exists" in run.failures() and "workflow_replace_existing=true" in run.failures()
    assert "replace_existing: true" not in run.failures()


def test_defect_11_headnode_playbook_honours_target_headnode(sandbox, cluster, tmp_path, node_tmp, dayoa_url):
    inventory = tmp_path / "inventory.json"
    inventory.write_text(
        json.dumps(
            {
                "all": {
                    "hosts": {
                        "localhost": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable},
                        "hn-b": ssm_headnode_vars(cluster),
                    }
                }
            }
        ),
        encoding="utf-8",
    )
    run = run_playbook(
        HEADNODE,
        {
            "cluster_name": cluster["cluster_name"],
            "fsx_mount_point": cluster["fsx_mount"],
            "target_headnode": "hn-b",
            "headnode_require_mountpoint": False,
            "headnode_ssm_poll_interval": 1,
            "headnode_repository_urls": {REPOSITORY_NAME: dayoa_url},
        },
        inventory=inventory,
    )
    assert run.rc == 0, run.failures()
    assert (headnode_home(cluster) / ".local" / "bin" / "day-clone").is_file()


def test_defect_15_workflow_status_without_a_session_says_what_to_pass_and_lists_the_sessions(
    sandbox, aws, cluster, tmp_path, dayoa_url
):
    inventory = ssm_inventory(tmp_path, cluster)
    try:
        launched = run_playbook(
            LAUNCH, sample_vars(cluster, tmp_path, dayoa_url, "wgs15", workflow_dryrun=True), inventory=inventory
        )
    finally:
        stop_tmux(cluster, "wgs15")
    assert launched.rc == 0, launched.failures()

    unnamed = run_playbook(STATUS, {}, inventory=inventory)
    wrong = run_playbook(STATUS, {"workflow_session_name": "nope"}, inventory=inventory)
    named = run_playbook(STATUS, {"workflow_session_name": "wgs15"}, inventory=inventory)

    assert (
        unnamed.rc != 0
        and "-e workflow_session_name=" in unnamed.failures()
        and "wgs15 (succeeded)" in unnamed.failures()
    )
    assert "undefined" not in unnamed.failures()
    assert wrong.rc != 0 and "'nope'" in wrong.failures() and "wgs15 (succeeded)" in wrong.failures()
    assert "File not found" not in wrong.failures()
    assert named.rc == 0, named.failures()
    shown = named.result("Show the status")["msg"]
    assert shown["state"] == "succeeded" and shown["status"]["exit_code"] == 0 and shown["log"]
