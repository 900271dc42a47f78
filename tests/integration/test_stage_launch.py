"""From staged samples to a registered analysis, as an operator runs it: playbooks/stage_samples.yml stages an analysis
manifest's FASTQs and attaches the stage read-only; playbooks/launch.yml runs the catalog's sample_analysis command on
that stage (workflow_stage_dir: the stage's own samples.tsv/units.tsv, whose read paths point into it), exports the
analysis when it succeeds and registers it with Dewey (export_register_with_dewey); a re-run changes nothing.
The headnode is reached over SSM, as on AWS."""

import csv
import io
import json
from pathlib import Path

import pytest

from sandbox.dayoa_repo import build_repository
from testlib import dewey as dewey_testlib
from testlib.dewey import TOKEN_ENV
from testlib.playbooks import OPERATOR_PLAYBOOKS
from testlib.playbooks import run_playbook
from testlib.playbooks import ssm_inventory
from testlib.registration import check_registered_receipt
from testlib.registration import dewey_variables
from testlib.registration import gzipped_fastq
from testlib.registration import load_receipt
from testlib.staging import cluster_manifest
from testlib.staging import stage_vars
from testlib.workflow import SAMPLE_COMMAND
from testlib.workflow import export_on_success
from testlib.workflow import launch_vars
from testlib.workflow import read_status
from testlib.workflow import stop_tmux

dewey_stub_server = dewey_testlib.dewey_stub_server  # fixtures
dewey_stub = dewey_testlib.dewey_stub

STAGE_SAMPLES = str(OPERATOR_PLAYBOOKS / "stage_samples.yml")
LAUNCH = str(OPERATOR_PLAYBOOKS / "launch.yml")
STAGE = "remote_stage_20260101T120000Z_5e1ec7ed"
ANALYSIS = "staged1"
READS = {0: 2, 1: 3}  # reads per FASTQ of each sample: what DayOA must count from the staged files


@pytest.fixture(scope="module")
def dayoa_url(tmp_path_factory):
    return build_repository(tmp_path_factory.mktemp("dayoa-git"))


def write_manifest(aws, cluster, tmp_path):
    """Two ILMN samples whose gzipped FASTQs are in the cluster's staging bucket."""
    return cluster_manifest(aws, cluster, tmp_path, READS, lambda sample, _key: gzipped_fastq(READS[sample]))


def tsv(path):
    return list(csv.DictReader(io.StringIO(Path(path).read_text(encoding="utf-8"), newline=""), delimiter="\t"))


def test_launch_runs_the_sample_analysis_on_the_stage_then_exports_and_registers_it(
    sandbox, aws, cluster, dewey_stub, dayoa_url, tmp_path
):
    inventory = ssm_inventory(tmp_path, cluster)
    staged = run_playbook(
        STAGE_SAMPLES,
        stage_vars(cluster, write_manifest(aws, cluster, tmp_path), stage_name=STAGE, command_id=SAMPLE_COMMAND),
        inventory=inventory,
    )
    assert staged.rc == 0, staged.failures()
    stage_dir = Path(cluster["fsx_mount"]) / "staging" / "staged_external_sequencing_data" / STAGE
    assert staged.result("Remote FSx stage directory")["msg"].endswith(str(stage_dir))

    variables = launch_vars(
        cluster,
        dayoa_url,
        ANALYSIS,
        workflow_command_id=SAMPLE_COMMAND,
        workflow_stage_dir=str(stage_dir),
        **export_on_success(cluster, tmp_path, ANALYSIS),
        **dewey_variables(dewey_stub.url, TOKEN_ENV),
    )
    try:
        run = run_playbook(LAUNCH, variables, inventory=inventory)
    finally:
        stop_tmux(cluster, ANALYSIS)
    assert run.rc == 0, run.failures()
    status = read_status(cluster, ANALYSIS)
    assert status["exit_code"] == 0 and "bin/day_run produce_snv_concordances" in status["command"]

    # The workflow ran on the stage's own tables, whose read paths point at the staged FASTQs on the file system.
    repo = Path(status["repo_path"])
    staged_units = stage_dir / "20260101T120000Z_units.tsv"
    units = tsv(staged_units)
    assert tsv(repo / "config/units.tsv") == units  # the same table (written with the launch's own line endings)
    assert tsv(repo / "config/samples.tsv") == tsv(stage_dir / "20260101T120000Z_samples.tsv")
    assert len(units) == len(READS)
    for unit in units:
        stats = tsv(repo / "results/day/hg38" / unit["SAMPLEID"] / (unit["SAMPLEID"] + ".stats.tsv"))
        assert [row["FASTQ"] for row in stats] == [unit["ILMN_R1_PATH"], unit["ILMN_R2_PATH"]]
        assert all(row["FASTQ"].startswith(str(stage_dir) + "/") for row in stats)
        sample = int(unit["SAMPLEID"].split("HG00")[1][0])  # HG00<n>...: the n-th sample of the manifest
        assert [int(row["reads"]) for row in stats] == [READS[sample]] * 2

    # Exported when it succeeded, then registered: one analysis set and one MultiQC set, recorded in the receipt.
    output_dir = tmp_path / "exports"
    registration = json.loads((output_dir / "dewey_registration_receipt.json").read_text())
    destination = variables["workflow_export_destination_s3_uri"]
    check_registered_receipt(
        load_receipt((output_dir / "fsx_export.yaml").read_text()),
        registration,
        destination + "_daylily_monitor/dewey/dewey_registration_receipt.json",
        destination + "daylily-omics-analysis/",
    )
    kinds = sorted(found["kind"] for found in dewey_stub.state()["artifact_sets"].values())
    assert kinds == ["analysis_artifact_set", "multiqc_artifact_set"]

    try:
        again = run_playbook(LAUNCH, variables, inventory=inventory)
    finally:
        stop_tmux(cluster, ANALYSIS)
    assert again.rc == 0 and again.changed_count() == 0, again.failures()
    assert len(dewey_stub.state()["artifact_sets"]) == 2


def test_a_stage_the_headnode_does_not_show_is_refused_before_anything_runs(sandbox, cluster, dayoa_url, tmp_path):
    missing = Path(cluster["fsx_mount"]) / "staging" / "staged_external_sequencing_data" / STAGE
    run = run_playbook(
        LAUNCH,
        launch_vars(cluster, dayoa_url, "staged2", workflow_command_id=SAMPLE_COMMAND, workflow_stage_dir=str(missing)),
        inventory=ssm_inventory(tmp_path, cluster),
    )
    assert run.rc != 0
    assert "stage_samples.yml" in run.failures() and "20260101T120000Z_units.tsv" in run.failures()
    assert not (Path(cluster["fsx_mount"]) / "analysis_results/tester/staged2").exists()
