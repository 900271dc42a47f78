# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""FSx for Lustre building blocks shared by the FSx modules of daylily.ephemeral_cluster.

Layers (the amazon.aws pattern, with FSx's gaps closed):

* Retries: ``modules.aws_retry()`` (``AWSRetry.jittered_backoff`` that also retries ``ThrottlingException``,
  FSx's throttle code, missing from amazon.aws's default list, every other throttle code botocore knows, and the
  transient 5xx codes of ``aws_errors``) and ``modules.module_retry(module)``.
* ``describe_associations()`` / ``describe_tasks()``: our own ``NextToken`` loops (botocore has no paginator
  for DescribeDataRepositoryAssociations or DescribeDataRepositoryTasks); every page call is retried on its own.
* ``FSxErrorHandler`` / ``AnsibleFSxError``: botocore errors become one typed error whose message names the
  AWS operation, the error code and what to do next; modules pass it to ``module.fail_json_aws_error``.
* Pure helpers (no AWS calls): path normalisation, filter building, client-side filters, snake_case output.

Clients: pass a plain botocore client or the ``RetryingBotoClientWrapper`` returned by
``module.client("fsx", retry_decorator=...)`` (``fsx_client(module)`` builds one with ``module_retry(module)``). The
page calls use, in order: the ``retry_decorator`` argument, the wrapper's decorator, ``aws_retry()``.
"""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import paths
from ansible_collections.amazon.aws.plugins.module_utils.botocore import paginated_query_with_retries
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.aws_errors import aws_error_code  # noqa: F401 (public)
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.aws_errors import remediation  # noqa: F401 (public)
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import DaylilyAWSError
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import DaylilyErrorHandler
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import aws_retry, module_retry
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.amazon.aws.plugins.module_utils.transformation import boto3_resource_to_ansible_dict
from ansible_collections.amazon.aws.plugins.module_utils.transformation import sanitize_filters_to_boto3_filter_list

# --------------------------------------------------------------------------------------------------------------
# Constants
# --------------------------------------------------------------------------------------------------------------

CLUSTER_NAME_TAG = "parallelcluster:cluster-name"
DEFAULT_MOUNT_POINT = "/fsx"

DRA_LIFECYCLES = ("CREATING", "AVAILABLE", "MISCONFIGURED", "UPDATING", "DELETING", "FAILED")
# An association that still owns its paths (MISCONFIGURED counts: AWS keeps the paths reserved).
DRA_ACTIVE_LIFECYCLES = ("CREATING", "AVAILABLE", "MISCONFIGURED", "UPDATING")
TASK_LIFECYCLES = ("PENDING", "EXECUTING", "FAILED", "SUCCEEDED", "CANCELED", "CANCELING")
TASK_ACTIVE_LIFECYCLES = ("PENDING", "EXECUTING", "CANCELING")
TASK_TERMINAL_LIFECYCLES = ("SUCCEEDED", "FAILED", "CANCELED")

# Filter names the API accepts (botocore does not validate the enum, AWS answers BadRequest).
DRA_FILTER_NAMES = ("file-system-id", "data-repository-type", "file-cache-id", "file-cache-type")
TASK_FILTER_NAMES = ("file-system-id", "task-lifecycle", "data-repository-association-id", "file-cache-id")

_MISSING_CODES = ("DataRepositoryAssociationNotFound", "DataRepositoryTaskNotFound", "FileSystemNotFound")


# --------------------------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------------------------


class AnsibleFSxError(DaylilyAWSError):
    """An FSx failure (see ``DaylilyAWSError``): its message names the operation and code and ends with what to do."""

    SERVICE = "FSx"


class FSxErrorHandler(DaylilyErrorHandler):
    """amazon.aws AWSErrorHandler raising AnsibleFSxError; "missing" = FSx's three *NotFound codes."""

    _CUSTOM_EXCEPTION = AnsibleFSxError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code(list(_MISSING_CODES))


# --------------------------------------------------------------------------------------------------------------
# Retries and clients
# --------------------------------------------------------------------------------------------------------------


def fsx_client(module, retry_decorator=None):
    """An FSx client from an AnsibleAWSModule, wrapped with its retry policy (call with ``aws_retry=True``)."""
    return module.client("fsx", retry_decorator=retry_decorator or module_retry(module))


def _unwrap(client, retry_decorator=None):
    """(raw botocore client, retry decorator): explicit decorator, else the wrapper's, else aws_retry()."""
    if isinstance(client, RetryingBotoClientWrapper):
        return client.client, retry_decorator or client.retry
    return client, retry_decorator or aws_retry()


def _describe_pages(client, method, result_key, retry_decorator=None, **params):
    """Follow NextToken until AWS stops returning one; each page call is retried on its own."""
    raw, retry = _unwrap(client, retry_decorator)
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


def _describe(client, method, result_key, ids_key, ids, filters, missing_code, retry_decorator):
    """Describe by IDs (skipping IDs AWS does not know) or by filters."""
    params = {}
    if filters:
        params["Filters"] = filters
    if not ids:
        try:
            return _describe_pages(client, method, result_key, retry_decorator, **params)
        except is_boto3_error_code("FileSystemNotFound"):
            return []
    ids = list(ids)
    try:
        return _describe_pages(client, method, result_key, retry_decorator, **dict(params, **{ids_key: ids}))
    except is_boto3_error_code([missing_code, "FileSystemNotFound"]):
        if len(ids) == 1:
            return []
    # AWS fails the whole call when one ID is unknown: ask for each ID so the others are still returned.
    found = []
    for one in ids:
        try:
            found.extend(_describe_pages(client, method, result_key, retry_decorator, **dict(params, **{ids_key: [one]})))
        except is_boto3_error_code([missing_code, "FileSystemNotFound"]):
            continue
    return found


@FSxErrorHandler.common_error_handler("describe FSx data repository associations (DescribeDataRepositoryAssociations)")
def describe_associations(client, association_ids=None, retry_decorator=None, **filters):
    """All data repository associations matching ``association_ids`` and/or the API filters (raw boto3 dicts).

    ``filters`` are snake_case API filter names: ``file_system_id``, ``data_repository_type``, ``file_cache_id``,
    ``file_cache_type``; a value is a string or a list of strings; None values are ignored.
    Unknown association IDs are skipped (an empty list when none is known); a missing file system gives [].
    Raises AnsibleFSxError (operation DescribeDataRepositoryAssociations) on any other failure, after retries.
    """
    return _describe(
        client,
        "describe_data_repository_associations",
        "Associations",
        "AssociationIds",
        association_ids,
        build_filters(filters, DRA_FILTER_NAMES),
        "DataRepositoryAssociationNotFound",
        retry_decorator,
    )


@FSxErrorHandler.common_error_handler("describe FSx data repository tasks (DescribeDataRepositoryTasks)")
def describe_tasks(client, task_ids=None, retry_decorator=None, **filters):
    """All data repository tasks matching ``task_ids`` and/or the API filters (raw boto3 dicts).

    ``filters``: ``file_system_id``, ``task_lifecycle``, ``data_repository_association_id``, ``file_cache_id``.
    Unknown task IDs are skipped. Raises AnsibleFSxError (operation DescribeDataRepositoryTasks).
    """
    return _describe(
        client,
        "describe_data_repository_tasks",
        "DataRepositoryTasks",
        "TaskIds",
        task_ids,
        build_filters(filters, TASK_FILTER_NAMES),
        "DataRepositoryTaskNotFound",
        retry_decorator,
    )


@FSxErrorHandler.common_error_handler("describe FSx file systems (DescribeFileSystems)")
def describe_file_systems(client, retry_decorator=None):
    """Every FSx file system of the account in the client's region (DescribeFileSystems paginator, retried)."""
    raw, retry = _unwrap(client, retry_decorator)
    result = paginated_query_with_retries(raw, "describe_file_systems", retry_decorator=retry)
    return result.get("FileSystems") or []


def find_file_system_by_cluster(client, cluster_name, file_system_type=None, retry_decorator=None, names=None):
    """The one FSx file system tagged ``parallelcluster:cluster-name=<cluster_name>`` (raw boto3 dict).

    ``file_system_type`` (e.g. "LUSTRE") narrows the match. Raises AnsibleFSxError when none or more than one
    match; the error's ``kwargs["file_systems"]`` lists the matches (id, type, lifecycle, creation time). ``names``
    maps option names to what the operator sets when a role drives the module (a module's ``option_names``).
    """

    def name(option):
        return (names or {}).get(option) or option

    if not cluster_name:
        raise AnsibleFSxError(message="cluster_name must be a non-empty string")
    matches = [
        fs
        for fs in describe_file_systems(client, retry_decorator=retry_decorator)
        if tags_match(fs.get("Tags"), {CLUSTER_NAME_TAG: cluster_name})
        and (file_system_type is None or fs.get("FileSystemType") == file_system_type)
    ]
    if len(matches) == 1:
        return matches[0]
    region = getattr(getattr(client, "meta", None), "region_name", None) or "the configured region"
    kind = f"{file_system_type} " if file_system_type else ""
    summary = [_file_system_summary(fs) for fs in matches]
    if not matches:
        raise AnsibleFSxError(
            message=(
                f"No {kind}FSx file system in {region} is tagged {CLUSTER_NAME_TAG}={cluster_name} (DescribeFileSystems). "
                f"Check {name('cluster_name')} and region, or pass {name('file_system_id')}"
            ),
            operation="DescribeFileSystems",
            file_systems=summary,
        )
    listed = "; ".join(
        f"{item['file_system_id']} ({item['file_system_type']}, {item['lifecycle']}, created {item['creation_time']})" for item in summary
    )
    raise AnsibleFSxError(
        message=(
            f"{len(matches)} {kind}FSx file systems in {region} are tagged {CLUSTER_NAME_TAG}={cluster_name} "
            f"(DescribeFileSystems): {listed}. Pass {name('file_system_id')} to choose one"
        ),
        operation="DescribeFileSystems",
        file_systems=summary,
    )


def _file_system_summary(fs):
    created = fs.get("CreationTime")
    return {
        "file_system_id": fs.get("FileSystemId"),
        "file_system_type": fs.get("FileSystemType"),
        "lifecycle": fs.get("Lifecycle"),
        "creation_time": created.isoformat() if hasattr(created, "isoformat") else created,
    }


# --------------------------------------------------------------------------------------------------------------
# Pure helpers (no AWS calls)
# --------------------------------------------------------------------------------------------------------------


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


def normalize_file_system_path(path, mount_point=DEFAULT_MOUNT_POINT):
    """The FSx API form of a file system path (the collection's one rule: ``paths.to_api_path``).

    ``/fsx/analysis_results/a/b`` (headnode form) → ``/analysis_results/a/b/``; ``/references`` → ``/references/``.
    Raises ValueError (``paths.PathRuleError``) for relative paths, ``//``, ``.`` or ``..`` segments.
    """
    return paths.to_api_path(path, mount_point=mount_point or DEFAULT_MOUNT_POINT, field="file_system_path")


def _path_key(path):
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


def filter_associations(associations, file_system_id=None, file_system_path=None, lifecycles=None, tags=None):
    """Client-side filters on raw boto3 associations; every given filter must match.

    ``file_system_path`` must already be in API form (``normalize_file_system_path``); it is an exact match,
    not a prefix match. ``lifecycles`` is a list of DRA lifecycles; ``tags`` a dict that must all match.
    """
    wanted_path = _path_key(file_system_path) if file_system_path else None
    wanted_lifecycles = set(lifecycles or [])
    result = []
    for dra in associations:
        if file_system_id and dra.get("FileSystemId") != file_system_id:
            continue
        if wanted_path and _path_key(dra.get("FileSystemPath")) != wanted_path:
            continue
        if wanted_lifecycles and dra.get("Lifecycle") not in wanted_lifecycles:
            continue
        if not tags_match(dra.get("Tags"), tags):
            continue
        result.append(dra)
    return result


def normalize_association(dra):
    """A boto3 association as Ansible returns it: snake_case keys, ``tags`` as a dict, ISO 8601 times.

    AWS's values are kept as they are (events such as ``NEW``, lifecycles, paths).
    """
    return boto3_resource_to_ansible_dict(dra, transform_tags=True, force_tags=True)


def normalize_task(task):
    """A boto3 data repository task as Ansible returns it (same rules as ``normalize_association``)."""
    return boto3_resource_to_ansible_dict(task, transform_tags=True, force_tags=True)
