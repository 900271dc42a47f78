# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The workflow_session filter: the tmux session of an analysis, checked on the controller before anything runs."""

DOCUMENTATION = r"""
name: workflow_session
short_description: The tmux session name of an analysis, validated
version_added: 0.1.0
author:
  - Daylily ephemeral cluster maintainers (!UNKNOWN)
description:
  - Returns the session name when one is given, after checking it is one path segment of letters, digits, C(_) and
    C(-) that starts with a letter or digit (tmux renames names with C(.) or C(:), and the name is also the run
    directory's); otherwise the analysis id with each C(.) replaced by C(_).
  - Fails with a message naming O(field) and the offending value.
options:
  _input:
    description: The analysis id.
    type: str
    required: true
  session_name:
    description: The session name the operator chose; empty for the default.
    type: str
    default: ""
  field:
    description: How the failure message names the session name (the variable the operator sets).
    type: str
    default: session_name
"""

EXAMPLES = r"""
- name: The session of analysis run.42 (run_42)
  ansible.builtin.set_fact:
    session: "{{ 'run.42' | daylily.ephemeral_cluster.workflow_session(workflow_session_name, field='workflow_session_name') }}"
"""

RETURN = r"""
_value:
  description: The session name.
  type: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import paths
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import workflow


def workflow_session(analysis_id, session_name="", field="session_name"):
    try:
        return workflow.session_name(session_name, analysis_id, field=field)
    except paths.PathRuleError as exc:
        raise AnsibleFilterError("%s; nothing was launched." % exc) from None  # the message is the whole story


class FilterModule:
    """daylily.ephemeral_cluster.workflow_session"""

    def filters(self):
        return {"workflow_session": workflow_session}
