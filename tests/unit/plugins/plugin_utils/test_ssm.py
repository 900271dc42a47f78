"""Unit tests for plugins/plugin_utils/ssm.py: the shell wrapper (run for real with /bin/sh), framing, chunking,
and SSMCommandRunner against botocore Stubber (every request validated against the SSM and S3 API models).

Invariant 14 (dayec_domain.md §12): remote work uses SSM Run Command only, as ubuntu in a bash login shell,
base64-guarded.
"""

import base64
import datetime
import gzip
import hashlib
import io
import json
import os
import shlex
import subprocess
import uuid

import boto3
import pytest
from botocore.config import Config
from botocore.response import StreamingBody
from botocore.stub import ANY
from botocore.stub import Stubber

from ansible_collections.daylily.ephemeral_cluster.plugins.plugin_utils import ssm

INSTANCE = "i-0123456789abcdef0"
REGION = "us-west-2"
BUCKET = "dayec-transfer"
TORTURE = (
    "it's \"double\" and 'single' $(echo no) `echo no` $HOME \\ \\n \\\\ trailing\\\n"
    "second line\ttab ünïcødé ✓ 中文 %s %% ' \" ;|&<>*?!#~ end"
).encode()
TOKENS = [f"{n:032x}" for n in range(1, 100)]


# --------------------------------------------------------------------------------------------------------------
# Running the generated scripts locally (dash, like the agent's /bin/sh on Ubuntu)
# --------------------------------------------------------------------------------------------------------------
@pytest.fixture
def node(tmp_path):
    """A fake node: HOME and TMPDIR in tmp_path; `sh` runs a script there like the SSM agent does."""
    home = tmp_path / "home"
    home.mkdir()
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = dict(os.environ, HOME=str(home), TMPDIR=str(tmp))

    def run(script, extra_path=None):
        environment = dict(env)
        if extra_path:
            environment["PATH"] = f"{extra_path}:{environment['PATH']}"
        process = subprocess.run(["sh", "-c", script], capture_output=True, env=environment, cwd=home, check=False)
        return process.returncode, process.stdout, process.stderr

    run.home, run.tmp = home, tmp
    return run


def write_shims(tmp_path, **scripts):
    """Stand-ins for commands the node lacks (``name=body``, run by sh) in one directory; its path, for extra_path."""
    shims = tmp_path / "shims"
    shims.mkdir()
    for name, body in scripts.items():
        (shims / name).write_text("#!/bin/sh\n" + body)
        (shims / name).chmod(0o755)
    return shims


def execute(node, command, token=TOKENS[0], **kwargs):
    """Run build_wrapper(command) on the fake node; return (Frame, stdout after the header, stderr)."""
    code, stdout, stderr = node(ssm.build_wrapper(command, token, run_as=kwargs.pop("run_as", ""), **kwargs))
    assert code == 0, stderr
    frame = ssm.parse_frame(stdout, token)
    assert frame is not None, stdout
    return frame, stdout, stderr


def read_spool(node, frame):
    """Read a spooled output back the way the runner does, chunk by chunk."""
    total = frame.spool_out_chars + frame.spool_err_chars
    text = ""
    offset = 0
    while offset < total:
        length = min(ssm.READ_CHUNK, total - offset)
        code, chunk, stderr = node(ssm.spool_read_command(frame.spool, offset, length, offset + length >= total))
        assert code == 0, stderr
        text += chunk.decode()
        offset += length
    return ssm.split_spool(text, frame)


def test_quoting_torture_round_trips_byte_for_byte(node):
    frame, stdout, stderr = execute(node, b"printf '%s' " + shlex.quote(TORTURE.decode()).encode())
    assert frame.rc == 0 and frame.inline == TORTURE and stderr == b""
    assert frame.matches(frame.inline, stderr)


def test_the_command_is_base64_inside_a_quoted_heredoc(node):
    script = ssm.build_wrapper(TORTURE, TOKENS[0], run_as="")
    # Nothing of the command appears as shell text: only its base64 between the heredoc delimiters.
    assert b"echo no" not in script.encode() and "$(echo no)" not in script
    body = script.split(f"<<'DAYEC_SSM_{TOKENS[0]}' || fail \"cannot decode the command\"\n", 1)[1]
    encoded = body.split(f"\nDAYEC_SSM_{TOKENS[0]}\n", 1)[0]
    assert base64.b64decode(encoded.replace("\n", "")) == TORTURE


def test_exit_code_and_stderr_are_kept_apart(node):
    frame, stdout, stderr = execute(node, "echo out; echo err >&2; exit 7")
    assert (frame.rc, frame.inline, stderr) == (7, b"out\n", b"err\n")
    assert frame.matches(frame.inline, stderr)


def test_exit_code_137_is_reported_and_the_script_itself_succeeds(node):
    # The agent would turn a script exit code of 137 into TimedOut; the command's 137 travels in the header instead.
    frame, stdout, stderr = execute(node, "exit 137")
    assert frame.rc == 137


def test_standard_input_is_fed_to_the_command(node):
    data = bytes(range(256)) * 3 + TORTURE
    frame, stdout, stderr = execute(node, "sha256sum | cut -c1-64", stdin_b64=ssm.encode_payload(data))
    assert frame.inline.decode().strip() == hashlib.sha256(data).hexdigest()


def test_login_shell_noise_does_not_reach_the_output(node):
    (node.home / ".bash_profile").write_text("echo profile noise\necho more noise >&2\n")
    frame, stdout, stderr = execute(node, "echo clean")
    assert frame.inline == b"clean\n" and stderr == b""


def test_runs_in_home_with_the_login_shell(node):
    frame, stdout, stderr = execute(node, 'pwd; echo "$HOME"; shopt -q login_shell && echo login || echo not-login')
    lines = frame.inline.decode().split()
    assert lines[0] == str(node.home) and lines[1] == str(node.home)


def test_run_as_wraps_the_command_in_sudo_login_shell(node, tmp_path):
    script = ssm.build_wrapper("id -un", TOKENS[0], run_as="ubuntu")
    assert "sudo -iu ubuntu bash -l" in script
    assert 'chown -R ubuntu "$d"' in script
    assert "as ubuntu in a bash login shell (sudo -iu ubuntu bash -l)" in script
    # Run it with shims for sudo and chown (no sudo here): sudo -iu USER CMD... -> CMD..., recording its arguments.
    shims = write_shims(
        tmp_path,
        sudo='echo "$@" > "$TMPDIR/sudo.args"\n[ "$1" = -iu ] && shift 2\nexec "$@"\n',
        chown='echo "$@" > "$TMPDIR/chown.args"\n',
    )
    code, stdout, stderr = node(script, extra_path=shims)
    assert code == 0, stderr
    assert ssm.parse_frame(stdout, TOKENS[0]).rc == 0
    assert (node.tmp / "sudo.args").read_text().startswith("-iu ubuntu bash -l ")
    assert (node.tmp / "chown.args").read_text().startswith("-R ubuntu ")


def test_run_as_empty_means_no_sudo():
    script = ssm.build_wrapper("id -un", TOKENS[0], run_as="")
    assert "sudo" not in script and "chown" not in script
    assert 'bash -l "$d/run" "$d"' in script


@pytest.mark.parametrize("user", ["root;rm -rf /", "Ubuntu", "a b", "$(id)", "x" * 40])
def test_bad_run_as_is_refused(user):
    with pytest.raises(ValueError):
        ssm.build_wrapper("true", TOKENS[0], run_as=user)


def test_a_failing_launch_reports_the_shell_error(node, tmp_path):
    shims = write_shims(tmp_path, sudo='echo "sudo: unknown user nobody2" >&2\nexit 1\n', chown="")
    code, stdout, stderr = node(ssm.build_wrapper("true", TOKENS[0], run_as="nobody2"), extra_path=shims)
    frame = ssm.parse_frame(stdout, TOKENS[0])
    assert code == 0 and frame.rc == 1 and frame.out_len == 0
    assert frame.err_len == len(b"sudo: unknown user nobody2\n")


def test_output_past_the_budget_is_spooled_and_read_back_whole(node):
    text = os.urandom(40000).hex().encode()  # 80,000 characters, little to compress
    frame, stdout, stderr = execute(node, f"printf '%s' {text.decode()}; head -c 9000 /dev/zero | tr '\\0' e >&2")
    assert frame.spooled and frame.inline == b"" and stderr == b""
    assert frame.out_len == len(text) and frame.err_len == 9000
    out, err = read_spool(node, frame)
    assert out == text and err == b"e" * 9000
    assert not os.path.exists(frame.spool)  # the last read deletes it
    assert list(node.tmp.iterdir()) == []  # the scratch directory went too


def test_invalid_utf8_output_is_spooled(node):
    frame, stdout, stderr = execute(node, r"printf 'ok\377\376'")
    assert frame.spooled
    assert read_spool(node, frame)[0] == b"ok\xff\xfe"


def test_without_spooling_everything_is_printed(node):
    frame, stdout, stderr = execute(node, "head -c 30000 /dev/zero | tr '\\0' y", spool=False)
    assert not frame.spooled and frame.inline == b"y" * 30000


def test_a_cut_output_does_not_match_its_header(node):
    frame, stdout, stderr = execute(node, "head -c 30000 /dev/zero | tr '\\0' y", spool=False)
    cut = frame.inline[: ssm.STDOUT_LIMIT - 300]
    assert not frame.matches(cut, b"")
    assert not frame.matches(frame.inline[:-1] + b"z", b"")


def test_staged_standard_input(node):
    data = os.urandom(150000)
    encoded = ssm.encode_payload(data)
    token = TOKENS[1]
    size = ssm.stage_chunk_size(16384)
    chunks = [encoded[i : i + size] for i in range(0, len(encoded), size)]
    assert len(chunks) > 3
    total = 0
    for number, chunk in enumerate(chunks):
        code, stdout, stderr = node(ssm.stage_chunk_command(token, chunk, number == 0))
        total += len(base64.b64decode(chunk))
        assert code == 0 and stdout.decode().strip() == str(total), stderr
        assert ssm.fits(ssm.stage_chunk_command(token, chunk, number == 0), 16384)
    frame, stdout, stderr = execute(
        node, "sha256sum | cut -c1-64", token=token, stdin_stage=ssm.stage_expression(token)
    )
    assert frame.inline.decode().strip() == hashlib.sha256(data).hexdigest()
    assert list(node.tmp.iterdir()) == []  # the stage directory is removed once read


def test_cached_pieces_missing_then_cached_then_used(node):
    big = b"ZIPDATA=" + base64.b64encode(os.urandom(30000)) + b"\n"
    payload = b"#!/usr/bin/python\nimport sys\n" + big + b"print('params')\n"
    pieces = ssm.segment_payload(payload)
    assert [kind for kind, value in pieces] == ["inline", "cached", "inline"]
    assert b"".join(value for kind, value in pieces) == payload
    sha = hashlib.sha256(big).hexdigest()
    plan = [
        ("cached", hashlib.sha256(v).hexdigest()) if k == "cached" else ("inline", ssm.encode_payload(v))
        for k, v in pieces
    ]
    command = "sha256sum | cut -c1-64; touch ran"
    code, stdout, stderr = node(ssm.build_wrapper(command, TOKENS[2], run_as="", stdin_pieces=plan))
    assert code == 0 and ssm.parse_missing(stdout, TOKENS[2]) == [sha]
    assert not (node.home / "ran").exists()  # nothing ran

    encoded = ssm.encode_payload(big)
    size = ssm.stage_chunk_size(16384)
    chunks = [encoded[i : i + size] for i in range(0, len(encoded), size)]
    for number, chunk in enumerate(chunks):
        last = number == len(chunks) - 1
        code, stdout, stderr = node(ssm.cache_chunk_command(TOKENS[3], sha, chunk, number == 0, last))
        assert code == 0, stderr
    assert stdout.decode().strip() == f"cached {sha}"

    frame, stdout, stderr = execute(node, command, token=TOKENS[4], stdin_pieces=plan)
    assert frame.inline.decode().split()[0] == hashlib.sha256(payload).hexdigest()
    assert (node.home / "ran").exists()


def test_chunks_riding_in_the_command_fill_the_cache_and_the_last_one_runs_it(node):
    big = b"ZIPDATA=" + base64.b64encode(os.urandom(30000)) + b"\n"
    payload = b"#!/usr/bin/python\n" + big + b"print('params')\n"
    pieces = ssm.segment_payload(payload)
    sha = hashlib.sha256(big).hexdigest()
    encoded = ssm.encode_payload(big)
    first, middle, last = encoded[:12000], encoded[12000:24000], encoded[24000:]

    def plan(chunk):
        return [
            ("fill", chunk) if kind == "cached" else ("inline", ssm.encode_payload(value)) for kind, value in pieces
        ]

    command = "sha256sum | cut -c1-64; touch ran"
    code, stdout, stderr = node(
        ssm.build_wrapper(
            command,
            TOKENS[2],
            run_as="",
            stdin_pieces=plan(ssm.CacheFill(sha, TOKENS[9], first, first=True, last=False)),
        )
    )
    assert code == 0 and ssm.parse_missing(stdout, TOKENS[2]) == [sha], stderr
    assert not (node.home / "ran").exists()  # nothing ran; the chunk is in the partial file
    code, stdout, stderr = node(ssm.cache_chunk_command(TOKENS[9], sha, middle, False, False))
    assert stdout.decode().strip() == str(len(base64.b64decode(first + middle)))
    frame, stdout, stderr = execute(
        node, command, token=TOKENS[3], stdin_pieces=plan(ssm.CacheFill(sha, TOKENS[9], last, first=False, last=True))
    )
    assert frame.inline.decode().split()[0] == hashlib.sha256(payload).hexdigest()
    assert sorted(path.name for path in node.tmp.glob("dayec-ssm-cache-*/*")) == [sha]  # installed, no partial left
    # A node that has the piece ignores a chunk that rides along (a speculative first chunk costs only its bytes).
    (node.home / "ran").unlink()
    frame, stdout, stderr = execute(
        node, command, token=TOKENS[4], stdin_pieces=plan(ssm.CacheFill(sha, TOKENS[10], first, first=True, last=False))
    )
    assert frame.rc == 0 and (node.home / "ran").exists()
    assert sorted(path.name for path in node.tmp.glob("dayec-ssm-cache-*/*")) == [sha]


def test_a_tampered_cache_entry_counts_as_missing(node):
    big = b"A" * 10000 + b"\n"
    sha = hashlib.sha256(big).hexdigest()
    cache = node.tmp / f"dayec-ssm-cache-{os.getuid()}"
    cache.mkdir(mode=0o700)
    (cache / sha).write_bytes(b"B" * 10000 + b"\n")
    code, stdout, stderr = node(ssm.build_wrapper("cat", TOKENS[5], run_as="", stdin_pieces=[("cached", sha)]))
    assert code == 0 and ssm.parse_missing(stdout, TOKENS[5]) == [sha]


def test_a_cache_chunk_that_does_not_match_its_sha_is_refused(node):
    encoded = ssm.encode_payload(b"not what the sha says\n")
    code, stdout, stderr = node(
        ssm.cache_chunk_command(TOKENS[6], "0" * 64, encoded + "=" * (-len(encoded) % 4), True, True)
    )
    assert code == 125 and b"does not match" in stderr


def test_frame_parsing_rules():
    header = (
        f"@@DAYEC-SSM {TOKENS[0]} rc=0 out=2:{hashlib.sha256(b'ok').hexdigest()} "
        f"err=0:{hashlib.sha256(b'').hexdigest()} spool=- ob=0 eb=0@@\n"
    )
    frame = ssm.parse_frame(header + "ok", TOKENS[0])
    assert frame.rc == 0 and frame.inline == b"ok" and frame.matches(b"ok", b"")
    assert ssm.parse_frame(header + "ok", TOKENS[1]) is None  # another command's header
    assert ssm.parse_frame("ok", TOKENS[0]) is None
    assert ssm.parse_frame(header.replace("spool=-", "spool=/tmp/x;rm"), TOKENS[0]) is None


def test_encode_payload_is_deterministic_and_round_trips():
    assert ssm.encode_payload(TORTURE) == ssm.encode_payload(TORTURE)
    assert ssm.decode_payload(ssm.encode_payload(TORTURE)) == TORTURE


def test_small_helpers():
    assert ssm.is_instance_id("i-0123456789abcdef0") and ssm.is_instance_id("i-01234567")
    assert ssm.is_instance_id("mi-0123456789abcdef0") and not ssm.is_instance_id("headnode")
    assert ssm.normalize_prefix("/a/b") == "a/b/" and ssm.normalize_prefix("") == ""
    assert ssm.output_keys("p/output", "cmd", INSTANCE) == (
        f"p/output/cmd/{INSTANCE}/awsrunShellScript/0.awsrunShellScript/stdout",
        f"p/output/cmd/{INSTANCE}/awsrunShellScript/0.awsrunShellScript/stderr",
    )
    assert ssm.retry_delay(0, 1.0, jitter=lambda: 1.0) == 1.0
    assert ssm.retry_delay(10, 1.0, jitter=lambda: 1.0) == ssm.RETRY_CAP
    assert len(ssm.comment_for("x" * 200)) == 100
    with pytest.raises(ValueError):
        ssm.build_wrapper("true", TOKENS[0], stdin_b64="", stdin_url="http://x")
    with pytest.raises(ValueError):
        ssm.build_wrapper("true", "not-a-token")
    with pytest.raises(ValueError):
        ssm.spool_read_command("/tmp/x y", 0, 1000, True)


def test_the_document_limit_default_and_fit():
    assert ssm.DOCUMENT_SIZE_LIMIT == 65536
    script = ssm.build_wrapper("true", TOKENS[0], stdin_b64=ssm.encode_payload(os.urandom(50000)))
    assert not ssm.fits(script) and ssm.fits(script, 200000)
    assert ssm.request_size('a"b\n') == len('"a\\"b\\n"')


# --------------------------------------------------------------------------------------------------------------
# SSMCommandRunner with Stubber
# --------------------------------------------------------------------------------------------------------------
class Capture:
    """Stubber parameter matcher that accepts any value and keeps it."""

    def __init__(self):
        self.values = []

    def __eq__(self, other):
        self.values.append(other)
        return True

    def __ne__(self, other):
        return not self.__eq__(other)

    __hash__ = None

    @property
    def value(self):
        return self.values[-1]


def cid(name):
    """A command id of the form SSM uses (36 characters) for a readable name."""
    return str(uuid.uuid5(uuid.NAMESPACE_OID, name))


def frame_text(token, rc=0, out=b"", err=b"", spool="-", ob=0, eb=0, inline=None, home=None):
    reported = "" if home is None else f" home={base64.b64encode(home.encode()).decode()}"
    header = (
        f"@@DAYEC-SSM {token} rc={rc} out={len(out)}:{hashlib.sha256(out).hexdigest()} "
        f"err={len(err)}:{hashlib.sha256(err).hexdigest()} spool={spool} ob={ob} eb={eb}{reported}@@\n"
    )
    return header + (out if inline is None else inline).decode("utf-8", "surrogateescape")


def invocation(command_id, status="Success", stdout="", stderr="", code=0, details=None):
    return {
        "CommandId": cid(command_id),
        "InstanceId": INSTANCE,
        "DocumentName": ssm.DOCUMENT_NAME,
        "Status": status,
        "StatusDetails": details or status,
        "ResponseCode": code,
        "StandardOutputContent": stdout,
        "StandardErrorContent": stderr,
        "PluginName": "aws:runShellScript",
    }


class Harness:
    """A runner over stubbed SSM (and S3) clients, with a fake clock and recorded sleeps."""

    def __init__(self, bucket="", **settings):
        self.ssm_client = boto3.client(
            "ssm", region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing"
        )
        self.s3_client = boto3.client(
            "s3",
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(signature_version="s3v4"),
        )
        self.ssm = Stubber(self.ssm_client)
        self.s3 = Stubber(self.s3_client)
        self.now = 0.0
        self.sleeps = []
        self.tokens = iter(TOKENS)
        self.scripts = Capture()
        self.logs = []
        options = dict(instance_id=INSTANCE, run_as="ubuntu", bucket=bucket, retry_delay=1.0, poll_interval=0.5)
        options.update(settings)
        self.runner = ssm.SSMCommandRunner(
            self.ssm_client,
            ssm.SSMSettings(**options),
            s3=self.s3_client if bucket else None,
            log=self.logs.append,
            sleep=self.sleep,
            clock=lambda: self.now,
            token_factory=lambda: next(self.tokens),
            jitter=lambda: 1.0,
        )

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds

    def expect_send(self, command_id, output_s3=False, comment="exec", timeout=60, execution="3600"):
        params = {
            "InstanceIds": [INSTANCE],
            "DocumentName": "AWS-RunShellScript",
            "Comment": f"daylily.ephemeral_cluster.ssm {comment}",
            "TimeoutSeconds": timeout,
            "Parameters": {"commands": self.scripts, "executionTimeout": [execution]},
        }
        if output_s3:
            params["OutputS3BucketName"] = BUCKET
            params["OutputS3KeyPrefix"] = f"daylily-ssm/{INSTANCE}/output"
        self.ssm.add_response("send_command", {"Command": {"CommandId": cid(command_id), "Status": "Pending"}}, params)

    def expect_get(self, command_id, **fields):
        self.ssm.add_response(
            "get_command_invocation",
            invocation(command_id, **fields),
            {"CommandId": cid(command_id), "InstanceId": INSTANCE},
        )

    def expect_get_error(self, command_id, code, status=400):
        self.ssm.add_client_error(
            "get_command_invocation",
            code,
            "injected",
            http_status_code=status,
            expected_params={"CommandId": cid(command_id), "InstanceId": INSTANCE},
        )

    def expect_agent(self, found=None, error=None):
        """DescribeInstanceInformation for the instance: ``found`` entries, or the error code ``error``."""
        params = {"Filters": [{"Key": "InstanceIds", "Values": [INSTANCE]}]}
        if error:
            self.ssm.add_client_error("describe_instance_information", error, "not allowed", expected_params=params)
        else:
            self.ssm.add_response("describe_instance_information", {"InstanceInformationList": found or []}, params)

    def expect_output_cleanup(self, command_id, also=()):
        keys = list(also) + list(ssm.output_keys(f"daylily-ssm/{INSTANCE}/output", cid(command_id), INSTANCE))
        self.s3.add_response(
            "delete_objects",
            {},
            {"Bucket": BUCKET, "Delete": {"Objects": [{"Key": key} for key in keys], "Quiet": True}},
        )

    def __enter__(self):
        self.ssm.activate()
        self.s3.activate()
        return self

    def __exit__(self, *exc):
        self.ssm.deactivate()
        self.s3.deactivate()
        if exc[0] is None:
            self.ssm.assert_no_pending_responses()
            self.s3.assert_no_pending_responses()


def test_one_send_command_with_the_exact_request_shape():
    with Harness() as h:
        h.expect_send("c-1")
        h.expect_get("c-1", stdout=frame_text(TOKENS[0], out=b"hello\n"))
        result = h.runner.run("echo hello")
    assert (result.rc, result.stdout, result.stderr, result.how) == (0, b"hello\n", b"", "inline")
    script = h.scripts.value[0]
    assert len(h.scripts.value) == 1
    assert "sudo -iu ubuntu bash -l" in script
    assert base64.b64encode(b"echo hello").decode() in script
    assert h.runner.sent == [("exec", cid("c-1"))]
    assert h.sleeps == [0.5]


def test_timeouts_are_sent_as_timeout_seconds_and_execution_timeout():
    with Harness(command_timeout=120, delivery_timeout=10) as h:
        h.expect_send("c-1", timeout=30, execution="120")  # TimeoutSeconds is at least 30
        h.expect_get("c-1", stdout=frame_text(TOKENS[0]))
        h.runner.run("true")


def test_invocation_does_not_exist_right_after_send_is_waited_out_with_backoff():
    with Harness() as h:
        h.expect_send("c-1")
        h.expect_get_error("c-1", "InvocationDoesNotExist")
        h.expect_get_error("c-1", "InvocationDoesNotExist")
        h.expect_get("c-1", status="Pending")
        h.expect_get("c-1", status="InProgress")
        h.expect_get("c-1", stdout=frame_text(TOKENS[0], out=b"done"))
        assert h.runner.run("true").stdout == b"done"
    assert h.sleeps == [0.5, 0.75, 1.125, 1.6875, 2.53125]


def test_invocation_that_never_appears_fails_after_the_delivery_timeout():
    with Harness(delivery_timeout=2, poll_max_interval=1.0) as h:
        h.expect_send("c-1", timeout=30)
        for _attempt in range(3):  # polls at 0.5, 1.25 and 2.25 s; past the 2 s delivery timeout it gives up
            h.expect_get_error("c-1", "InvocationDoesNotExist")
        with pytest.raises(ssm.SSMAPIError, match="InvocationDoesNotExist"):
            h.runner.run("true")


def test_throttled_send_command_is_retried_with_bounded_backoff():
    with Harness(retries=3) as h:
        h.ssm.add_client_error("send_command", "ThrottlingException", "Rate exceeded")
        h.ssm.add_client_error("send_command", "ThrottlingException", "Rate exceeded")
        h.expect_send("c-1")
        h.expect_get("c-1", stdout=frame_text(TOKENS[0]))
        h.runner.run("true")
    assert h.sleeps[:2] == [1.0, 2.0]


def test_throttling_that_never_ends_fails_after_the_retries():
    with Harness(retries=2) as h:
        for _attempt in range(3):
            h.ssm.add_client_error("send_command", "ThrottlingException", "Rate exceeded")
        with pytest.raises(ssm.SSMAPIError, match=r"SendCommand failed with ThrottlingException.*after 2 retries"):
            h.runner.run("true")


def test_a_5xx_on_send_command_is_not_repeated():
    with Harness() as h:
        h.ssm.add_client_error("send_command", "InternalServerError", "oops", http_status_code=500)
        with pytest.raises(ssm.SSMAPIError, match="InternalServerError"):
            h.runner.run("true")
    assert h.sleeps == []


def test_a_5xx_or_throttle_on_get_command_invocation_is_retried():
    with Harness() as h:
        h.expect_send("c-1")
        h.expect_get_error("c-1", "InternalServerError", status=500)
        h.expect_get_error("c-1", "ThrottlingException")
        h.expect_get("c-1", stdout=frame_text(TOKENS[0]))
        h.runner.run("true")


def test_non_zero_exit_code_and_stderr_come_back():
    with Harness() as h:
        h.expect_send("c-1")
        h.expect_get("c-1", stdout=frame_text(TOKENS[0], rc=2, out=b"partial\n", err=b"boom\n"), stderr="boom\n")
        result = h.runner.run("false")
    assert (result.rc, result.stdout, result.stderr) == (2, b"partial\n", b"boom\n")


@pytest.mark.parametrize(
    "command, invocation, error, match",
    [
        (
            "true",
            {"status": "Failed", "code": 125, "stderr": "dayec-ssm: cannot create a temporary directory\n"},
            ssm.SSMError,
            "cannot create a temporary directory",
        ),
        (
            "sleep 9999",
            {"status": "TimedOut", "code": 137, "details": "ExecutionTimedOut"},
            ssm.SSMTimeoutError,
            "command_timeout",
        ),
    ],
    ids=["wrapper_failure_with_its_stderr", "timed_out"],
)
def test_an_invocation_that_ends_without_header_is_an_error_that_says_why(command, invocation, error, match):
    with Harness() as h:
        h.expect_send("c-1")
        h.expect_get("c-1", **invocation)
        with pytest.raises(error, match=match):
            h.runner.run(command)


def test_an_undelivered_command_fails_naming_the_agent_state():
    with Harness() as h:
        h.expect_send("c-2")
        h.expect_get("c-2", status="TimedOut", code=-1, details="DeliveryTimedOut")
        h.expect_agent([agent("ConnectionLost")])
        with pytest.raises(ssm.SSMUnreachableError, match="not delivered within 60s.*its SSM agent is ConnectionLost"):
            h.runner.run("true")


def agent(status):
    return {
        "InstanceId": INSTANCE,
        "PingStatus": status,
        "AgentVersion": "3.3.1142.0",
        "LastPingDateTime": datetime.datetime(2026, 12, 1, 8, 30, tzinfo=datetime.UTC),
    }


AGENT_CHECKS = (
    "instance is running",
    "SSM agent (amazon-ssm-agent) is running",
    "instance profile",
    "AmazonSSMManagedInstanceCore",
    "VPC endpoints for ssm, ssmmessages and ec2messages",
)


@pytest.mark.parametrize(
    "found, error, says",
    [
        (
            [agent("ConnectionLost")],
            None,
            "its SSM agent is ConnectionLost (last ping 2026-12-01T08:30:00+00:00, agent 3.3.1142.0). Check that the",
        ),
        ([agent("Inactive")], None, "its SSM agent is Inactive (last ping 2026-12-01T08:30:00+00:00"),
        (
            [agent("Online")],
            None,
            "its SSM agent is Online (last ping 2026-12-01T08:30:00+00:00, agent 3.3.1142.0), so "
            "it may have come back just now: run the task again. If it fails the same way, "
            "check that the IAM policy of the user or role running Ansible allows ssm:SendCommand",
        ),
        (
            [],
            None,
            "it is not a managed instance of SSM in this region (DescribeInstanceInformation does not list it). "
            "Check the instance id (ansible_ssm_instance_id) and the region (ansible_ssm_region)",
        ),
        (
            None,
            "AccessDeniedException",
            "its SSM ping status is unknown: DescribeInstanceInformation failed with "
            "AccessDeniedException: not allowed (allow ssm:DescribeInstanceInformation",
        ),
    ],
)
def test_defect_16_a_refused_instance_is_reported_with_its_ping_status_and_what_to_check(found, error, says):
    with Harness() as h:
        h.ssm.add_client_error(
            "send_command",
            "InvalidInstanceId",
            f"Instances [[{INSTANCE}]] not in a valid state for account 123456789012",
        )
        h.expect_agent(found, error)
        with pytest.raises(ssm.SSMUnreachableError) as caught:
            h.runner.run("true")
    message = str(caught.value)
    assert message.startswith(f"SSM cannot run commands on {INSTANCE} in {REGION} (SendCommand: InvalidInstanceId)")
    assert says in message, message
    assert all(check in message for check in AGENT_CHECKS), message
    assert "not in a valid state" not in message  # AWS's text adds nothing the status does not say
    assert h.sleeps == []  # a refused command is not retried


def test_a_command_past_its_deadline_is_cancelled():
    with Harness(command_timeout=1, delivery_timeout=1, poll_max_interval=20.0) as h:
        h.expect_send("c-1", timeout=30, execution="1")
        for _attempt in range(9):  # 0.5 s growing by 1.5x: the 9th poll is past 1 + 1 + 30 s
            h.expect_get("c-1", status="InProgress")
        h.ssm.add_response("cancel_command", {}, {"CommandId": cid("c-1"), "InstanceIds": [INSTANCE]})
        with pytest.raises(ssm.SSMTimeoutError, match="cancelled"):
            h.runner.run("sleep 9999")


def test_truncated_output_without_a_bucket_is_never_accepted():
    out = b"y" * 30000
    with Harness() as h:
        h.expect_send("c-1")
        h.expect_get("c-1", stdout=frame_text(TOKENS[0], out=out, inline=out[:23000]))
        with pytest.raises(ssm.SSMOutputError, match="set bucket_name"):
            h.runner.run("yes")


def test_truncated_output_is_read_from_the_bucket():
    out = ('{"result": "' + "z" * 30000 + '"}').encode()
    framed = frame_text(TOKENS[0], out=out, err=b"warn\n").encode()
    out_key, err_key = ssm.output_keys(f"daylily-ssm/{INSTANCE}/output", cid("c-1"), INSTANCE)
    with Harness(bucket=BUCKET) as h:
        h.expect_send("c-1", output_s3=True)
        h.expect_get("c-1", stdout=framed[:24000].decode(), stderr="warn\n")
        h.s3.add_response(
            "get_object", {"Body": StreamingBody(io.BytesIO(framed), len(framed))}, {"Bucket": BUCKET, "Key": out_key}
        )
        h.s3.add_response(
            "get_object", {"Body": StreamingBody(io.BytesIO(b"warn\n"), 5)}, {"Bucket": BUCKET, "Key": err_key}
        )
        h.expect_output_cleanup("c-1")
        result = h.runner.run("module")
    assert (result.stdout, result.stderr, result.how) == (out, b"warn\n", "s3")


def test_a_bucket_copy_that_does_not_match_either_is_an_error():
    out = b"z" * 30000
    framed = frame_text(TOKENS[0], out=out).encode()
    out_key, err_key = ssm.output_keys(f"daylily-ssm/{INSTANCE}/output", cid("c-1"), INSTANCE)
    with Harness(bucket=BUCKET) as h:
        h.expect_send("c-1", output_s3=True)
        h.expect_get("c-1", stdout=framed[:24000].decode())
        h.s3.add_response(
            "get_object",
            {"Body": StreamingBody(io.BytesIO(framed[:-1]), len(framed) - 1)},
            {"Bucket": BUCKET, "Key": out_key},
        )
        h.s3.add_client_error(
            "get_object", "NoSuchKey", "missing", 404, expected_params={"Bucket": BUCKET, "Key": err_key}
        )
        h.expect_output_cleanup("c-1")
        with pytest.raises(ssm.SSMOutputError, match="does not match"):
            h.runner.run("module")


def test_spooled_output_is_read_back_in_chunks():
    out = os.urandom(30000).hex().encode()
    out_b64 = base64.b64encode(gzip.compress(out)).decode()
    err_b64 = base64.b64encode(gzip.compress(b"")).decode()
    spool = "/tmp/dayec-ssm-out.AbC123"
    text = out_b64 + err_b64
    with Harness() as h:
        h.expect_send("c-1")
        h.expect_get(
            "c-1", stdout=frame_text(TOKENS[0], out=out, spool=spool, ob=len(out_b64), eb=len(err_b64), inline=b"")
        )
        offset = 0
        number = 2
        while offset < len(text):
            chunk = text[offset : offset + ssm.READ_CHUNK]
            h.expect_send(f"c-{number}", comment="read output")
            h.expect_get(f"c-{number}", stdout=chunk)
            offset += len(chunk)
            number += 1
        result = h.runner.run("big")
    assert (result.stdout, result.how) == (out, "spool")
    reads = h.scripts.values[1:]
    assert all(script[0].startswith(f"dd if={spool} bs=1000 skip=") for script in reads)
    assert reads[-1][0].endswith(f"rm -f {spool}\n")


def test_put_file_inline_checks_the_remote_sha(tmp_path):
    local = tmp_path / "f.txt"
    local.write_bytes(TORTURE)
    digest = hashlib.sha256(TORTURE).hexdigest().encode()
    with Harness() as h:
        h.expect_send("c-1", comment="put_file")
        h.expect_get("c-1", stdout=frame_text(TOKENS[0], out=digest + b"\n"))
        h.runner.put_file(str(local), "/home/ubuntu/it's here.txt")
    script = h.scripts.value[0]
    assert ssm.encode_payload(TORTURE)[:60] in script
    assert base64.b64encode(ssm.put_file_command("/home/ubuntu/it's here.txt").encode()).decode()[:40] in script
    with Harness() as h:
        h.expect_send("c-1", comment="put_file")
        h.expect_get("c-1", stdout=frame_text(TOKENS[0], out=b"0" * 64 + b"\n"))
        with pytest.raises(ssm.SSMOutputError, match="sha256"):
            h.runner.put_file(str(local), "/tmp/x")


def test_put_file_above_the_limit_goes_through_the_bucket_with_sse(tmp_path):
    local = tmp_path / "big.bin"
    data = os.urandom(200000)
    local.write_bytes(data)
    key = f"daylily-ssm/{INSTANCE}/transfer/{TOKENS[0]}"
    with Harness(bucket=BUCKET, sse_mode="aws:kms", sse_kms_key_id="alias/dayec") as h:
        h.s3.add_response(
            "put_object",
            {},
            {
                "Bucket": BUCKET,
                "Key": key,
                "Body": ANY,
                "ServerSideEncryption": "aws:kms",
                "SSEKMSKeyId": "alias/dayec",
            },
        )
        h.expect_send("c-1", output_s3=True, comment="put_file")
        h.expect_get("c-1", stdout=frame_text(TOKENS[0], out=hashlib.sha256(data).hexdigest().encode()))
        h.expect_output_cleanup("c-1", also=[key])  # the upload and the output go in one DeleteObjects
        h.runner.put_file(str(local), "/home/ubuntu/big.bin")
    script = h.scripts.value[0]
    assert ssm.fits(script)
    assert f"https://{BUCKET}.s3" in script or f"/{BUCKET}/" in script
    assert "curl -fsS --retry 3" in script and "X-Amz-Signature" in script


def test_put_file_above_the_limit_without_a_bucket_is_staged(tmp_path):
    local = tmp_path / "big.bin"
    data = os.urandom(100000)
    local.write_bytes(data)
    encoded = ssm.encode_payload(data)
    size = ssm.stage_chunk_size(ssm.DOCUMENT_SIZE_LIMIT)
    chunks = [encoded[i : i + size] for i in range(0, len(encoded), size)]
    with Harness() as h:
        total = 0
        for number, chunk in enumerate(chunks):
            total += len(base64.b64decode(chunk))
            h.expect_send(f"s-{number}", comment="stage")
            h.expect_get(f"s-{number}", stdout=f"{total}\n")
        h.expect_send("c-1", comment="put_file")
        h.expect_get("c-1", stdout=frame_text(TOKENS[0], out=hashlib.sha256(data).hexdigest().encode()))
        h.runner.put_file(str(local), "/home/ubuntu/big.bin")
    assert len(chunks) == 3
    assert all(ssm.fits(script[0]) for script in h.scripts.values)
    assert ssm.stage_expression(TOKENS[0]) in h.scripts.value[0]


def test_a_large_module_payload_costs_three_commands_on_first_use_then_one():
    big = b"zip_data=" + base64.b64encode(os.urandom(90000)) + b"\n"
    payload = b"#!/usr/bin/python\n" + big + b"params={}\n"
    sha = hashlib.sha256(big).hexdigest()
    encoded = ssm.encode_payload(big)
    # What fits beside the command and its small pieces is the room a chunk of the big one has to ride in.
    plan = [
        ("cached", sha) if kind == "cached" else ("inline", ssm.encode_payload(value))
        for kind, value in ssm.segment_payload(payload)
    ]
    base = ssm.request_size(ssm.build_wrapper("/usr/bin/python", TOKENS[0], "ubuntu", stdin_pieces=plan))
    room = ssm.chunk_chars(ssm.DOCUMENT_SIZE_LIMIT - ssm.DOCUMENT_OVERHEAD - base - ssm.FILL_LINES_ROOM)
    middle = encoded[room : len(encoded) - room]
    assert 0 < len(middle) <= ssm.stage_chunk_size(ssm.DOCUMENT_SIZE_LIMIT)  # one command in between
    with Harness() as h:
        h.expect_send("c-1")  # carries the first chunk: the node lacks the piece, keeps the chunk, runs nothing
        h.expect_get("c-1", stdout=f"@@DAYEC-SSM {TOKENS[0]} missing={sha}@@\n")
        h.expect_send("k-1", comment="cache")
        h.expect_get("k-1", stdout=f"{len(base64.b64decode(encoded[: len(encoded) - room]))}\n")
        h.expect_send("c-2")  # carries the last chunk: the node installs the piece and runs the module
        h.expect_get("c-2", stdout=frame_text(TOKENS[2], out=b'{"ping": "pong"}'))
        result = h.runner.run("/usr/bin/python", stdin=payload)
    assert result.stdout == b'{"ping": "pong"}'
    first, cache, rerun = (script[0] for script in h.scripts.values)
    assert all(ssm.fits(script) for script in (first, cache, rerun))
    assert encoded[:200].replace("\n", "") in first.replace("\n", "") and f"{sha}.{TOKENS[1]}" in first
    assert f"{sha}.{TOKENS[1]}" in cache and f"{sha}.{TOKENS[1]}" in rerun and "mv -f" in rerun
    assert h.runner.node_has == {sha}
    # The same runner (the same task) knows the node has it now: one command, no chunk.
    with Harness() as h2:
        h2.runner.node_has = {sha}
        h2.expect_send("c-1")
        h2.expect_get("c-1", stdout=frame_text(TOKENS[0], out=b"ok"))
        assert h2.runner.run("/usr/bin/python", stdin=payload).stdout == b"ok"
    assert len(h2.scripts.value[0]) < 16000


def test_a_piece_the_node_was_thought_to_have_is_filled_again():
    big = b"zip_data=" + base64.b64encode(os.urandom(60000)) + b"\n"
    payload = b"#!/usr/bin/python\n" + big
    sha = hashlib.sha256(big).hexdigest()
    with Harness() as h:
        h.runner.node_has = {sha}  # e.g. /tmp was cleaned since
        h.expect_send("c-1")
        h.expect_get("c-1", stdout=f"@@DAYEC-SSM {TOKENS[0]} missing={sha}@@\n")
        h.expect_send("k-1", comment="cache")
        h.expect_get("k-1", stdout="1\n")  # wrong size: the chunk did not land whole
        with pytest.raises(ssm.SSMOutputError, match="it reported 1, expected"):
            h.runner.run("/usr/bin/python", stdin=payload)


def test_fetch_returns_the_bytes_or_fails_with_the_node_error():
    with Harness() as h:
        h.expect_send("c-1", comment="fetch_file")
        h.expect_get("c-1", stdout=frame_text(TOKENS[0], out=TORTURE))
        assert h.runner.fetch("/home/ubuntu/t.txt") == TORTURE
    with Harness() as h:
        h.expect_send("c-1", comment="fetch_file")
        h.expect_get("c-1", stdout=frame_text(TOKENS[0], rc=1, err=b"No such file\n"), stderr="No such file\n")
        with pytest.raises(ssm.SSMCommandFailed, match="No such file"):
            h.runner.fetch("/nope")


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"instance_id": "headnode"}, "not an EC2 instance id"),
        ({"run_as": "bad user"}, "run_as"),
        ({"command_timeout": 0}, "command_timeout"),
        ({"retries": -1}, "retries"),
        ({"max_command_size": 100}, "max_command_size"),
    ],
)
def test_bad_settings_are_rejected_before_any_call(settings, message):
    options = dict(instance_id=INSTANCE)
    options.update(settings)
    with pytest.raises(ssm.SSMError, match=message):
        ssm.SSMSettings(**options).validate()


# --------------------------------------------------------------------------------------------------------------
# Deferred housekeeping: the command sequence ansible-core's copy action sends (echo ~, mkdtemp, stat module,
# put_file, chmod, copy module, rm), generated by its own sh shell plugin
# --------------------------------------------------------------------------------------------------------------
HOME = "/home/ubuntu"
ANSIBLE_TMP = f"{HOME}/.ansible/tmp/ansible-tmp-1795588614.7-17704-1002"


def ansible_command(name):
    from ansible.plugins.loader import shell_loader  # pylint: disable=import-outside-toplevel

    shell = shell_loader.get("sh")
    commands = {
        "home": shell.expand_user("~"),
        "mkdtemp": shell.mkdtemp(ANSIBLE_TMP.rsplit("/", 1)[1], False, 0o700, f"{HOME}/.ansible/tmp"),
        "chmod": shell.chmod([f"{ANSIBLE_TMP}/", f"{ANSIBLE_TMP}/.source.txt"], "u+rwx"),
        "rm": shell.remove(f"{ANSIBLE_TMP}/", recurse=True),
    }
    return f"/bin/sh -c {shlex.quote(commands[name])}".encode()


def test_the_copy_sequence_with_a_bucket_is_three_send_commands(tmp_path):
    local = tmp_path / "source.txt"
    local.write_bytes(TORTURE)
    key = f"daylily-ssm/{INSTANCE}/transfer/{TOKENS[2]}"
    with Harness(bucket=BUCKET) as h:
        h.expect_send("ping", output_s3=True)  # an earlier command reports home in its frame
        h.expect_get("ping", stdout=frame_text(TOKENS[0], out=b"pong", home=HOME))
        h.expect_output_cleanup("ping")
        h.runner.execute(b"/bin/sh -c /usr/bin/python3", stdin=b"print('pong')")
        assert h.runner.execute(ansible_command("home")).stdout == f"{HOME}\n".encode()
        made = h.runner.execute(ansible_command("mkdtemp"))
        assert made.stdout.decode().strip().endswith(f"={ANSIBLE_TMP}")
        h.expect_send("stat", output_s3=True)
        h.expect_get("stat", stdout=frame_text(TOKENS[1], out=b'{"stat": {"exists": false}}', home=HOME))
        h.expect_output_cleanup("stat")
        h.runner.execute(b"/bin/sh -c /usr/bin/python3", stdin=b"stat")
        h.s3.add_response("put_object", {}, {"Bucket": BUCKET, "Key": key, "Body": ANY})
        assert h.runner.put_file(str(local), f"{ANSIBLE_TMP}/.source.txt") is None
        assert h.runner.execute(ansible_command("chmod")).rc == 0
        h.expect_send("copy", output_s3=True)
        h.expect_get("copy", stdout=frame_text(TOKENS[3], out=b'{"changed": true}', home=HOME))
        h.expect_output_cleanup("copy", also=[key])  # the transfer is deleted once the command that used it ran
        assert h.runner.execute(b"/bin/sh -c /usr/bin/python3", stdin=b"copy").stdout == b'{"changed": true}'
        h.expect_send("rm", output_s3=True)
        h.expect_get("rm", stdout=frame_text(TOKENS[4], home=HOME))
        h.expect_output_cleanup("rm")
        assert h.runner.execute(ansible_command("rm")).rc == 0
    assert [purpose for purpose, command_id in h.runner.sent] == ["exec"] * 4
    assert h.runner.answered == ["home", "mkdtemp", "chmod"]
    stat_script, copy_script = h.scripts.values[1][0], h.scripts.values[2][0]
    # The mkdir rides on the stat; the transfer (through a presigned URL) and the chmod on the copy module.
    assert 'curl -fsS --retry 3 -o "$d/f1"' in copy_script and "X-Amz-Signature" in copy_script
    assert '"$d/pre"' in stat_script and '"$d/pre"' in copy_script and '"$d/pre"' not in h.scripts.values[3][0]
    assert not h.runner.queue and h.runner.queued_files == {}


def test_a_small_transfer_without_a_bucket_rides_inline_in_the_next_command(tmp_path):
    local = tmp_path / "source.txt"
    local.write_bytes(TORTURE)
    with Harness() as h:
        h.runner.home = HOME
        h.runner.execute(ansible_command("mkdtemp"))
        h.runner.put_file(str(local), f"{ANSIBLE_TMP}/.source.txt")
        h.runner.execute(ansible_command("chmod"))
        h.expect_send("copy")
        h.expect_get("copy", stdout=frame_text(TOKENS[0], out=b"{}"))
        h.runner.execute(b"/bin/sh -c /usr/bin/python3", stdin=b"copy")
    script = h.scripts.value[0]
    assert ssm.encode_payload(TORTURE)[:60] in script and ssm.fits(script)
    assert len(h.runner.sent) == 1


def test_removing_a_never_made_directory_sends_nothing_and_deletes_its_upload(tmp_path):
    local = tmp_path / "source.txt"
    local.write_bytes(TORTURE)
    with Harness(bucket=BUCKET) as h:
        h.runner.execute(ansible_command("mkdtemp"))
        h.s3.add_response(
            "put_object", {}, {"Bucket": BUCKET, "Key": f"daylily-ssm/{INSTANCE}/transfer/{TOKENS[0]}", "Body": ANY}
        )
        h.runner.put_file(str(local), f"{ANSIBLE_TMP}/.source.txt")
        h.s3.add_response(
            "delete_objects",
            {},
            {
                "Bucket": BUCKET,
                "Delete": {"Objects": [{"Key": f"daylily-ssm/{INSTANCE}/transfer/{TOKENS[0]}"}], "Quiet": True},
            },
        )
        assert h.runner.execute(ansible_command("rm")).rc == 0
    assert h.runner.sent == [] and not h.runner.queue and h.runner.flush() is None


def test_what_is_left_queued_is_flushed_in_one_command_and_a_failed_step_is_reported():
    with Harness() as h:
        h.runner.execute(ansible_command("mkdtemp"))
        h.expect_send("flush", comment="housekeeping")
        h.expect_get(
            "flush",
            stdout=frame_text(TOKENS[0], rc=125, err=b"dayec-ssm: deferred mkdir failed\n"),
            stderr="dayec-ssm: deferred mkdir failed\n",
        )
        result = h.runner.flush()
    assert result.rc == 125 and b"deferred mkdir" in result.stderr
    assert (
        "dayec-ssm: deferred $1 failed"
        in base64.b64decode(
            h.scripts.value[0].split('base64 -d > "$d/pre" <<')[1].split("\n", 1)[1].rsplit("\nDAYEC_SSM_", 1)[0]
        ).decode()
    )


def test_defer_housekeeping_off_runs_every_command():
    with Harness(defer_housekeeping=False) as h:
        h.runner.home = HOME
        for number, name in enumerate(("home", "mkdtemp", "chmod", "rm")):
            h.expect_send(name)
            h.expect_get(name, stdout=frame_text(TOKENS[number]))
            h.runner.execute(ansible_command(name))
    assert len(h.runner.sent) == 4 and h.runner.answered == []


def test_a_queue_that_would_crowd_the_command_is_sent_on_its_own(tmp_path):
    local = tmp_path / "source.bin"
    local.write_bytes(os.urandom(6000))  # ~8 KiB once encoded: more than half of a 16 KiB command with the wrapper
    with Harness(max_command_size=16384) as h:
        h.runner.execute(ansible_command("mkdtemp"))
        h.runner.put_file(str(local), f"{ANSIBLE_TMP}/.source.txt")
        h.expect_send("alone", comment="housekeeping")
        h.expect_get("alone", stdout=frame_text(TOKENS[0]))
        h.expect_send("module")
        h.expect_get("module", stdout=frame_text(TOKENS[1], out=b"{}"))
        assert h.runner.execute(b"/bin/sh -c true").stdout == b"{}"
    assert [purpose for purpose, command_id in h.runner.sent] == ["housekeeping", "exec"]
    assert all(ssm.fits(script[0], 16384) for script in h.scripts.values)


def test_the_wrapper_runs_the_prelude_first_and_reports_home(node, tmp_path):
    target = tmp_path / "made"
    prelude = f'mkdir {shlex.quote(str(target))} && cat "$1/f1" > {shlex.quote(str(target / "x"))}\n'
    frame, stdout, stderr = execute(
        node,
        f"cat {shlex.quote(str(target / 'x'))}",
        prelude=prelude,
        prelude_files=[("f1", "b64", ssm.encode_payload(TORTURE))],
    )
    assert (frame.rc, frame.inline, frame.home) == (0, TORTURE, str(node.home))
    marker = tmp_path / "ran"
    frame, stdout, stderr = execute(
        node, f"touch {shlex.quote(str(marker))}", prelude="echo 'dayec-ssm: deferred mkdir /x failed' >&2; exit 1\n"
    )
    assert frame.rc == 125 and b"deferred mkdir /x failed" in stderr and not marker.exists()


@pytest.mark.parametrize("room", [0, 3, 77, 78, 81, 1000, 56789, 60416])
def test_chunk_chars_is_the_largest_here_document_that_fits_its_room(room):
    chars = ssm.chunk_chars(room)

    def cost(count):  # bytes the wrapped here-document adds to the JSON request
        return len(json.dumps(ssm._wrap("A" * count) + "\n")) - 2 if count else 0  # pylint: disable=protected-access

    assert chars % 4 == 0 and cost(chars) <= room < cost(chars + 4)
