"""Unit tests for plugins/modules/dayoa_workflow.py and dayoa_workflow_info.py: main() on a temporary "headnode".

The headnode is tmp_path: a real tmux server (its own TMUX_TMPDIR), a stand-in day-clone on the search path that
makes the checkout and prints its marker like the real one, and a command that writes a file and exits.

Invariants guarded (reference/dayec_domain.md §12): 7 (the session name is one safe segment; nothing outside the run
root), 16 (an analysis dir or session is never reused unless replacement is explicit).
"""

import os
import subprocess
import time

import pytest

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import workflow
from ansible_collections.daylily.ephemeral_cluster.plugins.modules import dayoa_workflow
from ansible_collections.daylily.ephemeral_cluster.plugins.modules import dayoa_workflow_info
from testlib.modules import execute_module

DAY_CLONE = """#!/usr/bin/env bash
# Stand-in: day-clone --destination ID --executing-entity E --repository R --git-tag T --analysis-root ROOT
while [ $# -gt 0 ]; do case "$1" in --destination) d=$2;; --executing-entity) e=$2;; --repository) r=$2;;
  --analysis-root) root=$2;; esac; shift 2; done
[ -e "$root/$e/$d" ] && { echo "day-clone: error: analysis directory $root/$e/$d already exists" >&2; exit 3; }
mkdir -p "$root/$e/$d/$r" && echo "__DAYLILY_REPO_PATH__=$root/$e/$d/$r"
"""


@pytest.fixture
def node(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "day-clone").write_text(DAY_CLONE)
    (bin_dir / "day-clone").chmod(0o755)
    (tmp_path / "fsx" / "analysis_results").mkdir(parents=True)
    (tmp_path / "tmux").mkdir()
    monkeypatch.setenv("TMUX_TMPDIR", str(tmp_path / "tmux"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    yield tmp_path
    subprocess.run(["tmux", "kill-server"], capture_output=True, check=False)


def launch_args(node, **extra):
    return dict(
        {
            "executing_entity": "alice",
            "analysis_id": "run.42",
            "analysis_root": str(node / "fsx" / "analysis_results"),
            "repository": "daylily-omics-analysis",
            "git_tag": "2.0.26",
            "command": "echo done > finished.txt",
            "config_files": {"samples.tsv": "SAMPLEID\nS1\n"},
            "run_root": str(node / "runs"),
            "search_path": [str(node / "bin")],
        },
        **extra,
    )


def run(capsys, args, check_mode=False, diff=False):
    return execute_module(capsys, dayoa_workflow.main, args, check_mode=check_mode, diff=diff)


def wait_completed(run_dir, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = workflow.read_status(str(run_dir))
        if status and "completed_at" in status:
            return status
        time.sleep(0.1)
    raise AssertionError(f"{run_dir} did not complete")


def test_launch_starts_once_then_reports_the_state_unchanged(node, capsys):
    rc, first = run(capsys, launch_args(node))

    assert rc == 0, first
    assert first["changed"] is True and first["state"] == "started" and first["session_name"] == "run_42"
    repo = node / "fsx" / "analysis_results" / "alice" / "run.42" / "daylily-omics-analysis"
    assert first["repo_path"] == str(repo) and (repo / "config" / "samples.tsv").read_text() == "SAMPLEID\nS1\n"
    status = wait_completed(node / "runs" / "run_42")
    assert status["exit_code"] == 0 and (repo / "finished.txt").read_text() == "done\n"

    rc, second = run(capsys, launch_args(node))
    assert rc == 0 and second["changed"] is False and second["state"] == "succeeded"
    assert second["status"]["started_at"] == status["started_at"] and "already ran and succeeded" in second["msg"]


def test_check_mode_reports_what_it_would_start_and_changes_nothing(node, capsys):
    rc, result = run(capsys, launch_args(node), check_mode=True, diff=True)

    assert rc == 0 and result["changed"] is True and result["state"] == "would_start"
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"]["command"] == "echo done > finished.txt"
    assert result["diff"]["after"]["config_files"] == ["samples.tsv"]
    assert not (node / "fsx" / "analysis_results" / "alice").exists() and not (node / "runs").exists()


@pytest.mark.parametrize("name", ["../../escaped", "a.b", "a:b", "-x", "a b", ""])
def test_invariant_07_a_bad_session_name_is_refused_before_anything(node, capsys, name):
    args = launch_args(node, session_name=name, option_names={"session_name": "workflow_session_name"})
    if not name:
        args["analysis_id"] = "../x"  # the default comes from the analysis id, which is checked too
    rc, result = run(capsys, args)

    assert rc == 1 and result["reason"] == "invalid_name" and "nothing was launched" in result["msg"]
    assert ("workflow_session_name" if name else "analysis_id") in result["msg"]
    assert not (node / "runs").exists() and not (node / "escaped").exists()
    assert not (node / "fsx" / "analysis_results" / "alice").exists()


def test_missing_inputs_are_listed_and_nothing_is_launched(node, capsys):
    present = node / "S1_R1.fastq"
    present.write_text("@r\nA\n+\nI\n")
    required = [
        {"path": str(present), "source": "units.tsv line 2 ILMN_R1_PATH"},
        {"path": str(node / "S1_R2.fastq"), "source": "units.tsv line 2 ILMN_R2_PATH"},
    ]

    rc, result = run(capsys, launch_args(node, required_inputs=required))

    assert rc == 1 and result["reason"] == "inputs_missing"
    assert result["missing_inputs"] == required[1:]
    assert f"{node / 'S1_R2.fastq'} (units.tsv line 2 ILMN_R2_PATH)" in result["msg"]
    assert not (node / "fsx" / "analysis_results" / "alice").exists()


def test_invariant_16_a_foreign_analysis_dir_is_refused_naming_the_variable_then_replaced(node, capsys):
    foreign = node / "fsx" / "analysis_results" / "alice" / "run.42"
    foreign.mkdir(parents=True)
    (foreign / "keep.txt").write_text("earlier")
    names = {"replace_existing": "workflow_replace_existing"}

    rc, refused = run(capsys, launch_args(node, option_names=names))
    assert rc == 1 and refused["reason"] == "analysis_dir_exists"
    assert "workflow_replace_existing=true" in refused["msg"] and (foreign / "keep.txt").exists()

    rc, checked = run(capsys, launch_args(node, option_names=names, replace_existing=True), check_mode=True)
    assert rc == 0 and checked["diff"]["before"] == {"analysis_dir": str(foreign)} and (foreign / "keep.txt").exists()

    rc, replaced = run(capsys, launch_args(node, option_names=names, replace_existing=True))
    assert rc == 0 and replaced["state"] == "started" and not (foreign / "keep.txt").exists()
    wait_completed(node / "runs" / "run_42")


def test_invariant_16_a_session_running_something_else_is_refused(node, capsys):
    subprocess.run(["tmux", "new-session", "-d", "-s", "run_42", "sleep 30"], check=True)

    rc, result = run(capsys, launch_args(node))

    assert rc == 1 and result["reason"] == "session_exists" and "replace_existing=true" in result["msg"]
    assert not (node / "fsx" / "analysis_results" / "alice").exists()


def test_a_succeeded_run_is_not_replaced_even_when_replacement_is_allowed(node, capsys):
    run(capsys, launch_args(node))
    wait_completed(node / "runs" / "run_42")

    rc, again = run(capsys, launch_args(node, replace_existing=True))

    assert rc == 0 and again["changed"] is False and again["state"] == "succeeded"


def test_a_failed_run_is_reported_and_replaced_only_when_asked(node, capsys):
    run(capsys, launch_args(node, command="exit 3"))
    assert wait_completed(node / "runs" / "run_42")["exit_code"] == 3

    rc, reported = run(capsys, launch_args(node, command="exit 3"))
    assert rc == 0 and reported["changed"] is False and reported["state"] == "failed"

    rc, replaced = run(capsys, launch_args(node, command="exit 3", replace_existing=True))
    assert rc == 0 and replaced["changed"] is True and replaced["state"] == "started"
    wait_completed(node / "runs" / "run_42")


def test_run_links_point_each_run_at_its_mount(node, capsys):
    mount = node / "fsx" / "run_dir_mounts" / "R7"
    mount.mkdir(parents=True)
    runs = "RUNID\tPLATFORM\tRUN_DIR\tSOURCE_S3_URI\tMOUNT_ID\nR7\tILMN\t/fsx/run_dir_mounts/R7/\ts3://b/R7/\tR7\n"

    rc, result = run(capsys, launch_args(node, config_files={"runs.tsv": runs}, run_links={"R7": str(mount)}))

    assert rc == 0, result
    config = node / "fsx" / "analysis_results" / "alice" / "run.42" / "daylily-omics-analysis" / "config"
    assert (config / "run_dir_links" / "R7").resolve() == mount
    assert (config / "runs.tsv").read_text().splitlines()[1].split("\t")[2] == "config/run_dir_links/R7"
    wait_completed(node / "runs" / "run_42")


def test_info_lists_the_sessions_and_reports_one(node, capsys):
    run(capsys, launch_args(node))
    wait_completed(node / "runs" / "run_42")
    runs = str(node / "runs")

    rc, listed = execute_module(capsys, dayoa_workflow_info.main, {"run_root": runs})
    assert rc == 0 and listed["session_summaries"] == ["run_42 (succeeded)"] and "session_name" not in listed

    rc, one = execute_module(capsys, dayoa_workflow_info.main, {"run_root": runs, "session_name": "run_42"})
    assert rc == 0 and one["state"] == "succeeded" and one["completed"] is True and one["status"]["exit_code"] == 0

    rc, unknown = execute_module(
        capsys,
        dayoa_workflow_info.main,
        {"run_root": runs, "session_name": "nope", "option_names": {"session_name": "workflow_session_name"}},
    )
    assert (
        rc == 1
        and unknown["msg"]
        == f"No workflow session 'nope' under {runs}. Set workflow_session_name to one of: run_42 (succeeded)."
    )


def test_session_names():
    assert workflow.session_name("", "run.42") == "run_42"
    assert workflow.session_name("night-1_a", "run.42") == "night-1_a"
    for bad in ("a.b", "a:b", "../x", "x/y", "-x", "a%b"):
        with pytest.raises(ValueError):
            workflow.session_name(bad, "run42")


def test_run_state():
    assert workflow.run_state({"completed_at": "t", "exit_code": 0}, alive=False) == workflow.SUCCEEDED
    assert workflow.run_state({"completed_at": "t", "exit_code": 2}, alive=True) == workflow.FAILED
    assert workflow.run_state({"started_at": "t"}, alive=True) == workflow.RUNNING
    assert workflow.run_state({"started_at": "t"}, alive=False) == workflow.INTERRUPTED


def test_an_interrupted_run_names_what_relaunches_it(node, capsys):
    analysis = node / "fsx" / "analysis_results" / "alice" / "run.42"
    repo = analysis / "daylily-omics-analysis"
    repo.mkdir(parents=True)
    (node / "runs" / "run_42").mkdir(parents=True)
    (node / "runs" / "run_42" / "status.json").write_text(
        '{"session_name": "run_42", "repo_path": "%s", "command": "echo done > finished.txt", "started_at": "t"}' % repo
    )

    rc, result = run(capsys, launch_args(node, option_names={"replace_existing": "workflow_replace_existing"}))

    assert rc == 1 and result["reason"] == "interrupted" and "workflow_replace_existing=true" in result["msg"]
    assert os.path.isdir(repo)
