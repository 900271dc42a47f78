"""Unit tests for plugins/modules/aws_budget.py: every Budgets and STS request checked by botocore's Stubber (the
request validated against the API model, parameters compared), main() run for real."""

import pytest

from ansible_collections.daylily.ephemeral_cluster.plugins.modules import aws_budget
from testlib.modules import execute_module
from testlib.modules import stubbed_module_clients

ACCOUNT = "123456789012"
NAME = "daylily-day-giab-7"
CONNECTION = {"region": "us-west-2", "access_key": "testing", "secret_key": "testing", "retry_delay": 0}
TAG = {"key": "aws-parallelcluster-clustername", "value": "day-giab-7"}
ARGS = dict(
    CONNECTION,
    name=NAME,
    limit_usd=500,
    cost_filter_tag=TAG,
    thresholds_percent=[75, 100],
    emails=["ops@example.org"],
)
BUDGET = {
    "BudgetName": NAME,
    "BudgetLimit": {"Amount": "500.00", "Unit": "USD"},
    "CostFilters": {"TagKeyValue": ["user:aws-parallelcluster-clustername$day-giab-7"]},
    "TimeUnit": "MONTHLY",
    "BudgetType": "COST",
}
SUBSCRIBERS = [{"SubscriptionType": "EMAIL", "Address": "ops@example.org"}]


def notification(threshold):
    return {
        "NotificationType": "ACTUAL",
        "ComparisonOperator": "GREATER_THAN",
        "Threshold": float(threshold),
        "ThresholdType": "PERCENTAGE",
    }


def caller(stubbers):
    stubbers["sts"].add_response(
        "get_caller_identity",
        {"Account": ACCOUNT, "Arn": "arn:aws:iam::%s:user/ops" % ACCOUNT, "UserId": "AIDAEXAMPLE"},
        {},
    )


def missing(stubbers, operation="describe_budget"):
    stubbers["budgets"].add_client_error(
        operation,
        service_error_code="NotFoundException",
        service_message="Unable to get budget: %s - the budget doesn't exist." % NAME,
        expected_params={"AccountId": ACCOUNT, "BudgetName": NAME},
    )


def existing(stubbers, budget=None, thresholds=(75, 100), subscribers=None):
    budgets = stubbers["budgets"]
    budgets.add_response(
        "describe_budget",
        {"Budget": dict(budget or BUDGET, CalculatedSpend={"ActualSpend": {"Amount": "12.5", "Unit": "USD"}})},
        {"AccountId": ACCOUNT, "BudgetName": NAME},
    )
    budgets.add_response(
        "describe_notifications_for_budget",
        {"Notifications": [notification(t) for t in thresholds]},
        {"AccountId": ACCOUNT, "BudgetName": NAME},
    )
    for threshold in thresholds:
        budgets.add_response(
            "describe_subscribers_for_notification",
            {"Subscribers": subscribers or SUBSCRIBERS},
            {"AccountId": ACCOUNT, "BudgetName": NAME, "Notification": notification(threshold)},
        )


def run_budget(capsys, monkeypatch, *answers, args=None, **options):
    """Run aws_budget.main() once with the caller's identity and then each of ``answers`` queued; (rc, result)."""
    with stubbed_module_clients(monkeypatch, "sts", "budgets") as stubbers:
        caller(stubbers)
        for answer in answers:
            answer(stubbers)
        return execute_module(capsys, aws_budget.main, ARGS if args is None else args, **options)


def test_present_creates_the_budget_with_its_notifications_in_one_call(capsys, monkeypatch):
    with stubbed_module_clients(monkeypatch, "sts", "budgets") as stubbers:
        caller(stubbers)
        missing(stubbers)
        stubbers["budgets"].add_response(
            "create_budget",
            {},
            {
                "AccountId": ACCOUNT,
                "Budget": BUDGET,
                "NotificationsWithSubscribers": [
                    {"Notification": notification(75), "Subscribers": SUBSCRIBERS},
                    {"Notification": notification(100), "Subscribers": SUBSCRIBERS},
                ],
            },
        )
        rc, result = execute_module(capsys, aws_budget.main, ARGS, diff=True)
    assert rc == 0 and result["changed"] is True, result
    assert result["account_id"] == ACCOUNT
    assert result["budget"] == {
        "name": NAME,
        "limit_usd": 500.0,
        "time_unit": "MONTHLY",
        "cost_filter_tag": TAG,
        "thresholds_percent": [75.0, 100.0],
        "emails": ["ops@example.org"],
    }
    assert result["diff"] == {"before": {}, "after": result["budget"]}


def test_check_mode_makes_only_the_describe_calls(capsys, monkeypatch):
    rc, result = run_budget(capsys, monkeypatch, missing, check_mode=True)
    assert rc == 0 and result["changed"] is True, result


def test_a_matching_budget_is_left_alone(capsys, monkeypatch):
    rc, result = run_budget(capsys, monkeypatch, existing, diff=True)
    assert rc == 0 and result["changed"] is False, result
    assert result["budget"]["actual_spend_usd"] == 12.5
    assert result["diff"]["before"] == result["diff"]["after"]


def test_a_new_limit_updates_the_budget_and_a_new_threshold_replaces_only_what_differs(capsys, monkeypatch):
    args = dict(ARGS, limit_usd=750, thresholds_percent=[50, 100])
    with stubbed_module_clients(monkeypatch, "sts", "budgets") as stubbers:
        caller(stubbers)
        existing(stubbers)
        budgets = stubbers["budgets"]
        budgets.add_response(
            "update_budget",
            {},
            {"AccountId": ACCOUNT, "NewBudget": dict(BUDGET, BudgetLimit={"Amount": "750.00", "Unit": "USD"})},
        )
        budgets.add_response(
            "delete_notification", {}, {"AccountId": ACCOUNT, "BudgetName": NAME, "Notification": notification(75)}
        )
        budgets.add_response(
            "create_notification",
            {},
            {"AccountId": ACCOUNT, "BudgetName": NAME, "Notification": notification(50), "Subscribers": SUBSCRIBERS},
        )
        rc, result = execute_module(capsys, aws_budget.main, args, diff=True)
    assert rc == 0 and result["changed"] is True, result
    assert result["diff"]["before"]["limit_usd"] == 500.0 and result["diff"]["after"]["limit_usd"] == 750.0
    assert result["budget"]["thresholds_percent"] == [50.0, 100.0]


def test_a_notification_whose_subscribers_differ_is_replaced(capsys, monkeypatch):
    other = [{"SubscriptionType": "EMAIL", "Address": "someone@example.org"}]
    with stubbed_module_clients(monkeypatch, "sts", "budgets") as stubbers:
        caller(stubbers)
        existing(stubbers, thresholds=(75,), subscribers=other)
        budgets = stubbers["budgets"]
        budgets.add_response(
            "delete_notification", {}, {"AccountId": ACCOUNT, "BudgetName": NAME, "Notification": notification(75)}
        )
        for threshold in (75, 100):
            budgets.add_response(
                "create_notification",
                {},
                {
                    "AccountId": ACCOUNT,
                    "BudgetName": NAME,
                    "Notification": notification(threshold),
                    "Subscribers": SUBSCRIBERS,
                },
            )
        rc, result = execute_module(capsys, aws_budget.main, ARGS)
    assert rc == 0 and result["changed"] is True, result


def test_absent_deletes_and_a_missing_budget_is_unchanged(capsys, monkeypatch):
    args = dict(CONNECTION, name=NAME, state="absent")
    with stubbed_module_clients(monkeypatch, "sts", "budgets") as stubbers:
        caller(stubbers)
        existing(stubbers)
        stubbers["budgets"].add_response("delete_budget", {}, {"AccountId": ACCOUNT, "BudgetName": NAME})
        rc, deleted = execute_module(capsys, aws_budget.main, args, diff=True)
    assert rc == 0 and deleted["changed"] is True and deleted["diff"]["after"] == {}, deleted
    assert deleted["budget"]["name"] == NAME

    rc, again = run_budget(capsys, monkeypatch, missing, args=args)
    assert rc == 0 and again["changed"] is False and again["budget"] == {}, again


def test_absent_in_check_mode_deletes_nothing(capsys, monkeypatch):
    rc, result = run_budget(
        capsys, monkeypatch, existing, args=dict(CONNECTION, name=NAME, state="absent"), check_mode=True
    )
    assert rc == 0 and result["changed"] is True, result


def test_access_denied_names_the_budgets_action_to_grant(capsys, monkeypatch):
    with stubbed_module_clients(monkeypatch, "sts", "budgets") as stubbers:
        caller(stubbers)
        stubbers["budgets"].add_client_error(
            "describe_budget", service_error_code="AccessDeniedException", service_message="not authorized"
        )
        rc, result = execute_module(capsys, aws_budget.main, ARGS)
    assert rc == 1
    assert "Failed to describe budget %s (DescribeBudget, AccessDeniedException)" % NAME in result["msg"]
    assert "add budgets:ViewBudget to the IAM policy" in result["msg"]


def test_every_input_problem_is_reported_before_any_aws_call(capsys, monkeypatch):
    args = dict(
        CONNECTION,
        name="bad:name",
        limit_usd=0,
        thresholds_percent=[10, 20, 30, 40, 50, 60],
        emails=["not-an-address"],
        option_names={"limit_usd": "cluster_budget_limit_usd"},
    )
    with stubbed_module_clients(monkeypatch, "sts", "budgets"):
        rc, result = execute_module(capsys, aws_budget.main, args)
    assert rc == 1
    assert result["problems"] == [
        "name 'bad:name' must be 1 to 100 characters without ':' or '\\'",
        "cluster_budget_limit_usd must be a positive amount of USD, not 0.0",
        "thresholds_percent has 6 thresholds; AWS Budgets allows 5 notifications per budget",
        "emails has addresses that are not e-mail addresses: not-an-address",
    ]


@pytest.mark.parametrize(
    "extra, problem",
    [
        ({"emails": []}, "thresholds_percent needs emails to notify"),
        ({"thresholds_percent": []}, "emails needs thresholds_percent to say when to notify"),
        (
            {"thresholds_percent": [75, 75]},
            "thresholds_percent must be distinct positive percentages, not [75.0, 75.0]",
        ),
        ({"limit_usd": None}, "limit_usd must be a positive amount of USD, not None"),
    ],
)
def test_notifications_need_both_thresholds_and_addresses(capsys, monkeypatch, extra, problem):
    args = dict(ARGS, **extra)
    if args["limit_usd"] is None:
        del args["limit_usd"]
    with stubbed_module_clients(monkeypatch, "sts", "budgets"):
        rc, result = execute_module(capsys, aws_budget.main, args)
    assert rc == 1 and result["problems"] == [problem], result
