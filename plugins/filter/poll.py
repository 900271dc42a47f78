# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The poll_retries filter: the one formula turning a wait's timeout and interval into Ansible's retries."""

DOCUMENTATION = r"""
name: poll_retries
short_description: The C(retries) of an C(until) loop that polls every O(interval) seconds for O(_input) seconds
version_added: 0.1.0
author:
  - Daylily ephemeral cluster maintainers (!UNKNOWN)
description:
  - Every wait of the collection's roles that shows progress is an C(until) loop; its C(retries) come from this filter
    and its C(delay) is the interval, so a wait polls once, then retries until the timeout has passed.
  - The result is the timeout divided by the interval (an interval below 1 counts as 1), rounded up, and at least 1.
options:
  _input:
    description: The timeout in seconds.
    type: int
    required: true
  interval:
    description: Seconds between two polls.
    type: int
    required: true
"""

EXAMPLES = r"""
- name: Poll every 10 s for at most 600 s
  daylily.ephemeral_cluster.ssm_instance_info:
    cluster_name: my-cluster
  register: headnode
  until: headnode.instances | selectattr('ping_status', 'equalto', 'Online') | list | length > 0
  retries: "{{ 600 | daylily.ephemeral_cluster.poll_retries(10) }}"
  delay: 10
"""

RETURN = r"""
_value:
  description: The number of retries after the first poll.
  type: int
"""

from ansible.errors import AnsibleFilterError


def poll_retries(timeout, interval):
    try:
        timeout, interval = int(timeout), max(int(interval), 1)
    except (TypeError, ValueError) as exc:
        raise AnsibleFilterError(
            "poll_retries needs whole seconds: timeout %r, interval %r" % (timeout, interval)
        ) from exc
    return max(-(-timeout // interval), 1)


class FilterModule:
    """daylily.ephemeral_cluster.poll_retries"""

    def filters(self):
        return {"poll_retries": poll_retries}
