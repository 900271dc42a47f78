"""fsx_dra_info through ansible-playbook against the sandbox, including injected throttling."""

from testlib.playbooks import run_playbook

PLAYBOOK = "fsx_dra_info.yml"


def attach_run(aws, cluster, run, purpose="run-dir-mount"):
    bucket = cluster["buckets"][2]
    aws("s3").put_object(Bucket=bucket, Key=f"{run}/RunInfo.xml", Body=b"<RunInfo/>")
    return aws("fsx").create_data_repository_association(
        FileSystemId=cluster["file_system_id"],
        FileSystemPath=f"/run_dir_mounts/{run}/",
        DataRepositoryPath=f"s3://{bucket}/{run}/",
        BatchImportMetaDataOnCreate=True,
        Tags=[{"Key": "lsmc:purpose", "Value": purpose}],
    )["Association"]["AssociationId"]


def play_vars(cluster, **extra):
    return dict({"cluster_name": cluster["cluster_name"], "file_system_id": cluster["file_system_id"]}, **extra)


def test_lists_associations_by_cluster_path_and_tag(aws, cluster):
    run_a = attach_run(aws, cluster, "run-a")
    attach_run(aws, cluster, "run-b", purpose="other")
    run = run_playbook(PLAYBOOK, play_vars(cluster))
    assert run.rc == 0, run.stdout[-3000:]

    by_cluster = run.result("List by cluster name")
    assert by_cluster["file_system_id"] == cluster["file_system_id"]
    paths = sorted(dra["file_system_path"] for dra in by_cluster["associations"])
    assert paths == ["/references/", "/run_dir_mounts/run-a/", "/run_dir_mounts/run-b/"]
    reference = next(d for d in by_cluster["associations"] if d["file_system_path"] == "/references/")
    assert reference["lifecycle"] == "AVAILABLE"
    assert reference["s3"]["auto_import_policy"]["events"] == ["NEW", "CHANGED", "DELETED"]
    assert reference["tags"] == {"lsmc:purpose": "reference"}

    assert [d["association_id"] for d in run.result("List by path in the headnode form")["associations"]] == [run_a]
    assert [d["association_id"] for d in run.result("List by tag")["associations"]] == [run_a]
    assert run.changed_count() == 0


def test_three_throttles_on_describe_associations_still_succeed(sandbox, aws, cluster):
    sandbox.inject_fault("fsx", "DescribeDataRepositoryAssociations", code="ThrottlingException", count=3)
    run = run_playbook(PLAYBOOK, play_vars(cluster, retry_delay=0.2))
    assert run.rc == 0, run.stdout[-3000:]
    assert len(run.result("List by cluster name")["associations"]) == 1
    throttled = [e for e in sandbox.audit() if e.get("fault") == "ThrottlingException"]
    assert len(throttled) == 3


def test_permanent_throttling_fails_naming_the_operation(sandbox, aws, cluster):
    sandbox.inject_fault("fsx", "DescribeDataRepositoryAssociations", code="ThrottlingException", count=-1)
    run = run_playbook(PLAYBOOK, play_vars(cluster, retries=2, retry_delay=0))
    assert run.rc != 0
    failure = run.result("List by cluster name")
    assert failure["failed"]
    assert "DescribeDataRepositoryAssociations" in failure["msg"]
    assert "ThrottlingException" in failure["msg"]


def test_every_call_is_read_only_and_carries_the_collection_user_agent(sandbox, aws, cluster):
    sandbox.clear_audit()
    run = run_playbook(PLAYBOOK, play_vars(cluster))
    assert run.rc == 0, run.stdout[-3000:]
    calls = sandbox.audit()
    assert calls and not [c for c in calls if c["mutating"]]
    assert all("daylily.ephemeral_cluster/" in c["user_agent"] for c in calls)
