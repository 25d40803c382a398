rule waves:
    input:
        responses=expand(rules.clean.output.responses, wave=WAVES),
        cleaning_summary=expand(rules.clean.output.cleaning_summary, wave=WAVES),
        reliability=expand(rules.reliability.output.reliability, wave=WAVES),
        fit=expand(rules.cfa.output.cfa_fit, wave=WAVES),
        segments=expand(rules.gaps.output.segments, wave=WAVES),
        complaints=expand(
            rules.complaints.output.complaints_by_dimension, wave=COMPLAINT_WAVES
        ),
    output:
        wave_gaps="reports/waves/tables/wave_gaps.csv",
        wave_changes="reports/waves/tables/wave_changes.csv",
        invariance="reports/waves/tables/invariance.csv",
        invariance_released="reports/waves/tables/invariance_released.csv",
        latent_means="reports/waves/tables/latent_means.csv",
        wave_reliability="reports/waves/tables/wave_reliability.csv",
        wave_fit="reports/waves/tables/wave_fit.csv",
        wave_exclusions="reports/waves/tables/wave_exclusions.csv",
        wave_segments="reports/waves/tables/wave_segments.csv",
        wave_complaints="reports/waves/tables/wave_complaints.csv",
        cautions="reports/waves/tables/cautions.csv",
        trend=report(
            "reports/waves/figures/trend.png",
            caption="../report/trend.rst",
            category="Waves",
            labels={"figure": "trend"},
        ),
    log:
        "logs/waves/waves.log",
    benchmark:
        "logs/waves/waves.benchmark.tsv"
    conda:
        RULE_ENV
    params:
        code=code_version(
            "waves",
            "waves",
            "invariance",
            "cfa",
            "plots",
            "labels",
            "cautions",
            "tables",
        ),
        waves=list(WAVES),
        complaint_waves=COMPLAINT_WAVES,
        instrument=instrument_words(),
        measures=config["measures"],
        segments=segment_names(),
        language=config["study"]["language"],
        confidence=config["analysis"]["confidence"],
        p_adjust=config["gaps"]["p_adjust"],
        min_group_size=config["invariance"]["min_group_size"],
        estimator=config["cfa"]["estimator"],
        missing=config["cfa"]["missing"],
    script:
        "../scripts/waves.py"


rule report_waves:
    input:
        tables=rules.waves.output,
        trend=rules.waves.output.trend,
        loop=rules.actions.output,
    output:
        notebook="reports/waves/report.ipynb",
        html=report(
            "reports/waves/report.html",
            caption="../report/waves_report.rst",
            category="Reports",
            labels={"wave": "all waves", "document": "report (HTML)"},
        ),
    log:
        "logs/waves/report.log",
    benchmark:
        "logs/waves/report.benchmark.tsv"
    conda:
        RULE_ENV
    params:
        code=code_version(
            "report",
            "notebook_run",
            "labels",
            "waves_report",
            "report_page",
            template="waves_report.py",
        ),
        template="waves_report.py",
        parameters=lambda wc, input: {
            "tables": str(Path(input.tables[0]).parent),
            "figures": str(Path(input.trend).parent),
            "title": config["study"]["title"],
            "language": config["study"]["language"],
            "instrument": instrument_words(),
            "segments": config["columns"]["segments"],
            "outcomes": config["outcomes"],
        },
    script:
        "../scripts/report.py"
