from snakemake.utils import min_version

min_version("9.0")


# Checked before Snakemake reads it: a config holds data only, never code (config_guard.smk).
include: "workflow/rules/config_guard.smk"


configfile: checked_config("config/config.yaml")


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"


from servqual import warm_worker


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
    # Steps run here fork from one process that has imported their libraries (servqual.warm_worker);
    # not steps in a conda environment or container, whose interpreter is another.
    if workflow.local_exec and not workflow.deployment_settings.deployment_method:
        warm_worker.start(
            Path(".snakemake/warm-worker"),
            steps=sum(
                job.rule.script is not None for job in workflow.dag.needrun_jobs()
            ),
            scripts=Path(workflow.basedir) / "workflow/scripts",
            # Imported by the library inside the functions that need them (a step outside a
            # run with a worker only pays for those it uses): preloaded all the same.
            deferred=[
                "matplotlib.figure",
                "matplotlib.backends.backend_agg",
                "matplotlib.font_manager",
                "jieba",
                "openpyxl",
                "pyreadstat",
                "docx",
                "nbformat",
                "jupytext",
                "papermill",
                # papermill's progress bar: loaded before ipykernel, whose presence would make
                # tqdm take the step for a notebook (and warn that it has no widgets).
                "tqdm.auto",
                "black",
                "pyarrow.dataset",
                # A report's kernel is forked from the worker too (servqual.warm_kernel).
                "ipykernel.kernelapp",
            ],
        )


onsuccess:
    announce_reports()


rule all:
    default_target: True
    input:
        all_targets(),
