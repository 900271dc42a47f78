"""`make demo`: the operator lifecycle on the local sandbox, end to end, as far as the collection goes today.

Starts the sandbox as a background process (stopped by PID whatever happens), seeds a cluster-shaped set of
resources, then runs the collection's playbooks in the order an operator would.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))
WORK = REPO / ".build" / "demo"


from sandbox.dayoa_repo import build_repository  # noqa: E402  pylint: disable=wrong-import-position
from sandbox.server import read_env_file  # noqa: E402  pylint: disable=wrong-import-position


def banner(text):
    print(f"\n=== {text}", flush=True)


def start_sandbox():
    shutil.rmtree(WORK, ignore_errors=True)  # every demo starts from nothing
    WORK.mkdir(parents=True)
    env_file, pid_file = WORK / "env", WORK / "pid"
    env_file.unlink(missing_ok=True)
    log = open(WORK / "sandbox.log", "w", encoding="utf-8")  # pylint: disable=consider-using-with
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sandbox",
            "--port",
            "0",
            "--root",
            str(WORK / "root"),
            "--env-file",
            str(env_file),
            "--pid-file",
            str(pid_file),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=REPO,
    )
    deadline = time.monotonic() + 30
    while not env_file.exists() or not env_file.read_text(encoding="utf-8").strip():
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"sandbox did not start; see {WORK / 'sandbox.log'}")
        time.sleep(0.1)
    return process, read_env_file(env_file)


def run(command, environment, **kwargs):
    print("$ " + " ".join(str(part) for part in command), flush=True)
    completed = subprocess.run(command, env=environment, cwd=REPO, check=False, **kwargs)
    if completed.returncode != 0:
        raise SystemExit(f"demo step failed (rc={completed.returncode}): {' '.join(map(str, command))}")
    return completed


def playbook(name, environment, *extra):
    return run(
        [
            Path(sys.executable).with_name("ansible-playbook"),
            REPO / "playbooks" / name,
            "-e",
            f"@{WORK / 'seed.json'}",
            *extra,
        ],
        environment,
    )


def put_run_folder(environment, bucket, run_id):
    """A sequencing run folder in S3, as the sequencer's uploader leaves it."""
    import boto3  # pylint: disable=import-outside-toplevel

    s3 = boto3.client(
        "s3",
        endpoint_url=environment["AWS_ENDPOINT_URL"],
        region_name=environment["AWS_DEFAULT_REGION"],
        aws_access_key_id=environment["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=environment["AWS_SECRET_ACCESS_KEY"],
    )
    s3.put_object(
        Bucket=bucket, Key=f"{run_id}/RunInfo.xml", Body=b"<RunInfo Version='6' Id='230101_A0001_0001_AH2'/>\n"
    )
    s3.put_object(Bucket=bucket, Key=f"{run_id}/SampleSheet.csv", Body=b"[Header]\nFileFormatVersion,2\n")


def write_inventory(seed):
    """The demo's inventory: the controller, and the sandbox headnode reached through the collection's SSM connection."""
    path = WORK / "inventory.json"
    headnode = {
        "ansible_connection": "daylily.ephemeral_cluster.ssm",
        "ansible_ssm_instance_id": seed["headnode_instance_id"],
        "ansible_ssm_run_as": "",
        "ansible_ssm_poll_interval": 0.3,
        "ansible_python_interpreter": sys.executable,
    }
    local = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
    path.write_text(json.dumps({"all": {"hosts": {"localhost": local, "headnode": headnode}}}), encoding="utf-8")
    return path


def write_sample_inputs(seed):
    """Two tiny samples staged on the file system, and the samples.tsv/units.tsv that point at them."""
    staged = Path(seed["fsx_mount"]) / "staging" / "remote_stage_demo"
    staged.mkdir(parents=True, exist_ok=True)
    reads = "@r1\nACGTACGTAC\n+\nIIIIIIIIII\n@r2\nGGGCCCAAAT\n+\nIIIIIIIIII\n"
    samples = ["SAMPLEID\tSAMPLESOURCE\tSAMPLECLASS\tSAMPLE_TYPE"]
    units = [
        "RUNID\tSAMPLEID\tEXPERIMENTID\tLANEID\tBARCODEID\tLIBPREP\tSEQ_VENDOR\tSEQ_PLATFORM\tILMN_R1_PATH\tILMN_R2_PATH"
    ]
    for sample in ("HG002", "HG003"):
        for read in ("R1", "R2"):
            (staged / f"{sample}_{read}.fastq").write_text(reads, encoding="utf-8")
        samples.append(f"{sample}\tblood\tresearch\tWGS")
        units.append(
            f"R0\t{sample}\tE1\t0\tBC{sample}\tPCR-FREE\tILMN\tNOVASEQ\t"
            f"{staged / (sample + '_R1.fastq')}\t{staged / (sample + '_R2.fastq')}"
        )
    (WORK / "samples.tsv").write_text("\n".join(samples) + "\n", encoding="utf-8")
    (WORK / "units.tsv").write_text("\n".join(units) + "\n", encoding="utf-8")
    return str(WORK / "samples.tsv"), str(WORK / "units.tsv")


def main():
    banner("Starting the local AWS sandbox")
    process, sandbox_env = start_sandbox()
    environment = dict(os.environ)
    for key in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"):
        environment.pop(key, None)
    environment.update(sandbox_env)
    print(f"sandbox PID {process.pid} at {sandbox_env['AWS_ENDPOINT_URL']}")
    try:
        banner("Seeding a cluster: buckets, FSx for Lustre with the /references/ startup DRA, an SSM headnode")
        run([sys.executable, "-m", "sandbox.seed", "--out", WORK / "seed.json"], environment)
        seed = json.loads((WORK / "seed.json").read_text(encoding="utf-8"))

        banner("FSx status of the cluster (daylily.ephemeral_cluster.fsx_dra_info)")
        playbook("fsx_status.yml", environment)

        run_id = "230101_A0001_0001_AH2"
        runs_bucket, analysis_bucket = seed["buckets"][2], seed["buckets"][1]
        put_run_folder(environment, runs_bucket, run_id)
        common = [
            "-e",
            f"fsx_mount_point={seed['fsx_mount']}",
            "-e",
            "run_mount_poll_interval=1",
            "-e",
            "export_poll_interval=1",
        ]

        inventory = write_inventory(seed)
        common += ["-i", str(inventory)]
        banner(f"Mount the run folder s3://{runs_bucket}/{run_id}/ read-only (playbooks/mount_run.yml)")
        playbook("mount_run.yml", environment, *common, "-e", f"run_mount_s3_uri=s3://{runs_bucket}/{run_id}/")

        banner("Read the run folder on the headnode, over SSM Run Command")
        run(
            [
                Path(sys.executable).with_name("ansible-playbook"),
                REPO / "tests/sandbox/demo_playbooks/read_run_folder.yml",
                "-e",
                f"@{WORK / 'seed.json'}",
                *common,
                "-e",
                f"run_mount_id={run_id}",
            ],
            environment,
        )

        banner(
            "Launch DayOA 2.0.26 from the catalog in tmux on the headnode, wait, export on success (playbooks/launch.yml)"
        )
        samples, units = write_sample_inputs(seed)
        launch = {
            "workflow_command_id": "ilmn_germline_wgs_align_qc",
            "workflow_executing_entity": "demo",
            "workflow_analysis_id": "wgs_demo",
            "workflow_samples_file": samples,
            "workflow_units_file": units,
            "workflow_repository_urls": {"daylily-omics-analysis": build_repository(WORK / "git")},
            "workflow_wait": True,
            "workflow_poll_interval": 1,
            "workflow_export_trigger": "on-success",
            "workflow_export_destination_s3_uri": f"s3://{analysis_bucket}/derived/demo/wgs_demo/",
            "workflow_export_output_dir": str(WORK / "exports"),
            "headnode_require_mountpoint": False,
            "headnode_ssm_poll_interval": 1,
        }
        playbook("launch.yml", environment, *common, "-e", json.dumps(launch))

        banner("Detach the run folder, keeping every file (playbooks/mount_run.yml, state absent)")
        playbook("mount_run.yml", environment, *common, "-e", f"run_mount_id={run_id}", "-e", "run_mount_state=absent")

        receipts = sorted((WORK / "exports").rglob("fsx_export.yaml"))
        banner("The receipt")
        print(receipts[-1].read_text(encoding="utf-8"))

        banner("Done")
        print(
            f"cluster {seed['cluster_name']}: file system {seed['file_system_id']}, "
            f"headnode {seed['headnode_instance_id']}"
        )
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        print(f"sandbox PID {process.pid} stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
