"""The sandbox DayOA run an export registers with Dewey, and what the registration leaves in the export receipts
(tests/integration/test_export_registration.py, test_stage_launch.py)."""

import gzip
import subprocess
import sys
from pathlib import Path

import yaml

from testlib.workflow import SAMPLE_COMMAND
from testlib.workflow import UNITS_COLUMNS
from testlib.workflow import write_tsv

DAYOA_TAG = "2.0.26"
GENOME = "hg38"
EVIDENCE_MANIFEST = "results/day/%s/reports/dayoa_evidence_manifest.json" % GENOME


def fastq(reads):
    """A FASTQ of ``reads`` records of 10 bases each."""
    return "".join("@r%d\nACGTACGGCA\n+\nIIIIIIIIII\n" % number for number in range(reads))


def gzipped_fastq(reads):
    return gzip.compress(fastq(reads).encode("ascii"), mtime=0)


def run_sandbox_dayoa(analysis_root, dayoa_url, fastq_dir):
    """Run the sandbox DayOA at its pinned tag into ``<analysis_root>/daylily-omics-analysis`` on two tiny samples,
    with the targets of the catalog's sample command, as launch.yml runs it on the headnode (without tmux and SSM).
    Returns the clone."""
    clone = Path(analysis_root) / "daylily-omics-analysis"
    subprocess.run(["git", "clone", "-q", "--branch", DAYOA_TAG, dayoa_url, str(clone)], check=True)
    fastq_dir = Path(fastq_dir)
    fastq_dir.mkdir(parents=True, exist_ok=True)
    units = []
    for number, sample in enumerate(("S1", "S2"), 1):
        for read in ("R1", "R2"):
            (fastq_dir / ("%s_%s.fastq.gz" % (sample, read))).write_bytes(gzipped_fastq(number))
        units.append(
            {
                "RUNID": "R0",
                "SAMPLEID": sample,
                "EXPERIMENTID": "E1",
                "LANEID": "1",
                "BARCODEID": "BC" + sample,
                "LIBPREP": "PCR-FREE",
                "SEQ_VENDOR": "ILMN",
                "SEQ_PLATFORM": "NOVASEQ",
                "ILMN_R1_PATH": str(fastq_dir / ("%s_R1.fastq.gz" % sample)),
                "ILMN_R2_PATH": str(fastq_dir / ("%s_R2.fastq.gz" % sample)),
            }
        )
    write_tsv(clone / "config/samples.tsv", ["SAMPLEID", "SAMPLESOURCE"], [{"SAMPLEID": "S1"}, {"SAMPLEID": "S2"}])
    write_tsv(clone / "config/units.tsv", UNITS_COLUMNS, units)
    command = [
        str(clone / "bin/day_run"),
        "produce_snv_concordances",
        "produce_multiqc_final_wgs",
        "produce_dayoa_evidence_manifest",
        "-j",
        "2",
        "--config",
        "genome_build=%s" % GENOME,
        "evidence_generated_at=2026-06-01T00:00:00Z",
    ]
    environment = {"SNAKEMAKE": str(Path(sys.executable).with_name("snakemake")), "PATH": "/usr/bin:/bin"}
    subprocess.run(command, cwd=clone, env=environment, check=True, capture_output=True, timeout=300)
    return clone


def dewey_variables(url, token_env, command_id=SAMPLE_COMMAND):
    """The export role's registration variables."""
    return {
        "export_register_with_dewey": True,
        "export_dewey_url": url,
        "export_dewey_token_env": token_env,
        "export_dewey_command_id": command_id,
    }


def load_receipt(text):
    return yaml.safe_load(text)["fsx_export"]


def check_registered_receipt(registered, registration_receipt, registration_receipt_uri, dayoa_s3_root):
    """The export receipt ``registered`` (flat) records the registration whose receipt is ``registration_receipt``,
    and is still the verified export it was."""
    assert registered["status"] == "success" and registered["verified"] is True and registered["phase"] == "complete"
    assert registered["dewey_registration_status"] == "success"
    assert registered["dewey_registration_receipt"] == registration_receipt_uri
    assert registered["dewey_source_manifest_s3_uri"] == dayoa_s3_root + EVIDENCE_MANIFEST
    assert registered["dewey_source_manifest_mode"] == "dayoa_manifest"
    assert registered["dewey_selected_artifact_count"] == registration_receipt["selected_artifact_count"]
    assert registered["dewey_multiqc_artifact_set_count"] == len(registration_receipt["multiqc_responses"]) == 1
    assert registered["dewey_analysis_directory_link_status"] == "not_requested"
    assert "registration_only" not in registered  # registered as part of the export
