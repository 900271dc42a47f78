"""What each molecule scenario (extensions/molecule/<name>/) finds in the sandbox before its converge: one place for
the seeding of every scenario, built from the same helpers the integration tests use.

    python -m testlib.scenarios <scenario> --work DIR --out DIR/seed.json

runs against the sandbox named by the environment (``. .sandbox/env``; ``make molecule`` starts one) and writes the
facts the scenario's playbooks read as ``molecule_seed``: ``cluster`` (from :func:`sandbox.seed.seed_cluster`: its
name, file system, headnode, mount point, buckets), ``work_dir`` and what the scenario adds. Every scenario gets a
cluster of its own, named ``molecule-<scenario>-<random>``, so scenarios (and re-runs) sharing one sandbox never see
each other's file systems. ``--stop`` stops what a scenario started (the Dewey stub) by its PID file.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import boto3

from sandbox.parallelcluster import OFFICIAL_IMAGES
from sandbox.seed import REFERENCE_OBJECTS
from sandbox.seed import ensure_bucket
from sandbox.seed import seed_cluster

# Each scenario imports the helpers it uses when it runs: importing them all costs seconds per scenario.
# pylint: disable=import-outside-toplevel

REGION = "us-west-2"
# The cluster preflight plans (the forecast prices it from the sandbox's Price List).
PREFLIGHT_INPUTS = {
    "headnode_instance_type": "r7i.2xlarge",
    "fsx_storage_capacity": 1200,
    "headnode_root_volume_gib": 200,
    "queues": [{"name": "i192", "instance_types": ["m7i.48xlarge"], "max_count": 4}],
}
EXPORT_TREE = {
    "config/samples.tsv": b"SAMPLEID\tSAMPLETYPE\nS1\tblood\n",
    "results/day/hg38/S1/S1.stats.tsv": b"reads\t1000\n",
    "results/day/hg38/reports/empty.log": b"",
}
DEWEY_PID_FILE = "dewey.pid"


def aws(service):
    return boto3.client(service, region_name=REGION)


def seed_cluster_role(cluster, work_dir):
    """What an account holds before a create: the VPC and subnets, the reference bucket with its data, and the
    sandbox's stand-in for the ``pcluster`` CLI (the cluster role creates the cluster itself)."""
    from sandbox.parallelcluster import seed_network

    network = seed_network(aws("ec2"))
    s3, bucket = aws("s3"), "dayec-reference"
    ensure_bucket(s3, bucket, REGION)
    for key, content in REFERENCE_OBJECTS.items():
        s3.put_object(Bucket=bucket, Key=key, Body=content)
    return {
        "cluster_name": "molecule-cluster-%s" % uuid.uuid4().hex[:6],
        "network": network,
        "reference_s3_uri": "s3://%s/" % bucket,
        "pcluster_command": str(Path(__file__).resolve().parents[1] / "sandbox" / "bin" / "pcluster"),
        "region": REGION,
    }


def seed_teardown(cluster, work_dir):
    """A cluster made by the sandbox's pcluster (file system with its startup association, SSM headnode), to delete."""
    from sandbox.client import SandboxControl
    from testlib.pcluster import run_pcluster
    from testlib.pcluster import write_cluster_config

    facts = seed_cluster_role(None, work_dir)
    name = facts["cluster_name"]
    rc, answer = run_pcluster(
        "create-cluster", "-n", name, "-c", write_cluster_config(work_dir, name, facts["network"])
    )
    if rc != 0:
        raise SystemExit("pcluster create-cluster %s failed: %s" % (name, answer))
    _rc, described = run_pcluster("describe-cluster", "-n", name)
    instance = described["headNode"]["instanceId"]
    (node,) = [node for node in SandboxControl().headnodes() if node["instance_id"] == instance]
    cluster = {"cluster_name": name, "region": REGION, "headnode_instance_id": instance, "fsx_mount": node["fsx_mount"]}
    ensure_bucket(aws("s3"), "dayec-analysis", REGION)  # the export root, where the deletion receipt goes too
    return dict(facts, cluster=cluster, export_s3_uri="s3://dayec-analysis/derived/")


def seed_run_mount(cluster, work_dir):
    """A sequencing run folder in the runs bucket, as the sequencer's uploader leaves it."""
    bucket, run_id = cluster["buckets"][2], "230101_A0001_0001_AMOL"
    s3 = aws("s3")
    s3.put_object(
        Bucket=bucket, Key=f"{run_id}/RunInfo.xml", Body=b"<RunInfo Version='6' Id='230101_A0001_0001_AMOL'/>\n"
    )
    s3.put_object(Bucket=bucket, Key=f"{run_id}/SampleSheet.csv", Body=b"[Header]\nFileFormatVersion,2\n")
    return {"run_s3_uri": f"s3://{bucket}/{run_id}/", "run_id": run_id}


def seed_samples(cluster, work_dir):
    """Two ILMN samples' FASTQs in S3 and the analysis manifest naming them."""
    from testlib.staging import HEADER
    from testlib.staging import body

    bucket = cluster["buckets"][2]
    s3 = aws("s3")
    rows = []
    for index in range(2):
        keys = [f"incoming/s{index}_R{read}.fastq.gz" for read in (1, 2)]
        for key in keys:
            s3.put_object(Bucket=bucket, Key=key, Body=body(key))
        rows.append(
            "RUN_7\tHG00%d\tEXP1\tblood\tnoampwgs\tILMN\tNovaSeqX\t1\tBC%d\ts3://%s/%s\ts3://%s/%s"
            % (index, index, bucket, keys[0], bucket, keys[1])
        )
    manifest = Path(work_dir) / "analysis_samples.tsv"
    manifest.write_text("\n".join([HEADER] + rows) + "\n", encoding="utf-8")
    return {"manifest": str(manifest), "stage_s3_uri": f"s3://{bucket}/staged_external_data/"}


def seed_headnode(cluster, work_dir):
    """The DayOA stand-in served as a local git repository (what day-clone clones)."""
    from sandbox.dayoa_repo import REPOSITORY_NAME
    from sandbox.dayoa_repo import build_repository

    return {"repository_urls": {REPOSITORY_NAME: build_repository(Path(work_dir) / "git")}}


def seed_workflow(cluster, work_dir):
    """A repository to clone, tiny staged FASTQs and the samples/units files naming them."""
    from testlib import workflow

    samples, units = workflow.sample_inputs(cluster, Path(work_dir))
    return dict(seed_headnode(cluster, work_dir), samples_file=samples, units_file=units)


def seed_export(cluster, work_dir):
    """A finished analysis directory on the file system."""
    entity, analysis_id = "molecule", "analysis1"
    root = Path(cluster["fsx_mount"]) / "analysis_results" / entity / analysis_id
    for relative, content in EXPORT_TREE.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_bytes(content)
    return {
        "executing_entity": entity,
        "analysis_id": analysis_id,
        "destination_s3_uri": f"s3://{cluster['buckets'][1]}/derived/{entity}/{analysis_id}/",
        "file_count": len(EXPORT_TREE),
    }


def seed_preflight(cluster, work_dir):
    """The account preflight checks: role buckets, reference data, the caller's policies (once per sandbox)."""
    from testlib import preflight

    iam = aws("iam")
    if preflight.CALLER not in {user["UserName"] for user in iam.list_users()["Users"]}:
        preflight.seed_account(aws)
    return {"cluster_name": preflight.CLUSTER, "cluster_inputs": PREFLIGHT_INPUTS, "role_uris": preflight.ROLE_URIS}


def seed_dewey(cluster, work_dir):
    """An exported, verified DayOA analysis in S3, and the sandbox Dewey running (stopped by ``--stop``)."""
    from testlib import dewey
    from testlib.workflow import SAMPLE_COMMAND

    work_dir = Path(work_dir)
    tree = work_dir / "analysis"
    dewey.write_toy_analysis(tree)
    s3 = aws("s3")
    empty_bucket(s3, dewey.BUCKET)  # an earlier run on this sandbox left its export and registration there
    dewey.upload_export(s3, tree)
    token_file = work_dir / "dewey.token"
    token_file.write_text(dewey.TOKEN + "\n", encoding="utf-8")
    token_file.chmod(0o600)
    env_file, log = work_dir / "dewey.env", open(work_dir / "dewey.log", "w", encoding="utf-8")  # noqa: SIM115
    env_file.unlink(missing_ok=True)
    subprocess.Popen(  # pylint: disable=consider-using-with
        [sys.executable, "-m", "sandbox.dewey", "--token-file", str(token_file), "--env-file", str(env_file)]
        + ["--pid-file", str(work_dir / DEWEY_PID_FILE)],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while not (env_file.exists() and env_file.read_text(encoding="utf-8").strip()):
        if time.monotonic() > deadline:
            raise SystemExit("the sandbox Dewey did not start; see %s" % (work_dir / "dewey.log"))
        time.sleep(0.1)
    url = env_file.read_text(encoding="utf-8").strip().split("=", 1)[1]
    return {
        "dewey_url": url,
        "token": dewey.TOKEN,
        "destination_s3_uri": dewey.DESTINATION,
        "command_id": SAMPLE_COMMAND,
    }


def empty_bucket(s3, bucket):
    """Delete a sandbox bucket and everything in it, when it exists."""
    try:
        pages = list(s3.get_paginator("list_objects_v2").paginate(Bucket=bucket))
    except s3.exceptions.NoSuchBucket:
        return
    for page in pages:
        for item in page.get("Contents", []):
            s3.delete_object(Bucket=bucket, Key=item["Key"])
    s3.delete_bucket(Bucket=bucket)


def stop_started(work_dir):
    """Stop the processes a scenario started, by the PID files it left (never by name)."""
    pid_file = Path(work_dir) / DEWEY_PID_FILE
    if not pid_file.exists():
        return
    pid = int(pid_file.read_text(encoding="utf-8").strip())
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    for _attempt in range(50):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    pid_file.unlink(missing_ok=True)


SCENARIOS = {
    "cluster": seed_cluster_role,
    "dewey": seed_dewey,
    "export": seed_export,
    "fsx_dra_info": lambda cluster, work_dir: {},
    "headnode": seed_headnode,
    "preflight": seed_preflight,
    "run_mount": seed_run_mount,
    "samples": seed_samples,
    "teardown": seed_teardown,
    "workflow": seed_workflow,
}
# Scenarios whose role makes the cluster itself.
WITHOUT_CLUSTER = ("cluster",)


def seed(scenario, work_dir):
    """The facts of a freshly seeded scenario: its own cluster (unless its role makes one), and what it adds."""
    work_dir = Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    if scenario in WITHOUT_CLUSTER:
        return dict(SCENARIOS[scenario](None, work_dir), work_dir=str(work_dir))
    cluster = seed_cluster(
        cluster_name="molecule-%s-%s" % (scenario.replace("_", "-"), uuid.uuid4().hex[:6]),
        image=OFFICIAL_IMAGES["ubuntu2204"][1],  # ParallelCluster's Ubuntu 22.04 headnode image
    )
    return dict(SCENARIOS[scenario](cluster, work_dir), cluster=cluster, work_dir=str(work_dir))


def main(argv=None):
    parser = argparse.ArgumentParser(description="Seed the running sandbox for one molecule scenario.")
    parser.add_argument("scenario", choices=sorted(SCENARIOS))
    parser.add_argument("--work", required=True, help="the scenario's scratch directory (molecule's ephemeral dir)")
    parser.add_argument("--out", help="write the facts here as JSON")
    parser.add_argument("--stop", action="store_true", help="stop what the scenario started instead of seeding")
    args = parser.parse_args(argv)
    if args.stop:
        stop_started(args.work)
        return 0
    text = json.dumps(seed(args.scenario, args.work), indent=2, sort_keys=True)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
