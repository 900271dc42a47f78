#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: ssm_instance_info
short_description: Describe SSM managed instances, such as a cluster's headnode
version_added: 0.1.0
description:
  - Lists the instances registered with AWS Systems Manager and their agent status, as returned by the SSM
    C(DescribeInstanceInformation) API, for example to wait until a headnode's RV(instances[].ping_status) is
    V(Online) before running commands on it through SSM Run Command.
  - Select instances by O(instance_ids), or by O(cluster_name), which finds the running head node of an AWS
    ParallelCluster cluster by its tags (EC2 C(DescribeInstances)) and returns it as RV(headnode_instance_id).
    With neither, every managed instance of the account in the region is listed. O(ping_status) narrows the list.
  - An instance that is not registered with SSM (its agent never connected) is simply absent from RV(instances).
  - Every request is retried on throttling and on transient AWS errors, with jittered exponential backoff.
  - This module only reads; it supports check mode and never reports a change.
author:
  - Daylily ephemeral cluster maintainers (!UNKNOWN)
options:
  instance_ids:
    description:
      - Only these instances, EC2 instance IDs (V(i-0123456789abcdef0)) or managed instance IDs (C(mi-...)).
      - Mutually exclusive with O(cluster_name).
    type: list
    elements: str
  cluster_name:
    description:
      - Only the head node of this AWS ParallelCluster cluster, the one running EC2 instance tagged
        C(parallelcluster:cluster-name=<cluster_name>) and C(parallelcluster:node-type=HeadNode).
      - The module fails, naming the instances it found, when no or several running instances carry the tags.
      - Mutually exclusive with O(instance_ids).
    type: str
  ping_status:
    description:
      - Only instances whose SSM agent status is one of these.
    type: list
    elements: str
    choices: [Online, ConnectionLost, Inactive]
notes:
  - Needs the IAM action C(ssm:DescribeInstanceInformation), and C(ec2:DescribeInstances) when O(cluster_name) is used.
  - To wait for an instance, loop on this module with C(until)/C(retries)/C(delay); see the examples.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - daylily.ephemeral_cluster.retries
"""

EXAMPLES = r"""
- name: Wait up to 10 minutes until the cluster's headnode is Online in SSM
  daylily.ephemeral_cluster.ssm_instance_info:
    cluster_name: day-demo
    region: us-west-2
  register: headnode
  until: headnode.instances | selectattr('ping_status', 'equalto', 'Online') | list | length == 1
  retries: 60
  delay: 10

- name: Show the headnode's instance id
  ansible.builtin.debug:
    msg: "{{ headnode.headnode_instance_id }}"

- name: Status of known instances
  daylily.ephemeral_cluster.ssm_instance_info:
    instance_ids: [i-0123456789abcdef0, i-0fedcba9876543210]
  register: ssm_status

- name: Every managed instance whose agent lost its connection
  daylily.ephemeral_cluster.ssm_instance_info:
    ping_status: [ConnectionLost]
  register: lost
"""

RETURN = r"""
headnode_instance_id:
  description: The head node's EC2 instance id, resolved from O(cluster_name).
  returned: when O(cluster_name) is given
  type: str
  sample: i-0123456789abcdef0
instances:
  description: The matching managed instances, in the order AWS returned them.
  returned: always
  type: list
  elements: dict
  contains:
    instance_id:
      description: The instance id.
      returned: always
      type: str
      sample: i-0123456789abcdef0
    ping_status:
      description:
        - The SSM agent's connection status, V(Online), V(ConnectionLost) or V(Inactive). Run Command reaches only V(Online) instances.
      returned: always
      type: str
      sample: Online
    last_ping_date_time:
      description: When the agent last reported to SSM (ISO 8601).
      returned: always
      type: str
      sample: "2026-01-31T12:00:00+00:00"
    platform_name:
      description: The operating system name.
      returned: always
      type: str
      sample: Ubuntu
    platform_type:
      description: V(Linux), V(Windows) or V(MacOS).
      returned: always
      type: str
      sample: Linux
    platform_version:
      description: The operating system version.
      returned: always
      type: str
      sample: "22.04"
    agent_version:
      description: The SSM agent version.
      returned: always
      type: str
      sample: 3.3.1142.0
    computer_name:
      description: The instance's host name.
      returned: always
      type: str
      sample: ip-10-0-1-23.us-west-2.compute.internal
    ip_address:
      description: The instance's IP address as the agent reports it.
      returned: always
      type: str
      sample: 10.0.1.23
    resource_type:
      description: V(EC2Instance) or V(ManagedInstance).
      returned: always
      type: str
      sample: EC2Instance
"""

import re

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import paginated_query_with_retries
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.fsx import CLUSTER_NAME_TAG
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import module_retry
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import DaylilyAWSModule

NODE_TYPE_TAG = "parallelcluster:node-type"
PING_STATUSES = ("Online", "ConnectionLost", "Inactive")
INSTANCE_ID_RE = re.compile(r"^(i-[0-9a-f]{8}|i-[0-9a-f]{17}|mi-[0-9a-f]{17})$")
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


class LookupFailure(Exception):
    """A precise, operator-facing reason why the head node could not be resolved."""

    def __init__(self, message, **details):
        super().__init__(message)
        self.details = details


def normalize_instance(info):
    """snake_case view of one InstanceInformation entry (dates as ISO 8601)."""
    item = {}
    for name, key in _FIELDS:
        value = info.get(key)
        item[name] = value.isoformat() if hasattr(value, "isoformat") else value
    return item


def describe_instance_information(client, retry, instance_ids=None, ping_status=None):
    """Every InstanceInformation entry matching the ids and ping statuses (DescribeInstanceInformation paginator)."""
    base = [{"Key": "PingStatus", "Values": list(ping_status)}] if ping_status else []
    if not instance_ids:
        batches = [base]
    else:
        ids = list(dict.fromkeys(instance_ids))
        batches = [base + [{"Key": "InstanceIds", "Values": ids[i:i + IDS_PER_REQUEST]}] for i in range(0, len(ids), IDS_PER_REQUEST)]
    found = []
    for filters in batches:
        params = {"Filters": filters} if filters else {}
        page = paginated_query_with_retries(client, "describe_instance_information", retry_decorator=retry, **params)
        found.extend(page.get("InstanceInformationList") or [])
    return found


def find_headnode(client, retry, cluster_name, region):
    """The instance id of the one running EC2 instance tagged as the cluster's head node; raises LookupFailure."""
    filters = [
        {"Name": f"tag:{CLUSTER_NAME_TAG}", "Values": [cluster_name]},
        {"Name": f"tag:{NODE_TYPE_TAG}", "Values": ["HeadNode"]},
        {"Name": "instance-state-name", "Values": ["running"]},
    ]
    answer = paginated_query_with_retries(client, "describe_instances", retry_decorator=retry, Filters=filters)
    instances = [instance for reservation in answer.get("Reservations") or [] for instance in reservation.get("Instances") or []]
    if len(instances) == 1:
        return instances[0]["InstanceId"]
    tags = f"{CLUSTER_NAME_TAG}={cluster_name} and {NODE_TYPE_TAG}=HeadNode"
    if not instances:
        raise LookupFailure(
            f"No running EC2 instance in {region} is tagged {tags} (DescribeInstances). Check cluster_name and region; "
            "`pcluster describe-cluster` shows whether the cluster exists and its head node is running "
            "(a cluster still in CREATE_IN_PROGRESS may not have one yet).",
            headnode_candidates=[],
        )
    candidates = [
        {"instance_id": instance["InstanceId"], "launch_time": _iso(instance.get("LaunchTime"))} for instance in instances
    ]
    listed = ", ".join(f"{item['instance_id']} (launched {item['launch_time']})" for item in candidates)
    raise LookupFailure(
        f"{len(instances)} running EC2 instances in {region} are tagged {tags} (DescribeInstances): {listed}. "
        "A cluster has one head node: stop or re-tag the stray instance, or pass instance_ids instead of cluster_name.",
        headnode_candidates=candidates,
    )


def _iso(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def _aws_hint(e, action):
    code = e.response.get("Error", {}).get("Code", "") if isinstance(e, botocore.exceptions.ClientError) else ""
    if code in ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation"):
        return f"The caller is not allowed to call {action}: add {action} to the IAM policy of the user or role running Ansible."
    if "Throttl" in code or code in ("RequestLimitExceeded", "TooManyRequestsException"):
        return f"AWS kept throttling {action} after every retry: re-run later, or raise retries and retry_delay."
    if isinstance(e, botocore.exceptions.NoCredentialsError):
        return "No AWS credentials were found: set profile, or access_key and secret_key, or the AWS_* environment variables."
    if isinstance(e, botocore.exceptions.EndpointConnectionError):
        return "The AWS endpoint could not be reached: check region, endpoint_url and the network or proxy."
    return "Check region, credentials and the message below."


def main():
    argument_spec = dict(
        instance_ids=dict(type="list", elements="str"),
        cluster_name=dict(type="str"),
        ping_status=dict(type="list", elements="str", choices=list(PING_STATUSES)),
    )
    module = DaylilyAWSModule(
        argument_spec=argument_spec,
        mutually_exclusive=[["instance_ids", "cluster_name"]],
        supports_check_mode=True,
    )
    params = module.params
    bad = [item for item in params.get("instance_ids") or [] if not INSTANCE_ID_RE.match(item)]
    if bad:
        module.fail_json(msg=f"instance_ids {bad} are not instance ids: use i-<8 or 17 hex digits> or mi-<17 hex digits>.")
    if params.get("cluster_name") is not None and not params["cluster_name"].strip():
        module.fail_json(msg="cluster_name must be a non-empty cluster name.")

    retry = module_retry(module)
    result = dict(changed=False)
    instance_ids = params.get("instance_ids")
    if params.get("cluster_name"):
        ec2 = module.client("ec2", retry_decorator=retry)
        try:
            instance_ids = [find_headnode(ec2, retry, params["cluster_name"], module.region)]
        except LookupFailure as e:
            module.fail_json(msg=str(e), **e.details)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            module.fail_json_aws(e, msg=f"Failed to find the head node of cluster {params['cluster_name']}. {_aws_hint(e, 'ec2:DescribeInstances')}")
        result["headnode_instance_id"] = instance_ids[0]

    ssm = module.client("ssm", retry_decorator=retry)
    try:
        found = describe_instance_information(ssm, retry, instance_ids=instance_ids, ping_status=params.get("ping_status"))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg=f"Failed to describe SSM managed instances. {_aws_hint(e, 'ssm:DescribeInstanceInformation')}")
    result["instances"] = [normalize_instance(info) for info in found]
    module.exit_json(**result)


if __name__ == "__main__":
    main()
