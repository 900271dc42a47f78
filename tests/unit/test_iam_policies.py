"""The committed least-privilege policies (catalog/iam/<playbook>.json) are IAM policy documents that grant named
actions only, one per operator playbook; and the generator (tests/tools/iam_policies.py) maps audited calls to the
actions that authorize them. tests/integration/test_iam_policies.py checks them against real playbook runs."""

import json
import re

import pytest
from tools import iam_policies

from testlib.playbooks import OPERATOR_PLAYBOOKS

POLICIES = sorted(iam_policies.CATALOG.glob("*.json"))
ACTION = re.compile(r"^[a-z0-9-]+:[A-Za-z0-9]+$")  # a service prefix and one action name: no wildcard
CONDITION_OPERATORS = {"StringEquals", "StringLike", "StringNotEquals", "ArnLike", "Null", "Bool"}


def call(service, operation, **fields):
    """An audit entry of a call this collection made."""
    user_agent = "APN/1.0 Ansible/2.21.5 daylily.ephemeral_cluster/1.0.0 Botocore/1.44.8"
    return dict({"service": service, "operation": operation, "user_agent": user_agent}, **fields)


def test_there_is_one_policy_per_operator_playbook():
    assert [path.stem for path in POLICIES] == sorted(path.stem for path in OPERATOR_PLAYBOOKS.glob("*.yml"))


@pytest.mark.parametrize("path", POLICIES, ids=[path.stem for path in POLICIES])
def test_each_policy_is_an_iam_policy_document_granting_named_actions_only(path):
    document = json.loads(path.read_text(encoding="utf-8"))
    assert set(document) == {"Version", "Statement"} and document["Version"] == "2012-10-17"
    assert isinstance(document["Statement"], list) and document["Statement"]
    sids = [statement["Sid"] for statement in document["Statement"]]
    assert len(sids) == len(set(sids)) and all(re.fullmatch(r"[A-Za-z0-9]+", sid) for sid in sids), sids
    for statement in document["Statement"]:
        assert set(statement) <= {"Sid", "Effect", "Action", "Resource", "Condition"}, statement
        assert statement["Effect"] == "Allow"
        assert statement["Action"] and all(ACTION.match(action) for action in statement["Action"]), statement
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        assert all(resource == "*" or resource.startswith("arn:aws:") for resource in resources), statement
        assert set(statement.get("Condition", {})) <= CONDITION_OPERATORS, statement


def test_a_wildcard_action_is_not_a_valid_policy_action():
    """The pattern the policies are checked with refuses what must never be granted."""
    assert not any(ACTION.match(action) for action in ("*", "s3:*", "fsx:Describe*", "ssm:Send*"))


def test_lifecycle_grants_what_each_of_its_steps_grants():
    def grants(name):
        document = json.loads((iam_policies.CATALOG / f"{name}.json").read_text(encoding="utf-8"))
        return iam_policies.granted_actions(document)

    lifecycle = grants("lifecycle")
    for step in ("preflight", "create", "stage_samples", "launch", "export", "register", "delete"):
        assert grants(step) <= lifecycle, step


@pytest.mark.parametrize(
    ("service", "operation", "actions"),
    [
        ("s3", "ListObjectsV2", {"s3:ListBucket"}),
        ("s3", "HeadObject", {"s3:GetObject"}),
        ("s3", "CopyObject", {"s3:GetObject", "s3:PutObject"}),
        ("s3", "CompleteMultipartUpload", {"s3:PutObject"}),
        ("budgets", "CreateBudget", {"budgets:ModifyBudget"}),
        ("budgets", "DescribeBudget", {"budgets:ViewBudget"}),
        ("ssm", "GetCommandInvocation", {"ssm:GetCommandInvocation"}),
        ("fsx", "DescribeFileSystems", {"fsx:DescribeFileSystems"}),
        ("monitoring", "GetMetricData", {"cloudwatch:GetMetricData"}),
    ],
)
def test_an_audited_call_maps_to_the_action_that_authorizes_it(service, operation, actions):
    assert iam_policies.operator_actions([call(service, operation)]) == actions


def test_faults_and_calls_needing_no_permission_grant_nothing():
    audit = [call("sts", "GetCallerIdentity"), call("fsx", "CreateBackup", fault="ThrottlingException")]
    assert iam_policies.operator_actions(audit) == set()


def test_calls_of_the_pcluster_cli_and_of_dewey_are_not_the_operators():
    """The sandbox's pcluster stand-in and the Dewey service call AWS with a plain boto3 user agent."""
    audit = [call("cloudformation", "CreateStack", user_agent="Boto3/1.40.18 md/Botocore#1.44.18")]
    assert iam_policies.operator_actions(audit) == set()
    assert iam_policies.operator_actions([call("cloudformation", "DescribeStacks")]) == {
        "cloudformation:DescribeStacks"
    }


def test_commands_go_to_head_nodes_with_the_run_shell_script_document_only():
    document = iam_policies.policy({"ssm:SendCommand", "ssm:GetCommandInvocation"})
    by_sid = {statement["Sid"]: statement for statement in document["Statement"]}
    assert by_sid["SsmHeadNodes"]["Condition"] == {
        "StringEquals": {"aws:ResourceTag/parallelcluster:node-type": "HeadNode"}
    }
    assert by_sid["SsmRunShellScript"]["Resource"] == ["arn:aws:ssm:*::document/AWS-RunShellScript"]
    assert by_sid["NoResourceLevelPermissions"]["Action"] == ["ssm:GetCommandInvocation"]


def test_s3_access_is_scoped_to_the_role_buckets_the_calls_named():
    audit = [call("s3", "ListObjectsV2", bucket="day-export"), call("s3", "GetObject", bucket="day-ref")]
    access = iam_policies.s3_access(audit, {"day-export": "export", "day-ref": "reference"})
    document = iam_policies.policy(iam_policies.operator_actions(audit), access)
    resources = {statement["Action"][0]: statement["Resource"] for statement in document["Statement"]}
    assert resources == {
        "s3:ListBucket": ["arn:aws:s3:::DAYLILY_EXPORT_BUCKET"],
        "s3:GetObject": ["arn:aws:s3:::DAYLILY_REFERENCE_BUCKET/*"],
    }


def test_fsx_changes_are_limited_to_file_systems_parallelcluster_tagged():
    document = iam_policies.policy({"fsx:CreateDataRepositoryTask"})
    (file_systems,) = [s for s in document["Statement"] if s["Sid"] == "FsxFileSystems"]
    assert file_systems["Resource"] == ["arn:aws:fsx:*:*:file-system/*"]
    assert file_systems["Condition"] == {"StringLike": {"aws:ResourceTag/parallelcluster:cluster-name": "*"}}


def test_a_playbook_calling_what_its_policy_lacks_is_named_with_the_action(tmp_path):
    """The integration check's comparison, on a made-up run: export.yml starting to back up file systems."""
    committed = iam_policies.policy({"fsx:CreateDataRepositoryTask", "fsx:DescribeFileSystems"})
    iam_policies.write_policies({"export": committed}, tmp_path)
    generated = iam_policies.policy({"fsx:CreateDataRepositoryTask", "fsx:DescribeFileSystems", "fsx:CreateBackup"})
    assert iam_policies.missing_grants({"export": generated}, tmp_path) == [
        f"playbooks/export.yml used fsx:CreateBackup on *, which export.json in {tmp_path} does not grant"
    ]
    assert iam_policies.missing_grants({"export": committed}, tmp_path) == []


def test_a_bucket_the_policy_does_not_name_is_missing_too(tmp_path):
    roles = {"day-export": "export", "day-stage": "stage"}
    exported = [call("s3", "PutObject", bucket="day-export")]
    iam_policies.write_policies(
        {"export": iam_policies.policy({"s3:PutObject"}, iam_policies.s3_access(exported, roles))}, tmp_path
    )
    both = exported + [call("s3", "PutObject", bucket="day-stage")]
    generated = iam_policies.policy({"s3:PutObject"}, iam_policies.s3_access(both, roles))
    (line,) = iam_policies.missing_grants({"export": generated}, tmp_path)
    assert line.startswith("playbooks/export.yml used s3:PutObject on arn:aws:s3:::DAYLILY_STAGE_BUCKET/*")


def test_defect_22_an_fsx_create_carrying_tags_needs_tag_resource_and_untagging_is_scoped():
    """FSx authorizes the tags of a create (the import task's daylily:import-pending marker, a mount's lsmc:purpose)
    with fsx:TagResource; the marker's removal is fsx:UntagResource, on associations and tasks, never on "*"."""
    tagged = call(
        "fsx", "CreateDataRepositoryTask", request={"Tags": [{"Key": "daylily:import-pending", "Value": "t"}]}
    )
    assert iam_policies.operator_actions([tagged]) == {"fsx:CreateDataRepositoryTask", "fsx:TagResource"}
    untagged = call("fsx", "CreateDataRepositoryTask", request={"Type": "EXPORT_TO_REPOSITORY"})
    assert iam_policies.operator_actions([untagged]) == {"fsx:CreateDataRepositoryTask"}
    document = iam_policies.policy({"fsx:UntagResource"})
    assert {resource for statement in document["Statement"] for resource in statement["Resource"]} == {
        "arn:aws:fsx:*:*:association/*",
        "arn:aws:fsx:*:*:task/*",
    }


# What recovering a MISCONFIGURED association calls (fsx_dra state=present: the re-check, the import-pending marker
# on the association, the listing import tagged with it, its wait, the marker's removal).
RECOVERY = {
    "fsx:UpdateDataRepositoryAssociation",
    "fsx:CreateDataRepositoryTask",
    "fsx:DescribeDataRepositoryTasks",
    "fsx:TagResource",
    "fsx:UntagResource",
}


@pytest.mark.parametrize("playbook", ["mount_run", "stage_samples", "lifecycle"])
def test_defect_22_playbooks_attaching_an_association_grant_its_recovery_from_misconfigured(playbook):
    document = json.loads((iam_policies.CATALOG / f"{playbook}.json").read_text(encoding="utf-8"))
    assert RECOVERY <= iam_policies.granted_actions(document), sorted(RECOVERY - iam_policies.granted_actions(document))
