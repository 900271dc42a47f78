#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: dayoa_workflow
short_description: Launch a pinned DayOA command in a tmux session on the headnode, once
version_added: 0.1.0
description:
  - Runs on the headnode (C(delegate_to) the headnode host; one SSM round trip through the collection's C(ssm)
    connection). In that one run it clones the repository at the pinned tag into
    C(<analysis_root>/<executing_entity>/<analysis_id>/) with C(day-clone), writes the input tables into the checkout's
    C(config/) (each run's C(RUN_DIR) in C(runs.tsv) becomes the link C(config/run_dir_links/<RUNID>) to its run mount),
    and starts the command in the tmux session O(session_name), which writes C(status.json) and C(tmux.log) into
    C(<run_root>/<session_name>/). It returns once the session has written C(status.json).
  - Idempotent. When the session's C(status.json) names this analysis directory and this command, the run is reported
    (RV(state) V(running), V(succeeded) or V(failed)) with C(changed=false) and nothing is started again.
  - Refused before anything changes, with a reason code in the message (C(reason) in the result) - an invalid session name (tmux renames names
    with C(.) or C(:)), a tmux session or analysis directory that holds something else (C(session_exists),
    C(analysis_dir_exists)), a run whose session ended without an exit code (C(interrupted)), and inputs that do not
    exist on the headnode (C(inputs_missing), every missing path listed).
  - With O(replace_existing=true) a failed or interrupted run, a foreign tmux session and exactly the analysis directory
    are replaced. A running or succeeded run is never replaced; choose a new analysis id to run it again.
  - Check mode decides the same way and changes nothing; when it would launch it reports C(changed=true) and, with
    C(--diff), what it would start.
author:
  - Daylily ephemeral cluster maintainers (!UNKNOWN)
options:
  executing_entity:
    description: Who runs the analysis; one safe path segment.
    type: str
    required: true
  analysis_id:
    description: The analysis id; one safe path segment.
    type: str
    required: true
  session_name:
    description:
      - The tmux session (and run directory) name. Letters, digits, C(_) and C(-), starting with a letter or digit.
      - Default the analysis id with each C(.) replaced by C(_).
    type: str
    default: ""
  analysis_root:
    description: The headnode directory that holds every analysis directory.
    type: path
    default: /fsx/analysis_results
  repository:
    description: The catalog's repository key (C(day-clone --repository)); the checkout's directory name.
    type: str
    required: true
  git_tag:
    description: The pinned tag to clone.
    type: str
    required: true
  repository_url:
    description: Clone URL; by default day-clone reads it from its repository map.
    type: str
  command:
    description: The shell command the session runs inside the checkout, for example the catalog's C(dy_command).
    type: str
    required: true
  config_files:
    description: Input tables to write into the checkout's C(config/), by file name (C(samples.tsv), C(runs.tsv)).
    type: dict
    default: {}
  run_links:
    description: Run id to the headnode path of its run mount; each becomes C(config/run_dir_links/<RUNID>).
    type: dict
    default: {}
  required_inputs:
    description:
      - Headnode paths that must exist before anything is launched, each with where it was named (C(source)), for
        example the FASTQs of C(units.tsv) as RV(daylily.ephemeral_cluster.dayoa_catalog#module:launch_inputs) lists them.
    type: list
    elements: dict
    default: []
  run_root:
    description: Directory of the run directories (C(launch.sh), C(status.json), C(tmux.log)); C(~) is the user's home.
    type: str
    default: ~/daylily-runs
  search_path:
    description: Directories searched for C(day-clone) and C(tmux) before C(PATH); C(~) is the user's home.
    type: list
    elements: str
    default: [~/.local/bin]
  replace_existing:
    description: Replace a failed or interrupted run, a foreign tmux session and exactly the analysis directory.
    type: bool
    default: false
  start_timeout:
    description: Seconds to wait for the new session to write C(status.json).
    type: int
    default: 10
extends_documentation_fragment:
  - daylily.ephemeral_cluster.option_names
notes:
  - Runs on the headnode with Python 3.9 or later; it makes no AWS call. Needs C(tmux) and C(day-clone) (the headnode
    role installs day-clone).
"""

EXAMPLES = r"""
- name: Launch the catalog command on the headnode
  daylily.ephemeral_cluster.dayoa_workflow:
    executing_entity: alice
    analysis_id: run42
    repository: daylily-omics-analysis
    git_tag: "2.0.26"
    command: bin/day_run produce_snv_concordances -p -k -j 10 --config genome_build=hg38
    config_files:
      samples.tsv: "{{ lookup('ansible.builtin.file', 'samples.tsv', rstrip=false) }}"
      units.tsv: "{{ lookup('ansible.builtin.file', 'units.tsv', rstrip=false) }}"
  delegate_to: headnode
  register: launched
"""

RETURN = r"""
state:
  description:
    - V(started) (launched now), V(would_start) (check mode), or the state of the run that already exists
      (V(running), V(succeeded), V(failed)).
  returned: success
  type: str
  sample: started
session_name:
  description: The tmux session.
  returned: success
  type: str
  sample: run42
run_dir:
  description: The run directory (C(launch.sh), C(status.json), C(tmux.log)).
  returned: success
  type: str
  sample: /home/ubuntu/daylily-runs/run42
analysis_dir:
  description: The analysis directory.
  returned: success
  type: str
  sample: /fsx/analysis_results/alice/run42
repo_path:
  description: The checkout inside the analysis directory.
  returned: success
  type: str
  sample: /fsx/analysis_results/alice/run42/daylily-omics-analysis
status:
  description: The run's C(status.json) (C(session_name), C(repo_path), C(command), C(started_at), C(completed_at), C(exit_code)).
  returned: unless the state is V(would_start)
  type: dict
  sample: {"session_name": "run42", "started_at": "2026-01-01T10:00:00Z", "command": "bin/day_run ..."}
reason:
  description: On a refusal, its code (C(session_exists), C(analysis_dir_exists), C(interrupted), C(inputs_missing), ...).
  returned: on failure
  type: str
  sample: analysis_dir_exists
missing_inputs:
  description: The required inputs that do not exist (C(path), C(source)).
  returned: when the reason is C(inputs_missing)
  type: list
  elements: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.paths import PathRuleError
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.workflow import STARTED
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.workflow import WOULD_START
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.workflow import Launch
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.workflow import WorkflowError

_MESSAGES = {
    WOULD_START: "Would start %(command)s in tmux session %(session_name)s.",
    STARTED: "Started %(command)s in tmux session %(session_name)s.",
    "running": "%(analysis_dir)s is already running in tmux session %(session_name)s; nothing was started.",
    "succeeded": "%(analysis_dir)s already ran and succeeded in tmux session %(session_name)s; nothing was started.",
    "failed": "%(analysis_dir)s already ran and failed in tmux session %(session_name)s; nothing was started.",
}


def ensure_launched(launch, check_mode):
    """Return (changed, result) for the launch: report a run that exists, else start one (not in check mode)."""
    state, status = launch.plan()
    description = launch.description()
    result = dict(
        state=state,
        session_name=launch.session,
        run_dir=launch.run_dir,
        analysis_dir=launch.analysis_dir,
        repo_path=launch.repo_path,
    )
    if state != WOULD_START:
        result.update(status=status, msg=_MESSAGES[state] % description)
        return False, result
    before = launch.replaced()
    if not check_mode:
        result.update(status=launch.start(), state=STARTED, repo_path=launch.repo_path)
    result.update(msg=_MESSAGES[result["state"]] % description, diff=dict(before=before, after=description))
    return True, result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            executing_entity=dict(type="str", required=True),
            analysis_id=dict(type="str", required=True),
            session_name=dict(type="str", default=""),
            analysis_root=dict(type="path", default="/fsx/analysis_results"),
            repository=dict(type="str", required=True),
            git_tag=dict(type="str", required=True),
            repository_url=dict(type="str"),
            command=dict(type="str", required=True),
            config_files=dict(type="dict", default={}),
            run_links=dict(type="dict", default={}),
            required_inputs=dict(type="list", elements="dict", default=[]),
            run_root=dict(type="str", default="~/daylily-runs"),
            search_path=dict(type="list", elements="str", default=["~/.local/bin"]),
            replace_existing=dict(type="bool", default=False),
            start_timeout=dict(type="int", default=10),
            option_names=dict(type="dict", default={}),
        ),
        supports_check_mode=True,
    )
    try:
        launch = Launch(module.params)
        changed, result = ensure_launched(launch, module.check_mode)
    except PathRuleError as exc:
        module.fail_json(msg="%s; nothing was launched." % exc, reason="invalid_name")
    except WorkflowError as exc:
        module.fail_json(msg=str(exc), reason=exc.code, **exc.details)
    module.exit_json(changed=changed, **result)


if __name__ == "__main__":
    main()
