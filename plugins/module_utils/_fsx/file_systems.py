# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""FSx file systems: describe them, and find a cluster's by its ParallelCluster tag."""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import paginated_query_with_retries

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.common import CLUSTER_NAME_TAG
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.common import tags_match
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.common import unwrap
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.errors import AnsibleFSxError
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.errors import FSxErrorHandler


@FSxErrorHandler.common_error_handler("describe FSx file system {file_system_id} (DescribeFileSystems)")
def describe_file_system(client, file_system_id):
    """The DescribeFileSystems entry of one file system."""
    return client.describe_file_systems(FileSystemIds=[file_system_id], aws_retry=True)["FileSystems"][0]


@FSxErrorHandler.common_error_handler("describe FSx file systems (DescribeFileSystems)")
def describe_file_systems(client, retry_decorator=None):
    """Every FSx file system of the account in the client's region (DescribeFileSystems paginator, retried)."""
    raw, retry = unwrap(client, retry_decorator)
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
        f"{item['file_system_id']} ({item['file_system_type']}, {item['lifecycle']}, created {item['creation_time']})"
        for item in summary
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
