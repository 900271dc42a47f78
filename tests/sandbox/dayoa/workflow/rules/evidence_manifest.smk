# DayOA's local evidence manifest, written by DayOA's own writer (daylily_omics_analysis.evidence_manifest
# multiqc-final) so DayEC/Dewey read the real format. All paths are relative to the repository root. No log file:
# the writer hashes everything under results/, so a log it was still writing would be recorded half-written.

EVIDENCE_MANIFEST = MDIR + "reports/dayoa_evidence_manifest.json"


def evidence_parser_relevant_inputs(wildcards):
    return final_component_inputs(wildcards)


def evidence_options(wildcards, input):
    """The writer's repeatable and optional arguments, shell-quoted."""
    args = [("--parser-relevant", path) for path in input.parser_relevant]
    args.append(("--reference", GENOME_BUILD))
    refs = config.get("dayoa_evidence_provenance_refs") or {}
    args.extend(("--provenance-ref", f"{key}={value}") for key, value in sorted(refs.items()))
    generated_at = evidence_generated_at()
    if generated_at:
        args.append(("--generated-at", generated_at))
    return " ".join(f"{flag} {shlex.quote(str(value))}" for flag, value in args)


rule write_dayoa_evidence_manifest:
    input:
        html=FINAL_HTML,
        data=[f"{FINAL_DATA_DIR}/{name}" for name in MULTIQC_DATA_FILES],
        stage_manifest=FINAL_STAGE_MANIFEST,
        parser_relevant=evidence_parser_relevant_inputs,
        samples=SAMPLES_TABLE,
        units=UNITS_TABLE,
    output:
        EVIDENCE_MANIFEST,
    params:
        python=PYTHON,
        data_dir=FINAL_DATA_DIR,
        analysis_name=lambda wildcards: Path(".").resolve().name,
        run_name=str(config.get("run_name") or ""),
        options=evidence_options,
        config_hash=workflow_config_hash(),
    shell:
        "{params.python:q} -m daylily_omics_analysis.evidence_manifest multiqc-final"
        " --analysis-root . --analysis-name {params.analysis_name:q} --run-name={params.run_name:q}"
        " --genome-build {GENOME_BUILD:q} --pipeline-name {PIPELINE_NAME:q} --pipeline-version {GIT_TAG:q}"
        " --git-sha {GIT_SHA:q} --snakemake-version {SNAKEMAKE_VERSION:q}"
        " --workflow-config-hash {params.config_hash:q} --workflow-profile {WORKFLOW_PROFILE:q}"
        " --html {input.html:q} --multiqc-data-dir {params.data_dir:q} --stage-manifest {input.stage_manifest:q}"
        " {params.options} --evidence-manifest-output {output:q}"
