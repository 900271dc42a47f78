# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Headnode readiness checks (what DayEC checks before it launches a workflow), as pure functions.

No Ansible imports and no AWS: the checks look at the local file system and PATH of the machine they run on (the
headnode). Each check returns one result dict ``{"id", "status", "details", "remediation"}`` with status ``PASS``
or ``FAIL`` (DayEC's ``CheckResult`` shape without WARN); :func:`run_checks` runs every check and never stops at
the first failure, so an operator sees everything that is wrong in one run.

Check ids: ``fsx.mount``, ``fsx.references``, ``fsx.free_space``, ``file:<path relative to the mount>``,
``tool:<name>``, ``directory:<path>``, ``forbidden:<path>``.

Runs on the headnode's Python (3.9 or later).
"""

import os
import shutil

PASS = "PASS"
FAIL = "FAIL"
DEFAULT_MOUNT_POINT = "/fsx"
DEFAULT_TOOLS = ("git", "tmux", "day-clone")
# DayEC 5.x retired these roots; data there is from an old layout and must not be used.
RETIRED_ROOTS = ("runtime_assets",)

_TOOL_HINTS = {
    "day-clone": "Run the headnode role (playbooks/headnode.yml), which installs day-clone to ~/.local/bin.",
    "git": "Install git on the headnode (sudo apt-get install -y git); the cluster's post-install script normally does.",
    "tmux": "Install tmux on the headnode (sudo apt-get install -y tmux); workflows run in tmux sessions.",
}


def result(check_id, ok, details, remediation):
    """One check result; remediation is empty for a passing check."""
    return {
        "id": check_id,
        "status": PASS if ok else FAIL,
        "details": details,
        "remediation": "" if ok else remediation,
    }


def mount_path(mount_point, path):
    """``path`` with ``~`` expanded; a relative path is taken relative to the mount point."""
    path = os.path.expanduser(path)
    return path if os.path.isabs(path) else os.path.join(mount_point, path)


def relative_file(path):
    """Validate one entry of required_files: relative to the mount, no ``..``, ``.`` or empty segments."""
    if not isinstance(path, str) or not path.strip("/"):
        raise ValueError(f"required_files entry {path!r} must be a non-empty path relative to the mount point")
    if path.startswith("/") or path.startswith("~"):
        raise ValueError(
            f"required_files entry {path!r} must be relative to the mount point, e.g. references/marker.txt"
        )
    segments = path.rstrip("/").split("/")
    if any(segment in ("", ".", "..") for segment in segments):
        raise ValueError(f"required_files entry {path!r} must not contain empty ('//'), '.' or '..' segments")
    return "/".join(segments)


# --- checks ---------------------------------------------------------------------------------------------------


def option_name(option, names=None):
    """How a hint names ``option``: the variable the operator sets when a role drives the module (``names``)."""
    return (names or {}).get(option) or option


def check_mount(mount_point, require_mountpoint=True, ismount=os.path.ismount, names=None):
    """The file system is mounted at ``mount_point`` (or, when not required, the path is at least a directory)."""
    if not os.path.isdir(mount_point):
        return result(
            "fsx.mount",
            False,
            f"{mount_point} does not exist or is not a directory",
            f"Mount the cluster's FSx for Lustre file system at {mount_point} (ParallelCluster mounts it at boot from "
            "SharedStorage); check the file system is AVAILABLE and the headnode's mount logs (dmesg, /var/log/cloud-init-output.log).",
        )
    if require_mountpoint and not ismount(mount_point):
        return result(
            "fsx.mount",
            False,
            f"{mount_point} is a directory but not a mount point, so the file system is not mounted there",
            f"Mount the cluster's FSx for Lustre file system at {mount_point} (sudo mount -a, or check /etc/fstab and dmesg "
            f"for Lustre errors); set {option_name('require_mountpoint', names)}=false only where the mount point is a plain directory on purpose.",
        )
    kind = "a mount point" if require_mountpoint else "a directory (mount point not required)"
    return result("fsx.mount", True, f"{mount_point} is {kind}", "")


def check_references(references_path):
    """The startup DRA's directory exists and is not empty (batch import done)."""
    remedy = (
        "The /references/ startup data repository association imports the reference bucket when the cluster is created: "
        "check it is AVAILABLE (daylily.ephemeral_cluster.fsx_dra_info, file_system_path=/references/), that the "
        "reference bucket holds the reference data, and wait for the batch import to finish."
    )
    if not os.path.isdir(references_path):
        return result("fsx.references", False, f"{references_path} does not exist or is not a directory", remedy)
    try:
        with os.scandir(references_path) as entries:
            first = next(entries, None)
    except OSError as e:
        return result("fsx.references", False, f"{references_path} cannot be listed: {e.strerror or e}", remedy)
    if first is None:
        return result("fsx.references", False, f"{references_path} is empty", remedy)
    return result("fsx.references", True, f"{references_path} is a non-empty directory", "")


def check_file(mount_point, relative, names=None):
    """``<mount_point>/<relative>`` is a regular file (symlinks followed) with at least one byte."""
    path = os.path.join(mount_point, relative)
    check_id = f"file:{relative}"
    if relative.split("/", 1)[0] == "references":
        remedy = (
            f"Put {relative.split('/', 1)[1] if '/' in relative else relative} in the reference bucket (it appears under "
            f"{mount_point}/references/ through the startup association's auto-import), or fix the reference data version."
        )
    else:
        remedy = f"Create {path} with its expected content, or remove it from {option_name('required_files', names)}."
    try:
        size = os.stat(path).st_size
    except OSError as e:
        return result(check_id, False, f"{path} is missing ({e.strerror or e})", remedy)
    if not os.path.isfile(path):
        return result(check_id, False, f"{path} is not a regular file", remedy)
    if size == 0:
        return result(check_id, False, f"{path} is empty (0 bytes)", remedy)
    return result(check_id, True, f"{path} is a file of {size} bytes", "")


def check_tool(tool, search_path, names=None):
    """``tool`` resolves to an executable on ``search_path`` (an os.pathsep-separated string)."""
    found = shutil.which(tool, path=search_path)
    if found:
        return result(f"tool:{tool}", True, f"{tool} is {found}", "")
    hint = _TOOL_HINTS.get(
        tool, f"Install {tool} on the headnode, or add its directory to {option_name('extra_path', names)}."
    )
    return result(f"tool:{tool}", False, f"{tool} is not an executable on the search path {search_path}", hint)


def check_directory(path, access=os.access):
    """``path`` is a directory the current user can write into (outputs are written there)."""
    check_id = f"directory:{path}"
    remedy = f"Create {path} (the headnode role does: playbooks/headnode.yml) owned by the user who runs workflows."
    if not os.path.isdir(path):
        return result(check_id, False, f"{path} does not exist or is not a directory", remedy)
    if not access(path, os.W_OK | os.X_OK):
        return result(
            check_id, False, f"{path} is not writable by this user", f"Give the workflow user write access to {path}."
        )
    return result(check_id, True, f"{path} is a writable directory", "")


def check_forbidden(path):
    """``path`` must not exist (a retired layout whose data would be used by mistake)."""
    check_id = f"forbidden:{path}"
    if os.path.lexists(path):
        return result(
            check_id,
            False,
            f"{path} exists, but it is a retired root that must not be used",
            f"Move what is still needed out of {path} (reference assets belong under the references directory) and remove {path}.",
        )
    return result(check_id, True, f"{path} is absent", "")


def check_free_space(mount_point, min_free_bytes, statvfs=os.statvfs):
    """At least ``min_free_bytes`` are available to this user on the file system of ``mount_point``."""
    try:
        stats = statvfs(mount_point)
    except OSError as e:
        return result(
            "fsx.free_space",
            False,
            f"cannot read the free space of {mount_point}: {e.strerror or e}",
            f"Check that {mount_point} is mounted and readable.",
        )
    free = stats.f_bavail * stats.f_frsize
    if free < min_free_bytes:
        return result(
            "fsx.free_space",
            False,
            f"{mount_point} has {free} bytes free, fewer than the {min_free_bytes} required",
            f"Free space on {mount_point} (export and remove finished analyses), or create the cluster with a larger FSx size.",
        )
    return result(
        "fsx.free_space", True, f"{mount_point} has {free} bytes free (at least {min_free_bytes} required)", ""
    )


# --- the whole run ---------------------------------------------------------------------------------------------


def resolve(params, environ_path=None):
    """The effective settings from module-style parameters (None means "the default"); raises ValueError.

    Defaults that depend on the mount point: references ``<mount>/references``, directories
    ``[<mount>/analysis_results]``, forbidden ``[<mount>/<retired root>]``.
    """
    mount = os.path.expanduser(params.get("fsx_mount_point") or DEFAULT_MOUNT_POINT)
    if not os.path.isabs(mount):
        raise ValueError(f"fsx_mount_point {mount!r} must be an absolute path such as /fsx")
    mount = os.path.normpath(mount)
    min_free = params.get("min_free_bytes")
    if min_free is not None and min_free < 0:
        raise ValueError("min_free_bytes must be zero or positive")
    tools = params.get("required_tools")
    directories = params.get("required_directories")
    forbidden = params.get("forbidden_paths")
    extra = [os.path.expanduser(path) for path in params.get("extra_path") or []]
    path = environ_path if environ_path is not None else os.environ.get("PATH", os.defpath)
    return {
        "fsx_mount_point": mount,
        "require_mountpoint": params.get("require_mountpoint", True),
        "references_path": mount_path(mount, params.get("references_path") or "references"),
        "required_files": [relative_file(item) for item in params.get("required_files") or []],
        "required_tools": list(DEFAULT_TOOLS if tools is None else tools),
        "search_path": os.pathsep.join([entry for entry in extra + path.split(os.pathsep) if entry]),
        "required_directories": [
            mount_path(mount, item) for item in (["analysis_results"] if directories is None else directories)
        ],
        "forbidden_paths": [
            mount_path(mount, item) for item in (list(RETIRED_ROOTS) if forbidden is None else forbidden)
        ],
        "min_free_bytes": min_free,
        "option_names": dict(params.get("option_names") or {}),
    }


def run_checks(settings, ismount=os.path.ismount, statvfs=os.statvfs):
    """Every check for the ``resolve()``d settings, in a fixed order; all run whatever fails."""
    mount, names = settings["fsx_mount_point"], settings.get("option_names")
    checks = [
        check_mount(mount, settings["require_mountpoint"], ismount=ismount, names=names),
        check_references(settings["references_path"]),
    ]
    checks += [check_file(mount, relative, names=names) for relative in settings["required_files"]]
    checks += [check_tool(tool, settings["search_path"], names=names) for tool in settings["required_tools"]]
    checks += [check_directory(path) for path in settings["required_directories"]]
    checks += [check_forbidden(path) for path in settings["forbidden_paths"]]
    if settings["min_free_bytes"] is not None:
        checks.append(check_free_space(mount, settings["min_free_bytes"], statvfs=statvfs))
    return checks


def failures(checks):
    return [check for check in checks if check["status"] != PASS]


def summary(checks):
    """One message naming every failing check with what to do, or saying all passed."""
    failed = failures(checks)
    if not failed:
        return f"The headnode is ready: all {len(checks)} checks passed."
    lines = [f"The headnode is not ready: {len(failed)} of {len(checks)} checks failed."]
    lines += [f"[{check['id']}] {check['details']}. Fix: {check['remediation']}" for check in failed]
    return " ".join(lines)
