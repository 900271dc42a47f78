# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The errors of preflight's AWS calls: ``PreflightAWSError`` names the operation, the code, the IAM action the call
needed and what to do; ``service_handler(service)`` makes the per-service error handler each call is decorated with.
"""

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import DaylilyAWSError
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import DaylilyErrorHandler

# The IAM action an operation needs where it is not "<service>:<operation>".
_IAM_ACTIONS = {
    "HeadBucket": "s3:ListBucket",
    "ListObjectsV2": "s3:ListBucket",
    "HeadObject": "s3:GetObject",
    "GetServiceQuota": "servicequotas:GetServiceQuota",
    "GetProducts": "pricing:GetProducts",
    "DescribeBudgets": "budgets:ViewBudget",
}
# HEAD requests carry no error body: botocore reports the HTTP status as the code.
_ACCESS_STATUS_CODES = ("403", "Forbidden")
_MISSING_STATUS_CODES = ("404", "NotFound", "NoSuchBucket", "NoSuchKey", "NoSuchResourceException", "NotFoundException")


class PreflightAWSError(DaylilyAWSError):
    """A failed preflight call; ``action`` is the IAM action it needed."""

    SERVICE = "AWS"

    @property
    def action(self):
        operation = self.operation or "the call"
        return _IAM_ACTIONS.get(operation) or "%s:%s" % (self.service_prefix, operation)

    @property
    def service_prefix(self):
        return self.SERVICE.lower()

    @property
    def access_denied(self):
        return self.code in ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation") + _ACCESS_STATUS_CODES

    @property
    def missing(self):
        return self.code in _MISSING_STATUS_CODES


def service_handler(service):
    """An error handler raising a ``PreflightAWSError`` subclass named after ``service`` (its IAM prefix)."""
    error = type("Preflight%sError" % service, (PreflightAWSError,), {"SERVICE": service})
    return type("Preflight%sErrorHandler" % service, (DaylilyErrorHandler,), {"_CUSTOM_EXCEPTION": error})
