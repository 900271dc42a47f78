"""The stage_tables filter: where launch.yml finds a stage's samples.tsv and units.tsv on the headnode."""

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.daylily.ephemeral_cluster.plugins.filter.stage_tables import stage_tables
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import samples

STAGE = "remote_stage_20260101T120000Z_0a1b2c3d"
STAGE_DIR = "/fsx/staging/staged_external_sequencing_data/" + STAGE


@pytest.mark.parametrize("given", [STAGE_DIR, STAGE_DIR + "/", STAGE_DIR + "//"])
def test_the_tables_are_at_the_top_of_the_stage_named_by_its_timestamp(given):
    assert stage_tables(given) == {
        "stage_name": STAGE,
        "samples": STAGE_DIR + "/20260101T120000Z_samples.tsv",
        "units": STAGE_DIR + "/20260101T120000Z_units.tsv",
    }


def test_the_names_are_the_ones_staging_writes():
    names = samples.stage_table_names(STAGE)
    assert [stage_tables(STAGE_DIR)[kind].rsplit("/", 1)[1] for kind in ("samples", "units")] == list(names)


@pytest.mark.parametrize(
    "given",
    [
        "",
        None,
        STAGE,  # not absolute
        "/fsx/staging/staged_external_sequencing_data/",
        "/fsx/staging/remote_stage_20260101T120000Z_0a1b2c3",
        STAGE_DIR + "/sample_dir",
        "/fsx/staging/" + STAGE + "/..",
    ],
)
def test_anything_but_a_stage_directory_is_refused_naming_the_variable(given):
    with pytest.raises(
        AnsibleFilterError, match="workflow_stage_dir .* is not a stage directory.*nothing was launched"
    ):
        stage_tables(given, field="workflow_stage_dir")
