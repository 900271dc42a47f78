# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The option of every module that runs the AWS ParallelCluster CLI (module_utils/pcluster.py PclusterCli)."""


class ModuleDocFragment:  # pylint: disable=too-few-public-methods
    """The pcluster_command option."""

    DOCUMENTATION = r"""
options:
  pcluster_command:
    description: The C(pcluster) executable, a path or a name found on C(PATH).
    type: str
    default: pcluster
"""
