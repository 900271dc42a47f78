"""Found by the bad-input fuzzing: aws_preflight built its report's file name from any cluster_name, so '../0' ended
in a FileNotFoundError traceback (and a name with '/' could point the report outside output_dir); and ParallelCluster's
name rule, checked with re.match and '$', let a name with a trailing newline through. Both refuse now, with a message,
before any AWS call."""

import pytest

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import pcluster
from ansible_collections.daylily.ephemeral_cluster.plugins.modules import aws_preflight
from testlib.fuzz import assert_clean_failure
from testlib.modules import execute_module


@pytest.mark.parametrize("name", ["../0", "day/../../escape", "a/b-cluster", "dayec-demo\n", "0day-demo", "day"])
def test_fuzz_defect_preflight_refuses_a_name_that_is_not_a_cluster_name_before_any_call(
    capsys, sandbox, tmp_path, name
):
    sandbox.clear_audit()
    code, result = execute_module(
        capsys,
        aws_preflight.main,
        {"cluster_name": name, "reference_s3_uri": "s3://dayec-reference/", "output_dir": str(tmp_path / "reports")},
    )
    assert_clean_failure(code, result, aws_rejected=False)
    assert "cluster_name" in result["msg"]
    assert sandbox.audit() == []
    assert not (tmp_path / "reports").exists()


def test_fuzz_defect_a_cluster_name_with_a_trailing_newline_breaks_parallelclusters_rule():
    problems = list(pcluster.input_problems({"cluster_name": "dayec-demo\n"}))
    assert any(problem.field == "cluster_name" for problem in problems), problems
    assert not [
        problem
        for problem in pcluster.input_problems({"cluster_name": "dayec-demo"})
        if problem.field == "cluster_name"
    ]
