import atexit
import datetime
import gc
import hashlib
import json
import os
import shlex
import sys
from pathlib import Path

from snakemake.logging import logger

WORKFLOW_DIR = Path(workflow.basedir)
SRC = WORKFLOW_DIR / "src"
# The library, and this file's helpers that need nothing of Snakemake's (servqual_workflow.py
# beside it): Snakemake tokenizes this file at every start, a no-op rerun included, while Python
# imports a module from its compiled bytecode.
sys.path[:0] = [str(SRC), str(WORKFLOW_DIR / "workflow" / "rules")]
import servqual_workflow as helpers
from servqual import warm_worker
from servqual.study_files import folder_entries
from servqual_workflow import stop

# When Snakemake exits, Python's last garbage collections walk every object of the run, the jobs
# and files of the whole DAG among them: 0.3 s of a 1.6 s no-op rerun of 20 waves. Frozen, they
# are left to the operating system, which frees a process's memory at once. Nothing is lost:
# Snakemake has closed its logs and files by then, and Python promises no finalizer of an object
# still alive at exit.
atexit.register(gc.freeze)


def config_source():
    """The config files in the order they were applied (the command line's last), for messages."""
    files = dict.fromkeys(str(path) for path in reversed(workflow.configfiles))
    return " + ".join(files) or "config"


# The workflow parses this file at every start, a no-op rerun included, so it reads the study
# without pandas (0.4 s to import) and with JSON schemas (PyYAML took 0.2 s for the config's),
# each schema's validator built once.
helpers.validate_config(config, config_source())
WAVES = helpers.read_waves_sheet(config["waves"], config_source())


# Scripts import the library from this workflow's own src/, the same files that code_version()
# digests, so a code edit reruns exactly the jobs that run that code (also under --use-conda,
# whose environment holds only third-party packages).
os.environ.update(
    PYTHONPATH=os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")]))
)
RULE_ENV = "../envs/servqual.yaml"

from servqual.figures import figure_names
from servqual.instrument import Dimension, Item, instrument_from_config
from servqual.privacy import load_salt, salt_scheme

# The pseudonym scheme of the study's salt (read, never written, while the workflow is parsed:
# a dry run writes nothing). The salt itself is made by make_salt() when a run starts.
PSEUDONYM_SCHEME = salt_scheme(".", config["privacy"]["pseudonym_scheme"])


def names_digest():
    """The config's privacy.names as jobs' params see them: their number and a digest, so that a
    change of the list reruns the jobs that mask them, while the names themselves reach neither
    Snakemake's records (.snakemake/metadata keeps params as text) nor provenance.json. Scripts
    read the names from the config."""
    names = config["privacy"]["names"]
    listed = json.dumps(sorted(names), ensure_ascii=False).encode("utf-8")
    return f"{len(names)} names, sha256 {hashlib.sha256(listed).hexdigest()}"


def config_as_recorded():
    """The config as provenance records it: privacy.names replaced by names_digest()."""
    recorded = json.loads(json.dumps(config))
    recorded["privacy"]["names"] = names_digest()
    return recorded


def make_salt():
    """One salt for all waves, made when a run starts (not on a dry run): waves cleaned in
    parallel must not each make their own, or the same respondent would get different
    pseudonyms in different waves. The file is created atomically, readable by its owner only.
    """
    load_salt(".")


# The command line is recorded in each report's provenance; it reaches the jobs through the
# environment, not params, so running with other flags does not rerun anything. Cluster jobs
# parse this file again under their own command: they keep the user's, set by the first parse.
os.environ.setdefault("SERVQUAL_COMMAND", shlex.join(sys.argv))

INSTRUMENT = instrument_from_config(config["instrument"], config["measures"])


# Faults of the `structural` section that its schema cannot see.
faults = helpers.structural_faults(
    config["structural"], INSTRUMENT, config["outcomes"], config_source()
)
if faults:
    stop(faults)

IPA_SOURCE = {
    "stated": INSTRUMENT.has_importance or INSTRUMENT.has_item_importance,
    "derived": INSTRUMENT.has_overall or bool(config["outcomes"]),
}
FIGURES = figure_names(
    INSTRUMENT,
    segments=bool(config["columns"]["segments"]),
    ipa=IPA_SOURCE[config["gaps"]["ipa_importance"]],
    structural=INSTRUMENT.has_overall or bool(config["outcomes"]),
)
FIGURE_CATEGORY = {
    "cleaning_flow": "Data",
    "dimension_means": "Data",
    "snake_plot": "Gaps",
    "radar": "Data",
    "item_rest": "Reliability",
    "parallel_analysis": "Factor structure",
    "efa_loadings": "Factor structure",
    "item_gaps": "Gaps",
    "ipa": "Gaps",
    "ipa_items": "Gaps",
    "zone_of_tolerance": "Gaps",
    "segments": "Gaps",
    "path_diagram": "Outcomes",
}


wildcard_constraints:
    wave="|".join(WAVES),


def code_version(script, *modules, template=None):
    """Digest of the code behind one step (its adapter script, the library modules it imports
    and its report template, and the message catalogues where it uses them), for the step's
    `code` parameter: servqual_workflow.code_version, which says why code is declared by content.
    """
    return helpers.code_version(WORKFLOW_DIR, script, *modules, template=template)


def survey_file(wildcards):
    return WAVES[wildcards.wave]["survey"]


def interview_evidence(wildcards):
    """The wave's triangulation table where the waves sheet names an interview folder."""
    if wildcards.wave in INTERVIEW_WAVES:
        return {"triangulation": f"reports/{wildcards.wave}/tables/triangulation.csv"}
    return {}


def evidence_outputs(wildcards):
    """The wave's interview and complaint outputs, and their joint display where it has both."""
    wave, outputs = wildcards.wave, []
    if wave in INTERVIEW_WAVES:
        outputs += expand(rules.interviews.output, wave=wave)
    if wave in COMPLAINT_WAVES:
        outputs += expand(rules.complaints.output, wave=wave)
    if wave in INTERVIEW_WAVES and wave in COMPLAINT_WAVES:
        outputs += expand(rules.sources.output, wave=wave)
    return outputs


def figure_outputs():
    """Named outputs of the figures rule: each figure as PNG, registered for the Snakemake
    report with its caption."""
    return {
        name: report(
            f"reports/{{wave}}/figures/{name}.png",
            caption=f"../report/{name}.rst",
            category=FIGURE_CATEGORY[name],
            labels={"wave": "{wave}", "figure": name},
        )
        for name in FIGURES
    }


def raw_inputs(wildcards):
    """Every raw file of the wave (survey, interview folder, complaint log, codebook), for its
    provenance."""
    files = {"survey": survey_file(wildcards)}
    if wildcards.wave in INTERVIEW_WAVES:
        files["interviews"] = interview_files(wildcards)
    if wildcards.wave in COMPLAINT_WAVES:
        files["complaints"] = complaint_log(wildcards)
    if wildcards.wave in INTERVIEW_WAVES or wildcards.wave in COMPLAINT_WAVES:
        files["codebook"] = config["interviews"]["codebook"]
    return files


def segment_entries():
    """The segment entries of the config, a plain header as {"column": header}."""
    return [
        {"column": entry} if isinstance(entry, str) else entry
        for entry in config["columns"]["segments"]
    ]


def segment_names():
    """The segments' names in the cleaned data: each short label, or the header itself."""
    return [entry.get("label") or entry["column"] for entry in segment_entries()]


def segment_policies():
    """Segment name -> what the comparisons do with its levels below gaps.min_cell."""
    return {
        name: entry.get("small_levels", "describe")
        for name, entry in zip(segment_names(), segment_entries())
    }


def previous_scores(wildcards):
    """The overall scores of the wave before this one in the waves sheet (none for the first),
    for the report's change since the previous wave."""
    order = list(WAVES)
    position = order.index(wildcards.wave)
    return (
        [f"reports/{order[position - 1]}/tables/servqual_scores.csv"]
        if position
        else []
    )


def instrument_structure():
    """The instrument as the analysis steps see it: the scale, the dimension ids, and each item's
    id, dimension and reverse key. No labels or wording, so editing display text reruns no
    analysis (only the steps given instrument_words() show them)."""
    instrument = config["instrument"]
    return {
        "scale": instrument["scale"],
        "dimensions": [{"id": dim["id"]} for dim in instrument["dimensions"]],
        "items": [
            {
                "id": item["id"],
                "dimension": item["dimension"],
                "reverse": item.get("reverse", False),
            }
            for item in instrument["items"]
        ],
    }


def instrument_words():
    """The instrument as the steps that show words see it: instrument_structure() with each
    dimension's label and each item's wording in the report language only (after the fallback
    that servqual.labels applies: another language, then the id), so an edit in a language the
    report does not use reruns none of them."""
    language = config["study"]["language"]
    structure = instrument_structure()
    for dim, given in zip(structure["dimensions"], config["instrument"]["dimensions"]):
        shown = Dimension(given["id"], given.get("label", {})).name(language)
        dim["label"] = {language: shown}
    for item, given in zip(structure["items"], config["instrument"]["items"]):
        shown = Item(given["id"], given["dimension"], given.get("text", {})).label(
            language
        )
        item["text"] = {language: shown}
    return structure


def study_outline():
    """What the methods paragraph says of the study: the instrument's size and scale, the
    measures and the seed (no labels or wording, so editing them rewrites no methods).
    """
    instrument = instrument_structure()
    return {
        "instrument": {
            "items": [item["id"] for item in instrument["items"]],
            "dimensions": [dim["id"] for dim in instrument["dimensions"]],
            "scale": instrument["scale"],
        },
        "measures": config["measures"],
        "analysis": {"seed": config["analysis"]["seed"]},
    }


# Files under reports/ that are deliverables rather than tables or figures (an export for a
# client, `snakemake --report reports/report.zip`), listed with the reports after a run.
EXPORT_SUFFIXES = {".xlsx", ".docx", ".pptx", ".pdf", ".zip"}


def finished_reports():
    """The HTML report of each wave, the cross-wave report and the exports that exist, as paths
    in the study folder (the working directory), in the waves' order."""
    reports = [f"reports/{wave}/report.html" for wave in WAVES]
    reports.append("reports/waves/report.html")
    exports = sorted(
        path.as_posix()
        for path in Path("reports").rglob("*")
        if path.suffix.lower() in EXPORT_SUFFIXES and path.is_file()
    )
    return [path for path in reports if os.path.isfile(path)] + exports


#: Modules the library imports inside the functions that need them (a step outside a run with a
#: worker pays only for those it uses), which the warm worker imports all the same.
WARM_DEFERRED = [
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
    # papermill's progress bar: loaded before ipykernel, whose presence would make tqdm take the
    # step for a notebook (and warn that it has no widgets).
    "tqdm.auto",
    "black",
    "pyarrow.dataset",
    # A report's kernel is forked from the worker too (servqual.warm_kernel).
    "ipykernel.kernelapp",
]


def start_warm_worker():
    """When a run starts: the process its local steps fork from, their libraries imported
    (servqual.warm_worker). Not for steps in a conda environment or a container, whose
    interpreter is another, nor for steps sent to a cluster."""
    if workflow.local_exec and not workflow.deployment_settings.deployment_method:
        warm_worker.start(
            Path(".snakemake/warm-worker"),
            steps=sum(
                job.rule.script is not None for job in workflow.dag.needrun_jobs()
            ),
            scripts=WORKFLOW_DIR / "workflow" / "scripts",
            deferred=WARM_DEFERRED,
        )


def announce_reports():
    """Close a completed run with where its reports are."""
    reports = finished_reports()
    if reports:
        logger.info(
            f"Reports, in {os.getcwd()}:\n"
            + "\n".join(f"    {path}" for path in reports)
        )


def all_targets():
    return [
        *expand("reports/{wave}/report.html", wave=WAVES),
        *expand("reports/{wave}/tables.docx", wave=WAVES),
        *expand(rules.exports.output, wave=WAVES),
        *interview_targets(),
        *expand(rules.complaints.output, wave=COMPLAINT_WAVES),
        "reports/waves/report.html",
    ]


# Waves whose row in the waves sheet names an interview folder (the others get no interview job).
INTERVIEW_WAVES = [wave for wave, row in WAVES.items() if row["interviews"].strip()]


def interview_files(wildcards):
    """Every file of the wave's interview folder (sidecar, transcripts, coded segments), so that
    adding, removing or editing one reruns the wave; a README there is documentation only.
    """
    folder = Path(WAVES[wildcards.wave]["interviews"].strip())
    if not folder.is_dir():
        raise ValueError(
            f"waves sheet, wave {wildcards.wave}: interview folder {folder} does not exist."
        )
    # Every entry was checked as the waves sheet was read (study_file_faults).
    return [
        str(path)
        for path in folder_entries(folder, root=".")
        if path.is_file()
        and not path.name.startswith(".")
        and path.stem.lower() != "readme"
    ]


def interview_targets():
    return expand(rules.interviews.output, wave=INTERVIEW_WAVES)


# Waves whose row in the waves sheet names a complaint log (the others get no complaints job).
COMPLAINT_WAVES = [wave for wave, row in WAVES.items() if row["complaints"].strip()]
if INTERVIEW_WAVES or COMPLAINT_WAVES:
    helpers.check_codebook(config["interviews"]["codebook"], config_source())


def complaint_log(wildcards):
    """The wave's complaint log, as the waves sheet names it."""
    return WAVES[wildcards.wave]["complaints"].strip()


def complaint_earliest(wildcards):
    """The earliest plausible date of the wave's complaint log: complaints.earliest, else 365
    days before the wave's start (None without a start)."""
    given = config["complaints"]["earliest"]
    start = WAVES[wildcards.wave]["start"].strip()
    if given or not start:
        return given
    return str(datetime.date.fromisoformat(start) - datetime.timedelta(days=365))


# The config's targets and the action register checked against the study (a fault stops the
# run before any job); the register's rows, in its order.
ACTIONS = helpers.check_loop(
    config["actions"],
    config,
    INSTRUMENT,
    WAVES,
    {wave: WAVES[wave]["complaints"].strip() for wave in COMPLAINT_WAVES},
    segment_names(),
    config_source(),
)


def kpi_inputs(wildcards):
    """The files a wave's scorecard is measured from: its cleaned responses and coded complaints,
    and those of the wave before it in the waves sheet (for the change since then)."""
    order = list(WAVES)
    position = order.index(wildcards.wave)
    files = {"responses": f"data/processed/{wildcards.wave}/responses.parquet"}
    if wildcards.wave in COMPLAINT_WAVES:
        files["complaints"] = f"data/processed/{wildcards.wave}/complaints.parquet"
    if position:
        previous = order[position - 1]
        files["previous_responses"] = f"data/processed/{previous}/responses.parquet"
        if previous in COMPLAINT_WAVES:
            files["previous_complaints"] = (
                f"data/processed/{previous}/complaints.parquet"
            )
    return files


def previous_wave(wildcards):
    """The wave before this one in the waves sheet, or "" for the first."""
    order = list(WAVES)
    position = order.index(wildcards.wave)
    return order[position - 1] if position else ""
