#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: aws_preflight
short_description: Check that an account, its buckets and a cluster config are ready before a cluster is created
version_added: 0.1.0
description:
  - Runs read-only readiness checks, each with a stable id, a status V(PASS), V(WARN), V(FAIL) or V(SKIPPED), details
    and remediation text, and writes them to C(preflight_<cluster_name>_<UTC timestamp>.json) in O(output_dir).
  - "The checks, in order: C(sts.caller_identity); C(iam.policy.<name>) for each of O(required_policies), attached to
    the calling IAM user or one of its groups (the account root passes); C(config.repository_catalog), the catalog
    parses; the service quotas C(quota.ondemand_vcpu) (L-1216C47A), C(quota.spot_vcpu) (L-34B43A08),
    C(quota.vpcs), C(quota.elastic_ips), C(quota.nat_gateways), C(quota.internet_gateways): a quota below its
    recommended minimum is V(WARN), a vCPU quota below what the headnode and the queues need at their max counts is
    V(FAIL); C(budgets.account), V(WARN) when an account-wide AWS budget (one without a cost filter) has already spent
    its limit; C(s3.role_config), the four role URIs are valid and no two overlap; C(s3.role_verify.<role>), each
    role's bucket is reachable; C(s3.reference_version) and C(s3.reference_prefixes), the reference data;
    C(s3.write_probe.stage) and C(s3.write_probe.export), an object is put and deleted under
    C(<role prefix>dayec-preflight/); C(config.fsx_capacity) and C(config.headnode_instance_type), by the cluster
    config's own rules."
  - Every check runs, even after a V(FAIL), so one run reports every problem. Then the module fails when a check is
    V(FAIL), or V(WARN) unless O(pass_on_warn=true). A denied AWS call makes its check V(WARN) (IAM, quotas) or
    V(FAIL) (S3) naming the IAM action to grant.
  - Creates nothing in AWS; the write probe is the only mutating call and check mode skips it (V(SKIPPED)). The
    report file is written in check mode too. The module never reports a change.
author:
  - Daylily ephemeral cluster maintainers (!UNKNOWN)
options:
  cluster_name:
    description:
      - The cluster the checks are for; names the report file.
      - A ParallelCluster name (5 to 25 letters, digits and hyphens, first a letter); any other fails before any check.
    type: str
    required: true
  cluster_inputs:
    description:
      - The cluster config inputs, as P(daylily.ephemeral_cluster.pcluster_cluster#module) takes them
        (C(headnode_instance_type), C(fsx_storage_capacity), C(fsx_deployment_type), C(queues), ...). Unset inputs
        take the cluster config's defaults.
    type: dict
    default: {}
  reference_s3_uri:
    description: The reference data role URI (read-only on the cluster).
    type: str
  control_s3_uri:
    description: The control data role URI.
    type: str
  stage_s3_uri:
    description: The staging role URI; must be writable.
    type: str
  export_s3_uri:
    description: The export role URI; must be writable.
    type: str
  reference_version:
    description: The version the reference bucket's C(s3_reference_data_version.info) must hold.
    type: str
    default: 0.7.131c
  required_policies:
    description:
      - The IAM managed policy names the calling user needs, attached to the user or a group.
      - Default C(DaylilyGlobalEClusterPolicy) and C(DaylilyRegionalEClusterPolicy-<region>).
    type: list
    elements: str
  catalog_path:
    description: The DayOA catalog to parse. Default the catalog shipped with the collection.
    type: path
  output_dir:
    description: The directory the JSON report is written to (created when missing).
    type: path
    required: true
  pass_on_warn:
    description: Succeed when checks are V(WARN) (a V(FAIL) still fails).
    type: bool
    default: false
notes:
  - Needs C(sts:GetCallerIdentity), C(iam:ListAttachedUserPolicies), C(iam:ListGroupsForUser),
    C(iam:ListAttachedGroupPolicies), C(servicequotas:GetServiceQuota), C(ec2:DescribeInstanceTypes),
    C(budgets:ViewBudget),
    C(s3:ListBucket), C(s3:GetObject), and C(s3:PutObject) with C(s3:DeleteObject) on the stage and export prefixes.
extends_documentation_fragment:
  - daylily.ephemeral_cluster.aws
  - daylily.ephemeral_cluster.option_names
"""

EXAMPLES = r"""
- name: Preflight a cluster before creating it
  daylily.ephemeral_cluster.aws_preflight:
    cluster_name: day-demo
    cluster_inputs:
      headnode_instance_type: r7i.2xlarge
      fsx_storage_capacity: 1200
    reference_s3_uri: s3://acme-omics-references/
    control_s3_uri: s3://acme-omics-control/
    stage_s3_uri: s3://acme-omics-stage/staged_external_data/
    export_s3_uri: s3://acme-omics-export/derived/
    output_dir: "{{ playbook_dir }}/reports"
  register: preflight

- name: Report only, never fail on warnings, without the write probe
  daylily.ephemeral_cluster.aws_preflight:
    cluster_name: day-demo
    reference_s3_uri: s3://acme-omics-references/
    control_s3_uri: s3://acme-omics-control/
    stage_s3_uri: s3://acme-omics-stage/staged_external_data/
    export_s3_uri: s3://acme-omics-export/derived/
    output_dir: /tmp
    pass_on_warn: true
  check_mode: true
"""

RETURN = r"""
checks:
  description: Every check, in the order it ran; RV(summary) counts them per status.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: The check's stable id.
      returned: always
      type: str
      sample: s3.role_verify.export
    status:
      description: V(PASS), V(WARN), V(FAIL) or V(SKIPPED).
      returned: always
      type: str
      sample: PASS
    details:
      description: What the check found.
      returned: always
      type: str
      sample: The export bucket acme-omics-export is reachable.
    remediation:
      description: What to do when the check did not pass; null when it passed.
      returned: always
      type: str
      sample: Grant s3:ListBucket to the user or role running preflight, then re-run it.
summary:
  description: The number of checks per status.
  returned: always
  type: dict
  sample: {"PASS": 20, "WARN": 1, "FAIL": 0, "SKIPPED": 0}
problems:
  description: The checks that make the module fail (every V(FAIL), and every V(WARN) unless O(pass_on_warn)).
  returned: always
  type: list
  elements: dict
  sample: []
report_path:
  description: The JSON report written.
  returned: always
  type: str
  sample: /tmp/preflight_day-demo_20260131T120000Z.json
"""

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import preflight
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import DaylilyAWSModule
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import module_options
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import module_retry


def client_factory(module):
    """``clients(service)``: one retrying client per service, created on first use."""
    retry = module_retry(module)
    made = {}

    def clients(service):
        if service not in made:
            made[service] = module.client(service, retry_decorator=retry)
        return made[service]

    return clients


def main():
    argument_spec = dict(
        cluster_name=dict(type="str", required=True),
        cluster_inputs=dict(type="dict", default={}),
        reference_s3_uri=dict(type="str"),
        control_s3_uri=dict(type="str"),
        stage_s3_uri=dict(type="str"),
        export_s3_uri=dict(type="str"),
        reference_version=dict(type="str", default=preflight.REFERENCE_VERSION),
        required_policies=dict(type="list", elements="str"),
        catalog_path=dict(type="path"),
        output_dir=dict(type="path", required=True),
        pass_on_warn=dict(type="bool", default=False, no_log=False),  # a switch, not a password
        option_names=dict(type="dict", default={}),
    )
    module = DaylilyAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    name_problems = preflight.cluster_name_problems(params["cluster_name"])
    if name_problems:
        module.fail_json(msg="Nothing was checked: %s." % "; ".join(name_problems), problems=name_problems)
    config = dict(
        region=module.region,
        role_uris={role: params["%s_s3_uri" % role] for role in preflight.ROLES},
        **module_options(
            params, "cluster_inputs", "reference_version", "required_policies", "catalog_path", "option_names"
        ),
    )
    checks = preflight.run_checks(client_factory(module), config, check_mode=module.check_mode)
    failed, problems = preflight.verdict(checks, params["pass_on_warn"])
    result = dict(changed=False, checks=checks, summary=preflight.summary(checks), problems=problems)
    report = dict(result, cluster_name=params["cluster_name"], region=module.region, failed=failed)
    report.pop("changed")
    result["report_path"] = preflight.write_report(params["output_dir"], params["cluster_name"], report)
    if failed:
        module.fail_json(
            msg="Preflight found %d problem(s): %s. Fix them (see each check's remediation) and re-run%s."
            % (
                len(problems),
                "; ".join("%s %s" % (item["id"], item["status"]) for item in problems),
                "" if params["pass_on_warn"] else ", or set %s to accept warnings" % module.option_name("pass_on_warn"),
            ),
            **result,
        )
    module.exit_json(**result)


if __name__ == "__main__":
    main()
