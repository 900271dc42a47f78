"""Unit tests for plugins/modules/dayoa_catalog.py.

main() runs for real (argument parsing, check mode, exit_json/fail_json, JSON output) through
ansible.module_utils.testing.patch_module_args. Broken catalogs are the shipped catalog with one field changed,
written to a temporary file and passed as catalog_path.
"""

import copy
from pathlib import Path

import pytest
import yaml

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import catalog as cat
from ansible_collections.daylily.ephemeral_cluster.plugins.modules import dayoa_catalog
from testlib.modules import execute_module

COLLECTION_ROOT = Path(__file__).resolve().parents[4]
SHIPPED = COLLECTION_ROOT / "catalog" / cat.CATALOG_FILENAME
REPO = "daylily-omics-analysis"
SHIPPED_IDS = [
    "ilmn_germline_wgs_align_qc",
    "ilmn_germline_wgs_sentieon_b37",
    "illumina_run_qc_bclconvert",
    "dayoa_env_check",
]


def run_module(capsys, args, check_mode=False):
    """Run dayoa_catalog.main(); return (exit code, parsed JSON result)."""
    return execute_module(capsys, dayoa_catalog.main, args, check_mode=check_mode)


def shipped():
    return yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))


def commands_of(catalog):
    return catalog["repositories"][REPO]["analysis_commands"]


def write_catalog(tmp_path, catalog):
    path = tmp_path / "site_catalog.yaml"
    path.write_text(yaml.safe_dump(catalog, sort_keys=False), encoding="utf-8")
    return str(path)


def cmd_path(index, field):
    return "repositories.%s.analysis_commands[%d].%s" % (REPO, index, field)


# ----------------------------------------------------------------------------------------------------------------
# the shipped catalog


@pytest.mark.parametrize("check_mode", [False, True])
def test_shipped_catalog_summary(capsys, check_mode):
    code, result = run_module(capsys, {}, check_mode=check_mode)
    assert code == 0, result
    assert result["changed"] is False
    assert Path(result["catalog_path"]).samefile(SHIPPED)
    assert result["catalog_version"] == 2
    assert result["repositories"] == [REPO]
    assert result["command_ids"] == SHIPPED_IDS
    assert "command" not in result


def test_resolves_a_sample_command(capsys):
    code, result = run_module(capsys, {"command_id": "ilmn_germline_wgs_sentieon_b37"})
    assert code == 0, result
    command = result["command"]
    assert command["command_class"] == "sample_analysis"
    assert command["git_tag"] == "2.0.26"
    assert command["genome"] == "b37"
    assert command["dryrun_dy_command"] == command["dy_command"] + " -n"
    policy = command["artifact_registration"]
    # {genome} is known from the command; {analysis_id} only at launch.
    assert policy["evidence_manifest_path"] == "results/day/b37/reports/dayoa_evidence_manifest.json"
    assert policy["multiqc_reports"] == [
        {
            "report_kind": "final",
            "html_path": "results/day/b37/reports/DAY_final_multiqc.html",
            "data_dir_path": "results/day/b37/reports/DAY_final_multiqc_data/",
        }
    ]
    assert policy["identity"] == {"analysis_euid": "{analysis_id}", "run_euid": "{analysis_id}"}
    assert result["repository"] == {
        "key": REPO,
        "https_url": "https://github.com/Daylily-Informatics/daylily-omics-analysis.git",
        "default_ref": "2.0.26",
        "relative_path": "daylily-omics-analysis",
    }
    profile = result["test_data_profile"]
    assert profile["profile_id"] == "giab_hg002_ilmn_wgs_slim"
    assert profile["source_mount_mode"] == "default_mounted"
    assert profile["headnode_prefix"] == "/fsx" + profile["source_fsx_prefix"]
    contract = result["input_contract"]
    assert contract["contract_id"] == "sample_manifest"
    assert sorted(contract["tables"]) == ["samples", "units"]
    assert contract["tables"]["samples"]["path"] == "config/samples.tsv"
    assert contract["tables"]["samples"]["columns"][0] == "SAMPLEID"


def test_resolves_a_run_command_in_its_repository(capsys):
    code, result = run_module(capsys, {"command_id": "illumina_run_qc_bclconvert", "repository": REPO}, check_mode=True)
    assert code == 0, result
    assert result["command"]["requires_run_mount"] is True
    assert result["test_data_profile"]["source_fsx_prefix"] == "/run_dir_mounts/{mount_id}/"
    assert result["test_data_profile"]["run_context_mount_id_column"] == "MOUNT_ID"
    assert result["input_contract"]["tables"]["runs"]["columns"] == [
        "RUNID",
        "PLATFORM",
        "RUN_DIR",
        "SOURCE_S3_URI",
        "MOUNT_ID",
        "SAMPLE_SHEET",
        "BASECALLING_STATE",
        "RUN_STATUS",
        "OUTPUT_ROOT",
        "REGION",
        "PROFILE",
    ]
    reports = result["command"]["artifact_registration"]["multiqc_reports"]
    assert [report["report_kind"] for report in reports] == ["run_qc_illumina", "bclconvert"]


def test_resolves_the_utility_command(capsys):
    code, result = run_module(capsys, {"command_id": "dayoa_env_check"})
    assert code == 0, result
    assert result["input_contract"] == {"contract_id": "none", "description": "No input tables.", "tables": {}}
    assert result["test_data_profile"]["source_mount_mode"] == "none"
    assert result["command"]["artifact_registration"] == {"enabled": False}


def test_unknown_command_id_lists_the_valid_ids(capsys):
    code, result = run_module(capsys, {"command_id": "germline"})
    assert code == 1
    assert result["failed"] is True
    assert result["msg"] == "Unknown command_id 'germline'. Valid command ids: " + ", ".join(SHIPPED_IDS) + "."
    assert result["valid_command_ids"] == SHIPPED_IDS


def test_unknown_repository_lists_the_repositories(capsys):
    code, result = run_module(capsys, {"repository": "daylily"})
    assert code == 1
    assert result["msg"] == "Unknown repository 'daylily'. The catalog's repositories are: daylily-omics-analysis."
    assert result["valid_repositories"] == [REPO]
    code, result = run_module(capsys, {"command_id": "dayoa_env_check", "repository": "daylily"})
    assert code == 1 and result["valid_repositories"] == [REPO]


# ----------------------------------------------------------------------------------------------------------------
# broken catalogs fail listing every problem


def assert_fails_with(capsys, tmp_path, catalog, expected_problems):
    path = write_catalog(tmp_path, catalog)
    code, result = run_module(capsys, {"catalog_path": path, "command_id": "ilmn_germline_wgs_align_qc"})
    assert code == 1
    assert result["problems"] == expected_problems
    assert result["msg"] == "The catalog %s breaks %d rule%s:\n%s" % (
        path,
        len(expected_problems),
        "" if len(expected_problems) == 1 else "s",
        "\n".join("- " + p for p in expected_problems),
    )
    assert "command" not in result


def mismatched_contract(catalog):
    commands_of(catalog)[2]["input_contract"] = "sample_manifest"


def missing_profile(catalog):
    del catalog["test_data_profiles"]["no_external_data"]


def unpinned_tag_main(catalog):
    commands_of(catalog)[0]["git_tag"] = "main"


def bad_registration_policy(catalog):
    policy = copy.deepcopy(commands_of(catalog)[2]["artifact_registration"])
    policy["manifest_source"] = "dewey"
    policy["include_paths"].append("results/{run_id}/**")
    policy["multiqc_reports"][1]["data_dir_path"] = "results/runs/*/bclconvert/reports/data/"
    commands_of(catalog)[2]["artifact_registration"] = policy


def duplicated_ids(catalog):
    commands_of(catalog)[1]["command_id"] = "ilmn_germline_wgs_align_qc"


POLICY = cmd_path(2, "artifact_registration")
BROKEN_CATALOGS = [
    pytest.param(
        mismatched_contract,
        [
            cmd_path(2, "input_contract")
            + " (command illumina_run_qc_bclconvert): is 'sample_manifest', but run_analysis commands "
            "read a sequencing run folder that a run DRA mounts, described by runs.tsv; expected 'run_context'",
        ],
        id="class_contract_mismatch",
    ),
    pytest.param(
        missing_profile,
        [
            cmd_path(3, "test_data_profile")
            + " (command dayoa_env_check): names the test data profile 'no_external_data', which "
            "test_data_profiles does not define; expected one of: giab_hg002_ilmn_wgs_slim, illumina_novaseqx_run_slim",
        ],
        id="missing_profile",
    ),
    pytest.param(
        unpinned_tag_main,
        [
            cmd_path(0, "git_tag")
            + " (command ilmn_germline_wgs_align_qc): 'main' is a branch name, not a pinned tag; expected a "
            "pinned release tag such as '2.0.26' (or a full 40-character commit id), never a branch",
        ],
        id="unpinned_tag_main",
    ),
    pytest.param(
        bad_registration_policy,
        [
            POLICY
            + ".include_paths[2] (command illumina_run_qc_bclconvert): uses the placeholder(s) {run_id}, which cannot be filled "
            "here; expected only {analysis_id}, {executing_entity}, {genome}",
            POLICY
            + ".manifest_source (command illumina_run_qc_bclconvert): 'dewey' is not allowed; expected one of: 'dayoa_manifest', "
            "'s3_inventory'",
            POLICY + ".multiqc_reports[1].data_dir_path (command illumina_run_qc_bclconvert): is "
            "'results/runs/*/bclconvert/reports/data/', but MultiQC writes the data directory of "
            "'results/runs/*/bclconvert/reports/multiqc_report.html' to 'results/runs/*/bclconvert/reports/multiqc_report_data/'; "
            "expected 'results/runs/*/bclconvert/reports/multiqc_report_data/'",
        ],
        id="bad_registration_policy",
    ),
    pytest.param(
        duplicated_ids,
        [
            cmd_path(1, "command_id")
            + " (command ilmn_germline_wgs_align_qc): 'ilmn_germline_wgs_align_qc' is already the id of "
            "repositories.daylily-omics-analysis.analysis_commands[0]; expected a command_id used once in the whole catalog",
        ],
        id="duplicated_ids",
    ),
]


@pytest.mark.parametrize("break_catalog, expected_problems", BROKEN_CATALOGS)
def test_a_broken_catalog_fails_listing_its_problems(capsys, tmp_path, break_catalog, expected_problems):
    catalog = shipped()
    break_catalog(catalog)
    assert_fails_with(capsys, tmp_path, catalog, expected_problems)


def test_all_problems_are_listed_together(capsys, tmp_path):
    catalog = shipped()
    commands_of(catalog)[0]["git_tag"] = "HEAD"
    commands_of(catalog)[1]["command_id"] = "ilmn_germline_wgs_align_qc"
    commands_of(catalog)[3]["test_data_profile"] = "giab_hg002_ilmn_wgs_slim"
    catalog["command_catalog_version"] = 3
    path = write_catalog(tmp_path, catalog)
    code, result = run_module(capsys, {"catalog_path": path})
    assert code == 1
    assert [line.split(":")[0] for line in result["problems"]] == [
        "command_catalog_version",
        cmd_path(0, "git_tag") + " (command ilmn_germline_wgs_align_qc)",
        cmd_path(1, "command_id") + " (command ilmn_germline_wgs_align_qc)",
        cmd_path(3, "test_data_profile") + " (command dayoa_env_check)",
    ]


def test_validate_false_reads_a_broken_catalog(capsys, tmp_path):
    catalog = shipped()
    commands_of(catalog)[0]["git_tag"] = "main"
    code, result = run_module(
        capsys,
        {
            "catalog_path": write_catalog(tmp_path, catalog),
            "validate": False,
            "command_id": "ilmn_germline_wgs_align_qc",
        },
    )
    assert code == 0, result
    assert result["command"]["git_tag"] == "main"


def test_duplicate_yaml_keys_fail(capsys, tmp_path):
    path = tmp_path / "dup.yaml"
    path.write_text(SHIPPED.read_text(encoding="utf-8") + "\ncommand_catalog_version: 2\n", encoding="utf-8")
    code, result = run_module(capsys, {"catalog_path": str(path), "validate": False})
    assert code == 1
    assert len(result["problems"]) == 1
    assert result["problems"][0].startswith(
        "line %d: repeats the key 'command_catalog_version' already given at line "
        % (len(SHIPPED.read_text(encoding="utf-8").splitlines()) + 2)
    )


def test_unreadable_catalog(capsys, tmp_path):
    code, result = run_module(capsys, {"catalog_path": str(tmp_path / "missing.yaml")})
    assert code == 1
    assert result["msg"].startswith("Cannot read the catalog %s" % (tmp_path / "missing.yaml"))
    assert "problems" not in result


def test_missing_schema_is_an_error_unless_validation_is_off(capsys, tmp_path, monkeypatch):
    path = write_catalog(tmp_path, shipped())
    monkeypatch.setattr(dayoa_catalog, "find_schema_path", lambda catalog_path: None)
    code, result = run_module(capsys, {"catalog_path": path})
    assert code == 1
    assert result["msg"] == (
        "Cannot find the catalog schema daylily_available_repositories.schema.json in the collection or next to %s. Put the "
        "schema next to the catalog, or set validate=false to read the catalog unchecked." % path
    )
    code, result = run_module(capsys, {"catalog_path": path, "validate": False})
    assert code == 0 and result["command_ids"] == SHIPPED_IDS


def test_missing_pyyaml(capsys, monkeypatch):
    monkeypatch.setattr(dayoa_catalog, "HAS_YAML", False)
    code, result = run_module(capsys, {})
    assert code == 1
    assert "PyYAML" in result["msg"]


# --- launch inputs: the class rules decide the input tables (invariant 18) -----------------------------------------

SAMPLES_TSV = "SAMPLEID\tSAMPLESOURCE\tN_X\nS1\tblood\t2\n"
UNITS_TSV = "RUNID\tSAMPLEID\tILMN_R1_PATH\tILMN_R2_PATH\nR0\tS1\t/fsx/staging/s/S1_R1.fq\t/fsx/staging/s/S1_R2.fq\n"
RUNS_TSV = (
    "RUNID\tPLATFORM\tRUN_DIR\tSOURCE_S3_URI\tMOUNT_ID\nR7\tILMN\t/fsx/run_dir_mounts/R7/\ts3://runs-bucket/R7/\tR7\n"
)
INPUT_LABELS = {"samples": "workflow_samples_file", "units": "workflow_units_file", "runs": "workflow_run_context_file"}


@pytest.fixture
def input_files(tmp_path):
    """Write the given tables to files; returns the module's input_files (every table, '' when not given)."""

    def write(**tables):
        files = {"samples": "", "units": "", "runs": ""}
        for name, text in tables.items():
            files[name] = str(tmp_path / f"{name}.tsv")
            (tmp_path / f"{name}.tsv").write_text(text, encoding="utf-8")
        return files

    return write


def launch_args(command_id, files):
    return {"command_id": command_id, "input_files": files, "input_labels": INPUT_LABELS}


def test_invariant_18_sample_command_inputs_and_the_files_they_name(capsys, input_files):
    rc, result = run_module(
        capsys, launch_args("ilmn_germline_wgs_align_qc", input_files(samples=SAMPLES_TSV, units=UNITS_TSV))
    )

    assert rc == 0, result
    assert result["launch_inputs"]["config_files"] == {"samples.tsv": SAMPLES_TSV, "units.tsv": UNITS_TSV}
    assert [item["path"] for item in result["launch_inputs"]["required_inputs"]] == [
        "/fsx/staging/s/S1_R1.fq",
        "/fsx/staging/s/S1_R2.fq",
    ]
    assert result["missing_run_mounts"] == []


def test_invariant_18_run_command_inputs_and_its_missing_run_mounts(capsys, input_files):
    args = launch_args("illumina_run_qc_bclconvert", input_files(runs=RUNS_TSV))
    attached = {
        "file_system_path": "/run_dir_mounts/R7/",
        "data_repository_path": "s3://runs-bucket/R7/",
        "lifecycle": "AVAILABLE",
    }

    rc, missing = run_module(capsys, args)
    assert rc == 0 and [run["RUNID"] for run in missing["missing_run_mounts"]] == ["R7"]
    assert missing["launch_inputs"]["run_links"] == {"R7": "/fsx/run_dir_mounts/R7/"}

    rc, mounted = run_module(capsys, dict(args, associations=[attached]))
    assert rc == 0 and mounted["missing_run_mounts"] == []


@pytest.mark.parametrize(
    "command_id, tables, wanted",
    [
        (
            "illumina_run_qc_bclconvert",
            {"samples": SAMPLES_TSV, "units": UNITS_TSV},
            "illumina_run_qc_bclconvert is a run_analysis command: it reads workflow_run_context_file, nothing else; "
            "given: workflow_samples_file, workflow_units_file",
        ),
        ("dayoa_env_check", {"runs": RUNS_TSV}, "dayoa_env_check is a utility command: it reads no input files"),
        (
            "ilmn_germline_wgs_align_qc",
            {"samples": SAMPLES_TSV, "units": "RUNID\tNOT_A_COLUMN\nR0\tx\n"},
            "units.tsv is not usable: unknown column 'NOT_A_COLUMN'",
        ),
    ],
)
def test_invariant_18_inputs_that_break_the_class_rules_are_refused_naming_the_variables(
    capsys, input_files, command_id, tables, wanted
):
    rc, result = run_module(capsys, launch_args(command_id, input_files(**tables)))

    assert rc == 1 and wanted in result["msg"] and result["msg"].endswith("Nothing was mounted or launched.")


def test_invariant_18_the_class_rule_is_checked_before_any_file_is_read(capsys):
    files = {"samples": "/nonexistent/samples.tsv", "units": "/nonexistent/units.tsv", "runs": ""}

    rc, result = run_module(capsys, launch_args("illumina_run_qc_bclconvert", files))

    assert rc == 1 and "is a run_analysis command: it reads workflow_run_context_file" in result["msg"]


def test_unreadable_input_files_are_listed_naming_the_variables(capsys):
    files = {"samples": "/nonexistent/samples.tsv", "units": "/nonexistent/units.tsv", "runs": ""}

    rc, result = run_module(capsys, launch_args("ilmn_germline_wgs_align_qc", files))

    assert rc == 1
    assert "workflow_samples_file '/nonexistent/samples.tsv' cannot be read: No such file or directory" in result["msg"]
    assert "workflow_units_file '/nonexistent/units.tsv' cannot be read" in result["msg"]
