"""aws_budget against the sandbox's Budgets (moto + tests/sandbox/budgets.py): create, a second run that changes
nothing, an update, check mode with zero mutating calls in the audit log, and delete."""

from ansible_collections.daylily.ephemeral_cluster.plugins.modules import aws_budget
from testlib.modules import execute_module

NAME = "daylily-dayec-budget"
ARGS = {
    "name": NAME,
    "limit_usd": 250,
    "cost_filter_tag": {"key": "aws-parallelcluster-clustername", "value": "dayec-budget"},
    "thresholds_percent": [80, 100],
    "emails": ["ops@example.org"],
    "retry_delay": 0,
}


def budget_calls(sandbox):
    return [(entry["operation"], entry["mutating"]) for entry in sandbox.audit() if entry["service"] == "budgets"]


def test_budget_lifecycle_is_idempotent_and_check_mode_changes_nothing(capsys, sandbox, aws):
    rc, checked = execute_module(capsys, aws_budget.main, ARGS, check_mode=True)
    assert rc == 0 and checked["changed"] is True, checked
    assert sandbox.mutating_calls() == []

    rc, created = execute_module(capsys, aws_budget.main, ARGS)
    assert rc == 0 and created["changed"] is True, created
    account = aws("sts").get_caller_identity()["Account"]
    budget = aws("budgets", region_name="us-east-1").describe_budget(AccountId=account, BudgetName=NAME)["Budget"]
    assert budget["BudgetLimit"]["Amount"] == "250.00"
    assert budget["CostFilters"] == {"TagKeyValue": ["user:aws-parallelcluster-clustername$dayec-budget"]}
    assert ("CreateBudget", True) in budget_calls(sandbox)

    sandbox.clear_audit()
    rc, again = execute_module(capsys, aws_budget.main, ARGS, diff=True)
    assert rc == 0 and again["changed"] is False, again
    assert sandbox.mutating_calls() == []
    assert ("DescribeSubscribersForNotification", False) in budget_calls(sandbox)

    rc, updated = execute_module(capsys, aws_budget.main, dict(ARGS, limit_usd=300, thresholds_percent=[50, 100]))
    assert rc == 0 and updated["changed"] is True, updated
    rc, settled = execute_module(capsys, aws_budget.main, dict(ARGS, limit_usd=300, thresholds_percent=[50, 100]))
    assert rc == 0 and settled["changed"] is False, settled
    assert settled["budget"]["limit_usd"] == 300.0 and settled["budget"]["thresholds_percent"] == [50.0, 100.0]

    sandbox.clear_audit()
    rc, kept = execute_module(capsys, aws_budget.main, {"name": NAME, "state": "absent"}, check_mode=True)
    assert rc == 0 and kept["changed"] is True and sandbox.mutating_calls() == []
    rc, deleted = execute_module(capsys, aws_budget.main, {"name": NAME, "state": "absent"})
    assert rc == 0 and deleted["changed"] is True, deleted
    rc, gone = execute_module(capsys, aws_budget.main, {"name": NAME, "state": "absent"})
    assert rc == 0 and gone["changed"] is False
