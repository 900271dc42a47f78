#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: run_report
short_description: Write the self-contained HTML report of a lifecycle run
version_added: 0.1.0
description:
  - Writes one HTML page about a lifecycle run - its phases on a timeline (start, end, duration, status, change), the
    FSx data repository associations attached and detached, each export's object count, bytes and verification read
    from its C(fsx_export.yaml) receipt, the Dewey artifact set EUIDs, links to the receipts, and the operator's extra
    facts such as the cost so far.
  - The page is written to O(output_dir) and, with O(s3_uri), next to the export in S3, under the destination's
    C(_daylily_monitor/run-report/), where the receipts' verification does not count it as exported data.
  - The page is self-contained - CSS inline, no script, no font, image or anything else from elsewhere, and a
    Content-Security-Policy that forbids every fetch, so it can be opened offline, mailed or attached to a ticket.
  - Every value is HTML-escaped. Times are shown in UTC.
  - The page depends on the inputs alone (never on when it is written), so the same inputs give the same bytes and a
    second run reports C(changed=false). Check mode writes nothing (no local write, no C(PutObject)); with C(--diff)
    the module shows the page before and after.
  - Every input is checked before anything is written; an error names the input (for example C(phases[2].ended_at))
    and what to pass.
  - Run it on the controller (C(delegate_to=localhost)) - it reads the receipts and writes the page where it runs.
author:
  - Daylily ephemeral cluster maintainers (!UNKNOWN)
options:
  title:
    description:
      - The page's title, for example the cluster and analysis of the run.
    type: str
    required: true
  output_dir:
    description:
      - The local directory the page is written to, as O(filename). It is created when missing.
      - Links to the receipts are relative to it, so the directory can be moved or archived with the receipts.
    type: path
    required: true
  filename:
    description:
      - The page's file name, in O(output_dir) and in S3.
    type: str
    default: run_report.html
  s3_uri:
    description:
      - Also write the page to S3 (C(PutObject), only when the object does not already hold it).
      - The export destination C(s3://bucket/prefix/<entity>/<analysis_id>/) (ending with C(/)) puts it at
        C(<destination>_daylily_monitor/run-report/<filename>).
      - An object URI is used as it is, and must lie under a C(_daylily_monitor/) folder - anywhere else the export's
        verification would count the page as exported data.
      - The receipt links of the page are relative to O(output_dir); in S3 the page shows each receipt's S3 URI too.
    type: str
  phases:
    description:
      - The phases of the run, in the order they ran.
      - "Each is a mapping: C(name) (required), C(started_at), C(ended_at), C(status), C(changed). Times are ISO 8601
        with a time zone, for example V(2026-12-06T12:00:05Z) or V(2026-12-06T12:00:05.123456+00:00) (what Jinja's
        C(now) with C(utc=true) gives, formatted with C(isoformat)), the export timestamp form V(20261206T120005Z), or
        epoch seconds. A time without a zone is refused."
      - C(status) is V(ok) (the default), V(failed), V(skipped) (not run, no times needed) or V(running) (started, no
        end yet); C(changed) is a boolean, false by default.
      - V(ok) and V(failed) need both times; the end may not be before the start.
    type: list
    elements: dict
    default: []
  associations:
    description:
      - "The data repository associations the run attached and detached, as C({attached: [...], detached: [...]})."
      - Each item is an association as M(daylily.ephemeral_cluster.fsx_dra_info) returns it (C(association_id),
        C(file_system_path), C(data_repository_path), C(lifecycle), C(tags)), or the registered result of
        M(daylily.ephemeral_cluster.fsx_dra) (of a detach, its RV(daylily.ephemeral_cluster.fsx_dra#module:detach_lifecycle)
        is shown). A skipped result, or one without an association (check mode before a creation), is left out. The
        C(lsmc:purpose) tag is shown as the purpose.
    type: dict
    default: {}
  receipts:
    description:
      - The local C(fsx_export.yaml) receipts of the run's exports
        (RV(daylily.ephemeral_cluster.export_receipt#module:receipt_path)). Their object counts, bytes, failed files,
        status and C(verified) are read from the files, and the page links to them.
      - A path that is not a readable receipt is refused.
    type: list
    elements: path
    default: []
  registrations:
    description:
      - The Dewey registrations of the run - registered results of M(daylily.ephemeral_cluster.dewey_register)
        (their RV(daylily.ephemeral_cluster.dewey_register#module:artifact_set_euids),
        RV(daylily.ephemeral_cluster.dewey_register#module:registration_receipt_s3_uri) and
        RV(daylily.ephemeral_cluster.dewey_register#module:export_receipt_uri) are shown), or EUID strings.
      - A skipped result is left out.
    type: list
    elements: raw
    default: []
  summary:
    description:
      - "Extra facts shown in the summary, as C({label: value}) in the order given, for example
        C({\"Cluster\": \"day-demo\", \"Cost so far in USD\": 12.34}). Lists and mappings are shown as JSON."
    type: dict
    default: {}
notes:
  - With O(s3_uri), needs C(s3:GetObject) and C(s3:PutObject) on the report's key. Without it no AWS call is made.
extends_documentation_fragment:
  - daylily.ephemeral_cluster.aws
"""

EXAMPLES = r"""
# How a playbook records a phase: its start time before the step, the phase after it.
- name: Note when the export starts
  ansible.builtin.set_fact:
    phase_started_at: "{{ now(utc=true).isoformat() }}"

- name: Export the analysis
  ansible.builtin.include_role:
    name: daylily.ephemeral_cluster.export

- name: Record the export phase
  ansible.builtin.set_fact:
    lifecycle_phases: >-
      {{ lifecycle_phases | default([]) + [{'name': 'export', 'started_at': phase_started_at,
         'ended_at': now(utc=true).isoformat(), 'status': 'ok', 'changed': export_preflight.action == 'export'}] }}

- name: Write the run report next to the receipts and next to the export in S3
  daylily.ephemeral_cluster.run_report:
    title: "day-demo: alice/run42"
    output_dir: "{{ playbook_dir }}/receipts/alice/run42"
    s3_uri: s3://daylily-analysis/derived/alice/run42/
    phases:
      - name: preflight
        started_at: "2026-12-06T12:00:00Z"
        ended_at: "2026-12-06T12:00:41Z"
        status: ok
        changed: false
      - name: create
        started_at: "2026-12-06T12:00:41Z"
        ended_at: "2026-12-06T12:31:02Z"
        status: ok
        changed: true
      - name: delete
        status: skipped
    associations:
      attached:
        - "{{ run_mount_result }}"  # a registered fsx_dra result
        - association_id: dra-0123456789abcdef0
          file_system_path: /staging/alice-run42/
          data_repository_path: s3://daylily-stage/alice-run42/
          lifecycle: AVAILABLE
      detached:
        - "{{ export_detach }}"
    receipts:
      - "{{ export_receipt.receipt_path }}"
    registrations:
      - "{{ dewey_registration }}"  # a registered dewey_register result
    summary:
      Cluster: day-demo
      Cost so far (USD): 12.34
  delegate_to: localhost
  register: run_report

- name: Say where it is
  ansible.builtin.debug:
    msg: "Run report ({{ run_report.report.outcome }}): {{ run_report.report_path }}"
"""

RETURN = r"""
report_path:
  description: The page on the host that ran the module.
  returned: always
  type: str
  sample: /home/alice/receipts/alice/run42/run_report.html
report_s3_uri:
  description: Where the page is (or, in check mode, would be) in S3.
  returned: when O(s3_uri) is set
  type: str
  sample: s3://daylily-analysis/derived/alice/run42/_daylily_monitor/run-report/run_report.html
sha256:
  description: The SHA-256 of the page's bytes.
  returned: always
  type: str
  sample: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
report:
  description: What the page says, as data.
  returned: always
  type: dict
  contains:
    outcome:
      description: V(failed) when a phase failed or an export ended in error, V(in progress) while a phase runs, else V(succeeded).
      returned: always
      type: str
      sample: succeeded
    started_at:
      description: The earliest phase start (UTC), or null when no phase started.
      returned: always
      type: str
      sample: "2026-12-06T12:00:00Z"
    ended_at:
      description: The latest phase end (UTC).
      returned: always
      type: str
      sample: "2026-12-06T12:48:10Z"
    duration_seconds:
      description: From RV(report.started_at) to RV(report.ended_at).
      returned: always
      type: float
      sample: 2890.0
    phases:
      description: The phases with their times in UTC and C(duration_seconds).
      returned: always
      type: list
      elements: dict
    associations:
      description:
        - The associations shown, C(attached) and C(detached) lists, each with C(association_id), C(file_system_id),
          C(file_system_path), C(data_repository_path), C(lifecycle) and C(purpose).
      returned: always
      type: dict
    export:
      description:
        - Totals over the receipts - C(receipt_count), C(s3_object_count) and C(s3_total_bytes) (null when a receipt
          has no count), C(failed_file_count), and C(verified) (every receipt verified; null without receipts).
      returned: always
      type: dict
      sample: {"receipt_count": 1, "s3_object_count": 12, "s3_total_bytes": 73400320, "failed_file_count": 0, "verified": true}
    euids:
      description: Every Dewey artifact set EUID shown.
      returned: always
      type: list
      elements: str
      sample: ["Z-DGX-000003", "Z-DGX-000004"]
"""

import hashlib
import os

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import local_files
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import run_report
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import s3_objects
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import DaylilyAWSModule
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import module_retry


def main():
    module = DaylilyAWSModule(
        argument_spec=dict(
            title=dict(type="str", required=True),
            output_dir=dict(type="path", required=True),
            filename=dict(type="str", default=run_report.DEFAULT_FILENAME),
            s3_uri=dict(type="str"),
            phases=dict(type="list", elements="dict", default=[]),
            associations=dict(type="dict", default={}),
            receipts=dict(type="list", elements="path", default=[]),
            registrations=dict(type="list", elements="raw", default=[]),
            summary=dict(type="dict", default={}),
        ),
        supports_check_mode=True,
    )
    params = module.params
    with module.reporting_failures():
        filename = run_report.check_filename(params["filename"])
        target = run_report.report_key(params["s3_uri"], filename) if params["s3_uri"] else None
        model = run_report.report_from_options(params)
    output_dir = os.path.abspath(params["output_dir"])
    report_path = os.path.join(output_dir, filename)
    page = run_report.render_html(model, output_dir)

    diffs = []
    before = local_files.read_text(report_path)
    if before != page:
        diffs.append({"before": before or "", "after": page, "before_header": report_path, "after_header": report_path})
        if not module.check_mode:
            local_files.write_text(module, report_path, page)  # first: the page exists even if S3 refuses the upload

    result = {"report_path": report_path}
    if target is not None:
        bucket, key, uri = target
        result["report_s3_uri"] = uri
        with module.reporting_failures(changed=bool(diffs) and not module.check_mode, report_path=report_path):
            client = module.client("s3", retry_decorator=module_retry(module))
            stored = s3_objects.get_text(client, bucket, key)
            if stored != page:
                diffs.append({"before": stored or "", "after": page, "before_header": uri, "after_header": uri})
                if not module.check_mode:
                    s3_objects.put_text(client, bucket, key, page, run_report.CONTENT_TYPE)

    result.update(
        changed=bool(diffs),
        sha256=hashlib.sha256(page.encode("utf-8")).hexdigest(),
        report=run_report.report_facts(model),
    )
    if module._diff:
        result["diff"] = diffs
    module.exit_json(**result)


if __name__ == "__main__":
    main()
