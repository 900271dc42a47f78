"""samples_manifest: tables written once (check mode writes nothing), every problem in one failure, data modes
checked against the catalog command."""

from pathlib import Path

from ansible_collections.daylily.ephemeral_cluster.plugins.modules import samples_manifest
from testlib.modules import execute_module

FIXTURES = Path(__file__).parents[2] / "fixtures"
STAGE = "remote_stage_20260101T120000Z_0a1b2c3d"
ILMN = FIXTURES / "samples" / "ilmn_solo_bom_crlf"


def run(capsys, check_mode=False, diff=False, **args):
    return execute_module(capsys, samples_manifest.main, args, check_mode=check_mode, diff=diff)


def test_writes_the_tables_once_and_check_mode_writes_nothing(capsys, tmp_path):
    dest = tmp_path / "stage"
    args = dict(src=str(ILMN / "analysis_samples.tsv"), stage_name=STAGE, dest=str(dest))
    code, checked = run(capsys, check_mode=True, diff=True, **args)
    assert code == 0 and checked["changed"] is True and not dest.exists()
    assert checked["diff"][0]["after"] == (ILMN / "samples.tsv").read_bytes().decode()
    code, first = run(capsys, **args)
    assert code == 0 and first["changed"] is True
    assert (dest / "20260101T120000Z_samples.tsv").read_bytes() == (ILMN / "samples.tsv").read_bytes()
    assert (dest / "20260101T120000Z_units.tsv").read_bytes() == (ILMN / "units.tsv").read_bytes()
    assert (first["data_mode"], first["sample_count"], first["unit_count"]) == ("ilmn_solo", 2, 2)
    assert first["stage_dir"] == "/fsx/staging/staged_external_sequencing_data/" + STAGE
    assert first["stage_file_system_path"] == "/staging/staged_external_sequencing_data/%s/" % STAGE
    code, second = run(capsys, **args)
    assert code == 0 and second["changed"] is False


def test_fails_listing_every_problem(capsys, tmp_path):
    code, result = run(
        capsys,
        src=str(FIXTURES / "samples_problems" / "analysis_samples.tsv"),
        stage_name=STAGE,
        dest=str(tmp_path / "out"),
    )
    assert code == 1 and len(result["problems"]) == 15
    assert "has 15 problems; nothing was staged" in result["msg"]
    assert result["problems"][0] == {
        "line": 1,
        "column": "FOO",
        "message": "is not a manifest column; remove it or fix its spelling",
    }
    assert not (tmp_path / "out").exists()


def test_data_mode_must_suit_the_catalog_command(capsys):
    src = str(FIXTURES / "samples" / "ont_solo" / "analysis_samples.tsv")
    code, result = run(capsys, src=src, command_id="ilmn_germline_wgs_align_qc")
    assert code == 1
    assert "data mode ont_solo is not one command ilmn_germline_wgs_align_qc runs (ilmn_solo)" in result["msg"]
    code, result = run(capsys, src=src, command_id="dayoa_env_check")
    assert code == 1 and "it takes no sample data" in result["msg"]
    code, result = run(capsys, src=str(ILMN / "analysis_samples.tsv"), command_id="ilmn_germline_wgs_align_qc")
    assert code == 0 and result["data_mode"] == "ilmn_solo"
    assert result["stage_name"].startswith("remote_stage_")


def test_unknown_command_and_missing_file_say_what_to_fix(capsys, tmp_path):
    code, result = run(capsys, src=str(ILMN / "analysis_samples.tsv"), command_id="no_such_command")
    assert code == 1 and "Unknown command_id 'no_such_command'" in result["msg"]
    code, result = run(capsys, src=str(tmp_path / "missing.tsv"))
    assert code == 1 and "Cannot check the manifest" in result["msg"] and "missing.tsv" in result["msg"]
