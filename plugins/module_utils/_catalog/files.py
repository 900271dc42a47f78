# -*- coding: utf-8 -*-
# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Finding the catalog and its schema shipped in the collection, and reading them.

Private to :mod:`..catalog`; import the facade, not this module.
"""

from __future__ import annotations

import json
import os
import sys
import traceback

try:
    import yaml
except ImportError:  # Only needed to read YAML; the module reports it with missing_required_lib.
    yaml = None
    YAML_IMPORT_ERROR = traceback.format_exc()
else:
    YAML_IMPORT_ERROR = None

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._catalog.common import CATALOG_DIR
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._catalog.common import CATALOG_FILENAME
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._catalog.common import COLLECTION_NAME
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._catalog.common import COLLECTION_NAMESPACE
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._catalog.common import SCHEMA_FILENAME
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._catalog.common import CatalogError
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._catalog.common import CatalogProblem
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._catalog.common import problems_message

HAS_YAML = yaml is not None

#: This file's place in the collection: ``<root>/plugins/module_utils/_catalog/files.py``.
_DEPTH_BELOW_ROOT = 4


def collection_search_roots():
    """Directories that may hold this collection, most specific first.

    The first is the collection this file belongs to (a checkout or an installed collection). When the module runs
    from Ansible's zipped payload that directory does not exist, so the usual collection locations follow:
    ``ANSIBLE_COLLECTIONS_PATH(S)``, ``~/.ansible/collections``, ``/usr/share/ansible/collections`` and
    ``sys.path`` (collections installed with pip or bundled with ``ansible``).
    """
    own_root = os.path.abspath(__file__)
    for _level in range(_DEPTH_BELOW_ROOT):
        own_root = os.path.dirname(own_root)
    roots = [own_root]
    bases = []
    for name in ("ANSIBLE_COLLECTIONS_PATH", "ANSIBLE_COLLECTIONS_PATHS"):
        bases.extend(entry for entry in os.environ.get(name, "").split(os.pathsep) if entry)
    bases.extend(("~/.ansible/collections", "/usr/share/ansible/collections"))
    bases.extend(entry for entry in sys.path if entry)
    for base in bases:
        base = os.path.expanduser(base)
        if os.path.basename(os.path.normpath(base)) == "ansible_collections":
            roots.append(os.path.join(base, COLLECTION_NAMESPACE, COLLECTION_NAME))
        else:
            roots.append(os.path.join(base, "ansible_collections", COLLECTION_NAMESPACE, COLLECTION_NAME))
    unique = []
    for root in roots:
        if root not in unique:
            unique.append(root)
    return unique


def find_collection_file(*relative):
    """Return the first existing ``<root>/<relative...>`` over :func:`collection_search_roots`, else None."""
    for root in collection_search_roots():
        candidate = os.path.join(root, *relative)
        if os.path.isfile(candidate):
            return candidate
    return None


def default_catalog_path():
    """Return the path of the catalog shipped in the collection (``<collection>/catalog/<CATALOG_FILENAME>``)."""
    found = find_collection_file(CATALOG_DIR, CATALOG_FILENAME)
    if found is None:
        raise CatalogError(
            "Cannot find the catalog shipped with %s.%s (%s/%s) under any of: %s. Pass catalog_path, for example "
            "the collection's catalog/%s."
            % (
                COLLECTION_NAMESPACE,
                COLLECTION_NAME,
                CATALOG_DIR,
                CATALOG_FILENAME,
                ", ".join(collection_search_roots()),
                CATALOG_FILENAME,
            )
        )
    return found


def find_schema_path(catalog_path=None):
    """Return the catalog JSON Schema: the collection's own, else a sibling of ``catalog_path``; None if neither exists."""
    found = find_collection_file(CATALOG_DIR, SCHEMA_FILENAME)
    if found is None and catalog_path:
        sibling = os.path.join(os.path.dirname(os.path.abspath(catalog_path)), SCHEMA_FILENAME)
        if os.path.isfile(sibling):
            found = sibling
    return found


if yaml is not None:

    class _UniqueKeyLoader(yaml.SafeLoader):  # pylint: disable=too-many-ancestors
        """SafeLoader that records duplicated mapping keys instead of silently keeping the last value."""

        def __init__(self, stream):
            super().__init__(stream)
            self.duplicate_keys = []

        def construct_mapping(self, node, deep=False):
            first = {}
            for key_node in (pair[0] for pair in node.value):
                if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                line = key_node.start_mark.line + 1
                if key_node.value in first:
                    self.duplicate_keys.append((key_node.value, line, first[key_node.value]))
                else:
                    first[key_node.value] = line
            return super().construct_mapping(node, deep=deep)


def parse_catalog_text(text, source="<catalog>"):
    """Parse catalog YAML (or JSON) text; duplicated keys and syntax errors raise :class:`CatalogError`."""
    if yaml is None:
        try:
            return json.loads(text)
        except ValueError:
            raise CatalogError("PyYAML is required to read the catalog %s (it is YAML)." % source) from None
    loader = _UniqueKeyLoader(text)
    try:
        data = loader.get_single_data()
    except yaml.YAMLError as err:
        raise CatalogError("The catalog %s is not valid YAML: %s" % (source, err)) from None
    finally:
        loader.dispose()
    if loader.duplicate_keys:
        problems = [
            CatalogProblem(
                (),
                "repeats the key %r already given at line %d (YAML would silently keep only the last value)"
                % (key, first_line),
                "each key once per mapping",
                context="line %d" % line,
            )
            for key, line, first_line in sorted(loader.duplicate_keys, key=lambda duplicate: duplicate[1])
        ]
        raise CatalogError(problems_message(source, problems), problems)
    return data


def load_catalog(path):
    """Read and parse the catalog file at ``path``; unreadable or malformed files raise :class:`CatalogError`."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as err:
        raise CatalogError(
            "Cannot read the catalog %s: %s. Pass a readable catalog YAML as catalog_path, or leave it unset to use "
            "the catalog shipped with the collection." % (path, err)
        ) from None
    return parse_catalog_text(text, source=path)


def load_schema(path):
    """Read the catalog JSON Schema at ``path``."""
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError) as err:
        raise CatalogError("Cannot read the catalog schema %s: %s" % (path, err)) from None
