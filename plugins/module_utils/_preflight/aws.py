# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The AWS calls preflight makes (and the write probe's put/delete): one small function each, in one file per service
(``_preflight/<service>.py``), behind a per-service error handler (``_preflight/errors.py``).

Each raises ``PreflightAWSError`` (``DaylilyAWSError``) naming the operation, the code and what to do. ``client`` is
what ``module.client(service, retry_decorator=module_retry(module))`` returns.
"""

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._preflight.budgets import account_budgets  # noqa: F401
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._preflight.ec2 import latest_spot_prices  # noqa: F401
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._preflight.ec2 import vcpus_by_instance_type  # noqa: F401
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._preflight.errors import PreflightAWSError  # noqa: F401
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._preflight.iam import group_policy_names  # noqa: F401
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._preflight.iam import user_group_names  # noqa: F401
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._preflight.iam import user_policy_names  # noqa: F401
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._preflight.pricing import price_list  # noqa: F401
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._preflight.quotas import quota_value  # noqa: F401
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._preflight.s3 import delete_probe  # noqa: F401
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._preflight.s3 import has_objects_under  # noqa: F401
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._preflight.s3 import head_bucket  # noqa: F401
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._preflight.s3 import object_text  # noqa: F401
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._preflight.s3 import put_probe  # noqa: F401
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._preflight.sts import caller_identity  # noqa: F401
