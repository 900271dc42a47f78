"""Preflight's budgets.account check: PASS while no account-wide budget has spent its limit, WARN (never FAIL) when
one has, WARN naming budgets:ViewBudget when the caller may not read budgets; Stubber-validated DescribeBudgets."""

import boto3
import pytest
from botocore.stub import Stubber

from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._preflight import checks
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import aws_retry

ACCOUNT = "123456789012"
CALLER = "arn:aws:iam::%s:user/alice" % ACCOUNT
CONFIG = {"option_names": {"pass_on_warn": "pass_on_warn"}}


@pytest.fixture
def budgets():
    client = boto3.client("budgets", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stubber:
        yield RetryingBotoClientWrapper(client, aws_retry(retries=2, delay=0)), stubber
        stubber.assert_no_pending_responses()


def budget(name, spent, limit, **extra):
    return dict(
        {
            "BudgetName": name,
            "BudgetLimit": {"Amount": str(limit), "Unit": "USD"},
            "TimeUnit": "MONTHLY",
            "BudgetType": "COST",
            "CalculatedSpend": {"ActualSpend": {"Amount": str(spent), "Unit": "USD"}},
        },
        **extra,
    )


def run(budgets, answer=None, error=None, caller=CALLER):
    client, stubber = budgets
    if error:
        stubber.add_client_error("describe_budgets", service_error_code=error, expected_params={"AccountId": ACCOUNT})
    elif answer is not None:
        stubber.add_response("describe_budgets", {"Budgets": answer}, {"AccountId": ACCOUNT})
    (found,) = checks.account_budgets(lambda service: client, CONFIG, caller)
    assert found["id"] == "budgets.account"
    return found


def test_pass_while_account_wide_budgets_are_below_their_limit(budgets):
    cluster = budget(
        "daylily-day1", 900, 100, CostFilters={"TagKeyValue": ["user:aws-parallelcluster-clustername$day1"]}
    )
    found = run(budgets, [budget("daylily-global", 99.99, 100), cluster])
    assert found["status"] == "PASS", found
    assert found["details"] == "No account-wide budget has spent its limit (1 checked)."


def test_warn_when_an_account_wide_budget_has_spent_its_limit(budgets):
    found = run(budgets, [budget("daylily-global", 100, 100), budget("other", 3, 50)])
    assert found["status"] == "WARN", found
    assert (
        found["details"] == "The account-wide budget daylily-global (100.00 of 100.00 USD) has already spent its limit."
    )
    assert "set pass_on_warn to create the cluster anyway" in found["remediation"]


def test_denied_budgets_warn_naming_the_action_and_never_fail(budgets):
    found = run(budgets, error="AccessDeniedException")
    assert found["status"] == "WARN", found
    assert found["details"] == "Access denied: the caller may not call budgets:ViewBudget."


def test_an_account_without_budgets_passes(budgets):
    found = run(budgets, error="NotFoundException")
    assert found["status"] == "PASS" and "(0 checked)" in found["details"], found


def test_without_the_account_the_check_is_skipped_and_makes_no_call(budgets):
    found = run(budgets, caller=None)
    assert found["status"] == "SKIPPED", found
