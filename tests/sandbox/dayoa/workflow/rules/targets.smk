# Targets, named as in DayOA (workflow/rules/multiqc_final_wgs.smk, evidence_manifest.smk, run_qc_reports.smk).


rule produce_multiqc_all:  # TARGET: canonical all-routine-QC report
    input:
        FINAL_HTML,


rule produce_dayoa_evidence_manifest:  # TARGET: the final local DayOA evidence manifest (after the report)
    input:
        EVIDENCE_MANIFEST,


rule produce_multiqc_final:  # DEPRECATED TARGET in DayOA: use produce_multiqc_all
    input:
        FINAL_HTML,


rule produce_illumina_run_qc:  # TARGET: run QC of every PLATFORM=ILMN row of the run context file
    input:
        lambda wildcards: [f"{path}/multiqc_report.html" for path in run_qc_dirs("ILMN")],


rule produce_run_qc_reports:  # TARGET: run QC of every row of the run context file, any platform
    input:
        lambda wildcards: [f"{path}/multiqc_report.html" for path in run_qc_dirs()],


# Sandbox-only aliases (not DayOA names): one target for a whole sample or run analysis. The sample one,
# produce_multiqc_final_report, is in the Snakefile: Snakemake ignores default_target in included files.
rule produce_run_qc_report:  # same as produce_run_qc_reports
    input:
        lambda wildcards: [f"{path}/multiqc_report.html" for path in run_qc_dirs()],


# The targets the collection's catalog (catalog/daylily_available_repositories.yaml) launches. The sandbox has no
# aligner or variant caller, so these map onto the QC, report and run-QC work it does for real.
rule produce_snv_concordances:  # TARGET (catalog): per-sample results stand in for concordance tables
    input:
        FINAL_HTML,


rule produce_multiqc_final_wgs:  # TARGET (catalog): the final MultiQC report
    input:
        FINAL_HTML,


rule produce_illumina_run_qc_and_bclconvert:  # TARGET (catalog): run QC of the ILMN run folders
    input:
        lambda wildcards: [f"{path}/multiqc_report.html" for path in run_qc_dirs("ILMN")],


rule util_env_check:  # TARGET (catalog): the environment check of the utility command
    output:
        "results/util/env_check.txt",
    shell:
        "mkdir -p results/util && (snakemake --version; python3 --version) > {output}"
