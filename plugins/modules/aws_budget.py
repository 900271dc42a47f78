#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: aws_budget
short_description: Create, update or delete an AWS cost budget with e-mail notifications, such as a cluster's
version_added: 0.1.0
description:
  - Manages one AWS Budgets cost budget of the caller's account (the account id comes from STS
    C(GetCallerIdentity)), with its limit in USD per O(time_unit), an optional filter on one cost-allocation tag
    (O(cost_filter_tag), for a budget per cluster), and one notification per O(thresholds_percent) that e-mails
    O(emails) when the actual spend exceeds that percentage of the limit.
  - O(state=present) creates the budget, or updates what differs (limit, period, tag filter) and replaces the
    notifications whose threshold or subscribers differ; a budget that already matches is not touched
    (C(changed=false)). Notifications of another kind on the budget (forecasted spend, absolute amounts) are removed.
  - O(state=absent) deletes the budget with its notifications; a budget that does not exist is C(changed=false).
  - The inputs are checked before any AWS call, every problem reported at once.
  - In check mode only the describe calls are made. With C(--diff) the budget before and after is returned.
  - The cluster role names a cluster's budget C(daylily-<cluster_name>) and filters it on the cluster's
    C(aws-parallelcluster-clustername) cost-allocation tag; the teardown role deletes it by that name.
author:
  - Daylily ephemeral cluster maintainers (!UNKNOWN)
options:
  name:
    description: The budget's name, 1 to 100 characters without C(:) or C(\).
    type: str
    required: true
  state:
    description: Whether the budget should exist.
    type: str
    choices: [present, absent]
    default: present
  limit_usd:
    description: The budget's limit in USD per O(time_unit). Required with O(state=present).
    type: float
  time_unit:
    description: The period the limit is for.
    type: str
    choices: [DAILY, MONTHLY, QUARTERLY, ANNUALLY]
    default: MONTHLY
  cost_filter_tag:
    description:
      - Count only the costs carrying this cost-allocation tag (it must be activated in the Billing console).
        Without it the budget counts the whole account.
    type: dict
    suboptions:
      key:
        description: The tag key, for example V(aws-parallelcluster-clustername).
        type: str
        required: true
      value:
        description: The tag value, for example the cluster name.
        type: str
        required: true
  thresholds_percent:
    description:
      - One notification per value, sent when the actual spend exceeds that percentage of the limit. At most 5.
    type: list
    elements: float
    default: []
  emails:
    description: The e-mail addresses every notification goes to; at most 10. Needed when O(thresholds_percent) is set.
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - daylily.ephemeral_cluster.aws
  - daylily.ephemeral_cluster.option_names
notes:
  - Needs C(sts:GetCallerIdentity), C(budgets:ViewBudget) and, to change anything, C(budgets:ModifyBudget).
  - AWS updates a budget's spend a few times a day; RV(budget.actual_spend_usd) is what AWS last computed.
"""

EXAMPLES = r"""
- name: A budget for the cluster day-giab-7, mails at 75 % and 100 % of 500 USD a month
  daylily.ephemeral_cluster.aws_budget:
    name: daylily-day-giab-7
    limit_usd: 500
    cost_filter_tag:
      key: aws-parallelcluster-clustername
      value: day-giab-7
    thresholds_percent: [75, 100]
    emails: [omics-ops@example.org]

- name: Remove it with the cluster
  daylily.ephemeral_cluster.aws_budget:
    name: daylily-day-giab-7
    state: absent
"""

RETURN = r"""
budget:
  description: The budget after the task (before it, with O(state=absent)); empty when there is none.
  returned: always
  type: dict
  contains:
    name:
      description: The budget's name.
      type: str
      returned: when the budget exists
      sample: daylily-day-giab-7
    limit_usd:
      description: The limit in USD per RV(budget.time_unit).
      type: float
      returned: when the budget exists
      sample: 500.0
    time_unit:
      description: The period of the limit.
      type: str
      returned: when the budget exists
      sample: MONTHLY
    cost_filter_tag:
      description: The cost-allocation tag filter (C(key), C(value)); null for an account-wide budget.
      type: dict
      returned: when the budget exists
      sample: {key: aws-parallelcluster-clustername, value: day-giab-7}
    thresholds_percent:
      description: The notification thresholds, in percent of the limit.
      type: list
      elements: float
      returned: when the budget exists
      sample: [75.0, 100.0]
    emails:
      description: The e-mail addresses notified.
      type: list
      elements: str
      returned: when the budget exists
      sample: [omics-ops@example.org]
    actual_spend_usd:
      description: The actual spend AWS last computed for the current period; null when unknown (a new budget).
      type: float
      returned: when the budget existed before the task
      sample: 12.5
account_id:
  description: The account the budget belongs to.
  returned: always
  type: str
  sample: "123456789012"
"""

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import budgets
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import sts
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import DaylilyAWSError
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import DaylilyAWSModule
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import module_retry


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        limit_usd=dict(type="float"),
        time_unit=dict(type="str", choices=list(budgets.TIME_UNITS), default="MONTHLY"),
        cost_filter_tag=dict(
            type="dict",
            options=dict(key=dict(type="str", required=True, no_log=False), value=dict(type="str", required=True)),
        ),
        thresholds_percent=dict(type="list", elements="float", default=[]),
        emails=dict(type="list", elements="str", default=[]),
        option_names=dict(type="dict", default={}),
    )
    module = DaylilyAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    want = {key: module.params[key] for key in argument_spec if key != "option_names"}
    problems = budgets.wanted_problems(want, module.params["option_names"])
    if problems:
        module.fail_json(msg="The budget cannot be set: %s." % "; ".join(problems), problems=problems)

    retry = module_retry(module)
    try:
        account = sts.account_id(module.client("sts", retry_decorator=retry))
        client = module.client("budgets", retry_decorator=retry)
        if want["state"] == "present":
            changed, before, after = budgets.ensure_present(client, account, want, module.check_mode)
        else:
            changed, before = budgets.ensure_absent(client, account, want["name"], module.check_mode)
            after = {}
    except DaylilyAWSError as e:
        module.fail_json_aws_error(e)
    result = dict(changed=changed, account_id=account, budget=after if want["state"] == "present" else before)
    if module._diff:
        result["diff"] = dict(before=before, after=after)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
