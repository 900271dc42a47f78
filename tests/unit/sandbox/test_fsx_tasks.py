"""Fidelity of the sandbox's FSx data repository tasks, through boto3 (tests/sandbox/fsx.py).

Each test is named after the AWS rule it pins down. The layout used by most tests: one PERSISTENT_2 file system
with a DRA /results <-> s3://<bucket>/exports/results and files written straight into its namespace directory.
"""

import csv
import io
import re
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

BUCKET = "dayec-sandbox-tasks"
PREFIX = "exports/results"
REPORT_PATH = f"s3://{BUCKET}/{PREFIX}/reports"
NO_REPORT = {"Enabled": False}


def report_at(path):
    return {"Enabled": True, "Path": path, "Format": "REPORT_CSV_20191124", "Scope": "FAILED_FILES_ONLY"}


@pytest.fixture
def fs_id(fsx, s3):
    return fsx.create_file_system(
        FileSystemType="LUSTRE",
        StorageCapacity=1200,
        SubnetIds=["subnet-0123456789abcdef0"],
        LustreConfiguration={"DeploymentType": "PERSISTENT_2"},
    )["FileSystem"]["FileSystemId"]


@pytest.fixture
def dra(fsx, fs_id):
    return fsx.create_data_repository_association(
        FileSystemId=fs_id, FileSystemPath="/results", DataRepositoryPath=f"s3://{BUCKET}/{PREFIX}"
    )["Association"]


@pytest.fixture
def write(sandbox, fs_id):
    """write("results/a.txt", b"...") puts a file into the file system's namespace; returns its local path."""
    root = Path(sandbox.info()["fsx_root"]) / fs_id

    def put(relative, data=b"data"):
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return path

    return put


def export(fsx, fs_id, paths=None, report=None, **extra):
    request = {"FileSystemId": fs_id, "Type": "EXPORT_TO_REPOSITORY", "Report": report or NO_REPORT, **extra}
    if paths is not None:
        request["Paths"] = paths
    return fsx.create_data_repository_task(**request)["DataRepositoryTask"]


def describe(fsx, task_id):
    return fsx.describe_data_repository_tasks(TaskIds=[task_id])["DataRepositoryTasks"][0]


def keys(s3, prefix=PREFIX):
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", []))


def refused(code, call, *args, **kwargs):
    with pytest.raises(ClientError) as caught:
        call(*args, **kwargs)
    assert caught.value.response["Error"]["Code"] == code, caught.value.response["Error"]
    return caught.value.response["Error"]["Message"]


# --- what an export does ----------------------------------------------------------------------------------------------
def test_export_copies_files_to_the_association_prefix_with_the_same_relative_keys(fsx, s3, dra, write):
    write("results/run1/sample.vcf", b"##fileformat=VCFv4.2\n")
    write("results/run1/qc/multiqc.html", b"<html/>")
    write("results/run2/other.txt", b"not exported")
    task = export(fsx, dra["FileSystemId"], ["results/run1"])
    assert re.fullmatch(r"task-[0-9a-f]{17}", task["TaskId"]) and task["Lifecycle"] == "PENDING"
    done = describe(fsx, task["TaskId"])
    assert done["Lifecycle"] == "SUCCEEDED"
    assert done["Status"]["TotalCount"] == done["Status"]["SucceededCount"] == 2
    assert keys(s3) == [f"{PREFIX}/run1/qc/multiqc.html", f"{PREFIX}/run1/sample.vcf"]
    assert s3.get_object(Bucket=BUCKET, Key=f"{PREFIX}/run1/sample.vcf")["Body"].read() == b"##fileformat=VCFv4.2\n"


def test_exported_objects_carry_fsx_posix_metadata(fsx, s3, dra, write):
    write("results/a.txt")
    export(fsx, dra["FileSystemId"], ["results"])
    metadata = s3.head_object(Bucket=BUCKET, Key=f"{PREFIX}/a.txt")["Metadata"]
    assert metadata["user-agent"] == "aws-fsx-lustre"
    assert {"file-permissions", "file-owner", "file-group", "file-mtime"} <= set(metadata)


def test_export_without_paths_exports_every_association_of_the_file_system(fsx, s3, dra, write):
    fsx.create_data_repository_association(
        FileSystemId=dra["FileSystemId"], FileSystemPath="/logs", DataRepositoryPath=f"s3://{BUCKET}/logs"
    )
    write("results/a.txt")
    write("logs/run.log")
    write("scratch/unlinked.tmp")
    export(fsx, dra["FileSystemId"])
    assert keys(s3, "") == ["exports/results/a.txt", "logs/run.log"]


@pytest.mark.parametrize("path", ["/results/run1", "results/run1/", "results/run1/sample.vcf"])
def test_export_paths_are_file_system_relative_with_or_without_slashes_and_may_name_a_file(fsx, s3, dra, write, path):
    write("results/run1/sample.vcf")
    assert describe(fsx, export(fsx, dra["FileSystemId"], [path])["TaskId"])["Lifecycle"] == "SUCCEEDED"
    assert keys(s3) == [f"{PREFIX}/run1/sample.vcf"]


def test_export_handles_empty_files_and_unicode_names(fsx, s3, dra, write):
    write("results/empty.txt", b"")
    write("results/échantillon/résumé ü 数据.txt", "données".encode())
    export(fsx, dra["FileSystemId"], ["results"])
    assert s3.get_object(Bucket=BUCKET, Key=f"{PREFIX}/empty.txt")["ContentLength"] == 0
    body = s3.get_object(Bucket=BUCKET, Key=f"{PREFIX}/échantillon/résumé ü 数据.txt")["Body"].read()
    assert body.decode() == "données"


@pytest.mark.slow
def test_export_copies_a_200_mb_file(fsx, s3, dra, sandbox):
    path = Path(sandbox.info()["fsx_root"]) / dra["FileSystemId"] / "results/big.bam"
    path.parent.mkdir(parents=True, exist_ok=True)
    chunk = bytes(range(256)) * 4096  # 1 MiB
    with open(path, "wb") as big:
        for _attempt in range(200):
            big.write(chunk)
    task = export(fsx, dra["FileSystemId"], ["results/big.bam"])
    assert describe(fsx, task["TaskId"])["Lifecycle"] == "SUCCEEDED"
    head = s3.head_object(Bucket=BUCKET, Key=f"{PREFIX}/big.bam")
    assert head["ContentLength"] == 200 * len(chunk)
    tail = s3.get_object(Bucket=BUCKET, Key=f"{PREFIX}/big.bam", Range="bytes=-256")["Body"].read()
    assert tail == bytes(range(256))


# --- what a task may ask for ------------------------------------------------------------------------------------------
def test_export_path_outside_every_available_association_is_refused_with_bad_request(fsx, dra, write):
    write("scratch/x.txt")
    message = refused("BadRequest", export, fsx, dra["FileSystemId"], ["scratch"])
    assert "scratch" in message


def test_task_on_file_system_without_an_available_association_is_refused_with_bad_request(fsx, fs_id, sandbox):
    refused("BadRequest", export, fsx, fs_id)
    sandbox.call("POST", "fsx-outcomes", {"association_lifecycle": "MISCONFIGURED", "count": 1})
    fsx.create_data_repository_association(
        FileSystemId=fs_id, FileSystemPath="/results", DataRepositoryPath=f"s3://{BUCKET}/{PREFIX}"
    )
    refused("BadRequest", export, fsx, fs_id, ["results"])


def test_task_on_missing_file_system_is_file_system_not_found(fsx, s3):
    refused("FileSystemNotFound", export, fsx, "fs-0123456789abcdef0")


def test_task_on_file_system_that_is_not_available_is_refused_with_bad_request(fsx, sandbox, dra):
    sandbox.call("POST", "fsx-filesystem", {"file_system_id": dra["FileSystemId"], "lifecycle": "UPDATING"})
    refused("BadRequest", export, fsx, dra["FileSystemId"])


def test_enabled_report_needs_path_format_and_scope(fsx, dra):
    refused("BadRequest", export, fsx, dra["FileSystemId"], report={"Enabled": True, "Path": REPORT_PATH})


def test_second_task_while_one_runs_is_refused_with_data_repository_task_executing(fsx, sandbox, dra):
    sandbox.slow_lifecycle("fsx::task", times=5)
    running = export(fsx, dra["FileSystemId"])
    message = refused("DataRepositoryTaskExecuting", export, fsx, dra["FileSystemId"])
    assert running["TaskId"] in message


# --- lifecycle --------------------------------------------------------------------------------------------------------
def test_task_goes_pending_executing_succeeded_and_copies_when_it_completes(fsx, s3, sandbox, dra, write):
    write("results/a.txt")
    sandbox.slow_lifecycle("fsx::task", times=2)  # one step every second describe
    task_id = export(fsx, dra["FileSystemId"], ["results"])["TaskId"]
    seen = [describe(fsx, task_id) for _attempt in range(4)]
    assert [task["Lifecycle"] for task in seen] == ["PENDING", "EXECUTING", "EXECUTING", "SUCCEEDED"]
    assert "StartTime" not in seen[0] and "StartTime" in seen[1] and "EndTime" not in seen[2]
    assert seen[3]["EndTime"] >= seen[3]["StartTime"] >= seen[3]["CreationTime"]
    assert keys(s3) == [f"{PREFIX}/a.txt"]


def test_nothing_is_copied_while_the_task_is_executing(fsx, s3, sandbox, dra, write):
    write("results/a.txt")
    sandbox.slow_lifecycle("fsx::task", times=1)
    task_id = export(fsx, dra["FileSystemId"], ["results"])["TaskId"]
    assert describe(fsx, task_id)["Lifecycle"] == "EXECUTING"
    assert keys(s3) == []


def test_counts_grow_while_the_task_executes(fsx, sandbox, dra, write):
    for index in range(20):
        write(f"results/part{index:02}.txt")
    sandbox.slow_lifecycle("fsx::task", times=4)
    task_id = export(fsx, dra["FileSystemId"], ["results"])["TaskId"]
    executing = [
        status for status in (describe(fsx, task_id) for _attempt in range(12)) if status["Lifecycle"] == "EXECUTING"
    ]
    succeeded = [task["Status"]["SucceededCount"] for task in executing]
    assert len(executing) >= 3 and all(task["Status"]["TotalCount"] == 20 for task in executing)
    assert succeeded == sorted(succeeded) and succeeded[0] < succeeded[-1] < 20
    assert describe(fsx, task_id)["Status"]["SucceededCount"] == 20


def test_cancel_goes_canceling_to_canceled_and_exports_nothing(fsx, s3, sandbox, dra, write):
    write("results/a.txt")
    sandbox.slow_lifecycle("fsx::task", times=2)
    task_id = export(fsx, dra["FileSystemId"], ["results"])["TaskId"]
    cancel = fsx.cancel_data_repository_task(TaskId=task_id)
    assert (cancel["TaskId"], cancel["Lifecycle"]) == (task_id, "CANCELING")
    assert describe(fsx, task_id)["Lifecycle"] == "CANCELING"
    canceled = describe(fsx, task_id)
    assert canceled["Lifecycle"] == "CANCELED" and "EndTime" in canceled
    assert keys(s3) == []
    assert describe(fsx, export(fsx, dra["FileSystemId"])["TaskId"])["Lifecycle"] == "PENDING"  # no longer blocking


def test_cancel_of_an_ended_task_is_refused_with_data_repository_task_ended(fsx, dra):
    task_id = export(fsx, dra["FileSystemId"])["TaskId"]
    assert describe(fsx, task_id)["Lifecycle"] == "SUCCEEDED"
    refused("DataRepositoryTaskEnded", fsx.cancel_data_repository_task, TaskId=task_id)


def test_unknown_task_is_data_repository_task_not_found(fsx, s3):
    refused("DataRepositoryTaskNotFound", describe, fsx, "task-0123456789abcdef0")
    refused("DataRepositoryTaskNotFound", fsx.cancel_data_repository_task, TaskId="task-0123456789abcdef0")


def test_file_system_with_a_running_task_cannot_be_deleted(fsx, sandbox, dra):
    sandbox.slow_lifecycle("fsx::task", times=5)
    export(fsx, dra["FileSystemId"])
    refused("BadRequest", fsx.delete_file_system, FileSystemId=dra["FileSystemId"])


# --- reports and failures ---------------------------------------------------------------------------------------------
def test_report_path_outside_the_linked_repository_fails_the_task(fsx, s3, dra, write):
    write("results/a.txt")
    task = export(fsx, dra["FileSystemId"], ["results"], report=report_at(f"s3://{BUCKET}/reports"))
    assert task["Lifecycle"] == "PENDING"
    failed = describe(fsx, task["TaskId"])
    assert failed["Lifecycle"] == "FAILED"
    assert "report path" in failed["FailureDetails"]["Message"] and "not in" in failed["FailureDetails"]["Message"]
    assert keys(s3) == []


def test_failed_files_fail_the_task_and_are_listed_in_the_csv_report(fsx, s3, sandbox, dra, write):
    for name in ("ok.txt", "bad1.bam", "sub/bad2.bam"):
        write(f"results/{name}")
    sandbox.call("POST", "fsx-outcomes", {"fail_export_paths": ["results/*.bam"], "count": -1})
    task_id = export(fsx, dra["FileSystemId"], ["results"], report=report_at(REPORT_PATH))["TaskId"]
    failed = describe(fsx, task_id)
    assert failed["Lifecycle"] == "FAILED" and failed["FailureDetails"]["Message"]
    assert (failed["Status"]["TotalCount"], failed["Status"]["SucceededCount"], failed["Status"]["FailedCount"]) == (
        3,
        1,
        2,
    )
    report_key = f"{PREFIX}/reports/{task_id}/failures.csv"
    assert keys(s3) == [f"{PREFIX}/ok.txt", report_key]
    rows = list(csv.reader(io.StringIO(s3.get_object(Bucket=BUCKET, Key=report_key)["Body"].read().decode())))
    assert rows == [
        ["results/bad1.bam", "failed", "S3AccessDenied"],
        ["results/sub/bad2.bam", "failed", "S3AccessDenied"],
    ]


def test_report_quotes_paths_the_way_fsx_does(fsx, s3, sandbox, fs_id, write):
    fsx.create_data_repository_association(
        FileSystemId=fs_id, FileSystemPath="/", DataRepositoryPath=f"s3://{BUCKET}/{PREFIX}"
    )
    write("@odd.txt")
    write("comma,name.txt")
    sandbox.call("POST", "fsx-outcomes", {"fail_export_paths": ["*"], "count": 1, "error_code": "FileSizeTooLarge"})
    task_id = export(fsx, fs_id, report=report_at(REPORT_PATH))["TaskId"]
    describe(fsx, task_id)
    text = s3.get_object(Bucket=BUCKET, Key=f"{PREFIX}/reports/{task_id}/failures.csv")["Body"].read().decode()
    assert text.splitlines() == ['"""@odd.txt""",failed,FileSizeTooLarge', '"comma,name.txt",failed,FileSizeTooLarge']


def test_successful_export_with_a_report_writes_an_empty_failure_report(fsx, s3, dra, write):
    write("results/a.txt")
    task_id = export(fsx, dra["FileSystemId"], ["results"], report=report_at(REPORT_PATH))["TaskId"]
    assert describe(fsx, task_id)["Lifecycle"] == "SUCCEEDED"
    assert s3.get_object(Bucket=BUCKET, Key=f"{PREFIX}/reports/{task_id}/failures.csv")["Body"].read() == b""


def test_export_failure_outcome_with_a_count_affects_only_that_many_tasks(fsx, s3, sandbox, dra, write):
    write("results/a.bam")
    sandbox.call("POST", "fsx-outcomes", {"fail_export_paths": ["results/*.bam"], "count": 1})
    assert describe(fsx, export(fsx, dra["FileSystemId"])["TaskId"])["Lifecycle"] == "FAILED"
    retry = describe(fsx, export(fsx, dra["FileSystemId"])["TaskId"])
    assert retry["Lifecycle"] == "SUCCEEDED" and keys(s3) == [f"{PREFIX}/a.bam"]


# --- other task types ------------------------------------------------------------------------------------------------
def test_import_task_materializes_objects_below_its_s3_paths(fsx, s3, sandbox, dra):
    s3.put_object(Bucket=BUCKET, Key=f"{PREFIX}/new/in.txt", Body=b"from s3")
    s3.put_object(Bucket=BUCKET, Key=f"{PREFIX}/other/skip.txt", Body=b"not asked for")
    task = fsx.create_data_repository_task(
        FileSystemId=dra["FileSystemId"],
        Type="IMPORT_METADATA_FROM_REPOSITORY",
        Paths=[f"s3://{BUCKET}/{PREFIX}/new"],
        Report=NO_REPORT,
    )["DataRepositoryTask"]
    done = describe(fsx, task["TaskId"])
    assert done["Lifecycle"] == "SUCCEEDED" and done["Status"]["SucceededCount"] == 1
    root = Path(sandbox.info()["fsx_root"]) / dra["FileSystemId"]
    assert (root / "results/new/in.txt").read_bytes() == b"from s3"
    assert not (root / "results/other").exists()


# --- describe, idempotency ------------------------------------------------------------------------------------------
def test_describe_filters_by_file_system_lifecycle_and_association(fsx, sandbox, dra, fs_id):
    done = export(fsx, fs_id)["TaskId"]
    sandbox.slow_lifecycle("fsx::task", times=50)
    pending = export(fsx, fs_id)["TaskId"]

    def ids(*filters):
        return [t["TaskId"] for t in fsx.describe_data_repository_tasks(Filters=list(filters))["DataRepositoryTasks"]]

    assert ids({"Name": "file-system-id", "Values": [fs_id]}) == [done, pending]
    assert ids({"Name": "task-lifecycle", "Values": ["PENDING", "EXECUTING"]}) == [pending]
    assert ids({"Name": "task-lifecycle", "Values": ["SUCCEEDED"]}, {"Name": "file-system-id", "Values": [fs_id]}) == [
        done
    ]
    assert ids({"Name": "data-repository-association-id", "Values": [dra["AssociationId"]]}) == [done, pending]
    assert ids({"Name": "data-repository-association-id", "Values": ["dra-0123456789abcdef0"]}) == []
    refused("BadRequest", fsx.describe_data_repository_tasks, Filters=[{"Name": "task-type", "Values": ["x"]}])


def test_describe_tasks_returns_at_most_max_results_per_page_with_a_next_token(fsx, dra):
    created = [export(fsx, dra["FileSystemId"])["TaskId"] for _attempt in range(5)]
    seen, token = [], None
    while True:
        page = fsx.describe_data_repository_tasks(MaxResults=2, **({"NextToken": token} if token else {}))
        assert len(page["DataRepositoryTasks"]) <= 2
        seen += [task["TaskId"] for task in page["DataRepositoryTasks"]]
        token = page.get("NextToken")
        if not token:
            break
    assert seen == created


def test_same_client_request_token_and_request_returns_the_same_task(fsx, sandbox, dra):
    sandbox.slow_lifecycle("fsx::task", times=5)
    first = export(fsx, dra["FileSystemId"], ClientRequestToken="export-1")
    again = export(fsx, dra["FileSystemId"], ClientRequestToken="export-1")  # not DataRepositoryTaskExecuting
    assert again["TaskId"] == first["TaskId"]
    assert len(fsx.describe_data_repository_tasks()["DataRepositoryTasks"]) == 1


def test_same_client_request_token_with_another_request_is_refused_with_incompatible_parameter_error(fsx, dra):
    export(fsx, dra["FileSystemId"], ClientRequestToken="export-1")
    refused("IncompatibleParameterError", export, fsx, dra["FileSystemId"], ["results"], ClientRequestToken="export-1")


def test_task_tags_are_stored_and_returned(fsx, dra):
    tags = [{"Key": "dayec:run", "Value": "r1"}]
    task = export(fsx, dra["FileSystemId"], Tags=tags)
    assert describe(fsx, task["TaskId"])["Tags"] == tags
    assert fsx.list_tags_for_resource(ResourceARN=task["ResourceARN"])["Tags"] == tags
