# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The mount_plan filter: where an S3 prefix is attached on FSx, validated before anything changes."""

DOCUMENTATION = r"""
name: mount_plan
short_description: Plan an FSx data repository mount of an S3 prefix (mount id, FSx path, headnode path)
version_added: 0.1.0
author:
  - Daylily ephemeral cluster maintainers (!UNKNOWN)
description:
  - Validates an S3 URI and a mount purpose and returns where the prefix is attached on the cluster's FSx for Lustre
    file system, following the Daylily mount rules.
  - C(run) mounts go to C(/run_dir_mounts/<mount_id>/), C(reference) to C(/references/<mount_id>/), C(control-data) to
    C(/control_data/<mount_id>/), C(staging) to C(/staging/<mount_id>/); C(custom) needs an explicit O(file_system_path)
    outside those roots.
  - The mount id comes from O(mount_id), else O(run_id), else the last segment of the S3 prefix; it must be one safe
    path segment.
  - Fails with a message naming the offending value when any rule is broken, before any AWS call.
options:
  _input:
    description:
      - The S3 URI to mount, for example V(s3://runs-bucket/230101_A0001_0001_AH2/).
      - May be empty when only the FSx path is needed (to detach), then O(mount_id) or O(file_system_path) is required.
    type: str
    required: true
  purpose:
    description: What the mount is for.
    type: str
    default: run
    choices: [run, reference, control-data, staging, custom]
  mount_id:
    description: Explicit mount id (one segment of letters, digits, C(.), C(_) or C(-)).
    type: str
  run_id:
    description: Sequencing run id used as the mount id when O(mount_id) is not given.
    type: str
  file_system_path:
    description: Explicit FSx path (required for C(custom); must lie under the purpose's root otherwise).
    type: str
extends_documentation_fragment:
  - daylily.ephemeral_cluster.fsx.mount_point
"""

EXAMPLES = r"""
- name: Plan a run-folder mount
  ansible.builtin.set_fact:
    plan: "{{ 's3://runs-bucket/230101_A0001_0001_AH2/' | daylily.ephemeral_cluster.mount_plan(purpose='run') }}"
"""

RETURN = r"""
_value:
  description: The mount plan.
  type: dict
  contains:
    mount_id:
      description: The mount id.
      type: str
    purpose:
      description: The mount purpose.
      type: str
    s3_uri:
      description: The normalised S3 URI (trailing slash).
      type: str
    bucket:
      description: The bucket.
      type: str
    prefix:
      description: The key prefix (trailing slash, empty for the bucket root).
      type: str
    file_system_path:
      description: The FSx API path (no C(/fsx) prefix, trailing slash).
      type: str
    headnode_path:
      description: The same directory as seen on the headnode.
      type: str
    writeback_marker_keys:
      description: Keys where an C(.atlas_rw) marker allows writeback, from the prefix up to (not including) the bucket root.
      type: list
      elements: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import paths
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.s3_prefix import writeback_marker_keys


def mount_plan(
    s3_uri, purpose="run", mount_id=None, run_id=None, file_system_path=None, mount_point=paths.DEFAULT_MOUNT_POINT
):
    try:
        # Detaching needs no S3 URI: the mount id (or explicit path) is enough to find the association.
        location = paths.parse_s3_uri(s3_uri, field="s3_uri") if s3_uri else paths.S3Location(None, "")
        if file_system_path:
            fsx_path = paths.mount_path_for(purpose, file_system_path=file_system_path)
            # An explicit path names the mount itself; its last segment is the id unless one was given.
            identifier = paths.validate_mount_id(
                mount_id or run_id or fsx_path.rstrip("/").rsplit("/", 1)[-1], field="mount_id"
            )
        else:
            identifier = paths.derive_mount_id(location.uri if s3_uri else None, mount_id=mount_id, run_id=run_id)
            fsx_path = paths.mount_path_for(purpose, mount_id=identifier)
        headnode = paths.api_to_headnode_path(fsx_path, mount_point=mount_point)
    except paths.PathRuleError as exc:
        raise AnsibleFilterError(str(exc)) from exc
    return {
        "mount_id": identifier,
        "purpose": purpose,
        "s3_uri": location.uri if s3_uri else None,
        "bucket": location.bucket,
        "prefix": location.prefix,
        "file_system_path": fsx_path,
        "headnode_path": headnode,
        "writeback_marker_keys": writeback_marker_keys(location.prefix),
    }


class FilterModule:
    """daylily.ephemeral_cluster.mount_plan"""

    def filters(self):
        return {"mount_plan": mount_plan}
