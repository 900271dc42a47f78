# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The ParallelCluster 3 cluster config: the inputs an operator sets, their checks and defaults, and the render.

Private to :mod:`..pcluster`; import the facade, not this module.

Every decision lives here, before any AWS call: names and sizes are checked (every problem at once), defaults are
filled in, cost-allocation tags and IAM policies are added. The Jinja2 template
(``catalog/pcluster/cluster_config.yaml.j2``) only formats the render context this module builds. After rendering,
the result is parsed and refused unless its FSx for Lustre file system has exactly one startup data repository
association, ``/references/`` on the reference bucket (invariant 2 of the domain notes).
"""

from __future__ import annotations

import copy
import json
import os
import re
import traceback
from collections import namedtuple

try:
    import yaml
except ImportError:  # reported by the caller with missing_required_lib
    yaml = None
    YAML_IMPORT_ERROR = traceback.format_exc()
else:
    YAML_IMPORT_ERROR = None

try:
    import jinja2
except ImportError:
    jinja2 = None
    JINJA2_IMPORT_ERROR = traceback.format_exc()
else:
    JINJA2_IMPORT_ERROR = None

HAS_YAML = yaml is not None
HAS_JINJA2 = jinja2 is not None

TEMPLATE_RELATIVE_PATH = ("catalog", "pcluster", "cluster_config.yaml.j2")

CLUSTER_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9-]*$")
CLUSTER_NAME_MIN, CLUSTER_NAME_MAX = 5, 25
# The headnode runs Snakemake, conda and tmux for every analysis: DayEC's approved menu.
HEADNODE_INSTANCE_TYPES = ("r7i.2xlarge", "r7i.4xlarge", "r7i.8xlarge", "r7i.16xlarge")
# FSx for Lustre SCRATCH_2/PERSISTENT_2 sizes: 1200 GiB, 2400 GiB, then steps of 2400 GiB.
FSX_SMALL_CAPACITIES = (1200, 2400)
FSX_CAPACITY_STEP = 2400
FSX_DEPLOYMENT_TYPES = ("SCRATCH_2", "PERSISTENT_2")
FSX_PERSISTENT_THROUGHPUTS = (125, 250, 500, 1000)  # MB/s/TiB, PERSISTENT_2 only
FSX_DELETION_POLICIES = ("Delete", "Retain")
FSX_MOUNT_DIR = "/fsx"
FSX_STORAGE_NAME = "fsx"
# Invariant 2: one startup DRA, /references/ <- the reference bucket, batch import, NEW/CHANGED/DELETED.
STARTUP_DRA_NAME = "references"
STARTUP_DRA_PATHS = ["/references/"]
STARTUP_DRA_AUTO_IMPORT = ["NEW", "CHANGED", "DELETED"]

CAPACITY_TYPES = ("SPOT", "ONDEMAND")
ALLOCATION_STRATEGIES = {"SPOT": "price-capacity-optimized", "ONDEMAND": "lowest-price"}
QUEUE_NAME_RE = re.compile(r"^[a-z][a-z0-9-]*$")  # ParallelCluster's NameValidator
QUEUE_NAME_MAX = 25
OPERATING_SYSTEMS = ("ubuntu2204", "ubuntu2404", "alinux2023", "rhel9", "rocky9")
# bootstrap input keys -> ParallelCluster's CustomActions keys, in the order they run
BOOTSTRAP_EVENTS = {"on_node_start": "OnNodeStart", "on_node_configured": "OnNodeConfigured"}
SCRIPT_SCHEMES = ("s3://", "https://")
RESERVED_TAG_PREFIX = "parallelcluster:"
CLUSTER_NAME_TAG = "aws-parallelcluster-clustername"
PROJECT_TAG = "aws-parallelcluster-project"

REGION_RE = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$")
SUBNET_RE = re.compile(r"^subnet-[0-9a-f]{8,17}$")
POLICY_ARN_RE = re.compile(r"^arn:aws[a-z-]*:iam::(aws|\d{12}):policy/.+$")
BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
S3_URI_RE = re.compile(r"^s3://(?P<bucket>[^/?#]+)(?P<key>/[^?#]*)?$")
AMI_RE = re.compile(r"^ami-[0-9a-f]{8,17}$")

# The compute fleet a Daylily cluster starts with: DayEC's spot queues by vCPU count (max counts are the operator's).
DEFAULT_QUEUES = (
    {"name": "i8", "instance_types": ["m7i.2xlarge"], "max_count": 8},
    {"name": "i128", "instance_types": ["m6i.32xlarge"], "max_count": 4},
    {"name": "i192", "instance_types": ["m7i.48xlarge"], "max_count": 4},
    {"name": "i192mem", "instance_types": ["r7i.48xlarge"], "max_count": 2},
)

# Every input the render takes, with its default (None: required, or optional and left out of the config).
INPUT_DEFAULTS = {
    "cluster_name": None,
    "region": None,
    "headnode_subnet_id": None,
    "compute_subnet_ids": None,
    "headnode_instance_type": "r7i.2xlarge",
    "headnode_root_volume_gib": 200,
    "ssh_key_name": None,
    "os": "ubuntu2204",
    "custom_ami": None,
    "reference_s3_uri": None,
    "fsx_storage_capacity": 1200,
    "fsx_deployment_type": "SCRATCH_2",
    "fsx_per_unit_storage_throughput": 125,
    "fsx_deletion_policy": "Delete",
    "queues": None,
    "additional_iam_policies": [],
    "s3_read_only_buckets": [],
    "s3_writable_buckets": [],
    "bootstrap": {},
    "tags": {},
    "project": None,
}
REQUIRED_INPUTS = ("cluster_name", "region", "headnode_subnet_id", "compute_subnet_ids", "reference_s3_uri")
QUEUE_DEFAULTS = {"capacity_type": "SPOT", "min_count": 0, "spot_price": None, "allocation_strategy": None}
QUEUE_FIELDS = ("name", "instance_types", "max_count") + tuple(QUEUE_DEFAULTS)


class ConfigProblem(namedtuple("ConfigProblem", "field problem expected")):
    """One problem with the inputs (``field`` names the input) or with the rendered config."""

    __slots__ = ()

    def __new__(cls, field, problem, expected=None):
        return super().__new__(cls, field, problem, expected)

    def __str__(self):
        return "%s: %s%s" % (self.field, self.problem, "; expected " + self.expected if self.expected else "")


class ClusterConfigError(Exception):
    """The cluster config cannot be rendered; ``problems`` lists every :class:`ConfigProblem`."""

    def __init__(self, message, problems=()):
        super().__init__(message)
        self.message = message
        self.problems = list(problems)


def problems_message(what, problems):
    return "%s has %d problem%s:\n%s" % (
        what,
        len(problems),
        "" if len(problems) == 1 else "s",
        "\n".join("- %s" % (problem,) for problem in problems),
    )


def ssm_policy_arn(region):
    """AmazonSSMManagedInstanceCore in the region's partition: the headnode is reached through SSM only."""
    partition = "aws-cn" if region.startswith("cn-") else "aws-us-gov" if region.startswith("us-gov-") else "aws"
    return "arn:%s:iam::aws:policy/AmazonSSMManagedInstanceCore" % partition


def normalize_s3_prefix_uri(uri):
    """``s3://bucket/prefix`` -> (``s3://bucket/prefix/``, bucket); None when it is not a plain S3 prefix URI."""
    match = S3_URI_RE.match(uri) if isinstance(uri, str) else None
    if not match or not BUCKET_RE.match(match.group("bucket")):
        return None
    key = (match.group("key") or "/").strip("/")
    if "//" in key or any(part in (".", "..") for part in key.split("/")):
        return None
    return "s3://%s/%s" % (match.group("bucket"), key + "/" if key else ""), match.group("bucket")


def fsx_capacity_allowed(capacity):
    return capacity in FSX_SMALL_CAPACITIES or (capacity > 0 and capacity % FSX_CAPACITY_STEP == 0)


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _string_list(value):
    return isinstance(value, list) and all(isinstance(item, str) and item for item in value)


def _choice(problems, field, value, allowed):
    if value not in allowed:
        problems.append(ConfigProblem(field, "is %r" % (value,), "one of %s" % ", ".join(map(str, allowed))))


def _name_problems(inputs, problems):
    name = inputs["cluster_name"]
    if not isinstance(name, str):
        return
    if not CLUSTER_NAME_MIN <= len(name) <= CLUSTER_NAME_MAX:
        problems.append(
            ConfigProblem(
                "cluster_name",
                "%r has %d characters" % (name, len(name)),
                "%d to %d characters" % (CLUSTER_NAME_MIN, CLUSTER_NAME_MAX),
            )
        )
    if not CLUSTER_NAME_RE.fullmatch(name):  # match() with '$' lets a trailing newline through
        problems.append(
            ConfigProblem(
                "cluster_name",
                "%r has characters a cluster name cannot have" % name,
                "a letter, then letters, digits and hyphens (%s)" % CLUSTER_NAME_RE.pattern,
            )
        )


def _network_problems(inputs, problems):
    region = inputs["region"]
    # None and "" are reported as missing; anything else must be a region name (a YAML 0 or a list is not)
    if region not in (None, "") and not (isinstance(region, str) and REGION_RE.match(region)):
        problems.append(ConfigProblem("region", "%r is not an AWS region name" % (region,), "e.g. us-west-2"))
    if inputs["headnode_subnet_id"] is not None and not SUBNET_RE.match(str(inputs["headnode_subnet_id"])):
        problems.append(
            ConfigProblem(
                "headnode_subnet_id", "%r is not a subnet id" % (inputs["headnode_subnet_id"],), "subnet-<hex>"
            )
        )
    subnets = inputs["compute_subnet_ids"]
    if subnets is not None:
        if not _string_list(subnets) or not subnets:
            problems.append(ConfigProblem("compute_subnet_ids", "is %r" % (subnets,), "a non-empty list of subnet ids"))
        else:
            for subnet in subnets:
                if not SUBNET_RE.match(subnet):
                    problems.append(
                        ConfigProblem("compute_subnet_ids", "%r is not a subnet id" % subnet, "subnet-<hex>")
                    )


def _headnode_problems(inputs, problems):
    _choice(problems, "headnode_instance_type", inputs["headnode_instance_type"], HEADNODE_INSTANCE_TYPES)
    size = inputs["headnode_root_volume_gib"]
    if not _is_int(size) or size < 35:
        problems.append(ConfigProblem("headnode_root_volume_gib", "is %r" % (size,), "an integer of at least 35"))
    _choice(problems, "os", inputs["os"], OPERATING_SYSTEMS)
    if inputs["custom_ami"] is not None and not AMI_RE.match(str(inputs["custom_ami"])):
        problems.append(ConfigProblem("custom_ami", "%r is not an AMI id" % (inputs["custom_ami"],), "ami-<hex>"))


def _fsx_problems(inputs, problems):
    capacity = inputs["fsx_storage_capacity"]
    if not _is_int(capacity) or not fsx_capacity_allowed(capacity):
        problems.append(
            ConfigProblem(
                "fsx_storage_capacity",
                "%r GiB is not a size FSx for Lustre offers" % (capacity,),
                "1200, 2400 or a multiple of 2400 (4800, 7200, ...)",
            )
        )
    _choice(problems, "fsx_deployment_type", inputs["fsx_deployment_type"], FSX_DEPLOYMENT_TYPES)
    if inputs["fsx_deployment_type"] == "PERSISTENT_2":
        _choice(
            problems,
            "fsx_per_unit_storage_throughput",
            inputs["fsx_per_unit_storage_throughput"],
            FSX_PERSISTENT_THROUGHPUTS,
        )
    _choice(problems, "fsx_deletion_policy", inputs["fsx_deletion_policy"], FSX_DELETION_POLICIES)
    if inputs["reference_s3_uri"] is not None and normalize_s3_prefix_uri(inputs["reference_s3_uri"]) is None:
        problems.append(
            ConfigProblem(
                "reference_s3_uri",
                "%r is not an S3 prefix URI" % (inputs["reference_s3_uri"],),
                "s3://<bucket>/ or s3://<bucket>/<prefix>/ (no query, no '..')",
            )
        )


def _queue_problems(queues, problems):
    if not isinstance(queues, list) or not queues:
        problems.append(ConfigProblem("queues", "is %r" % (queues,), "a non-empty list of queues"))
        return
    seen = set()
    for index, queue in enumerate(queues):
        field = "queues[%d]" % index
        if not isinstance(queue, dict):
            problems.append(ConfigProblem(field, "is %r" % (queue,), "a mapping"))
            continue
        unknown = sorted(set(queue) - set(QUEUE_FIELDS))
        if unknown:
            problems.append(
                ConfigProblem(field, "has unknown keys %s" % ", ".join(unknown), "only %s" % ", ".join(QUEUE_FIELDS))
            )
        name = queue.get("name")
        if (
            not isinstance(name, str)
            or not QUEUE_NAME_RE.match(name)
            or len(name) > QUEUE_NAME_MAX
            or name == "default"
        ):
            problems.append(
                ConfigProblem(
                    field + ".name",
                    "is %r" % (name,),
                    "lower-case letters, digits and hyphens, starting with a letter, at most "
                    "%d characters, not 'default'" % QUEUE_NAME_MAX,
                )
            )
        elif name in seen:
            problems.append(ConfigProblem(field + ".name", "%r is used by an earlier queue" % name, "unique names"))
        seen.add(name)
        if not _string_list(queue.get("instance_types")) or not queue.get("instance_types"):
            problems.append(
                ConfigProblem(
                    field + ".instance_types",
                    "is %r" % (queue.get("instance_types"),),
                    "a non-empty list of EC2 instance types",
                )
            )
        capacity_type = queue.get("capacity_type", QUEUE_DEFAULTS["capacity_type"])
        _choice(problems, field + ".capacity_type", capacity_type, CAPACITY_TYPES)
        max_count, min_count = queue.get("max_count"), queue.get("min_count", 0)
        if not _is_int(max_count) or max_count < 1:
            problems.append(ConfigProblem(field + ".max_count", "is %r" % (max_count,), "an integer of at least 1"))
        if not _is_int(min_count) or min_count < 0 or (_is_int(max_count) and min_count > max_count):
            problems.append(ConfigProblem(field + ".min_count", "is %r" % (min_count,), "0 to max_count"))
        spot_price = queue.get("spot_price")
        if spot_price is not None:
            if capacity_type != "SPOT":
                problems.append(
                    ConfigProblem(
                        field + ".spot_price",
                        "is set on an %s queue" % capacity_type,
                        "spot_price only with capacity_type SPOT",
                    )
                )
            elif isinstance(spot_price, bool) or not isinstance(spot_price, (int, float)) or spot_price <= 0:
                problems.append(
                    ConfigProblem(field + ".spot_price", "is %r" % (spot_price,), "a positive number of USD per hour")
                )
        strategy = queue.get("allocation_strategy")
        if strategy is not None and capacity_type in ALLOCATION_STRATEGIES:
            allowed = (
                ("price-capacity-optimized", "capacity-optimized", "lowest-price")
                if capacity_type == "SPOT"
                else ("lowest-price", "prioritized")
            )
            _choice(problems, field + ".allocation_strategy", strategy, allowed)


def _access_problems(inputs, problems):
    for policy in inputs["additional_iam_policies"] if isinstance(inputs["additional_iam_policies"], list) else [None]:
        if not isinstance(policy, str) or not POLICY_ARN_RE.match(policy):
            problems.append(
                ConfigProblem(
                    "additional_iam_policies",
                    "%r is not an IAM policy ARN" % (policy,),
                    "arn:aws:iam::<account>:policy/<name>",
                )
            )
    buckets = {}
    for field in ("s3_read_only_buckets", "s3_writable_buckets"):
        value = inputs[field]
        if not isinstance(value, list) or not all(isinstance(b, str) and BUCKET_RE.match(b) for b in value):
            problems.append(ConfigProblem(field, "is %r" % (value,), "a list of S3 bucket names"))
            continue
        buckets[field] = set(value)
    both = buckets.get("s3_read_only_buckets", set()) & buckets.get("s3_writable_buckets", set())
    if both:
        problems.append(
            ConfigProblem(
                "s3_writable_buckets",
                "also lists %s as read-only" % ", ".join(sorted(both)),
                "each bucket either read-only or writable",
            )
        )
    reference = normalize_s3_prefix_uri(inputs["reference_s3_uri"]) if inputs["reference_s3_uri"] else None
    if reference and reference[1] in buckets.get("s3_writable_buckets", set()):
        problems.append(
            ConfigProblem(
                "s3_writable_buckets",
                "lists the reference bucket %s" % reference[1],
                "the reference bucket read-only (only the export bucket is writable)",
            )
        )


def _bootstrap_problems(bootstrap, problems):
    if not isinstance(bootstrap, dict):
        problems.append(
            ConfigProblem("bootstrap", "is %r" % (bootstrap,), "a mapping of %s" % " and ".join(BOOTSTRAP_EVENTS))
        )
        return
    for event, action in bootstrap.items():
        field = "bootstrap.%s" % event
        if event not in BOOTSTRAP_EVENTS:
            problems.append(ConfigProblem(field, "is not a bootstrap event", "one of %s" % ", ".join(BOOTSTRAP_EVENTS)))
            continue
        if (
            not isinstance(action, dict)
            or not isinstance(action.get("script"), str)
            or not action["script"].startswith(SCRIPT_SCHEMES)
        ):
            problems.append(
                ConfigProblem(
                    field + ".script",
                    "is %r" % (action.get("script") if isinstance(action, dict) else action,),
                    "an s3:// or https:// script URL",
                )
            )
        elif not _string_list(action.get("args", [])):
            problems.append(ConfigProblem(field + ".args", "is %r" % (action.get("args"),), "a list of strings"))


def _tag_problems(inputs, problems):
    tags = inputs["tags"]
    if not isinstance(tags, dict):
        problems.append(ConfigProblem("tags", "is %r" % (tags,), "a mapping of tag keys to values"))
        return
    for key, value in tags.items():
        if not isinstance(key, str) or not key or key.startswith(RESERVED_TAG_PREFIX) or len(key) > 128:
            problems.append(
                ConfigProblem(
                    "tags",
                    "has the key %r" % (key,),
                    "keys of 1 to 128 characters not starting with %r" % RESERVED_TAG_PREFIX,
                )
            )
        elif key == CLUSTER_NAME_TAG and value != inputs["cluster_name"]:
            problems.append(
                ConfigProblem("tags", "sets %s to %r" % (key, value), "no %s tag (it is always the cluster name)" % key)
            )
        if isinstance(value, (dict, list)) or value is None or len(_tag_value(value)) > 256:
            problems.append(
                ConfigProblem(
                    "tags",
                    "has the value %r for %r" % (value, key),
                    "a string, number or boolean of at most 256 characters",
                )
            )


def _tag_value(value):
    # ParallelCluster's schema wants strings; YAML would read 7 or true as a number or a boolean.
    return json.dumps(value) if isinstance(value, bool) else str(value)


def with_defaults(inputs):
    """The inputs with every default filled in (unknown keys kept, so they can be reported)."""
    merged = {key: copy.deepcopy(default) for key, default in INPUT_DEFAULTS.items()}
    merged.update({key: value for key, value in (inputs or {}).items() if value is not None})
    if merged["queues"] is None:
        merged["queues"] = [dict(queue) for queue in DEFAULT_QUEUES]
    return merged


def input_problems(inputs):
    """Every problem of the render inputs, in input order; an empty list when they can be rendered."""
    problems = []
    if not isinstance(inputs, dict):
        return [ConfigProblem("inputs", "are %r" % (inputs,), "a mapping")]
    unknown = sorted(set(inputs) - set(INPUT_DEFAULTS))
    if unknown:
        problems.append(
            ConfigProblem("inputs", "have unknown keys %s" % ", ".join(unknown), "only %s" % ", ".join(INPUT_DEFAULTS))
        )
    merged = with_defaults(inputs)
    for field in REQUIRED_INPUTS:
        if merged[field] in (None, ""):
            problems.append(ConfigProblem(field, "is missing", "a value"))
    _name_problems(merged, problems)
    _network_problems(merged, problems)
    _headnode_problems(merged, problems)
    _fsx_problems(merged, problems)
    _queue_problems(merged["queues"], problems)
    _access_problems(merged, problems)
    _bootstrap_problems(merged["bootstrap"], problems)
    _tag_problems(merged, problems)
    return problems


def render_context(inputs):
    """What the template formats: the checked inputs with every decision made. Raises :class:`ClusterConfigError`."""
    problems = input_problems(inputs)
    if problems:
        raise ClusterConfigError(problems_message("The cluster configuration", problems), problems)
    merged = with_defaults(inputs)
    reference_uri, reference_bucket = normalize_s3_prefix_uri(merged["reference_s3_uri"])
    policies = [ssm_policy_arn(merged["region"])]
    policies += [arn for arn in merged["additional_iam_policies"] if arn not in policies]
    read_only = [reference_bucket] + [b for b in merged["s3_read_only_buckets"] if b != reference_bucket]
    tags = {PROJECT_TAG: merged["project"] or merged["cluster_name"]}
    tags.update({key: _tag_value(value) for key, value in merged["tags"].items()})
    tags[CLUSTER_NAME_TAG] = merged["cluster_name"]
    queues = []
    for queue in merged["queues"]:
        queue = dict(QUEUE_DEFAULTS, **queue)
        queue["allocation_strategy"] = queue["allocation_strategy"] or ALLOCATION_STRATEGIES[queue["capacity_type"]]
        queues.append(queue)
    fsx = {
        "mount_dir": FSX_MOUNT_DIR,
        "name": FSX_STORAGE_NAME,
        "storage_capacity": merged["fsx_storage_capacity"],
        "deployment_type": merged["fsx_deployment_type"],
        "per_unit_storage_throughput": (
            merged["fsx_per_unit_storage_throughput"] if merged["fsx_deployment_type"] == "PERSISTENT_2" else None
        ),
        "deletion_policy": merged["fsx_deletion_policy"],
        "startup_associations": [
            {
                "name": STARTUP_DRA_NAME,
                "file_system_path": STARTUP_DRA_PATHS[0],
                "data_repository_path": reference_uri,
                "batch_import_meta_data_on_create": True,
                "auto_import_policy": list(STARTUP_DRA_AUTO_IMPORT),
            }
        ],
    }
    bootstrap = [
        {
            "event": key,
            "script": merged["bootstrap"][event]["script"],
            "args": list(merged["bootstrap"][event].get("args", [])),
        }
        for event, key in BOOTSTRAP_EVENTS.items()
        if event in merged["bootstrap"]
    ]
    return {
        "cluster_name": merged["cluster_name"],
        "region": merged["region"],
        "os": merged["os"],
        "custom_ami": merged["custom_ami"],
        "headnode": {
            "instance_type": merged["headnode_instance_type"],
            "subnet_id": merged["headnode_subnet_id"],
            "root_volume_gib": merged["headnode_root_volume_gib"],
            "ssh_key_name": merged["ssh_key_name"],
        },
        "compute_subnet_ids": merged["compute_subnet_ids"],
        "queues": queues,
        "iam_policies": policies,
        "s3_access": [{"bucket": b, "write": False} for b in read_only]
        + [{"bucket": b, "write": True} for b in merged["s3_writable_buckets"]],
        "bootstrap": bootstrap,
        "fsx": fsx,
        "tags": sorted(tags.items()),
    }


def _jinja_environment(template_dir):
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(template_dir),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    # JSON scalars are YAML scalars: strings are quoted, so no value is read back as a number or a boolean.
    environment.filters["to_json"] = json.dumps
    return environment


def render_text(context, template_path):
    """Format ``context`` with the Jinja2 template at ``template_path``."""
    environment = _jinja_environment(os.path.dirname(os.path.abspath(template_path)))
    return environment.get_template(os.path.basename(template_path)).render(**context)


def _lustre_storages(config):
    storages = config.get("SharedStorage") if isinstance(config, dict) else None
    return [s for s in storages or [] if isinstance(s, dict) and s.get("StorageType") == "FsxLustre"]


def startup_associations(config):
    """The data repository associations a cluster config creates with its FSx for Lustre file systems."""
    found = []
    for storage in _lustre_storages(config):
        settings = storage.get("FsxLustreSettings") or {}
        found.extend(a for a in settings.get("DataRepositoryAssociations") or [] if isinstance(a, dict))
    return found


def startup_association_problems(config, reference_uri=None):
    """Invariant 2 on a parsed config: one FSx for Lustre at /fsx, exactly one startup DRA ``/references/`` on the
    reference bucket, batch import on, auto-import NEW/CHANGED/DELETED. Every problem at once."""
    problems = []
    storages = _lustre_storages(config)
    if [s.get("MountDir") for s in storages] != [FSX_MOUNT_DIR]:
        problems.append(
            ConfigProblem(
                "SharedStorage",
                "mounts FSx for Lustre at %s" % ([s.get("MountDir") for s in storages],),
                "one FSx for Lustre file system at %s" % FSX_MOUNT_DIR,
            )
        )
    associations = startup_associations(config)
    paths = [a.get("FileSystemPath") for a in associations]
    if paths != STARTUP_DRA_PATHS:
        problems.append(
            ConfigProblem(
                "DataRepositoryAssociations",
                "the startup associations are on %s" % json.dumps(paths),
                "exactly %s; every other association is attached at runtime" % json.dumps(STARTUP_DRA_PATHS),
            )
        )
    for association in associations:
        if association.get("FileSystemPath") != STARTUP_DRA_PATHS[0]:
            continue
        if reference_uri is not None and association.get("DataRepositoryPath") != reference_uri:
            problems.append(
                ConfigProblem(
                    "DataRepositoryAssociations",
                    "%s reads %r" % (STARTUP_DRA_PATHS[0], association.get("DataRepositoryPath")),
                    "the reference URI %s" % reference_uri,
                )
            )
        if association.get("BatchImportMetaDataOnCreate") is not True:
            problems.append(
                ConfigProblem(
                    "DataRepositoryAssociations",
                    "%s does not batch-import on create" % STARTUP_DRA_PATHS[0],
                    "BatchImportMetaDataOnCreate: true",
                )
            )
        if sorted(association.get("AutoImportPolicy") or []) != sorted(STARTUP_DRA_AUTO_IMPORT):
            problems.append(
                ConfigProblem(
                    "DataRepositoryAssociations",
                    "%s auto-imports %s" % (STARTUP_DRA_PATHS[0], association.get("AutoImportPolicy")),
                    "AutoImportPolicy %s" % json.dumps(STARTUP_DRA_AUTO_IMPORT),
                )
            )
    return problems


def parse_config_text(text, source="the rendered cluster configuration"):
    try:
        config = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise ClusterConfigError("%s is not valid YAML: %s" % (source, err)) from None
    if not isinstance(config, dict):
        raise ClusterConfigError("%s is not a YAML mapping" % source)
    return config


def render_cluster_config(inputs, template_path):
    """Check ``inputs``, render the template and check the result: ``(text, parsed config)``.

    Raises :class:`ClusterConfigError` with every input problem, or with every startup-association problem of the
    render (a template that adds or changes startup associations is refused).
    """
    context = render_context(inputs)
    text = render_text(context, template_path)
    config = parse_config_text(text)
    problems = startup_association_problems(config, context["fsx"]["startup_associations"][0]["data_repository_path"])
    if problems:
        raise ClusterConfigError(
            problems_message("The rendered cluster configuration (%s)" % template_path, problems), problems
        )
    return text, config
