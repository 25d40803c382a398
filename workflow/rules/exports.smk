def export_tables(wildcards):
    """Every table of the wave, one sheet each: cleaning flow and exclusions, the analyses, the
    interview and complaint tables where the wave has them, and the cautions."""
    evidence = [path for path in evidence_outputs(wildcards) if path.endswith(".csv")]
    cleaning = expand(
        [rules.clean.output.summary, rules.clean.output.exclusions], wave=wildcards.wave
    )
    cautions = expand(rules.narrative.output.cautions, wave=wildcards.wave)
    return [*cleaning, *wave_tables(wildcards.wave), *evidence, *cautions]


rule exports:
    input:
        tables=export_tables,
        responses=rules.clean.output.responses,
        fit=rules.cfa.output.fit,
    output:
        workbook="reports/{wave}/results.xlsx",
        sav="data/processed/{wave}/responses.sav",
        ratings="data/processed/{wave}/cfa_data.csv",
        model="reports/{wave}/model.lavaan",
        refit="reports/{wave}/refit.R",
    log:
        "logs/{wave}/exports.log",
    benchmark:
        "logs/{wave}/exports.benchmark.tsv"
    conda:
        RULE_ENV
    params:
        code=code_version("exports", "exports", "lavaan", "columns"),
        instrument=config["instrument"],
        measures=config["measures"],
        outcomes=config["outcomes"],
        segments=segment_names(),
        language=config["study"]["language"],
    script:
        "../scripts/exports.py"
