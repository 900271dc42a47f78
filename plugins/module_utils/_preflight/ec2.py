# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Preflight's EC2 calls. EC2: instance types' vCPUs and the latest spot prices."""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import paginated_query_with_retries

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._preflight.errors import service_handler

EC2Handler = service_handler("EC2")


@EC2Handler.common_error_handler("describe instance types {instance_types}")
def vcpus_by_instance_type(client, instance_types):
    answer = paginated_query_with_retries(
        client, "describe_instance_types", client.retry, InstanceTypes=sorted(set(instance_types))
    )
    return {item["InstanceType"]: item["VCpuInfo"]["DefaultVCpus"] for item in answer.get("InstanceTypes") or []}


@EC2Handler.common_error_handler("read the spot price history of {instance_type}")
def latest_spot_prices(client, instance_type):
    """The latest Linux spot price per availability zone of ``instance_type`` (USD per hour)."""
    answer = client.describe_spot_price_history(
        InstanceTypes=[instance_type], ProductDescriptions=["Linux/UNIX"], MaxResults=100
    )
    latest = {}
    for item in answer.get("SpotPriceHistory") or []:
        zone = item.get("AvailabilityZone")
        if zone not in latest or str(item.get("Timestamp")) > str(latest[zone].get("Timestamp")):
            latest[zone] = item
    return [float(item["SpotPrice"]) for item in latest.values()]
