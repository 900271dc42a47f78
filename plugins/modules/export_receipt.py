#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: export_receipt
short_description: Write and verify the fsx_export.yaml receipt of an FSx analysis export
version_added: 0.1.0
description:
  - Writes the C(fsx_export.yaml) receipt of an export of C(/fsx/analysis_results/<entity>/<analysis_id>/) to S3, with
    the field names of DayEC's v4 receipt under the top key C(fsx_export), plus C(producer), the attempt's
    C(timestamp), the FSx and S3 counts, the manifest's C(manifest_s3_uri) and C(manifest_sha256), C(verified) and
    C(failed_files).
  - With O(state=present) the receipt is built from O(plan) and the registered results of the export's module calls
    (O(results), O(phase)), then O(receipt), verified against S3 (O(verify)), and written to O(output_dir) on the host
    running the module (normally the controller) and next to the exported data, at
    C(<destination>_daylily_monitor/fsx-export/<timestamp>/fsx_export.yaml) (O(upload)).
  - When O(fsx_inventory) lists the files (RV(daylily.ephemeral_cluster.analysis_inventory#module:files)), the export
    manifest C(fsx_export_manifest.jsonl) (one C({"path", "size", "sha256"?}) line per regular file, sorted) is written
    beside the receipt, locally and in S3, and the receipt records its C(manifest_sha256) and C(manifest_s3_uri).
    Verification then compares the S3 listing with the manifest key by key.
  - "Local layout: C(<output_dir>/fsx_export.yaml) is the current receipt: the newest verified one, or the newest
    attempt while none is verified. A verified receipt is never replaced by an unverified one; every other attempt
    is kept in C(<output_dir>/attempts/<timestamp>/), with its manifest."
  - The receipt is written whatever the outcome, also when O(receipt) describes a failed export (C(status=error)) or the
    verification fails, so every attempt leaves evidence. Only invalid options stop the module before it writes.
  - "Verification: C(status=success), C(task_lifecycle=SUCCEEDED), C(detached=true) with C(detach_lifecycle) C(DELETED)
    or C(NOT_FOUND), C(delete_data_in_file_system=false), no row in the task's failed-files report
    C(<report_path>task-<task_id>/failures.csv) (a missing report means no failures), and the number and bytes of S3
    objects under the destination (C(_daylily_monitor/) and directory markers excluded) equal the FSx file count and
    bytes (O(fsx_inventory), or the C(fsx_file_count)/C(fsx_total_bytes) fields of O(receipt)), and, with a manifest,
    every manifest file is in S3 under its own key with its own size and no other object is."
  - With O(state=verified) the module finds the newest verified receipt under the destination's
    C(_daylily_monitor/fsx-export/*/fsx_export.yaml) (the newest receipt when none recorded a verified export),
    verifies it again against S3 as it is now (with its manifest, when it has one), and writes nothing. When
    O(fsx_inventory) lists the files and the receipt has a manifest, FSx must still match the manifest too (RV(drift)).
  - With O(state=preflight) the module decides what an export run does, from the destination's listing, the receipts
    and manifests of earlier attempts, O(associations) and O(fsx_inventory) (RV(action)). It refuses a destination
    holding anything that no earlier attempt of this same export (same source, same destination) wrote, and a
    verified export that no longer matches S3, or FSx when O(update_existing=false); a refusal writes nothing to S3,
    records the attempt in O(output_dir) (never over a verified receipt) and fails. A failed earlier attempt is
    retried; an association of this export left attached by an interrupted run is resumed.
  - Idempotent - nothing is written when the local file and the S3 object already hold the same receipt.
    Check mode makes no change (no C(PutObject), no local write) and returns the receipt that would be written.
  - S3 calls go through the collection's S3 service functions (amazon.aws's C(S3ErrorHandler)); their failures name
    the call, the object and the permission to grant.
author:
  - Daylily ephemeral cluster maintainers (!UNKNOWN)
options:
  state:
    description:
      - V(present) builds, verifies and writes the receipt.
      - V(verified) re-verifies the newest verified receipt in S3 and never writes.
      - V(preflight) decides what an export run does and never writes to S3.
    type: str
    choices: [present, verified, preflight]
    default: present
  plan:
    description:
      - The export plan, the result of the P(daylily.ephemeral_cluster.export_plan#filter) filter. Its C(receipt_fields),
        C(timestamp) and C(output_dir) are used. Required with O(state=preflight).
    type: dict
  phase:
    description:
      - The phase the export run reached; O(state=present) then builds the outcome fields (status, phase, association,
        task, detach, failure) from O(results) and O(plan), and records the attempt's C(timestamp).
    type: str
    choices: [validate, attach, preflight, run, detach, dewey_registration, complete]
  results:
    description:
      - The registered results of the export's module calls, each optional - C(association) (M(daylily.ephemeral_cluster.fsx_dra)
        with O(daylily.ephemeral_cluster.fsx_dra#module:state=present)), C(task) (M(daylily.ephemeral_cluster.fsx_export_task)),
        C(progress) (M(daylily.ephemeral_cluster.fsx_data_repository_task_info)), C(detach) (M(daylily.ephemeral_cluster.fsx_dra)
        with O(daylily.ephemeral_cluster.fsx_dra#module:state=absent)), C(failed) (the result that stopped the run) and
        C(file_system_id).
      - A detach that did not end C(DELETED) or C(NOT_FOUND) makes the receipt an error of phase C(detach).
    type: dict
  associations:
    description:
      - With O(state=preflight), the associations on the export source (RV(daylily.ephemeral_cluster.fsx_dra_info#module:associations));
        one to the same destination means an interrupted run of this export is resumed.
    type: list
    elements: dict
  update_existing:
    description:
      - With O(state=preflight), export again when FSx changed since the newest verified export (files added or
        changed). A new receipt is written; the old one is kept. Files removed from FSx are refused either way, since
        nothing deletes S3.
    type: bool
    default: false
  receipt:
    description:
      - The receipt fields, flat (without the C(fsx_export) top key), for example C(status), C(phase), C(cluster_name),
        C(destination_s3_uri), C(task_id), C(task_lifecycle), C(report_path), C(detached), C(detach_lifecycle). They
        override what O(plan) and O(results) give.
      - Unknown field names and values of the wrong type are refused before any AWS call. Missing fields get DayEC's
        defaults (C(status=started), C(phase=attach), C(detached=false), C(delete_data_in_file_system=false)).
      - C(verified), C(s3_object_count), C(s3_total_bytes) and C(failed_files) are recomputed when O(verify=true).
      - Required with O(state=present). With O(state=verified) only its C(destination_s3_uri) is used, when
        O(destination_s3_uri) is not given. With O(state=preflight) its fields go into the record of a refusal.
    type: dict
  destination_s3_uri:
    description:
      - The export destination, C(s3://<bucket>/<prefix>/<entity>/<analysis_id>/), whose receipts O(state=verified) reads.
      - With O(state=present) the destination is the receipt's C(destination_s3_uri); this option must then be omitted
        or equal to it.
    type: str
  fsx_inventory:
    description:
      - The FSx side of the comparison, for example the registered result of M(daylily.ephemeral_cluster.analysis_inventory)
        on the analysis directory. Its C(file_count) and C(total_bytes) are recorded as C(fsx_file_count) and
        C(fsx_total_bytes); its C(files), when present, become the export manifest.
      - With O(state=preflight) it must list the files (M(daylily.ephemeral_cluster.analysis_inventory) with
        O(daylily.ephemeral_cluster.analysis_inventory#module:return_files=true)); they are compared with the manifest of
        the newest verified export.
      - Without it the receipt's own C(fsx_file_count) and C(fsx_total_bytes) are compared; when those are missing the
        receipt cannot verify.
    type: dict
  verify:
    description:
      - Verify against S3 (C(ListObjectsV2) of the destination, C(GetObject) of the failed-files report).
      - An S3 error while gathering this evidence does not stop the module; it becomes a verification failure so the
        receipt is still written.
      - With V(false) nothing is read and the receipt is written with C(verified=false).
    type: bool
    default: true
  output_dir:
    description:
      - Local directory, on the host running the module, where C(fsx_export.yaml) is written (see the local layout
        above). It is created when missing. Defaults to the C(output_dir) of O(plan).
      - Omit both to write to S3 only.
    type: path
  upload:
    description:
      - Write the receipt to S3 at O(s3_uri) (C(PutObject)).
    type: bool
    default: true
  s3_uri:
    description:
      - Where the receipt is uploaded.
      - Defaults to C(<destination>_daylily_monitor/fsx-export/<timestamp>/fsx_export.yaml), next to the task report, with
        the timestamp taken from the receipt's C(report_path) or from O(timestamp).
    type: str
  timestamp:
    description:
      - The export timestamp, C(YYYYmmddTHHMMSSZ) in UTC, that names the receipt's folder.
      - Needed when the receipt has no C(report_path) (an export that failed before its task was created). When both are
        given they must agree.
      - With O(state=verified), re-verify the receipt of this export instead of the latest one.
    type: str
  fail_on_unverified:
    description:
      - Fail the task when the receipt does not verify, after it has been written. When the export itself failed
        (C(status=error)) the message is its root cause (C(failure_details.message)) and the phase, not the checks that
        failed because of it.
    type: bool
    default: false
notes:
  - Needs C(s3:ListBucket) on the destination bucket and C(s3:GetObject) and C(s3:PutObject) on the destination prefix.
  - The manifest is written to a temporary file as it is made, uploaded from it and read back from S3 into one; the
    destination's listing goes page by page to another; they are compared with each other and with FSx side by side
    in key order. So the memory of a verification does not grow with the number of files, beyond the O(fsx_inventory)
    it is given.
  - Reads receipts with PyYAML, which ansible-core already needs on the controller.
  - Run it on the controller (C(delegate_to=localhost)) when O(output_dir) should be a controller directory.
  - The receipt YAML is pure ASCII with every string double-quoted, so C(yq) and C(yaml.safe_load) read it unchanged.
extends_documentation_fragment:
  - daylily.ephemeral_cluster.aws
"""

EXAMPLES = r"""
- name: Record a successful export, verified against S3
  daylily.ephemeral_cluster.export_receipt:
    receipt:
      status: success
      phase: complete
      cluster_name: day-demo
      region: us-west-2
      analysis_dir: alice/run42
      source_path: /analysis_results/alice/run42/
      headnode_path: /fsx/analysis_results/alice/run42/
      destination_s3_uri: s3://daylily-analysis/derived/alice/run42/
      fsx_root: /fsx/analysis_results/alice/run42/
      s3_root: s3://daylily-analysis/derived/alice/run42/
      fsx_file_system_id: fs-0123456789abcdef0
      file_system_path: /analysis_results/alice/run42/
      association_id: dra-0123456789abcdef0
      lifecycle: AVAILABLE
      task_id: task-0123456789abcdef0
      task_lifecycle: SUCCEEDED
      report_path: s3://daylily-analysis/derived/alice/run42/_daylily_monitor/fsx-export/20260131T120000Z/export-report/
      detach_lifecycle: DELETED
      detached: true
    fsx_inventory: "{{ fsx_inventory }}"
    output_dir: "{{ playbook_dir }}/receipts/alice/run42"
    fail_on_unverified: true
  delegate_to: localhost
  register: export_receipt

- name: Record a failed export (always written; not verified)
  daylily.ephemeral_cluster.export_receipt:
    receipt:
      status: error
      phase: run
      destination_s3_uri: s3://daylily-analysis/derived/alice/run42/
      failure_details:
        message: "{{ export_error }}"
    timestamp: 20260131T120000Z
    output_dir: "{{ playbook_dir }}/receipts/alice/run42"
  delegate_to: localhost

- name: Write the receipt of an export run from the plan and the registered module results
  daylily.ephemeral_cluster.export_receipt:
    plan: "{{ export_plan }}"
    phase: run
    results:
      association: "{{ export_association }}"
      task: "{{ export_task }}"
      progress: "{{ export_progress }}"
      detach: "{{ export_detach }}"
    receipt:
      cluster_name: day-demo
      region: us-west-2
    fsx_inventory: "{{ fsx_inventory }}"
    fail_on_unverified: true

- name: Decide whether an export run has anything to do (refuses a foreign destination)
  daylily.ephemeral_cluster.export_receipt:
    state: preflight
    plan: "{{ export_plan }}"
    fsx_inventory: "{{ fsx_inventory }}"
    associations: "{{ leftover.associations }}"
    update_existing: false
  register: preflight

- name: Before deleting the cluster, check the newest verified receipt of an analysis
  daylily.ephemeral_cluster.export_receipt:
    state: verified
    destination_s3_uri: s3://daylily-analysis/derived/alice/run42/
  register: latest

- name: Refuse to continue without a verified export
  ansible.builtin.assert:
    that: latest.verified
    fail_msg: "{{ latest.verification_failures | map(attribute='message') | list }}"
"""

RETURN = r"""
receipt:
  description:
    - The receipt fields, flat, in the order they are written (the document wraps them under C(fsx_export)).
    - With O(state=verified), the stored receipt with the counts, failed files and C(verified) of this verification.
  returned: when a receipt was built or found
  type: dict
  sample: {"schema_version": 4, "status": "success", "phase": "complete", "verified": true, "s3_object_count": 12,
           "manifest_sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}
verified:
  description: Whether the receipt verified (the receipt's C(verified) field).
  returned: with O(state=present) and O(state=verified)
  type: bool
  sample: true
verification_failures:
  description: The checks that failed; empty when RV(verified) is true.
  returned: with O(state=present) and O(state=verified)
  type: list
  elements: dict
  contains:
    field:
      description: The receipt field the check is about.
      returned: always
      type: str
      sample: s3_object_count
    expected:
      description: The value the check expected.
      returned: always
      type: raw
      sample: 12
    actual:
      description: The value found.
      returned: always
      type: raw
      sample: 11
    message:
      description: What failed, in words.
      returned: always
      type: str
      sample: "s3_object_count: expected 12 (fsx_file_count), got 11"
receipt_s3_uri:
  description: Where the receipt is (or, in check mode, would be) in S3; with O(state=verified), the receipt that was read.
  returned: when O(upload=true), or a receipt was found with O(state=verified)
  type: str
  sample: s3://daylily-analysis/derived/alice/run42/_daylily_monitor/fsx-export/20260131T120000Z/fsx_export.yaml
receipt_path:
  description: The local receipt file of this attempt (the current receipt, or its C(attempts/<timestamp>/) record).
  returned: when O(output_dir) is given with O(state=present), or O(state=preflight) refused with an output directory
  type: str
  sample: /home/alice/receipts/alice/run42/fsx_export.yaml
s3_object_count:
  description: Objects under the destination, C(_daylily_monitor/) and directory markers excluded.
  returned: when the destination was listed
  type: int
  sample: 12
s3_total_bytes:
  description: Bytes of those objects.
  returned: when the destination was listed
  type: int
  sample: 73400320
action:
  description:
    - What the export run does - V(export) (a first export, a retry, a resumed run or an update) or V(none) (the
      newest verified export still matches S3 and FSx). A refusal fails the module.
  returned: with O(state=preflight)
  type: str
  sample: export
msg:
  description: The decision in words (with O(state=preflight)).
  returned: with O(state=preflight)
  type: str
  sample: "retrying the export of /analysis_results/alice/run42/ to s3://b/derived/alice/run42/ (1 earlier attempt(s), none verified)"
drift:
  description: What changed on FSx since the newest verified export (paths), or null when there is none to compare with.
  returned: with O(state=preflight); with O(state=verified) when O(fsx_inventory) lists the files and the receipt has a manifest
  type: dict
  sample: {"added": ["results/late.txt"], "changed": [], "removed": []}
attempts:
  description: The timestamps of the earlier attempts found under the destination, oldest first.
  returned: with O(state=preflight)
  type: list
  elements: str
  sample: ["20260131T120000Z"]
adopt_succeeded:
  description:
    - Whether the export may adopt a V(SUCCEEDED) export task of the same paths
      (O(daylily.ephemeral_cluster.fsx_export_task#module:adopt_succeeded)); false for an update, which must export again.
  returned: with O(state=preflight)
  type: bool
  sample: true
previous_receipt_s3_uri:
  description: The newest verified receipt the decision compared with.
  returned: with O(state=preflight), when a verified export exists
  type: str
  sample: s3://daylily-analysis/derived/alice/run42/_daylily_monitor/fsx-export/20260131T120000Z/fsx_export.yaml
failed_files:
  description: The rows of the task's failed-files report, or the receipt's own rows when no report was read.
  returned: with O(state=present) and O(state=verified)
  type: list
  elements: dict
  contains:
    file_path:
      description: The file that failed, relative to the file system root.
      returned: always
      type: str
      sample: analysis_results/alice/run42/results/big.bam
    file_status:
      description: Always V(failed) in a C(FAILED_FILES_ONLY) report.
      returned: always
      type: str
      sample: failed
    error_code:
      description: Why it failed.
      returned: always
      type: str
      sample: S3AccessDenied
"""

import os
import re
import tempfile
import time
from typing import NamedTuple

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import digests
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import export
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import local_files
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import paths
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import receipt as receipts
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import s3_objects
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.export import report_timestamp  # noqa: F401 (public)
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import DaylilyAWSModule
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import module_retry
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.s3_objects import AnsibleS3Error

RECEIPT_CONTENT_TYPE = "application/yaml"
MANIFEST_CONTENT_TYPE = "application/x-ndjson"
_RECEIPT_KEY_RE = re.compile(r"(\d{8}T\d{6}Z)/%s$" % re.escape(export.RECEIPT_FILENAME))


class S3:
    """The module's S3 client, made on first use, so a receipt that needs no S3 call needs no AWS configuration."""

    def __init__(self, module):
        self.module = module
        self._client = None

    def __call__(self):
        if self._client is None:
            self._client = self.module.client("s3", retry_decorator=module_retry(self.module))
        return self._client


# --------------------------------------------------------------------------------------------------------------
# options -> receipt (no AWS call)


def fsx_summary(inventory):
    """``{"file_count", "total_bytes"}`` from an analysis_inventory result (or any summary receipt.py accepts)."""
    if inventory is None:
        return None
    count, total = receipts.summarize_inventory(inventory)
    return {"file_count": count, "total_bytes": total}


def fsx_manifest(inventory, scratch):
    """The manifest (:class:`export.EntryFile`, written to a file in ``scratch``) of an analysis_inventory result that
    lists its files, else None."""
    if not inventory or inventory.get("files") is None:
        return None
    return export.write_manifest(inventory["files"], scratch)


def destination_of(body, option=None):
    """``(destination, problem)``: the normalised destination of the receipt (or of the option; both must agree).

    A receipt destination that is missing or invalid gives ``(None, why)`` instead of an error, because an error
    receipt of an export whose destination was refused must still be writable. An invalid option raises.
    """
    recorded = body.get("destination_s3_uri") or body.get("s3_root")
    if option is not None:
        option = paths.normalize_s3_uri(option, field="destination_s3_uri")
        if recorded is not None and recorded != option and _normalized(recorded) != option:
            raise export.ExportRuleError(
                "destination_s3_uri",
                option,
                "differs from the receipt's %s" % ascii(recorded),
                "the receipt's destination_s3_uri, or omit the option",
            )
        return option, None
    if recorded is None:
        return None, "the receipt has no destination_s3_uri"
    try:
        return paths.normalize_s3_uri(recorded, field="destination_s3_uri"), None
    except paths.PathRuleError as err:
        return None, str(err)


def _normalized(uri):
    try:
        return paths.normalize_s3_uri(uri)
    except paths.PathRuleError:
        return None


def attempt_timestamp(params, body):
    """The timestamp of this attempt: the option, else the report path's, else the receipt's own; None when unknown."""
    from_report = report_timestamp(body.get("report_path"))
    if params["timestamp"] and from_report and params["timestamp"] != from_report:
        raise export.ExportRuleError(
            "timestamp",
            params["timestamp"],
            "differs from the report_path timestamp %s" % from_report,
            "the timestamp of the receipt's report_path, or omit the option",
        )
    return params["timestamp"] or from_report or body.get("timestamp")


def receipt_target(params, destination, timestamp, problem=None):
    """``(bucket, key, uri)`` of the S3 receipt object; raises PathRuleError when it cannot be determined."""
    if params["s3_uri"]:
        uri = params["s3_uri"]
        if uri.endswith("/"):
            raise paths.S3UriError(
                "s3_uri", uri, "ends with '/'", "an object URI such as s3://bucket/prefix/fsx_export.yaml"
            )
        bucket, key = paths.s3_uri_to_key(uri)
        return bucket, key, "s3://%s/%s" % (bucket, key)
    if destination is None or timestamp is None:
        why = (
            problem if destination is None else "the receipt has no report_path with a fsx-export/<timestamp>/ segment"
        )
        raise export.ExportRuleError(
            "s3_uri",
            None,
            "cannot be derived (%s)" % why,
            "a receipt with destination_s3_uri and report_path, the timestamp option, the s3_uri option, or upload: false",
        )
    uri = export.export_receipt_uri(destination, timestamp)
    bucket, key = paths.s3_uri_to_key(uri)
    return bucket, key, uri


def planned_fields(params):
    """Receipt fields from the plan and the registered results (``plan``/``results``/``phase``), then ``receipt``."""
    plan = params["plan"] or {}
    fields = dict(plan.get("receipt_fields") or {})
    if plan:
        fields["timestamp"] = plan["timestamp"]
    if params["phase"]:
        results = params["results"] or {}
        fields.update(
            receipts.outcome_fields(
                plan.get("source_path"),
                plan.get("report_path"),
                params["phase"],
                failed_result=results.get("failed"),
                association=results.get("association"),
                task=results.get("task"),
                progress=results.get("progress"),
                detach=results.get("detach"),
                file_system_id=results.get("file_system_id"),
            )
        )
        fields["timestamp"] = (
            report_timestamp(fields["report_path"]) or plan.get("timestamp") or export.export_timestamp()
        )
    fields.update(params["receipt"] or {})
    return fields


# --------------------------------------------------------------------------------------------------------------
# verification


def _evidence_failure(field, err):
    return {
        "field": field,
        "expected": "evidence read from S3",
        "actual": None,
        "message": "%s: %s" % (field, err.message),
    }


def list_destination(s3, location, scratch, keep=export.is_exported_key):
    """The objects under the destination that ``keep`` accepts (by default the exported files) as an
    :class:`export.Listing`, listed page by page into a file in ``scratch``, never held."""
    return s3_objects.scan_objects(
        s3(),
        location.bucket,
        location.prefix,
        lambda pairs: export.write_listing(pairs, location.prefix, scratch, keep),
    )


def read_report_rows(s3, body):
    """The rows of the task's failed-files report ([] when FSx wrote none), or None when the receipt names no task."""
    if not (body.get("report_path") and body.get("task_id")):
        return None
    bucket, key = paths.s3_uri_to_key(export.failure_report_uri(body["report_path"], body["task_id"]))
    text = s3_objects.get_text(s3(), bucket, key)
    return [] if text is None else receipts.parse_failure_report(text)


def verify(s3, body, fsx_inventory, destination, problem=None, manifest=None, scratch=None, listed=None):
    """Return ``(verified receipt, failures, s3 summary or None)``; S3 errors become failures, never exceptions.

    ``listed`` (the destination's exported files, :class:`export.Listing`), when not given, is listed into a file in
    ``scratch``; ``manifest`` (an :class:`export.EntryFile` or ``{path: entry}``) makes the comparison key by key,
    both sides read in path order side by side.
    """
    failures = []
    summary = objects = rows = None
    if destination is None:
        failures.append(
            {
                "field": "destination_s3_uri",
                "expected": "an S3 URI",
                "actual": body.get("destination_s3_uri"),
                "message": "destination_s3_uri: S3 cannot be checked: %s" % problem,
            }
        )
    else:
        location = paths.parse_s3_uri(destination, field="destination_s3_uri")
        try:
            if listed is None:
                listed = list_destination(s3, location, scratch)
            objects, summary = listed.objects, {"count": listed.count, "total_bytes": listed.total_bytes}
        except AnsibleS3Error as err:
            failures.append(_evidence_failure("s3_object_count", err))
    try:
        rows = read_report_rows(s3, body)
    except AnsibleS3Error as err:
        failures.append(_evidence_failure("failed_files", err))
    except paths.PathRuleError as err:
        failures.append(
            {
                "field": "failed_files",
                "expected": "evidence read from S3",
                "actual": None,
                "message": "failed_files: %s" % err,
            }
        )
    updated, checks = receipts.apply_verification(
        body, s3_inventory=summary, fsx_inventory=fsx_inventory, report_rows=rows, manifest=manifest, s3_objects=objects
    )
    if failures:
        updated = receipts.update_receipt(updated, verified=False)
    return updated, failures + checks, summary


def skip_verification(body, fsx_inventory):
    updated, failures = receipts.apply_verification(body, fsx_inventory=fsx_inventory)
    skipped = {
        "field": "verified",
        "expected": True,
        "actual": False,
        "message": "verified: not checked against S3 (verify is false)",
    }
    return receipts.update_receipt(updated, verified=False), [skipped] + failures, None


# --------------------------------------------------------------------------------------------------------------
# local files: the current receipt and the attempts kept beside it


_read_local = local_files.read_text
_write_local = local_files.write_text


def _loaded(text):
    try:
        return receipts.load_receipt(text)
    except receipts.ReceiptError:
        return {}


def _timestamp_of(body, path):
    """A receipt's attempt timestamp; for an old receipt that recorded none (or a file edited by hand), its report
    path's, else its file's mtime."""
    for stamp in (body.get("timestamp"), report_timestamp(body.get("report_path"))):
        try:
            return export.check_timestamp(stamp)
        except export.ExportRuleError:
            continue
    return time.strftime(export.EXPORT_TIMESTAMP_FORMAT, time.gmtime(os.path.getmtime(path)))


class FileCopy(NamedTuple):
    """A local write that copies the file ``source`` (a manifest), a piece at a time."""

    source: str


class LocalPlan:
    """Which local files this attempt writes (``writes``: ``[(path, before, after)]``, ``after`` a text, or a
    :class:`FileCopy` of a manifest with ``before`` None); computed without writing."""

    def __init__(self, output_dir, body, text, manifest, timestamp):
        self.writes = []
        current = os.path.join(output_dir, export.RECEIPT_FILENAME)
        current_manifest = os.path.join(output_dir, export.MANIFEST_FILENAME)
        before = _read_local(current)
        target = output_dir
        if before is not None and before != text:
            existing = _loaded(before)
            same_attempt = timestamp is not None and _timestamp_of(existing, current) == timestamp
            if export.is_verified(existing) and not export.is_verified(body):
                target = export.attempt_dir(output_dir, timestamp or export.export_timestamp())  # never replace it
            elif not same_attempt:
                kept = export.attempt_dir(output_dir, _timestamp_of(existing, current))
                self._add(os.path.join(kept, export.RECEIPT_FILENAME), before)
                if os.path.isfile(current_manifest):  # copied before this attempt's manifest replaces it
                    self._add_copy(os.path.join(kept, export.MANIFEST_FILENAME), current_manifest)
        self.receipt_path = os.path.join(target, export.RECEIPT_FILENAME)
        if manifest is not None:
            self._add_copy(os.path.join(target, export.MANIFEST_FILENAME), manifest.path, manifest.sha256)
        self._add(self.receipt_path, text)

    def _add(self, path, text):
        before = _read_local(path)
        if before != text:
            self.writes.append((path, before, text))

    def _add_copy(self, path, source, sha256=None):
        """Copy ``source`` to ``path`` unless ``path`` holds the same bytes (compared by SHA-256, file by file)."""
        if sha256 is None:
            sha256 = digests.sha256_file(source)
        if not os.path.isfile(path) or digests.sha256_file(path) != sha256:
            self.writes.append((path, None, FileCopy(source)))

    def apply(self, module):
        for path, _before, after in self.writes:
            if isinstance(after, FileCopy):
                local_files.copy_file(module, after.source, path)
            else:
                _write_local(module, path, after)


# --------------------------------------------------------------------------------------------------------------
# states


def _result(body, failures, s3_summary, changed=False):
    result = {
        "changed": changed,
        "receipt": body,
        "verified": body.get("verified") is True,
        "verification_failures": failures,
        "failed_files": body.get("failed_files") or [],
    }
    if s3_summary is not None:
        result["s3_object_count"] = s3_summary["count"]
        result["s3_total_bytes"] = s3_summary["total_bytes"]
    return result


def _put_if_changed(s3, bucket, key, text, content_type, check_mode):
    """``(changed, before)``: write the object unless it already holds ``text``."""
    before = s3_objects.get_text(s3(), bucket, key)
    if before != text and not check_mode:
        s3_objects.put_text(s3(), bucket, key, text, content_type)
    return before != text, before


def _put_file_if_changed(s3, bucket, key, entry_file, content_type, check_mode):
    """Whether the object changes: upload ``entry_file`` from disk unless the object's SHA-256, read as it streams
    by, is already the file's."""
    changed = s3_objects.read_object(s3(), bucket, key) != entry_file.sha256
    if changed and not check_mode:
        s3_objects.put_file(s3(), bucket, key, entry_file.path, entry_file.sha256, content_type)
    return changed


def run_present(module, scratch):
    params = module.params
    try:
        body = receipts.build_receipt(**planned_fields(params))
        destination, problem = destination_of(body, params["destination_s3_uri"])
        inventory = fsx_summary(params["fsx_inventory"])
        manifest = fsx_manifest(params["fsx_inventory"], scratch)
        timestamp = attempt_timestamp(params, body)
        if timestamp is not None:
            export.check_timestamp(timestamp)
        target = receipt_target(params, destination, timestamp, problem) if params["upload"] else None
    except (receipts.ReceiptError, paths.PathRuleError, TypeError, KeyError) as err:
        module.fail_json(msg="invalid receipt options: %s" % err)
    output_dir = params["output_dir"] or (params["plan"] or {}).get("output_dir")
    if target is None and not output_dir:
        module.fail_json(msg="nothing to write: set output_dir, or upload: true")
    s3 = S3(module)

    manifest_target = None
    if manifest is not None:
        fields = {"manifest_sha256": manifest.sha256}
        if destination is not None and timestamp is not None:
            fields["manifest_s3_uri"] = export.export_manifest_uri(destination, timestamp)
            manifest_target = paths.s3_uri_to_key(fields["manifest_s3_uri"])
        body = receipts.update_receipt(body, **fields)
    if params["verify"]:
        body, failures, s3_summary = verify(
            s3, body, inventory, destination, problem, manifest=manifest, scratch=scratch
        )
    else:
        body, failures, s3_summary = skip_verification(body, inventory)
    text = receipts.dump_receipt(body)

    local = LocalPlan(output_dir, body, text, manifest, timestamp) if output_dir else None
    if local is not None and not module.check_mode:
        local.apply(module)  # first: the evidence exists even if S3 refuses the upload

    diffs = [
        {"before": before or "", "after": after, "before_header": path, "after_header": path}
        for path, before, after in (local.writes if local else [])
        if path.endswith(export.RECEIPT_FILENAME)
    ]
    changed = bool(local and local.writes)
    if target is not None:
        if manifest_target is not None:
            manifest_changed = _put_file_if_changed(
                s3, *manifest_target, manifest, MANIFEST_CONTENT_TYPE, module.check_mode
            )
            changed = changed or manifest_changed
        bucket, key, uri = target
        # each attempt has its own timestamp folder, so this key only ever holds this attempt's receipt
        receipt_changed, before = _put_if_changed(s3, bucket, key, text, RECEIPT_CONTENT_TYPE, module.check_mode)
        if receipt_changed:
            changed = True
            diffs.append({"before": before or "", "after": text, "before_header": uri, "after_header": uri})

    result = _result(body, failures, s3_summary, changed=changed)
    if local is not None:
        result["receipt_path"] = local.receipt_path
    if target is not None:
        result["receipt_s3_uri"] = target[2]
    if module._diff:
        result["diff"] = diffs
    return result


def receipt_keys(keys, monitor_prefix):
    """``{timestamp: key}`` of the ``<monitor_prefix><ts>/fsx_export.yaml`` among ``keys``."""
    found = {}
    for key in keys:
        match = _RECEIPT_KEY_RE.fullmatch(key[len(monitor_prefix) :]) if key.startswith(monitor_prefix) else None
        if match:
            found[match.group(1)] = key
    return found


def latest_receipt_key(keys, monitor_prefix, timestamp=None):
    """The key of the newest ``<monitor_prefix><ts>/fsx_export.yaml`` (or of ``timestamp``'s), else None."""
    found = receipt_keys(keys, monitor_prefix)
    if timestamp is not None:
        return found.get(timestamp)
    return found[max(found)] if found else None


def read_receipt(s3, bucket, key):
    """The flat receipt stored at ``key``; raises ReceiptError when it is missing or cannot be read."""
    return receipts.update_receipt(receipts.load_receipt(s3_objects.get_text(s3(), bucket, key) or ""))


def read_attempt(s3, bucket, key, timestamp, scratch, body=None):
    """An :class:`export.Attempt` from its receipt object (and its manifest, when the receipt names one, streamed to
    a file in ``scratch``); raises ReceiptError when the receipt cannot be read or the manifest does not match the
    digest the receipt holds, ValueError when a manifest line is not an entry."""
    body = read_receipt(s3, bucket, key) if body is None else body
    manifest = None
    if body.get("manifest_sha256"):
        manifest_key = key[: -len(export.RECEIPT_FILENAME)] + export.MANIFEST_FILENAME
        handle = tempfile.NamedTemporaryFile("wb", prefix="manifest.", suffix=".jsonl", dir=scratch, delete=False)
        with handle:
            sha256 = s3_objects.read_object(s3(), bucket, manifest_key, handle.write)
        if sha256 != body["manifest_sha256"]:
            raise receipts.ReceiptError(
                "the manifest s3://%s/%s is %s"
                % (
                    bucket,
                    manifest_key,
                    "missing" if sha256 is None else "not the one the receipt's manifest_sha256 names",
                )
            )
        manifest = export.EntryFile.read(handle.name, sha256)
    return export.Attempt(timestamp, body, manifest)


def run_verified(module, scratch):
    params = module.params
    try:
        recorded = receipts.build_receipt(**(params["receipt"] or {})) if params["receipt"] else {}
        destination, problem = destination_of(recorded, params["destination_s3_uri"])
        if destination is None:
            raise export.ExportRuleError(
                "destination_s3_uri",
                None,
                "is required with state=verified (%s)" % problem,
                "the export destination s3://bucket/prefix/<entity>/<analysis_id>/",
            )
        inventory = fsx_summary(params["fsx_inventory"])
        if params["timestamp"]:
            export.export_monitor_prefix(destination, params["timestamp"])  # validates the format
    except (receipts.ReceiptError, paths.PathRuleError, TypeError) as err:
        module.fail_json(msg="invalid options: %s" % err)
    s3 = S3(module)
    location = paths.parse_s3_uri(destination)
    monitor_prefix = paths.parse_s3_uri(export.export_monitor_root(destination)).prefix
    found = receipt_keys(s3_objects.list_objects(s3(), location.bucket, monitor_prefix), monitor_prefix)
    if params["timestamp"]:
        found = {params["timestamp"]: found[params["timestamp"]]} if params["timestamp"] in found else {}
    where = "s3://%s/%s" % (
        location.bucket,
        monitor_prefix + (params["timestamp"] + "/" if params["timestamp"] else "*/"),
    )
    if not found:
        failure = {
            "field": "receipt",
            "expected": where + export.RECEIPT_FILENAME,
            "actual": None,
            "message": "receipt: no %s under %s; write one with state=present" % (export.RECEIPT_FILENAME, where),
        }
        return {"changed": False, "verified": False, "verification_failures": [failure], "failed_files": []}
    newest = chosen = None
    for timestamp in sorted(found, reverse=True):  # the newest verified receipt, else the newest one
        uri = "s3://%s/%s" % (location.bucket, found[timestamp])
        try:
            attempt = read_attempt(s3, location.bucket, found[timestamp], timestamp, scratch)
        except (receipts.ReceiptError, ValueError) as err:
            attempt = err
        newest = newest or (uri, attempt)
        if isinstance(attempt, export.Attempt) and export.is_verified(attempt.receipt):
            chosen = (uri, attempt)
            break
    uri, attempt = chosen or newest
    if isinstance(attempt, Exception):
        failure = {
            "field": "receipt",
            "expected": "a readable %s" % export.RECEIPT_FILENAME,
            "actual": None,
            "message": "receipt: %s cannot be read: %s" % (uri, attempt),
        }
        return {
            "changed": False,
            "verified": False,
            "verification_failures": [failure],
            "failed_files": [],
            "receipt_s3_uri": uri,
        }
    body, failures, s3_summary = verify(
        s3, attempt.receipt, inventory, destination, manifest=attempt.manifest, scratch=scratch
    )
    files = (params["fsx_inventory"] or {}).get("files")
    drift = None
    if files is not None and attempt.manifest is not None:
        drift = export.fsx_drift(attempt.manifest, export.FileRecords(files))
        if any(drift.values()):
            failures.append(
                {
                    "field": "manifest",
                    "expected": None,
                    "actual": drift,
                    "message": "manifest: FSx changed since the export: %s" % export.describe_drift(drift),
                }
            )
            body = receipts.update_receipt(body, verified=False)
    result = _result(body, failures, s3_summary)
    result["receipt_s3_uri"] = uri
    if drift is not None:
        result["drift"] = drift
    return result


def _is_resumable(association, plan):
    """An association of this export that an interrupted run left attached."""
    return (
        association.get("file_system_path") == plan["source_path"]
        and association.get("data_repository_path") == plan["destination_s3_uri"]
    )


def run_preflight(module, scratch):
    """Decide what this run does (see export.decide); a refusal records the attempt locally, never in S3, and fails."""
    params = module.params
    plan = params["plan"]
    try:
        destination = export.validate_export_destination(
            plan["destination_s3_uri"], plan["executing_entity"], plan["analysis_id"]
        )
        export.check_timestamp(plan["timestamp"])
        files = params["fsx_inventory"].get("files")
        if files is None:
            raise ValueError("fsx_inventory lists no files; register analysis_inventory with return_files: true")
        entries = export.FileRecords(files)
    except (paths.PathRuleError, KeyError, TypeError, ValueError) as err:
        module.fail_json(msg="invalid preflight options: %s" % err)
    s3 = S3(module)
    location = paths.parse_s3_uri(destination)
    # everything under the destination, relative to it, page by page into a file
    everything = list_destination(s3, location, scratch, keep=lambda _key: True).objects
    monitor_prefix = paths.parse_s3_uri(export.export_monitor_root(destination)).prefix
    monitor = monitor_prefix[len(location.prefix) :]
    monitor_keys = (location.prefix + key for key in everything if key.startswith(monitor))
    attempts = []
    for timestamp, key in sorted(receipt_keys(monitor_keys, monitor_prefix).items()):
        try:
            body = read_receipt(s3, location.bucket, key)
            # another export's receipt is refused as it is; only this export's manifests are read
            manifest_of = export.is_same_export(body, plan["source_path"], destination)
            attempts.append(
                read_attempt(s3, location.bucket, key, timestamp, scratch, body)
                if manifest_of
                else export.Attempt(timestamp, body, None)
            )
        except (receipts.ReceiptError, ValueError) as err:
            module.fail_json(
                msg="%s holds an unreadable receipt s3://%s/%s (%s): repair or remove it; nothing was changed "
                "and nothing was written to S3" % (destination, location.bucket, key, err)
            )
    resuming = any(_is_resumable(association, plan) for association in params["associations"] or [])

    def s3_failures_of(attempt):
        relisted = ((location.prefix + key, size) for key, size in everything.items())  # not listed a second time
        listed = export.write_listing(relisted, location.prefix, scratch)
        return verify(s3, attempt.receipt, None, destination, manifest=attempt.manifest, listed=listed)[1]

    decision = export.decide(
        destination,
        plan["source_path"],
        everything,
        attempts,
        entries,
        resuming,
        params["update_existing"],
        s3_failures_of,
    )
    result = {
        "changed": False,
        "action": decision.action,
        "msg": decision.message,
        "drift": decision.drift,
        "attempts": [attempt.timestamp for attempt in attempts],
        # an update exports again; anything else may adopt the export task of an earlier run of the same paths
        "adopt_succeeded": decision.attempt is None,
    }
    if decision.attempt is not None:
        result["previous_receipt_s3_uri"] = export.export_receipt_uri(destination, decision.attempt.timestamp)
    if decision.action != "refuse":
        return result
    fields = dict(
        plan["receipt_fields"],
        timestamp=plan["timestamp"],
        status="error",
        phase="preflight",
        failure_details={"message": decision.message},
        **(params["receipt"] or {}),
    )
    body = receipts.build_receipt(**fields)
    output_dir = params["output_dir"] or plan.get("output_dir")
    if output_dir:
        local = LocalPlan(output_dir, body, receipts.dump_receipt(body), None, plan["timestamp"])
        if not module.check_mode:
            local.apply(module)
        result.update(changed=bool(local.writes), receipt_path=local.receipt_path)
    module.fail_json(**result)


def _failure_message(module, result):
    """The message of an unverified receipt: the root cause when the export itself failed, else what did not verify."""
    body = result["receipt"] or {}
    where = " ".join(filter(None, (result.get("receipt_path"), result.get("receipt_s3_uri"))))
    if body.get("status") == "error":
        cause = (body.get("failure_details") or {}).get("message") or "no details"
        return "The export of %s to %s failed in phase %s: %s (receipt: %s)" % (
            body.get("source_path"),
            body.get("destination_s3_uri"),
            body.get("phase"),
            cause,
            where or "not written",
        )
    messages = "; ".join(failure["message"] for failure in result["verification_failures"])
    if module.params["plan"]:
        return "The export of %s to %s is NOT verified (receipt: %s): %s" % (
            body.get("source_path"),
            body.get("destination_s3_uri"),
            where,
            messages,
        )
    return "the export receipt does not verify: %s" % messages


def main():
    argument_spec = dict(
        state=dict(type="str", choices=["present", "verified", "preflight"], default="present"),
        receipt=dict(type="dict"),
        plan=dict(type="dict"),
        results=dict(type="dict"),
        phase=dict(type="str", choices=list(receipts.PHASES)),
        destination_s3_uri=dict(type="str"),
        fsx_inventory=dict(type="dict"),
        associations=dict(type="list", elements="dict"),
        update_existing=dict(type="bool", default=False),
        verify=dict(type="bool", default=True),
        output_dir=dict(type="path"),
        upload=dict(type="bool", default=True),
        s3_uri=dict(type="str"),
        timestamp=dict(type="str"),
        fail_on_unverified=dict(type="bool", default=False),
    )
    module = DaylilyAWSModule(
        argument_spec=argument_spec,
        required_if=[("state", "present", ["receipt"]), ("state", "preflight", ["plan", "fsx_inventory"])],
        required_by={"results": "phase"},
        supports_check_mode=True,
    )
    runs = {"present": run_present, "verified": run_verified, "preflight": run_preflight}
    try:
        # manifests and listings pass through files here, one entry at a time, never held whole
        with tempfile.TemporaryDirectory(prefix="export_receipt.") as scratch:
            result = runs[module.params["state"]](module, scratch)
    except AnsibleS3Error as err:
        message = err.message
        output_dir = module.params["output_dir"] or (module.params["plan"] or {}).get("output_dir")
        if module.params["state"] == "present" and output_dir and not module.check_mode:
            # S3 is only written after the local files, so the evidence is there
            message += "; the receipt was written to %s" % os.path.join(output_dir, export.RECEIPT_FILENAME)
        module.fail_json_aws(err.exception, msg=message)
    except OSError as err:
        module.fail_json(
            msg="cannot write the receipt to %s: %s; check that the directory is writable"
            % (module.params["output_dir"], err)
        )

    if module.params["fail_on_unverified"] and not result["verified"]:
        module.fail_json(msg=_failure_message(module, result), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
