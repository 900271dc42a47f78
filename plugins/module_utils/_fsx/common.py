# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What every FSx call shares: the client and its retries, our own ``NextToken`` loops (botocore has no paginator
for DescribeDataRepositoryAssociations or DescribeDataRepositoryTasks), API filters, tags and snake_case output.

Clients: pass a plain botocore client or the ``RetryingBotoClientWrapper`` returned by
``module.client("fsx", retry_decorator=...)`` (``fsx_client(module)`` builds one with ``module_retry(module)``). The
page calls use, in order: the ``retry_decorator`` argument, the wrapper's decorator, ``aws_retry()``.
"""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.amazon.aws.plugins.module_utils.transformation import boto3_resource_to_ansible_dict
from ansible_collections.amazon.aws.plugins.module_utils.transformation import sanitize_filters_to_boto3_filter_list

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import paths
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.errors import AnsibleFSxError
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import aws_retry
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import module_retry

CLUSTER_NAME_TAG = "parallelcluster:cluster-name"
# The options the daylily.ephemeral_cluster.fsx doc fragment documents: which file system, how paths are read.
FILE_SYSTEM_EXCLUSIVE = ["file_system_id", "cluster_name"]


def file_system_argument_spec(**options):
    """An FSx module's argument spec: its own ``options`` plus the file system options every FSx module takes."""
    return dict(
        options,
        file_system_id=dict(type="str"),
        cluster_name=dict(type="str"),
        mount_point=dict(type="str", default=paths.DEFAULT_MOUNT_POINT),
    )


def fsx_client(module, retry_decorator=None):
    """An FSx client from an AnsibleAWSModule, wrapped with its retry policy (call with ``aws_retry=True``)."""
    return module.client("fsx", retry_decorator=retry_decorator or module_retry(module))


def unwrap(client, retry_decorator=None):
    """(raw botocore client, retry decorator): explicit decorator, else the wrapper's, else aws_retry()."""
    if isinstance(client, RetryingBotoClientWrapper):
        return client.client, retry_decorator or client.retry
    return client, retry_decorator or aws_retry()


def describe_pages(client, method, result_key, retry_decorator=None, **params):
    """Follow NextToken until AWS stops returning one; each page call is retried on its own."""
    raw, retry = unwrap(client, retry_decorator)
    call = retry(getattr(raw, method))
    items = []
    seen_tokens = set()
    while True:
        page = call(**params)
        items.extend(page.get(result_key) or [])
        token = page.get("NextToken")
        if not token:
            return items
        if token in seen_tokens:  # a server bug must not become an endless loop
            raise AnsibleFSxError(
                message=f"{method} returned the same NextToken twice; stopping after {len(items)} results",
                operation=raw.meta.method_to_api_mapping.get(method),
            )
        seen_tokens.add(token)
        params = dict(params, NextToken=token)


# The FSx Describe calls without a botocore paginator: method -> (result key, IDs parameter, error code of an unknown ID).
LISTINGS = {
    "describe_data_repository_associations": ("Associations", "AssociationIds", "DataRepositoryAssociationNotFound"),
    "describe_data_repository_tasks": ("DataRepositoryTasks", "TaskIds", "DataRepositoryTaskNotFound"),
}


def describe(client, method, ids, filters, retry_decorator):
    """Describe by IDs (skipping IDs AWS does not know) or by filters; ``method`` is one of ``LISTINGS``."""
    result_key, ids_key, missing_code = LISTINGS[method]
    params = {}
    if filters:
        params["Filters"] = filters
    if not ids:
        try:
            return describe_pages(client, method, result_key, retry_decorator, **params)
        except is_boto3_error_code("FileSystemNotFound"):
            return []
    ids = list(ids)
    try:
        return describe_pages(client, method, result_key, retry_decorator, **dict(params, **{ids_key: ids}))
    except is_boto3_error_code([missing_code, "FileSystemNotFound"]):
        if len(ids) == 1:
            return []
    # AWS fails the whole call when one ID is unknown: ask for each ID so the others are still returned.
    found = []
    for one in ids:
        try:
            found.extend(
                describe_pages(client, method, result_key, retry_decorator, **dict(params, **{ids_key: [one]}))
            )
        except is_boto3_error_code([missing_code, "FileSystemNotFound"]):
            continue
    return found


def build_filters(filters, allowed=None):
    """Snake_case ``{name: value}`` → boto3 ``[{"Name": "name-with-dashes", "Values": [...]}]``.

    None and empty values are dropped; strings become one-element lists. Names not in ``allowed`` (dashed form)
    raise ValueError, because AWS would answer BadRequest only after the round trip.
    """
    present = {key: value for key, value in (filters or {}).items() if value not in (None, "", [], ())}
    for key, value in present.items():
        if isinstance(value, (tuple, set, frozenset)):
            present[key] = list(value)
    boto_filters = sanitize_filters_to_boto3_filter_list(present)
    if allowed is not None:
        unknown = sorted(item["Name"] for item in boto_filters if item["Name"] not in allowed)
        if unknown:
            raise ValueError(f"Unknown FSx filter(s) {', '.join(unknown)}; allowed: {', '.join(allowed)}")
    return boto_filters


def path_key(path):
    """Comparison key for paths AWS returns (with or without the trailing slash)."""
    if not path:
        return path
    return path.rstrip("/") + "/"


def tags_match(tag_list, wanted):
    """True when every ``wanted`` key/value is among the boto3 ``tag_list`` (values compared as strings)."""
    if not wanted:
        return True
    have = boto3_tag_list_to_ansible_dict(tag_list or [])
    return all(key in have and have[key] == str(value) for key, value in wanted.items())


def normalize_association(dra):
    """A boto3 association as Ansible returns it: snake_case keys, ``tags`` as a dict, ISO 8601 times.

    AWS's values are kept as they are (events such as ``NEW``, lifecycles, paths).
    """
    return boto3_resource_to_ansible_dict(dra, transform_tags=True, force_tags=True)


def task_progress(task):
    """One line per normalized task for an operator watching a wait: its id, lifecycle and file counts."""
    status = task.get("status") or {}
    if status.get("total_count") is None:
        counts = "no file counted yet"
    else:
        counts = "%s of %s files done, %s failed" % (
            status.get("succeeded_count", 0),
            status["total_count"],
            status.get("failed_count", 0),
        )
    return "%s %s: %s" % (task.get("task_id"), task.get("lifecycle"), counts)


def normalize_task(task):
    """A boto3 data repository task as Ansible returns it (same rules as ``normalize_association``)."""
    return boto3_resource_to_ansible_dict(task, transform_tags=True, force_tags=True)
