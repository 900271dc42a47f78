"""playbooks/reap.yml as an AWX schedule runs it: through ansible-runner (private data dir, no terminal), with the
pcluster inventory plugin as the inventory source and the AWS credential injected as environment variables only; an
expired cluster with nothing on its FSx is deleted through the gate and the job succeeds."""

import json
import uuid

import pytest

from testlib.clusters import create_cluster
from testlib.clusters import sandbox_inventory
from testlib.pcluster import STANDIN
from testlib.pcluster import require_pcluster_python
from testlib.pcluster import run_pcluster
from testlib.pcluster import seed_account
from testlib.runner import run_with_runner

pytestmark = pytest.mark.integration

CLUSTER = "dayec-reap-runner"


def test_a_scheduled_reap_job_deletes_an_expired_cluster_with_nothing_to_export(sandbox, sandbox_server, aws, tmp_path):
    require_pcluster_python()
    aws("s3").create_bucket(Bucket="dayec-analysis", CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
    create_cluster(tmp_path, seed_account(), CLUSTER, ttl_hours=-1)
    (node,) = sandbox.headnodes()
    inventory = sandbox_inventory(tmp_path, {CLUSTER: {"fsx_mount_point": node["fsx_mount"]}})
    credentials = dict(sandbox_server.environment, AWS_SECRET_ACCESS_KEY=f"runner-secret-{uuid.uuid4().hex}")
    extra_vars = {
        "export_s3_uri": "s3://dayec-analysis/derived/",
        "output_dir": str(tmp_path / "deletions"),
        "pcluster_command": STANDIN,
        "region": "us-west-2",
        "poll_interval": 1,
        "wait_timeout": 60,
    }
    job = run_with_runner("reap.yml", tmp_path / "job", credentials, extra_vars, inventory=inventory)
    assert (job.status, job.rc) == ("successful", 0), job.failures()
    summary = job.result("Summarise")["ansible_facts"]["reap_summary"]
    assert (summary["deleted"], summary["kept"], summary["ok"]) == ([CLUSTER], [], True)
    assert run_pcluster("describe-cluster", "-n", CLUSTER)[0] == 1
    assert list((tmp_path / "deletions" / CLUSTER).glob("*/cluster_deletion.yaml"))
    secret = credentials["AWS_SECRET_ACCESS_KEY"]
    assert secret not in job.stdout and secret not in json.dumps(job.events)
