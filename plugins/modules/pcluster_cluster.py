#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: pcluster_cluster
short_description: Create or delete an AWS ParallelCluster 3 cluster with the pcluster CLI
version_added: 0.1.0
description:
  - Creates a ParallelCluster cluster from the collection's cluster config template (O(cluster_config)) or from a
    config file (O(config_path)), and deletes it, by running the C(pcluster) command line (O(pcluster_command)) and
    reading its JSON answers.
  - Before anything runs, the config is checked. With O(cluster_config), every input problem is reported at once
    (cluster name of 5 to 25 characters C(^[A-Za-z][A-Za-z0-9-]*$), FSx for Lustre size 1200, 2400 or a multiple of
    2400 GiB, the allowed headnode instance types, queues, buckets, tags). Either way, a config whose FSx for Lustre
    file system at C(/fsx) does not have exactly one startup data repository association, C(/references/) with batch
    import and auto-import of NEW, CHANGED and DELETED objects, is refused.
  - O(state=present) runs C(pcluster create-cluster --dryrun true) first and requires its success message
    (C(Request would have succeeded, but DryRun flag is set.)); then it creates the cluster and, with O(wait), waits
    for C(CREATE_COMPLETE), failing as soon as the cluster shows C(CREATE_FAILED) or a C(ROLLBACK_*) stack status,
    with ParallelCluster's failure reasons.
  - O(state=present) on an existing cluster changes nothing; when the running config differs from the desired one,
    the differences are reported in RV(config_drift) and, with C(--diff), as the diff. ParallelCluster updates are not
    made by this module.
  - With O(ttl_hours), the cluster is tagged with its expiry (config C(Tags), which ParallelCluster puts on the stack
    and the instances), C(daylily:expires-at) (UTC, C(YYYY-MM-DDTHH:MM:SSZ)) and C(daylily:ttl-hours). The expiry is
    set when the cluster is created; on an existing cluster it is read from its tags, so a second run neither moves it
    nor reports drift.
  - O(state=absent) deletes the cluster and, with O(wait), waits until it is gone. Whether the FSx for Lustre file
    system goes with it follows its C(DeletionPolicy). This module does not check exports; the teardown gate does.
  - In check mode only the dry run runs (it changes nothing in AWS); deletion in check mode only reports.
author:
  - Daylily ephemeral cluster maintainers (!UNKNOWN)
options:
  name:
    description: The cluster name (the CloudFormation stack name); 5 to 25 characters, a letter first.
    type: str
    required: true
    aliases: [cluster_name]
  state:
    description: Whether the cluster should exist.
    type: str
    choices: [present, absent]
    default: present
  cluster_config:
    description:
      - The inputs of the collection's template C(catalog/pcluster/cluster_config.yaml.j2) (keys C(region),
        C(headnode_subnet_id), C(compute_subnet_ids), C(reference_s3_uri), C(headnode_instance_type),
        C(fsx_storage_capacity), C(fsx_deployment_type), C(fsx_deletion_policy), C(queues), C(bootstrap), C(tags),
        ...; see C(plugins/module_utils/_pcluster/config.py)). C(cluster_name) defaults to O(name), C(region) to
        O(region).
      - Mutually exclusive with O(config_path); one of them is required with O(state=present).
    type: dict
  template_path:
    description: Another Jinja2 template for O(cluster_config) than the collection's.
    type: path
  config_path:
    description: A ParallelCluster 3 config file to create the cluster from, as it is.
    type: path
  ttl_hours:
    description:
      - How many hours the cluster may live; tags it with its expiry (see the description). Only with
        O(cluster_config). Without it the cluster has no expiry.
    type: float
  region:
    description:
      - The AWS region, passed to C(pcluster --region). Defaults to E(AWS_REGION) or E(AWS_DEFAULT_REGION), else the
        config's C(Region).
    type: str
  suppress_validators:
    description: ParallelCluster validators to suppress (C(type:<ValidatorName>)), for the dry run and the create.
    type: list
    elements: str
    default: []
  wait:
    description: Wait for C(CREATE_COMPLETE) after a create, and until the cluster is gone after a delete.
    type: bool
    default: true
  wait_timeout:
    description: How long to wait, in seconds.
    type: int
    default: 3600
  poll_interval:
    description: Seconds between two C(pcluster describe-cluster) calls while waiting.
    type: int
    default: 30
extends_documentation_fragment:
  - daylily.ephemeral_cluster.option_names
  - daylily.ephemeral_cluster.pcluster
notes:
  - Needs the C(pcluster) CLI (PyPI C(aws-parallelcluster)) and, for the dry run and the create, Node.js.
  - Credentials and endpoints reach C(pcluster) through the environment (E(AWS_PROFILE), E(AWS_ENDPOINT_URL), ...).
"""

EXAMPLES = r"""
- name: Create the cluster, or report how it drifted from the desired config
  daylily.ephemeral_cluster.pcluster_cluster:
    name: day-giab-7
    region: us-west-2
    cluster_config:
      headnode_subnet_id: subnet-0123456789abcdef0
      compute_subnet_ids: [subnet-0123456789abcdef1]
      reference_s3_uri: s3://my-omics-references/
      fsx_storage_capacity: 4800
      fsx_deletion_policy: Delete
      s3_writable_buckets: [my-omics-analysis]
      tags:
        aws-parallelcluster-username: johnm
  register: cluster

- name: Delete it (after the teardown gate passed)
  daylily.ephemeral_cluster.pcluster_cluster:
    name: day-giab-7
    region: us-west-2
    state: absent
"""

RETURN = r"""
cluster:
  description: C(pcluster describe-cluster)'s answer in snake_case (tags as a dict); empty when the cluster is absent.
  returned: always
  type: dict
  sample:
    cluster_name: day-giab-7
    cluster_status: CREATE_COMPLETE
    cloud_formation_stack_status: CREATE_COMPLETE
    head_node: {instance_id: i-0123456789abcdef0, state: running}
    tags: {aws-parallelcluster-clustername: day-giab-7}
dry_run:
  description: The dry run's answer (its C(message) and C(validationMessages)), when one ran.
  returned: when a create was planned
  type: dict
config:
  description: The desired ParallelCluster config, parsed.
  returned: with O(state=present)
  type: dict
config_drift:
  description: Where the running cluster's config differs from the desired one (paths like C(HeadNode.InstanceType)).
  returned: with O(state=present) on an existing cluster
  type: list
  elements: str
expires_at:
  description: When the cluster expires (its C(daylily:expires-at) tag, UTC); null without O(ttl_hours).
  returned: with O(state=present)
  type: str
  sample: "2026-12-07T12:00:00Z"
budget_name:
  description: The name of the cluster's AWS budget (M(daylily.ephemeral_cluster.aws_budget)), C(daylily-<name>).
  returned: with O(state=present)
  type: str
  sample: daylily-day-giab-7
cost_allocation_tag:
  description: The cost-allocation tag every resource of the cluster carries (C(key), C(value)), for its budget.
  returned: with O(state=present)
  type: dict
  sample: {key: aws-parallelcluster-clustername, value: day-giab-7}
headnode_connection:
  description:
    - The inventory variables that reach the headnode through the C(daylily.ephemeral_cluster.ssm) connection
      (C(ansible_connection), C(ansible_ssm_instance_id), C(ansible_ssm_region)), for C(ansible.builtin.add_host);
      empty while there is no headnode (in check mode before the cluster exists).
  returned: always
  type: dict
  sample:
    ansible_connection: daylily.ephemeral_cluster.ssm
    ansible_ssm_instance_id: i-0123456789abcdef0
    ansible_ssm_region: us-west-2
"""

import os
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.basic import env_fallback
from ansible.module_utils.urls import open_url

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import pcluster


def desired_config(module, existing_tags):
    """(config text, parsed config), every problem checked before pcluster runs. ``existing_tags`` are the tags of
    the cluster when it exists (its expiry is kept)."""
    params = module.params
    if params["config_path"]:
        try:
            with open(params["config_path"], encoding="utf-8") as handle:
                text = handle.read()
        except OSError as err:
            module.fail_json(msg="Cannot read config_path %s: %s" % (params["config_path"], err))
        config = pcluster.parse_config_text(text, params["config_path"])
        problems = pcluster.startup_association_problems(config)
        if problems:
            raise pcluster.ClusterConfigError(
                "The cluster config %s breaks the startup data repository association rule: %s"
                % (params["config_path"], "; ".join(map(str, problems))),
                problems,
            )
        return text, config
    inputs = dict(params["cluster_config"])
    if inputs.setdefault("cluster_name", params["name"]) != params["name"]:
        module.fail_json(
            msg="cluster_config.cluster_name %r is not the cluster name %r; leave it out or make them equal."
            % (inputs["cluster_name"], params["name"])
        )
    if params["region"]:
        inputs.setdefault("region", params["region"])
    if params["ttl_hours"] is not None:
        inputs["tags"] = dict(inputs.get("tags") or {}, **pcluster.expiry_tags(params["ttl_hours"], existing_tags))
    return pcluster.render_cluster_config(inputs, params["template_path"])


def running_config(module, described):
    url = (described.get("clusterConfiguration") or {}).get("url")
    if not url:
        return None
    try:
        return pcluster.parse_config_text(open_url(url, timeout=60).read().decode("utf-8"), "the running config")
    except Exception as err:  # pylint: disable=broad-except  # the drift report is best effort, the state is not
        module.warn("Cannot read the running cluster config to compare it: %s" % err)
        return None


def option_name(module, option):
    """How a message names ``option``: the variable the operator sets when a role drives the module."""
    return module.params["option_names"].get(option) or option


def wait_or_fail(module, cli, what, finished):
    params = module.params
    try:
        answer = pcluster.wait_for(
            lambda: cli.describe(params["name"]), finished, params["wait_timeout"], params["poll_interval"]
        )
    except pcluster.WaitTimeout as err:
        module.fail_json(
            msg="Cluster %s %s: %s. Raise %s, or check the cluster in CloudFormation."
            % (params["name"], what, err.message, option_name(module, "wait_timeout")),
            cluster=pcluster.cluster_view(err.last),
        )
    if answer is not None and pcluster.failed(answer):
        module.fail_json(
            msg="Cluster %s %s failed: %s" % (params["name"], what, "; ".join(pcluster.failure_reasons(answer))),
            cluster=pcluster.cluster_view(answer),
        )
    return answer


def created(described):
    return described is not None and described.get("clusterStatus") == pcluster.CREATE_COMPLETE


def planned(module, config, view):
    """What a present cluster returns besides its state: its expiry, cost-allocation tag and headnode connection."""
    tags = {tag.get("Key"): tag.get("Value") for tag in config.get("Tags") or [] if isinstance(tag, dict)}
    return {
        "expires_at": tags.get(pcluster.EXPIRES_AT_TAG),
        "cost_allocation_tag": pcluster.cost_allocation_tag(module.params["name"]),
        "budget_name": pcluster.budget_name(module.params["name"]),
        "headnode_connection": pcluster.headnode_connection(view),
    }


def ensure_present(module, cli, check_mode):
    params = module.params
    text, config = desired_config(module, None)  # every input problem, before pcluster runs
    described = cli.describe(params["name"])
    if described is not None and params["ttl_hours"] is not None:  # the expiry it was created with
        text, config = desired_config(module, pcluster.cluster_view(described).get("tags"))
    if described is not None:
        if pcluster.failed(described):
            module.fail_json(
                msg="Cluster %s exists but failed: %s. Delete it (state=absent) and create it again."
                % (params["name"], "; ".join(pcluster.failure_reasons(described))),
                cluster=pcluster.cluster_view(described),
            )
        if params["wait"] and not check_mode and described.get("clusterStatus") != pcluster.CREATE_COMPLETE:
            described = wait_or_fail(module, cli, "create", created)
        running = running_config(module, described)
        drift = pcluster.config_drift(running, config) if running is not None else []
        view = pcluster.cluster_view(described)
        result = dict(planned(module, config, view), changed=False, cluster=view, config=config, config_drift=drift)
        if drift:
            result["diff"] = {"before": running, "after": config}
        return result

    with tempfile.NamedTemporaryFile("w", suffix=".yaml", prefix="%s-" % params["name"], delete=False) as handle:
        handle.write(text)
    try:
        dry_run = cli.dry_run(params["name"], handle.name, params["suppress_validators"])
        if dry_run.get("message") != pcluster.DRY_RUN_SUCCESS:
            module.fail_json(
                msg="The pcluster dry run of %s did not pass: %s" % (params["name"], dry_run.get("message")),
                dry_run=dry_run,
                config=config,
            )
        result = dict(
            planned(module, config, {}),
            changed=True,
            dry_run=dry_run,
            config=config,
            cluster={},
            diff={"before": {}, "after": config},
        )
        if check_mode:
            return result
        cli.create(params["name"], handle.name, params["suppress_validators"])
    finally:
        os.unlink(handle.name)
    if params["wait"]:
        described = wait_or_fail(module, cli, "create", created)
    else:
        described = cli.describe(params["name"])
    result["cluster"] = pcluster.cluster_view(described)
    result["headnode_connection"] = pcluster.headnode_connection(result["cluster"])
    return result


def ensure_absent(module, cli, check_mode):
    params = module.params
    described = cli.describe(params["name"])
    if described is None:
        return {"changed": False, "cluster": {}, "headnode_connection": {}}
    result = {
        "changed": True,
        "headnode_connection": {},
        "cluster": pcluster.cluster_view(described),
        "diff": {"before": {"cluster_name": params["name"]}, "after": {}},
    }
    if check_mode:
        return result
    if described.get("clusterStatus") != "DELETE_IN_PROGRESS":
        cli.delete(params["name"])
    if params["wait"]:
        wait_or_fail(module, cli, "delete", lambda answer: answer is None)
        result["cluster"] = {}
    return result


def main():
    module = AnsibleModule(
        argument_spec={
            "name": {"type": "str", "required": True, "aliases": ["cluster_name"]},
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
            "cluster_config": {"type": "dict"},
            "template_path": {"type": "path"},
            "config_path": {"type": "path"},
            "ttl_hours": {"type": "float"},
            "pcluster_command": {"type": "str", "default": "pcluster"},
            "region": {"type": "str", "fallback": (env_fallback, ["AWS_REGION", "AWS_DEFAULT_REGION"])},
            "suppress_validators": {"type": "list", "elements": "str", "default": []},
            "wait": {"type": "bool", "default": True},
            "wait_timeout": {"type": "int", "default": 3600},
            "poll_interval": {"type": "int", "default": 30},
            "option_names": {"type": "dict", "default": {}},
        },
        mutually_exclusive=[["cluster_config", "config_path"]],
        required_if=[["state", "present", ["cluster_config", "config_path"], True]],
        supports_check_mode=True,
    )
    if module.params["ttl_hours"] is not None and (module.params["ttl_hours"] <= 0 or module.params["config_path"]):
        module.fail_json(
            msg="%s must be a positive number of hours, with cluster_config (a config_path file carries its own Tags: "
            "add daylily:expires-at and daylily:ttl-hours there)." % option_name(module, "ttl_hours")
        )
    if not pcluster.HAS_YAML:
        module.fail_json(msg="PyYAML is required", exception=pcluster.YAML_IMPORT_ERROR)
    if module.params["cluster_config"] is not None and not pcluster.HAS_JINJA2:
        module.fail_json(msg="Jinja2 is required to render cluster_config", exception=pcluster.JINJA2_IMPORT_ERROR)
    cli = pcluster.PclusterCli(module.params["pcluster_command"], module.run_command, module.params["region"])
    ensure = ensure_present if module.params["state"] == "present" else ensure_absent
    try:
        result = ensure(module, cli, module.check_mode)
    except pcluster.ClusterConfigError as err:
        module.fail_json(msg=err.message, problems=[str(problem) for problem in err.problems])
    except pcluster.PclusterError as err:
        module.fail_json(msg=err.message, answer=err.answer)
    if not module._diff:
        result.pop("diff", None)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
