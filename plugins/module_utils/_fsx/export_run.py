# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""One run of ``fsx_export_task``: check the input before any AWS call, find the exporting association, attach to,
adopt or create the export task, wait for it with the one wait loop, and build the result. The module keeps only
its argument spec, ``ensure_present`` and ``main``."""

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import s3_prefix
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx import rules
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx import task_rules
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx import waits
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.associations import describe_associations
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.common import normalize_task
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.errors import AnsibleFSxError
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.file_systems import (
    find_file_system_by_cluster,
)
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.lifecycles import (
    CHECK_MODE_ASSOCIATION_LIFECYCLES,
)
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.lifecycles import (
    TASK_UNSUCCESSFUL_LIFECYCLES,
)
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.tasks import TASK_EXECUTING
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.tasks import create_task
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.tasks import describe_task
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.tasks import describe_tasks
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import module_retry
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.paths import normalize_s3_uri


class ExportRun:
    """One run of the module: resolve, check, find or create the task, wait, report."""

    def __init__(self, module, client=None, sleep=None, clock=None, params=None):
        self.module = module
        self.client = client
        # ``params``: fsx_export_task's options when another module drives the run (_fsx.temporary_export)
        self.params = module.params if params is None else params
        self.check_mode = module.check_mode
        self.budget = waits.Deadline(
            self.params["wait_timeout"], self.params["poll_interval"], sleep=sleep, clock=clock
        )
        self.api_paths = None
        self.read_only = []
        self.report_uri = None
        self.file_system_id = None
        self.association = None
        self.waited_for = []

    # --- helpers ------------------------------------------------------------------------------------------------
    def remaining(self):
        return self.budget.remaining()

    def pause(self):
        self.budget.pause()

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
        # raised, not fail_json: a caller holding an association detaches it before the module fails
        raise AnsibleFSxError(
            message=(
                f"{problem}: file system {self.file_system_id} is busy with data repository task {listed}. FSx runs one "
                "task at a time per file system; re-run when it has ended"
                + (
                    ""
                    if self.params["wait_for_other_tasks"]
                    else f", or set {self.module.option_name('wait_for_other_tasks')}: true to wait for it"
                )
            ),
            blocking_tasks=[task_rules.task_summary(task) for task in blockers],
            **self.base_result(),
        )

    # --- steps --------------------------------------------------------------------------------------------------
    def validate(self):
        """Refuse bad input before any AWS call."""
        if not (self.params["file_system_id"] or self.params["cluster_name"]):
            self.module.fail_json(msg="file_system_id or cluster_name is required (a non-empty value)")
        if self.params["wait_timeout"] < 0 or self.params["poll_interval"] < 0 or self.params["wait_seconds"] < 0:
            self.module.fail_json(msg="wait_timeout, poll_interval and wait_seconds must be zero or positive")
        try:
            self.api_paths = task_rules.prepare_export_paths(
                self.params["paths"], mount_point=self.params["mount_point"]
            )
            self.report_uri = normalize_s3_uri(self.params["report_path"], field="report_path")
        except ValueError as e:
            self.module.fail_json(msg=str(e))
        self.read_only = [path for path in self.api_paths if rules.read_only_root(path)]
        if self.read_only and not self.params["allow_writeback"]:
            root = rules.read_only_root(self.read_only[0])
            self.module.fail_json(
                msg=(
                    f"Refusing to export {', '.join(self.read_only)}: it lies in {rules.describe_read_only_root(root)}, whose "
                    "associations link source data; an export would write into that source's S3 prefix. Exports come from "
                    "an analysis directory (/analysis_results/<executing_entity>/<analysis_id>/). Nothing was changed"
                )
            )

    def check_writeback_marker(self):
        """With the admin switch, an export out of a read-only root still needs an .atlas_rw marker at its prefix."""
        prefix = self.association.get("DataRepositoryPath")
        if not self.read_only:
            return
        if not prefix:  # check mode before the association exists
            self.module.warn("The .atlas_rw writeback marker was not checked: no association exports these paths yet.")
            return
        if not s3_prefix.find_writeback_marker(
            self.module.client("s3", retry_decorator=module_retry(self.module)), prefix
        ):
            self.module.fail_json(
                msg=f"Refusing to export {', '.join(self.read_only)}: {s3_prefix.missing_marker_message(prefix)}",
                **self.base_result(),
            )

    def resolve(self):
        """The file system, its exporting association, and the report location inside that association's prefix.

        Check mode also accepts an association that is still CREATING or UPDATING, and none at all (with a warning):
        in check mode the play's attach step has not created it, and a real run would have waited for it.
        """
        self.file_system_id = self.params["file_system_id"]
        if self.params["cluster_name"]:
            self.file_system_id = find_file_system_by_cluster(self.client, self.params["cluster_name"])["FileSystemId"]
        associations = describe_associations(self.client, file_system_id=self.file_system_id)
        lifecycles = CHECK_MODE_ASSOCIATION_LIFECYCLES if self.check_mode else ("AVAILABLE",)
        try:
            self.association = task_rules.export_association(
                associations, self.api_paths, self.file_system_id, lifecycles
            )
            self.report_uri = task_rules.check_report_path(self.report_uri, self.association)
        except task_rules.NoAssociationError as e:
            if not self.check_mode:
                self.module.fail_json(msg=str(e), file_system_id=self.file_system_id)
            self.module.warn(f"{e}. Check mode goes on as if an earlier task attached it; report_path was not checked.")
            self.association = {}
        except ValueError as e:
            self.module.fail_json(msg=str(e), file_system_id=self.file_system_id)

    def find_or_create(self, tasks=None):
        """Return (task or None, result flags, create request or None); waits for unrelated tasks when allowed.

        The task is None only in check mode, when one would be created; the request is set when a task was (or
        would be) created. ``tasks``: the file system's tasks as the caller just described them, for the first look.
        """
        prefix = self.association.get("DataRepositoryPath")
        while True:
            if tasks is None:
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
                tasks = None
                continue
            previous = task_rules.previous_attempt(tasks, self.file_system_id, self.api_paths)
            token = task_rules.export_token(self.file_system_id, self.api_paths, self.report_uri, previous)
            request = task_rules.export_request(self.file_system_id, self.api_paths, self.report_uri, token)
            if self.check_mode:
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
                running = task_rules.blocking_tasks(
                    describe_tasks(self.client, file_system_id=self.file_system_id), self.file_system_id
                )
                if running:
                    self.wait_or_fail(running)
                elif self.params["wait_for_other_tasks"] and self.remaining() > 0:
                    self.pause()  # AWS sees a task the describe did not show yet
                else:
                    raise
                tasks = None
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
        if self.check_mode:
            self.module.warn(
                "In a real run the export would first wait for "
                + "; ".join(task_rules.describe_task(t) for t in blockers)
            )
            return False
        if self.remaining() <= 0:
            self.fail_blocked(
                blockers,
                f"Gave up waiting after {self.module.option_name('wait_timeout')}={self.params['wait_timeout']} s",
            )
        for blocker in blockers:
            if blocker.get("TaskId") not in self.waited_for:
                self.waited_for.append(blocker.get("TaskId"))
        self.pause()
        return True

    def latest(self, current, flags):
        """The task as FSx describes it now; raises when FSx no longer knows it."""
        latest = describe_task(self.client, current["TaskId"])
        if latest is None:
            raise AnsibleFSxError(
                message=f"Export task {current['TaskId']} is no longer described by FSx (DescribeDataRepositoryTasks); "
                "check it in the FSx console",
                **self.task_result(current, **flags),
            )
        return latest

    def wait_briefly(self, task, flags):
        """The task after up to wait_seconds (within the budget) waiting for it to end on the task schedule, as
        described at the end: whether it has ended decides whether the caller waits on."""
        seconds = max(0.0, min(self.params["wait_seconds"], self.remaining()))
        return waits.wait_for_tasks(
            [task],
            lambda: [self.latest(task, flags)],
            seconds,
            self.budget.sleep,
            self.budget.clock,
            describe_at_end=True,
        )[0]

    def wait_for(self, task, flags):
        """Poll until the task has ended; fails (with the task's state in the result) on timeout."""

        def refresh(current):
            return self.latest(current, flags)

        def timed_out(current):
            return AnsibleFSxError(
                message=(
                    f"Export task {current.get('TaskId')} is still {current.get('Lifecycle')} after {self.module.option_name('wait_timeout')}="
                    f"{self.params['wait_timeout']} s. It keeps running in AWS: re-run to attach to it, or raise "
                    f"{self.module.option_name('wait_timeout')}"
                ),
                **self.task_result(current, **flags),
            )

        return waits.wait_until(
            task,
            lambda current: current.get("Lifecycle") in task_rules.TERMINAL_LIFECYCLES,
            refresh,
            self.budget,
            timed_out,
        )

    def run(self):
        """Resolve, find or create, wait; the module result. ``validate()`` must have run."""
        self.resolve()
        self.check_writeback_marker()
        task, flags, request = self.find_or_create()
        diff = self.diff(task, request)
        if task is not None and not self.check_mode:
            if self.params["wait"]:
                task = self.wait_for(task, flags)
            elif self.params["wait_seconds"]:
                task = self.wait_briefly(task, flags)
        result = self.outcome(task, flags, diff)
        lifecycle = result["task_lifecycle"]
        if lifecycle in TASK_UNSUCCESSFUL_LIFECYCLES and self.params["fail_on_task_failure"]:
            self.module.fail_json(msg=self.task_failure_message(result), **result)
        return result

    @staticmethod
    def task_failure_message(result):
        """What an export task that ended FAILED or CANCELED tells the operator (``result``: an ``outcome``)."""
        message = result["failure_details"].get("message") or "no failure details"
        where = f"; the failed files are listed in {result['report_path']}" if result["report_path"] else ""
        return (
            f"Export task {result['task_id']} ended {result['task_lifecycle']}: {message} ({result['failed_count']} of "
            f"{result['total_count']} files failed{where}). Fix the cause and re-run: a new export task is started"
        )

    @staticmethod
    def diff(task, request):
        """(before, after) of ``find_or_create``'s answer: the task created (or that would be), else the one found."""
        if request:
            return {}, task_rules.request_summary(request)
        summary = task_rules.task_summary(task)
        return summary, summary

    def outcome(self, task, flags, diff):
        """The module result for ``task`` as found, created or waited for (None: check mode would create one);
        ``diff``: what ``diff()`` said before any wait."""
        before, after = diff
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
            result = self.task_result(task, **flags)
        if self.module._diff:
            result["diff"] = {"before": before, "after": after}
        return result
