"""`make sandbox-up` / `make sandbox-down`: a background sandbox that clients reach through .sandbox/env."""

import os
import subprocess
import time
from pathlib import Path

import boto3

from sandbox.server import read_env_file

REPO = Path(__file__).resolve().parents[2]


def process_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "Z" not in Path(f"/proc/{pid}/stat").read_text().split()[2]


def test_sandbox_up_serves_boto3_and_down_leaves_no_process(tmp_path):
    state_dir = tmp_path / "sandbox"
    make = ["make", "--no-print-directory", "-C", str(REPO), f"SANDBOX_DIR={state_dir}"]
    up = subprocess.run(make + ["sandbox-up"], capture_output=True, text=True, timeout=120, check=False)
    assert up.returncode == 0, up.stdout + up.stderr
    pid = int((state_dir / "pid").read_text())
    try:
        env = read_env_file(state_dir / "env")
        assert env["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")
        session = boto3.session.Session(
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
            region_name=env["AWS_DEFAULT_REGION"],
        )
        s3 = session.client("s3", endpoint_url=env["AWS_ENDPOINT_URL"])
        s3.create_bucket(Bucket="sandbox-up-check", CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
        assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["sandbox-up-check"]
        fsx = session.client("fsx", endpoint_url=env["AWS_ENDPOINT_URL"])
        assert fsx.describe_data_repository_associations()["Associations"] == []
    finally:
        down = subprocess.run(make + ["sandbox-down"], capture_output=True, text=True, timeout=60, check=False)
    assert down.returncode == 0, down.stdout + down.stderr
    deadline = time.monotonic() + 10
    while process_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not process_alive(pid), f"sandbox process {pid} still running after sandbox-down"
    assert not (state_dir / "pid").exists()
