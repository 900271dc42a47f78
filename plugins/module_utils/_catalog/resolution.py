# -*- coding: utf-8 -*-
# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Lookups in a parsed catalog and the resolution of one command (repository, test data profile, input contract).

Private to :mod:`..catalog`; import the facade, not this module.
"""

from __future__ import annotations

import copy

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import paths
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._catalog.classes import NO_INPUT_CONTRACT
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._catalog.common import CatalogError
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._catalog.common import as_mapping
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._catalog.common import is_nonempty_str
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._catalog.templates import (
    render_registration_policy,
)


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
        if is_nonempty_str(command.get("command_id")) and (repository is None or repo_key == repository)
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
        elsewhere = [
            repo_key for repo_key, command in iter_commands(catalog) if command.get("command_id") == command_id
        ]
        where = " in repository %r" % repository if repository is not None else ""
        hint = " (it is in repository %s)" % ", ".join(repr(r) for r in elsewhere) if elsewhere else ""
        raise CatalogError(
            "Unknown command_id %r%s%s. Valid command ids: %s."
            % (command_id, where, hint, ", ".join(valid) or "(none)"),
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
    profiles = as_mapping(catalog.get("test_data_profiles"))
    if not (isinstance(profile_id, str) and isinstance(profiles.get(profile_id), dict)):
        raise CatalogError(
            "The test data profile %r is not defined. Defined profiles: %s."
            % (profile_id, ", ".join(profiles) or "(none)")
        )
    resolved = dict(copy.deepcopy(profiles[profile_id]), profile_id=profile_id)
    prefix = resolved.get("source_fsx_prefix")
    if is_nonempty_str(prefix):
        # Run prefixes are templates ({mount_id}); join as text so they stay templates.
        resolved["headnode_prefix"] = paths.DEFAULT_MOUNT_POINT + prefix
    return resolved


def resolve_input_contract(catalog, contract_id):
    """Return the input contract ``contract_id`` (``none``: no tables) with its id, description and tables."""
    if contract_id == NO_INPUT_CONTRACT:
        return {"contract_id": NO_INPUT_CONTRACT, "description": "No input tables.", "tables": {}}
    contracts = as_mapping(catalog.get("input_contracts"))
    if not (isinstance(contract_id, str) and isinstance(contracts.get(contract_id), dict)):
        raise CatalogError(
            "The input contract %r is not defined. Defined contracts: %s."
            % (contract_id, ", ".join(list(contracts) + [NO_INPUT_CONTRACT]))
        )
    contract = copy.deepcopy(contracts[contract_id])
    return {
        "contract_id": contract_id,
        "description": contract.get("description", ""),
        "tables": contract.get("tables", {}),
    }


def resolve_command(catalog, command_id, repository=None):
    """Resolve one command: ``command`` (with ``{genome}`` filled into its registration policy), ``repository``
    (key, https_url, default_ref, relative_path), ``test_data_profile`` and ``input_contract`` (resolved)."""
    repo_key, repo, command = find_command(catalog, command_id, repository)
    resolved = copy.deepcopy(command)
    genome = command.get("genome")
    policy = resolved.get("artifact_registration")
    if isinstance(policy, dict) and is_nonempty_str(genome):
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
