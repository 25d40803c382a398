from snakemake.utils import min_version

min_version("9.0")


# Checked before Snakemake reads it: a config holds data only, never code (config_guard.smk).
include: "workflow/rules/config_guard.smk"


configfile: checked_config("config/config.yaml")


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/clean.smk"
include: "workflow/rules/analysis.smk"
include: "workflow/rules/interviews.smk"
include: "workflow/rules/complaints.smk"
include: "workflow/rules/loop.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/waves.smk"
include: "workflow/rules/exports.smk"


onstart:
    make_salt()
    start_warm_worker()


onsuccess:
    announce_reports()


rule all:
    default_target: True
    input:
        all_targets(),
