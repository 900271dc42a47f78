# Per-sample sequence QC: read and base counts of every FASTQ the sample's units.tsv rows name.


rule fastq_stats:
    input:
        units=UNITS_TABLE,
        fastqs=sample_fastqs,
    output:
        MDIR + "{sample}/{sample}.stats.tsv",
    log:
        MDIR + "{sample}/logs/{sample}.fastq_stats.log",
    params:
        python=PYTHON,
        script=SCRIPTS / "fastq_stats.py",
    shell:
        "{params.python:q} {params.script:q} sample --sample {wildcards.sample:q} --units {input.units:q}"
        " --output {output:q} > {log:q} 2>&1"


rule sequence_qc_custom_data:
    input:
        lambda wildcards: expand(MDIR + "{sample}/{sample}.stats.tsv", sample=samples()),
    output:
        MDIR + "other_reports/fastq_stats_mqc.tsv",
    log:
        MDIR + "other_reports/logs/fastq_stats_mqc.log",
    params:
        python=PYTHON,
        script=SCRIPTS / "fastq_stats.py",
    shell:
        "{params.python:q} {params.script:q} summarize --output {output:q} {input:q} > {log:q} 2>&1"
