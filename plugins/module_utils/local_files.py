# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Small text files the modules keep on the host they run on (receipts, reports): read one, replace one whole."""

import os
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
    directory = os.path.dirname(path)
    os.makedirs(directory, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8"))
    except BaseException:
        os.unlink(temp)
        raise
    module.atomic_move(temp, path)
