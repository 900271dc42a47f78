# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""FSx rules that need no AWS call: how paths are written, and which roots are read-only."""

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import paths

DEFAULT_MOUNT_POINT = paths.DEFAULT_MOUNT_POINT

#: Roots whose associations link source data (sequencing runs, references, staged inputs, control data): FSx never
#: writes back into their S3 prefixes without the writeback guard.
READ_ONLY_ROOTS = {
    "/run_dir_mounts/": "the run mount root",
    "/references/": "the reference root",
    "/staging/": "the staging root",
    "/control_data/": "the control-data root",
}


def api_path(path, mount_point=DEFAULT_MOUNT_POINT, field="file_system_path"):
    """The FSx API form of a path every FSx module accepts: the API form itself (``/run_dir_mounts/R1/``) or the
    headnode form under ``mount_point`` or ``/fsx`` (``/fsx/run_dir_mounts/R1``). Raises ``paths.PathRuleError``
    (a ValueError) for anything else."""
    return paths.to_api_path(path, mount_point=mount_point or DEFAULT_MOUNT_POINT, field=field)


def read_only_root(path):
    """The read-only root that API path ``path`` is, lies under or contains (``/`` contains them all), else None."""
    path = path.rstrip("/") + "/"
    for root in READ_ONLY_ROOTS:
        if path.startswith(root) or root.startswith(path):
            return root
    return None


def describe_read_only_root(root):
    """``/run_dir_mounts/ (the run mount root)``."""
    return f"{root} ({READ_ONLY_ROOTS[root]})"
