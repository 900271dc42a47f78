"""A Dewey registration recorded in a verified export receipt, and what the export then makes of it.

A verified receipt is never overwritten (DESIGN §6); the one change it allows is the Dewey fields a registration
adds, DayEC's ``dewey_*`` names in the same ``fsx_export.yaml``. Everything the verification rests on stays as it was.
"""

from __future__ import annotations

import pytest

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import dewey
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import export
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import receipt
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.receipt import ReceiptError

DESTINATION = "s3://out-bucket/derived/johnm/qc/"
SOURCE = "/analysis_results/johnm/qc/"
FSX = [{"path": "a.txt", "size": 1}, {"path": "b.txt", "size": 2}]
REGISTRATION = {
    "dewey_registration_status": "success",
    "dewey_registration_receipt": DESTINATION + "_daylily_monitor/dewey/dewey_registration_receipt.json",
    "dewey_source_manifest_s3_uri": DESTINATION + "daylily-omics-analysis/m.json",
    "dewey_source_manifest_mode": "dayoa_manifest",
    "dewey_selected_artifact_count": 9,
    "dewey_multiqc_artifact_set_count": 1,
    "dewey_analysis_directory_link_status": "not_requested",
}


def verified_receipt(**fields):
    values = dict(
        status="success",
        phase="complete",
        source_path=SOURCE,
        destination_s3_uri=DESTINATION,
        task_lifecycle="SUCCEEDED",
        detached=True,
        detach_lifecycle="DELETED",
        verified=True,
        s3_object_count=2,
        fsx_file_count=2,
        manifest_sha256="a" * 64,
        timestamp="20240101T000000Z",
    )
    values.update(fields)
    return receipt.build_receipt(**values)


def test_a_registration_adds_only_the_dewey_fields_and_keeps_the_verified_content():
    stored = verified_receipt()
    registered = receipt.add_registration(stored, **REGISTRATION)
    assert receipt.verified_content(registered) == receipt.verified_content(stored) == stored
    assert {name: registered[name] for name in REGISTRATION} == REGISTRATION
    # DayEC's readers find the fields where DayEC writes them: after the v4 fields, before this collection's
    names = list(registered)
    assert names.index("failure_details") < names.index("dewey_registration_status") < names.index("producer")
    text = receipt.dump_receipt(registered)
    assert receipt.load_receipt(text) == registered
    assert receipt.add_registration(receipt.load_receipt(text), **REGISTRATION) == registered  # a re-run: the same


@pytest.mark.parametrize(
    "field, value",
    [("verified", False), ("status", "error"), ("s3_object_count", 3), ("manifest_sha256", "b" * 64), ("phase", "run")],
)
def test_a_registration_never_changes_what_the_verification_recorded(field, value):
    with pytest.raises(ReceiptError, match="belong to the verified export"):
        receipt.add_registration(verified_receipt(), **dict(REGISTRATION, **{field: value}))


@pytest.mark.parametrize("fields", [{"verified": False}, {"status": "error"}])
def test_only_a_verified_export_receipt_records_a_registration(fields):
    with pytest.raises(ReceiptError, match="only a verified export receipt"):
        receipt.add_registration(verified_receipt(**fields), **REGISTRATION)


def test_registration_fields_are_validated():
    with pytest.raises(ReceiptError, match="dewey_selected_artifact_count"):
        receipt.add_registration(verified_receipt(), **{**REGISTRATION, "dewey_selected_artifact_count": -1})


def test_registration_only_is_recorded_by_the_first_registration_only():
    during_export = receipt.add_registration(verified_receipt(), **REGISTRATION)
    assert "registration_only" not in during_export
    assert receipt.add_registration(during_export, registration_only=True, **REGISTRATION) == during_export
    separately = receipt.add_registration(verified_receipt(), registration_only=True, **REGISTRATION)
    assert separately["registration_only"] is True
    assert receipt.add_registration(separately, **REGISTRATION) == separately


def test_fields_of_another_writer_are_kept():
    stored = dict(verified_receipt(), written_by_hand="kept")
    registered = receipt.add_registration(stored, **REGISTRATION)
    assert registered["written_by_hand"] == "kept" and receipt.verified_content(registered) == stored
    assert 'written_by_hand: "kept"' in receipt.dump_receipt(registered)


def test_a_registered_receipt_still_verifies():
    registered = receipt.add_registration(verified_receipt(), **REGISTRATION)
    assert receipt.verify_receipt(registered, fsx_inventory={"count": 2, "total_bytes": 0}) == receipt.verify_receipt(
        verified_receipt(), fsx_inventory={"count": 2, "total_bytes": 0}
    )


# --------------------------------------------------------------------------------------------------------------
# the export after a registration


def attempt(timestamp, status="success", verified=True):
    body = {"status": status, "verified": verified, "source_path": SOURCE, "destination_s3_uri": DESTINATION}
    return export.Attempt(timestamp, body, {e["path"]: e for e in FSX})


def decide(listing, attempts, fsx):
    return export.decide(DESTINATION, SOURCE, listing, attempts, fsx, False, True, lambda _attempt: [])


REGISTERED_LISTING = {
    "a.txt": 1,
    "b.txt": 2,
    "_daylily_monitor/fsx-export/20240101T000000Z/fsx_export.yaml": 10,
    "_daylily_monitor/dewey/dewey_registration_receipt.json": 10,
}


def test_defect_a_registered_export_can_be_updated_its_registration_receipt_is_not_foreign():
    """The registration receipt beside a verified export was written for that export: an update is not refused."""
    decision = decide(REGISTERED_LISTING, [attempt("20240101T000000Z")], FSX + [{"path": "late.txt", "size": 4}])
    assert decision.action == "export", decision.message


def test_a_registration_receipt_without_a_verified_export_is_foreign():
    failed = attempt("20240101T000000Z", status="error", verified=False)
    decision = decide(REGISTERED_LISTING, [failed], FSX)
    assert decision.action == "refuse" and "_daylily_monitor/dewey/dewey_registration_receipt.json" in decision.message


def test_registration_prefix_is_inside_the_monitor_folder():
    assert export.REGISTRATION_PREFIX == export.MONITOR_DIR + "/dewey/"
    assert not export.is_exported_key(export.REGISTRATION_PREFIX + "dewey_registration_receipt.json")


# --------------------------------------------------------------------------------------------------------------
# where dewey_register records it


def test_recorded_receipt_text_adds_the_fields_and_is_stable():
    text = receipt.dump_receipt(verified_receipt())
    recorded = dewey.recorded_receipt_text(text, REGISTRATION)
    assert receipt.verified_content(receipt.load_receipt(recorded)) == receipt.load_receipt(text)
    assert dewey.recorded_receipt_text(recorded, REGISTRATION) == recorded  # a replay writes nothing


def test_recorded_receipt_text_refuses_before_any_post_what_a_registration_may_not_change():
    unverified = receipt.dump_receipt(verified_receipt(verified=False))
    with pytest.raises(dewey.RegistrationError, match="cannot record the registration.*only a verified"):
        dewey.recorded_receipt_text(unverified, REGISTRATION)


def write(path, body):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(receipt.dump_receipt(body))
    return path


def test_the_local_receipt_of_the_same_attempt_records_the_registration(tmp_path):
    exported = verified_receipt()
    assert dewey.local_export_receipt(str(tmp_path), exported) == (str(tmp_path / "fsx_export.yaml"), None)
    current = write(tmp_path / "fsx_export.yaml", exported)
    assert dewey.local_export_receipt(str(tmp_path), exported) == (str(current), current.read_text())


def test_an_older_attempt_is_recorded_in_its_attempts_folder_and_another_attempt_is_left_alone(tmp_path):
    older = verified_receipt(timestamp="20231231T000000Z")
    write(tmp_path / "fsx_export.yaml", verified_receipt())
    assert dewey.local_export_receipt(str(tmp_path), older) == (None, None)
    kept = write(tmp_path / "attempts" / "20231231T000000Z" / "fsx_export.yaml", older)
    assert dewey.local_export_receipt(str(tmp_path), older) == (str(kept), kept.read_text())
