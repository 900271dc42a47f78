# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Preflight's ServiceQuotas calls. Service Quotas: one quota's value."""

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._preflight.errors import service_handler

QuotaHandler = service_handler("ServiceQuotas")


@QuotaHandler.common_error_handler("read the service quota {service_code}/{quota_code}")
def quota_value(client, service_code, quota_code):
    return client.get_service_quota(ServiceCode=service_code, QuotaCode=quota_code)["Quota"]["Value"]
