"""Every role has a molecule scenario (extensions/molecule/<role>/) that converges the role, runs it again for
idempotence and verifies what it did, seeded through the one shared prepare step (tests/testlib/scenarios.py).

`make molecule` runs the scenarios themselves; this checks that none is missing or wired differently."""

from pathlib import Path

import pytest
import yaml

from testlib import scenarios

REPO = Path(__file__).resolve().parents[2]
MOLECULE = REPO / "extensions" / "molecule"
SHARED_CONFIG = REPO / ".config" / "molecule" / "config.yml"
ROLES = sorted(path.parent.parent.name for path in (REPO / "roles").glob("*/tasks/main.yml"))
SCENARIOS = sorted(path.parent.name for path in MOLECULE.glob("*/molecule.yml"))


def load(path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("role", ROLES)
def test_every_role_has_a_scenario_that_converges_it_and_verifies(role):
    scenario = MOLECULE / role
    assert (scenario / "molecule.yml").is_file(), f"roles/{role} has no molecule scenario extensions/molecule/{role}/"
    assert (scenario / "verify.yml").is_file(), f"extensions/molecule/{role}/ verifies nothing (verify.yml)"
    plays = load(scenario / "converge.yml")
    applied = [entry["role"] for play in plays for entry in play.get("roles", [])]
    assert applied == [f"daylily.ephemeral_cluster.{role}"]


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_scenario_is_seeded_in_the_one_shared_place(scenario):
    assert scenario in scenarios.SCENARIOS, f"tests/testlib/scenarios.py has no seeding for the {scenario} scenario"
    own = load(MOLECULE / scenario / "molecule.yml")
    assert "prepare" not in (own.get("ansible") or {}).get("playbooks", {}), (
        "prepare is shared: extensions/molecule/shared"
    )
    assert not (MOLECULE / scenario / "prepare.yml").exists()


def test_the_shared_sequence_converges_twice_then_verifies_on_the_sandbox():
    config = load(SHARED_CONFIG)
    sequence = config["scenario"]["test_sequence"]
    assert [step for step in sequence if step in ("prepare", "converge", "idempotence", "verify")] == [
        "prepare",
        "converge",
        "idempotence",
        "verify",
    ]
    assert config["driver"] == {"name": "default", "options": {"managed": False}}
    assert (MOLECULE / config["ansible"]["playbooks"]["prepare"].replace("../", "")).is_file()
    assert set(scenarios.SCENARIOS) == set(SCENARIOS), "seeding for a scenario that does not exist"
