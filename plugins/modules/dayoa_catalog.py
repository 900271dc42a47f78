#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: dayoa_catalog
short_description: Read, validate and resolve the DayOA command catalog
version_added: 0.1.0
description:
  - Reads the command catalog (version 2) that lists the DayOA workflow repositories, the release tag each command
    is pinned to, the commands that can be launched (targets, genome, jobs, launch and dry-run commands), the input
    tables each command reads, where its test data lives and how its exported results are registered in Dewey.
  - With O(validate=true) the catalog is checked against its JSON Schema (C(daylily_available_repositories.schema.json))
    and against the rules that span fields, and the module fails listing every problem at once, each with its path in
    the catalog, what is wrong and what is expected.
  - "Rule: C(sample_analysis) commands read the C(sample_manifest) contract, need staging and a C(default_mounted)
    test-data profile."
  - "Rule: C(run_analysis) commands read the C(run_context) contract, need a run mount and a C(run_dra_required) profile."
  - "Rule: C(utility) commands use the input contract C(none) and a profile whose source mode is C(none)."
  - "Rule: every C(git_tag) is a pinned release tag equal to the repository's C(default_ref), unless it is listed in the
    repository's C(allowed_git_tags); branch names such as C(main) are refused."
  - "Rule: command ids are unique across the catalog, and the contracts and profiles that commands name exist."
  - "Rule: C(dy_command) runs C(bin/day_run) with the command's targets, jobs and genome; C(dryrun_dy_command) is the
    same command followed by C(-n)."
  - "Rule: registration policies use only the C({analysis_id}), C({executing_entity}) and C({genome}) placeholders, give
    each MultiQC report the data directory MultiQC writes next to its html, and select every report they declare."
  - With O(command_id) the module also resolves that command, its repository, its test-data profile and its input
    contract, so a role can clone, stage, mount and launch from one task result.
  - With O(input_files) it also checks the launch inputs against the command's input contract (the class rules, where a
    C(sample_analysis) command reads C(samples) and C(units), a C(run_analysis) command C(runs), a C(utility) nothing),
    every table known columns and at least one row, every C(runs.tsv) row a valid run with its run mount planned. It
    returns what the launch writes and the headnode paths that must exist (RV(launch_inputs)), and, from
    O(associations), the runs whose run mount is not attached (RV(missing_run_mounts)).
  - The module only reads files. It supports check mode and never reports a change. It reads the catalog on the host it
    runs on, so run it on the controller (a play on C(localhost), or C(delegate_to) C(localhost)).
author:
  - Daylily ephemeral cluster maintainers (!UNKNOWN)
options:
  catalog_path:
    description:
      - The catalog YAML file to read.
      - By default the catalog shipped with the collection, C(catalog/daylily_available_repositories.yaml) at the
        collection root. The module looks for the collection next to its own code, then under the directories of
        E(ANSIBLE_COLLECTIONS_PATH), C(~/.ansible/collections), C(/usr/share/ansible/collections) and Python's module
        path. When the collection is installed elsewhere and the module cannot find it, pass this option.
      - The JSON Schema is taken from the collection; for a catalog outside the collection, a
        C(daylily_available_repositories.schema.json) next to the catalog is used when the collection cannot be found.
    type: path
  command_id:
    description:
      - The command to resolve, for example V(ilmn_germline_wgs_align_qc).
      - An unknown id fails and lists the valid ids (also returned as RV(valid_command_ids)).
    type: str
  repository:
    description:
      - Look for O(command_id) in this repository only, for example V(daylily-omics-analysis).
      - By default the repository that contains the command is used. An unknown repository fails and lists the
        repositories.
    type: str
  input_files:
    description:
      - The launch inputs of O(command_id), by table name (V(samples), V(units), V(runs)) to the file that holds the
        table on the host the module runs on (the controller); an empty path means not given. Every problem is listed
        at once, and which tables are given is checked before any file is read.
      - A relative path is looked up like a C(file) lookup's (the role's or playbook's C(files/) directory, then the
        playbook's directory).
    type: dict
  input_labels:
    description:
      - How messages name each table's input file (table name to the variable the operator sets), for example
        V(samples) to V(workflow_samples_file) when a role passes its variables, so a message names what the operator
        sets.
    type: dict
    default: {}
  associations:
    description:
      - The file system's data repository associations (as C(daylily.ephemeral_cluster.fsx_dra_info) returns them), to
        find the C(runs.tsv) runs that have no V(AVAILABLE) association of their S3 prefix at their run-mount path.
    type: list
    elements: dict
    default: []
  fsx_mount_point:
    description: Where the file system is mounted on the headnode (for the headnode paths in RV(launch_inputs)).
    type: str
    default: /fsx
  validate:
    description:
      - Check the catalog against its schema and rules before anything else, and fail listing every problem.
      - V(false) skips the checks; only use it to inspect a catalog that is being repaired.
    type: bool
    default: true
requirements:
  - PyYAML (installed with ansible-core)
  - jsonschema (checks the catalog against its JSON Schema; not needed with O(validate=false))
notes:
  - Invariants 18 (catalog class rules) and 19 (pinned refs) of the Daylily ephemeral cluster domain contract are
    enforced here.
"""

EXAMPLES = r"""
- name: Validate the shipped catalog and list its commands
  daylily.ephemeral_cluster.dayoa_catalog:
  delegate_to: localhost
  run_once: true
  register: dayoa_catalog

- name: Resolve the command to launch
  daylily.ephemeral_cluster.dayoa_catalog:
    command_id: ilmn_germline_wgs_align_qc
  delegate_to: localhost
  run_once: true
  register: dayoa_command

- name: Show what will be cloned and run
  ansible.builtin.debug:
    msg: >-
      day-clone --repository {{ dayoa_command.repository.key }} --git-tag {{ dayoa_command.command.git_tag }};
      {{ dayoa_command.command.dy_command }}

- name: A run_analysis command needs a run folder mount before launch
  ansible.builtin.assert:
    that:
      - not dayoa_command.command.requires_run_mount
    fail_msg: "Mount the run folder first: {{ dayoa_command.test_data_profile.source_fsx_prefix }}"

- name: Check a site catalog (every problem is listed at once)
  daylily.ephemeral_cluster.dayoa_catalog:
    catalog_path: "{{ playbook_dir }}/files/site_repositories.yaml"
  delegate_to: localhost
"""

RETURN = r"""
catalog_path:
  description: The catalog file that was read.
  returned: success
  type: str
  sample: /home/ops/.ansible/collections/ansible_collections/daylily/ephemeral_cluster/catalog/daylily_available_repositories.yaml
catalog_version:
  description: The catalog's C(command_catalog_version).
  returned: success
  type: int
  sample: 2
repositories:
  description: The repository keys of the catalog, in catalog order.
  returned: success
  type: list
  elements: str
  sample: [daylily-omics-analysis]
command_ids:
  description: Every command id of the catalog, in catalog order.
  returned: success
  type: list
  elements: str
  sample: [ilmn_germline_wgs_align_qc, ilmn_germline_wgs_sentieon_b37, illumina_run_qc_bclconvert, dayoa_env_check]
command:
  description:
    - The full command entry of O(command_id).
    - In C(artifact_registration), C({genome}) is replaced by the command's genome; C({analysis_id}) and
      C({executing_entity}) stay, because they are only known at launch.
  returned: when O(command_id) is given
  type: dict
  contains:
    command_id:
      description: The command id.
      returned: always
      type: str
      sample: ilmn_germline_wgs_align_qc
    command_class:
      description: V(sample_analysis), V(run_analysis) or V(utility).
      returned: always
      type: str
      sample: sample_analysis
    input_contract:
      description: The input contract id, or V(none).
      returned: always
      type: str
      sample: sample_manifest
    test_data_profile:
      description: The test-data profile id (resolved in RV(test_data_profile)).
      returned: always
      type: str
      sample: giab_hg002_ilmn_wgs_slim
    requires_staging:
      description: Whether samples must be staged before launch.
      returned: always
      type: bool
      sample: true
    requires_run_mount:
      description: Whether a run folder must be mounted with a run DRA before launch.
      returned: always
      type: bool
      sample: false
    runtime_parameters:
      description: Snakemake C(--config) values the launch command sets.
      returned: always
      type: dict
      sample: {"aligners": ["bwa2a"], "dedupers": ["dppl"], "snv_callers": ["deep"]}
    targets:
      description: Snakemake targets the command runs.
      returned: always
      type: list
      elements: str
      sample: [produce_snv_concordances, produce_multiqc_final_wgs, produce_dayoa_evidence_manifest]
    genome:
      description: Genome build.
      returned: always
      type: str
      sample: hg38
    jobs:
      description: Snakemake C(-j) value.
      returned: always
      type: int
      sample: 10
    dy_command:
      description: The launch command, run inside the checkout.
      returned: always
      type: str
      sample: bin/day_run produce_snv_concordances produce_multiqc_final_wgs produce_dayoa_evidence_manifest -p -k -j 10 --config genome_build=hg38
    dryrun_dy_command:
      description: The launch command followed by C(-n).
      returned: always
      type: str
      sample: bin/day_run produce_snv_concordances produce_multiqc_final_wgs produce_dayoa_evidence_manifest -p -k -j 10 --config genome_build=hg38 -n
    compatible_data_modes:
      description: Sample data modes of staged manifests the command accepts.
      returned: always
      type: list
      elements: str
      sample: [ilmn_solo]
    git_tag:
      description: The pinned DayOA release tag to clone.
      returned: always
      type: str
      sample: "2.0.26"
    artifact_registration:
      description: The Dewey registration policy (C(enabled), C(manifest_source), C(evidence_manifest_path),
        C(include_classifications), C(include_paths), C(require_existing), C(parser_family_hint), C(multiqc_version),
        C(multiqc_reports), C(identity)).
      returned: always
      type: dict
      sample: {"enabled": true, "manifest_source": "dayoa_manifest",
               "evidence_manifest_path": "results/day/hg38/reports/dayoa_evidence_manifest.json"}
repository:
  description: The repository that holds the command.
  returned: when O(command_id) is given
  type: dict
  contains:
    key:
      description: The repository key (also the C(day-clone --repository) value).
      returned: always
      type: str
      sample: daylily-omics-analysis
    https_url:
      description: HTTPS clone URL.
      returned: always
      type: str
      sample: https://github.com/Daylily-Informatics/daylily-omics-analysis.git
    default_ref:
      description: The release tag commands pin by default.
      returned: always
      type: str
      sample: "2.0.26"
    relative_path:
      description: Directory name of the checkout inside the analysis directory.
      returned: always
      type: str
      sample: daylily-omics-analysis
test_data_profile:
  description: The command's test-data profile.
  returned: when O(command_id) is given
  type: dict
  contains:
    profile_id:
      description: The profile id.
      returned: always
      type: str
      sample: giab_hg002_ilmn_wgs_slim
    description:
      description: What the test data is.
      returned: always
      type: str
      sample: Down-sampled Illumina paired-end reads of the GIAB reference sample HG002.
    source_mount_mode:
      description: V(none), V(default_mounted) or V(run_dra_required).
      returned: always
      type: str
      sample: default_mounted
    locations:
      description: Test-data files or directories, relative to RV(test_data_profile.source_fsx_prefix).
      returned: unless the mode is V(none)
      type: list
      elements: str
      sample: [HG002_slim_R1.fastq.gz, HG002_slim_R2.fastq.gz]
    source_s3_uri_template:
      description: S3 prefix of the source data; may contain C({reference_s3_uri}), C({control_data_s3_uri}),
        C({run_id}) and C({mount_id}).
      returned: unless the mode is V(none)
      type: str
      sample: "{control_data_s3_uri}genomic_data/organism_reads/H_sapiens/giab/HG002/ilmn_wgs_slim/"
    source_fsx_prefix:
      description: FSx API path of the source data (without C(/fsx)).
      returned: unless the mode is V(none)
      type: str
      sample: /control_data/genomic_data/organism_reads/H_sapiens/giab/HG002/ilmn_wgs_slim/
    headnode_prefix:
      description: Where the source data is visible on the headnode (C(/fsx) + RV(test_data_profile.source_fsx_prefix)).
      returned: unless the mode is V(none)
      type: str
      sample: /fsx/control_data/genomic_data/organism_reads/H_sapiens/giab/HG002/ilmn_wgs_slim/
    run_context_source_s3_column:
      description: The C(runs.tsv) column with each run folder's S3 URI.
      returned: when the mode is V(run_dra_required)
      type: str
      sample: SOURCE_S3_URI
    run_context_mount_id_column:
      description: The C(runs.tsv) column with each run folder's mount id.
      returned: when the mode is V(run_dra_required)
      type: str
      sample: MOUNT_ID
input_contract:
  description: The command's input contract with its tables; contract V(none) has no tables.
  returned: when O(command_id) is given
  type: dict
  contains:
    contract_id:
      description: The contract id.
      returned: always
      type: str
      sample: run_context
    description:
      description: What the contract's tables hold.
      returned: always
      type: str
      sample: One runs.tsv row per sequencing run folder.
    tables:
      description: The tables by name, each with its C(path) in the checkout and its C(columns) in order.
      returned: always
      type: dict
      sample: {"runs": {"path": "config/runs.tsv", "columns": ["RUNID", "PLATFORM", "RUN_DIR", "SOURCE_S3_URI", "MOUNT_ID"]}}
problems:
  description: Every problem found, one line each (path in the catalog, what is wrong, what is expected).
  returned: on failure, when the catalog breaks its schema or rules
  type: list
  elements: str
  sample:
    - "repositories.daylily-omics-analysis.analysis_commands[0].git_tag (command ilmn_germline_wgs_align_qc): 'main' is a
      branch name, not a pinned tag; expected a pinned release tag such as '2.0.26' (or a full 40-character commit id), never a branch"
launch_inputs:
  description: What a launch of O(command_id) writes and checks, from O(input_files).
  returned: when O(input_files) is given
  type: dict
  contains:
    config_files:
      description: The input tables by the file name they get in the checkout's C(config/).
      returned: always
      type: dict
      sample: {"samples.tsv": "SAMPLEID\tSAMPLESOURCE\nS1\tblood\n", "units.tsv": "RUNID\tSAMPLEID\tILMN_R1_PATH\n..."}
    runs:
      description: The C(runs.tsv) rows, each with its run mount (C(mount_id), C(s3_uri), C(file_system_path), C(headnode_path)).
      returned: always
      type: list
      elements: dict
    run_links:
      description: Run id to the headnode path of its run mount.
      returned: always
      type: dict
      sample: {"R7": "/fsx/run_dir_mounts/R7/"}
    required_inputs:
      description:
        - Headnode paths that must exist before launch, each with where it was named (C(path), C(source)) - the files
          of the units table's read and alignment columns, and each run's mount.
      returned: always
      type: list
      elements: dict
      sample: [{"path": "/fsx/staging/remote_stage_1/S1_R1.fastq.gz", "source": "units.tsv line 2 ILMN_R1_PATH"}]
missing_run_mounts:
  description: The C(runs.tsv) rows (as in RV(launch_inputs.runs)) with no V(AVAILABLE) run mount in O(associations).
  returned: when O(input_files) is given
  type: list
  elements: dict
valid_command_ids:
  description: The command ids that exist (in O(repository) when given).
  returned: on failure, when O(command_id) is unknown
  type: list
  elements: str
  sample: [ilmn_germline_wgs_align_qc, illumina_run_qc_bclconvert, dayoa_env_check]
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.basic import missing_required_lib

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.catalog import HAS_JSONSCHEMA
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.catalog import HAS_YAML
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.catalog import JSONSCHEMA_IMPORT_ERROR
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.catalog import SCHEMA_FILENAME
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.catalog import YAML_IMPORT_ERROR
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.catalog import CatalogError
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.catalog import check_catalog
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.catalog import default_catalog_path
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.catalog import find_schema_path
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.catalog import load_catalog
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.catalog import load_schema
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.catalog import resolve_command
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.catalog import summarize_catalog
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.run_context import RunContextError
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.run_context import check_contract_tables
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.run_context import launch_inputs
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.run_context import missing_run_mounts
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.run_context import read_input_files


def read_catalog(params):
    """Return (catalog path, parsed catalog), validated unless validate is false. Raises CatalogError."""
    catalog_path = params["catalog_path"] or default_catalog_path()
    catalog = load_catalog(catalog_path)
    if params["validate"]:
        schema_path = find_schema_path(catalog_path)
        if schema_path is None:
            raise CatalogError(
                "Cannot find the catalog schema %s in the collection or next to %s. Put the schema next to the catalog, "
                "or set validate=false to read the catalog unchecked." % (SCHEMA_FILENAME, catalog_path)
            )
        check_catalog(catalog, load_schema(schema_path), source=catalog_path)
    return catalog_path, catalog


def check_launch_inputs(resolved, params):
    """``launch_inputs`` and ``missing_run_mounts`` of the resolved command's input files. Raises CatalogError."""
    files, labels = params["input_files"], params["input_labels"]
    try:
        check_contract_tables(
            resolved["command"], resolved["input_contract"], [name for name, path in files.items() if path], labels
        )
        inputs = launch_inputs(
            resolved["command"],
            resolved["input_contract"],
            read_input_files(files, labels),
            mount_point=params["fsx_mount_point"],
            labels=labels,
        )
    except RunContextError as err:
        raise CatalogError("%s. Nothing was mounted or launched." % err, problems=err.problems) from err
    return {"launch_inputs": inputs, "missing_run_mounts": missing_run_mounts(inputs["runs"], params["associations"])}


def run(params):
    """Return the module result for the parameters. Raises CatalogError."""
    catalog_path, catalog = read_catalog(params)
    result = dict(changed=False, catalog_path=catalog_path)
    result.update(summarize_catalog(catalog))
    repository = params["repository"]
    if params["command_id"]:
        result.update(resolve_command(catalog, params["command_id"], repository))
        if params["input_files"] is not None:
            result.update(check_launch_inputs(result, params))
    elif params["input_files"] is not None:
        raise CatalogError("input_files are checked against a command: give command_id too.")
    elif repository is not None and repository not in result["repositories"]:
        raise CatalogError(
            "Unknown repository %r. The catalog's repositories are: %s."
            % (repository, ", ".join(result["repositories"])),
            valid_repositories=result["repositories"],
        )
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            catalog_path=dict(type="path"),
            command_id=dict(type="str"),
            repository=dict(type="str"),
            validate=dict(type="bool", default=True),
            input_files=dict(type="dict"),
            input_labels=dict(type="dict", default={}),
            associations=dict(type="list", elements="dict", default=[]),
            fsx_mount_point=dict(type="str", default="/fsx"),
        ),
        supports_check_mode=True,
    )
    if not HAS_YAML:
        module.fail_json(msg=missing_required_lib("PyYAML"), exception=YAML_IMPORT_ERROR)
    if module.params["validate"] and not HAS_JSONSCHEMA:
        module.fail_json(msg=missing_required_lib("jsonschema"), exception=JSONSCHEMA_IMPORT_ERROR)
    try:
        result = run(module.params)
    except CatalogError as err:
        details = dict(err.details)
        if err.problems:
            details["problems"] = [str(problem) for problem in err.problems]
        module.fail_json(msg=err.message, **details)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
