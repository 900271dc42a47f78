#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: samples_manifest
short_description: Check an analysis sample manifest and write DayOA's samples.tsv and units.tsv
version_added: 0.1.0
description:
  - Reads an C(analysis_samples.tsv) manifest (one row per sample and lane; UTF-8 with or without BOM, LF or CRLF,
    trailing blank lines ignored), normalises its ids and platform values the way DayEC 5.1.5 does, checks every
    rule, and reports B(all) problems at once, each with its file line and column (RV(problems)).
  - "Rules: the required columns C(RUN_ID SAMPLE_ID EXPERIMENTID SAMPLE_TYPE LIB_PREP SEQ_VENDOR SEQ_PLATFORM LANE
    SEQBC_ID); no unknown or duplicated column; ids without C(/) or C(\\); every row has a source (FASTQs, an
    alignment or C(ONT_FASTQ_PREFIX)); C(STAGE_DIRECTIVE) is C(stage_data), C(pass_through), C(mounted_readonly) or
    empty (C(stage_data)); comma-separated FASTQ lists only on ILMN rows; rows of one sample unit merge only when they
    are ILMN lanes staged with C(stage_data) and numbered from 1; CRAM/BAM aligners (Ultima C(ug)/C(hyb) with C(.crai),
    ONT CRAM C(ont) with C(.crai), PacBio C(pb) with C(.csi) or C(sentmm2), ONT BAM C(sentmm2ont), Roche C(roche));
    C(mounted_readonly) files under C(/fsx/run_dir_mounts/<MOUNT_ID>/); C(pass_through) files visible on the headnode;
    no retired root (C(/fsx/data), C(/fsx/runtime_assets)); one value per sample for per-sample columns."
  - Normalisation - C(_) becomes C(-) in ids, lane, library prep, platform and sample type (and C(.) too in
    C(RUN_ID)); vendors are upper-cased, C(CG/MGI) is C(CG); Illumina PCR-free library prep aliases become
    C(PCR-FREE) and C(NovaSeqX) becomes C(NOVASEQ).
  - Returns the manifest's data mode (RV(data_mode)) and, with O(command_id), fails when the catalog command's
    C(compatible_data_modes) do not include it.
  - With O(dest), writes C(<timestamp>_samples.tsv) and C(<timestamp>_units.tsv) (CRLF line endings, DayOA's columns
    in DayOA's order, C(samples.tsv) sorted by C(SAMPLEID), C(units.tsv) in manifest order) into that directory.
    Staged file paths in C(units.tsv) are headnode paths under O(stage_target)/O(stage_name).
  - Does not talk to AWS. The M(daylily.ephemeral_cluster.s3_stage) module checks and copies the sources.
author:
  - Daylily ephemeral cluster maintainers (!UNKNOWN)
options:
  dest:
    description:
      - Directory to write C(<timestamp>_samples.tsv) and C(<timestamp>_units.tsv) into (created when missing).
      - Files are rewritten only when their content differs.
    type: path
notes:
  - Supports check mode (nothing is written) and diff mode (the tables before and after).
extends_documentation_fragment:
  - daylily.ephemeral_cluster.sample_manifest
  - daylily.ephemeral_cluster.option_names
"""

EXAMPLES = r"""
- name: Check the manifest for the hg38 germline command and write the DayOA tables
  daylily.ephemeral_cluster.samples_manifest:
    src: analysis_samples.tsv
    command_id: ilmn_germline_wgs_hg38
    dest: "{{ playbook_dir }}/stage"
  register: manifest

- name: Show the stage that the tables describe
  ansible.builtin.debug:
    msg: "{{ manifest.data_mode }}: {{ manifest.stage_dir }}"
"""

RETURN = r"""
stage_name:
  description: The stage directory name (given or new).
  returned: always
  type: str
  sample: remote_stage_20260101T120000Z_0a1b2c3d
stage_file_system_path:
  description: The stage's FSx API path, where the staging association attaches it; null when O(stage_target) is
    outside O(fsx_mount_point).
  returned: always
  type: str
  sample: /staging/staged_external_sequencing_data/remote_stage_20260101T120000Z_0a1b2c3d/
stage_dir:
  description: The stage directory on the headnode.
  returned: always
  type: str
  sample: /fsx/staging/staged_external_sequencing_data/remote_stage_20260101T120000Z_0a1b2c3d
data_mode:
  description: The data mode of the manifest's vendors (C(ilmn_solo), C(hybrid_ilmn_ont), ...); null when none fits.
  returned: always
  type: str
  sample: ilmn_solo
problems:
  description: Every problem found, in file order; the module fails when there is any.
  returned: always
  type: list
  elements: dict
  contains:
    line:
      description: The file line (the header is line 1); null for the whole file.
      returned: always
      type: int
    column:
      description: The column concerned, if one.
      returned: always
      type: str
    message:
      description: What is wrong and what to do.
      returned: always
      type: str
samples_tsv:
  description: The content of C(samples.tsv).
  returned: success
  type: str
units_tsv:
  description: The content of C(units.tsv).
  returned: success
  type: str
sample_count:
  description: Rows of C(samples.tsv).
  returned: success
  type: int
unit_count:
  description: Rows of C(units.tsv).
  returned: success
  type: int
copy_count:
  description: Objects (or prefixes) the stage copies.
  returned: success
  type: int
files:
  description: The tables written under O(dest) (or that would be, in check mode).
  returned: when O(dest) is given
  type: dict
  contains:
    samples:
      description: Path of C(<timestamp>_samples.tsv).
      returned: always
      type: str
    units:
      description: Path of C(<timestamp>_units.tsv).
      returned: always
      type: str
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import samples


def _read(path):
    if not os.path.isfile(path):
        return None
    with open(path, "rb") as handle:
        return handle.read().decode("utf-8", errors="replace")


def ensure_tables(dest, stage_name, plan, check_mode):
    """Write the two tables under ``dest``; return (changed, files, diff)."""
    stamp = samples.stage_timestamp(stage_name)
    files = {
        "samples": os.path.join(dest, "%s_samples.tsv" % stamp),
        "units": os.path.join(dest, "%s_units.tsv" % stamp),
    }
    wanted = {"samples": plan.samples_tsv, "units": plan.units_tsv}
    before = {name: _read(path) for name, path in files.items()}
    changed_names = [name for name in files if before[name] != wanted[name]]
    if changed_names and not check_mode:
        os.makedirs(dest, exist_ok=True)
        for name in changed_names:
            with open(files[name], "w", encoding="utf-8", newline="") as handle:
                handle.write(wanted[name])
    diff = [
        {"before_header": files[name], "after_header": files[name], "before": before[name] or "", "after": wanted[name]}
        for name in changed_names
    ]
    return bool(changed_names), files, diff


def main():
    argument_spec = dict(samples.MANIFEST_ARGUMENT_SPEC, dest=dict(type="path"))
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    stage_name = params["stage_name"] or samples.new_stage_name()
    try:
        plan = samples.plan_from_params(params, stage_name)
    except (OSError, samples.CatalogError) as err:
        module.fail_json(msg="Cannot check the manifest %s: %s" % (params["src"], err))
    result = samples.plan_result(params, stage_name, plan)
    if plan.problems:
        module.fail_json(msg=samples.problems_message(plan.problems, params["src"]), **result)
    result.update(
        samples_tsv=plan.samples_tsv,
        units_tsv=plan.units_tsv,
        sample_count=len(plan.samples),
        unit_count=len(plan.units),
        copy_count=len(plan.copies),
    )
    if params["dest"]:
        changed, files, diff = ensure_tables(params["dest"], stage_name, plan, module.check_mode)
        result.update(changed=changed, files=files)
        if module._diff:
            result["diff"] = diff
    module.exit_json(**result)


if __name__ == "__main__":
    main()
