"""Load cluster configs with ParallelCluster's own schema. Runs in the pcluster venv (.venv-pcluster), never in .venv.

As `python -m sandbox.pcluster_schema` (tests/ on the path) it checks a batch, so one slow interpreter start serves many configs: stdin is a JSON list of
{"cluster_name": ..., "config": "<YAML text>"}, stdout the JSON list of {"cluster_name": ..., "errors": [...]} in the
same order (no errors: the config loads). The stand-in `pcluster` imports schema_errors() for create-cluster.
"""

import json
import os
import sys
from pathlib import Path

PCLUSTER_PYTHON_ENV = "DAYEC_PCLUSTER_PYTHON"
REPO = Path(__file__).resolve().parents[2]


def pcluster_python():
    """The pcluster venv's python (make pcluster-venv): $DAYEC_PCLUSTER_PYTHON, else <repo>/.venv-pcluster."""
    return os.environ.get(PCLUSTER_PYTHON_ENV) or str(REPO / ".venv-pcluster" / "bin" / "python")


def schema_errors(cluster_name, config_text):
    """ParallelCluster's message for a config its schema refuses, as `pcluster create-cluster` words it; [] if none.

    Same steps as pcluster's create: pcluster.models.common.parse_config, then what Cluster._load_config does
    (ClusterSchema(cluster_name).load; a ValidationError becomes the sorted list of its messages, as a string).
    """
    from marshmallow import ValidationError
    from pcluster.models.common import BadRequest
    from pcluster.models.common import parse_config
    from pcluster.schemas.cluster_schema import ClusterSchema

    try:
        config = parse_config(config_text)
    except BadRequest as err:
        return [str(err)]
    if isinstance(config.get("Region"), str):  # pcluster's controllers take the region from the config
        os.environ["AWS_DEFAULT_REGION"] = config["Region"]
    try:
        ClusterSchema(cluster_name=cluster_name).load(config)
    except ValidationError as err:
        return [str(sorted(err.messages.items()) if isinstance(err.messages, dict) else err)]
    except Exception as err:  # what Cluster._validate_and_parse_config makes of any other failure
        return [f"Invalid cluster configuration: {err}"]
    return []


def main():
    requests = json.load(sys.stdin)
    answers = [
        {"cluster_name": r["cluster_name"], "errors": schema_errors(r["cluster_name"], r["config"])} for r in requests
    ]
    json.dump(answers, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
