"""Secrets that must never show: distinctive AWS credentials and the Dewey token, and where to look for them.

A test runs playbooks with :data:`SECRET_ENVIRONMENT` (the sandbox accepts any keys), then hands every place an
operator or a log collector could read to :func:`assert_no_secret`: stdout and stderr at -vvvv, every file under the
output directories, every S3 object, the sandbox's audit log and Dewey's request record.
"""

import json
from pathlib import Path

from testlib.dewey import TOKEN

ACCESS_KEY_ID = "AKIASANDBOXLEAK7Q2XZ"
SECRET_ACCESS_KEY = "sandbox-secret-access-key-6b1f0e9d4c"
SESSION_TOKEN = "sandbox-session-token-93c2aa51e0b7"
SECRET_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": ACCESS_KEY_ID,
    "AWS_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
    "AWS_SESSION_TOKEN": SESSION_TOKEN,
}
SECRETS = {
    "AWS access key id": ACCESS_KEY_ID,
    "AWS secret access key": SECRET_ACCESS_KEY,
    "AWS session token": SESSION_TOKEN,
    "Dewey token": TOKEN,
}


def files_under(*directories):
    """(path, text) of every regular file under the directories (binary files decoded with replacement)."""
    for directory in directories:
        for path in sorted(Path(directory).rglob("*")):
            if path.is_file() and not path.is_symlink():
                yield str(path), path.read_bytes().decode("utf-8", "replace")


def s3_bodies(s3):
    """(s3://bucket/key, text) of every object in the sandbox S3."""
    for bucket in (entry["Name"] for entry in s3.list_buckets()["Buckets"]):
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for entry in page.get("Contents", []):
                body = s3.get_object(Bucket=bucket, Key=entry["Key"])["Body"].read()
                yield f"s3://{bucket}/{entry['Key']}", body.decode("utf-8", "replace")


def audit_text(sandbox):
    return [("the sandbox audit log", json.dumps(sandbox.audit()))]


def assert_no_secret(places):
    """`places`: (where, text) pairs; fails naming every secret found and where."""
    leaks = [
        f"{name} in {where}" for where, text in places for name, secret in SECRETS.items() if secret in (text or "")
    ]
    assert not leaks, "secrets leaked: " + "; ".join(leaks)
