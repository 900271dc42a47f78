# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The AWS calls preflight makes (and the write probe's put/delete): one small function each, in one file per service
(``_preflight/<service>.py``), behind a per-service error handler (``_preflight/errors.py``).

Each raises ``PreflightAWSError`` (``DaylilyAWSError``) naming the operation, the code and what to do. ``client`` is
what ``module.client(service, retry_decorator=module_retry(module))`` returns.
"""

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._preflight.budgets import account_budgets
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._preflight.ec2 import latest_spot_prices
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._preflight.ec2 import vcpus_by_instance_type
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._preflight.errors import PreflightAWSError
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._preflight.iam import group_policy_names
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._preflight.iam import user_group_names
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._preflight.iam import user_policy_names
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._preflight.pricing import price_list
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._preflight.quotas import quota_value
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._preflight.s3 import delete_probe
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._preflight.s3 import has_objects_under
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._preflight.s3 import head_bucket
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._preflight.s3 import object_text
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._preflight.s3 import put_probe
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._preflight.sts import caller_identity

__all__ = [
    "PreflightAWSError",
    "account_budgets",
    "caller_identity",
    "delete_probe",
    "group_policy_names",
    "has_objects_under",
    "head_bucket",
    "latest_spot_prices",
    "object_text",
    "price_list",
    "put_probe",
    "quota_value",
    "user_group_names",
    "user_policy_names",
    "vcpus_by_instance_type",
]
