rule figures:
    input:
        tables=WAVE_TABLES,
        cleaning_summary=rules.clean.output.cleaning_summary,
    output:
        **figure_outputs(),
    log:
        "logs/{wave}/figures.log",
    benchmark:
        "logs/{wave}/figures.benchmark.tsv"
    conda:
        RULE_ENV
    params:
        code=code_version(
            "figures", "figures", "plots", "fonts", "labels", "path_diagram"
        ),
        names=FIGURES,
        instrument=instrument_words(),
        segments=config["columns"]["segments"],
        outcomes=config["outcomes"],
        language=config["study"]["language"],
    script:
        "../scripts/figures.py"


rule provenance:
    input:
        unpack(raw_inputs),
    output:
        record="reports/{wave}/provenance.json",
    log:
        "logs/{wave}/provenance.log",
    benchmark:
        "logs/{wave}/provenance.benchmark.tsv"
    conda:
        RULE_ENV
    params:
        code=code_version("provenance", "provenance"),
        config=config_as_recorded(),
    script:
        "../scripts/provenance.py"


rule narrative:
    input:
        tables=WAVE_TABLES,
        cleaning_summary=rules.clean.output.cleaning_summary,
        evidence=evidence_outputs,
    output:
        cautions="reports/{wave}/tables/cautions.csv",
        methods="reports/{wave}/methods.md",
    log:
        "logs/{wave}/narrative.log",
    benchmark:
        "logs/{wave}/narrative.benchmark.tsv"
    conda:
        RULE_ENV
    params:
        code=code_version("narrative", "cautions", "methods", "provenance", "labels"),
        study=study_outline(),
        language=config["study"]["language"],
        instrument=instrument_words(),
    script:
        "../scripts/narrative.py"


rule report_wave:
    input:
        cleaning_summary=rules.clean.output.cleaning_summary,
        exclusions=rules.clean.output.exclusions,
        tables=WAVE_TABLES,
        figures=rules.figures.output,
        evidence=evidence_outputs,
        provenance=rules.provenance.output.record,
        cautions=rules.narrative.output.cautions,
        methods=rules.narrative.output.methods,
        previous=previous_scores,
        kpi=rules.kpi.output.kpi_scorecard,
    output:
        notebook="reports/{wave}/report.ipynb",
        html=report(
            "reports/{wave}/report.html",
            caption="../report/wave_report.rst",
            category="Reports",
            labels={"wave": "{wave}", "document": "report (HTML)"},
        ),
    log:
        "logs/{wave}/report.log",
    benchmark:
        "logs/{wave}/report.benchmark.tsv"
    conda:
        RULE_ENV
    params:
        code=code_version(
            "report",
            "notebook_run",
            "labels",
            "wave_report",
            "apa",
            "i18n",
            "report_page",
            template="wave_report.py",
        ),
        template="wave_report.py",
        parameters=lambda wc, input: {
            "wave": wc.wave,
            "tables": str(Path(input.tables[0]).parent),
            "figures": str(Path(input.figures[0]).parent),
            "cleaning_summary": input.cleaning_summary,
            "provenance": input.provenance,
            "methods": input.methods,
            "cautions": input.cautions,
            "previous_scores": input.previous[0] if input.previous else None,
            "title": config["study"]["title"],
            "language": config["study"]["language"],
            "instrument": instrument_words(),
            "segments": config["columns"]["segments"],
            "outcomes": config["outcomes"],
            "codebook": (
                config["interviews"]["codebook"]
                if config["interviews"]["codebook"]
                else None
            ),
        },
    script:
        "../scripts/report.py"


rule apa_tables:
    input:
        cleaning_summary=rules.clean.output.cleaning_summary,
        tables=WAVE_TABLES,
        evidence=evidence_outputs,
        cautions=rules.narrative.output.cautions,
        previous=previous_scores,
        kpi=rules.kpi.output.kpi_scorecard,
    output:
        docx=report(
            "reports/{wave}/tables.docx",
            caption="../report/tables_docx.rst",
            category="Reports",
            labels={"wave": "{wave}", "document": "tables (Word, APA)"},
        ),
    log:
        "logs/{wave}/apa_tables.log",
    benchmark:
        "logs/{wave}/apa_tables.benchmark.tsv"
    conda:
        RULE_ENV
    params:
        code=code_version("apa_tables", "wave_report", "apa_docx", "labels"),
        tables=lambda wc: f"reports/{wc.wave}/tables",
        figures=lambda wc: f"reports/{wc.wave}/figures",
        title=config["study"]["title"],
        language=config["study"]["language"],
        instrument=instrument_words(),
        segments=config["columns"]["segments"],
        outcomes=config["outcomes"],
        codebook=config["interviews"]["codebook"] or None,
    script:
        "../scripts/apa_tables.py"
