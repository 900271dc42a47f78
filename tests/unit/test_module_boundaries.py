"""Every AWS call of a module goes through a module_utils service function: no file under plugins/modules/ calls a
boto3 client method itself (``client.describe_x(...)``, ``self.client.put_object(...)``, ``.get_paginator(...)``).

The service functions are where retries, error handlers and hints live (one per AWS noun, like amazon.aws's
module_utils/iam.py); a module that calls boto3 directly bypasses them.
"""

import ast
from pathlib import Path

import boto3
import pytest

MODULES = sorted((Path(__file__).resolve().parents[2] / "plugins" / "modules").glob("*.py"))
# Names a boto3 client goes by in this collection: anything ending in "client", and the bare service names.
SERVICE_NAMES = ("fsx", "s3", "ssm", "ec2", "sts", "pricing", "cloudformation")
# The methods of those services' boto3 clients (an HTTP client with a method of its own, such as Dewey's, is not one).
BOTO3_METHODS = frozenset(
    method
    for service in SERVICE_NAMES
    for method in boto3.client(
        service, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    ).meta.method_to_api_mapping
) | {"get_paginator", "get_waiter"}


def receiver_name(node):
    """The last name of the object a method is called on: ``client`` in ``self.client.x()``, ``client`` for
    ``module.client("s3").x()``; None for others."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def direct_client_calls(source, filename="<module>"):
    """``line: call`` for every boto3 client method call in ``source`` (imported modules, such as a service layer
    imported as ``fsx``, are not clients)."""
    tree = ast.parse(source, filename=filename)
    imported = {
        alias.asname or alias.name.split(".")[-1]
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names
    }
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        method = node.func.attr
        name = receiver_name(node.func.value) or ""
        is_client = name not in imported and (name.lower().endswith("client") or name.lower() in SERVICE_NAMES)
        if method == "get_paginator" or (is_client and method in BOTO3_METHODS):
            found.append(f"{node.lineno}: {ast.unparse(node.func)}(...)")
    return found


@pytest.mark.parametrize(
    "source, calls",
    [
        ("client.describe_file_systems(FileSystemIds=[x])", ["1: client.describe_file_systems(...)"]),
        ("self.client.create_data_repository_task(**r)", ["1: self.client.create_data_repository_task(...)"]),
        ("s3_client.put_object(Bucket=b)", ["1: s3_client.put_object(...)"]),
        ("ssm.send_command(InstanceIds=[i])", ["1: ssm.send_command(...)"]),
        ("module.client('s3').list_objects_v2(Bucket=b)", ["1: module.client('s3').list_objects_v2(...)"]),
        ("pages = thing.get_paginator('list_objects_v2')", ["1: thing.get_paginator(...)"]),
        ("client = module.client('fsx', retry_decorator=r)", []),
        ("fsx.describe_data_repository_tasks(FileSystemIds=[x])", ["1: fsx.describe_data_repository_tasks(...)"]),
        ("from m import fsx\nfsx.describe_associations(client, file_system_id=x)", []),
        ("describe_associations(client, file_system_id=x)", []),
        ("dewey_client.register('analysis', body, key)", []),
        ("associations.describe(client, association_id)", []),
    ],
)
def test_the_check_finds_direct_calls(source, calls):
    assert direct_client_calls(source) == calls


@pytest.mark.parametrize("path", MODULES, ids=[path.name for path in MODULES])
def test_modules_make_aws_calls_only_through_module_utils(path):
    calls = direct_client_calls(path.read_text(encoding="utf-8"), filename=str(path))
    assert calls == [], f"{path.name} calls boto3 directly; move these into a module_utils service function: {calls}"
