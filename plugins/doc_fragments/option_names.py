# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The option_names option of modules whose hints a role rewords into its own variable names
(DaylilyAWSModule.option_name in module_utils/modules.py and the helpers of the modules that do not use it)."""


class ModuleDocFragment:  # pylint: disable=too-few-public-methods
    """The option_names option."""

    DOCUMENTATION = r"""
options:
  option_names:
    description:
      - "How error messages and remediation hints name this module's options: option name to the variable the
        operator sets, for example V({\"wait_timeout\": \"export_wait_timeout\"}) when a role sets the option from its
        own variable, so a hint names what the operator sets."
      - Options not listed are named as they are.
    type: dict
    default: {}
"""
