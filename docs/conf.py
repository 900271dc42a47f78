"""Sphinx configuration of `make docs`: the collection's reference (written by antsibull-docs from the code into
.build/docs/rst) and its operator guide (docs/docsite/rst, the collection's extra docs), built offline."""

import zlib
from pathlib import Path

import yaml

import ansible

project = "daylily.ephemeral_cluster"
copyright = "the daylily.ephemeral_cluster authors"  # noqa: A001 - the name Sphinx reads
title = "daylily.ephemeral_cluster"
html_short_title = title

extensions = ["sphinx.ext.intersphinx", "sphinx_antsibull_ext"]
pygments_style = "ansible"
highlight_language = "YAML+Jinja"
html_theme = "sphinx_ansible_theme"
html_show_sphinx = False
html_use_modindex = False
html_use_index = False
html_copy_source = False
default_role = "any"
nitpicky = True

# The generated pages link Ansible's own documentation by label (return values, configuration settings) and by
# environment variable. Intersphinx would download Ansible's inventory; the build is offline, so it reads a small
# inventory written next to the build instead: these labels, and every environment variable of ansible-core's
# configuration (read from the installed ansible-core). A page that starts linking another label fails the build
# (nitpicky + -W): add the label here.
ANSIBLE_DOCS = "https://docs.ansible.com/projects/ansible/devel/"
ANSIBLE_LABELS = {
    ("std:label", "common_return_values"): (
        "reference_appendices/common_return_values.html#common-return-values",
        "Return Values",
    ),
    ("std:label", "ansible_configuration_settings"): (
        "reference_appendices/config.html#ansible-configuration-settings",
        "Ansible Configuration Settings",
    ),
}


def core_environment_variables():
    """Every environment variable ansible-core's configuration reads, as inventory entries of its config page."""
    settings = yaml.safe_load((Path(ansible.__file__).parent / "config" / "base.yml").read_text(encoding="utf-8"))
    names = {env["name"] for setting in settings.values() for env in setting.get("env") or [] if "name" in env}
    return {("std:envvar", name): ("reference_appendices/config.html#envvar-$", "-") for name in names}


# The page of each plugin type ("This is a callback plugin", and the like).
PLUGIN_TYPES = (
    "action",
    "become",
    "cache",
    "callback",
    "connection",
    "filter",
    "inventory",
    "lookup",
    "shell",
    "strategy",
    "test",
    "vars",
)
ANSIBLE_LABELS.update(
    {
        ("std:label", f"{kind}_plugins"): (f"plugins/{kind}.html#{kind}-plugins", f"{kind.capitalize()} plugins")
        for kind in PLUGIN_TYPES
    }
)
ANSIBLE_LABELS.update(core_environment_variables())


def write_inventory(path):
    """A Sphinx inventory (objects.inv, version 2) of ANSIBLE_LABELS."""
    lines = "".join(
        f"{name} {kind} -1 {uri} {label}\n" for (kind, name), (uri, label) in sorted(ANSIBLE_LABELS.items())
    )
    header = "# Sphinx inventory version 2\n# Project: Ansible\n# Version: devel\n"
    header += "# The remainder of this file is compressed using zlib.\n"
    path.write_bytes(header.encode() + zlib.compress(lines.encode()))
    return str(path)


_INVENTORY = Path(__file__).resolve().parent.parent / ".build" / "docs" / "ansible.inv"
_INVENTORY.parent.mkdir(parents=True, exist_ok=True)
intersphinx_mapping = {"ansible_devel": (ANSIBLE_DOCS, write_inventory(_INVENTORY))}
intersphinx_timeout = 1
