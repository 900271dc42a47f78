# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Remote commands on a headnode through SSM Run Command (``AWS-RunShellScript``), for daylily.ephemeral_cluster.

Controller-only code (plugin_utils): the ``daylily.ephemeral_cluster.ssm`` connection plugin runs it. It takes botocore
clients and needs nothing of Ansible's plugin machinery, so it is tested on its own. Two layers:

Pure helpers (no AWS calls, no I/O):

* :func:`build_wrapper` turns one command (bytes, any quoting) and its optional standard input into the POSIX
  ``sh`` script sent as the ``commands`` parameter. The command travels base64-encoded in a quoted here-document,
  so no quote, ``$()``, backtick, backslash, newline or non-ASCII byte can break it (invariant 14). The script
  runs it as ``run_as`` in a bash login shell (``sudo -iu <user> bash -l``), or, with ``run_as=""``, as the
  agent's own user without sudo. Standard input arrives inline (gzip + base64 in the script), from S3 through a
  presigned URL, from the node's cache, or from a file staged on the node by earlier commands.
* The script's standard output starts with a header line, ``@@DAYEC-SSM <token> rc=.. out=<bytes>:<sha256>
  err=<bytes>:<sha256> spool=<path|-> ob=.. eb=..@@``, followed by the command's stdout; its stderr is the
  command's stderr. :func:`parse_frame` reads the header and :meth:`Frame.matches` proves the output arrived
  whole: ``GetCommandInvocation`` returns only the first 24,000 characters of stdout and 8,000 of stderr, and a
  truncated module result must never pass silently.
* When no S3 bucket is configured the script itself decides: output above those budgets (or not valid UTF-8)
  is left gzip + base64 encoded in a spool file on the node and read back in chunks (:func:`spool_read_command`).
  With a bucket, every command sets ``OutputS3BucketName`` and the full output is read from S3 instead.
* Standard input too large for one command (the 64 KB SSM document limit) and no bucket: lines of 8 KiB or more
  (in ansible-core's ~160 KB pipelined module, the module's zip, the same for every task using that module) are
  referenced by sha256 from a cache on the node (:func:`segment_payload`). A missing one is reported
  (``missing=``) before anything runs, and filled in chunks (:class:`CacheFill`, :func:`cache_chunk_command`): the
  first chunk rides in the command (a node that has the piece ignores it), the last in the command sent again, so
  a ~160 KB module costs 3 commands on its first use on a node, 1 afterwards. Input with no such lines is appended
  to a stage file by several commands (:func:`stage_chunk_command`).

:class:`SSMCommandRunner` (botocore clients, no Ansible): one ``SendCommand`` per command, ``GetCommandInvocation``
polled with a growing interval, ``InvocationDoesNotExist`` right after the send tolerated for the delivery timeout,
throttling (and, for calls that are safe to repeat, 5xx and connection errors) retried with bounded full-jitter
back-off, S3 transfers, output fallbacks. Failures raise :class:`SSMError` subclasses with a message that says
what to do.
"""

from __future__ import annotations

import base64
import dataclasses
import gzip
import hashlib
import json
import os
import random
import re
import shlex
import time
import uuid

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import aws_errors
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.ssm_instances import is_instance_id
from ansible_collections.daylily.ephemeral_cluster.plugins.plugin_utils.ssm_housekeeping import STEP_FAILED_RC
from ansible_collections.daylily.ephemeral_cluster.plugins.plugin_utils.ssm_housekeeping import HousekeepingQueue
from ansible_collections.daylily.ephemeral_cluster.plugins.plugin_utils.ssm_housekeeping import prelude_script
from ansible_collections.daylily.ephemeral_cluster.plugins.plugin_utils.ssm_housekeeping import recognize

try:
    import botocore.exceptions
except ImportError:  # the connection plugin reports the missing SDK
    pass

DOCUMENT_NAME = "AWS-RunShellScript"
# SendCommand fails with MaxDocumentSizeExceeded, "The size limit of a document is 64 KB" (SSM API reference);
# the commands parameter is part of that document.
DOCUMENT_SIZE_LIMIT = 64 * 1024
# Kept free inside the limit for the AWS-RunShellScript document's own text and the request envelope.
DOCUMENT_OVERHEAD = 4 * 1024
STDOUT_LIMIT = 24000  # GetCommandInvocation.StandardOutputContent: "The first 24,000 characters"
STDERR_LIMIT = 8000  # GetCommandInvocation.StandardErrorContent: "The first 8,000 characters"
HEADER_ROOM = 512  # the header line, with room to spare
INLINE_STDOUT_BUDGET = STDOUT_LIMIT - HEADER_ROOM  # bytes; a byte count never undercounts characters
INLINE_STDERR_BUDGET = STDERR_LIMIT
# Input up to this many times max_command_size is gzip-encoded to see whether it fits in the command (text often
# does); larger input goes straight to S3 or the stage without being read whole first.
INLINE_CANDIDATE_RATIO = 32
READ_BLOCK = 1000  # dd block size for spool reads
READ_CHUNK = 23 * READ_BLOCK  # characters of spooled base64 read back per command
MIN_DELIVERY_TIMEOUT = 30  # SendCommand TimeoutSeconds: 30 to 2592000
MAX_EXECUTION_TIMEOUT = 172800  # AWS-RunShellScript executionTimeout: 1 to 172800
RETRY_CAP = 20.0  # seconds; the longest single back-off
WAIT_GRACE = 30.0  # seconds past delivery + execution timeout before the controller gives up
PRESIGN_MARGIN = 300  # seconds a presigned URL outlives the delivery timeout
COMMENT_LIMIT = 100  # SendCommand Comment
# A file Ansible transfers into its temporary directory waits for the next command (see ssm_housekeeping) inline
# when its gzip + base64 form is at most this long; larger ones go through the bucket, or are sent at once.
DEFERRED_INLINE_LIMIT = 16 * 1024
# A chunk of a piece on its way into the node's cache rides in a command when at least this many base64 characters
# fit beside it; room for the shell lines around it is kept free.
MIN_RIDING_CHUNK = 4096
FILL_LINES_ROOM = 1024

DEFAULT_RUN_AS = "ubuntu"
DEFAULT_BUCKET_PREFIX = "daylily-ssm/"

PENDING_STATUSES = frozenset({"Pending", "InProgress", "Delayed", "Cancelling"})
COMPLETED_STATUSES = frozenset({"Success", "Failed"})

# Throttled requests were not carried out, so every operation may repeat them; server-side failures are repeated
# only for calls that are safe to repeat (never SendCommand, which has no client token: after a 5xx the command
# may run anyway).
THROTTLE_CODES = frozenset(aws_errors.THROTTLE_CODES)
TRANSIENT_CODES = frozenset(aws_errors.TRANSIENT_CODES)

_USER_NAME = re.compile(r"^[a-z_][a-z0-9_.-]{0,31}$")
_TOKEN = re.compile(r"^[0-9a-f]{32}$")
_SPOOL_PATH = re.compile(r"^/[A-Za-z0-9._/-]+$")
_MISSING = re.compile(rb"@@DAYEC-SSM (?P<token>[0-9a-f]{32}) missing=(?P<shas>[0-9a-f,]+)@@")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_HEADER = re.compile(
    rb"@@DAYEC-SSM (?P<token>[0-9a-f]{32}) rc=(?P<rc>-?[0-9]+) out=(?P<ol>[0-9]+):(?P<os>[0-9a-f]{64}) "
    rb"err=(?P<el>[0-9]+):(?P<es>[0-9a-f]{64}) spool=(?P<spool>\S+) ob=(?P<ob>[0-9]+) eb=(?P<eb>[0-9]+)"
    rb"(?: home=(?P<home>[A-Za-z0-9+/=]*))?@@\n"
)
B64_LINE = 76
# Lines of standard input at least this long are kept in a content-addressed cache on the node, so they travel once:
# ansible-core's pipelined module (AnsiballZ) is ~160 KB, nearly all of it one line (the module's zip) that is the
# same for every task using that module, while the document limit is 64 KB.
CACHE_MIN_LINE = 8192
CACHE_DIR = '"${TMPDIR:-/tmp}/dayec-ssm-cache-$(id -u)"'
CACHE_MAX_AGE_DAYS = 7
CMD_ERROR = 'fail "cannot decode the command"'
STDIN_ERROR = 'fail "cannot decode the standard input"'
PRELUDE_ERROR = 'fail "cannot decode the deferred housekeeping"'
_FILE_NAME = re.compile(r"^f[0-9]{1,6}$")


# --------------------------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------------------------
class SSMError(Exception):
    """A command could not be run or its result could not be read back."""


class SSMAPIError(SSMError):
    """An AWS call failed (after the retries it was allowed)."""

    def __init__(self, operation, code, message, retried=0):
        self.operation, self.code, self.retried = operation, code, retried
        suffix = f" (after {retried} retries)" if retried else ""
        super().__init__(f"{operation} failed with {code}: {message}{suffix}")


class SSMTimeoutError(SSMError):
    """The command was not delivered, or did not finish, in time."""


class SSMOutputError(SSMError):
    """The command ran but its output could not be read back whole."""


class SSMUnreachableError(SSMError):
    """SSM will not run commands on the instance: not a managed instance of the region, or its agent is not Online."""


class SSMCommandFailed(SSMError):
    """A file transfer command ran and failed on the node (missing file, permission denied...)."""

    def __init__(self, message, rc, stderr):
        self.rc, self.stderr = rc, stderr
        super().__init__(message)


# --------------------------------------------------------------------------------------------------------------
# Pure helpers
# --------------------------------------------------------------------------------------------------------------
def new_token():
    """A random 32-hex-digit token: names the command's header line, heredoc delimiters and stage files."""
    return uuid.uuid4().hex


def check_run_as(value):
    """'' (the agent's user, no sudo) or a POSIX user name; raises ValueError otherwise."""
    if value in (None, ""):
        return ""
    if not _USER_NAME.match(value):
        raise ValueError(
            f"run_as {value!r} is not a user name (lower case letters, digits, '_', '-', '.'; at most "
            "32 characters); use '' to run as the SSM agent's user without sudo"
        )
    return value


def normalize_prefix(prefix):
    """'a/b' -> 'a/b/', '/a/' -> 'a/', '' -> ''."""
    prefix = (prefix or "").strip("/")
    return prefix + "/" if prefix else ""


def encode_payload(data):
    """gzip (fixed mtime, so the same data gives the same text) then base64: how standard input travels."""
    return base64.b64encode(gzip.compress(data, mtime=0)).decode("ascii")


def decode_payload(text):
    return gzip.decompress(base64.b64decode(text))


def sha256_hex(data):
    return hashlib.sha256(data).hexdigest()


def _wrap(text, width=B64_LINE):
    return "\n".join(text[i : i + width] for i in range(0, len(text), width))


def _heredoc(delimiter, b64_text, on_error="exit 125"):
    """``<<'DELIM' || on_error``, the wrapped base64 lines and the delimiter: a quoted here-document expands nothing."""
    return f"<<'{delimiter}' || {on_error}\n{_wrap(b64_text)}\n{delimiter}"


def stage_expression(token):
    """Where staged standard input lives on the node (a shell word, expanded there)."""
    return f'"${{TMPDIR:-/tmp}}/dayec-ssm-stage.{token}"'


def segment_payload(data, min_line=CACHE_MIN_LINE):
    """Split standard input into pieces: ("cached", line) for lines of ``min_line`` bytes or more, ("inline", bytes)
    for the runs of shorter lines between them. Joined in order they give ``data`` back."""
    pieces = []
    run = []
    for line in data.splitlines(keepends=True):
        if len(line) >= min_line:
            if run:
                pieces.append(("inline", b"".join(run)))
                run = []
            pieces.append(("cached", line))
        else:
            run.append(line)
    if run:
        pieces.append(("inline", b"".join(run)))
    return pieces


@dataclasses.dataclass(frozen=True)
class CacheFill:
    """A chunk of a piece of standard input on its way into the node's cache, riding in a command: appended to the
    partial file named by ``token`` when the node lacks the piece (ignored when it has it); the ``last`` chunk
    installs the piece (checked by sha256) so the command can use it at once."""

    sha: str
    token: str
    chunk: str  # base64 of part of encode_payload(piece), whole quanta
    first: bool
    last: bool


def _cache_append(sha, token, b64_chunk, first, last, delimiter):
    """Shell lines appending a chunk of a gzip-compressed piece to its partial file in the cache ``$C``; after the
    last chunk the piece is decompressed, checked against its sha256 and installed."""
    if not _SHA256.match(sha) or not _TOKEN.match(token) or len(b64_chunk) % 4:
        raise ValueError("a cache chunk needs a sha256, a token and whole base64 quanta")
    lines = ['[ -d "$C" ] || mkdir -m 700 "$C" || exit 125\n'] if first else []
    lines += [
        'if [ -L "$C" ] || [ ! -O "$C" ]; then echo "dayec-ssm: $C does not belong to $(id -un)" >&2; exit 125; fi\n',
        f'p="$C/{sha}.{token}"\n',
        f'base64 -d >> "$p.gz" {_heredoc(delimiter, b64_chunk)}\n',
    ]
    if last:
        lines += [
            'gzip -dc < "$p.gz" > "$p" && rm -f "$p.gz" &&\n',
            f'  [ "$(sha256sum < "$p" | cut -c1-64)" = {sha} ] && mv -f "$p" "$C/{sha}" ||\n',
            '  { rm -f "$p" "$p.gz"; echo "dayec-ssm: the cached piece does not match its sha256" >&2; exit 125; }\n',
            f'find "$C" -type f -mtime +{CACHE_MAX_AGE_DAYS} -exec rm -f {{}} + 2>/dev/null\n',
        ]
    return lines


def _piece_sha(kind, value):
    return value.sha if kind == "fill" else value


def _pieces_block(delimiter, token, pieces):
    """Standard input assembled from inline pieces and pieces cached on the node (checked by sha256 on use).

    When a cached piece is missing (new node, other module, cleaned /tmp) the script prints
    ``@@DAYEC-SSM <token> missing=<sha256,...>@@`` and stops before running anything. A ("fill", CacheFill) piece
    carries a chunk of the piece for that case: appended to the cache, and, when it is the last chunk, installed and
    used at once.
    """
    lines = [
        f"C={CACHE_DIR}\n",
        'get() { [ -d "$C" ] && [ ! -L "$C" ] && [ -O "$C" ] && cp "$C/$1" "$d/s.$1" 2>/dev/null &&\n'
        '  [ "$(sha256sum < "$d/s.$1" | cut -c1-64)" = "$1" ] && { touch "$C/$1" 2>/dev/null || :; }; }\n',
        "m=\n",
    ]
    for kind, value in pieces:
        if kind == "cached":
            lines.append(f'get {value} || m="$m${{m:+,}}{value}"\n')
        elif kind == "fill":
            lines.append(f"if ! get {value.sha}; then\n")
            lines += _cache_append(value.sha, value.token, value.chunk, value.first, value.last, delimiter)
            lines.append(
                f'get {value.sha} || m="$m${{m:+,}}{value.sha}"\n' if value.last else f'm="$m${{m:+,}}{value.sha}"\n'
            )
            lines.append("fi\n")
    lines += [
        f'if [ -n "$m" ]; then printf \'@@DAYEC-SSM %s missing=%s@@\\n\' {token} "$m"; exit 0; fi\n',
        ': > "$d/in"\n',
    ]
    for kind, value in pieces:
        if kind in ("cached", "fill"):
            lines.append(f'cat "$d/s.{_piece_sha(kind, value)}" >> "$d/in"\n')
        else:
            lines.append(
                f'base64 -d > "$d/p" {_heredoc(delimiter, value, STDIN_ERROR)}\n'
                f'gzip -dc < "$d/p" >> "$d/in" || {STDIN_ERROR}\n'
            )
    return "".join(lines)


def _download_block(url, target, what):
    """Shell lines that fetch a presigned S3 URL into ``target`` (a shell word), failing the wrapper clearly."""
    url = shlex.quote(url)
    return (
        "if command -v curl >/dev/null 2>&1; then\n"
        f"  curl -fsS --retry 3 -o {target} {url}\n"
        "else\n"
        "  python3 -c 'import sys, urllib.request; urllib.request.urlretrieve(sys.argv[1], sys.argv[2])' "
        f"{url} {target}\n"
        f'fi || fail "cannot download {what} from S3 (the node needs curl or python3 and '
        'network access to S3)"\n'
    )


def _prelude_block(delimiter, prelude, prelude_files):
    """Deferred housekeeping (see ssm_housekeeping): its files land in the work directory, its script in $d/pre."""
    if not prelude:
        return ""
    lines = []
    for name, kind, value in prelude_files:
        if not _FILE_NAME.match(name) or kind not in ("b64", "url"):
            raise ValueError(f"bad prelude file {name!r} ({kind!r})")
        if kind == "url":
            lines.append(_download_block(value, f'"$d/{name}"', f"the deferred file {name}"))
        else:
            lines.append(
                f'base64 -d > "$d/{name}.gz" {_heredoc(delimiter, value, PRELUDE_ERROR)}\n'
                f'gzip -dc < "$d/{name}.gz" > "$d/{name}" || {PRELUDE_ERROR}\n'
            )
    encoded = base64.b64encode(prelude.encode("utf-8", "surrogateescape")).decode("ascii")
    lines.append(f'base64 -d > "$d/pre" {_heredoc(delimiter, encoded, PRELUDE_ERROR)}\n')
    return "".join(lines)


def _stdin_block(delimiter, stdin_b64, stdin_url, stdin_stage):
    if stdin_b64 is not None:
        return (
            f'base64 -d > "$d/in.gz" {_heredoc(delimiter, stdin_b64, STDIN_ERROR)}\n'
            'gzip -dc < "$d/in.gz" > "$d/in" || fail "cannot decode the standard input"\n'
        )
    if stdin_url is not None:
        return _download_block(stdin_url, '"$d/in"', "the standard input")
    if stdin_stage is not None:
        return (
            f'gzip -dc < {stdin_stage}/in.gz > "$d/in" || fail "cannot read the staged standard input"\n'
            f"rm -rf {stdin_stage}\n"
        )
    return ': > "$d/in"\n'


def _launch_block(run_as):
    prepare = ': > "$d/out"; : > "$d/err"\n'  # the output files exist even if the command never starts
    if run_as:
        user = shlex.quote(run_as)
        return (
            prepare + f'chown -R {user} "$d" || fail "cannot hand the command over to {run_as} (the SSM agent '
            'must run as root to use run_as)"\n'
            f'sudo -iu {user} bash -l "$d/run" "$d" > "$d/shell" 2>&1 < /dev/null\n'
        )
    return prepare + 'bash -l "$d/run" "$d" > "$d/shell" 2>&1 < /dev/null\n'


_SPOOL_BLOCK = """utf8() { command -v iconv >/dev/null 2>&1 || return 0; iconv -f UTF-8 -t UTF-8 "$1" >/dev/null 2>&1; }
if [ "$ol" -gt %(out_budget)d ] || [ "$el" -gt %(err_budget)d ] || ! utf8 "$d/out" || ! utf8 "$d/err"; then
  sp=$(mktemp "${TMPDIR:-/tmp}/dayec-ssm-out.XXXXXXXX") || fail "cannot spool the output"
  { gzip -c < "$d/out" | base64 -w0 > "$d/o.b64" && gzip -c < "$d/err" | base64 -w0 > "$d/e.b64" &&
    cat "$d/o.b64" "$d/e.b64" > "$sp"; } || { rm -f "$sp"; fail "cannot spool the output"; }
  ob=$(wc -c < "$d/o.b64" | tr -d ' '); eb=$(wc -c < "$d/e.b64" | tr -d ' ')
fi
"""


def build_wrapper(
    command,
    token,
    run_as=DEFAULT_RUN_AS,
    stdin_b64=None,
    stdin_url=None,
    stdin_stage=None,
    stdin_pieces=None,
    spool=True,
    out_budget=INLINE_STDOUT_BUDGET,
    err_budget=INLINE_STDERR_BUDGET,
    prelude=None,
    prelude_files=(),
):
    """The AWS-RunShellScript script that runs ``command`` (bytes or str) and frames its output.

    At most one standard input source: ``stdin_b64`` (from :func:`encode_payload`), ``stdin_url`` (presigned S3
    GET), ``stdin_stage`` (from :func:`stage_expression`) or ``stdin_pieces`` (("inline", encode_payload(bytes)) and
    ("cached", sha256) items). ``spool``: keep output above the budgets on the node (no bucket configured) instead
    of printing it whole (a bucket receives the full output through OutputS3BucketName). ``prelude``: a bash script
    (``ssm_housekeeping.prelude_script``) run as ``run_as`` before the command, with ``prelude_files``
    ((name, "b64", encode_payload(bytes)) or (name, "url", presigned GET)) in its work directory; if it fails the
    command does not run and the frame reports exit code 125 with its stderr.
    """
    if not _TOKEN.match(token):
        raise ValueError(f"token {token!r} is not 32 hex digits")
    if sum(x is not None for x in (stdin_b64, stdin_url, stdin_stage, stdin_pieces)) > 1:
        raise ValueError("standard input comes from one source at most")
    for kind, value in stdin_pieces or ():
        if (
            kind not in ("inline", "cached", "fill")
            or (kind == "cached" and not _SHA256.match(value))
            or (kind == "fill" and not isinstance(value, CacheFill))
        ):
            raise ValueError(f"bad standard input piece {kind!r}")
    run_as = check_run_as(run_as)
    if isinstance(command, str):
        command = command.encode("utf-8", "surrogateescape")
    delimiter = f"DAYEC_SSM_{token}"
    who = (
        f"as {run_as} in a bash login shell (sudo -iu {run_as} bash -l)"
        if run_as
        else "as the SSM agent's user in a bash login shell"
    )
    return "".join(
        (
            f"# daylily.ephemeral_cluster.ssm {token}\n",
            f"# Runs one base64-wrapped command {who}; stdout starts with a length/sha256 header.\n",
            "umask 077\n",
            'fail() { echo "dayec-ssm: $*" >&2; exit 125; }\n',
            'd=$(mktemp -d "${TMPDIR:-/tmp}/dayec-ssm.XXXXXXXX") || fail "cannot create a temporary directory"\n',
            "trap 'rm -rf \"$d\"' EXIT\n",
            f'base64 -d > "$d/cmd" {_heredoc(delimiter, base64.b64encode(command).decode("ascii"), CMD_ERROR)}\n',
            _pieces_block(delimiter, token, stdin_pieces)
            if stdin_pieces is not None
            else _stdin_block(delimiter, stdin_b64, stdin_url, stdin_stage),
            _prelude_block(delimiter, prelude, prelude_files),
            f"cat > \"$d/run\" <<'{delimiter}'\n",
            'cd "$HOME" 2>/dev/null || :\n',
            'printf \'%s\' "$HOME" | base64 -w0 > "$1/home" 2>/dev/null\n',
            f'[ ! -f "$1/pre" ] || bash "$1/pre" "$1" > /dev/null 2> "$1/err" || {{ echo {STEP_FAILED_RC} > "$1/rc"; exit 0; }}\n',
            'bash "$1/cmd" < "$1/in" > "$1/out" 2> "$1/err"\n',
            'echo $? > "$1/rc"\n',
            f"{delimiter}\n",
            _launch_block(run_as),
            "s=$?\n",
            'if [ -f "$d/rc" ]; then rc=$(cat "$d/rc"); else rc=$s; cat "$d/shell" >> "$d/err"; fi\n',
            """ol=$(wc -c < "$d/out" | tr -d ' '); el=$(wc -c < "$d/err" | tr -d ' ')\n""",
            'os=$(sha256sum < "$d/out" | cut -c1-64); es=$(sha256sum < "$d/err" | cut -c1-64)\n',
            "sp=-; ob=0; eb=0\n",
            _SPOOL_BLOCK % {"out_budget": out_budget, "err_budget": err_budget} if spool else "",
            'h=$(cat "$d/home" 2>/dev/null)\n',
            f"printf '@@DAYEC-SSM %s rc=%s out=%s:%s err=%s:%s spool=%s ob=%s eb=%s home=%s@@\\n' {token} "
            '"$rc" "$ol" "$os" "$el" "$es" "$sp" "$ob" "$eb" "$h"\n',
            'if [ "$sp" = - ]; then cat "$d/out"; cat "$d/err" >&2; fi\n',
            "exit 0\n",
        )
    )


def request_size(script):
    """Bytes the script takes in the SendCommand request (JSON-escaped, so never an undercount)."""
    return len(json.dumps(script).encode("utf-8"))


def fits(script, max_command_size=DOCUMENT_SIZE_LIMIT):
    return request_size(script) + DOCUMENT_OVERHEAD <= max_command_size


@dataclasses.dataclass(frozen=True)
class Frame:
    """What the header line says about the command's result, and the stdout bytes that followed it."""

    rc: int
    out_len: int
    out_sha: str
    err_len: int
    err_sha: str
    spool: str  # "-" when the output was printed inline
    spool_out_chars: int
    spool_err_chars: int
    inline: bytes
    home: str = ""  # $HOME of the user the command ran as, when the node reported it

    @property
    def spooled(self):
        return self.spool != "-"

    def matches(self, stdout, stderr):
        """True when stdout and stderr are exactly the bytes the node measured."""
        return (
            len(stdout) == self.out_len
            and sha256_hex(stdout) == self.out_sha
            and len(stderr) == self.err_len
            and sha256_hex(stderr) == self.err_sha
        )


def _token_match(pattern, output, token):
    """The match of ``pattern`` in ``output`` (a str from GetCommandInvocation or bytes from S3, searched as bytes), or
    None unless it carries ``token``."""
    if isinstance(output, str):
        output = output.encode("utf-8", "surrogateescape")
    match = pattern.search(output)
    if match is None or match.group("token").decode() != token:
        return None
    return match


def parse_frame(output, token):
    """The Frame at the start of ``output`` (str from GetCommandInvocation, or bytes from S3); None if absent."""
    match = _token_match(_HEADER, output, token)
    if match is None:
        return None
    spool = match.group("spool").decode()
    if spool != "-" and not _SPOOL_PATH.match(spool):
        return None
    try:
        home = base64.b64decode(match.group("home") or b"", validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        home = ""
    return Frame(
        int(match.group("rc")),
        int(match.group("ol")),
        match.group("os").decode(),
        int(match.group("el")),
        match.group("es").decode(),
        spool,
        int(match.group("ob")),
        int(match.group("eb")),
        match.string[match.end() :],
        home,
    )


def parse_missing(output, token):
    """The sha256s of cached standard input pieces the node lacks (the script ran nothing), else None."""
    match = _token_match(_MISSING, output, token)
    if match is None:
        return None
    return [sha for sha in match.group("shas").decode().split(",") if _SHA256.match(sha)]


def cache_chunk_command(token, sha, b64_chunk, first, last):
    """Append a chunk of a gzip-compressed piece to the node's cache; the last one checks its sha256 and installs it.

    Prints the partial file's size, or ``cached <sha256>`` after the last chunk.
    """
    lines = ["umask 077\n", f"C={CACHE_DIR}\n"]
    lines += _cache_append(sha, token, b64_chunk, first, last, "DAYEC_SSM_" + token)
    lines.append(f"echo cached {sha}\n" if last else """wc -c < "$C/%s.%s.gz" | tr -d ' '\n""" % (sha, token))
    return "".join(lines)


def spool_read_command(spool, offset, length, last):
    """Print ``length`` characters of the spool file from ``offset`` (multiples of READ_BLOCK); delete it last."""
    if offset % READ_BLOCK or (length % READ_BLOCK and not last):
        raise ValueError("spool reads go by whole blocks")
    if not _SPOOL_PATH.match(spool):
        raise ValueError(f"spool path {spool!r} is not a plain absolute path")
    path = shlex.quote(spool)
    blocks = -(-length // READ_BLOCK)
    command = f"dd if={path} bs={READ_BLOCK} skip={offset // READ_BLOCK} count={blocks} 2>/dev/null\n"
    if last:
        command += f"rm -f {path}\n"
    return command


def spool_cleanup_command(spool):
    if not _SPOOL_PATH.match(spool):
        raise ValueError(f"spool path {spool!r} is not a plain absolute path")
    return f"rm -f {shlex.quote(spool)}\n"


def split_spool(text, frame):
    """(stdout, stderr) from the spool's base64 text: gzip(stdout) and gzip(stderr), base64, concatenated."""
    out_b64 = text[: frame.spool_out_chars]
    err_b64 = text[frame.spool_out_chars : frame.spool_out_chars + frame.spool_err_chars]
    return decode_payload(out_b64), decode_payload(err_b64)


def stage_chunk_command(token, b64_chunk, first):
    """Append one chunk of base64 (a multiple of 4 characters) to the stage file; print the file's size."""
    if len(b64_chunk) % 4:
        raise ValueError("a stage chunk must be a whole number of base64 quanta")
    stage = stage_expression(token)
    head = f"umask 077\ns={stage}\n"
    if first:
        head += 'mkdir "$s" || exit 125\n'
    return (
        f'{head}base64 -d >> "$s/in.gz" {_heredoc("DAYEC_SSM_" + token, b64_chunk)}\n'
        """wc -c < "$s/in.gz" | tr -d ' '\n"""
    )


def stage_cleanup_command(token):
    return f"rm -rf {stage_expression(token)}\n"


def chunk_chars(room):
    """Base64 characters, in whole quanta, whose wrapped here-document takes at most ``room`` bytes of a request:
    lines of B64_LINE characters, each ending in a newline that JSON escapes as two bytes (nothing else in base64
    needs escaping)."""
    lines, rest = divmod(room, B64_LINE + 2)
    chars = lines * B64_LINE + max(0, rest - 2)
    return chars - chars % 4


def stage_chunk_size(max_command_size):
    """Base64 characters per stage command: what fits beside the command's fixed text, in whole quanta."""
    return max(4, chunk_chars(max_command_size - DOCUMENT_OVERHEAD - 1024))


def put_file_command(remote_path):
    """Write standard input to ``remote_path`` and print its sha256 (checked by the controller)."""
    path = shlex.quote(remote_path)
    return f"cat > {path} && sha256sum < {path} | cut -c1-64"


def fetch_file_command(remote_path):
    return f"cat < {shlex.quote(remote_path)}"


def output_keys(prefix, command_id, instance_id):
    """S3 keys of stdout/stderr for OutputS3KeyPrefix ``prefix`` (AWS's layout for AWS-RunShellScript)."""
    base = "/".join(part for part in (prefix.strip("/"), command_id, instance_id, "awsrunShellScript") if part)
    return f"{base}/0.awsrunShellScript/stdout", f"{base}/0.awsrunShellScript/stderr"


def retry_delay(attempt, base, cap=RETRY_CAP, jitter=random.random):
    """Full-jitter exponential back-off: a random time up to min(cap, base * 2**attempt)."""
    return jitter() * min(cap, base * (2**attempt))


def comment_for(purpose):
    return f"daylily.ephemeral_cluster.ssm {purpose}"[:COMMENT_LIMIT]


AGENT_CHECKS = (
    "that the instance is running, that its SSM agent (amazon-ssm-agent) is running, that its instance "
    "profile allows SSM (the AmazonSSMManagedInstanceCore policy), and that it reaches the SSM endpoints "
    "(through a NAT gateway, or VPC endpoints for ssm, ssmmessages and ec2messages)"
)


def unreachable_message(instance_id, region, refusal, information=None, lookup_error=None):
    """Why SSM will not run commands on ``instance_id`` and what to check, from its DescribeInstanceInformation entry
    (``information``: None when SSM does not list the instance; ``lookup_error`` when asking failed)."""
    where = f"SSM cannot run commands on {instance_id} in {region} ({refusal})"
    if lookup_error:
        return (
            f"{where}; its SSM ping status is unknown: {lookup_error} (allow ssm:DescribeInstanceInformation to "
            f"see it here). Check the instance id (ansible_ssm_instance_id), the region (ansible_ssm_region), "
            f"{AGENT_CHECKS}."
        )
    if information is None:
        return (
            f"{where}: it is not a managed instance of SSM in this region (DescribeInstanceInformation does not "
            f"list it). Check the instance id (ansible_ssm_instance_id) and the region (ansible_ssm_region); if "
            f"both are right, its agent never registered: check {AGENT_CHECKS}."
        )
    status = information.get("PingStatus") or "unknown"
    last_ping = information.get("LastPingDateTime")
    last_ping = last_ping.isoformat() if hasattr(last_ping, "isoformat") else last_ping or "never"
    agent = f", agent {information['AgentVersion']}" if information.get("AgentVersion") else ""
    found = f"{where}: its SSM agent is {status} (last ping {last_ping}{agent})"
    if status == "Online":
        return (
            f"{found}, so it may have come back just now: run the task again. If it fails the same way, check "
            "that the IAM policy of the user or role running Ansible allows ssm:SendCommand on this instance "
            f"(conditions on instance ids or tags), and {AGENT_CHECKS}."
        )
    return f"{found}. Check {AGENT_CHECKS}."


# --------------------------------------------------------------------------------------------------------------
# The runner
# --------------------------------------------------------------------------------------------------------------
#: The GetCommandInvocation schedule: the first poll POLL_INTERVAL seconds after SendCommand, each later wait
#: POLL_GROWTH times the one before, up to POLL_MAX_INTERVAL, so the polls come 1, 2.5, 4.75 and 7.75 s after the
#: send, then every 3 s. A module task rarely ends before the first poll (Python alone takes ~0.5 s to start on the
#: node), takes two polls when it ends within 2.5 s and three within 4.75 s; an ended command is noticed at most one
#: wait late: 1.5 s in the first 2.5 s, 2.25 s until 4.75 s, POLL_MAX_INTERVAL after that.
POLL_INTERVAL = 1.0
POLL_GROWTH = 1.5
POLL_MAX_INTERVAL = 3.0


def poll_times(poll_interval=POLL_INTERVAL, poll_max_interval=POLL_MAX_INTERVAL, count=5):
    """When the first ``count`` polls come, in seconds after SendCommand (the schedule :meth:`SSMCommandRunner._wait`
    follows)."""
    times, elapsed, interval = [], 0.0, poll_interval
    for _poll in range(count):
        elapsed += interval
        times.append(elapsed)
        interval = min(interval * POLL_GROWTH, poll_max_interval)
    return times


@dataclasses.dataclass
class SSMSettings:
    """How commands reach one managed instance (the connection plugin's options)."""

    instance_id: str
    run_as: str = DEFAULT_RUN_AS
    bucket: str = ""
    bucket_prefix: str = DEFAULT_BUCKET_PREFIX
    sse_mode: str = ""
    sse_kms_key_id: str = ""
    command_timeout: int = 3600
    delivery_timeout: int = 60
    poll_interval: float = POLL_INTERVAL
    poll_max_interval: float = POLL_MAX_INTERVAL
    retries: int = 10
    retry_delay: float = 1.0
    max_command_size: int = DOCUMENT_SIZE_LIMIT
    defer_housekeeping: bool = True

    def validate(self):
        """Reject bad settings before any AWS call."""
        if not is_instance_id(self.instance_id):
            raise SSMError(
                f"{self.instance_id!r} is not an EC2 instance id (i-<8 or 17 hex>) or managed instance id "
                "(mi-<17 hex>); set ansible_ssm_instance_id, or ansible_host, to the headnode's id"
            )
        try:
            self.run_as = check_run_as(self.run_as)
        except ValueError as exc:
            raise SSMError(str(exc)) from None
        if not 1 <= self.command_timeout <= MAX_EXECUTION_TIMEOUT:
            raise SSMError(
                f"command_timeout must be from 1 to {MAX_EXECUTION_TIMEOUT} seconds "
                "(AWS-RunShellScript executionTimeout)"
            )
        if self.delivery_timeout < 1 or self.poll_interval <= 0 or self.poll_max_interval <= 0:
            raise SSMError("delivery_timeout, poll_interval and poll_max_interval must be positive")
        if self.retries < 0 or self.retry_delay < 0:
            raise SSMError("retries and retry_delay must be zero or positive")
        if self.max_command_size < 2 * DOCUMENT_OVERHEAD:
            raise SSMError(f"max_command_size must be at least {2 * DOCUMENT_OVERHEAD} bytes")
        self.bucket_prefix = normalize_prefix(self.bucket_prefix)
        return self


@dataclasses.dataclass
class CommandResult:
    rc: int
    stdout: bytes
    stderr: bytes
    command_id: str
    how: str = "inline"  # how the output came back: inline, s3 or spool


def _error_code(exc):
    error = exc.response.get("Error", {}) if hasattr(exc, "response") else {}
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) if hasattr(exc, "response") else 0
    return error.get("Code", "Unknown"), error.get("Message", str(exc)), status or 0


@dataclasses.dataclass
class _Fill:
    """A piece of standard input on its way into the node's cache: its partial file's token, encode_payload(piece)
    and how many of those characters the node holds."""

    token: str
    encoded: str
    offset: int = 0


class SSMCommandRunner:
    """Runs commands and moves files on one managed instance over SSM Run Command (see the module docstring)."""

    def __init__(
        self,
        ssm,
        settings,
        s3=None,
        log=None,
        sleep=time.sleep,
        clock=time.monotonic,
        token_factory=None,
        jitter=random.random,
    ):
        self.ssm = ssm
        self.s3 = s3
        self.settings = settings.validate()
        if settings.bucket and s3 is None:
            raise SSMError("bucket_name is set but no S3 client was given")
        self.log = log or (lambda message: None)
        self.sleep, self.clock, self.jitter = sleep, clock, jitter
        self.token_factory = token_factory or new_token
        self.sent = []  # (purpose, command id) of every SendCommand, for logs and tests
        self.home = ""  # $HOME of run_as on the node, from the latest frame (answers Ansible's "echo ~")
        self.queue = HousekeepingQueue()
        self.queued_files = {}  # prelude file name -> (kind, value, S3 key to delete or None)
        self.files_queued = 0
        self.answered = []  # housekeeping commands answered without a SendCommand, for logs and tests
        self.node_has = set()  # sha256s of standard input pieces the node's cache is known to hold
        self.riding_room = 0  # base64 characters of a cache chunk that fit in the latest command with pieces

    # -- AWS calls ---------------------------------------------------------------------------------------------
    def _call(self, operation, method, repeatable, **params):
        """One AWS call with bounded full-jitter retries on throttling (and, if repeatable, on 5xx)."""
        attempt = 0
        while True:
            try:
                return method(**params)
            except botocore.exceptions.ClientError as exc:
                code, message, status = _error_code(exc)
                retry = code in THROTTLE_CODES or (repeatable and (code in TRANSIENT_CODES or status >= 500))
                if not retry or attempt >= self.settings.retries:
                    raise SSMAPIError(operation, code, message, attempt) from exc
            except (botocore.exceptions.EndpointConnectionError, botocore.exceptions.ConnectTimeoutError) as exc:
                # The request never left: safe to repeat whatever the operation.
                if attempt >= self.settings.retries:
                    raise SSMAPIError(operation, type(exc).__name__, str(exc), attempt) from exc
            except (botocore.exceptions.ReadTimeoutError, botocore.exceptions.ConnectionClosedError) as exc:
                if not repeatable or attempt >= self.settings.retries:
                    raise SSMAPIError(operation, type(exc).__name__, str(exc), attempt) from exc
            delay = retry_delay(attempt, self.settings.retry_delay, jitter=self.jitter)
            self.log(f"{operation}: retry {attempt + 1} of {self.settings.retries} in {delay:.2f}s")
            self.sleep(delay)
            attempt += 1

    def _send(self, script, purpose, capture_output_in_s3=False):
        settings = self.settings
        params = {
            "InstanceIds": [settings.instance_id],
            "DocumentName": DOCUMENT_NAME,
            "Comment": comment_for(purpose),
            "TimeoutSeconds": max(MIN_DELIVERY_TIMEOUT, settings.delivery_timeout),
            "Parameters": {"commands": [script], "executionTimeout": [str(settings.command_timeout)]},
        }
        if capture_output_in_s3:
            params["OutputS3BucketName"] = settings.bucket
            params["OutputS3KeyPrefix"] = self._output_prefix()
        try:
            command = self._call("SendCommand", self.ssm.send_command, False, **params)["Command"]
        except SSMAPIError as exc:
            if exc.code == "InvalidInstanceId":  # not a managed instance here, or its agent is not Online
                raise self._unreachable(f"SendCommand: {exc.code}") from exc
            raise
        self.sent.append((purpose, command["CommandId"]))
        self.log(f"SendCommand {command['CommandId']} ({purpose}, {request_size(script)} bytes)")
        return command["CommandId"]

    def _wait(self, command_id):
        """Poll GetCommandInvocation until the invocation ends; returns it."""
        settings = self.settings
        start = self.clock()
        deadline = start + settings.delivery_timeout + settings.command_timeout + WAIT_GRACE
        interval = settings.poll_interval
        while True:
            self.sleep(interval)
            interval = min(interval * POLL_GROWTH, settings.poll_max_interval)
            try:
                invocation = self._call(
                    "GetCommandInvocation",
                    self.ssm.get_command_invocation,
                    True,
                    CommandId=command_id,
                    InstanceId=settings.instance_id,
                )
            except SSMAPIError as exc:
                # Right after SendCommand the invocation may not exist yet: wait for it, up to the delivery timeout.
                if exc.code != "InvocationDoesNotExist" or self.clock() - start > settings.delivery_timeout:
                    raise
                continue
            status = invocation.get("Status")
            if status not in PENDING_STATUSES:
                return invocation
            if self.clock() > deadline:
                self._cancel(command_id)
                raise SSMTimeoutError(
                    f"command {command_id} is still {status} after "
                    f"{settings.delivery_timeout + settings.command_timeout + WAIT_GRACE:.0f}s; "
                    "it was cancelled. Raise command_timeout if the work needs longer."
                )

    def _best_effort(self, operation, method, failure, **params):
        """``_call`` a repeatable operation whose failure is logged (``failure: <error>``), not raised."""
        try:
            self._call(operation, method, True, **params)
        except SSMError as exc:
            self.log(f"{failure}: {exc}")

    def _cancel(self, command_id):
        self._best_effort(
            "CancelCommand",
            self.ssm.cancel_command,
            f"CancelCommand {command_id} failed",
            CommandId=command_id,
            InstanceIds=[self.settings.instance_id],
        )

    def _finished(self, invocation, command_id):
        """Raise unless the invocation ran to completion (Success, or Failed with an exit code)."""
        status = invocation.get("Status")
        if status in COMPLETED_STATUSES:
            return
        details = invocation.get("StatusDetails", "")
        if status == "TimedOut" and details == "DeliveryTimedOut":
            raise self._unreachable(f"command {command_id} was not delivered within {self.settings.delivery_timeout}s")
        if status == "TimedOut":
            raise SSMTimeoutError(
                f"command {command_id} ran longer than command_timeout "
                f"({self.settings.command_timeout}s) and was stopped"
            )
        raise SSMError(f"command {command_id} ended {status} ({details}) on {self.settings.instance_id}")

    def agent_information(self):
        """The instance's DescribeInstanceInformation entry (ping status, last ping...), None when SSM does not list
        it."""
        response = self._call(
            "DescribeInstanceInformation",
            self.ssm.describe_instance_information,
            True,
            Filters=[{"Key": "InstanceIds", "Values": [self.settings.instance_id]}],
        )
        found = response.get("InstanceInformationList") or []
        return found[0] if found else None

    def _unreachable(self, refusal):
        """SSMUnreachableError for a command SSM refused or never delivered, saying what SSM reports of the agent."""
        information = lookup_error = None
        try:
            information = self.agent_information()
        except SSMError as exc:
            lookup_error = str(exc)
        return SSMUnreachableError(
            unreachable_message(
                self.settings.instance_id, self.ssm.meta.region_name, refusal, information, lookup_error
            )
        )

    def _raw(self, script, purpose):
        """An internal command (no wrapper, agent's user): its stdout; raises unless it exited 0."""
        command_id = self._send(script, purpose)
        invocation = self._wait(command_id)
        self._finished(invocation, command_id)
        if invocation.get("Status") != "Success":
            raise SSMError(
                f"{purpose} command {command_id} failed with exit code {invocation.get('ResponseCode')}: "
                f"{invocation.get('StandardErrorContent', '').strip()}"
            )
        return invocation.get("StandardOutputContent", "")

    # -- S3 ----------------------------------------------------------------------------------------------------
    def _output_prefix(self):
        return f"{self.settings.bucket_prefix}{self.settings.instance_id}/output"

    def _transfer_key(self, token):
        return f"{self.settings.bucket_prefix}{self.settings.instance_id}/transfer/{token}"

    def _upload(self, token, data=None, path=None):
        """Put standard input in the bucket; returns (key, presigned GET URL).

        The S3 client should sign with SigV4 (``signature_version="s3v4"``): KMS-encrypted objects need it.
        """
        settings = self.settings
        key = self._transfer_key(token)
        extra = {}
        if settings.sse_mode:
            extra["ServerSideEncryption"] = settings.sse_mode
            if settings.sse_mode == "aws:kms" and settings.sse_kms_key_id:
                extra["SSEKMSKeyId"] = settings.sse_kms_key_id
        if path is not None:
            with open(path, "rb") as body:
                self._call("PutObject", self.s3.put_object, True, Bucket=settings.bucket, Key=key, Body=body, **extra)
        else:
            self._call("PutObject", self.s3.put_object, True, Bucket=settings.bucket, Key=key, Body=data, **extra)
        url = self.s3.generate_presigned_url(
            "get_object",
            Params={"Bucket": settings.bucket, "Key": key},
            ExpiresIn=max(MIN_DELIVERY_TIMEOUT, settings.delivery_timeout) + PRESIGN_MARGIN,
        )
        self.log(f"PutObject s3://{settings.bucket}/{key}")
        return key, url

    def _delete(self, keys):
        """Best effort: transfers and command output may hold secrets, so they do not stay in the bucket."""
        self._best_effort(
            "DeleteObjects",
            self.s3.delete_objects,
            f"could not delete {keys} from s3://{self.settings.bucket}",
            Bucket=self.settings.bucket,
            Delete={"Objects": [{"Key": key} for key in keys], "Quiet": True},
        )

    def _get(self, key, missing_ok=False):
        try:
            response = self._call("GetObject", self.s3.get_object, True, Bucket=self.settings.bucket, Key=key)
        except SSMAPIError as exc:
            if missing_ok and exc.code in ("NoSuchKey", "404"):
                return b""
            raise
        return response["Body"].read()

    # -- standard input and output ----------------------------------------------------------------------------
    def _stage(self, encoded, token):
        """Append base64 standard input to a file on the node, one command per chunk (no bucket configured)."""
        size = stage_chunk_size(self.settings.max_command_size)
        chunks = [encoded[i : i + size] for i in range(0, len(encoded), size)]
        self.log(
            f"staging {len(encoded)} characters of standard input in {len(chunks)} commands; "
            "set bucket_name to move large payloads through S3 in one"
        )
        expected = 0
        try:
            for number, chunk in enumerate(chunks):
                expected += len(base64.b64decode(chunk))
                reported = self._raw(stage_chunk_command(token, chunk, number == 0), "stage").strip()
                if reported != str(expected):
                    raise SSMOutputError(
                        f"staging standard input: the node holds {reported or 'nothing'} bytes, expected {expected}"
                    )
        except SSMError:
            self._raw_best_effort(stage_cleanup_command(token), "cleanup")
            raise
        return stage_expression(token)

    def _raw_best_effort(self, script, purpose):
        try:
            self._raw(script, purpose)
        except SSMError as exc:
            self.log(f"{purpose} failed: {exc}")

    def _read_spool(self, frame):
        """The output the node spooled (it was too large, or not UTF-8, to print inline)."""
        total = frame.spool_out_chars + frame.spool_err_chars
        parts = []
        offset = 0
        try:
            while offset < total or not parts:
                length = min(READ_CHUNK, total - offset)
                last = offset + length >= total
                text = self._raw(spool_read_command(frame.spool, offset, length, last), "read output")
                if len(text) != length:
                    raise SSMOutputError(
                        f"reading spooled output {frame.spool}: got {len(text)} characters at "
                        f"offset {offset}, expected {length}"
                    )
                parts.append(text)
                offset += length
        except SSMError:
            self._raw_best_effort(spool_cleanup_command(frame.spool), "cleanup")
            raise
        stdout, stderr = split_spool("".join(parts), frame)
        if not frame.matches(stdout, stderr):
            raise SSMOutputError(f"spooled output {frame.spool} does not match the sizes and sha256 the node reported")
        return stdout, stderr

    def _read_s3_output(self, command_id, token):
        """The full output the agent wrote to the bucket (OutputS3BucketName)."""
        out_key, err_key = output_keys(self._output_prefix(), command_id, self.settings.instance_id)
        try:
            framed = self._get(out_key)
        except SSMAPIError as exc:
            raise SSMOutputError(
                f"the output of command {command_id} was cut at {STDOUT_LIMIT} characters and "
                f"s3://{self.settings.bucket}/{out_key} cannot be read ({exc}); the instance "
                "profile needs s3:PutObject on the bucket"
            ) from exc
        frame = parse_frame(framed, token)
        stderr = self._get(err_key, missing_ok=True)
        if frame is None or not frame.matches(frame.inline, stderr):
            raise SSMOutputError(
                f"the output of command {command_id} in s3://{self.settings.bucket}/{out_key} does "
                "not match the sizes and sha256 the node reported"
            )
        return frame, frame.inline, stderr

    # -- public API --------------------------------------------------------------------------------------------
    def run(self, command, stdin=None, purpose="exec", stdin_path=None):
        """Run ``command`` (bytes or str) with optional standard input (bytes, or a local file ``stdin_path``).

        One SendCommand when everything fits, or when large lines of standard input are already cached on the node;
        a first use of a cached piece costs the commands that carry it there, the first and last chunks riding in
        the command itself (see :meth:`_continue_fills`). Queued housekeeping (see :meth:`execute`) runs first, in the same SendCommand.
        """
        settings = self.settings
        if (
            stdin is None
            and stdin_path is not None
            and os.path.getsize(stdin_path) <= INLINE_CANDIDATE_RATIO * settings.max_command_size
        ):
            with open(stdin_path, "rb") as handle:
                stdin, stdin_path = handle.read(), None
        return self._run_with(command, stdin, purpose, stdin_path, self._take_prelude(command))

    def _run_with(self, command, stdin, purpose, stdin_path, prelude):
        settings = self.settings
        fills = {}  # sha256 -> _Fill of pieces being put in the node's cache by this call
        rounds = 0
        while True:
            token = self.token_factory()
            source, cleanup_key, cached = self._stdin_source(command, token, stdin, stdin_path, prelude, fills)
            script = build_wrapper(command, token, settings.run_as, spool=not settings.bucket, **source, **prelude)
            if not fits(script, settings.max_command_size):
                self._release_files()
                raise SSMError(
                    f"the command is {request_size(script)} bytes once wrapped, above max_command_size "
                    f"({settings.max_command_size}); pass large data as a file (copy) instead"
                )
            command_id = None
            missing = None
            try:
                command_id = self._send(script, purpose, capture_output_in_s3=bool(settings.bucket))
                invocation = self._wait(command_id)
                self._finished(invocation, command_id)
                missing = parse_missing(invocation.get("StandardOutputContent", ""), token)
                if missing is None:
                    self.node_has.update(cached)
                    return self._collect(invocation, command_id, token)
            finally:
                # One DeleteObjects for the uploaded input, the deferred files once used, and the output the agent
                # wrote (all may hold secrets).
                keys = [cleanup_key] if cleanup_key else []
                if missing is None:
                    keys += self._release_files(delete=False)
                if settings.bucket and command_id:
                    keys += output_keys(self._output_prefix(), command_id, settings.instance_id)
                if keys:
                    self._delete(keys)
            rounds += 1
            self._continue_fills(missing, cached, fills, source.get("stdin_pieces", ()), rounds)

    def _take_prelude(self, command):
        """build_wrapper arguments for the queued housekeeping, emptying the queue ({} when nothing is queued).

        When the queue would crowd the command out of max_command_size it is sent alone first (one more command).
        """
        steps = self.queue.take()
        if not steps:
            return {}
        names = {step.source for step in steps if hasattr(step, "source")}
        prelude = {
            "prelude": prelude_script(steps),
            "prelude_files": [
                (name, kind, value) for name, (kind, value, key) in self.queued_files.items() if name in names
            ],
        }
        size = request_size(build_wrapper(command, "0" * 32, self.settings.run_as, **prelude))
        if size + DOCUMENT_OVERHEAD <= self.settings.max_command_size // 2:
            return prelude
        self.log(f"{len(steps)} queued housekeeping steps take {size} bytes: sending them on their own")
        result = self._run_with(b":", None, "housekeeping", None, prelude)
        if result.rc != 0:
            raise SSMCommandFailed(
                f"deferred housekeeping failed on the node: {result.stderr.decode('utf-8', 'replace').strip()}",
                result.rc,
                result.stderr,
            )
        return {}

    def _release_files(self, delete=True):
        """Forget deferred files no queued step needs; returns (or, with ``delete``, deletes) their S3 keys."""
        needed = {step.source for step in self.queue.steps if hasattr(step, "source")}
        keys = [key for name, (kind, value, key) in self.queued_files.items() if name not in needed and key]
        self.queued_files = {name: entry for name, entry in self.queued_files.items() if name in needed}
        if delete and keys:
            self._delete(keys)
        return keys

    def execute(self, command, stdin=None):
        """Run a command for Ansible: with ``defer_housekeeping``, Ansible's own housekeeping commands (``echo ~``,
        the temporary directory's mkdir, chmod, rm) are answered here and what they change is queued for the next
        command (see ssm_housekeeping); anything else runs, carrying the queue."""
        if stdin is None and self.settings.defer_housekeeping:
            step = recognize(command)
            answer = self.queue.answer(step, self.home) if step else None
            if answer is not None:
                self._release_files()
                self.answered.append(step.kind)
                self.log(f"answered {step.kind} without a command ({len(self.queue.steps)} steps queued)")
                return CommandResult(answer[0], answer[1], b"", "", "answered")
        return self.run(command, stdin=stdin)

    def flush(self):
        """Run whatever is still queued (one command); None when nothing is."""
        if not self.queue:
            self._release_files()
            return None
        return self.run(b":", purpose="housekeeping")

    def _continue_fills(self, missing, cached, fills, sent_pieces, rounds):
        """After the node reported ``missing`` pieces: account for the chunks that rode in the command, then send
        all but the last chunk of the first missing piece (the last rides in the next attempt) and every chunk of
        any other."""
        rode = {value.sha: value for kind, value in sent_pieces if kind == "fill"}
        if rounds > 3 or not missing or any(sha not in cached or (sha in rode and rode[sha].last) for sha in missing):
            raise SSMOutputError(f"the node still lacks cached standard input {missing} after caching it")
        for sha in [sha for sha in fills if sha not in missing]:
            del fills[sha]  # the node had it: the chunk that rode along was ignored
        for number, sha in enumerate(missing):
            fill = fills.get(sha)
            if fill is None:
                fill = fills[sha] = _Fill(self.token_factory(), encode_payload(cached[sha]))
            if sha in rode:
                fill.offset += len(rode[sha].chunk)
            keep = self.riding_room if number == 0 else 0
            self._send_chunks(sha, fill, max(fill.offset, len(fill.encoded) - keep))
            if fill.offset == len(fill.encoded):
                del fills[sha]

    def _send_chunks(self, sha, fill, upto):
        """Append ``fill.encoded[fill.offset:upto]`` to the piece's partial file on the node, one command per chunk;
        the node's size report is checked after each, and the piece is installed when ``upto`` is its end."""
        size = stage_chunk_size(self.settings.max_command_size)
        if fill.offset < upto:
            self.log(f"caching {upto - fill.offset} characters of a piece of standard input on the node")
        while fill.offset < upto:
            chunk = fill.encoded[fill.offset : min(upto, fill.offset + size)]
            first, last = fill.offset == 0, fill.offset + len(chunk) == len(fill.encoded)
            reported = self._raw(cache_chunk_command(fill.token, sha, chunk, first, last), "cache").strip()
            fill.offset += len(chunk)
            expected = f"cached {sha}" if last else str(len(base64.b64decode(fill.encoded[: fill.offset])))
            if reported != expected:
                raise SSMOutputError(
                    f"caching standard input on the node: it reported {reported or 'nothing'}, expected {expected}"
                )

    def _piece_plan(self, command, token, pieces, cached, fills, build):
        """The stdin_pieces for ``pieces`` (None when even without any chunk they do not fit): one piece may carry a
        chunk, the last one of a piece being filled, else the first chunk of a piece the node is not known to have
        (ignored by a node that has it)."""
        plan = [
            ("cached", sha256_hex(value)) if kind == "cached" else ("inline", encode_payload(value))
            for kind, value in pieces
        ]
        size = request_size(build(plan))
        if size + DOCUMENT_OVERHEAD > self.settings.max_command_size:
            return None
        room = chunk_chars(self.settings.max_command_size - DOCUMENT_OVERHEAD - size - FILL_LINES_ROOM)
        self.riding_room = room if room >= MIN_RIDING_CHUNK else 0
        rider = next(iter(fills), None) or next((sha for sha in cached if sha not in self.node_has), None)
        if rider is None or room < MIN_RIDING_CHUNK:
            return plan
        fill = fills.get(rider)
        if fill is None:  # a first chunk, on speculation; kept so a "missing" answer continues from it
            fill = fills[rider] = _Fill(self.token_factory(), encode_payload(cached[rider]))
        remaining = fill.encoded[fill.offset :]
        if len(remaining) > room and fill.offset:
            return plan  # the last chunk did not fit after all: the node reports the piece missing once more
        chunk = CacheFill(rider, fill.token, remaining[:room], first=fill.offset == 0, last=len(remaining) <= room)
        return [("fill", chunk) if kind == "cached" and value == rider else (kind, value) for kind, value in plan]

    def _stdin_source(self, command, token, stdin, stdin_path, prelude=None, fills=None):
        """Where standard input comes from; returns (build_wrapper kwargs, S3 key to delete, {sha256: cached piece}).

        Inline when it fits; else S3 with a bucket; else large lines from the node's cache with the rest inline;
        else a stage file written by several commands.
        """
        settings = self.settings
        if stdin is None and stdin_path is None:
            return {}, None, {}
        spool = not settings.bucket
        prelude = prelude or {}
        if stdin is not None:
            encoded = encode_payload(stdin)
            if fits(
                build_wrapper(command, token, settings.run_as, stdin_b64=encoded, spool=spool, **prelude),
                settings.max_command_size,
            ):
                return {"stdin_b64": encoded}, None, {}
            # With a bucket, large input goes through S3 in the same single command; without one, through the cache.
            pieces = [] if settings.bucket else segment_payload(stdin)
            cached = {sha256_hex(value): value for kind, value in pieces if kind == "cached"}
            if cached:
                plan = self._piece_plan(
                    command,
                    token,
                    pieces,
                    cached,
                    {} if fills is None else fills,
                    lambda plan: build_wrapper(
                        command, token, settings.run_as, stdin_pieces=plan, spool=spool, **prelude
                    ),
                )
                if plan is not None:
                    return {"stdin_pieces": plan}, None, cached
        if settings.bucket:
            key, url = self._upload(token, data=stdin, path=stdin_path)
            return {"stdin_url": url}, key, {}
        if stdin is None:
            with open(stdin_path, "rb") as handle:
                stdin = handle.read()
        return {"stdin_stage": self._stage(encode_payload(stdin), token)}, None, {}

    def _collect(self, invocation, command_id, token):
        frame = parse_frame(invocation.get("StandardOutputContent", ""), token)
        if frame is None:
            raise SSMError(
                f"command {command_id} ended {invocation.get('Status')} with exit code "
                f"{invocation.get('ResponseCode')} before reporting a result: "
                f"{invocation.get('StandardErrorContent', '').strip() or 'no error output'}"
            )
        self.home = frame.home or self.home
        if frame.spooled:
            stdout, stderr = self._read_spool(frame)
            return CommandResult(frame.rc, stdout, stderr, command_id, "spool")
        stdout = frame.inline
        stderr = invocation.get("StandardErrorContent", "").encode("utf-8", "surrogateescape")
        if frame.matches(stdout, stderr):
            return CommandResult(frame.rc, stdout, stderr, command_id)
        if not self.settings.bucket:
            raise SSMOutputError(
                f"the output of command {command_id} arrived altered or cut ({len(stdout)} of "
                f"{frame.out_len} stdout bytes); set bucket_name so the full output goes to S3"
            )
        self.log(f"output of {command_id} was cut or altered in GetCommandInvocation; reading it from S3")
        frame, stdout, stderr = self._read_s3_output(command_id, token)
        return CommandResult(frame.rc, stdout, stderr, command_id, "s3")

    def put_file(self, local_path, remote_path):
        """Copy a local file to ``remote_path`` (written by run_as); the node's sha256 must match.

        A file for Ansible's temporary directory waits for the next command when it can travel with it (through the
        bucket, or inline when small); the node checks its sha256 then. Returns None in that case.
        """
        with open(local_path, "rb") as handle:
            digest = hashlib.sha256()
            for block in iter(lambda: handle.read(1024 * 1024), b""):
                digest.update(block)
        if self.settings.defer_housekeeping and self.queue.holds(remote_path):
            source = self._deferred_source(local_path)
            if source is not None:
                self.files_queued += 1
                name = f"f{self.files_queued}"
                self.queued_files[name] = source
                self.queue.add_put(remote_path, name, digest.hexdigest())
                self.log(f"transfer of {remote_path} queued for the next command")
                return None
        result = self.run(put_file_command(remote_path), purpose="put_file", stdin_path=local_path)
        if result.rc != 0:
            raise SSMCommandFailed(
                f"failed to write {remote_path} (exit code {result.rc}): "
                f"{result.stderr.decode('utf-8', 'replace').strip()}",
                result.rc,
                result.stderr,
            )
        reported = result.stdout.decode("ascii", "replace").strip()
        if reported != digest.hexdigest():
            raise SSMOutputError(
                f"{remote_path} on the node has sha256 {reported}, the local file {digest.hexdigest()}"
            )
        return result

    def _deferred_source(self, local_path):
        """(kind, value, S3 key) for a file that waits for the next command, or None when it must go now."""
        if self.settings.bucket:
            key, url = self._upload(self.token_factory(), path=local_path)
            return "url", url, key
        if os.path.getsize(local_path) > INLINE_CANDIDATE_RATIO * DEFERRED_INLINE_LIMIT:
            return None
        with open(local_path, "rb") as handle:
            encoded = encode_payload(handle.read())
        return ("b64", encoded, None) if len(encoded) <= DEFERRED_INLINE_LIMIT else None

    def fetch(self, remote_path):
        """The bytes of ``remote_path`` on the node (read by run_as)."""
        result = self.run(fetch_file_command(remote_path), purpose="fetch_file")
        if result.rc != 0:
            raise SSMCommandFailed(
                f"failed to read {remote_path} (exit code {result.rc}): "
                f"{result.stderr.decode('utf-8', 'replace').strip()}",
                result.rc,
                result.stderr,
            )
        return result.stdout
