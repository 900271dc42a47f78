"""roles/export's FSx calls (playbooks/export.yml on the sandbox, audit log): the file system is resolved once and
each association and task is described only where a decision needs it (issue 15 row 7: no more FSx calls than DayEC
5.1.5's own export), the association is detached with DeleteDataInFileSystem=false (invariant 1), --check makes no
mutating call, and an association left attached by an interrupted run is reused and detached."""

from pathlib import Path

import yaml

from testlib.playbooks import OPERATOR_PLAYBOOKS
from testlib.playbooks import run_playbook
from testlib.workflow import export_vars

EXPORT = str(OPERATOR_PLAYBOOKS / "export.yml")
ENTITY = "caller"
#: DayEC 5.1.5's export on the same sandbox: DescribeFileSystems 2, associations 3, tasks 1, and one create/delete each.
EXPECTED_FSX_CALLS = {
    "DescribeFileSystems": 1,  # the lookup finds the file system by its tag; the attach checks that description
    "DescribeDataRepositoryAssociations": 3,  # the lookup's list, the new one until AVAILABLE, then until gone
    "CreateDataRepositoryAssociation": 1,
    "DescribeDataRepositoryTasks": 2,  # the tasks before the create (join, adopt, blockers), then the one poll
    "CreateDataRepositoryTask": 1,
    "DeleteDataRepositoryAssociation": 1,
}


def write_analysis(cluster, analysis):
    root = Path(cluster["fsx_mount"]) / "analysis_results" / ENTITY / analysis
    for index in range(6):
        path = root / f"part{index // 3}" / f"f{index}.tsv"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"y" * (5 + index))
    return f"s3://{cluster['buckets'][1]}/derived/{ENTITY}/{analysis}/"


def fsx_calls(sandbox):
    counts = {}
    for entry in sandbox.audit():
        if entry["service"] == "fsx" and "fault" not in entry:
            counts[entry["operation"]] = counts.get(entry["operation"], 0) + 1
    return counts


def receipt(output_dir):
    return yaml.safe_load((Path(output_dir) / "fsx_export.yaml").read_text(encoding="utf-8"))["fsx_export"]


def test_invariant_01_an_export_resolves_the_file_system_once_and_describes_only_what_it_decides_on(
    sandbox, cluster, tmp_path
):
    destination = write_analysis(cluster, "calls")
    sandbox.clear_audit()

    run = run_playbook(EXPORT, export_vars(cluster, ENTITY, "calls", destination, tmp_path))

    assert run.rc == 0, run.failures()
    assert fsx_calls(sandbox) == EXPECTED_FSX_CALLS
    (delete,) = sandbox.calls("DeleteDataRepositoryAssociation")
    assert delete["request"]["DeleteDataInFileSystem"] is False
    found = receipt(tmp_path)
    assert found["verified"] is True and found["detached"] is True and found["detach_lifecycle"] == "DELETED"


def test_check_mode_export_makes_no_mutating_call(sandbox, cluster, tmp_path):
    destination = write_analysis(cluster, "checked")
    sandbox.clear_audit()

    run = run_playbook(EXPORT, export_vars(cluster, ENTITY, "checked", destination, tmp_path), check=True, diff=True)

    assert run.rc == 0, run.failures()
    assert sandbox.mutating_calls() == []


def test_invariant_12_an_association_left_by_an_interrupted_run_is_reused_and_detached(sandbox, aws, cluster, tmp_path):
    destination = write_analysis(cluster, "resumed")
    aws("fsx").create_data_repository_association(
        FileSystemId=cluster["file_system_id"],
        FileSystemPath=f"/analysis_results/{ENTITY}/resumed/",
        DataRepositoryPath=destination,
        BatchImportMetaDataOnCreate=False,
        Tags=[{"Key": "lsmc:purpose", "Value": "output-export"}],
    )
    sandbox.clear_audit()

    run = run_playbook(EXPORT, export_vars(cluster, ENTITY, "resumed", destination, tmp_path))

    assert run.rc == 0, run.failures()
    assert sandbox.calls("CreateDataRepositoryAssociation") == []
    assert len(sandbox.calls("DeleteDataRepositoryAssociation")) == 1
    assert receipt(tmp_path)["verified"] is True
    left = aws("fsx").describe_data_repository_associations(
        Filters=[{"Name": "file-system-id", "Values": [cluster["file_system_id"]]}]
    )["Associations"]
    assert [a for a in left if a["FileSystemPath"].startswith(f"/analysis_results/{ENTITY}/resumed")] == []
