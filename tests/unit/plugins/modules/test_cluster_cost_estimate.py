"""cluster_cost_estimate: a known config's forecast equals the hand-computed figure; a missing price is unknown
(null), never 0; the ceiling fails an over-budget or unknown forecast."""

import json

import pytest

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import preflight
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._preflight import cost
from ansible_collections.daylily.ephemeral_cluster.plugins.modules import cluster_cost_estimate
from testlib.modules import execute_module
from testlib.modules import stubbed_module_clients

REGION = "us-west-2"
INPUTS = {
    "headnode_instance_type": "r7i.2xlarge",
    "headnode_root_volume_gib": 200,
    "fsx_storage_capacity": 1200,
    "fsx_deployment_type": "SCRATCH_2",
    "queues": [
        {"name": "i8", "instance_types": ["m7i.2xlarge"], "max_count": 8},
        {"name": "od", "instance_types": ["r7i.4xlarge"], "max_count": 2, "capacity_type": "ONDEMAND"},
    ],
}
# By hand: idle = 0.5292 + 200 x 0.08 / 730 + 1200 x 0.14 / 730 + 0.005 = 0.7862548 USD/h;
# ceiling = idle + 8 x 0.17 (highest spot price) + 2 x 1.0584 = 4.2630548 USD/h; over 10 h: 7.86 and 42.63 USD.
IDLE_PER_HOUR = 0.5292 + 16 / 730 + 168 / 730 + 0.005
CEILING_PER_HOUR = IDLE_PER_HOUR + 8 * 0.17 + 2 * 1.0584


def product(usd):
    return json.dumps(
        {
            "product": {"attributes": {}},
            "terms": {"OnDemand": {"T": {"priceDimensions": {"T.D": {"unit": "Hrs", "pricePerUnit": {"USD": usd}}}}}},
        }
    )


def products_answer(*usd):
    return {"FormatVersion": "aws_v1", "PriceList": [product(value) for value in usd]}


def filters(**fields):
    return [{"Type": "TERM_MATCH", "Field": field, "Value": value} for field, value in fields.items()]


def stub_prices(stubs, r7i_4xlarge=("1.0584000000",)):
    pricing = stubs["pricing"]

    def expect(service_code, fields, *usd):
        pricing.add_response(
            "get_products",
            products_answer(*usd),
            {"ServiceCode": service_code, "FormatVersion": "aws_v1", "Filters": filters(**fields)},
        )

    expect("AmazonEC2", cost.gp3_filters(REGION), "0.0800000000")
    expect("AmazonFSx", cost.fsx_filters(REGION, "SCRATCH_2"), "0.1400000000")
    expect("AmazonVPC", cost.public_ipv4_filters(REGION), "0.0050000000")
    expect("AmazonEC2", cost.instance_filters(REGION, "r7i.2xlarge"), "0.5292000000")
    expect("AmazonEC2", cost.instance_filters(REGION, "r7i.4xlarge"), *r7i_4xlarge)
    stubs["ec2"].add_response(
        "describe_spot_price_history",
        {
            "SpotPriceHistory": [
                {
                    "AvailabilityZone": "us-west-2a",
                    "InstanceType": "m7i.2xlarge",
                    "SpotPrice": "0.150000",
                    "Timestamp": "2026-12-06T09:00:00Z",
                },
                {
                    "AvailabilityZone": "us-west-2b",
                    "InstanceType": "m7i.2xlarge",
                    "SpotPrice": "0.170000",
                    "Timestamp": "2026-12-06T09:00:00Z",
                },
                {
                    "AvailabilityZone": "us-west-2b",
                    "InstanceType": "m7i.2xlarge",
                    "SpotPrice": "0.900000",
                    "Timestamp": "2026-12-05T09:00:00Z",
                },  # older: not the latest price of the zone
            ]
        },
        {"InstanceTypes": ["m7i.2xlarge"], "ProductDescriptions": ["Linux/UNIX"], "MaxResults": 100},
    )


def run(monkeypatch, capsys, prices=None, **args):
    with stubbed_module_clients(monkeypatch, "pricing", "ec2") as stubs:
        stub_prices(stubs, **(prices or {}))
        return execute_module(
            capsys,
            cluster_cost_estimate.main,
            dict(dict(region=REGION, cluster_inputs=INPUTS, cluster_ttl_hours=10), **args),
        )


def test_forecast_of_a_known_config_equals_the_hand_computed_figure(monkeypatch, capsys):
    code, result = run(monkeypatch, capsys, cost_ceiling_usd=50)
    assert code == 0, result.get("msg")
    forecast = result["forecast"]
    assert forecast["idle_usd_per_hour"] == pytest.approx(IDLE_PER_HOUR, abs=1e-5)
    assert forecast["ceiling_usd_per_hour"] == pytest.approx(CEILING_PER_HOUR, abs=1e-5)
    assert (forecast["idle_usd"], forecast["ceiling_usd"]) == (7.86, 42.63)
    assert forecast["unknown_prices"] == [] and forecast["status"] == "PASS"
    spot = next(item for item in forecast["costs"] if item["kind"] == "spot")
    assert spot["unit_price_usd"] == 0.17 and not spot["idle"]
    assert result["changed"] is False


def test_a_forecast_over_the_ceiling_fails(monkeypatch, capsys):
    code, result = run(monkeypatch, capsys, cost_ceiling_usd=40)
    assert code == 1 and result["forecast"]["status"] == "FAIL"
    assert "42.63 USD, over the 40" in result["msg"] and "cost_ceiling_usd" in result["msg"]


def test_a_missing_price_is_unknown_never_zero(monkeypatch, capsys):
    code, result = run(monkeypatch, capsys, prices={"r7i_4xlarge": ()})
    assert code == 0
    forecast = result["forecast"]
    assert forecast["unknown_prices"] == ["queue od (2 x r7i.4xlarge)"]
    queue = next(item for item in forecast["costs"] if item["name"].startswith("queue od"))
    assert queue["unit_price_usd"] is None and queue["usd_per_hour"] is None
    assert forecast["ceiling_usd_per_hour"] is None and forecast["ceiling_usd"] is None
    assert forecast["idle_usd_per_hour"] == pytest.approx(IDLE_PER_HOUR, abs=1e-5)  # the idle part is still known


def test_an_unknown_forecast_cannot_pass_a_ceiling(monkeypatch, capsys):
    code, result = run(monkeypatch, capsys, prices={"r7i_4xlarge": ()}, cost_ceiling_usd=1000)
    assert code == 1 and result["forecast"]["status"] == "WARN"
    assert "queue od (2 x r7i.4xlarge)" in result["msg"]


def test_price_list_access_denied_names_the_action(monkeypatch, capsys):
    with stubbed_module_clients(monkeypatch, "pricing", "ec2") as stubs:
        stubs["pricing"].add_client_error("get_products", "AccessDeniedException", http_status_code=400)
        code, result = execute_module(
            capsys, cluster_cost_estimate.main, dict(region=REGION, cluster_inputs=INPUTS, cluster_ttl_hours=10)
        )
    assert code == 1 and "pricing:GetProducts" in result["msg"]


@pytest.mark.parametrize(
    "args, message",
    [
        ({"cluster_ttl_hours": 0}, "cluster_ttl_hours must be a positive"),
        ({"cluster_ttl_hours": 5, "cost_ceiling_usd": -1}, "cost_ceiling_usd must be zero or a positive"),
    ],
)
def test_bad_input_fails_before_any_aws_call(monkeypatch, capsys, args, message):
    with stubbed_module_clients(monkeypatch, "pricing", "ec2"):
        code, result = execute_module(capsys, cluster_cost_estimate.main, dict(region=REGION, **args))
    assert code == 1 and message in result["msg"]


def test_cost_plan_takes_the_cluster_config_defaults():
    plan = preflight.cost_plan({})
    assert plan["headnode_instance_type"] == "r7i.2xlarge" and plan["fsx_storage_capacity"] == 1200
    assert [queue["name"] for queue in plan["queues"]] == ["i8", "i128", "i192", "i192mem"]
