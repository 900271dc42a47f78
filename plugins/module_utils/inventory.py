# -*- coding: utf-8 -*-
# Copyright: Daylily ephemeral cluster maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Inventory of a directory tree (an analysis directory on the headnode) for daylily.ephemeral_cluster.

Pure standard-library code (no Ansible), Python >= 3.9: the ``analysis_inventory`` module runs it on the headnode.

:func:`walk_tree` walks with ``os.scandir`` and an explicit stack (no recursion limit) and streams one
:class:`TreeEntry` per file or symlink, in the order of their relative POSIX paths (a directory's children are
visited in the order of ``name`` for files and ``name + "/"`` for directories, which is exactly the sorted order of
the full relative paths, so streaming output is sorted without holding the tree). :func:`scan_tree` adds SHA-256
(:mod:`digests`, in parallel) and yields plain records ``{path, size, type, sha256?, target?}``.

Counting rules (:class:`TreeCounts`): ``file_count``/``total_bytes`` are regular files; ``symlink_count`` every
symlink met; ``directory_count`` the directories below the root; ``special_count`` sockets, FIFOs and devices,
which are counted but neither listed nor hashed. Without ``follow_symlinks`` a symlink is listed as a symlink
(its size is the length of its target, as ``lstat`` reports) and never followed. With it, a symlink to a file is
listed as that file, a symlink to a directory is walked once (loops are cut by device and inode), a dangling
symlink is still listed as a symlink.
"""

from __future__ import annotations

import errno
import itertools
import operator
import os
import stat
from typing import NamedTuple

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import digests

FILE = "file"
SYMLINK = "symlink"
DIRECTORY = "directory"
SPECIAL = "special"

_SORT_KEY = operator.itemgetter(0)
_STAT_DIR_FD = os.stat in os.supports_dir_fd and hasattr(os, "O_DIRECTORY")
_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)


class InventoryError(OSError):
    """The tree cannot be inventoried; ``str(err)`` names the path and says what to do."""

    def __str__(self):
        return str(self.strerror)


class TreeEntry(NamedTuple):
    """One listed entry: ``path`` relative to the root with ``/`` separators, ``abspath`` to open it."""

    path: str
    abspath: str
    type: str
    size: int
    target: str | None = None


#: Undecodable paths a walk keeps to show (all of them are counted): a tree of undecodable names must not make the
#: walk hold one string per file.
UNDECODABLE_KEPT = 20


class TreeCounts:
    """Running totals of a walk (updated while entries are streamed). ``undecodable_count`` counts the paths that are
    not UTF-8; ``undecodable_paths`` keeps the first :data:`UNDECODABLE_KEPT` of them, as shown."""

    __slots__ = (
        "file_count",
        "total_bytes",
        "directory_count",
        "symlink_count",
        "special_count",
        "undecodable_count",
        "undecodable_paths",
    )
    _NOT_TOTALS = ("undecodable_count", "undecodable_paths")

    def __init__(self):
        self.file_count = 0
        self.total_bytes = 0
        self.directory_count = 0
        self.symlink_count = 0
        self.special_count = 0
        self.undecodable_count = 0
        self.undecodable_paths = []

    def as_dict(self):
        """The totals as a dict (the undecodable paths and their count excluded)."""
        return {name: getattr(self, name) for name in self.__slots__ if name not in self._NOT_TOTALS}

    def add_undecodable(self, shown):
        self.undecodable_count += 1
        if len(self.undecodable_paths) < UNDECODABLE_KEPT:
            self.undecodable_paths.append(shown)


def _display(relative, counts=None):
    """A path as printable text: bytes that are not UTF-8 (surrogate-escaped by os) become ``\\xNN``; such paths are
    counted (and the first ones kept) by ``counts.add_undecodable``."""
    if relative.isascii():  # nearly every name, and an O(1) check
        return relative
    try:
        relative.encode("utf-8")
        return relative
    except UnicodeEncodeError:
        shown = relative.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        if counts is not None:
            counts.add_undecodable(shown)
        return shown


_HINTS = {
    errno.EACCES: "give the user running the module read (and, for directories, execute) permission on it",
    errno.EPERM: "give the user running the module read (and, for directories, execute) permission on it",
    errno.ENOENT: "it disappeared during the walk; run the inventory again once nothing writes to the tree",
}


def _error(err, what, path):
    if isinstance(err, InventoryError):
        return err
    hint = _HINTS.get(err.errno, "check the file system and run the inventory again")
    return InventoryError(err.errno, "cannot %s %s: %s; %s" % (what, ascii(path), err.strerror or err, hint))


def check_root(root):
    """Return the absolute, normalised ``root`` if it is a readable directory, else raise :class:`InventoryError`."""
    if not isinstance(root, str) or not root:
        raise InventoryError(errno.EINVAL, "path must be a non-empty directory path, got %s" % ascii(root))
    absolute = os.path.abspath(root)
    try:
        info = os.stat(absolute)
    except FileNotFoundError:
        parent = os.path.dirname(absolute)
        while parent and not os.path.isdir(parent):
            parent = os.path.dirname(parent)
        raise InventoryError(
            errno.ENOENT,
            "path %s does not exist (the nearest existing parent is %s); check the analysis "
            "directory and that the file system is mounted" % (ascii(absolute), ascii(parent)),
        ) from None
    except OSError as err:
        raise _error(err, "stat", absolute) from err
    if not stat.S_ISDIR(info.st_mode):
        raise InventoryError(
            errno.ENOTDIR, "path %s is not a directory; give the analysis directory itself" % ascii(absolute)
        )
    return absolute


def walk_tree(root, counts=None, follow_symlinks=False):
    """Yield a :class:`TreeEntry` for each file and symlink under ``root``, sorted by relative path.

    ``counts`` (a :class:`TreeCounts`) is updated as the walk goes and is complete once the generator is exhausted.
    Raises :class:`InventoryError` when the root or any directory or entry below it cannot be read.
    """
    root = check_root(root)
    counts = TreeCounts() if counts is None else counts
    seen = set()
    if follow_symlinks:
        info = os.stat(root)
        seen.add((info.st_dev, info.st_ino))
    # One iterator per open directory over its remaining children, sorted: an explicit stack, no recursion.
    stack = [_children(root, "", follow_symlinks)]
    while stack:
        for _key, entry, relative, kind, info, is_link in stack[-1]:
            if is_link:
                counts.symlink_count += 1
            if kind == FILE:
                shown = _display(relative, counts)
                counts.file_count += 1
                counts.total_bytes += info.st_size
                yield TreeEntry(shown, entry.path, FILE, info.st_size)
            elif kind == DIRECTORY:
                if follow_symlinks:
                    key = (info.st_dev, info.st_ino)
                    if key in seen:  # a symlink loop, or a second link to a directory already walked
                        continue
                    seen.add(key)
                counts.directory_count += 1
                stack.append(_children(entry.path, relative + "/", follow_symlinks))
                break  # walk the directory now; this one's iterator resumes after it
            elif kind == SPECIAL:
                counts.special_count += 1
            else:
                shown = _display(relative, counts)
                try:
                    target = os.readlink(entry.path)
                except OSError as err:
                    raise _error(err, "read the symlink", entry.path) from err
                yield TreeEntry(shown, entry.path, SYMLINK, info.st_size, _display(target))
        else:
            stack.pop()


def _kind(mode):
    if stat.S_ISREG(mode):
        return FILE
    if stat.S_ISDIR(mode):
        return DIRECTORY
    return SPECIAL


def _classify(entry, info, follow_symlinks):
    """``(kind, stat, is_link)`` of a directory entry whose ``lstat`` is ``info``; kind is ``directory``, ``file``,
    ``symlink`` or ``special``."""
    if not stat.S_ISLNK(info.st_mode):
        return _kind(info.st_mode), info, False
    if not follow_symlinks:
        return SYMLINK, info, True
    try:
        target_info = entry.stat(follow_symlinks=True)
    except OSError as err:
        if err.errno in (errno.ENOENT, errno.ENOTDIR, errno.ELOOP):  # dangling or cyclic: listed as a symlink
            return SYMLINK, info, True
        raise _error(err, "follow the symlink", entry.path) from err
    return _kind(target_info.st_mode), target_info, True


def _children(directory, prefix, follow_symlinks):
    """Iterator over ``(sort key, entry, relative path, kind, stat, is_link)`` of a directory's children, sorted."""
    try:
        with os.scandir(directory) as iterator:
            entries = list(iterator)
        # lstat by name relative to the directory: the kernel resolves one component instead of the whole path
        dir_fd = os.open(directory, _DIR_FLAGS) if _STAT_DIR_FD and entries else None
    except OSError as err:
        raise _error(err, "list the directory", directory) from err
    children = []
    try:
        for entry in entries:
            relative = prefix + entry.name
            try:
                if dir_fd is None:
                    info = entry.stat(follow_symlinks=False)
                else:
                    info = os.stat(entry.name, dir_fd=dir_fd, follow_symlinks=False)
            except OSError as err:
                raise _error(err, "stat", entry.path) from err
            if stat.S_ISREG(info.st_mode):
                children.append((relative, entry, relative, FILE, info, False))
                continue
            kind, info, is_link = _classify(entry, info, follow_symlinks)
            # name + "/" for directories makes depth-first order equal to the sorted order of the full relative paths
            children.append((relative + "/" if kind == DIRECTORY else relative, entry, relative, kind, info, is_link))
    finally:
        if dir_fd is not None:
            os.close(dir_fd)
    children.sort(key=_SORT_KEY)
    return iter(children)


def scan_tree(root, checksum=False, workers=None, counts=None, follow_symlinks=False):
    """Yield one record per listed entry, sorted by ``path``: ``{path, size, type}``, plus ``sha256`` (regular
    files, when ``checksum``) and ``target`` (symlinks).

    Hashing (:func:`digests.sha256_files`, given the sizes the walk found) streams with the walk: small files are
    hashed in this thread, big ones on ``workers`` threads meanwhile; records keep the walk order. ``counts`` is
    complete once the generator is exhausted.
    """
    entries = walk_tree(root, counts=counts, follow_symlinks=follow_symlinks)
    if not checksum:
        for entry in entries:
            yield _record(entry)
        return
    # tee keeps only the entries between the walk and the hashing window in memory
    listed, to_hash = itertools.tee(entries)
    hashed = digests.sha256_files(
        ((entry.abspath, entry.size) for entry in to_hash if entry.type == FILE), workers=workers
    )
    for entry in listed:
        record = _record(entry)
        if entry.type == FILE:
            try:
                _path, record["sha256"] = next(hashed, (None, None))
            except OSError as err:  # _error keeps InventoryErrors raised by the walk as they are
                raise _error(err, "read", entry.abspath) from err
        yield record


def _record(entry):
    record = {"path": entry.path, "size": entry.size, "type": entry.type}
    if entry.target is not None:
        record["target"] = entry.target
    return record
