"""`ansible-doc -l daylily.ephemeral_cluster` lists every module, plugin and role of the tree with a description.

What must be listed is discovered from the checkout (plugins/<type>/, the filter and test names each file declares,
roles/*/meta/argument_specs.yml), so a new plugin is covered without touching this test; a plugin whose DOCUMENTATION
does not parse drops out of ansible-doc's list and fails here.
"""

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
COLLECTION = "daylily.ephemeral_cluster"
PACKAGE = "ansible_collections.daylily.ephemeral_cluster.plugins"
# plugins/ directories that hold no documented plugin of their own: shared code, doc fragments, and action plugins
# (each backs the module of the same name, which carries the documentation).
NOT_PLUGINS = {"module_utils", "plugin_utils", "doc_fragments", "action", "__pycache__"}
# ansible-doc's plugin type for a plugins/ directory, where the names differ.
DOC_TYPES = {"modules": "module"}
# Plugins whose file may declare several names (ansible-doc lists each name), and how to ask a file for them.
MULTI_NAME = {"filter": ("FilterModule", "filters"), "test": ("TestModule", "tests")}


def plugin_files(directory):
    return sorted(path for path in directory.glob("*.py") if path.name != "__init__.py")


def declared_names(directory, path):
    if directory.name not in MULTI_NAME:
        return {path.stem}
    class_name, method = MULTI_NAME[directory.name]
    module = importlib.import_module(f"{PACKAGE}.{directory.name}.{path.stem}")
    return set(getattr(getattr(module, class_name)(), method)())


def expected_by_type():
    """{ansible-doc type: {fully qualified name}} of everything in the tree that ansible-doc must list."""
    expected = {}
    for directory in sorted((REPO / "plugins").iterdir()):
        if not directory.is_dir() or directory.name in NOT_PLUGINS:
            continue
        names = {name for path in plugin_files(directory) for name in declared_names(directory, path)}
        if names:
            expected[DOC_TYPES.get(directory.name, directory.name)] = {f"{COLLECTION}.{name}" for name in names}
    expected["role"] = {
        f"{COLLECTION}.{spec.parents[1].name}" for spec in (REPO / "roles").glob("*/meta/argument_specs.yml")
    }
    return expected


EXPECTED = expected_by_type()


def ansible_doc_list(plugin_type):
    process = subprocess.run(
        [str(Path(sys.executable).with_name("ansible-doc")), "-t", plugin_type, "-l", COLLECTION, "--json"],
        capture_output=True,
        text=True,
        env=dict(
            os.environ,
            ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
            ANSIBLE_COLLECTIONS_PATH=str(REPO / ".build" / "collections"),
        ),
        cwd=REPO,
        timeout=300,
        check=False,
    )
    assert process.returncode == 0, process.stderr
    return json.loads(process.stdout), process.stderr


def test_the_tree_has_the_plugin_types_the_collection_ships():
    """Guards the discovery itself: an empty or misread tree would make the listing test pass vacuously."""
    assert {"module", "connection", "inventory", "filter", "role"} <= set(EXPECTED)
    assert f"{COLLECTION}.fsx_dra" in EXPECTED["module"]
    assert f"{COLLECTION}.poll_retries" in EXPECTED["filter"]  # a filter named unlike its file


def test_every_action_plugin_backs_a_documented_module():
    actions = {path.stem for path in plugin_files(REPO / "plugins" / "action")}
    modules = {path.stem for path in plugin_files(REPO / "plugins" / "modules")}
    assert actions <= modules, f"action plugins without a module (where their docs live): {sorted(actions - modules)}"


@pytest.mark.parametrize("plugin_type", sorted(EXPECTED))
def test_ansible_doc_lists_every_plugin_with_a_description(plugin_type):
    listed, stderr = ansible_doc_list(plugin_type)
    missing = sorted(EXPECTED[plugin_type] - set(listed))
    assert not missing, f"ansible-doc -t {plugin_type} -l does not list {missing} (documentation broken?)\n{stderr}"
    unexpected = sorted(set(listed) - EXPECTED[plugin_type])
    assert not unexpected, f"listed but not found in the tree: {unexpected}"
    undescribed = sorted(name for name, description in listed.items() if not str(description or "").strip())
    assert not undescribed, f"listed without a description: {undescribed}"
