#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: pcluster_cluster_info
short_description: Describe AWS ParallelCluster 3 clusters with the pcluster CLI
version_added: 0.1.0
description:
  - With O(name), describes that cluster (C(pcluster describe-cluster)) and its instances
    (C(pcluster describe-cluster-instances)); a cluster that does not exist gives an empty RV(clusters).
  - Without O(name), lists the clusters of the region (C(pcluster list-clusters)).
  - Answers are the CLI's JSON in snake_case. Loop on this module with C(until) to show a create's progress.
author:
  - Daylily ephemeral cluster maintainers (!UNKNOWN)
options:
  name:
    description: The cluster to describe.
    type: str
    aliases: [cluster_name]
  region:
    description: The AWS region, passed to C(pcluster --region). Defaults to E(AWS_REGION) or E(AWS_DEFAULT_REGION).
    type: str
extends_documentation_fragment:
  - daylily.ephemeral_cluster.pcluster
  - daylily.ephemeral_cluster.read_only
notes:
  - Needs the C(pcluster) CLI (PyPI C(aws-parallelcluster)); credentials and endpoints come from the environment.
"""

EXAMPLES = r"""
- name: Wait until the cluster is CREATE_COMPLETE, showing progress
  daylily.ephemeral_cluster.pcluster_cluster_info:
    name: day-giab-7
    region: us-west-2
  register: info
  until: info.clusters[0].cluster_status in ['CREATE_COMPLETE', 'CREATE_FAILED']
  retries: 60
  delay: 30

- name: List the clusters of the region
  daylily.ephemeral_cluster.pcluster_cluster_info:
    region: us-west-2
  register: all_clusters
"""

RETURN = r"""
settled:
  description:
    - With O(name), whether nothing is in progress (no such cluster, or a status that will not change by itself), so
      an C(until) loop can wait for a create or a delete and print RV(progress) at every retry.
  returned: when O(name) is given
  type: bool
  sample: false
progress:
  description: With O(name), one line for an operator watching a wait - the cluster's status and its stack's.
  returned: when O(name) is given
  type: str
  sample: cluster day-demo CREATE_IN_PROGRESS (stack CREATE_IN_PROGRESS)
clusters:
  description:
    - The clusters. With O(name), one entry with the describe-cluster fields (C(head_node), C(tags) as a dict,
      C(cluster_configuration), ...), C(instances) and C(headnode_connection) (the inventory variables that reach the
      headnode through the C(daylily.ephemeral_cluster.ssm) connection, empty without a headnode); without, list-clusters'
      summaries.
  returned: always
  type: list
  elements: dict
  sample:
    - cluster_name: day-giab-7
      cluster_status: CREATE_COMPLETE
      cloudformation_stack_status: CREATE_COMPLETE
      region: us-west-2
      version: 3.16.1
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.basic import env_fallback

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import pcluster


def main():
    module = AnsibleModule(
        argument_spec={
            "name": {"type": "str", "aliases": ["cluster_name"]},
            "pcluster_command": {"type": "str", "default": "pcluster"},
            "region": {"type": "str", "fallback": (env_fallback, ["AWS_REGION", "AWS_DEFAULT_REGION"])},
        },
        supports_check_mode=True,
    )
    cli = pcluster.PclusterCli(module.params["pcluster_command"], module.run_command, module.params["region"])
    name = module.params["name"]
    result = dict(changed=False)
    try:
        if name:
            described = cli.describe(name)
            result.update(settled=pcluster.settled(described), progress=pcluster.progress_line(name, described))
            clusters = []
            if described is not None:
                view = pcluster.cluster_view(described)
                view["instances"] = [pcluster.cluster_view(i) for i in cli.instances(name)]
                view["headnode_connection"] = pcluster.headnode_connection(view)
                clusters.append(view)
        else:
            clusters = [pcluster.cluster_view(summary) for summary in cli.list_clusters()]
    except pcluster.PclusterError as err:
        module.fail_json(msg=err.message, answer=err.answer)
    module.exit_json(clusters=clusters, **result)


if __name__ == "__main__":
    main()
