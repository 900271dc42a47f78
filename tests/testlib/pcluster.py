"""ParallelCluster's own code, run in its venv (.venv-pcluster, `make pcluster-venv`), for tests in .venv."""

import json
import os
import subprocess

from sandbox.pcluster_schema import pcluster_python

TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def require_pcluster_python():
    python = pcluster_python()
    assert os.access(python, os.X_OK), (
        f"ParallelCluster's venv is missing ({python}): build it with `make pcluster-venv`, or point "
        "DAYEC_PCLUSTER_PYTHON at a python that has aws-parallelcluster==3.16.1"
    )
    return python


def pcluster_environment():
    """This process's environment, with the tests directory on the path (the sandbox package)."""
    return dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [TESTS, os.environ.get("PYTHONPATH")])))


def schema_errors(configs):
    """{cluster name: ParallelCluster's schema errors ([] when the config loads)} for {cluster name: YAML text}.

    One interpreter for the whole batch: the pcluster venv's python takes seconds to start."""
    request = [{"cluster_name": name, "config": text} for name, text in configs.items()]
    done = subprocess.run(
        [require_pcluster_python(), "-m", "sandbox.pcluster_schema"],
        env=pcluster_environment(),
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"pcluster_schema.py failed:\n{done.stderr}"
    return {answer["cluster_name"]: answer["errors"] for answer in json.loads(done.stdout)}


STANDIN = os.path.join(TESTS, "sandbox", "bin", "pcluster")
REFERENCE_BUCKET = "dayec-reference"
REFERENCE_OBJECTS = {"s3_reference_data_version.info": b"0.7.131c\n", "hg38/fasta/README": b"hg38 placeholder\n"}


def seed_account(region="us-west-2"):
    """What an operator's account holds before a create: the VPC and subnets, and the reference bucket with data."""
    import boto3

    from sandbox.parallelcluster import seed_network

    network = seed_network(boto3.client("ec2", region_name=region))
    s3 = boto3.client("s3", region_name=region)
    s3.create_bucket(Bucket=REFERENCE_BUCKET, CreateBucketConfiguration={"LocationConstraint": region})
    for key, body in REFERENCE_OBJECTS.items():
        s3.put_object(Bucket=REFERENCE_BUCKET, Key=key, Body=body)
    return network


def write_cluster_config(directory, cluster_name, network, **inputs):
    """Render the collection's cluster config for the seeded network into <directory>/<cluster_name>.yaml."""
    from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import pcluster

    values = {
        "cluster_name": cluster_name,
        "region": "us-west-2",
        "headnode_subnet_id": network["public_subnet_id"],
        "compute_subnet_ids": [network["private_subnet_id"]],
        "reference_s3_uri": f"s3://{REFERENCE_BUCKET}/",
    }
    values.update(inputs)
    path = os.path.join(str(directory), f"{cluster_name}.yaml")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(pcluster.render_cluster_config(values)[0])
    return path


def run_pcluster(*args):
    """Run the sandbox's pcluster; (exit code, its JSON answer)."""
    require_pcluster_python()
    done = subprocess.run([STANDIN, *args], capture_output=True, text=True, timeout=180, check=False)
    try:
        return done.returncode, json.loads(done.stdout)
    except ValueError:
        raise AssertionError(
            f"pcluster {' '.join(args)} printed no JSON (rc {done.returncode}):\n{done.stdout}\n{done.stderr}"
        ) from None
