"""The audit log names S3 copies as AWS does, so faults and call counts can target them."""

BUCKET = "audit-names"


def test_copies_are_audited_as_copy_operations(sandbox, s3):
    s3.put_object(Bucket=BUCKET, Key="src", Body=b"x" * 16)
    s3.copy_object(Bucket=BUCKET, Key="dst", CopySource={"Bucket": BUCKET, "Key": "src"})
    upload = s3.create_multipart_upload(Bucket=BUCKET, Key="merged")
    s3.upload_part_copy(
        Bucket=BUCKET,
        Key="merged",
        UploadId=upload["UploadId"],
        PartNumber=1,
        CopySource={"Bucket": BUCKET, "Key": "src"},
    )
    assert len(sandbox.calls("PutObject", service="s3")) == 1
    assert len(sandbox.calls("CopyObject", service="s3")) == 1
    assert len(sandbox.calls("UploadPartCopy", service="s3")) == 1
    assert all(call["mutating"] for call in sandbox.calls("UploadPartCopy", service="s3"))
