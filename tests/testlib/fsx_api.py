"""FSx API response items for Stubber-based unit tests, in the shapes AWS returns (validated by the API model)."""

import datetime

REGION = "us-west-2"
FS_ID = "fs-0123456789abcdef0"
OTHER_FS_ID = "fs-0fedcba9876543210"
CREATED = datetime.datetime(2026, 1, 31, 12, 0, tzinfo=datetime.UTC)


def association(
    n,
    *,
    fs_id=FS_ID,
    path=None,
    uri=None,
    lifecycle="AVAILABLE",
    tags=None,
    s3=None,
    failure=None,
    assoc_id=None,
    batch_import=True,
):
    """A DescribeDataRepositoryAssociations item: number ``n`` names it and, unless given, its paths."""
    association_id = assoc_id or f"dra-{n:017x}"
    item = {
        "AssociationId": association_id,
        "ResourceARN": f"arn:aws:fsx:{REGION}:123456789012:association/{fs_id}/{association_id}",
        "FileSystemId": fs_id,
        "Lifecycle": lifecycle,
        "FileSystemPath": path or f"/run_dir_mounts/run{n}/",
        "DataRepositoryPath": uri or f"s3://daylily-runs/run{n}/",
        "BatchImportMetaDataOnCreate": batch_import,
        "ImportedFileChunkSize": 1024,
        "CreationTime": CREATED,
    }
    if tags:  # the API model requires at least one tag when Tags is present
        item["Tags"] = [{"Key": key, "Value": value} for key, value in tags.items()]
    if s3 is not None:
        item["S3"] = s3
    if failure:
        item["FailureDetails"] = {"Message": failure}
    return item
