# One sheet per table of the wave: the cleaning flow and exclusions, the analyses, the interview
# and complaint tables where the wave has them, and the cautions.
rule exports:
    input:
        cleaning=[rules.clean.output.cleaning_summary, rules.clean.output.exclusions],
        analyses=WAVE_TABLES,
        evidence=lambda wc: [p for p in evidence_outputs(wc) if p.endswith(".csv")],
        cautions=rules.narrative.output.cautions,
        kpi=rules.kpi.output.kpi_scorecard,
        responses=rules.clean.output.responses,
        cfa_fit=rules.cfa.output.cfa_fit,
    output:
        workbook=report(
            "reports/{wave}/results.xlsx",
            caption="../report/results_xlsx.rst",
            category="Reports",
            labels={
                "wave": "{wave}",
                "document": "tables (Excel, with a data dictionary)",
            },
        ),
        sav="data/processed/{wave}/responses.sav",
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
        instrument=instrument_words(),
        measures=config["measures"],
        outcomes=config["outcomes"],
        segments=segment_names(),
        language=config["study"]["language"],
    script:
        "../scripts/exports.py"
