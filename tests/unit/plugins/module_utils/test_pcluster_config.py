"""The ParallelCluster cluster config: inputs checked before any AWS call (every problem at once), the render loaded
by ParallelCluster's own schema across the variable matrix, and invariant 2 (one startup DRA, /references/)."""

import pytest
import yaml

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import pcluster
from testlib.pcluster import schema_errors

BASE = {
    "region": "us-west-2",
    "headnode_subnet_id": "subnet-0123456789abcdef0",
    "compute_subnet_ids": ["subnet-0123456789abcdef1"],
    "reference_s3_uri": "s3://dayec-reference",
}
POST_INSTALL = "s3://dayec-reference/runtime_assets/cluster_boot_config/post_install_ubuntu_combined.sh"

# Cluster name -> the inputs besides BASE: every option of the render, each value of every choice at least once.
MATRIX = {
    "defaults-only": {},
    "retain-2400": {"fsx_storage_capacity": 2400, "fsx_deletion_policy": "Retain"},
    "persistent-4800": {
        "fsx_deployment_type": "PERSISTENT_2",
        "fsx_storage_capacity": 4800,
        "fsx_per_unit_storage_throughput": 250,
        "headnode_instance_type": "r7i.4xlarge",
    },
    "all-on-demand": {
        "queues": [
            {"name": "od8", "capacity_type": "ONDEMAND", "instance_types": ["m7i.2xlarge"], "max_count": 2},
            {
                "name": "od192",
                "capacity_type": "ONDEMAND",
                "instance_types": ["m7i.48xlarge", "c7i.48xlarge"],
                "max_count": 1,
                "allocation_strategy": "prioritized",
            },
        ]
    },
    "mixed-fleet": {
        "fsx_storage_capacity": 7200,
        "queues": [
            {
                "name": "i8",
                "instance_types": ["m7i.2xlarge", "m6i.2xlarge"],
                "max_count": 10,
                "min_count": 1,
                "spot_price": 0.62,
            },
            {
                "name": "i192",
                "capacity_type": "SPOT",
                "instance_types": ["m7i.48xlarge"],
                "max_count": 3,
                "allocation_strategy": "capacity-optimized",
            },
            {"name": "ondemand", "capacity_type": "ONDEMAND", "instance_types": ["r7i.48xlarge"], "max_count": 1},
        ],
    },
    "bootstrapped": {
        "bootstrap": {
            "on_node_start": {"script": "https://example.invalid/start.sh"},
            "on_node_configured": {"script": POST_INSTALL, "args": ["--region", "us-west-2", "--flag"]},
        }
    },
    "buckets-policies": {
        "reference_s3_uri": "s3://dayec-reference/omics/refs",
        "s3_read_only_buckets": ["dayec-control", "dayec-staging", "dayec-reference"],
        "s3_writable_buckets": ["dayec-analysis"],
        "additional_iam_policies": ["arn:aws:iam::123456789012:policy/pclusterTagsAndBudget"],
    },
    "operator-extras": {
        "headnode_instance_type": "r7i.16xlarge",
        "headnode_root_volume_gib": 500,
        "os": "ubuntu2404",
        "ssh_key_name": "ops-key",
        "custom_ami": "ami-0123456789abcdef0",
        "project": "giab-batch-7",
        "tags": {
            "aws-parallelcluster-username": "johnm",
            "aws-parallelcluster-enforce-budget": True,
            "aws-parallelcluster-jobid": 42,
            "cost-center": "omics",
        },
    },
    "govcloud-ssm": {
        "region": "us-gov-west-1",
        "fsx_storage_capacity": 9600,
        "compute_subnet_ids": ["subnet-0123456789abcdef1", "subnet-0123456789abcdef2"],
    },
}

# Renders ParallelCluster's schema must refuse, with its own message: (cluster name, inputs, edit of the text).
BROKEN = {
    "broken-deployment": ('DeploymentType: "SCRATCH_2"', 'DeploymentType: "SCRATCH_9"'),
    "broken-maxcount": ("MaxCount: 8", "MaxCount: eight"),
}


def _inputs(name, extra):
    return dict(BASE, cluster_name=name, **extra)


@pytest.fixture(scope="module")
def rendered():
    """Every render of the matrix and the broken edits, with ParallelCluster's verdict (one pcluster interpreter)."""
    texts = {name: pcluster.render_cluster_config(_inputs(name, extra))[0] for name, extra in MATRIX.items()}
    for name, (good, bad) in BROKEN.items():
        text = texts["defaults-only"]
        assert good in text
        texts[name] = text.replace(good, bad, 1)
    return texts, schema_errors(texts)


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_every_render_of_the_matrix_loads_in_parallelclusters_schema(rendered, name):
    texts, verdicts = rendered
    assert verdicts[name] == [], texts[name]


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_invariant_02_every_render_has_exactly_the_references_startup_dra(rendered, name):
    config = yaml.safe_load(rendered[0][name])
    (storage,) = config["SharedStorage"]
    assert storage["MountDir"] == "/fsx" and storage["StorageType"] == "FsxLustre"
    (association,) = storage["FsxLustreSettings"]["DataRepositoryAssociations"]
    reference = MATRIX[name].get("reference_s3_uri", BASE["reference_s3_uri"])
    assert association == {
        "Name": "references",
        "FileSystemPath": "/references/",
        "DataRepositoryPath": reference.rstrip("/") + "/",
        "BatchImportMetaDataOnCreate": True,
        "AutoImportPolicy": ["NEW", "CHANGED", "DELETED"],
    }


def test_a_broken_config_fails_with_the_schemas_own_message(rendered):
    verdicts = rendered[1]
    assert verdicts["broken-deployment"] == [
        "[('SharedStorage', {0: {'FsxLustreSettings': {'DeploymentType': "
        "['Must be one of: SCRATCH_1, SCRATCH_2, PERSISTENT_1, PERSISTENT_2.']}}})]"
    ]
    assert verdicts["broken-maxcount"] == [
        "[('Scheduling', {'SlurmQueues': {0: {'ComputeResources': {0: {'MaxCount': ['Not a valid integer.']}}}}})]"
    ]


def test_decisions_are_made_in_python_not_in_the_template():
    _text, config = pcluster.render_cluster_config(_inputs("decisions", MATRIX["operator-extras"]))
    head = config["HeadNode"]
    assert head["Iam"]["AdditionalIamPolicies"][0] == {"Policy": "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"}
    assert head["Iam"]["S3Access"] == [{"BucketName": "dayec-reference", "EnableWriteAccess": False}]
    tags = {tag["Key"]: tag["Value"] for tag in config["Tags"]}
    assert tags == {
        "aws-parallelcluster-clustername": "decisions",
        "aws-parallelcluster-project": "giab-batch-7",
        "aws-parallelcluster-username": "johnm",
        "aws-parallelcluster-enforce-budget": "true",
        "aws-parallelcluster-jobid": "42",
        "cost-center": "omics",
    }
    assert [queue["Name"] for queue in config["Scheduling"]["SlurmQueues"]] == ["i8", "i128", "i192", "i192mem"]
    assert {queue["CapacityType"] for queue in config["Scheduling"]["SlurmQueues"]} == {"SPOT"}
    gov = pcluster.render_cluster_config(_inputs("govssm", MATRIX["govcloud-ssm"]))[1]
    assert gov["HeadNode"]["Iam"]["AdditionalIamPolicies"][0]["Policy"].startswith("arn:aws-us-gov:iam::aws:policy/")


@pytest.mark.parametrize("name", ["dayec", "a" * 25, "Day-1-cluster"])
def test_cluster_names_within_the_rule_are_accepted(name):
    assert pcluster.input_problems(_inputs(name, {})) == []


@pytest.mark.parametrize(
    "name, problem",
    [
        ("dyec", "'dyec' has 4 characters"),
        ("a" * 26, "has 26 characters"),
        ("1cluster", "has characters a cluster name cannot have"),
        ("day_cluster", "has characters a cluster name cannot have"),
    ],
)
def test_cluster_names_outside_the_rule_are_refused_before_any_aws_call(name, problem):
    (found,) = pcluster.input_problems(_inputs(name, {}))
    assert found.field == "cluster_name" and problem in found.problem


@pytest.mark.parametrize(
    "capacity, allowed",
    [
        (1200, True),
        (2400, True),
        (4800, True),
        (7200, True),
        (24000, True),
        (0, False),
        (1199, False),
        (3600, False),
        (6000, False),
        (-2400, False),
        ("1200", False),
        (True, False),
    ],
)
def test_fsx_storage_is_1200_2400_or_a_multiple_of_2400(capacity, allowed):
    problems = pcluster.input_problems(_inputs("sizes", {"fsx_storage_capacity": capacity}))
    assert [p.field for p in problems] == ([] if allowed else ["fsx_storage_capacity"])


def test_every_problem_of_the_inputs_is_reported_at_once():
    inputs = {
        "cluster_name": "x_1",
        "region": "mars-1",
        "headnode_subnet_id": "sub-1",
        "compute_subnet_ids": [],
        "headnode_instance_type": "t3.micro",
        "fsx_storage_capacity": 3600,
        "fsx_deletion_policy": "Keep",
        "reference_s3_uri": "https://bucket/refs",
        "s3_writable_buckets": ["Bad_Bucket"],
        "queues": [
            {"name": "I8", "instance_types": [], "max_count": 0, "capacity_type": "ONDEMAND", "spot_price": 1},
            {"name": "dup", "instance_types": ["m7i.large"], "max_count": 1},
            {"name": "dup", "instance_types": ["m7i.large"], "max_count": 1, "color": "red"},
        ],
        "bootstrap": {"on_node_configured": {"script": "/local/post_install.sh"}, "on_reboot": {}},
        "tags": {"parallelcluster:version": "3", "aws-parallelcluster-clustername": "other"},
        "additional_iam_policies": ["pclusterTagsAndBudget"],
        "colour": "blue",
    }
    with pytest.raises(pcluster.ClusterConfigError) as raised:
        pcluster.render_cluster_config(inputs)
    fields = [problem.field for problem in raised.value.problems]
    assert fields == [
        "inputs",
        "cluster_name",
        "cluster_name",
        "region",
        "headnode_subnet_id",
        "compute_subnet_ids",
        "headnode_instance_type",
        "fsx_storage_capacity",
        "fsx_deletion_policy",
        "reference_s3_uri",
        "queues[0].name",
        "queues[0].instance_types",
        "queues[0].max_count",
        "queues[0].spot_price",
        "queues[2]",
        "queues[2].name",
        "additional_iam_policies",
        "s3_writable_buckets",
        "bootstrap.on_node_configured.script",
        "bootstrap.on_reboot",
        "tags",
        "tags",
    ]
    message = raised.value.message
    assert message.startswith("The cluster configuration has 22 problems:\n- inputs: have unknown keys colour")
    assert (
        "- headnode_instance_type: is 't3.micro'; expected one of r7i.2xlarge, r7i.4xlarge, r7i.8xlarge, "
        "r7i.16xlarge" in message
    )
    assert (
        "- fsx_storage_capacity: 3600 GiB is not a size FSx for Lustre offers; expected 1200, 2400 or a multiple "
        "of 2400" in message
    )


def test_missing_required_inputs_are_named_together():
    problems = pcluster.input_problems({"cluster_name": "dayec-one"})
    assert [(p.field, p.problem) for p in problems] == [
        ("region", "is missing"),
        ("headnode_subnet_id", "is missing"),
        ("compute_subnet_ids", "is missing"),
        ("reference_s3_uri", "is missing"),
    ]


@pytest.mark.parametrize("region", [0, 12, ["us-west-2"], {"name": "us-west-2"}, True])
def test_defect_23_a_region_that_is_not_text_is_a_problem_not_a_traceback(region):
    """Found by make chaos's 20x fuzzing: region 0 passed the checks (only text was matched against the region
    pattern) and crashed later in ssm_policy_arn with AttributeError."""
    problems = pcluster.input_problems(dict(BASE, cluster_name="dayec-one", region=region))
    assert [(p.field, p.problem) for p in problems] == [("region", "%r is not an AWS region name" % (region,))]
    with pytest.raises(pcluster.ClusterConfigError, match="region"):
        pcluster.render_cluster_config(dict(BASE, cluster_name="dayec-one", region=region), None)


def _template_with(tmp_path, edit):
    text = edit(open(pcluster.default_template_path(), encoding="utf-8").read())
    path = tmp_path / "cluster_config.yaml.j2"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_invariant_02_a_render_with_a_second_startup_dra_is_refused(tmp_path):
    template = _template_with(
        tmp_path,
        lambda text: text.replace(
            "{% endfor %}\nTags:",
            (
                "{% endfor %}\n        - Name: control\n          FileSystemPath: /control_data/\n"
                "          DataRepositoryPath: s3://dayec-control/\nTags:"
            ),
            1,
        ),
    )
    with pytest.raises(pcluster.ClusterConfigError) as raised:
        pcluster.render_cluster_config(_inputs("two-dras", {}), template)
    (problem,) = raised.value.problems
    assert problem.problem == 'the startup associations are on ["/references/", "/control_data/"]'
    assert problem.expected.startswith('exactly ["/references/"]')


def test_invariant_02_a_render_whose_references_dra_drifts_is_refused(tmp_path):
    template = _template_with(
        tmp_path,
        lambda text: (
            text.replace(
                "BatchImportMetaDataOnCreate: {{ association.batch_import_meta_data_on_create | to_json }}",
                "BatchImportMetaDataOnCreate: false",
            )
            .replace("AutoImportPolicy: {{ association.auto_import_policy | to_json }}", "AutoImportPolicy: [NEW]")
            .replace(
                "DataRepositoryPath: {{ association.data_repository_path | to_json }}",
                "DataRepositoryPath: s3://other/",
            )
        ),
    )
    with pytest.raises(pcluster.ClusterConfigError) as raised:
        pcluster.render_cluster_config(_inputs("drifting", {}), template)
    assert [problem.problem for problem in raised.value.problems] == [
        "/references/ reads 's3://other/'",
        "/references/ does not batch-import on create",
        "/references/ auto-imports ['NEW']",
    ]


def test_invariant_02_a_render_without_startup_dra_is_refused(tmp_path):
    template = _template_with(
        tmp_path,
        lambda text: text.replace("{% for association in fsx.startup_associations %}", "{% for association in [] %}"),
    )
    with pytest.raises(pcluster.ClusterConfigError) as raised:
        pcluster.render_cluster_config(_inputs("no-dras", {}), template)
    assert [problem.problem for problem in raised.value.problems] == ["the startup associations are on []"]
