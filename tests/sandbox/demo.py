"""`make demo`: playbooks/lifecycle.yml on the local sandbox, end to end.

Starts the sandbox and the sandbox Dewey as background processes (stopped by PID whatever happens) and seeds what an
operator's account holds before a cluster exists: the network, the role buckets with the reference data, the IAM
policies preflight looks for, and two samples' FASTQs in S3 with their analysis manifest. Then, with the pcluster
inventory plugin as the inventory:

1. lifecycle.yml up to the registration (preflight and its cost forecast, create, stage, launch, wait, export,
   register): the cluster is created by the sandbox's `pcluster`, not seeded;
2. the same again, which must change nothing (changed=0 on every host);
3. the whole lifecycle.yml once more: every step already done is a no-op, then the gated delete, the run report and
   the summary.
"""

import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO / "tests"), str(REPO / ".build" / "collections")]
WORK = Path(os.environ.get("DAYEC_DEMO_WORK") or REPO / ".build" / "demo")  # where every file of the run goes
REGION = "us-west-2"
VARS_EXAMPLE = REPO / "inventories" / "sandbox_clusters" / "lifecycle_vars.yml"


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


def lifecycle(environment, *extra):
    """lifecycle.yml with the demo's variables and the sandbox's clusters as the inventory; returns its output."""
    command = [
        Path(sys.executable).with_name("ansible-playbook"),
        "-i",
        REPO / "inventories" / "sandbox_clusters" / "pcluster.yml",
        REPO / "playbooks" / "lifecycle.yml",
        "-e",
        f"@{WORK / 'lifecycle_vars.json'}",
        *extra,
    ]
    print("$ " + " ".join(str(part) for part in command), flush=True)
    completed = subprocess.run(command, env=environment, cwd=REPO, check=False, stdout=subprocess.PIPE, text=True)
    print(completed.stdout, end="", flush=True)
    if completed.returncode != 0:
        raise SystemExit(f"demo step failed (rc={completed.returncode}): {' '.join(map(str, command))}")
    return completed.stdout


def recap_changes(output):
    """{host: changed count} from the PLAY RECAP of an ansible-playbook run."""
    return {host: int(changed) for host, changed in re.findall(r"^(\S+)\s+:\s+ok=\d+\s+changed=(\d+)", output, re.M)}


def start_dewey(environment):
    """The sandbox Dewey (the 3.0.27 registration contract) on 127.0.0.1, its token in a file, never on a command line."""
    token_file, env_file = WORK / "dewey.token", WORK / "dewey.env"
    token_file.write_text(secrets.token_urlsafe(24), encoding="utf-8")
    token_file.chmod(0o600)
    log = open(WORK / "dewey.log", "w", encoding="utf-8")  # pylint: disable=consider-using-with
    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox.dewey", "--token-file", str(token_file), "--env-file", str(env_file)],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=REPO,
        env=environment,
    )
    deadline = time.monotonic() + 30
    while not env_file.exists() or "DEWEY_URL=" not in env_file.read_text(encoding="utf-8"):
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"the sandbox Dewey did not start; see {WORK / 'dewey.log'}")
        time.sleep(0.1)
    url = env_file.read_text(encoding="utf-8").strip().split("DEWEY_URL=", 1)[1]
    return process, url, token_file.read_text(encoding="utf-8")


def seed_account(environment):
    """What the operator's account holds before a create, and the analysis manifest of two samples in S3."""
    import boto3  # pylint: disable=import-outside-toplevel

    from sandbox.parallelcluster import seed_network  # pylint: disable=import-outside-toplevel
    from testlib import preflight as account  # pylint: disable=import-outside-toplevel
    from testlib.registration import gzipped_fastq  # pylint: disable=import-outside-toplevel
    from testlib.staging import HEADER  # pylint: disable=import-outside-toplevel

    def aws(service):
        return boto3.client(
            service,
            endpoint_url=environment["AWS_ENDPOINT_URL"],
            region_name=REGION,
            aws_access_key_id=environment["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=environment["AWS_SECRET_ACCESS_KEY"],
        )

    account.seed_account(aws)
    network = seed_network(aws("ec2"))
    s3, rows = aws("s3"), []
    for sample, reads in ((2, 3), (3, 4)):
        keys = [f"incoming/HG00{sample}_R{read}.fastq.gz" for read in (1, 2)]
        for key in keys:
            s3.put_object(Bucket=account.BUCKETS["stage"], Key=key, Body=gzipped_fastq(reads))
        rows.append(
            f"R0\tHG00{sample}\tE1\tblood\tnoampwgs\tILMN\tNovaSeqX\t1\tBC{sample}"
            f"\ts3://{account.BUCKETS['stage']}/{keys[0]}\ts3://{account.BUCKETS['stage']}/{keys[1]}"
        )
    manifest = WORK / "analysis_samples.tsv"
    manifest.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return account.ROLE_URIS, account.BUCKETS, network, manifest


def lifecycle_variables(role_uris, buckets, network, manifest, dewey_url):
    """The example vars file of the sandbox inventory, completed with what the seeding made (subnets, the Dewey URL)."""
    import yaml  # pylint: disable=import-outside-toplevel

    from testlib.pcluster import STANDIN  # pylint: disable=import-outside-toplevel
    from testlib.workflow import SAMPLE_COMMAND  # pylint: disable=import-outside-toplevel

    variables = yaml.safe_load(VARS_EXAMPLE.read_text(encoding="utf-8"))
    variables.update(
        role_uris,
        cluster_inputs=dict(
            variables["cluster_inputs"],
            headnode_subnet_id=network["public_subnet_id"],
            compute_subnet_ids=[network["private_subnet_id"]],
            s3_writable_buckets=[buckets["export"]],
        ),
        cluster_pcluster_command=STANDIN,
        pcluster_command=STANDIN,
        manifest=str(manifest),
        workflow_command_id=SAMPLE_COMMAND,
        workflow_repository_urls={"daylily-omics-analysis": build_repository(WORK / "git")},
        dewey_url=dewey_url,
        export_output_root=str(WORK / "exports"),
        preflight_output_dir=str(WORK / "preflight"),
        output_dir=str(WORK / "deletions"),
    )
    (WORK / "lifecycle_vars.json").write_text(json.dumps(variables, indent=2), encoding="utf-8")
    return variables


def stop(process, name):
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    print(f"{name} PID {process.pid} stopped")


def main():
    banner("Starting the local AWS sandbox")
    process, sandbox_env = start_sandbox()
    environment = dict(os.environ)
    for key in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"):
        environment.pop(key, None)
    environment.update(sandbox_env)
    print(f"sandbox PID {process.pid} at {sandbox_env['AWS_ENDPOINT_URL']}")
    dewey = None
    try:
        banner("Starting the sandbox Dewey registry")
        dewey, dewey_url, token = start_dewey(environment)
        environment["DEWEY_TOKEN"] = token
        print(f"Dewey PID {dewey.pid} at {dewey_url}")

        banner("Seeding the account: network, role buckets with reference data, IAM policies, two samples in S3")
        variables = lifecycle_variables(*seed_account(environment), dewey_url)
        print(f"cluster {variables['cluster_name']}, analysis manifest {variables['manifest']}")

        banner("1. lifecycle.yml up to the registration: preflight, create, stage, launch, wait, export, register")
        lifecycle(environment, "--skip-tags", "delete")

        banner("2. lifecycle.yml again: every step is already done, nothing changes")
        changes = recap_changes(lifecycle(environment, "--skip-tags", "delete,report"))
        if not changes or any(changes.values()):
            raise SystemExit(f"the second run changed something: {changes}")
        print(f"changed=0 on every host: {changes}")

        banner("3. The whole lifecycle.yml: the steps done are no-ops, then the gated delete and the run report")
        lifecycle(environment)

        banner("Done")
        receipts = sorted((WORK / "deletions").rglob("*.yaml")) + sorted((WORK / "exports").rglob("fsx_export.yaml"))
        for receipt in receipts:
            print(f"receipt: {receipt}")
        for report in sorted((WORK / "exports").rglob("run_report.html")):
            print(f"run report: {report}")
    finally:
        if dewey is not None:
            stop(dewey, "Dewey")
        stop(process, "sandbox")
    return 0


if __name__ == "__main__":
    sys.exit(main())
