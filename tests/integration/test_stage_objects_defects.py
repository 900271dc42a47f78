"""playbooks/stage_samples.yml against the sandbox: a stage resumed after a source was re-uploaded under the same key
with other content is refused before anything is written, instead of copying over the staged object (invariant 1:
no S3 object overwritten with different content; the stage's tables still describe what was staged first)."""

from testlib.playbooks import OPERATOR_PLAYBOOKS
from testlib.playbooks import run_playbook
from testlib.staging import body
from testlib.staging import cluster_manifest
from testlib.staging import stage_vars
from testlib.staging import staged_contents

STAGE_SAMPLES = str(OPERATOR_PLAYBOOKS / "stage_samples.yml")
REUPLOADED = "incoming/s1_R1.fastq.gz"


def test_defect_21_invariant_01_a_stage_resumed_after_a_source_changed_is_refused_and_its_objects_kept(
    sandbox, aws, cluster, tmp_path
):
    original = cluster_manifest(aws, cluster, tmp_path, range(2), lambda _sample, key: body(key))
    staged = run_playbook(STAGE_SAMPLES, stage_vars(cluster, original))
    assert staged.rc == 0, staged.failures()
    before = staged_contents(aws, cluster)

    def reuploaded(_sample, key):
        return body(key, size=80) if key == REUPLOADED else body(key)

    changed = cluster_manifest(aws, cluster, tmp_path, range(2), reuploaded)  # the same sheet, one source replaced
    sandbox.clear_audit()
    refused = run_playbook(STAGE_SAMPLES, stage_vars(cluster, changed))
    assert refused.rc != 0
    message = refused.failures()
    assert "would now stage differently" in message and "64 bytes staged, 80 now" in message, message
    assert "s3://%s/%s -> s3://" % (cluster["buckets"][2], REUPLOADED) in message, message
    assert "leave stage_name unset" in message, message  # the playbook's variable, not the role's
    assert "incoming/s0_R1.fastq.gz" not in message, message  # unchanged sources are not named
    assert sandbox.mutating_calls() == []
    assert staged_contents(aws, cluster) == before

    restored = cluster_manifest(aws, cluster, tmp_path, range(2), lambda _sample, key: body(key))
    again = run_playbook(STAGE_SAMPLES, stage_vars(cluster, restored))  # the original sources resume as a no-op
    assert again.rc == 0 and again.changed_count() == 0, again.failures()
