# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Controller side of dayoa_catalog: point the module at the catalog shipped in this collection, and find the input
files where a ``file`` lookup would.

Modules run from a zipped payload and cannot find their collection's files; the action plugin can, because it
runs from the collection on the controller. An explicit catalog_path always wins. A relative input file is looked up
in the role's or playbook's ``files/`` and the playbook's directory; one that is not found is passed on as given, so
the module reports it after checking which inputs the command reads.
"""

import os

from ansible.errors import AnsibleError
from ansible.plugins.action import ActionBase

SHIPPED_CATALOG = os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
    "catalog",
    "daylily_available_repositories.yaml",
)


class ActionModule(ActionBase):
    """Fill catalog_path with the shipped catalog, then run the dayoa_catalog module."""

    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        module_args = dict(self._task.args)
        if not module_args.get("catalog_path"):
            module_args["catalog_path"] = SHIPPED_CATALOG
        if isinstance(module_args.get("input_files"), dict):
            module_args["input_files"] = {
                name: self._find_input(path) for name, path in module_args["input_files"].items()
            }
        result.update(
            self._execute_module(
                module_name="daylily.ephemeral_cluster.dayoa_catalog", module_args=module_args, task_vars=task_vars
            )
        )
        return result

    def _find_input(self, path):
        if not path or os.path.isabs(str(path)):
            return path
        try:
            return self._find_needle("files", path)
        except AnsibleError:
            return path
