rule clean:
    input:
        survey=survey_file,
    output:
        responses="data/processed/{wave}/responses.parquet",
        exclusions="data/processed/{wave}/exclusions.csv",
        cleaning_summary="data/processed/{wave}/cleaning_summary.csv",
        provenance="data/processed/{wave}/provenance.json",
    log:
        "logs/{wave}/clean.log",
    benchmark:
        "logs/{wave}/clean.benchmark.tsv"
    conda:
        RULE_ENV
    params:
        code=code_version("clean", "cleaning", "privacy"),
        instrument=instrument_structure(),
        measures=config["measures"],
        outcomes=config["outcomes"],
        columns=config["columns"],
        cleaning=config["cleaning"],
        names=names_digest(),
        pseudonym_scheme=PSEUDONYM_SCHEME,
        reader=lambda wc: WAVES[wc.wave].get("reader", ""),
        encoding=lambda wc: WAVES[wc.wave].get("encoding", ""),
        sheet=lambda wc: WAVES[wc.wave].get("sheet", ""),
        export_format=lambda wc: WAVES[wc.wave].get("export_format", "plain"),
    script:
        "../scripts/clean.py"


# Not part of `all`: `snakemake reports/<wave>/proposed_mapping.yaml` checks a wave's export
# against the config, e.g. when a survey tool changed its layout (servqual-map, run by the workflow).
rule propose_mapping:
    input:
        survey=survey_file,
    output:
        proposal="reports/{wave}/proposed_mapping.yaml",
    log:
        "logs/{wave}/propose_mapping.log",
    conda:
        RULE_ENV
    params:
        code=code_version("propose_mapping", "mapping", "io"),
        reader=lambda wc: WAVES[wc.wave].get("reader", ""),
        encoding=lambda wc: WAVES[wc.wave].get("encoding", ""),
        sheet=lambda wc: WAVES[wc.wave].get("sheet", ""),
        export_format=lambda wc: WAVES[wc.wave].get("export_format", "plain"),
    script:
        "../scripts/propose_mapping.py"
