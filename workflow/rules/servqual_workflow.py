"""The plain-Python helpers of ``common.smk``: the study's sheets read and checked, the config
checks its schema cannot make, and the code version of each step.

Snakemake tokenizes every ``.smk`` file with its own parser at every start, a no-op rerun
included; Python imports this module from its compiled bytecode. ``common.smk`` still validates
the study, reads its sheets and defines the input functions: it calls these helpers and gives
them what they need of the run (the config, the waves, the workflow's folder). The module keeps
no state of a run but what it reads once: the schemas, one validator per schema, and the files
behind the code versions.
"""

import copy
import csv
import datetime
import functools
import hashlib
import io
import itertools
import json
import os
import re
import sys
from pathlib import Path

from servqual.schema_errors import fault_lines, schema_faults
from servqual.study_files import (
    StudyFileError,
    folder_entries,
    load_study_yaml,
    reserved_wave_id,
    study_path,
    study_text,
)

SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"


def stop(lines):
    """End the run with these lines and nothing else: a fault in the study's definition is the
    researcher's to fix, and Snakemake's traceback of the workflow would only hide it."""
    sys.exit("\n".join(lines))


@functools.cache
def schema(name):
    """The JSON schema ``workflow/schemas/<name>``, read once per run (never changed: the
    validator copies the defaults it fills in)."""
    return json.loads((SCHEMAS / name).read_text(encoding="utf-8"))


@functools.cache
def defaults_validator(name):
    """A validator of the schema ``name`` that fills in the schema's defaults where a mapping
    lacks a key, as Snakemake's ``snakemake.utils.validate`` does (JSON Schema 2020-12, each
    default set before the mapping's keys are validated), built once per run: Snakemake's builds
    a validator at every call, one per row of a sheet."""
    from jsonschema import Draft202012Validator, validators

    check_properties = Draft202012Validator.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, subschema):
        if isinstance(instance, dict):
            for key, given in properties.items():
                if "default" in given:
                    instance.setdefault(key, copy.deepcopy(given["default"]))
        yield from check_properties(validator, properties, instance, subschema)

    extended = validators.extend(Draft202012Validator, {"properties": set_defaults})
    return extended(schema(name))


def validate_config(config, source):
    """Validate the config and fill in the schema's defaults; every fault is one line naming the
    config file (``source``), the key and what is allowed there (Snakemake's own error has only
    the first fault, followed by the whole schema)."""
    from jsonschema import ValidationError

    try:
        defaults_validator("config.schema.json").validate(config)
    except ValidationError as error:
        lines = fault_lines(config, schema("config.schema.json"), source)
        if not lines:  # a fault only the validator that fills in defaults sees
            from snakemake.exceptions import WorkflowError

            raise WorkflowError("Error validating config file.", error)
        stop(lines)


def sheet_text(path, label, row_noun):
    """The text of a tab-separated study sheet, read as UTF-8 (a byte-order mark allowed); a
    sheet that is not, is empty or is not tab-separated stops the run with its file and line."""
    try:
        text = study_text(path)
    except StudyFileError as err:
        stop([f"{label} {err}"])
    if not text.strip():
        stop([f"{label} {path}: the file is empty; it needs a header and a row per {row_noun}."])
    header = text.split("\n", 1)[0]
    if "\t" not in header:
        found = [name for sign, name in ((",", "commas"), (";", "semicolons")) if sign in header]
        but = f" but {found[0]}" if found else ""
        stop(
            [
                (
                    f"{label} {path}, line 1: no tab in the header{but}; the {label} is "
                    "tab-separated (save it as TSV, tab-delimited text)."
                )
            ]
        )
    return text


def sheet_rows(path, schema_name, label, faults, row_noun):
    """(line, row) of each row of a tab-separated study sheet (:func:`sheet_text`) that passes
    its schema (which fills in the optional columns); each fault of the others is appended to
    ``faults`` as one line naming the sheet, its line and, for a fault of one cell, its column."""
    from jsonschema import ValidationError

    validator = defaults_validator(schema_name)
    text = sheet_text(path, label, row_noun)
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter="\t", restval="")
    for row in reader:
        where = f"{label} {path}, line {reader.line_num}"
        if None in row:
            faults.append(f"{where}: more fields than the header has columns.")
            continue
        try:
            validator.validate(row)
        except ValidationError:
            # A row is flat: a fault is in one column, or of the row (an unknown column).
            for fault in schema_faults(row, schema(schema_name), key_word="column"):
                column = f", column {fault.where}" if fault.path else ""
                faults.append(f"{where}{column}: {fault.text}")
            continue
        yield reader.line_num, row


def check_sheet_path(path, source, key):
    """Stop unless ``path``, which the config's ``key`` names, is a file inside the study folder."""
    try:
        study_path(path, referred_by=f"{source}, key {key}")
    except StudyFileError as err:
        stop([str(err)])
    if not os.path.isfile(path):
        stop([f"{key} sheet {path}: no such file (the config's `{key}` names it)."])


def read_waves_sheet(path, source):
    """The waves sheet as {wave: row}, in the sheet's order, which is the waves' order in time
    (every comparison between waves and every cross-wave table follows it). Each row is validated
    against the waves schema, which fills in the optional columns; a fault names the sheet's line.
    ``source`` names the config files, for a fault of the config's `waves` key."""
    check_sheet_path(path, source, "waves")
    waves, lines, faults = {}, {}, []
    for line, row in sheet_rows(path, "waves.schema.json", "waves sheet", faults, "wave"):
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
        faults.append(f"waves sheet {path}: no wave (a header and no rows); add a row per wave.")
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
            reader = csv.reader(handle, delimiter="\t" if name.endswith(".tsv") else ",")
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
                faults.append(f"{where}, column {column}: {text!r} is not a date (write YYYY-MM-DD).")
                dates[column] = None
        if dates["start"] and dates["end"] and dates["end"] < dates["start"]:
            faults.append(f"{where}: wave {wave} ends before it starts.")
        if dates["start"]:
            starts.append((wave, dates["start"]))
    for (before, first), (after, second) in itertools.pairwise(starts):
        if second < first:
            faults.append(
                f"waves sheet {path}, lines {lines[before]} and {lines[after]}: wave {after} "
                f"starts on {second}, before wave {before} ({first}), which the sheet lists "
                "first. Waves are compared in the sheet's order: put the rows in time order "
                "or correct the dates."
            )
    if faults:
        stop(faults)


def check_codebook(path, source):
    """The codebook, where a wave uses it: inside the study folder and plain YAML data."""
    try:
        study_path(path, referred_by=f"{source}, key interviews.codebook")
        if os.path.isfile(path):
            load_study_yaml(path)
    except StudyFileError as err:
        stop([str(err)])


def structural_faults(options, instrument, outcomes, source):
    """Faults of the `structural` section that the schema cannot see: a mediator that is not an
    outcome of the study, or the only one; gap scores without expectations."""
    ids = (["overall"] if instrument.has_overall else []) + [o["id"] for o in outcomes]
    where = f"{source}, key structural"
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


def register_rows(path, faults, source):
    """(line, row) of each row of the action register that passes its schema (which fills in the
    optional columns), [] where the config names none; each schema fault is appended to
    ``faults`` as one line naming the sheet's line and column."""
    if not path:
        return []
    check_sheet_path(path, source, "actions")
    return list(sheet_rows(path, "actions.schema.json", "actions sheet", faults, "action"))


def recorded_categories(names, dimensions, options, complaint_logs):
    """The complaint categories the waves' complaint logs ({wave: path}) record (the config's
    complaints section, ``options``, says where), sorted, for the check of the categories a
    target or the register names. The logs are read only where one of ``names`` is not a
    dimension id (or `all`); [] otherwise."""
    recorded = [n for n in names if n != "all" and n not in dimensions]
    if not recorded:
        return []
    # Imported here: only a study that names recorded categories pays for the log reader.
    from servqual.complaints import read_complaint_log

    found = set()
    for wave, path in complaint_logs.items():
        try:
            log, _ = read_complaint_log(
                path, options["columns"], manual_code=options["manual_code"], exposure=options["exposure"]
            )
        except (OSError, ValueError) as err:
            stop(
                [
                    (
                        f"complaint log {path} (waves sheet, wave {wave}): its categories are needed "
                        f"to check the complaint categories the targets and the action register "
                        f"name ({', '.join(recorded)}), and it cannot be read: {err}"
                    )
                ]
            )
        found.update(log["category"].dropna())
    return sorted(found - {""})


def check_loop(path, config, instrument, waves, complaint_logs, segments, source):
    """The config's targets and the action register (the rows of ``path``) checked against the
    study: the dimensions, items, outcomes, waves, segments and complaint categories they name
    (servqual.loop_config). Every fault is one line naming the config key, or the sheet's line
    and column, and the run stops before any job; returns the register's rows, in its order."""
    from servqual.loop_config import action_faults, named_categories, target_faults

    sheet_faults = []
    rows = register_rows(path, sheet_faults, source)
    categories = recorded_categories(
        named_categories(config["targets"], rows), instrument.dimension_ids, config["complaints"], complaint_logs
    )
    faults = target_faults(
        config["targets"],
        where=source,
        dimensions=instrument.dimension_ids,
        segments=segments,
        outcomes=["overall"] + [entry["id"] for entry in config["outcomes"]],
        categories=categories,
    )
    faults += sheet_faults
    faults += action_faults(
        rows,
        where=f"actions sheet {path}",
        dimensions=instrument.dimension_ids,
        items=instrument.item_ids,
        waves=list(waves),
        segments=segments,
        categories=categories,
    )
    if faults:
        stop(faults)
    return [row for _, row in rows]


# "from servqual.x import ...", "from servqual.x.y import ..." and "from servqual import x, y"
# (module names on the import line); a dotted name is a module of a subpackage (servqual.sem).
SERVQUAL_IMPORT = re.compile(r"^\s*from servqual(?:\.([\w.]+))? import \(?([\w ,]*)", re.MULTILINE)


@functools.cache
def module_file(root, module):
    """Source file of a servqual module given as a dotted name below servqual ("sem.fit"), in the
    workflow at ``root``; a subpackage is its __init__.py."""
    path = Path(root, "src", "servqual", *module.split("."))
    return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


@functools.cache
def servqual_imports(root, module):
    """The servqual modules that one library module imports; read once per run, as many rules
    ask (a text scan: parsing every module with ast cost seconds at each start-up)."""
    found = set()
    _, source = digest_part(root, module_file(root, module))
    for submodule, names in SERVQUAL_IMPORT.findall(source.decode("utf-8")):
        found.update([submodule] if submodule else [n.strip() for n in names.split(",") if n.strip()])
    return frozenset(found)


@functools.cache
def library_modules(root, *modules):
    """Library modules a rule imports, with everything they import from servqual (transitively)."""
    seen, todo = set(), ["__init__", "adapters", *modules]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(servqual_imports(root, name))
    return sorted(seen)


@functools.cache
def module_data(root):
    """Files a library module reads as part of its code, by module: the message catalogues, the
    report's style sheet."""
    lib = Path(root, "src", "servqual")
    return {
        "i18n": sorted((lib / "messages").glob("*/*.yaml")),
        "report_page": sorted((lib / "assets").glob("*")),
    }


@functools.cache
def digest_part(root, path):
    """What one file adds to a code version: its path in the workflow and a NUL, and its content.
    Read once per run: the library's common modules and the message catalogues are behind most
    steps."""
    return f"{path.relative_to(root).as_posix()}\0".encode(), path.read_bytes()


def code_version(root, script, *modules, template=None):
    """Digest of the code behind one step of the workflow at ``root`` (its adapter script, the
    library modules it imports and its report template, and the message catalogues where it uses
    them), for the step's `code` parameter.

    Code is declared by content, not as input files: Snakemake records inputs by path and
    compares scripts by modification time, so a clone of the workflow at another path (or a
    fresh checkout) would rerun every job. This digest changes exactly when that code does; the
    default profile turns off the modification-time check of scripts it replaces.
    """
    root = Path(root)
    files = [root / "workflow" / "scripts" / f"{script}.py"]
    imported = library_modules(root, *modules)
    files += [module_file(root, module) for module in imported]
    # Code that writes through the message catalogues reruns when a message changes.
    data = module_data(root)
    files += [path for module in imported for path in data.get(module, ())]
    if template:
        files.append(root / "notebooks" / template)
    digest = hashlib.sha256()
    for path in files:
        for part in digest_part(root, path):
            digest.update(part)
    return digest.hexdigest()
