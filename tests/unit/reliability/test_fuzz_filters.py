"""Bad input through the filters the roles plan with (analysis and export paths, tmux sessions, run mounts): any
text gives a plan or an AnsibleFilterError with a message, never another exception; what no rule may accept is
refused (invariants 6, 7, 9)."""

from hypothesis import given
from hypothesis import strategies as st

from ansible.errors import AnsibleFilterError

from ansible_collections.daylily.ephemeral_cluster.plugins.filter.analysis_path import analysis_path
from ansible_collections.daylily.ephemeral_cluster.plugins.filter.export_plan import export_plan
from ansible_collections.daylily.ephemeral_cluster.plugins.filter.mount_plan import mount_plan
from ansible_collections.daylily.ephemeral_cluster.plugins.filter.run_context import run_context
from ansible_collections.daylily.ephemeral_cluster.plugins.filter.workflow_session import workflow_session
from testlib.fuzz import fuzz_settings
from testlib.fuzz import must_refuse_mount_id
from testlib.fuzz import must_refuse_s3_uri
from testlib.fuzz import must_refuse_segment
from testlib.fuzz import nasty_text
from testlib.fuzz import s3_uris
from testlib.fuzz import segments


def outcome(function, *args, **kwargs):
    """(True, result) or (False, message); any exception but AnsibleFilterError fails the property."""
    try:
        return True, function(*args, **kwargs)
    except AnsibleFilterError as exc:
        assert str(exc).strip(), "an empty error message"
        return False, str(exc)


@fuzz_settings(150)
@given(segments(), segments())
def test_invariant_07_analysis_path_refuses_every_unsafe_segment(entity, analysis_id):
    accepted, result = outcome(analysis_path, entity, analysis_id)
    if must_refuse_segment(entity) or must_refuse_segment(analysis_id):
        assert not accepted, result
    if accepted:
        assert result["headnode_path"] == "/fsx/analysis_results/%s/%s/" % (entity, analysis_id), result


@fuzz_settings(150)
@given(s3_uris(), segments(), segments())
def test_invariant_09_export_plan_refuses_unsafe_destinations_and_segments(destination, entity, analysis_id):
    accepted, result = outcome(export_plan, destination, entity, analysis_id, output_root="/tmp/exports")
    if must_refuse_segment(entity) or must_refuse_segment(analysis_id) or must_refuse_s3_uri(destination):
        assert not accepted, result
    if accepted:
        assert result["destination_s3_uri"].rstrip("/").endswith("%s/%s" % (entity, analysis_id)), result
        # FSx API paths end with a slash (dayec_domain.md §2; the receipt's source_path, §9)
        assert result["source_path"] == "/analysis_results/%s/%s/" % (entity, analysis_id), result


@fuzz_settings(100)
@given(segments(), st.one_of(st.just(""), segments()))
def test_workflow_session_is_tmux_safe_or_refused(analysis_id, session):
    accepted, result = outcome(workflow_session, analysis_id, session)
    if accepted:
        assert result and not set(result) & set(".:\n\t /\\"), result


@fuzz_settings(100)
@given(s3_uris(), st.one_of(st.none(), segments()))
def test_invariant_06_mount_plan_gives_one_safe_segment_or_refuses(uri, mount_id):
    accepted, result = outcome(mount_plan, uri, mount_id=mount_id)
    if not uri:
        # No location at all is the detach plan (a mount id finds the association): it names no S3 location, which
        # run_mount's attach refuses before any call.
        assert not accepted or result["s3_uri"] is None, result
    elif must_refuse_s3_uri(uri):
        assert not accepted, result
    if accepted:
        assert result["file_system_path"].startswith("/run_dir_mounts/"), result
        assert not must_refuse_mount_id(result["mount_id"]), result
        assert not result["file_system_path"].startswith("/fsx"), result


_row = st.lists(st.one_of(segments(), s3_uris(), nasty_text(8)), min_size=1, max_size=6).map("\t".join)


@fuzz_settings(100)
@given(st.lists(_row, max_size=5), st.sampled_from(["\n", "\r\n"]))
def test_any_runs_tsv_gives_runs_or_a_clear_error(rows, newline):
    header = "RUNID\tPLATFORM\tRUN_DIR\tSOURCE_S3_URI\tMOUNT_ID"
    accepted, result = outcome(run_context, newline.join([header] + rows) + newline)
    if accepted:
        for run in result.get("runs", []):
            assert not must_refuse_mount_id(run["mount_id"]), run
