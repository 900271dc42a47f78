"""Secrets never show (issue 15): the operator playbooks at -vvvv with distinctive AWS keys, a session token and the
Dewey token, then stdout/stderr, every file they wrote (receipts, reports, the headnode's logs), every S3 object, the
sandbox audit log and Dewey's request record are searched for them.

tests/integration/test_dewey_register.py::test_token_appears_nowhere_in_vvvv_output_results_receipts_or_records does
the same for the Dewey token through the module's test playbook; this file covers the operator playbooks (preflight,
stage_samples, mount_run, launch, export with its registration, register) and the AWS credentials.
"""

import subprocess

import pytest

from sandbox.dayoa_repo import build_repository
from testlib import dewey as dewey_testlib
from testlib.leaks import SECRET_ENVIRONMENT
from testlib.leaks import SECRETS
from testlib.leaks import assert_no_secret
from testlib.leaks import audit_text
from testlib.leaks import files_under
from testlib.leaks import s3_bodies
from testlib.playbooks import OPERATOR_PLAYBOOKS
from testlib.playbooks import REPO
from testlib.playbooks import playbook_command
from testlib.playbooks import playbook_environment
from testlib.playbooks import ssm_inventory
from testlib.preflight import ROLE_URIS
from testlib.preflight import seed_account
from testlib.staging import STAGE
from testlib.staging import STAGE_URI
from testlib.staging import create_buckets
from testlib.staging import manifest
from testlib.staging import upload_sources
from testlib.workflow import SAMPLE_COMMAND
from testlib.workflow import launch_vars
from testlib.workflow import sample_inputs
from testlib.workflow import stop_tmux

dewey_stub_server = dewey_testlib.dewey_stub_server  # fixtures
dewey_stub = dewey_testlib.dewey_stub

ENTITY, ANALYSIS = "lab1", "an-0001"
# The export role registers a verified export itself once it has export_register_with_dewey (issue 13); until then
# register.yml does it after export.yml.
EXPORT_REGISTERS = "export_register_with_dewey" in (REPO / "roles/export/defaults/main.yml").read_text()


def run_vvvv(playbook, variables, inventory=None):
    """ansible-playbook -vvvv with the default callback and the distinctive credentials; returns (where, text) pairs."""
    command = playbook_command(str(OPERATOR_PLAYBOOKS / playbook), variables, inventory=inventory) + ["-vvvv"]
    environment = playbook_environment(dict(SECRET_ENVIRONMENT, ANSIBLE_STDOUT_CALLBACK="default"))
    process = subprocess.run(
        command, capture_output=True, text=True, env=environment, cwd=REPO, timeout=600, check=False
    )
    assert process.returncode == 0, f"{playbook} failed:\n{process.stdout[-4000:]}\n{process.stderr[-2000:]}"
    assert "<localhost>" in process.stdout or "ESTABLISH" in process.stdout  # it really was -vvvv
    return [(f"{playbook} stdout", process.stdout), (f"{playbook} stderr", process.stderr)]


@pytest.fixture(scope="module")
def dayoa_url(tmp_path_factory):
    return build_repository(tmp_path_factory.mktemp("dayoa-git"))


def test_preflight_shows_no_aws_secret_at_vvvv(sandbox, aws, tmp_path):
    seed_account(aws)
    variables = dict(ROLE_URIS, cluster_name="dayec-leaks", preflight_output_dir=str(tmp_path), pass_on_warn=True)
    places = run_vvvv("preflight.yml", variables)
    assert_no_secret(places + list(files_under(tmp_path)) + list(s3_bodies(aws("s3"))) + audit_text(sandbox))


def test_stage_mount_launch_export_and_register_show_no_secret_at_vvvv(
    sandbox, aws, cluster, dewey_stub, tmp_path, node_tmp, dayoa_url
):
    s3 = aws("s3")
    run_bucket, destination = cluster["buckets"][2], f"s3://{cluster['buckets'][1]}/derived/{ENTITY}/{ANALYSIS}/"
    s3.put_object(Bucket=run_bucket, Key="R1/RunInfo.xml", Body=b"<RunInfo Version='6'/>\n")
    dewey_testlib.write_toy_analysis(
        f"{cluster['fsx_mount']}/analysis_results/{ENTITY}/{ANALYSIS}/daylily-omics-analysis"
    )
    inventory = str(ssm_inventory(tmp_path, cluster))
    common = {"cluster_name": cluster["cluster_name"], "fsx_mount_point": cluster["fsx_mount"]}
    dewey = {
        "dewey_url": dewey_stub.url,
        "dewey_command_id": SAMPLE_COMMAND,
        "dewey_destination_s3_uri": destination,
        "dewey_token_env": dewey_testlib.TOKEN_ENV,
        "dewey_output_dir": str(tmp_path / "dewey"),
    }
    export = dict(
        common,
        export_executing_entity=ENTITY,
        export_analysis_id=ANALYSIS,
        export_destination_s3_uri=destination,
        export_output_dir=str(tmp_path / "exports"),
        export_poll_interval=1,
    )
    if EXPORT_REGISTERS:
        export.update(
            export_register_with_dewey=True,
            export_dewey_url=dewey_stub.url,
            export_dewey_command_id=SAMPLE_COMMAND,
            export_dewey_token_env=dewey_testlib.TOKEN_ENV,
        )
    samples, units = sample_inputs(cluster, tmp_path)
    upload_sources(create_buckets(aws), 2)
    places = run_vvvv(
        "stage_samples.yml",
        dict(common, manifest=str(manifest(tmp_path, 2)), stage_s3_uri=STAGE_URI, stage_name=STAGE),
        inventory,
    )
    places += run_vvvv(
        "mount_run.yml", dict(common, run_mount_s3_uri=f"s3://{run_bucket}/R1/", run_mount_poll_interval=1), inventory
    )
    try:
        places += run_vvvv(
            "launch.yml",
            launch_vars(
                cluster,
                dayoa_url,
                "leaks1",
                workflow_command_id=SAMPLE_COMMAND,
                workflow_samples_file=samples,
                workflow_units_file=units,
                workflow_dryrun=True,
            ),
            inventory,
        )
    finally:
        stop_tmux(cluster, "leaks1")
    places += run_vvvv("export.yml", export, inventory)
    places += run_vvvv("register.yml", dewey)
    assert dewey_stub.posts(), "Dewey was asked (the token was used)"
    places += list(files_under(tmp_path, cluster["headnode_root"], node_tmp))
    places += list(s3_bodies(s3)) + audit_text(sandbox)
    places.append(("Dewey's request record", str(dewey_stub.requests())))
    assert_no_secret(places)


def test_the_search_finds_each_secret_where_it_is():
    """The searches above can fail: every secret is found, and named, wherever it appears."""
    for name, secret in SECRETS.items():
        with pytest.raises(AssertionError, match=f"{name} in the place"):
            assert_no_secret([("the place", f"prefix {secret} suffix")])
