"""Unit tests for plugins/modules/fsx_dra_info.py (and the DaylilyAWSModule base class).

The module's main() runs for real (argument parsing, check mode, exit_json/fail_json, JSON output) with
ansible.module_utils.testing.patch_module_args. Only client creation is intercepted: DaylilyAWSModule.client returns
a real botocore FSx client wrapped in Stubber (every request validated against the API model) and in the same
RetryingBotoClientWrapper amazon.aws builds, with the production retry codes and no back-off delay.
"""

import json
from pathlib import Path

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.amazon.aws.plugins.module_utils import botocore as aws_botocore

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import modules as daylily_modules
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import RETRIES
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import DaylilyAWSModule
from ansible_collections.daylily.ephemeral_cluster.plugins.modules import fsx_dra_info
from testlib.fsx_api import FS_ID
from testlib.fsx_api import OTHER_FS_ID
from testlib.fsx_api import REGION
from testlib.fsx_api import association
from testlib.fsx_items import file_system
from testlib.modules import execute_module

CONNECTION = {"region": REGION, "access_key": "testing", "secret_key": "testing"}
FS_FILTER = [{"Name": "file-system-id", "Values": [FS_ID]}]
DRA_METHOD = "describe_data_repository_associations"
COLLECTION_ROOT = Path(__file__).resolve().parents[4]


def dra(n, **kwargs):
    """An association as this module's tests describe it (created without a metadata import)."""
    return association(n, batch_import=False, **kwargs)


def run_module(capsys, args, check_mode=False):
    """Run fsx_dra_info.main(); return (exit code, parsed JSON result)."""
    return execute_module(capsys, fsx_dra_info.main, dict(CONNECTION, **args), check_mode=check_mode)


# ----------------------------------------------------------------------------------------------------------------
# Results
# ----------------------------------------------------------------------------------------------------------------


def test_cluster_name_resolves_file_system_and_lists_its_associations(fsx, capsys):
    stubber, calls = fsx
    stubber.add_response(
        "describe_file_systems",
        {"FileSystems": [file_system(OTHER_FS_ID, "other"), file_system(FS_ID, "day-demo")]},
        {},
    )
    stubber.add_response(
        DRA_METHOD,
        {
            "Associations": [
                dra(
                    1,
                    path="/references/",
                    tags={"lsmc:purpose": "reference"},
                    s3={"AutoImportPolicy": {"Events": ["NEW", "CHANGED", "DELETED"]}},
                )
            ],
            "NextToken": "t1",
        },
        {"Filters": FS_FILTER},
    )
    stubber.add_response(DRA_METHOD, {"Associations": [dra(2)]}, {"Filters": FS_FILTER, "NextToken": "t1"})

    rc, result = run_module(capsys, {"cluster_name": "day-demo"})

    assert rc == 0
    assert calls == ["fsx"]
    assert result["changed"] is False
    assert result["file_system_id"] == FS_ID
    first, second = result["associations"]
    assert first == {
        "association_id": dra(1)["AssociationId"],
        "resource_arn": dra(1)["ResourceARN"],
        "file_system_id": FS_ID,
        "lifecycle": "AVAILABLE",
        "file_system_path": "/references/",
        "data_repository_path": "s3://daylily-runs/run1/",
        "batch_import_meta_data_on_create": False,
        "imported_file_chunk_size": 1024,
        "s3": {"auto_import_policy": {"events": ["NEW", "CHANGED", "DELETED"]}},
        "tags": {"lsmc:purpose": "reference"},
        "creation_time": "2026-01-31T12:00:00+00:00",
    }
    assert second["tags"] == {}


def test_path_lifecycle_and_tag_filters_are_applied(fsx, capsys):
    stubber = fsx[0]
    export_tags = {"lsmc:purpose": "output-export", "Name": "alice/run42"}
    stubber.add_response(
        DRA_METHOD,
        {
            "Associations": [
                dra(1, path="/analysis_results/alice/run42/", tags=export_tags),
                dra(2, path="/analysis_results/alice/run42/", lifecycle="DELETING", tags=export_tags),
                dra(3, path="/analysis_results/alice/run43/", tags=export_tags),
                dra(4, path="/analysis_results/alice/run42/", tags={"lsmc:purpose": "run-dir-mount"}),
                dra(5, path="/analysis_results/alice/run42", lifecycle="MISCONFIGURED", tags=export_tags),
            ]
        },
        {"Filters": FS_FILTER},
    )

    rc, result = run_module(
        capsys,
        {
            "file_system_id": FS_ID,
            "file_system_path": "/fsx/analysis_results/alice/run42",  # headnode form
            "lifecycle": ["AVAILABLE", "MISCONFIGURED"],
            "tags": {"lsmc:purpose": "output-export"},
        },
    )

    assert rc == 0
    assert result["file_system_id"] == FS_ID
    assert [item["association_id"] for item in result["associations"]] == [
        dra(1)["AssociationId"],
        dra(5)["AssociationId"],
    ]


def test_association_ids_are_requested_by_id_and_checked_against_the_file_system(fsx, capsys):
    stubber = fsx[0]
    ids = [dra(1)["AssociationId"], dra(2)["AssociationId"]]
    stubber.add_response(DRA_METHOD, {"Associations": [dra(1), dra(2, fs_id=OTHER_FS_ID)]}, {"AssociationIds": ids})

    rc, result = run_module(capsys, {"association_ids": ids, "file_system_id": FS_ID})

    assert rc == 0
    assert [item["association_id"] for item in result["associations"]] == ids[:1]


def test_no_selection_lists_every_association_and_omits_file_system_id(fsx, capsys):
    stubber = fsx[0]
    stubber.add_response(DRA_METHOD, {"Associations": [dra(1), dra(2, fs_id=OTHER_FS_ID)]}, {})

    rc, result = run_module(capsys, {})

    assert rc == 0
    assert len(result["associations"]) == 2
    assert "file_system_id" not in result


def test_check_mode_gives_the_same_answer(fsx, capsys):
    stubber = fsx[0]
    stubber.add_response(DRA_METHOD, {"Associations": [dra(1)]}, {"Filters": FS_FILTER})

    rc, result = run_module(capsys, {"file_system_id": FS_ID}, check_mode=True)

    assert rc == 0 and result["changed"] is False and len(result["associations"]) == 1


def test_throttling_then_success(fsx, capsys):
    stubber = fsx[0]
    for _attempt in range(3):
        stubber.add_client_error(
            DRA_METHOD, "ThrottlingException", "Rate exceeded", 400, expected_params={"Filters": FS_FILTER}
        )
    stubber.add_response(DRA_METHOD, {"Associations": [dra(1)]}, {"Filters": FS_FILTER})

    rc, result = run_module(capsys, {"file_system_id": FS_ID})

    assert rc == 0 and len(result["associations"]) == 1


# ----------------------------------------------------------------------------------------------------------------
# Failures
# ----------------------------------------------------------------------------------------------------------------


def test_permanent_throttling_fails_naming_the_operation(fsx, capsys):
    stubber = fsx[0]
    for _attempt in range(RETRIES):
        stubber.add_client_error(
            DRA_METHOD, "ThrottlingException", "Rate exceeded", 400, expected_params={"Filters": FS_FILTER}
        )

    rc, result = run_module(capsys, {"file_system_id": FS_ID})

    assert rc == 1
    assert result["failed"] is True
    assert "DescribeDataRepositoryAssociations" in result["msg"]
    assert "re-run later" in result["msg"]
    assert result["error"]["code"] == "ThrottlingException"
    assert "boto3_version" in result and "botocore_version" in result


def test_two_file_systems_for_the_cluster_fail_and_are_listed(fsx, capsys):
    stubber = fsx[0]
    stubber.add_response(
        "describe_file_systems",
        {"FileSystems": [file_system(FS_ID, "day-demo"), file_system(OTHER_FS_ID, "day-demo")]},
        {},
    )

    rc, result = run_module(capsys, {"cluster_name": "day-demo"})

    assert rc == 1
    assert FS_ID in result["msg"] and OTHER_FS_ID in result["msg"] and "file_system_id" in result["msg"]
    assert [item["file_system_id"] for item in result["file_systems"]] == [FS_ID, OTHER_FS_ID]


def test_no_file_system_for_the_cluster_fails(fsx, capsys):
    stubber = fsx[0]
    stubber.add_response("describe_file_systems", {"FileSystems": []}, {})

    rc, result = run_module(capsys, {"cluster_name": "day-demo"})

    assert rc == 1
    assert "parallelcluster:cluster-name=day-demo" in result["msg"]
    assert result["file_systems"] == []


def test_file_system_id_and_cluster_name_are_mutually_exclusive(fsx, capsys):
    rc, result = run_module(capsys, {"file_system_id": FS_ID, "cluster_name": "day-demo"})

    assert rc == 1
    assert "mutually exclusive" in result["msg"]
    assert fsx[1] == []  # no client, no AWS call


def test_bad_path_fails_before_any_aws_call(fsx, capsys):
    rc, result = run_module(capsys, {"file_system_id": FS_ID, "file_system_path": "analysis_results/../x"})

    assert rc == 1
    assert "is not absolute" in result["msg"]


def test_unknown_lifecycle_is_refused(fsx, capsys):
    rc, result = run_module(capsys, {"lifecycle": ["DELETED"]})

    assert rc == 1
    assert "lifecycle" in result["msg"]


# ----------------------------------------------------------------------------------------------------------------
# DaylilyAWSModule
# ----------------------------------------------------------------------------------------------------------------


def test_collection_version_matches_galaxy_yml():
    galaxy = (COLLECTION_ROOT / "galaxy.yml").read_text()
    version_line = next(line for line in galaxy.splitlines() if line.startswith("version:"))
    namespace = next(line for line in galaxy.splitlines() if line.startswith("namespace:")).split(":", 1)[1].strip()
    name = next(line for line in galaxy.splitlines() if line.startswith("name:")).split(":", 1)[1].strip()
    assert daylily_modules.DAYLILY_COLLECTION_VERSION == version_line.split(":", 1)[1].strip()
    assert daylily_modules.DAYLILY_COLLECTION_NAME == f"{namespace}.{name}"


def test_user_agent_names_this_collection():
    with patch_module_args(dict(CONNECTION)):
        DaylilyAWSModule(argument_spec={})
    agent = aws_botocore._get_user_agent_string()  # pylint: disable=protected-access
    assert agent.endswith(" daylily.ephemeral_cluster/0.1.0")
    assert agent.startswith("APN/1.0 Ansible/")


def test_real_client_carries_the_user_agent():
    with patch_module_args(dict(CONNECTION)):
        module = DaylilyAWSModule(argument_spec={})
    client = module.client("fsx")
    assert "daylily.ephemeral_cluster/0.1.0" in client.meta.config.user_agent
    assert client.meta.region_name == REGION


def test_empty_region_is_reported_as_missing(monkeypatch, capsys):
    monkeypatch.setenv("AWS_REGION", "")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "")
    with patch_module_args({"access_key": "testing", "secret_key": "testing"}):
        module = DaylilyAWSModule(argument_spec={})
        with pytest.raises(SystemExit):
            module.client("fsx")
    result = json.loads(capsys.readouterr().out)
    assert result["failed"] is True
    assert "requires a region" in result["msg"]
    assert "Invalid endpoint" not in result["msg"]
