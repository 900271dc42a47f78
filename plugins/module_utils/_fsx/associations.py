# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""FSx data repository associations: each AWS call one small decorated function (retried by the client wrapper;
errors become AnsibleFSxError naming the operation and what to do), and client-side filters of the answers."""

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import paths
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.common import build_filters
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.common import describe
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.common import path_key
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.common import tags_match
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.errors import FSxErrorHandler

# Filter names the API accepts (botocore does not validate the enum, AWS answers BadRequest).
DRA_FILTER_NAMES = ("file-system-id", "data-repository-type", "file-cache-id", "file-cache-type")
CREATE_TOKEN_PURPOSE = "dra"
DELETE_TOKEN_PURPOSE = "dra-delete"


@FSxErrorHandler.common_error_handler("describe FSx data repository associations (DescribeDataRepositoryAssociations)")
def describe_associations(client, association_ids=None, retry_decorator=None, **filters):
    """All data repository associations matching ``association_ids`` and/or the API filters (raw boto3 dicts).

    ``filters`` are snake_case API filter names: ``file_system_id``, ``data_repository_type``, ``file_cache_id``,
    ``file_cache_type``; a value is a string or a list of strings; None values are ignored.
    Unknown association IDs are skipped (an empty list when none is known); a missing file system gives [].
    Raises AnsibleFSxError (operation DescribeDataRepositoryAssociations) on any other failure, after retries.
    """
    return describe(
        client,
        "describe_data_repository_associations",
        association_ids,
        build_filters(filters, DRA_FILTER_NAMES),
        retry_decorator,
    )


@FSxErrorHandler.common_error_handler("create the FSx data repository association (CreateDataRepositoryAssociation)")
def create_association(client, request):
    return client.create_data_repository_association(aws_retry=True, **request)["Association"]


@FSxErrorHandler.common_error_handler(
    "update FSx data repository association {request[AssociationId]} (UpdateDataRepositoryAssociation)"
)
def update_association(client, request):
    return client.update_data_repository_association(aws_retry=True, **request)["Association"]


@FSxErrorHandler.deletion_error_handler(
    "delete FSx data repository association {association_id} (DeleteDataRepositoryAssociation)"
)
def delete_association(client, association_id, delete_data_in_file_system):
    """The DeleteDataRepositoryAssociation answer, or False when the association is already gone."""
    return client.delete_data_repository_association(
        AssociationId=association_id,
        DeleteDataInFileSystem=delete_data_in_file_system,
        ClientRequestToken=paths.client_request_token(DELETE_TOKEN_PURPOSE, {"association_id": association_id}),
        aws_retry=True,
    )


@FSxErrorHandler.common_error_handler("tag FSx data repository association {arn} (TagResource)")
def tag_association(client, arn, tags):
    client.tag_resource(
        ResourceARN=arn, Tags=[{"Key": key, "Value": value} for key, value in sorted(tags.items())], aws_retry=True
    )


@FSxErrorHandler.common_error_handler("untag FSx data repository association {arn} (UntagResource)")
def untag_association(client, arn, keys):
    client.untag_resource(ResourceARN=arn, TagKeys=sorted(keys), aws_retry=True)


def describe_association(client, association_id):
    """The association, or None when AWS does not know it (any more)."""
    found = describe_associations(client, association_ids=[association_id])
    return found[0] if found else None


def filter_associations(associations, file_system_id=None, file_system_path=None, lifecycles=None, tags=None):
    """Client-side filters on raw boto3 associations; every given filter must match.

    ``file_system_path`` must already be in API form (``normalize_file_system_path``); it is an exact match,
    not a prefix match. ``lifecycles`` is a list of DRA lifecycles; ``tags`` a dict that must all match.
    """
    wanted_path = path_key(file_system_path) if file_system_path else None
    wanted_lifecycles = set(lifecycles or [])
    result = []
    for dra in associations:
        if file_system_id and dra.get("FileSystemId") != file_system_id:
            continue
        if wanted_path and path_key(dra.get("FileSystemPath")) != wanted_path:
            continue
        if wanted_lifecycles and dra.get("Lifecycle") not in wanted_lifecycles:
            continue
        if not tags_match(dra.get("Tags"), tags):
            continue
        result.append(dra)
    return result
