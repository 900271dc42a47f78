"""Bad input through dewey_register, aws_preflight, dayoa_catalog and dayoa_workflow (their real entry points, the
sandbox S3 and the sandbox Dewey behind them): an S3 location, a catalog id, a Dewey URL, an executing entity, an
analysis id or a session name that no rule accepts is refused with a message before anything is posted, written to
S3 or launched; any other value gets a clean answer, never a traceback."""

from pathlib import Path

from hypothesis import assume
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.daylily.ephemeral_cluster.plugins.modules import aws_preflight
from ansible_collections.daylily.ephemeral_cluster.plugins.modules import dayoa_catalog
from ansible_collections.daylily.ephemeral_cluster.plugins.modules import dayoa_workflow
from ansible_collections.daylily.ephemeral_cluster.plugins.modules import dewey_register
from testlib import dewey as dewey_testlib
from testlib.fuzz import assert_clean_failure
from testlib.fuzz import changes_made
from testlib.fuzz import fuzz_settings
from testlib.fuzz import must_refuse_s3_uri
from testlib.fuzz import must_refuse_segment
from testlib.fuzz import nasty_text
from testlib.fuzz import s3_uris
from testlib.fuzz import segments
from testlib.modules import execute_module

dewey_stub_server = dewey_testlib.dewey_stub_server  # fixtures
dewey_stub = dewey_testlib.dewey_stub

COMMAND = "ilmn_germline_wgs_align_qc"


def command_ids():
    return st.one_of(st.just(COMMAND), st.just(COMMAND + " "), st.just(COMMAND.upper()), segments(), nasty_text())


def dewey_urls(stub_url):
    return st.one_of(
        st.just(stub_url), st.sampled_from(["", "ftp://x", "http://", "http://127.0.0.1:1", "dewey"]), nasty_text()
    )


@fuzz_settings(10)
@given(st.data())
def test_dewey_register_refuses_bad_locations_ids_and_urls_before_posting(capsys, sandbox, dewey_stub, tmp_path, data):
    destination = data.draw(st.one_of(s3_uris(), st.just("s3://dayec-dewey-exports/exports/lab1/an-0001/")))
    command_id = data.draw(command_ids())
    url = data.draw(dewey_urls(dewey_stub.url))
    output_dir = tmp_path / "out"
    sandbox.clear_audit()
    code, result = execute_module(
        capsys,
        dewey_register.main,
        dict(
            destination_s3_uri=destination,
            command_id=command_id,
            dewey_url=url,
            dewey_token_env=dewey_testlib.TOKEN_ENV,
            output_dir=str(output_dir),
            http_retries=0,
            retry_delay=0,
        ),
    )
    # nothing was exported there: every request fails, and cleanly
    assert_clean_failure(code, result)
    assert dewey_stub.posts() == [] and changes_made(sandbox) == [], result["msg"]
    assert not output_dir.exists() or not any(output_dir.iterdir())


@fuzz_settings(3)
@given(st.sampled_from(["reference_s3_uri", "control_s3_uri", "stage_s3_uri", "export_s3_uri"]), s3_uris())
def test_aws_preflight_refuses_bad_role_locations_without_its_write_probe(capsys, sandbox, tmp_path, field, uri):
    assume(must_refuse_s3_uri(uri))
    args = {
        "cluster_name": "dayec-fuzz",
        "reference_s3_uri": "s3://dayec-reference/",
        "control_s3_uri": "s3://dayec-control/",
        "stage_s3_uri": "s3://dayec-stage/staged_external_data/",
        "export_s3_uri": "s3://dayec-export/derived/",
        "output_dir": str(tmp_path / "reports"),
        "pass_on_warn": True,
    }
    args[field] = uri
    sandbox.clear_audit()
    code, result = execute_module(capsys, aws_preflight.main, args)
    assert_clean_failure(code, result)
    assert changes_made(sandbox) == [], "preflight wrote although a role location is unusable"


_tsv = st.lists(st.lists(st.one_of(segments(), nasty_text(8), s3_uris()), max_size=5).map("\t".join), max_size=4)


@fuzz_settings(20)
@given(command_ids(), _tsv, _tsv)
def test_dayoa_catalog_answers_any_id_and_manifest_cleanly(capsys, tmp_path, command_id, samples, units):
    files = {}
    for name, rows in (("samples", samples), ("units", units)):
        path = tmp_path / f"{name}.tsv"
        path.write_text("\n".join(["SAMPLEID\tSAMPLESOURCE"] + rows) + "\n", encoding="utf-8", errors="replace")
        files[name] = str(path)
    code, result = execute_module(capsys, dayoa_catalog.main, {"command_id": command_id, "input_files": files})
    if command_id != COMMAND and command_id.strip() != COMMAND:
        assert_clean_failure(code, result, aws_rejected=False)
    elif code != 0:
        assert_clean_failure(code, result, aws_rejected=False)


@fuzz_settings(20)
@given(segments(), segments(), st.one_of(st.just(""), segments()))
def test_dayoa_workflow_refuses_unsafe_names_before_anything_is_written(capsys, tmp_path, entity, analysis_id, session):
    assume(must_refuse_segment(entity) or must_refuse_segment(analysis_id))
    root, runs = tmp_path / "analysis_results", tmp_path / "runs"
    root.mkdir(exist_ok=True)
    code, result = execute_module(
        capsys,
        dayoa_workflow.main,
        dict(
            executing_entity=entity,
            analysis_id=analysis_id,
            session_name=session,
            analysis_root=str(root),
            repository="daylily-omics-analysis",
            repository_url=str(tmp_path / "no-such-repository"),
            git_tag="2.0.26",
            command="true",
            run_root=str(runs),
        ),
    )
    assert_clean_failure(code, result, aws_rejected=False)
    assert list(root.iterdir()) == [] and not Path(runs).exists(), result["msg"]
