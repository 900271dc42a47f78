# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Preflight's Budgets calls. AWS Budgets: the account's budgets."""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import paginated_query_with_retries

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._preflight.errors import service_handler

BudgetsHandler = service_handler("Budgets")


@BudgetsHandler.common_error_handler("list the budgets of account {account}")
def account_budgets(client, account):
    answer = paginated_query_with_retries(client, "describe_budgets", client.retry, AccountId=account)
    return answer.get("Budgets") or []
