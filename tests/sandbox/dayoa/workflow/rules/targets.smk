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
