TABLES = [
    "descriptives",
    "item_distribution",
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
    "ep_invariance",
    "ep_latent_means",
    "sem_fit",
    "sem_paths",
    "sem_effects",
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
# The tables' paths, the wave a wildcard, for the steps that read them all: Snakemake fills in a
# job's wave as in any path of its rule, with no function to call per job (a no-op rerun checks
# every job).
WAVE_TABLES = [f"reports/{{wave}}/tables/{name}.csv" for name in TABLES]


rule reliability:
    input:
        responses=rules.clean.output.responses,
    output:
        reliability="reports/{wave}/tables/reliability.csv",
        item_reliability="reports/{wave}/tables/item_reliability.csv",
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
        efa_adequacy="reports/{wave}/tables/efa_adequacy.csv",
        parallel_analysis="reports/{wave}/tables/parallel_analysis.csv",
        efa_loadings="reports/{wave}/tables/efa_loadings.csv",
        efa_factor_correlations="reports/{wave}/tables/efa_factor_correlations.csv",
        efa_fit="reports/{wave}/tables/efa_fit.csv",
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
        cfa_fit="reports/{wave}/tables/cfa_fit.csv",
        cfa_loadings="reports/{wave}/tables/cfa_loadings.csv",
        cfa_parameters="reports/{wave}/tables/cfa_parameters.csv",
        cfa_factor_correlations="reports/{wave}/tables/cfa_factor_correlations.csv",
        cfa_validity="reports/{wave}/tables/cfa_validity.csv",
        cfa_hints="reports/{wave}/tables/cfa_hints.csv",
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


rule ep_invariance:
    input:
        responses=rules.clean.output.responses,
    output:
        ep_invariance="reports/{wave}/tables/ep_invariance.csv",
        ep_latent_means="reports/{wave}/tables/ep_latent_means.csv",
    log:
        "logs/{wave}/ep_invariance.log",
    benchmark:
        "logs/{wave}/ep_invariance.benchmark.tsv"
    conda:
        RULE_ENV
    params:
        code=code_version(
            "ep_invariance", "ep_invariance", "invariance", "instrument", "tables"
        ),
        instrument=instrument_structure(),
        measures=config["measures"],
        confidence=config["analysis"]["confidence"],
        estimator=config["cfa"]["estimator"],
    script:
        "../scripts/ep_invariance.py"


rule structural:
    input:
        responses=rules.clean.output.responses,
    output:
        sem_fit="reports/{wave}/tables/sem_fit.csv",
        sem_paths="reports/{wave}/tables/sem_paths.csv",
        sem_effects="reports/{wave}/tables/sem_effects.csv",
    log:
        "logs/{wave}/structural.log",
    benchmark:
        "logs/{wave}/structural.benchmark.tsv"
    conda:
        RULE_ENV
    params:
        code=code_version("structural", "structural", "instrument", "tables"),
        instrument=instrument_structure(),
        measures=config["measures"],
        outcomes=config["outcomes"],
        options=config["structural"],
        confidence=config["analysis"]["confidence"],
        seed=config["analysis"]["seed"],
    script:
        "../scripts/structural.py"


rule gaps:
    input:
        responses=rules.clean.output.responses,
    output:
        descriptives="reports/{wave}/tables/descriptives.csv",
        item_distribution="reports/{wave}/tables/item_distribution.csv",
        gaps_items="reports/{wave}/tables/gaps_items.csv",
        gaps_dimensions="reports/{wave}/tables/gaps_dimensions.csv",
        servqual_scores="reports/{wave}/tables/servqual_scores.csv",
        importance="reports/{wave}/tables/importance.csv",
        ipa="reports/{wave}/tables/ipa.csv",
        segments="reports/{wave}/tables/segments.csv",
        segments_posthoc="reports/{wave}/tables/segments_posthoc.csv",
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
            "survey",
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
        gaps_items=rules.gaps.output.gaps_items,
        gaps_dimensions=rules.gaps.output.gaps_dimensions,
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
        code=code_version("priorities", "priorities", "triangulation", "i18n", "tables"),
        playbook=config["priorities"]["playbook"],
        language=config["study"]["language"],
    script:
        "../scripts/priorities.py"
