"""The delete gate's decision (module_utils/_teardown/gate.py), without AWS: what blocks a deletion and how to unblock
it, what the named override lifts (and what it never lifts), and the plan of what is deleted, detached and kept."""

import pytest

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import teardown

ROOT = "s3://analysis/derived/"
OTHER_ROOT = "s3://archive/derived/"
FS = "fs-0123456789abcdef0"


def facts(**extra):
    base = {
        "cluster_name": "day-c1",
        "exists": True,
        "status": "CREATE_COMPLETE",
        "headnode_instance_id": "i-0123456789abcdef0",
        "file_systems": [
            {
                "file_system_id": FS,
                "lifecycle": "AVAILABLE",
                "managed": True,
                "deletion_policy": "Delete",
                "deleted_with_cluster": True,
                "used_by": [],
                "unknown_users": [],
            }
        ],
        "associations": [
            {
                "association_id": "dra-0000000000000000a",
                "file_system_id": FS,
                "file_system_path": "/references/",
                "data_repository_path": "s3://refs/",
                "lifecycle": "AVAILABLE",
            }
        ],
        "tasks": [],
    }
    base.update(extra)
    return base


def inventory(*paths):
    return {"path": "/fsx/analysis_results", "files": [{"path": path, "size": 4, "type": "file"} for path in paths]}


def verified(analysis_dir, root=ROOT, drift=None, manifest=True, **extra):
    """An export_receipt state=verified result, as registered in the role's loop."""
    destination = "%s%s/" % (root, analysis_dir)
    result = {
        "changed": False,
        "verified": True,
        "verification_failures": [],
        "receipt_s3_uri": destination + "_daylily_monitor/fsx-export/20260131T120000Z/fsx_export.yaml",
        "item": {"analysis_dir": analysis_dir, "destination_s3_uri": destination},
    }
    if manifest:
        result["drift"] = drift or {"added": [], "changed": [], "removed": []}
    result.update(extra)
    return result


def missing(analysis_dir, root=ROOT):
    destination = "%s%s/" % (root, analysis_dir)
    return {
        "changed": False,
        "verified": False,
        "verification_failures": [
            {"message": "receipt: no fsx_export.yaml under %s_daylily_monitor/fsx-export/*/" % destination}
        ],
        "failed_files": [],
        "item": {"analysis_dir": analysis_dir, "destination_s3_uri": destination},
    }


def kinds(decision):
    return [(blocker["kind"], blocker["subject"]) for blocker in decision["blockers"]]


def test_a_cluster_whose_analyses_all_verify_may_be_deleted_and_the_plan_says_what_goes_and_what_stays():
    decision = teardown.decide(
        facts(), inventory("alice/run42/a.txt", "bob/r1/b.txt"), [verified("alice/run42"), verified("bob/r1")], [ROOT]
    )
    assert decision["allowed"] is True and decision["blockers"] == [] and decision["override"] is False
    assert [(row["analysis_dir"], row["verified"], row["fsx_file_count"]) for row in decision["analyses"]] == [
        ("alice/run42", True, 1),
        ("bob/r1", True, 1),
    ]
    plan = decision["plan"]
    assert [(item["resource"], item["id"]) for item in plan["delete"]] == [
        ("cluster", "day-c1"),
        ("headnode", "i-0123456789abcdef0"),
        ("fsx_file_system", FS),
    ]
    assert [(d["association_id"], d["delete_data_in_file_system"]) for d in plan["detach"]] == [
        ("dra-0000000000000000a", False)
    ]
    assert ("s3_export", ROOT + "alice/run42/") in [(item["resource"], item["id"]) for item in plan["preserve"]]
    assert ("s3_export_root", ROOT) in [(item["resource"], item["id"]) for item in plan["preserve"]]


def test_an_analysis_directory_without_a_receipt_blocks_with_the_export_command_to_run():
    decision = teardown.decide(facts(), inventory("alice/run42/a.txt"), [missing("alice/run42")], [ROOT])
    assert decision["allowed"] is False and kinds(decision) == [("no_export", "alice/run42")]
    (blocker,) = decision["blockers"]
    assert blocker["unblock"] == (
        "ansible-playbook playbooks/export.yml -e cluster_name=day-c1 -e export_executing_entity=alice "
        "-e export_analysis_id=run42 -e export_destination_s3_uri=s3://analysis/derived/alice/run42/"
    )
    assert blocker["overridable"] is True


def test_no_export_root_blocks_every_analysis_and_names_the_variable_to_set():
    decision = teardown.decide(
        facts(), inventory("alice/run42/a.txt"), [], [], names={"export_s3_uri": "export_s3_uri"}
    )
    (blocker,) = decision["blockers"]
    assert blocker["kind"] == "no_export" and "set export_s3_uri" in blocker["unblock"]


def test_an_analysis_directory_left_out_of_the_export_results_blocks():
    """The gate counts directories from the inventory itself, so a role that passes fewer results cannot skip one."""
    decision = teardown.decide(
        facts(), inventory("alice/run42/a.txt", "bob/r1/b.txt"), [verified("alice/run42")], [ROOT]
    )
    assert kinds(decision) == [("no_export", "bob/r1")]


def test_a_receipt_that_no_longer_matches_s3_blocks_with_what_failed():
    result = verified(
        "alice/run42",
        verified=False,
        verification_failures=[{"message": "manifest: missing from S3: results/a.txt"}],
    )
    decision = teardown.decide(facts(), inventory("alice/run42/a.txt"), [result], [ROOT])
    (blocker,) = decision["blockers"]
    assert blocker["kind"] == "export_not_verified" and "missing from S3: results/a.txt" in blocker["reason"]
    assert "restore what S3 lacks under s3://analysis/derived/alice/run42/" in blocker["unblock"]


def test_fsx_changed_since_the_export_blocks_and_the_hint_exports_the_update():
    drift = {"added": ["results/late.txt"], "changed": [], "removed": []}
    result = verified("alice/run42", verified=False, drift=drift)
    decision = teardown.decide(facts(), inventory("alice/run42/a.txt"), [result], [ROOT])
    (blocker,) = decision["blockers"]
    assert blocker["kind"] == "fsx_changed" and "1 added (results/late.txt)" in blocker["reason"]
    assert blocker["unblock"].endswith("-e export_update_existing=true")


def test_a_verified_receipt_without_a_manifest_cannot_prove_fsx_holds_nothing_more():
    decision = teardown.decide(
        facts(), inventory("alice/run42/a.txt"), [verified("alice/run42", manifest=False)], [ROOT]
    )
    assert kinds(decision) == [("no_manifest", "alice/run42")]


def test_a_failed_re_verification_blocks_with_its_message():
    result = {
        "changed": False,
        "failed": False,
        "msg": "ListObjectsV2 AccessDenied",
        "item": missing("alice/run42")["item"],
    }
    decision = teardown.decide(facts(), inventory("alice/run42/a.txt"), [result], [ROOT])
    (blocker,) = decision["blockers"]
    assert blocker["kind"] == "no_export" and "AccessDenied" in blocker["reason"]


def test_any_export_root_holding_a_verified_export_covers_the_directory():
    results = [missing("alice/run42"), verified("alice/run42", root=OTHER_ROOT)]
    decision = teardown.decide(facts(), inventory("alice/run42/a.txt"), results, [ROOT, OTHER_ROOT])
    assert decision["allowed"] is True
    assert decision["analyses"][0]["destination_s3_uri"] == OTHER_ROOT + "alice/run42/"


def test_files_outside_analysis_directories_and_unsafe_names_block():
    decision = teardown.decide(facts(), inventory("notes.txt", "alice/loose.txt", "bad name/x/a.txt"), [], [ROOT])
    assert kinds(decision) == [("unexportable_name", "bad name/x"), ("stray_files", "analysis_results/")]
    assert "2 file(s)" in decision["blockers"][1]["reason"]


@pytest.mark.parametrize("lifecycle", ["CREATING", "UPDATING"])
def test_invariant_04_an_association_in_transition_blocks_and_the_override_does_not_lift_it(lifecycle):
    busy = dict(facts()["associations"][0], association_id="dra-0000000000000000b", lifecycle=lifecycle)
    decision = teardown.decide(facts(associations=[busy]), inventory(), [], [ROOT], override=True, confirm="day-c1")
    assert decision["allowed"] is False and kinds(decision) == [("association_busy", "dra-0000000000000000b")]


@pytest.mark.parametrize("lifecycle", ["PENDING", "EXECUTING"])
def test_a_running_export_task_blocks_and_the_override_does_not_lift_it(lifecycle):
    task = {
        "task_id": "task-0000000000000000a",
        "type": "EXPORT_TO_REPOSITORY",
        "lifecycle": lifecycle,
        "paths": ["analysis_results/alice/run42"],
    }
    decision = teardown.decide(facts(tasks=[task]), inventory(), [], [ROOT], override=True, confirm="day-c1")
    assert decision["allowed"] is False and kinds(decision) == [("task_running", "task-0000000000000000a")]
    assert "To delete it anyway" not in teardown.refusal_message("day-c1", decision)


def test_ended_tasks_and_available_associations_do_not_block():
    task = {"task_id": "task-0000000000000000a", "type": "EXPORT_TO_REPOSITORY", "lifecycle": "SUCCEEDED", "paths": []}
    assert teardown.decide(facts(tasks=[task]), inventory(), [], [ROOT])["allowed"] is True


def test_a_file_system_another_cluster_mounts_is_never_deleted():
    shared = dict(facts()["file_systems"][0], used_by=["day-c2"])
    decision = teardown.decide(facts(file_systems=[shared]), inventory(), [], [ROOT], override=True, confirm="day-c1")
    assert decision["allowed"] is False and kinds(decision) == [("file_system_shared", FS)]
    assert decision["blockers"][0]["unblock"] == "delete day-c2 first"
    unknown = dict(facts()["file_systems"][0], unknown_users=["day-c3"])
    assert kinds(teardown.decide(facts(file_systems=[unknown]), inventory(), [], [ROOT])) == [("sharing_unknown", FS)]


def test_a_retained_shared_file_system_is_kept_with_its_associations():
    kept = dict(facts()["file_systems"][0], deletion_policy="Retain", deleted_with_cluster=False, used_by=["day-c2"])
    decision = teardown.decide(facts(file_systems=[kept]), inventory(), [], [ROOT])
    assert decision["allowed"] is True
    assert decision["plan"]["detach"] == []
    assert {"resource": "fsx_file_system", "id": FS, "why": "DeletionPolicy Retain; mounted by day-c2"} in decision[
        "plan"
    ]["preserve"]


def test_associations_already_deleting_are_not_detached_again():
    deleting = dict(facts()["associations"][0], lifecycle="DELETING")
    assert teardown.decide(facts(associations=[deleting]), inventory(), [], [ROOT])["plan"]["detach"] == []


@pytest.mark.parametrize("confirm", [None, "", "day-c", "DAY-C1"])
def test_the_override_needs_the_cluster_name_typed_again(confirm):
    with pytest.raises(
        teardown.OverrideError, match="delete_without_verified_exports=true needs confirm_cluster_name=day-c1"
    ):
        teardown.decide(facts(), inventory("alice/run42/a.txt"), [], [ROOT], override=True, confirm=confirm)


def test_the_override_lifts_only_export_blockers_and_says_so():
    decision = teardown.decide(
        facts(), inventory("alice/run42/a.txt"), [missing("alice/run42")], [ROOT], override=True, confirm="day-c1"
    )
    assert decision["allowed"] is True and decision["override"] is True and decision["blockers"] == []
    assert [(b["kind"], b["subject"]) for b in decision["overridden"]] == [("no_export", "alice/run42")]
    nothing_to_lift = teardown.decide(facts(), inventory(), [], [ROOT], override=True, confirm="day-c1")
    assert nothing_to_lift["override"] is False


def test_a_cluster_that_is_gone_has_nothing_to_delete():
    gone = facts(exists=False, file_systems=[], associations=[])
    decision = teardown.decide(gone, inventory(), [], [ROOT])
    assert decision["allowed"] is False and decision["plan"] == {"delete": [], "detach": [], "preserve": []}


def test_the_refusal_table_has_one_row_per_blocker_and_names_the_override_variables():
    decision = teardown.decide(facts(), inventory("alice/run42/a.txt", "bob/r1/b.txt"), [], [ROOT])
    message = teardown.refusal_message(
        "day-c1", decision, {"delete_without_verified_exports": "teardown_delete_without_verified_exports"}
    )
    lines = message.splitlines()
    assert lines[0] == "Cluster day-c1 was NOT deleted and nothing was changed: 2 thing(s) block the deletion."
    assert lines[1].startswith("# | blocks deletion | what")
    assert lines[2].startswith("1 | no_export       | alice/run42 | ")
    assert lines[3].startswith("2 | no_export       | bob/r1      | ")
    assert "set teardown_delete_without_verified_exports=true and confirm_cluster_name=day-c1" in lines[4]


def test_export_checks_split_one_inventory_into_directories_and_destinations():
    listing = {
        "path": "/fsx/analysis_results",
        "files": [
            {"path": "alice/run42/a.txt", "size": 3, "type": "file"},
            {"path": "alice/run42/link", "size": 5, "type": "symlink", "target": "a.txt"},
            {"path": "alice/notes.txt", "size": 1, "type": "file"},
            {"path": "bad name/x/a.txt", "size": 1, "type": "file"},
        ],
    }
    checks = teardown.export_checks(listing, [ROOT, "s3://archive/derived"])
    assert [(c["analysis_dir"], c["destination_s3_uri"]) for c in checks] == [
        ("alice/run42", ROOT + "alice/run42/"),
        ("alice/run42", OTHER_ROOT + "alice/run42/"),
    ]
    fsx_inventory = checks[0]["fsx_inventory"]
    assert (fsx_inventory["path"], fsx_inventory["file_count"], fsx_inventory["total_bytes"]) == (
        "/fsx/analysis_results/alice/run42",
        1,
        3,
    )
    assert [f["path"] for f in fsx_inventory["files"]] == ["a.txt", "link"]
    with pytest.raises(ValueError, match="return_files: true"):
        teardown.export_checks({"file_count": 3}, [ROOT])
