# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The option_names option of modules whose hints a role rewords into its own variable names."""


class ModuleDocFragment:  # pylint: disable=too-few-public-methods
    """The option_names option."""

    DOCUMENTATION = r"""
options:
  option_names:
    description:
      - "How messages and remediation texts name this module's options, for example V({\"pass_on_warn\":
        \"preflight_pass_on_warn\"}) when a role sets them from its own variables, so a hint names what the operator
        sets. Options not listed are named as they are."
    type: dict
    default: {}
"""
