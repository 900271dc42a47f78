"""A failed CreateDataRepositoryTask names the task type that was requested: the recovery import of fsx_dra and the
export of fsx_export_task share one create call, and an import that failed used to be reported as an export."""

import boto3
import pytest
from botocore.stub import Stubber

from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.errors import AnsibleFSxError
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.tasks import create_task
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.tasks import import_request
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import aws_retry
from testlib.fsx_api import FS_ID
from testlib.fsx_api import REGION

PREFIX = "s3://daylily-runs/run42/"
EXPORT = {
    "Type": "EXPORT_TO_REPOSITORY",
    "FileSystemId": FS_ID,
    "Paths": ["analysis_results/alice/run42"],
    "Report": {"Enabled": False},
}


def failed_create(request):
    """The AnsibleFSxError of a create that AWS refuses (BadRequest is not retried)."""
    client = boto3.client("fsx", region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing")
    with Stubber(client) as stubber:
        stubber.add_client_error(
            "create_data_repository_task", "BadRequest", "The path is not linked.", 400, expected_params=request
        )
        with pytest.raises(AnsibleFSxError) as raised:
            create_task(RetryingBotoClientWrapper(client, aws_retry(delay=0)), request)
        stubber.assert_no_pending_responses()
    return raised.value


def test_defect_20_a_failed_import_task_is_reported_as_an_import_not_an_export():
    error = failed_create(import_request(FS_ID, PREFIX))
    assert (
        "create the FSx import task (CreateDataRepositoryTask, Type=IMPORT_METADATA_FROM_REPOSITORY)" in error.message
    )
    assert "export" not in error.message.lower(), error.message


def test_a_failed_export_task_is_still_reported_as_an_export():
    error = failed_create(EXPORT)
    assert "create the FSx export task (CreateDataRepositoryTask, Type=EXPORT_TO_REPOSITORY)" in error.message


def test_another_task_type_is_named_by_its_type():
    error = failed_create(dict(EXPORT, Type="AUTO_RELEASE_DATA"))
    assert "create the FSx data repository task (CreateDataRepositoryTask, Type=AUTO_RELEASE_DATA)" in error.message
