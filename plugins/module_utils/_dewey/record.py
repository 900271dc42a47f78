# -*- coding: utf-8 -*-
# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Recording a registration in the export's ``fsx_export.yaml``, in S3 and on the controller.

DayEC's readers find a registration in the export receipt itself (the ``dewey_*`` fields). A verified receipt is
never overwritten; :func:`receipt.add_registration` allows exactly this one change, the Dewey fields, and keeps every
field the verification recorded. So the receipt is rewritten in place only with those fields added, the same text
on every re-run of the same registration (nothing is written then).

Locally the registration goes into the controller copy of the same attempt: ``<output_dir>/fsx_export.yaml`` (the
current receipt) or ``<output_dir>/attempts/<timestamp>/fsx_export.yaml``; when the output directory holds no
receipt, the registered receipt becomes its current one. A local receipt of another attempt is left alone.
"""

from __future__ import annotations

import os

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import export
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import receipt
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._dewey import build


def recorded_receipt_text(text, fields):
    """The ``fsx_export.yaml`` text ``text`` with the registration ``fields`` added; raises ``RegistrationError``
    when the receipt cannot record them (not a verified success, or a field the verification owns)."""
    try:
        return receipt.dump_receipt(receipt.add_registration(receipt.load_receipt(text), **fields))
    except receipt.ReceiptError as err:
        raise build.RegistrationError("the export receipt cannot record the registration: %s" % err) from err


def _attempt_of(body):
    stamp = body.get("timestamp") or export.report_timestamp(body.get("report_path"))
    return (body.get("source_path"), body.get("destination_s3_uri"), stamp)


def _read(path):
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def local_receipt(output_dir, exported):
    """Where the registration of the export receipt ``exported`` (flat) goes in ``output_dir``:
    ``(path, text)`` of the controller copy of the same attempt, ``(current path, None)`` when the directory holds no
    receipt, ``(None, None)`` when its current receipt is another attempt's and no copy of this one is kept."""
    current = os.path.join(output_dir, export.RECEIPT_FILENAME)
    stamp = _attempt_of(exported)[2]
    candidates = [current]
    if stamp:
        candidates.append(os.path.join(export.attempt_dir(output_dir, stamp), export.RECEIPT_FILENAME))
    for path in candidates:
        text = _read(path)
        if text is None:
            continue
        try:
            body = receipt.load_receipt(text)
        except receipt.ReceiptError:
            continue
        if _attempt_of(body) == _attempt_of(exported):
            return path, text
    return (current, None) if _read(current) is None else (None, None)
