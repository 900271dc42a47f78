"""The shipped catalog (catalog/daylily_available_repositories.yaml) against its JSON Schema and the cross-rules.

The schema check uses jsonschema directly (not the collection's wrapper), so a bug in catalog.py cannot hide a
schema violation. The content checks pin the facts the collection relies on: catalog v2, DayOA pinned to 2.0.26,
one command of each class, the input-contract columns of sample staging and runs.tsv.
"""

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import catalog as cat

ROOT = Path(__file__).resolve().parents[2]
CATALOG_PATH = ROOT / "catalog" / cat.CATALOG_FILENAME
SCHEMA_PATH = ROOT / "catalog" / cat.SCHEMA_FILENAME
DAYOA_TAG = "2.0.26"


@pytest.fixture(scope="module")
def schema():
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def catalog():
    return yaml.safe_load(CATALOG_PATH.read_text(encoding="utf-8"))


def commands(catalog):
    return [command for repo in catalog["repositories"].values() for command in repo["analysis_commands"]]


def test_schema_is_a_valid_draft_2020_12_schema(schema):
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_shipped_catalog_validates_against_the_schema_with_jsonschema(catalog, schema):
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(catalog), key=lambda e: list(e.absolute_path))
    assert [f"{list(e.absolute_path)}: {e.message}" for e in errors] == []


def test_shipped_catalog_passes_the_cross_rules(catalog):
    assert [str(p) for p in cat.rule_problems(catalog)] == []


def test_shipped_catalog_passes_the_collection_validation(catalog, schema):
    assert [str(p) for p in cat.validate_catalog(catalog, schema)] == []


def test_shipped_catalog_loads_without_duplicate_keys(catalog):
    assert cat.load_catalog(str(CATALOG_PATH)) == catalog


def test_default_catalog_is_the_shipped_file():
    assert Path(cat.default_catalog_path()).samefile(CATALOG_PATH)
    assert Path(cat.find_schema_path()).samefile(SCHEMA_PATH)


def test_catalog_directory_is_packaged():
    galaxy = yaml.safe_load((ROOT / "galaxy.yml").read_text(encoding="utf-8"))
    ignored = galaxy.get("build_ignore", [])
    assert not any(pattern.startswith("catalog") for pattern in ignored), ignored


def test_version_and_pinned_dayoa_release(catalog):
    assert catalog["command_catalog_version"] == cat.CATALOG_VERSION == 2
    repo = catalog["repositories"]["daylily-omics-analysis"]
    assert repo["default_ref"] == DAYOA_TAG
    assert repo["https_url"].startswith("https://")
    assert repo.get("allowed_git_tags", []) == []
    assert {command["git_tag"] for command in commands(catalog)} == {DAYOA_TAG}


def test_one_command_of_each_class_at_least(catalog):
    by_class = {}
    for command in commands(catalog):
        by_class.setdefault(command["command_class"], []).append(command["command_id"])
    assert set(by_class) == set(cat.COMMAND_CLASSES)
    sample = next(c for c in commands(catalog) if c["command_id"] == "ilmn_germline_wgs_align_qc")
    assert sample["genome"] == "hg38" and sample["targets"] and sample["compatible_data_modes"] == ["ilmn_solo"]
    assert (
        sample["artifact_registration"]["evidence_manifest_path"]
        == "results/day/{genome}/reports/dayoa_evidence_manifest.json"
    )
    run = next(c for c in commands(catalog) if c["command_id"] == "illumina_run_qc_bclconvert")
    assert run["artifact_registration"]["manifest_source"] == "s3_inventory"


def test_input_contract_columns(catalog):
    contracts = catalog["input_contracts"]
    assert contracts["run_context"]["tables"]["runs"] == {
        "path": "config/runs.tsv",
        "columns": (
            "RUNID PLATFORM RUN_DIR SOURCE_S3_URI MOUNT_ID SAMPLE_SHEET BASECALLING_STATE RUN_STATUS OUTPUT_ROOT REGION PROFILE"
        ).split(),
    }
    samples = contracts["sample_manifest"]["tables"]["samples"]
    units = contracts["sample_manifest"]["tables"]["units"]
    assert samples["path"] == "config/samples.tsv" and units["path"] == "config/units.tsv"
    assert (
        samples["columns"]
        == (
            "SAMPLEID SAMPLESOURCE SAMPLECLASS BIOLOGICAL_SEX CONCORDANCE_CONTROL_PATH IS_POSITIVE_CONTROL IS_NEGATIVE_CONTROL "
            "SAMPLE_TYPE TUM_NRM_SAMPLEID_MATCH EXTERNAL_SAMPLE_ID N_X N_Y TRUTH_DATA_DIR"
        ).split()
    )
    assert (
        units["columns"]
        == (
            "RUNID SAMPLEID EXPERIMENTID LANEID BARCODEID LIBPREP SEQ_VENDOR SEQ_PLATFORM ILMN_R1_PATH ILMN_R2_PATH "
            "PACBIO_R1_PATH PACBIO_R2_PATH ONT_R1_PATH ONT_R2_PATH UG_R1_PATH UG_R2_PATH SUBSAMPLE_PCT ILMN_TRIM_READ_LENGTH "
            "SAMPLEUSE BWA_KMER DEEP_MODEL ULTIMA_CRAM ULTIMA_CRAM_ALIGNER ULTIMA_CRAM_SNV_CALLER ONT_CRAM ONT_CRAM_ALIGNER "
            "ONT_CRAM_SNV_CALLER PB_BAM PB_BAM_ALIGNER PB_BAM_SNV_CALLER ROCHE_BAM ROCHE_BAM_ALIGNER ROCHE_BAM_SNV_CALLER "
            "ROCHE_DOWNSAMPLE_RATIO LONGREADTRIM_READ_LENGTH LONGREADTRIM_MODE ULTIMA_SUBSAMPLE_PCT ONT_SUBSAMPLE_PCT ONT_BAM "
            "ONT_BAM_ALIGNER ONT_BAM_SNV_CALLER"
        ).split()
    )


def test_every_profile_mode_is_used(catalog):
    modes = {profile["source_mount_mode"] for profile in catalog["test_data_profiles"].values()}
    assert modes == set(cat.SOURCE_MOUNT_MODES)
    used = {command["test_data_profile"] for command in commands(catalog)}
    assert used == set(catalog["test_data_profiles"])


def test_every_command_resolves(catalog):
    for command in commands(catalog):
        resolved = cat.resolve_command(catalog, command["command_id"])
        policy = resolved["command"]["artifact_registration"]
        left = set()
        for field in cat.policy_template_fields(policy):
            left.update(cat.template_placeholders(field.container[field.key])[0])
        assert left <= {"analysis_id", "executing_entity"}, command["command_id"]  # {genome} was filled in
        assert resolved["repository"]["default_ref"] == command["git_tag"]


def test_shared_registration_anchor_is_not_mutated_by_resolution(catalog):
    before = json.dumps(catalog, sort_keys=True)
    cat.resolve_command(catalog, "ilmn_germline_wgs_sentieon_b37")
    cat.resolve_command(catalog, "ilmn_germline_wgs_align_qc")
    assert json.dumps(catalog, sort_keys=True) == before
