"""The troubleshooting page quotes error messages the code really produces.

docs/docsite/rst/troubleshooting.rst lists messages as ``...`` terms, ``<...>`` standing for what varies. Each term is
cut into its fixed fragments (at placeholders, punctuation, numbers and names that a message fills in: variable names,
AWS states, environment variables), and every fragment of three words or more must occur in a string of the code
(plugins/, as Python parses it, implicit concatenation and f-strings joined) or a role's tasks. A message the code
stops producing, or rewords, fails here until the page follows.
"""

import ast
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PAGE = REPO / "docs" / "docsite" / "rst" / "troubleshooting.rst"
FILLED_IN = re.compile(
    r"<[^>]+>"  # a placeholder of the page
    r"|[.;:,()=]|\.\.\."  # punctuation (messages are assembled around it)
    r"|\b\d+\b|\btrue\b|\bfalse\b"  # counts, limits and values
    r"|\b[a-z0-9]+(?:_[a-z0-9]+)+\b"  # variable and option names (hints name what the operator sets)
    r"|\b[A-Z][A-Z0-9_]+\b"  # AWS states, environment variables
    r"|\b[A-Z][a-z]+[A-Z]\w*\b"  # CamelCase AWS values (ConnectionLost)
)


def code_strings():
    strings = []
    for path in (REPO / "plugins").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                strings.append(node.value)
            elif isinstance(node, ast.JoinedStr):
                strings.append("".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values))
    strings += [path.read_text(encoding="utf-8") for path in (REPO / "roles").rglob("*.yml")]
    return " ".join(" ".join(string.split()) for string in strings)


CODE = code_strings()


def quoted_messages():
    terms = [line for line in PAGE.read_text(encoding="utf-8").splitlines() if line.startswith("``")]
    return [message for term in terms for message in re.findall(r"``(.+?)``(?!`)", term)]


MESSAGES = quoted_messages()


def test_the_page_quotes_messages():
    assert len(MESSAGES) >= 20, "the troubleshooting page lost its messages"


@pytest.mark.parametrize("message", MESSAGES, ids=lambda message: message[:60])
def test_each_quoted_message_is_produced_by_the_code(message):
    fragments = [" ".join(part.split()) for part in FILLED_IN.split(message)]
    fragments = [fragment for fragment in fragments if len(fragment.split()) >= 3]
    missing = [fragment for fragment in fragments if fragment not in CODE]
    assert not missing, f"no message of the code contains {missing}: update troubleshooting.rst"
