"""Property (hypothesis) of s3_stage on the sandbox: any manifest either stages completely or writes nothing."""

import itertools

import pytest
from hypothesis import HealthCheck
from hypothesis import event
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import samples
from ansible_collections.daylily.ephemeral_cluster.plugins.modules import s3_stage
from testlib.modules import execute_module
from testlib.staging import BUCKET
from testlib.staging import HEADER
from testlib.staging import MIB
from testlib.staging import STAGE_BUCKET
from testlib.staging import STAGE_URI
from testlib.staging import body
from testlib.staging import create_buckets
from testlib.staging import stage_objects

_examples = itertools.count()

# A sample: its lanes (each uploaded or missing, small or big enough to be a merge's non-last part), and whether the
# manifest also holds a row without a source.
_sample = st.tuples(
    st.lists(
        st.tuples(st.sampled_from([True, True, True, False]), st.sampled_from([64, 5 * MIB])), min_size=1, max_size=2
    ),
    st.booleans(),  # a bad row (no source) as well
)


@pytest.fixture
def stage_bucket(aws):
    return create_buckets(aws)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_sample, min_size=1, max_size=4))
def test_any_manifest_stages_completely_or_writes_nothing(capsys, sandbox, stage_bucket, tmp_path, manifest_samples):
    example = next(_examples)
    stage_name = "remote_stage_20260101T1200%02dZ_%08x" % (example % 60, example)
    rows = []
    for index, (lanes, bad_row) in enumerate(manifest_samples):
        uris = []
        for lane, (uploaded, size) in enumerate(lanes):
            key = "p%d/s%d_L%d.fq.gz" % (example, index, lane)
            if uploaded:
                stage_bucket.put_object(Bucket=BUCKET, Key=key, Body=body(key, size))
            uris.append("s3://%s/%s" % (BUCKET, key))
        rows.append("R\tS%d\tE\tblood\tPF\tILMN\tNOVASEQ\t0\tB\t%s\t" % (index, ",".join(uris)))
        if bad_row:
            rows.append("R\tT%d\tE\tblood\tPF\tILMN\tNOVASEQ\t0\tB\t\t" % index)
    path = tmp_path / ("manifest_%d.tsv" % example)
    path.write_text("\n".join([HEADER] + rows) + "\n")
    sandbox.clear_audit()
    code, result = execute_module(
        capsys, s3_stage.main, dict(src=str(path), stage_s3_uri=STAGE_URI, stage_name=stage_name, retry_delay=0)
    )
    prefix = "staged_external_data/%s/" % stage_name
    staged = {key: size for key, size in stage_objects(stage_bucket).items() if key.startswith(prefix)}
    event("refused" if code else "staged")
    if code != 0:
        assert result["problems"], result["msg"]
        assert staged == {} and sandbox.mutating_calls() == []
        return
    plan = samples.plan_from_file(str(path), stage_name)
    for copy in plan.copies:
        sizes = [
            stage_bucket.head_object(Bucket=BUCKET, Key=uri.split("/", 3)[3])["ContentLength"] for uri in copy.sources
        ]
        assert staged[prefix + copy.key] == sum(sizes)
    assert len(staged) == len(plan.copies) + 3  # the probe and the two tables
    assert STAGE_BUCKET in result["stage_uri"]
