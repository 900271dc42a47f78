# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The repository_urls filter: day-clone's repository map, checked on the controller before it reaches the headnode."""

DOCUMENTATION = r"""
name: repository_urls
short_description: Check day-clone's repository map (repository key to git URL)
version_added: 0.1.0
author:
  - Daylily ephemeral cluster maintainers (!UNKNOWN)
description:
  - Returns the map unchanged when it is not empty, every key is one safe path segment (the collection's segment rule,
    which day-clone applies too) and every URL is a non-empty string without whitespace or quotes that does not start
    with C(-).
  - Fails listing every bad entry, naming O(field).
options:
  _input:
    description: Repository key to git URL.
    type: dict
    required: true
  field:
    description: How the failure message names the map (the variable the operator sets).
    type: str
    default: repository_urls
"""

EXAMPLES = r"""
- name: Check the map before writing it to the headnode
  ansible.builtin.set_fact:
    urls: "{{ headnode_repository_urls | daylily.ephemeral_cluster.repository_urls(field='headnode_repository_urls') }}"
"""

RETURN = r"""
_value:
  description: The map.
  type: dict
"""

import re

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.collections import is_string

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import paths

_URL_RE = re.compile(r"[^-\s\"'][^\s\"']*")


def repository_urls(urls, field="repository_urls"):
    if not isinstance(urls, dict) or not urls:
        raise AnsibleFilterError("%s must map repository keys to git URLs; got %r." % (field, urls))
    problems = []
    for key, url in urls.items():
        try:
            paths.validate_segment(key, field="%s key" % field)
        except paths.PathRuleError as exc:
            problems.append(str(exc))
        if not (is_string(url) and _URL_RE.fullmatch(url)):
            problems.append(
                "%s[%r] %r must be a git URL without whitespace or quotes that does not start with '-'"
                % (field, key, url)
            )
    if problems:
        raise AnsibleFilterError("; ".join(problems) + ".")
    return urls


class FilterModule:
    """daylily.ephemeral_cluster.repository_urls"""

    def filters(self):
        return {"repository_urls": repository_urls}
