# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The pcluster inventory plugin: each ParallelCluster cluster's head node, reached with the collection's ssm
connection, with the cluster's status and time-to-live."""

from __future__ import annotations

DOCUMENTATION = r"""
name: pcluster
short_description: ParallelCluster head nodes as hosts, one group per cluster, with their time-to-live
version_added: 0.1.0
author:
  - Daylily ephemeral cluster maintainers (!UNKNOWN)
description:
  - Finds the head node of every AWS ParallelCluster cluster in the O(regions) by the tags ParallelCluster puts on its
    instances (C(parallelcluster:node-type=HeadNode), C(parallelcluster:cluster-name)), with one EC2
    C(DescribeInstances) per region. Neither the C(pcluster) CLI nor Node.js is needed.
  - Each head node is a host named after its cluster, in the group C(daylily_cluster_<cluster name>) (C(-) as
    C(_)). When more than one live head node carries a cluster name (a stray instance, or the same name in two
    regions), each is named C(<cluster name>_<instance id>) instead, and a warning says so.
  - "Every host gets the connection variables of the collection's C(daylily.ephemeral_cluster.ssm) connection
    (SSM Run Command, no SSH): C(ansible_connection), C(ansible_ssm_instance_id), C(ansible_ssm_region), and
    C(ansible_ssm_bucket_name), C(ansible_ssm_bucket_prefix), C(ansible_ssm_profile) and C(ansible_ssm_endpoint_url)
    when O(ssm_bucket_name), O(ssm_bucket_prefix), O(profile) (in the source file, not from E(AWS_PROFILE), which the
    connection reads itself) and O(endpoint_url) are set. Credentials are never
    written into host variables: the connection takes them from the job's environment, as the modules do."
  - "Cluster variables: C(daylily_cluster_name), C(daylily_cluster_status) (the CloudFormation stack status of the
    cluster, as C(pcluster describe-cluster) reports it in C(cloudFormationStackStatus); null when the cluster has
    no stack), C(daylily_region), C(daylily_headnode_instance_id), C(daylily_headnode_state) (C(pending),
    C(running), C(stopping) or C(stopped); terminated head nodes are not listed), C(daylily_headnode_instance_type),
    C(daylily_headnode_launch_time), C(daylily_headnode_private_ip_address), C(daylily_file_system_ids) (the FSx
    file systems tagged with the cluster name, oldest first; null with O(file_systems=false)),
    C(daylily_file_system_id) (that id when there is exactly one, else null) and C(daylily_cluster_tags) (the head
    node's tags overridden by the stack's)."
  - "Time-to-live: C(create.yml) tags a cluster with C(daylily:expires-at) (UTC, C(YYYY-MM-DDTHH:MM:SSZ)) and
    C(daylily:ttl-hours). At every parse, also from the cache, the plugin compares the expiry with the current UTC
    time and sets C(daylily_expires_at), C(daylily_ttl_hours), C(daylily_ttl_seconds_left) (negative once expired),
    C(daylily_expired), C(daylily_ttl_status) (V(none) without the tag: never expires; V(live); V(expired) from the
    instant the tag names; V(invalid) for a value in another format, which never expires and is warned about) and
    C(daylily_ttl_message) (the same in words)."
  - Groups of their own besides the cluster's, C(daylily_expired) (every expired cluster's head node, what
    C(playbooks/reap.yml) deletes through the gate) and C(daylily_ttl_invalid).
  - The inventory source is a YAML file whose name ends in C(pcluster.yml) or C(pcluster.yaml).
  - "IAM: C(ec2:DescribeInstances), C(cloudformation:DescribeStacks), C(fsx:DescribeFileSystems) (unless
    O(file_systems=false)) and C(ec2:DescribeRegions) when O(regions) is empty."
notes:
  - "As an AWX / Automation Controller dynamic inventory source: add the source file from the project (for example
    C(inventories/clusters/pcluster.yml)) with an Amazon Web Services credential attached; the credential reaches
    the plugin as environment variables (C(AWS_ACCESS_KEY_ID), C(AWS_SECRET_ACCESS_KEY), C(AWS_SESSION_TOKEN)).
    Attach the same credential to the job templates that use the inventory: the ssm connection reads it from the
    job's environment. Turn on I(update on launch) for C(playbooks/reap.yml) so expiry is judged on fresh data."
  - With O(assume_role_arn) only the plugin's own AWS calls use the assumed role; the connection uses the job's
    credentials.
  - What the cache keeps is what AWS answered, not the decisions; expiry is decided again at every parse.
  - Set other connection variables (C(ansible_ssm_run_as), C(ansible_python_interpreter), ...) with O(compose) or
    in C(group_vars) next to the source file.
extends_documentation_fragment:
  - inventory_cache
  - constructed
  - amazon.aws.boto3
  - amazon.aws.common.plugins
  - amazon.aws.region.plugins
  - amazon.aws.assume_role.plugins
options:
  plugin:
    description: The name of this plugin; it makes the file an inventory source of this plugin.
    type: str
    required: true
    choices: [daylily.ephemeral_cluster.pcluster]
  regions:
    description:
      - The regions to look for clusters in.
      - When empty (the default), every region C(DescribeRegions) lists, one C(DescribeInstances) each.
    type: list
    elements: str
    default: []
  cluster_names:
    description:
      - Only these clusters (matched on the head node's C(parallelcluster:cluster-name) tag, in the EC2 query).
      - When empty (the default), every cluster.
    type: list
    elements: str
    default: []
  file_systems:
    description:
      - Look up each cluster's FSx file systems (one C(DescribeFileSystems) per region) for C(daylily_file_system_id).
    type: bool
    default: true
  strict_permissions:
    description:
      - When false, a region where C(DescribeInstances) is refused (C(UnauthorizedOperation), C(AccessDenied)) is
        skipped with a warning, and a refused C(DescribeStacks) or C(DescribeFileSystems) leaves the cluster status or
        file system ids null with a warning. When true (the default) the inventory fails.
    type: bool
    default: true
  ssm_bucket_name:
    description:
      - The S3 bucket the ssm connection uses for large transfers, set as C(ansible_ssm_bucket_name) on every host.
    type: str
  ssm_bucket_prefix:
    description:
      - The key prefix in O(ssm_bucket_name), set as C(ansible_ssm_bucket_prefix) on every host.
    type: str
"""

EXAMPLES = r"""
# inventories/clusters/pcluster.yml: every cluster's head node in us-west-2, reached through SSM Run Command
plugin: daylily.ephemeral_cluster.pcluster
regions:
  - us-west-2
# recommended: a bucket for the ssm connection's large transfers
ssm_bucket_name: my-ssm-transfer-bucket
compose:
  # ParallelCluster's Ubuntu head node: naming the interpreter saves the discovery round trip
  ansible_python_interpreter: "'/usr/bin/python3'"
keyed_groups:
  # daylily_ttl_live, daylily_ttl_expired, daylily_ttl_none, daylily_ttl_invalid
  - key: daylily_ttl_status
    prefix: daylily_ttl
  # one group per project tag: project_<value>
  - key: daylily_cluster_tags['parallelcluster:project'] | default('none')
    prefix: project

# ansible-inventory -i inventories/clusters/pcluster.yml --graph
# ansible-playbook -i inventories/clusters/pcluster.yml playbooks/headnode.yml \
#   -e cluster_name=day-giab-7 -e target_headnode=day-giab-7

---
# Two clusters only, cached for five minutes between runs
plugin: daylily.ephemeral_cluster.pcluster
regions: [us-west-2, us-east-1]
cluster_names: [day-giab-7, day-giab-8]
file_systems: false
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: ~/.cache/daylily-pcluster-inventory
cache_timeout: 300
groups:
  # expiring within the next two hours
  expiring_soon: daylily_ttl_seconds_left is not none and 0 < daylily_ttl_seconds_left < 7200
"""

try:
    import botocore.exceptions
except ImportError:
    pass  # AWSInventoryBase.require_aws_sdk reports it

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.plugin_utils.inventory import AWSInventoryBase

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import cloudformation
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import cluster_ttl
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import ec2_instances
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import fsx
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import aws_retry
from ansible_collections.daylily.ephemeral_cluster.plugins.plugin_utils import pcluster_inventory

REFUSED = ("UnauthorizedOperation", "AccessDenied", "AccessDeniedException")


def _refused(error):
    return getattr(error, "code", None) in REFUSED


class InventoryModule(AWSInventoryBase):
    NAME = "daylily.ephemeral_cluster.pcluster"
    INVENTORY_FILE_SUFFIXES = ("pcluster.yml", "pcluster.yaml")

    def _aws_client(self, service, region):
        return self.client(service, region=region, retry_decorator=aws_retry())

    def _query_region(self, region, cluster_names):
        """The records of one region's head nodes; [] when the region is refused and permissions are not strict."""
        strict = self.get_option("strict_permissions")
        try:
            instances = ec2_instances.describe_headnodes(self._aws_client("ec2", region), cluster_names)
        except AnsibleAWSError as err:
            if strict or not _refused(err):
                raise
            self.warn(f"Skipping region {region}: {err}")
            return []
        names = pcluster_inventory.headnode_cluster_names(instances)
        stacks = {}
        stack_client = self._aws_client("cloudformation", region) if names else None
        for name in names:
            try:
                stacks[name] = cloudformation.describe_cluster_stack(stack_client, name)
            except AnsibleAWSError as err:
                if strict or not _refused(err):
                    raise
                self.warn(f"The status and tags of cluster {name} in {region} are unknown: {err}")
        file_systems = None
        if names and self.get_option("file_systems"):
            try:
                client = self._aws_client("fsx", region)
                file_systems = fsx.describe_file_systems(client, retry_decorator=client.retry)
            except AnsibleAWSError as err:
                if strict or not _refused(err):
                    raise
                self.warn(f"The FSx file systems of the clusters in {region} are unknown: {err}")
        return pcluster_inventory.cluster_records(region, instances, stacks, file_systems)

    def _query(self, cluster_names):
        records = []
        for region in self._boto3_regions(service="ec2"):
            records += self._query_region(region, cluster_names)
        return records

    def _connection_options(self):
        profile, origin = self.get_option_and_origin("profile")
        return {
            "ansible_ssm_bucket_name": self.get_option("ssm_bucket_name"),
            "ansible_ssm_bucket_prefix": self.get_option("ssm_bucket_prefix"),
            # a profile from AWS_PROFILE reaches the connection the same way; as a host variable it would outlive the
            # environment of the inventory sync (AWX keeps host variables)
            "ansible_ssm_profile": None if str(origin).startswith("env:") else profile,
            "ansible_ssm_endpoint_url": self.get_option("endpoint_url"),
        }

    def _populate(self, records, now):
        names = pcluster_inventory.host_names(records)
        duplicated = sorted({r["cluster_name"] for r in records if names[r["instance_id"]] != r["cluster_name"]})
        for name in duplicated:
            found = ", ".join(f"{r['instance_id']} ({r['region']})" for r in records if r["cluster_name"] == name)
            self.warn(
                f"More than one live head node is tagged {pcluster_inventory.CLUSTER_NAME_TAG}={name}: {found}; "
                f"they are named {name}_<instance id>. A cluster has one head node per region: stop or re-tag "
                "the stray instance."
            )
        strict = self.get_option("strict")
        connection = self._connection_options()
        for record in records:
            host = names[record["instance_id"]]
            variables = pcluster_inventory.host_variables(record, now, connection)
            if variables["daylily_ttl_status"] == cluster_ttl.INVALID:
                self.warn(f"Cluster {record['cluster_name']} ({record['region']}): {variables['daylily_ttl_message']}")
            for group in pcluster_inventory.group_names(variables):
                self.inventory.add_group(group)
                self.inventory.add_host(host, group=group)
            for key, value in variables.items():
                self.inventory.set_variable(host, key, value)
            self._set_composite_vars(self.get_option("compose"), variables, host, strict=strict)
            self._add_host_to_composed_groups(self.get_option("groups"), variables, host, strict=strict)
            self._add_host_to_keyed_groups(self.get_option("keyed_groups"), variables, host, strict=strict)

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache=cache)
        cached, records = self.get_cached_result(path, cache)
        if not cached:
            try:
                records = self._query(self.get_option("cluster_names"))
            except AnsibleAWSError as err:
                self.fail_aws(str(err))
            except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as err:
                self.fail_aws("Failed to list the ParallelCluster head nodes", exception=err)
        self._populate(records, cluster_ttl.utc_now())
        self.update_cached_result(path, cache, records)
