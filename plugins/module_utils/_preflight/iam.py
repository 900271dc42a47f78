# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Preflight's IAM calls. IAM: the policies attached to a user and its groups."""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import paginated_query_with_retries

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._preflight.errors import service_handler

IAMHandler = service_handler("IAM")


@IAMHandler.common_error_handler("list the policies attached to user {user}")
def user_policy_names(client, user):
    answer = paginated_query_with_retries(client, "list_attached_user_policies", client.retry, UserName=user)
    return [item["PolicyName"] for item in answer.get("AttachedPolicies") or []]


@IAMHandler.common_error_handler("list the groups of user {user}")
def user_group_names(client, user):
    answer = paginated_query_with_retries(client, "list_groups_for_user", client.retry, UserName=user)
    return [item["GroupName"] for item in answer.get("Groups") or []]


@IAMHandler.common_error_handler("list the policies attached to group {group}")
def group_policy_names(client, group):
    answer = paginated_query_with_retries(client, "list_attached_group_policies", client.retry, GroupName=group)
    return [item["PolicyName"] for item in answer.get("AttachedPolicies") or []]
