# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""AWS Budgets: a cost budget with e-mail notifications at percentages of its limit, optionally filtered on one
cost-allocation tag (a cluster's budget).

Each Budgets call is one small function behind ``BudgetsErrorHandler``; the rules (what the operator may ask for,
what differs between the budget that exists and the one wanted, which calls make it so) make no AWS call. A
cluster's budget is named ``daylily-<cluster>`` (``pcluster.budget_name``); the teardown role removes it by that name.
"""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import paginated_query_with_retries

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.aws_errors import ACCESS_CODES
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.aws_errors import aws_error_code
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import DaylilyAWSError
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import DaylilyErrorHandler

TIME_UNITS = ("DAILY", "MONTHLY", "QUARTERLY", "ANNUALLY")
BUDGET_TYPE = "COST"
CURRENCY = "USD"
NAME_MAX = 100
FORBIDDEN_NAME_CHARACTERS = (":", "\\")
# AWS Budgets: at most five notifications per budget and ten e-mail subscribers per notification.
MAX_NOTIFICATIONS = 5
MAX_EMAILS = 10
# The notifications this module manages: actual spend above a percentage of the limit.
NOTIFICATION_KIND = {"NotificationType": "ACTUAL", "ComparisonOperator": "GREATER_THAN", "ThresholdType": "PERCENTAGE"}
# Cost Explorer names user-defined cost-allocation tags "user:<key>"; a budget filters on "user:<key>$<value>".
TAG_FILTER_PREFIX = "user:"
# Budgets' IAM actions are not named after its API operations: reads need ViewBudget, every change ModifyBudget.
VIEW_ACTION = "budgets:ViewBudget"
MODIFY_ACTION = "budgets:ModifyBudget"


def iam_action(operation):
    return VIEW_ACTION if (operation or "").startswith("Describe") else MODIFY_ACTION


class AnsibleBudgetsError(DaylilyAWSError):
    """A Budgets failure; AccessDenied names the Budgets IAM action to grant."""

    SERVICE = "Budgets"

    def __init__(self, message=None, exception=None, operation=None, code=None, hint=None, **kwargs):
        operation = operation or getattr(exception, "operation_name", None)
        code = code or aws_error_code(exception)
        if hint is None and code in ACCESS_CODES:
            action = iam_action(operation)
            hint = "The caller may not call %s: add %s to the IAM policy of the user or role running Ansible" % (
                operation or "Budgets",
                action,
            )
        super().__init__(message=message, exception=exception, operation=operation, code=code, hint=hint, **kwargs)


class BudgetsErrorHandler(DaylilyErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleBudgetsError
    MISSING_CODES = ("NotFoundException",)


# --- the calls -------------------------------------------------------------------------------------------------------
@BudgetsErrorHandler.list_error_handler("describe budget {name}")
def describe_budget(client, account, name):
    """The budget; None when there is none."""
    return client.describe_budget(AccountId=account, BudgetName=name, aws_retry=True)["Budget"]


@BudgetsErrorHandler.list_error_handler("describe the notifications of budget {name}", default_value=[])
def describe_notifications(client, account, name):
    answer = paginated_query_with_retries(
        client, "describe_notifications_for_budget", client.retry, AccountId=account, BudgetName=name
    )
    return answer.get("Notifications") or []


@BudgetsErrorHandler.list_error_handler("describe the subscribers of a notification of budget {name}", [])
def describe_subscribers(client, account, name, notification):
    answer = paginated_query_with_retries(
        client,
        "describe_subscribers_for_notification",
        client.retry,
        AccountId=account,
        BudgetName=name,
        Notification=notification,
    )
    return answer.get("Subscribers") or []


@BudgetsErrorHandler.common_error_handler("create budget {name}")
def create_budget(client, account, name, budget, notifications):
    client.create_budget(AccountId=account, Budget=budget, NotificationsWithSubscribers=notifications)


@BudgetsErrorHandler.common_error_handler("update budget {name}")
def update_budget(client, account, name, budget):
    client.update_budget(AccountId=account, NewBudget=budget)


@BudgetsErrorHandler.common_error_handler("add a notification to budget {name}")
def create_notification(client, account, name, notification, subscribers):
    client.create_notification(AccountId=account, BudgetName=name, Notification=notification, Subscribers=subscribers)


@BudgetsErrorHandler.deletion_error_handler("remove a notification from budget {name}")
def delete_notification(client, account, name, notification):
    client.delete_notification(AccountId=account, BudgetName=name, Notification=notification)
    return True


@BudgetsErrorHandler.deletion_error_handler("delete budget {name}")
def delete_budget(client, account, name):
    client.delete_budget(AccountId=account, BudgetName=name)
    return True


# --- the rules -------------------------------------------------------------------------------------------------------
def wanted_problems(want, names=None):
    """Every problem of a wanted budget (``name``, ``limit_usd``, ``time_unit``, ``cost_filter_tag``,
    ``thresholds_percent``, ``emails``), before any AWS call; ``names`` maps options to what the operator sets."""

    def name_of(option):
        return (names or {}).get(option) or option

    problems = []
    name = want.get("name") or ""
    if not name or len(name) > NAME_MAX or any(c in name for c in FORBIDDEN_NAME_CHARACTERS):
        problems.append("%s %r must be 1 to %d characters without ':' or '\\'" % (name_of("name"), name, NAME_MAX))
    if want.get("state", "present") != "present":
        return problems
    limit = want.get("limit_usd")
    if limit is None or limit <= 0:
        problems.append("%s must be a positive amount of USD, not %r" % (name_of("limit_usd"), limit))
    tag = want.get("cost_filter_tag")
    if tag is not None and not (tag.get("key") and tag.get("value")):
        problems.append("%s needs a non-empty key and value, not %r" % (name_of("cost_filter_tag"), tag))
    thresholds = want.get("thresholds_percent") or []
    if any(value <= 0 for value in thresholds) or len(set(thresholds)) != len(thresholds):
        problems.append(
            "%s must be distinct positive percentages, not %r" % (name_of("thresholds_percent"), thresholds)
        )
    if len(thresholds) > MAX_NOTIFICATIONS:
        problems.append(
            "%s has %d thresholds; AWS Budgets allows %d notifications per budget"
            % (name_of("thresholds_percent"), len(thresholds), MAX_NOTIFICATIONS)
        )
    emails = want.get("emails") or []
    bad = [email for email in emails if "@" not in email.strip("@") or any(c.isspace() for c in email)]
    if bad:
        problems.append("%s has addresses that are not e-mail addresses: %s" % (name_of("emails"), ", ".join(bad)))
    if len(emails) > MAX_EMAILS:
        problems.append(
            "%s has %d addresses; AWS Budgets allows %d per notification" % (name_of("emails"), len(emails), MAX_EMAILS)
        )
    if thresholds and not emails:
        problems.append("%s needs %s to notify" % (name_of("thresholds_percent"), name_of("emails")))
    if emails and not thresholds:
        problems.append("%s needs %s to say when to notify" % (name_of("emails"), name_of("thresholds_percent")))
    return problems


def _amount(value):
    return "%.2f" % value


def budget_request(want):
    """The Budget structure of CreateBudget/UpdateBudget for ``want``."""
    budget = {
        "BudgetName": want["name"],
        "BudgetLimit": {"Amount": _amount(want["limit_usd"]), "Unit": CURRENCY},
        "TimeUnit": want["time_unit"],
        "BudgetType": BUDGET_TYPE,
    }
    tag = want.get("cost_filter_tag")
    if tag:
        budget["CostFilters"] = {"TagKeyValue": ["%s%s$%s" % (TAG_FILTER_PREFIX, tag["key"], tag["value"])]}
    return budget


def notification(threshold):
    return dict(NOTIFICATION_KIND, Threshold=float(threshold))


def email_subscribers(emails):
    return [{"SubscriptionType": "EMAIL", "Address": email} for email in sorted(emails)]


def _threshold(value):
    return round(float(value), 4)


def wanted_notifications(want):
    """``{threshold: sorted e-mail addresses}`` of ``want``."""
    return {_threshold(value): sorted(want.get("emails") or []) for value in want.get("thresholds_percent") or []}


def notification_key(item):
    """A notification's threshold when it is of the kind this module manages; else the notification itself (so it is
    replaced: forecasted spend, absolute amounts)."""
    kind = {key: item.get(key) for key in NOTIFICATION_KIND}
    return _threshold(item["Threshold"]) if kind == NOTIFICATION_KIND else tuple(sorted(item.items()))


def subscriber_emails(subscribers):
    return sorted(s["Address"] for s in subscribers if s.get("SubscriptionType") == "EMAIL")


def _tag_filter(budget):
    values = (budget.get("CostFilters") or {}).get("TagKeyValue") or []
    if len(values) != 1 or not values[0].startswith(TAG_FILTER_PREFIX) or "$" not in values[0]:
        return {"raw": budget.get("CostFilters")} if budget.get("CostFilters") else None
    key, value = values[0][len(TAG_FILTER_PREFIX) :].split("$", 1)
    return {"key": key, "value": value}


def _spend(budget, kind):
    amount = ((budget.get("CalculatedSpend") or {}).get(kind) or {}).get("Amount")
    return None if amount is None else float(amount)


def budget_view(budget, notifications):
    """A budget as the module returns it (snake_case), from DescribeBudget and ``{threshold: emails}``."""
    if budget is None:
        return {}
    thresholds = sorted(key for key in notifications if isinstance(key, float))
    emails = sorted({email for addresses in notifications.values() for email in addresses})
    return {
        "name": budget["BudgetName"],
        "limit_usd": round(float(budget["BudgetLimit"]["Amount"]), 2),
        "time_unit": budget.get("TimeUnit"),
        "cost_filter_tag": _tag_filter(budget),
        "thresholds_percent": thresholds,
        "emails": emails,
        "actual_spend_usd": _spend(budget, "ActualSpend"),
    }


def wanted_view(want):
    return {
        "name": want["name"],
        "limit_usd": round(float(want["limit_usd"]), 2),
        "time_unit": want["time_unit"],
        "cost_filter_tag": dict(want["cost_filter_tag"]) if want.get("cost_filter_tag") else None,
        "thresholds_percent": sorted(wanted_notifications(want)),
        "emails": sorted(want.get("emails") or []),
    }


def budget_differs(budget, want):
    """True when the budget's limit, period or cost filter is not the wanted one."""
    current = budget_view(budget, {})
    wanted = wanted_view(want)
    return any(current[key] != wanted[key] for key in ("limit_usd", "time_unit", "cost_filter_tag"))


def notification_changes(existing, wanted):
    """``(to delete, to create)``: keys of ``existing`` to remove and ``(threshold, emails)`` to add; a notification
    whose subscribers differ is replaced."""
    removed = [key for key, emails in existing.items() if wanted.get(key) != emails]
    added = [(key, emails) for key, emails in sorted(wanted.items()) if existing.get(key) != emails]
    return removed, added


# --- the state -------------------------------------------------------------------------------------------------------
def current_state(client, account, name):
    """``(budget or None, {key: e-mail addresses}, {key: raw notification})`` (keys: :func:`notification_key`)."""
    budget = describe_budget(client, account, name)
    existing, raw = {}, {}
    if budget is None:
        return None, existing, raw
    for item in describe_notifications(client, account, name):
        key = notification_key(item)
        existing[key] = subscriber_emails(describe_subscribers(client, account, name, item))
        raw[key] = item
    return budget, existing, raw


def ensure_present(client, account, want, check_mode):
    """Create or update the budget and its notifications: ``(changed, before view, after view)``."""
    name = want["name"]
    budget, existing, raw = current_state(client, account, name)
    wanted = wanted_notifications(want)
    before = budget_view(budget, existing)
    after = dict(before, **wanted_view(want))
    if budget is None:
        if not check_mode:
            items = [
                {"Notification": notification(key), "Subscribers": email_subscribers(emails)}
                for key, emails in sorted(wanted.items())
            ]
            create_budget(client, account, name, budget_request(want), items)
        return True, before, after
    removed, added = notification_changes(existing, wanted)
    update = budget_differs(budget, want)
    if check_mode or not (update or removed or added):
        return bool(update or removed or added), before, after
    if update:
        update_budget(client, account, name, budget_request(want))
    for key in removed:
        delete_notification(client, account, name, raw[key])
    for key, emails in added:
        create_notification(client, account, name, notification(key), email_subscribers(emails))
    return True, before, after


def ensure_absent(client, account, name, check_mode):
    """Delete the budget (its notifications go with it): ``(changed, before view)``."""
    budget, existing, _raw = current_state(client, account, name)
    if budget is None:
        return False, {}
    if not check_mode:
        delete_budget(client, account, name)
    return True, budget_view(budget, existing)


def exhausted_budgets(budgets):
    """The account-wide budgets (no cost filter) whose actual spend reached their limit: ``[(name, spend, limit)]``."""
    found = []
    for budget in budgets:
        if budget.get("CostFilters") or budget.get("BudgetType", BUDGET_TYPE) != BUDGET_TYPE:
            continue
        spend, limit = _spend(budget, "ActualSpend"), (budget.get("BudgetLimit") or {}).get("Amount")
        if spend is not None and limit is not None and spend >= float(limit):
            found.append((budget["BudgetName"], spend, float(limit)))
    return found
