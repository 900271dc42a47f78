"""The sandbox DayOA workflow's FASTQ statistics script reads the same units.tsv read columns the collection writes.

The script runs on the headnode without the collection, so it keeps a copy of the column list; this test is what
keeps the copy true.
"""

import importlib.util
from pathlib import Path

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import samples

FASTQ_STATS = Path(__file__).parents[4] / "tests/sandbox/dayoa/workflow/scripts/fastq_stats.py"


def load_fastq_stats():
    spec = importlib.util.spec_from_file_location("sandbox_fastq_stats", FASTQ_STATS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_headnode_script_counts_every_fastq_column_the_collection_writes():
    assert load_fastq_stats().READ_PATH_COLUMNS == samples.FASTQ_PATH_COLUMNS
