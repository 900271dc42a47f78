# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""One run of ``fsx_export``: export one directory through a temporary association, in one process.

It composes what ``fsx_dra`` and ``fsx_export_task`` do, with their rules unchanged: ``attach.AssociationManager``
attaches exactly the directory to the destination (refusing overlaps, reusing this export's association left by an
interrupted run), ``export_run.ExportRun`` starts, joins or adopts the one export task, ``waits.wait_for_tasks`` waits
on the task's own pace, and the association is detached with ``DeleteDataInFileSystem=false`` in ``finally``.

What the caller has just described is used instead of describing it again: the file system (its checks need one
description) and every association of the file system (the overlap and capacity checks need the whole list).

The result keeps one part per step, shaped like the result of the module call it replaces, so the receipt reads
them as before: ``attach`` (``fsx_dra`` state=present), ``export`` (``fsx_export_task``) and ``detach`` (``fsx_dra``
state=absent).
"""

import math

from ansible.module_utils.common.dict_transformations import snake_dict_to_camel_dict

from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.transformation import boto3_resource_to_ansible_dict

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import paths
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx import association_rules
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx import task_rules
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx import waits
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.associations import describe_association
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.associations import describe_associations
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.attach import AssociationManager
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.attach import read_association_params
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.common import path_key
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.common import task_progress
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.errors import AnsibleFSxError
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.export_run import ExportRun
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.lifecycles import (
    TASK_UNSUCCESSFUL_LIFECYCLES,
)
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.lifecycles import is_active_association
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.tasks import describe_tasks

#: Where a run stopped: ``attach`` (the association), ``run`` (the task, or a task still running), ``detach``, or
#: ``complete``; the receipt's phases.
PHASES = ("attach", "run", "detach", "complete")


def normalize_file_system(file_system):
    """A DescribeFileSystems entry as Ansible returns it (snake_case keys, ``tags`` a dict)."""
    return boto3_resource_to_ansible_dict(file_system, transform_tags=True, force_tags=True)


def _raw(described, arn_key):
    """A snake_case description (``fsx_dra_info``'s) back in boto3's form, which the association rules read."""
    raw = snake_dict_to_camel_dict(
        {key: value for key, value in described.items() if key not in ("tags", "resource_arn")}, capitalize_first=True
    )
    raw["Tags"] = ansible_dict_to_boto3_tag_list(described.get("tags") or {})
    if described.get("resource_arn"):
        raw[arn_key] = described["resource_arn"]
    return raw


def raw_association(association):
    """An association as ``fsx_dra_info`` returns it, in the boto3 form of DescribeDataRepositoryAssociations."""
    return _raw(association, "ResourceARN")


def raw_file_system(file_system):
    """A file system as ``fsx_dra_info`` returns it, in the boto3 form of DescribeFileSystems."""
    return _raw(file_system, "ResourceARN")


def read_export_params(params):
    """``fsx_dra``'s options (``read_association_params``, which checks them) for the export association."""
    return dict(
        state="present",
        file_system_id=params["file_system_id"],
        cluster_name=params["cluster_name"],
        mount_point=params["mount_point"],
        file_system_path=params["file_system_path"],
        association_id=None,
        data_repository_path=params["data_repository_path"],
        batch_import_meta_data_on_create=False,
        imported_file_chunk_size=None,
        auto_import_events=[],
        auto_export_events=[],
        tags=params["tags"],
        purge_tags=False,
        wait=True,
        wait_timeout=params["wait_timeout"],
        poll_interval=params["poll_interval"],
        delete_data_in_file_system=False,
        confirm_delete_data_in_file_system=False,
        allow_writeback=False,
        require_objects=False,
        option_names=params["option_names"],
    )


def task_params(params):
    """``fsx_export_task``'s options for the export task of the directory."""
    return dict(
        file_system_id=params["file_system_id"],
        cluster_name=params["cluster_name"],
        mount_point=params["mount_point"],
        paths=[params["file_system_path"]],
        report_path=params["report_path"],
        adopt_succeeded=params["adopt_succeeded"],
        wait_for_other_tasks=params["wait_for_other_tasks"],
        wait=False,
        wait_seconds=0,  # set before each wait
        wait_timeout=params["wait_timeout"],
        poll_interval=params["poll_interval"],
        fail_on_task_failure=False,
        allow_writeback=False,
        option_names=params["option_names"],
    )


class TemporaryExport:
    """One run: attach, export, wait, detach in ``finally``. ``validate()`` before the client exists, then ``run()``."""

    def __init__(self, module, sleep=None, clock=None):
        self.module = module
        self.params = module.params
        self.check_mode = module.check_mode
        self.sleep, self.clock = sleep, clock
        self.client = None
        self.manager = None
        self.task_run = ExportRun(module, sleep=sleep, clock=clock, params=task_params(self.params))
        self.want = None
        self.phase = "attach"
        self.parts = {"attach": {}, "export": {}, "detach": {}}
        self.association = None  # raw: the association this run attached or reused, which it detaches
        self.task = None
        self.left_attached = False

    def name(self, option):
        return self.module.option_name(option)

    # --- input --------------------------------------------------------------------------------------------------

    def validate(self):
        """Refuse bad input before any AWS call (the checks of fsx_dra and fsx_export_task, and the report's place)."""
        try:
            self.want = read_association_params(read_export_params(self.params), self.name)
        except ValueError as e:
            self.module.fail_json(msg=str(e))
        if self.params["wait_seconds"] is not None and self.params["wait_seconds"] < 0:
            self.module.fail_json(msg=f"{self.name('wait_seconds')} must be zero or positive (seconds)")
        self.task_run.validate()  # paths, report_path and the read-only roots, which are never exported
        self.known()
        destination = self.want["data_repository_path"]
        if not paths.is_under(self.task_run.report_uri, destination):
            self.module.fail_json(
                msg=(
                    f"{self.name('report_path')} {self.task_run.report_uri} is outside {self.name('data_repository_path')} "
                    f"{destination}: FSx writes the task report only inside the association's S3 prefix; choose a "
                    "report path under it (e.g. its _daylily_monitor/ prefix)"
                )
            )

    def known(self):
        """(file system, associations) the caller described, in boto3's form; None for what it did not give (and
        for the associations of a follow-up run, whose list predates the attach). Both must be of file_system_id."""
        file_system, associations = self.params["file_system"], self.params["associations"]
        if self.params["task_id"]:
            associations = None
        wanted = self.params["file_system_id"]
        others = sorted(
            {item.get("file_system_id") for item in (associations or []) + ([file_system] if file_system else [])}
            - {wanted}
        )
        if others:
            self.module.fail_json(
                msg=(
                    f"{self.name('file_system')} and {self.name('associations')} must describe file system "
                    f"{self.name('file_system_id')}={wanted}, not {', '.join(map(str, others))}: pass the file system "
                    "and every association of it as the lookup returned them"
                )
            )
        return (
            raw_file_system(file_system) if file_system else None,
            [raw_association(association) for association in associations] if associations is not None else None,
        )

    # --- steps --------------------------------------------------------------------------------------------------

    def ours(self, association):
        """True for a raw association of exactly this directory and destination (one this export attached)."""
        return bool(association) and (
            path_key(association.get("FileSystemPath")) == path_key(self.want["file_system_path"])
            and association_rules.comparable_s3(association.get("DataRepositoryPath"))
            == self.want["data_repository_path"]
        )

    def attach(self, associations):
        """Attach (or reuse) exactly the directory to the destination; on failure, keep hold of what this run must
        still detach (its association, when the error names it)."""
        try:
            self.parts["attach"] = self.manager.present(self.check_mode, associations=associations)
        except AnsibleFSxError as error:
            failed = error.kwargs.get("association") or {}
            if failed and self.ours(raw_association(failed)) and not self.check_mode:
                self.association = describe_association(self.client, failed["association_id"])
            self.parts["attach"] = dict(error.kwargs, changed=self.manager.changed, msg=error.message)
            raise
        self.association = self.manager.association
        self.task_run.file_system_id = self.manager.file_system_id
        self.task_run.association = self.association or {
            "DataRepositoryPath": self.want["data_repository_path"]  # check mode: the association a run would attach
        }

    def adoptable(self, tasks):
        """The SUCCEEDED export of this directory to this destination that makes the run a no-op, or None."""
        if not self.params["adopt_succeeded"]:
            return None
        api_paths = self.task_run.api_paths
        if task_rules.find_attachable(tasks, self.manager.file_system_id, api_paths):
            return None
        return task_rules.find_adoptable(
            tasks, self.manager.file_system_id, api_paths, self.want["data_repository_path"]
        )

    def start(self, tasks):
        """The task created, joined or adopted (None: check mode would create one); the export part of the result."""
        task, flags, request = self.task_run.find_or_create(tasks)
        diff = self.task_run.diff(task, request)
        self.parts["export"] = self.task_run.outcome(task, flags, diff)
        return task, flags, diff

    def follow(self):
        """The task of ``task_id`` (a follow-up run): it must be the export of exactly this directory."""
        self.task_run.file_system_id = self.manager.file_system_id
        flags = dict(changed=False, attached=True)
        task = self.task_run.latest({"TaskId": self.params["task_id"]}, flags)
        if not task_rules.same_export(task, self.manager.file_system_id, self.task_run.api_paths):
            raise AnsibleFSxError(
                message=(
                    f"Task {self.params['task_id']} ({task_rules.describe_task(task)}) is not the export of "
                    f"{self.want['file_system_path']} on file system {self.manager.file_system_id}: check "
                    f"{self.name('task_id')}"
                )
            )
        summary = task_rules.task_summary(task)
        return task, flags, (summary, summary)

    def wait(self, task, flags, diff):
        """Wait on the task's own pace for up to wait_seconds (none: until it ends), within wait_timeout counted
        from the task's creation, so the follow-up runs of a long export share one budget. A first run describes
        once more at the end of its wait, to detach at once when the task has ended; a follow-up run does not (the
        next one describes first thing)."""
        age = (waits.utc_now() - task["CreationTime"]).total_seconds() if task.get("CreationTime") else 0.0
        left = self.params["wait_timeout"] - age
        wanted = math.inf if self.params["wait_seconds"] is None else self.params["wait_seconds"]
        reaches_timeout = left <= wanted  # this wait ends at wait_timeout, not after wait_seconds
        if not waits.task_ended(task) and min(wanted, left) > 0:
            task = waits.wait_for_tasks(
                [task],
                lambda: [self.task_run.latest(task, flags)],
                min(wanted, left),
                self.task_run.budget.sleep,
                self.task_run.budget.clock,
                describe_at_end=not self.params["task_id"],
            )[0]
        self.parts["export"] = self.task_run.outcome(task, flags, diff)
        if waits.task_ended(task):
            return task
        if reaches_timeout:
            raise AnsibleFSxError(
                message=(
                    f"Export task {task['TaskId']} is still {task.get('Lifecycle')} after "
                    f"{self.name('wait_timeout')}={self.params['wait_timeout']} s (counted from its creation). Its "
                    "association is detached now (DeleteDataInFileSystem=false), which ends the export; raise "
                    f"{self.name('wait_timeout')} and re-run to export again"
                )
            )
        self.left_attached = True  # the running task needs its association: a follow-up run detaches it
        return task

    def detach(self):
        """Detach the association this run attached or reused (DeleteDataInFileSystem=false); the error of a
        detach that did not end DELETED, recorded in the detach part, else None."""
        if self.association is None:
            # nothing of this export is attached; in check mode, a run would detach what it attaches
            would_detach = self.check_mode and bool(self.parts["attach"].get("changed"))
            self.parts["detach"] = dict(
                changed=would_detach, association={}, detach_lifecycle="DELETED" if would_detach else "NOT_FOUND"
            )
            return None
        try:
            self.parts["detach"] = self.manager.detach([self.association])
        except AnsibleFSxError as error:
            # the association's last state seen: the wait's when it timed out, else the one the delete was sent for
            last = (error.kwargs.get("association") or {}).get("lifecycle") or self.association.get("Lifecycle")
            self.parts["detach"] = dict(
                error.kwargs, changed=self.manager.changed, detach_lifecycle=last, msg=error.message
            )
            return error
        return None

    def resolve(self):
        """The file system, resolved once: from cluster_name, its description is also the one the checks read."""
        if self.want["cluster_name"]:
            self.manager.resolve_file_system()
            self.want.update(cluster_name=None, file_system_id=self.manager.file_system_id)
        return self.manager.file_system_id

    def run(self, client):
        """Attach, start (or follow), wait, detach; the module result. Raises AnsibleFSxError with the result's
        parts and the phase it stopped in when a step failed, after the detach."""
        self.client = self.task_run.client = client
        self.manager = AssociationManager(self.module, client, self.want, sleep=self.sleep, clock=self.clock)
        self.manager.file_system, associations = self.known()
        file_system_id = self.resolve()
        tasks = None
        if not self.params["task_id"]:
            tasks = describe_tasks(client, file_system_id=file_system_id)
            adoptable = self.adoptable(tasks)
            if adoptable:
                if associations is None:
                    associations = describe_associations(client, file_system_id=file_system_id)
                if not any(self.ours(a) and is_active_association(a) for a in associations):
                    return self.adopted(adoptable)
        failure = None
        try:
            self.attach(associations)
            self.phase = "run"
            task, flags, diff = self.follow() if self.params["task_id"] else self.start(tasks)
            if task is not None and not self.check_mode:
                self.task = self.wait(task, flags, diff)
        except AnsibleFSxError as error:
            failure = error
        finally:
            detach_failure = None if self.left_attached else self.detach()
        return self.outcome(failure, detach_failure)

    def adopted(self, task):
        """The result when an earlier run's SUCCEEDED export of this directory to this destination is adopted and
        none of its associations is attached: nothing to attach, export or detach."""
        self.task_run.file_system_id = self.manager.file_system_id
        self.task_run.association = {"DataRepositoryPath": self.want["data_repository_path"]}
        summary = task_rules.task_summary(task)
        self.parts["attach"] = dict(
            changed=False, created=False, association={}, file_system_id=self.manager.file_system_id
        )
        self.parts["export"] = self.task_run.outcome(task, dict(changed=False, adopted=True), (summary, summary))
        self.parts["detach"] = dict(changed=False, association={}, detach_lifecycle="NOT_FOUND")
        self.task = task
        return self.outcome(None, None)

    # --- result -------------------------------------------------------------------------------------------------

    def result(self):
        export = self.parts["export"]
        result = dict(
            changed=any(bool(part.get("changed")) for part in self.parts.values()),
            file_system_id=self.manager.file_system_id if self.manager else None,
            phase=self.phase,
            left_attached=self.left_attached,
            task_id=export.get("task_id"),
            task_lifecycle=export.get("task_lifecycle"),
            progress=task_progress(export["task"]) if export.get("task") else None,
            **self.parts,
        )
        if self.module._diff:  # pylint: disable=protected-access
            attach_diff = self.parts["attach"].get("diff") or {}
            export_diff = export.get("diff") or {}
            result["diff"] = {
                "before": {"association": attach_diff.get("before", {}), "task": export_diff.get("before", {})},
                "after": {
                    "association": attach_diff.get("after", {}) if self.left_attached else {},
                    "task": export_diff.get("after", {}),
                },
            }
        return result

    def outcome(self, failure, detach_failure):
        """The result, or the error naming the phase that failed (a failed detach is reported, never hidden)."""
        if failure is None and detach_failure is None and not self.left_attached:
            lifecycle = self.parts["export"].get("task_lifecycle")
            if lifecycle in TASK_UNSUCCESSFUL_LIFECYCLES and self.params["fail_on_task_failure"]:
                failure = AnsibleFSxError(message=ExportRun.task_failure_message(self.parts["export"]))
            elif lifecycle == "SUCCEEDED" or self.check_mode:
                self.phase = "complete"
        if failure is None and detach_failure is None:
            return self.result()
        if failure is None:
            self.phase, failure = "detach", detach_failure
            failure.message = f"Detach failed, the association is still attached: {failure.message}"
        elif detach_failure is not None:
            failure.message = f"{failure.message}. The detach failed as well: {detach_failure.message}"
        failure.kwargs = dict(failure.kwargs, **self.result())
        raise failure
