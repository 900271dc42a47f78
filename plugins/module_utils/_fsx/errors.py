# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""FSx errors: one typed error whose message names the AWS operation, the error code and what to do (the hints
live in ``aws_errors``), and the error handler every FSx call is decorated with."""

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import DaylilyAWSError
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import DaylilyErrorHandler


class AnsibleFSxError(DaylilyAWSError):
    """An FSx failure (see ``DaylilyAWSError``): its message names the operation and code and ends with what to do."""

    SERVICE = "FSx"


class FSxErrorHandler(DaylilyErrorHandler):
    """amazon.aws AWSErrorHandler raising AnsibleFSxError; "missing" = FSx's three *NotFound codes."""

    _CUSTOM_EXCEPTION = AnsibleFSxError
    MISSING_CODES = ("DataRepositoryAssociationNotFound", "DataRepositoryTaskNotFound", "FileSystemNotFound")
