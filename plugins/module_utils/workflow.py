# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""A DayOA workflow run on the headnode: one tmux session, one run directory, one analysis directory.

The run directory ``<run_root>/<session>/`` holds ``launch.sh`` (what tmux runs), ``status.json`` (``session_name``,
``repo_path``, ``command``, ``started_at``, then ``completed_at`` and ``exit_code``) and ``tmux.log``. The analysis
directory ``<analysis_root>/<entity>/<analysis_id>/`` holds the checkout that ``day-clone`` makes at the pinned tag.

Pure Python plus ``tmux``/``day-clone`` subprocesses; runs on the headnode's Python (3.9 or later) and, for the name
rules, on the controller.
"""

import json
import os
import re
import shlex
import shutil
import subprocess
import time

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import paths

# tmux turns '.' and ':' into '_' (they address windows and panes), so a session name keeps only these characters.
_SESSION_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
SESSION_EXPECTED = (
    "one path segment of letters, digits, '_' and '-' starting with a letter or digit (tmux forbids '.' and ':')"
)
DEFAULT_RUN_ROOT = "~/daylily-runs"
STATUS_FILE, LOG_FILE, LAUNCH_FILE = "status.json", "tmux.log", "launch.sh"
RUN_LINKS_DIR = "config/run_dir_links"

# Launch outcomes and the states of an existing run.
STARTED, WOULD_START = "started", "would_start"
RUNNING, SUCCEEDED, FAILED, INTERRUPTED = "running", "succeeded", "failed", "interrupted"


class WorkflowError(Exception):
    """A refusal with its reason code (``session_exists``, ``analysis_dir_exists``, ...) and what to do."""

    def __init__(self, code, message, **details):
        super().__init__("%s: %s" % (code, message))
        self.code = code
        self.details = details


def option_name(option, names=None):
    """How a message names ``option``: the variable the operator sets when a role drives the module."""
    return (names or {}).get(option) or option


# --------------------------------------------------------------------------------------------------------------
# names


def session_name(name, analysis_id, field="session_name"):
    """The tmux session of an analysis: ``name`` when given (validated), else the analysis id made tmux-safe.

    A name that tmux would rename ('.', ':') is refused rather than changed, so the operator's name is the one that runs;
    the default replaces the '.' an analysis id may hold with '_'. Raises :class:`paths.SegmentError`.
    """
    if name:
        try:
            paths.validate_segment(name, field=field)
        except paths.SegmentError as exc:
            raise paths.SegmentError(field, name, exc.problem, SESSION_EXPECTED) from exc
        if not _SESSION_RE.fullmatch(name):
            raise paths.SegmentError(field, name, "contains '.' or ':', which tmux replaces", SESSION_EXPECTED)
        return name
    paths.validate_segment(analysis_id, field="analysis_id")
    return analysis_id.replace(".", "_")


def run_dir(run_root, session):
    """``<run_root>/<session>`` with ``~`` expanded (on the host this runs on)."""
    return os.path.join(os.path.expanduser(run_root or DEFAULT_RUN_ROOT), session)


# --------------------------------------------------------------------------------------------------------------
# reading a run


def read_status(directory):
    """status.json of a run directory as a dict, or None when it is missing or unreadable."""
    try:
        with open(os.path.join(directory, STATUS_FILE), encoding="utf-8") as handle:
            status = json.load(handle)
    except (OSError, ValueError):
        return None
    return status if isinstance(status, dict) else None


def session_alive(session, runner=subprocess.run):
    """Whether tmux has exactly this session (``=`` prevents tmux's prefix matching)."""
    try:
        # pylint: disable-next=ansible-bad-function  # the runner is injectable (tests); the module passes none
        return runner(["tmux", "has-session", "-t", "=" + session], capture_output=True, check=False).returncode == 0
    except OSError:
        return False


def run_state(status, alive):
    """``running``, ``succeeded``, ``failed`` or ``interrupted`` (tmux ended without writing an exit code)."""
    if status.get("completed_at") is not None:
        return SUCCEEDED if status.get("exit_code") == 0 else FAILED
    return RUNNING if alive else INTERRUPTED


def list_runs(run_root, alive=session_alive):
    """Every run directory under ``run_root`` with a status.json: ``[{session_name, run_dir, state, status}]``, by name."""
    root = os.path.expanduser(run_root or DEFAULT_RUN_ROOT)
    try:
        names = sorted(os.listdir(root))
    except OSError:
        return []
    runs = []
    for name in names:
        status = read_status(os.path.join(root, name))
        if status is not None:
            runs.append(
                {
                    "session_name": name,
                    "run_dir": os.path.join(root, name),
                    "state": run_state(status, alive(name)),
                    "status": status,
                }
            )
    return runs


def log_tail(directory, lines=40):
    """The last ``lines`` lines of tmux.log ([] when there is none)."""
    try:
        with open(os.path.join(directory, LOG_FILE), encoding="utf-8", errors="replace") as handle:
            return [line.rstrip("\n") for line in handle.readlines()[-lines:]] if lines > 0 else []
    except OSError:
        return []


# Snakemake's own progress line, "12 of 40 steps (30%) done", written after every finished job.
SNAKEMAKE_STEPS = re.compile(r"\b(\d+) of (\d+) steps \(\d+%\) done\b")


def snakemake_steps(directory):
    """``(done, total)`` from the last progress line Snakemake wrote to tmux.log, or None before the first job ends."""
    found = None
    try:
        with open(os.path.join(directory, LOG_FILE), encoding="utf-8", errors="replace") as handle:
            for line in handle:
                match = SNAKEMAKE_STEPS.search(line)
                if match:
                    found = (int(match.group(1)), int(match.group(2)))
    except OSError:
        return None
    return found


def progress_line(session, state, steps):
    """One line for an operator watching a wait: the session, its state and Snakemake's job count."""
    jobs = "%d of %d Snakemake jobs done" % steps if steps else "no Snakemake job finished yet"
    return "workflow %s %s: %s" % (session, state, jobs)


# --------------------------------------------------------------------------------------------------------------
# the launch


def missing_inputs(required):
    """``required``: ``[{path, source}]``; those whose path does not exist on this host."""
    return [item for item in required if not os.path.exists(item["path"])]


def links_into_run_context(text, run_links):
    """runs.tsv with each run's RUN_DIR pointing at ``config/run_dir_links/<RUNID>`` (the link to its run mount)."""
    lines = text.split("\n")
    header = lines[0].rstrip("\r").split("\t")
    if "RUN_DIR" not in header or "RUNID" not in header:
        return text
    run_dir_at, run_id_at = header.index("RUN_DIR"), header.index("RUNID")
    for number, line in enumerate(lines[1:], start=1):
        values = line.rstrip("\r").split("\t")
        if len(values) == len(header) and values[run_id_at] in run_links:
            values[run_dir_at] = RUN_LINKS_DIR + "/" + values[run_id_at]
            lines[number] = "\t".join(values)
    return "\n".join(lines)


# status.json is written by the session itself, so it is true even when no one watches.
LAUNCH_SCRIPT = r"""#!/usr/bin/env bash
# Runs inside the tmux session: the workflow, then its status.
set -u
run_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
write_status() {
  python3 - "$run_dir/status.json" "$@" <<'PY'
import json, os, sys
path, fields = sys.argv[1], dict(zip(sys.argv[2::2], sys.argv[3::2]))
try:
    with open(path, encoding="utf-8") as handle:
        status = json.load(handle)
except (OSError, ValueError):
    status = {}
for key, value in fields.items():
    status[key] = int(value) if key == "exit_code" else value
with open(path + ".tmp", "w", encoding="utf-8") as handle:
    json.dump(status, handle, indent=2, sort_keys=True)
os.replace(path + ".tmp", path)
PY
}
cd %(repo_path)s
write_status session_name %(session)s repo_path %(repo_path)s started_at "$(date -u +%%Y-%%m-%%dT%%H:%%M:%%SZ)" \
  command %(command_q)s
# A subshell, so a command that exits still leaves its status behind.
( %(command)s )
rc=$?
write_status completed_at "$(date -u +%%Y-%%m-%%dT%%H:%%M:%%SZ)" exit_code "$rc"
exit "$rc"
"""


def launch_script(session, repo_path, command):
    return LAUNCH_SCRIPT % {
        "session": shlex.quote(session),
        "repo_path": shlex.quote(repo_path),
        "command_q": shlex.quote(command),
        "command": command,
    }


class Launch:
    """One launch request on the headnode; :meth:`plan` decides, :meth:`start` acts.

    ``request`` keys: session_name, analysis_root, executing_entity, analysis_id, repository, git_tag, repository_url,
    command, config_files ({name: text}), run_links ({RUNID: headnode path}), required_inputs ([{path, source}]),
    run_root, search_path (directories put before PATH), replace_existing, start_timeout, option_names.
    """

    def __init__(self, request, runner=subprocess.run):
        self.request = request
        self.runner = runner
        names = request.get("option_names")
        self.replace_hint = "%s=true" % option_name("replace_existing", names)
        self.session = session_name(
            request["session_name"], request["analysis_id"], field=option_name("session_name", names)
        )
        entity = paths.validate_segment(request["executing_entity"], field="executing_entity")
        analysis_id = paths.validate_segment(request["analysis_id"], field="analysis_id")
        paths.validate_segment(request["repository"], field="repository")
        self.analysis_root = os.path.normpath(os.path.expanduser(request["analysis_root"]))
        self.analysis_dir = os.path.join(self.analysis_root, entity, analysis_id)
        self.repo_path = os.path.join(self.analysis_dir, request["repository"])
        self.run_dir = run_dir(request.get("run_root"), self.session)
        self.environ = dict(os.environ)
        extra = [os.path.expanduser(entry) for entry in request.get("search_path") or []]
        self.environ["PATH"] = os.pathsep.join(extra + [self.environ.get("PATH", os.defpath)])

    def _alive(self):
        return session_alive(self.session, runner=self._run)

    def _run(self, argv, **kwargs):
        kwargs.setdefault("env", self.environ)
        kwargs.setdefault("check", False)  # callers read returncode themselves
        # pylint: disable-next=ansible-bad-function,subprocess-run-check  # an injectable runner, as above
        return self.runner(argv, **kwargs)

    def description(self):
        """What the launch starts (the diff's ``after``)."""
        return {
            "session_name": self.session,
            "run_dir": self.run_dir,
            "analysis_dir": self.analysis_dir,
            "repo_path": self.repo_path,
            "repository": self.request["repository"],
            "git_tag": self.request["git_tag"],
            "command": self.request["command"],
            "config_files": sorted(self.request.get("config_files") or {}),
            "run_links": dict(sorted((self.request.get("run_links") or {}).items())),
        }

    def existing(self):
        """The run this launch already made (``{state, status}``), or None. Raises WorkflowError on a conflict."""
        status = read_status(self.run_dir)
        alive = self._alive()
        ours = (
            status is not None
            and status.get("repo_path") == self.repo_path
            and status.get("command") == self.request["command"]
            and os.path.isdir(self.analysis_dir)
        )
        replace = self.request.get("replace_existing")
        if ours:
            state = run_state(status, alive)
            # A running or finished run is reported, never replaced: replacement is for failures and foreign leftovers.
            if state in (RUNNING, SUCCEEDED) or (state == FAILED and not replace):
                return {"state": state, "status": status}
            if state == INTERRUPTED and not replace:
                raise WorkflowError(
                    "interrupted",
                    "the tmux session %s of %s ended without writing its exit code (see %s); set %s to "
                    "start it again in a fresh analysis directory"
                    % (self.session, self.analysis_dir, os.path.join(self.run_dir, LOG_FILE), self.replace_hint),
                )
        if replace:
            return None
        if alive:
            raise WorkflowError(
                "session_exists",
                "tmux session %s is already running %s; attach to it, choose another session name, "
                "or set %s to stop it and start again"
                % (self.session, "another analysis" if status else "something else", self.replace_hint),
            )
        if os.path.lexists(self.analysis_dir):
            raise WorkflowError(
                "analysis_dir_exists",
                "%s already exists and holds no run of this command; choose another analysis id, "
                "or set %s to replace exactly this directory" % (self.analysis_dir, self.replace_hint),
            )
        return None

    def plan(self):
        """``(state, existing status)``: ``would_start`` or the state of the run that exists. Changes nothing."""
        found = self.existing()
        if found is not None:
            return found["state"], found["status"]
        missing = missing_inputs(self.request.get("required_inputs") or [])
        if missing:
            raise WorkflowError(
                "inputs_missing",
                "%d input file(s) named by the command's input tables do not exist on the headnode: %s. "
                "Stage them (or fix the paths in the tables); nothing was launched."
                % (len(missing), "; ".join("%s (%s)" % (item["path"], item["source"]) for item in missing)),
                missing_inputs=missing,
            )
        return WOULD_START, None

    def replaced(self):
        """What a launch with replace_existing removes first (the diff's ``before``); {} when nothing."""
        if not self.request.get("replace_existing"):
            return {}
        before = {}
        if self._alive():
            before["session_name"] = self.session
        if os.path.lexists(self.analysis_dir):
            before["analysis_dir"] = self.analysis_dir
        return before

    def _replace(self):
        if self._alive():
            self._run(["tmux", "kill-session", "-t", "=" + self.session], capture_output=True, check=False)
        if os.path.lexists(self.analysis_dir):
            _remove(self.analysis_dir)

    def _clone(self):
        request = self.request
        argv = [
            "day-clone",
            "--destination",
            request["analysis_id"],
            "--executing-entity",
            request["executing_entity"],
            "--repository",
            request["repository"],
            "--git-tag",
            request["git_tag"],
            "--analysis-root",
            self.analysis_root,
        ]
        if request.get("repository_url"):
            argv += ["--repository-url", request["repository_url"]]
        try:
            done = self._run(argv, capture_output=True, text=True, check=False)
        except OSError as exc:
            raise WorkflowError(
                "clone_failed", "cannot run day-clone (%s); run the headnode role, which installs it" % exc
            ) from exc
        markers = [line for line in done.stdout.splitlines() if line.startswith("__DAYLILY_REPO_PATH__=")]
        if done.returncode != 0 or not markers:
            raise WorkflowError("clone_failed", (done.stderr.strip() or "day-clone printed no repository path")[-2000:])
        self.repo_path = markers[-1].split("=", 1)[1]

    def _write_inputs(self):
        config = os.path.join(self.repo_path, "config")
        os.makedirs(config, exist_ok=True)
        run_links = self.request.get("run_links") or {}
        for name, text in (self.request.get("config_files") or {}).items():
            if name == "runs.tsv" and run_links:
                text = links_into_run_context(text, run_links)
            with open(
                os.path.join(config, paths.validate_segment(name, field="config_files")), "w", encoding="utf-8"
            ) as out:
                out.write(text)
        if run_links:
            links = os.path.join(self.repo_path, RUN_LINKS_DIR)
            os.makedirs(links, exist_ok=True)
            for run_id, target in run_links.items():
                link = os.path.join(links, paths.validate_segment(run_id, field="RUNID"))
                if os.path.lexists(link):
                    os.unlink(link)
                os.symlink(target, link)

    def start(self):
        """Clone, write the inputs, start tmux and wait until the session has written status.json; returns it."""
        if self.request.get("replace_existing"):
            self._replace()
        self._clone()
        self._write_inputs()
        os.makedirs(self.run_dir, exist_ok=True)
        script = os.path.join(self.run_dir, LAUNCH_FILE)
        with open(script, "w", encoding="utf-8") as out:
            out.write(launch_script(self.session, self.repo_path, self.request["command"]))
        os.chmod(script, 0o755)
        if os.path.exists(os.path.join(self.run_dir, STATUS_FILE)):
            os.unlink(os.path.join(self.run_dir, STATUS_FILE))
        log = os.path.join(self.run_dir, LOG_FILE)
        open(log, "w").close()
        shell = "bash %s >> %s 2>&1" % (shlex.quote(script), shlex.quote(log))
        started = self._run(
            ["tmux", "new-session", "-d", "-s", self.session, shell], capture_output=True, text=True, check=False
        )
        if started.returncode != 0:
            raise WorkflowError(
                "session_start_failed", "tmux could not start session %s: %s" % (self.session, started.stderr.strip())
            )
        deadline = time.monotonic() + float(self.request.get("start_timeout") or 10)
        while True:
            status = read_status(self.run_dir)
            if status is not None or time.monotonic() >= deadline:
                break
            time.sleep(0.2)
        if status is None:
            raise WorkflowError(
                "session_start_timeout",
                "the workflow did not write %s within %s s; see %s"
                % (STATUS_FILE, self.request.get("start_timeout") or 10, log),
            )
        return status


def _remove(path):
    """Remove exactly ``path`` (a directory tree, or a link or file in its place)."""
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    else:
        os.unlink(path)
