"""Unit tests for plugins/module_utils/paths.py: FSx/headnode/S3 path rules (dayec_domain.md §0, §6, §8, §12)."""

from __future__ import annotations

import ast
import datetime
import glob
import gzip
import json
import os
import re

import pytest

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import export
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import paths
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.paths import FsxPathError
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.paths import MountRuleError
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.paths import PathRuleError
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.paths import S3UriError
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.paths import SegmentError
from testlib.path_cases import ADVERSARIAL_TEXT

MODULE_UTILS = os.path.join(os.path.dirname(paths.__file__))


# --------------------------------------------------------------------------------------------------------------
# error type and message


def test_errors_are_value_errors_with_field_problem_and_expectation():
    with pytest.raises(PathRuleError) as info:
        paths.parse_s3_uri("s3://bucket/a?b=1", field="reference_s3_uri")
    err = info.value
    assert isinstance(err, ValueError)
    assert isinstance(err, S3UriError)
    assert err.field == "reference_s3_uri"
    assert err.value == "s3://bucket/a?b=1"
    message = str(err)
    assert message.startswith("reference_s3_uri 's3://bucket/a?b=1' contains a query string")
    assert "; expected " in message


def test_error_messages_escape_lookalike_characters():
    with pytest.raises(SegmentError) as info:
        paths.validate_segment("ab\u2024\u2024cd", field="analysis_id")
    assert "\\u2024" in str(info.value)
    assert str(info.value).isascii()


# --------------------------------------------------------------------------------------------------------------
# S3 URIs


@pytest.mark.parametrize(
    "uri, bucket, prefix",
    [
        ("s3://bucket", "bucket", ""),
        ("s3://bucket/", "bucket", ""),
        ("s3://bucket/a", "bucket", "a/"),
        ("s3://bucket/a/", "bucket", "a/"),
        ("s3://my.bucket-1/derived/johnm/illumina_run_qc", "my.bucket-1", "derived/johnm/illumina_run_qc/"),
        ("s3://abc/A_Mixed-Case.key/x=1/", "abc", "A_Mixed-Case.key/x=1/"),
        ("s3://" + "b" * 63 + "/p/", "b" * 63, "p/"),
    ],
)
def test_parse_s3_uri_normalises_to_trailing_slash(uri, bucket, prefix):
    location = paths.parse_s3_uri(uri)
    assert location == (bucket, prefix)
    assert location.bucket == bucket and location.prefix == prefix
    assert location.uri == "s3://%s/%s" % (bucket, prefix)
    assert paths.normalize_s3_uri(uri) == location.uri
    # normalisation is idempotent
    assert paths.normalize_s3_uri(location.uri) == location.uri


@pytest.mark.parametrize(
    "uri, fragment",
    [
        ("S3://bucket/a/", "uppercase scheme"),
        ("s3:/bucket/a/", "does not start with 's3://'"),
        ("s3:bucket/a/", "does not start with 's3://'"),
        ("https://bucket.s3.amazonaws.com/a/", "does not start with 's3://'"),
        ("s3a://bucket/a/", "does not start with 's3://'"),
        ("gs://bucket/a/", "does not start with 's3://'"),
        ("bucket/a/", "does not start with 's3://'"),
        ("/fsx/references/", "does not start with 's3://'"),
        ("s3://", "has no bucket name"),
        ("s3:///a/", "has no bucket name"),
        ("s3://Bucket/a/", "uppercase"),
        ("s3://BUCKET", "uppercase"),
        ("s3://ab/", "2 characters long"),
        ("s3://" + "b" * 64 + "/", "64 characters long"),
        ("s3://-bucket/", "start/end"),
        ("s3://bucket-/", "start/end"),
        ("s3://bu_cket/", "characters"),
        ("s3://bu..cket/", "adjacent"),
        ("s3://bu.-cket/", "adjacent"),
        ("s3://192.168.1.10/", "IP address"),
        ("s3://xn--bucket/", "reserved"),
        ("s3://bucket-s3alias/", "reserved"),
        ("s3://bucket--ol-s3/", "reserved"),
        ("s3://bucket/a?versionId=1", "query string"),
        ("s3://bucket/a/#frag", "fragment"),
        ("s3://bucket//a/", "'//'"),
        ("s3://bucket/a//b/", "'//'"),
        ("s3://bucket/a/../b/", "'..'"),
        ("s3://bucket/..", "'..'"),
        ("s3://bucket/./a/", "'.' segment"),
        ("s3://bucket/a/.", "'.' segment"),
        ("s3://bucket/a/%2e%2e/", "'%'"),
        ("s3://bucket/a%2Fb/", "'%'"),
        ("s3://bucket/a\\b/", "backslash"),
        ("s3://bucket/a b/", "printable ASCII without spaces"),
        ("s3://bucket/a/ ", "whitespace"),
        (" s3://bucket/a/", "whitespace"),
        ("s3://bucket/a/\n", "whitespace"),
        ("s3://bucket/\u2024\u2024/", "U+2024"),
        ("s3://bucket/a\uff0fb/", "U+FF0F"),
        ("s3://bucket/caf\u00e9/", "U+00E9"),
        ("", "is empty"),
    ],
)
def test_parse_s3_uri_refuses_malformed_or_unsafe(uri, fragment):
    with pytest.raises(S3UriError) as info:
        paths.parse_s3_uri(uri)
    assert fragment in str(info.value)


@pytest.mark.parametrize("value", [None, 1, b"s3://bucket/", ["s3://bucket/"], True])
def test_parse_s3_uri_refuses_non_strings(value):
    with pytest.raises(S3UriError, match="not a string"):
        paths.parse_s3_uri(value)


def test_validate_bucket_name_accepts_valid_names():
    for name in ("abc", "my-bucket", "my.bucket.name", "a1-b2.c3", "1bucket"):
        assert paths.validate_bucket_name(name) == name


@pytest.mark.parametrize(
    "uri, expected",
    [
        ("s3://bucket/a/b/c.txt", ("bucket", "a/b/c.txt")),
        ("s3://bucket/a/b/", ("bucket", "a/b/")),
        ("s3://bucket", ("bucket", "")),
    ],
)
def test_s3_uri_to_key(uri, expected):
    assert paths.s3_uri_to_key(uri) == expected


@pytest.mark.parametrize(
    "inner, outer, expected",
    [
        (
            "s3://b-k/derived/e/a/_daylily_monitor/fsx-export/20240102T030405Z/export-report/",
            "s3://b-k/derived/e/a/",
            True,
        ),
        ("s3://b-k/derived/e/a/", "s3://b-k/derived/e/a/", True),
        ("s3://b-k/derived/e/a", "s3://b-k/derived/e/a/", True),
        ("s3://b-k/derived/e/a/file.txt", "s3://b-k/derived/e/a", True),
        ("s3://b-k/anything/", "s3://b-k/", True),
        ("s3://b-k/derived/e/ab/report/", "s3://b-k/derived/e/a/", False),  # segment boundary
        ("s3://b-k/derived/e/", "s3://b-k/derived/e/a/", False),  # parent is not inside
        ("s3://other/derived/e/a/x/", "s3://b-k/derived/e/a/", False),
        ("s3://b-k/reports/", "s3://b-k/myPrefix/", False),
    ],
)
def test_is_under(inner, outer, expected):
    assert paths.is_under(inner, outer) is expected


def test_is_under_refuses_invalid_uris():
    with pytest.raises(S3UriError):
        paths.is_under("s3://b-k/a/../x/", "s3://b-k/a/")
    with pytest.raises(S3UriError):
        paths.is_under("s3://b-k/a/x/", "S3://b-k/a/")


# --------------------------------------------------------------------------------------------------------------
# segments and mount ids


@pytest.mark.parametrize("value", ["johnm", "illumina_run_qc", "A", "0", "run-2024.01.02", "a.b", "x_-._y", "a" * 255])
def test_validate_segment_accepts_safe_segments(value):
    assert paths.validate_segment(value, field="analysis_id") == value


@pytest.mark.parametrize(
    "value",
    ADVERSARIAL_TEXT
    + [
        "-rf",
        "_hidden",
        ".hidden",
        "a..b",
        "a/b",
        "/a",
        "a/",
        "a%b",
        "a:b",
        "a*b",
        "a~b",
        "a" * 256,
        "abc\n",
    ],
)
def test_validate_segment_refuses_unsafe_segments(value):
    with pytest.raises(SegmentError):
        paths.validate_segment(value, field="executing_entity")


@pytest.mark.parametrize("value", [None, 7, b"abc", True, ["abc"]])
def test_validate_segment_refuses_non_strings(value):
    with pytest.raises(SegmentError, match="not a string"):
        paths.validate_segment(value)


@pytest.mark.parametrize("value", ["run1", "240102_A01234_0042_BHXYZ", "-dash", ".hidden", "_x", "a.b", "x" * 128])
def test_validate_mount_id_accepts(value):
    assert paths.validate_mount_id(value) == value


@pytest.mark.parametrize(
    "value, fragment",
    [
        (".", "relative directory"),
        ("..", "relative directory"),
        ("a..b", "'..'"),
        ("a/b", "'/'"),
        ("a%2e", "'%'"),
        ("x" * 129, "129 characters"),
        ("", "is empty"),
        ("a b", "outside"),
        ("a:b", "outside"),
        ("caf\u00e9", "outside"),
        ("run1 ", "whitespace"),
    ],
)
def test_validate_mount_id_refuses(value, fragment):
    with pytest.raises(SegmentError) as info:
        paths.validate_mount_id(value)
    assert fragment in str(info.value)


def test_invariant_06_mount_id_is_one_safe_segment():
    for value in ADVERSARIAL_TEXT:
        with pytest.raises(SegmentError):
            paths.validate_mount_id(value)
    # whatever the source, a derived mount id is one segment and builds a one-level mount path
    for uri in ("s3://bucket/runs/240102_A01234_0042_BHXYZ/", "s3://bucket/x/y/z"):
        mount_id = paths.derive_mount_id(uri)
        assert "/" not in mount_id
        assert paths.mount_path_for("run", mount_id).count("/") == 3


# --------------------------------------------------------------------------------------------------------------
# FSx API paths and headnode paths


@pytest.mark.parametrize(
    "path, expected",
    [
        ("/references", "/references/"),
        ("/references/", "/references/"),
        ("/run_dir_mounts/run1", "/run_dir_mounts/run1/"),
        ("/", "/"),
        ("/fsxdata/", "/fsxdata/"),  # only the /fsx segment is the mount point
        ("/a/fsx/", "/a/fsx/"),
    ],
)
def test_normalize_fsx_path(path, expected):
    assert paths.normalize_fsx_path(path) == expected
    assert paths.normalize_fsx_path(expected) == expected


@pytest.mark.parametrize(
    "path, fragment",
    [
        ("references/", "not absolute"),
        ("", "is empty"),
        ("/a//b/", "'//'"),
        ("//", "'//'"),
        ("/a/../b/", "'..'"),
        ("/a/..", "'..'"),
        ("/a/./b/", "'.' segment"),
        ("/a/.", "'.' segment"),
        ("/a/%2e%2e/", "'%'"),
        ("/a\\b/", "backslash"),
        ("/a b/", "printable ASCII"),
        ("/a/ ", "whitespace"),
        ("/a\u2024\u2024/", "U+2024"),
        ("/a\u2215b/", "U+2215"),
        ("/a\x00/", "U+0000"),
    ],
)
def test_normalize_fsx_path_refuses(path, fragment):
    with pytest.raises(FsxPathError) as info:
        paths.normalize_fsx_path(path)
    assert fragment in str(info.value)


@pytest.mark.parametrize("path", ["/fsx", "/fsx/", "/fsx/references/", "/fsx/analysis_results/e/a/", "/fsx/fsx/"])
def test_invariant_06_fsx_api_paths_never_start_with_fsx(path):
    with pytest.raises(FsxPathError, match="starts with the headnode mount point '/fsx'"):
        paths.normalize_fsx_path(path)
    # ... and every path the module produces is free of it
    produced = [
        paths.mount_path_for("run", "r1"),
        paths.mount_path_for("reference", "hg38"),
        paths.mount_path_for("control-data", file_system_path="/control_data/"),
        export.analysis_root("johnm", "illumina_run_qc"),
        paths.headnode_to_api_path("/fsx/references/"),
        paths.to_api_path("/fsx/analysis_results/e/a/"),
        paths.to_api_path("/mnt/sandbox/fsx/analysis_results/e/a/", mount_point="/mnt/sandbox/fsx"),
        export.validate_export_source("/fsx/analysis_results/e/a/").path,
    ]
    for api_path in produced:
        assert not (api_path + "/").startswith("/fsx/"), api_path


@pytest.mark.parametrize(
    "api_path, mount_point, headnode",
    [
        ("/references/", "/fsx", "/fsx/references/"),
        ("/references", "/fsx/", "/fsx/references/"),
        (
            "/analysis_results/e/a/",
            "/tmp/sandbox/headnode-i-0abc/fsx",
            "/tmp/sandbox/headnode-i-0abc/fsx/analysis_results/e/a/",
        ),
        ("/", "/fsx", "/fsx/"),
    ],
)
def test_invariant_06_headnode_path_is_mount_point_plus_api_path(api_path, mount_point, headnode):
    assert paths.api_to_headnode_path(api_path, mount_point=mount_point) == headnode
    assert paths.headnode_to_api_path(headnode, mount_point=mount_point) == paths.normalize_fsx_path(api_path)


def test_headnode_to_api_path_accepts_bare_mount_point():
    assert paths.headnode_to_api_path("/fsx") == "/"
    assert paths.headnode_to_api_path("/fsx/") == "/"
    assert paths.headnode_to_api_path("/fsx/references") == "/references/"


@pytest.mark.parametrize(
    "headnode, mount_point",
    [
        ("/fsxdata/x/", "/fsx"),
        ("/references/", "/fsx"),
        ("/mnt/fsx/x/", "/fsx"),
        ("/fsx/x/", "/mnt/fsx"),
        ("/fsx/../etc/", "/fsx"),
        ("/fsx//x/", "/fsx"),
        ("/fsx/fsx/x/", "/fsx"),
        ("", "/fsx"),
    ],
)
def test_headnode_to_api_path_refuses(headnode, mount_point):
    with pytest.raises(FsxPathError):
        paths.headnode_to_api_path(headnode, mount_point=mount_point)


@pytest.mark.parametrize(
    "mount_point", ["fsx", "/", "//", "", " /fsx", "/fsx ", "/a//b", "/a/../b", "/a/./b", "/a\nb", None, "/fsx//"]
)
def test_normalize_mount_point_refuses(mount_point):
    with pytest.raises(FsxPathError):
        paths.normalize_mount_point(mount_point)


def test_normalize_mount_point_strips_one_trailing_slash():
    assert paths.normalize_mount_point("/fsx/") == "/fsx"
    assert paths.normalize_mount_point("/tmp/x y/fsx") == "/tmp/x y/fsx"


@pytest.mark.parametrize(
    "path, mount_point, expected",
    [
        ("/analysis_results/e/a", "/fsx", "/analysis_results/e/a/"),
        ("/fsx/analysis_results/e/a", "/fsx", "/analysis_results/e/a/"),
        ("/fsx", "/fsx", "/"),
        ("/srv/hn/fsx/analysis_results/e/a/", "/srv/hn/fsx", "/analysis_results/e/a/"),
        ("/fsx/analysis_results/e/a/", "/srv/hn/fsx", "/analysis_results/e/a/"),  # the conventional name always works
    ],
)
def test_to_api_path(path, mount_point, expected):
    assert paths.to_api_path(path, mount_point=mount_point) == expected


def test_to_api_path_refuses_traversal_after_mount_point():
    with pytest.raises(FsxPathError):
        paths.to_api_path("/fsx/../etc/")
    with pytest.raises(FsxPathError):
        paths.to_api_path("/fsx/fsx/analysis_results/e/a/")


# --------------------------------------------------------------------------------------------------------------
# overlap


@pytest.mark.parametrize(
    "first, second, expected",
    [
        ("/references/", "/references/", True),
        ("/references", "/references/hg38/", True),
        ("/references/hg38/", "/references/", True),
        ("/", "/anything/", True),
        ("/references/", "/references2/", False),
        ("/run_dir_mounts/r1/", "/run_dir_mounts/r10/", False),
        ("/staging/a/", "/control_data/a/", False),
        ("s3://b-k/a/", "s3://b-k/a/", True),
        ("s3://b-k/a", "s3://b-k/a/b/", True),
        ("s3://b-k/a/b/", "s3://b-k/", True),
        ("s3://b-k", "s3://b-k/x/", True),
        ("s3://b-k/ab/", "s3://b-k/a/", False),
        ("s3://b-k/a/", "s3://b-l/a/", False),
    ],
)
def test_paths_overlap(first, second, expected):
    assert paths.paths_overlap(first, second) is expected
    assert paths.paths_overlap(second, first) is expected  # symmetric


def test_paths_overlap_refuses_mixed_kinds_and_bad_paths():
    with pytest.raises(PathRuleError, match="mix an S3 URI and an FSx path"):
        paths.paths_overlap("/references/", "s3://b-k/references/")
    with pytest.raises(FsxPathError):
        paths.paths_overlap("/fsx/references/", "/references/")
    with pytest.raises(S3UriError):
        paths.paths_overlap("S3://b-k/a/", "s3://b-k/a/")


# --------------------------------------------------------------------------------------------------------------
# mounts


@pytest.mark.parametrize(
    "purpose, mount_id, expected",
    [
        ("run", "run1", "/run_dir_mounts/run1/"),
        ("reference", "hg38", "/references/hg38/"),
        ("control-data", "giab", "/control_data/giab/"),
        ("staging", "remote_stage_20240102T030405Z_0a1b2c3d", "/staging/remote_stage_20240102T030405Z_0a1b2c3d/"),
    ],
)
def test_mount_path_for_purpose(purpose, mount_id, expected):
    assert paths.mount_path_for(purpose, mount_id) == expected


@pytest.mark.parametrize(
    "purpose, path",
    [
        ("control-data", "/control_data/"),
        ("control-data", "/control_data"),
        ("staging", "/staging/"),
        ("staging", "/staging/staged_external_sequencing_data/remote_stage_20240102T030405Z_0a1b2c3d/"),
        ("run", "/run_dir_mounts/ilmn/run1/"),
        ("reference", "/references/hg38/"),
        ("custom", "/scratch_inputs/x/"),
    ],
)
def test_mount_path_for_explicit_path(purpose, path):
    assert paths.mount_path_for(purpose, file_system_path=path) == paths.normalize_fsx_path(path)


@pytest.mark.parametrize(
    "purpose, mount_id, path, fragment",
    [
        ("run", None, "/run_dir_mounts/", "bare run root"),
        ("reference", None, "/references/", "bare reference root"),
        ("run", None, "/references/x/", "outside the run root"),
        ("staging", None, "/staging_other/x/", "outside the staging root"),
        ("custom", None, None, "required for purpose 'custom'"),
        ("custom", None, "/run_dir_mounts/x/", "overlaps /run_dir_mounts/"),
        ("custom", None, "/references/", "overlaps /references/"),
        ("custom", None, "/control_data/x/", "overlaps /control_data/"),
        ("custom", None, "/staging/x/", "overlaps /staging/"),
        ("custom", None, "/analysis_results/e/a/", "overlaps /analysis_results/"),
        ("custom", None, "/data/", "overlaps /data/"),
        ("custom", None, "/", "file system root"),
        ("run", None, None, "mount_id"),
        ("tmp", "x", None, "not a mount purpose"),
        ("Run", "x", None, "not a mount purpose"),
        ("run", None, "/run_dir_mounts/a:b/", "unsafe segment"),
    ],
)
def test_mount_path_for_refuses(purpose, mount_id, path, fragment):
    with pytest.raises(PathRuleError) as info:
        paths.mount_path_for(purpose, mount_id, file_system_path=path)
    assert fragment in str(info.value)


@pytest.mark.parametrize(
    "purpose, expected",
    [
        ("custom", "file_system_path is required for purpose 'custom'; expected an explicit FSx API path"),
        ("run", "mount_id is required to build the path of a 'run' mount"),
    ],
)
def test_defect_13_a_missing_mount_input_is_named_without_showing_none(purpose, expected):
    with pytest.raises(PathRuleError) as info:
        paths.mount_path_for(purpose)
    assert str(info.value).startswith(expected)
    assert "None" not in str(info.value)


def test_mount_path_for_refuses_unsafe_ids_and_paths():
    for value in ADVERSARIAL_TEXT:
        with pytest.raises(PathRuleError):
            paths.mount_path_for("run", value)
    for path in (
        "/fsx/run_dir_mounts/x/",
        "/run_dir_mounts/../references/",
        "/run_dir_mounts//x/",
        "run_dir_mounts/x/",
    ):
        with pytest.raises(FsxPathError):
            paths.mount_path_for("run", file_system_path=path)
    with pytest.raises(MountRuleError):
        paths.mount_path_for("custom", file_system_path="/")


@pytest.mark.parametrize(
    "uri, mount_id, run_id, expected",
    [
        ("s3://b-k/runs/240102_A01234_0042_BHXYZ/", None, None, "240102_A01234_0042_BHXYZ"),
        ("s3://b-k/runs/run1", None, None, "run1"),
        ("s3://b-k/runs/run1/", None, "RUN-9", "RUN-9"),
        ("s3://b-k/runs/run1/", "explicit", "RUN-9", "explicit"),
        ("s3://b-k/", "rootmount", None, "rootmount"),
        ("s3://b-k", None, "r7", "r7"),
    ],
)
def test_derive_mount_id(uri, mount_id, run_id, expected):
    assert paths.derive_mount_id(uri, mount_id=mount_id, run_id=run_id) == expected


@pytest.mark.parametrize(
    "uri, mount_id, run_id, fragment",
    [
        ("s3://b-k/", None, None, "bucket root"),
        ("s3://b-k", None, None, "bucket root"),
        ("s3://b-k/runs/a+b/", None, None, "pass an explicit mount_id"),
        ("s3://b-k/runs/run1/", "..", None, "relative directory"),
        ("s3://b-k/runs/run1/", "", None, "is empty"),
        ("s3://b-k/runs/run1/", None, "a/b", "'/'"),
        ("S3://b-k/runs/run1/", None, None, "uppercase scheme"),
    ],
)
def test_derive_mount_id_refuses(uri, mount_id, run_id, fragment):
    with pytest.raises(PathRuleError) as info:
        paths.derive_mount_id(uri, mount_id=mount_id, run_id=run_id)
    assert fragment in str(info.value)


# --------------------------------------------------------------------------------------------------------------
# client request tokens


def _botocore_token_shape():
    botocore = pytest.importorskip("botocore")
    models = glob.glob(os.path.join(os.path.dirname(botocore.__file__), "data", "fsx", "*", "service-2.json*"))
    if not models:
        pytest.skip("no FSx model in botocore")
    model = sorted(models)[-1]
    opener = gzip.open if model.endswith(".gz") else open
    with opener(model, "rt") as handle:
        shapes = json.load(handle)["shapes"]
    for operation in ("CreateDataRepositoryAssociationRequest", "CreateDataRepositoryTaskRequest"):
        assert shapes[operation]["members"]["ClientRequestToken"]["shape"] == "ClientRequestToken"
    return shapes["ClientRequestToken"]


def test_client_request_token_matches_the_fsx_api_model():
    shape = _botocore_token_shape()
    token = paths.client_request_token(
        "export-task", {"fs": "fs-0123456789abcdef0", "paths": ["/analysis_results/e/a/"]}
    )
    assert shape["min"] <= len(token) <= shape["max"] == paths.CLIENT_REQUEST_TOKEN_MAX
    assert re.search(shape["pattern"], token)
    assert re.fullmatch(r"[A-Za-z0-9_.-]{1,63}", token)


def test_client_request_token_is_deterministic_and_input_sensitive():
    a = paths.client_request_token("dra", {"b": 2, "a": [1, "x"]})
    assert a == paths.client_request_token("dra", {"a": [1, "x"], "b": 2})  # key order does not matter
    assert a.startswith("dra-")
    assert a != paths.client_request_token("dra", {"b": 2, "a": [1, "y"]})
    assert a != paths.client_request_token("task", {"b": 2, "a": [1, "x"]})
    assert len(paths.client_request_token("x" * 23, {})) == 63
    assert len(paths.client_request_token("dra", {"unicode": "caf\u00e9"})) == 63


@pytest.mark.parametrize("purpose", ["", "x" * 24, "-dra", "dra token", "dra/1", None, "caf\u00e9"])
def test_client_request_token_refuses_bad_purpose(purpose):
    with pytest.raises(PathRuleError):
        paths.client_request_token(purpose, {})


def test_client_request_token_refuses_non_json_inputs():
    with pytest.raises(PathRuleError, match="canonical JSON"):
        paths.client_request_token("dra", {"when": datetime.datetime(2024, 1, 1)})
    with pytest.raises(PathRuleError, match="canonical JSON"):
        paths.client_request_token("dra", {"x": float("nan")})


# --------------------------------------------------------------------------------------------------------------
# module hygiene: these files ship in plugins/module_utils and may run on target hosts


@pytest.mark.parametrize("name", ["paths.py", "receipt.py"])
def test_module_utils_are_pure_python_39(name):
    path = os.path.join(MODULE_UTILS, name)
    with open(path, encoding="utf-8") as handle:
        source = handle.read()
    tree = ast.parse(source, filename=name, feature_version=(3, 9))
    assert ast.get_docstring(tree)
    allowed = {
        "__future__",
        "csv",
        "datetime",
        "hashlib",
        "io",
        "json",
        "math",
        "re",
        "typing",
        "yaml",
        "ansible_collections.daylily.ephemeral_cluster.plugins.module_utils",
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module]
        else:
            names = []
        for module in names:
            assert module in allowed, "%s imports %s" % (name, module)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            assert node.func.id != "print", "%s calls print" % name
        assert not isinstance(node, ast.Assert), "%s uses assert" % name
    assert max(len(line) for line in source.splitlines()) <= 160
