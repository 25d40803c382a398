rule clean:
    input:
        survey=survey_file,
    output:
        responses="data/processed/{wave}/responses.parquet",
        exclusions="data/processed/{wave}/exclusions.csv",
        summary="data/processed/{wave}/cleaning_summary.csv",
        provenance="data/processed/{wave}/provenance.json",
    log:
        "logs/{wave}/clean.log",
    benchmark:
        "logs/{wave}/clean.benchmark.tsv"
    conda:
        RULE_ENV
    params:
        code=code_version("clean", "cleaning"),
        instrument=config["instrument"],
        measures=config["measures"],
        outcomes=config["outcomes"],
        columns=config["columns"],
        cleaning=config["cleaning"],
        reader=lambda wc: WAVES[wc.wave].get("reader", ""),
        encoding=lambda wc: WAVES[wc.wave].get("encoding", ""),
        sheet=lambda wc: WAVES[wc.wave].get("sheet", ""),
        export_format=lambda wc: WAVES[wc.wave].get("export_format", "plain"),
    script:
        "../scripts/clean.py"
