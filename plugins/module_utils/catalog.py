# -*- coding: utf-8 -*-
# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The DayOA command catalog (``catalog/daylily_available_repositories.yaml``, command catalog v2).

The public face of the private ``_catalog`` package; import from here. Pure Python (PyYAML to read YAML, jsonschema
to check the shape), no Ansible: the ``dayoa_catalog`` module and tests import it, and other modules can reuse the
resolution helpers. The parts, one responsibility each:

* ``_catalog.files`` -- finding the catalog and schema shipped in the collection, and reading them;
* ``_catalog.schema`` -- **shape**: the JSON Schema ``catalog/daylily_available_repositories.schema.json`` (keys,
  types, enums, conditionally required keys), checked with jsonschema and worded as catalog problems;
* ``_catalog.templates`` -- ``{name}`` templates and pinned git refs;
* ``_catalog.classes`` and ``_catalog.rules`` -- **cross-rules**: what a schema cannot say (invariants 18 and 19,
  unique command ids, references that exist, launch commands, registration policies);
* ``_catalog.resolution`` -- finding a command and resolving what it needs.

Every problem of both layers is reported at once, each a :class:`CatalogProblem`: the path inside the catalog,
what is wrong and what is expected.
"""

from __future__ import annotations

# Not intended for general re-use / re-import: the facade below is the interface.
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._catalog import classes as _classes
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._catalog import common as _common
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._catalog import files as _files
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._catalog import resolution as _resolution
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._catalog import rules as _rules
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._catalog import schema as _schema
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._catalog import templates as _templates

# the files and the libraries that read them
COLLECTION_NAMESPACE = _common.COLLECTION_NAMESPACE
COLLECTION_NAME = _common.COLLECTION_NAME
CATALOG_DIR = _common.CATALOG_DIR
CATALOG_FILENAME = _common.CATALOG_FILENAME
SCHEMA_FILENAME = _common.SCHEMA_FILENAME
HAS_YAML = _files.HAS_YAML
YAML_IMPORT_ERROR = _files.YAML_IMPORT_ERROR
HAS_JSONSCHEMA = _schema.HAS_JSONSCHEMA
JSONSCHEMA_IMPORT_ERROR = _schema.JSONSCHEMA_IMPORT_ERROR
collection_search_roots = _files.collection_search_roots
find_collection_file = _files.find_collection_file
default_catalog_path = _files.default_catalog_path
find_schema_path = _files.find_schema_path
parse_catalog_text = _files.parse_catalog_text
load_catalog = _files.load_catalog
load_schema = _files.load_schema

# the catalog's vocabulary
CATALOG_VERSION = _common.CATALOG_VERSION
MANIFEST_SOURCES = _common.MANIFEST_SOURCES
COMMAND_CLASSES = _classes.COMMAND_CLASSES
SOURCE_MOUNT_MODES = _classes.SOURCE_MOUNT_MODES
DATA_MODES = _classes.DATA_MODES
NO_INPUT_CONTRACT = _classes.NO_INPUT_CONTRACT
ClassRule = _classes.ClassRule
CLASS_RULES = _classes.CLASS_RULES
REGISTRATION_PLACEHOLDERS = _rules.REGISTRATION_PLACEHOLDERS
DEFAULT_MOUNTED_ROOTS = _rules.DEFAULT_MOUNTED_ROOTS
RUN_PLACEHOLDERS = _rules.RUN_PLACEHOLDERS
RUN_MOUNT_PREFIX = _rules.RUN_MOUNT_PREFIX
KNOWN_CLASSIFICATIONS = _rules.KNOWN_CLASSIFICATIONS
CLASSIFICATION_PREFIXES = _rules.CLASSIFICATION_PREFIXES
DAYOA_LAUNCHER = _rules.DAYOA_LAUNCHER

# problems and errors
format_path = _common.format_path
CatalogProblem = _common.CatalogProblem
CatalogError = _common.CatalogError

# templates and refs
BRANCH_NAMES = _templates.BRANCH_NAMES
PINNED_REF_EXPECTED = _templates.PINNED_REF_EXPECTED
TemplateField = _templates.TemplateField
template_placeholders = _templates.template_placeholders
render_template = _templates.render_template
render_registration_policy = _templates.render_registration_policy
policy_template_fields = _templates.policy_template_fields
pinned_ref_problem = _templates.pinned_ref_problem
is_pinned_ref = _templates.is_pinned_ref

# shape and cross-rules
schema_problems = _schema.schema_problems
rule_problems = _rules.rule_problems
registration_policy_problems = _rules.registration_policy_problems

# lookups and resolution
iter_commands = _resolution.iter_commands
command_ids = _resolution.command_ids
summarize_catalog = _resolution.summarize_catalog
find_command = _resolution.find_command
resolve_test_data_profile = _resolution.resolve_test_data_profile
resolve_input_contract = _resolution.resolve_input_contract
resolve_command = _resolution.resolve_command


def _command_context(catalog, parts):
    if len(parts) >= 4 and parts[0] == "repositories" and parts[2] == "analysis_commands" and isinstance(parts[3], int):
        repo = _common.as_mapping(_common.as_mapping(catalog.get("repositories")).get(parts[1]))
        commands = repo.get("analysis_commands")
        if isinstance(commands, list) and parts[3] < len(commands) and isinstance(commands[parts[3]], dict):
            command_id = commands[parts[3]].get("command_id")
            if _common.is_nonempty_str(command_id):
                return "command %s" % command_id
    return None


def validate_catalog(catalog, schema=None):
    """Return every problem of ``catalog``: schema problems (when ``schema`` is given) and cross-rule problems.

    Problems under a command carry the command id as context. The list is deduplicated and sorted by path.
    """
    found = list(schema_problems(catalog, schema)) if schema is not None else []
    found += rule_problems(catalog)
    if isinstance(catalog, dict):
        found = [p if p.context else p._replace(context=_command_context(catalog, p.parts)) for p in found]
    return _common.unique_sorted(found)


def check_catalog(catalog, schema=None, source="<catalog>"):
    """Raise :class:`CatalogError` listing every problem when ``catalog`` is not valid; return it otherwise."""
    problems = validate_catalog(catalog, schema)
    if problems:
        raise CatalogError(_common.problems_message(source, problems), problems)
    return catalog
