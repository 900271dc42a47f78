# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Ansible's housekeeping commands, answered or deferred so that they ride on the next real command.

An action such as ``copy`` or ``template`` surrounds its modules with small shell commands: ``echo ~`` (where is
home), a ``mkdir`` of its remote temporary directory, the file transfer, a ``chmod`` of what it transferred, and a
final ``rm -rf``. Over SSH each is a cheap round trip; over SSM Run Command each is a ``SendCommand`` plus polling.
Nothing in them needs to run on its own:

* ``echo ~`` prints the home directory, which every earlier command's frame already reported: answered locally.
* The ``mkdir`` of the temporary directory prints the path it was given (already expanded, checked to hold no
  shell-special characters): answered locally, and the ``mkdir`` itself runs first thing in the next command.
* A file transferred into that directory, and a ``chmod`` of paths in it, are likewise queued for the next command.
* The final ``rm -rf`` of a temporary directory that was never made is answered locally and its queued steps dropped.

The queued steps run, in order, as the command's user, before the command itself, in the same ``SendCommand``
(see :func:`prelude_script`). If one fails, the command does not run and reports exit code 125 with a message
naming the step, so a failure is never lost: it surfaces on the command that depended on it. Any command this
module does not recognise byte for byte simply runs, carrying the queue with it; no order ever changes.

Pure logic: no AWS calls, no I/O, no Ansible imports.
"""

from __future__ import annotations

import dataclasses
import re
import shlex

# Paths that echo, the shell and chmod all take literally (no quoting, globbing, expansion or word splitting).
_PLAIN_PATH = re.compile(r"^/[A-Za-z0-9._/+@:,%=-]*$")
_SHELLS = frozenset({"/bin/sh", "/bin/bash", "/usr/bin/sh", "/usr/bin/bash", "sh", "bash"})
# ansible.plugins.shell.ShellBase.mkdtemp, POSIX shells: ( umask U && mkdir -p "` echo BASE `"&& mkdir "` echo DIR `"
# && echo NAME="` echo DIR `" )
_MKDTEMP = re.compile(
    r'^\( umask (?P<umask>[0-7]{1,4}) && mkdir -p "` echo (?P<base>\S+) `"&& mkdir "` echo (?P<dir>\S+) `" '
    r'&& echo (?P<name>[A-Za-z0-9._-]+)="` echo (?P<echoed>\S+) `" \)$'
)
# ShellBase.remove(path, recurse=True)
_REMOVE = re.compile(r"^rm -f -r (?P<path>\S+) > /dev/null 2>&1$")
_SYMBOLIC_MODE = re.compile(r"^[ugoa]*[-+=][rwxXst]*(,[ugoa]*[-+=][rwxXst]*)*$")
_OCTAL_MODE = re.compile(r"^[0-7]{3,4}$")
# Exit code of a command whose queued steps failed (the same code the wrapper uses for its own failures).
STEP_FAILED_RC = 125


@dataclasses.dataclass(frozen=True)
class Housekeeping:
    """One recognised housekeeping command."""

    kind: str  # "home", "mkdtemp", "chmod" or "remove"
    paths: tuple = ()
    mode: str = ""  # chmod
    umask: str = ""  # mkdtemp
    base: str = ""  # mkdtemp: the parent made with mkdir -p
    name: str = ""  # mkdtemp: the name Ansible reads back before "="


@dataclasses.dataclass(frozen=True)
class PutStep:
    """A file transfer queued for the next command: ``source`` is a file name in the wrapper's work directory."""

    path: str
    source: str
    sha256: str

    @property
    def paths(self):
        return (self.path,)


def _plain(path):
    return bool(_PLAIN_PATH.match(path)) and "/../" not in f"{path}/" and "//" not in path


def _inner(command):
    """The script of ``<shell> -c '<script>'``, the form Ansible's low-level commands take; None otherwise."""
    try:
        text = command.decode("utf-8") if isinstance(command, bytes) else command
        words = shlex.split(text)
    except (UnicodeDecodeError, ValueError):
        return None
    if len(words) != 3 or words[0] not in _SHELLS or words[1] != "-c":
        return None
    return words[2]


def recognize(command):
    """The :class:`Housekeeping` that ``command`` (bytes or str, as the connection receives it) is, else None."""
    inner = _inner(command)
    if inner is None:
        return None
    if inner == "echo ~":
        return Housekeeping("home")
    match = _MKDTEMP.match(inner)
    if match:
        base, directory, name = match.group("base"), match.group("dir"), match.group("name")
        if (
            _plain(base)
            and _plain(directory)
            and match.group("echoed") == directory
            and directory == f"{base.rstrip('/')}/{name}"
        ):
            return Housekeeping("mkdtemp", paths=(directory,), umask=match.group("umask"), base=base, name=name)
        return None
    match = _REMOVE.match(inner)
    if match:
        path = match.group("path")
        return Housekeeping("remove", paths=(path,)) if _plain(path) else None
    try:
        words = shlex.split(inner)
    except ValueError:
        return None
    if (
        len(words) >= 3
        and words[0] == "chmod"
        and (_SYMBOLIC_MODE.match(words[1]) or _OCTAL_MODE.match(words[1]))
        and all(_plain(path) for path in words[2:])
    ):
        return Housekeeping("chmod", paths=tuple(words[2:]), mode=words[1])
    return None


def _inside(path, directory):
    path, directory = path.rstrip("/"), directory.rstrip("/")
    return path == directory or path.startswith(directory + "/")


class HousekeepingQueue:
    """Steps waiting for the next command on one connection, and the temporary directories they concern."""

    def __init__(self):
        self.steps = []  # Housekeeping (mkdtemp, chmod) and PutStep, in the order Ansible asked for them
        self.tmpdirs = set()  # every directory a mkdtemp was answered for on this connection
        self.unmade = set()  # those whose mkdir is still queued

    def __bool__(self):
        return bool(self.steps)

    def answer(self, step, home):
        """(rc, stdout) to give Ansible instead of running ``step``, queueing what must still happen; None when
        ``step`` has to run now."""
        if step.kind == "home":
            return (0, f"{home}\n".encode("utf-8", "surrogateescape")) if home and _plain(home) else None
        if step.kind == "mkdtemp":
            directory = step.paths[0]
            self.steps.append(step)
            self.tmpdirs.add(directory)
            self.unmade.add(directory)
            return 0, f"{step.name}={directory}\n".encode()
        if step.kind == "chmod":
            if all(self.holds(path) for path in step.paths):
                self.steps.append(step)
                return 0, b""
            return None
        if step.kind == "remove":
            target = step.paths[0]
            never_made = any(_inside(target, directory) for directory in self.unmade)
            self.discard_under(target)  # steps inside what is about to be removed are moot
            # Removing what was never made needs no command; anything else runs (carrying the rest of the queue).
            return (0, b"") if never_made else None
        raise ValueError(f"unknown housekeeping step {step.kind!r}")

    def holds(self, path):
        """True when ``path`` lies in a temporary directory made (or to be made) for this connection's actions."""
        return any(_inside(path, directory) for directory in self.tmpdirs)

    def add_put(self, path, source, sha256):
        self.steps.append(PutStep(path, source, sha256))

    def discard_under(self, target):
        """Forget queued steps that only concern ``target`` or paths inside it (the runner then lets go of the
        files no step needs any more)."""
        self.steps = [step for step in self.steps if not all(_inside(path, target) for path in step.paths)]
        self.unmade = {directory for directory in self.unmade if not _inside(directory, target)}

    def take(self):
        """The queued steps, emptying the queue (the caller sends them with its command)."""
        steps, self.steps = self.steps, []
        self.unmade = set()
        return steps


def _describe(step):
    if isinstance(step, PutStep):
        return f"transfer of {step.path}"
    if step.kind == "mkdtemp":
        return f"mkdir {step.paths[0]}"
    return f"chmod {step.mode} {' '.join(step.paths)}"


def prelude_script(steps):
    """A bash script (argument 1: the wrapper's work directory) that carries out ``steps`` in order; on the first
    failure it prints ``dayec-ssm: deferred <step> failed`` on stderr and exits non-zero."""
    lines = ['failed() { echo "dayec-ssm: deferred $1 failed; the command did not run" >&2; exit 1; }\n']
    for step in steps:
        what = shlex.quote(_describe(step))
        if isinstance(step, PutStep):
            path = shlex.quote(step.path)
            lines.append(
                f'cat "$1/{step.source}" > {path} && '
                f'[ "$(sha256sum < {path} | cut -c1-64)" = {step.sha256} ] || failed {what}\n'
            )
        elif step.kind == "mkdtemp":
            lines.append(
                f"( umask {step.umask} && mkdir -p {shlex.quote(step.base)} && "
                f"mkdir {shlex.quote(step.paths[0])} ) || failed {what}\n"
            )
        else:
            lines.append(
                f"chmod {shlex.quote(step.mode)} {' '.join(shlex.quote(p) for p in step.paths)} || failed {what}\n"
            )
    return "".join(lines)
