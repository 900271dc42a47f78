"""One AWS noun per file: no Python file under plugins/ calls the API of more than one AWS service (issue 9).

A file's services are found from the boto3 method names it calls (``client.describe_stacks(...)``) and the operation
names it passes to a paginator (``paginated_query_with_retries(client, "describe_instances", ...)``,
``client.get_paginator("list_objects_v2")``). A name two services share (``tag_resource``) says nothing and is
ignored. A file that needs a second service calls that service's module_utils functions instead.
"""

import ast
from collections import defaultdict
from pathlib import Path

import boto3
import pytest

PLUGINS = Path(__file__).resolve().parents[2] / "plugins"
SOURCES = sorted(PLUGINS.rglob("*.py"))
# Every AWS service the collection talks to.
SERVICES = ("fsx", "s3", "ssm", "ec2", "sts", "pricing", "cloudformation", "budgets", "iam", "service-quotas")
PAGINATED_CALLERS = ("paginated_query_with_retries", "get_paginator")


def _services_by_method():
    owners = defaultdict(set)
    for service in SERVICES:
        client = boto3.client(service, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
        for method in client.meta.method_to_api_mapping:
            owners[method].add(service)
    return {method: next(iter(found)) for method, found in owners.items() if len(found) == 1}


SERVICE_OF = _services_by_method()


def _called_operations(tree):
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if isinstance(func, ast.Attribute):
            yield node.lineno, func.attr
        if name in PAGINATED_CALLERS:
            for arg in node.args:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    yield node.lineno, arg.value


def services_called(source, filename="<plugin>"):
    """{service: sorted operations} for the AWS services whose API ``source`` calls."""
    found = defaultdict(set)
    for _line, operation in _called_operations(ast.parse(source, filename=filename)):
        if operation in SERVICE_OF:
            found[SERVICE_OF[operation]].add(operation)
    return {service: sorted(operations) for service, operations in found.items()}


@pytest.mark.parametrize(
    "source, services",
    [
        ("client.describe_stacks(StackName=n)", {"cloudformation": ["describe_stacks"]}),
        (
            "paginated_query_with_retries(client, 'describe_instances', r)\nclient.get_caller_identity()",
            {"ec2": ["describe_instances"], "sts": ["get_caller_identity"]},
        ),
        ("client.get_paginator('list_objects_v2')", {"s3": ["list_objects_v2"]}),
        ("client.tag_resource(ResourceARN=a, Tags=t)", {}),
        ("cloudformation.describe_cluster_stack(client, name)", {}),
    ],
)
def test_the_check_finds_each_service_a_file_calls(source, services):
    assert services_called(source) == services


@pytest.mark.parametrize("path", SOURCES, ids=[str(path.relative_to(PLUGINS)) for path in SOURCES])
def test_no_plugin_file_calls_more_than_one_aws_service(path):
    services = services_called(path.read_text(encoding="utf-8"), filename=str(path))
    assert len(services) <= 1, (
        f"{path.relative_to(PLUGINS)} calls the API of {len(services)} services {services}: keep one noun per file "
        "and call the other services through their module_utils functions"
    )
