"""Sample staging tests against the sandbox's S3: buckets, sources, manifests, the s3_stage module and the
stage_samples.yml playbook."""

import concurrent.futures

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import samples
from ansible_collections.daylily.ephemeral_cluster.plugins.modules import s3_stage
from testlib.modules import execute_module

BUCKET = "day-samples"  # sources
STAGE_BUCKET = "day-stage"
STAGE_URI = "s3://%s/staged_external_data/" % STAGE_BUCKET
STAGE = "remote_stage_20260101T120000Z_0a1b2c3d"
STAGE_PREFIX = "staged_external_data/%s/" % STAGE
HEADER = "\t".join(samples.REQUIRED_COLUMNS) + "\tILMN_R1_FQ\tILMN_R2_FQ"
MIB = 1024 * 1024


def create_buckets(aws):
    """An S3 client on the sandbox, with the source and stage buckets created (for a test module's fixture)."""
    client = aws("s3")
    for bucket in (BUCKET, STAGE_BUCKET):
        client.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
    return client


def body(name, size=64):
    """Recognisable content of ``size`` bytes for the object ``name``."""
    seed = (name + "\n").encode()
    return (seed * (size // len(seed) + 1))[:size]


def manifest(tmp_path, count, prefix="in"):
    """A manifest of ``count`` ILMN samples, each with R1 and R2 under s3://day-samples/<prefix>/."""
    rows = [
        "RUN1\tS%04d\tE1\tblood\tPCR-FREE\tILMN\tNOVASEQ\t1\tBC1\ts3://%s/%s/s%04d_R1.fq.gz\ts3://%s/%s/s%04d_R2.fq.gz"
        % (i, BUCKET, prefix, i, BUCKET, prefix, i)
        for i in range(count)
    ]
    path = tmp_path / "analysis_samples.tsv"
    path.write_text("\n".join([HEADER] + rows) + "\n")
    return path


def cluster_manifest(aws, cluster, tmp_path, samples, fastq, missing=()):
    """A manifest of ILMN samples HG00<n> (n in ``samples``) whose R1/R2 FASTQs are uploaded to the cluster's staging
    bucket under incoming/, each holding ``fastq(n, key)`` (but for the keys in ``missing``)."""
    s3, bucket, rows = aws("s3"), cluster["buckets"][2], []
    for n in samples:
        keys = ["incoming/s%d_R%d.fastq.gz" % (n, read) for read in (1, 2)]
        for key in keys:
            if key not in missing:
                s3.put_object(Bucket=bucket, Key=key, Body=fastq(n, key))
        rows.append(
            "RUN_7\tHG00%d\tEXP1\tblood\tnoampwgs\tILMN\tNovaSeqX\t1\tBC%d\ts3://%s/%s\ts3://%s/%s"
            % (n, n, bucket, keys[0], bucket, keys[1])
        )
    path = tmp_path / "analysis_samples.tsv"
    path.write_text("\n".join([HEADER] + rows) + "\n")
    return path


def stage_vars(cluster, manifest_path, stage_name=STAGE, command_id="ilmn_germline_wgs_align_qc", **extra):
    """playbooks/stage_samples.yml's variables: stage ``manifest_path`` on ``cluster`` as ``stage_name``."""
    return dict(
        {
            "cluster_name": cluster["cluster_name"],
            "fsx_mount_point": cluster["fsx_mount"],
            "manifest": str(manifest_path),
            "stage_s3_uri": "s3://%s/staged_external_data/" % cluster["buckets"][2],
            "stage_name": stage_name,
            "command_id": command_id,
            "samples_poll_interval": 1,
        },
        **extra,
    )


def upload_sources(s3, count, prefix="in"):
    """Upload the sources of :func:`manifest` (on 8 threads)."""
    keys = ["%s/s%04d_R%d.fq.gz" % (prefix, i, read) for i in range(count) for read in (1, 2)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda key: s3.put_object(Bucket=BUCKET, Key=key, Body=body(key)), keys))


def run_stage(capsys, path, check_mode=False, diff=False, **args):
    """Run s3_stage in-process on the manifest ``path``; returns (exit code, result)."""
    args = dict(dict(src=str(path), stage_s3_uri=STAGE_URI, stage_name=STAGE, retry_delay=0), **args)
    return execute_module(capsys, s3_stage.main, args, check_mode=check_mode, diff=diff)


def stage_objects(s3):
    """``{key: size}`` of the stage bucket."""
    found = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=STAGE_BUCKET):
        found.update((item["Key"], item["Size"]) for item in page.get("Contents") or [])
    return found


def staged_contents(aws, cluster):
    """``{key: (ETag, body)}`` of everything under the cluster's staging prefix (``staged_external_data/``)."""
    s3, bucket = aws("s3"), cluster["buckets"][2]
    listed = s3.list_objects_v2(Bucket=bucket, Prefix="staged_external_data/").get("Contents", [])
    return {o["Key"]: (o["ETag"], s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read()) for o in listed}
