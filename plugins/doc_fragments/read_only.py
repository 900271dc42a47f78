# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""How the modules that only read behave in check mode and diff mode (the info modules and the headnode checks)."""


class ModuleDocFragment:  # pylint: disable=too-few-public-methods
    """The check_mode and diff_mode attributes of a module that changes nothing."""

    DOCUMENTATION = r"""
attributes:
  check_mode:
    description: Can run in check mode and return the changed status it predicts without modifying the target.
    support: full
    details: The module only reads, so check mode runs it in full; it never reports a change.
  diff_mode:
    description: Returns what changed (or would change, in check mode) when diff mode is on.
    support: N/A
    details: The module changes nothing, so there is nothing to compare.
"""
