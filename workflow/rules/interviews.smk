# Interviews and focus groups, per wave whose row in the waves sheet names an interview folder.
# A wave with an empty `interviews` cell gets no interview job and no interview outputs: the rule
# does not match its id (wildcard constraint below), all_targets() leaves it out, and consumers
# (the priorities rule) ask for triangulation.csv only where the sheet names a folder.
# Helpers: interview_files() and INTERVIEW_WAVES in common.smk.


rule interviews:
    input:
        interviews=interview_files,
        codebook=config["interviews"]["codebook"],
        gaps_dimensions=rules.gaps.output.gaps_dimensions,
    output:
        segments="data/processed/{wave}/segments.parquet",
        interview_codes="reports/{wave}/tables/interview_codes.csv",
        coder_agreement="reports/{wave}/tables/coder_agreement.csv",
        coder_disagreements="reports/{wave}/tables/coder_disagreements.csv",
        segments_left_out="reports/{wave}/tables/segments_left_out.csv",
        quotes="reports/{wave}/tables/quotes.csv",
        triangulation="reports/{wave}/tables/triangulation.csv",
        figure_png=report(
            "reports/{wave}/figures/interview_codes.png",
            caption="../report/interview_codes.rst",
            category="Interviews",
            labels={"wave": "{wave}", "figure": "interview_codes"},
        ),
    log:
        "logs/{wave}/interviews.log",
    benchmark:
        "logs/{wave}/interviews.benchmark.tsv"
    wildcard_constraints:
        wave="|".join(INTERVIEW_WAVES),
    conda:
        RULE_ENV
    params:
        code=code_version(
            "interviews", "interviews", "plots", "privacy", "labels", "tables"
        ),
        folder=lambda wc: WAVES[wc.wave]["interviews"].strip(),
        options=config["interviews"],
        names=names_digest(),
        pseudonym_scheme=PSEUDONYM_SCHEME,
        seed=config["analysis"]["seed"],
        confidence=config["analysis"]["confidence"],
        dimensions=instrument_words()["dimensions"],
        language=config["study"]["language"],
    script:
        "../scripts/interviews.py"
