# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Preflight's Pricing calls. The Price List: products matching filters."""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import paginated_query_with_retries

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._preflight.errors import service_handler

PricingHandler = service_handler("Pricing")


@PricingHandler.common_error_handler("read the price list of {service_code}")
def price_list(client, service_code, filters):
    """The Price List products of ``service_code`` matching ``filters`` ({field: value}), as JSON strings."""
    params = dict(
        ServiceCode=service_code,
        FormatVersion="aws_v1",
        Filters=[{"Type": "TERM_MATCH", "Field": field, "Value": value} for field, value in filters.items()],
    )
    answer = paginated_query_with_retries(client, "get_products", client.retry, **params)
    return answer.get("PriceList") or []
