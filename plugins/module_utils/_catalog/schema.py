# -*- coding: utf-8 -*-
# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The catalog's shape: its JSON Schema, checked with the jsonschema library.

jsonschema finds the violations; this module words each ``ValidationError`` as a :class:`CatalogProblem` (the path
to the field, what is wrong, what is expected; a schema node's ``x-expected`` overrides the generic expectation).

Private to :mod:`..catalog`; import the facade, not this module.
"""

from __future__ import annotations

import traceback

try:
    import jsonschema
except ImportError:  # The module reports it with missing_required_lib before it validates.
    jsonschema = None
    JSONSCHEMA_IMPORT_ERROR = traceback.format_exc()
else:
    JSONSCHEMA_IMPORT_ERROR = None

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._catalog.common import CatalogError
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._catalog.common import CatalogProblem
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._catalog.common import describe_value
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._catalog.common import show_value
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._catalog.common import unique_sorted

HAS_JSONSCHEMA = jsonschema is not None

_TYPE_NAMES = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "a boolean (true or false)",
    "object": "a mapping",
    "array": "a list",
    "null": "null",
}


def _expected(schema, default):
    if isinstance(schema, dict) and schema.get("x-expected"):
        return schema["x-expected"]
    return default


def _repeated_items(items):
    seen, repeated = [], []
    for item in items:
        if item in seen and item not in repeated:
            repeated.append(item)
        seen.append(item)
    return repeated


def _missing_key_problems(required, instance, schema, parts):
    """One problem per missing key, expecting what the key's own schema node describes."""
    because = schema.get("x-required-because")
    known = schema.get("properties", {})
    out = []
    for key in required:
        if key in instance:
            continue
        declared = known.get(key) if isinstance(known.get(key), dict) else {}
        expected = declared.get("x-expected") or declared.get("description") or schema.get("x-expected")
        out.append(
            CatalogProblem(tuple(parts) + (key,), "is missing" + (" (%s)" % because if because else ""), expected)
        )
    return out


def _unknown_key_problems(instance, schema, parts):
    known = schema.get("properties", {})
    expected = "one of: " + ", ".join(sorted(known)) if known else "no keys"
    return [
        CatalogProblem(tuple(parts) + (key,), "is not a known key", expected) for key in instance if key not in known
    ]


def error_problems(error):
    """Word one jsonschema ``ValidationError`` as the :class:`CatalogProblem` list it stands for.

    ``absolute_path`` is where the value sits; ``validator`` and ``validator_value`` are the keyword that failed and
    its value in the schema. A failed ``propertyNames`` is reported on the offending key itself.
    """
    keyword, value, instance, schema = error.validator, error.validator_value, error.instance, error.schema
    parts = tuple(error.absolute_path)
    key_name = "propertyNames" in error.absolute_schema_path
    if key_name:
        parts += (instance,)
    subject = ("key name " if key_name else "") + show_value(instance)
    if schema is False:
        return [CatalogProblem(parts, "is not allowed here")]
    if keyword == "type":
        names = value if isinstance(value, list) else [value]
        expected = " or ".join(_TYPE_NAMES.get(name, name) for name in names)
        return [CatalogProblem(parts, "is " + describe_value(instance), _expected(schema, expected))]
    if keyword == "enum":
        expected = "one of: " + ", ".join(show_value(option) for option in value)
        return [CatalogProblem(parts, "%s is not allowed" % subject, _expected(schema, expected))]
    if keyword == "const":
        return [CatalogProblem(parts, "is " + show_value(instance), _expected(schema, show_value(value)))]
    if keyword == "pattern":
        expected = "a string matching %s" % value
        return [CatalogProblem(parts, "%s does not have the expected form" % subject, _expected(schema, expected))]
    if keyword == "minLength":
        problem = "is empty" if len(instance) == 0 else "is too short (%d characters)" % len(instance)
        expected = "a non-empty string" if value == 1 else "at least %d characters" % value
        return [CatalogProblem(parts, problem, _expected(schema, expected))]
    if keyword == "minimum":
        return [CatalogProblem(parts, "is %r" % instance, _expected(schema, "a number >= %r" % value))]
    if keyword == "minItems":
        problem = "is an empty list" if len(instance) == 0 else "has %d item(s)" % len(instance)
        return [CatalogProblem(parts, problem, _expected(schema, "at least %d item(s)" % value))]
    if keyword == "minProperties":
        problem = "is empty" if len(instance) == 0 else "has %d entries" % len(instance)
        expected = "at least %d entr%s" % (value, "y" if value == 1 else "ies")
        return [CatalogProblem(parts, problem, _expected(schema, expected))]
    if keyword == "uniqueItems":
        repeated = ", ".join(show_value(item) for item in _repeated_items(instance))
        return [CatalogProblem(parts, "lists %s more than once" % repeated, _expected(schema, "each item once"))]
    if keyword == "required":
        return _missing_key_problems(value, instance, schema, parts)
    if keyword == "additionalProperties":
        return _unknown_key_problems(instance, schema, parts)
    return [CatalogProblem(parts, "fails the schema keyword %r (%s)" % (keyword, error.message))]


def schema_problems(catalog, schema):
    """Check ``catalog`` against the JSON Schema ``schema``; return every problem at once, deduplicated and sorted."""
    if not HAS_JSONSCHEMA:
        raise CatalogError(
            "The jsonschema library is not installed; it is required to check the catalog against its schema. "
            "Install it where the module runs (see requirements.txt)."
        )
    validator_cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    try:
        validator_cls.check_schema(schema)
    except jsonschema.exceptions.SchemaError as err:
        raise CatalogError("The catalog schema is not a valid JSON Schema: %s" % err.message) from None
    found = []
    for error in validator_cls(schema).iter_errors(catalog):
        found += error_problems(error)
    return unique_sorted(found)
