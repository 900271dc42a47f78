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
      - When V(false), return as soon as the task is created or found; follow it with
        M(daylily.ephemeral_cluster.fsx_data_repository_task_info) or re-run this module to attach to it.
    type: bool
    default: true
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
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - daylily.ephemeral_cluster.retries
  - daylily.ephemeral_cluster.fsx
"""

EXAMPLES = r"""
- name: Export one analysis directory and wait for it
  daylily.ephemeral_cluster.fsx_export_task:
    cluster_name: day-demo
    paths: [/fsx/analysis_results/alice/run42]
    report_path: s3://daylily-analysis/derived/alice/run42/_daylily_monitor/fsx-export/20260131T120000Z/export-report/
  register: export

- name: Start the export, record the task, then follow its progress
  block:
    - name: Start the export without waiting
      daylily.ephemeral_cluster.fsx_export_task:
        file_system_id: fs-0123456789abcdef0
        paths: [/analysis_results/alice/run42/]
        report_path: s3://daylily-analysis/derived/alice/run42/_daylily_monitor/fsx-export/20260131T120000Z/export-report/
        wait: false
      register: export

    - name: Show progress until the export ends
      daylily.ephemeral_cluster.fsx_data_repository_task_info:
        task_ids: ["{{ export.task_id }}"]
      register: progress
      until: progress.tasks[0].lifecycle in ['SUCCEEDED', 'FAILED', 'CANCELED']
      retries: 120
      delay: 30

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
      V(PENDING) or V(EXECUTING) with O(wait=false). Null in check mode when a task would be created.
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

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import s3_prefix
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import tasks as task_rules
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx import rules
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.fsx import AnsibleFSxError
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.fsx import FSxErrorHandler
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.fsx import describe_associations
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.fsx import describe_tasks
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.fsx import find_file_system_by_cluster
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.fsx import fsx_client
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.fsx import normalize_task
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import DaylilyAWSModule
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import module_retry
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.paths import normalize_s3_uri

TASK_EXECUTING = "DataRepositoryTaskExecuting"


@FSxErrorHandler.common_error_handler("create the FSx export task (CreateDataRepositoryTask)")
def create_task(client, request):
    return client.create_data_repository_task(aws_retry=True, **request)["DataRepositoryTask"]


class ExportTask:
    """One run of the module: resolve, check, find or create the task, wait, report."""

    def __init__(self, module, client=None):
        self.module = module
        self.client = client
        self.params = module.params
        self.deadline = time.monotonic() + self.params["wait_timeout"]
        self.api_paths = None
        self.read_only = []
        self.report_uri = None
        self.file_system_id = None
        self.association = None
        self.waited_for = []

    # --- helpers ------------------------------------------------------------------------------------------------
    def remaining(self):
        return self.deadline - time.monotonic()

    def pause(self):
        time.sleep(max(0.0, min(self.params["poll_interval"], self.remaining())))

    def base_result(self):
        return {
            "file_system_id": self.file_system_id,
            "association_id": self.association.get("AssociationId"),
            "data_repository_path": self.association.get("DataRepositoryPath"),
            "waited_for_tasks": list(self.waited_for),
        }

    def task_result(self, task, changed, attached=False, adopted=False):
        counts = task_rules.status_counts(task)
        return dict(
            self.base_result(),
            changed=changed,
            task=normalize_task(task),
            task_id=task.get("TaskId"),
            task_lifecycle=task.get("Lifecycle"),
            total_count=counts["total_count"],
            succeeded_count=counts["succeeded_count"],
            failed_count=counts["failed_count"],
            report_path=task_rules.task_report_uri(task),
            failure_details=task_rules.failure_details(task),
            attached=attached,
            adopted=adopted,
        )

    def fail_blocked(self, blockers, problem):
        listed = "; ".join(task_rules.describe_task(task) for task in blockers)
        self.module.fail_json(
            msg=(
                f"{problem}: file system {self.file_system_id} is busy with data repository task {listed}. FSx runs one "
                "task at a time per file system; re-run when it has ended"
                + ("" if self.params["wait_for_other_tasks"] else ", or set wait_for_other_tasks: true to wait for it")
            ),
            blocking_tasks=[task_rules.task_summary(task) for task in blockers],
            **self.base_result(),
        )

    # --- steps --------------------------------------------------------------------------------------------------
    def validate(self):
        """Refuse bad input before any AWS call."""
        if not (self.params["file_system_id"] or self.params["cluster_name"]):
            self.module.fail_json(msg="file_system_id or cluster_name is required (a non-empty value)")
        if self.params["wait_timeout"] < 0 or self.params["poll_interval"] < 0:
            self.module.fail_json(msg="wait_timeout and poll_interval must be zero or positive")
        try:
            self.api_paths = task_rules.prepare_export_paths(self.params["paths"], mount_point=self.params["mount_point"])
            self.report_uri = normalize_s3_uri(self.params["report_path"], field="report_path")
        except ValueError as e:
            self.module.fail_json(msg=str(e))
        self.read_only = [path for path in self.api_paths if rules.read_only_root(path)]
        if self.read_only and not self.params["allow_writeback"]:
            root = rules.read_only_root(self.read_only[0])
            self.module.fail_json(msg=(
                f"Refusing to export {', '.join(self.read_only)}: it lies in {rules.describe_read_only_root(root)}, whose "
                "associations link source data; an export would write into that source's S3 prefix. Exports come from "
                "an analysis directory (/analysis_results/<executing_entity>/<analysis_id>/). Nothing was changed"))

    def check_writeback_marker(self):
        """With the admin switch, an export out of a read-only root still needs an .atlas_rw marker at its prefix."""
        prefix = self.association.get("DataRepositoryPath")
        if not self.read_only:
            return
        if not prefix:  # check mode before the association exists
            self.module.warn("The .atlas_rw writeback marker was not checked: no association exports these paths yet.")
            return
        if not s3_prefix.find_writeback_marker(self.module.client("s3", retry_decorator=module_retry(self.module)), prefix):
            self.module.fail_json(msg=f"Refusing to export {', '.join(self.read_only)}: {s3_prefix.missing_marker_message(prefix)}",
                                  **self.base_result())

    def resolve(self):
        """The file system, its exporting association, and the report location inside that association's prefix.

        Check mode also accepts an association that is still CREATING or UPDATING, and none at all (with a warning):
        in check mode the play's attach step has not created it, and a real run would have waited for it.
        """
        self.file_system_id = self.params["file_system_id"]
        if self.params["cluster_name"]:
            self.file_system_id = find_file_system_by_cluster(self.client, self.params["cluster_name"])["FileSystemId"]
        associations = describe_associations(self.client, file_system_id=self.file_system_id)
        lifecycles = task_rules.CHECK_MODE_ASSOCIATION_LIFECYCLES if self.module.check_mode else ("AVAILABLE",)
        try:
            self.association = task_rules.export_association(associations, self.api_paths, self.file_system_id, lifecycles)
            self.report_uri = task_rules.check_report_path(self.report_uri, self.association)
        except task_rules.NoAssociationError as e:
            if not self.module.check_mode:
                self.module.fail_json(msg=str(e), file_system_id=self.file_system_id)
            self.module.warn(f"{e}. Check mode goes on as if an earlier task attached it; report_path was not checked.")
            self.association = {}
        except ValueError as e:
            self.module.fail_json(msg=str(e), file_system_id=self.file_system_id)

    def find_or_create(self):
        """Return (task or None, result flags, create request or None); waits for unrelated tasks when allowed.

        The task is None only in check mode, when one would be created; the request is set when a task was (or
        would be) created.
        """
        prefix = self.association.get("DataRepositoryPath")
        while True:
            tasks = describe_tasks(self.client, file_system_id=self.file_system_id)
            task = task_rules.find_attachable(tasks, self.file_system_id, self.api_paths)
            if task:
                return task, dict(changed=False, attached=True), None
            if self.params["adopt_succeeded"] and prefix:
                task = task_rules.find_adoptable(tasks, self.file_system_id, self.api_paths, prefix)
                if task:
                    return task, dict(changed=False, adopted=True), None
            blockers = task_rules.blocking_tasks(tasks, self.file_system_id)
            if blockers and self.wait_or_fail(blockers):
                continue
            previous = task_rules.previous_attempt(tasks, self.file_system_id, self.api_paths)
            token = task_rules.export_token(self.file_system_id, self.api_paths, self.report_uri, previous)
            request = task_rules.export_request(self.file_system_id, self.api_paths, self.report_uri, token)
            if self.module.check_mode:
                flags = dict(changed=True)
                if blockers:
                    flags["blocking_tasks"] = [task_rules.task_summary(t) for t in blockers]
                return None, flags, request
            try:
                created = create_task(self.client, request)
            except AnsibleFSxError as e:
                if e.code != TASK_EXECUTING:
                    raise
                # A task started between our describe and the create: name it, and wait for it when allowed.
                running = task_rules.blocking_tasks(describe_tasks(self.client, file_system_id=self.file_system_id), self.file_system_id)
                if running:
                    self.wait_or_fail(running)
                elif self.params["wait_for_other_tasks"] and self.remaining() > 0:
                    self.pause()  # AWS sees a task the describe did not show yet
                else:
                    raise
                continue
            if created.get("TaskId") in {t.get("TaskId") for t in tasks}:
                return created, dict(changed=False, attached=True), None  # the token replayed a task we had seen
            return created, dict(changed=True), request

    def wait_or_fail(self, blockers):
        """True after pausing for the running ``blockers``; fails when not allowed to wait or out of time.

        In check mode nothing waits: False means "go on and report what would be created".
        """
        if not self.params["wait_for_other_tasks"]:
            self.fail_blocked(blockers, "Cannot start the export")
        if self.module.check_mode:
            self.module.warn("In a real run the export would first wait for " + "; ".join(task_rules.describe_task(t) for t in blockers))
            return False
        if self.remaining() <= 0:
            self.fail_blocked(blockers, f"Gave up waiting after wait_timeout={self.params['wait_timeout']} s")
        for blocker in blockers:
            if blocker.get("TaskId") not in self.waited_for:
                self.waited_for.append(blocker.get("TaskId"))
        self.pause()
        return True

    def wait_for(self, task, flags):
        """Poll until the task has ended; fails (with the task's state in the result) on timeout."""
        while task.get("Lifecycle") not in task_rules.TERMINAL_LIFECYCLES:
            if self.remaining() <= 0:
                self.module.fail_json(
                    msg=(
                        f"Export task {task.get('TaskId')} is still {task.get('Lifecycle')} after wait_timeout="
                        f"{self.params['wait_timeout']} s. It keeps running in AWS: re-run to attach to it, or raise wait_timeout"
                    ),
                    **self.task_result(task, **flags),
                )
            self.pause()
            found = describe_tasks(self.client, task_ids=[task["TaskId"]])
            if not found:
                self.module.fail_json(
                    msg=f"Export task {task['TaskId']} is no longer described by FSx (DescribeDataRepositoryTasks); check it in the FSx console",
                    **self.task_result(task, **flags),
                )
            task = found[0]
        return task

    def run(self):
        """Resolve, find or create, wait, report. ``validate()`` must have run."""
        self.resolve()
        self.check_writeback_marker()
        task, flags, request = self.find_or_create()
        if request:
            before, after = {}, task_rules.request_summary(request)
        else:
            before = after = task_rules.task_summary(task)
        if task is None:  # check mode: a task would be created
            result = dict(
                self.base_result(),
                task={},
                task_id=None,
                task_lifecycle=None,
                total_count=0,
                succeeded_count=0,
                failed_count=0,
                report_path=None,
                failure_details={},
                attached=False,
                adopted=False,
                would_create=after,
                **flags,
            )
        else:
            if self.params["wait"] and not self.module.check_mode:
                task = self.wait_for(task, flags)
            result = self.task_result(task, **flags)
        if self.module._diff:
            result["diff"] = {"before": before, "after": after}
        lifecycle = result["task_lifecycle"]
        if lifecycle in task_rules.UNSUCCESSFUL_LIFECYCLES and self.params["fail_on_task_failure"]:
            message = result["failure_details"].get("message") or "no failure details"
            where = f"; the failed files are listed in {result['report_path']}" if result["report_path"] else ""
            self.module.fail_json(
                msg=(
                    f"Export task {result['task_id']} ended {lifecycle}: {message} ({result['failed_count']} of "
                    f"{result['total_count']} files failed{where}). Fix the cause and re-run: a new export task is started"
                ),
                **result,
            )
        self.module.exit_json(**result)


def main():
    argument_spec = dict(
        file_system_id=dict(type="str"),
        cluster_name=dict(type="str"),
        paths=dict(type="list", elements="str", required=True),
        report_path=dict(type="str", required=True),
        adopt_succeeded=dict(type="bool", default=True),
        wait_for_other_tasks=dict(type="bool", default=True),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=3600),
        poll_interval=dict(type="float", default=30),
        fail_on_task_failure=dict(type="bool", default=True),
        mount_point=dict(type="str", default=rules.DEFAULT_MOUNT_POINT),
        allow_writeback=dict(type="bool", default=False),
    )
    module = DaylilyAWSModule(
        argument_spec=argument_spec,
        mutually_exclusive=[["file_system_id", "cluster_name"]],
        required_one_of=[["file_system_id", "cluster_name"]],
        supports_check_mode=True,
    )
    export = ExportTask(module)
    export.validate()  # before the client exists: bad input never reaches AWS
    export.client = fsx_client(module)
    try:
        export.run()
    except AnsibleFSxError as e:
        module.fail_json_aws_error(e)


if __name__ == "__main__":
    main()
