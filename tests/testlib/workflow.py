"""Inputs and headnode views of the workflow launch tests (tests/integration/test_workflow.py, test_launch_defects.py)."""

import json
import os
import subprocess
from pathlib import Path

SAMPLE_COMMAND, RUN_COMMAND = "ilmn_germline_wgs_align_qc", "illumina_run_qc_bclconvert"
SAMPLES_COLUMNS = (
    "SAMPLEID SAMPLESOURCE SAMPLECLASS BIOLOGICAL_SEX CONCORDANCE_CONTROL_PATH IS_POSITIVE_CONTROL "
    "IS_NEGATIVE_CONTROL SAMPLE_TYPE TUM_NRM_SAMPLEID_MATCH EXTERNAL_SAMPLE_ID N_X N_Y TRUTH_DATA_DIR"
).split()
UNITS_COLUMNS = (
    "RUNID SAMPLEID EXPERIMENTID LANEID BARCODEID LIBPREP SEQ_VENDOR SEQ_PLATFORM ILMN_R1_PATH ILMN_R2_PATH"
).split()
FASTQ = "@r1\nACGTACGTAC\n+\nIIIIIIIIII\n@r2\nGGGCCCAAAT\n+\nIIIIIIIIII\n"


def write_tsv(path, columns, rows):
    lines = ["\t".join(columns)] + ["\t".join(row.get(column, "") for column in columns) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def sample_inputs(cluster, tmp_path):
    """Tiny FASTQs on the file system (as staging leaves them) and the manifests pointing at them."""
    staged = Path(cluster["fsx_mount"]) / "staging" / "remote_stage_demo"
    staged.mkdir(parents=True, exist_ok=True)
    rows = []
    for sample in ("S1", "S2"):
        (staged / f"{sample}_R1.fastq").write_text(FASTQ, encoding="utf-8")
        (staged / f"{sample}_R2.fastq").write_text(FASTQ, encoding="utf-8")
        rows.append(
            {
                "RUNID": "R0",
                "SAMPLEID": sample,
                "EXPERIMENTID": "E1",
                "LANEID": "0",
                "BARCODEID": f"BC{sample}",
                "LIBPREP": "PCR-FREE",
                "SEQ_VENDOR": "ILMN",
                "SEQ_PLATFORM": "NOVASEQ",
                "ILMN_R1_PATH": str(staged / f"{sample}_R1.fastq"),
                "ILMN_R2_PATH": str(staged / f"{sample}_R2.fastq"),
            }
        )
    samples = write_tsv(
        tmp_path / "samples.tsv",
        SAMPLES_COLUMNS,
        [
            {
                "SAMPLEID": r["SAMPLEID"],
                "SAMPLESOURCE": "blood",
                "SAMPLECLASS": "research",
                "SAMPLE_TYPE": "WGS",
                "N_X": "2",
                "N_Y": "0",
            }
            for r in rows
        ],
    )
    units = write_tsv(tmp_path / "units.tsv", UNITS_COLUMNS, rows)
    return samples, units


def launch_vars(cluster, dayoa_url, analysis_id, **extra):
    return dict(
        {
            "cluster_name": cluster["cluster_name"],
            "fsx_mount_point": cluster["fsx_mount"],
            "workflow_executing_entity": "tester",
            "workflow_analysis_id": analysis_id,
            "workflow_repository_urls": {"daylily-omics-analysis": dayoa_url},
            "workflow_wait": True,
            "workflow_poll_interval": 1,
            "workflow_wait_timeout": 300,
            "headnode_ssm_wait_timeout": 30,
            "headnode_ssm_poll_interval": 1,
            "headnode_require_mountpoint": False,
        },
        **extra,
    )


def headnode_home(cluster):
    return Path(cluster["headnode_root"]) / "home" / "ubuntu"


def read_status(cluster, session):
    return json.loads((headnode_home(cluster) / "daylily-runs" / session / "status.json").read_text(encoding="utf-8"))


def stop_tmux(cluster, session):
    """Stop the session on the sandbox headnode's own tmux server (if it still runs)."""
    env = dict(os.environ, TMUX_TMPDIR=str(Path(cluster["headnode_root"]) / "tmp"))
    subprocess.run(["tmux", "kill-session", "-t", f"={session}"], capture_output=True, check=False, env=env)


def export_on_success(cluster, tmp_path, analysis_id):
    """Launch variables that export the analysis when it succeeds, receipts under tmp_path/exports."""
    return {
        "workflow_export_trigger": "on-success",
        "workflow_export_destination_s3_uri": f"s3://{cluster['buckets'][1]}/derived/tester/{analysis_id}/",
        "workflow_export_output_dir": str(tmp_path / "exports"),
        "export_poll_interval": 1,
    }


def export_vars(cluster, entity, analysis_id, destination, output_dir, **extra):
    """playbooks/export.yml variables for one analysis of the sandbox cluster, receipts in ``output_dir``."""
    return dict(
        {
            "cluster_name": cluster["cluster_name"],
            "fsx_mount_point": cluster["fsx_mount"],
            "export_executing_entity": entity,
            "export_analysis_id": analysis_id,
            "export_destination_s3_uri": destination,
            "export_output_dir": str(output_dir),
            "export_poll_interval": 1,
        },
        **extra,
    )


def write_run_context(tmp_path, bucket, run_id):
    """runs.tsv with one run folder s3://<bucket>/<run_id>/ mounted as <run_id>."""
    row = {
        "RUNID": run_id,
        "PLATFORM": "ILMN",
        "RUN_DIR": f"/fsx/run_dir_mounts/{run_id}/",
        "SOURCE_S3_URI": f"s3://{bucket}/{run_id}/",
        "MOUNT_ID": run_id,
    }
    return write_tsv(tmp_path / "runs.tsv", list(row), [row])
