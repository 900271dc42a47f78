"""FSx file systems and data repository tasks in the shapes DescribeFileSystems and DescribeDataRepositoryTasks
return (validated by the API model in Stubber-based tests); associations are in fsx_api.py."""

import datetime

from testlib.fsx_api import CREATED
from testlib.fsx_api import FS_ID

CLUSTER_TAG = "parallelcluster:cluster-name"
EXPORT_TYPE = "EXPORT_TO_REPOSITORY"
EXPORT_PATH = "analysis_results/e1/a1"  # the relative form FSx documents for a task's Paths


def file_system(fs_id=FS_ID, cluster=None, *, tags=None, fs_type="LUSTRE", lifecycle="AVAILABLE", created=CREATED):
    """A DescribeFileSystems item; ``cluster`` adds the tag ParallelCluster puts on its file system, after ``tags``."""
    tags = dict(tags or {})
    if cluster:
        tags[CLUSTER_TAG] = cluster
    item = {"FileSystemId": fs_id, "FileSystemType": fs_type, "Lifecycle": lifecycle, "CreationTime": created}
    if tags:  # the API model requires at least one tag when Tags is present
        item["Tags"] = [{"Key": key, "Value": value} for key, value in tags.items()]
    return item


def report_config(path):
    """The Report of an export task: the failed files only, as CSV, under ``path``."""
    return {"Enabled": True, "Path": path, "Format": "REPORT_CSV_20191124", "Scope": "FAILED_FILES_ONLY"}


def task_status(total, succeeded, failed, updated=CREATED):
    return {"TotalCount": total, "SucceededCount": succeeded, "FailedCount": failed, "LastUpdatedTime": updated}


def data_repository_task(
    n,
    lifecycle="SUCCEEDED",
    *,
    paths=(EXPORT_PATH,),
    kind=EXPORT_TYPE,
    fs_id=FS_ID,
    report=None,
    status=None,
    failure=None,
    minutes=0,
    **fields,
):
    """A DescribeDataRepositoryTasks item numbered ``n``: ``paths=None`` is a task of the whole file system, ``report``
    the path of its failed-files report (none when not given), ``fields`` further API fields as they are."""
    item = {
        "TaskId": f"task-{n:017x}",
        "FileSystemId": fs_id,
        "Type": kind,
        "Lifecycle": lifecycle,
        "CreationTime": CREATED + datetime.timedelta(minutes=minutes),
        "Report": report_config(report) if report else {"Enabled": False},
    }
    if paths is not None:
        item["Paths"] = list(paths)
    if status is not None:
        item["Status"] = status
    if failure:
        item["FailureDetails"] = {"Message": failure}
    item.update(fields)
    return item
