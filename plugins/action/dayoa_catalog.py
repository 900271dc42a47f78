# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Controller side of dayoa_catalog: point the module at the catalog shipped in this collection.

Modules run from a zipped payload and cannot find their collection's files; the action plugin can, because it
runs from the collection on the controller. An explicit catalog_path always wins.
"""

import os

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
        result.update(self._execute_module(module_name="daylily.ephemeral_cluster.dayoa_catalog",
                                           module_args=module_args, task_vars=task_vars))
        return result
