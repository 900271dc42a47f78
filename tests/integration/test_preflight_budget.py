"""Preflight's budgets.account check against the sandbox's Budgets: an exhausted account-wide budget warns (and stops
preflight unless pass_on_warn) while a cluster's own budget over its limit does not; the check only reads."""

from testlib.playbooks import run_playbook
from testlib.preflight import CLUSTER
from testlib.preflight import ROLE_URIS
from testlib.preflight import seed_account

PLAYBOOK = "aws_preflight.yml"


def seed_budget(aws, name, spent, limit, **extra):
    """A budget whose actual spend AWS has computed (CreateBudget's CalculatedSpend, which the sandbox keeps)."""
    account = aws("sts").get_caller_identity()["Account"]
    budget = dict(
        BudgetName=name,
        BudgetLimit={"Amount": str(limit), "Unit": "USD"},
        TimeUnit="MONTHLY",
        BudgetType="COST",
        CalculatedSpend={"ActualSpend": {"Amount": str(spent), "Unit": "USD"}},
        **extra,
    )
    aws("budgets").create_budget(AccountId=account, Budget=budget)


def budget_check(run):
    return next(check for check in run.result("Preflight")["checks"] if check["id"] == "budgets.account")


def play_vars(tmp_path, **extra):
    return dict(
        {"cluster_name": CLUSTER, **ROLE_URIS, "output_dir": str(tmp_path / "reports"), "retry_delay": 0}, **extra
    )


def test_an_exhausted_account_wide_budget_warns_and_a_cluster_budget_does_not(sandbox, aws, tmp_path):
    seed_account(aws)
    seed_budget(aws, "daylily-day-old", 500, 100, CostFilters={"TagKeyValue": ["user:k$day-old"]})
    seed_budget(aws, "daylily-global", 20, 1000)
    sandbox.clear_audit()
    run = run_playbook(PLAYBOOK, play_vars(tmp_path, pass_on_warn=True), check=True)
    assert budget_check(run)["status"] == "PASS", budget_check(run)
    assert [(e["operation"], e["mutating"]) for e in sandbox.audit() if e["service"] == "budgets"] == [
        ("DescribeBudgets", False)
    ]

    seed_budget(aws, "daylily-monthly", 150, 150)
    run = run_playbook(PLAYBOOK, play_vars(tmp_path), check=True)
    check = budget_check(run)
    assert check["status"] == "WARN" and "daylily-monthly (150.00 of 150.00 USD)" in check["details"], check
    assert run.result("Preflight")["failed"] is True and "budgets.account WARN" in run.result("Preflight")["msg"]
