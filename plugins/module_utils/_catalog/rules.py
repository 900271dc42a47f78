# -*- coding: utf-8 -*-
# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cross-rules: what the catalog's JSON Schema cannot say.

Command classes agree with their input contract, staging/run-mount flags and test-data profile (invariant 18); refs
are pinned tags equal to the repository's ``default_ref`` unless explicitly allowed (invariant 19); command ids are
unique; referenced contracts and profiles exist; the launch commands match targets/jobs/genome; artifact-registration
policies can actually select what they promise. Values of the wrong shape are left to the schema.

Private to :mod:`..catalog`; import the facade, not this module.
"""

from __future__ import annotations

import fnmatch
import shlex

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import paths
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._catalog.classes import CLASS_RULES
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._catalog.classes import DATA_MODES
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._catalog.classes import NO_INPUT_CONTRACT
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._catalog.classes import SOURCE_MOUNT_MODES
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._catalog.common import CatalogProblem
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._catalog.common import as_mapping
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._catalog.common import format_path
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._catalog.common import is_nonempty_str
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._catalog.common import show_value
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._catalog.templates import is_pinned_ref
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._catalog.templates import pinned_ref_problem
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._catalog.templates import policy_template_fields
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._catalog.templates import render_template
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._catalog.templates import template_placeholders

#: Placeholders an artifact-registration policy may use; they are filled at registration time.
REGISTRATION_PLACEHOLDERS = ("analysis_id", "executing_entity", "genome")
#: Role-bucket placeholders of a profile's ``source_s3_uri_template`` and the FSx root each bucket is mounted at by
#: default (the startup ``/references/`` DRA and the ``control-data`` mount of its bare root).
DEFAULT_MOUNTED_ROOTS = {
    "reference_s3_uri": paths.MOUNT_ROOTS["reference"],
    "control_data_s3_uri": paths.MOUNT_ROOTS["control-data"],
}
#: Per-run placeholders a run_dra_required profile may use, filled from the run context (runs.tsv).
RUN_PLACEHOLDERS = ("run_id", "mount_id")
#: Where a run DRA puts a run folder; the mount id comes from the run context.
RUN_MOUNT_PREFIX = paths.MOUNT_ROOTS["run"] + "{mount_id}/"
#: File classifications of DayOA's evidence manifest plus DayEC's own (``multiqc_data_file``, ``registered_file``).
KNOWN_CLASSIFICATIONS = frozenset(
    (
        "variant_vcf",
        "variant_vcf_index",
        "alignment_cram",
        "alignment_cram_index",
        "alignment_bam",
        "alignment_bam_index",
        "csi_index",
        "multiqc_html",
        "multiqc_data_json",
        "multiqc_general_stats",
        "multiqc_sources",
        "multiqc_log",
        "multiqc_data_json_artifact",
        "multiqc_data_table_artifact",
        "multiqc_data_text_artifact",
        "multiqc_data_artifact",
        "multiqc_data_file",
        "custom_mqc_tsv",
        "staging_manifest",
        "samples_manifest",
        "units_manifest",
        "run_qc_json",
        "run_qc_tsv",
        "bclconvert_json",
        "bclconvert_table",
        "benchmark",
        "log",
        "json_artifact",
        "tsv_artifact",
        "html_artifact",
        "workflow_report",
        "registered_file",
        "unknown",
    )
)
#: DayOA names its workflow diagram classifications ``workflow_diagram_<format>``.
CLASSIFICATION_PREFIXES = ("workflow_diagram_",)
DAYOA_LAUNCHER = "bin/day_run"


def rule_problems(catalog):
    """Return the cross-rule problems of a parsed catalog (values of the wrong shape are left to the schema)."""
    if not isinstance(catalog, dict):
        return []
    out = []
    contracts = as_mapping(catalog.get("input_contracts"))
    profiles = as_mapping(catalog.get("test_data_profiles"))
    if NO_INPUT_CONTRACT in contracts:
        out.append(
            CatalogProblem(
                ("input_contracts", NO_INPUT_CONTRACT),
                "uses the reserved id %r (it means 'no input' for utility commands)" % NO_INPUT_CONTRACT,
                "another contract id",
            )
        )
    for profile_id, profile in profiles.items():
        if isinstance(profile, dict):
            out += _profile_problems(profile_id, profile, contracts)
    first_use = {}
    for repo_key, repo in as_mapping(catalog.get("repositories")).items():
        if not isinstance(repo, dict):
            continue
        out += _repository_problems(repo_key, repo)
        commands = repo.get("analysis_commands")
        for index, command in enumerate(commands if isinstance(commands, list) else []):
            if not isinstance(command, dict):
                continue
            base = ("repositories", repo_key, "analysis_commands", index)
            command_id = command.get("command_id")
            if is_nonempty_str(command_id):
                out += _used_once(
                    first_use,
                    command_id,
                    format_path(base),
                    base + ("command_id",),
                    "the id of %s",
                    "a command_id used once in the whole catalog",
                )
            out += _command_problems(command, base, repo, contracts, profiles)
    return out


def _used_once(first_use, value, where, path, earlier, expected):
    """A value the catalog may use only once: remember ``where`` it is first used (in ``first_use``), and return the
    problem at ``path`` for every later use (``earlier`` words the first use from ``where``)."""
    if value in first_use:
        return [CatalogProblem(path, "%r is already %s" % (value, earlier % first_use[value]), expected)]
    first_use[value] = where
    return []


def _runs_table(contracts):
    tables = as_mapping(as_mapping(contracts.get("run_context")).get("tables"))
    return as_mapping(tables.get("runs"))


def _profile_problems(profile_id, profile, contracts):
    out = []
    base = ("test_data_profiles", profile_id)
    mode = profile.get("source_mount_mode")
    source_keys = ("locations", "source_s3_uri_template", "source_fsx_prefix")
    run_keys = ("run_context_source_s3_column", "run_context_mount_id_column")
    if mode == "none":
        for key in source_keys + run_keys:
            if profile.get(key) not in (None, "", []):
                out.append(
                    CatalogProblem(
                        base + (key,),
                        "is set, but a profile with source_mount_mode 'none' has no source data",
                        "no source fields (or source_mount_mode default_mounted / run_dra_required)",
                    )
                )
        return out
    if mode == "default_mounted":
        for key in run_keys:
            if profile.get(key) not in (None, ""):
                out.append(
                    CatalogProblem(
                        base + (key,),
                        "is only used by run_dra_required profiles",
                        "no run-context column in a default_mounted profile",
                    )
                )
        out += _default_mounted_source_problems(base, profile)
    elif mode == "run_dra_required":
        out += _run_source_problems(base, profile, contracts)
    return out


def _template_problems(parts, template, allowed):
    names, balanced = template_placeholders(template)
    out = []
    if not balanced:
        out.append(CatalogProblem(parts, "has an unbalanced '{' or '}'", "placeholders written as {name}"))
    unknown = [name for name in names if name not in allowed]
    if unknown:
        out.append(
            CatalogProblem(
                parts,
                "uses the placeholder(s) %s, which cannot be filled here"
                % ", ".join("{%s}" % name for name in unknown),
                "only " + ", ".join("{%s}" % name for name in allowed),
            )
        )
    return out


def _default_mounted_source_problems(base, profile):
    template = profile.get("source_s3_uri_template")
    prefix = profile.get("source_fsx_prefix")
    out = []
    root = remainder = None
    if is_nonempty_str(template):
        out += _template_problems(base + ("source_s3_uri_template",), template, tuple(DEFAULT_MOUNTED_ROOTS))
        for placeholder, fsx_root in DEFAULT_MOUNTED_ROOTS.items():
            if template.startswith("{%s}" % placeholder):
                root, remainder = fsx_root, template[len(placeholder) + 2 :]
        if root is None:
            out.append(
                CatalogProblem(
                    base + ("source_s3_uri_template",),
                    "%r does not start with a role bucket that the cluster mounts by default" % template,
                    "'{reference_s3_uri}...' (mounted at /references/) or '{control_data_s3_uri}...' (mounted at /control_data/)",
                )
            )
        elif not template.endswith("/"):
            out.append(
                CatalogProblem(
                    base + ("source_s3_uri_template",), "does not end with '/'", "an S3 prefix ending with '/'"
                )
            )
    if is_nonempty_str(prefix):
        try:
            normalised = paths.normalize_fsx_path(prefix, field="source_fsx_prefix")
        except paths.PathRuleError as err:
            out.append(CatalogProblem(base + ("source_fsx_prefix",), "%r %s" % (prefix, err.problem), err.expected))
            return out
        if root is not None:
            want = root + remainder
            if normalised != want:
                out.append(
                    CatalogProblem(
                        base + ("source_fsx_prefix",),
                        "is %r, but the data of source_s3_uri_template %r is visible at %r" % (prefix, template, want),
                        repr(want),
                    )
                )
    return out


def _run_source_problems(base, profile, contracts):
    out = []
    template = profile.get("source_s3_uri_template")
    if is_nonempty_str(template):
        out += _template_problems(
            base + ("source_s3_uri_template",), template, tuple(DEFAULT_MOUNTED_ROOTS) + RUN_PLACEHOLDERS
        )
        if not (
            template.startswith("s3://") or any(template.startswith("{%s}" % name) for name in DEFAULT_MOUNTED_ROOTS)
        ):
            out.append(
                CatalogProblem(
                    base + ("source_s3_uri_template",),
                    "%r is not an S3 URI" % template,
                    "'s3://bucket/prefix/...' or a role bucket placeholder such as '{control_data_s3_uri}...'",
                )
            )
        elif not template.endswith("/"):
            out.append(
                CatalogProblem(
                    base + ("source_s3_uri_template",),
                    "does not end with '/'",
                    "the S3 prefix of a run folder, ending with '/'",
                )
            )
    prefix = profile.get("source_fsx_prefix")
    if is_nonempty_str(prefix) and prefix != RUN_MOUNT_PREFIX:
        out.append(
            CatalogProblem(
                base + ("source_fsx_prefix",),
                "is %r, but a run DRA mounts each run folder at %r" % (prefix, RUN_MOUNT_PREFIX),
                repr(RUN_MOUNT_PREFIX),
            )
        )
    columns = _runs_table(contracts).get("columns")
    if isinstance(columns, list):
        for key in ("run_context_source_s3_column", "run_context_mount_id_column"):
            column = profile.get(key)
            if is_nonempty_str(column) and column not in columns:
                out.append(
                    CatalogProblem(
                        base + (key,),
                        "names the column %r, which the run_context contract's runs table does not have" % column,
                        "one of: " + ", ".join(str(c) for c in columns),
                    )
                )
    return out


def _repository_problems(repo_key, repo):
    out = []
    base = ("repositories", repo_key)
    bad = pinned_ref_problem(repo.get("default_ref"))
    if bad:
        out.append(CatalogProblem(base + ("default_ref",), bad[0], bad[1]))
    allowed = repo.get("allowed_git_tags")
    for index, tag in enumerate(allowed if isinstance(allowed, list) else []):
        bad = pinned_ref_problem(tag)
        if bad:
            out.append(CatalogProblem(base + ("allowed_git_tags", index), bad[0], bad[1]))
    return out


def _command_problems(command, base, repo, contracts, profiles):
    """Return the cross-rule problems of one command dict found at ``base`` in repository ``repo``."""
    out = []
    command_class = command.get("command_class")
    contract_id = command.get("input_contract")
    profile_id = command.get("test_data_profile")

    if is_nonempty_str(contract_id) and contract_id != NO_INPUT_CONTRACT and contract_id not in contracts:
        out.append(
            CatalogProblem(
                base + ("input_contract",),
                "names the input contract %r, which input_contracts does not define" % contract_id,
                "one of: " + ", ".join(sorted(contracts) + [NO_INPUT_CONTRACT]),
            )
        )
    profile = None
    if is_nonempty_str(profile_id):
        if profile_id in profiles:
            profile = profiles[profile_id]
        else:
            out.append(
                CatalogProblem(
                    base + ("test_data_profile",),
                    "names the test data profile %r, which test_data_profiles does not define" % profile_id,
                    "one of: " + ", ".join(sorted(profiles)),
                )
            )

    rule = CLASS_RULES.get(command_class) if isinstance(command_class, str) else None
    if rule is not None:
        out += _class_problems(command, base, command_class, rule, profile_id, profile)

    out += _git_tag_problems(command, base, repo)
    out += _launch_problems(command, base, contracts)
    policy = command.get("artifact_registration")
    if isinstance(policy, dict):
        out += registration_policy_problems(policy, base + ("artifact_registration",), genome=command.get("genome"))
    return out


def _class_problems(command, base, command_class, rule, profile_id, profile):
    out = []
    contract_id = command.get("input_contract")
    if isinstance(contract_id, str) and contract_id != rule.input_contract:
        out.append(
            CatalogProblem(
                base + ("input_contract",), "is %r, but %s" % (contract_id, rule.reason), repr(rule.input_contract)
            )
        )
    for field, want in (("requires_staging", rule.requires_staging), ("requires_run_mount", rule.requires_run_mount)):
        value = command.get(field)
        if isinstance(value, bool) and value != want:
            out.append(
                CatalogProblem(base + (field,), "is %s, but %s" % (show_value(value), rule.reason), show_value(want))
            )
    mode = profile.get("source_mount_mode") if isinstance(profile, dict) else None
    if mode in SOURCE_MOUNT_MODES and mode != rule.source_mount_mode:
        out.append(
            CatalogProblem(
                base + ("test_data_profile",),
                "names %r, whose source_mount_mode is %r, but %s" % (profile_id, mode, rule.reason),
                "a profile with source_mount_mode %r for a %s command" % (rule.source_mount_mode, command_class),
            )
        )
    modes = command.get("compatible_data_modes")
    if command_class == "sample_analysis" and modes == []:
        out.append(
            CatalogProblem(
                base + ("compatible_data_modes",),
                "is empty, so no staged sample manifest could ever be launched with this sample_analysis command",
                "at least one of: " + ", ".join(DATA_MODES),
            )
        )
    return out


def _git_tag_problems(command, base, repo):
    tag = command.get("git_tag")
    bad = pinned_ref_problem(tag)
    if bad:
        return [CatalogProblem(base + ("git_tag",), bad[0], bad[1])]
    default_ref = repo.get("default_ref")
    allowed = repo.get("allowed_git_tags") if isinstance(repo.get("allowed_git_tags"), list) else []
    # An unpinned default_ref is reported once, on the repository, not again on every command.
    if isinstance(tag, str) and is_pinned_ref(default_ref) and tag != default_ref and tag not in allowed:
        return [
            CatalogProblem(
                base + ("git_tag",),
                "pins %r, but the repository's default_ref is %r" % (tag, default_ref),
                "%r, or %r listed in the repository's allowed_git_tags to allow it explicitly" % (default_ref, tag),
            )
        ]
    return []


def _jobs_value(tokens):
    for index, token in enumerate(tokens):
        if token in ("-j", "--jobs", "--cores", "-c") and index + 1 < len(tokens):
            return tokens[index + 1]
        for flag in ("--jobs=", "--cores="):
            if token.startswith(flag):
                return token[len(flag) :]
        if token.startswith("-j") and token[2:].isdigit():
            return token[2:]
    return None


def _launch_problems(command, base, contracts):
    """dy_command runs DayOA's launcher with the command's targets, jobs and genome; dry run = the same plus -n."""
    out = []
    dy_command = command.get("dy_command")
    dryrun = command.get("dryrun_dy_command")
    path = base + ("dy_command",)
    if is_nonempty_str(dy_command):
        try:
            tokens = shlex.split(dy_command)
        except ValueError as err:
            return [
                CatalogProblem(
                    path, "cannot be split into shell words (%s)" % err, "a shell command with balanced quotes"
                )
            ]
        if not tokens or tokens[0] != DAYOA_LAUNCHER:
            out.append(
                CatalogProblem(
                    path,
                    "starts with %r" % (tokens[0] if tokens else ""),
                    "%r, DayOA's launcher: '%s <targets> -p -k -j <jobs> ...'" % (DAYOA_LAUNCHER, DAYOA_LAUNCHER),
                )
            )
        if "-n" in tokens or "--dry-run" in tokens or "--dryrun" in tokens:
            out.append(
                CatalogProblem(path, "contains the dry-run flag", "the real run; put -n only in dryrun_dy_command")
            )
        targets = command.get("targets")
        if isinstance(targets, list):
            missing = [t for t in targets if isinstance(t, str) and t not in tokens]
            if missing:
                out.append(
                    CatalogProblem(
                        path,
                        "does not run the target(s) %s" % ", ".join(missing),
                        "every entry of targets as a word of dy_command",
                    )
                )
        jobs = command.get("jobs")
        if isinstance(jobs, int) and not isinstance(jobs, bool):
            found = _jobs_value(tokens)
            if found is None:
                out.append(CatalogProblem(path, "does not set the number of jobs", "'-j %d' (the jobs value)" % jobs))
            elif found != str(jobs):
                out.append(CatalogProblem(path, "runs with -j %s, but jobs is %d" % (found, jobs), "'-j %d'" % jobs))
        genome = command.get("genome")
        if isinstance(genome, str):
            for token in tokens:
                if token.startswith("genome_build=") and token != "genome_build=" + genome:
                    out.append(
                        CatalogProblem(
                            path, "passes %r, but genome is %r" % (token, genome), repr("genome_build=" + genome)
                        )
                    )
        parameters = command.get("runtime_parameters")
        for name in parameters if isinstance(parameters, dict) else {}:
            if not any(token.startswith("%s=" % name) for token in tokens):
                out.append(
                    CatalogProblem(
                        base + ("runtime_parameters", name),
                        "is not passed to dy_command",
                        "'%s=<value>' in dy_command's --config" % name,
                    )
                )
        runs_path = _runs_table(contracts).get("path")
        if command.get("command_class") == "run_analysis" and is_nonempty_str(runs_path):
            if "run_context_file=" + runs_path not in tokens:
                out.append(
                    CatalogProblem(
                        path,
                        "does not pass the run context to DayOA",
                        "'--config run_context_file=%s' (the run_context contract's runs table)" % runs_path,
                    )
                )
    if is_nonempty_str(dy_command) and isinstance(dryrun, str) and dryrun != dy_command + " -n":
        out.append(
            CatalogProblem(
                base + ("dryrun_dy_command",),
                "is not dy_command followed by ' -n', so the dry run would not plan the real run",
                repr(dy_command + " -n"),
            )
        )
    return out


def _known_classification(name):
    return name in KNOWN_CLASSIFICATIONS or any(
        name.startswith(prefix) and len(name) > len(prefix) for prefix in CLASSIFICATION_PREFIXES
    )


def _selected(relative_path, include_paths, values):
    """True when a (rendered) relative path matches one of the (rendered) include globs, as fnmatch does at registration."""
    rendered = render_template(relative_path, values)
    return any(
        fnmatch.fnmatchcase(rendered, render_template(glob, values)) for glob in include_paths if isinstance(glob, str)
    )


def registration_policy_problems(policy, base=("artifact_registration",), genome=None):
    """Return the problems of one ``artifact_registration`` policy (its shape is the schema's job).

    Rules: an enabled policy selects something; templates use only {analysis_id}, {executing_entity}, {genome};
    classifications are ones DayOA/DayEC assign; report kinds are unique; each report's data directory is the one
    MultiQC writes next to its html (``X.html`` -> ``X_data/``); each report's html and ``multiqc_data.json`` are
    selected by the policy, so registration can find them.
    """
    out = []
    base = tuple(base)
    if policy.get("enabled", True) is False:
        return out
    classifications = policy.get("include_classifications")
    classifications = classifications if isinstance(classifications, list) else []
    include_paths = policy.get("include_paths")
    include_paths = include_paths if isinstance(include_paths, list) else []
    if not classifications and not include_paths:
        out.append(
            CatalogProblem(
                base,
                "selects nothing: include_classifications and include_paths are both empty or missing",
                "at least one classification or include path (or enabled: false)",
            )
        )
    for field in policy_template_fields(policy):
        out += _template_problems(base + field.parts, field.container[field.key], REGISTRATION_PLACEHOLDERS)
    for index, name in enumerate(classifications):
        if isinstance(name, str) and not _known_classification(name):
            out.append(
                CatalogProblem(
                    base + ("include_classifications", index),
                    "%r is not a classification DayOA or DayEC assigns" % name,
                    "one of: " + ", ".join(sorted(KNOWN_CLASSIFICATIONS) + ["workflow_diagram_<format>"]),
                )
            )
    values = {
        "analysis_id": "ANALYSIS_ID",
        "executing_entity": "ENTITY",
        "genome": genome if is_nonempty_str(genome) else "GENOME",
    }
    reports = policy.get("multiqc_reports")
    kinds = {}
    for index, report in enumerate(reports if isinstance(reports, list) else []):
        if not isinstance(report, dict):
            continue
        out += _report_problems(
            report, base + ("multiqc_reports", index), kinds, index, classifications, include_paths, values
        )
    kind = policy.get("multiqc_report_kind")
    if is_nonempty_str(kind) and kinds and kind not in kinds:
        out.append(
            CatalogProblem(
                base + ("multiqc_report_kind",),
                "%r is not the report_kind of any multiqc_reports entry" % kind,
                "one of: " + ", ".join(kinds),
            )
        )
    return out


def _report_problems(report, parts, kinds, index, classifications, include_paths, values):
    out = []
    kind = report.get("report_kind")
    if is_nonempty_str(kind):
        out += _used_once(
            kinds,
            kind,
            index,
            parts + ("report_kind",),
            "the report_kind of multiqc_reports[%s]",
            "each report_kind once",
        )
    html = report.get("html_path")
    data_dir = report.get("data_dir_path")
    if not (is_nonempty_str(html) and html.endswith(".html")):
        return out
    want = html[: -len(".html")] + "_data/"
    if is_nonempty_str(data_dir) and data_dir != want:
        out.append(
            CatalogProblem(
                parts + ("data_dir_path",),
                "is %r, but MultiQC writes the data directory of %r to %r" % (data_dir, html, want),
                repr(want),
            )
        )
    if "multiqc_html" not in classifications and not _selected(html, include_paths, values):
        out.append(
            CatalogProblem(
                parts + ("html_path",),
                "is selected by neither include_paths nor include_classifications, so the report could never be registered",
                "an include_paths glob matching it, or 'multiqc_html' in include_classifications",
            )
        )
    if "multiqc_data_json" not in classifications and not _selected(want + "multiqc_data.json", include_paths, values):
        out.append(
            CatalogProblem(
                parts + ("data_dir_path",),
                "%rmultiqc_data.json is not selected, but registration needs it to register the report" % want,
                "an include_paths glob such as %r, or 'multiqc_data_json' in include_classifications" % (want + "**"),
            )
        )
    return out
