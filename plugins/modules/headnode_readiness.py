#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: headnode_readiness
short_description: Check that a Daylily headnode is ready to run workflows
version_added: 0.1.0
description:
  - Runs on the headnode (reach it with the C(daylily.ephemeral_cluster.ssm) connection) and checks what a workflow
    launch needs, the way C(dyec) checks headnode readiness before every launch.
  - "The checks: the FSx for Lustre file system is mounted at O(fsx_mount_point); the reference directory
    O(references_path) is a non-empty directory; each of O(required_files) exists and is not empty; each of
    O(required_tools) is an executable on C(PATH) or O(extra_path); each of O(required_directories) is a writable
    directory; none of O(forbidden_paths) exists; and, with O(min_free_bytes), the file system has that much free space."
  - Every check runs, whatever fails before it, and the result lists each one with its status, details and what to
    do about a failure, so one run shows everything that is wrong.
  - The module fails when a check fails, unless O(fail_on_not_ready=false); then it returns RV(ready=false).
author:
  - Daylily ephemeral cluster maintainers (!UNKNOWN)
options:
  fsx_mount_point:
    description:
      - Where the cluster's FSx for Lustre file system is mounted on the headnode.
    type: path
    default: /fsx
  require_mountpoint:
    description:
      - Require O(fsx_mount_point) to be a mount point (C(os.path.ismount)).
      - With V(false) it only has to be a directory (a symlink to one is followed), for a file system namespace that is
        not a separate mount, such as the local sandbox's.
    type: bool
    default: true
  references_path:
    description:
      - The reference data directory (the startup association C(/references/)), which must be a non-empty directory.
      - A relative path is taken relative to O(fsx_mount_point). Default C(<fsx_mount_point>/references).
    type: path
  required_files:
    description:
      - Files, relative to O(fsx_mount_point), that must exist and hold at least one byte, for example
        V(references/runtime_assets/tool_specific_resources/cromwell_87.jar).
      - Absolute paths and C(.), C(..) or empty segments are refused.
    type: list
    elements: str
    default: []
  required_tools:
    description:
      - Commands that must resolve to an executable on the search path (C(PATH) after O(extra_path)).
    type: list
    elements: str
    default: [git, tmux, day-clone]
  extra_path:
    description:
      - Directories searched for O(required_tools) before C(PATH), for example V(~/.local/bin), which a non-login
        shell may not have on C(PATH). C(~) is the home of the user the module runs as.
    type: list
    elements: path
    default: []
  required_directories:
    description:
      - Directories that must exist and be writable by the user the module runs as. Relative paths are relative to
        O(fsx_mount_point).
      - Default C([<fsx_mount_point>/analysis_results]), the root of every analysis directory. An empty list checks none.
    type: list
    elements: path
  forbidden_paths:
    description:
      - Paths that must not exist. Relative paths are relative to O(fsx_mount_point).
      - Default C([<fsx_mount_point>/runtime_assets]), a root retired by DayEC 5 whose stale data would be used by
        mistake. An empty list checks none.
    type: list
    elements: path
  min_free_bytes:
    description:
      - Bytes that must be free (available to this user) on the file system of O(fsx_mount_point). Not checked when unset.
    type: int
  fail_on_not_ready:
    description:
      - Fail the task when a check fails. With V(false) the task succeeds and RV(ready) says whether the headnode is ready.
    type: bool
    default: true
extends_documentation_fragment:
  - daylily.ephemeral_cluster.option_names
  - daylily.ephemeral_cluster.read_only
notes:
  - Runs on the headnode itself with Python 3.9 or later; it makes no AWS call.
"""

EXAMPLES = r"""
- name: Check the headnode before launching a workflow
  daylily.ephemeral_cluster.headnode_readiness:
    extra_path: [~/.local/bin]
    required_files:
      - references/runtime_assets/cached_envs/apptainer_1.4.5_amd64.deb
      - references/runtime_assets/tool_specific_resources/cromwell_87.jar
      - references/runtime_assets/tool_specific_resources/womtool_87.jar
    min_free_bytes: "{{ 100 * 1024 ** 3 }}"
  delegate_to: headnode

- name: Report readiness without failing
  daylily.ephemeral_cluster.headnode_readiness:
    fail_on_not_ready: false
  delegate_to: headnode
  register: readiness

- name: Show what is wrong
  ansible.builtin.debug:
    msg: "{{ readiness.checks | selectattr('status', 'equalto', 'FAIL') | list }}"
  when: not readiness.ready
"""

RETURN = r"""
ready:
  description: Whether every check passed.
  returned: always
  type: bool
  sample: false
checks:
  description: Every check, in the order it ran; RV(failed_checks) names those that failed.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description:
        - What was checked, V(fsx.mount), V(fsx.references), V(fsx.free_space), C(file:<path relative to the mount>),
          C(tool:<name>), C(directory:<path>) or C(forbidden:<path>).
      returned: always
      type: str
      sample: tool:day-clone
    status:
      description: V(PASS) or V(FAIL).
      returned: always
      type: str
      sample: FAIL
    details:
      description: What was found.
      returned: always
      type: str
      sample: day-clone is not an executable on the search path /home/ubuntu/.local/bin:/usr/bin:/bin
    remediation:
      description: What to do about a failure (empty for a passing check).
      returned: always
      type: str
      sample: Run the headnode role (playbooks/headnode.yml), which installs day-clone to ~/.local/bin.
failed_checks:
  description: The ids of the checks that failed.
  returned: always
  type: list
  elements: str
  sample: [fsx.references, "tool:day-clone"]
fsx_mount_point:
  description: The mount point that was checked.
  returned: always
  type: str
  sample: /fsx
search_path:
  description: The directories searched for O(required_tools), in order.
  returned: always
  type: str
  sample: /home/ubuntu/.local/bin:/usr/local/bin:/usr/bin:/bin
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.readiness import DEFAULT_TOOLS
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.readiness import failures
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.readiness import resolve
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.readiness import run_checks
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.readiness import summary


def main():
    argument_spec = dict(
        fsx_mount_point=dict(type="path", default="/fsx"),
        require_mountpoint=dict(type="bool", default=True),
        references_path=dict(type="path"),
        required_files=dict(type="list", elements="str", default=[]),
        required_tools=dict(type="list", elements="str", default=list(DEFAULT_TOOLS)),
        extra_path=dict(type="list", elements="path", default=[]),
        required_directories=dict(type="list", elements="path"),
        forbidden_paths=dict(type="list", elements="path"),
        min_free_bytes=dict(type="int"),
        fail_on_not_ready=dict(type="bool", default=True),
        option_names=dict(type="dict", default={}),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)

    try:
        settings = resolve(module.params)
    except ValueError as e:
        module.fail_json(msg=str(e))

    checks = run_checks(settings)
    failed = failures(checks)
    result = dict(
        changed=False,
        ready=not failed,
        checks=checks,
        failed_checks=[check["id"] for check in failed],
        fsx_mount_point=settings["fsx_mount_point"],
        search_path=settings["search_path"],
    )
    if failed and module.params["fail_on_not_ready"]:
        module.fail_json(msg=summary(checks), **result)
    result["msg"] = summary(checks)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
