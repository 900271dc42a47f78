"""Unit tests for the workflow_session and poll_retries filters."""

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.daylily.ephemeral_cluster.plugins.filter.poll import poll_retries
from ansible_collections.daylily.ephemeral_cluster.plugins.filter.repository_urls import repository_urls
from ansible_collections.daylily.ephemeral_cluster.plugins.filter.workflow_session import workflow_session


def test_defect_08_the_default_session_of_an_analysis_id_with_a_dot_is_tmux_safe():
    assert workflow_session("wgs.8") == "wgs_8"
    assert workflow_session("wgs.8", "night-run") == "night-run"


@pytest.mark.parametrize("name", ["../../escaped", "a.b", "a:b", "-x"])
def test_defect_08_invariant_07_a_bad_session_name_names_the_variable(name):
    with pytest.raises(AnsibleFilterError) as refused:
        workflow_session("wgs8", name, field="workflow_session_name")
    message = str(refused.value)
    assert message.startswith("workflow_session_name %r " % name) and "; nothing was launched." in message
    assert "expected one path segment of letters, digits, '_' and '-'" in message


@pytest.mark.parametrize("timeout, interval, retries", [(600, 10, 60), (2, 1, 2), (5, 2, 3), (0, 10, 1), (10, 0, 10)])
def test_poll_retries_cover_the_timeout(timeout, interval, retries):
    assert poll_retries(timeout, interval) == retries


def test_poll_retries_needs_whole_seconds():
    with pytest.raises(AnsibleFilterError):
        poll_retries("a day", 60)


def test_repository_urls_pass_a_good_map():
    urls = {"daylily-omics-analysis": "https://example.invalid/dayoa.git", "mirror.2": "file:///srv/git/dayoa.git"}
    assert repository_urls(urls, field="headnode_repository_urls") is urls


@pytest.mark.parametrize(
    "urls, wanted",
    [
        ({}, "headnode_repository_urls must map repository keys to git URLs"),
        ({"../x": "https://example.invalid/x.git"}, "headnode_repository_urls key '../x' contains '/'"),
        ({"a%2Fb": "https://example.invalid/x.git"}, "headnode_repository_urls key 'a%2Fb' contains '%'"),
        ({"ok": "-uhttps://evil"}, "headnode_repository_urls['ok'] '-uhttps://evil' must be a git URL"),
        ({"ok": "https://a b"}, "must be a git URL without whitespace"),
    ],
)
def test_repository_urls_refuse_bad_entries_naming_the_variable(urls, wanted):
    with pytest.raises(AnsibleFilterError) as refused:
        repository_urls(urls, field="headnode_repository_urls")
    assert wanted in str(refused.value)
