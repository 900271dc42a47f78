"""playbooks/stage_samples.yml against the sandbox: manifest -> precheck -> stage -> read-only staging association ->
staged FASTQs readable on the headnode; precheck_only writes nothing; a second run changes nothing."""

from pathlib import Path

from testlib.playbooks import OPERATOR_PLAYBOOKS
from testlib.playbooks import run_playbook
from testlib.staging import STAGE
from testlib.staging import body
from testlib.staging import cluster_manifest
from testlib.staging import stage_vars

STAGE_SAMPLES = str(OPERATOR_PLAYBOOKS / "stage_samples.yml")
SAMPLES = 3


def write_sources(aws, cluster, tmp_path, missing=()):
    return cluster_manifest(aws, cluster, tmp_path, range(SAMPLES), lambda _sample, key: body(key), missing)


def test_stage_samples_attaches_a_read_only_stage_readable_on_the_headnode(sandbox, aws, cluster, tmp_path):
    manifest = write_sources(aws, cluster, tmp_path)
    run = run_playbook(STAGE_SAMPLES, stage_vars(cluster, manifest))
    assert run.rc == 0, run.failures()
    stage_dir = Path(cluster["fsx_mount"]) / "staging" / "staged_external_sequencing_data" / STAGE
    sample_dir = stage_dir / "RUN-7_HG001-NOVASEQ-PCR-FREE-blood-EXP1_BC1_0"
    assert (sample_dir / "s1_R2.fastq.gz").read_bytes() == body("incoming/s1_R2.fastq.gz")
    units = (stage_dir / "20260101T120000Z_units.tsv").read_bytes().decode()
    assert str(sample_dir / "s1_R1.fastq.gz") in units and units.endswith("\r\n")
    assert run.result("Remote FSx stage directory")["msg"] == "Remote FSx stage directory: %s" % stage_dir

    staging = [
        a
        for a in aws("fsx").describe_data_repository_associations()["Associations"]
        if a["FileSystemPath"].startswith("/staging/")
    ]
    assert [a["FileSystemPath"] for a in staging] == ["/staging/staged_external_sequencing_data/%s/" % STAGE]
    policies = staging[0].get("S3", {})
    assert not policies.get("AutoImportPolicy", {}).get("Events") and "AutoExportPolicy" not in policies
    tags = {tag["Key"]: tag["Value"] for tag in staging[0].get("Tags", [])}
    assert tags["lsmc:purpose"] == "staging" and tags["daylily:staging-root"].startswith("s3://")

    again = run_playbook(STAGE_SAMPLES, stage_vars(cluster, manifest))
    assert again.rc == 0 and again.changed_count() == 0, again.failures()


def test_invariant_20_precheck_only_and_a_missing_source_write_nothing(sandbox, aws, cluster, tmp_path):
    manifest = write_sources(aws, cluster, tmp_path, missing=("incoming/s2_R1.fastq.gz",))
    sandbox.clear_audit()
    refused = run_playbook(STAGE_SAMPLES, stage_vars(cluster, manifest))
    assert refused.rc != 0
    assert "s3://%s/incoming/s2_R1.fastq.gz does not exist" % cluster["buckets"][2] in refused.failures()
    assert sandbox.mutating_calls() == []

    manifest = write_sources(aws, cluster, tmp_path)
    sandbox.clear_audit()
    checked = run_playbook(STAGE_SAMPLES, stage_vars(cluster, manifest, precheck_only=True))
    assert checked.rc == 0, checked.failures()
    assert (
        checked.result(
            "daylily.ephemeral_cluster.samples : Check every source in S3, then stage the samples (all or nothing)"
        )["objects_pending"]
        == 6
    )
    assert sandbox.mutating_calls() == []
