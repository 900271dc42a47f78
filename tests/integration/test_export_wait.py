"""roles/export's wait for the export task (playbooks/export.yml on the sandbox): fsx_export waits up to
export_poll_interval after the create, so an export that ends in that time is detached in the same run and needs no
wait loop; a longer one keeps its association and is followed by fsx_export with task_id in an until: loop, which
reports its progress each round and detaches once the task has ended. Either way the receipt is verified."""

from pathlib import Path

import yaml

from testlib.playbooks import OPERATOR_PLAYBOOKS
from testlib.playbooks import run_playbook
from testlib.workflow import export_vars

EXPORT = str(OPERATOR_PLAYBOOKS / "export.yml")
ENTITY, ANALYSIS = "waiter", "run_wait"
WAIT_TASK = (
    "daylily.ephemeral_cluster.export : Wait for the export task, then detach its association (run with -v to see the "
    "counts advance)"
)
START_TASK = (
    "daylily.ephemeral_cluster.export : Export the analysis directory through a temporary association (attach, one "
    "export task, detach)"
)


def export(cluster, output_dir):
    root = Path(cluster["fsx_mount"]) / "analysis_results" / ENTITY / ANALYSIS
    for index in range(20):
        path = root / f"part{index // 5}" / f"f{index}.tsv"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * (10 + index))
    destination = f"s3://{cluster['buckets'][1]}/derived/{ENTITY}/{ANALYSIS}/"
    return run_playbook(EXPORT, export_vars(cluster, ENTITY, ANALYSIS, destination, output_dir))


def receipt(output_dir):
    (found,) = sorted(Path(output_dir).rglob("fsx_export.yaml"))
    return yaml.safe_load(found.read_text(encoding="utf-8"))["fsx_export"]


def test_an_export_that_ends_within_the_first_wait_needs_no_wait_loop(sandbox, cluster, tmp_path):
    run = export(cluster, tmp_path)

    assert run.rc == 0, run.failures()
    assert run.result(START_TASK)["task_lifecycle"] == "SUCCEEDED"
    assert run.result(WAIT_TASK).get("skipped") is True
    # one describe before the create (a running or finished export to join), one at the end of the first wait
    assert len(sandbox.calls("DescribeDataRepositoryTasks")) == 2
    found = receipt(tmp_path)
    assert found["verified"] is True and found["task_lifecycle"] == "SUCCEEDED" and found["status"] == "success"


def test_a_longer_export_is_waited_for_with_wait_seconds_until_it_ends(sandbox, cluster, tmp_path):
    sandbox.call("POST", "fsx-task-timing", {"seconds": 8, "count": 1})  # EXECUTING for 8 s, counts advancing

    run = export(cluster, tmp_path)

    assert run.rc == 0, run.failures()
    assert run.result(START_TASK)["task_lifecycle"] == "EXECUTING"
    waited = run.result(WAIT_TASK)
    assert waited.get("skipped") is not True
    assert waited["task_lifecycle"] == "SUCCEEDED" and waited["detach"]["detach_lifecycle"] == "DELETED"
    assert waited["progress"].endswith("SUCCEEDED: 20 of 20 files done, 0 failed")
    found = receipt(tmp_path)
    assert found["verified"] is True and found["task_lifecycle"] == "SUCCEEDED" and found["status"] == "success"
