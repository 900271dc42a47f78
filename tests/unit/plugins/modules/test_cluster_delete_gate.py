"""cluster_delete_gate refuses bad options before any AWS or pcluster call: an override without the cluster name typed
again, an export root that is not an S3 prefix, an inventory without its file list."""

import pytest

from ansible_collections.daylily.ephemeral_cluster.plugins.modules import cluster_delete_gate
from testlib.modules import execute_module
from testlib.modules import stubbed_module_client


@pytest.fixture
def fsx(monkeypatch):
    with stubbed_module_client(monkeypatch, "fsx") as (stubber, calls):
        yield calls  # no response queued: an FSx call fails the test


def args(tmp_path, **extra):
    return dict(
        {
            "cluster_name": "day-c1",
            "analysis_inventory": {"files": []},
            "pcluster_command": str(tmp_path / "no-pcluster-here"),  # running it would fail the module differently
            "region": "us-west-2",
        },
        **extra,
    )


@pytest.mark.parametrize(
    "extra, message",
    [
        (
            {"delete_without_verified_exports": True, "confirm_cluster_name": "day-c2"},
            "delete_without_verified_exports=true needs confirm_cluster_name=day-c1 (the name of the cluster to delete, "
            "typed again); got 'day-c2'. Nothing was changed.",
        ),
        (
            {
                "delete_without_verified_exports": True,
                "option_names": {
                    "delete_without_verified_exports": "teardown_delete_without_verified_exports",
                    "confirm_cluster_name": "teardown_confirm_cluster_name",
                },
            },
            "teardown_delete_without_verified_exports=true needs teardown_confirm_cluster_name=day-c1",
        ),
        ({"export_s3_uris": ["analysis/derived/"]}, "export_s3_uri 'analysis/derived/' does not start with 's3://'"),
        ({"analysis_inventory": {"file_count": 3}}, "register analysis_inventory with return_files: true"),
    ],
)
def test_bad_options_fail_before_any_call(capsys, fsx, tmp_path, extra, message):
    rc, result = execute_module(capsys, cluster_delete_gate.main, args(tmp_path, **extra))
    assert rc == 1 and message in result["msg"], result
    assert fsx == []
