"""The invariant checkers of the chaos suite (testlib/invariants.py) can fail: each one on a made-up violation."""

from datetime import UTC
from datetime import datetime

import pytest

from testlib import invariants

T0, T1, T2 = (datetime(2026, 6, 1, 0, minute, tzinfo=UTC) for minute in (0, 1, 2))


def audit(*operations, **request):
    return [
        {"service": service, "operation": operation, "status": 200, "request": request}
        for service, operation in operations
    ]


def test_invariant_01_an_overwritten_or_deleted_object_is_caught():
    before = {"b/k": "1", "b/gone": "2"}
    with pytest.raises(AssertionError, match="disappeared"):
        invariants.invariant_01_no_s3_object_deleted_or_overwritten(before, {"b/k": "1"}, [])
    with pytest.raises(AssertionError, match="overwritten"):
        invariants.invariant_01_no_s3_object_deleted_or_overwritten(before, {"b/k": "3", "b/gone": "2"}, [])
    with pytest.raises(AssertionError, match="delete calls"):
        invariants.invariant_01_no_s3_object_deleted_or_overwritten({}, {}, audit(("s3", "DeleteObject")))
    invariants.invariant_01_no_s3_object_deleted_or_overwritten(before, dict(before, new="4"), [])


def deletion(bucket, key):
    return {"service": "s3", "operation": "DeleteObject", "status": 204, "bucket": bucket, "key": key}


def test_invariant_01_only_the_preflight_write_probe_may_be_deleted():
    """Preflight puts and deletes one probe under <role prefix>dayec-preflight/ (dayec_domain.md §21): found by the
    lifecycle chaos (seed 1), which counted that delete as a violation."""
    probe = "derived/dayec-preflight/write-check-0123.txt"
    invariants.invariant_01_no_s3_object_deleted_or_overwritten({}, {}, [deletion("exp", probe)])
    with pytest.raises(AssertionError, match="delete calls"):  # one that was there before the run
        invariants.invariant_01_no_s3_object_deleted_or_overwritten({f"exp/{probe}": "1"}, {}, [deletion("exp", probe)])
    with pytest.raises(AssertionError, match="delete calls"):
        invariants.invariant_01_no_s3_object_deleted_or_overwritten({}, {}, [deletion("exp", "derived/a/b.txt")])


def test_invariant_01_parallelclusters_own_config_may_be_rewritten_but_nothing_else_in_a_lookalike_bucket():
    """ParallelCluster rewrites a cluster's config in its own bucket when the cluster is created again: found by the
    lifecycle chaos (seed 32, a cluster re-created after an earlier seed deleted it)."""
    config = "parallelcluster-204fe0dacd9fa73b-v1-do-not-delete/parallelcluster/3.16.1/clusters/c/configs/c.yaml"
    invariants.invariant_01_no_s3_object_deleted_or_overwritten({config: "1"}, {config: "2"}, [])
    with pytest.raises(AssertionError, match="disappeared"):  # gone is still caught
        invariants.invariant_01_no_s3_object_deleted_or_overwritten({config: "1"}, {}, [])
    data = "parallelcluster-data/exports/a.txt"
    with pytest.raises(AssertionError, match="overwritten"):
        invariants.invariant_01_no_s3_object_deleted_or_overwritten({data: "1"}, {data: "2"}, [])


def test_invariant_01_a_verified_receipt_may_only_gain_the_dewey_fields():
    verified = ("d1", {"verified": True, "status": "success"})
    registered = ("d2", {"verified": True, "status": "success", "dewey_registration_status": "success"})
    invariants.invariant_01_no_s3_object_deleted_or_overwritten({"r": verified}, {"r": registered}, [])
    rewritten = ("d3", {"verified": False, "status": "error"})
    with pytest.raises(AssertionError, match="overwritten"):
        invariants.invariant_01_no_s3_object_deleted_or_overwritten({"r": verified}, {"r": rewritten}, [])


def test_invariant_01_an_association_deleted_with_its_data_is_caught():
    invariants.invariant_01_no_association_deleted_with_its_data(
        audit(("fsx", "DeleteDataRepositoryAssociation"), DeleteDataInFileSystem=False)
    )
    with pytest.raises(AssertionError, match="DeleteDataInFileSystem"):
        invariants.invariant_01_no_association_deleted_with_its_data(
            audit(("fsx", "DeleteDataRepositoryAssociation"), DeleteDataInFileSystem=True)
        )


def test_invariant_01_changed_analysis_files_are_caught_until_the_export_verified():
    before = {"lab/an1/a.txt": "1"}
    with pytest.raises(AssertionError, match="removed or changed"):
        invariants.invariant_01_analysis_data_on_fsx_intact_until_verified_export(before, {})
    invariants.invariant_01_analysis_data_on_fsx_intact_until_verified_export(before, {}, ["lab/an1"])


def association(path, lifecycle="AVAILABLE", purpose=None):
    tags = [{"Key": "lsmc:purpose", "Value": purpose}] if purpose else []
    return {
        "AssociationId": "dra-" + path.strip("/").replace("/", ""),
        "FileSystemPath": path,
        "DataRepositoryPath": "s3://b" + path,
        "Lifecycle": lifecycle,
        "Tags": tags,
    }


def test_invariants_04_and_12_duplicate_and_leftover_associations_are_caught():
    with pytest.raises(AssertionError, match="invariant 4"):
        invariants.invariant_04_no_duplicate_association([association("/x/"), association("/x/", "MISCONFIGURED")])
    invariants.invariant_04_no_duplicate_association([association("/x/"), association("/x/", "DELETING")])
    with pytest.raises(AssertionError, match="invariant 12"):
        invariants.invariant_12_no_export_association_left([association("/a/", purpose="output-export")])


def task(task_id, lifecycle, created, ended=None):
    found = {"TaskId": task_id, "Type": "EXPORT_TO_REPOSITORY", "Paths": ["/a/"], "Lifecycle": lifecycle}
    found.update(CreationTime=created, **({"EndTime": ended} if ended else {}))
    return found


def test_invariant_11_a_second_export_task_is_caught():
    invariants.invariant_11_no_duplicate_export_task([task("t1", "FAILED", T0, T1), task("t2", "SUCCEEDED", T2, T2)])
    with pytest.raises(AssertionError, match="after"):
        invariants.invariant_11_no_duplicate_export_task([task("t1", "SUCCEEDED", T0, T1), task("t2", "SUCCEEDED", T2)])
    with pytest.raises(AssertionError, match="at once"):
        invariants.invariant_11_no_duplicate_export_task([task("t1", "EXECUTING", T0), task("t2", "PENDING", T1)])


def test_invariants_25_and_24_duplicate_registrations_and_an_early_delete_are_caught():
    sets = {"artifact_sets": {"a": {"kind": "analysis_artifact_set"}, "b": {"kind": "analysis_artifact_set"}}}
    with pytest.raises(AssertionError, match="invariant 25"):
        invariants.invariant_25_no_duplicate_dewey_registration(sets)
    deleted = audit(("cloudformation", "DeleteStack"))
    invariants.invariant_24_cluster_deleted_only_after_verified_exports([], ["lab/an1"], [])
    invariants.invariant_24_cluster_deleted_only_after_verified_exports(deleted, ["lab/an1"], ["lab/an1"])
    with pytest.raises(AssertionError, match="invariant 24"):
        invariants.invariant_24_cluster_deleted_only_after_verified_exports(deleted, ["lab/an1"], [])
