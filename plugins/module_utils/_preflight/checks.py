# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The preflight checks, one small function each, in the reference CLI's order (caller, IAM, catalog, quotas, S3)
plus the config checks. Every check returns one or more results ``{id, status, details, remediation}``; a failed AWS
call becomes a result naming the IAM action it needed, never an exception, so every check runs.
"""

import uuid

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import budgets as _budgets
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import catalog as _catalog
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import paths as _paths
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import pcluster as _pcluster
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._preflight import aws as _aws

PASS, WARN, FAIL, SKIPPED = "PASS", "WARN", "FAIL", "SKIPPED"
STATUSES = (PASS, WARN, FAIL, SKIPPED)

ROLES = ("reference", "control", "stage", "export")
WRITABLE_ROLES = ("stage", "export")
REFERENCE_VERSION = "0.7.131c"
REFERENCE_MARKER = "s3_reference_data_version.info"
REFERENCE_PREFIXES = (
    "genomic_data/organism_references/H_sapiens/hg38/",
    "genomic_data/organism_annotations/H_sapiens/hg38/",
    "runtime_assets/cluster_boot_config/",
    "runtime_assets/cached_envs/",
    "runtime_assets/tool_specific_resources/",
    "runtime_assets/budget_tags/",
)
PROBE_PREFIX = "dayec-preflight/"
GLOBAL_POLICY = "DaylilyGlobalEClusterPolicy"
REGIONAL_POLICY = "DaylilyRegionalEClusterPolicy-{region}"

# (check id, service code, quota code, what it counts, minimum)
QUOTAS = (
    ("quota.ondemand_vcpu", "ec2", "L-1216C47A", "Running On-Demand Standard instances (vCPUs)", 20),
    ("quota.spot_vcpu", "ec2", "L-34B43A08", "All Standard Spot Instance Requests (vCPUs)", 192),
    ("quota.vpcs", "vpc", "L-F678F1CE", "VPCs per Region", 5),
    ("quota.elastic_ips", "ec2", "L-0263D0A3", "EC2-VPC Elastic IPs", 5),
    ("quota.nat_gateways", "vpc", "L-FE5A380F", "NAT gateways per Availability Zone", 5),
    ("quota.internet_gateways", "vpc", "L-A4707A72", "Internet gateways per Region", 5),
)


def result(check_id, status, details, remediation=None):
    return {"id": check_id, "status": status, "details": details, "remediation": remediation}


def aws_result(check_id, error, status, missing=None):
    """The result of a check whose AWS call failed: AccessDenied names the action to grant; ``missing`` is the
    (details, remediation) of the result when AWS answered that the thing checked is not there."""
    if missing and error.missing:
        return result(check_id, status, *missing)
    if error.access_denied:
        return result(
            check_id,
            status,
            "Access denied: the caller may not call %s." % error.action,
            "Grant %s to the user or role running preflight, then re-run it." % error.action,
        )
    return result(
        check_id,
        status,
        "%s could not be checked: %s" % (check_id, error.message),
        error.hint or "Fix the AWS error above, then re-run preflight.",
    )


def caller_identity(clients, config):
    try:
        identity = _aws.caller_identity(clients("sts"))
    except _aws.PreflightAWSError as e:
        return [aws_result("sts.caller_identity", e, FAIL)], None
    arn = identity.get("Arn") or ""
    return [result("sts.caller_identity", PASS, "Account %s, caller %s." % (identity.get("Account"), arn))], arn


def _user_name(arn):
    """The IAM user name of a caller ARN; "root" for the account root; None for roles and federated callers."""
    resource = arn.split(":", 5)[-1] if arn.count(":") >= 5 else ""
    if resource == "root":
        return "root"
    if resource.startswith("user/"):
        return resource.rsplit("/", 1)[-1]
    return None


def required_policies(config):
    return config.get("required_policies") or [GLOBAL_POLICY, REGIONAL_POLICY.format(region=config["region"])]


def iam_policies(clients, config, caller_arn):
    """``iam.policy.<name>`` per required policy: attached to the user or one of its groups; root passes."""
    policies = required_policies(config)
    ids = ["iam.policy.%s" % name for name in policies]
    user = _user_name(caller_arn or "")
    if user == "root":
        return [result(check_id, PASS, "The caller is the account root.") for check_id in ids]
    if user is None:
        return [
            result(
                check_id,
                WARN,
                "The caller %s is not an IAM user; attached policies were not checked." % (caller_arn or "(unknown)"),
                "Run preflight as the IAM user that will create the cluster.",
            )
            for check_id in ids
        ]
    iam = clients("iam")
    try:
        attached = {name: "user %s" % user for name in _aws.user_policy_names(iam, user)}
        for group in _aws.user_group_names(iam, user):
            for name in _aws.group_policy_names(iam, group):
                attached.setdefault(name, "group %s" % group)
    except _aws.PreflightAWSError as e:
        return [aws_result(check_id, e, WARN) for check_id in ids]
    found = []
    for name, check_id in zip(policies, ids):
        if name in attached:
            found.append(result(check_id, PASS, "%s is attached to %s." % (name, attached[name])))
        else:
            found.append(
                result(
                    check_id,
                    FAIL,
                    "%s is attached neither to user %s nor to its groups." % (name, user),
                    "Attach the managed policy %s to user %s or to one of its groups." % (name, user),
                )
            )
    return found


def repository_catalog(config):
    try:
        path = config.get("catalog_path") or _catalog.default_catalog_path()
        _catalog.load_catalog(path)
    except _catalog.CatalogError as e:
        return [
            result(
                "config.repository_catalog",
                FAIL,
                str(e),
                "Fix the catalog (%s), then re-run." % option_name(config, "catalog_path"),
            )
        ]
    return [result("config.repository_catalog", PASS, "The catalog %s parses." % path)]


def planned_nodes(config):
    """(headnode instance type, queues) of the cluster inputs, with the cluster config's defaults."""
    inputs = config.get("cluster_inputs") or {}
    headnode = inputs.get("headnode_instance_type") or _pcluster.INPUT_DEFAULTS["headnode_instance_type"]
    queues = inputs.get("queues") or _pcluster.DEFAULT_QUEUES
    return headnode, [queue for queue in queues if isinstance(queue, dict)]


def _queue_vcpu_demand(ec2, config):
    """(on-demand vCPUs, spot vCPUs) at every queue's max count; the headnode counts as on-demand."""
    headnode, queues = planned_nodes(config)
    types = {headnode}
    types.update(t for queue in queues for t in queue.get("instance_types") or [])
    vcpus = _aws.vcpus_by_instance_type(ec2, sorted(types))
    demand = {"ONDEMAND": vcpus.get(headnode, 0), "SPOT": 0}
    for queue in queues:
        largest = max((vcpus.get(t, 0) for t in queue.get("instance_types") or []), default=0)
        capacity_type = queue.get("capacity_type", "SPOT")
        demand[capacity_type] = demand.get(capacity_type, 0) + largest * int(queue.get("max_count") or 0)
    return demand["ONDEMAND"], demand["SPOT"]


def service_quotas(clients, config):
    """One result per quota: below the minimum WARN; below the vCPU demand at max counts FAIL."""
    quota_client = clients("service-quotas")
    demand, demand_error = {}, None
    try:
        demand["quota.ondemand_vcpu"], demand["quota.spot_vcpu"] = _queue_vcpu_demand(clients("ec2"), config)
    except _aws.PreflightAWSError as e:
        demand_error = e
    found = []
    for check_id, service_code, quota_code, what, minimum in QUOTAS:
        try:
            value = _aws.quota_value(quota_client, service_code, quota_code)
        except _aws.PreflightAWSError as e:
            missing = (
                "The quota %s (%s) could not be read." % (quota_code, what),
                "Check it in the Service Quotas console (%s/%s)." % (service_code, quota_code),
            )
            found.append(aws_result(check_id, e, WARN, missing))
            continue
        needed = demand.get(check_id)
        if needed is not None and value < needed:
            found.append(
                result(
                    check_id,
                    FAIL,
                    "%s is %g, below the %d vCPUs the queues need at their max counts." % (what, value, needed),
                    "Request a %s increase to at least %d (%s/%s), or lower "
                    "the queues' max_count." % (what, needed, service_code, quota_code),
                )
            )
        elif value < minimum:
            found.append(
                result(
                    check_id,
                    WARN,
                    "%s is %g, below the recommended %d." % (what, value, minimum),
                    "Request a %s increase (%s/%s)." % (what, service_code, quota_code),
                )
            )
        else:
            found.append(
                result(
                    check_id,
                    PASS,
                    "%s is %g%s." % (what, value, "" if needed is None else " (the queues need %d)" % needed),
                )
            )
    if demand_error is not None:
        found.append(aws_result("quota.vcpu_demand", demand_error, WARN))
    return found


def account_budgets(clients, config, caller_arn):
    """``budgets.account``: WARN when an account-wide budget (no cost filter) has already spent its limit, since the
    cluster's costs would add to it; never FAIL (the reference CLI only warns on budgets)."""
    check_id = "budgets.account"
    account = (caller_arn or "").split(":")[4] if (caller_arn or "").count(":") >= 5 else ""
    if not account:
        return [result(check_id, SKIPPED, "The account is unknown: sts.caller_identity did not pass.")]
    try:
        found = _aws.account_budgets(clients("budgets"), account)
    except _aws.PreflightAWSError as e:
        if not e.missing:  # Budgets answers NotFoundException for an account without budgets
            return [aws_result(check_id, e, WARN)]
        found = []
    exhausted = _budgets.exhausted_budgets(found)
    if exhausted:
        return [
            result(
                check_id,
                WARN,
                "The account-wide budget %s has already spent its limit."
                % ", ".join("%s (%.2f of %.2f USD)" % item for item in exhausted),
                "Raise the budget's limit or wait for its next period, or set %s to create the cluster anyway."
                % option_name(config, "pass_on_warn"),
            )
        ]
    account_wide = sum(1 for budget in found if not budget.get("CostFilters"))
    return [result(check_id, PASS, "No account-wide budget has spent its limit (%d checked)." % account_wide)]


def option_name(config, option):
    """How a remediation names ``option``: the variable the operator sets (``config["option_names"]``)."""
    return (config.get("option_names") or {}).get(option) or option


def role_locations(config):
    """``({role: S3Location}, [results])``: each role URI parsed with the collection's path rules, and
    ``s3.role_config``: every URI valid and no two roles overlapping."""
    locations, problems = {}, []
    for role in ROLES:
        uri = (config.get("role_uris") or {}).get(role)
        field = option_name(config, "%s_s3_uri" % role)
        if not uri:
            problems.append("%s is not set" % field)
            continue
        try:
            locations[role] = _paths.parse_s3_uri(uri, field=field)
        except _paths.PathRuleError as e:
            problems.append(str(e))
    names = sorted(locations)
    for index, first in enumerate(names):
        for second in names[index + 1 :]:
            if _paths.locations_overlap(locations[first], locations[second]):
                problems.append(
                    "%s %s and %s %s overlap"
                    % (
                        option_name(config, "%s_s3_uri" % first),
                        locations[first].uri,
                        option_name(config, "%s_s3_uri" % second),
                        locations[second].uri,
                    )
                )
    if problems:
        return locations, [
            result(
                "s3.role_config",
                FAIL,
                "; ".join(problems) + ".",
                "Give each role its own S3 prefix: no role URI may equal or contain another.",
            )
        ]
    return locations, [
        result(
            "s3.role_config", PASS, "Four distinct role URIs: %s." % ", ".join(locations[role].uri for role in ROLES)
        )
    ]


def buckets_reachable(s3, locations, config=None):
    config = config or {}
    found = []
    for role, location in sorted(locations.items()):
        check_id = "s3.role_verify.%s" % role
        try:
            _aws.head_bucket(s3, location.bucket)
        except _aws.PreflightAWSError as e:
            missing = (
                "The %s bucket %s does not exist." % (role, location.bucket),
                "Create the bucket or fix %s." % option_name(config, "%s_s3_uri" % role),
            )
            found.append(aws_result(check_id, e, FAIL, missing))
            continue
        found.append(result(check_id, PASS, "The %s bucket %s is reachable." % (role, location.bucket)))
    return found


def reference_data(s3, location, version=REFERENCE_VERSION):
    """``s3.reference_version`` (the marker holds ``version``) and ``s3.reference_prefixes`` (each has objects)."""
    found = []
    marker = location.prefix + REFERENCE_MARKER
    try:
        text = _aws.object_text(s3, location.bucket, marker).strip()
        if text == version:
            found.append(result("s3.reference_version", PASS, "Reference data version %s." % text))
        else:
            found.append(
                result(
                    "s3.reference_version",
                    FAIL,
                    "s3://%s/%s holds %r, not %r." % (location.bucket, marker, text[:80], version),
                    "Sync reference data version %s into %s." % (version, location.uri),
                )
            )
    except _aws.PreflightAWSError as e:
        missing = (
            "s3://%s/%s does not exist." % (location.bucket, marker),
            "Sync reference data version %s into %s." % (version, location.uri),
        )
        found.append(aws_result("s3.reference_version", e, FAIL, missing))
    try:
        empty = [
            prefix
            for prefix in REFERENCE_PREFIXES
            if not _aws.has_objects_under(s3, location.bucket, location.prefix + prefix)
        ]
    except _aws.PreflightAWSError as e:
        return found + [aws_result("s3.reference_prefixes", e, FAIL)]
    if empty:
        found.append(
            result(
                "s3.reference_prefixes",
                FAIL,
                "No objects under %s in %s." % (", ".join(empty), location.uri),
                "Sync the reference data into %s." % location.uri,
            )
        )
    else:
        found.append(result("s3.reference_prefixes", PASS, "Every required reference prefix has objects."))
    return found


def write_probe(s3, role, location, check_mode):
    """``s3.write_probe.<role>``: put then delete one object under ``<role prefix>dayec-preflight/``."""
    check_id = "s3.write_probe.%s" % role
    if check_mode:
        return [result(check_id, SKIPPED, "Check mode: the write probe was not run.")]
    key = "%s%swrite-check-%s.txt" % (location.prefix, PROBE_PREFIX, uuid.uuid4().hex)
    try:
        _aws.put_probe(s3, location.bucket, key)
        _aws.delete_probe(s3, location.bucket, key)
    except _aws.PreflightAWSError as e:
        return [aws_result(check_id, e, FAIL)]
    return [result(check_id, PASS, "Wrote and deleted s3://%s/%s." % (location.bucket, key))]


def cluster_config(config):
    """``config.fsx_capacity`` and ``config.headnode_instance_type``, by the cluster config's own rules."""
    problems = _pcluster.input_problems(config.get("cluster_inputs") or {})
    checks = (
        ("config.fsx_capacity", ("fsx_storage_capacity", "fsx_deployment_type", "fsx_per_unit_storage_throughput")),
        ("config.headnode_instance_type", ("headnode_instance_type",)),
    )
    found = []
    for check_id, fields in checks:
        mine = [str(problem) for problem in problems if problem.field in fields]
        if mine:
            found.append(
                result(
                    check_id,
                    FAIL,
                    "; ".join(mine) + ".",
                    "Fix %s in %s."
                    % (
                        " and ".join(sorted({problem.split(":")[0] for problem in mine})),
                        option_name(config, "cluster_inputs"),
                    ),
                )
            )
        else:
            found.append(result(check_id, PASS, "%s are valid." % ", ".join(fields)))
    return found


def run_checks(clients, config, check_mode=False):
    """Every check, in order; none stops the others. ``clients(service)`` returns a retrying boto3 client."""
    found, caller_arn = caller_identity(clients, config)
    found += iam_policies(clients, config, caller_arn)
    found += repository_catalog(config)
    found += service_quotas(clients, config)
    found += account_budgets(clients, config, caller_arn)
    locations, role_results = role_locations(config)
    found += role_results
    s3 = clients("s3")
    found += buckets_reachable(s3, locations, config)
    if "reference" in locations:
        found += reference_data(s3, locations["reference"], config.get("reference_version") or REFERENCE_VERSION)
    for role in WRITABLE_ROLES:
        if role in locations:
            found += write_probe(s3, role, locations[role], check_mode)
    found += cluster_config(config)
    return found


def verdict(results, pass_on_warn=False):
    """``(failed, problems)``: FAIL always fails; WARN fails unless ``pass_on_warn``."""
    problems = [item for item in results if item["status"] == FAIL or (item["status"] == WARN and not pass_on_warn)]
    return bool(problems), problems
