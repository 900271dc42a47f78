"""Unit tests for plugins/module_utils/catalog.py (and its _catalog package): loading, schema checks (jsonschema),
cross-rules (invariants 18 and 19), templates and command resolution.

The rules are exercised on a small catalog built here (one command per class), checked against the JSON Schema the
collection ships, so a test names exactly one broken field and asserts the exact problem reported for it.
"""

import copy
import json
import os
import sys
from pathlib import Path

import pytest

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import catalog as cat
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._catalog import files as catalog_files
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._catalog import schema as catalog_schema

COLLECTION_ROOT = Path(__file__).resolve().parents[4]
SCHEMA = json.loads((COLLECTION_ROOT / "catalog" / cat.SCHEMA_FILENAME).read_text(encoding="utf-8"))
REPO = "daylily-omics-analysis"
RUNS_COLUMNS = "RUNID PLATFORM RUN_DIR SOURCE_S3_URI MOUNT_ID SAMPLE_SHEET BASECALLING_STATE RUN_STATUS OUTPUT_ROOT REGION PROFILE".split()


def sample_policy():
    return {
        "enabled": True,
        "manifest_source": "dayoa_manifest",
        "evidence_manifest_path": "results/day/{genome}/reports/dayoa_evidence_manifest.json",
        "include_classifications": ["multiqc_html", "multiqc_data_json", "samples_manifest"],
        "include_paths": ["config/samples.tsv", "results/day/{genome}/reports/DAY_final_multiqc_data/**"],
        "require_existing": True,
        "parser_family_hint": "multiqc",
        "multiqc_version": "1.35",
        "multiqc_reports": [
            {
                "report_kind": "final",
                "html_path": "results/day/{genome}/reports/DAY_final_multiqc.html",
                "data_dir_path": "results/day/{genome}/reports/DAY_final_multiqc_data/",
            }
        ],
        "identity": {"analysis_euid": "{analysis_id}", "run_euid": "{analysis_id}"},
    }


def command(command_id, command_class, **overrides):
    target = {
        "sample_analysis": "produce_snv_concordances",
        "run_analysis": "produce_illumina_run_qc",
        "utility": "util_env_check",
    }
    dy_command = "bin/day_run %s -p -k -j 2 --config genome_build=hg38" % target[command_class]
    if command_class == "run_analysis":
        dy_command += " run_context_file=config/runs.tsv"
    entry = {
        "command_id": command_id,
        "command_class": command_class,
        "input_contract": {"sample_analysis": "sample_manifest", "run_analysis": "run_context", "utility": "none"}[
            command_class
        ],
        "test_data_profile": {"sample_analysis": "giab_reads", "run_analysis": "ilmn_run", "utility": "no_data"}[
            command_class
        ],
        "requires_staging": command_class == "sample_analysis",
        "requires_run_mount": command_class == "run_analysis",
        "runtime_parameters": {},
        "targets": [target[command_class]],
        "genome": "hg38",
        "jobs": 2,
        "dy_command": dy_command,
        "dryrun_dy_command": dy_command + " -n",
        "compatible_data_modes": ["ilmn_solo"] if command_class == "sample_analysis" else [],
        "git_tag": "2.0.26",
        "artifact_registration": sample_policy() if command_class == "sample_analysis" else {"enabled": False},
    }
    entry.update(overrides)
    return entry


def valid_catalog():
    return {
        "command_catalog_version": 2,
        "input_contracts": {
            "sample_manifest": {
                "description": "samples and units",
                "tables": {
                    "samples": {"path": "config/samples.tsv", "columns": ["SAMPLEID", "SAMPLE_TYPE"]},
                    "units": {"path": "config/units.tsv", "columns": ["RUNID", "SAMPLEID", "ILMN_R1_PATH"]},
                },
            },
            "run_context": {
                "description": "runs",
                "tables": {"runs": {"path": "config/runs.tsv", "columns": list(RUNS_COLUMNS)}},
            },
        },
        "test_data_profiles": {
            "giab_reads": {
                "description": "GIAB reads",
                "source_mount_mode": "default_mounted",
                "source_s3_uri_template": "{control_data_s3_uri}genomic_data/organism_reads/HG002/",
                "source_fsx_prefix": "/control_data/genomic_data/organism_reads/HG002/",
                "locations": ["HG002_R1.fastq.gz", "HG002_R2.fastq.gz"],
            },
            "ilmn_run": {
                "description": "an Illumina run folder",
                "source_mount_mode": "run_dra_required",
                "source_s3_uri_template": "s3://example-runs/illumina/{run_id}/",
                "source_fsx_prefix": "/run_dir_mounts/{mount_id}/",
                "run_context_source_s3_column": "SOURCE_S3_URI",
                "run_context_mount_id_column": "MOUNT_ID",
                "locations": ["RunInfo.xml", "InterOp/"],
            },
            "no_data": {"description": "nothing", "source_mount_mode": "none"},
        },
        "repositories": {
            REPO: {
                "https_url": "https://github.com/Daylily-Informatics/daylily-omics-analysis.git",
                "default_ref": "2.0.26",
                "relative_path": REPO,
                "analysis_commands": [
                    command("germline", "sample_analysis"),
                    command("run_qc", "run_analysis"),
                    command("env_check", "utility"),
                ],
            }
        },
    }


def commands_of(catalog):
    return catalog["repositories"][REPO]["analysis_commands"]


def problems(catalog):
    return [str(p) for p in cat.validate_catalog(catalog, SCHEMA)]


def cmd_path(index, field=None):
    path = "repositories.%s.analysis_commands[%d]" % (REPO, index)
    return path + "." + field if field else path


# ----------------------------------------------------------------------------------------------------------------
# valid catalogs


def test_valid_catalog_has_no_problems():
    assert problems(valid_catalog()) == []


def test_check_catalog_returns_a_valid_catalog():
    catalog = valid_catalog()
    assert cat.check_catalog(catalog, SCHEMA) is catalog


# ----------------------------------------------------------------------------------------------------------------
# invariant 18: command classes


def test_class_contract_mismatch_is_reported_with_path_problem_and_expectation():
    catalog = valid_catalog()
    commands_of(catalog)[1]["input_contract"] = "sample_manifest"
    assert problems(catalog) == [
        cmd_path(1, "input_contract")
        + " (command run_qc): is 'sample_manifest', but run_analysis commands read a sequencing "
        "run folder that a run DRA mounts, described by runs.tsv; expected 'run_context'"
    ]


def test_sample_command_with_run_context_and_run_profile_reports_each_field():
    catalog = valid_catalog()
    commands_of(catalog)[0].update(
        input_contract="run_context", requires_staging=False, requires_run_mount=True, test_data_profile="ilmn_run"
    )
    found = problems(catalog)
    assert [line.split(":")[0] for line in found] == [
        cmd_path(0, "input_contract") + " (command germline)",
        cmd_path(0, "requires_run_mount") + " (command germline)",
        cmd_path(0, "requires_staging") + " (command germline)",
        cmd_path(0, "test_data_profile") + " (command germline)",
    ]
    assert found[1].endswith("expected false")
    assert found[2].endswith("expected true")
    assert "names 'ilmn_run', whose source_mount_mode is 'run_dra_required'" in found[3]
    assert found[3].endswith(
        "expected a profile with source_mount_mode 'default_mounted' for a sample_analysis command"
    )


def test_run_command_needs_run_mount_and_run_dra_profile():
    catalog = valid_catalog()
    commands_of(catalog)[1].update(requires_run_mount=False, test_data_profile="giab_reads")
    found = problems(catalog)
    assert len(found) == 2
    assert found[0].startswith(cmd_path(1, "requires_run_mount") + " (command run_qc): is false")
    assert "expected a profile with source_mount_mode 'run_dra_required' for a run_analysis command" in found[1]


def test_utility_needs_no_inputs_and_a_none_profile():
    catalog = valid_catalog()
    commands_of(catalog)[2].update(
        input_contract="sample_manifest", requires_staging=True, test_data_profile="giab_reads"
    )
    found = problems(catalog)
    assert [line.split(" (")[0] for line in found] == [
        cmd_path(2, "input_contract"),
        cmd_path(2, "requires_staging"),
        cmd_path(2, "test_data_profile"),
    ]
    assert found[0].endswith("utility commands take no input data; expected 'none'")


def test_sample_command_cannot_use_a_profile_without_source_data():
    catalog = valid_catalog()
    commands_of(catalog)[0]["test_data_profile"] = "no_data"
    assert problems(catalog) == [
        cmd_path(0, "test_data_profile")
        + " (command germline): names 'no_data', whose source_mount_mode is 'none', but "
        "sample_analysis commands read staged sample manifests (samples.tsv + units.tsv) and validate against "
        "default-mounted test data; expected a profile with source_mount_mode 'default_mounted' for a sample_analysis command"
    ]


def test_sample_command_needs_a_data_mode():
    catalog = valid_catalog()
    commands_of(catalog)[0]["compatible_data_modes"] = []
    found = problems(catalog)
    assert len(found) == 1 and found[0].startswith(
        cmd_path(0, "compatible_data_modes") + " (command germline): is empty"
    )


def test_unknown_data_mode_is_a_schema_problem():
    catalog = valid_catalog()
    commands_of(catalog)[0]["compatible_data_modes"] = ["ilmn_duo"]
    found = problems(catalog)
    assert found == [
        cmd_path(0, "compatible_data_modes[0]")
        + " (command germline): 'ilmn_duo' is not allowed; expected one of: "
        + ", ".join(repr(mode) for mode in cat.DATA_MODES)
    ]


def test_unknown_command_class_is_reported_once_by_the_schema():
    catalog = valid_catalog()
    commands_of(catalog)[0]["command_class"] = "sample"
    found = problems(catalog)
    assert found == [
        cmd_path(0, "command_class") + " (command germline): 'sample' is not allowed; expected one of: "
        "'sample_analysis', 'run_analysis', 'utility'"
    ]


# ----------------------------------------------------------------------------------------------------------------
# references between sections


def test_missing_profile_is_reported_with_the_defined_ones():
    catalog = valid_catalog()
    commands_of(catalog)[0]["test_data_profile"] = "giab_reads_v2"
    assert problems(catalog) == [
        cmd_path(0, "test_data_profile") + " (command germline): names the test data profile 'giab_reads_v2', which "
        "test_data_profiles does not define; expected one of: giab_reads, ilmn_run, no_data"
    ]


def test_missing_contract_is_reported():
    catalog = valid_catalog()
    commands_of(catalog)[0]["input_contract"] = "sample_sheet"
    found = problems(catalog)
    assert (
        cmd_path(0, "input_contract")
        + " (command germline): names the input contract 'sample_sheet', which input_contracts "
        "does not define; expected one of: run_context, sample_manifest, none" in found
    )


def test_contract_id_none_is_reserved():
    catalog = valid_catalog()
    catalog["input_contracts"]["none"] = copy.deepcopy(catalog["input_contracts"]["run_context"])
    assert problems(catalog) == [
        "input_contracts.none: uses the reserved id 'none' (it means 'no input' for utility commands); expected another contract id"
    ]


def test_duplicated_command_ids_name_the_first_use():
    catalog = valid_catalog()
    commands_of(catalog)[2]["command_id"] = "germline"
    assert problems(catalog) == [
        cmd_path(2, "command_id")
        + " (command germline): 'germline' is already the id of "
        + cmd_path(0)
        + "; expected a command_id used once in the whole catalog"
    ]


def test_duplicated_command_ids_across_repositories():
    catalog = valid_catalog()
    other = copy.deepcopy(catalog["repositories"][REPO])
    other["analysis_commands"] = [command("run_qc", "run_analysis")]
    catalog["repositories"]["other-repo"] = other
    found = problems(catalog)
    assert found == [
        "repositories.other-repo.analysis_commands[0].command_id (command run_qc): 'run_qc' is already the id of "
        + cmd_path(1)
        + "; expected a command_id used once in the whole catalog"
    ]


# ----------------------------------------------------------------------------------------------------------------
# invariant 19: pinned refs


@pytest.mark.parametrize("ref", ["main", "master", "HEAD", "develop", "refs/heads/release-2", "origin/main"])
def test_branch_names_are_not_pinned(ref):
    catalog = valid_catalog()
    commands_of(catalog)[0]["git_tag"] = ref
    assert problems(catalog) == [
        cmd_path(0, "git_tag")
        + " (command germline): %r is a branch name, not a pinned tag; expected %s" % (ref, cat.PINNED_REF_EXPECTED)
    ]


@pytest.mark.parametrize(
    "ref, problem",
    [("", "is empty"), ("   ", "is empty"), ("feature-x", "'feature-x' is neither a release tag nor a full commit id")],
)
def test_empty_and_unknown_refs_are_not_pinned(ref, problem):
    catalog = valid_catalog()
    commands_of(catalog)[0]["git_tag"] = ref
    assert problems(catalog) == [
        cmd_path(0, "git_tag") + " (command germline): %s; expected %s" % (problem, cat.PINNED_REF_EXPECTED)
    ]


@pytest.mark.parametrize("ref", ["2.0.26", "v2.1", "2.0.26-rc1", "0123456789abcdef0123456789abcdef01234567"])
def test_pinned_refs(ref):
    assert cat.is_pinned_ref(ref)


def test_unquoted_numeric_tag_is_a_type_problem():
    catalog = valid_catalog()
    commands_of(catalog)[0]["git_tag"] = 2.1
    assert problems(catalog) == [
        cmd_path(0, "git_tag") + " (command germline): is a number (2.1); expected a pinned release tag "
        'as a quoted YAML string, such as "2.0.26"'
    ]


def test_git_tag_must_equal_default_ref_unless_allowed():
    catalog = valid_catalog()
    commands_of(catalog)[0]["git_tag"] = "2.0.25"
    assert problems(catalog) == [
        cmd_path(0, "git_tag")
        + " (command germline): pins '2.0.25', but the repository's default_ref is '2.0.26'; expected "
        "'2.0.26', or '2.0.25' listed in the repository's allowed_git_tags to allow it explicitly"
    ]
    catalog["repositories"][REPO]["allowed_git_tags"] = ["2.0.25"]
    assert problems(catalog) == []


def test_unpinned_default_ref_is_reported_once():
    catalog = valid_catalog()
    catalog["repositories"][REPO]["default_ref"] = "main"
    catalog["repositories"][REPO]["allowed_git_tags"] = ["latest"]
    assert problems(catalog) == [
        "repositories.daylily-omics-analysis.allowed_git_tags[0]: 'latest' is a branch name, not a pinned tag; expected "
        + cat.PINNED_REF_EXPECTED,
        "repositories.daylily-omics-analysis.default_ref: 'main' is a branch name, not a pinned tag; expected "
        + cat.PINNED_REF_EXPECTED,
    ]


# ----------------------------------------------------------------------------------------------------------------
# test data profiles


def test_profile_mode_fields_are_required_by_the_schema():
    catalog = valid_catalog()
    del catalog["test_data_profiles"]["ilmn_run"]["run_context_mount_id_column"]
    del catalog["test_data_profiles"]["giab_reads"]["locations"]
    assert problems(catalog) == [
        "test_data_profiles.giab_reads.locations: is missing (required when source_mount_mode is default_mounted); expected "
        "locations, source_s3_uri_template and source_fsx_prefix for a default_mounted profile",
        "test_data_profiles.ilmn_run.run_context_mount_id_column: is missing (required when source_mount_mode is "
        "run_dra_required); expected locations, source_s3_uri_template, source_fsx_prefix and the two run_context_* columns "
        "for a run_dra_required profile",
    ]


def test_none_profile_has_no_source_fields():
    catalog = valid_catalog()
    catalog["test_data_profiles"]["no_data"]["source_fsx_prefix"] = "/control_data/x/"
    assert problems(catalog) == [
        "test_data_profiles.no_data.source_fsx_prefix: is set, but a profile with source_mount_mode 'none' has no source data; "
        "expected no source fields (or source_mount_mode default_mounted / run_dra_required)"
    ]


def test_default_mounted_prefix_must_show_the_template_data():
    catalog = valid_catalog()
    catalog["test_data_profiles"]["giab_reads"]["source_fsx_prefix"] = "/references/genomic_data/organism_reads/HG002/"
    assert problems(catalog) == [
        "test_data_profiles.giab_reads.source_fsx_prefix: is '/references/genomic_data/organism_reads/HG002/', but the data of "
        "source_s3_uri_template '{control_data_s3_uri}genomic_data/organism_reads/HG002/' is visible at "
        "'/control_data/genomic_data/organism_reads/HG002/'; expected '/control_data/genomic_data/organism_reads/HG002/'"
    ]


def test_default_mounted_prefix_is_an_fsx_api_path():
    catalog = valid_catalog()
    catalog["test_data_profiles"]["giab_reads"]["source_fsx_prefix"] = (
        "/fsx/control_data/genomic_data/organism_reads/HG002/"
    )
    found = problems(catalog)
    assert len(found) == 1
    assert "starts with the headnode mount point '/fsx'" in found[0]


def test_default_mounted_template_needs_a_default_mounted_bucket():
    catalog = valid_catalog()
    catalog["test_data_profiles"]["giab_reads"]["source_s3_uri_template"] = "s3://somewhere/reads/"
    found = problems(catalog)
    assert found == [
        "test_data_profiles.giab_reads.source_s3_uri_template: 's3://somewhere/reads/' does not start with a role bucket that the "
        "cluster mounts by default; expected '{reference_s3_uri}...' (mounted at /references/) or '{control_data_s3_uri}...' "
        "(mounted at /control_data/)"
    ]


def test_run_profile_rules():
    catalog = valid_catalog()
    catalog["test_data_profiles"]["ilmn_run"].update(
        source_fsx_prefix="/run_dir_mounts/run1/",
        source_s3_uri_template="s3://example-runs/illumina/{sample_id}",
        run_context_mount_id_column="MOUNT",
    )
    assert problems(catalog) == [
        "test_data_profiles.ilmn_run.run_context_mount_id_column: names the column 'MOUNT', which the run_context contract's runs "
        "table does not have; expected one of: " + ", ".join(RUNS_COLUMNS),
        "test_data_profiles.ilmn_run.source_fsx_prefix: is '/run_dir_mounts/run1/', but a run DRA mounts each run folder at "
        "'/run_dir_mounts/{mount_id}/'; expected '/run_dir_mounts/{mount_id}/'",
        "test_data_profiles.ilmn_run.source_s3_uri_template: does not end with '/'; expected the S3 prefix of a run folder, ending with '/'",
        "test_data_profiles.ilmn_run.source_s3_uri_template: uses the placeholder(s) {sample_id}, which cannot be filled here; "
        "expected only {reference_s3_uri}, {control_data_s3_uri}, {run_id}, {mount_id}",
    ]


# ----------------------------------------------------------------------------------------------------------------
# launch commands


def test_launch_command_rules():
    catalog = valid_catalog()
    commands_of(catalog)[0].update(
        targets=["produce_snv_concordances", "produce_multiqc_final_wgs"],
        jobs=8,
        runtime_parameters={"aligners": ["bwa2a"]},
    )
    found = problems(catalog)
    assert found == [
        cmd_path(0, "dy_command")
        + " (command germline): does not run the target(s) produce_multiqc_final_wgs; expected every "
        "entry of targets as a word of dy_command",
        cmd_path(0, "dy_command") + " (command germline): runs with -j 2, but jobs is 8; expected '-j 8'",
        cmd_path(0, "runtime_parameters.aligners") + " (command germline): is not passed to dy_command; expected "
        "'aligners=<value>' in dy_command's --config",
    ]


def test_dry_run_must_be_the_real_command_plus_n():
    catalog = valid_catalog()
    commands_of(catalog)[0]["dryrun_dy_command"] = "bin/day_run produce_snv_concordances -n"
    found = problems(catalog)
    assert found == [
        cmd_path(0, "dryrun_dy_command")
        + " (command germline): is not dy_command followed by ' -n', so the dry run would not "
        "plan the real run; expected 'bin/day_run produce_snv_concordances -p -k -j 2 --config genome_build=hg38 -n'"
    ]


def test_launcher_genome_and_dry_run_flag():
    catalog = valid_catalog()
    dy_command = "snakemake produce_snv_concordances -p -k -j 2 -n --config genome_build=b37"
    commands_of(catalog)[0].update(dy_command=dy_command, dryrun_dy_command=dy_command + " -n")
    found = problems(catalog)
    assert [line.split("): ")[1] for line in found] == [
        "contains the dry-run flag; expected the real run; put -n only in dryrun_dy_command",
        "passes 'genome_build=b37', but genome is 'hg38'; expected 'genome_build=hg38'",
        "starts with 'snakemake'; expected 'bin/day_run', DayOA's launcher: 'bin/day_run <targets> -p -k -j <jobs> ...'",
    ]


def test_run_command_passes_the_run_context():
    catalog = valid_catalog()
    dy_command = "bin/day_run produce_illumina_run_qc -p -k -j 2"
    commands_of(catalog)[1].update(dy_command=dy_command, dryrun_dy_command=dy_command + " -n")
    assert problems(catalog) == [
        cmd_path(1, "dy_command") + " (command run_qc): does not pass the run context to DayOA; expected "
        "'--config run_context_file=config/runs.tsv' (the run_context contract's runs table)"
    ]


def test_unbalanced_quotes():
    catalog = valid_catalog()
    commands_of(catalog)[2].update(dy_command="bin/day_run util_env_check -j 1 'oops", dryrun_dy_command="x")
    found = problems(catalog)
    assert found[0].startswith(cmd_path(2, "dy_command") + " (command env_check): cannot be split into shell words")


# ----------------------------------------------------------------------------------------------------------------
# artifact registration policies (section 9)


def policy_problems(mutate):
    catalog = valid_catalog()
    mutate(commands_of(catalog)[0]["artifact_registration"])
    prefix = cmd_path(0, "artifact_registration")
    return [line.replace(prefix, "<policy>").replace(" (command germline)", "") for line in problems(catalog)]


def test_unknown_manifest_source():
    assert policy_problems(lambda p: p.update(manifest_source="dayoa-manifest")) == [
        "<policy>.manifest_source: 'dayoa-manifest' is not allowed; expected one of: 'dayoa_manifest', 's3_inventory'"
    ]


def test_unknown_placeholder_in_include_paths_and_identity():
    def mutate(policy):
        policy["include_paths"].append("results/{sample}/x.tsv")
        policy["identity"]["run_euid"] = "{run_id"

    assert policy_problems(mutate) == [
        "<policy>.identity.run_euid: has an unbalanced '{' or '}'; expected placeholders written as {name}",
        "<policy>.include_paths[2]: uses the placeholder(s) {sample}, which cannot be filled here; expected only "
        "{analysis_id}, {executing_entity}, {genome}",
    ]


def test_data_dir_must_be_the_one_multiqc_writes():
    assert policy_problems(
        lambda p: p["multiqc_reports"][0].update(data_dir_path="results/day/{genome}/reports/multiqc_data/")
    ) == [
        "<policy>.multiqc_reports[0].data_dir_path: is 'results/day/{genome}/reports/multiqc_data/', but MultiQC writes the data "
        "directory of 'results/day/{genome}/reports/DAY_final_multiqc.html' to 'results/day/{genome}/reports/DAY_final_multiqc_data/'; "
        "expected 'results/day/{genome}/reports/DAY_final_multiqc_data/'"
    ]


def test_report_paths_need_their_form():
    found = policy_problems(lambda p: p["multiqc_reports"][0].update(html_path="/abs/report.htm", data_dir_path="x"))
    assert found == [
        "<policy>.multiqc_reports[0].data_dir_path: 'x' does not have the expected form; expected the report's data directory, ending with '/'",
        "<policy>.multiqc_reports[0].html_path: '/abs/report.htm' does not have the expected form; expected a relative path or glob "
        "inside the checkout (no leading '/', no '..' segment, no whitespace)",
        "<policy>.multiqc_reports[0].html_path: '/abs/report.htm' does not have the expected form; expected the report's .html path",
    ]


def test_enabled_policy_must_select_something():
    def mutate(policy):
        policy["include_classifications"] = []
        del policy["include_paths"]

    found = policy_problems(mutate)
    assert found[0] == (
        "<policy>: selects nothing: include_classifications and include_paths are both empty or missing; expected "
        "at least one classification or include path (or enabled: false)"
    )
    assert (
        "<policy>.multiqc_reports[0].html_path: is selected by neither include_paths nor include_classifications"
        in found[-1]
    )


def test_report_selection_by_paths_only():
    def mutate(policy):
        policy["include_classifications"] = ["samples_manifest"]
        policy["include_paths"] = ["config/samples.tsv", "results/day/{genome}/reports/DAY_final_multiqc.html"]

    assert policy_problems(mutate) == [
        "<policy>.multiqc_reports[0].data_dir_path: 'results/day/{genome}/reports/DAY_final_multiqc_data/'multiqc_data.json is not "
        "selected, but registration needs it to register the report; expected an include_paths glob such as "
        "'results/day/{genome}/reports/DAY_final_multiqc_data/**', or 'multiqc_data_json' in include_classifications"
    ]


def test_duplicate_report_kinds_and_unknown_classification():
    def mutate(policy):
        policy["multiqc_reports"].append(dict(policy["multiqc_reports"][0]))
        policy["include_classifications"].append("multiqc_report")
        policy["multiqc_report_kind"] = "final_wgs"

    assert policy_problems(mutate) == [
        "<policy>.include_classifications[3]: 'multiqc_report' is not a classification DayOA or DayEC assigns; expected one of: "
        + ", ".join(sorted(cat.KNOWN_CLASSIFICATIONS) + ["workflow_diagram_<format>"]),
        "<policy>.multiqc_report_kind: 'final_wgs' is not the report_kind of any multiqc_reports entry; expected one of: final",
        "<policy>.multiqc_reports[1].report_kind: 'final' is already the report_kind of multiqc_reports[0]; expected each report_kind once",
    ]


def test_conditionally_required_policy_keys():
    def mutate(policy):
        del policy["evidence_manifest_path"]
        del policy["multiqc_reports"]
        del policy["identity"]

    assert policy_problems(mutate) == [
        "<policy>.evidence_manifest_path: is missing (manifest_source dayoa_manifest reads DayOA's evidence manifest); expected "
        "the manifest's path, such as results/day/{genome}/reports/dayoa_evidence_manifest.json",
        "<policy>.identity: is missing (required unless enabled is false); expected manifest_source, require_existing and "
        "identity in an enabled policy",
        "<policy>.multiqc_reports: is missing (parser_family_hint multiqc registers MultiQC reports); expected at least one "
        "report when parser_family_hint is multiqc",
    ]


def test_disabled_policy_needs_nothing_else():
    catalog = valid_catalog()
    commands_of(catalog)[0]["artifact_registration"] = {"enabled": False}
    assert problems(catalog) == []


def test_registration_policy_problems_is_usable_alone():
    policy = sample_policy()
    policy["include_paths"] = ["{unknown}/x"]
    found = [str(p) for p in cat.registration_policy_problems(policy, genome="hg38")]
    assert found == [
        "artifact_registration.include_paths[0]: uses the placeholder(s) {unknown}, which cannot be filled here; "
        "expected only {analysis_id}, {executing_entity}, {genome}"
    ]


# ----------------------------------------------------------------------------------------------------------------
# all problems at once


def broken_catalog():
    catalog = valid_catalog()
    commands = commands_of(catalog)
    commands[0]["git_tag"] = "main"
    commands[1]["input_contract"] = "sample_manifest"
    commands[1]["jobs"] = "2"
    commands[2]["command_id"] = "germline"
    commands[2]["surprise"] = True
    commands[0]["artifact_registration"]["manifest_source"] = "dayoa"
    catalog["test_data_profiles"]["Bad Profile"] = {"description": "", "source_mount_mode": "sometimes"}
    del catalog["input_contracts"]["sample_manifest"]["tables"]["units"]
    catalog["command_catalog_version"] = 1
    return catalog


def test_every_problem_is_reported_at_once():
    found = problems(broken_catalog())
    assert found == [
        "command_catalog_version: is 1; expected 2 (this collection reads command catalog version 2)",
        "input_contracts.sample_manifest.tables.units: is missing (sample manifests are samples.tsv plus units.tsv); expected the samples and units tables",
        cmd_path(0, "artifact_registration.manifest_source")
        + " (command germline): 'dayoa' is not allowed; expected one of: 'dayoa_manifest', 's3_inventory'",
        cmd_path(0, "git_tag")
        + " (command germline): 'main' is a branch name, not a pinned tag; expected "
        + cat.PINNED_REF_EXPECTED,
        cmd_path(1, "input_contract")
        + " (command run_qc): is 'sample_manifest', but run_analysis commands read a sequencing run "
        "folder that a run DRA mounts, described by runs.tsv; expected 'run_context'",
        cmd_path(1, "jobs") + " (command run_qc): is a string ('2'); expected an integer",
        cmd_path(2, "command_id")
        + " (command germline): 'germline' is already the id of "
        + cmd_path(0)
        + "; expected a command_id used once in the whole catalog",
        cmd_path(2, "surprise")
        + " (command germline): is not a known key; expected one of: artifact_registration, command_class, "
        "command_id, compatible_data_modes, description, dryrun_dy_command, dy_command, genome, git_tag, input_contract, jobs, "
        "requires_run_mount, requires_staging, runtime_parameters, targets, test_data_profile",
        "test_data_profiles[\"Bad Profile\"]: key name 'Bad Profile' does not have the expected form; expected an identifier of "
        "letters, digits, '.', '_' and '-', starting with a letter or digit",
        'test_data_profiles["Bad Profile"].description: is empty; expected a non-empty string',
        "test_data_profiles[\"Bad Profile\"].source_mount_mode: 'sometimes' is not allowed; expected one of: 'none', "
        "'default_mounted', 'run_dra_required'",
    ]


def test_check_catalog_raises_with_every_problem():
    with pytest.raises(cat.CatalogError) as raised:
        cat.check_catalog(broken_catalog(), SCHEMA, source="site.yaml")
    assert len(raised.value.problems) == 11
    assert raised.value.message.startswith("The catalog site.yaml breaks 11 rules:\n- command_catalog_version: is 1;")


def shape_mutations():
    def root_not_mapping(catalog):
        return ["not", "a", "mapping"]

    def wrong_types(catalog):
        commands_of(catalog)[0].update(
            targets="produce_x", requires_staging="yes", runtime_parameters={"bad-name": {"x": 1}}
        )
        catalog["repositories"][REPO]["https_url"] = "git@github.com:x/y.git"
        return catalog

    def missing_sections(catalog):
        del catalog["repositories"]
        catalog["input_contracts"]["run_context"]["tables"]["runs"]["columns"] = ["RUNID", "RUNID", "lower"]
        catalog["test_data_profiles"]["giab_reads"]["locations"] = ["../escape", "/abs", "a b"]
        return catalog

    def empty_things(catalog):
        catalog["test_data_profiles"] = {}
        catalog["repositories"][REPO]["analysis_commands"] = []
        catalog["extra"] = 1
        return catalog

    def bad_policy(catalog):
        policy = commands_of(catalog)[0]["artifact_registration"]
        policy.update(parser_family_hint="multiqc", multiqc_reports=[], multiqc_version=1.35, enabled="yes")
        policy["identity"] = {"analysis_euid": "", "extra": "x"}
        return catalog

    return [root_not_mapping, wrong_types, missing_sections, empty_things, bad_policy]


C0 = cmd_path(0) + "."
LOCATION_EXPECTED = (
    "expected a relative path or glob inside the checkout (no leading '/', no '..' segment, no whitespace)"
)
#: What each shape mutation reports, word for word: every message names the field and what is expected.
SHAPE_PROBLEMS = {
    "root_not_mapping": ["(catalog root): is a list; expected a mapping"],
    "wrong_types": [
        C0 + "requires_staging (command germline): is a string ('yes'); expected a boolean (true or false)",
        C0
        + "runtime_parameters.bad-name (command germline): is a mapping; expected a string or an integer or a number "
        "or a boolean (true or false) or a list",
        C0 + "runtime_parameters.bad-name (command germline): is not passed to dy_command; expected 'bad-name=<value>' "
        "in dy_command's --config",
        C0 + "runtime_parameters.bad-name (command germline): key name 'bad-name' does not have the expected form; "
        "expected a Snakemake config name (letters, digits, '_')",
        C0 + "targets (command germline): is a string ('produce_x'); expected a list",
        "repositories.daylily-omics-analysis.https_url: 'git@github.com:x/y.git' does not have the expected form; "
        "expected an https:// clone URL",
    ],
    "missing_sections": [
        "input_contracts.run_context.tables.runs.columns: lists 'RUNID' more than once; expected each item once",
        "input_contracts.run_context.tables.runs.columns[2]: 'lower' does not have the expected form; expected an "
        "upper-case TSV column name such as SAMPLEID",
        "repositories: is missing; expected Workflow repositories that can be cloned on the headnode, by repository key "
        "(the clone's repository name).",
        "test_data_profiles.giab_reads.locations[0]: '../escape' does not have the expected form; " + LOCATION_EXPECTED,
        "test_data_profiles.giab_reads.locations[1]: '/abs' does not have the expected form; " + LOCATION_EXPECTED,
        "test_data_profiles.giab_reads.locations[2]: 'a b' does not have the expected form; " + LOCATION_EXPECTED,
        "test_data_profiles.ilmn_run.run_context_mount_id_column: names the column 'MOUNT_ID', which the run_context "
        "contract's runs table does not have; expected one of: RUNID, RUNID, lower",
        "test_data_profiles.ilmn_run.run_context_source_s3_column: names the column 'SOURCE_S3_URI', which the "
        "run_context contract's runs table does not have; expected one of: RUNID, RUNID, lower",
    ],
    "empty_things": [
        "extra: is not a known key; expected one of: command_catalog_version, description, input_contracts, "
        "repositories, test_data_profiles",
        "repositories.daylily-omics-analysis.analysis_commands: is an empty list; expected at least 1 item(s)",
        "test_data_profiles: is empty; expected at least 1 entry",
    ],
    "bad_policy": [
        C0
        + "artifact_registration.enabled (command germline): is a string ('yes'); expected a boolean (true or false)",
        C0 + "artifact_registration.identity.analysis_euid (command germline): is empty; expected a non-empty string",
        C0 + "artifact_registration.identity.extra (command germline): is not a known key; expected one of: "
        "analysis_euid, assay_id, project_euid, run_euid, workset_euid",
        C0 + "artifact_registration.identity.run_euid (command germline): is missing",
        C0 + "artifact_registration.multiqc_reports (command germline): is an empty list; expected at least one report "
        "when parser_family_hint is multiqc",
        C0 + "artifact_registration.multiqc_version (command germline): is a number (1.35); expected a MultiQC version "
        'as a quoted string, such as "1.35"',
    ],
}


@pytest.mark.parametrize("mutate", shape_mutations(), ids=lambda f: f.__name__)
def test_schema_problems_name_the_field_and_what_is_expected(mutate):
    assert problems(mutate(valid_catalog())) == SHAPE_PROBLEMS[mutate.__name__]


def test_schema_problems_are_sorted_by_path_whatever_order_jsonschema_finds_them(monkeypatch):
    catalog = broken_catalog()
    expected = [str(p) for p in cat.schema_problems(catalog, SCHEMA)]
    assert len(expected) > 3
    found_in_order = list(catalog_schema.jsonschema.Draft202012Validator(SCHEMA).iter_errors(catalog))

    class ReversedOrder:
        check_schema = staticmethod(lambda schema: None)

        def __init__(self, schema):
            pass

        def iter_errors(self, instance):
            return iter(reversed(found_in_order))

    monkeypatch.setattr(catalog_schema.jsonschema.validators, "validator_for", lambda schema, default: ReversedOrder)
    assert [str(p) for p in cat.schema_problems(catalog, SCHEMA)] == expected


def test_keyword_without_its_own_wording_still_names_the_field_and_the_rule():
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "properties": {"tag": {"maxLength": 3}}}
    assert [str(p) for p in cat.schema_problems({"tag": "2.0.26"}, schema)] == [
        "tag: fails the schema keyword 'maxLength' ('2.0.26' is too long)"
    ]


def test_an_invalid_schema_is_a_catalog_error():
    with pytest.raises(
        cat.CatalogError, match="The catalog schema is not a valid JSON Schema: 'sometimes' is not valid"
    ):
        cat.schema_problems({}, {"type": "sometimes"})


def test_missing_jsonschema_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(catalog_schema, "HAS_JSONSCHEMA", False)
    with pytest.raises(cat.CatalogError, match="jsonschema library is not installed"):
        cat.validate_catalog(valid_catalog(), SCHEMA)
    # Without a schema only the cross-rules run, and they need no library.
    assert cat.validate_catalog(valid_catalog()) == []


def test_rule_problems_tolerate_any_shape():
    for value in (
        None,
        [],
        "x",
        {"repositories": []},
        {"repositories": {"r": []}},
        {"repositories": {"r": {"analysis_commands": [1, None]}}},
    ):
        assert cat.rule_problems(value) == []
    odd = valid_catalog()
    commands_of(odd)[0].update(
        targets=None, jobs=True, genome=None, runtime_parameters=[], artifact_registration=[], git_tag=None
    )
    odd["test_data_profiles"]["giab_reads"]["locations"] = None
    assert [str(p) for p in cat.rule_problems(odd)] == []


# ----------------------------------------------------------------------------------------------------------------
# loading


def test_load_catalog_reports_duplicated_keys_with_lines(tmp_path):
    path = tmp_path / "catalog.yaml"
    path.write_text(
        "command_catalog_version: 2\ntest_data_profiles:\n  a: {}\n  a: {}\ncommand_catalog_version: 2\n",
        encoding="utf-8",
    )
    with pytest.raises(cat.CatalogError) as raised:
        cat.load_catalog(str(path))
    assert [str(p) for p in raised.value.problems] == [
        "line 4: repeats the key 'a' already given at line 3 (YAML would silently keep only the last value); expected each key once per mapping",
        "line 5: repeats the key 'command_catalog_version' already given at line 1 (YAML would silently keep only the last value); "
        "expected each key once per mapping",
    ]


def test_load_catalog_keeps_anchors_and_merge_keys(tmp_path):
    path = tmp_path / "catalog.yaml"
    path.write_text("base: &b {x: 1, y: 2}\nuse: *b\nmerged:\n  <<: *b\n  y: 3\n", encoding="utf-8")
    assert cat.load_catalog(str(path)) == {
        "base": {"x": 1, "y": 2},
        "use": {"x": 1, "y": 2},
        "merged": {"x": 1, "y": 3},
    }


def test_load_catalog_errors(tmp_path):
    with pytest.raises(cat.CatalogError, match=r"Cannot read the catalog .*missing\.yaml"):
        cat.load_catalog(str(tmp_path / "missing.yaml"))
    bad = tmp_path / "bad.yaml"
    bad.write_text("a: [1, 2\n", encoding="utf-8")
    with pytest.raises(cat.CatalogError, match="is not valid YAML"):
        cat.load_catalog(str(bad))
    with pytest.raises(cat.CatalogError, match="Cannot read the catalog schema"):
        cat.load_schema(str(bad))


def test_parse_without_pyyaml_reads_json_only(monkeypatch):
    monkeypatch.setattr(catalog_files, "yaml", None)
    assert cat.parse_catalog_text('{"a": 1}') == {"a": 1}
    with pytest.raises(cat.CatalogError, match="PyYAML is required"):
        cat.parse_catalog_text("a: 1", source="x.yaml")


# ----------------------------------------------------------------------------------------------------------------
# finding the shipped files


def test_default_paths_are_the_collection_files():
    assert os.path.samefile(cat.default_catalog_path(), COLLECTION_ROOT / "catalog" / cat.CATALOG_FILENAME)
    assert os.path.samefile(cat.find_schema_path(), COLLECTION_ROOT / "catalog" / cat.SCHEMA_FILENAME)


def fake_collection(base, files):
    root = base / "ansible_collections" / "daylily" / "ephemeral_cluster" / "catalog"
    root.mkdir(parents=True)
    for name in files:
        (root / name).write_text("{}", encoding="utf-8")
    return root


def test_collections_path_is_searched_when_the_module_runs_from_a_zip(tmp_path, monkeypatch):
    """Inside Ansible's zipped payload, __file__ is not a real directory: the collections paths are searched."""
    monkeypatch.setattr(
        catalog_files,
        "__file__",
        "/nonexistent/payload.zip/ansible_collections/daylily/ephemeral_cluster/plugins/module_utils/_catalog/files.py",
    )
    monkeypatch.setattr(sys, "path", [])
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("ANSIBLE_COLLECTIONS_PATHS", raising=False)
    installed = fake_collection(tmp_path / "collections", [cat.CATALOG_FILENAME, cat.SCHEMA_FILENAME])
    monkeypatch.setenv(
        "ANSIBLE_COLLECTIONS_PATH", os.pathsep.join([str(tmp_path / "empty"), str(tmp_path / "collections")])
    )
    assert cat.default_catalog_path() == str(installed / cat.CATALOG_FILENAME)
    assert cat.find_schema_path("/elsewhere/site.yaml") == str(installed / cat.SCHEMA_FILENAME)
    # A path that already ends with ansible_collections works too.
    monkeypatch.setenv("ANSIBLE_COLLECTIONS_PATH", str(tmp_path / "collections" / "ansible_collections"))
    assert cat.default_catalog_path() == str(installed / cat.CATALOG_FILENAME)


def test_missing_collection_names_the_searched_places_and_the_fix(tmp_path, monkeypatch):
    monkeypatch.setattr(
        catalog_files, "__file__", str(tmp_path / "zip" / "plugins" / "module_utils" / "_catalog" / "files.py")
    )
    monkeypatch.setattr(sys, "path", [])
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("ANSIBLE_COLLECTIONS_PATH", str(tmp_path / "nothing"))
    monkeypatch.delenv("ANSIBLE_COLLECTIONS_PATHS", raising=False)
    with pytest.raises(cat.CatalogError) as raised:
        cat.default_catalog_path()
    assert str(tmp_path / "nothing" / "ansible_collections" / "daylily" / "ephemeral_cluster") in raised.value.message
    assert raised.value.message.endswith(
        "Pass catalog_path, for example the collection's catalog/daylily_available_repositories.yaml."
    )
    # Without the collection, a schema next to the catalog is used.
    site = tmp_path / "site"
    site.mkdir()
    (site / cat.SCHEMA_FILENAME).write_text("{}", encoding="utf-8")
    assert cat.find_schema_path(str(site / "site.yaml")) == str(site / cat.SCHEMA_FILENAME)
    assert cat.find_schema_path(str(tmp_path / "other.yaml")) is None


# ----------------------------------------------------------------------------------------------------------------
# templates and resolution


def test_template_helpers():
    assert cat.template_placeholders("a/{genome}/{analysis_id}") == (["genome", "analysis_id"], True)
    assert cat.template_placeholders("a/{genome") == ([], False)
    assert (
        cat.render_template("{executing_entity}/{analysis_id}/{genome}", {"genome": "hg38", "analysis_id": None})
        == "{executing_entity}/{analysis_id}/hg38"
    )


def test_render_registration_policy_fills_every_template_and_copies():
    policy = sample_policy()
    rendered = cat.render_registration_policy(
        policy, {"genome": "b37", "analysis_id": "A1", "executing_entity": "alice"}
    )
    assert rendered["evidence_manifest_path"] == "results/day/b37/reports/dayoa_evidence_manifest.json"
    assert rendered["include_paths"][1] == "results/day/b37/reports/DAY_final_multiqc_data/**"
    assert rendered["multiqc_reports"][0]["data_dir_path"] == "results/day/b37/reports/DAY_final_multiqc_data/"
    assert rendered["identity"] == {"analysis_euid": "A1", "run_euid": "A1"}
    assert policy == sample_policy()


def test_resolve_sample_command():
    catalog = valid_catalog()
    resolved = cat.resolve_command(catalog, "germline")
    assert resolved["repository"] == {
        "key": REPO,
        "https_url": "https://github.com/Daylily-Informatics/daylily-omics-analysis.git",
        "default_ref": "2.0.26",
        "relative_path": REPO,
    }
    policy = resolved["command"]["artifact_registration"]
    assert policy["evidence_manifest_path"] == "results/day/hg38/reports/dayoa_evidence_manifest.json"
    assert policy["identity"]["analysis_euid"] == "{analysis_id}"  # known only at launch
    assert resolved["test_data_profile"] == dict(
        catalog["test_data_profiles"]["giab_reads"],
        profile_id="giab_reads",
        headnode_prefix="/fsx/control_data/genomic_data/organism_reads/HG002/",
    )
    assert resolved["input_contract"] == dict(
        catalog["input_contracts"]["sample_manifest"], contract_id="sample_manifest"
    )
    assert commands_of(catalog)[0] == command("germline", "sample_analysis")  # the catalog is not modified


def test_resolve_run_and_utility_commands():
    catalog = valid_catalog()
    run = cat.resolve_command(catalog, "run_qc", repository=REPO)
    assert run["test_data_profile"]["headnode_prefix"] == "/fsx/run_dir_mounts/{mount_id}/"
    assert run["input_contract"]["tables"]["runs"]["columns"] == RUNS_COLUMNS
    utility = cat.resolve_command(catalog, "env_check")
    assert utility["input_contract"] == {"contract_id": "none", "description": "No input tables.", "tables": {}}
    assert utility["test_data_profile"] == {
        "description": "nothing",
        "source_mount_mode": "none",
        "profile_id": "no_data",
    }


def test_unknown_command_id_lists_the_valid_ones():
    with pytest.raises(cat.CatalogError) as raised:
        cat.resolve_command(valid_catalog(), "germline_wgs")
    assert raised.value.message == "Unknown command_id 'germline_wgs'. Valid command ids: germline, run_qc, env_check."
    assert raised.value.details == {"valid_command_ids": ["germline", "run_qc", "env_check"]}


def test_command_in_another_repository():
    catalog = valid_catalog()
    other = copy.deepcopy(catalog["repositories"][REPO])
    other["analysis_commands"] = [command("other_cmd", "utility")]
    catalog["repositories"]["other-repo"] = other
    with pytest.raises(cat.CatalogError) as raised:
        cat.find_command(catalog, "germline", repository="other-repo")
    assert (
        raised.value.message == "Unknown command_id 'germline' in repository 'other-repo' (it is in repository "
        "'daylily-omics-analysis'). Valid command ids: other_cmd."
    )
    with pytest.raises(
        cat.CatalogError,
        match="Unknown repository 'nope'. The catalog's repositories are: daylily-omics-analysis, other-repo.",
    ):
        cat.find_command(catalog, "germline", repository="nope")
    assert cat.find_command(catalog, "other_cmd")[0] == "other-repo"


def test_unvalidated_catalog_with_duplicate_ids_is_ambiguous():
    catalog = valid_catalog()
    commands_of(catalog)[2]["command_id"] = "germline"
    with pytest.raises(cat.CatalogError, match="command_id 'germline' is defined 2 times"):
        cat.find_command(catalog, "germline")


def test_resolution_of_a_dangling_profile_or_contract_fails_cleanly():
    catalog = valid_catalog()
    commands_of(catalog)[0]["test_data_profile"] = "gone"
    with pytest.raises(
        cat.CatalogError,
        match="The test data profile 'gone' is not defined. Defined profiles: giab_reads, ilmn_run, no_data.",
    ):
        cat.resolve_command(catalog, "germline")
    commands_of(catalog)[0].update(test_data_profile="giab_reads", input_contract="gone")
    with pytest.raises(cat.CatalogError, match="The input contract 'gone' is not defined"):
        cat.resolve_command(catalog, "germline")


def test_summary():
    assert cat.summarize_catalog(valid_catalog()) == {
        "catalog_version": 2,
        "repositories": [REPO],
        "command_ids": ["germline", "run_qc", "env_check"],
    }
    with pytest.raises(cat.CatalogError, match="no 'repositories' mapping"):
        cat.summarize_catalog({"command_catalog_version": 2})


def test_problem_formatting():
    assert (
        str(cat.CatalogProblem(("a", "b-c", 0, "d e"), "is wrong", "right"))
        == 'a.b-c[0]["d e"]: is wrong; expected right'
    )
    assert str(cat.CatalogProblem((), "is wrong")) == "(catalog root): is wrong"
    assert cat.CatalogProblem(["x"], "p").path == "x"
    assert str(cat.CatalogProblem((), "is odd", context="line 3")) == "line 3: is odd"
    assert str(cat.CatalogProblem(("a",), "is odd", context="command c")) == "a (command c): is odd"
