# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""FSx data repository tasks: each AWS call one small decorated function (retried by the client wrapper; errors
become AnsibleFSxError naming the operation and what to do)."""

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.common import build_filters
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.common import describe
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.errors import FSxErrorHandler

TASK_FILTER_NAMES = ("file-system-id", "task-lifecycle", "data-repository-association-id", "file-cache-id")
#: AWS's answer to a create while another task runs on the file system.
TASK_EXECUTING = "DataRepositoryTaskExecuting"


@FSxErrorHandler.common_error_handler("describe FSx data repository tasks (DescribeDataRepositoryTasks)")
def describe_tasks(client, task_ids=None, retry_decorator=None, **filters):
    """All data repository tasks matching ``task_ids`` and/or the API filters (raw boto3 dicts).

    ``filters``: ``file_system_id``, ``task_lifecycle``, ``data_repository_association_id``, ``file_cache_id``.
    Unknown task IDs are skipped. Raises AnsibleFSxError (operation DescribeDataRepositoryTasks).
    """
    return describe(
        client, "describe_data_repository_tasks", task_ids, build_filters(filters, TASK_FILTER_NAMES), retry_decorator
    )


#: How an error names a task of each type (CreateDataRepositoryTask creates them all).
TASK_KINDS = {
    "EXPORT_TO_REPOSITORY": "export",
    "IMPORT_METADATA_FROM_REPOSITORY": "import",
    "RELEASE_DATA_FROM_FILESYSTEM": "release",
}


@FSxErrorHandler.common_error_handler("create the FSx {kind} task (CreateDataRepositoryTask, Type={request[Type]})")
def _create_task(client, request, kind):
    return client.create_data_repository_task(aws_retry=True, **request)["DataRepositoryTask"]


def create_task(client, request):
    """The task AWS created from ``request``; a failure names the type requested (an import is not an export)."""
    return _create_task(client, request, TASK_KINDS.get(request.get("Type"), "data repository"))


def import_request(file_system_id, prefix, tags=None):
    """The request of one IMPORT_METADATA_FROM_REPOSITORY task on an S3 prefix (import paths are S3 paths), without a
    report: a mount's listing imported again. ``tags``: a dict of the task's tags."""
    request = {
        "Type": "IMPORT_METADATA_FROM_REPOSITORY",
        "FileSystemId": file_system_id,
        "Paths": [prefix],
        "Report": {"Enabled": False},
    }
    if tags:
        request["Tags"] = [{"Key": key, "Value": value} for key, value in sorted(tags.items())]
    return request


def describe_task(client, task_id):
    """The task, or None when AWS does not know it (any more)."""
    found = describe_tasks(client, task_ids=[task_id])
    return found[0] if found else None
