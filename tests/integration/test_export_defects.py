"""Regression tests of the export defects operators found (issue 8), through the real operator playbook.

Each test runs ``playbooks/export.yml`` against the sandbox, as an operator would, and looks at what the run left in S3,
on FSx and in the receipt directory.
"""

import hashlib
import json
from pathlib import Path

import yaml

from testlib import workflow
from testlib.playbooks import OPERATOR_PLAYBOOKS
from testlib.playbooks import run_playbook

EXPORT = str(OPERATOR_PLAYBOOKS / "export.yml")
ENTITY, ANALYSIS = "johnm", "illumina_run_qc"
TREE = {
    "config/samples.tsv": b"SAMPLEID\tSAMPLETYPE\nS1\tblood\n",
    "results/day/hg38/S1/S1.stats.tsv": b"reads\t1000\n",
    "results/day/hg38/reports/empty.log": b"",
    "deep/a/b/leaf.txt": b"leaf\n",
}


def prefix():
    return f"derived/{ENTITY}/{ANALYSIS}/"


def destination(cluster):
    return f"s3://{cluster['buckets'][1]}/{prefix()}"


def export_vars(cluster, output_dir, **extra):
    return workflow.export_vars(cluster, ENTITY, ANALYSIS, destination(cluster), output_dir, **extra)


def analysis_dir(cluster):
    return Path(cluster["fsx_mount"]) / "analysis_results" / ENTITY / ANALYSIS


def write_tree(cluster, files=None):
    root = analysis_dir(cluster)
    for relative, body in (TREE if files is None else files).items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_bytes(body)


def s3_keys(aws, cluster, under=""):
    paginator = aws("s3").get_paginator("list_objects_v2")
    return {
        obj["Key"][len(prefix()) :]: obj["Size"]
        for page in paginator.paginate(Bucket=cluster["buckets"][1], Prefix=prefix() + under)
        for obj in page.get("Contents", [])
    }


def s3_text(aws, cluster, relative):
    return aws("s3").get_object(Bucket=cluster["buckets"][1], Key=prefix() + relative)["Body"].read().decode()


def current_receipt(output_dir):
    return yaml.safe_load((Path(output_dir) / "fsx_export.yaml").read_text(encoding="utf-8"))["fsx_export"]


def attempt_receipts(output_dir):
    """Every receipt in the output directory (the current one and the recorded attempts), oldest first."""
    found = [
        yaml.safe_load(path.read_text(encoding="utf-8"))["fsx_export"]
        for path in Path(output_dir).rglob("fsx_export.yaml")
    ]
    return sorted(found, key=lambda receipt: receipt["timestamp"] or "")


def last_failure(run):
    return run.failures().splitlines()[-1]


def refused_without_change(sandbox, variables):
    """Run the export, which must be refused without one mutating AWS call; return its last failure message."""
    sandbox.clear_audit()
    run = run_playbook(EXPORT, variables)
    assert run.rc != 0
    assert sandbox.mutating_calls() == []
    return last_failure(run)


def fail_next_export(sandbox, glob="*/deep/*"):
    sandbox.call("POST", "fsx-outcomes", {"fail_export_paths": [glob], "count": 1})


def test_defect_01_failed_export_is_retried_to_the_same_destination_and_ends_verified(sandbox, aws, cluster, tmp_path):
    write_tree(cluster)
    fail_next_export(sandbox)
    failed = run_playbook(EXPORT, export_vars(cluster, tmp_path, export_timestamp="20260101T000000Z"))
    assert failed.rc != 0
    assert current_receipt(tmp_path)["status"] == "error"
    assert any(key.startswith("config/") for key in s3_keys(aws, cluster)), "the failed attempt exported some files"

    retry = run_playbook(EXPORT, export_vars(cluster, tmp_path))
    assert retry.rc == 0, retry.failures()
    receipt = current_receipt(tmp_path)
    assert receipt["status"] == "success" and receipt["verified"] is True
    assert set(TREE) <= set(s3_keys(aws, cluster))
    assert [r["status"] for r in attempt_receipts(tmp_path)] == ["error", "success"]

    sandbox.clear_audit()
    again = run_playbook(EXPORT, export_vars(cluster, tmp_path))
    assert again.rc == 0 and again.changed_count() == 0, again.failures()
    assert sandbox.mutating_calls() == []


def test_defect_01_invariant_09_a_foreign_object_is_refused_and_a_refusal_writes_nothing_to_s3(
    sandbox, aws, cluster, tmp_path
):
    write_tree(cluster)
    aws("s3").put_object(Bucket=cluster["buckets"][1], Key=prefix() + "someone-elses.txt", Body=b"x")
    sandbox.clear_audit()
    for _attempt in range(2):
        refused = run_playbook(EXPORT, export_vars(cluster, tmp_path))
        assert refused.rc != 0
        assert "someone-elses.txt" in last_failure(refused)
    assert sandbox.mutating_calls() == []
    assert set(s3_keys(aws, cluster)) == {"someone-elses.txt"}
    assert current_receipt(tmp_path)["phase"] == "preflight"


def test_defect_01_a_foreign_object_beside_a_failed_attempt_is_still_refused(sandbox, aws, cluster, tmp_path):
    write_tree(cluster)
    fail_next_export(sandbox)
    assert run_playbook(EXPORT, export_vars(cluster, tmp_path)).rc != 0
    aws("s3").put_object(Bucket=cluster["buckets"][1], Key=prefix() + "results/not-from-fsx.txt", Body=b"x")
    assert "results/not-from-fsx.txt" in refused_without_change(sandbox, export_vars(cluster, tmp_path))


def test_defect_01_a_receipt_of_another_export_is_refused(sandbox, aws, cluster, tmp_path):
    write_tree(cluster)
    assert run_playbook(EXPORT, export_vars(cluster, tmp_path / "first")).rc == 0
    other = analysis_dir(cluster).parent / "other_run"
    other.mkdir()
    (other / "x.txt").write_bytes(b"x")
    relative = prefix() + "_daylily_monitor/fsx-export/"
    listing = aws("s3").list_objects_v2(Bucket=cluster["buckets"][1], Prefix=relative)["Contents"]
    key = next(obj["Key"] for obj in listing if obj["Key"].endswith("/fsx_export.yaml"))
    text = aws("s3").get_object(Bucket=cluster["buckets"][1], Key=key)["Body"].read().decode()
    forged = text.replace(f"/analysis_results/{ENTITY}/{ANALYSIS}/", f"/analysis_results/{ENTITY}/other_run/")
    aws("s3").put_object(
        Bucket=cluster["buckets"][1], Key=relative + "20200101T000000Z/fsx_export.yaml", Body=forged.encode()
    )
    assert "other_run" in refused_without_change(sandbox, export_vars(cluster, tmp_path / "second"))


def test_defect_02_a_refused_rerun_keeps_the_verified_local_receipt_and_records_the_attempt_beside_it(
    aws, cluster, tmp_path
):
    write_tree(cluster)
    assert run_playbook(EXPORT, export_vars(cluster, tmp_path)).rc == 0
    verified = (tmp_path / "fsx_export.yaml").read_text(encoding="utf-8")
    aws("s3").put_object(Bucket=cluster["buckets"][1], Key=prefix() + "someone-elses.txt", Body=b"x")
    refused = run_playbook(EXPORT, export_vars(cluster, tmp_path))
    assert refused.rc != 0
    assert (tmp_path / "fsx_export.yaml").read_text(encoding="utf-8") == verified
    attempts = list((tmp_path / "attempts").glob("*/fsx_export.yaml"))
    assert len(attempts) == 1
    recorded = yaml.safe_load(attempts[0].read_text(encoding="utf-8"))["fsx_export"]
    assert recorded["status"] == "error" and recorded["phase"] == "preflight"
    assert "someone-elses.txt" in recorded["failure_details"]["message"]


def test_defect_03_manifest_with_checksums_is_written_locally_and_in_s3_and_its_digest_is_in_the_receipt(
    aws, cluster, tmp_path
):
    write_tree(cluster)
    run = run_playbook(EXPORT, export_vars(cluster, tmp_path, export_checksum=True))
    assert run.rc == 0, run.failures()
    receipt = current_receipt(tmp_path)
    local = (tmp_path / "fsx_export_manifest.jsonl").read_bytes()
    assert receipt["manifest_sha256"] == hashlib.sha256(local).hexdigest()
    entries = [json.loads(line) for line in local.decode().splitlines()]
    assert {entry["path"]: entry["size"] for entry in entries} == {path: len(body) for path, body in TREE.items()}
    assert {entry["path"]: entry["sha256"] for entry in entries} == {
        path: hashlib.sha256(body).hexdigest() for path, body in TREE.items()
    }
    assert s3_text(aws, cluster, receipt["manifest_s3_uri"].split(prefix(), 1)[1]).encode() == local


def test_defect_03_an_exported_object_renamed_in_s3_fails_verification(sandbox, aws, cluster, tmp_path):
    write_tree(cluster)
    assert run_playbook(EXPORT, export_vars(cluster, tmp_path)).rc == 0
    bucket = cluster["buckets"][1]
    aws("s3").copy_object(
        Bucket=bucket,
        Key=prefix() + "config/renamed.tsv",
        CopySource={"Bucket": bucket, "Key": prefix() + "config/samples.tsv"},
    )
    aws("s3").delete_object(Bucket=bucket, Key=prefix() + "config/samples.tsv")
    message = refused_without_change(sandbox, export_vars(cluster, tmp_path))
    assert "config/samples.tsv" in message and "config/renamed.tsv" in message
    assert current_receipt(tmp_path)["verified"] is True, "the verified receipt is kept"


def test_defect_04_a_file_added_after_the_export_is_reported_then_exported_with_update_existing(
    sandbox, aws, cluster, tmp_path
):
    write_tree(cluster)
    assert run_playbook(EXPORT, export_vars(cluster, tmp_path, export_timestamp="20260101T000000Z")).rc == 0
    first = current_receipt(tmp_path)
    write_tree(cluster, {"results/late.txt": b"written after the export\n"})

    message = refused_without_change(sandbox, export_vars(cluster, tmp_path))
    assert "results/late.txt" in message and "export_update_existing" in message

    update = run_playbook(EXPORT, export_vars(cluster, tmp_path, export_update_existing=True))
    assert update.rc == 0, update.failures()
    assert "results/late.txt" in s3_keys(aws, cluster)
    second = current_receipt(tmp_path)
    assert second["verified"] is True and second["timestamp"] != first["timestamp"]
    assert second["fsx_file_count"] == len(TREE) + 1
    kept = [r for r in attempt_receipts(tmp_path) if r["timestamp"] == first["timestamp"]]
    assert kept and kept[0]["verified"] is True
    monitor = s3_keys(aws, cluster, "_daylily_monitor/")
    assert f"_daylily_monitor/fsx-export/{first['timestamp']}/fsx_export.yaml" in monitor
    assert f"_daylily_monitor/fsx-export/{second['timestamp']}/fsx_export.yaml" in monitor


def test_defect_07_an_entity_with_dot_dot_writes_nothing_outside_the_output_root(sandbox, aws, cluster, tmp_path):
    write_tree(cluster)
    workdir = tmp_path / "work" / "operator"
    workdir.mkdir(parents=True)
    variables = export_vars(cluster, tmp_path, export_executing_entity="../../pwned")
    del variables["export_output_dir"]
    sandbox.clear_audit()
    run = run_playbook(EXPORT, variables, env={"PWD": str(workdir)})
    assert run.rc != 0
    assert "executing_entity" in last_failure(run)
    written = list(tmp_path.rglob("fsx_export.yaml"))
    assert written, "the refusal is recorded"
    assert all(str(path).startswith(str(workdir / "exports") + "/") for path in written), written
    assert sandbox.mutating_calls() == []


def test_defect_13_a_failed_export_ends_with_its_root_cause(sandbox, aws, cluster, tmp_path):
    write_tree(cluster)
    fail_next_export(sandbox)
    run = run_playbook(EXPORT, export_vars(cluster, tmp_path))
    assert run.rc != 0
    message = last_failure(run)
    assert "FAILED" in message and "phase run" in message, message
    assert "s3_object_count" not in message and "task_lifecycle:" not in message, message


def test_defect_14_an_export_prints_no_deprecation_warning(aws, cluster, tmp_path):
    write_tree(cluster)
    run = run_playbook(EXPORT, export_vars(cluster, tmp_path))
    assert run.rc == 0, run.failures()
    deprecations = [
        (task["task"]["name"], result["deprecations"])
        for play in run.report["plays"]
        for task in play["tasks"]
        for result in task["hosts"].values()
        if result.get("deprecations")
    ]
    assert deprecations == []
    assert "[DEPRECATION WARNING]" not in run.stderr
