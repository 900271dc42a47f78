"""What playbooks/reap.yml decides in Python: which expired clusters go to the delete gate (reap_plan), and what became
of each, the table and whether the run succeeded (reap_report)."""

import pytest

from ansible_collections.daylily.ephemeral_cluster.plugins.plugin_utils.reap import reap_plan
from ansible_collections.daylily.ephemeral_cluster.plugins.plugin_utils.reap import reap_report


def expired_host(name, **extra):
    """A head node's host variables as the pcluster inventory plugin sets them."""
    host = {
        "inventory_hostname": name,
        "daylily_cluster_name": name,
        "daylily_region": "us-west-2",
        "daylily_cluster_status": "CREATE_COMPLETE",
        "daylily_headnode_state": "running",
        "daylily_headnode_instance_id": "i-0123456789abcdef0",
        "daylily_expires_at": "2026-12-06T10:00:00Z",
        "daylily_ttl_message": "expired 2h00m ago (at 2026-12-06T10:00:00Z)",
        "daylily_expired": True,
    }
    host.update(extra)
    return host


def test_the_plan_puts_running_expired_clusters_through_the_gate_in_name_order():
    plan = reap_plan([expired_host("day-b"), expired_host("day-a")], "s3://analysis/derived/")
    assert [c["cluster_name"] for c in plan["reap"]] == ["day-a", "day-b"] and plan["skipped"] == []
    assert plan["reap"][0] == {
        "host": "day-a",
        "cluster_name": "day-a",
        "region": "us-west-2",
        "status": "CREATE_COMPLETE",
        "headnode_state": "running",
        "expires_at": "2026-12-06T10:00:00Z",
        "ttl_message": "expired 2h00m ago (at 2026-12-06T10:00:00Z)",
        "export_s3_uri": ["s3://analysis/derived/"],
        "fsx_mount_point": "/fsx",
    }


def test_a_clusters_own_export_roots_and_mount_point_win_over_the_plays():
    host = expired_host("day-a", export_s3_uri=["s3://a/", "s3://b/"], fsx_mount_point="/lustre")
    (cluster,) = reap_plan([host], "s3://analysis/derived/", "/fsx")["reap"]
    assert (cluster["export_s3_uri"], cluster["fsx_mount_point"]) == (["s3://a/", "s3://b/"], "/lustre")
    (cluster,) = reap_plan([expired_host("day-b")], None)["reap"]
    assert cluster["export_s3_uri"] == []  # the gate then blocks every analysis directory


@pytest.mark.parametrize(
    "extra, outcome, why",
    [
        ({"daylily_headnode_state": "stopped"}, "kept", "the head node i-0123456789abcdef0 is stopped"),
        ({"daylily_cluster_status": "DELETE_IN_PROGRESS"}, "deleting", "already being deleted"),
        ({"daylily_expired": False, "daylily_ttl_message": "expires in 2h"}, "kept", "not expired: expires in 2h"),
    ],
)
def test_clusters_the_gate_cannot_or_need_not_judge_are_left_alone_with_why(extra, outcome, why):
    plan = reap_plan([expired_host("day-a", **extra)])
    assert plan["reap"] == []
    ((skipped),) = plan["skipped"]
    assert skipped["outcome"] == outcome and skipped["why"].startswith(why), skipped["why"]


def cluster(name):
    return reap_plan([expired_host(name)])["reap"][0]


GATE_REFUSAL = {
    "msg": "Cluster day-kept may not be deleted: ...",
    "blockers": [
        {
            "kind": "no_export",
            "subject": "bob/run7",
            "reason": "no fsx_export.yaml under s3://analysis/derived/bob/run7/_daylily_monitor/fsx-export/",
            "unblock": "ansible-playbook playbooks/export.yml -e cluster_name=day-kept ...",
        }
    ],
}


def test_the_report_says_what_became_of_each_cluster_and_fails_the_run_for_a_kept_one():
    entries = [
        {"cluster": cluster("day-gone"), "receipt_path": "/d/day-gone/20261206T120000Z/cluster_deletion.yaml"},
        {"cluster": cluster("day-kept"), "failed_task": "Decide", "failed_result": GATE_REFUSAL},
        *reap_plan([expired_host("day-stopped", daylily_headnode_state="stopped")])["skipped"],
    ]
    report = reap_report(entries)
    assert (report["deleted"], report["kept"], report["failed"], report["ok"]) == (
        ["day-gone"],
        ["day-kept", "day-stopped"],
        [],
        False,
    )
    rows = {row["cluster"]: row for row in report["clusters"]}
    assert rows["day-gone"]["receipt_path"].endswith("cluster_deletion.yaml")
    assert rows["day-kept"]["why"] == (
        "the delete gate refused: bob/run7: no fsx_export.yaml under "
        "s3://analysis/derived/bob/run7/_daylily_monitor/fsx-export/ "
        "(unblock: ansible-playbook playbooks/export.yml -e cluster_name=day-kept ...)"
    )
    assert report["msg"] == "3 expired cluster(s): deleted day-gone; kept or failed: day-kept, day-stopped."
    header, rule, *lines = report["table"].splitlines()
    assert header.split(" | ")[:4] == ["cluster    ", "region   ", "expires_at          ", "outcome"]
    assert [line.split(" | ")[0].strip() for line in lines] == ["day-gone", "day-kept", "day-stopped"]
    assert set(rule.replace(" | ", "")) == {"-"}


def test_a_failure_after_the_gate_is_a_failed_deletion_and_an_unreachable_head_node_keeps_the_cluster():
    entries = [
        {
            "cluster": cluster("day-broken"),
            "failed_task": "Fail when the deletion did not complete",
            "failed_result": {"msg": "Deleting cluster day-broken failed in phase delete: DELETE_FAILED"},
        },
        {"cluster": cluster("day-silent"), "unreachable": "SSM does not know the instance"},
    ]
    report = reap_report(entries)
    assert (report["failed"], report["kept"], report["ok"]) == (["day-broken"], ["day-silent"], False)
    rows = {row["cluster"]: row["why"] for row in report["clusters"]}
    assert rows["day-broken"] == (
        "Fail when the deletion did not complete failed: Deleting cluster day-broken failed in phase delete: "
        "DELETE_FAILED"
    )
    assert rows["day-silent"] == "the head node did not answer over SSM: SSM does not know the instance"


def test_check_mode_says_would_delete_and_a_cluster_already_gone_counts_as_deleted():
    report = reap_report([{"cluster": cluster("day-a")}], check_mode=True)
    assert (report["would_delete"], report["deleted"], report["ok"]) == (["day-a"], [], True)
    assert report["msg"] == "1 expired cluster(s): would delete day-a; kept or failed: none."
    gone = reap_report([{"cluster": cluster("day-a"), "gone": True, "receipt_path": None}])
    assert gone["deleted"] == ["day-a"] and gone["clusters"][0]["why"] == "the cluster no longer existed"


def test_deleting_clusters_are_not_a_failure_and_nothing_expired_is_a_success():
    deleting = reap_plan([expired_host("day-a", daylily_cluster_status="DELETE_IN_PROGRESS")])["skipped"]
    assert reap_report(deleting)["ok"] is True
    assert reap_report([]) == {
        "clusters": [],
        "deleted": [],
        "would_delete": [],
        "kept": [],
        "failed": [],
        "table": "",
        "ok": True,
        "msg": "No expired cluster: nothing to reap.",
    }
