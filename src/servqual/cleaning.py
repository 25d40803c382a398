"""Cleaning: missing codes, range checks, reverse scoring and respondent exclusions with reasons.

Every row read is either kept or excluded under exactly one rule; a respondent matched by several
rules is counted under the first rule in :data:`RULE_ORDER` and the others are listed in the
detail. ``rows read = kept + excluded`` is checked on every run. Careless-responding screens follow
Meade & Craig (2012, Psychological Methods 17(3)), Curran (2016, J. Experimental Social
Psychology 66) and, for the long-string index, Johnson (2005, J. Research in Personality 39(1)).

Rules are computed on the answers as given (before reverse scoring), so that a straight-liner is
recognised whatever the keying of the items. Every rule can be switched off in the ``cleaning``
config section. Details in the exclusion log hold rule facts (line numbers, counts, measure values)
and never a value of a personal-data column.

Personal data: only the columns the study declares reach ``responses.parquet``: the measures,
the segments, the duration, pseudonyms (the respondent's, and those of personal-data columns
when ``personal_data_action`` is ``pseudonymise``) and the ``free_text`` columns, masked by
:func:`servqual.privacy.mask_all` (e-mails, phones, ID numbers, the values of the declared
personal-data columns and the config's ``privacy.names``). Any other column of the export (an
undeclared comment box, an attention check, a renamed phone column) is left out, and a declared
personal-data column missing from the export is an error: a renamed column would otherwise be
an undeclared one.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from servqual.instrument import Instrument, canonical
from servqual.io import RawSurvey, SurveyFormatError, as_text
from servqual.privacy import mask_column, pseudonymise, quoted_examples
from servqual.tables import write_table
from servqual.validation import (
    bounds,
    invalid_cells,
    parse_numeric,
    require_columns,
    where,
)

RULE_ORDER = (
    "filter",
    "empty",
    "duplicate_id",
    "duplicate_responses",
    "attention_check",
    "speeder",
    "out_of_range",
    "too_many_missing",
    "straightlining",
    "long_string",
    "importance_sum",
)
#: Raw values that mean no answer in every study (as R, SPSS and survey tools write it), unless
#: ``missing_codes_replace`` says the study's ``missing_codes`` replace them.
DEFAULT_MISSING_CODES = ("", ".", "NA", "N/A")
#: Columns of the exclusion log.
EXCLUSION_COLUMNS = ["respondent", "line", "rule", "detail"]
#: Columns of the cleaning flow table.
SUMMARY_COLUMNS = ["step", "rule", "n", "detail"]


class CleaningError(ValueError):
    """Cleaning cannot produce a usable wave (e.g. no respondent left)."""


@dataclass(frozen=True)
class Rule:
    """The rows one rule matches (``mask``) and why, for the matched rows (``detail``, indexed by
    row position)."""

    mask: np.ndarray
    detail: pd.Series


@dataclass(frozen=True)
class _Parsed:
    """A raw survey as the rules and the assembly read it: the measure cells as given (parsed,
    missing codes missing), the cells off the scale, the values (off-scale cells missing) and
    the auxiliary numbers (duration, attention checks)."""

    raw: RawSurvey
    given: pd.DataFrame
    invalid: pd.DataFrame
    values: pd.DataFrame
    numbers: pd.DataFrame


@dataclass(frozen=True)
class CleaningResult:
    """Kept respondents (canonical columns), the exclusion log, the flow table and warnings.

    Attributes
    ----------
    responses
        ``respondent`` (pseudonym), ``line``, segments (categorical), ``duration``, the other raw
        columns as text (never personal data), ``<column>_pseudonym`` for personal data when
        pseudonymised, and the canonical measure columns (float, reverse-scored).
    exclusions
        ``respondent``, ``line``, ``rule``, ``detail``: one row per excluded row, by line.
    summary
        ``step``, ``rule``, ``n``, ``detail``: rows read (``read``), excluded per applied rule
        (``excluded``), rules switched on that could not apply and the rows they left unchecked
        (``not_applied``, with the reason), kept (``kept``), and cell-level changes (``cells``,
        with the columns they touched).
    warnings
        Facts the analyses should know (zero-variance items, a single respondent).
    """

    responses: pd.DataFrame
    exclusions: pd.DataFrame
    summary: pd.DataFrame
    warnings: tuple[str, ...] = field(default=())


def clean_survey(
    raw: RawSurvey,
    instrument: Instrument,
    columns: Mapping[str, Any],
    options: Mapping[str, Any],
    salt: bytes,
    *,
    names: Iterable[str] = (),
) -> CleaningResult:
    """Clean one wave.

    Parameters
    ----------
    raw
        The raw export (text) from :func:`servqual.io.read_survey`.
    instrument
        Items, dimensions, measures and the raw column names.
    columns
        ``respondent_id``, ``duration``, ``segments``, ``personal_data``, ``personal_data_action``,
        ``free_text`` (columns kept, masked; default none).
    options
        The ``cleaning`` config section (every key, as the config schema fills them in).
    salt
        Secret for the respondent pseudonyms (:func:`servqual.privacy.load_salt`).
    names
        Names of people masked in free text (the config's ``privacy.names``), besides the
        values of the personal-data columns.

    Returns
    -------
    CleaningResult
        Nothing is written; see :func:`write_outputs`.

    Raises
    ------
    SurveyFormatError
        Missing columns (a declared personal-data column included), text in a numeric column, a
        measure column without any answer, or an output column name taken twice.
    CleaningError
        No respondent left (the message gives the counts per rule), or rows not conserved.

    Examples
    --------
    >>> import tempfile, pathlib, yaml
    >>> from servqual import simulate
    >>> from servqual.io import read_survey
    >>> from servqual.simulate import servqual_instrument, simulate_survey
    >>> study = pathlib.Path(simulate.__file__).resolve().parents[2]
    >>> config = yaml.safe_load((study / "config" / "config.yaml").read_text(encoding="utf-8"))
    >>> inst = servqual_instrument()
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "wave.csv"
    >>> simulate_survey(inst, 200, seed=3).to_csv(path, index=False)
    >>> result = clean_survey(read_survey(path), inst, config["columns"], config["cleaning"], b"salt")
    >>> result.summary.set_index("rule")["n"][["rows read", "respondents kept"]].tolist()
    [203, 181]
    """
    try:
        mapping = instrument.resolve_columns(raw.frame.columns)
    except ValueError as err:
        raise SurveyFormatError(f"{raw.path}: {err}") from None
    _check_config(mapping, columns, options)
    _check_personal_columns(raw, columns)
    auxiliary = _auxiliary_columns(columns, options)
    require_columns(
        raw,
        {
            "measure": list(mapping),
            "respondent id": [columns["respondent_id"]] if columns["respondent_id"] else [],
            "segment": [spec["column"] for spec in segment_specs(columns)],
            "duration or attention-check": list(auxiliary),
            "filter": [f["column"] for f in options["filters"]],
            "free text (columns.free_text)": list(columns.get("free_text") or []),
        },
    )
    codes = missing_codes(options)
    known = _known_names(raw, columns, names)
    given = parse_numeric(raw, mapping, codes, known)
    _check_answered(raw, given, mapping)
    invalid = invalid_cells(given, instrument)
    values = given.mask(invalid)
    # Text codes ("N/A") mean no answer anywhere; numeric ones (99) only in measures, where a
    # duration of 99 s would otherwise vanish.
    text_codes = [c for c in codes if pd.isna(pd.to_numeric(c, errors="coerce"))]
    parsed = _Parsed(raw, given, invalid, values, _auxiliary_numbers(raw, auxiliary, text_codes, known))
    rules = _rules(parsed, instrument, columns, options)
    ids = _respondent_ids(raw, columns, salt)
    kept, exclusions = _assign(raw, ids, rules)
    scored, changes = _score(values, kept, instrument, options)
    changes = {**_set_missing(given, invalid, kept, instrument), **changes}
    summary = _summary(raw, exclusions, int(kept.sum()), list(rules), _unapplied(columns, options), changes)
    if not kept.any():
        everyone = _set_missing(given, invalid, np.ones(len(kept), bool), instrument)
        raise CleaningError(f"{raw.path}: no respondent left after exclusions ({_flow_text(summary, everyone)})")
    responses = _assemble(parsed, ids, scored, kept, columns, salt, codes, known)
    return CleaningResult(responses, exclusions, summary, _warnings(raw, responses, mapping, options, columns))


# -- configuration and structure -----------------------------------------------------------------
def segment_specs(columns: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The segment columns as specs: ``column`` (raw header), ``name`` (the short label used in
    every output, the column itself when none is given), ``values`` (raw value -> label) and
    ``order`` (level order). A plain string in the config is a column with neither.

    Examples
    --------
    >>> segment_specs({"segments": ["branch", {"column": "Q12. How often do you visit?", "label": "visits",
    ...                                        "values": {"1": "weekly"}, "order": ["weekly", "rarely"]}]})
    ... # doctest: +NORMALIZE_WHITESPACE
    [{'column': 'branch', 'name': 'branch', 'values': {}, 'order': []},
     {'column': 'Q12. How often do you visit?', 'name': 'visits', 'values': {'1': 'weekly'}, 'order': ['weekly', 'rarely']}]
    """
    specs = []
    for entry in columns["segments"]:
        entry = {"column": entry} if isinstance(entry, str) else entry
        specs.append({"column": entry["column"], "name": entry.get("label") or entry["column"],
                      "values": {str(k): str(v) for k, v in entry.get("values", {}).items()},
                      "order": [str(level) for level in entry.get("order", [])]})
    return specs


def missing_codes(options: Mapping[str, Any]) -> list[str]:
    """The raw values read as no answer: :data:`DEFAULT_MISSING_CODES` plus the study's
    ``missing_codes``, or the study's alone where ``missing_codes_replace`` is true.

    Examples
    --------
    >>> missing_codes({"missing_codes": [99, "不适用"], "missing_codes_replace": False})
    ['', '.', 'NA', 'N/A', '99', '不适用']
    >>> missing_codes({"missing_codes": ["-9"], "missing_codes_replace": True})
    ['-9']
    """
    own = [str(code).strip() for code in options["missing_codes"]]
    base = [] if options.get("missing_codes_replace") else list(DEFAULT_MISSING_CODES)
    return list(dict.fromkeys(base + own))


def _check_config(mapping: Mapping[str, str], columns: Mapping[str, Any], options: Mapping[str, Any]) -> None:
    """A personal-data column may not also be a measure, segment, duration or attention check:
    it would then be carried into the outputs."""
    personal = set(columns["personal_data"])
    used = {
        # A filter's detail shows the row's value: it must not be personal data.
        "filter": {f["column"] for f in options["filters"]},
        "measure": set(mapping),
        "segment": {spec["column"] for spec in segment_specs(columns)},
        "duration or attention-check": set(_auxiliary_columns(columns, options)),
        "free text": set(columns.get("free_text") or []),
    }
    clashes = {role: sorted(personal & names) for role, names in used.items() if personal & names}
    if clashes:
        raise ValueError(f"config columns: personal-data columns also used as {clashes}; they would reach the outputs")


def _check_personal_columns(raw: RawSurvey, columns: Mapping[str, Any]) -> None:
    """Every declared personal-data column is in the export: one renamed by the survey tool
    (``phone`` exported as ``mobile``) would otherwise go unrecognised as personal data."""
    absent = [c for c in columns["personal_data"] if c not in raw.frame.columns]
    if absent:
        raise SurveyFormatError(
            f"{raw.path}: personal-data column(s) {absent} (config columns.personal_data) are not in the export. "
            "If the survey tool renamed them, name the new headers in columns.personal_data; if the export "
            "no longer holds them, remove them there. Columns of the export: "
            f"{list(raw.frame.columns)[:40]}"
        )


def _auxiliary_columns(columns: Mapping[str, Any], options: Mapping[str, Any]) -> dict[str, str]:
    """Numeric non-measure columns: raw name -> name used here (the duration becomes ``duration``)."""
    out = {check["column"]: check["column"] for check in options["attention_checks"]}
    if columns.get("duration"):
        out[columns["duration"]] = "duration"
    return out


def _known_names(raw: RawSurvey, columns: Mapping[str, Any], names: Iterable[str]) -> list[str]:
    """The names masked in kept free text and in the values a fault quotes: ``names`` (the config's
    ``privacy.names``) and every value of the export's personal-data columns (longer than one
    character: a one-letter value would mask that letter everywhere)."""
    return [*names, *(v for c in columns["personal_data"] if c in raw.frame
                      for v in raw.frame[c].dropna().str.strip().unique() if len(v) > 1)]


def _auxiliary_numbers(raw: RawSurvey, auxiliary: Mapping[str, str], codes: list[str],
                       names: Iterable[str]) -> pd.DataFrame:
    """Attention checks as numbers, and the duration in seconds as survey tools write it
    (:func:`duration_seconds`); text that is neither is an error naming the column and lines
    (the values it quotes masked, ``names`` too)."""
    plain = {raw_name: name for raw_name, name in auxiliary.items() if name != "duration"}
    numbers = parse_numeric(raw, plain, codes, names)
    for raw_name in set(auxiliary) - set(plain):
        text = raw.frame[raw_name].str.strip()
        seconds = duration_seconds(text.mask(text.isin(codes), ""))
        bad = seconds.isna() & ~text.isin([*codes, ""])
        if bad.any():
            examples = quoted_examples(pd.unique(text[bad]), names)
            raise SurveyFormatError(
                f"{raw.path}: text where a duration is expected (seconds, '309秒', '5分9秒' or '00:05:09'):\n"
                f"  column {raw_name!r}: {where(raw.line.to_numpy()[bad.to_numpy()])}, e.g. {examples}"
            )
        numbers["duration"] = seconds
    return numbers


def duration_seconds(text: pd.Series) -> pd.Series:
    """Completion times in seconds, from plain numbers, numbers with a unit of seconds ('309秒',
    '309 s', '309초', as 问卷星 and others export them), minutes and seconds ('5分9秒') or clock
    time ('05:09', '00:05:09'); NaN where the text is empty or none of these.

    Examples
    --------
    >>> duration_seconds(pd.Series(["309", "309秒", "5分9秒", "05:09", "1:00:05", "", "soon"])).tolist()
    [309.0, 309.0, 309.0, 309.0, 3605.0, nan, nan]
    """
    text = text.astype("string").str.strip()
    parts = text.str.extract(r"^(?:(?P<m>\d+)\s*分)?\s*(?P<s>\d+(?:\.\d+)?)\s*(?:秒|초|s|sec|secs|seconds)?$")
    plain = pd.to_numeric(parts["s"], errors="coerce") + 60 * pd.to_numeric(parts["m"], errors="coerce").fillna(0)
    clock = text.str.extract(r"^(?:(?P<h>\d+):)?(?P<m>\d+):(?P<s>\d+)$").apply(pd.to_numeric, errors="coerce")
    clocked = clock["s"] + 60 * clock["m"] + 3600 * clock["h"].fillna(0)
    return plain.fillna(clocked).astype(float)


def _check_answered(raw: RawSurvey, values: pd.DataFrame, mapping: Mapping[str, str]) -> None:
    """A measure column nobody answered is an export or mapping fault, not a respondent's."""
    empty = [raw_name for raw_name, canon in mapping.items() if values[canon].isna().all()]
    if empty:
        raise SurveyFormatError(
            f"{raw.path}: measure columns without a single answer in {len(raw.frame)} rows "
            f"(all empty or missing codes): {empty}; wrong column mapping or a broken export?"
        )


# -- rules ---------------------------------------------------------------------------------------
def _rules(parsed: _Parsed, instrument: Instrument, columns: Mapping[str, Any], options: Mapping[str, Any]
           ) -> dict[str, Rule]:
    """The rules switched on in ``options``, by name."""
    raw, given, values, numbers = parsed.raw, parsed.given, parsed.values, parsed.numbers
    line = raw.line.to_numpy()
    rules: dict[str, Rule] = {}
    if options["filters"]:
        rules["filter"] = row_filters(raw.frame, options["filters"], missing_codes(options))
    if options["empty_responses"]:
        rules["empty"] = empty_responses(given)
    if options["duplicate_ids"] and columns["respondent_id"]:
        rules["duplicate_id"] = duplicate_ids(raw.frame[columns["respondent_id"]], line)
    if options["duplicate_responses"]:
        rules["duplicate_responses"] = duplicate_answers(given, line)
    if options["attention_checks"]:
        rules["attention_check"] = attention_checks(numbers, options["attention_checks"])
    speeders = options["speeders"]
    if speeders["enabled"] and columns.get("duration"):
        rules["speeder"] = speeding(numbers["duration"], speeders["min_seconds"], speeders["min_median_fraction"])
    if options["out_of_range"] == "exclude":
        rules["out_of_range"] = out_of_range(given, parsed.invalid)
    if options["max_missing_share"] is not None:
        rules["too_many_missing"] = too_many_missing(values, instrument, options["max_missing_share"])
    straight, long_string = options["straightlining"], options["long_string"]
    if straight["enabled"] or long_string["enabled"]:
        # Both rules read the longest runs: find them once for the measures either names.
        runs = _runs(values, instrument, [*straight["measures"], *long_string["measures"]])
    if straight["enabled"]:
        rules["straightlining"] = straightlining(_held(runs, straight["measures"]), len(instrument.item_ids))
    if long_string["enabled"]:
        rules["long_string"] = long_strings(_held(runs, long_string["measures"]), long_string["max_run"])
    if instrument.has_importance and options["importance_sum"]["action"] == "exclude":
        rules["importance_sum"] = importance_off(values[instrument.importance_columns], options["importance_sum"]["tolerance"])
    return rules


def _rule(mask: np.ndarray | pd.Series, detail: pd.Series | list[str]) -> Rule:
    """A rule from a row mask and the details of the matched rows, re-indexed by row position."""
    mask = np.asarray(mask, bool)
    return Rule(mask, pd.Series(np.asarray(detail, dtype=object), index=np.flatnonzero(mask), dtype=str))


def row_filters(frame: pd.DataFrame, filters: list[Mapping[str, Any]], codes: list[str]) -> Rule:
    """Rows the study leaves out by its own conditions (respondents who never used the service,
    another target group), before any other rule. Each filter names a column and either the
    values to ``exclude``, the values to ``keep``, or a numeric range to ``keep`` (``min``,
    ``max``); values are compared as trimmed text, missing codes count as missing (kept by
    ``exclude``, left out by ``keep``). The detail is the filter's label and the row's value.

    Examples
    --------
    >>> frame = pd.DataFrame({"used": ["1", "2", " 1", "NA"], "age": ["30", "17", "45", "50"]})
    >>> rule = row_filters(frame, [{"label": "never used the service", "column": "used", "exclude": ["2"]},
    ...                            {"label": "adults", "column": "age", "keep": {"min": 18}}], ["NA"])
    >>> rule.mask.tolist(), rule.detail.tolist()
    ([False, True, False, False], ['never used the service (used = 2); adults (age = 17)'])
    """
    hits = pd.DataFrame({f["label"]: _filtered(frame[f["column"]].str.strip(), f, codes) for f in filters})
    mask = hits.any(axis=1).to_numpy()
    shown = {f["label"]: f"{f['label']} ({f['column']} = " + frame[f["column"]].str.strip() + ")" for f in filters}
    detail = pd.DataFrame({label: text.where(hits[label], "") for label, text in shown.items()})
    return _rule(mask, detail[mask].apply(lambda row: "; ".join(v for v in row if v), axis=1))


def _filtered(text: pd.Series, spec: Mapping[str, Any], codes: list[str]) -> pd.Series:
    """True where a filter leaves the row out."""
    given = ~text.isin(codes)
    if "exclude" in spec:
        return given & text.isin([str(v).strip() for v in spec["exclude"]])
    keep = spec["keep"]
    if isinstance(keep, list):
        return ~(given & text.isin([str(v).strip() for v in keep]))
    number = pd.to_numeric(text.where(given), errors="coerce")
    inside = number.notna()
    if keep.get("min") is not None:
        inside &= number >= keep["min"]
    if keep.get("max") is not None:
        inside &= number <= keep["max"]
    return ~inside


def empty_responses(given: pd.DataFrame) -> Rule:
    """Rows that answer no measure column at all (every cell empty or a missing code); values off
    the scale count as answers, which ``out_of_range`` judges.

    Examples
    --------
    >>> rule = empty_responses(pd.DataFrame({"P_a": [4.0, np.nan, 9.0], "P_b": [np.nan, np.nan, np.nan]}))
    >>> rule.mask.tolist(), rule.detail.tolist()
    ([False, True, False], ['no answer in any of the 2 measure columns'])
    """
    mask = given.isna().all(axis=1).to_numpy()
    return _rule(mask, [f"no answer in any of the {given.shape[1]} measure columns"] * int(mask.sum()))


def duplicate_ids(ids: pd.Series, line: np.ndarray) -> Rule:
    """Rows whose respondent id was already used on an earlier row (blank ids are not compared).

    Examples
    --------
    >>> rule = duplicate_ids(pd.Series(["a", "b", "a", "", ""]), np.array([2, 3, 4, 5, 6]))
    >>> rule.mask.tolist(), rule.detail.tolist()
    ([False, False, True, False, False], ['respondent id first used at line 2'])
    """
    ids = ids.str.strip()
    # Integer codes compare much faster than strings. factorize numbers the ids in order of first
    # appearance, so the rows where each id first appears come in the order of its code.
    codes = pd.factorize(ids.mask(ids.eq("")))[0]
    seen = pd.Series(codes).duplicated().to_numpy()
    repeated = seen & (codes >= 0)
    first_line = line[~seen & (codes >= 0)]
    return _rule(repeated, "respondent id first used at line " + pd.Series(first_line[codes[repeated]]).astype(str))


def duplicate_answers(values: pd.DataFrame, line: np.ndarray) -> Rule:
    """Rows whose answers to every measure column equal an earlier row's.

    Row hashes find the candidates in one pass; grouping the candidates on their values makes the
    match exact (a hash collision cannot exclude anyone).
    """
    values = values.reset_index(drop=True)
    candidates = pd.util.hash_pandas_object(values, index=False).duplicated(keep=False).to_numpy()
    mask = np.zeros(len(values), bool)
    if not candidates.any():
        return _rule(mask, [])
    subset = values[candidates]
    group = subset.groupby(list(subset.columns), dropna=False, sort=False).ngroup()
    mask[candidates] = group.duplicated().to_numpy()
    first_line = pd.Series(line[candidates], index=subset.index).groupby(group).transform("first")
    return _rule(mask, "same answers as line " + first_line[mask[candidates]].astype(str))


def attention_checks(numbers: pd.DataFrame, checks: list[Mapping[str, Any]]) -> Rule:
    """Rows failing any attention check: an answer other than the expected one, or none."""
    failed = pd.DataFrame({f"{c['column']} not {c['expected']:g}": numbers[c["column"]].ne(c["expected"]) for c in checks})
    mask = failed.any(axis=1)
    return _rule(mask, "attention check failed: " + join_flags(failed[mask]))


def speeding(seconds: pd.Series, min_seconds: float | None, min_median_fraction: float | None) -> Rule:
    """Completion faster than ``min_seconds`` or than ``min_median_fraction`` x the median time of
    the wave, whichever is higher (Curran 2016); either limit can be None (off). A missing duration
    is not evidence of speeding.

    Examples
    --------
    >>> speeding(pd.Series([600.0, 500.0, 90.0, np.nan]), 120, 0.3).detail.tolist()
    ['duration 90 s < 150 s (max of 120 s and 0.3 x median 500 s)']
    """
    limits = {}
    if min_seconds is not None:
        limits[f"{min_seconds:g} s"] = float(min_seconds)
    median = seconds.median()
    if min_median_fraction is not None and not np.isnan(median):
        limits[f"{min_median_fraction:g} x median {median:.0f} s"] = min_median_fraction * median
    limit = max(limits.values(), default=-np.inf)
    why = ("max of " if len(limits) > 1 else "") + " and ".join(limits)
    mask = seconds.lt(limit)
    return _rule(mask, "duration " + as_text(seconds[mask].round()) + f" s < {limit:.0f} s ({why})")


def out_of_range(given: pd.DataFrame, invalid: pd.DataFrame) -> Rule:
    """Rows with any answer outside the scale or between the points of an integer scale."""
    rows, cols = np.nonzero(invalid.to_numpy())
    cells = pd.Series(invalid.columns[cols]) + "=" + as_text(pd.Series(given.to_numpy()[rows, cols]))
    detail = "outside the scale: " + cells.groupby(rows).agg(", ".join)
    return _rule(invalid.any(axis=1), detail)


def too_many_missing(values: pd.DataFrame, instrument: Instrument, max_share: float) -> Rule:
    """Rows missing more than ``max_share`` of the items of any item-level measure."""
    shares = pd.DataFrame({m: values[instrument.columns(m)].isna().mean(axis=1) for m in instrument.item_measures})
    mask = shares.max(axis=1).gt(max_share)
    n_items = len(instrument.item_ids)
    count = as_text((shares[mask].max(axis=1) * n_items).round())
    detail = shares[mask].idxmax(axis=1).astype(str) + ": " + count + f" of {n_items} items missing"
    return _rule(mask, detail + f" (max share {max_share})")


def longest_run(block: np.ndarray) -> np.ndarray:
    """Longest run of identical consecutive answers per row; a missing answer breaks a run.

    The long-string index of Johnson (2005, J. Research in Personality 39(1)); see also Meade &
    Craig (2012) and Curran (2016). The loop runs over items, each step vectorised over rows.

    Examples
    --------
    >>> longest_run(np.array([[1, 1, 2, 2, 2], [3, np.nan, 3, 3, 1], [4, 4, 4, 4, 4]])).tolist()
    [3, 2, 5]
    """
    answered = ~np.isnan(block)
    run = answered[:, 0].astype(np.int64)
    best = run.copy()
    for j in range(1, block.shape[1]):
        same = block[:, j] == block[:, j - 1]
        run = np.where(same, run + 1, answered[:, j])
        np.maximum(best, run, out=best)
    return best


def _runs(values: pd.DataFrame, instrument: Instrument, measures: list[str]) -> pd.DataFrame:
    """Longest run per row for each listed measure the instrument holds."""
    held = [m for m in dict.fromkeys(measures) if m in instrument.item_measures]
    return pd.DataFrame({m: longest_run(values[instrument.columns(m)].to_numpy()) for m in held}, index=values.index)


def _held(runs: pd.DataFrame, measures: list[str]) -> pd.DataFrame:
    return runs[[m for m in measures if m in runs.columns]]


def straightlining(runs: pd.DataFrame, n_items: int) -> Rule:
    """Rows giving the same answer to every item of any measure (Meade & Craig 2012), from the
    longest runs per row and measure (:func:`longest_run`) of measures of ``n_items`` items."""
    full = runs.eq(n_items)
    mask = full.any(axis=1)
    return _rule(mask, f"same answer to all {n_items} items of " + join_flags(full[mask]))


def long_strings(runs: pd.DataFrame, max_run: int) -> Rule:
    """Rows whose longest run of identical consecutive answers in a measure exceeds ``max_run``
    (the long-string index; Johnson 2005, Curran 2016), from the longest runs per row and measure."""
    mask = runs.max(axis=1).gt(max_run)
    longest = as_text(runs[mask].max(axis=1))
    detail = "long string: " + longest + " identical answers in a row in " + runs[mask].idxmax(axis=1).astype(str)
    return _rule(mask, detail + f" (max {max_run})")


def importance_off(points: pd.DataFrame, tolerance: float) -> Rule:
    """Rows whose importance points miss 100 by more than ``tolerance`` (unanswered rows pass)."""
    total = points.sum(axis=1)
    mask = points.notna().any(axis=1) & (total - 100).abs().gt(tolerance)
    return _rule(mask, "importance points sum to " + as_text(total[mask]))


def join_flags(flags: pd.DataFrame) -> pd.Series:
    """Per row, the names of the columns that are True, comma-separated (vectorised per column).

    Examples
    --------
    >>> join_flags(pd.DataFrame({"a": [True, False, True], "b": [True, False, False]})).tolist()
    ['a, b', '', 'a']
    """
    out = pd.Series("", index=flags.index, dtype=str)
    for name in flags.columns:
        hit = flags[name].to_numpy(bool)
        out = out.where(~hit, out + np.where(out.eq(""), "", ", ") + str(name))
    return out


def _respondent_ids(raw: RawSurvey, columns: Mapping[str, Any], salt: bytes) -> pd.Series:
    """Keyed pseudonyms of the respondent ids; ``row<line>`` where there is no id."""
    fallback = "row" + raw.line.astype(str)
    rid = columns["respondent_id"]
    if not rid:
        return fallback.astype("string")
    ids = raw.frame[rid].str.strip()
    return pseudonymise(ids.mask(ids.eq("")), salt).fillna(fallback)


def _assign(raw: RawSurvey, ids: pd.Series, rules: Mapping[str, Rule]) -> tuple[np.ndarray, pd.DataFrame]:
    """Exclude each matched row once, under its first rule in :data:`RULE_ORDER`; the detail lists
    the other rules that matched it too."""
    names = [r for r in RULE_ORDER if r in rules]
    if not names:
        empty = pd.DataFrame({c: pd.Series(dtype="string") for c in EXCLUSION_COLUMNS}).astype({"line": int})
        return np.ones(len(raw.frame), bool), empty
    hits = np.column_stack([rules[r].mask for r in names])
    rows = np.flatnonzero(hits.any(axis=1))
    first = hits[rows].argmax(axis=1)
    detail = pd.Series("", index=rows, dtype=str)
    for j, name in enumerate(names):
        own = rows[first == j]
        detail[own] = rules[name].detail[own].to_numpy()
    others = hits[rows] & (first[:, None] != np.arange(len(names)))
    also = join_flags(pd.DataFrame(others, index=rows, columns=names))
    detail = detail + np.where(also.eq(""), "", "; also: ") + also
    exclusions = pd.DataFrame(
        {
            "respondent": ids.to_numpy()[rows],
            "line": raw.line.to_numpy()[rows],
            "rule": np.array(names, dtype=object)[first],
            "detail": detail.to_numpy(),
        },
        columns=EXCLUSION_COLUMNS,
    )
    kept = np.ones(len(raw.frame), bool)
    kept[rows] = False
    return kept, exclusions.astype({"respondent": "string", "rule": "string", "detail": "string"})


# -- scoring and output --------------------------------------------------------------------------
def _set_missing(
    given: pd.DataFrame, invalid: pd.DataFrame, kept: np.ndarray, instrument: Instrument
) -> dict[str, tuple[int, str]]:
    """Cells of kept respondents set missing for being off the scale, told apart from those set
    missing for falling between the points of an integer scale (a scale declared integer for
    data that are not, such as standardized scores), each with the columns they were in."""
    within = pd.DataFrame(
        {c: given[c].between(-np.inf if scale.min is None else scale.min, np.inf if scale.max is None else scale.max)
         for c, scale in bounds(instrument).items()},
        index=given.index,
    )[given.columns]
    between_points = invalid & within
    return {
        "values outside the scale set missing": _cell_count(invalid & ~within, kept),
        "values between the points of an integer scale set missing": _cell_count(between_points, kept),
    }


def _cell_count(cells: pd.DataFrame, kept: np.ndarray) -> tuple[int, str]:
    """Number of flagged cells among kept rows, and the columns holding them with their counts."""
    per_column = cells[kept].sum()
    per_column = per_column[per_column > 0]
    return int(per_column.sum()), ", ".join(f"{c} ({n})" for c, n in per_column.items())


def _score(
    values: pd.DataFrame, kept: np.ndarray, instrument: Instrument, options: Mapping[str, Any]
) -> tuple[pd.DataFrame, dict[str, tuple[int, str]]]:
    """Reverse-key items as ``min + max - x`` (theoretical bounds) and rescale importance points to
    100 when so configured; count the cell-level changes among kept respondents."""
    reverse = [canonical(m, item) for m in instrument.item_measures for item in instrument.reverse_items]
    updates = {column: instrument.scale.reverse(values[column]) for column in reverse}
    changes: dict[str, tuple[int, str]] = {}
    if instrument.has_importance and options["importance_sum"]["action"] == "rescale":
        points = values[instrument.importance_columns]
        total = points.sum(axis=1)
        off = points.notna().any(axis=1) & (total - 100).abs().gt(options["importance_sum"]["tolerance"])
        # Points summing to 0 carry no weights to rescale: they become missing.
        rescaled = points.div(total.where(total > 0), axis=0) * 100
        updates.update(points.mask(off, rescaled).items())
        rows = "respondents' importance points"
        changes["importance points rescaled to 100"] = (int((off & total.gt(0)).to_numpy()[kept].sum()), rows)
        changes["importance points set missing (sum 0)"] = (int((off & total.eq(0)).to_numpy()[kept].sum()), rows)
    # Whole columns are replaced (no row-wise writes), so the parsed block is shared, not copied.
    return values.assign(**updates), changes


def _assemble(parsed: _Parsed, ids: pd.Series, scored: pd.DataFrame, kept: np.ndarray, columns: Mapping[str, Any],
              salt: bytes, codes: list[str], known: Iterable[str] = ()) -> pd.DataFrame:
    """Kept rows: pseudonym, line, segments (missing codes made missing, so "NA" is no level),
    duration, pseudonyms of personal data, the declared free-text columns masked (``known``:
    :func:`_known_names`), measures. Other raw columns are not carried (they may hold personal
    data nobody declared)."""
    raw, numbers = parsed.raw, parsed.numbers
    front = {"respondent": ids, "line": raw.line}
    for spec in segment_specs(columns):
        front[spec["name"]] = segment_levels(raw.frame[spec["column"]], spec, codes)
    if columns.get("duration"):
        front["duration"] = numbers["duration"]
    if columns["personal_data_action"] == "pseudonymise":
        for col in columns["personal_data"]:
            if col in raw.frame:
                text = raw.frame[col].str.strip()
                front[f"{col}_pseudonym"] = pseudonymise(text.mask(text.eq("")), salt, prefix="P")
    free_text = list(dict.fromkeys(columns.get("free_text") or []))
    if free_text:
        # Masked before the rows are cut: the names of every row's personal data, in every row.
        texts = pd.DataFrame({c: mask_column(raw.frame[c], known) for c in free_text})
    else:
        texts = pd.DataFrame(index=raw.frame.index)
    outputs = [*front, *free_text, *scored.columns]
    taken = sorted({n for n in outputs if outputs.count(n) > 1})
    if taken:
        raise SurveyFormatError(f"{raw.path}: raw columns {taken} would clash with output columns of the same name; rename them")
    # Each part is cut to the kept rows before they are joined: one copy of the frame, not two.
    parts = [pd.DataFrame(front), texts, scored]
    return pd.concat([part[kept].reset_index(drop=True) for part in parts], axis=1)


def segment_levels(text: pd.Series, spec: Mapping[str, Any], codes: list[str]) -> pd.Series:
    """A segment column as a categorical: trimmed text, missing codes missing, raw values renamed
    by the spec's value labels, levels in the spec's order (the ones it does not list follow,
    sorted)."""
    text = text.str.strip()
    text = text.mask(text.isin(codes)).replace(spec["values"])
    present = [level for level in pd.unique(text.dropna())]
    order = [level for level in spec["order"] if level in present]
    return pd.Categorical(text, categories=order + sorted(set(present) - set(order)), ordered=bool(spec["order"]))


def _warnings(
    raw: RawSurvey, responses: pd.DataFrame, mapping: Mapping[str, str], options: Mapping[str, Any], columns: Mapping[str, Any]
) -> tuple[str, ...]:
    out = []
    if len(responses) == 1:
        out.append(f"{raw.path}: only one respondent kept; analyses that need variation will fail or be skipped")
    else:
        # Column by column: selecting all measure columns at once would copy them.
        flat = {c for c in mapping.values() if not responses[c].max() > responses[c].min()}
        out += [
            f"{raw.path}: {c} (raw {r!r}) has a single value for every kept respondent (zero variance)"
            for r, c in mapping.items()
            if c in flat
        ]
    return tuple(out)


def _unapplied(columns: Mapping[str, Any], options: Mapping[str, Any]) -> dict[str, str]:
    """Rules switched on in the config that cannot apply to this study, with the reason."""
    out = {}
    if options["duplicate_ids"] and not columns["respondent_id"]:
        out["duplicate_id"] = "no respondent id column is configured in columns.respondent_id"
    if options["speeders"]["enabled"] and not columns.get("duration"):
        out["speeder"] = "no duration column is configured in columns.duration"
    return out


def _summary(
    raw: RawSurvey,
    exclusions: pd.DataFrame,
    kept: int,
    applied: list[str],
    unapplied: Mapping[str, str],
    changes: Mapping[str, tuple[int, str]],
) -> pd.DataFrame:
    """Flow table (rules switched off are not listed; rules switched on that could not apply are,
    with every row read left unchecked); checks that every row read is kept or excluded once."""
    read = len(raw.frame)
    counts = exclusions["rule"].value_counts()
    if read != kept + len(exclusions) or not exclusions["line"].is_unique:
        raise CleaningError(f"{raw.path}: row conservation failed: {read} read != {kept} kept + {len(exclusions)} excluded")
    rows = [("read", "rows read", read, "")]
    rows += [("excluded", rule, int(counts.get(rule, 0)), "") for rule in RULE_ORDER if rule in applied]
    rows += [("not_applied", rule, read, reason) for rule, reason in unapplied.items()]
    rows += [("kept", "respondents kept", kept, "")]
    rows += [("cells", what, n, detail) for what, (n, detail) in changes.items()]
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


def _flow_text(summary: pd.DataFrame, cells: Mapping[str, tuple[int, str]]) -> str:
    """The flow in words, for an error: rows read, exclusions by rule, and the cells set missing
    in all rows, which can be what emptied the wave (an integer scale declared for decimal data)."""
    parts = [f"{summary['n'].iloc[0]} read"]
    parts += [f"{r} {n}" for r, n in summary.loc[summary["step"] == "excluded", ["rule", "n"]].values if n]
    parts += [f"{n} {what}: {detail}" for what, (n, detail) in cells.items() if n]
    return "; ".join(parts)


def provenance(raw: RawSurvey, result: CleaningResult, config: Mapping[str, Any]) -> dict[str, Any]:
    """What provenance.json records: the raw file (checksum, size, encoding, reader and what the
    reader kept, e.g. SPSS value labels), the counts, the warnings, the config values used and the
    software versions."""
    return {
        "raw": {
            "path": raw.path,
            "sha256": raw.sha256,
            "bytes": raw.size,
            "encoding": raw.encoding,
            "reader": raw.reader,
            **raw.metadata,
        },
        "counts": {
            "read": len(raw.frame),
            "kept": len(result.responses),
            "excluded": len(result.exclusions),
        },
        "warnings": list(result.warnings),
        "config": dict(config),
        "software": {name: version(name) for name in ("servqual", "pandas", "pyarrow", "pandera")},
    }


def write_outputs(result: CleaningResult, paths: Mapping[str, str | Path], record: Mapping[str, Any]) -> None:
    """Write ``responses`` (parquet), ``exclusions`` and ``cleaning_summary`` (CSV) and ``provenance`` (JSON),
    all or nothing.

    Each file is written next to its target under a temporary name and renamed only when all four
    are complete, so a failure never leaves a partial set behind.
    """
    writers = {
        "responses": lambda path: result.responses.to_parquet(path, index=False),
        "exclusions": lambda path: write_table(result.exclusions, path),
        "cleaning_summary": lambda path: write_table(result.summary, path),
        "provenance": lambda path: Path(path).write_text(json.dumps(record, indent=2, ensure_ascii=False), encoding="utf-8"),
    }
    partial = {name: Path(paths[name]).with_name(f".{Path(paths[name]).name}.partial") for name in writers}
    try:
        for name, write in writers.items():
            write(partial[name])
        for name, path in partial.items():
            os.replace(path, paths[name])
    finally:
        for path in partial.values():
            path.unlink(missing_ok=True)
