"""Hypothesis strategies, oracles and settings of the bad-input fuzzing (tests/unit/reliability/, issue 15).

The oracles are deliberately simpler than the product's rules: they name inputs that no rule may accept (a path
segment with '/', a URI that is not s3://bucket/...), so a property can demand a refusal for those and, for anything
else, only a clean answer (a result, or an error with a message, never a traceback).

`make test` runs few examples per property; DAYEC_FUZZ=1 (`make chaos`) runs FUZZ_SCALE times as many.
"""

import os
import re

from hypothesis import HealthCheck
from hypothesis import settings
from hypothesis import strategies as st

from testlib.path_cases import ADVERSARIAL_TEXT

FUZZ_SCALE = 20 if os.environ.get("DAYEC_FUZZ") == "1" else 1

# Characters that break paths, shells, YAML, TSV and URIs, plus look-alikes of '/' and '.'.
NASTY = "aZ09_.-/\\ \t\n\r\x00:;|&$`'\"*?%#@!~^()[]{}<>,=+\u2024\u2215\uff0e\u200b\ufeff\u00e9"
_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,254}")
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


def fuzz_settings(examples):
    """`examples` per property in `make test` (FUZZ_SCALE times more in `make chaos`); fixtures reused across examples
    are reset by the tests themselves."""
    return settings(
        max_examples=examples * FUZZ_SCALE,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        derandomize=FUZZ_SCALE == 1,  # make test: the same examples on every run; make chaos: new ones each time
    )


def nasty_text(max_size=24):
    return st.one_of(st.sampled_from(ADVERSARIAL_TEXT), st.text(alphabet=NASTY, max_size=max_size), st.text(max_size=8))


def segments():
    """Path segments: valid-looking identifiers, the adversarial cases, and random nasty text."""
    valid = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,12}", fullmatch=True)
    return st.one_of(valid, nasty_text(), valid.map(lambda text: text + ".."), valid.map(lambda text: "../" + text))


def s3_uris():
    """S3 URIs: well-formed ones with odd keys, and broken schemes, buckets and keys."""
    bucket = st.one_of(st.from_regex(r"[a-z0-9][a-z0-9-]{2,12}", fullmatch=True), nasty_text(12))
    key = st.lists(segments(), max_size=4).map("/".join)
    scheme = st.sampled_from(["s3://", "s3://", "S3://", "s3:/", "https://", "", "s3a://"])
    return st.one_of(
        st.builds(lambda s, b, k, slash: s + b + "/" + k + slash, scheme, bucket, key, st.sampled_from(["", "/"])),
        nasty_text(),
    )


def must_refuse_segment(text):
    """A segment no rule may accept (invariant 7: both segments of the analysis root are validated)."""
    return not isinstance(text, str) or not _SEGMENT.fullmatch(text) or ".." in text


_MOUNT_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")


def must_refuse_mount_id(text):
    """A mount id no rule may accept (dayec_domain.md §2: ^[A-Za-z0-9._-]+$, at most 128, not '.'/'..', no '..'); unlike
    an analysis segment it may start with '.' or '-' (a run folder's own name)."""
    return not isinstance(text, str) or not _MOUNT_ID.fullmatch(text) or ".." in text or text == "."


def must_refuse_s3_uri(text):
    """A location no rule may accept: not s3://<bucket>[/<key>], a bad bucket name, '..' or '//' or control text."""
    if not isinstance(text, str) or not text.startswith("s3://"):
        return True
    bucket, _slash, key = text[len("s3://") :].partition("/")
    if not _BUCKET.fullmatch(bucket) or ".." in bucket:
        return True
    return any(part in (".", "..") for part in key.split("/")) or "//" in key or not key.isprintable() or "\\" in key


def assert_clean_failure(code, result, aws_rejected=True):
    """A refusal an operator can act on: a non-zero exit, a message, no traceback in it. Only an error AWS itself
    returned (fail_json_aws, when `aws_rejected` is allowed) carries an `exception`, and it is botocore's."""
    assert code != 0, result
    assert result.get("failed") is True and isinstance(result.get("msg"), str) and result["msg"].strip(), result
    assert "Traceback" not in result["msg"], result
    if "exception" in result:
        last_line = result["exception"].strip().splitlines()[-1]
        assert aws_rejected and last_line.startswith("botocore.exceptions."), result


def changes_made(sandbox):
    """Mutating AWS calls that succeeded (a call AWS itself rejected changed nothing)."""
    return [entry for entry in sandbox.mutating_calls() if "fault" not in entry and entry.get("status", 200) < 300]
