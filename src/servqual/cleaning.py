"""Cleaning: missing codes, range checks, reverse scoring and respondent exclusions with reasons.

Every row read is either kept or excluded under exactly one rule; a respondent matched by several
rules is counted under the first rule in :data:`RULE_ORDER` and the others are listed in the
detail. ``rows read = kept + excluded`` is checked on every run. Careless-responding screens follow
Meade & Craig (2012, Psychological Methods 17(3)) and Curran (2016, J. Experimental Social
Psychology 66).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from servqual.instrument import OVERALL, Instrument, canonical
from servqual.io import RawSurvey, SurveyFormatError
from servqual.privacy import pseudonymise

RULE_ORDER = (
    "duplicate_id",
    "duplicate_responses",
    "attention_check",
    "speeder",
    "out_of_range",
    "too_many_missing",
    "straightlining",
    "importance_sum",
)


class CleaningError(ValueError):
    """Cleaning cannot produce a usable wave (e.g. no respondent left)."""


@dataclass(frozen=True)
class CleaningResult:
    """Kept respondents (canonical columns), the exclusion log and the flow table."""

    responses: pd.DataFrame
    exclusions: pd.DataFrame
    summary: pd.DataFrame


def _first_rows(path: str, column: str, lines: pd.Series, what: str) -> str:
    shown = ", ".join(str(x) for x in lines.head(5))
    return f"{path}: column {column!r} {what} in {len(lines)} rows (first at lines {shown})"


def to_numeric(raw: RawSurvey, columns: Mapping[str, str], missing_codes: list[str]) -> pd.DataFrame:
    """Parse the measure columns after removing missing codes; text left over is an error."""
    missing = {str(c).strip() for c in missing_codes} | {""}
    absent = [raw_name for raw_name in columns if raw_name not in raw.frame.columns]
    if absent:
        raise SurveyFormatError(f"{raw.path}: missing required columns {absent}")
    out = {}
    for raw_name, canon in columns.items():
        text = raw.frame[raw_name].str.strip()
        text = text.mask(text.isin(missing))
        values = pd.to_numeric(text, errors="coerce")
        bad = values.isna() & text.notna()
        if bad.any():
            raise SurveyFormatError(_first_rows(raw.path, raw_name, raw.line[bad], "is not numeric"))
        out[canon] = values.astype(float)
    return pd.DataFrame(out)


def clean_survey(
    raw: RawSurvey,
    instrument: Instrument,
    columns: Mapping[str, Any],
    options: Mapping[str, Any],
    salt: bytes,
) -> CleaningResult:
    """Clean one wave.

    Parameters
    ----------
    raw
        The raw export (text) from :func:`servqual.io.read_survey`.
    instrument
        Items, dimensions, measures and the raw column names.
    columns
        ``respondent_id``, ``duration``, ``segments``, ``personal_data``, ``personal_data_action``.
    options
        The ``cleaning`` config section.
    salt
        Secret for the respondent pseudonyms.

    Returns
    -------
    CleaningResult
        ``responses``: ``respondent`` (pseudonym), ``line``, segments, ``duration`` and canonical
        measure columns, reverse-scored; ``exclusions``: respondent, line, rule, detail;
        ``summary``: step, rule, n.
    """
    mapping = instrument.raw_to_canonical()
    values = to_numeric(raw, mapping, options["missing_codes"])
    out_of_range = _out_of_range(values, instrument)
    n_out = int(out_of_range.to_numpy().sum())
    values = values.mask(out_of_range)
    scale = instrument.scale
    for item in instrument.reverse_items:
        for measure in instrument.item_measures:
            col = canonical(measure, item)
            values[col] = scale.reverse(values[col])
    rules = _rule_masks(raw, instrument, values, out_of_range.any(axis=1), columns, options)
    kept, exclusions = _assign_rules(raw, rules, columns, salt)
    if instrument.has_importance and options["importance_sum"]["action"] == "rescale":
        imp = values[instrument.importance_columns]
        values[instrument.importance_columns] = imp.div(imp.sum(axis=1), axis=0) * 100
    responses = _assemble(raw, values, kept, columns, salt)
    if responses.empty:
        raise CleaningError(f"{raw.path}: no respondent left after exclusions ({len(raw.frame)} read)")
    summary = _summary(len(raw.frame), exclusions, len(responses), n_out, options)
    return CleaningResult(responses, exclusions, summary)


def _out_of_range(values: pd.DataFrame, instrument: Instrument) -> pd.DataFrame:
    """Cells outside their theoretical bounds: the rating scale, the overall item's scale, and
    0..100 for importance points."""
    low = pd.Series(instrument.scale.min, index=values.columns, dtype=float)
    high = pd.Series(instrument.scale.max, index=values.columns, dtype=float)
    if instrument.has_overall:
        low[OVERALL], high[OVERALL] = instrument.overall_scale.min, instrument.overall_scale.max
    if instrument.has_importance:
        low[instrument.importance_columns], high[instrument.importance_columns] = 0.0, 100.0
    return values.lt(low, axis=1) | values.gt(high, axis=1)


def _rule_masks(
    raw: RawSurvey,
    instrument: Instrument,
    values: pd.DataFrame,
    any_out_of_range: pd.Series,
    columns: Mapping[str, Any],
    options: Mapping[str, Any],
) -> dict[str, tuple[pd.Series, pd.Series]]:
    """Per rule: a boolean mask of matched rows and a detail text per row."""
    masks: dict[str, tuple[pd.Series, pd.Series]] = {}
    empty = pd.Series("", index=values.index)
    rid = columns["respondent_id"]
    if options["duplicate_ids"] and rid:
        if rid not in raw.frame.columns:
            raise SurveyFormatError(f"{raw.path}: missing required columns [{rid!r}]")
        masks["duplicate_id"] = (raw.frame[rid].duplicated(), empty + "id seen on an earlier row")
    if options["duplicate_responses"]:
        dup = values[instrument.rating_columns()].duplicated()
        masks["duplicate_responses"] = (dup, empty + "same answers as an earlier row")
    failed = pd.Series(False, index=values.index)
    for check in options["attention_checks"]:
        answer = pd.to_numeric(raw.frame[check["column"]], errors="coerce")
        failed |= answer != check["expected"]
    masks["attention_check"] = (failed, empty + "attention check failed")
    speeders = options["speeders"]
    if speeders["enabled"] and columns.get("duration"):
        seconds = pd.to_numeric(raw.frame[columns["duration"]], errors="coerce")
        limit = max(speeders["min_seconds"], speeders["min_median_fraction"] * seconds.median())
        masks["speeder"] = (seconds < limit, "duration " + seconds.astype(str) + f" s < {limit:.0f} s")
    if options["out_of_range"] == "exclude":
        masks["out_of_range"] = (any_out_of_range, empty + "value outside the scale")
    if options["max_missing_share"] is not None:
        share = pd.concat(
            [values[instrument.columns(m)].isna().mean(axis=1) for m in instrument.item_measures], axis=1
        ).max(axis=1)
        masks["too_many_missing"] = (
            share > options["max_missing_share"],
            "missing share " + share.round(2).astype(str),
        )
    straight = options["straightlining"]
    if straight["enabled"]:
        hit = pd.Series(False, index=values.index)
        for measure in straight["measures"]:
            if measure in instrument.item_measures:
                block = values[instrument.columns(measure)]
                hit |= (block.nunique(axis=1) == 1) & (block.notna().sum(axis=1) == block.shape[1])
        masks["straightlining"] = (hit, empty + "same answer to every item")
    if instrument.has_importance and options["importance_sum"]["action"] == "exclude":
        total = values[instrument.importance_columns].sum(axis=1)
        off = (total - 100).abs() > options["importance_sum"]["tolerance"]
        masks["importance_sum"] = (off, "points sum to " + total.astype(str))
    return masks


def _assign_rules(
    raw: RawSurvey, masks: Mapping[str, tuple[pd.Series, pd.Series]], columns: Mapping[str, Any], salt: bytes
) -> tuple[np.ndarray, pd.DataFrame]:
    names = [r for r in RULE_ORDER if r in masks]
    if not names:
        return np.ones(len(raw.frame), bool), pd.DataFrame(columns=["respondent", "line", "rule", "detail"])
    hits = np.column_stack([masks[r][0].fillna(False).to_numpy(bool) for r in names])
    excluded = hits.any(axis=1)
    first = hits.argmax(axis=1)
    rows = np.flatnonzero(excluded)
    details = []
    for row in rows:
        own = masks[names[first[row]]][1].iloc[row]
        others = [names[j] for j in np.flatnonzero(hits[row]) if j != first[row]]
        details.append(own + (f"; also: {', '.join(others)}" if others else ""))
    ids = _respondent_ids(raw, columns, salt)
    exclusions = pd.DataFrame(
        {
            "respondent": ids.iloc[rows].to_numpy(),
            "line": raw.line.iloc[rows].to_numpy(),
            "rule": [names[first[r]] for r in rows],
            "detail": details,
        }
    )
    return ~excluded, exclusions


def _respondent_ids(raw: RawSurvey, columns: Mapping[str, Any], salt: bytes) -> pd.Series:
    rid = columns["respondent_id"]
    if rid and rid in raw.frame.columns:
        return pseudonymise(raw.frame[rid], salt)
    return pd.Series([f"row{line}" for line in raw.line], dtype="string")


def _assemble(
    raw: RawSurvey, values: pd.DataFrame, kept: np.ndarray, columns: Mapping[str, Any], salt: bytes
) -> pd.DataFrame:
    front = pd.DataFrame({"respondent": _respondent_ids(raw, columns, salt), "line": raw.line})
    for segment in columns["segments"]:
        if segment not in raw.frame.columns:
            raise SurveyFormatError(f"{raw.path}: missing segment column {segment!r}")
        front[segment] = raw.frame[segment].astype("category")
    if columns.get("duration"):
        front["duration"] = pd.to_numeric(raw.frame[columns["duration"]], errors="coerce")
    if columns["personal_data_action"] == "pseudonymise":
        for col in columns["personal_data"]:
            front[f"{col}_pseudonym"] = pseudonymise(raw.frame[col], salt, prefix="P")
    return pd.concat([front, values], axis=1).loc[kept].reset_index(drop=True)


def _summary(read: int, exclusions: pd.DataFrame, kept: int, n_out: int, options: Mapping[str, Any]) -> pd.DataFrame:
    counts = exclusions["rule"].value_counts()
    rows = [("read", "rows read", read)]
    rows += [("excluded", rule, int(counts.get(rule, 0))) for rule in RULE_ORDER]
    rows += [("kept", "respondents kept", kept)]
    rows += [("cells", f"out-of-range values ({options['out_of_range']})", n_out)]
    if read != kept + len(exclusions):
        raise CleaningError(f"row conservation failed: {read} read != {kept} kept + {len(exclusions)} excluded")
    return pd.DataFrame(rows, columns=["step", "rule", "n"])
