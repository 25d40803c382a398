# The improvement loop: targets scored per wave (KPI scorecard) and followed across waves, and the
# actions of the register checked by the wave after them. Helpers: kpi_inputs(), previous_wave()
# and ACTIONS (the validated register) in common.smk.


rule kpi:
    input:
        unpack(kpi_inputs),
    output:
        kpi_scorecard="reports/{wave}/tables/kpi_scorecard.csv",
    log:
        "logs/{wave}/kpi.log",
    benchmark:
        "logs/{wave}/kpi.benchmark.tsv"
    conda:
        RULE_ENV
    params:
        code=code_version("kpi", "kpi", "instrument", "tables"),
        targets=config["targets"],
        previous=previous_wave,
        instrument=instrument_structure(),
        measures=config["measures"],
        outcomes=config["outcomes"],
        period=config["complaints"]["period"],
        confidence=config["analysis"]["confidence"],
    script:
        "../scripts/kpi.py"


rule actions:
    input:
        responses=expand(rules.clean.output.responses, wave=WAVES),
        complaints=expand(rules.complaints.output.complaints, wave=COMPLAINT_WAVES),
        scorecards=expand(rules.kpi.output.kpi_scorecard, wave=WAVES),
    output:
        kpi_trend="reports/waves/tables/kpi_trend.csv",
        action_checks="reports/waves/tables/action_checks.csv",
        figure=report(
            "reports/waves/figures/kpi_trend.png",
            caption="../report/kpi_trend.rst",
            category="Waves",
            labels={"figure": "kpi_trend"},
        ),
    log:
        "logs/waves/actions.log",
    benchmark:
        "logs/waves/actions.benchmark.tsv"
    conda:
        RULE_ENV
    params:
        code=code_version("actions", "actions", "kpi", "plots", "labels", "tables"),
        register=ACTIONS,
        waves=list(WAVES),
        complaint_waves=COMPLAINT_WAVES,
        instrument=instrument_structure(),
        dimensions=instrument_words()["dimensions"],
        measures=config["measures"],
        outcomes=config["outcomes"],
        segments=config["columns"]["segments"],
        period=config["complaints"]["period"],
        confidence=config["analysis"]["confidence"],
        min_group_size=config["invariance"]["min_group_size"],
        language=config["study"]["language"],
    script:
        "../scripts/actions.py"
