"""The scenarios of the lifecycle chaos suite (tests/integration/chaos/test_lifecycle_chaos.py): the 5 seeds of
`make test` meet every fault kind, every window start and the gated delete; every fault of the 50 seeds of `make chaos`
is armed at a step its window runs and its kind can act in; a seed always plans the same scenario (its replay)."""

import importlib.util
from pathlib import Path

import pytest

from testlib.lifecycle import PHASES

SUITE = Path(__file__).resolve().parents[2] / "integration" / "chaos" / "test_lifecycle_chaos.py"


@pytest.fixture(scope="module")
def suite():
    spec = importlib.util.spec_from_file_location("lifecycle_chaos_suite", SUITE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_five_seeds_of_make_test_meet_every_fault_kind_window_and_the_delete(suite):
    plans = [suite.plan_lifecycle_scenario(seed) for seed in range(1, 6)]
    assert {fault["kind"] for plan in plans for fault in plan.faults} == set(suite.FAULT_KINDS)
    assert {plan.steps[0] for plan in plans} == set(suite.WINDOW_STARTS)
    assert any(plan.deletes for plan in plans)


@pytest.mark.parametrize("seed", range(1, 51))
def test_every_fault_is_armed_at_a_step_of_its_window_where_its_kind_acts(suite, seed):
    plan = suite.plan_lifecycle_scenario(seed)
    assert plan.steps == sorted(plan.steps, key=PHASES.index) and "register" in plan.steps, plan.describe()
    for fault in plan.faults:
        assert fault["step"] in plan.steps, plan.describe()
        assert fault["step"] in suite.FAULT_STEPS.get(fault["kind"], plan.steps), plan.describe()
    if plan.kill:
        assert plan.kill[0] in plan.steps, plan.describe()
    assert 2 <= len(plan.faults) <= 4
    assert suite.plan_lifecycle_scenario(seed).describe() == plan.describe(), "a replay would differ"


def test_the_window_runs_with_its_steps_tags_or_as_the_whole_lifecycle(suite):
    whole = suite.LifecycleScenario(1, list(PHASES))
    assert whole.tags() == []
    export_only = suite.LifecycleScenario(2, ["export", "register"])
    assert export_only.tags() == ["--tags", "export,register"]
    deleting = suite.LifecycleScenario(3, ["export", "register", "delete"])
    assert deleting.tags() == ["--tags", "export,register,delete,report"]
