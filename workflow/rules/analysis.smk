TABLES = [
    "descriptives",
    "reliability",
    "item_reliability",
    "efa_adequacy",
    "parallel_analysis",
    "efa_loadings",
    "efa_factor_correlations",
    "efa_fit",
    "cfa_fit",
    "cfa_loadings",
    "cfa_parameters",
    "cfa_factor_correlations",
    "cfa_validity",
    "cfa_hints",
    "gaps_items",
    "gaps_dimensions",
    "servqual_scores",
    "importance",
    "ipa",
    "segments",
    "segments_posthoc",
    "zone_of_tolerance",
    "outcomes",
    "priorities",
]


rule reliability:
    input:
        responses=rules.clean.output.responses,
    output:
        reliability="reports/{wave}/tables/reliability.csv",
        item_table="reports/{wave}/tables/item_reliability.csv",
    log:
        "logs/{wave}/reliability.log",
    benchmark:
        "logs/{wave}/reliability.benchmark.tsv"
    conda:
        RULE_ENV
    params:
        code=code_version("reliability", "reliability", "instrument", "tables"),
        instrument=instrument_structure(),
        measures=config["measures"],
        options=config["reliability"],
        seed=config["analysis"]["seed"],
        confidence=config["analysis"]["confidence"],
    script:
        "../scripts/reliability.py"


rule efa:
    input:
        responses=rules.clean.output.responses,
    output:
        adequacy="reports/{wave}/tables/efa_adequacy.csv",
        parallel="reports/{wave}/tables/parallel_analysis.csv",
        loadings="reports/{wave}/tables/efa_loadings.csv",
        phi="reports/{wave}/tables/efa_factor_correlations.csv",
        fit="reports/{wave}/tables/efa_fit.csv",
    log:
        "logs/{wave}/efa.log",
    benchmark:
        "logs/{wave}/efa.benchmark.tsv"
    conda:
        RULE_ENV
    params:
        code=code_version("efa", "efa", "instrument", "tables"),
        instrument=instrument_structure(),
        measures=config["measures"],
        options=config["efa"],
        seed=config["analysis"]["seed"],
    script:
        "../scripts/efa.py"


rule cfa:
    input:
        responses=rules.clean.output.responses,
    output:
        fit="reports/{wave}/tables/cfa_fit.csv",
        loadings="reports/{wave}/tables/cfa_loadings.csv",
        parameters="reports/{wave}/tables/cfa_parameters.csv",
        correlations="reports/{wave}/tables/cfa_factor_correlations.csv",
        validity="reports/{wave}/tables/cfa_validity.csv",
        hints="reports/{wave}/tables/cfa_hints.csv",
    log:
        "logs/{wave}/cfa.log",
    benchmark:
        "logs/{wave}/cfa.benchmark.tsv"
    conda:
        RULE_ENV
    params:
        code=code_version("cfa", "cfa", "instrument", "tables"),
        instrument=instrument_structure(),
        measures=config["measures"],
        confidence=config["analysis"]["confidence"],
        options=config["cfa"],
    script:
        "../scripts/cfa.py"


rule gaps:
    input:
        responses=rules.clean.output.responses,
    output:
        descriptives="reports/{wave}/tables/descriptives.csv",
        item_gaps="reports/{wave}/tables/gaps_items.csv",
        dimension_gaps="reports/{wave}/tables/gaps_dimensions.csv",
        scores="reports/{wave}/tables/servqual_scores.csv",
        importance="reports/{wave}/tables/importance.csv",
        ipa="reports/{wave}/tables/ipa.csv",
        segments="reports/{wave}/tables/segments.csv",
        posthoc="reports/{wave}/tables/segments_posthoc.csv",
        zone_of_tolerance="reports/{wave}/tables/zone_of_tolerance.csv",
        outcomes="reports/{wave}/tables/outcomes.csv",
    log:
        "logs/{wave}/gaps.log",
    benchmark:
        "logs/{wave}/gaps.benchmark.tsv"
    conda:
        RULE_ENV
    params:
        code=code_version(
            "gaps",
            "gaps",
            "priorities",
            "segments",
            "descriptives",
            "instrument",
            "outcomes",
            "tables",
        ),
        instrument=instrument_structure(),
        measures=config["measures"],
        outcomes=config["outcomes"],
        segments=segment_names(),
        small_levels=segment_policies(),
        options=config["gaps"],
        confidence=config["analysis"]["confidence"],
    script:
        "../scripts/gaps.py"


rule priorities:
    input:
        unpack(interview_evidence),
        item_gaps=rules.gaps.output.item_gaps,
        dimension_gaps=rules.gaps.output.dimension_gaps,
        ipa=rules.gaps.output.ipa,
    output:
        priorities="reports/{wave}/tables/priorities.csv",
    log:
        "logs/{wave}/priorities.log",
    benchmark:
        "logs/{wave}/priorities.benchmark.tsv"
    # A few small tables in, one out: submitting it to a cluster costs more than running it.
    localrule: True
    conda:
        RULE_ENV
    params:
        code=code_version("priorities", "priorities", "interviews", "i18n", "tables"),
        playbook=config["priorities"]["playbook"],
        language=config["study"]["language"],
    script:
        "../scripts/priorities.py"
