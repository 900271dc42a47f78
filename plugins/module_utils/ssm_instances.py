# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""SSM managed instances (``DescribeInstanceInformation``): the agent status of a cluster's headnode.

Each AWS call is one small function behind ``SSMErrorHandler``: a botocore error becomes ``AnsibleSSMError``, whose
message names the operation, the error code and what to do; modules pass it to ``module.fail_json_aws_error``.
``client`` is what ``module.client("ssm", retry_decorator=module_retry(module))`` returns: a whole paginated query is
retried with that policy (``client.retry``).
"""

import re

from ansible_collections.amazon.aws.plugins.module_utils.botocore import paginated_query_with_retries

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import DaylilyAWSError
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import DaylilyErrorHandler

PING_STATUSES = ("Online", "ConnectionLost", "Inactive")
# An EC2 instance id (i- and 8 or 17 hex digits) or a managed instance id (mi- and 17 hex digits).
_INSTANCE_ID = re.compile(r"^(i-[0-9a-f]{8}|i-[0-9a-f]{17}|mi-[0-9a-f]{17})$")
# DescribeInstanceInformation takes at most 100 values per filter; stay well below.
IDS_PER_REQUEST = 50

_FIELDS = (
    ("instance_id", "InstanceId"),
    ("ping_status", "PingStatus"),
    ("last_ping_date_time", "LastPingDateTime"),
    ("platform_name", "PlatformName"),
    ("platform_type", "PlatformType"),
    ("platform_version", "PlatformVersion"),
    ("agent_version", "AgentVersion"),
    ("computer_name", "ComputerName"),
    ("ip_address", "IPAddress"),
    ("resource_type", "ResourceType"),
)


class AnsibleSSMError(DaylilyAWSError):
    """An SSM failure (see ``DaylilyAWSError``): its message names the operation and code and ends with what to do."""

    SERVICE = "SSM"


class SSMErrorHandler(DaylilyErrorHandler):
    """amazon.aws's AWSErrorHandler raising AnsibleSSMError."""

    _CUSTOM_EXCEPTION = AnsibleSSMError


def is_instance_id(value):
    return isinstance(value, str) and bool(_INSTANCE_ID.match(value))


@SSMErrorHandler.common_error_handler("describe SSM managed instances")
def describe_instance_information(client, filters=None):
    """Every InstanceInformation entry matching ``filters`` (all pages)."""
    params = {"Filters": filters} if filters else {}
    answer = paginated_query_with_retries(client, "describe_instance_information", client.retry, **params)
    return answer.get("InstanceInformationList") or []


def instance_information(client, instance_ids=None, ping_status=None):
    """The entries of these instances (every managed instance when None) whose agent status is one of
    ``ping_status`` (any when None), in the order SSM returns them; at most IDS_PER_REQUEST ids per query."""
    base = [{"Key": "PingStatus", "Values": list(ping_status)}] if ping_status else []
    if not instance_ids:
        return describe_instance_information(client, base)
    ids = list(dict.fromkeys(instance_ids))
    found = []
    for start in range(0, len(ids), IDS_PER_REQUEST):
        found += describe_instance_information(
            client, base + [{"Key": "InstanceIds", "Values": ids[start : start + IDS_PER_REQUEST]}]
        )
    return found


def instances_progress(instances, wanted=None):
    """One line for an operator waiting for headnodes: each normalized instance's id and ping status."""
    if not instances:
        return "no managed instance %s in SSM yet" % ", ".join(wanted) if wanted else "no managed instance in SSM yet"
    return "; ".join("%s %s" % (item.get("instance_id"), item.get("ping_status")) for item in instances)


def normalize_instance(info):
    """snake_case view of one InstanceInformation entry (dates as ISO 8601)."""
    item = {}
    for name, key in _FIELDS:
        value = info.get(key)
        item[name] = value.isoformat() if hasattr(value, "isoformat") else value
    return item
