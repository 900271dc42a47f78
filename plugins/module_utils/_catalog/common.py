# -*- coding: utf-8 -*-
# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every part of the catalog package shares: file names, the catalog version, problems and errors.

Private to :mod:`..catalog`; import the facade, not this module.
"""

from __future__ import annotations

import json
import re
from collections import namedtuple

COLLECTION_NAMESPACE = "daylily"
COLLECTION_NAME = "ephemeral_cluster"
CATALOG_DIR = "catalog"
CATALOG_FILENAME = "daylily_available_repositories.yaml"
SCHEMA_FILENAME = "daylily_available_repositories.schema.json"

CATALOG_VERSION = 2
MANIFEST_SOURCES = ("dayoa_manifest", "s3_inventory")

_SIMPLE_KEY_RE = re.compile(r"[A-Za-z0-9_-]+")


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


def unique_sorted(problems):
    """Drop repeated problems and sort the rest by path (list indexes numerically), then by text."""
    unique = []
    for problem in problems:
        if problem not in unique:
            unique.append(problem)
    return sorted(unique, key=_sort_key)


def problems_message(source, problems):
    """The error message that lists every problem of the catalog ``source``, one per line."""
    return "The catalog %s breaks %d rule%s:\n%s" % (
        source,
        len(problems),
        "" if len(problems) == 1 else "s",
        "\n".join("- " + str(p) for p in problems),
    )


def describe_value(instance):
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


def show_value(value):
    """Show a value in a message as the catalog author wrote it: ``'main'``, ``true``, ``a mapping``."""
    if isinstance(value, (dict, list)):
        return describe_value(value)
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    return repr(value)


def as_mapping(value):
    """``value`` when it is a mapping, else an empty one (wrong shapes are the schema's to report)."""
    return value if isinstance(value, dict) else {}


def is_nonempty_str(value):
    return isinstance(value, str) and value != ""
