"""dayoa_catalog without the jsonschema library: a clear missing-library error when it validates, none when it doesn't."""

from ansible_collections.daylily.ephemeral_cluster.plugins.modules import dayoa_catalog
from testlib.modules import execute_module


def test_missing_jsonschema_fails_with_the_library_to_install(capsys, monkeypatch):
    monkeypatch.setattr(dayoa_catalog, "HAS_JSONSCHEMA", False)
    code, result = execute_module(capsys, dayoa_catalog.main, {})
    assert code == 1
    assert "Failed to import the required Python library (jsonschema)" in result["msg"]


def test_missing_jsonschema_is_not_needed_without_validation(capsys, monkeypatch):
    monkeypatch.setattr(dayoa_catalog, "HAS_JSONSCHEMA", False)
    code, result = execute_module(capsys, dayoa_catalog.main, {"validate": False})
    assert code == 0
    assert result["changed"] is False and result["command_ids"]
