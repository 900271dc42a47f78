"""Least-privilege IAM policies of the operator playbooks (catalog/iam/<playbook>.json), generated from the sandbox's
audit log of real playbook runs (tests/integration/test_iam_policies.py records them and calls this module).

    DAYEC_IAM_REGENERATE=1 pytest -q tests/integration/test_iam_policies.py    # rewrite catalog/iam/*.json

Each audit entry ({"service": SigV4 service name, "operation": API operation, "user_agent", "bucket" for S3}) is one
AWS call. Only the operator's own calls count, the ones Ansible makes (see is_operator_call): the calls of the
sandbox's ``pcluster`` stand-in are the ParallelCluster CLI's, whose permissions are AWS's published policies for the
``pcluster`` user (attached next to these, catalog/iam/README.md), and the Dewey service's HEADs are made with
Dewey's own credentials. Calls that need no permission (sts:GetCallerIdentity) are left out.

An operation is usually the action ``<service>:<Operation>``; the exceptions (S3's REST operations, AWS Budgets'
View/Modify actions) are in ACTIONS. Resources are scoped where the Service Authorization Reference allows it:
FSx changes to file systems tagged by ParallelCluster, SSM commands to head nodes (tag
parallelcluster:node-type=HeadNode) with the AWS-RunShellScript document, budgets named daylily-*, CloudFormation
stacks, S3 to the role buckets the playbook touched (placeholders DAYLILY_<ROLE>_BUCKET that the operator replaces,
see catalog/iam/README.md). Actions without resource-level permissions get "Resource": "*"; no action is a wildcard.
"""

import json
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CATALOG = REPO / "catalog" / "iam"
VERSION = "2012-10-17"
REGENERATE = "DAYEC_IAM_REGENERATE=1 pytest -q tests/integration/test_iam_policies.py"

# The SigV4 signing names whose IAM service prefix differs.
SERVICE_PREFIXES = {"monitoring": "cloudwatch", "email": "ses", "execute-api": "apigateway"}
# What the user agent of every Ansible AWS call holds (amazon.aws's module_utils and this collection's add it).
OPERATOR_USER_AGENT = "APN/1.0 Ansible/"
# Calls every principal may make: no policy grants or denies them.
NO_PERMISSION_NEEDED = {("sts", "GetCallerIdentity")}
BUDGET_READS = (
    "DescribeBudget",
    "DescribeBudgets",
    "DescribeNotificationsForBudget",
    "DescribeSubscribersForNotification",
)
BUDGET_CHANGES = ("CreateBudget", "UpdateBudget", "DeleteBudget", "CreateNotification", "CreateSubscriber")
# Operations authorized by an action of another name (the sandbox names S3 REST calls after their API operation).
ACTIONS = {
    ("s3", "ListObjects"): ("s3:ListBucket",),
    ("s3", "ListObjectsV2"): ("s3:ListBucket",),
    ("s3", "HeadBucket"): ("s3:ListBucket",),
    ("s3", "HeadObject"): ("s3:GetObject",),
    ("s3", "CopyObject"): ("s3:GetObject", "s3:PutObject"),
    ("s3", "UploadPartCopy"): ("s3:GetObject", "s3:PutObject"),
    ("s3", "CreateMultipartUpload"): ("s3:PutObject",),
    ("s3", "UploadPart"): ("s3:PutObject",),
    ("s3", "CompleteMultipartUpload"): ("s3:PutObject",),
    ("s3", "DeleteObjects"): ("s3:DeleteObject",),
    # AWS Budgets authorizes its reads with ViewBudget and every change with ModifyBudget
    **{("budgets", operation): ("budgets:ViewBudget",) for operation in BUDGET_READS},
    **{("budgets", operation): ("budgets:ModifyBudget",) for operation in BUDGET_CHANGES},
}
# Services whose create calls authorize the tags they carry ("Tags" in the request) with the TagResource action too
# (FSx: "Grant permission to tag resources during creation" of the FSx for Lustre User Guide).
TAG_ON_CREATE = {"fsx": "fsx:TagResource"}
# Where an action's resources can be named (Service Authorization Reference). Each entry: the statement's Sid
# suffix, its resources and its condition; an action not listed here supports no resource-level permission.
PARALLELCLUSTER_TAGGED = {"StringLike": {"aws:ResourceTag/parallelcluster:cluster-name": "*"}}
FSX_FILE_SYSTEM = ("FileSystems", ["arn:aws:fsx:*:*:file-system/*"], PARALLELCLUSTER_TAGGED)
FSX_ASSOCIATIONS = ("Associations", ["arn:aws:fsx:*:*:association/*"], None)
FSX_TASKS = ("Tasks", ["arn:aws:fsx:*:*:task/*"], None)
SCOPES = {
    "fsx:CreateDataRepositoryAssociation": (FSX_FILE_SYSTEM, FSX_ASSOCIATIONS),
    "fsx:UpdateDataRepositoryAssociation": (FSX_ASSOCIATIONS,),
    "fsx:DeleteDataRepositoryAssociation": (FSX_ASSOCIATIONS,),
    "fsx:CreateDataRepositoryTask": (FSX_FILE_SYSTEM, FSX_TASKS),
    "fsx:CancelDataRepositoryTask": (FSX_TASKS,),
    "fsx:TagResource": (FSX_FILE_SYSTEM, FSX_ASSOCIATIONS, FSX_TASKS),
    "fsx:UntagResource": (FSX_ASSOCIATIONS, FSX_TASKS),
    "ssm:SendCommand": (
        (
            "HeadNodes",
            ["arn:aws:ec2:*:*:instance/*"],
            {"StringEquals": {"aws:ResourceTag/parallelcluster:node-type": "HeadNode"}},
        ),
        ("RunShellScript", ["arn:aws:ssm:*::document/AWS-RunShellScript"], None),
    ),
    "budgets:ViewBudget": (("Daylily", ["arn:aws:budgets::*:budget/daylily-*"], None),),
    "budgets:ModifyBudget": (("Daylily", ["arn:aws:budgets::*:budget/daylily-*"], None),),
    "cloudformation:DescribeStacks": (("Stacks", ["arn:aws:cloudformation:*:*:stack/*/*"], None),),
    "cloudformation:DescribeStackResources": (("Stacks", ["arn:aws:cloudformation:*:*:stack/*/*"], None),),
}
S3_BUCKET_ACTIONS = {"s3:ListBucket", "s3:GetBucketLocation", "s3:GetBucketVersioning", "s3:CreateBucket"}


def is_operator_call(entry):
    """A call the operator's credentials make: one by Ansible (this collection's modules, connection and inventory
    plugin, amazon.aws's; each names Ansible in its user agent), not an injected fault, not one needing no
    permission. The sandbox's other callers are the ParallelCluster CLI stand-in and the Dewey service."""
    return (
        OPERATOR_USER_AGENT in entry.get("user_agent", "")
        and "fault" not in entry
        and (entry["service"], entry["operation"]) not in NO_PERMISSION_NEEDED
    )


def actions_of(entry):
    """The IAM actions that authorize one audited call (a create carrying tags needs the tagging action too)."""
    service, operation = entry["service"], entry["operation"]
    actions = ACTIONS.get((service, operation), (f"{SERVICE_PREFIXES.get(service, service)}:{operation}",))
    if service in TAG_ON_CREATE and (entry.get("request") or {}).get("Tags"):
        actions += (TAG_ON_CREATE[service],)
    return actions


def operator_actions(audit):
    """{IAM action} of an audit log."""
    return {action for entry in audit if is_operator_call(entry) for action in actions_of(entry)}


def s3_access(audit, bucket_roles):
    """{IAM action: {bucket placeholder}} of the S3 calls of an audit log; ``bucket_roles`` names each bucket's role
    ({"day-export": "export"}), a bucket without one is a DAYLILY_OTHER_BUCKET."""
    found = {}
    for entry in audit:
        if entry["service"] != "s3" or not is_operator_call(entry) or not entry.get("bucket"):
            continue
        role = bucket_roles.get(entry["bucket"], "other")
        for action in actions_of(entry):
            found.setdefault(action, set()).add(f"DAYLILY_{role.upper()}_BUCKET")
    return found


def policy(actions, s3_buckets=None):
    """The policy document granting ``actions``: one statement per scope, unscoped actions together on "*"."""
    statements, unscoped, s3_buckets = {}, set(), s3_buckets or {}
    for action in sorted(actions):
        if action.startswith("s3:"):
            buckets = sorted(s3_buckets.get(action, {"DAYLILY_OTHER_BUCKET"}))
            if action in S3_BUCKET_ACTIONS:
                resources = [f"arn:aws:s3:::{bucket}" for bucket in buckets]
            else:
                resources = [f"arn:aws:s3:::{bucket}/*" for bucket in buckets]
            scopes = ((action.split(":")[1], resources, None),)
        elif action in SCOPES:
            scopes = SCOPES[action]
        else:
            unscoped.add(action)
            continue
        for name, resources, condition in scopes:
            service = action.split(":")[0]
            key = (
                f"{service.upper() if service == 's3' else service.capitalize()}{name}",
                tuple(resources),
                json.dumps(condition, sort_keys=True),
            )
            statements.setdefault(key, set()).add(action)
    documents = []
    if unscoped:
        documents.append(
            {"Sid": "NoResourceLevelPermissions", "Effect": "Allow", "Action": sorted(unscoped), "Resource": "*"}
        )
    for (sid, resources, condition), granted in sorted(statements.items()):
        statement = {"Sid": sid, "Effect": "Allow", "Action": sorted(granted), "Resource": list(resources)}
        if json.loads(condition):
            statement["Condition"] = json.loads(condition)
        documents.append(statement)
    return {"Version": VERSION, "Statement": documents}


def granted_actions(document):
    """{action} every statement of a policy document allows."""
    found = set()
    for statement in document["Statement"]:
        if statement["Effect"] == "Allow":
            actions = statement["Action"]
            found.update([actions] if isinstance(actions, str) else actions)
    return found


def statements_of(document):
    """{(action, resource, condition as JSON)} a policy document allows."""
    found = set()
    for statement in document["Statement"]:
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        condition = json.dumps(statement.get("Condition"), sort_keys=True)
        found.update((action, resource, condition) for action in statement["Action"] for resource in resources)
    return found


def missing_grants(generated, directory=CATALOG):
    """What the policies generated from a run ({playbook: document}) grant and the committed ones do not: one line
    per playbook, action and resource."""
    missing = []
    for playbook, document in sorted(generated.items()):
        path = directory / f"{playbook}.json"
        committed = statements_of(json.loads(path.read_text(encoding="utf-8"))) if path.exists() else set()
        missing += [
            f"playbooks/{playbook}.yml used {action} on {resource}"
            + ("" if condition == "null" else f" with {condition}")
            + f", which {path.name} in {directory} does not grant"
            for action, resource, condition in sorted(statements_of(document) - committed)
        ]
    return missing


def write_policies(policies, directory=CATALOG):
    directory.mkdir(parents=True, exist_ok=True)
    for playbook, document in sorted(policies.items()):
        (directory / f"{playbook}.json").write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
