"""playbooks/preflight.yml (the preflight role) against the sandbox: checks, report and forecast in one run, hints
naming the playbook's variables, nothing mutated under --check."""

import json

from testlib.playbooks import OPERATOR_PLAYBOOKS
from testlib.playbooks import run_playbook
from testlib.preflight import CLUSTER
from testlib.preflight import ROLE_URIS
from testlib.preflight import seed_account

PLAYBOOK = OPERATOR_PLAYBOOKS / "preflight.yml"
INPUTS = {
    "headnode_instance_type": "r7i.2xlarge",
    "fsx_storage_capacity": 1200,
    "headnode_root_volume_gib": 200,
    "queues": [{"name": "i192", "instance_types": ["m7i.48xlarge"], "max_count": 4}],
}
ROLE_TASK = "daylily.ephemeral_cluster.preflight : "
CHECKS_TASK = ROLE_TASK + "Check the account, the buckets and the cluster config (read-only but for the write probe)"


def play_vars(tmp_path, **extra):
    return dict(
        {
            "cluster_name": CLUSTER,
            "cluster_inputs": INPUTS,
            "preflight_output_dir": str(tmp_path),
            "cluster_ttl_hours": 10,
            **ROLE_URIS,
        },
        **extra,
    )


def test_ready_account_passes_prints_the_forecast_and_writes_the_report(sandbox, aws, tmp_path):
    seed_account(aws)
    run = run_playbook(PLAYBOOK, play_vars(tmp_path, pass_on_warn=True, cost_ceiling_usd=100))
    assert run.rc == 0, run.failures()
    checks = run.result(CHECKS_TASK)
    assert checks["summary"]["FAIL"] == 0
    assert json.loads(open(checks["report_path"], encoding="utf-8").read())["cluster_name"] == CLUSTER
    shown = run.result(ROLE_TASK + "Show the preflight summary and the cost forecast")["msg"]
    # 0.5292 + 200 x 0.08 / 730 + 1200 x 0.14 / 730 + 0.005 = 0.786255 USD/h idle; + 4 x 0.00001 spot
    assert "Idle 0.786255 USD/h" in shown[1] and "ceiling 0.786295 USD/h" in shown[1]
    assert "at most 7.86 USD" in shown[1]
    assert run.changed_count() == 0


def test_warnings_stop_the_play_with_a_hint_naming_the_playbook_variable(sandbox, aws, tmp_path):
    seed_account(aws)
    run = run_playbook(PLAYBOOK, play_vars(tmp_path, export_s3_uri=ROLE_URIS["stage_s3_uri"]))
    assert run.rc != 0
    failure = run.result(CHECKS_TASK)
    assert "set pass_on_warn to accept warnings" in failure["msg"]
    overlap = next(check for check in failure["checks"] if check["id"] == "s3.role_config")
    assert overlap["status"] == "FAIL" and "export_s3_uri" in overlap["details"]
    assert "preflight_export_s3_uri" not in overlap["details"]


def test_check_mode_makes_no_mutating_call(sandbox, aws, tmp_path):
    seed_account(aws)
    sandbox.clear_audit()
    run = run_playbook(PLAYBOOK, play_vars(tmp_path, pass_on_warn=True), check=True)
    assert run.rc == 0, run.failures()
    assert sandbox.mutating_calls() == []
