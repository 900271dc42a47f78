#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: fsx_export
short_description: Export one FSx for Lustre directory to S3 through a temporary data repository association
version_added: 0.1.0
description:
  - "In one run: attaches exactly O(file_system_path) to O(data_repository_path), runs one C(EXPORT_TO_REPOSITORY)
    task on it, waits for the task, and detaches the association with C(DeleteDataInFileSystem=false), whatever
    happened before (the detach runs in a C(finally)). The files stay on the file system; nothing in S3 is deleted."
  - "The attach follows the rules of M(daylily.ephemeral_cluster.fsx_dra) with O(daylily.ephemeral_cluster.fsx_dra#module:state=present):
    the file system must be LUSTRE, AVAILABLE, not SCRATCH_1 and without a legacy data repository configuration; the
    path and the prefix must overlap no active association (V(MISCONFIGURED) ones count); at most 8 associations may
    be active. The association has no automatic import or export and no batch import. An association of exactly this
    directory and destination left by an interrupted run is reused; one of the directory with another prefix is
    never touched and fails the run."
  - "The task follows the rules of M(daylily.ephemeral_cluster.fsx_export_task): an export of exactly this directory
    that is already running is joined; with O(adopt_succeeded=true) a V(SUCCEEDED) one whose report lies inside the
    destination is adopted; the request token is derived from its inputs, so a retried create never starts a second
    task. When such a V(SUCCEEDED) export exists and no association of this export is attached, nothing is attached:
    the run is a no-op (C(changed=false))."
  - "The wait describes the task on its own pace, shortly before the end its file counts predict (else on a schedule
    growing with its age, never more than 30 s apart), as M(daylily.ephemeral_cluster.fsx_data_repository_task_info)
    does. Without O(wait_seconds) the run waits until the task ends. With O(wait_seconds), it waits at most that long:
    a task still running then needs its association, so the run returns with the association attached
    (RV(left_attached=true)); a follow-up run with O(task_id) (in an C(until:) loop, which can print the progress of
    each round) waits on and detaches once the task has ended. O(wait_timeout) counts from the task's creation, so it
    bounds the first run and its follow-ups together."
  - "What the caller has just described is not described again: O(file_system) is used for the file system checks
    and O(associations) for the overlap and capacity checks (both as M(daylily.ephemeral_cluster.fsx_dra_info)
    returns them). Without them the module describes the file system and its associations itself."
  - "Failures name the step: RV(phase) is V(attach), V(run) or V(detach); the result's RV(attach), RV(export) and
    RV(detach) hold what each step returned, also on failure. A task that ends V(FAILED) or V(CANCELED) fails the
    module after the detach (O(fail_on_task_failure)). A detach that does not end with the association deleted fails
    the module (phase V(detach)), even after a successful export."
  - "In check mode only C(Describe*) calls are made: the result says what would be attached, created and detached,
    with C(--diff) the association and the task before and after."
author:
  - Daylily ephemeral cluster maintainers (!UNKNOWN)
options:
  file_system_path:
    description:
      - The directory to export, in the FSx API form (V(/analysis_results/alice/run42/)) or the headnode form under
        O(mount_point) (V(/fsx/analysis_results/alice/run42)). Read-only roots (C(/run_dir_mounts/), C(/references/),
        C(/staging/), C(/control_data/)) are refused before any AWS call.
    type: str
    required: true
  data_repository_path:
    description:
      - The destination S3 prefix, for example V(s3://daylily-analysis/derived/alice/run42/), linked to
        O(file_system_path) for the duration of the export.
    type: str
    required: true
  report_path:
    description:
      - The S3 prefix of the task's completion report (the CSV of failed files), inside O(data_repository_path).
      - Part of the task's request token, as for M(daylily.ephemeral_cluster.fsx_export_task).
    type: str
    required: true
  tags:
    description:
      - Tags of the association, for example C(lsmc:purpose=output-export) and C(Name). Tags of a reused association
        that are not listed are kept.
    type: dict
  adopt_succeeded:
    description:
      - Adopt a V(SUCCEEDED) export of exactly this directory whose report lies inside O(data_repository_path) instead
        of exporting again. Set V(false) to export again, for example after files changed on the file system.
    type: bool
    default: true
  wait_for_other_tasks:
    description:
      - When another data repository task runs on the file system, wait until it ends (within O(wait_timeout)), then
        start the export; when V(false), fail naming it (the association is detached).
    type: bool
    default: true
  task_id:
    description:
      - "A follow-up run of an export whose task outlived the first run's O(wait_seconds) (RV(left_attached=true)):
        the export task that run returned (RV(task_id)). The run waits on that task instead of starting one, and
        detaches the association once it has ended."
    type: str
  wait_seconds:
    description:
      - Wait at most this many seconds for the task to end, then return with the association still attached when
        it has not (RV(left_attached=true)); see O(task_id).
      - Not set, the run waits until the task ends or O(wait_timeout) has passed.
    type: int
  wait_timeout:
    description:
      - The longest the export task may run, in seconds counted from its creation, and the longest each association
        wait may take. When the task is still running after it, the association is detached (which ends the export)
        and the module fails.
    type: int
    default: 3600
  poll_interval:
    description:
      - Seconds between two C(DescribeDataRepositoryAssociations) calls while the association is being created or
        deleted, and between two looks at another task the export waits for.
    type: float
    default: 15
  fail_on_task_failure:
    description:
      - Fail (after the detach) when the export task ends V(FAILED) or V(CANCELED), with its failure details, counts
        and the location of the failed-files CSV. When V(false), return with RV(task_lifecycle) set instead.
    type: bool
    default: true
  file_system:
    description:
      - The file system as M(daylily.ephemeral_cluster.fsx_dra_info) returned it moments ago
        (RV(daylily.ephemeral_cluster.fsx_dra_info#module:file_system)); its checks use it instead of describing it
        again. It must be O(file_system_id)'s (needs O(file_system_id)).
    type: dict
  associations:
    description:
      - Every association of the file system as M(daylily.ephemeral_cluster.fsx_dra_info) (without a path filter)
        returned them moments ago; the reuse, overlap and capacity checks use them instead of describing them again.
        A list filtered to one path would hide overlaps from the checks (AWS still refuses overlapping associations).
      - They must be O(file_system_id)'s (needs O(file_system_id)). Ignored by a follow-up run (O(task_id)), which
        describes them.
    type: list
    elements: dict
notes:
  - "IAM actions: C(fsx:DescribeFileSystems), C(fsx:DescribeDataRepositoryAssociations), C(fsx:CreateDataRepositoryAssociation),
    C(fsx:DeleteDataRepositoryAssociation), C(fsx:TagResource), C(fsx:DescribeDataRepositoryTasks),
    C(fsx:CreateDataRepositoryTask), plus the S3 permissions FSx needs to write the destination."
  - M(daylily.ephemeral_cluster.fsx_dra) and M(daylily.ephemeral_cluster.fsx_export_task) do the steps one at a time,
    for an association that outlives one export.
seealso:
  - module: daylily.ephemeral_cluster.fsx_dra
  - module: daylily.ephemeral_cluster.fsx_export_task
  - module: daylily.ephemeral_cluster.fsx_dra_info
extends_documentation_fragment:
  - daylily.ephemeral_cluster.aws
  - daylily.ephemeral_cluster.fsx
  - daylily.ephemeral_cluster.option_names
"""

EXAMPLES = r"""
- name: Export one analysis directory and wait until it is exported and detached
  daylily.ephemeral_cluster.fsx_export:
    cluster_name: day-demo
    file_system_path: /fsx/analysis_results/alice/run42
    data_repository_path: s3://daylily-analysis/derived/alice/run42/
    report_path: s3://daylily-analysis/derived/alice/run42/_daylily_monitor/fsx-export/20260131T120000Z/export-report/
    tags:
      "lsmc:purpose": output-export
      Name: alice/run42
  register: exported

- name: Look up the file system and its associations once
  daylily.ephemeral_cluster.fsx_dra_info:
    cluster_name: day-demo
  register: lookup

- name: Export without describing them again, waiting 30 s in this run
  daylily.ephemeral_cluster.fsx_export:
    file_system_id: "{{ lookup.file_system_id }}"
    file_system: "{{ lookup.file_system }}"
    associations: "{{ lookup.associations }}"
    file_system_path: /analysis_results/alice/run42/
    data_repository_path: s3://daylily-analysis/derived/alice/run42/
    report_path: s3://daylily-analysis/derived/alice/run42/_daylily_monitor/fsx-export/20260131T120000Z/export-report/
    wait_seconds: 30
  register: export_run

- name: Follow a longer export, 30 s per round, until it has ended and its association is detached
  daylily.ephemeral_cluster.fsx_export:
    file_system_id: "{{ lookup.file_system_id }}"
    file_system_path: /analysis_results/alice/run42/
    data_repository_path: s3://daylily-analysis/derived/alice/run42/
    report_path: s3://daylily-analysis/derived/alice/run42/_daylily_monitor/fsx-export/20260131T120000Z/export-report/
    task_id: "{{ export_run.task_id }}"
    wait_seconds: 30
  register: export_follow
  until: not export_follow.left_attached
  retries: 121
  delay: 0
  when: export_run.left_attached
"""

RETURN = r"""
changed:
  description: Whether an association was attached or detached, or a task created (or would be, in check mode).
  returned: always
  type: bool
  sample: true
file_system_id:
  description: The file system, given or resolved from O(cluster_name).
  returned: always
  type: str
  sample: fs-0123456789abcdef0
phase:
  description:
    - Where the run ended. V(complete) after a V(SUCCEEDED) task (and in check mode); V(run) while the task still runs
      (RV(left_attached=true)) or when it ended V(FAILED) or V(CANCELED); on failure the step that failed,
      V(attach), V(run) or V(detach).
  returned: always
  type: str
  sample: complete
left_attached:
  description:
    - True when the task was still running after O(wait_seconds), so its association stays attached until a follow-up
      run (O(task_id)) sees the task end.
  returned: always
  type: bool
  sample: false
task_id:
  description: The export task; null in check mode when one would be created.
  returned: always
  type: str
  sample: task-0123456789abcdef0
task_lifecycle:
  description: The task's lifecycle when the run returned (V(SUCCEEDED), V(FAILED), V(CANCELED), or V(EXECUTING) with RV(left_attached=true)).
  returned: always
  type: str
  sample: SUCCEEDED
progress:
  description: One line with the task's ID, lifecycle and file counts, for an operator watching the rounds.
  returned: always
  type: str
  sample: "task-0123456789abcdef0 SUCCEEDED: 12 of 12 files done, 0 failed"
attach:
  description:
    - What the attach returned, as M(daylily.ephemeral_cluster.fsx_dra) with O(daylily.ephemeral_cluster.fsx_dra#module:state=present)
      does (C(association), C(created), C(changed), C(file_system_id)); on an attach failure also its C(msg).
  returned: always
  type: dict
  sample: {"created": true, "association": {"association_id": "dra-0123456789abcdef0", "lifecycle": "AVAILABLE"}}
export:
  description:
    - What the export step returned, as M(daylily.ephemeral_cluster.fsx_export_task) does (C(task), C(task_id),
      C(task_lifecycle), the counts, C(report_path), C(failure_details), C(attached), C(adopted), C(would_create) in
      check mode).
  returned: always
  type: dict
  sample: {"task_id": "task-0123456789abcdef0", "task_lifecycle": "SUCCEEDED", "attached": false, "adopted": false}
detach:
  description:
    - What the detach returned, as M(daylily.ephemeral_cluster.fsx_dra) with O(daylily.ephemeral_cluster.fsx_dra#module:state=absent)
      does; C(detach_lifecycle) is V(DELETED) once the association is gone, V(NOT_FOUND) when nothing of this export
      was attached. On a failed detach, its C(msg) and the association's last C(detach_lifecycle).
    - Empty while RV(left_attached=true).
  returned: always
  type: dict
  sample: {"changed": true, "detach_lifecycle": "DELETED"}
diff:
  description: With C(--diff), the association and the task before and after the run.
  returned: when diff mode is on
  type: dict
  sample: {"before": {"association": {}, "task": {}}, "after": {"association": {}, "task": {"paths": ["analysis_results/alice/run42"]}}}
"""

import time

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.fsx import FILE_SYSTEM_EXCLUSIVE
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.fsx import TemporaryExport
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.fsx import file_system_argument_spec
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.fsx import fsx_client
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import DaylilyAWSModule


def ensure_present(export, client):
    """The directory exported through a temporary association, detached again unless its task still runs."""
    return export.run(client)


def main():
    argument_spec = file_system_argument_spec(
        file_system_path=dict(type="str", required=True),
        data_repository_path=dict(type="str", required=True),
        report_path=dict(type="str", required=True),
        tags=dict(type="dict"),
        adopt_succeeded=dict(type="bool", default=True),
        wait_for_other_tasks=dict(type="bool", default=True),
        task_id=dict(type="str"),
        wait_seconds=dict(type="int"),
        wait_timeout=dict(type="int", default=3600),
        poll_interval=dict(type="float", default=15),
        fail_on_task_failure=dict(type="bool", default=True),
        file_system=dict(type="dict"),
        associations=dict(type="list", elements="dict"),
        option_names=dict(type="dict", default={}),
    )
    module = DaylilyAWSModule(
        argument_spec=argument_spec,
        mutually_exclusive=[FILE_SYSTEM_EXCLUSIVE],
        required_one_of=[FILE_SYSTEM_EXCLUSIVE],
        required_by={"file_system": "file_system_id", "associations": "file_system_id"},
        supports_check_mode=True,
    )
    # The waits use this module's clock, so a test can replace it.
    export = TemporaryExport(module, sleep=time.sleep, clock=time.monotonic)
    export.validate()  # before the client exists: bad input never reaches AWS
    client = fsx_client(module)
    with module.reporting_failures():
        result = ensure_present(export, client)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
