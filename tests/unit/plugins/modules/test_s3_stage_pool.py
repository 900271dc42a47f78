"""s3_stage's S3 client pools a connection for each of its copy/HEAD threads (issue 15, row 2: botocore pools 10 by
default, so at the default concurrency of 16 six threads opened and dropped a connection on every request)."""

import pytest

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import samples
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import DaylilyAWSModule
from ansible_collections.daylily.ephemeral_cluster.plugins.modules import s3_stage
from testlib.modules import execute_module


class _ClientMade(Exception):
    """Stops the module once its client is made."""


@pytest.mark.parametrize("concurrency", [1, 16, 64])
def test_defect_s3_stage_makes_its_s3_client_with_a_pooled_connection_per_thread(
    monkeypatch, capsys, tmp_path, concurrency
):
    made = []

    def client(self, service, retry_decorator=None, **extra):  # pylint: disable=unused-argument
        made.append((service, extra))
        raise _ClientMade

    monkeypatch.setattr(DaylilyAWSModule, "client", client)
    manifest = tmp_path / "analysis_samples.tsv"
    header = "\t".join(samples.REQUIRED_COLUMNS)
    manifest.write_text(header + "\tILMN_R1_FQ\nR\tS\tE\tblood\tPF\tILMN\tNOVASEQ\t0\tB\ts3://in-bucket/a.fq.gz\n")
    args = dict(
        src=str(manifest),
        stage_s3_uri="s3://stage-bucket/staged/",
        stage_name="remote_stage_20260101T120000Z_0a1b2c3d",
        concurrency=concurrency,
        upload_tables=False,
    )
    with pytest.raises(_ClientMade):
        execute_module(capsys, s3_stage.main, args)
    ((service, extra),) = made
    assert service == "s3"
    assert extra["config"]["max_pool_connections"] >= concurrency
