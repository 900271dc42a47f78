"""fsx_dra: the listing import that a run mount recovered from MISCONFIGURED owes, with Stubber-validated requests.

Found by the chaos suite: the recovery (UpdateDataRepositoryAssociation, wait AVAILABLE) and the import task are two
steps; a run killed between them left an AVAILABLE association that a re-run took as done, and the run's files never
appeared on FSx. The owed import is now recorded on the association (the daylily:import-pending tag, set before the
update, removed once the import SUCCEEDED); the import task carries the same tag, so a re-run finds a task an
interrupted run created instead of importing twice.
"""

import datetime

import pytest
from botocore.stub import ANY

from ansible_collections.daylily.ephemeral_cluster.plugins.modules import fsx_dra
from testlib.fsx_api import FS_ID
from testlib.fsx_api import REGION
from testlib.fsx_api import association as dra
from testlib.modules import execute_module
from testlib.modules import stubbed_module_client

CONNECTION = {"region": REGION, "access_key": "testing", "secret_key": "testing", "retry_delay": 0}
RUN_PATH = "/run_dir_mounts/run42/"
RUN_URI = "s3://daylily-runs/run42/"
DRA_ID = "dra-00000000000000042"
MARKER = "daylily:import-pending"
SINCE = "2026-12-06T19:30:00.000000Z"
TASK_ID = "task-0123456789abcdef0"
FS_FILTER = {"Filters": [{"Name": "file-system-id", "Values": [FS_ID]}]}
MOUNT = {
    "file_system_id": FS_ID,
    "file_system_path": RUN_PATH,
    "data_repository_path": RUN_URI,
    "batch_import_meta_data_on_create": True,
    "poll_interval": 0.001,
}


def association(lifecycle="AVAILABLE", since=None, **extra):
    tags = {"lsmc:purpose": "run-dir-mount"}
    if since:
        tags[MARKER] = since
    return dra(0x42, path=RUN_PATH, uri=RUN_URI, assoc_id=DRA_ID, lifecycle=lifecycle, tags=tags, **extra)


def task(lifecycle, since=SINCE, task_id=TASK_ID, created_minute=31):
    item = {
        "TaskId": task_id,
        "Lifecycle": lifecycle,
        "Type": "IMPORT_METADATA_FROM_REPOSITORY",
        "CreationTime": datetime.datetime(2026, 12, 6, 19, created_minute, tzinfo=datetime.UTC),
        "FileSystemId": FS_ID,
        "Paths": [RUN_URI],
    }
    if since:
        item["Tags"] = [{"Key": MARKER, "Value": since}]
    if lifecycle == "FAILED":
        item["FailureDetails"] = {"Message": "Amazon FSx cannot read the S3 prefix."}
    return item


class Fsx:
    def __init__(self, stubber):
        self.stubber = stubber

    def listing(self, *associations):
        self.stubber.add_response(
            "describe_data_repository_associations", {"Associations": list(associations)}, FS_FILTER
        )

    def by_id(self, item):
        self.stubber.add_response(
            "describe_data_repository_associations", {"Associations": [item]}, {"AssociationIds": [DRA_ID]}
        )

    def mark(self):
        arn = association()["ResourceARN"]
        self.stubber.add_response("tag_resource", {}, {"ResourceARN": arn, "Tags": [{"Key": MARKER, "Value": ANY}]})

    def recover(self):
        """The re-check of a MISCONFIGURED association: the update, then AVAILABLE (with the marker set before)."""
        self.stubber.add_response(
            "update_data_repository_association",
            {"Association": association("UPDATING", since=SINCE)},
            {"AssociationId": DRA_ID},
        )
        self.by_id(association(since=SINCE))

    def tasks(self, *items):
        self.stubber.add_response("describe_data_repository_tasks", {"DataRepositoryTasks": list(items)}, FS_FILTER)

    def create_import(self, since=SINCE):
        request = {
            "Type": "IMPORT_METADATA_FROM_REPOSITORY",
            "FileSystemId": FS_ID,
            "Paths": [RUN_URI],
            "Report": {"Enabled": False},
            "Tags": [{"Key": MARKER, "Value": since}],
        }
        self.stubber.add_response("create_data_repository_task", {"DataRepositoryTask": task("PENDING")}, request)

    def task_by_id(self, lifecycle):
        self.stubber.add_response(
            "describe_data_repository_tasks", {"DataRepositoryTasks": [task(lifecycle)]}, {"TaskIds": [TASK_ID]}
        )

    def unmark(self):
        arn = association()["ResourceARN"]
        self.stubber.add_response("untag_resource", {}, {"ResourceARN": arn, "TagKeys": [MARKER]})


def mount(capsys, monkeypatch, stub, check_mode=False, **options):
    """Run fsx_dra state=present against the calls ``stub(Fsx)`` expects, and only those."""
    with stubbed_module_client(monkeypatch, "fsx") as (stubber, _calls):
        stub(Fsx(stubber))
        return execute_module(capsys, fsx_dra.main, dict(CONNECTION, **MOUNT, **options), check_mode=check_mode)


def rerun(found=(), creates=True, polls=("SUCCEEDED",)):
    """The stub of a run that finds the marker on an AVAILABLE association and the import tasks ``found``: it creates
    one (``creates``), polls it (``polls``: the lifecycles it reads) and removes the marker."""

    def stub(fsx):
        fsx.listing(association(since=SINCE))
        fsx.tasks(*found)
        if creates:
            fsx.create_import()
        for lifecycle in polls:
            fsx.task_by_id(lifecycle)
        fsx.unmark()

    return stub


def test_defect_18_a_mount_left_available_with_its_import_pending_imports_once_and_clears_the_marker(
    capsys, monkeypatch
):
    code, result = mount(capsys, monkeypatch, rerun())  # killed after the recovery, before the import
    assert code == 0, result
    assert result["changed"] is True
    assert result["listing_import"] == {
        "action": "import",
        "data_repository_path": RUN_URI,
        "pending_since": SINCE,
        "task_id": TASK_ID,
        "lifecycle": "SUCCEEDED",
    }
    assert result["association"]["tags"] == {"lsmc:purpose": "run-dir-mount"}


def test_a_recovery_records_the_import_before_its_update_and_clears_it_after_the_import(capsys, monkeypatch):
    def stub(fsx):
        fsx.listing(association("MISCONFIGURED", failure="Amazon FSx cannot access the S3 bucket."))
        fsx.mark()
        fsx.recover()
        fsx.tasks()
        fsx.create_import()
        fsx.task_by_id("EXECUTING")
        fsx.task_by_id("SUCCEEDED")
        fsx.unmark()

    code, result = mount(capsys, monkeypatch, stub)
    assert code == 0, result
    assert result["changed"] is True and result["association"]["lifecycle"] == "AVAILABLE"
    assert result["listing_import"]["action"] == "import" and result["listing_import"]["lifecycle"] == "SUCCEEDED"


OLDER_MARKER = "2026-12-01T08:00:00.000000Z"


@pytest.mark.parametrize(
    "found, creates, polls, action",
    [
        # a running task of the marker is waited for, not doubled; one of an older marker does not count
        (
            [task("SUCCEEDED", since=OLDER_MARKER, task_id="task-0000000000000000a"), task("EXECUTING")],
            False,
            ["SUCCEEDED"],
            "wait",
        ),
        ([task("SUCCEEDED")], False, [], "finish"),  # it ended before the run that created it was killed
        (
            [
                task("FAILED", task_id="task-0000000000000000b"),
                task("SUCCEEDED", since=None, task_id="task-0000000000000000c"),
            ],
            True,
            ["SUCCEEDED"],
            "import",
        ),
    ],
    ids=["running", "succeeded", "failed"],
)
def test_a_rerun_uses_the_import_task_of_its_marker(capsys, monkeypatch, found, creates, polls, action):
    code, result = mount(capsys, monkeypatch, rerun(found, creates, polls))
    assert code == 0 and result["changed"] is True, result
    assert result["listing_import"]["action"] == action and result["listing_import"]["task_id"] == TASK_ID


def test_a_failed_import_keeps_the_marker_and_says_a_rerun_imports_again(capsys, monkeypatch):
    def stub(fsx):
        fsx.listing(association(since=SINCE))
        fsx.tasks()
        fsx.create_import()
        fsx.task_by_id("FAILED")

    code, result = mount(capsys, monkeypatch, stub)
    assert code == 1
    assert f"Import task {TASK_ID} of the listing of {RUN_URI} ended FAILED" in result["msg"]
    assert f"keeps its {MARKER} tag, so the re-run imports again" in result["msg"]
    assert result["changed"] is True and result["listing_import"]["lifecycle"] == "FAILED"


def test_check_mode_only_reads_and_says_it_would_import(capsys, monkeypatch):
    def stub(fsx):  # no mutating call is stubbed: one would fail the test
        fsx.listing(association(since=SINCE))
        fsx.tasks()

    code, result = mount(capsys, monkeypatch, stub, check_mode=True)
    assert code == 0, result
    assert result["changed"] is True
    assert result["listing_import"] == {"action": "import", "data_repository_path": RUN_URI, "pending_since": SINCE}


def test_check_mode_names_the_running_import_it_would_wait_for(capsys, monkeypatch):
    def stub(fsx):
        fsx.listing(association(since=SINCE))
        fsx.tasks(task("EXECUTING"))

    code, result = mount(capsys, monkeypatch, stub, check_mode=True)
    assert code == 0 and result["changed"] is True, result
    assert result["listing_import"]["action"] == "wait" and result["listing_import"]["task_id"] == TASK_ID


def test_the_marker_is_not_purged_as_an_unwanted_tag(capsys, monkeypatch):
    def stub(fsx):  # wait=false: the import is started, the marker stays until a run sees it SUCCEEDED
        fsx.listing(association(since=SINCE))
        fsx.tasks()
        fsx.create_import()

    code, result = mount(capsys, monkeypatch, stub, wait=False, tags={"lsmc:purpose": "run-dir-mount"}, purge_tags=True)
    assert code == 0, result
    assert result["listing_import"]["lifecycle"] == "PENDING"
    assert result["association"]["tags"][MARKER] == SINCE


def test_the_marker_cannot_be_given_as_a_tag(capsys, monkeypatch):
    code, result = mount(capsys, monkeypatch, lambda fsx: None, tags={MARKER: "x"})
    assert code == 1 and f"the tag key {MARKER} is the module's own record" in result["msg"]
