"""playbooks/reap.yml against clusters made by the sandbox's pcluster and found by the pcluster inventory plugin: an
expired cluster whose analysis has a verified export is deleted through the delete gate, an expired one without is
kept and reported with why (never forced), a cluster that has not expired is not touched, S3 keeps every object,
and the run fails so that a scheduled job shows the kept cluster."""

from pathlib import Path

import pytest
import yaml

from testlib.clusters import create_cluster
from testlib.clusters import sandbox_inventory
from testlib.pcluster import STANDIN
from testlib.pcluster import require_pcluster_python
from testlib.pcluster import run_pcluster
from testlib.pcluster import seed_account
from testlib.playbooks import OPERATOR_PLAYBOOKS
from testlib.playbooks import run_playbook

pytestmark = pytest.mark.integration

REAP = str(OPERATOR_PLAYBOOKS / "reap.yml")
EXPORT = str(OPERATOR_PLAYBOOKS / "export.yml")
BUCKET = "dayec-analysis"
ROOT = f"s3://{BUCKET}/derived/"
# each cluster's own analysis (the same directory with the same files would be covered by the other's export)
ANALYSES = {"dayec-exported": ("alice", "run42"), "dayec-unexported": ("bob", "run7")}
TREE = {"config/samples.tsv": b"SAMPLEID\tSAMPLETYPE\nS1\tblood\n", "results/S1.stats.tsv": b"reads\t1000\n"}
EXPORTED, UNEXPORTED, LIVE = "dayec-exported", "dayec-unexported", "dayec-live"


def write_analysis(cluster_name, fsx_mount):
    analysis = Path(fsx_mount).joinpath("analysis_results", *ANALYSES[cluster_name])
    for relative, body in TREE.items():
        (analysis / relative).parent.mkdir(parents=True, exist_ok=True)
        (analysis / relative).write_bytes(body)


def export(cluster_name, fsx_mount, output_dir):
    """playbooks/export.yml for the cluster's analysis (its head node is the sandbox inventory's local `headnode`)."""
    entity, analysis = ANALYSES[cluster_name]
    run = run_playbook(
        EXPORT,
        {
            "cluster_name": cluster_name,
            "region": "us-west-2",
            "fsx_mount_point": fsx_mount,
            "export_executing_entity": entity,
            "export_analysis_id": analysis,
            "export_destination_s3_uri": f"{ROOT}{entity}/{analysis}/",
            "export_output_dir": str(output_dir),
            "export_poll_interval": 1,
        },
    )
    assert run.rc == 0, run.failures()


def s3_objects(aws):
    pages = aws("s3").get_paginator("list_objects_v2").paginate(Bucket=BUCKET)
    return {obj["Key"]: obj["Size"] for page in pages for obj in page.get("Contents", [])}


def reap_vars(tmp_path, **extra):
    return dict(
        {
            "export_s3_uri": ROOT,
            "output_dir": str(tmp_path / "deletions"),
            "pcluster_command": STANDIN,
            "region": "us-west-2",
            "poll_interval": 1,
            "wait_timeout": 60,
        },
        **extra,
    )


def summary(run):
    return run.result("Summarise")["ansible_facts"]["reap_summary"]


def exists(cluster_name):
    return run_pcluster("describe-cluster", "-n", cluster_name)[0] == 0


@pytest.fixture
def clusters(sandbox, aws, tmp_path):
    """Two expired clusters, each holding one analysis, only the first exported; and a cluster with time left. The
    inventory source is the shipped sandbox one, with each sandbox head node's FSx mount point as a host variable."""
    require_pcluster_python()
    network = seed_account()
    aws("s3").create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
    create_cluster(tmp_path, network, EXPORTED, ttl_hours=-1)
    create_cluster(tmp_path, network, UNEXPORTED, ttl_hours=-1)
    create_cluster(tmp_path, network, LIVE, ttl_hours=8)
    file_systems = {
        next(t["Value"] for t in fs["Tags"] if t["Key"] == "parallelcluster:cluster-name"): fs["FileSystemId"]
        for fs in aws("fsx").describe_file_systems()["FileSystems"]
    }
    mounts = {
        name: node["fsx_mount"]
        for node in sandbox.headnodes()
        for name, fs in file_systems.items()
        if fs == node["file_system_id"]
    }
    write_analysis(EXPORTED, mounts[EXPORTED])
    write_analysis(UNEXPORTED, mounts[UNEXPORTED])
    export(EXPORTED, mounts[EXPORTED], tmp_path / "exports")
    inventory = sandbox_inventory(tmp_path, {name: {"fsx_mount_point": mount} for name, mount in mounts.items()})
    return {"inventory": inventory, "mounts": mounts}


def test_reap_deletes_the_expired_cluster_with_verified_exports_and_keeps_the_one_without_saying_why(
    sandbox, aws, clusters, tmp_path
):
    before = s3_objects(aws)
    run = run_playbook(REAP, reap_vars(tmp_path), inventory=clusters["inventory"])
    result = summary(run)
    assert (result["deleted"], result["kept"], result["failed"], result["ok"]) == ([EXPORTED], [UNEXPORTED], [], False)
    rows = {row["cluster"]: row for row in result["clusters"]}
    assert sorted(rows) == [EXPORTED, UNEXPORTED]  # the live cluster is not a candidate
    why = rows[UNEXPORTED]["why"]
    assert why.startswith("the delete gate refused: bob/run7: no fsx_export.yaml"), why
    assert "ansible-playbook playbooks/export.yml" in why
    assert UNEXPORTED in result["table"] and "kept" in result["table"]

    # the run fails (AWX shows the kept cluster) only after every cluster was handled and the summary printed
    assert run.rc == 2
    assert f"Kept: {UNEXPORTED}" in run.result("Fail when an expired cluster is still there")["msg"]
    assert not exists(EXPORTED) and exists(UNEXPORTED) and exists(LIVE)

    # deleted through the gate, never with the override; S3 kept every object
    (receipt_path,) = (tmp_path / "deletions" / EXPORTED).glob("*/cluster_deletion.yaml")
    assert rows[EXPORTED]["receipt_path"] == str(receipt_path)
    receipt = yaml.safe_load(receipt_path.read_text(encoding="utf-8"))
    body = next(iter(receipt.values()))
    assert body["override"]["delete_without_verified_exports"] is False and body["gate"]["passed"] is True
    after = s3_objects(aws)
    assert {key: size for key, size in after.items() if key in before} == before
    assert all("cluster-deletion" in key for key in set(after) - set(before))


def test_without_expired_clusters_reap_succeeds_and_says_so(sandbox, tmp_path):
    run = run_playbook(REAP, reap_vars(tmp_path), inventory=sandbox_inventory(tmp_path))
    assert run.rc == 0, run.failures()
    assert summary(run)["msg"] == "No expired cluster: nothing to reap."
    assert sandbox.mutating_calls() == []


@pytest.mark.parametrize("override", ["delete_without_verified_exports", "teardown_delete_without_verified_exports"])
def test_reap_refuses_to_run_with_the_override_set(sandbox, tmp_path, override):
    extra = {override: True, "confirm_cluster_name": "x", "teardown_confirm_cluster_name": "x"}
    run = run_playbook(REAP, reap_vars(tmp_path, **extra), inventory=sandbox_inventory(tmp_path))
    assert run.rc == 2
    assert "reap.yml never deletes a cluster without verified exports" in run.failures()
    assert (
        "Plan (the clusters in daylily_expired; a head node's export_s3_uri and fsx_mount_point win)" not in run.stdout
    )
    assert sandbox.mutating_calls() == []
