# -*- coding: utf-8 -*-
# Copyright: Daylily ephemeral cluster maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""FSx for Lustre, headnode and S3 path rules of daylily.ephemeral_cluster.

Pure standard-library code (no Ansible, no boto3): it runs on the controller and on target hosts.

Vocabulary
    *API path*       a FileSystemPath as the FSx API sees it: absolute, trailing slash, never starting with
                     ``/fsx`` (``/analysis_results/johnm/illumina_run_qc/``).
    *headnode path*  where the same directory is visible on the headnode: mount point + API path
                     (``/fsx/analysis_results/johnm/illumina_run_qc/``). The mount point is ``/fsx`` on real
                     clusters and a parameter everywhere because the sandbox headnode mounts elsewhere.
    *S3 prefix URI*  ``s3://bucket/prefix/`` with a trailing slash, or ``s3://bucket/`` for the bucket root.

Every rule violation raises a subclass of :class:`PathRuleError` (itself a ``ValueError``) whose message names the
field, shows the offending value with non-ASCII characters escaped (so look-alike characters are visible), says
what is wrong and what is expected.

The rules are deliberately stricter than AWS: the collection only ever builds paths from validated segments, so
anything unusual (whitespace, ``%`` escapes, backslashes, non-ASCII look-alikes, ``..``) is refused rather than
interpreted.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import NamedTuple

DEFAULT_MOUNT_POINT = "/fsx"

#: FSx path roots per mount purpose (``dyec mounts create --purpose``).
MOUNT_ROOTS = {
    "run": "/run_dir_mounts/",
    "reference": "/references/",
    "control-data": "/control_data/",
    "staging": "/staging/",
}
MOUNT_PURPOSES = tuple(MOUNT_ROOTS) + ("custom",)
#: Purposes that may attach their bare root (e.g. ``/control_data/`` itself).
BARE_ROOT_PURPOSES = ("control-data", "staging")

ANALYSIS_RESULTS_ROOT = "/analysis_results/"
#: Roots a ``custom`` mount may neither equal, nor sit under, nor contain, with the reason shown in errors.
RESERVED_ROOTS = {
    "/run_dir_mounts/": "the run mount root",
    "/references/": "the reference role root (startup DRA)",
    "/control_data/": "the control-data role root",
    "/staging/": "the staging role root",
    ANALYSIS_RESULTS_ROOT: "the analysis output root",
    "/data/": "a retired root (now a symlink to /references)",
    "/runtime_assets/": "a retired root",
    "/exports/": "a retired export root",
    "/resources/": "the shared conda/container environment root",
}


#: ``ClientRequestToken`` in the FSx API model: 1..63 characters of ``[A-Za-z0-9_.-]``.
CLIENT_REQUEST_TOKEN_MAX = 63

_SEGMENT_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_MOUNT_ID_RE = re.compile(r"[A-Za-z0-9._-]+")
_MOUNT_ID_MAX = 128
_SEGMENT_MAX = 255  # NAME_MAX on Lustre
_BUCKET_CHARS_RE = re.compile(r"[a-z0-9][a-z0-9.-]*[a-z0-9]")
_IPV4_RE = re.compile(r"\d+\.\d+\.\d+\.\d+")
_BUCKET_BAD_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_BUCKET_BAD_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
_TOKEN_PURPOSE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,22}")
# Printable ASCII except space; the forbidden ones among them get a precise message first.
_PATH_CHARS_RE = re.compile(r"[\x21-\x7e]+")
_FORBIDDEN_CHARS = (
    ("%", "a '%' (percent-encoding is ambiguous; write the characters literally)"),
    ("\\", "a backslash"),
)


class PathRuleError(ValueError):
    """A path, URI or identifier breaks a rule. ``str(err)`` says what is wrong and what is expected."""

    def __init__(self, field, value, problem, expected):
        self.field = field
        self.value = value
        self.problem = problem
        self.expected = expected
        super().__init__("%s %s %s; expected %s" % (field, ascii(value), problem, expected))


class S3UriError(PathRuleError):
    """An S3 URI is malformed or unsafe."""


class SegmentError(PathRuleError):
    """An identifier used as one path segment (entity, analysis id, mount id) is unsafe."""


class FsxPathError(PathRuleError):
    """An FSx API path, headnode path or mount point is malformed or unsafe."""


class MountRuleError(PathRuleError):
    """A mount purpose/path combination breaks the mount layout rules."""


class MissingMountInputError(MountRuleError):
    """A value a mount needs was not given: the message names the field without showing a value."""

    def __init__(self, field, problem, expected):
        super().__init__(field, None, problem, expected)
        self.args = ("%s %s; expected %s" % (field, problem, expected),)


class S3Location(NamedTuple):
    """A parsed S3 prefix: ``prefix`` is ``""`` for the bucket root, else ends with ``/``."""

    bucket: str
    prefix: str

    @property
    def uri(self):
        """The normalised URI ``s3://bucket/prefix/``."""
        return "s3://%s/%s" % (self.bucket, self.prefix)


# --------------------------------------------------------------------------------------------------------------
# shared character checks


def _require_str(value, field, error_cls, expected):
    if not isinstance(value, str):
        raise error_cls(field, value, "is a %s, not a string" % type(value).__name__, expected)
    if value == "":
        raise error_cls(field, value, "is empty", expected)
    if value != value.strip():
        raise error_cls(field, value, "has leading or trailing whitespace", expected)


def _check_chars(value, field, error_cls, expected):
    """Refuse anything that is not printable ASCII without spaces, and the ambiguous characters."""
    for char, description in _FORBIDDEN_CHARS:
        if char in value:
            raise error_cls(field, value, "contains %s" % description, expected)
    if not _PATH_CHARS_RE.fullmatch(value):
        bad = next(c for c in value if not _PATH_CHARS_RE.fullmatch(c))
        raise error_cls(
            field,
            value,
            "contains the character %s (U+%04X); only printable ASCII without spaces is allowed"
            % (ascii(bad), ord(bad)),
            expected,
        )


# --------------------------------------------------------------------------------------------------------------
# S3 URIs


def validate_bucket_name(bucket, field="bucket"):
    """Return ``bucket`` if it is a valid general-purpose S3 bucket name, else raise :class:`S3UriError`."""
    expected = "3-63 characters of lowercase letters, digits, '.' and '-', starting and ending with a letter or digit"
    _require_str(bucket, field, S3UriError, expected)
    if bucket != bucket.lower():
        raise S3UriError(field, bucket, "contains uppercase letters (bucket names are lowercase)", expected)
    if not 3 <= len(bucket) <= 63:
        raise S3UriError(field, bucket, "is %d characters long" % len(bucket), expected)
    if not _BUCKET_CHARS_RE.fullmatch(bucket):
        raise S3UriError(field, bucket, "contains characters or a start/end that bucket names do not allow", expected)
    if ".." in bucket or ".-" in bucket or "-." in bucket:
        raise S3UriError(field, bucket, "has adjacent '.'/'-' characters", expected)
    if _IPV4_RE.fullmatch(bucket):
        raise S3UriError(field, bucket, "is formatted as an IP address", expected)
    if bucket.startswith(_BUCKET_BAD_PREFIXES) or bucket.endswith(_BUCKET_BAD_SUFFIXES):
        raise S3UriError(field, bucket, "uses a prefix or suffix reserved by AWS", expected)
    return bucket


def parse_s3_uri(uri, field="s3_uri"):
    """Parse an S3 prefix URI into :class:`S3Location` ``(bucket, prefix)``; the prefix gets a trailing slash.

    ``s3://bucket`` and ``s3://bucket/`` give ``("bucket", "")``; ``s3://bucket/a/b`` gives ``("bucket", "a/b/")``.
    Refused: other or uppercase schemes, ``s3:/x``, a missing or invalid bucket, ``?``/``#``, ``%``, backslashes,
    whitespace, non-ASCII, ``//`` and ``.``/``..`` segments (and ``..`` anywhere).
    """
    expected = "an S3 URI like 's3://bucket/prefix/'"
    _require_str(uri, field, S3UriError, expected)
    if uri[:5].lower() == "s3://" and not uri.startswith("s3://"):
        raise S3UriError(field, uri, "uses an uppercase scheme", expected + " with the lowercase scheme 's3://'")
    if not uri.startswith("s3://"):
        raise S3UriError(field, uri, "does not start with 's3://'", expected)
    _check_chars(uri, field, S3UriError, expected)
    for char, what in (("?", "a query string"), ("#", "a fragment")):
        if char in uri:
            raise S3UriError(field, uri, "contains %s ('%s')" % (what, char), expected + " without query or fragment")
    rest = uri[5:]
    bucket, _sep, key = rest.partition("/")
    if not bucket:
        raise S3UriError(field, uri, "has no bucket name", expected)
    validate_bucket_name(bucket, field="%s bucket" % field)
    if "//" in key or key.startswith("/"):
        raise S3UriError(field, uri, "contains an empty segment ('//')", expected)
    if ".." in key:
        raise S3UriError(field, uri, "contains '..'", expected + " without '..'")
    if key and not key.endswith("/"):
        key += "/"
    if any(segment == "." for segment in key.split("/")):
        raise S3UriError(field, uri, "contains a '.' segment", expected)
    return S3Location(bucket, key)


def normalize_s3_uri(uri, field="s3_uri"):
    """Return the normalised prefix URI ``s3://bucket/prefix/`` (see :func:`parse_s3_uri`)."""
    return parse_s3_uri(uri, field=field).uri


def _prefix_contains(outer, inner):
    """True when prefix ``inner`` equals or lies under ``outer``; both end with '/' or are '' (bucket root)."""
    return inner.startswith(outer)


def is_under(s3_uri, prefix_uri):
    """True when ``s3_uri`` (a prefix or an object key) equals or lies inside ``prefix_uri`` on segment boundaries.

    Used to check that an export report path lies inside the DRA's DataRepositoryPath.
    """
    inner = parse_s3_uri(s3_uri, field="s3_uri")
    outer = parse_s3_uri(prefix_uri, field="prefix_uri")
    return inner.bucket == outer.bucket and _prefix_contains(outer.prefix, inner.prefix)


def s3_uris_overlap(a, b):
    """True when two S3 prefix URIs are in the same bucket and one equals or contains the other."""
    first = parse_s3_uri(a, field="first S3 URI")
    second = parse_s3_uri(b, field="second S3 URI")
    return locations_overlap(first, second)


def locations_overlap(first, second):
    return first.bucket == second.bucket and (
        _prefix_contains(first.prefix, second.prefix) or _prefix_contains(second.prefix, first.prefix)
    )


# --------------------------------------------------------------------------------------------------------------
# segments


def _refuse_path_tricks(value, field, expected):
    """A segment never holds '/', '%' (encoded separators) or '..' (traversal), whatever else its rule allows."""
    for trick in ("/", "%", ".."):
        if trick in value:
            raise SegmentError(field, value, "contains '%s'" % trick, expected)


def validate_segment(value, field="segment"):
    """Return ``value`` if it is one safe path segment for ``executing_entity`` / ``analysis_id``.

    Rule: ``^[A-Za-z0-9][A-Za-z0-9._-]*$`` (ASCII only), no ``..``, ``/`` or ``%``, at most 255 characters.
    """
    expected = "one segment matching ^[A-Za-z0-9][A-Za-z0-9._-]*$ without '..'"
    _require_str(value, field, SegmentError, expected)
    _refuse_path_tricks(value, field, expected)
    if len(value) > _SEGMENT_MAX:
        raise SegmentError(
            field, value, "is %d characters long" % len(value), expected + " of at most %d characters" % _SEGMENT_MAX
        )
    if not _SEGMENT_RE.fullmatch(value):
        raise SegmentError(
            field,
            value,
            "contains characters outside [A-Za-z0-9._-] or does not start with a letter or digit",
            expected,
        )
    return value


def validate_mount_id(value, field="mount_id"):
    """Return ``value`` if it is a safe mount id: ``^[A-Za-z0-9._-]+$``, at most 128, not ``.``/``..``, no ``..``/``%``."""
    expected = "one segment matching ^[A-Za-z0-9._-]+$ of at most %d characters, without '..'" % _MOUNT_ID_MAX
    _require_str(value, field, SegmentError, expected)
    if value in (".", ".."):
        raise SegmentError(field, value, "is a relative directory name", expected)
    _refuse_path_tricks(value, field, expected)
    if len(value) > _MOUNT_ID_MAX:
        raise SegmentError(field, value, "is %d characters long" % len(value), expected)
    if not _MOUNT_ID_RE.fullmatch(value):
        raise SegmentError(field, value, "contains characters outside [A-Za-z0-9._-]", expected)
    return value


# --------------------------------------------------------------------------------------------------------------
# FSx API paths and headnode paths


def normalize_fsx_path(path, field="file_system_path"):
    """Return the FSx API path for ``path``: absolute, with a trailing slash, never starting with ``/fsx``.

    ``/references`` gives ``/references/``; ``/`` (the file system root) is returned as is. Refused: relative
    paths, a ``/fsx`` prefix (that is a headnode path, see :func:`headnode_to_api_path`), ``//``, ``.``/``..``
    segments and ``..`` anywhere, ``%``, backslashes, whitespace and non-ASCII characters.
    """
    expected = "an absolute FSx API path like '/analysis_results/entity/analysis_id/' without the '/fsx' mount point"
    _require_str(path, field, FsxPathError, expected)
    _check_chars(path, field, FsxPathError, expected)
    if not path.startswith("/"):
        raise FsxPathError(field, path, "is not absolute", expected)
    if "//" in path:
        raise FsxPathError(field, path, "contains an empty segment ('//')", expected)
    if ".." in path:
        raise FsxPathError(field, path, "contains '..'", expected)
    if not path.endswith("/"):
        path += "/"
    if "/./" in path:
        raise FsxPathError(field, path, "contains a '.' segment", expected)
    if path == DEFAULT_MOUNT_POINT + "/" or path.startswith(DEFAULT_MOUNT_POINT + "/"):
        raise FsxPathError(field, path, "starts with the headnode mount point '/fsx'", expected)
    return path


def normalize_mount_point(mount_point, field="mount_point"):
    """Return the headnode mount point without trailing slash (``/fsx``), refusing relative or unsafe paths."""
    expected = "an absolute directory such as '/fsx'"
    _require_str(mount_point, field, FsxPathError, expected)
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in mount_point):
        raise FsxPathError(field, mount_point, "contains control characters", expected)
    if not mount_point.startswith("/"):
        raise FsxPathError(field, mount_point, "is not absolute", expected)
    if "//" in mount_point:
        raise FsxPathError(field, mount_point, "contains an empty segment ('//')", expected)
    if mount_point == "/":
        raise FsxPathError(field, mount_point, "is the root directory", expected)
    if mount_point.endswith("/"):
        mount_point = mount_point[:-1]
    if any(segment in (".", "..") for segment in mount_point.split("/")):
        raise FsxPathError(field, mount_point, "contains a '.' or '..' segment", expected)
    return mount_point


def api_to_headnode_path(api_path, mount_point=DEFAULT_MOUNT_POINT):
    """Return the headnode path of an FSx API path: mount point + API path (``/fsx/references/``)."""
    return normalize_mount_point(mount_point) + normalize_fsx_path(api_path)


def headnode_to_api_path(headnode_path, mount_point=DEFAULT_MOUNT_POINT):
    """Return the FSx API path of a headnode path, which must be the mount point or lie under it."""
    mount_point = normalize_mount_point(mount_point)
    field = "headnode_path"
    expected = "a path under the FSx mount point %s" % ascii(mount_point + "/")
    _require_str(headnode_path, field, FsxPathError, expected)
    if headnode_path in (mount_point, mount_point + "/"):
        return "/"
    if not headnode_path.startswith(mount_point + "/"):
        raise FsxPathError(field, headnode_path, "is not under the FSx mount point", expected)
    return normalize_fsx_path(headnode_path[len(mount_point) :], field=field)


def to_api_path(path, mount_point=DEFAULT_MOUNT_POINT, field="path"):
    """Return the FSx API path of ``path`` given either as an API path or as a headnode path.

    A leading ``mount_point`` or the conventional ``/fsx`` is stripped (API paths never start with ``/fsx``, so
    this is unambiguous); anything else is normalised as an API path.
    """
    _require_str(path, field, FsxPathError, "an FSx API path or a headnode path")
    for prefix in (normalize_mount_point(mount_point), DEFAULT_MOUNT_POINT):
        if path in (prefix, prefix + "/"):
            return "/"
        if path.startswith(prefix + "/"):
            return normalize_fsx_path(path[len(prefix) :], field=field)
    return normalize_fsx_path(path, field=field)


def fsx_paths_overlap(a, b):
    """True when two FSx API paths are the same or one is a parent of the other (segment boundaries)."""
    first = normalize_fsx_path(a, field="first FSx path")
    second = normalize_fsx_path(b, field="second FSx path")
    return first.startswith(second) or second.startswith(first)


def paths_overlap(a, b):
    """True when two FSx API paths, or two S3 prefix URIs, overlap (equal, parent or child).

    Both arguments must be of the same kind; mixing an FSx path and an S3 URI raises :class:`PathRuleError`.
    """
    a_is_s3 = isinstance(a, str) and a.lower().startswith("s3:")
    b_is_s3 = isinstance(b, str) and b.lower().startswith("s3:")
    if a_is_s3 != b_is_s3:
        raise PathRuleError("paths", (a, b), "mix an S3 URI and an FSx path", "two FSx paths or two S3 URIs")
    if a_is_s3:
        return s3_uris_overlap(a, b)
    return fsx_paths_overlap(a, b)


# --------------------------------------------------------------------------------------------------------------
# mounts


def derive_mount_id(s3_uri, mount_id=None, run_id=None):
    """Return the mount id: ``mount_id`` if given, else ``run_id``, else the last segment of ``s3_uri``.

    ``None`` means "not given". The result is validated with :func:`validate_mount_id`; a bucket-root URI needs
    an explicit id.
    """
    if mount_id is not None:
        return validate_mount_id(mount_id, field="mount_id")
    if run_id is not None:
        return validate_mount_id(run_id, field="run_id")
    location = parse_s3_uri(s3_uri, field="s3_uri")
    if not location.prefix:
        raise SegmentError(
            "s3_uri",
            s3_uri,
            "is a bucket root, so no mount id can be derived from it",
            "an explicit mount_id or run_id",
        )
    last = location.prefix.rstrip("/").rsplit("/", 1)[-1]
    try:
        return validate_mount_id(last, field="mount_id derived from s3_uri")
    except SegmentError as err:
        raise SegmentError(err.field, err.value, err.problem, err.expected + ", or pass an explicit mount_id") from err


def _check_segments_safe(path, field, error_cls):
    for segment in path.strip("/").split("/"):
        try:
            validate_mount_id(segment, field="segment")
        except SegmentError as err:
            raise error_cls(
                field,
                path,
                "has the unsafe segment %s (%s)" % (ascii(segment), err.problem),
                "segments matching ^[A-Za-z0-9._-]+$ without '..'",
            ) from err


def mount_path_for(purpose, mount_id=None, file_system_path=None):
    """Return the FSx API path for a mount of ``purpose`` (``run``, ``reference``, ``control-data``, ``staging``,
    ``custom``).

    Without ``file_system_path`` the path is ``<root><mount_id>/`` (``/run_dir_mounts/<id>/``, ``/references/<id>/``,
    ``/control_data/<id>/``, ``/staging/<id>/``). An explicit ``file_system_path`` must lie under the purpose's
    root; only ``control-data`` and ``staging`` may attach the bare root. ``custom`` needs an explicit path that
    neither equals, contains nor lies under any reserved root (:data:`RESERVED_ROOTS`) and is not ``/``.
    """
    if purpose not in MOUNT_PURPOSES:
        raise MountRuleError("purpose", purpose, "is not a mount purpose", "one of %s" % ", ".join(MOUNT_PURPOSES))
    if file_system_path is None:
        if purpose == "custom":
            raise MissingMountInputError(
                "file_system_path",
                "is required for purpose 'custom'",
                "an explicit FSx API path outside %s" % ", ".join(RESERVED_ROOTS),
            )
        if mount_id is None:
            raise MissingMountInputError(
                "mount_id",
                "is required to build the path of a '%s' mount" % purpose,
                "a mount id (see derive_mount_id)",
            )
        return MOUNT_ROOTS[purpose] + validate_mount_id(mount_id) + "/"
    path = normalize_fsx_path(file_system_path)
    if path == "/":
        raise MountRuleError("file_system_path", path, "is the file system root", "a directory below the root")
    _check_segments_safe(path, "file_system_path", MountRuleError)
    if purpose == "custom":
        for root, reason in RESERVED_ROOTS.items():
            if path.startswith(root) or root.startswith(path):
                raise MountRuleError(
                    "file_system_path",
                    path,
                    "overlaps %s %s" % (root, reason),
                    "a custom path outside %s" % ", ".join(RESERVED_ROOTS),
                )
        return path
    root = MOUNT_ROOTS[purpose]
    if path == root:
        if purpose in BARE_ROOT_PURPOSES:
            return path
        raise MountRuleError(
            "file_system_path",
            path,
            "is the bare %s root" % purpose,
            "a directory below %s (only control-data and staging may mount their bare root)" % root,
        )
    if not path.startswith(root):
        raise MountRuleError(
            "file_system_path", path, "is outside the %s root" % purpose, "a directory below %s" % root
        )
    return path


# --------------------------------------------------------------------------------------------------------------
# S3 object URIs


def s3_uri_to_key(s3_uri):
    """Return ``(bucket, key)`` of an S3 object URI (no trailing slash added), with the same checks as prefixes."""
    location = parse_s3_uri(s3_uri)
    key = location.prefix
    if not s3_uri.endswith("/"):
        key = key[:-1]
    return location.bucket, key


# --------------------------------------------------------------------------------------------------------------
# idempotency tokens


def client_request_token(purpose, inputs):
    """Return a deterministic FSx ``ClientRequestToken``: ``<purpose>-<sha256 of canonical JSON of inputs>``.

    The token is cut to 63 characters (the API maximum) and only uses ``[A-Za-z0-9_.-]``. ``purpose`` is a short
    tag (at most 23 characters) such as ``dra`` or ``export``, so at least 39 hex digits of the hash remain.
    Include in ``inputs`` everything that makes the request distinct, including an attempt discriminator (e.g.
    the export timestamp) for operations that may legitimately be repeated after the first resource is gone.
    """
    if not isinstance(purpose, str) or not _TOKEN_PURPOSE_RE.fullmatch(purpose):
        raise PathRuleError(
            "purpose", purpose, "is not a short token tag", "1-23 characters of [A-Za-z0-9_.-], starting alphanumeric"
        )
    try:
        canonical = json.dumps(inputs, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)
    except (TypeError, ValueError) as err:
        raise PathRuleError(
            "inputs", inputs, "cannot be serialised as canonical JSON (%s)" % err, "JSON-compatible values"
        ) from err
    digest = hashlib.sha256(canonical.encode("ascii")).hexdigest()
    return ("%s-%s" % (purpose, digest))[:CLIENT_REQUEST_TOKEN_MAX]
