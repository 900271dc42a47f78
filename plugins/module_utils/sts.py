# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""STS: who the caller is (``GetCallerIdentity``), behind ``STSErrorHandler`` (errors become ``AnsibleSTSError``).
``client`` is what ``module.client("sts", retry_decorator=module_retry(module))`` returns.
"""

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import DaylilyAWSError
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import DaylilyErrorHandler


class AnsibleSTSError(DaylilyAWSError):
    """An STS failure (see ``DaylilyAWSError``)."""

    SERVICE = "STS"


class STSErrorHandler(DaylilyErrorHandler):
    """amazon.aws's AWSErrorHandler raising AnsibleSTSError."""

    _CUSTOM_EXCEPTION = AnsibleSTSError


@STSErrorHandler.common_error_handler("get the caller's account id")
def account_id(client):
    """The account id of the credentials in use."""
    return client.get_caller_identity(aws_retry=True)["Account"]
