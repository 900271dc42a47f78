# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The options of every AWS module of daylily.ephemeral_cluster (module_utils/modules.py DaylilyAWSModule).

DaylilyAWSModule is amazon.aws's AnsibleAWSModule plus the retry options, so its documentation is amazon.aws's own
fragments for modules (credentials and endpoint, region, the boto3 requirements) with RETRIES added. They are read
from the installed amazon.aws, so they always describe the version the module runs with.
"""

import yaml

from ansible_collections.amazon.aws.plugins.doc_fragments.boto3 import ModuleDocFragment as Boto3Fragment
from ansible_collections.amazon.aws.plugins.doc_fragments.common import ModuleDocFragment as CommonFragment
from ansible_collections.amazon.aws.plugins.doc_fragments.region import ModuleDocFragment as RegionFragment

# RETRY_ARGUMENT_SPEC of module_utils/modules.py.
RETRIES = r"""
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


def merged(*fragments):
    """One fragment of several, merged the way ansible-doc merges a module's fragments: options joined, notes and
    requirements appended in order."""
    result = {"options": {}}
    for text in fragments:
        fragment = yaml.safe_load(text)
        result["options"].update(fragment.get("options") or {})
        for key in ("notes", "requirements"):
            if fragment.get(key):
                result.setdefault(key, []).extend(fragment[key])
    return yaml.safe_dump(result, sort_keys=False, width=120)


class ModuleDocFragment:  # pylint: disable=too-few-public-methods
    """amazon.aws.common.modules, amazon.aws.region.modules, amazon.aws.boto3 and the retries and retry_delay options."""


# Set after the class body: ansible-test's yamllint reads a fragment class's body as string constants; the merged text
# is YAML that ansible-doc, validate-modules and antsibull-docs load at run time like any fragment.
ModuleDocFragment.DOCUMENTATION = merged(
    CommonFragment.MODULES, RegionFragment.MODULES, Boto3Fragment().DOCUMENTATION, RETRIES
)
