# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The progress callback: a line of what a wait is waiting for, at every retry of an until loop."""

DOCUMENTATION = r"""
name: progress
type: aggregate
short_description: Print what each wait of the collection is waiting for, at every retry
version_added: 0.1.0
author:
  - Daylily ephemeral cluster maintainers (!UNKNOWN)
description:
  - The roles' long waits (the export task, the workflow, the headnode's SSM status) are C(until) loops over an info
    module. Ansible prints only C(FAILED - RETRYING ... (N retries left)) at each retry; with this callback enabled,
    each retry also prints the module's C(progress) line.
  - "For example C(progress: [localhost] Wait for the export task: task-0123456789abcdef0 EXECUTING: 1198 of 1200
    files done, 0 failed) or C(progress: [localhost] Read the workflow's status: workflow run42
    running: 12 of 40 Snakemake jobs done)."
  - It works with any stdout callback (it only adds lines), in C(ansible-playbook), AWX job output and
    C(ansible-runner) events. Enable it with C(callbacks_enabled = daylily.ephemeral_cluster.progress) in
    C(ansible.cfg) (the repository's C(ansible.cfg) does) or C(ANSIBLE_CALLBACKS_ENABLED).
requirements:
  - enable in configuration
"""

from ansible.plugins.callback import CallbackBase


def progress_message(task_name, host, result):
    """The progress line of one retried result, or None when its module reports no progress. (Ansible's own
    FAILED - RETRYING line, just before it, says how many retries are left.)"""
    progress = result.get("progress") if isinstance(result, dict) else None
    if not progress:
        return None
    return "progress: [%s] %s: %s" % (host, task_name, progress)


class CallbackModule(CallbackBase):
    """daylily.ephemeral_cluster.progress"""

    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "daylily.ephemeral_cluster.progress"
    CALLBACK_NEEDS_ENABLED = True

    def v2_runner_retry(self, result):
        fields = result._result  # pylint: disable=protected-access
        message = progress_message(result.task_name or result._task.get_name(), result._host.get_name(), fields)  # pylint: disable=protected-access
        if message:
            self._display.display(message)
