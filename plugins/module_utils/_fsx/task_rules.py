# -*- coding: utf-8 -*-
# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""FSx data repository task rules of daylily.ephemeral_cluster (pure Python: no Ansible, no boto3; the AWS calls are
in ``tasks``).

Everything here works on the raw dicts boto3 returns (``DescribeDataRepositoryTasks`` /
``DescribeDataRepositoryAssociations`` entries) and decides, without calling AWS:

* how export ``Paths`` are validated, compared and sent (:func:`prepare_export_paths`, :func:`wire_path`,
  :func:`path_key`);
* which AVAILABLE association exports them and whether the report lies inside its S3 prefix
  (:func:`export_association`, :func:`check_report_path`);
* what a re-run does with the tasks that already exist: attach to the same running export
  (:func:`find_attachable`), adopt a finished one (:func:`find_adoptable`), wait for unrelated running tasks
  (:func:`blocking_tasks`), or create one with a deterministic token (:func:`export_token`, :func:`export_request`);
* how a task is summarised for results, diffs and messages (:func:`status_counts`, :func:`task_summary`,
  :func:`describe_task`, :func:`task_report_uri`).

Paths sent to FSx
    ``CreateDataRepositoryTask.Paths`` is documented (botocore's FSx model) as relative to the file system's mount
    point: for ``/mnt/fsx/path1`` "the path to provide is ``path1``". :func:`wire_path` sends that form
    (``analysis_results/alice/run42``). Paths read back from AWS are compared in a lenient canonical form
    (:func:`path_key`: one leading and one trailing slash), so tasks created with ``/analysis_results/alice/run42/``
    (DayEC 5.1.5's form) are recognised as the same export.
"""

from __future__ import annotations

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import export as export_rules
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import paths as path_rules
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx import rules
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.lifecycles import (
    TASK_ACTIVE_LIFECYCLES as ACTIVE_LIFECYCLES,
)
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.lifecycles import (
    TASK_ATTACHABLE_LIFECYCLES as ATTACHABLE_LIFECYCLES,
)
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.lifecycles import (
    TASK_TERMINAL_LIFECYCLES as TERMINAL_LIFECYCLES,
)

EXPORT_TYPE = "EXPORT_TO_REPOSITORY"
TASK_TYPES = (
    "EXPORT_TO_REPOSITORY",
    "IMPORT_METADATA_FROM_REPOSITORY",
    "RELEASE_DATA_FROM_FILESYSTEM",
    "AUTO_RELEASE_DATA",
)

REPORT_FORMAT = "REPORT_CSV_20191124"
REPORT_SCOPE = "FAILED_FILES_ONLY"
MAX_TASK_PATHS = 100  # CreateDataRepositoryTask.Paths maximum (API model)
TOKEN_PURPOSE = "export-task"


class TaskRuleError(ValueError):
    """A request breaks an export task rule; ``str(err)`` says what is wrong and what to do."""


class NoAssociationError(TaskRuleError):
    """A path lies in no data repository association at all, whatever its lifecycle."""


# --------------------------------------------------------------------------------------------------------------
# paths


def path_key(path):
    """Canonical comparison form of a task path as AWS may return it: ``/a/b/``; empty or None is the root ``/``.

    Lenient on purpose (values come from AWS, possibly written by other tools): slashes are only added or
    collapsed at the ends, nothing is refused.
    """
    if not path:
        return "/"
    inner = path.strip("/")
    return "/" + inner + "/" if inner else "/"


def paths_key(paths):
    """Order-insensitive comparison key of a list of paths; no paths means the file system root."""
    return tuple(sorted({path_key(path) for path in paths or ()})) or ("/",)


def task_paths_key(task):
    """:func:`paths_key` of a task's ``Paths`` (a task without ``Paths`` works on the whole file system)."""
    return paths_key(task.get("Paths"))


def wire_path(api_path):
    """The ``Paths`` entry FSx documents for an API path: relative to the mount point, no trailing slash."""
    inner = path_key(api_path).strip("/")
    if not inner:
        raise TaskRuleError("the file system root cannot be sent as an export path; name a directory below it")
    return inner


def fsx_path_contains(outer, inner):
    """True when FSx path ``inner`` equals or lies below ``outer`` (segment boundaries, any slash form)."""
    return path_key(inner).startswith(path_key(outer))


def prepare_export_paths(paths, mount_point=path_rules.DEFAULT_MOUNT_POINT):
    """Validate the ``paths`` option and return their FSx API paths (``/a/b/``), duplicates dropped, order kept.

    Each entry is an API path (``/analysis_results/e/a/``) or a headnode path under ``mount_point`` or ``/fsx``
    (``/fsx/analysis_results/e/a``). Refused, before any AWS call: an empty list, more than 100 paths, the file
    system root, unsafe paths (see :func:`paths.to_api_path`) and one path nested inside another.
    Raises :class:`TaskRuleError` (or :class:`paths.PathRuleError`, also a ValueError).
    """
    if not paths:
        raise TaskRuleError("paths must list at least one directory to export, e.g. /analysis_results/alice/run42/")
    result = []
    for index, given in enumerate(paths):
        api_path = rules.api_path(given, mount_point=mount_point, field="paths[%d]" % index)
        if api_path == "/":
            raise TaskRuleError(
                "paths[%d] %s is the file system root; name the directories to export instead" % (index, ascii(given))
            )
        if api_path not in result:
            result.append(api_path)
    if len(result) > MAX_TASK_PATHS:
        raise TaskRuleError("paths lists %d directories; one task takes at most %d" % (len(result), MAX_TASK_PATHS))
    for outer in result:
        for inner in result:
            if outer != inner and fsx_path_contains(outer, inner):
                raise TaskRuleError("paths %s lies inside %s; list only %s" % (inner, outer, outer))
    return result


# --------------------------------------------------------------------------------------------------------------
# the exporting association and the report location


def _association_label(association):
    return "%s (%s -> %s, %s)" % (
        association.get("AssociationId"),
        association.get("FileSystemPath"),
        association.get("DataRepositoryPath"),
        association.get("Lifecycle"),
    )


def export_association(associations, api_paths, file_system_id=None, lifecycles=("AVAILABLE",)):
    """The one association in ``lifecycles`` (AVAILABLE) whose FileSystemPath contains every path in ``api_paths``.

    Raises :class:`TaskRuleError` naming the associations involved when a path lies in no such association
    (mentioning one that contains it in another lifecycle; :class:`NoAssociationError` when none contains it at all)
    or when the paths lie in different ones: one task report can only be written inside one association's S3 prefix.
    """
    where = " of file system %s" % file_system_id if file_system_id else ""
    available = [a for a in associations if a.get("Lifecycle") in lifecycles]
    owners = {}
    for api_path in api_paths:
        owner = [a for a in available if fsx_path_contains(a.get("FileSystemPath"), api_path)]
        if not owner:
            other = [a for a in associations if fsx_path_contains(a.get("FileSystemPath"), api_path)]
            if other:
                raise TaskRuleError(
                    "%s lies in data repository association %s, which is not %s: wait until it is AVAILABLE "
                    "(or fix it) before exporting" % (api_path, _association_label(other[0]), "/".join(lifecycles))
                )
            listed = "; ".join(_association_label(a) for a in associations) or "none"
            raise NoAssociationError(
                "%s lies in no %s data repository association%s (associations: %s): attach an export "
                "association on that directory first (fsx_dra)" % (api_path, "/".join(lifecycles), where, listed)
            )
        # Active associations never overlap, so at most one contains the path; prefer the deepest if AWS disagrees.
        owners[api_path] = max(owner, key=lambda a: len(path_key(a.get("FileSystemPath"))))
    distinct = {a.get("AssociationId") for a in owners.values()}
    if len(distinct) > 1:
        spread = "; ".join("%s in %s" % (p, owners[p].get("AssociationId")) for p in api_paths)
        raise TaskRuleError(
            "the paths lie in different data repository associations (%s): one export task writes one report "
            "inside one association's S3 prefix, so export each association's paths in its own task" % spread
        )
    return owners[api_paths[0]]


def check_report_path(report_path, association):
    """Return the normalised ``report_path`` (``s3://bucket/prefix/``) if it lies inside the association's prefix.

    FSx only writes a task report inside the DataRepositoryPath of a linked association; a report elsewhere makes
    the task fail without exporting anything. Raises :class:`TaskRuleError` naming the association and its prefix.
    """
    report_uri = path_rules.normalize_s3_uri(report_path, field="report_path")
    prefix = association.get("DataRepositoryPath")
    try:
        inside = path_rules.is_under(report_uri, prefix)
    except path_rules.PathRuleError as err:
        raise TaskRuleError(
            "the DataRepositoryPath %s of association %s cannot be compared with report_path (%s)"
            % (ascii(prefix), association.get("AssociationId"), err)
        ) from err
    if not inside:
        raise TaskRuleError(
            "report_path %s is outside the S3 prefix %s of data repository association %s, which exports %s: FSx only "
            "writes the task report inside that prefix; choose a report_path under %s (e.g. its _daylily_monitor/ "
            "prefix)"
            % (
                report_uri,
                path_rules.normalize_s3_uri(prefix, field="data_repository_path"),
                association.get("AssociationId"),
                association.get("FileSystemPath"),
                path_rules.normalize_s3_uri(prefix, field="data_repository_path"),
            )
        )
    return report_uri


# --------------------------------------------------------------------------------------------------------------
# the request


def report_config(report_uri):
    """The ``Report`` of every export task: FAILED_FILES_ONLY CSV at ``report_uri``."""
    return {"Enabled": True, "Path": report_uri, "Format": REPORT_FORMAT, "Scope": REPORT_SCOPE}


def export_token(file_system_id, api_paths, report_uri, previous_task_id=None):
    """The ClientRequestToken of an export: derived from file system, paths (any order) and report path.

    ``previous_task_id`` is the newest ended export of the same paths (:func:`previous_attempt`): after a FAILED
    or CANCELED export the re-run gets a new token, so FSx starts a new task instead of replaying the old one.
    """
    inputs = {"file_system_id": file_system_id, "paths": list(paths_key(api_paths)), "report_path": report_uri}
    if previous_task_id:
        inputs["after"] = previous_task_id
    return path_rules.client_request_token(TOKEN_PURPOSE, inputs)


def export_request(file_system_id, api_paths, report_uri, token):
    """The CreateDataRepositoryTask parameters of one export of ``api_paths``."""
    return {
        "FileSystemId": file_system_id,
        "Type": EXPORT_TYPE,
        "Paths": [wire_path(api_path) for api_path in api_paths],
        "Report": report_config(report_uri),
        "ClientRequestToken": token,
    }


# --------------------------------------------------------------------------------------------------------------
# existing tasks


def _creation_key(task):
    created = task.get("CreationTime")
    if hasattr(created, "timestamp"):
        return created.timestamp()
    return created if isinstance(created, (int, float)) else 0


def newest(tasks):
    """The most recently created task of ``tasks``, or None."""
    tasks = list(tasks)
    return max(tasks, key=_creation_key) if tasks else None


def same_export(task, file_system_id, api_paths):
    """True when ``task`` is an export of exactly ``api_paths`` on ``file_system_id``."""
    return (
        task.get("Type") == EXPORT_TYPE
        and task.get("FileSystemId") == file_system_id
        and task_paths_key(task) == paths_key(api_paths)
    )


def find_attachable(tasks, file_system_id, api_paths):
    """The newest PENDING/EXECUTING export of exactly these paths, or None (whatever its report path)."""
    return newest(
        t for t in tasks if same_export(t, file_system_id, api_paths) and t.get("Lifecycle") in ATTACHABLE_LIFECYCLES
    )


def report_is_under(task, prefix_uri):
    """True when the task has an enabled report whose Path lies inside ``prefix_uri``."""
    report = task.get("Report") or {}
    if not report.get("Enabled") or not report.get("Path"):
        return False
    try:
        return path_rules.is_under(report["Path"], prefix_uri)
    except path_rules.PathRuleError:
        return False


def find_adoptable(tasks, file_system_id, api_paths, prefix_uri):
    """The newest SUCCEEDED export of exactly these paths whose report lies under ``prefix_uri``, or None."""
    return newest(
        t
        for t in tasks
        if same_export(t, file_system_id, api_paths)
        and t.get("Lifecycle") == "SUCCEEDED"
        and report_is_under(t, prefix_uri)
    )


def previous_attempt(tasks, file_system_id, api_paths):
    """The ID of the newest ended export of exactly these paths, or None (see :func:`export_token`)."""
    task = newest(
        t for t in tasks if same_export(t, file_system_id, api_paths) and t.get("Lifecycle") in TERMINAL_LIFECYCLES
    )
    return task.get("TaskId") if task else None


def blocking_tasks(tasks, file_system_id, exclude_ids=()):
    """Tasks still running on the file system (PENDING, EXECUTING, CANCELING), oldest first."""
    running = [
        t
        for t in tasks
        if t.get("FileSystemId") == file_system_id
        and t.get("Lifecycle") in ACTIVE_LIFECYCLES
        and t.get("TaskId") not in exclude_ids
    ]
    return sorted(running, key=_creation_key)


def matches(task, types=None, paths=None, file_system_id=None, lifecycles=None):
    """Client-side filters for listing: every given filter must match (``paths`` compares the exact path set)."""
    if types and task.get("Type") not in types:
        return False
    if paths is not None and task_paths_key(task) != paths_key(paths):
        return False
    if file_system_id and task.get("FileSystemId") != file_system_id:
        return False
    if lifecycles and task.get("Lifecycle") not in lifecycles:
        return False
    return True


# --------------------------------------------------------------------------------------------------------------
# summaries


def status_counts(task):
    """``{total_count, succeeded_count, failed_count, last_updated_time}`` of a task (0 when AWS has no count yet)."""
    status = task.get("Status") or {}
    updated = status.get("LastUpdatedTime")
    return {
        "total_count": int(status.get("TotalCount") or 0),
        "succeeded_count": int(status.get("SucceededCount") or 0),
        "failed_count": int(status.get("FailedCount") or 0),
        "last_updated_time": updated.isoformat() if hasattr(updated, "isoformat") else updated,
    }


def task_report_uri(task):
    """Where FSx writes the task's failed-files CSV (``<Report.Path>task-<id>/failures.csv``), or None."""
    report = task.get("Report") or {}
    if not report.get("Enabled") or not report.get("Path") or not task.get("TaskId"):
        return None
    try:
        return export_rules.failure_report_uri(report["Path"], task["TaskId"])
    except path_rules.PathRuleError:
        return None


def failure_details(task):
    """The task's FailureDetails as ``{"message": ...}``, or ``{}``."""
    details = task.get("FailureDetails") or {}
    return {"message": details["Message"]} if details.get("Message") else {}


def task_summary(task):
    """What identifies a task in a diff: id, lifecycle, file system, type, paths and report."""
    report = task.get("Report") or {}
    summary = {
        "task_id": task.get("TaskId"),
        "lifecycle": task.get("Lifecycle"),
        "file_system_id": task.get("FileSystemId"),
        "type": task.get("Type"),
        "paths": list(task.get("Paths") or []),
        "report": {
            "enabled": bool(report.get("Enabled")),
            "path": report.get("Path"),
            "format": report.get("Format"),
            "scope": report.get("Scope"),
        },
    }
    return {key: value for key, value in summary.items() if value is not None}


def request_summary(request):
    """The :func:`task_summary` shape of a CreateDataRepositoryTask request (the task that would be created)."""
    report = request["Report"]
    return {
        "file_system_id": request["FileSystemId"],
        "type": request["Type"],
        "paths": list(request["Paths"]),
        "report": {
            "enabled": report["Enabled"],
            "path": report["Path"],
            "format": report["Format"],
            "scope": report["Scope"],
        },
        "client_request_token": request["ClientRequestToken"],
    }


def describe_task(task):
    """One line naming a task for messages: ``task-… (EXECUTING, EXPORT_TO_REPOSITORY of a/b, c/d)``."""
    task_paths = ", ".join(task.get("Paths") or []) or "the whole file system"
    return "%s (%s, %s of %s)" % (task.get("TaskId"), task.get("Lifecycle"), task.get("Type"), task_paths)
