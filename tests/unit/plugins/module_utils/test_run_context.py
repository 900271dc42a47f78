"""Unit tests for plugins/module_utils/run_context.py: the input tables of a launch, checked before anything runs.

Invariant guarded (reference/dayec_domain.md §12): 18, the catalog's class rules decide which inputs a command reads.
"""

import pytest

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import run_context as rc

SAMPLE = {"command_id": "wgs", "command_class": "sample_analysis"}
RUN = {"command_id": "runqc", "command_class": "run_analysis"}
UTILITY = {"command_id": "env", "command_class": "utility"}
SAMPLE_CONTRACT = {
    "tables": {
        "samples": {"path": "config/samples.tsv", "columns": ["SAMPLEID", "SAMPLESOURCE"]},
        "units": {
            "path": "config/units.tsv",
            "columns": ["RUNID", "SAMPLEID", "ILMN_R1_PATH", "ILMN_R2_PATH", "ONT_CRAM"],
        },
    }
}
RUN_CONTRACT = {
    "tables": {
        "runs": {"path": "config/runs.tsv", "columns": ["RUNID", "PLATFORM", "RUN_DIR", "SOURCE_S3_URI", "MOUNT_ID"]}
    }
}
SAMPLES = "SAMPLEID\tSAMPLESOURCE\nS1\tblood\n"
UNITS = (
    "RUNID\tSAMPLEID\tILMN_R1_PATH\tILMN_R2_PATH\tONT_CRAM\nR0\tS1\t/fsx/staging/S1_R1.fq\t/fsx/staging/S1_R2.fq\tna\n"
)
RUNS = "RUNID\tPLATFORM\tRUN_DIR\tSOURCE_S3_URI\tMOUNT_ID\nR7\tILMN\t/fsx/run_dir_mounts/R7/\ts3://runs/R7/\tR7\n"
LABELS = {"samples": "workflow_samples_file", "units": "workflow_units_file", "runs": "workflow_run_context_file"}


def test_sample_inputs_name_the_files_the_units_table_reads():
    inputs = rc.launch_inputs(SAMPLE, SAMPLE_CONTRACT, {"samples": SAMPLES, "units": UNITS, "runs": ""})

    assert inputs["config_files"] == {"samples.tsv": SAMPLES, "units.tsv": UNITS}
    assert inputs["runs"] == [] and inputs["run_links"] == {}
    assert inputs["required_inputs"] == [
        {"path": "/fsx/staging/S1_R1.fq", "source": "units.tsv line 2 ILMN_R1_PATH"},
        {"path": "/fsx/staging/S1_R2.fq", "source": "units.tsv line 2 ILMN_R2_PATH"},
    ]  # 'na' names nothing


def test_run_inputs_plan_the_mounts_and_require_them():
    inputs = rc.launch_inputs(RUN, RUN_CONTRACT, {"runs": RUNS}, mount_point="/mnt/fsx")

    assert inputs["config_files"] == {"runs.tsv": RUNS}
    assert inputs["run_links"] == {"R7": "/mnt/fsx/run_dir_mounts/R7/"}
    assert inputs["required_inputs"] == [
        {"path": "/mnt/fsx/run_dir_mounts/R7/", "source": "runs.tsv RUNID R7 (its run mount)"}
    ]


@pytest.mark.parametrize(
    "command, contract, texts, wanted",
    [
        (
            RUN,
            RUN_CONTRACT,
            {"samples": SAMPLES, "units": UNITS},
            "runqc is a run_analysis command: it reads "
            "workflow_run_context_file, nothing else; given: workflow_samples_file, workflow_units_file",
        ),
        (
            SAMPLE,
            SAMPLE_CONTRACT,
            {"samples": SAMPLES},
            "wgs is a sample_analysis command: it reads workflow_samples_file, "
            "workflow_units_file, nothing else; given: workflow_samples_file",
        ),
        (
            UTILITY,
            {"tables": {}},
            {"runs": RUNS},
            "env is a utility command: it reads no input files, nothing else; given: workflow_run_context_file",
        ),
    ],
)
def test_invariant_18_a_command_reads_exactly_its_contract_tables(command, contract, texts, wanted):
    with pytest.raises(rc.RunContextError) as refused:
        rc.launch_inputs(command, contract, texts, labels=LABELS)
    assert refused.value.problems == [wanted]


def test_utility_reads_nothing():
    assert rc.launch_inputs(UTILITY, {"tables": {}}, {"samples": "", "units": None})["config_files"] == {}


def test_every_table_problem_is_listed_at_once():
    units = "RUNID\tSAMPLEID\tBOGUS\nR0\n"
    with pytest.raises(rc.RunContextError) as refused:
        rc.launch_inputs(SAMPLE, SAMPLE_CONTRACT, {"samples": "SAMPLEID\tSAMPLESOURCE\n", "units": units})
    problems = refused.value.problems
    assert problems == [
        "samples.tsv is not usable: no rows after the header",
        "units.tsv is not usable: unknown column 'BOGUS' (expected columns: RUNID, SAMPLEID, ILMN_R1_PATH, ILMN_R2_PATH, "
        "ONT_CRAM); line 2 has 1 fields, the header has 3",
    ]


def test_missing_run_mounts_need_an_available_association_of_the_same_prefix_and_path():
    runs = rc.launch_inputs(RUN, RUN_CONTRACT, {"runs": RUNS})["runs"]
    available = {
        "file_system_path": "/run_dir_mounts/R7",
        "data_repository_path": "s3://runs/R7",
        "lifecycle": "AVAILABLE",
    }

    assert rc.missing_run_mounts(runs, [available]) == []
    assert rc.missing_run_mounts(runs, [dict(available, lifecycle="CREATING")]) == runs
    assert rc.missing_run_mounts(runs, [dict(available, data_repository_path="s3://other/R7/")]) == runs
    assert rc.missing_run_mounts(runs, [dict(available, file_system_path="/run_dir_mounts/R8/")]) == runs
    assert rc.missing_run_mounts(runs, []) == runs
