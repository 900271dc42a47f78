#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: cluster_cost_estimate
short_description: Forecast what a cluster config costs per hour and over its planned lifetime
version_added: 0.1.0
description:
  - From the cluster config inputs, forecasts the idle cost per hour (the headnode on demand, its gp3 root volume,
    the FSx for Lustre capacity and the headnode's public IPv4 address) and the ceiling per hour (idle plus every
    queue at its max count), and both over O(cluster_ttl_hours).
  - On-demand instance, gp3, FSx for Lustre and public IPv4 prices come from the AWS Price List API
    (C(pricing:GetProducts)); a spot queue costs the highest latest spot price over the region's availability zones
    (EC2 C(DescribeSpotPriceHistory)), for the most expensive of its instance types.
  - A price that cannot be found is reported in RV(forecast.unknown_prices) and every total that needs it is null
    (unknown), never 0.
  - With O(cost_ceiling_usd), a ceiling forecast over it fails the module (RV(forecast.status=FAIL)); an unknown
    forecast cannot be held to the ceiling and fails too (RV(forecast.status=WARN)).
author:
  - Daylily ephemeral cluster maintainers (!UNKNOWN)
options:
  cluster_inputs:
    description:
      - The cluster config inputs, as P(daylily.ephemeral_cluster.pcluster_cluster#module) takes them. It uses
        C(headnode_instance_type), C(headnode_root_volume_gib), C(fsx_storage_capacity), C(fsx_deployment_type),
        C(fsx_per_unit_storage_throughput) and C(queues); unset ones take the cluster config's defaults.
    type: dict
    default: {}
  cluster_ttl_hours:
    description: How many hours the cluster is planned to live.
    type: float
    required: true
  cost_ceiling_usd:
    description: Fail when the ceiling forecast over O(cluster_ttl_hours) exceeds this many USD, or is unknown.
    type: float
  pricing_region:
    description: The region of the Price List API endpoint (it answers in a few regions only).
    type: str
    default: us-east-1
notes:
  - Needs C(pricing:GetProducts) and C(ec2:DescribeSpotPriceHistory).
  - O(region) is the region the cluster runs in, whose prices are looked up.
extends_documentation_fragment:
  - daylily.ephemeral_cluster.aws
  - daylily.ephemeral_cluster.option_names
  - daylily.ephemeral_cluster.read_only
"""

EXAMPLES = r"""
- name: Forecast a day of the default cluster, failing above 500 USD
  daylily.ephemeral_cluster.cluster_cost_estimate:
    region: us-west-2
    cluster_inputs:
      headnode_instance_type: r7i.2xlarge
      fsx_storage_capacity: 1200
    cluster_ttl_hours: 24
    cost_ceiling_usd: 500
  register: cost

- name: Show the forecast
  ansible.builtin.debug:
    msg: "idle {{ cost.forecast.idle_usd_per_hour }} USD/h, at most {{ cost.forecast.ceiling_usd }} USD"
"""

RETURN = r"""
forecast:
  description: The forecast.
  returned: always
  type: dict
  contains:
    currency:
      description: Always V(USD).
      returned: always
      type: str
      sample: USD
    cluster_ttl_hours:
      description: O(cluster_ttl_hours).
      returned: always
      type: float
      sample: 24
    idle_usd_per_hour:
      description: Headnode, root volume, FSx and public IPv4 per hour; null when a price is unknown.
      returned: always
      type: float
      sample: 0.7695
    ceiling_usd_per_hour:
      description: Idle plus every queue at its max count, per hour; null when a price is unknown.
      returned: always
      type: float
      sample: 60.12
    idle_usd:
      description: RV(forecast.idle_usd_per_hour) times O(cluster_ttl_hours), rounded to cents; null when unknown.
      returned: always
      type: float
      sample: 18.47
    ceiling_usd:
      description: RV(forecast.ceiling_usd_per_hour) times O(cluster_ttl_hours), rounded to cents; null when unknown.
      returned: always
      type: float
      sample: 1442.88
    costs:
      description: Each thing that costs money.
      returned: always
      type: list
      elements: dict
      contains:
        name:
          description: What it is.
          returned: always
          type: str
          sample: headnode r7i.2xlarge
        kind:
          description: V(headnode), V(ebs), V(fsx), V(public_ipv4), V(spot) or V(ondemand).
          returned: always
          type: str
          sample: headnode
        count:
          description: Instances, GiB or addresses.
          returned: always
          type: int
          sample: 1
        unit_price_usd:
          description: USD per hour (instances, addresses) or per GB-month (storage); null when not found.
          returned: always
          type: float
          sample: 0.5292
        usd_per_hour:
          description: The item's cost per hour; null when its price is unknown.
          returned: always
          type: float
          sample: 0.5292
        idle:
          description: Whether it costs money while the cluster is idle.
          returned: always
          type: bool
          sample: true
    unknown_prices:
      description: The items whose price was not found.
      returned: always
      type: list
      elements: str
      sample: []
    cost_ceiling_usd:
      description: O(cost_ceiling_usd).
      returned: always
      type: float
      sample: 500
    status:
      description: V(PASS), V(WARN) (a ceiling is set but the forecast is unknown) or V(FAIL) (over the ceiling).
      returned: always
      type: str
      sample: PASS
    details:
      description: The status in words.
      returned: always
      type: str
      sample: At most 412.30 USD for 24 hours, within the 500 USD ceiling.
"""

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import preflight
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import DaylilyAWSModule
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import module_retry


def main():
    argument_spec = dict(
        cluster_inputs=dict(type="dict", default={}),
        cluster_ttl_hours=dict(type="float", required=True),
        cost_ceiling_usd=dict(type="float"),
        pricing_region=dict(type="str", default="us-east-1"),
        option_names=dict(type="dict", default={}),
    )
    module = DaylilyAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    if params["cluster_ttl_hours"] <= 0:
        module.fail_json(msg="%s must be a positive number of hours." % module.option_name("cluster_ttl_hours"))
    if params["cost_ceiling_usd"] is not None and params["cost_ceiling_usd"] < 0:
        module.fail_json(msg="%s must be zero or a positive number of USD." % module.option_name("cost_ceiling_usd"))
    retry = module_retry(module)
    clients = {
        "pricing": module.client("pricing", retry_decorator=retry, region=params["pricing_region"]),
        "ec2": module.client("ec2", retry_decorator=retry),
    }
    plan = preflight.cost_plan(params["cluster_inputs"])
    with module.reporting_failures():
        prices = preflight.look_up_prices(clients.__getitem__, module.region, plan)
    result = preflight.forecast(plan, prices, params["cluster_ttl_hours"], params["cost_ceiling_usd"])
    if result["status"] == preflight.FAIL:
        module.fail_json(
            msg="%s Raise %s, shorten %s or lower the queues' max_count."
            % (result["details"], module.option_name("cost_ceiling_usd"), module.option_name("cluster_ttl_hours")),
            changed=False,
            forecast=result,
        )
    if result["status"] == preflight.WARN:
        module.fail_json(
            msg="%s Check the instance types and the region, or unset %s."
            % (result["details"], module.option_name("cost_ceiling_usd")),
            changed=False,
            forecast=result,
        )
    module.exit_json(changed=False, forecast=result)


if __name__ == "__main__":
    main()
