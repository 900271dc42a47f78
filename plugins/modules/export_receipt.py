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
    the field names of DayEC's v4 receipt under the top key C(fsx_export), plus C(producer), the FSx and S3 counts,
    C(verified) and C(failed_files).
  - With O(state=present) the receipt is built from O(receipt), verified against S3 (O(verify)), and written to
    O(output_dir) on the host running the module (normally the controller) and next to the exported data, at
    C(<destination>_daylily_monitor/fsx-export/<timestamp>/fsx_export.yaml) (O(upload)).
  - The receipt is written whatever the outcome, also when O(receipt) describes a failed export (C(status=error)) or the
    verification fails, so every attempt leaves evidence. Only invalid options stop the module before it writes.
  - "Verification: C(status=success), C(task_lifecycle=SUCCEEDED), C(detached=true) with C(detach_lifecycle) C(DELETED)
    or C(NOT_FOUND), C(delete_data_in_file_system=false), no row in the task's failed-files report
    C(<report_path>task-<task_id>/failures.csv) (a missing report means no failures), and the number and bytes of S3
    objects under the destination (C(_daylily_monitor/) and directory markers excluded) equal the FSx file count and
    bytes (O(fsx_inventory), or the C(fsx_file_count)/C(fsx_total_bytes) fields of O(receipt))."
  - With O(state=verified) the module finds the latest receipt under the destination's
    C(_daylily_monitor/fsx-export/*/fsx_export.yaml), verifies it again against S3 as it is now, and writes nothing.
  - Idempotent - nothing is written when the local file and the S3 object already hold the same receipt.
    Check mode makes no change (no C(PutObject), no local write) and returns the receipt that would be written.
author:
  - Daylily ephemeral cluster maintainers (!UNKNOWN)
options:
  state:
    description:
      - V(present) builds, verifies and writes the receipt.
      - V(verified) re-verifies the latest existing receipt in S3 and never writes.
    type: str
    choices: [present, verified]
    default: present
  receipt:
    description:
      - The receipt fields, flat (without the C(fsx_export) top key), for example C(status), C(phase), C(cluster_name),
        C(destination_s3_uri), C(task_id), C(task_lifecycle), C(report_path), C(detached), C(detach_lifecycle).
      - Unknown field names and values of the wrong type are refused before any AWS call. Missing fields get DayEC's
        defaults (C(status=started), C(phase=attach), C(detached=false), C(delete_data_in_file_system=false)).
      - C(verified), C(s3_object_count), C(s3_total_bytes) and C(failed_files) are recomputed when O(verify=true).
      - Required with O(state=present). With O(state=verified) only its C(destination_s3_uri) is used, when
        O(destination_s3_uri) is not given.
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
        on the analysis directory. Only its C(file_count) and C(total_bytes) are used; they are recorded as
        C(fsx_file_count) and C(fsx_total_bytes).
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
      - Local directory, on the host running the module, where C(fsx_export.yaml) is written. It is created when missing.
      - Omit it to write to S3 only.
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
      - Fail the task when the receipt does not verify, after it has been written.
    type: bool
    default: false
notes:
  - Needs C(s3:ListBucket) on the destination bucket and C(s3:GetObject) and C(s3:PutObject) on the destination prefix.
  - Run it on the controller (C(delegate_to=localhost)) when O(output_dir) should be a controller directory.
  - The receipt YAML is pure ASCII with every string double-quoted, so C(yq) and C(yaml.safe_load) read it unchanged.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - daylily.ephemeral_cluster.retries
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

- name: Before deleting the cluster, check the latest receipt of an analysis
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
  sample: {"schema_version": 4, "status": "success", "phase": "complete", "verified": true, "s3_object_count": 12}
verified:
  description: Whether the receipt verified (the receipt's C(verified) field).
  returned: always
  type: bool
  sample: true
verification_failures:
  description: The checks that failed; empty when RV(verified) is true.
  returned: always
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
  description: The local receipt file.
  returned: when O(output_dir) is given with O(state=present)
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
failed_files:
  description: The rows of the task's failed-files report, or the receipt's own rows when no report was read.
  returned: always
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

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import digests
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import paths
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import receipt as receipts
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.aws_errors import THROTTLE_CODES
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.fsx import aws_error_code
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import module_retry
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import DaylilyAWSModule

CONTENT_TYPE = "application/yaml"
_REPORT_TIMESTAMP_RE = re.compile(r"/%s/fsx-export/(\d{8}T\d{6}Z)/" % paths.MONITOR_DIR)
_RECEIPT_KEY_RE = re.compile(r"(\d{8}T\d{6}Z)/%s$" % re.escape(paths.RECEIPT_FILENAME))
_MISSING_KEY_CODES = ("NoSuchKey", "404", "NotFound")


class S3Error(Exception):
    """An S3 call failed after retries; ``str(err)`` names the call, the object and what to do."""

    def __init__(self, message, exception):
        super().__init__(message)
        self.exception = exception


def _s3_hint(code, action, bucket, key):
    if code in ("AccessDenied", "AllAccessDisabled", "InvalidAccessKeyId", "SignatureDoesNotMatch"):
        resource = "arn:aws:s3:::%s" % bucket + ("/%s" % key if key is not None else "")
        return "allow s3:%s on %s for the user or role running Ansible" % (action, resource)
    if code == "NoSuchBucket":
        return "check the bucket name and region"
    if code in THROTTLE_CODES:
        return "S3 kept throttling after every retry; re-run later"
    return "check the S3 URI, the region and the credentials"


class S3Store:
    """The few S3 calls of this module, each retried with the module's jittered backoff.

    The client is made on the first call, so a receipt that needs no S3 call needs no AWS configuration.
    """

    def __init__(self, module):
        self.module = module
        self.retry = module_retry(module)
        self._client = None

    @property
    def client(self):
        if self._client is None:
            self._client = self.module.client("s3", retry_decorator=self.retry)
        return self._client

    def _fail(self, err, operation, action, bucket, key=None):
        code = aws_error_code(err)
        where = "s3://%s/%s" % (bucket, key if key is not None else "")
        detail = "%s, %s" % (operation, code) if code else operation
        return S3Error("%s of %s failed (%s): %s" % (operation, where, detail, _s3_hint(code, action, bucket, key)), err)

    def _pages(self, bucket, prefix, fold, initial):
        """Fold every ListObjectsV2 page (the paginator); a throttle restarts the listing from the first page."""

        def listing():
            state = initial()
            for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
                fold(state, page.get("Contents") or [])
            return state

        try:
            return self.retry(listing)()
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as err:
            raise self._fail(err, "ListObjectsV2", "ListBucket", bucket, prefix)

    def summarize(self, bucket, prefix):
        """(object count, total bytes) under ``prefix``, without ``_daylily_monitor/`` and directory markers."""

        def fold(state, contents):
            count, total = receipts.summarize_inventory(contents, s3=True)
            state[0] += count
            state[1] += total

        count, total = self._pages(bucket, prefix, fold, lambda: [0, 0])
        return {"count": count, "total_bytes": total}

    def keys(self, bucket, prefix):
        """Every key under ``prefix``."""
        return self._pages(bucket, prefix, lambda state, contents: state.extend(item["Key"] for item in contents), list)

    def get_text(self, bucket, key):
        """The object's content as text, or None when it does not exist."""
        try:
            response = self.client.get_object(Bucket=bucket, Key=key, aws_retry=True)
            return response["Body"].read().decode("utf-8")
        except botocore.exceptions.ClientError as err:
            if aws_error_code(err) in _MISSING_KEY_CODES:
                return None
            raise self._fail(err, "GetObject", "GetObject", bucket, key)
        except botocore.exceptions.BotoCoreError as err:
            raise self._fail(err, "GetObject", "GetObject", bucket, key)

    def put_text(self, bucket, key, text):
        body = text.encode("utf-8")
        try:
            self.client.put_object(Bucket=bucket, Key=key, Body=body, ContentType=CONTENT_TYPE,
                                   ChecksumSHA256=digests.hex_to_base64(digests.sha256_bytes(body)), aws_retry=True)
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as err:
            raise self._fail(err, "PutObject", "PutObject", bucket, key)


# --------------------------------------------------------------------------------------------------------------
# options -> plan (no AWS call)


def report_timestamp(report_path):
    """The ``YYYYmmddTHHMMSSZ`` of ``.../_daylily_monitor/fsx-export/<ts>/...`` in a report path, else None."""
    match = _REPORT_TIMESTAMP_RE.search(report_path or "")
    return match.group(1) if match else None


def fsx_summary(inventory):
    """``{"file_count", "total_bytes"}`` from an analysis_inventory result (or any summary receipt.py accepts)."""
    if inventory is None:
        return None
    count, total = receipts.summarize_inventory(inventory)
    return {"file_count": count, "total_bytes": total}


def destination_of(body, option=None):
    """``(destination, problem)``: the normalised destination of the receipt (or of the option; both must agree).

    A receipt destination that is missing or invalid gives ``(None, why)`` instead of an error, because an error
    receipt of an export whose destination was refused must still be writable. An invalid option raises.
    """
    recorded = body.get("destination_s3_uri") or body.get("s3_root")
    if option is not None:
        option = paths.normalize_s3_uri(option, field="destination_s3_uri")
        if recorded is not None and recorded != option and _normalized(recorded) != option:
            raise paths.ExportRuleError("destination_s3_uri", option, "differs from the receipt's %s" % ascii(recorded),
                                        "the receipt's destination_s3_uri, or omit the option")
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


def receipt_target(params, body, destination, problem=None):
    """``(bucket, key, uri)`` of the S3 receipt object; raises PathRuleError when it cannot be determined."""
    if params["s3_uri"]:
        uri = params["s3_uri"]
        if uri.endswith("/"):
            raise paths.S3UriError("s3_uri", uri, "ends with '/'", "an object URI such as s3://bucket/prefix/fsx_export.yaml")
        bucket, key = paths.s3_uri_to_key(uri)
        return bucket, key, "s3://%s/%s" % (bucket, key)
    from_report = report_timestamp(body.get("report_path"))
    timestamp = params["timestamp"] or from_report
    if params["timestamp"] and from_report and params["timestamp"] != from_report:
        raise paths.ExportRuleError("timestamp", params["timestamp"], "differs from the report_path timestamp %s" % from_report,
                                    "the timestamp of the receipt's report_path, or omit the option")
    if destination is None or timestamp is None:
        why = problem if destination is None else "the receipt has no report_path with a fsx-export/<timestamp>/ segment"
        raise paths.ExportRuleError(
            "s3_uri", None, "cannot be derived (%s)" % why,
            "a receipt with destination_s3_uri and report_path, the timestamp option, the s3_uri option, or upload: false")
    uri = paths.export_receipt_uri(destination, timestamp)
    bucket, key = paths.s3_uri_to_key(uri)
    return bucket, key, uri


# --------------------------------------------------------------------------------------------------------------
# verification


def _evidence_failure(field, err):
    return {"field": field, "expected": "evidence read from S3", "actual": None, "message": "%s: %s" % (field, err)}


def gather_evidence(store, body, destination, problem=None):
    """``(s3 summary or None, failed-file rows or None, failures)``; S3 errors become failures, never exceptions."""
    failures = []
    s3_summary = rows = None
    if destination is None:
        failures.append({"field": "destination_s3_uri", "expected": "an S3 URI", "actual": body.get("destination_s3_uri"),
                         "message": "destination_s3_uri: S3 cannot be checked: %s" % problem})
    else:
        location = paths.parse_s3_uri(destination, field="destination_s3_uri")
        try:
            s3_summary = store.summarize(location.bucket, location.prefix)
        except S3Error as err:
            failures.append(_evidence_failure("s3_object_count", err))
    if body.get("report_path") and body.get("task_id"):
        try:
            bucket, key = paths.s3_uri_to_key(paths.failure_report_uri(body["report_path"], body["task_id"]))
            text = store.get_text(bucket, key)
            rows = [] if text is None else receipts.parse_failure_report(text)
        except (S3Error, paths.PathRuleError) as err:
            failures.append(_evidence_failure("failed_files", err))
    return s3_summary, rows, failures


def verify_against_s3(store, body, fsx_inventory, destination, problem=None, check_s3=True):
    """Return ``(verified receipt, failures, s3 summary or None)``."""
    if not check_s3:
        updated, failures = receipts.apply_verification(body, fsx_inventory=fsx_inventory)
        skipped = {"field": "verified", "expected": True, "actual": False,
                   "message": "verified: not checked against S3 (verify is false)"}
        return receipts.update_receipt(updated, verified=False), [skipped] + failures, None
    s3_summary, rows, evidence_failures = gather_evidence(store, body, destination, problem)
    updated, failures = receipts.apply_verification(body, s3_inventory=s3_summary, fsx_inventory=fsx_inventory,
                                                    report_rows=rows)
    if evidence_failures:
        failures = evidence_failures + failures
        updated = receipts.update_receipt(updated, verified=False)
    return updated, failures, s3_summary


# --------------------------------------------------------------------------------------------------------------
# states


def _read_local(path):
    if not os.path.isfile(path):
        return None
    with open(path, "rb") as handle:
        return handle.read().decode("utf-8", "replace")


def _write_local(module, path, text):
    directory = os.path.dirname(path)
    os.makedirs(directory, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=".fsx_export.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8"))
    except BaseException:
        os.unlink(temp)
        raise
    module.atomic_move(temp, path)


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


def run_present(module):
    params = module.params
    try:
        body = receipts.build_receipt(**params["receipt"])
        destination, problem = destination_of(body, params["destination_s3_uri"])
        inventory = fsx_summary(params["fsx_inventory"])
        target = receipt_target(params, body, destination, problem) if params["upload"] else None
    except (receipts.ReceiptError, paths.PathRuleError, TypeError) as err:
        module.fail_json(msg="invalid receipt options: %s" % err)
    if target is None and not params["output_dir"]:
        module.fail_json(msg="nothing to write: set output_dir, or upload: true")
    store = S3Store(module)

    body, failures, s3_summary = verify_against_s3(store, body, inventory, destination, problem, check_s3=params["verify"])
    text = receipts.dump_receipt(body)

    local_path = os.path.join(params["output_dir"], paths.RECEIPT_FILENAME) if params["output_dir"] else None
    local_before = _read_local(local_path) if local_path else None
    local_changed = local_path is not None and local_before != text
    if local_changed and not module.check_mode:
        _write_local(module, local_path, text)  # first: the evidence exists even if S3 refuses the upload

    s3_before = None
    s3_changed = False
    if target is not None:
        bucket, key, _uri = target
        s3_before = store.get_text(bucket, key)
        s3_changed = s3_before != text
        if s3_changed and not module.check_mode:
            store.put_text(bucket, key, text)

    result = _result(body, failures, s3_summary, changed=local_changed or s3_changed)
    if local_path:
        result["receipt_path"] = local_path
    if target is not None:
        result["receipt_s3_uri"] = target[2]
    if module._diff:
        diffs = []
        if local_changed:
            diffs.append({"before": local_before or "", "after": text, "before_header": local_path, "after_header": local_path})
        if s3_changed:
            diffs.append({"before": s3_before or "", "after": text, "before_header": target[2], "after_header": target[2]})
        result["diff"] = diffs
    return result


def latest_receipt_key(keys, monitor_prefix, timestamp=None):
    """The key of the newest ``<monitor_prefix><ts>/fsx_export.yaml`` (or of ``timestamp``'s), else None."""
    found = {}
    for key in keys:
        match = _RECEIPT_KEY_RE.fullmatch(key[len(monitor_prefix):]) if key.startswith(monitor_prefix) else None
        if match:
            found[match.group(1)] = key
    if timestamp is not None:
        return found.get(timestamp)
    return found[max(found)] if found else None


def run_verified(module):
    params = module.params
    try:
        recorded = receipts.build_receipt(**(params["receipt"] or {})) if params["receipt"] else {}
        destination, problem = destination_of(recorded, params["destination_s3_uri"])
        if destination is None:
            raise paths.ExportRuleError("destination_s3_uri", None, "is required with state=verified (%s)" % problem,
                                        "the export destination s3://bucket/prefix/<entity>/<analysis_id>/")
        inventory = fsx_summary(params["fsx_inventory"])
        if params["timestamp"]:
            paths.export_monitor_prefix(destination, params["timestamp"])  # validates the format
    except (receipts.ReceiptError, paths.PathRuleError, TypeError) as err:
        module.fail_json(msg="invalid options: %s" % err)
    store = S3Store(module)
    location = paths.parse_s3_uri(destination)
    monitor_prefix = "%s%s/fsx-export/" % (location.prefix, paths.MONITOR_DIR)
    key = latest_receipt_key(store.keys(location.bucket, monitor_prefix), monitor_prefix, params["timestamp"])
    where = "s3://%s/%s" % (location.bucket, monitor_prefix + (params["timestamp"] + "/" if params["timestamp"] else "*/"))
    if key is None:
        failure = {"field": "receipt", "expected": where + paths.RECEIPT_FILENAME, "actual": None,
                   "message": "receipt: no %s under %s; write one with state=present" % (paths.RECEIPT_FILENAME, where)}
        return {"changed": False, "verified": False, "verification_failures": [failure], "failed_files": []}
    uri = "s3://%s/%s" % (location.bucket, key)
    text = store.get_text(location.bucket, key)
    try:
        stored = receipts.load_receipt(text or "")
        body = receipts.update_receipt(stored)
    except receipts.ReceiptError as err:
        failure = {"field": "receipt", "expected": "a readable %s" % paths.RECEIPT_FILENAME, "actual": None,
                   "message": "receipt: %s cannot be read: %s" % (uri, err)}
        return {"changed": False, "verified": False, "verification_failures": [failure], "failed_files": [],
                "receipt_s3_uri": uri}
    body, failures, s3_summary = verify_against_s3(store, body, inventory, destination)
    result = _result(body, failures, s3_summary)
    result["receipt_s3_uri"] = uri
    return result


def main():
    argument_spec = dict(
        state=dict(type="str", choices=["present", "verified"], default="present"),
        receipt=dict(type="dict"),
        destination_s3_uri=dict(type="str"),
        fsx_inventory=dict(type="dict"),
        verify=dict(type="bool", default=True),
        output_dir=dict(type="path"),
        upload=dict(type="bool", default=True),
        s3_uri=dict(type="str"),
        timestamp=dict(type="str"),
        fail_on_unverified=dict(type="bool", default=False),
    )
    module = DaylilyAWSModule(
        argument_spec=argument_spec,
        required_if=[("state", "present", ["receipt"])],
        supports_check_mode=True,
    )
    try:
        if module.params["state"] == "present":
            result = run_present(module)
        else:
            result = run_verified(module)
    except S3Error as err:
        message = str(err)
        if module.params["state"] == "present" and module.params["output_dir"] and not module.check_mode:
            # S3 is only written after the local file, so the evidence is there
            message += "; the receipt was written to %s" % os.path.join(module.params["output_dir"], paths.RECEIPT_FILENAME)
        module.fail_json_aws(err.exception, msg=message)
    except OSError as err:
        module.fail_json(msg="cannot write the receipt to %s: %s; check that the directory is writable"
                         % (module.params["output_dir"], err))

    if module.params["fail_on_unverified"] and not result["verified"]:
        messages = "; ".join(failure["message"] for failure in result["verification_failures"])
        module.fail_json(msg="the export receipt does not verify: %s" % messages, **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
