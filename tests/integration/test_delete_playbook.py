"""playbooks/delete.yml, the delete gate (DESIGN §6), against a cluster made by the sandbox's pcluster: it refuses while
an analysis directory lacks a verified export that still matches S3 and FSx, or while an export task runs, with a
table of what blocks and how to unblock it; it deletes after a verified export, detaching every association with
DeleteDataInFileSystem=false and deleting nothing in S3; --check changes nothing; the override is recorded.

Each test walks one cluster through several states (a cluster and an export cost seconds each), undoing each change
before the next, so every refusal is caused by exactly the change before it."""

from pathlib import Path

import pytest
import yaml

from testlib.pcluster import STANDIN
from testlib.pcluster import require_pcluster_python
from testlib.pcluster import run_pcluster
from testlib.pcluster import seed_account
from testlib.pcluster import write_cluster_config
from testlib.playbooks import OPERATOR_PLAYBOOKS
from testlib.playbooks import run_playbook

DELETE = str(OPERATOR_PLAYBOOKS / "delete.yml")
ROLE = "daylily.ephemeral_cluster.teardown : "
GATE = ROLE + "Decide (fails with what blocks the deletion and what to run to unblock each)"
EXPORT = str(OPERATOR_PLAYBOOKS / "export.yml")
CLUSTER = "dayec-del"
BUCKET = "dayec-analysis"
ROOT = f"s3://{BUCKET}/derived/"
ENTITY, ANALYSIS = "alice", "run42"
TREE = {
    "config/samples.tsv": b"SAMPLEID\tSAMPLETYPE\nS1\tblood\n",
    "results/S1.stats.tsv": b"reads\t1000\n",
    "results/deep/leaf.txt": b"leaf\n",
}


@pytest.fixture
def cluster(sandbox, aws, tmp_path):
    """A cluster created by the sandbox's pcluster (FSx with the startup DRA, SSM headnode) holding one analysis."""
    require_pcluster_python()
    network = seed_account()
    aws("s3").create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
    config = write_cluster_config(tmp_path, CLUSTER, network)
    rc, answer = run_pcluster("create-cluster", "-n", CLUSTER, "-c", config)
    assert rc == 0, answer
    rc, described = run_pcluster("describe-cluster", "-n", CLUSTER)
    assert described["clusterStatus"] == "CREATE_COMPLETE", described
    (node,) = sandbox.headnodes()
    analysis = Path(node["fsx_mount"]) / "analysis_results" / ENTITY / ANALYSIS
    for relative, body in TREE.items():
        (analysis / relative).parent.mkdir(parents=True, exist_ok=True)
        (analysis / relative).write_bytes(body)
    return {"fsx_mount": node["fsx_mount"], "analysis": analysis, "file_system_id": node["file_system_id"]}


def delete_vars(cluster, output_dir, **extra):
    return dict(
        {
            "cluster_name": CLUSTER,
            "export_s3_uri": ROOT,
            "fsx_mount_point": cluster["fsx_mount"],
            "output_dir": str(output_dir),
            "pcluster_command": STANDIN,
            "region": "us-west-2",
            "poll_interval": 1,
            "wait_timeout": 60,
        },
        **extra,
    )


def export(cluster, output_dir):
    run = run_playbook(
        EXPORT,
        {
            "cluster_name": CLUSTER,
            "region": "us-west-2",
            "fsx_mount_point": cluster["fsx_mount"],
            "export_executing_entity": ENTITY,
            "export_analysis_id": ANALYSIS,
            "export_destination_s3_uri": f"{ROOT}{ENTITY}/{ANALYSIS}/",
            "export_output_dir": str(output_dir),
            "export_poll_interval": 1,
        },
    )
    assert run.rc == 0, run.failures()


def cluster_exists():
    return run_pcluster("describe-cluster", "-n", CLUSTER)[0] == 0


def refusal(sandbox, cluster, tmp_path):
    """Run delete.yml, which must refuse without one mutating AWS call and keep the cluster; its gate result."""
    sandbox.clear_audit()
    run = run_playbook(DELETE, delete_vars(cluster, tmp_path / "deletions"))
    assert run.rc != 0
    assert sandbox.mutating_calls() == []
    assert cluster_exists()
    assert not (tmp_path / "deletions").exists()
    return run.result(GATE)


def start_export_task(sandbox, aws, cluster):
    """An export task that stays PENDING (its lifecycle slowed) on an association of the analysis directory."""
    fsx = aws("fsx")
    association = fsx.create_data_repository_association(
        FileSystemId=cluster["file_system_id"],
        FileSystemPath=f"/analysis_results/{ENTITY}/{ANALYSIS}/",
        DataRepositoryPath=f"s3://{BUCKET}/elsewhere/{ENTITY}/{ANALYSIS}/",
        BatchImportMetaDataOnCreate=False,
    )["Association"]
    fsx.describe_data_repository_associations(AssociationIds=[association["AssociationId"]])  # now AVAILABLE
    sandbox.slow_lifecycle("fsx::task", times=1000)
    return fsx.create_data_repository_task(
        FileSystemId=cluster["file_system_id"],
        Type="EXPORT_TO_REPOSITORY",
        Paths=[f"analysis_results/{ENTITY}/{ANALYSIS}"],
        Report={"Enabled": False},
    )["DataRepositoryTask"]["TaskId"]


def test_refuses_without_a_verified_receipt_and_while_it_no_longer_matches_s3_or_fsx(sandbox, aws, cluster, tmp_path):
    gate = refusal(sandbox, cluster, tmp_path)
    assert [(b["kind"], b["subject"]) for b in gate["blockers"]] == [("no_export", "alice/run42")]
    assert "ansible-playbook playbooks/export.yml" in gate["msg"] and "alice/run42" in gate["msg"]
    assert "delete_without_verified_exports=true and confirm_cluster_name=dayec-del" in gate["msg"]

    export(cluster, tmp_path / "exports")
    s3, prefix = aws("s3"), f"derived/{ENTITY}/{ANALYSIS}/"

    s3.delete_object(Bucket=BUCKET, Key=prefix + "results/S1.stats.tsv")  # an exported object removed
    ((kind, reason),) = [(b["kind"], b["reason"]) for b in refusal(sandbox, cluster, tmp_path)["blockers"]]
    assert kind == "export_not_verified" and "results/S1.stats.tsv" in reason
    s3.put_object(Bucket=BUCKET, Key=prefix + "results/S1.stats.tsv", Body=TREE["results/S1.stats.tsv"])

    leaf = prefix + "results/deep/leaf.txt"  # an exported object renamed
    s3.copy_object(Bucket=BUCKET, Key=prefix + "results/renamed.txt", CopySource={"Bucket": BUCKET, "Key": leaf})
    s3.delete_object(Bucket=BUCKET, Key=leaf)
    ((kind, reason),) = [(b["kind"], b["reason"]) for b in refusal(sandbox, cluster, tmp_path)["blockers"]]
    assert kind == "export_not_verified" and "results/deep/leaf.txt" in reason
    s3.put_object(Bucket=BUCKET, Key=leaf, Body=TREE["results/deep/leaf.txt"])
    s3.delete_object(Bucket=BUCKET, Key=prefix + "results/renamed.txt")

    (cluster["analysis"] / "results" / "late.txt").write_bytes(b"written after the export\n")
    (blocker,) = refusal(sandbox, cluster, tmp_path)["blockers"]
    assert (blocker["kind"], blocker["subject"]) == ("fsx_changed", "alice/run42")
    assert "1 added (results/late.txt)" in blocker["reason"]
    assert blocker["unblock"].endswith("-e export_update_existing=true")


def s3_objects(aws):
    """{(bucket, key): size} of every object in the sandbox."""
    s3 = aws("s3")
    return {
        (bucket["Name"], obj["Key"]): obj["Size"]
        for bucket in s3.list_buckets()["Buckets"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket["Name"])
        for obj in page.get("Contents", [])
    }


def receipt_at(path):
    return yaml.safe_load(Path(path).read_text(encoding="utf-8"))["cluster_deletion"]


def test_invariant_01_check_mode_changes_nothing_then_the_delete_detaches_every_dra_with_delete_data_false_and_keeps_s3(
    sandbox, aws, cluster, tmp_path
):
    export(cluster, tmp_path / "exports")
    fsx = aws("fsx")
    (startup,) = fsx.describe_data_repository_associations()["Associations"]
    extra = fsx.create_data_repository_association(
        FileSystemId=cluster["file_system_id"],
        FileSystemPath="/staging/batch1/",
        DataRepositoryPath=f"s3://{BUCKET}/staged_external_data/batch1/",
        BatchImportMetaDataOnCreate=False,
    )["Association"]
    account = aws("sts").get_caller_identity()["Account"]
    budget = {"BudgetName": f"daylily-{CLUSTER}", "BudgetLimit": {"Amount": "100", "Unit": "USD"}}
    aws("budgets").create_budget(AccountId=account, Budget=dict(budget, TimeUnit="MONTHLY", BudgetType="COST"))
    before = s3_objects(aws)

    sandbox.clear_audit()
    checked = run_playbook(DELETE, delete_vars(cluster, tmp_path / "deletions"), check=True)
    assert checked.rc == 0, checked.failures()
    assert sandbox.mutating_calls() == []
    assert cluster_exists() and not (tmp_path / "deletions").exists()
    plan = checked.result(GATE)["plan"]
    assert [(item["resource"], item["id"]) for item in plan["delete"]] == [
        ("cluster", CLUSTER),
        ("headnode", sandbox.headnodes()[0]["instance_id"]),
        ("fsx_file_system", cluster["file_system_id"]),
    ]
    assert sorted((item["file_system_path"], item["delete_data_in_file_system"]) for item in plan["detach"]) == [
        ("/references/", False),
        ("/staging/batch1/", False),
    ]
    assert ("s3_export", f"{ROOT}{ENTITY}/{ANALYSIS}/") in [(item["resource"], item["id"]) for item in plan["preserve"]]
    shown = checked.result(ROLE + "Show what the deletion deletes, detaches and keeps")["msg"]
    assert shown[0] == f"Cluster {CLUSTER} may be deleted." and cluster["file_system_id"] in shown[1]

    sandbox.clear_audit()
    run = run_playbook(DELETE, delete_vars(cluster, tmp_path / "deletions"))
    assert run.rc == 0, run.failures()
    assert not cluster_exists()
    assert aws("fsx").describe_file_systems()["FileSystems"] == []
    assert aws("budgets").describe_budgets(AccountId=account).get("Budgets", []) == []
    deletes = [call["request"] for call in sandbox.calls("DeleteDataRepositoryAssociation")]
    assert sorted(d["AssociationId"] for d in deletes) == sorted([startup["AssociationId"], extra["AssociationId"]])
    assert all(d["DeleteDataInFileSystem"] is False for d in deletes)

    after = s3_objects(aws)
    kept = {key: size for key, size in after.items() if key in before}
    assert (len(kept), sum(kept.values())) == (len(before), sum(before.values()))
    (receipt_object,) = set(after) - set(before)  # the deletion receipt, next to the exports
    timestamp = run.result(GATE)["timestamp"]
    assert receipt_object == (
        BUCKET,
        f"derived/_daylily_monitor/cluster-deletion/{CLUSTER}/{timestamp}/cluster_deletion.yaml",
    )
    local = tmp_path / "deletions" / CLUSTER / timestamp / "cluster_deletion.yaml"
    assert aws("s3").get_object(Bucket=BUCKET, Key=receipt_object[1])["Body"].read() == local.read_bytes()
    receipt = receipt_at(local)
    assert (receipt["status"], receipt["phase"], receipt["override"]["delete_without_verified_exports"]) == (
        "deleted",
        "complete",
        False,
    )
    assert [(row["analysis_dir"], row["verified"]) for row in receipt["analyses"]] == [(f"{ENTITY}/{ANALYSIS}", True)]
    assert receipt["budget"] == {"name": f"daylily-{CLUSTER}", "removed": True}
    assert {
        (d["association_id"], d["delete_data_in_file_system"], d["detach_lifecycle"])
        for d in receipt["detached_associations"]
    } == {
        (startup["AssociationId"], False, "DELETED"),
        (extra["AssociationId"], False, "DELETED"),
    }

    sandbox.clear_audit()
    again = run_playbook(DELETE, delete_vars(cluster, tmp_path / "deletions"))
    assert again.rc == 0 and again.changed_count() == 0, again.failures()
    assert sandbox.mutating_calls() == []


def test_the_override_needs_the_cluster_name_never_lifts_a_running_export_task_and_is_recorded(
    sandbox, aws, cluster, tmp_path
):
    override = {"delete_without_verified_exports": True}
    sandbox.clear_audit()
    wrong = run_playbook(DELETE, delete_vars(cluster, tmp_path / "deletions", confirm_cluster_name="dayec", **override))
    assert wrong.rc != 0 and sandbox.mutating_calls() == [] and cluster_exists()
    assert "delete_without_verified_exports=true needs confirm_cluster_name=dayec-del" in wrong.result(GATE)["msg"]

    task_id = start_export_task(sandbox, aws, cluster)
    sandbox.clear_audit()
    held = run_playbook(DELETE, delete_vars(cluster, tmp_path / "deletions", confirm_cluster_name=CLUSTER, **override))
    assert held.rc != 0 and sandbox.mutating_calls() == [] and cluster_exists()
    gate = held.result(GATE)
    assert [(b["kind"], b["subject"]) for b in gate["blockers"]] == [("task_running", task_id)]
    assert [(b["kind"], b["subject"]) for b in gate["overridden"]] == [("no_export", "alice/run42")]
    assert "To delete it anyway" not in gate["msg"]

    aws("fsx").cancel_data_repository_task(TaskId=task_id)
    sandbox.call("POST", "lifecycle", {"model": "fsx::task", "progression": "immediate"})
    aws("fsx").describe_data_repository_tasks(TaskIds=[task_id])  # now CANCELED
    run = run_playbook(DELETE, delete_vars(cluster, tmp_path / "deletions", confirm_cluster_name=CLUSTER, **override))
    assert run.rc == 0, run.failures()
    assert not cluster_exists()
    (local,) = (tmp_path / "deletions" / CLUSTER).glob("*/cluster_deletion.yaml")
    receipt = receipt_at(local)
    assert receipt["status"] == "deleted" and receipt["gate"]["passed"] is False
    assert receipt["override"]["delete_without_verified_exports"] is True
    assert receipt["override"]["confirm_cluster_name"] == CLUSTER
    assert [(b["kind"], b["subject"]) for b in receipt["override"]["overridden"]] == [("no_export", "alice/run42")]
    assert [(row["analysis_dir"], row["verified"]) for row in receipt["analyses"]] == [(f"{ENTITY}/{ANALYSIS}", False)]
