"""Complaint registers as a third evidence source beside the survey and the interviews.

A complaint log (counter register, suggestion box, phone log, written and online complaints) is
read with its line numbers, validated, coded to SERVQUAL dimensions (Parasuraman, Zeithaml &
Berry 1988, J. Retailing 64(1)) and Gaps Model provider gaps (1 knowledge, 2 standards, 3
delivery, 4 communication; Zeithaml, Berry & Parasuraman 1988, J. Marketing 52(2)), counted per
period with c- or u-chart limits (Montgomery 2019, Introduction to Statistical Quality Control,
8th ed., Wiley, section 7.3), and checked against the organisation's response-time promises.

Coding: a complaint whose manual code cell holds codebook codes takes their dimensions and
provider gaps (``coded_by = manual``); otherwise the codebook's bilingual keyword dictionary is
matched on its text (``keywords``, the same whole-token matching as interview suggestions); a
complaint neither way is ``unmapped`` and stays in every count.

Bad input is reported, never repaired: timestamps that do not parse, lie before the study or in
the future, events out of order, timestamps of one complaint in different time zones, duplicated ids, missing ids, channels without a promise and codes outside the
codebook are rows of the ``problems`` table (line, column as named in the log, value, problem);
the complaint itself is kept. Missing columns or an unreadable file raise
:class:`servqual.io.SurveyFormatError` naming the file and the column.

Privacy: only the mapped columns are read through (a customer's name or phone column in the log
never reaches an output); staff ids become keyed pseudonyms, also where a text mentions them, and
phone numbers, e-mail addresses and ID numbers in texts are masked.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from servqual.codebook import PROVIDER_GAPS, Codebook, keyword_hits, load_codebook
from servqual.io import SurveyFormatError, read_survey
from servqual.privacy import mask_names, mask_text, pseudonymise

#: Fields of a complaint log (key of ``complaints.columns`` in the config -> meaning).
FIELDS = {
    "id": "complaint id",
    "received": "received timestamp",
    "channel": "channel (counter, box, phone, written, online, ...)",
    "branch": "branch",
    "department": "department",
    "category": "category as recorded",
    "text": "complaint text",
    "first_response": "first-response timestamp",
    "resolved": "resolution timestamp",
    "outcome": "outcome",
    "staff": "staff id (pseudonymised)",
    "first_contact": "resolved at first contact (yes or no)",
}
#: Fields that may be mapped to null (the log lacks them).
OPTIONAL_FIELDS = ("staff", "first_contact")
#: Optional fields a log is taken not to have unless ``complaints.columns`` names their column.
UNMAPPED_BY_DEFAULT = ("first_contact",)
#: Answers of the first-contact column (compared lower-case, trimmed); empty = not recorded.
FIRST_CONTACT = {**dict.fromkeys(("yes", "y", "true", "1", "是", "예"), True),
                 **dict.fromkeys(("no", "n", "false", "0", "否", "아니오", "아니요"), False)}
TIMESTAMPS = ("received", "first_response", "resolved")
#: The two time-to-X measures and the timestamp each one ends at.
STAGES = {"response": "first_response", "resolution": "resolved"}
MANUAL, KEYWORDS, UNMAPPED = "manual", "keywords", "unmapped"
UNMAPPED_ROW = "(unmapped)"
LEVELS = ("all", "dimension", "provider_gap", "category", "channel", "branch", "department")

COMPLAINT_COLUMNS = [
    "complaint", "line", "received", "period", "channel", "branch", "department", "category", "text",
    "first_response", "resolved", "outcome", "staff", "first_contact", "codes", "dimensions", "provider_gaps", "coded_by",
    "keywords", "exposure", "response_hours", "response_status", "resolution_hours", "resolution_status",
    "open_at_end", "overdue_open", "problems",
]
PROBLEM_COLUMNS = ["line", "complaint", "column", "value", "problem"]
MONTHLY_COLUMNS = [
    "period", "level", "value", "count", "exposure", "share", "chart", "statistic", "centre", "lcl", "ucl",
    "signal",
]
DIMENSION_COLUMNS = [
    "dimension", "n_complaints", "share", "n_manual", "n_keywords", "top_provider_gaps", "first_half",
    "second_half", "trend", "trend_p", "example_complaint", "example",
]
PARETO_COLUMNS = ["category", "n_complaints", "share", "cumulative_share", "vital_few"]
RESPONSE_COLUMNS = [
    "channel", "n", *[f"{stage}_{c}" for stage in STAGES for c in (
        "promise_hours", "done", "on_time", "late", "pending", "share_on_time", "median_hours", "p90_hours")],
    "open_at_end", "overdue_open", "as_of",
]


# --------------------------------------------------------------------------- reading


def read_complaint_log(
    path: str | Path,
    columns: Mapping[str, str | None],
    *,
    manual_code: str | None = None,
    exposure: str | None = None,
    encoding: str | None = None,
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Read a complaint log (CSV or XLSX; UTF-8 with or without BOM, GBK/GB18030) as text.

    Parameters
    ----------
    path
        The log; its extension chooses the reader (see :func:`servqual.io.read_survey`).
    columns
        Field -> column name in the log, for the fields of :data:`FIELDS` (``staff`` may be
        None).
    manual_code, exposure
        Columns holding manual codes (codebook code ids, ``;``-separated) and the period's
        exposure (e.g. visits to the branch that month); None when the log has none.

    Returns
    -------
    (log, names)
        ``log``: one text column per field (plus ``code`` and ``exposure`` when mapped) and
        ``line`` (raw line number); other columns of the file are not read through. ``names``:
        field -> column name in the log, for messages.

    Raises
    ------
    SurveyFormatError
        An unreadable file, or a mapped column missing from it (naming the config key).
    """
    unknown = set(columns) - set(FIELDS)
    if unknown:
        raise ValueError(f"complaints.columns: unknown field(s) {', '.join(sorted(unknown))}; use {', '.join(FIELDS)}.")
    names = {f: columns.get(f, None if f in UNMAPPED_BY_DEFAULT else f) for f in FIELDS}
    names = {f: c for f, c in names.items() if c is not None or f not in OPTIONAL_FIELDS}
    names |= {k: c for k, c in (("code", manual_code), ("exposure", exposure)) if c}
    raw = read_survey(path, encoding=encoding)
    missing = {f: c for f, c in names.items() if c not in raw.frame.columns}
    if missing:
        shown = "; ".join(f"{c!r} (complaints.{'columns.' + f if f in FIELDS else f})" for f, c in missing.items())
        raise SurveyFormatError(
            f"{path}: complaint log lacks column(s) {shown}; its columns are {list(raw.frame.columns)}"
        )
    log = pd.DataFrame({f: raw.frame[c].str.strip() for f, c in names.items()})
    return log.assign(line=raw.line.to_numpy()), names


#: A time-zone designator at the end of a timestamp: ``Z``, ``UTC``/``GMT`` or an offset
#: (``+08:00``, ``+0800``, ``-05``).
ZONE = re.compile(r"\s*(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)$", re.IGNORECASE)


def parse_timestamps(values: pd.Series) -> pd.Series:
    """Timestamps as written in registers (``2026-03-02 09:15``, ``2026/3/2 9:15``,
    ``2026年3月2日 9:15``, Excel's ``2026-03-02 09:15:00``), each cell on its own; NaT where a
    value does not parse. A time-zone designator (``Z``, ``+08:00``) is set aside
    (:func:`timestamp_zones` returns it): the time is read as the clock showed it where it was
    written, so a log that mixes zones, or zones and none, parses instead of stopping the job.

    Examples
    --------
    >>> parse_timestamps(pd.Series(["2026/3/2 9:15", "2026年3月2日 14:00", "2026-02-30 10:00", "",
    ...                             "2026-03-02T09:00+08:00", "2026-03-02 09:00Z"])).tolist()
    [Timestamp('2026-03-02 09:15:00'), Timestamp('2026-03-02 14:00:00'), NaT, NaT, Timestamp('2026-03-02 09:00:00'), Timestamp('2026-03-02 09:00:00')]
    """
    text = values.fillna("").str.strip()
    text = text.str.replace(r"(\d{4})年(\d{1,2})月(\d{1,2})日?", r"\1-\2-\3", regex=True).str.replace("/", "-")
    # Year first, always: a register never writes day-first dates, and "mixed" would guess per cell.
    dated = text.where(text.str.match(r"^\d{4}-\d{1,2}-\d{1,2}(\s|T|$)"), "").str.replace(ZONE, "", regex=True)
    return pd.Series(pd.to_datetime(dated, format="mixed", errors="coerce"), index=values.index)


def timestamp_zones(values: pd.Series) -> pd.Series:
    """The time-zone designator each timestamp carries, as written, upper case ("" for none).

    Examples
    --------
    >>> timestamp_zones(pd.Series(["2026-03-02T09:00+08:00", "2026-03-02 09:00", "2026-03-02 09:00z"])).tolist()
    ['+08:00', '', 'Z']
    """
    return values.fillna("").str.strip().str.extract(ZONE, expand=False).fillna("").str.upper()


# --------------------------------------------------------------------------- validation


def _problem(log: pd.DataFrame, mask: pd.Series, column: str, values: pd.Series, text: str | pd.Series) -> pd.DataFrame:
    return pd.DataFrame({"line": log.loc[mask, "line"], "complaint": log.loc[mask, "id"], "column": column,
                         "value": values[mask], "problem": text if isinstance(text, str) else text[mask]})


#: Pairs of timestamps that must come in this order (a later one may equal the earlier).
ORDER = (("received", "first_response"), ("received", "resolved"), ("first_response", "resolved"))


def validate_complaints(
    log: pd.DataFrame, names: Mapping[str, str], promises: Mapping[str, Mapping[str, float | None]],
    *, earliest: pd.Timestamp | None = None, latest: pd.Timestamp | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Parse timestamps and list every fault of the log; faulty complaints are kept as they are.

    Faults, each a row naming its rule: a missing or duplicated complaint id, a missing received
    timestamp, a timestamp that does not parse, one before ``earliest`` (before the study) or
    after ``latest`` (in the future), events out of order (any pair of receipt, first response
    and resolution, :data:`ORDER`), timestamps of one complaint written in different time zones
    (or some with a zone, some without), a channel without a promise, an exposure that is not a
    non-negative number, a first-contact answer that is not yes or no (:data:`FIRST_CONTACT`).

    Values that cannot be right are kept out of the analyses they would distort: a timestamp out
    of the window becomes NaT (a received one takes the complaint out of the period counts); a
    pair out of order, or zones that differ, leave the later stages out of the response times
    (receipt before both: the stage before receipt; first response after resolution, or
    differing zones: both stages).

    Returns
    -------
    (complaints, problems)
        ``complaints``: the log with parsed timestamps and ``exposure`` as a number;
        ``problems``: :data:`PROBLEM_COLUMNS`, ``column`` named as in the log.

    Examples
    --------
    >>> log = pd.DataFrame({"id": ["1", "1"], "line": [2, 3], "channel": ["phone", "fax"],
    ...     "received": ["2026-03-02 09:00", "2026-03-02 10:00"],
    ...     "first_response": ["2026-03-01 09:00", ""], "resolved": ["", "soon"]})
    >>> _, problems = validate_complaints(log, {f: f for f in FIELDS}, {"phone": {"response": 72}})
    >>> problems[["line", "problem"]].to_numpy().tolist()  # doctest: +NORMALIZE_WHITESPACE
    [[2, 'duplicated complaint id (lines 2, 3)'], [2, 'first_response before receipt'],
     [3, 'duplicated complaint id (lines 2, 3)'], [3, 'timestamp does not parse'],
     [3, 'channel has no promise in complaints.promises']]
    """
    out = log.copy()
    found = []
    lines = out.groupby("id")["line"].transform(lambda s: ", ".join(map(str, s)))
    found.append(_problem(out, out["id"] == "", names["id"], out["id"], "missing complaint id"))
    repeated = out["id"].duplicated(keep=False) & (out["id"] != "")
    found.append(_problem(out, repeated, names["id"], out["id"], "duplicated complaint id (lines " + lines + ")"))
    for stamp in TIMESTAMPS:
        out[stamp] = parse_timestamps(log[stamp])
        empty = log[stamp] == ""
        if stamp == "received":
            found.append(_problem(out, empty, names[stamp], log[stamp], "missing received timestamp"))
        found.append(_problem(out, ~empty & out[stamp].isna(), names[stamp], log[stamp], "timestamp does not parse"))
        before = "before {:%Y-%m-%d}, the earliest plausible date (complaints.earliest; default 365 days before the wave's start)"
        for bound, sign, rule in ((earliest, -1, before), (latest, 1, "in the future (after {:%Y-%m-%d %H:%M})")):
            if bound is None:
                continue
            outside = (out[stamp] - bound) * sign > pd.Timedelta(0)
            found.append(_problem(out, outside, names[stamp], log[stamp],
                                  f"{stamp} {rule.format(bound)}; left out of counts and response times"))
            out[stamp] = out[stamp].mask(outside)
    zones = pd.DataFrame({stamp: timestamp_zones(log[stamp]).where(out[stamp].notna()) for stamp in TIMESTAMPS})
    mixed = zones.nunique(axis=1) > 1
    shown = zones.apply(lambda row: ", ".join(f"{s} {z or 'without zone'}" for s, z in row.dropna().items()), axis=1)
    for stamp in TIMESTAMPS:
        found.append(_problem(out, mixed & zones[stamp].notna(), names[stamp], log[stamp],
                              "timestamps of this complaint are in different time zones (" + shown + "); "
                              "read at their clock times, left out of response times"))
    order = pd.Series(False, index=out.index)
    for first, then in ORDER:
        wrong = out[then] < out[first]
        rule = f"{then} before receipt" if first == "received" else f"{then} before {first}"
        found.append(_problem(out, wrong, names[then], log[then], rule))
        order |= wrong & (first != "received")
    out.loc[order | mixed, ["first_response", "resolved"]] = pd.NaT
    no_promise = ~out["channel"].isin(list(promises))
    found.append(_problem(out, no_promise, names["channel"], log["channel"],
                          "channel has no promise in complaints.promises"))
    if "first_contact" in out:
        answer = log["first_contact"].str.lower().map(FIRST_CONTACT)
        unknown = answer.isna() & (log["first_contact"] != "")
        found.append(_problem(out, unknown, names["first_contact"], log["first_contact"],
                              "first-contact answer is not yes or no (left unrecorded)"))
        out["first_contact"] = answer.astype("boolean")
    if "exposure" in out:
        out["exposure"] = pd.to_numeric(log["exposure"], errors="coerce")
        # "inf" and "nan" parse as numbers; neither is an exposure.
        bad = ~np.isfinite(out["exposure"]) | (out["exposure"] < 0)
        found.append(_problem(out, bad, names["exposure"], log["exposure"], "exposure is not a non-negative number"))
        out["exposure"] = out["exposure"].mask(bad)
    problems = pd.concat(found, ignore_index=True)
    return out, problems.sort_values("line", kind="stable").reset_index(drop=True)[PROBLEM_COLUMNS]


# --------------------------------------------------------------------------- coding


def _split_codes(cell: str) -> list[str]:
    return [c.strip() for c in re.split(r"[;,；，]", cell) if c.strip()]


def _keyword_lookup(codebook: Codebook) -> dict[str, list[tuple[str, str]]]:
    """Keyword -> the (kind, key) pairs it stands for."""
    lookup: dict[str, list[tuple[str, str]]] = {}
    for row in codebook.keywords.itertuples(index=False):
        lookup.setdefault(row.keyword, []).append((row.kind, row.key))
    return lookup


def code_complaints(texts: pd.Series, manual: pd.Series | None, codebook: Codebook) -> pd.DataFrame:
    """SERVQUAL dimensions and provider gaps of each complaint, and which way it was coded.

    A manual code cell with at least one codebook code wins (``manual``: the codes' dimensions
    and gaps); otherwise dimension keywords found in the text (``keywords``: provider-gap
    keywords in the same text are attached); otherwise ``unmapped``. Codes outside the codebook
    are returned in ``unknown_codes``, to be reported.

    Returns
    -------
    pandas.DataFrame
        Same index as ``texts``: ``codes``, ``dimensions``, ``provider_gaps`` (``;``-joined, in
        codebook order), ``coded_by``, ``keywords`` (matched words), ``unknown_codes``.

    Examples
    --------
    >>> book = load_codebook({"codes": {"queue_wait": {"meaning": "Long wait.",
    ...     "dimensions": ["responsiveness"], "provider_gaps": [3], "valence": "problem"}},
    ...     "keywords": {"dimensions": {"tangibles": {"zh": ["座位"]}}}})
    >>> code_complaints(pd.Series(["排队", "座位太少", "价格贵"]), pd.Series(["queue_wait", "", "x"]), book)[
    ...     ["dimensions", "coded_by", "unknown_codes"]].to_numpy().tolist()
    [['responsiveness', 'manual', ''], ['tangibles', 'keywords', ''], ['', 'unmapped', 'x']]
    """
    book = codebook.codes.set_index("code")
    lookup = _keyword_lookup(codebook)
    cells = manual if manual is not None else pd.Series("", index=texts.index)
    rows = []
    for text, cell in zip(texts.fillna(""), cells.fillna(""), strict=True):
        codes = _split_codes(cell)
        known = [c for c in codes if c in book.index]
        unknown = [c for c in codes if c not in book.index]
        if known:
            dims = {d for c in known for d in book.at[c, "dimensions"]}
            gaps = {str(g) for c in known for g in book.at[c, "provider_gaps"]}
            rows.append((";".join(known), dims, gaps, MANUAL, "", unknown))
            continue
        hits = keyword_hits(text, lookup)
        keys = [pair for word in hits for pair in lookup[word]]
        dims = {k for kind, k in keys if kind == "dimension"}
        gaps = {k for kind, k in keys if kind == "provider_gap"} if dims else set()
        rows.append(("", dims, gaps, KEYWORDS if dims else UNMAPPED, ";".join(hits) if dims else "", unknown))
    order = {d: i for i, d in enumerate(codebook.dimensions)}
    return pd.DataFrame(
        {
            "codes": [r[0] for r in rows],
            "dimensions": [";".join(sorted(r[1], key=order.get)) for r in rows],
            "provider_gaps": [";".join(sorted(r[2])) for r in rows],
            "coded_by": [r[3] for r in rows],
            "keywords": [r[4] for r in rows],
            "unknown_codes": [";".join(r[5]) for r in rows],
        },
        index=texts.index,
    )


# --------------------------------------------------------------------------- periods and charts


def period_of(stamps: pd.Series, period: str = "month") -> pd.Series:
    """Period label of each timestamp: ``2026-03`` (month) or the Monday ``2026-03-02`` (week)."""
    freq = {"month": "M", "week": "W-SUN"}[period]
    periods = stamps.dt.to_period(freq)
    labels = periods.dt.strftime("%Y-%m") if period == "month" else periods.dt.start_time.dt.strftime("%Y-%m-%d")
    return labels.where(stamps.notna())


def all_periods(stamps: pd.Series, period: str = "month") -> list[str]:
    """Every period from the first to the last timestamp, empty ones included (a month without
    complaints is a count of 0, not a gap in the chart)."""
    freq = {"month": "M", "week": "W-SUN"}[period]
    valid = stamps.dropna()
    if valid.empty:
        return []
    span = pd.period_range(valid.min().to_period(freq), valid.max().to_period(freq), freq=freq)
    return [p.strftime("%Y-%m") if period == "month" else p.start_time.strftime("%Y-%m-%d") for p in span]


def control_limits(
    counts: pd.Series, exposure: pd.Series | None = None, *, sigma: float = 3.0, baseline: int | None = None
) -> pd.DataFrame:
    """Shewhart c-chart (counts per period) or, given an exposure per period, u-chart limits.

    c-chart: centre ``c̄`` = mean count, limits ``c̄ ± sigma·√c̄`` (lower cut at 0).
    u-chart: ``u_i = c_i / n_i``, centre ``ū = Σc / Σn``, limits ``ū ± sigma·√(ū / n_i)``.
    The centre is estimated from the first ``baseline`` periods and later ones are judged
    against it (Phase II), or from all periods when ``baseline`` is None (Phase I,
    retrospective: a shift inside the window then widens the limits it is judged by);
    Montgomery 2019, Introduction to Statistical Quality Control, 8th ed., sections 7.3 and
    6.1.4. A point outside the limits is a ``signal`` (``above``/``below``): a change beyond
    Poisson noise.

    Returns
    -------
    pandas.DataFrame
        Same index: ``chart`` (``c``/``u``), ``statistic`` (count or rate), ``centre``,
        ``lcl``, ``ucl``, ``signal`` (``above``, ``below`` or empty).

    Examples
    --------
    >>> control_limits(pd.Series([4, 9, 5, 20]))[["centre", "ucl", "signal"]].round(2).to_numpy().tolist()
    [[9.5, 18.75, ''], [9.5, 18.75, ''], [9.5, 18.75, ''], [9.5, 18.75, 'above']]
    >>> control_limits(pd.Series([25, 27, 26, 8]), baseline=3)["signal"].tolist()
    ['', '', '', 'below']
    """
    counts = counts.astype(float)
    n_base = len(counts) if baseline is None else min(baseline, len(counts))
    if exposure is None:
        chart, statistic = "c", counts
        centre = pd.Series(counts.iloc[:n_base].mean(), index=counts.index)
        spread = np.sqrt(centre)
    else:
        chart, statistic = "u", counts / exposure
        centre = pd.Series(counts.iloc[:n_base].sum() / exposure.iloc[:n_base].sum(), index=counts.index)
        spread = np.sqrt(centre / exposure)
    lcl, ucl = (centre - sigma * spread).clip(lower=0), centre + sigma * spread
    signal = np.select([statistic > ucl, statistic < lcl], ["above", "below"], "")
    return pd.DataFrame({"chart": chart, "statistic": statistic, "centre": centre, "lcl": lcl, "ucl": ucl,
                         "signal": signal}, index=counts.index)


def _exploded_levels(complaints: pd.DataFrame) -> pd.DataFrame:
    """One row per complaint x level x value (a complaint with two dimensions is under each;
    complaints without a dimension or gap are under ``(unmapped)``)."""
    frames = []
    for level in LEVELS:
        if level == "all":
            values = pd.Series("all", index=complaints.index)
        elif level in ("dimension", "provider_gap"):
            joined = complaints[f"{level}s"].replace("", UNMAPPED_ROW)
            values = joined.str.split(";")
        else:
            values = complaints[level].replace("", "(blank)")
        frames.append(complaints.assign(level=level, value=values).explode("value"))
    return pd.concat(frames, ignore_index=True)


def _period_exposure(complaints: pd.DataFrame) -> pd.DataFrame:
    """Exposure per period for the whole organisation and per branch (each branch's value once)."""
    per_branch = complaints.groupby(["period", "branch"])["exposure"].max()
    total = per_branch.groupby(level="period").sum(min_count=1)
    return pd.concat([per_branch.rename_axis(["period", "value"]).reset_index().assign(level="branch"),
                      total.reset_index().assign(level="all", value=None)], ignore_index=True)


def period_counts(
    complaints: pd.DataFrame, periods: list[str], *, sigma: float = 3.0, baseline: int | None = None
) -> pd.DataFrame:
    """Complaints per period and level value, with control-chart limits per series.

    Levels: ``all``, ``dimension``, ``provider_gap``, ``category``, ``channel``, ``branch``,
    ``department``. Every series covers every period (0 where none). With an ``exposure``
    column (the period's exposure per branch, e.g. visits), the chart is a u-chart: a branch's
    series uses its own exposure, every other series the sum over branches. ``sigma`` and
    ``baseline`` as in :func:`control_limits`.

    Returns
    -------
    pandas.DataFrame
        :data:`MONTHLY_COLUMNS`: ``period``, ``level``, ``value``, ``count``, ``exposure``,
        ``share`` (of the period's complaints; a complaint with two dimensions counts in both),
        then the columns of :func:`control_limits`.
    """
    rows = _exploded_levels(complaints[complaints["period"].notna()])
    counted = rows.groupby(["level", "value", "period"]).size()
    grid = pd.MultiIndex.from_tuples(
        [(lv, v, p) for lv, v in dict.fromkeys(zip(rows["level"], rows["value"], strict=True)) for p in periods],
        names=["level", "value", "period"],
    )
    table = counted.reindex(grid, fill_value=0).rename("count").reset_index()
    totals = table[table["level"] == "all"].set_index("period")["count"]
    table["share"] = table["count"] / table["period"].map(totals).replace(0, np.nan)
    table["exposure"] = np.nan
    has_exposure = "exposure" in complaints
    if has_exposure:
        known = _period_exposure(complaints)
        total = known[known["level"] == "all"].set_index("period")["exposure"]
        branch = known[known["level"] == "branch"].set_index(["value", "period"])["exposure"]
        own = pd.MultiIndex.from_frame(table[["value", "period"]])
        table["exposure"] = np.where(table["level"] == "branch", branch.reindex(own).to_numpy(),
                                     table["period"].map(total).to_numpy())
    charts = [control_limits(part["count"], part["exposure"] if has_exposure else None, sigma=sigma, baseline=baseline)
              for _, part in table.groupby(["level", "value"], sort=False)]
    table = table.join(pd.concat(charts))
    order = {level: i for i, level in enumerate(LEVELS)}
    table = table.sort_values(["level", "value", "period"], key=lambda s: s.map(order) if s.name == "level" else s)
    return table[MONTHLY_COLUMNS].reset_index(drop=True)


def pareto(categories: pd.Series, *, cut: float = 0.8) -> pd.DataFrame:
    """Categories by frequency with cumulative shares; the ``vital_few`` reach ``cut`` together
    (the category that crosses the cut included; Juran's Pareto principle).

    Examples
    --------
    >>> pareto(pd.Series(list("aaaaabbbc")))[["category", "cumulative_share", "vital_few"]].round(2).to_numpy().tolist()
    [['a', 0.56, True], ['b', 0.89, True], ['c', 1.0, False]]
    """
    counts = categories.replace("", "(blank)").value_counts(sort=False)
    counts = counts.sort_values(ascending=False, kind="stable")
    share = counts / counts.sum()
    cumulative = share.cumsum()
    return pd.DataFrame({"category": counts.index, "n_complaints": counts.to_numpy(), "share": share.to_numpy(),
                         "cumulative_share": cumulative.to_numpy(),
                         "vital_few": (cumulative.shift(fill_value=0) < cut).to_numpy()})


def half_trend(counts: pd.Series, exposure: pd.Series | None = None, *, alpha: float = 0.05) -> tuple[int, int, str, float]:
    """Compare the complaint rate of the later half of the periods with the earlier half.

    Conditional exact test of two Poisson rates: given ``n = c1 + c2``, ``c2 ~ Binomial(n, t2 /
    (t1 + t2))`` under equal rates, ``t`` being the halves' exposures (periods, without an
    exposure column); with an odd number of periods the middle one is left out (Przyborowski
    & Wilenski 1940, Biometrika 31(3/4)).

    Returns
    -------
    (first_half, second_half, trend, p)
        Counts of each half, ``rising``/``falling``/``stable`` (at ``alpha``), two-sided p.

    Examples
    --------
    >>> half_trend(pd.Series([30, 28, 31, 12, 10, 11]))[:3]
    (89, 33, 'falling')
    """
    # imported here: the steps that read complaints without the trend need no scipy
    from servqual.binomial_test import binomial_test

    k = len(counts) // 2
    if k == 0:
        return int(counts.sum()), 0, "stable", float("nan")
    times = pd.Series(1.0, index=counts.index) if exposure is None else exposure
    c1, c2 = int(counts.iloc[:k].sum()), int(counts.iloc[-k:].sum())
    t1, t2 = float(times.iloc[:k].sum()), float(times.iloc[-k:].sum())
    if c1 + c2 == 0 or not t1 > 0 or not t2 > 0:
        return c1, c2, "stable", float("nan")
    p = binomial_test(c2, c1 + c2, t2 / (t1 + t2))
    trend = "stable" if p >= alpha else "rising" if c2 / t2 > c1 / t1 else "falling"
    return c1, c2, trend, float(p)


# --------------------------------------------------------------------------- response times


def _deadline(complaints: pd.DataFrame, promises: Mapping[str, Mapping[str, float | None]], stage: str) -> pd.Series:
    hours = complaints["channel"].map({c: (p or {}).get(stage) for c, p in promises.items()}).astype(float)
    return complaints["received"] + pd.to_timedelta(hours, unit="h")


def response_status(
    complaints: pd.DataFrame, promises: Mapping[str, Mapping[str, float | None]], as_of: pd.Timestamp
) -> pd.DataFrame:
    """Per complaint and stage (response, resolution): hours taken and status against the promise.

    Hours run from receipt to the first response (resolution); a time before receipt or an
    unparseable timestamp gives no hours. Status: ``on time`` (done by the deadline), ``late``
    (done after it, or not done and the deadline passed by ``as_of``), ``pending`` (not done,
    deadline still ahead), empty without a promise or usable times. Open at the end: no
    resolution by ``as_of``; overdue open: open and a deadline passed.

    Returns
    -------
    pandas.DataFrame
        ``response_hours``, ``response_status``, ``resolution_hours``, ``resolution_status``,
        ``open_at_end``, ``overdue_open``.
    """
    out = pd.DataFrame(index=complaints.index)
    usable = complaints["received"].notna()
    overdue = pd.Series(False, index=complaints.index)
    for stage, stamp in STAGES.items():
        done = complaints[stamp].notna() & (complaints[stamp] <= as_of)
        hours = (complaints[stamp] - complaints["received"]).dt.total_seconds() / 3600
        readable = (complaints[f"{stamp}_raw"] == "") | complaints[stamp].notna()
        valid = usable & readable & ~(hours < 0)
        deadline = _deadline(complaints, promises, stage)
        late = np.where(done, complaints[stamp] > deadline, deadline < as_of)
        status = np.select([deadline.isna() | ~valid, late.astype(bool), done], ["", "late", "on time"], "pending")
        out[f"{stage}_hours"] = hours.where(done & (hours >= 0))
        out[f"{stage}_status"] = status
        overdue |= (status == "late") & ~done
    resolved_raw = complaints["resolved_raw"] == ""
    out["open_at_end"] = usable & (resolved_raw | (complaints["resolved"] > as_of))
    out["overdue_open"] = out["open_at_end"] & overdue
    return out


def response_times(coded: pd.DataFrame, promises: Mapping[str, Mapping[str, float | None]],
                   as_of: pd.Timestamp) -> pd.DataFrame:
    """Response-time compliance per channel (and ``all``) against the promises.

    For each stage (first response, resolution): the promise in hours, complaints done by
    ``as_of``, on time, late, pending, the share on time among those on time or late, and the
    median and 90th percentile of the hours taken (linear interpolation, numpy's default).
    Then complaints open at ``as_of`` and the overdue ones among them.

    Returns
    -------
    pandas.DataFrame
        :data:`RESPONSE_COLUMNS`.
    """
    rows = []
    for channel, part in [*coded.groupby("channel", sort=True), ("all", coded)]:
        row: dict[str, object] = {"channel": channel, "n": len(part)}
        for stage in STAGES:
            status, hours = part[f"{stage}_status"], part[f"{stage}_hours"].dropna()
            on_time, late = int((status == "on time").sum()), int((status == "late").sum())
            promise = (promises.get(channel) or {}).get(stage) if channel != "all" else None
            row |= {
                f"{stage}_promise_hours": promise, f"{stage}_done": len(hours), f"{stage}_on_time": on_time,
                f"{stage}_late": late, f"{stage}_pending": int((status == "pending").sum()),
                f"{stage}_share_on_time": on_time / (on_time + late) if on_time + late else np.nan,
                f"{stage}_median_hours": hours.median() if len(hours) else np.nan,
                f"{stage}_p90_hours": hours.quantile(0.9) if len(hours) else np.nan,
            }
        row |= {"open_at_end": int(part["open_at_end"].sum()), "overdue_open": int(part["overdue_open"].sum()),
                "as_of": as_of.isoformat(sep=" ")}
        rows.append(row)
    return pd.DataFrame(rows, columns=RESPONSE_COLUMNS)


def period_end(stamps: pd.Series, period: str = "month") -> pd.Timestamp:
    """The end of the last period of the log (the last moment of its last month or week)."""
    freq = {"month": "M", "week": "W-SUN"}[period]
    return stamps.max().to_period(freq).end_time.floor("s")


# --------------------------------------------------------------------------- per dimension


def _gap_text(rows: pd.DataFrame, top: int = 3) -> str:
    gaps = rows["provider_gaps"].str.split(";").explode()
    counts = gaps[gaps.fillna("") != ""].value_counts().sort_index().sort_values(ascending=False, kind="stable")
    return "; ".join(f"{g} {PROVIDER_GAPS[int(g)]} ({n})" for g, n in counts.head(top).items())


def dimension_summary(coded: pd.DataFrame, monthly: pd.DataFrame, dimensions: tuple[str, ...]) -> pd.DataFrame:
    """Complaints per SERVQUAL dimension, then ``(unmapped)``: counts, how they were coded,
    provider gaps, the trend between the halves of the period (:func:`half_trend`) and one
    example text (manually coded first, then the most recent).

    Returns
    -------
    pandas.DataFrame
        :data:`DIMENSION_COLUMNS`; ``share`` is of all complaints (a complaint with two
        dimensions counts in both, so shares can sum to more than 1).
    """
    per = coded.assign(dimension=coded["dimensions"].replace("", UNMAPPED_ROW).str.split(";")).explode("dimension")
    series = monthly[monthly["level"] == "dimension"]
    rows = []
    for dimension in [*dimensions, UNMAPPED_ROW]:
        mine = per[per["dimension"] == dimension]
        points = series[series["value"] == dimension]
        exposure = points["exposure"] if points["exposure"].notna().any() else None
        first, second, trend, p = half_trend(points["count"], exposure)
        pool = mine[mine["text"] != ""].assign(by_hand=mine["coded_by"] == MANUAL)
        pick = pool.sort_values(["by_hand", "received", "line"], ascending=[False, False, True]).head(1)
        rows.append({
            "dimension": dimension, "n_complaints": len(mine), "share": len(mine) / len(coded) if len(coded) else np.nan,
            "n_manual": int((mine["coded_by"] == MANUAL).sum()), "n_keywords": int((mine["coded_by"] == KEYWORDS).sum()),
            "top_provider_gaps": _gap_text(mine), "first_half": first, "second_half": second, "trend": trend,
            "trend_p": p, "example_complaint": pick["complaint"].iloc[0] if len(pick) else "",
            "example": pick["text"].iloc[0] if len(pick) else "",
        })
    return pd.DataFrame(rows, columns=DIMENSION_COLUMNS)


# --------------------------------------------------------------------------- the whole log


@dataclass(frozen=True)
class ComplaintResults:
    """Every complaint table of one log (texts masked, staff pseudonymised).

    ``complaints`` (:data:`COMPLAINT_COLUMNS`), ``by_dimension`` (:func:`dimension_summary`),
    ``monthly`` (:func:`period_counts`), ``response_times`` (:func:`response_times`),
    ``pareto`` (:func:`pareto` of the categories), ``problems`` (:func:`validate_complaints`
    plus codes outside the codebook), ``as_of`` (end of the period).
    """

    complaints: pd.DataFrame
    by_dimension: pd.DataFrame
    monthly: pd.DataFrame
    response_times: pd.DataFrame
    pareto: pd.DataFrame
    problems: pd.DataFrame
    as_of: pd.Timestamp
    notes: list[str] = field(default_factory=list)


#: Free-text fields of a complaint that are masked wherever they reach an output.
MASKED_FIELDS = ("text", "outcome", "category")


def _masker(log: pd.DataFrame, salt: bytes, names: Iterable[str]) -> tuple[pd.Series | None, Callable[[object], object]]:
    """The staff pseudonyms (None without a staff column) and the masking of one raw value:
    staff ids by their pseudonyms, ``names`` by ``[name]``, then e-mails, ID numbers and phones."""
    lookup: dict[str, str] = {}
    staff = None
    if "staff" in log:
        ids = log["staff"].replace("", pd.NA)
        staff = pseudonymise(ids, salt, prefix="S")
        lookup = dict(zip(ids.dropna(), staff.dropna(), strict=True))
    listed = [*lookup, *(n for n in names if n)]

    def mask(value: object) -> object:
        return mask_text(mask_names(value, listed, lookup)) if isinstance(value, str) else value

    return staff, mask


def _private(log: pd.DataFrame, salt: bytes, names: Iterable[str] = ()) -> pd.DataFrame:
    """Staff ids pseudonymised (also where a text quotes them) and free-text fields masked."""
    staff, mask = _masker(log, salt, names)
    masked = {field: log[field].map(mask) for field in MASKED_FIELDS if field in log}
    return log.assign(staff=pd.NA if staff is None else staff, **masked)


def analyse_complaints(
    path: str | Path,
    codebook: Codebook | str | Path,
    promises: Mapping[str, Mapping[str, float | None]],
    *,
    columns: Mapping[str, str | None],
    salt: bytes,
    names: Iterable[str] = (),
    manual_code: str | None = None,
    exposure: str | None = None,
    period: str = "month",
    sigma: float = 3.0,
    baseline: int | None = None,
    as_of: pd.Timestamp | None = None,
    earliest: pd.Timestamp | str | None = None,
    latest: pd.Timestamp | None = None,
) -> ComplaintResults:
    """All complaint tables of one log.

    Parameters
    ----------
    path
        The complaint log (CSV or XLSX).
    codebook
        :class:`servqual.codebook.Codebook` or the path of ``codebook.yaml`` (codes and the
        keyword dictionary shared with interview suggestion coding).
    promises
        Channel -> ``{"response": hours, "resolution": hours or None}``.
    columns, manual_code, exposure
        See :func:`read_complaint_log`.
    salt
        Pseudonymisation salt of the study (staff ids).
    names
        Names of people masked as ``[name]`` in the texts and in every value the problems table
        echoes (the config's ``privacy.names``).
    period
        ``month`` or ``week``: the periods counted and charted.
    sigma, baseline
        Width of the control limits in standard deviations; periods their centre is
        estimated from (None = all; see :func:`control_limits`).
    as_of
        End of the period for open and overdue complaints; default the end of the log's last
        period (:func:`period_end`).
    earliest, latest
        Timestamps before ``earliest`` or after ``latest`` (default: now, in the clock of the
        machine) cannot be right: flagged and left out (:func:`validate_complaints`).
    """
    book = codebook if isinstance(codebook, Codebook) else load_codebook(codebook)
    log, names_in_log = read_complaint_log(path, columns, manual_code=manual_code, exposure=exposure)
    latest = pd.Timestamp.now().floor("min") if latest is None else latest
    earliest = pd.Timestamp(earliest) if earliest is not None else None
    parsed, problems = validate_complaints(log, names_in_log, promises, earliest=earliest, latest=latest)
    coding = code_complaints(log["text"], log.get("code"), book)
    unknown = coding["unknown_codes"] != ""
    if unknown.any():
        unknown_rows = _problem(log, unknown, names_in_log["code"], coding["unknown_codes"], "code not in the codebook")
        problems = pd.concat([problems, unknown_rows], ignore_index=True)
        problems = problems.sort_values("line", kind="stable").reset_index(drop=True)
    parsed = _private(parsed, salt, names).rename(columns={"id": "complaint"})
    # The problems table echoes raw cells (a phone number typed into a timestamp column): masked
    # the same way, but for complaint ids, which are the register's own references.
    _, mask = _masker(log, salt, names)
    echoed = problems["column"] != names_in_log["id"]
    problems = problems.assign(value=problems["value"].where(~echoed, problems["value"].map(mask)))
    parsed = parsed.assign(**{f"{s}_raw": log[s] for s in STAGES.values()})
    parsed = parsed.assign(period=period_of(parsed["received"], period), **coding.drop(columns="unknown_codes"))
    as_of = as_of if as_of is not None else period_end(parsed["received"], period)
    parsed = parsed.join(response_status(parsed, promises, as_of))
    listed = problems.groupby("line")["problem"].agg(lambda p: "; ".join(dict.fromkeys(p)))
    parsed["problems"] = parsed["line"].map(listed).astype(object).fillna("")
    if "exposure" not in parsed:
        parsed["exposure"] = np.nan
    if "first_contact" not in parsed:
        parsed["first_contact"] = pd.array([pd.NA] * len(parsed), dtype="boolean")
    complaints = parsed[COMPLAINT_COLUMNS].reset_index(drop=True)
    monthly = period_counts(parsed if exposure else parsed.drop(columns="exposure"),
                            all_periods(parsed["received"], period), sigma=sigma, baseline=baseline)
    notes = [f"{len(problems)} problem(s) in the complaint log; see the problems table."] if len(problems) else []
    return ComplaintResults(
        complaints=complaints,
        by_dimension=dimension_summary(complaints, monthly, book.dimensions),
        monthly=monthly,
        response_times=response_times(complaints, promises, as_of),
        pareto=pareto(complaints["category"]),
        problems=problems.astype({"line": int}),
        as_of=as_of,
        notes=notes,
    )


# --------------------------------------------------------------------------- triangulation


def complaint_signal(share: float, many_share: float = 0.10) -> str:
    """``many`` when a dimension draws at least ``many_share`` of all complaints, ``few`` when
    it draws some, ``none`` without complaints."""
    return "none" if not share > 0 else "many" if share >= many_share else "few"


def _verdict(survey: str, interview: str, complaints: str) -> tuple[str, str]:
    """Each source's reading: problem, no problem, unclear (mixed interviews) or silent."""
    readings = {
        "survey": {"negative": "problem", "missing": "silent"}.get(survey, "no problem"),
        "interviews": {"problems dominate": "problem", "strengths dominate": "no problem",
                       "none": "silent"}.get(interview, "unclear"),
        # Few complaints do not show quality: most dissatisfied customers never complain.
        "complaints": "problem" if complaints == "many" else "silent",
    }
    heard = {s: r for s, r in readings.items() if r != "silent"}
    said = set(heard.values()) - {"unclear"}
    if len(heard) < 2:
        label = "silence"
    elif said == {"problem", "no problem"}:
        label = "dissonance"
    elif "unclear" in heard.values() or not said:
        label = "partial agreement"
    else:
        label = "agreement"
    return label, "; ".join(f"{s}: {r}" for s, r in readings.items())


def triangulate_three(triangulation: pd.DataFrame, by_dimension: pd.DataFrame, *, many_share: float = 0.10) -> pd.DataFrame:
    """The interviews' joint display with a complaints column and a convergence of three sources.

    Per dimension: complaints (count, share, trend between the halves, one example), their
    signal (:func:`complaint_signal`), and ``convergence_all``: each source reads problem (survey
    gap negative; interview problems dominate; many complaints), no problem (survey gap not
    negative; strengths dominate), unclear (mixed interviews) or silent (no evidence; few
    complaints, which say little, as most dissatisfied customers never complain). Agreement: at least two sources heard and none contradicts; dissonance: one
    reads problem and another no problem; partial agreement: otherwise (an unclear source);
    silence: fewer than two sources heard (Farmer, Robinson, Elliott & Eyles 2006, Qualitative
    Health Research 16(3), extended to a third source).

    Parameters
    ----------
    triangulation
        :func:`servqual.triangulation.triangulate` (``dimension``, ``survey_signal``,
        ``interview_signal``, ...).
    by_dimension
        :func:`dimension_summary` of the same wave.

    Returns
    -------
    pandas.DataFrame
        ``triangulation`` with ``complaints``, ``complaint_share``, ``complaint_trend``,
        ``complaint_example``, ``complaint_signal``, ``readings`` and ``convergence_all``.

    Examples
    --------
    >>> tri = pd.DataFrame({"dimension": ["tangibles"], "survey_signal": ["not significant"],
    ...                     "interview_signal": ["mixed"]})
    >>> complaints = pd.DataFrame({"dimension": ["tangibles"], "n_complaints": [50], "share": [0.11],
    ...                            "trend": ["stable"], "example": ["座位太少"]})
    >>> triangulate_three(tri, complaints).loc[0, ["complaint_signal", "convergence_all"]].tolist()
    ['many', 'dissonance']
    """
    mine = by_dimension.set_index("dimension")
    out = triangulation.assign(
        complaints=triangulation["dimension"].map(mine["n_complaints"]).fillna(0).astype(int),
        complaint_share=triangulation["dimension"].map(mine["share"]).fillna(0.0),
        complaint_trend=triangulation["dimension"].map(mine["trend"]).fillna(""),
        complaint_example=triangulation["dimension"].map(mine["example"]).fillna(""),
    )
    out["complaint_signal"] = [complaint_signal(s, many_share) for s in out["complaint_share"]]
    verdicts = [_verdict(s, i, c) for s, i, c in
                zip(out["survey_signal"], out["interview_signal"], out["complaint_signal"], strict=True)]
    return out.assign(readings=[v[1] for v in verdicts], convergence_all=[v[0] for v in verdicts])
