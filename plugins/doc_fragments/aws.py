# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The options every AWS module of daylily.ephemeral_cluster adds to amazon.aws's (module_utils/modules.py
DaylilyAWSModule: RETRY_ARGUMENT_SPEC). A module extends amazon.aws.common.modules, amazon.aws.region.modules and
amazon.aws.boto3 (credentials, endpoint, region, the boto3 requirements) and this fragment.
"""


class ModuleDocFragment:  # pylint: disable=too-few-public-methods
    """The retries and retry_delay options."""

    DOCUMENTATION = r"""
options:
  retries:
    description:
      - How many times an AWS call is retried after a throttling or transient error
        (C(ThrottlingException), C(RequestLimitExceeded), HTTP 5xx and the other codes botocore treats as throttling).
      - Each retry waits a random time up to O(retry_delay) doubled per attempt, capped at 60 seconds (full jitter).
      - Errors that are not transient (access denied, not found, bad request) are never retried.
    type: int
    default: 10
  retry_delay:
    description:
      - Initial back-off in seconds for O(retries).
    type: float
    default: 3.0
"""
