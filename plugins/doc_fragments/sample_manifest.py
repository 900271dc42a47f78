# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The manifest options of samples_manifest and s3_stage (module_utils/samples.py MANIFEST_ARGUMENT_SPEC)."""


class ModuleDocFragment:  # pylint: disable=too-few-public-methods
    """src, stage_name, stage_target, the role bucket URIs, command_id and catalog_path (option_names has its own fragment)."""

    DOCUMENTATION = r"""
options:
  src:
    description: Path of the C(analysis_samples.tsv) manifest on the controller.
    type: path
    required: true
  stage_name:
    description:
      - The stage directory name, C(remote_stage_<YYYYMMDDTHHMMSSZ>_<8 hex digits>).
      - A new name (the current UTC time and a random suffix) when omitted; pass the returned C(stage_name) again to
        resume or re-check that stage.
    type: str
  stage_target:
    description:
      - The headnode directory where the stages appear (the staging association's mount).
      - Defaults to O(fsx_mount_point)C(/staging/staged_external_sequencing_data).
    type: str
  fsx_mount_point:
    description: Where the FSx file system is mounted on the headnode; FSx API paths are taken relative to it.
    type: str
    default: /fsx
  reference_s3_uri:
    description: The bucket URI behind C(/fsx/references/), to check or stage files given as C(/fsx/references/...).
    type: str
  control_data_s3_uri:
    description: The bucket URI behind C(/fsx/control_data/), to check or stage files given as C(/fsx/control_data/...).
    type: str
  staging_s3_uri:
    description: The bucket URI behind C(/fsx/staging/), to check or stage files given as C(/fsx/staging/...).
    type: str
  command_id:
    description: A catalog command; the manifest's data mode must be one of its C(compatible_data_modes).
    type: str
  catalog_path:
    description: The command catalog; the collection's own C(catalog/daylily_available_repositories.yaml) by default.
    type: path
"""
