"""Cautions: every condition in a wave's tables that a careful reviewer would flag, in plain words.

Each problem a table records (a status and its reason, a flag, a criterion not met, a rule that
could not apply, a level too small to test) becomes one row naming what it concerns, so that the
report's Cautions section is written from the tables of the run and from nothing else. The texts
of the statuses are in :data:`STATUS_TEXT`; a test checks that every status the model-fitting
modules can write has one.

Rules of thumb used (each named in the text it produces):

- exclusions: more than :data:`EXCLUSION_SHARE_LIMIT` of the rows read;
- CFA sample size: at least 200 respondents (Kline 2016) and 5 per estimated parameter (Bentler
  & Chou 1987, Sociological Methods & Research 16(1));
- TLI above 1: the index is not bounded and overshoots in small samples (Hu & Bentler 1999);
- AVE >= .50, CR >= .70, Fornell–Larcker and HTMT as ``cfa_validity`` records them.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

#: Columns of the cautions table.
CAUTION_COLUMNS = ["topic", "concerns", "kind", "text"]

#: Share of the rows read above which the exclusions themselves are a caution.
EXCLUSION_SHARE_LIMIT = 0.20

#: Smallest CFA sample, and respondents per estimated parameter, before a caution.
CFA_MIN_N = 200
CFA_N_PER_PARAMETER = 5

#: Text of every status other than ``ok`` that ``cfa_fit`` or ``invariance`` can hold; ``{subject}``
#: is the model and ``{reason}`` the table's reason column.
STATUS_TEXT = {
    "heywood": "{subject} has an improper solution, a Heywood case ({reason}); its fit and loadings "
    "are shown but should not be interpreted.",
    "latent_correlation": "{subject} has an improper solution: {reason}. Respondents do not tell these "
    "dimensions apart, so their scores and gaps are not separate findings.",
    "not_converged": "{subject} did not converge ({reason}); its numbers come from the last iteration "
    "and should not be interpreted.",
    "not_positive_definite": "{subject} could not be fitted: {reason}.",
    "not_identified": "{subject} could not be estimated: {reason}.",
    "failed": "{subject} could not be fitted: {reason}.",
    "too_few_groups": "{subject} was not assessed: {reason}.",
}

_MODEL_NAMES = {
    "instrument": "the model of the instrument's dimensions",
    "one_factor": "the one-factor model",
    "second_order": "the second-order model",
}
_VALIDITY_TEXT = {
    "ave": "Average variance extracted of {a} is {value:.3f}, below {criterion:.2f}: its items share "
    "less variance with the dimension than with error (convergent validity).",
    "cr": "Composite reliability of {a} is {value:.3f}, below {criterion:.2f}.",
    "fornell_larcker": "Discriminant validity fails for {a} and {b} by the Fornell–Larcker criterion: "
    "their latent correlation {value:.3f} is not below the square root of the smaller AVE ({criterion:.3f}).",
    "htmt": "Discriminant validity fails for {a} and {b}: HTMT {value:.2f} is not below {criterion:.2f}.",
}


def wave_cautions(tables: Mapping[str, pd.DataFrame], flow: pd.DataFrame) -> pd.DataFrame:
    """Every caution of one wave, in the order of the report's sections.

    Parameters
    ----------
    tables
        Table name (as in ``reports/<wave>/tables/<name>.csv``) -> table; a missing or empty table
        contributes nothing.
    flow
        The wave's ``cleaning_summary.csv`` (step, rule, n, detail).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`CAUTION_COLUMNS`: ``topic`` (report section), ``concerns`` (the measure,
        dimension, item, pair or rule), ``kind`` (a short key) and ``text`` (a sentence).

    Examples
    --------
    >>> flow = pd.DataFrame({"step": ["read", "not_applied", "kept"], "rule": ["rows read", "speeder", "kept"],
    ...                      "n": [50, 50, 50], "detail": ["", "no duration column is configured", ""]})
    >>> wave_cautions({}, flow)["text"].tolist()
    ['The speeder rule is switched on but could not be applied, as no duration column is configured: none of the 50 rows was checked by it.']
    """
    get = lambda name: tables.get(name, pd.DataFrame())  # noqa: E731
    rows = [
        *_cleaning(flow),
        *_reliability(get("reliability"), get("item_reliability")),
        *_efa(get("efa_fit")),
        *_cfa(get("cfa_fit")),
        *_validity(get("cfa_validity")),
        *_segments(get("segments")),
        *_agreement(get("coder_agreement")),
        *_complaint_problems(get("complaint_problems")),
    ]
    return pd.DataFrame(rows, columns=CAUTION_COLUMNS)


def invariance_cautions(invariance: pd.DataFrame) -> pd.DataFrame:
    """Cautions of the cross-wave invariance table: models not assessed or improper, and levels
    whose invariance was rejected (means not comparable across those groups)."""
    rows = []
    for (grouping, measure), part in invariance.groupby(["grouping", "measure"], sort=False):
        subject = f"Measurement invariance of {measure} across {grouping}"
        failed = part[part["status"] != "ok"]
        for (status, reason), same in failed.groupby(["status", "reason"], sort=False, dropna=False):
            levels = ", ".join(same["level"])
            rows.append(_status_row("invariance", f"{measure}, {grouping}", status,
                                    f"{subject} ({levels} {'level' if len(same) == 1 else 'levels'})", reason))
        rejected = part[part["decision"] == "rejected"]
        if len(rejected):
            level = rejected["level"].iloc[0]
            rows.append(("invariance", f"{measure}, {grouping}", "invariance_rejected",
                         f"{subject}: {level} invariance is rejected, so differences in means across "
                         f"{grouping} may reflect how items work rather than service quality."))
    return pd.DataFrame(rows, columns=CAUTION_COLUMNS)


def _status_row(topic: str, concerns: str, status: str, subject: str, reason: object) -> tuple:
    # The status already says the solution is improper; the reason need not repeat it.
    reason = reason.removeprefix("improper solution: ") if isinstance(reason, str) and reason else "no reason recorded"
    text = STATUS_TEXT[status].format(subject=subject, reason=reason)
    return topic, concerns, status, text[0].upper() + text[1:]


def _cleaning(flow: pd.DataFrame) -> list[tuple]:
    rows = []
    if flow.empty:
        return rows
    read = int(flow.loc[flow["step"] == "read", "n"].iloc[0])
    for row in flow[flow["step"] == "not_applied"].itertuples():
        rows.append(("data", row.rule, "rule_not_applied",
                     f"The {row.rule.replace('_', ' ')} rule is switched on but could not be applied, as "
                     f"{row.detail}: none of the {read} rows was checked by it."))
    for row in flow[(flow["step"] == "cells") & (flow["n"] > 0)].itertuples():
        if "set missing" in row.rule:
            rows.append(("data", row.detail, "cells_set_missing",
                         f"{row.n} {row.rule} (by column: {row.detail})."))
    # Rows the study's own filters leave out define its population, not a loss of respondents:
    # the share counts the exclusions among the rows that passed them.
    excluded = flow[flow["step"] == "excluded"]
    filtered = int(excluded.loc[excluded["rule"] == "filter", "n"].sum())
    lost, eligible = int(excluded["n"].sum()) - filtered, read - filtered
    if eligible and lost / eligible > EXCLUSION_SHARE_LIMIT:
        of = f"{eligible} rows that passed the study's filters" if filtered else f"{read} rows"
        rows.append(("data", "exclusions", "many_exclusions",
                     f"{lost} of {of} ({lost / eligible:.0%}) were excluded, more than "
                     f"{EXCLUSION_SHARE_LIMIT:.0%}: the respondents kept may no longer represent the sample."))
    return rows


def _flagged(table: pd.DataFrame) -> pd.DataFrame:
    """Rows whose ``flags`` column says something."""
    return table[table["flags"].astype("string").fillna("") != ""] if "flags" in table else table.iloc[:0]


def _reliability(scales: pd.DataFrame, items: pd.DataFrame) -> list[tuple]:
    rows = []
    for row in _flagged(scales).itertuples():
        where = "the whole scale" if row.dimension == "all" else row.dimension
        rows.append(("reliability", f"{row.measure}, {where}", "reliability_flag",
                     f"Reliability of {row.measure}, {where}: {row.flags}."))
    # One flag shared by several items of a measure (a 3-item dimension leaves omega undefined for
    # each item dropped) is one caution naming the items, not one per item.
    flagged = _flagged(items)
    for (measure, flags), part in (flagged.groupby(["measure", "flags"], sort=False) if len(flagged) else ()):
        names = ", ".join(part["item"].astype(str))
        rows.append(("reliability", f"{measure}, {names}", "item_flag",
                     f"{'Item' if len(part) == 1 else 'Items'} {names} ({measure}): {flags}."))
    return rows


def _efa(fit: pd.DataFrame) -> list[tuple]:
    if fit.empty:
        return []
    return [("factor structure", row.measure, "efa_warning",
             f"Exploratory factor analysis of {row.measure}: {row.status}.")
            for row in fit[fit["status"].fillna("ok") != "ok"].itertuples()]


def _cfa(fit: pd.DataFrame) -> list[tuple]:
    rows = []
    for row in fit.itertuples() if len(fit) else ():
        subject = f"the CFA of {row.measure}, {_MODEL_NAMES.get(row.model, row.model)},"
        if row.status != "ok":
            rows.append(_status_row("factor structure", f"{row.measure}, {row.model}", row.status, subject,
                                    row.reason))
        if row.model != "instrument" or pd.isna(row.n):
            continue
        needed = max(CFA_MIN_N, CFA_N_PER_PARAMETER * int(row.npar)) if pd.notna(row.npar) else CFA_MIN_N
        if row.n < needed:
            rows.append(("factor structure", row.measure, "small_sample",
                         f"The CFA of {row.measure} rests on {int(row.n)} respondents for {int(row.npar)} estimated "
                         f"parameters; at least {needed} are advised (200, and 5 per parameter: Kline 2016; "
                         "Bentler & Chou 1987), so its fit indices and loadings are imprecise."))
        if pd.notna(row.tli) and row.tli > 1:
            rows.append(("factor structure", row.measure, "tli_above_1",
                         f"TLI of the CFA of {row.measure} is {row.tli:.3f}, above 1, which happens in small "
                         "samples; read the fit indices with care rather than as perfect fit."))
    return rows


def _validity(validity: pd.DataFrame) -> list[tuple]:
    if validity.empty:
        return []
    failed = validity[validity["ok"].astype("boolean").eq(False).fillna(False)]
    rows = []
    for row in failed.itertuples():
        b = row.dimension_b if isinstance(row.dimension_b, str) else ""
        pair = f"{row.dimension_a}–{b}" if b else row.dimension_a
        text = _VALIDITY_TEXT[row.kind].format(a=row.dimension_a, b=b, value=row.value, criterion=row.criterion)
        rows.append(("factor structure", f"{row.measure}, {pair}", row.kind, f"{row.measure.capitalize()}: {text}"))
    return rows


def _segments(segments: pd.DataFrame) -> list[tuple]:
    if segments.empty or "tested" not in segments:
        return []
    rows = []
    for segment, part in segments.groupby("segment", sort=False):
        handled = part["small_level_list"].dropna().astype(str) if "small_level_list" in part else pd.Series()
        if len(handled) and handled.iloc[0]:
            what = "pooled into one level 'other'" if part["small_levels"].iloc[0] == "pool" else "left out"
            rows.append(("segments", segment, f"segment_levels_{part['small_levels'].iloc[0]}",
                         f"Segment {segment}: levels smaller than {part['min_cell'].iloc[0]:.0f} respondents were "
                         f"{what}: {handled.iloc[0]}."))
        tested = part["tested"].astype(bool)
        small = part.loc[~tested, ["level_value", "n"]].drop_duplicates("level_value")
        if small.empty:
            continue
        levels = ", ".join(f"{level} (n = {n:.0f})" for level, n in small.itertuples(index=False))
        text = (f"Segment {segment}: levels too small to test were left out of its comparisons: {levels}."
                if tested.any() else
                f"Segment {segment} was not compared at all: fewer than two of its levels are large enough "
                f"to test ({levels}).")
        rows.append(("segments", segment, "segment_levels_not_tested", text))
    return rows


def _agreement(agreement: pd.DataFrame) -> list[tuple]:
    if agreement.empty:
        return []
    overall = agreement[agreement["scope"] == "overall"] if "scope" in agreement else agreement.iloc[:0]
    rows = []
    for row in overall.itertuples():
        if row.alpha_verdict in ("tentative", "insufficient"):
            rows.append(("interviews", "coder agreement", "coder_agreement",
                         f"Agreement between coders (Krippendorff's alpha {row.krippendorff_alpha:.2f}) is "
                         f"{row.alpha_verdict}: codes supported by one coder only are tentative."))
    return rows


def _complaint_problems(problems: pd.DataFrame) -> list[tuple]:
    if problems.empty:
        return []
    counts = problems["problem"].value_counts()
    listed = "; ".join(f"{problem} ({n})" for problem, n in counts.items())
    return [("complaints", "complaint log", "complaint_log_faults",
             f"The complaint log has {len(problems)} faulty entries, kept and flagged: {listed}.")]
