import csv
import datetime
import functools
import hashlib
import io
import json
import os
import re
import shlex
import sys
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.logging import logger
from snakemake.utils import validate

WORKFLOW_DIR = Path(workflow.basedir)
SRC = WORKFLOW_DIR / "src"
LIB = SRC / "servqual"
SCHEMAS = WORKFLOW_DIR / "workflow" / "schemas"
sys.path.insert(0, str(SRC))
from servqual.schema_errors import fault_lines, schema_faults
from servqual.study_files import (
    StudyFileError,
    folder_entries,
    load_study_yaml,
    reserved_wave_id,
    study_path,
    study_text,
)


def stop(lines):
    """End the run with these lines and nothing else: a fault in the study's definition is the
    researcher's to fix, and Snakemake's traceback of this file would only hide it."""
    sys.exit("\n".join(lines))


def config_source():
    """The config files in the order they were applied (the command line's last), for messages."""
    files = dict.fromkeys(str(path) for path in reversed(workflow.configfiles))
    return " + ".join(files) or "config"


def validate_config(config):
    """Validate the config and fill in the schema's defaults; every fault is one line naming the
    config file, the key and what is allowed there (Snakemake's own error has only the first
    fault, followed by the whole schema)."""
    try:
        validate(config, schema="../schemas/config.schema.json")
    except WorkflowError:
        schema = json.loads(
            (SCHEMAS / "config.schema.json").read_text(encoding="utf-8")
        )
        lines = fault_lines(config, schema, config_source())
        if not lines:  # a fault only Snakemake's validation sees: its own message
            raise
        stop(lines)


# The workflow parses this file at every start, a no-op rerun included, so it reads the study
# without pandas (0.4 s to import) and with JSON schemas (PyYAML took 0.2 s for the config's).
validate_config(config)


def sheet_text(path, label, row_noun):
    """The text of a tab-separated study sheet, read as UTF-8 (a byte-order mark allowed); a
    sheet that is not, is empty or is not tab-separated stops the run with its file and line.
    """
    try:
        text = study_text(path)
    except StudyFileError as err:
        stop([f"{label} {err}"])
    if not text.strip():
        stop(
            [
                f"{label} {path}: the file is empty; it needs a header and a row per {row_noun}."
            ]
        )
    header = text.split("\n", 1)[0]
    if "\t" not in header:
        found = [
            name
            for sign, name in ((",", "commas"), (";", "semicolons"))
            if sign in header
        ]
        but = f" but {found[0]}" if found else ""
        stop(
            [
                f"{label} {path}, line 1: no tab in the header{but}; the {label} is "
                "tab-separated (save it as TSV, tab-delimited text)."
            ]
        )
    return text


def sheet_rows(path, schema_name, label, faults, row_noun):
    """(line, row) of each row of a tab-separated study sheet (:func:`sheet_text`) that passes
    its schema (which fills in the optional columns); each fault of the others is appended to
    ``faults`` as one line naming the sheet, its line and, for a fault of one cell, its column.
    """
    schema = None
    text = sheet_text(path, label, row_noun)
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter="\t", restval="")
    for row in reader:
        where = f"{label} {path}, line {reader.line_num}"
        if None in row:
            faults.append(f"{where}: more fields than the header has columns.")
            continue
        try:
            validate(row, schema=f"../schemas/{schema_name}")
        except WorkflowError:
            schema = schema or json.loads(
                (SCHEMAS / schema_name).read_text(encoding="utf-8")
            )
            # A row is flat: a fault is in one column, or of the row (an unknown column).
            for fault in schema_faults(row, schema, key_word="column"):
                column = f", column {fault.where}" if fault.path else ""
                faults.append(f"{where}{column}: {fault.text}")
            continue
        yield reader.line_num, row


def read_waves_sheet(path):
    """The waves sheet as {wave: row}, in the sheet's order, which is the waves' order in time
    (every comparison between waves and every cross-wave table follows it). Each row is validated
    against the waves schema, which fills in the optional columns; a fault names the sheet's line.
    """
    try:
        study_path(path, referred_by=f"{config_source()}, key waves")
    except StudyFileError as err:
        stop([str(err)])
    if not os.path.isfile(path):
        stop([f"waves sheet {path}: no such file (the config's `waves` names it)."])
    waves, lines, faults = {}, {}, []
    for line, row in sheet_rows(
        path, "waves.schema.json", "waves sheet", faults, "wave"
    ):
        where = f"waves sheet {path}, line {line}"
        if row["wave"] in waves:
            faults.append(f"{where}: wave {row['wave']} appears twice.")
            continue
        # macOS and Windows ignore letter case: Wave1 and wave1 would share folders.
        same = [w for w in waves if w.casefold() == row["wave"].casefold()]
        if same:
            faults.append(
                f"{where}: wave {row['wave']} differs from wave {same[0]} (line "
                f"{lines[same[0]]}) only in letter case; their folders would be one on "
                "macOS and Windows."
            )
            continue
        reserved = reserved_wave_id(row["wave"])
        if reserved:
            faults.append(f"{where}, column wave: {reserved}")
            continue
        faults += study_file_faults(row, where)
        waves[row["wave"]], lines[row["wave"]] = row, line
    if not waves and not faults:
        faults.append(
            f"waves sheet {path}: no wave (a header and no rows); add a row per wave."
        )
    if faults:
        stop(faults)
    check_wave_dates(path, waves, lines)
    return waves


# Waves-sheet columns that name a file or folder of the study.
PATH_COLUMNS = ("survey", "interviews", "complaints")


def study_file_faults(row, where):
    """The faults of a waves-sheet row's paths: each must stay inside the study folder (see
    servqual.study_files.study_path), and so must every entry of an interview folder."""
    faults = []
    for column in PATH_COLUMNS:
        value = row[column].strip()
        if not value:
            continue
        referred_by = f"{where}, column {column}"
        try:
            path = study_path(value, referred_by=referred_by)
            if column == "interviews" and path.is_dir():
                folder_entries(path, referred_by=f"{referred_by} ({value})", root=".")
                faults += documents_table_faults(path)
        except StudyFileError as err:
            faults.append(str(err))
    return faults


def documents_table_faults(folder):
    """The faults of the files an interview folder's documents table lists (each must stay
    inside the study folder), found before any job reads a transcript; the interview step
    checks them again (servqual.transcripts.read_documents_table)."""
    faults = []
    for name in ("documents.tsv", "documents.csv"):
        table = folder / name
        if not table.is_file():
            continue
        try:
            text = study_text(table)
        except StudyFileError as err:
            return [str(err)]
        with io.StringIO(text, newline="") as handle:
            reader = csv.reader(
                handle, delimiter="\t" if name.endswith(".tsv") else ","
            )
            header = [cell.strip().lower() for cell in next(reader, [])]
            if "file" not in header:
                return faults  # the interview step names the missing column
            column = header.index("file")
            for row in reader:
                if len(row) > column and row[column].strip():
                    try:
                        study_path(
                            row[column].strip(),
                            referred_by=f"{table}, line {reader.line_num}, column file",
                            base=folder,
                            root=".",
                        )
                    except StudyFileError as err:
                        faults.append(str(err))
        return faults
    return faults


def check_wave_dates(path, waves, lines):
    """Start and end dates, where given, are ISO dates, each wave ends no earlier than it starts,
    and the waves start in the sheet's order: a sheet whose dates disagree with its order would
    compare waves backwards in time."""
    starts, faults = [], []
    for wave, row in waves.items():
        where = f"waves sheet {path}, line {lines[wave]}"
        dates = {}
        for column in ("start", "end"):
            text = row[column].strip()
            try:
                dates[column] = datetime.date.fromisoformat(text) if text else None
            except ValueError:
                faults.append(
                    f"{where}, column {column}: {text!r} is not a date (write YYYY-MM-DD)."
                )
                dates[column] = None
        if dates["start"] and dates["end"] and dates["end"] < dates["start"]:
            faults.append(f"{where}: wave {wave} ends before it starts.")
        if dates["start"]:
            starts.append((wave, dates["start"]))
    for (before, first), (after, second) in zip(starts, starts[1:]):
        if second < first:
            faults.append(
                f"waves sheet {path}, lines {lines[before]} and {lines[after]}: wave {after} "
                f"starts on {second}, before wave {before} ({first}), which the sheet lists "
                "first. Waves are compared in the sheet's order: put the rows in time order "
                "or correct the dates."
            )
    if faults:
        stop(faults)


WAVES = read_waves_sheet(config["waves"])


def check_codebook(path):
    """The codebook, where a wave uses it: inside the study folder and plain YAML data."""
    try:
        study_path(path, referred_by=f"{config_source()}, key interviews.codebook")
        if os.path.isfile(path):
            load_study_yaml(path)
    except StudyFileError as err:
        stop([str(err)])


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


def structural_faults(options, instrument, outcomes):
    """Faults of the `structural` section that the schema cannot see: a mediator that is not an
    outcome of the study, or the only one; gap scores without expectations."""
    ids = (["overall"] if instrument.has_overall else []) + [o["id"] for o in outcomes]
    where = f"{config_source()}, key structural"
    faults = []
    mediator = options["mediator"]
    if mediator is not None and mediator not in ids:
        known = ", ".join(ids) or "none: the study has no outcomes"
        faults.append(
            f"{where}.mediator: {mediator} is not an outcome of this study (outcomes: {known}); name one or write null."
        )
    elif mediator is not None and len(ids) < 2:
        faults.append(
            f"{where}.mediator: {mediator} is the study's only outcome; a mediator needs another outcome to act on (write null)."
        )
    if options["source"] == "gap" and not instrument.has_gap:
        faults.append(
            f"{where}.source: gap scores need expectations, which this study does not measure; use perception."
        )
    return faults


faults = structural_faults(config["structural"], INSTRUMENT, config["outcomes"])
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


# "from servqual.x import ...", "from servqual.x.y import ..." and "from servqual import x, y"
# (module names on the import line); a dotted name is a module of a subpackage (servqual.sem).
SERVQUAL_IMPORT = re.compile(
    r"^\s*from servqual(?:\.([\w.]+))? import \(?([\w ,]*)", re.MULTILINE
)


def module_file(module):
    """Source file of a servqual module given as a dotted name below servqual ("sem.fit");
    a subpackage is its __init__.py."""
    path = LIB.joinpath(*module.split("."))
    return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


@functools.cache
def servqual_imports(module):
    """The servqual modules that one library module imports; read once per run, as many rules
    ask (a text scan: parsing every module with ast cost seconds at each start-up)."""
    found = set()
    for submodule, names in SERVQUAL_IMPORT.findall(
        module_file(module).read_text(encoding="utf-8")
    ):
        found.update(
            [submodule]
            if submodule
            else [n.strip() for n in names.split(",") if n.strip()]
        )
    return frozenset(found)


def library_modules(*modules):
    """Library modules a rule imports, with everything they import from servqual (transitively)."""
    seen, todo = set(), ["__init__", "adapters", *modules]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(servqual_imports(name))
    return sorted(seen)


# Files a library module reads as part of its code: the message catalogues, the report's style sheet.
MODULE_DATA = {
    "i18n": sorted((LIB / "messages").glob("*/*.yaml")),
    "report_page": sorted((LIB / "assets").glob("*")),
}


def code_version(script, *modules, template=None):
    """Digest of the code behind one step (its adapter script, the library modules it imports
    and its report template, and the message catalogues where it uses them), for the step's
    `code` parameter.

    Code is declared by content, not as input files: Snakemake records inputs by path and
    compares scripts by modification time, so a clone of the workflow at another path (or a
    fresh checkout) would rerun every job. This digest changes exactly when that code does; the
    default profile turns off the modification-time check of scripts it replaces.
    """
    files = [WORKFLOW_DIR / "workflow" / "scripts" / f"{script}.py"]
    imported = library_modules(*modules)
    files += [module_file(module) for module in imported]
    # Code that writes through the message catalogues reruns when a message changes.
    files += [data for module in imported for data in MODULE_DATA.get(module, ())]
    if template:
        files.append(WORKFLOW_DIR / "notebooks" / template)
    digest = hashlib.sha256()
    for path in files:
        digest.update(f"{path.relative_to(WORKFLOW_DIR).as_posix()}\0".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


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


def wave_tables(wave):
    return [f"reports/{wave}/tables/{name}.csv" for name in TABLES]


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
    check_codebook(config["interviews"]["codebook"])


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


from servqual.loop_config import action_faults, named_categories, target_faults


def register_rows(path, faults):
    """(line, row) of each row of the action register that passes its schema (which fills in the
    optional columns), [] where the config names none; each schema fault is appended to
    ``faults`` as one line naming the sheet's line and column."""
    if not path:
        return []
    try:
        study_path(path, referred_by=f"{config_source()}, key actions")
    except StudyFileError as err:
        stop([str(err)])
    if not os.path.isfile(path):
        stop([f"actions sheet {path}: no such file (the config's `actions` names it)."])
    return list(
        sheet_rows(path, "actions.schema.json", "actions sheet", faults, "action")
    )


def recorded_categories(names):
    """The complaint categories the waves' complaint logs record (complaints.columns.category),
    sorted, for the check of the categories a target or the register names. The logs are read
    only where one of ``names`` is not a dimension id (or `all`); [] otherwise."""
    recorded = [n for n in names if n != "all" and n not in INSTRUMENT.dimension_ids]
    if not recorded:
        return []
    # Imported here: only a study that names recorded categories pays for the log reader.
    from servqual.complaints import read_complaint_log

    options, found = config["complaints"], set()
    for wave in COMPLAINT_WAVES:
        path = WAVES[wave]["complaints"].strip()
        try:
            log, _ = read_complaint_log(
                path,
                options["columns"],
                manual_code=options["manual_code"],
                exposure=options["exposure"],
            )
        except (OSError, ValueError) as err:
            stop(
                [
                    f"complaint log {path} (waves sheet, wave {wave}): its categories are needed "
                    f"to check the complaint categories the targets and the action register "
                    f"name ({', '.join(recorded)}), and it cannot be read: {err}"
                ]
            )
        found.update(log["category"].dropna())
    return sorted(found - {""})


def check_loop(path):
    """The config's targets and the action register (the rows of ``path``) checked against the
    study: the dimensions, items, outcomes, waves, segments and complaint categories they name
    (servqual.loop_config). Every fault is one line naming the config key, or the sheet's line
    and column, and the run stops before any job; returns the register's rows, in its order.
    """
    sheet_faults = []
    rows = register_rows(path, sheet_faults)
    categories = recorded_categories(named_categories(config["targets"], rows))
    faults = target_faults(
        config["targets"],
        where=config_source(),
        dimensions=INSTRUMENT.dimension_ids,
        segments=segment_names(),
        outcomes=["overall"] + [entry["id"] for entry in config["outcomes"]],
        categories=categories,
    )
    faults += sheet_faults
    faults += action_faults(
        rows,
        where=f"actions sheet {path}",
        dimensions=INSTRUMENT.dimension_ids,
        items=INSTRUMENT.item_ids,
        waves=list(WAVES),
        segments=segment_names(),
        categories=categories,
    )
    if faults:
        stop(faults)
    return [row for _, row in rows]


ACTIONS = check_loop(config["actions"])


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
