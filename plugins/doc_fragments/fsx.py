# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Options every FSx module of daylily.ephemeral_cluster shares: which file system, and how headnode paths are read."""


class ModuleDocFragment:  # pylint: disable=too-few-public-methods
    """The file_system_id, cluster_name and mount_point options."""

    DOCUMENTATION = r"""
options:
  file_system_id:
    description:
      - The FSx for Lustre file system, for example V(fs-0123456789abcdef0).
      - Mutually exclusive with O(cluster_name).
    type: str
  cluster_name:
    description:
      - The AWS ParallelCluster cluster whose FSx for Lustre file system is used, found by its
        C(parallelcluster:cluster-name) tag (C(fsx:DescribeFileSystems)).
      - Exactly one file system must carry the tag; the module fails and lists the candidates when none or several do
        (for example a retained file system of an earlier cluster with the same name). Pass O(file_system_id) then.
      - Mutually exclusive with O(file_system_id).
    type: str
  mount_point:
    description:
      - Where the file system is mounted on the headnode. A path given in the headnode form, under O(mount_point) or
        C(/fsx) (V(/fsx/analysis_results/alice/run42)), is read as the FSx path below it
        (V(/analysis_results/alice/run42/)); every FSx module reads paths this same way.
    type: str
    default: /fsx
"""

    # The mount_point option alone, for the path filters (they read no file system).
    MOUNT_POINT = r"""
options:
  mount_point:
    description: Where the file system is mounted on the headnode.
    type: str
    default: /fsx
"""
