# Run QC (run_analysis commands): one report per config/runs.tsv row, read from the row's RUN_DIR (a run-folder
# mount such as /fsx/run_dir_mounts/<mount_id>/, or the config/run_dir_links/<RUNID> symlink the launcher makes).
# Outputs go to <OUTPUT_ROOT or results/runs/<RUNID>>/run_qc/<platform>/ as in DayOA: summary.tsv,
# <platform>_run_qc.json and multiqc_report.html with its multiqc_report_data/ directory.


rule run_qc_summary:
    input:
        run_dir=lambda wildcards: run_context(wildcards)["RUN_DIR"],
    output:
        tsv="{run_root}/run_qc/{platform_dir}/summary.tsv",
        json="{run_root}/run_qc/{platform_dir}/{platform_dir}_run_qc.json",
        mqc="{run_root}/run_qc/{platform_dir}/multiqc_inputs/run_qc_summary_mqc.tsv",
    log:
        "{run_root}/run_qc/{platform_dir}/logs/run_qc_summary.log",
    params:
        python=PYTHON,
        script=SCRIPTS / "run_qc.py",
        run_id=lambda wildcards: run_context(wildcards)["RUNID"],
        platform=lambda wildcards: run_context(wildcards)["PLATFORM"],
        sample_sheet=lambda wildcards: run_context(wildcards).get("SAMPLE_SHEET", ""),
        source_s3_uri=lambda wildcards: run_context(wildcards).get("SOURCE_S3_URI", ""),
    shell:
        "{params.python:q} {params.script:q} --run-id {params.run_id:q} --platform {params.platform:q}"
        " --run-dir {input.run_dir:q} --sample-sheet={params.sample_sheet:q} --source-s3-uri={params.source_s3_uri:q}"
        " --summary-tsv {output.tsv:q} --summary-json {output.json:q} --mqc-tsv {output.mqc:q} > {log:q} 2>&1"


rule run_qc_multiqc:
    input:
        mqc="{run_root}/run_qc/{platform_dir}/multiqc_inputs/run_qc_summary_mqc.tsv",
    output:
        html="{run_root}/run_qc/{platform_dir}/multiqc_report.html",
        data=[f"{{run_root}}/run_qc/{{platform_dir}}/multiqc_report_data/{name}" for name in MULTIQC_DATA_FILES],
    log:
        "{run_root}/run_qc/{platform_dir}/logs/multiqc.log",
    params:
        python=PYTHON,
        script=SCRIPTS / "multiqc_report.py",
        title=lambda wildcards: f"{run_context(wildcards)['RUNID']} Run QC MultiQC Report",
        comment=f"https://github.com/Daylily-Informatics/daylily-omics-analysis (TAG:{GIT_TAG}) (HASH:{GIT_SHA})",
    shell:
        "{params.python:q} {params.script:q} --title {params.title:q} --comment {params.comment:q}"
        " --filename {output.html:q} $(dirname {input.mqc:q}) > {log:q} 2>&1"
