rule figures:
    input:
        tables=lambda wc: wave_tables(wc.wave),
        summary=rules.clean.output.summary,
    output:
        **figure_outputs(),
    log:
        "logs/{wave}/figures.log",
    benchmark:
        "logs/{wave}/figures.benchmark.tsv"
    conda:
        RULE_ENV
    params:
        code=code_version("figures", "figures", "plots", "fonts", "labels"),
        names=FIGURES,
        instrument=config["instrument"],
        segments=config["columns"]["segments"],
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
        config=config,
    script:
        "../scripts/provenance.py"


rule narrative:
    input:
        tables=lambda wc: wave_tables(wc.wave),
        summary=rules.clean.output.summary,
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
    script:
        "../scripts/narrative.py"


rule report_wave:
    input:
        summary=rules.clean.output.summary,
        exclusions=rules.clean.output.exclusions,
        tables=lambda wc: wave_tables(wc.wave),
        figures=lambda wc: expand(rules.figures.output, wave=wc.wave),
        evidence=evidence_outputs,
        provenance=rules.provenance.output.record,
        cautions=rules.narrative.output.cautions,
        methods=rules.narrative.output.methods,
    output:
        notebook="reports/{wave}/report.ipynb",
        html="reports/{wave}/report.html",
    log:
        "logs/{wave}/report.log",
    benchmark:
        "logs/{wave}/report.benchmark.tsv"
    conda:
        RULE_ENV
    params:
        code=code_version("report", "labels", "methods", template="wave_report.py"),
        template="wave_report.py",
        parameters=lambda wc, input: {
            "wave": wc.wave,
            "tables": str(Path(input.tables[0]).parent),
            "figures": str(Path(input.figures[0]).parent),
            "cleaning_summary": input.summary,
            "provenance": input.provenance,
            "methods": input.methods,
            "cautions": input.cautions,
            "title": config["study"]["title"],
            "language": config["study"]["language"],
            "instrument": config["instrument"],
        },
    script:
        "../scripts/report.py"
