"""cluster_cost_estimate through ansible-playbook against the sandbox's Price List extension and moto's spot prices."""

import pytest

from testlib.playbooks import run_playbook

PLAYBOOK = "cluster_cost_estimate.yml"
INPUTS = {
    "headnode_instance_type": "r7i.2xlarge",
    "headnode_root_volume_gib": 200,
    "fsx_storage_capacity": 1200,
    "queues": [
        {"name": "i192", "instance_types": ["m7i.48xlarge"], "max_count": 4},
        {"name": "od", "instance_types": ["m7i.2xlarge"], "max_count": 2, "capacity_type": "ONDEMAND"},
    ],
}
# The sandbox's prices: r7i.2xlarge 0.5292/h, gp3 0.08/GB-Mo, FSx SCRATCH_2 0.14/GB-Mo, public IPv4 0.005/h,
# m7i.2xlarge on demand 0.4032/h; moto's spot price is 0.00001/h for every type.
IDLE_PER_HOUR = 0.5292 + 200 * 0.08 / 730 + 1200 * 0.14 / 730 + 0.005  # 0.7862548
CEILING_PER_HOUR = IDLE_PER_HOUR + 4 * 0.00001 + 2 * 0.4032  # 1.5926948


def test_forecast_of_a_known_config_equals_the_hand_computed_figure(sandbox):
    run = run_playbook(PLAYBOOK, {"cluster_inputs": INPUTS, "cluster_ttl_hours": 24, "cost_ceiling_usd": 100})
    result = run.result("Forecast")
    assert not result.get("failed"), result.get("msg")
    forecast = result["forecast"]
    assert forecast["idle_usd_per_hour"] == pytest.approx(IDLE_PER_HOUR, abs=1e-5)
    assert forecast["ceiling_usd_per_hour"] == pytest.approx(CEILING_PER_HOUR, abs=1e-5)
    assert (forecast["idle_usd"], forecast["ceiling_usd"]) == (18.87, 38.22)
    assert forecast["status"] == "PASS" and forecast["unknown_prices"] == []
    assert sandbox.mutating_calls() == []
    assert {e["operation"] for e in sandbox.audit()} == {"GetProducts", "DescribeSpotPriceHistory"}


def test_a_price_the_price_list_lacks_is_unknown_and_an_over_ceiling_forecast_fails(sandbox):
    inputs = dict(
        INPUTS,
        queues=INPUTS["queues"]
        + [{"name": "tiny", "instance_types": ["c7i.large"], "max_count": 1, "capacity_type": "ONDEMAND"}],
    )
    unknown = run_playbook(PLAYBOOK, {"cluster_inputs": inputs, "cluster_ttl_hours": 24}).result("Forecast")
    assert not unknown.get("failed"), unknown.get("msg")
    assert unknown["forecast"]["unknown_prices"] == ["queue tiny (1 x c7i.large)"]
    assert unknown["forecast"]["ceiling_usd"] is None
    assert unknown["forecast"]["idle_usd"] == 18.87

    over = run_playbook(PLAYBOOK, {"cluster_inputs": INPUTS, "cluster_ttl_hours": 24, "cost_ceiling_usd": 30})
    result = over.result("Forecast")
    assert result["failed"] and result["forecast"]["status"] == "FAIL"
    assert "38.22 USD, over the 30" in result["msg"]
