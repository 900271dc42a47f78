"""Unit tests for plugins/module_utils/fsx.py.

Every AWS request goes through a real botocore FSx client wrapped in botocore.stub.Stubber, so each request is
validated against the FSx API model (operation names, parameter names and types) and each stubbed response
against the output shape. No MagicMock clients.
"""

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.exceptions import EndpointConnectionError
from botocore.stub import Stubber

from ansible_collections.amazon.aws.plugins.module_utils import cloud
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import aws_errors
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import fsx
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import modules
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.fsx import AnsibleFSxError
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.fsx import build_filters
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.fsx import describe_associations
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.fsx import describe_tasks
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.fsx import filter_associations
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.fsx import find_file_system_by_cluster
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.fsx import normalize_association
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.fsx import normalize_file_system_path
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.fsx import normalize_task
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.fsx import remediation
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import aws_retry
from testlib.fsx_api import CREATED
from testlib.fsx_api import FS_ID
from testlib.fsx_api import OTHER_FS_ID
from testlib.fsx_api import REGION
from testlib.fsx_api import association as dra

FAST = aws_retry(delay=0)  # same codes and attempt count as production, no sleeping


def task(n, lifecycle="EXECUTING"):
    return {
        "TaskId": f"task-{n:017x}",
        "Lifecycle": lifecycle,
        "Type": "EXPORT_TO_REPOSITORY",
        "CreationTime": CREATED,
        "FileSystemId": FS_ID,
        "Paths": ["/analysis_results/alice/run42/"],
        "Tags": [{"Key": "lsmc:purpose", "Value": "output-export"}],
    }


def file_system(fs_id, cluster=None, fs_type="LUSTRE", lifecycle="AVAILABLE"):
    tags = [{"Key": "Name", "Value": fs_id}]
    if cluster:
        tags.append({"Key": "parallelcluster:cluster-name", "Value": cluster})
    return {
        "FileSystemId": fs_id,
        "FileSystemType": fs_type,
        "Lifecycle": lifecycle,
        "CreationTime": CREATED,
        "Tags": tags,
    }


FS_FILTER = [{"Name": "file-system-id", "Values": [FS_ID]}]


@pytest.fixture
def client():
    return boto3.client("fsx", region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing")


@pytest.fixture
def stubber(client):
    with Stubber(client) as stub:
        yield stub
        stub.assert_no_pending_responses()


@pytest.fixture
def sleeps(monkeypatch):
    """Record the back-off delays AWSRetry asks for instead of sleeping."""
    recorded = []
    monkeypatch.setattr(cloud.time, "sleep", recorded.append)
    return recorded


def throttle(stubber, method, params, times=1, code="ThrottlingException"):
    for _attempt in range(times):
        stubber.add_client_error(
            method,
            service_error_code=code,
            service_message="Rate exceeded",
            http_status_code=400,
            expected_params=params,
        )


# ----------------------------------------------------------------------------------------------------------------
# NextToken loops
# ----------------------------------------------------------------------------------------------------------------


def test_describe_associations_follows_next_token_over_three_pages(client, stubber):
    method = "describe_data_repository_associations"
    stubber.add_response(method, {"Associations": [dra(1), dra(2)], "NextToken": "t1"}, {"Filters": FS_FILTER})
    stubber.add_response(
        method, {"Associations": [dra(3)], "NextToken": "t2"}, {"Filters": FS_FILTER, "NextToken": "t1"}
    )
    stubber.add_response(method, {"Associations": [dra(4)]}, {"Filters": FS_FILTER, "NextToken": "t2"})

    found = describe_associations(client, file_system_id=FS_ID, retry_decorator=FAST)

    assert [item["AssociationId"] for item in found] == [dra(n)["AssociationId"] for n in (1, 2, 3, 4)]


def test_describe_associations_without_filters_lists_the_region(client, stubber):
    stubber.add_response("describe_data_repository_associations", {"Associations": [dra(1)]}, {})
    assert len(describe_associations(client, retry_decorator=FAST)) == 1


def test_describe_associations_stops_on_a_repeated_next_token(client, stubber):
    method = "describe_data_repository_associations"
    stubber.add_response(method, {"Associations": [dra(1)], "NextToken": "same"}, {})
    stubber.add_response(method, {"Associations": [dra(2)], "NextToken": "same"}, {"NextToken": "same"})
    with pytest.raises(AnsibleFSxError, match="same NextToken twice"):
        describe_associations(client, retry_decorator=FAST)


def test_describe_tasks_follows_next_token_with_filters(client, stubber):
    method = "describe_data_repository_tasks"
    filters = [
        {"Name": "file-system-id", "Values": [FS_ID]},
        {"Name": "task-lifecycle", "Values": ["PENDING", "EXECUTING"]},
    ]
    stubber.add_response(method, {"DataRepositoryTasks": [task(1)], "NextToken": "t1"}, {"Filters": filters})
    stubber.add_response(method, {"DataRepositoryTasks": [task(2, "PENDING")]}, {"Filters": filters, "NextToken": "t1"})

    found = describe_tasks(client, file_system_id=FS_ID, task_lifecycle=["PENDING", "EXECUTING"], retry_decorator=FAST)

    assert [item["TaskId"] for item in found] == [task(1)["TaskId"], task(2)["TaskId"]]


def test_describe_tasks_by_id_skips_unknown_ids(client, stubber):
    method = "describe_data_repository_tasks"
    known, unknown = task(1)["TaskId"], task(2)["TaskId"]
    stubber.add_client_error(
        method, "DataRepositoryTaskNotFound", http_status_code=400, expected_params={"TaskIds": [known, unknown]}
    )
    stubber.add_response(method, {"DataRepositoryTasks": [task(1)]}, {"TaskIds": [known]})
    stubber.add_client_error(
        method, "DataRepositoryTaskNotFound", http_status_code=400, expected_params={"TaskIds": [unknown]}
    )

    assert [item["TaskId"] for item in describe_tasks(client, task_ids=[known, unknown], retry_decorator=FAST)] == [
        known
    ]


@pytest.mark.parametrize(
    "error_code, request_params, options",
    [
        pytest.param(
            "DataRepositoryAssociationNotFound",
            {"AssociationIds": [dra(9)["AssociationId"]]},
            {"association_ids": [dra(9)["AssociationId"]]},
            id="unknown_single_id",
        ),
        pytest.param("FileSystemNotFound", {"Filters": FS_FILTER}, {"file_system_id": FS_ID}, id="missing_file_system"),
    ],
)
def test_describe_associations_of_something_absent_is_empty(client, stubber, error_code, request_params, options):
    stubber.add_client_error(
        "describe_data_repository_associations", error_code, http_status_code=400, expected_params=request_params
    )
    assert describe_associations(client, retry_decorator=FAST, **options) == []


# ----------------------------------------------------------------------------------------------------------------
# Retries
# ----------------------------------------------------------------------------------------------------------------


def test_amazon_aws_default_retry_misses_throttling_exception():
    """The gap aws_retry closes: AWSRetry's default codes lack FSx's ThrottlingException."""
    assert not AWSRetry.found("ThrottlingException")
    assert "ThrottlingException" in aws_errors.RETRY_CODES
    assert "InternalServerError" in aws_errors.RETRY_CODES


def test_throttled_three_times_then_success(client, stubber, sleeps):
    method = "describe_data_repository_associations"
    throttle(stubber, method, {"Filters": FS_FILTER}, times=3)
    stubber.add_response(method, {"Associations": [dra(1)]}, {"Filters": FS_FILTER})

    found = describe_associations(client, file_system_id=FS_ID)  # default aws_retry(): real back-off, sleep recorded

    assert len(found) == 1
    assert len(sleeps) == 3
    assert all(0 <= delay <= modules.RETRY_MAX_DELAY for delay in sleeps)


@pytest.mark.parametrize(
    "code",
    ["ThrottlingException", "Throttling", "TooManyRequestsException", "RequestLimitExceeded", "InternalServerError"],
)
def test_every_throttle_and_transient_code_is_retried(client, stubber, code):
    method = "describe_data_repository_associations"
    throttle(stubber, method, {}, times=2, code=code)
    stubber.add_response(method, {"Associations": [dra(1)]}, {})
    assert len(describe_associations(client, retry_decorator=FAST)) == 1


def test_each_page_is_retried_on_its_own(client, stubber):
    """A throttle on page 2 retries page 2 (same NextToken); page 1 is not fetched again."""
    method = "describe_data_repository_associations"
    stubber.add_response(method, {"Associations": [dra(1)], "NextToken": "t1"}, {})
    throttle(stubber, method, {"NextToken": "t1"}, times=2)
    stubber.add_response(method, {"Associations": [dra(2)], "NextToken": "t2"}, {"NextToken": "t1"})
    stubber.add_response(method, {"Associations": [dra(3)]}, {"NextToken": "t2"})

    assert len(describe_associations(client, retry_decorator=FAST)) == 3


def test_retrying_wrapper_decorator_is_used(client, stubber):
    """A client from module.client('fsx', retry_decorator=...) is unwrapped and its decorator applied per page."""
    wrapped = RetryingBotoClientWrapper(client, aws_retry(delay=0))
    method = "describe_data_repository_associations"
    throttle(stubber, method, {"Filters": FS_FILTER}, times=3)
    stubber.add_response(method, {"Associations": [dra(1)]}, {"Filters": FS_FILTER})

    assert len(describe_associations(wrapped, file_system_id=FS_ID)) == 1


def test_permanent_throttling_fails_naming_the_operation(client, stubber, sleeps):
    method = "describe_data_repository_associations"
    throttle(stubber, method, {"Filters": FS_FILTER}, times=modules.RETRIES)

    with pytest.raises(AnsibleFSxError) as caught:
        describe_associations(client, file_system_id=FS_ID)

    error = caught.value
    assert len(sleeps) == modules.RETRIES - 1  # 10 attempts, 9 back-offs, then give up
    assert "DescribeDataRepositoryAssociations" in error.message
    assert "ThrottlingException" in error.message
    assert "re-run later" in error.message  # says what to do
    assert error.operation == "DescribeDataRepositoryAssociations"
    assert error.code == "ThrottlingException"
    assert isinstance(error.exception, ClientError)
    assert "DescribeDataRepositoryAssociations" in str(error)


def test_access_denied_is_not_retried_and_names_the_iam_action(client, stubber):
    stubber.add_client_error(
        "describe_data_repository_tasks", "AccessDeniedException", http_status_code=400, expected_params={}
    )

    with pytest.raises(AnsibleFSxError) as caught:
        describe_tasks(client, retry_decorator=FAST)

    assert "DescribeDataRepositoryTasks" in caught.value.message
    assert "fsx:DescribeDataRepositoryTasks" in caught.value.message


def test_bad_request_is_not_retried(client, stubber):
    stubber.add_client_error(
        "describe_data_repository_associations", "BadRequest", http_status_code=400, expected_params={}
    )
    with pytest.raises(AnsibleFSxError, match="check the module options"):
        describe_associations(client, retry_decorator=FAST)


def test_remediation_for_connection_errors():
    hint = remediation(
        None, "DescribeFileSystems", EndpointConnectionError(endpoint_url="https://fsx.us-west-2.amazonaws.com/")
    )
    assert "endpoint_url" in hint


# ----------------------------------------------------------------------------------------------------------------
# Cluster name → file system
# ----------------------------------------------------------------------------------------------------------------


def test_find_file_system_by_cluster_one_match_over_pages(client, stubber):
    stubber.add_response(
        "describe_file_systems", {"FileSystems": [file_system(OTHER_FS_ID, "other")], "NextToken": "p2"}, {}
    )
    stubber.add_response(
        "describe_file_systems", {"FileSystems": [file_system(FS_ID, "day-demo")]}, {"NextToken": "p2"}
    )

    found = find_file_system_by_cluster(client, "day-demo", retry_decorator=FAST)

    assert found["FileSystemId"] == FS_ID


def test_find_file_system_by_cluster_no_match(client, stubber):
    stubber.add_response(
        "describe_file_systems", {"FileSystems": [file_system(OTHER_FS_ID, "other"), file_system(FS_ID)]}, {}
    )

    with pytest.raises(AnsibleFSxError) as caught:
        find_file_system_by_cluster(client, "day-demo", retry_decorator=FAST)

    message = caught.value.message
    assert "parallelcluster:cluster-name=day-demo" in message
    assert REGION in message
    assert "file_system_id" in message
    assert caught.value.kwargs["file_systems"] == []


def test_find_file_system_by_cluster_two_matches_lists_them(client, stubber):
    stubber.add_response(
        "describe_file_systems",
        {"FileSystems": [file_system(FS_ID, "day-demo"), file_system(OTHER_FS_ID, "day-demo", lifecycle="DELETING")]},
        {},
    )

    with pytest.raises(AnsibleFSxError) as caught:
        find_file_system_by_cluster(client, "day-demo", retry_decorator=FAST)

    message = caught.value.message
    assert message.startswith("2 FSx file systems")
    assert FS_ID in message and OTHER_FS_ID in message and "DELETING" in message
    assert [item["file_system_id"] for item in caught.value.kwargs["file_systems"]] == [FS_ID, OTHER_FS_ID]
    assert caught.value.kwargs["file_systems"][0]["creation_time"] == CREATED.isoformat()


def test_find_file_system_by_cluster_type_narrows(client, stubber):
    stubber.add_response(
        "describe_file_systems",
        {"FileSystems": [file_system(FS_ID, "day-demo"), file_system(OTHER_FS_ID, "day-demo", fs_type="ONTAP")]},
        {},
    )
    assert (
        find_file_system_by_cluster(client, "day-demo", file_system_type="LUSTRE", retry_decorator=FAST)["FileSystemId"]
        == FS_ID
    )


def test_find_file_system_by_cluster_retries_throttling(client, stubber):
    throttle(stubber, "describe_file_systems", {}, times=2)
    stubber.add_response("describe_file_systems", {"FileSystems": [file_system(FS_ID, "day-demo")]}, {})
    assert find_file_system_by_cluster(client, "day-demo", retry_decorator=FAST)["FileSystemId"] == FS_ID


def test_find_file_system_by_cluster_permanent_failure_names_describe_file_systems(client, stubber):
    throttle(stubber, "describe_file_systems", {}, times=3)
    with pytest.raises(AnsibleFSxError) as caught:
        find_file_system_by_cluster(client, "day-demo", retry_decorator=aws_retry(retries=3, delay=0))
    assert "DescribeFileSystems" in caught.value.message


# ----------------------------------------------------------------------------------------------------------------
# Pure helpers
# ----------------------------------------------------------------------------------------------------------------


def test_build_filters():
    assert build_filters({"file_system_id": FS_ID, "data_repository_type": None}, fsx.DRA_FILTER_NAMES) == FS_FILTER
    assert build_filters({"task_lifecycle": ("PENDING", "EXECUTING")}) == [
        {"Name": "task-lifecycle", "Values": ["PENDING", "EXECUTING"]}
    ]
    assert build_filters({}) == []
    with pytest.raises(ValueError, match="file-system"):
        build_filters({"file_system": FS_ID}, fsx.DRA_FILTER_NAMES)


def test_describe_associations_rejects_unknown_filter_before_calling(client, stubber):
    with pytest.raises(ValueError):
        describe_associations(client, lifecycle="AVAILABLE", retry_decorator=FAST)


@pytest.mark.parametrize(
    "given, expected",
    [
        ("/references", "/references/"),
        ("/references/", "/references/"),
        ("/", "/"),
        ("/fsx", "/"),
        ("/fsx/", "/"),
        ("/fsx/analysis_results/alice/run42", "/analysis_results/alice/run42/"),
        ("/fsx/analysis_results/alice/run42/", "/analysis_results/alice/run42/"),
        ("/fsxdata/x", "/fsxdata/x/"),
        ("/data/fsx/x", "/data/fsx/x/"),
    ],
)
def test_normalize_file_system_path(given, expected):
    assert normalize_file_system_path(given) == expected


def test_normalize_file_system_path_other_mount_point():
    assert normalize_file_system_path("/mnt/lustre/a", mount_point="/mnt/lustre/") == "/a/"
    assert normalize_file_system_path("/fsx/a", mount_point="/mnt/lustre") == "/a/"  # API paths never start with /fsx


@pytest.mark.parametrize("bad", ["", "references/", "/a//b/", "//", "/a/../b", "/./a", None])
def test_normalize_file_system_path_refuses(bad):
    with pytest.raises(ValueError):
        normalize_file_system_path(bad)


def test_filter_associations_path_lifecycle_tags_all_must_match():
    items = [
        dra(1, path="/analysis_results/alice/run42", tags={"lsmc:purpose": "output-export", "Name": "alice/run42"}),
        dra(2, path="/analysis_results/alice/run42/", lifecycle="DELETING", tags={"lsmc:purpose": "output-export"}),
        dra(3, path="/analysis_results/alice/run43/", tags={"lsmc:purpose": "output-export"}),
        dra(4, path="/analysis_results/alice/run42/", tags={"lsmc:purpose": "run-dir-mount"}),
        dra(5, fs_id=OTHER_FS_ID, path="/analysis_results/alice/run42/", tags={"lsmc:purpose": "output-export"}),
    ]

    def ids(found):
        return [int(item["AssociationId"][4:], 16) for item in found]

    path = "/analysis_results/alice/run42/"
    assert ids(filter_associations(items, file_system_path=path)) == [1, 2, 4, 5]
    assert ids(filter_associations(items, file_system_path=path, lifecycles=["AVAILABLE"])) == [1, 4, 5]
    assert ids(
        filter_associations(
            items, file_system_path=path, lifecycles=["AVAILABLE"], tags={"lsmc:purpose": "output-export"}
        )
    ) == [1, 5]
    assert ids(
        filter_associations(items, file_system_id=FS_ID, file_system_path=path, tags={"lsmc:purpose": "output-export"})
    ) == [1, 2]
    assert ids(filter_associations(items, tags={"lsmc:purpose": "output-export", "Name": "alice/run42"})) == [1]
    assert ids(filter_associations(items, tags={"Name": "nope"})) == []
    assert ids(filter_associations(items)) == [1, 2, 3, 4, 5]


def test_normalize_association_snake_case_and_tags_dict():
    raw = dra(
        7,
        path="/references/",
        lifecycle="MISCONFIGURED",
        tags={"lsmc:purpose": "reference", "Name": "refs"},
        s3={"AutoImportPolicy": {"Events": ["NEW", "CHANGED", "DELETED"]}, "AutoExportPolicy": {"Events": []}},
        failure="Access denied to s3://daylily-runs/run7/",
    )

    out = normalize_association(raw)

    assert out == {
        "association_id": raw["AssociationId"],
        "resource_arn": raw["ResourceARN"],
        "file_system_id": FS_ID,
        "lifecycle": "MISCONFIGURED",
        "failure_details": {"message": "Access denied to s3://daylily-runs/run7/"},
        "file_system_path": "/references/",
        "data_repository_path": "s3://daylily-runs/run7/",
        "batch_import_meta_data_on_create": True,
        "imported_file_chunk_size": 1024,
        "s3": {"auto_import_policy": {"events": ["NEW", "CHANGED", "DELETED"]}, "auto_export_policy": {"events": []}},
        "tags": {"lsmc:purpose": "reference", "Name": "refs"},
        "creation_time": CREATED.isoformat(),
    }
    assert raw["Tags"][0] == {"Key": "lsmc:purpose", "Value": "reference"}  # input untouched


def test_normalize_association_without_tags_has_empty_dict():
    raw = dra(8)
    assert "Tags" not in raw
    assert normalize_association(raw)["tags"] == {}


def test_normalize_task():
    out = normalize_task(task(1))
    assert out["task_id"] == task(1)["TaskId"] and out["tags"] == {"lsmc:purpose": "output-export"}
    assert out["paths"] == ["/analysis_results/alice/run42/"]
