"""What the delete gate reads about a cluster (module_utils/_teardown/resources.py): its file systems by tag, their
associations and tasks (FSx requests checked by botocore's Stubber), and which other clusters mount them, from the
configs behind `pcluster describe-cluster` (the CLI's JSON answers, given by a stand-in runner)."""

import datetime
import json

import boto3
from botocore.stub import Stubber

from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import pcluster
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import teardown
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import aws_retry
from testlib import fsx_items

OWN, OTHER = "fs-0000000000000000a", "fs-0000000000000000b"
CREATED = datetime.datetime(2026, 12, 6, tzinfo=datetime.UTC)


def config(policy=None, mounts=None):
    settings = {"StorageCapacity": 1200}
    if policy:
        settings["DeletionPolicy"] = policy
    if mounts:
        settings = {"FileSystemId": mounts}
    return json.dumps(
        {"SharedStorage": [{"MountDir": "/fsx", "StorageType": "FsxLustre", "FsxLustreSettings": settings}]}
    )


def cli_answering(clusters):
    """A pcluster CLI whose describe-cluster and list-clusters answer from ``{name: config text or None}``."""
    calls = []

    def run(argv):
        calls.append(argv[1:])
        if argv[1] == "list-clusters":
            return 0, json.dumps({"clusters": [{"clusterName": name} for name in clusters]}), ""
        name = argv[argv.index("--cluster-name") + 1]
        if name not in clusters:
            return (
                1,
                json.dumps(
                    {
                        "message": "Cluster '%s' does not exist or belongs to an incompatible ParallelCluster major version."
                        % name
                    }
                ),
                "",
            )
        answer = {
            "clusterName": name,
            "clusterStatus": "CREATE_COMPLETE",
            "headNode": {"instanceId": "i-0123456789abcdef0"},
        }
        answer["clusterConfiguration"] = {"url": "https://configs/%s" % name}
        return 0, json.dumps(answer), ""

    return pcluster.PclusterCli("pcluster", run), calls


def fetcher(clusters):
    def fetch(url):
        text = clusters[url.rsplit("/", 1)[1]]
        if text is None:
            raise OSError("403 Forbidden")
        return text

    return fetch


def file_system(file_system_id, cluster):
    return fsx_items.file_system(file_system_id, cluster, created=CREATED)


def stubbed_fsx():
    client = boto3.client("fsx", region_name="us-west-2", aws_access_key_id="x", aws_secret_access_key="x")
    return client, Stubber(client), RetryingBotoClientWrapper(client, aws_retry(delay=0))


def test_facts_name_the_other_clusters_that_mount_the_file_system_and_those_whose_config_cannot_be_read():
    clusters = {"day-c1": config(), "day-c2": config(mounts=OWN), "day-c3": None}
    cli, calls = cli_answering(clusters)
    _client, stubber, client = stubbed_fsx()
    stubber.add_response(
        "describe_file_systems", {"FileSystems": [file_system(OWN, "day-c1"), file_system(OTHER, "day-c2")]}, {}
    )
    association = {
        "AssociationId": "dra-0000000000000000a",
        "FileSystemId": OWN,
        "Lifecycle": "AVAILABLE",
        "FileSystemPath": "/references/",
        "DataRepositoryPath": "s3://refs/",
    }
    filters = [{"Name": "file-system-id", "Values": [OWN]}]
    stubber.add_response("describe_data_repository_associations", {"Associations": [association]}, {"Filters": filters})
    task = {
        "TaskId": "task-0000000000000000a",
        "Lifecycle": "EXECUTING",
        "Type": "EXPORT_TO_REPOSITORY",
        "CreationTime": CREATED,
        "FileSystemId": OWN,
    }
    stubber.add_response("describe_data_repository_tasks", {"DataRepositoryTasks": [task]}, {"Filters": filters})
    with stubber:
        facts = teardown.cluster_facts("day-c1", cli, client, fetcher(clusters))
        stubber.assert_no_pending_responses()
    assert facts["exists"] is True and facts["headnode_instance_id"] == "i-0123456789abcdef0"
    assert facts["file_systems"] == [
        {
            "file_system_id": OWN,
            "lifecycle": "AVAILABLE",
            "managed": True,
            "deletion_policy": "Delete",
            "deleted_with_cluster": True,
            "used_by": ["day-c2"],
            "unknown_users": ["day-c3"],
        }
    ]
    assert [(a["association_id"], a["lifecycle"]) for a in facts["associations"]] == [
        ("dra-0000000000000000a", "AVAILABLE")
    ]
    assert [(t["task_id"], t["lifecycle"]) for t in facts["tasks"]] == [("task-0000000000000000a", "EXECUTING")]
    assert [call[0] for call in calls] == ["describe-cluster", "list-clusters", "describe-cluster", "describe-cluster"]


def test_a_retained_file_system_stays_and_a_cluster_that_is_gone_needs_no_fsx_call():
    clusters = {"day-c1": config(policy="Retain")}
    cli, _calls = cli_answering(clusters)
    _client, stubber, client = stubbed_fsx()
    stubber.add_response("describe_file_systems", {"FileSystems": [file_system(OWN, "day-c1")]}, {})
    stubber.add_response("describe_data_repository_associations", {"Associations": []}, None)
    stubber.add_response("describe_data_repository_tasks", {"DataRepositoryTasks": []}, None)
    with stubber:
        facts = teardown.cluster_facts("day-c1", cli, client, fetcher(clusters))
    (kept,) = facts["file_systems"]
    assert (kept["deletion_policy"], kept["deleted_with_cluster"], kept["unknown_users"]) == ("Retain", False, [])

    with stubber:  # no response queued: any FSx call would fail the test
        gone = teardown.cluster_facts("day-c9", cli, client, fetcher(clusters))
    assert gone["exists"] is False and gone["file_systems"] == []
