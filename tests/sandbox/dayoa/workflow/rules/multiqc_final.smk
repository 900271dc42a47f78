# The final MultiQC report, staged as DayOA stages it: inputs are copied into reports/multiqc_inputs/final/ with a
# manifest.tsv, then the report is built from that directory (DAY_final_multiqc.html + DAY_final_multiqc_data/).

FINAL_HTML = MDIR + "reports/DAY_final_multiqc.html"
FINAL_DATA_DIR = MDIR + "reports/DAY_final_multiqc_data"
FINAL_STAGE_DIR = MDIR + "reports/multiqc_inputs/final"
FINAL_STAGE_MANIFEST = FINAL_STAGE_DIR + "/manifest.tsv"
MULTIQC_DATA_FILES = ("multiqc_data.json", "multiqc_general_stats.txt", "multiqc_sources.txt", "multiqc.log")


def final_component_inputs(wildcards):
    return expand(MDIR + "{sample}/{sample}.stats.tsv", sample=samples()) + [MDIR + "other_reports/fastq_stats_mqc.tsv"]


rule stage_multiqc_inputs:
    input:
        final_component_inputs,
    output:
        manifest=FINAL_STAGE_MANIFEST,
    log:
        MDIR + "reports/logs/final_multiqc_input_staging.log",
    params:
        python=PYTHON,
        script=SCRIPTS / "stage_multiqc_inputs.py",
        input_root=MDIR,
        stage_dir=FINAL_STAGE_DIR,
    shell:
        "{params.python:q} {params.script:q} --input-root {params.input_root:q} --output-dir {params.stage_dir:q}"
        " --report-stage final --manifest {output.manifest:q} {input:q} > {log:q} 2>&1"


rule multiqc_final_wgs:
    input:
        stage_manifest=FINAL_STAGE_MANIFEST,
    output:
        html=FINAL_HTML,
        data=[f"{FINAL_DATA_DIR}/{name}" for name in MULTIQC_DATA_FILES],
    log:
        MDIR + "reports/logs/all__mqc_fin_a.log",
    params:
        python=PYTHON,
        script=SCRIPTS / "multiqc_report.py",
        stage_dir=FINAL_STAGE_DIR,
        comment=f"https://github.com/Daylily-Informatics/daylily-omics-analysis (TAG:{GIT_TAG}) (HASH:{GIT_SHA})",
    shell:
        "{params.python:q} {params.script:q} --title 'Final Multiqc Report' --comment {params.comment:q}"
        " --filename {output.html:q} --stage-manifest {input.stage_manifest:q} {params.stage_dir:q} > {log:q} 2>&1"
