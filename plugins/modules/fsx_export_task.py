#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: fsx_export_task
short_description: Export FSx for Lustre directories to S3 with one data repository task
version_added: 0.1.0
description:
  - Runs one FSx C(EXPORT_TO_REPOSITORY) data repository task on exactly the directories in O(paths), with the
    completion report of failed files enabled (C(REPORT_CSV_20191124), scope C(FAILED_FILES_ONLY)) at O(report_path),
    and by default waits until it has ended.
  - Directories under the read-only roots (C(/run_dir_mounts/), C(/references/), C(/staging/), C(/control_data/)) are
    never exported without the writeback guard (O(allow_writeback) and an C(.atlas_rw) marker).
  - The directories must lie in one V(AVAILABLE) data repository association (DRA) of the file system, the one whose
    S3 prefix receives the files, and O(report_path) must lie inside that association's S3 prefix, because FSx only
    writes a report there. Both are checked before any call that changes something; the error names the
    association and its prefix.
  - "Idempotent re-runs: when an export of exactly the same paths on the same file system is already V(PENDING) or
    V(EXECUTING), the module attaches to it (RV(attached=true), C(changed=false)) instead of starting another, whatever
    its report path. When O(adopt_succeeded=true) and a V(SUCCEEDED) export of exactly the same paths exists whose report
    lies inside the same association's prefix, that task is adopted (RV(adopted=true), C(changed=false)) and nothing is
    exported again. This is what makes a killed-and-re-run export play idempotent: the second run finds the first run's
    task, running or finished, and waits for it or reports it."
  - "The C(ClientRequestToken) is derived from the file system, the paths, the report path and the newest ended export of
    the same paths, so a retried create never starts a second task, and a re-run after a V(FAILED) or V(CANCELED) export
    starts a new one instead of replaying the failed one."
  - FSx runs one data repository task at a time per file system. When another task is running (found in the describe,
    or reported by AWS as C(DataRepositoryTaskExecuting)), the module waits until it has ended and then creates the
    export (O(wait_for_other_tasks=true)), or fails naming that task and its paths.
  - When the task ends V(FAILED) or V(CANCELED) the module fails, with the task's failure details, counts and the
    location of the failed-files CSV in the result, so a C(rescue)/C(always) section can record them. Set
    O(fail_on_task_failure=false) to get the same result without failing.
  - In check mode the module only describes; it reports what it would create (RV(would_create)) or attach to.
    With C(--diff) it shows the existing task (or nothing) before and the wanted task after.
    Because an earlier task of the same play (the association's attach) did not run for real, check mode also accepts
    an association that is still V(CREATING) or V(UPDATING), and goes on with a warning when no association contains
    the paths yet (O(report_path) is then not checked against a prefix). It does not wait for other tasks.
  - "Paths sent to FSx: C(CreateDataRepositoryTask) documents C(Paths) as relative to the mount point (for C(/mnt/fsx/path1)
    give C(path1)), so the module sends V(analysis_results/alice/run42). Existing tasks are compared leniently, so tasks
    created with V(/analysis_results/alice/run42/) (DayEC 5.1.5) count as the same export."
  - Exactly one of O(file_system_id) and O(cluster_name) is required.
author:
  - Daylily ephemeral cluster maintainers (!UNKNOWN)
options:
  paths:
    description:
      - The directories to export, in the FSx API form (V(/analysis_results/alice/run42/)) or the headnode form under
        O(mount_point) or C(/fsx) (V(/fsx/analysis_results/alice/run42)).
      - Duplicates are dropped; the file system root, a path nested inside another listed path, relative paths and
        C(//), C(.), C(..), C(%), whitespace or non-ASCII characters are refused. At most 100 paths.
      - All paths must lie in the same V(AVAILABLE) data repository association.
    type: list
    elements: str
    required: true
  report_path:
    description:
      - The S3 prefix of the completion report, for example
        V(s3://daylily-analysis/derived/alice/run42/_daylily_monitor/fsx-export/20260131T120000Z/export-report/).
      - It must lie inside the C(DataRepositoryPath) of the association that exports O(paths).
      - FSx writes the CSV of failed files to C(<report_path>task-<id>/failures.csv) (RV(report_path)).
      - It is part of the request token; use a new report path (for example a new timestamp) to force a new export
        when O(adopt_succeeded=false).
    type: str
    required: true
  adopt_succeeded:
    description:
      - Adopt a V(SUCCEEDED) export of exactly the same paths whose report lies inside the same association's S3 prefix,
        instead of exporting again.
      - Set to V(false) to export again, for example after files changed on the file system since that export.
    type: bool
    default: true
  wait_for_other_tasks:
    description:
      - When another data repository task is running on the file system, wait until it has ended (polling every
        O(poll_interval) seconds, within O(wait_timeout)), then create the export.
      - When V(false), fail at once naming the running task and its paths.
    type: bool
    default: true
  wait:
    description:
      - Wait until the export task is V(SUCCEEDED), V(FAILED) or V(CANCELED).
      - When V(false), return as soon as the task is created or found (or after O(wait_seconds)); follow it with
        M(daylily.ephemeral_cluster.fsx_data_repository_task_info) or re-run this module to attach to it.
    type: bool
    default: true
  wait_seconds:
    description:
      - With O(wait=false), wait up to this many seconds (within O(wait_timeout)) for the task to end and return as
        soon as it has, without failing when it has not; a task that ends in that time (a small export) then needs no
        separate wait. V(0) does not wait.
      - The describes come as with the O(wait_seconds) of M(daylily.ephemeral_cluster.fsx_data_repository_task_info),
        shortly before the end the task's own pace predicts, else growing with its age, never more than 30 s apart.
      - Check mode does not wait.
    type: int
    default: 0
  wait_timeout:
    description:
      - How many seconds the whole run may wait, for other tasks and for this task together.
      - On timeout the module fails; the export keeps running in AWS, and re-running the module attaches to it.
    type: int
    default: 3600
  poll_interval:
    description:
      - Seconds between two C(DescribeDataRepositoryTasks) calls while waiting.
    type: float
    default: 30
  fail_on_task_failure:
    description:
      - Fail when the task ends V(FAILED) or V(CANCELED).
      - When V(false) the module returns normally with RV(task_lifecycle) set to V(FAILED) or V(CANCELED), so the caller
        can record an error receipt.
    type: bool
    default: true
  allow_writeback:
    description:
      - The writeback admin switch. O(paths) that are, lie under or contain a read-only root (C(/run_dir_mounts/),
        C(/references/), C(/staging/), C(/control_data/)) link source data, and exporting them would write into the
        source's S3 prefix; they are refused without it, before any AWS call.
      - With it, such an export also needs an C(.atlas_rw) marker object at the association's S3 prefix or one of its
        parent prefixes (C(s3:HeadObject)); the bucket root never counts.
    type: bool
    default: false
notes:
  - Needs the IAM actions C(fsx:DescribeDataRepositoryAssociations), C(fsx:DescribeDataRepositoryTasks),
    C(fsx:CreateDataRepositoryTask), C(fsx:DescribeFileSystems) when O(cluster_name) is used, and C(s3:GetObject) on
    the marker with O(allow_writeback). FSx itself needs write access to the association's S3 prefix.
  - This module never deletes anything, in FSx or in S3.
seealso:
  - module: daylily.ephemeral_cluster.fsx_data_repository_task_info
  - module: daylily.ephemeral_cluster.fsx_dra_info
extends_documentation_fragment:
  - daylily.ephemeral_cluster.aws
  - daylily.ephemeral_cluster.fsx
  - daylily.ephemeral_cluster.option_names
"""

EXAMPLES = r"""
- name: Export one analysis directory and wait for it
  daylily.ephemeral_cluster.fsx_export_task:
    cluster_name: day-demo
    paths: [/fsx/analysis_results/alice/run42]
    report_path: s3://daylily-analysis/derived/alice/run42/_daylily_monitor/fsx-export/20260131T120000Z/export-report/
  register: export

- name: Start the export without waiting (follow it with fsx_data_repository_task_info, as its first example does)
  daylily.ephemeral_cluster.fsx_export_task:
    file_system_id: fs-0123456789abcdef0
    paths: [/analysis_results/alice/run42/]
    report_path: s3://daylily-analysis/derived/alice/run42/_daylily_monitor/fsx-export/20260131T120000Z/export-report/
    wait: false
  register: export

- name: Export and keep going on failure, to record an error receipt
  daylily.ephemeral_cluster.fsx_export_task:
    file_system_id: fs-0123456789abcdef0
    paths: [/analysis_results/alice/run42/]
    report_path: s3://daylily-analysis/derived/alice/run42/_daylily_monitor/fsx-export/20260131T120000Z/export-report/
    fail_on_task_failure: false
    wait_for_other_tasks: false
  register: export
"""

RETURN = r"""
task:
  description:
    - The export task as AWS describes it, in snake_case (see M(daylily.ephemeral_cluster.fsx_data_repository_task_info)).
    - Empty in check mode when a task would be created.
  returned: always
  type: dict
  sample:
    task_id: task-0123456789abcdef0
    lifecycle: SUCCEEDED
    type: EXPORT_TO_REPOSITORY
    file_system_id: fs-0123456789abcdef0
    paths: [analysis_results/alice/run42]
    status: {total_count: 12, succeeded_count: 12, failed_count: 0, last_updated_time: "2026-01-31T12:10:00+00:00"}
    report:
      enabled: true
      path: s3://daylily-analysis/derived/alice/run42/_daylily_monitor/fsx-export/20260131T120000Z/export-report/
      format: REPORT_CSV_20191124
      scope: FAILED_FILES_ONLY
task_id:
  description: The export task's ID; null in check mode when a task would be created.
  returned: always
  type: str
  sample: task-0123456789abcdef0
task_lifecycle:
  description:
    - The task's state when the module returned; V(SUCCEEDED), V(FAILED) or V(CANCELED) after a wait,
      V(PENDING) or V(EXECUTING) with O(wait=false) unless it ended within O(wait_seconds). Null in check mode when a
      task would be created.
  returned: always
  type: str
  sample: SUCCEEDED
total_count:
  description: Files the task processes (0 until FSx has counted them).
  returned: always
  type: int
  sample: 12
succeeded_count:
  description: Files exported successfully.
  returned: always
  type: int
  sample: 12
failed_count:
  description: Files that failed to export; they are listed in the CSV at RV(report_path).
  returned: always
  type: int
  sample: 0
report_path:
  description:
    - The S3 URI of the failed-files CSV, C(<Report.Path>task-<id>/failures.csv) (FSx writes it when the task ends).
    - Null when no task exists yet (check mode) or an attached task has no report.
  returned: always
  type: str
  sample: s3://daylily-analysis/derived/alice/run42/_daylily_monitor/fsx-export/20260131T120000Z/export-report/task-0123456789abcdef0/failures.csv
failure_details:
  description: The task's failure details, C({message}), or an empty dict.
  returned: always
  type: dict
  sample: {"message": "The task failed to process 2 of 12 files. See the task completion report."}
attached:
  description: True when the module joined an export of the same paths that was already running (or was replayed by its token).
  returned: always
  type: bool
  sample: false
adopted:
  description: True when the module adopted a V(SUCCEEDED) export of the same paths instead of exporting again.
  returned: always
  type: bool
  sample: false
association_id:
  description:
    - The data repository association that exports the paths.
    - Null in check mode when no association contains the paths yet.
  returned: always
  type: str
  sample: dra-0123456789abcdef0
data_repository_path:
  description:
    - The association's S3 prefix, where the files and the report go.
    - Null in check mode when no association contains the paths yet.
  returned: always
  type: str
  sample: s3://daylily-analysis/derived/alice/run42/
file_system_id:
  description: The file system, given or resolved from O(cluster_name).
  returned: always
  type: str
  sample: fs-0123456789abcdef0
waited_for_tasks:
  description: IDs of other tasks the module waited for before creating the export.
  returned: always
  type: list
  elements: str
  sample: []
would_create:
  description: The task check mode would have created (C(CreateDataRepositoryTask) parameters, snake_case).
  returned: in check mode, when a task would be created
  type: dict
  sample:
    file_system_id: fs-0123456789abcdef0
    type: EXPORT_TO_REPOSITORY
    paths: [analysis_results/alice/run42]
    report: {enabled: true, path: "s3://daylily-analysis/derived/alice/run42/_daylily_monitor/export-report/",
             format: REPORT_CSV_20191124, scope: FAILED_FILES_ONLY}
    client_request_token: export-task-0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6
blocking_tasks:
  description: The other running tasks that blocked the export (on failure, or in check mode).
  returned: when another task is running and the module did not wait for it
  type: list
  elements: dict
  sample: [{"task_id": "task-0fedcba9876543210", "lifecycle": "EXECUTING", "type": "IMPORT_METADATA_FROM_REPOSITORY"}]
"""

import time

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.fsx import FILE_SYSTEM_EXCLUSIVE
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.fsx import ExportRun
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.fsx import file_system_argument_spec
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.fsx import fsx_client
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import DaylilyAWSModule


def ensure_present(export, check_mode):
    """The export task of the paths, attached to, adopted or created, and waited for; in check mode only described."""
    export.check_mode = check_mode
    return export.run()


def main():
    argument_spec = file_system_argument_spec(
        paths=dict(type="list", elements="str", required=True),
        report_path=dict(type="str", required=True),
        adopt_succeeded=dict(type="bool", default=True),
        wait_for_other_tasks=dict(type="bool", default=True),
        wait=dict(type="bool", default=True),
        wait_seconds=dict(type="int", default=0),
        wait_timeout=dict(type="int", default=3600),
        poll_interval=dict(type="float", default=30),
        fail_on_task_failure=dict(type="bool", default=True),
        allow_writeback=dict(type="bool", default=False),
        option_names=dict(type="dict", default={}),
    )
    module = DaylilyAWSModule(
        argument_spec=argument_spec,
        mutually_exclusive=[FILE_SYSTEM_EXCLUSIVE],
        required_one_of=[FILE_SYSTEM_EXCLUSIVE],
        supports_check_mode=True,
    )
    # The waits use this module's clock, so a test can replace it.
    export = ExportRun(module, sleep=time.sleep, clock=time.monotonic)
    export.validate()  # before the client exists: bad input never reaches AWS
    export.client = fsx_client(module)
    with module.reporting_failures():
        result = ensure_present(export, module.check_mode)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
