"""AWS Budgets for the sandbox: moto's, plus the calls it lacks and AWS's error where moto has none.

moto 5.2.5 has CreateBudget, DescribeBudget(s), DeleteBudget, Create/DeleteNotification and
DescribeNotificationsForBudget. Added here: UpdateBudget (the budget is replaced but keeps its spend and period, as
AWS keeps its name) and DescribeSubscribersForNotification; DescribeNotificationsForBudget of a missing budget is
AWS's NotFoundException instead of a server error. A budget's spend is what CreateBudget's ``CalculatedSpend`` says
(tests seed an exhausted budget that way); moto reports 0 otherwise.
"""

import json

from moto.budgets import urls as budgets_urls
from moto.budgets.exceptions import NotFoundException
from moto.budgets.responses import BudgetsResponse

URL_PATH = "{0}/$"
KEPT_ON_UPDATE = ("CalculatedSpend", "TimePeriod")


class SandboxBudgetsResponse(BudgetsResponse):
    def _budget(self, action):
        account_id, name = self._get_param("AccountId"), self._get_param("BudgetName")
        budget = self.backend.budgets[account_id].get(name)
        if budget is None:
            raise NotFoundException(f"Unable to {action}: {name} - the budget doesn't exist.")
        return budget

    def update_budget(self):
        new = self._get_param("NewBudget")
        account_id = self._get_param("AccountId")
        budget = self.backend.budgets[account_id].get(new["BudgetName"])
        if budget is None:
            raise NotFoundException(f"Unable to update budget: {new['BudgetName']} - the budget doesn't exist.")
        kept = {key: budget.budget[key] for key in KEPT_ON_UPDATE if key in budget.budget and key not in new}
        budget.budget = dict(new, LastUpdatedTime=budget.budget.get("LastUpdatedTime"), **kept)
        return json.dumps({})

    def describe_notifications_for_budget(self):
        self._budget("get notifications")
        return super().describe_notifications_for_budget()

    def describe_subscribers_for_notification(self):
        budget = self._budget("get subscribers")
        wanted = self._get_param("Notification")
        for item in budget.notifications:
            if item.details == wanted:
                return json.dumps({"Subscribers": item.subscribers, "NextToken": None})
        raise NotFoundException("Unable to get subscribers - the notification doesn't exist.")


def install(state):  # pylint: disable=unused-argument
    """Route moto's Budgets to SandboxBudgetsResponse; before the server builds its Budgets app."""
    budgets_urls.url_paths[URL_PATH] = SandboxBudgetsResponse.dispatch
