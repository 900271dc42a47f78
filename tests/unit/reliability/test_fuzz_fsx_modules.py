"""Bad input through the FSx modules' real entry points against the sandbox: a file system path, an S3 location, a
cluster name or a report path that no rule accepts is refused with a message before any mutating AWS call, and the
file system's associations and tasks are unchanged; any other text gets a clean answer, never a traceback."""

from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.daylily.ephemeral_cluster.plugins.modules import fsx_dra
from ansible_collections.daylily.ephemeral_cluster.plugins.modules import fsx_dra_info
from ansible_collections.daylily.ephemeral_cluster.plugins.modules import fsx_export_task
from testlib.fuzz import assert_clean_failure
from testlib.fuzz import changes_made
from testlib.fuzz import fuzz_settings
from testlib.fuzz import must_refuse_s3_uri
from testlib.fuzz import nasty_text
from testlib.fuzz import s3_uris
from testlib.fuzz import segments
from testlib.modules import execute_module


def fsx_state(aws, cluster):
    fsx = aws("fsx")
    filters = [{"Name": "file-system-id", "Values": [cluster["file_system_id"]]}]
    associations = fsx.describe_data_repository_associations(Filters=filters)["Associations"]
    tasks = fsx.describe_data_repository_tasks(Filters=filters)["DataRepositoryTasks"]
    return sorted((a["AssociationId"], a["Lifecycle"]) for a in associations), sorted(t["TaskId"] for t in tasks)


def fsx_paths():
    """FSx API paths: under the mount roots with fuzzed segments, /fsx-prefixed, relative, or nasty text."""
    roots = st.sampled_from(["/run_dir_mounts/", "/analysis_results/", "/references/", "/fsx/run_dir_mounts/", "", "/"])
    return st.one_of(st.builds(lambda root, a, b: root + a + "/" + b, roots, segments(), segments()), nasty_text())


def refuses_cleanly(capsys, sandbox, aws, cluster, main, args, must_refuse):
    """Run the module: a refusal names the problem, changes nothing on FSx and makes no successful mutating call;
    `must_refuse` inputs are refused before AWS is asked."""
    before = fsx_state(aws, cluster)
    sandbox.clear_audit()
    code, result = execute_module(capsys, main, dict(args, cluster_name=cluster["cluster_name"]))
    if must_refuse:
        assert_clean_failure(code, result, aws_rejected=False)
    if code != 0:
        assert_clean_failure(code, result)
        assert changes_made(sandbox) == [], result["msg"]
        assert fsx_state(aws, cluster) == before


@fuzz_settings(15)
@given(fsx_paths(), s3_uris())
def test_fsx_dra_refuses_bad_paths_and_locations_before_any_mutating_call(
    capsys, sandbox, aws, cluster, file_system_path, data_repository_path
):
    args = dict(
        file_system_path=file_system_path, data_repository_path=data_repository_path, wait_timeout=5, poll_interval=0.01
    )
    must_refuse = (
        must_refuse_s3_uri(data_repository_path) or file_system_path.startswith("/fsx") or "\x00" in file_system_path
    )
    refuses_cleanly(capsys, sandbox, aws, cluster, fsx_dra.main, args, must_refuse)


@fuzz_settings(15)
@given(st.lists(fsx_paths(), min_size=1, max_size=2), s3_uris())
def test_fsx_export_task_refuses_bad_paths_and_report_locations_before_any_call(
    capsys, sandbox, aws, cluster, paths, report_path
):
    args = dict(paths=paths, report_path=report_path, wait=False)
    must_refuse = must_refuse_s3_uri(report_path) or any(path.startswith("/fsx") for path in paths)
    refuses_cleanly(capsys, sandbox, aws, cluster, fsx_export_task.main, args, must_refuse)


@fuzz_settings(15)
@given(st.one_of(segments(), nasty_text()), st.one_of(st.none(), fsx_paths()))
def test_fsx_dra_info_answers_any_cluster_name_or_path_without_a_traceback(
    capsys, sandbox, cluster, cluster_name, file_system_path
):
    sandbox.clear_audit()
    args = {"cluster_name": cluster_name}
    if file_system_path is not None:
        args["file_system_path"] = file_system_path
    code, result = execute_module(capsys, fsx_dra_info.main, args)
    assert sandbox.mutating_calls() == []
    if code != 0:
        assert_clean_failure(code, result)
    else:
        assert result["changed"] is False
