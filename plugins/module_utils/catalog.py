# -*- coding: utf-8 -*-
# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The DayOA command catalog (``catalog/daylily_available_repositories.yaml``, command catalog v2).

Pure Python (standard library; PyYAML to read YAML, jsonschema when it is installed), no Ansible: the
``dayoa_catalog`` module and tests import it, and other modules can reuse the resolution helpers.

The catalog is checked in two layers and every problem of both layers is reported at once:

* **shape** -- the JSON Schema ``catalog/daylily_available_repositories.schema.json`` (keys, types, enums,
  conditionally required keys). jsonschema validates it when importable; otherwise a built-in interpreter of the
  small keyword subset the schema uses gives the same results (a unit test keeps the two in step);
* **cross-rules** (:func:`rule_problems`) -- what a schema cannot say: command classes agree with their input
  contract, staging/run-mount flags and test-data profile (invariant 18); refs are pinned tags equal to the
  repository's ``default_ref`` unless explicitly allowed (invariant 19); command ids are unique; referenced
  contracts and profiles exist; the launch commands match targets/jobs/genome; artifact-registration policies can
  actually select what they promise.

Each problem is a :class:`CatalogProblem`: the path inside the catalog, what is wrong and what is expected.
"""

from __future__ import annotations

import copy
import fnmatch
import json
import os
import re
import shlex
import sys
import traceback
from collections import namedtuple

try:
    import yaml
except ImportError:  # Only needed to read YAML; the module reports it with missing_required_lib.
    yaml = None
    YAML_IMPORT_ERROR = traceback.format_exc()
else:
    YAML_IMPORT_ERROR = None

try:
    import jsonschema
except ImportError:  # Optional: the built-in interpreter below covers the schema's keywords.
    jsonschema = None

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import paths

HAS_YAML = yaml is not None
HAS_JSONSCHEMA = jsonschema is not None

COLLECTION_NAMESPACE = "daylily"
COLLECTION_NAME = "ephemeral_cluster"
CATALOG_DIR = "catalog"
CATALOG_FILENAME = "daylily_available_repositories.yaml"
SCHEMA_FILENAME = "daylily_available_repositories.schema.json"

CATALOG_VERSION = 2
COMMAND_CLASSES = ("sample_analysis", "run_analysis", "utility")
SOURCE_MOUNT_MODES = ("none", "default_mounted", "run_dra_required")
MANIFEST_SOURCES = ("dayoa_manifest", "s3_inventory")
#: Sample data modes of a staged manifest (``dyec samples stage``); commands list the ones they accept.
DATA_MODES = (
    "ilmn_solo",
    "complete_genomics_solo",
    "ultima_solo",
    "ont_solo",
    "pacbio_solo",
    "roche_solo",
    "hybrid_ilmn_ont",
    "hybrid_ug_ont",
)
#: ``input_contract`` of commands that read no input tables (utility commands).
NO_INPUT_CONTRACT = "none"
#: Placeholders an artifact-registration policy may use; they are filled at registration time.
REGISTRATION_PLACEHOLDERS = ("analysis_id", "executing_entity", "genome")
#: Role-bucket placeholders of a profile's ``source_s3_uri_template`` and the FSx root each bucket is mounted at by
#: default (the startup ``/references/`` DRA and the ``control-data`` mount of its bare root).
DEFAULT_MOUNTED_ROOTS = {
    "reference_s3_uri": paths.MOUNT_ROOTS["reference"],
    "control_data_s3_uri": paths.MOUNT_ROOTS["control-data"],
}
#: Per-run placeholders a run_dra_required profile may use, filled from the run context (runs.tsv).
RUN_PLACEHOLDERS = ("run_id", "mount_id")
#: Where a run DRA puts a run folder; the mount id comes from the run context.
RUN_MOUNT_PREFIX = paths.MOUNT_ROOTS["run"] + "{mount_id}/"
#: File classifications of DayOA's evidence manifest plus DayEC's own (``multiqc_data_file``, ``registered_file``).
KNOWN_CLASSIFICATIONS = frozenset(
    (
        "variant_vcf",
        "variant_vcf_index",
        "alignment_cram",
        "alignment_cram_index",
        "alignment_bam",
        "alignment_bam_index",
        "csi_index",
        "multiqc_html",
        "multiqc_data_json",
        "multiqc_general_stats",
        "multiqc_sources",
        "multiqc_log",
        "multiqc_data_json_artifact",
        "multiqc_data_table_artifact",
        "multiqc_data_text_artifact",
        "multiqc_data_artifact",
        "multiqc_data_file",
        "custom_mqc_tsv",
        "staging_manifest",
        "samples_manifest",
        "units_manifest",
        "run_qc_json",
        "run_qc_tsv",
        "bclconvert_json",
        "bclconvert_table",
        "benchmark",
        "log",
        "json_artifact",
        "tsv_artifact",
        "html_artifact",
        "workflow_report",
        "registered_file",
        "unknown",
    )
)
#: DayOA names its workflow diagram classifications ``workflow_diagram_<format>``.
CLASSIFICATION_PREFIXES = ("workflow_diagram_",)
#: Moving refs: a launch that clones one of these is not reproducible.
BRANCH_NAMES = frozenset(("main", "master", "head", "develop", "development", "dev", "trunk", "latest", "stable", "release"))
PINNED_REF_EXPECTED = "a pinned release tag such as '2.0.26' (or a full 40-character commit id), never a branch"
DAYOA_LAUNCHER = "bin/day_run"

_RELEASE_TAG_RE = re.compile(r"v?\d+(\.\d+){1,3}([-+][0-9A-Za-z][0-9A-Za-z.+-]*)?")
_COMMIT_RE = re.compile(r"[0-9a-f]{40}")
_PLACEHOLDER_RE = re.compile(r"\{([^{}]*)\}")
_SIMPLE_KEY_RE = re.compile(r"[A-Za-z0-9_-]+")


class ClassRule(namedtuple("ClassRule", "input_contract requires_staging requires_run_mount source_mount_mode reason")):
    """What a command class implies for the other command fields."""


#: sample_analysis <=> sample_manifest <=> staging; run_analysis <=> run_context <=> run mount <=> run_dra_required;
#: utility <=> source mode none. As the classes partition the commands, checking each command against the rule of
#: its class enforces every direction of these equivalences.
CLASS_RULES = {
    "sample_analysis": ClassRule(
        "sample_manifest", True, False, "default_mounted",
        "sample_analysis commands read staged sample manifests (samples.tsv + units.tsv) and validate against "
        "default-mounted test data",
    ),
    "run_analysis": ClassRule(
        "run_context", False, True, "run_dra_required",
        "run_analysis commands read a sequencing run folder that a run DRA mounts, described by runs.tsv",
    ),
    "utility": ClassRule(
        NO_INPUT_CONTRACT, False, False, "none",
        "utility commands take no input data",
    ),
}


# ----------------------------------------------------------------------------------------------------------------
# problems and errors


def format_path(parts):
    """Format a path inside the catalog: ``repositories.daylily-omics-analysis.analysis_commands[0].git_tag``."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += "[%d]" % part
        elif _SIMPLE_KEY_RE.fullmatch(part):
            text += ("." if text else "") + part
        else:
            text += "[%s]" % json.dumps(part)
    return text


class CatalogProblem(namedtuple("CatalogProblem", "parts problem expected context")):
    """One catalog problem: where (``parts`` of the path), what is wrong, what is expected, optional context."""

    __slots__ = ()

    def __new__(cls, parts, problem, expected=None, context=None):
        return super().__new__(cls, tuple(parts), problem, expected, context)

    @property
    def path(self):
        """The formatted path; for problems found while parsing (no path yet) the context, e.g. ``line 12``."""
        return format_path(self.parts) or self.context or "(catalog root)"

    def __str__(self):
        text = self.path
        if self.context and self.parts:
            text += " (%s)" % self.context
        text += ": " + self.problem
        if self.expected:
            text += "; expected " + self.expected
        return text


class CatalogError(Exception):
    """The catalog cannot be used. ``problems`` lists every :class:`CatalogProblem`; ``details`` extra result keys."""

    def __init__(self, message, problems=(), **details):
        super().__init__(message)
        self.message = message
        self.problems = list(problems)
        self.details = details


def _sort_key(problem):
    return (tuple((0, part, "") if isinstance(part, int) else (1, 0, part) for part in problem.parts), problem.problem)


# ----------------------------------------------------------------------------------------------------------------
# finding the shipped files


def collection_search_roots():
    """Directories that may hold this collection, most specific first.

    The first is the collection this file belongs to (a checkout or an installed collection). When the module runs
    from Ansible's zipped payload that directory does not exist, so the usual collection locations follow:
    ``ANSIBLE_COLLECTIONS_PATH(S)``, ``~/.ansible/collections``, ``/usr/share/ansible/collections`` and
    ``sys.path`` (collections installed with pip or bundled with ``ansible``).
    """
    here = os.path.abspath(__file__)
    roots = [os.path.dirname(os.path.dirname(os.path.dirname(here)))]
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
            "the collection's catalog/%s." % (
                COLLECTION_NAMESPACE, COLLECTION_NAME, CATALOG_DIR, CATALOG_FILENAME,
                ", ".join(collection_search_roots()), CATALOG_FILENAME,
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


# ----------------------------------------------------------------------------------------------------------------
# loading


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
                "repeats the key %r already given at line %d (YAML would silently keep only the last value)" % (key, first_line),
                "each key once per mapping",
                context="line %d" % line,
            )
            for key, line, first_line in sorted(loader.duplicate_keys, key=lambda duplicate: duplicate[1])
        ]
        raise CatalogError(_problems_message(source, problems), problems)
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


# ----------------------------------------------------------------------------------------------------------------
# shape: JSON Schema, through jsonschema or the built-in interpreter

#: Keywords the built-in interpreter evaluates; :data:`SCHEMA_ANNOTATIONS` are accepted and ignored.
SCHEMA_KEYWORDS = frozenset(
    (
        "$ref", "type", "enum", "const", "properties", "required", "additionalProperties", "propertyNames",
        "minProperties", "items", "minItems", "uniqueItems", "pattern", "minLength", "minimum", "allOf",
        "if", "then", "else",
    )
)
SCHEMA_ANNOTATIONS = frozenset(
    ("$schema", "$id", "$defs", "$comment", "title", "description", "default", "examples", "x-expected", "x-required-because")
)

_TYPE_NAMES = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "a boolean (true or false)",
    "object": "a mapping",
    "array": "a list",
    "null": "null",
}


def _is_type(instance, name):
    if name == "string":
        return isinstance(instance, str)
    if name == "integer":
        return isinstance(instance, int) and not isinstance(instance, bool) or (isinstance(instance, float) and instance.is_integer())
    if name == "number":
        return isinstance(instance, (int, float)) and not isinstance(instance, bool)
    if name == "boolean":
        return isinstance(instance, bool)
    if name == "object":
        return isinstance(instance, dict)
    if name == "array":
        return isinstance(instance, list)
    if name == "null":
        return instance is None
    return False


def _describe(instance):
    """Say what a value is, for messages: ``a number (2.1)``, ``a mapping``."""
    if instance is None:
        return "null"
    if isinstance(instance, bool):
        return "a boolean (%s)" % ("true" if instance else "false")
    if isinstance(instance, int):
        return "an integer (%d)" % instance
    if isinstance(instance, float):
        return "a number (%r)" % instance
    if isinstance(instance, str):
        return "a string (%r)" % instance
    if isinstance(instance, dict):
        return "a mapping"
    if isinstance(instance, list):
        return "a list"
    return type(instance).__name__


def _show(value):
    if isinstance(value, (dict, list)):
        return _describe(value)
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    return repr(value)


def _expected(schema, default):
    if isinstance(schema, dict) and schema.get("x-expected"):
        return schema["x-expected"]
    return default


def _keyword_problems(keyword, value, instance, schema, parts, key_name=False):
    """Turn one failed schema keyword into problems. Shared by jsonschema and the built-in interpreter."""
    subject = ("key name " if key_name else "") + _show(instance)
    if keyword is None:  # the ``false`` schema
        return [CatalogProblem(parts, "is not allowed here")]
    if keyword == "type":
        names = value if isinstance(value, list) else [value]
        return [CatalogProblem(parts, "is " + _describe(instance), _expected(schema, " or ".join(_TYPE_NAMES.get(n, n) for n in names)))]
    if keyword == "enum":
        return [CatalogProblem(parts, "%s is not allowed" % subject, _expected(schema, "one of: " + ", ".join(_show(v) for v in value)))]
    if keyword == "const":
        return [CatalogProblem(parts, "is " + _show(instance), _expected(schema, _show(value)))]
    if keyword == "pattern":
        return [CatalogProblem(parts, "%s does not have the expected form" % subject, _expected(schema, "a string matching %s" % value))]
    if keyword == "minLength":
        problem = "is empty" if len(instance) == 0 else "is too short (%d characters)" % len(instance)
        return [CatalogProblem(parts, problem, _expected(schema, "a non-empty string" if value == 1 else "at least %d characters" % value))]
    if keyword == "minimum":
        return [CatalogProblem(parts, "is %r" % instance, _expected(schema, "a number >= %r" % value))]
    if keyword == "minItems":
        problem = "is an empty list" if len(instance) == 0 else "has %d item(s)" % len(instance)
        return [CatalogProblem(parts, problem, _expected(schema, "at least %d item(s)" % value))]
    if keyword == "minProperties":
        problem = "is empty" if len(instance) == 0 else "has %d entries" % len(instance)
        return [CatalogProblem(parts, problem, _expected(schema, "at least %d entr%s" % (value, "y" if value == 1 else "ies")))]
    if keyword == "uniqueItems":
        seen, repeated = [], []
        for item in instance:
            if item in seen and item not in repeated:
                repeated.append(item)
            seen.append(item)
        return [CatalogProblem(parts, "lists %s more than once" % ", ".join(_show(item) for item in repeated), _expected(schema, "each item once"))]
    if keyword == "required":
        because = schema.get("x-required-because")
        known = schema.get("properties", {})
        out = []
        for key in value:
            if key in instance:
                continue
            declared = known.get(key) if isinstance(known.get(key), dict) else {}
            expected = declared.get("x-expected") or declared.get("description") or schema.get("x-expected")
            out.append(CatalogProblem(tuple(parts) + (key,), "is missing" + (" (%s)" % because if because else ""), expected))
        return out
    if keyword == "additionalProperties":
        known = schema.get("properties", {})
        return [
            CatalogProblem(tuple(parts) + (key,), "is not a known key", "one of: " + ", ".join(sorted(known)) if known else "no keys")
            for key in instance
            if key not in known
        ]
    return [CatalogProblem(parts, "fails the schema keyword %r (%r)" % (keyword, value))]


def _resolve_ref(root, ref):
    if not ref.startswith("#/"):
        raise CatalogError("The catalog schema uses the reference %r; only local '#/...' references are supported." % ref)
    node = root
    for token in ref[2:].split("/"):
        node = node[token.replace("~1", "/").replace("~0", "~")]
    return node


def _builtin_schema_problems(schema, instance, parts, root, key_name=False):
    """Evaluate ``schema`` on ``instance`` with the keyword subset :data:`SCHEMA_KEYWORDS` (draft 2020-12 semantics)."""
    if schema is True:
        return []
    if schema is False:
        return _keyword_problems(None, None, instance, schema, parts, key_name)
    out = []
    if "$ref" in schema:
        out += _builtin_schema_problems(_resolve_ref(root, schema["$ref"]), instance, parts, root, key_name)
    if "type" in schema:
        names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_is_type(instance, name) for name in names):
            out += _keyword_problems("type", schema["type"], instance, schema, parts, key_name)
    if "enum" in schema and not any(_json_equal(instance, option) for option in schema["enum"]):
        out += _keyword_problems("enum", schema["enum"], instance, schema, parts, key_name)
    if "const" in schema and not _json_equal(instance, schema["const"]):
        out += _keyword_problems("const", schema["const"], instance, schema, parts, key_name)
    for sub in schema.get("allOf", ()):
        out += _builtin_schema_problems(sub, instance, parts, root, key_name)
    if "if" in schema:
        branch = "then" if not _builtin_schema_problems(schema["if"], instance, parts, root, key_name) else "else"
        if branch in schema:
            out += _builtin_schema_problems(schema[branch], instance, parts, root, key_name)
    if isinstance(instance, dict):
        out += _object_problems(schema, instance, parts, root)
    if isinstance(instance, list):
        if "items" in schema:
            for index, item in enumerate(instance):
                out += _builtin_schema_problems(schema["items"], item, tuple(parts) + (index,), root)
        if "minItems" in schema and len(instance) < schema["minItems"]:
            out += _keyword_problems("minItems", schema["minItems"], instance, schema, parts)
        if schema.get("uniqueItems") and _has_duplicates(instance):
            out += _keyword_problems("uniqueItems", True, instance, schema, parts)
    if isinstance(instance, str):
        if "pattern" in schema and not re.search(schema["pattern"], instance):
            out += _keyword_problems("pattern", schema["pattern"], instance, schema, parts, key_name)
        if "minLength" in schema and len(instance) < schema["minLength"]:
            out += _keyword_problems("minLength", schema["minLength"], instance, schema, parts, key_name)
    if _is_type(instance, "number") and "minimum" in schema and instance < schema["minimum"]:
        out += _keyword_problems("minimum", schema["minimum"], instance, schema, parts)
    return out


def _object_problems(schema, instance, parts, root):
    out = []
    properties = schema.get("properties", {})
    for key, sub in properties.items():
        if key in instance:
            out += _builtin_schema_problems(sub, instance[key], tuple(parts) + (key,), root)
    if "required" in schema:
        out += _keyword_problems("required", schema["required"], instance, schema, parts)
    extra = schema.get("additionalProperties", True)
    if extra is False:
        if any(key not in properties for key in instance):
            out += _keyword_problems("additionalProperties", False, instance, schema, parts)
    elif isinstance(extra, dict):
        for key, value in instance.items():
            if key not in properties:
                out += _builtin_schema_problems(extra, value, tuple(parts) + (key,), root)
    if "propertyNames" in schema:
        for key in instance:
            out += _builtin_schema_problems(schema["propertyNames"], key, tuple(parts) + (key,), root, key_name=True)
    if "minProperties" in schema and len(instance) < schema["minProperties"]:
        out += _keyword_problems("minProperties", schema["minProperties"], instance, schema, parts)
    return out


def _json_equal(first, second):
    if isinstance(first, bool) or isinstance(second, bool):
        return isinstance(first, bool) and isinstance(second, bool) and first == second
    return first == second


def _has_duplicates(items):
    seen = []
    for item in items:
        if any(_json_equal(item, other) for other in seen):
            return True
        seen.append(item)
    return False


def _jsonschema_problems(schema, instance):
    validator_cls = jsonschema.validators.validator_for(schema)
    out = []
    for error in validator_cls(schema).iter_errors(instance):
        parts = tuple(error.absolute_path)
        key_name = "propertyNames" in list(error.absolute_schema_path)
        if key_name:
            parts += (error.instance,)
        out += _keyword_problems(error.validator, error.validator_value, error.instance, error.schema, parts, key_name)
    return out


def schema_problems(catalog, schema, engine=None):
    """Check ``catalog`` against the JSON Schema ``schema``; return the problems, deduplicated and sorted.

    ``engine`` is ``"jsonschema"``, ``"builtin"`` or None (jsonschema when it is importable, else builtin).
    """
    if engine is None:
        engine = "jsonschema" if HAS_JSONSCHEMA else "builtin"
    if engine == "jsonschema":
        if not HAS_JSONSCHEMA:
            raise CatalogError("The jsonschema library is not installed.")
        found = _jsonschema_problems(schema, catalog)
    else:
        found = _builtin_schema_problems(schema, catalog, (), schema)
    return _unique_sorted(found)


def _unique_sorted(problems):
    unique = []
    for problem in problems:
        if problem not in unique:
            unique.append(problem)
    return sorted(unique, key=_sort_key)


# ----------------------------------------------------------------------------------------------------------------
# templates and refs


def template_placeholders(text):
    """Return (names, balanced) for ``{name}`` placeholders in ``text``; ``balanced`` is False on stray braces."""
    names = _PLACEHOLDER_RE.findall(text)
    rest = _PLACEHOLDER_RE.sub("", text)
    return names, "{" not in rest and "}" not in rest


def render_template(text, values):
    """Replace the ``{name}`` placeholders of ``text`` that ``values`` names; leave the others in place."""

    def replace(match):
        name = match.group(1)
        return str(values[name]) if name in values and values[name] is not None else match.group(0)

    return _PLACEHOLDER_RE.sub(replace, text)


def render_registration_policy(policy, values):
    """Return a copy of an ``artifact_registration`` policy with ``values`` filled into its templated fields.

    Templated fields: ``evidence_manifest_path``, ``include_paths``, the report paths and the ``identity`` values.
    Placeholders missing from ``values`` stay (e.g. ``{analysis_id}`` before launch).
    """
    rendered = copy.deepcopy(policy)
    for field in policy_template_fields(rendered):
        field.container[field.key] = render_template(field.container[field.key], values)
    return rendered


class TemplateField(namedtuple("TemplateField", "parts container key")):
    """A templated string of a registration policy: its path inside the policy and where it is stored."""


def policy_template_fields(policy):
    """Return the :class:`TemplateField` of every templated string of a registration policy."""
    fields = []
    if isinstance(policy.get("evidence_manifest_path"), str):
        fields.append(TemplateField(("evidence_manifest_path",), policy, "evidence_manifest_path"))
    include_paths = policy.get("include_paths")
    for index, value in enumerate(include_paths if isinstance(include_paths, list) else []):
        if isinstance(value, str):
            fields.append(TemplateField(("include_paths", index), include_paths, index))
    reports = policy.get("multiqc_reports")
    for index, report in enumerate(reports if isinstance(reports, list) else []):
        for key in ("html_path", "data_dir_path"):
            if isinstance(report, dict) and isinstance(report.get(key), str):
                fields.append(TemplateField(("multiqc_reports", index, key), report, key))
    identity = policy.get("identity")
    for key, value in (identity.items() if isinstance(identity, dict) else ()):
        if isinstance(value, str):
            fields.append(TemplateField(("identity", key), identity, key))
    return fields


def pinned_ref_problem(ref):
    """Return (problem, expected) when ``ref`` is not a pinned tag or commit, else None (non-strings: None)."""
    if not isinstance(ref, str):
        return None
    if ref.strip() == "":
        return "is empty", PINNED_REF_EXPECTED
    lowered = ref.lower()
    if lowered in BRANCH_NAMES or lowered.startswith(("refs/heads/", "origin/")):
        return "%r is a branch name, not a pinned tag" % ref, PINNED_REF_EXPECTED
    if not (_RELEASE_TAG_RE.fullmatch(ref) or _COMMIT_RE.fullmatch(ref)):
        return "%r is neither a release tag nor a full commit id" % ref, PINNED_REF_EXPECTED
    return None


def is_pinned_ref(ref):
    """True for a release tag (``2.0.26``, ``v1.2``) or a full commit id; False for branches and anything else."""
    return isinstance(ref, str) and pinned_ref_problem(ref) is None


# ----------------------------------------------------------------------------------------------------------------
# cross-rules


def _mapping(value):
    return value if isinstance(value, dict) else {}


def _nonempty_str(value):
    return isinstance(value, str) and value != ""


def rule_problems(catalog):
    """Return the cross-rule problems of a parsed catalog (values of the wrong shape are left to the schema)."""
    if not isinstance(catalog, dict):
        return []
    out = []
    contracts = _mapping(catalog.get("input_contracts"))
    profiles = _mapping(catalog.get("test_data_profiles"))
    if NO_INPUT_CONTRACT in contracts:
        out.append(CatalogProblem(
            ("input_contracts", NO_INPUT_CONTRACT),
            "uses the reserved id %r (it means 'no input' for utility commands)" % NO_INPUT_CONTRACT,
            "another contract id",
        ))
    for profile_id, profile in profiles.items():
        if isinstance(profile, dict):
            out += _profile_problems(profile_id, profile, contracts)
    first_use = {}
    for repo_key, repo in _mapping(catalog.get("repositories")).items():
        if not isinstance(repo, dict):
            continue
        out += _repository_problems(repo_key, repo)
        commands = repo.get("analysis_commands")
        for index, command in enumerate(commands if isinstance(commands, list) else []):
            if not isinstance(command, dict):
                continue
            base = ("repositories", repo_key, "analysis_commands", index)
            command_id = command.get("command_id")
            if _nonempty_str(command_id):
                if command_id in first_use:
                    out.append(CatalogProblem(
                        base + ("command_id",),
                        "%r is already the id of %s" % (command_id, format_path(first_use[command_id])),
                        "a command_id used once in the whole catalog",
                    ))
                else:
                    first_use[command_id] = base
            out += _command_problems(command, base, repo, contracts, profiles)
    return out


def _runs_table(contracts):
    tables = _mapping(_mapping(contracts.get("run_context")).get("tables"))
    return _mapping(tables.get("runs"))


def _profile_problems(profile_id, profile, contracts):
    out = []
    base = ("test_data_profiles", profile_id)
    mode = profile.get("source_mount_mode")
    source_keys = ("locations", "source_s3_uri_template", "source_fsx_prefix")
    run_keys = ("run_context_source_s3_column", "run_context_mount_id_column")
    if mode == "none":
        for key in source_keys + run_keys:
            if profile.get(key) not in (None, "", []):
                out.append(CatalogProblem(
                    base + (key,),
                    "is set, but a profile with source_mount_mode 'none' has no source data",
                    "no source fields (or source_mount_mode default_mounted / run_dra_required)",
                ))
        return out
    if mode == "default_mounted":
        for key in run_keys:
            if profile.get(key) not in (None, ""):
                out.append(CatalogProblem(
                    base + (key,),
                    "is only used by run_dra_required profiles",
                    "no run-context column in a default_mounted profile",
                ))
        out += _default_mounted_source_problems(base, profile)
    elif mode == "run_dra_required":
        out += _run_source_problems(base, profile, contracts)
    return out


def _template_problems(parts, template, allowed):
    names, balanced = template_placeholders(template)
    out = []
    if not balanced:
        out.append(CatalogProblem(parts, "has an unbalanced '{' or '}'", "placeholders written as {name}"))
    unknown = [name for name in names if name not in allowed]
    if unknown:
        out.append(CatalogProblem(
            parts,
            "uses the placeholder(s) %s, which cannot be filled here" % ", ".join("{%s}" % name for name in unknown),
            "only " + ", ".join("{%s}" % name for name in allowed),
        ))
    return out


def _default_mounted_source_problems(base, profile):
    template = profile.get("source_s3_uri_template")
    prefix = profile.get("source_fsx_prefix")
    out = []
    root = remainder = None
    if _nonempty_str(template):
        out += _template_problems(base + ("source_s3_uri_template",), template, tuple(DEFAULT_MOUNTED_ROOTS))
        for placeholder, fsx_root in DEFAULT_MOUNTED_ROOTS.items():
            if template.startswith("{%s}" % placeholder):
                root, remainder = fsx_root, template[len(placeholder) + 2:]
        if root is None:
            out.append(CatalogProblem(
                base + ("source_s3_uri_template",),
                "%r does not start with a role bucket that the cluster mounts by default" % template,
                "'{reference_s3_uri}...' (mounted at /references/) or '{control_data_s3_uri}...' (mounted at /control_data/)",
            ))
        elif not template.endswith("/"):
            out.append(CatalogProblem(base + ("source_s3_uri_template",), "does not end with '/'", "an S3 prefix ending with '/'"))
    if _nonempty_str(prefix):
        try:
            normalised = paths.normalize_fsx_path(prefix, field="source_fsx_prefix")
        except paths.PathRuleError as err:
            out.append(CatalogProblem(base + ("source_fsx_prefix",), "%r %s" % (prefix, err.problem), err.expected))
            return out
        if root is not None:
            want = root + remainder
            if normalised != want:
                out.append(CatalogProblem(
                    base + ("source_fsx_prefix",),
                    "is %r, but the data of source_s3_uri_template %r is visible at %r" % (prefix, template, want),
                    repr(want),
                ))
    return out


def _run_source_problems(base, profile, contracts):
    out = []
    template = profile.get("source_s3_uri_template")
    if _nonempty_str(template):
        out += _template_problems(base + ("source_s3_uri_template",), template, tuple(DEFAULT_MOUNTED_ROOTS) + RUN_PLACEHOLDERS)
        if not (template.startswith("s3://") or any(template.startswith("{%s}" % name) for name in DEFAULT_MOUNTED_ROOTS)):
            out.append(CatalogProblem(
                base + ("source_s3_uri_template",),
                "%r is not an S3 URI" % template,
                "'s3://bucket/prefix/...' or a role bucket placeholder such as '{control_data_s3_uri}...'",
            ))
        elif not template.endswith("/"):
            out.append(CatalogProblem(base + ("source_s3_uri_template",), "does not end with '/'", "the S3 prefix of a run folder, ending with '/'"))
    prefix = profile.get("source_fsx_prefix")
    if _nonempty_str(prefix) and prefix != RUN_MOUNT_PREFIX:
        out.append(CatalogProblem(
            base + ("source_fsx_prefix",),
            "is %r, but a run DRA mounts each run folder at %r" % (prefix, RUN_MOUNT_PREFIX),
            repr(RUN_MOUNT_PREFIX),
        ))
    columns = _runs_table(contracts).get("columns")
    if isinstance(columns, list):
        for key in ("run_context_source_s3_column", "run_context_mount_id_column"):
            column = profile.get(key)
            if _nonempty_str(column) and column not in columns:
                out.append(CatalogProblem(
                    base + (key,),
                    "names the column %r, which the run_context contract's runs table does not have" % column,
                    "one of: " + ", ".join(str(c) for c in columns),
                ))
    return out


def _repository_problems(repo_key, repo):
    out = []
    base = ("repositories", repo_key)
    bad = pinned_ref_problem(repo.get("default_ref"))
    if bad:
        out.append(CatalogProblem(base + ("default_ref",), bad[0], bad[1]))
    allowed = repo.get("allowed_git_tags")
    for index, tag in enumerate(allowed if isinstance(allowed, list) else []):
        bad = pinned_ref_problem(tag)
        if bad:
            out.append(CatalogProblem(base + ("allowed_git_tags", index), bad[0], bad[1]))
    return out


def _command_problems(command, base, repo, contracts, profiles):
    """Return the cross-rule problems of one command dict found at ``base`` in repository ``repo``."""
    out = []
    command_class = command.get("command_class")
    contract_id = command.get("input_contract")
    profile_id = command.get("test_data_profile")

    if _nonempty_str(contract_id) and contract_id != NO_INPUT_CONTRACT and contract_id not in contracts:
        out.append(CatalogProblem(
            base + ("input_contract",),
            "names the input contract %r, which input_contracts does not define" % contract_id,
            "one of: " + ", ".join(sorted(contracts) + [NO_INPUT_CONTRACT]),
        ))
    profile = None
    if _nonempty_str(profile_id):
        if profile_id in profiles:
            profile = profiles[profile_id]
        else:
            out.append(CatalogProblem(
                base + ("test_data_profile",),
                "names the test data profile %r, which test_data_profiles does not define" % profile_id,
                "one of: " + ", ".join(sorted(profiles)),
            ))

    rule = CLASS_RULES.get(command_class) if isinstance(command_class, str) else None
    if rule is not None:
        out += _class_problems(command, base, command_class, rule, profile_id, profile)

    out += _git_tag_problems(command, base, repo)
    out += _launch_problems(command, base, contracts)
    policy = command.get("artifact_registration")
    if isinstance(policy, dict):
        out += registration_policy_problems(policy, base + ("artifact_registration",), genome=command.get("genome"))
    return out


def _class_problems(command, base, command_class, rule, profile_id, profile):
    out = []
    contract_id = command.get("input_contract")
    if isinstance(contract_id, str) and contract_id != rule.input_contract:
        out.append(CatalogProblem(base + ("input_contract",), "is %r, but %s" % (contract_id, rule.reason), repr(rule.input_contract)))
    for field, want in (("requires_staging", rule.requires_staging), ("requires_run_mount", rule.requires_run_mount)):
        value = command.get(field)
        if isinstance(value, bool) and value != want:
            out.append(CatalogProblem(base + (field,), "is %s, but %s" % (_show(value), rule.reason), _show(want)))
    mode = profile.get("source_mount_mode") if isinstance(profile, dict) else None
    if mode in SOURCE_MOUNT_MODES and mode != rule.source_mount_mode:
        out.append(CatalogProblem(
            base + ("test_data_profile",),
            "names %r, whose source_mount_mode is %r, but %s" % (profile_id, mode, rule.reason),
            "a profile with source_mount_mode %r for a %s command" % (rule.source_mount_mode, command_class),
        ))
    modes = command.get("compatible_data_modes")
    if command_class == "sample_analysis" and modes == []:
        out.append(CatalogProblem(
            base + ("compatible_data_modes",),
            "is empty, so no staged sample manifest could ever be launched with this sample_analysis command",
            "at least one of: " + ", ".join(DATA_MODES),
        ))
    return out


def _git_tag_problems(command, base, repo):
    tag = command.get("git_tag")
    bad = pinned_ref_problem(tag)
    if bad:
        return [CatalogProblem(base + ("git_tag",), bad[0], bad[1])]
    default_ref = repo.get("default_ref")
    allowed = repo.get("allowed_git_tags") if isinstance(repo.get("allowed_git_tags"), list) else []
    # An unpinned default_ref is reported once, on the repository, not again on every command.
    if isinstance(tag, str) and is_pinned_ref(default_ref) and tag != default_ref and tag not in allowed:
        return [CatalogProblem(
            base + ("git_tag",),
            "pins %r, but the repository's default_ref is %r" % (tag, default_ref),
            "%r, or %r listed in the repository's allowed_git_tags to allow it explicitly" % (default_ref, tag),
        )]
    return []


def _jobs_value(tokens):
    for index, token in enumerate(tokens):
        if token in ("-j", "--jobs", "--cores", "-c") and index + 1 < len(tokens):
            return tokens[index + 1]
        for flag in ("--jobs=", "--cores="):
            if token.startswith(flag):
                return token[len(flag):]
        if token.startswith("-j") and token[2:].isdigit():
            return token[2:]
    return None


def _launch_problems(command, base, contracts):
    """dy_command runs DayOA's launcher with the command's targets, jobs and genome; dry run = the same plus -n."""
    out = []
    dy_command = command.get("dy_command")
    dryrun = command.get("dryrun_dy_command")
    path = base + ("dy_command",)
    if _nonempty_str(dy_command):
        try:
            tokens = shlex.split(dy_command)
        except ValueError as err:
            return [CatalogProblem(path, "cannot be split into shell words (%s)" % err, "a shell command with balanced quotes")]
        if not tokens or tokens[0] != DAYOA_LAUNCHER:
            out.append(CatalogProblem(
                path,
                "starts with %r" % (tokens[0] if tokens else ""),
                "%r, DayOA's launcher: '%s <targets> -p -k -j <jobs> ...'" % (DAYOA_LAUNCHER, DAYOA_LAUNCHER),
            ))
        if "-n" in tokens or "--dry-run" in tokens or "--dryrun" in tokens:
            out.append(CatalogProblem(path, "contains the dry-run flag", "the real run; put -n only in dryrun_dy_command"))
        targets = command.get("targets")
        if isinstance(targets, list):
            missing = [t for t in targets if isinstance(t, str) and t not in tokens]
            if missing:
                out.append(CatalogProblem(path, "does not run the target(s) %s" % ", ".join(missing), "every entry of targets as a word of dy_command"))
        jobs = command.get("jobs")
        if isinstance(jobs, int) and not isinstance(jobs, bool):
            found = _jobs_value(tokens)
            if found is None:
                out.append(CatalogProblem(path, "does not set the number of jobs", "'-j %d' (the jobs value)" % jobs))
            elif found != str(jobs):
                out.append(CatalogProblem(path, "runs with -j %s, but jobs is %d" % (found, jobs), "'-j %d'" % jobs))
        genome = command.get("genome")
        if isinstance(genome, str):
            for token in tokens:
                if token.startswith("genome_build=") and token != "genome_build=" + genome:
                    out.append(CatalogProblem(path, "passes %r, but genome is %r" % (token, genome), repr("genome_build=" + genome)))
        parameters = command.get("runtime_parameters")
        for name in parameters if isinstance(parameters, dict) else {}:
            if not any(token.startswith("%s=" % name) for token in tokens):
                out.append(CatalogProblem(
                    base + ("runtime_parameters", name),
                    "is not passed to dy_command",
                    "'%s=<value>' in dy_command's --config" % name,
                ))
        runs_path = _runs_table(contracts).get("path")
        if command.get("command_class") == "run_analysis" and _nonempty_str(runs_path):
            if "run_context_file=" + runs_path not in tokens:
                out.append(CatalogProblem(
                    path,
                    "does not pass the run context to DayOA",
                    "'--config run_context_file=%s' (the run_context contract's runs table)" % runs_path,
                ))
    if _nonempty_str(dy_command) and isinstance(dryrun, str) and dryrun != dy_command + " -n":
        out.append(CatalogProblem(
            base + ("dryrun_dy_command",),
            "is not dy_command followed by ' -n', so the dry run would not plan the real run",
            repr(dy_command + " -n"),
        ))
    return out


def _known_classification(name):
    return name in KNOWN_CLASSIFICATIONS or any(name.startswith(prefix) and len(name) > len(prefix) for prefix in CLASSIFICATION_PREFIXES)


def _selected(relative_path, include_paths, values):
    """True when a (rendered) relative path matches one of the (rendered) include globs, as fnmatch does at registration."""
    rendered = render_template(relative_path, values)
    return any(fnmatch.fnmatchcase(rendered, render_template(glob, values)) for glob in include_paths if isinstance(glob, str))


def registration_policy_problems(policy, base=("artifact_registration",), genome=None):
    """Return the problems of one ``artifact_registration`` policy (its shape is the schema's job).

    Rules: an enabled policy selects something; templates use only {analysis_id}, {executing_entity}, {genome};
    classifications are ones DayOA/DayEC assign; report kinds are unique; each report's data directory is the one
    MultiQC writes next to its html (``X.html`` -> ``X_data/``); each report's html and ``multiqc_data.json`` are
    selected by the policy, so registration can find them.
    """
    out = []
    base = tuple(base)
    if policy.get("enabled", True) is False:
        return out
    classifications = policy.get("include_classifications")
    classifications = classifications if isinstance(classifications, list) else []
    include_paths = policy.get("include_paths")
    include_paths = include_paths if isinstance(include_paths, list) else []
    if not classifications and not include_paths:
        out.append(CatalogProblem(
            base,
            "selects nothing: include_classifications and include_paths are both empty or missing",
            "at least one classification or include path (or enabled: false)",
        ))
    for field in policy_template_fields(policy):
        out += _template_problems(base + field.parts, field.container[field.key], REGISTRATION_PLACEHOLDERS)
    for index, name in enumerate(classifications):
        if isinstance(name, str) and not _known_classification(name):
            out.append(CatalogProblem(
                base + ("include_classifications", index),
                "%r is not a classification DayOA or DayEC assigns" % name,
                "one of: " + ", ".join(sorted(KNOWN_CLASSIFICATIONS) + ["workflow_diagram_<format>"]),
            ))
    values = {"analysis_id": "ANALYSIS_ID", "executing_entity": "ENTITY", "genome": genome if _nonempty_str(genome) else "GENOME"}
    reports = policy.get("multiqc_reports")
    kinds = {}
    for index, report in enumerate(reports if isinstance(reports, list) else []):
        if not isinstance(report, dict):
            continue
        out += _report_problems(report, base + ("multiqc_reports", index), kinds, index, classifications, include_paths, values)
    kind = policy.get("multiqc_report_kind")
    if _nonempty_str(kind) and kinds and kind not in kinds:
        out.append(CatalogProblem(
            base + ("multiqc_report_kind",), "%r is not the report_kind of any multiqc_reports entry" % kind, "one of: " + ", ".join(kinds)
        ))
    return out


def _report_problems(report, parts, kinds, index, classifications, include_paths, values):
    out = []
    kind = report.get("report_kind")
    if _nonempty_str(kind):
        if kind in kinds:
            out.append(CatalogProblem(
                parts + ("report_kind",), "%r is already the report_kind of multiqc_reports[%d]" % (kind, kinds[kind]), "each report_kind once"
            ))
        else:
            kinds[kind] = index
    html = report.get("html_path")
    data_dir = report.get("data_dir_path")
    if not (_nonempty_str(html) and html.endswith(".html")):
        return out
    want = html[: -len(".html")] + "_data/"
    if _nonempty_str(data_dir) and data_dir != want:
        out.append(CatalogProblem(
            parts + ("data_dir_path",),
            "is %r, but MultiQC writes the data directory of %r to %r" % (data_dir, html, want),
            repr(want),
        ))
    if "multiqc_html" not in classifications and not _selected(html, include_paths, values):
        out.append(CatalogProblem(
            parts + ("html_path",),
            "is selected by neither include_paths nor include_classifications, so the report could never be registered",
            "an include_paths glob matching it, or 'multiqc_html' in include_classifications",
        ))
    if "multiqc_data_json" not in classifications and not _selected(want + "multiqc_data.json", include_paths, values):
        out.append(CatalogProblem(
            parts + ("data_dir_path",),
            "%rmultiqc_data.json is not selected, but registration needs it to register the report" % want,
            "an include_paths glob such as %r, or 'multiqc_data_json' in include_classifications" % (want + "**"),
        ))
    return out


# ----------------------------------------------------------------------------------------------------------------
# validation entry points


def _command_context(catalog, parts):
    if len(parts) >= 4 and parts[0] == "repositories" and parts[2] == "analysis_commands" and isinstance(parts[3], int):
        repo = _mapping(_mapping(catalog.get("repositories")).get(parts[1]))
        commands = repo.get("analysis_commands")
        if isinstance(commands, list) and parts[3] < len(commands) and isinstance(commands[parts[3]], dict):
            command_id = commands[parts[3]].get("command_id")
            if _nonempty_str(command_id):
                return "command %s" % command_id
    return None


def validate_catalog(catalog, schema=None, engine=None):
    """Return every problem of ``catalog``: schema problems (when ``schema`` is given) and cross-rule problems.

    Problems under a command carry the command id as context. The list is deduplicated and sorted by path.
    """
    found = list(schema_problems(catalog, schema, engine=engine)) if schema is not None else []
    found += rule_problems(catalog)
    if isinstance(catalog, dict):
        found = [p if p.context else p._replace(context=_command_context(catalog, p.parts)) for p in found]
    return _unique_sorted(found)


def _problems_message(source, problems):
    return "The catalog %s breaks %d rule%s:\n%s" % (
        source, len(problems), "" if len(problems) == 1 else "s", "\n".join("- " + str(p) for p in problems)
    )


def check_catalog(catalog, schema=None, source="<catalog>", engine=None):
    """Raise :class:`CatalogError` listing every problem when ``catalog`` is not valid; return it otherwise."""
    problems = validate_catalog(catalog, schema, engine=engine)
    if problems:
        raise CatalogError(_problems_message(source, problems), problems)
    return catalog


# ----------------------------------------------------------------------------------------------------------------
# lookups and resolution


def _repositories(catalog):
    if not isinstance(catalog, dict) or not isinstance(catalog.get("repositories"), dict):
        raise CatalogError("The catalog has no 'repositories' mapping.")
    return catalog["repositories"]


def iter_commands(catalog):
    """Yield (repository key, command dict) for every command, in catalog order."""
    for repo_key, repo in _repositories(catalog).items():
        commands = repo.get("analysis_commands") if isinstance(repo, dict) else None
        for command in commands if isinstance(commands, list) else []:
            if isinstance(command, dict):
                yield repo_key, command


def command_ids(catalog, repository=None):
    """Return the command ids of the catalog (of one repository when given), in catalog order."""
    return [
        command.get("command_id")
        for repo_key, command in iter_commands(catalog)
        if _nonempty_str(command.get("command_id")) and (repository is None or repo_key == repository)
    ]


def summarize_catalog(catalog):
    """Return ``catalog_version``, ``repositories`` (keys) and ``command_ids`` (all)."""
    return {
        "catalog_version": catalog.get("command_catalog_version") if isinstance(catalog, dict) else None,
        "repositories": list(_repositories(catalog)),
        "command_ids": command_ids(catalog),
    }


def find_command(catalog, command_id, repository=None):
    """Return (repository key, repository dict, command dict) for ``command_id``.

    ``repository`` restricts the search to one repository; by default the repository containing the command is used.
    An unknown id raises :class:`CatalogError` naming the valid ids (``details['valid_command_ids']``).
    """
    repositories = _repositories(catalog)
    if repository is not None and repository not in repositories:
        raise CatalogError(
            "Unknown repository %r. The catalog's repositories are: %s." % (repository, ", ".join(repositories)),
            valid_repositories=list(repositories),
        )
    matches = [
        (repo_key, command)
        for repo_key, command in iter_commands(catalog)
        if command.get("command_id") == command_id and (repository is None or repo_key == repository)
    ]
    if not matches:
        valid = command_ids(catalog, repository)
        elsewhere = [repo_key for repo_key, command in iter_commands(catalog) if command.get("command_id") == command_id]
        where = " in repository %r" % repository if repository is not None else ""
        hint = " (it is in repository %s)" % ", ".join(repr(r) for r in elsewhere) if elsewhere else ""
        raise CatalogError(
            "Unknown command_id %r%s%s. Valid command ids: %s." % (command_id, where, hint, ", ".join(valid) or "(none)"),
            valid_command_ids=valid,
        )
    if len(matches) > 1:
        raise CatalogError(
            "command_id %r is defined %d times (repositories: %s); command ids must be unique. Pass repository, or fix the catalog."
            % (command_id, len(matches), ", ".join(repo_key for repo_key, command in matches)),
        )
    repo_key, command = matches[0]
    return repo_key, repositories[repo_key], command


def resolve_test_data_profile(catalog, profile_id):
    """Return the profile ``profile_id`` with its id and, when it has a source FSx prefix, its headnode path."""
    profiles = _mapping(catalog.get("test_data_profiles"))
    if not (isinstance(profile_id, str) and isinstance(profiles.get(profile_id), dict)):
        raise CatalogError(
            "The test data profile %r is not defined. Defined profiles: %s." % (profile_id, ", ".join(profiles) or "(none)")
        )
    resolved = dict(copy.deepcopy(profiles[profile_id]), profile_id=profile_id)
    prefix = resolved.get("source_fsx_prefix")
    if _nonempty_str(prefix):
        # Run prefixes are templates ({mount_id}); join as text so they stay templates.
        resolved["headnode_prefix"] = paths.DEFAULT_MOUNT_POINT + prefix
    return resolved


def resolve_input_contract(catalog, contract_id):
    """Return the input contract ``contract_id`` (``none``: no tables) with its id, description and tables."""
    if contract_id == NO_INPUT_CONTRACT:
        return {"contract_id": NO_INPUT_CONTRACT, "description": "No input tables.", "tables": {}}
    contracts = _mapping(catalog.get("input_contracts"))
    if not (isinstance(contract_id, str) and isinstance(contracts.get(contract_id), dict)):
        raise CatalogError(
            "The input contract %r is not defined. Defined contracts: %s." % (contract_id, ", ".join(list(contracts) + [NO_INPUT_CONTRACT]))
        )
    contract = copy.deepcopy(contracts[contract_id])
    return {"contract_id": contract_id, "description": contract.get("description", ""), "tables": contract.get("tables", {})}


def resolve_command(catalog, command_id, repository=None):
    """Resolve one command: ``command`` (with ``{genome}`` filled into its registration policy), ``repository``
    (key, https_url, default_ref, relative_path), ``test_data_profile`` and ``input_contract`` (resolved)."""
    repo_key, repo, command = find_command(catalog, command_id, repository)
    resolved = copy.deepcopy(command)
    genome = command.get("genome")
    policy = resolved.get("artifact_registration")
    if isinstance(policy, dict) and _nonempty_str(genome):
        resolved["artifact_registration"] = render_registration_policy(policy, {"genome": genome})
    return {
        "command": resolved,
        "repository": {
            "key": repo_key,
            "https_url": repo.get("https_url"),
            "default_ref": repo.get("default_ref"),
            "relative_path": repo.get("relative_path"),
        },
        "test_data_profile": resolve_test_data_profile(catalog, command.get("test_data_profile")),
        "input_contract": resolve_input_contract(catalog, command.get("input_contract")),
    }
