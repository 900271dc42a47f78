"""The analysis_export_checks filter: one check per analysis directory and export root, and errors Ansible shows."""

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.daylily.ephemeral_cluster.plugins.filter.analysis_export_checks import FilterModule

CHECKS = FilterModule().filters()["analysis_export_checks"]
INVENTORY = {"path": "/fsx/analysis_results", "files": [{"path": "alice/run42/a.txt", "size": 3, "type": "file"}]}


def test_one_root_given_as_a_string_is_one_root():
    (check,) = CHECKS(INVENTORY, "s3://analysis/derived")
    assert check["destination_s3_uri"] == "s3://analysis/derived/alice/run42/"
    assert check["fsx_inventory"]["file_count"] == 1


@pytest.mark.parametrize(
    "inventory, roots, message",
    [
        ({"file_count": 1}, ["s3://analysis/derived/"], "return_files: true"),
        (
            INVENTORY,
            ["https://analysis/derived/"],
            "export_s3_uri 'https://analysis/derived/' does not start with 's3://'",
        ),
    ],
)
def test_bad_input_is_an_ansible_filter_error(inventory, roots, message):
    with pytest.raises(AnsibleFilterError, match=message):
        CHECKS(inventory, roots)
