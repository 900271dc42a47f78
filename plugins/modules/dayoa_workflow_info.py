#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: dayoa_workflow_info
short_description: The DayOA workflow sessions on the headnode and the status of one
version_added: 0.1.0
description:
  - Runs on the headnode (C(delegate_to) the headnode host). Lists every run directory under O(run_root) that holds a
    C(status.json) written by C(daylily.ephemeral_cluster.dayoa_workflow), each with its state (V(running),
    V(succeeded), V(failed), or V(interrupted) when its tmux session ended without an exit code).
  - With O(session_name) it also returns that session's C(status.json), state and the end of its C(tmux.log); an
    unknown session fails and lists the sessions that exist.
  - To wait for a workflow, poll this module with C(until) on RV(completed) (the workflow role's C(status) entry point
    does).
author:
  - Daylily ephemeral cluster maintainers (!UNKNOWN)
options:
  session_name:
    description: The session to report; by default only the list of sessions.
    type: str
  run_root:
    description: Directory of the run directories; C(~) is the user's home.
    type: str
    default: ~/daylily-runs
  log_lines:
    description: How many lines of the end of C(tmux.log) to return.
    type: int
    default: 40
extends_documentation_fragment:
  - daylily.ephemeral_cluster.option_names
  - daylily.ephemeral_cluster.read_only
notes:
  - Runs on the headnode.
"""

EXAMPLES = r"""
- name: Status of the session run42
  daylily.ephemeral_cluster.dayoa_workflow_info:
    session_name: run42
  delegate_to: headnode
  register: run42

- name: Wait until it ends (at most a day, polling every minute)
  daylily.ephemeral_cluster.dayoa_workflow_info:
    session_name: run42
  delegate_to: headnode
  register: run42
  until: run42.completed
  retries: "{{ 86400 | daylily.ephemeral_cluster.poll_retries(60) }}"
  delay: 60
"""

RETURN = r"""
sessions:
  description: Every session with a run directory, by name.
  returned: always
  type: list
  elements: dict
  contains:
    session_name:
      description: The session (and run directory) name.
      type: str
    run_dir:
      description: The run directory.
      type: str
    state:
      description: V(running), V(succeeded), V(failed) or V(interrupted).
      type: str
    status:
      description: Its C(status.json).
      type: dict
session_summaries:
  description: One C(<session> (<state>)) line per session, for messages.
  returned: always
  type: list
  elements: str
  sample: ["run42 (running)", "run41 (succeeded)"]
session_name:
  description: The session reported.
  returned: when O(session_name) is given
  type: str
run_dir:
  description: Its run directory.
  returned: when O(session_name) is given
  type: str
state:
  description: Its state.
  returned: when O(session_name) is given
  type: str
  sample: succeeded
completed:
  description: Whether its workflow has ended (C(status.json) has C(completed_at)), or its session ended without an exit code.
  returned: when O(session_name) is given
  type: bool
status:
  description: Its C(status.json).
  returned: when O(session_name) is given
  type: dict
log:
  description: The last O(log_lines) lines of its C(tmux.log).
  returned: when O(session_name) is given
  type: list
  elements: str
steps:
  description:
    - Snakemake's last progress line in C(tmux.log) as C(done) and C(total) jobs; null before the first job ends.
  returned: when O(session_name) is given
  type: dict
  sample: {"done": 12, "total": 40}
progress:
  description:
    - One line for an operator watching a wait (the collection's C(progress) callback prints it at every retry).
  returned: when O(session_name) is given
  type: str
  sample: "workflow run42 running: 12 of 40 Snakemake jobs done"
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import workflow


def main():
    module = AnsibleModule(
        argument_spec=dict(
            session_name=dict(type="str"),
            run_root=dict(type="str", default=workflow.DEFAULT_RUN_ROOT),
            log_lines=dict(type="int", default=40),
            option_names=dict(type="dict", default={}),
        ),
        supports_check_mode=True,
    )
    params = module.params
    runs = workflow.list_runs(params["run_root"])
    result = dict(
        changed=False,
        sessions=runs,
        session_summaries=["%s (%s)" % (run["session_name"], run["state"]) for run in runs],
    )
    name = params["session_name"]
    if name:
        found = [run for run in runs if run["session_name"] == name]
        if not found:
            module.fail_json(
                msg="No workflow session %r under %s. Set %s to one of: %s."
                % (
                    name,
                    params["run_root"],
                    workflow.option_name("session_name", params["option_names"]),
                    ", ".join(result["session_summaries"]) or "(none: nothing was launched here)",
                ),
                **result,
            )
        run = found[0]
        steps = workflow.snakemake_steps(run["run_dir"])
        result.update(
            steps=dict(done=steps[0], total=steps[1]) if steps else None,
            progress=workflow.progress_line(name, run["state"], steps),
            session_name=name,
            run_dir=run["run_dir"],
            state=run["state"],
            status=run["status"],
            completed=run["state"] != workflow.RUNNING,
            log=workflow.log_tail(run["run_dir"], params["log_lines"]),
        )
    module.exit_json(**result)


if __name__ == "__main__":
    main()
