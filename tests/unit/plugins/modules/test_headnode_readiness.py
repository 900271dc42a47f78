"""Unit tests for plugins/modules/headnode_readiness.py: main() on temporary "headnodes".

Invariant guarded (reference/dayec_domain.md §12): 17, headnode readiness is checked before every launch.
"""

import pytest

from ansible_collections.daylily.ephemeral_cluster.plugins.modules import headnode_readiness
from testlib.modules import execute_module


@pytest.fixture
def node(tmp_path, monkeypatch):
    """A ready headnode under tmp_path; PATH holds git and tmux, ~/.local/bin holds day-clone."""
    mount = tmp_path / "fsx"
    (mount / "references").mkdir(parents=True)
    (mount / "references" / "marker.txt").write_text("0.7.131c\n")
    (mount / "analysis_results").mkdir()
    home = tmp_path / "home"
    system_bin = tmp_path / "bin"
    for directory, name in ((home / ".local" / "bin", "day-clone"), (system_bin, "git"), (system_bin, "tmux")):
        directory.mkdir(parents=True, exist_ok=True)
        (directory / name).write_text("#!/bin/sh\n")
        (directory / name).chmod(0o755)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("PATH", str(system_bin))
    return mount


def run_module(capsys, args, check_mode=False):
    return execute_module(capsys, headnode_readiness.main, args, check_mode=check_mode)


def base_args(node, **extra):
    return dict({"fsx_mount_point": str(node), "require_mountpoint": False, "extra_path": ["~/.local/bin"]}, **extra)


def test_ready_headnode(node, capsys, tmp_path):
    rc, result = run_module(capsys, base_args(node, required_files=["references/marker.txt"], min_free_bytes=1))

    assert rc == 0
    assert result["ready"] is True and result["changed"] is False and result["failed_checks"] == []
    assert result["fsx_mount_point"] == str(node)
    assert result["search_path"] == f"{tmp_path}/home/.local/bin:{tmp_path}/bin"
    assert {check["status"] for check in result["checks"]} == {"PASS"}
    assert len(result["checks"]) == 9
    assert result["msg"] == "The headnode is ready: all 9 checks passed."


def test_not_ready_fails_listing_every_failure(node, capsys, tmp_path):
    (node / "references" / "marker.txt").unlink()
    (node / "runtime_assets").mkdir()
    (tmp_path / "home" / ".local" / "bin" / "day-clone").unlink()

    rc, result = run_module(
        capsys, base_args(node, required_files=["references/runtime_assets/tool_specific_resources/womtool_87.jar"])
    )

    assert rc == 1 and result["failed"] is True and result["ready"] is False
    assert result["failed_checks"] == [
        "fsx.references",
        "file:references/runtime_assets/tool_specific_resources/womtool_87.jar",
        "tool:day-clone",
        f"forbidden:{node}/runtime_assets",
    ]
    assert result["msg"].startswith("The headnode is not ready: 4 of 8 checks failed.")
    for check in result["checks"]:
        if check["status"] == "FAIL":
            assert check["remediation"] and check["remediation"] in result["msg"]
    assert len(result["checks"]) == 8


def test_not_ready_without_failing(node, capsys):
    (node / "analysis_results").rmdir()

    rc, result = run_module(capsys, base_args(node, fail_on_not_ready=False))

    assert rc == 0 and result["ready"] is False and "failed" not in result
    assert result["failed_checks"] == [f"directory:{node}/analysis_results"]
    assert "1 of 7 checks failed" in result["msg"]


def test_check_mode_runs_the_same_checks(node, capsys):
    rc, result = run_module(capsys, base_args(node), check_mode=True)
    assert rc == 0 and result["ready"] is True and result["changed"] is False


def test_mount_point_is_required_by_default(node, capsys):
    rc, result = run_module(capsys, {"fsx_mount_point": str(node), "extra_path": ["~/.local/bin"]})
    assert rc == 1 and result["failed_checks"] == ["fsx.mount"]
    assert "not a mount point" in result["msg"]


def test_default_tools_missing_from_path(node, capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))

    rc, result = run_module(
        capsys, {"fsx_mount_point": str(node), "require_mountpoint": False, "fail_on_not_ready": False}
    )

    assert rc == 0
    assert result["failed_checks"] == ["tool:git", "tool:tmux", "tool:day-clone"]


def test_bad_required_file_fails_before_checking(node, capsys):
    rc, result = run_module(capsys, base_args(node, required_files=["/etc/passwd"]))
    assert rc == 1 and "must be relative to the mount point" in result["msg"]
    assert "checks" not in result
