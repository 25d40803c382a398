# Complaint registers, per wave whose row in the waves sheet names a complaint log. A wave with an
# empty `complaints` cell gets no complaints job and no complaint outputs: the rule does not match
# its id (wildcard constraint below) and all_targets() leaves it out. The rule reads neither the
# survey nor the interviews, so survey edits never rerun it.
# Helpers: complaint_log() and COMPLAINT_WAVES in common.smk.


rule complaints:
    input:
        register=complaint_log,
        codebook=config["interviews"]["codebook"],
    output:
        complaints="data/processed/{wave}/complaints.parquet",
        complaints_by_dimension="reports/{wave}/tables/complaints_by_dimension.csv",
        complaints_monthly="reports/{wave}/tables/complaints_monthly.csv",
        complaint_response_times="reports/{wave}/tables/complaint_response_times.csv",
        complaints_pareto="reports/{wave}/tables/complaints_pareto.csv",
        complaint_problems="reports/{wave}/tables/complaint_problems.csv",
        pareto_png=report(
            "reports/{wave}/figures/complaints_pareto.png",
            caption="../report/complaints_pareto.rst",
            category="Complaints",
            labels={"wave": "{wave}", "figure": "complaints_pareto"},
        ),
        control_png=report(
            "reports/{wave}/figures/complaints_control.png",
            caption="../report/complaints_control.rst",
            category="Complaints",
            labels={"wave": "{wave}", "figure": "complaints_control"},
        ),
    log:
        "logs/{wave}/complaints.log",
    benchmark:
        "logs/{wave}/complaints.benchmark.tsv"
    wildcard_constraints:
        wave="|".join(COMPLAINT_WAVES),
    conda:
        RULE_ENV
    params:
        code=code_version(
            "complaints",
            "complaints",
            "figures",
            "plots",
            "privacy",
            "labels",
            "tables",
        ),
        options=config["complaints"],
        earliest=complaint_earliest,
        names=names_digest(),
        pseudonym_scheme=PSEUDONYM_SCHEME,
        dimensions=instrument_words()["dimensions"],
        language=config["study"]["language"],
    script:
        "../scripts/complaints.py"


rule sources:
    input:
        triangulation=rules.interviews.output.triangulation,
        complaints_by_dimension=rules.complaints.output.complaints_by_dimension,
    output:
        triangulation_sources="reports/{wave}/tables/triangulation_sources.csv",
    log:
        "logs/{wave}/sources.log",
    wildcard_constraints:
        wave="|".join(sorted(set(INTERVIEW_WAVES) & set(COMPLAINT_WAVES))),
    localrule: True
    conda:
        RULE_ENV
    params:
        code=code_version("sources", "complaints", "tables"),
    script:
        "../scripts/sources.py"
