"""The operator playbooks run through ansible-runner, as AWX runs them: a private data dir, no terminal, the AWS
credentials injected as environment variables (env/envvars, what AWX's credential types write) and the survey
answers as extra vars (env/extravars: a multiple-choice answer is a string, "true" or "false", as AWX sends it); the
assertions read the job events ansible-runner recorded."""

import json
import uuid
from pathlib import Path

import pytest
import yaml

from testlib import dewey as dewey_testlib
from testlib.preflight import ROLE_URIS
from testlib.preflight import seed_account
from testlib.runner import run_with_runner

dewey_stub_server = dewey_testlib.dewey_stub_server  # fixture

ENTITY, ANALYSIS = "alice", "run42"
PREFLIGHT_INPUTS = {
    "headnode_instance_type": "r7i.2xlarge",
    "fsx_storage_capacity": 1200,
    "headnode_root_volume_gib": 200,
    "queues": [{"name": "i192", "instance_types": ["m7i.48xlarge"], "max_count": 4}],
}


@pytest.fixture
def credentials(sandbox_server):
    """What an AWX "Amazon Web Services" credential (plus the sandbox's endpoint) injects, with a secret of its own,
    so the test can look for it in what the job recorded."""
    return dict(sandbox_server.environment, AWS_SECRET_ACCESS_KEY=f"runner-secret-{uuid.uuid4().hex}")


def assert_secret_not_recorded(job, credentials):
    secret = credentials["AWS_SECRET_ACCESS_KEY"]
    assert secret not in job.stdout
    assert secret not in json.dumps(job.events)


def test_fsx_status_reports_the_associations_in_its_job_events(sandbox, cluster, credentials, tmp_path):
    job = run_with_runner(
        "fsx_status.yml", tmp_path, credentials, {"cluster_name": cluster["cluster_name"], "region": cluster["region"]}
    )
    assert (job.status, job.rc) == ("successful", 0), job.failures()
    playbook_events = [event["event"] for event in job.events if event["event"] != "verbose"]
    assert playbook_events[:2] == ["playbook_on_start", "playbook_on_play_start"]
    assert playbook_events[-1] == "playbook_on_stats"
    associations = job.result("List the associations of the cluster's file system")["associations"]
    assert [dra["association_id"] for dra in associations] == [cluster["reference_association_id"]]
    items = [event["event_data"] for event in job.of("runner_item_on_ok")]
    assert [item["task"] for item in items] == ["Show each association"]
    assert items[0]["res"]["msg"].endswith("AVAILABLE /fsx/references/ <- s3://dayec-reference/")
    assert job.stats["ok"] == {"localhost": 2} and job.changed_count() == 0
    assert_secret_not_recorded(job, credentials)


def test_without_injected_credentials_the_job_has_no_aws_identity(sandbox, credentials, tmp_path):
    """The runner process inherits no AWS variable from the test: without the credential, the job cannot sign."""
    endpoint_only = {"AWS_ENDPOINT_URL": credentials["AWS_ENDPOINT_URL"], "AWS_REGION": "us-west-2"}
    sandbox.clear_audit()
    job = run_with_runner("fsx_status.yml", tmp_path, endpoint_only, {"cluster_name": "day-no-credentials"})
    assert (job.status, job.rc != 0) == ("failed", True)
    (failed,) = job.of("runner_on_failed")
    assert "credentials" in failed["event_data"]["res"]["msg"].lower(), failed["event_data"]["res"]["msg"]
    assert sandbox.audit() == []


def test_preflight_reports_every_check_and_writes_its_report(sandbox, aws, credentials, tmp_path):
    seed_account(aws)
    extra_vars = dict(
        ROLE_URIS,
        cluster_name="day-runner",
        cluster_inputs=PREFLIGHT_INPUTS,
        preflight_output_dir=str(tmp_path / "reports"),
        pass_on_warn="true",
    )
    job = run_with_runner("preflight.yml", tmp_path / "job", credentials, extra_vars)
    assert (job.status, job.rc) == ("successful", 0), job.failures()
    checks = job.result(
        "daylily.ephemeral_cluster.preflight : Check the account, the buckets and the cluster config "
        "(read-only but for the write probe)"
    )
    assert checks["summary"]["FAIL"] == 0 and checks["checks"]
    assert json.loads(Path(checks["report_path"]).read_text(encoding="utf-8"))["cluster_name"] == "day-runner"
    assert job.changed_count() == 0
    assert_secret_not_recorded(job, credentials)


def write_analysis(cluster):
    root = Path(cluster["fsx_mount"]) / "analysis_results" / ENTITY / ANALYSIS
    for relative, body in {"config/samples.tsv": b"SAMPLEID\nS1\n", "results/S1.stats.tsv": b"reads\t10\n"}.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_bytes(body)


def export_vars(cluster, output_dir):
    return {
        "cluster_name": cluster["cluster_name"],
        "region": cluster["region"],
        "fsx_mount_point": cluster["fsx_mount"],
        "export_executing_entity": ENTITY,
        "export_analysis_id": ANALYSIS,
        "export_destination_s3_uri": f"s3://{cluster['buckets'][1]}/derived/{ENTITY}/{ANALYSIS}/",
        "export_output_dir": str(output_dir),
        "export_poll_interval": 1,
        "export_checksum": "true",
    }


def test_export_plans_in_check_mode_then_writes_a_verified_receipt_once(sandbox, cluster, credentials, tmp_path):
    write_analysis(cluster)
    variables = export_vars(cluster, tmp_path / "out")
    sandbox.clear_audit()
    plan = run_with_runner("export.yml", tmp_path / "check", credentials, variables, check=True)
    assert (plan.status, plan.rc) == ("successful", 0), plan.failures()
    assert sandbox.mutating_calls() == []

    job = run_with_runner("export.yml", tmp_path / "first", credentials, variables)
    assert (job.status, job.rc) == ("successful", 0), job.failures()
    receipt = yaml.safe_load((tmp_path / "out" / "fsx_export.yaml").read_text(encoding="utf-8"))["fsx_export"]
    assert receipt["status"] == "success" and receipt["verified"] is True and receipt["detached"] is True
    manifest = (tmp_path / "out" / "fsx_export_manifest.jsonl").read_text(encoding="utf-8").splitlines()
    assert all(len(json.loads(line)["sha256"]) == 64 for line in manifest), "export_checksum answered 'true'"
    assert job.changed_count() > 0
    assert {"localhost"} <= set(job.stats["changed"])
    assert_secret_not_recorded(job, credentials)

    again = run_with_runner("export.yml", tmp_path / "second", credentials, variables)
    assert (again.status, again.rc) == ("successful", 0), again.failures()
    assert again.changed_count() == 0


def test_mount_run_attaches_then_detaches_a_run_folder(sandbox, aws, cluster, credentials, tmp_path):
    bucket, run_id = cluster["buckets"][2], "230101_A0001_0001_AH2"
    aws("s3").put_object(Bucket=bucket, Key=f"{run_id}/RunInfo.xml", Body=b"<RunInfo Version='6'/>\n")
    answers = {
        "cluster_name": cluster["cluster_name"],
        "region": cluster["region"],
        "fsx_mount_point": cluster["fsx_mount"],
        "run_mount_s3_uri": f"s3://{bucket}/{run_id}/",
        "run_mount_state": "present",
        "run_mount_poll_interval": 1,
    }
    attach = run_with_runner("mount_run.yml", tmp_path / "attach", credentials, answers)
    assert (attach.status, attach.rc) == ("successful", 0), attach.failures()
    created = attach.result(
        "daylily.ephemeral_cluster.run_mount : Create the association and wait until it is AVAILABLE"
    )
    assert created["changed"] is True
    association = created["association"]
    assert association["file_system_path"] == f"/run_dir_mounts/{run_id}/" and association["lifecycle"] == "AVAILABLE"
    assert (Path(cluster["fsx_mount"]) / "run_dir_mounts" / run_id / "RunInfo.xml").is_file()

    detach = run_with_runner("mount_run.yml", tmp_path / "detach", credentials, dict(answers, run_mount_state="absent"))
    assert (detach.status, detach.rc) == ("successful", 0), detach.failures()
    assert detach.result("daylily.ephemeral_cluster.run_mount : Detach the S3 prefix, keeping every file")["changed"]
    remaining = aws("fsx").describe_data_repository_associations()["Associations"]
    assert [dra["FileSystemPath"] for dra in remaining] == ["/references/"]
    assert_secret_not_recorded(detach, credentials)


def test_register_gets_the_dewey_token_from_the_injected_environment_only(
    sandbox, aws, dewey_stub_server, credentials, tmp_path
):
    """What the AWX "Dewey API token" credential type does: DEWEY_TOKEN in env/envvars, never an extra var."""
    dewey_stub_server.reset()
    dewey_testlib.write_toy_analysis(tmp_path / "analysis")
    dewey_testlib.upload_export(aws("s3"), tmp_path / "analysis")
    answers = {
        "dewey_url": dewey_stub_server.url,
        "dewey_command_id": "ilmn_germline_wgs_align_qc",
        "dewey_destination_s3_uri": dewey_testlib.DESTINATION,
    }
    job = run_with_runner("register.yml", tmp_path / "job", dict(credentials, DEWEY_TOKEN=dewey_testlib.TOKEN), answers)
    assert (job.status, job.rc) == ("successful", 0), job.failures()
    registered = job.result("daylily.ephemeral_cluster.dewey : Register the exported analysis with Dewey")
    assert registered["changed"] is True and len(registered["artifact_set_euids"]) == 2
    recorded = job.stdout + json.dumps(job.events)
    assert dewey_testlib.TOKEN not in recorded
    assert_secret_not_recorded(job, credentials)
    assert "DEWEY_TOKEN" not in json.dumps(json.loads((tmp_path / "job" / "env" / "extravars").read_text()))
