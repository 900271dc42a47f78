"""Unit tests for plugins/module_utils/readiness.py: headnode readiness checks on temporary directories.

Invariant guarded (reference/dayec_domain.md §12): 17, headnode readiness is checked before every launch; every
failing check is reported at once, each with what to do.
"""

import os
import shutil
from types import SimpleNamespace

import pytest

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import readiness


def make_tool(directory, name, executable=True):
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(0o755 if executable else 0o644)
    return path


@pytest.fixture
def headnode(tmp_path):
    """A ready headnode: mount with references, analysis root, tools in ~/.local/bin and /usr/bin stand-ins."""
    mount = tmp_path / "fsx"
    (mount / "references" / "runtime_assets" / "tool_specific_resources").mkdir(parents=True)
    (mount / "references" / "runtime_assets" / "tool_specific_resources" / "cromwell_87.jar").write_bytes(b"jar")
    (mount / "analysis_results").mkdir()
    local_bin = tmp_path / "home" / ".local" / "bin"
    system_bin = tmp_path / "usr" / "bin"
    make_tool(local_bin, "day-clone")
    make_tool(system_bin, "git")
    make_tool(system_bin, "tmux")
    return SimpleNamespace(mount=mount, local_bin=local_bin, system_bin=system_bin, tmp=tmp_path)


def settings(node, **params):
    params.setdefault("fsx_mount_point", str(node.mount))
    params.setdefault("require_mountpoint", False)
    params.setdefault("extra_path", [str(node.local_bin)])
    return readiness.resolve(params, environ_path=str(node.system_bin))


def by_id(checks):
    return {check["id"]: check for check in checks}


def test_ready_headnode_passes_every_check(headnode):
    config = settings(
        headnode, required_files=["references/runtime_assets/tool_specific_resources/cromwell_87.jar"], min_free_bytes=1
    )
    checks = readiness.run_checks(config)

    assert [check["id"] for check in checks] == [
        "fsx.mount",
        "fsx.references",
        "file:references/runtime_assets/tool_specific_resources/cromwell_87.jar",
        "tool:git",
        "tool:tmux",
        "tool:day-clone",
        f"directory:{headnode.mount}/analysis_results",
        f"forbidden:{headnode.mount}/runtime_assets",
        "fsx.free_space",
    ]
    assert readiness.failures(checks) == []
    assert all(check["status"] == "PASS" and check["remediation"] == "" for check in checks)
    assert by_id(checks)["tool:day-clone"]["details"] == f"day-clone is {headnode.local_bin / 'day-clone'}"
    assert readiness.summary(checks) == "The headnode is ready: all 9 checks passed."


def test_every_failing_check_is_reported_at_once_with_remediation(headnode):
    shutil.rmtree(headnode.mount / "references" / "runtime_assets")
    (headnode.mount / "analysis_results").rmdir()
    (headnode.mount / "runtime_assets").mkdir()
    (headnode.local_bin / "day-clone").unlink()
    (headnode.mount / "empty.txt").write_bytes(b"")

    config = settings(
        headnode,
        required_files=["references/runtime_assets/cached_envs/apptainer_1.4.5_amd64.deb", "empty.txt"],
        min_free_bytes=2**62,
    )
    checks = readiness.run_checks(config)
    failed = {check["id"]: check for check in readiness.failures(checks)}

    assert sorted(failed) == sorted(
        [
            "fsx.references",
            "file:references/runtime_assets/cached_envs/apptainer_1.4.5_amd64.deb",
            "file:empty.txt",
            "tool:day-clone",
            f"directory:{headnode.mount}/analysis_results",
            f"forbidden:{headnode.mount}/runtime_assets",
            "fsx.free_space",
        ]
    )
    assert all(check["remediation"] for check in failed.values())
    assert failed["fsx.references"]["details"] == f"{headnode.mount}/references is empty"
    assert (
        "reference bucket"
        in failed["file:references/runtime_assets/cached_envs/apptainer_1.4.5_amd64.deb"]["remediation"]
    )
    assert failed["file:empty.txt"]["details"].endswith("is empty (0 bytes)")
    assert "playbooks/headnode.yml" in failed["tool:day-clone"]["remediation"]
    assert "retired" in failed[f"forbidden:{headnode.mount}/runtime_assets"]["details"]

    message = readiness.summary(checks)
    assert message.startswith("The headnode is not ready: 7 of 10 checks failed.")
    for check_id, check in failed.items():
        assert f"[{check_id}]" in message and check["remediation"] in message


def test_missing_mount_fails_mount_and_everything_under_it(tmp_path):
    node = SimpleNamespace(mount=tmp_path / "nowhere", local_bin=tmp_path / "bin", system_bin=tmp_path / "sbin")
    checks = readiness.run_checks(settings(node, required_tools=[]))
    assert [(check["id"], check["status"]) for check in checks] == [
        ("fsx.mount", "FAIL"),
        ("fsx.references", "FAIL"),
        (f"directory:{node.mount}/analysis_results", "FAIL"),
        (f"forbidden:{node.mount}/runtime_assets", "PASS"),
    ]
    assert "does not exist" in checks[0]["details"]


def test_mount_point_required_unless_disabled(headnode):
    required = readiness.check_mount(str(headnode.mount), True, ismount=lambda path: False)
    assert required["status"] == "FAIL"
    assert "not a mount point" in required["details"]
    assert "require_mountpoint=false" in required["remediation"]

    assert readiness.check_mount(str(headnode.mount), True, ismount=lambda path: True)["status"] == "PASS"
    relaxed = readiness.check_mount(str(headnode.mount), False, ismount=lambda path: False)
    assert relaxed["status"] == "PASS"
    assert "mount point not required" in relaxed["details"]


def test_symlinked_mount_is_followed(headnode):
    link = headnode.tmp / "fsx-link"
    link.symlink_to(headnode.mount, target_is_directory=True)
    checks = readiness.run_checks(settings(headnode, fsx_mount_point=str(link)))
    assert readiness.failures(checks) == []


def test_references_must_be_a_directory(headnode):
    target = headnode.tmp / "refs-file"
    target.write_text("x")
    check = readiness.check_references(str(target))
    assert check["status"] == "FAIL" and "not a directory" in check["details"]


def test_non_executable_tool_is_not_found(headnode):
    make_tool(headnode.local_bin, "day-clone", executable=False)
    check = readiness.check_tool("day-clone", f"{headnode.local_bin}{os.pathsep}{headnode.system_bin}")
    assert check["status"] == "FAIL"
    assert str(headnode.local_bin) in check["details"]


def test_unknown_tool_gets_a_generic_hint(headnode):
    check = readiness.check_tool("snakemake", str(headnode.system_bin))
    assert check["remediation"] == "Install snakemake on the headnode, or add its directory to extra_path."


def test_read_only_directory_fails(headnode):
    # The write test is the kernel's access(2), which always grants root write access to a directory; ask it through a
    # stand-in that answers for an unprivileged user, so the failing branch runs whoever runs the tests (CI: root).
    root = headnode.mount / "analysis_results"
    asked = []

    def unprivileged_access(path, mode):
        asked.append((path, mode))
        return not mode & os.W_OK

    check = readiness.check_directory(str(root), access=unprivileged_access)

    assert asked == [(str(root), os.W_OK | os.X_OK)]
    assert check["status"] == "FAIL" and check["details"] == f"{root} is not writable by this user"
    assert check["remediation"] == f"Give the workflow user write access to {root}."


def test_writable_directory_passes_with_the_real_access_check(headnode):
    check = readiness.check_directory(str(headnode.mount / "analysis_results"))
    assert check["status"] == "PASS"


def test_defect_12_hints_name_the_variable_the_operator_sets(headnode):
    names = {
        "require_mountpoint": "headnode_require_mountpoint",
        "extra_path": "headnode_bin_dir",
        "required_files": "headnode_required_files",
    }
    checks = by_id(
        readiness.run_checks(
            settings(
                headnode,
                require_mountpoint=True,
                required_files=["references/absent"],
                required_tools=["snakemake"],
                option_names=names,
            )
        )
    )

    assert "set headnode_require_mountpoint=false only where" in checks["fsx.mount"]["remediation"]
    assert checks["tool:snakemake"]["remediation"].endswith("add its directory to headnode_bin_dir.")
    assert "remove it from" not in checks["file:references/absent"]["remediation"]  # a reference file: fix the bucket
    unnamed = by_id(readiness.run_checks(settings(headnode, require_mountpoint=True)))
    assert "set require_mountpoint=false only where" in unnamed["fsx.mount"]["remediation"]


def test_forbidden_dangling_symlink_counts_as_present(headnode):
    (headnode.mount / "runtime_assets").symlink_to(headnode.tmp / "gone")
    check = readiness.check_forbidden(str(headnode.mount / "runtime_assets"))
    assert check["status"] == "FAIL"


def test_free_space_uses_available_blocks():
    stats = SimpleNamespace(f_bavail=10, f_frsize=4096)
    assert readiness.check_free_space("/fsx", 40960, statvfs=lambda path: stats)["status"] == "PASS"
    low = readiness.check_free_space("/fsx", 40961, statvfs=lambda path: stats)
    assert low["status"] == "FAIL" and "40960 bytes free" in low["details"]


def test_free_space_unreadable(tmp_path):
    check = readiness.check_free_space(str(tmp_path / "absent"), 1)
    assert check["status"] == "FAIL" and "cannot read the free space" in check["details"]


def test_resolve_defaults_follow_the_mount_point():
    config = readiness.resolve({"fsx_mount_point": "/mnt/lustre/"}, environ_path="/usr/bin:/bin")
    assert config["fsx_mount_point"] == "/mnt/lustre"
    assert config["references_path"] == "/mnt/lustre/references"
    assert config["required_directories"] == ["/mnt/lustre/analysis_results"]
    assert config["forbidden_paths"] == ["/mnt/lustre/runtime_assets"]
    assert config["required_tools"] == ["git", "tmux", "day-clone"]
    assert config["search_path"] == "/usr/bin:/bin"
    assert config["min_free_bytes"] is None


def test_resolve_explicit_empty_lists_disable_checks_and_relative_paths_join_the_mount():
    config = readiness.resolve(
        {
            "fsx_mount_point": "/fsx",
            "required_directories": ["results", "/abs"],
            "forbidden_paths": [],
            "references_path": "refs",
            "extra_path": ["~/.local/bin"],
        },
        environ_path="/usr/bin",
    )
    assert config["required_directories"] == ["/fsx/results", "/abs"]
    assert config["forbidden_paths"] == []
    assert config["references_path"] == "/fsx/refs"
    assert config["search_path"] == os.path.expanduser("~/.local/bin") + os.pathsep + "/usr/bin"


@pytest.mark.parametrize("entry", ["/fsx/references/x", "~/x", "references/../x", "a//b", "./x", "", "/"])
def test_required_files_must_be_relative_and_clean(entry):
    with pytest.raises(ValueError, match="required_files entry"):
        readiness.resolve({"required_files": [entry]}, environ_path="")


def test_required_files_trailing_slash_is_dropped():
    assert readiness.relative_file("references/x/") == "references/x"


@pytest.mark.parametrize(
    "params, message",
    [
        ({"fsx_mount_point": "fsx"}, "must be an absolute path"),
        ({"min_free_bytes": -1}, "min_free_bytes"),
    ],
)
def test_resolve_rejects_bad_input(params, message):
    with pytest.raises(ValueError, match=message):
        readiness.resolve(params, environ_path="")
