# -*- coding: utf-8 -*-
# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``{name}`` templates of the catalog (registration policies, source URIs) and pinned git refs.

Private to :mod:`..catalog`; import the facade, not this module.
"""

from __future__ import annotations

import copy
import re
from collections import namedtuple

#: Moving refs: a launch that clones one of these is not reproducible.
BRANCH_NAMES = frozenset(
    ("main", "master", "head", "develop", "development", "dev", "trunk", "latest", "stable", "release")
)
PINNED_REF_EXPECTED = "a pinned release tag such as '2.0.26' (or a full 40-character commit id), never a branch"

_RELEASE_TAG_RE = re.compile(r"v?\d+(\.\d+){1,3}([-+][0-9A-Za-z][0-9A-Za-z.+-]*)?")
_COMMIT_RE = re.compile(r"[0-9a-f]{40}")
_PLACEHOLDER_RE = re.compile(r"\{([^{}]*)\}")


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
    for key, value in identity.items() if isinstance(identity, dict) else ():
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
