rule report_wave:
    input:
        notebook=Path(workflow.basedir) / "notebooks" / "wave_report.py",
        summary=rules.clean.output.summary,
        exclusions=rules.clean.output.exclusions,
        tables=lambda wc: wave_tables(wc.wave),
        lib=lib("plots"),
    output:
        notebook="reports/{wave}/report.ipynb",
        html="reports/{wave}/report.html",
    log:
        "logs/{wave}/report.log",
    conda:
        RULE_ENV
    params:
        title=config["study"]["title"],
        language=config["study"]["language"],
        instrument=config["instrument"],
    script:
        "../scripts/report.py"
