"""playbooks/stage_samples.yml against the sandbox: a stage resumed with another sample sheet is refused before
anything is written, instead of overwriting the stage's samples/units tables (invariant 1: no S3 object overwritten
with different content; the tables describe the data staged from the sheet that wrote them)."""

from testlib.playbooks import OPERATOR_PLAYBOOKS
from testlib.playbooks import run_playbook
from testlib.staging import body
from testlib.staging import cluster_manifest
from testlib.staging import stage_vars
from testlib.staging import staged_contents

STAGE_SAMPLES = str(OPERATOR_PLAYBOOKS / "stage_samples.yml")


def test_defect_19_invariant_01_a_stage_resumed_with_another_sheet_is_refused_and_its_tables_kept(
    sandbox, aws, cluster, tmp_path
):
    original = cluster_manifest(aws, cluster, tmp_path, range(2), lambda _sample, key: body(key))
    staged = run_playbook(STAGE_SAMPLES, stage_vars(cluster, original))
    assert staged.rc == 0, staged.failures()
    before = staged_contents(aws, cluster)
    assert any(key.endswith("_samples.tsv") for key in before)

    grown = cluster_manifest(aws, cluster, tmp_path, range(3), lambda _sample, key: body(key))  # a sample added
    sandbox.clear_audit()
    refused = run_playbook(STAGE_SAMPLES, stage_vars(cluster, grown))
    assert refused.rc != 0
    message = refused.failures()
    assert "_samples.tsv (stored sha256" in message and "would now write differently" in message, message
    assert "leave stage_name unset" in message, message  # the playbook's variable, not the role's
    assert sandbox.mutating_calls() == []
    assert staged_contents(aws, cluster) == before

    restored = cluster_manifest(aws, cluster, tmp_path, range(2), lambda _sample, key: body(key))
    again = run_playbook(STAGE_SAMPLES, stage_vars(cluster, restored))  # the original sheet resumes as a no-op
    assert again.rc == 0 and again.changed_count() == 0, again.failures()
