# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Files the modules keep on the host they run on: small texts (receipts, reports), read and replaced whole, and
copies of big ones (manifests), made a piece at a time."""

import os
import shutil
import tempfile


def read_text(path):
    """The file's text (undecodable bytes replaced), or None when there is no such file."""
    if not os.path.isfile(path):
        return None
    with open(path, "rb") as handle:
        return handle.read().decode("utf-8", "replace")


def write_text(module, path, text):
    """Write ``text`` through a temporary file in the same directory (created when missing) and the module's
    ``atomic_move``, so a reader never sees half a file."""
    _replace(module, path, lambda handle: handle.write(text.encode("utf-8")))


def copy_file(module, source, path):
    """Copy the file ``source`` to ``path`` a piece at a time, replacing ``path`` as :func:`write_text` does."""

    def copy(handle):
        with open(source, "rb") as original:
            shutil.copyfileobj(original, handle)

    _replace(module, path, copy)


def _replace(module, path, write):
    directory = os.path.dirname(path)
    os.makedirs(directory, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
    except BaseException:
        os.unlink(temp)
        raise
    module.atomic_move(temp, path)
