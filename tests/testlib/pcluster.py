"""ParallelCluster's own code, run in its venv (.venv-pcluster, `make pcluster-venv`), for tests in .venv."""

import json
import os
import subprocess

from sandbox.pcluster_schema import pcluster_python

SCHEMA_SCRIPT = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "sandbox", "pcluster_schema.py"
)


def require_pcluster_python():
    python = pcluster_python()
    assert os.access(python, os.X_OK), (
        f"ParallelCluster's venv is missing ({python}): build it with `make pcluster-venv`, or point "
        "DAYEC_PCLUSTER_PYTHON at a python that has aws-parallelcluster==3.16.1"
    )
    return python


def schema_errors(configs):
    """{cluster name: ParallelCluster's schema errors ([] when the config loads)} for {cluster name: YAML text}.

    One interpreter for the whole batch: the pcluster venv's python takes seconds to start."""
    request = [{"cluster_name": name, "config": text} for name, text in configs.items()]
    done = subprocess.run(
        [require_pcluster_python(), SCHEMA_SCRIPT],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"pcluster_schema.py failed:\n{done.stderr}"
    return {answer["cluster_name"]: answer["errors"] for answer in json.loads(done.stdout)}
