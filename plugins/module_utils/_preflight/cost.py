# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The cost forecast of a cluster config: what it costs per hour idle (headnode, its root volume, the FSx capacity,
the headnode's public IPv4 address) and at its ceiling (plus every queue at its max count), times the planned hours.

Prices come from the Price List API (on-demand instances, gp3, FSx for Lustre, public IPv4) and from EC2's spot
price history (spot queues, the highest latest price over the availability zones). A price that cannot be found is
None and makes every total that needs it None (unknown), never 0.
"""

import json

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._preflight import aws as _aws

HOURS_PER_MONTH = 730  # the Price List's GB-Mo prices are per 730 hours
PUBLIC_IPV4_ADDRESSES = 1  # the headnode's; compute nodes run in the private subnet
PASS, WARN, FAIL = "PASS", "WARN", "FAIL"


def on_demand_usd(price_item):
    """The USD price of the first on-demand price dimension of one Price List product (a JSON string); None when it
    has none."""
    product = json.loads(price_item) if isinstance(price_item, str) else price_item
    for term in (product.get("terms") or {}).get("OnDemand", {}).values():
        for dimension in (term.get("priceDimensions") or {}).values():
            usd = (dimension.get("pricePerUnit") or {}).get("USD")
            if usd is not None:
                return float(usd)
    return None


def _first_price(pricing, service_code, filters):
    for item in _aws.price_list(pricing, service_code, filters):
        price = on_demand_usd(item)
        if price is not None:
            return price
    return None


def instance_filters(region, instance_type):
    return {
        "instanceType": instance_type,
        "regionCode": region,
        "operatingSystem": "Linux",
        "tenancy": "Shared",
        "preInstalledSw": "NA",
        "capacitystatus": "Used",
    }


def gp3_filters(region):
    return {"productFamily": "Storage", "volumeApiName": "gp3", "regionCode": region}


def fsx_filters(region, deployment_type, throughput=None):
    filters = {
        "productFamily": "Storage",
        "fileSystemType": "Lustre",
        "regionCode": region,
        "deploymentOption": deployment_type.title(),
    }
    if deployment_type == "PERSISTENT_2":
        filters["throughputCapacity"] = str(throughput)
    return filters


def public_ipv4_filters(region):
    return {"productFamily": "VPC Public IPv4 Address", "group": "VPCPublicIPv4InUseAddress", "regionCode": region}


def look_up_prices(clients, region, plan):
    """The prices ``forecast`` needs for ``plan`` (see ``cost_plan``): ``{key: USD or None}``."""
    pricing, ec2 = clients("pricing"), clients("ec2")
    prices = {
        "gp3_gb_month": _first_price(pricing, "AmazonEC2", gp3_filters(region)),
        "fsx_gb_month": _first_price(
            pricing, "AmazonFSx", fsx_filters(region, plan["fsx_deployment_type"], plan["fsx_throughput"])
        ),
        "public_ipv4_hour": _first_price(pricing, "AmazonVPC", public_ipv4_filters(region)),
    }
    on_demand = {plan["headnode_instance_type"]}
    spot = set()
    for queue in plan["queues"]:
        (spot if queue["capacity_type"] == "SPOT" else on_demand).update(queue["instance_types"])
    for instance_type in sorted(on_demand):
        prices["ondemand:" + instance_type] = _first_price(
            pricing, "AmazonEC2", instance_filters(region, instance_type)
        )
    for instance_type in sorted(spot):
        zones = _aws.latest_spot_prices(ec2, instance_type)
        prices["spot:" + instance_type] = max(zones) if zones else None
    return prices


def cost_plan(inputs, defaults, default_queues):
    """What costs money in the cluster inputs, with the cluster config's defaults filled in."""

    def value(key):
        return defaults[key] if inputs.get(key) is None else inputs[key]

    return {
        "headnode_instance_type": value("headnode_instance_type"),
        "headnode_root_volume_gib": value("headnode_root_volume_gib"),
        "fsx_storage_capacity": value("fsx_storage_capacity"),
        "fsx_deployment_type": value("fsx_deployment_type"),
        "fsx_throughput": value("fsx_per_unit_storage_throughput"),
        "queues": [
            {
                "name": queue.get("name"),
                "instance_types": list(queue.get("instance_types") or []),
                "max_count": int(queue.get("max_count") or 0),
                "capacity_type": queue.get("capacity_type", "SPOT"),
            }
            for queue in (inputs.get("queues") or default_queues)
            if isinstance(queue, dict)
        ],
    }


def _item(name, kind, count, unit_price, per, idle):
    hourly = None if unit_price is None else round(count * unit_price / per, 6)
    return {
        "name": name,
        "kind": kind,
        "count": count,
        "unit_price_usd": unit_price,
        "usd_per_hour": hourly,
        "idle": idle,
    }


def _total(items):
    values = [item["usd_per_hour"] for item in items]
    return None if any(value is None for value in values) else round(sum(values), 6)


def forecast(plan, prices, ttl_hours, cost_ceiling_usd=None):
    """The forecast: per-item hourly costs, idle and ceiling per hour and over ``ttl_hours``, the unknown prices,
    and a status (FAIL over ``cost_ceiling_usd``, WARN when a ceiling is set but the forecast is unknown)."""
    headnode = plan["headnode_instance_type"]
    items = [
        _item("headnode %s" % headnode, "headnode", 1, prices.get("ondemand:" + headnode), 1, True),
        _item(
            "headnode root volume (gp3)",
            "ebs",
            plan["headnode_root_volume_gib"],
            prices.get("gp3_gb_month"),
            HOURS_PER_MONTH,
            True,
        ),
        _item(
            "FSx for Lustre %s" % plan["fsx_deployment_type"],
            "fsx",
            plan["fsx_storage_capacity"],
            prices.get("fsx_gb_month"),
            HOURS_PER_MONTH,
            True,
        ),
        _item("public IPv4 address", "public_ipv4", PUBLIC_IPV4_ADDRESSES, prices.get("public_ipv4_hour"), 1, True),
    ]
    for queue in plan["queues"]:
        kind = "spot" if queue["capacity_type"] == "SPOT" else "ondemand"
        found = [prices.get("%s:%s" % (kind, t)) for t in queue["instance_types"]]
        unit = None if not found or None in found else max(found)
        items.append(
            _item(
                "queue %s (%s x %s)" % (queue["name"], queue["max_count"], "/".join(queue["instance_types"])),
                kind,
                queue["max_count"],
                unit,
                1,
                False,
            )
        )
    idle = _total([item for item in items if item["idle"]])
    ceiling = _total(items)
    result = {
        "currency": "USD",
        "cluster_ttl_hours": ttl_hours,
        "idle_usd_per_hour": idle,
        "ceiling_usd_per_hour": ceiling,
        "idle_usd": None if idle is None else round(idle * ttl_hours, 2),
        "ceiling_usd": None if ceiling is None else round(ceiling * ttl_hours, 2),
        "costs": items,
        "unknown_prices": [item["name"] for item in items if item["unit_price_usd"] is None],
        "cost_ceiling_usd": cost_ceiling_usd,
    }
    result["status"], result["details"] = _status(result)
    return result


def _status(result):
    limit = result["cost_ceiling_usd"]
    if limit is None:
        return PASS, "No cost ceiling set."
    if result["ceiling_usd"] is None:
        return WARN, "The forecast is unknown (no price for %s), so it cannot be held to the %s USD ceiling." % (
            ", ".join(result["unknown_prices"]),
            limit,
        )
    if result["ceiling_usd"] > limit:
        return (
            FAIL,
            "At every queue's max count for %g hours the cluster may cost %.2f USD, over the %s USD ceiling."
            % (result["cluster_ttl_hours"], result["ceiling_usd"], limit),
        )
    return PASS, "At most %.2f USD for %g hours, within the %s USD ceiling." % (
        result["ceiling_usd"],
        result["cluster_ttl_hours"],
        limit,
    )
