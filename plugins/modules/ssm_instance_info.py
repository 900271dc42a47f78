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
  - daylily.ephemeral_cluster.aws
  - daylily.ephemeral_cluster.read_only
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
progress:
  description:
    - One line for an operator watching a wait (the collection's C(progress) callback prints it at every retry) - each
      instance's id and SSM ping status.
  returned: always
  type: str
  sample: "i-0123456789abcdef0 ConnectionLost"
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

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import ec2_instances
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import ssm_instances
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import DaylilyAWSModule
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import module_retry


def main():
    argument_spec = dict(
        instance_ids=dict(type="list", elements="str"),
        cluster_name=dict(type="str"),
        ping_status=dict(type="list", elements="str", choices=list(ssm_instances.PING_STATUSES)),
    )
    module = DaylilyAWSModule(
        argument_spec=argument_spec,
        mutually_exclusive=[["instance_ids", "cluster_name"]],
        supports_check_mode=True,
    )
    params = module.params
    bad = [item for item in params.get("instance_ids") or [] if not ssm_instances.is_instance_id(item)]
    if bad:
        module.fail_json(
            msg=f"instance_ids {bad} are not instance ids: use i-<8 or 17 hex digits> or mi-<17 hex digits>."
        )
    if params.get("cluster_name") is not None and not params["cluster_name"].strip():
        module.fail_json(msg="cluster_name must be a non-empty cluster name.")

    retry = module_retry(module)
    result = dict(changed=False)
    instance_ids = params.get("instance_ids")
    with module.reporting_failures():
        if params.get("cluster_name"):
            ec2 = module.client("ec2", retry_decorator=retry)
            instance_ids = [ec2_instances.find_headnode(ec2, params["cluster_name"], module.region)]
            result["headnode_instance_id"] = instance_ids[0]
        ssm = module.client("ssm", retry_decorator=retry)
        found = ssm_instances.instance_information(ssm, instance_ids, params.get("ping_status"))
    result["instances"] = [ssm_instances.normalize_instance(info) for info in found]
    result["progress"] = ssm_instances.instances_progress(result["instances"], instance_ids)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
