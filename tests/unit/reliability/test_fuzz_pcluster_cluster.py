"""Bad cluster names and config values through pcluster_cluster's real entry point: what ParallelCluster cannot
accept is refused with a message (and the problems) before the CLI creates anything; any other value gets a clean
answer, never a traceback. The CLI is a script that records every call and answers like pcluster 3.16.1."""

import json
import re
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import pcluster
from ansible_collections.daylily.ephemeral_cluster.plugins.modules import pcluster_cluster
from testlib.fuzz import assert_clean_failure
from testlib.fuzz import fuzz_settings
from testlib.fuzz import must_refuse_s3_uri
from testlib.fuzz import nasty_text
from testlib.fuzz import s3_uris
from testlib.fuzz import segments
from testlib.modules import execute_module

RECORDING_CLI = """#!{python}
import json, sys
with open({log!r}, "a") as log:
    log.write(json.dumps(sys.argv[1:]) + "\\n")
if sys.argv[1] == "create-cluster" and "--dryrun" in sys.argv:
    print(json.dumps({{"message": "Request would have succeeded, but DryRun flag is set."}})); sys.exit(1)
print(json.dumps({{"message": "Cluster does not exist or belongs to an incompatible ParallelCluster major version."}}))
sys.exit(1)
"""
VALID = {
    "region": "us-west-2",
    "headnode_subnet_id": "subnet-0123456789abcdef0",
    "compute_subnet_ids": ["subnet-0123456789abcdef1"],
    "reference_s3_uri": "s3://refs/",
}
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]{4,24}")


@pytest.fixture
def recording_cli(tmp_path):
    path, log = tmp_path / "pcluster", tmp_path / "calls.jsonl"
    path.write_text(RECORDING_CLI.format(python=sys.executable, log=str(log)))
    path.chmod(0o755)
    return path, log


def created(log):
    """CLI calls that change something: a create that is not a dry run, a delete, an update."""
    calls = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    return [call for call in calls if call[0] != "describe-cluster" and "--dryrun" not in call]


def cluster_names():
    return st.one_of(st.from_regex(r"[A-Za-z][A-Za-z0-9-]{0,30}", fullmatch=True), segments(), nasty_text())


@fuzz_settings(40)
@given(cluster_names())
def test_a_cluster_name_parallelcluster_refuses_is_refused_before_the_cli_creates(capsys, recording_cli, name):
    cli, log = recording_cli
    log.unlink(missing_ok=True)
    code, result = execute_module(
        capsys, pcluster_cluster.main, {"name": name, "pcluster_command": str(cli), "cluster_config": VALID}
    )
    if not _NAME.fullmatch(name):
        assert_clean_failure(code, result, aws_rejected=False)
        assert created(log) == [], result
    elif code != 0:
        assert_clean_failure(code, result, aws_rejected=False)


_values = st.one_of(nasty_text(), st.integers(-5, 10**7), st.none(), st.lists(nasty_text(), max_size=2), st.booleans())


@fuzz_settings(60)
@given(
    st.sampled_from(sorted(set(pcluster.INPUT_DEFAULTS) - {"cluster_name", "tags", "bootstrap"})),
    _values,
    s3_uris(),
)
def test_any_config_value_gets_a_clean_answer_and_a_bad_one_creates_nothing(
    capsys, recording_cli, field, value, reference
):
    cli, log = recording_cli
    log.unlink(missing_ok=True)
    config = dict(VALID, reference_s3_uri=reference)
    config[field] = value
    code, result = execute_module(
        capsys, pcluster_cluster.main, {"name": "dayec-fuzz", "pcluster_command": str(cli), "cluster_config": config}
    )
    if isinstance(config["reference_s3_uri"], str) and must_refuse_s3_uri(config["reference_s3_uri"]):
        assert_clean_failure(code, result, aws_rejected=False)
    if code != 0:
        assert_clean_failure(code, result, aws_rejected=False)
        if result.get("problems"):
            assert created(log) == [], result
