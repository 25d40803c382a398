"""Cautions: every condition in a wave's tables that a careful reviewer would flag, in plain words.

Each problem a table records (a status and its reason, a flag, a criterion not met, a rule that
could not apply, a level too small to test) becomes one row naming what it concerns, so that the
report's Cautions section is written from the tables of the run and from nothing else. The texts
of the statuses are the ``cautions.status_<status>`` messages of :data:`STATUS_TEXT`; a test
checks that every status the model-fitting modules can write has one.

Every sentence is a message of the ``cautions`` catalogue in the study's language
(:mod:`servqual.i18n`). The phrases the analysis steps record in their tables (a CFA's reason,
a reliability flag, a cleaning rule's detail) are English; :func:`recorded` reads each back with
the ``cautions.rec_<key>`` message whose English text matches it and writes it in the study's
language, dimension and item ids as the instrument labels them. A phrase no message matches is
quoted as recorded.

Rules of thumb used (each named in the text it produces):

- exclusions: more than :data:`EXCLUSION_SHARE_LIMIT` of the rows read;
- CFA sample size: at least 200 respondents (Kline 2016) and 5 per estimated parameter (Bentler
  & Chou 1987, Sociological Methods & Research 16(1));
- TLI above 1: the index is not bounded and overshoots in small samples (Hu & Bentler 1999);
- ratings as ordered categories (``cfa.estimator: WLSMV``) suggested where a CFA treated them as
  continuous although they use :data:`ORDINAL_MAX_POINTS` scale points or fewer (Rhemtulla,
  Brosseau-Liard & Savalei 2012, Psychol. Methods 17(3)), or items have more than 15% of their
  answers at the lowest or highest point (floor or ceiling effect, Terwee et al. 2007, J. Clin.
  Epidemiol. 60(1); ``item_distribution``'s ``floor`` and ``ceiling``);
- AVE >= .50, CR >= .70, Fornell–Larcker and HTMT as ``cfa_validity`` records them.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from functools import cache
from typing import Any

import pandas as pd

from servqual.i18n import Messages, catalogue
from servqual.labels import dimension_labels, item_labels

#: Columns of the cautions table: ``topic`` is a stable key (``cautions.topic_<topic>`` is its
#: heading), ``concerns`` names measures, models, dimensions and items by their ids.
CAUTION_COLUMNS = ["topic", "concerns", "kind", "text"]

#: Topics in the order of the report's sections.
TOPICS = ("data", "reliability", "factor_structure", "segments", "interviews", "complaints", "invariance")

#: Share of the rows read above which the exclusions themselves are a caution.
EXCLUSION_SHARE_LIMIT = 0.20

#: Smallest CFA sample, and respondents per estimated parameter, before a caution.
CFA_MIN_N = 200
CFA_N_PER_PARAMETER = 5

#: The note of an ordinal invariance ladder that merged categories (its items as a Python list).
MERGED_CATEGORIES = r"categories not answered in every group merged with a neighbour: (\[[^\]]*\])"

#: Scale points at or below which ratings are best treated as ordered categories (WLSMV).
ORDINAL_MAX_POINTS = 5

#: Every status other than ``ok`` that ``cfa_fit`` or ``invariance`` can hold -> its message, in
#: which ``{subject}`` is the model and ``{reason}`` the table's reason column.
STATUS_TEXT = {
    status: f"cautions.status_{status}"
    for status in ("heywood", "latent_correlation", "not_converged", "not_positive_definite", "not_identified",
                   "failed", "too_few_groups")
}

#: Fields of recorded phrases that hold one id, a list of ids, pairs of correlated dimensions, or
#: another recorded phrase.
_NAME_FIELDS, _NAMES_FIELDS = {"item", "dimension", "a", "b"}, {"items", "dimensions"}
#: A field holds no "; " (which joins phrases), except a nested phrase or a library's message.
_ONE_PHRASE = r"(?:(?!; ).)+?"
_FIELD_REGEX = {"detail": ".+?", "message": ".+?", "error": ".+?"}


def topic_heading(topic: str, language: str = "en") -> str:
    """The heading of a cautions table's ``topic`` key in ``language``.

    >>> topic_heading("factor_structure", "zh")
    '因子结构'
    """
    return Messages(language)(f"cautions.topic_{topic}")


def caution_labels(instrument: Mapping[str, Any], language: str = "en") -> dict[str, str]:
    """Dimension and item id -> how a caution in ``language`` names it: a dimension by its label,
    an item by its id and wording (the instrument section of the config)."""
    return {**named_items(item_labels(instrument, language), Messages(language)), **dimension_labels(instrument, language)}


def named_items(wordings: Mapping[str, str], t: Messages) -> dict[str, str]:
    """Item id -> the item as a sentence names it: its id and its wording without the closing
    full stop (``emp2 “The hall has operating hours convenient to all its customers”``)."""
    return {i: t("cautions.item_named", id=i, wording=w.rstrip(".。．")) for i, w in wordings.items()}


@cache
def _recorded_patterns() -> tuple[tuple[str, re.Pattern], ...]:
    """Each ``cautions.rec_*`` message with a pattern that matches its English text, the most
    literal first (so that "alpha rises by > {gain} without" is tried before "alpha {value} <")."""
    patterns = []
    for key, template in catalogue("en").items():
        if key.startswith("cautions.rec_") and key != "cautions.rec_separator":
            parts = re.split(r"\{(\w+)\}", template)
            regex = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>{_FIELD_REGEX.get(p, _ONE_PHRASE)})"
                            for i, p in enumerate(parts))
            patterns.append((key, re.compile(regex, re.DOTALL), len("".join(parts[::2]))))
    return tuple((key, pattern) for key, pattern, _ in sorted(patterns, key=lambda p: -p[2]))


def recorded(phrase: object, language: str = "en", labels: Mapping[str, str] | None = None) -> str:
    """A phrase an analysis step recorded in a table (a reason, flags joined by "; ", a rule's
    detail) in ``language``, its dimension and item ids named by ``labels``.

    >>> recorded("alpha 0.612 < 0.70; omega undefined (one-factor fit failed)", "zh")
    'α = 0.612 < 0.70；ω 无法计算（单因子模型拟合失败）'
    >>> recorded("something no step writes", "zh")
    'something no step writes'
    """
    if not isinstance(phrase, str):
        return ""
    t, labels = Messages(language), labels or {}
    whole = _recorded_piece(phrase, t, labels)
    if whole is not None:
        return whole
    pieces = phrase.split("; ")
    return t("cautions.rec_separator").join(
        p if (w := _recorded_piece(p, t, labels)) is None else w for p in pieces
    )


def _recorded_piece(piece: str, t: Messages, labels: Mapping[str, str]) -> str | None:
    for key, pattern in _recorded_patterns():
        match = pattern.fullmatch(piece)
        if match:
            return t(key, **{field: _field(field, value, t, labels) for field, value in match.groupdict().items()})
    return None


def _field(field: str, value: str, t: Messages, labels: Mapping[str, str]) -> str:
    name = lambda x: labels.get(x, x)  # noqa: E731
    if field in _NAME_FIELDS:
        return name(value)
    if field in _NAMES_FIELDS:
        ids = ast.literal_eval(value) if value.startswith("[") else value.split(", ")
        return t("cautions.list_separator").join(name(str(i)) for i in ids)
    if field == "pairs":
        return t("cautions.list_separator").join(recorded(p, t.language, labels) for p in value.split(", "))
    if field == "coefficient":
        return _name(t, "coefficient", value)
    if field == "detail":
        return recorded(value, t.language, labels)
    return value


def _name(t: Messages, kind: str, value: str) -> str:
    """A measure, model, level or grouping as the catalogue names it, else as it is."""
    key = f"cautions.{kind}_{value}"
    return t(key) if key in t else str(value)


def rule_name(rule: str, language: str = "en") -> str:
    """A cleaning rule (``cleaning_summary.csv``'s rule column) as ``language`` names it.

    >>> rule_name("duplicate_id"), rule_name("speeder", "zh")
    ('duplicate id', '作答过快')
    """
    t = Messages(language)
    key = f"cautions.rule_{rule}"
    return t(key) if key in t else rule.replace("_", " ")


def wave_cautions(
    tables: Mapping[str, pd.DataFrame],
    flow: pd.DataFrame,
    language: str = "en",
    labels: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Every caution of one wave, in the order of the report's sections.

    Parameters
    ----------
    tables
        Table name (as in ``reports/<wave>/tables/<name>.csv``) -> table; a missing or empty table
        contributes nothing.
    flow
        The wave's ``cleaning_summary.csv`` (step, rule, n, detail).
    language
        Language of the texts (a catalogue of :mod:`servqual.i18n`).
    labels
        Dimension and item id -> how the texts name it (:func:`caution_labels`); ids otherwise.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`CAUTION_COLUMNS`: ``topic`` (a key of :data:`TOPICS`), ``concerns`` (the
        measure, dimension, item, pair or rule, by id), ``kind`` (a short key) and ``text`` (a
        sentence in ``language``).

    Examples
    --------
    >>> flow = pd.DataFrame({"step": ["read", "not_applied", "kept"], "rule": ["rows read", "speeder", "kept"],
    ...                      "n": [50, 50, 50], "detail": ["", "no duration column is configured", ""]})
    >>> wave_cautions({}, flow)["text"].tolist()
    ['The speeder rule is switched on but could not be applied, as no duration column is configured: none of the 50 rows was checked by it.']
    """
    get = lambda name: tables.get(name, pd.DataFrame())  # noqa: E731
    w = _Writer(language, labels)
    rows = [
        *_cleaning(w, flow),
        *_reliability(w, get("reliability"), get("item_reliability")),
        *_efa(w, get("efa_fit")),
        *_cfa(w, get("cfa_fit")),
        *_ordinal(w, get("item_distribution"), get("cfa_fit")),
        *_validity(w, get("cfa_validity")),
        *_ep_invariance(w, get("ep_invariance")),
        *_structural(w, get("sem_fit")),
        *_segments(w, get("segments")),
        *_agreement(w, get("coder_agreement")),
        *(caution for table in _TALLIED for caution in _tallied(w, table, get(table))),
    ]
    return pd.DataFrame(rows, columns=CAUTION_COLUMNS)


def invariance_cautions(
    invariance: pd.DataFrame, language: str = "en", labels: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """Cautions of the cross-wave invariance table: models not assessed or improper, and levels
    whose invariance was rejected (means not comparable across those groups), in ``language``."""
    w = _Writer(language, labels)
    t, rows = w.t, []
    for (grouping, measure), part in invariance.groupby(["grouping", "measure"], sort=False):
        across = _name(t, "grouping", grouping)
        subject = t("cautions.invariance_subject", measure=w.measure(measure), grouping=across)
        failed = part[part["status"] != "ok"]
        for (status, reason), same in failed.groupby(["status", "reason"], sort=False, dropna=False):
            levels = w.join(_name(t, "level", level) for level in same["level"])
            key = "cautions.invariance_levels_one" if len(same) == 1 else "cautions.invariance_levels_many"
            rows.append(w.status_row("invariance", f"{measure}, {grouping}", status,
                                     t(key, subject=subject, levels=levels), reason))
        merged = part["reason"].astype("string").str.extract(MERGED_CATEGORIES, expand=False).dropna()
        if len(merged):
            rows.append(("invariance", f"{measure}, {grouping}", "categories_merged",
                         t("cautions.invariance_categories_merged", subject=subject,
                           items=w.join(map(w.name, ast.literal_eval(merged.iloc[0]))))))
        rows += _ladder_cautions(w, part, f"{measure}, {grouping}", subject, across)
    return pd.DataFrame(rows, columns=CAUTION_COLUMNS)


def _ladder_cautions(w: _Writer, part: pd.DataFrame, concerns: str, subject: str, across: str) -> list[tuple]:
    """The first level whose invariance is rejected even after releasing constraints (strict:
    observed scores differ in reliability, latent means stay comparable), and each level that
    holds only partially, with the items allowed to differ."""
    t, rows = w.t, []
    for level in ("metric", "scalar", "strict"):
        tried = part[part["level"] == level]
        if tried.empty or tried["decision"].iloc[0] != "rejected":
            continue
        last, name = tried.iloc[-1], _name(t, "level", level)
        if last["decision"] == "rejected":
            key = "invariance_strict_rejected" if level == "strict" else "invariance_rejected"
            text = t(f"cautions.{key}", subject=subject, level=name, grouping=across)
            rows.append(("invariance", concerns, key, text))
            break
        released = released_constraints(last["released"], t, w.labels)
        rows.append(("invariance", concerns, "invariance_partial",
                     t(f"cautions.invariance_partial{released_suffix(last['released'])}", subject=subject, level=name,
                       released=released, grouping=across)))
    return rows


class _Writer:
    """The catalogue of one language with the instrument's names, shared by the section writers."""

    def __init__(self, language: str, labels: Mapping[str, str] | None) -> None:
        self.t, self.labels = Messages(language), dict(labels or {})

    def name(self, id_: object) -> str:
        return self.labels.get(str(id_), str(id_))

    def measure(self, measure: str) -> str:
        return _name(self.t, "measure", measure)

    def join(self, names) -> str:
        return self.t("cautions.list_separator").join(names)

    def recorded(self, phrase: object) -> str:
        return recorded(phrase, self.t.language, self.labels)

    def status_row(self, topic: str, concerns: str, status: str, subject: str, reason: object) -> tuple:
        # The status already says the solution is improper; the reason need not repeat it.
        if isinstance(reason, str) and reason:
            reason = self.recorded(reason.removeprefix("improper solution: "))
        else:
            reason = self.t("cautions.no_reason")
        text = self.t(STATUS_TEXT[status], subject=subject, reason=reason)
        return topic, concerns, status, text[0].upper() + text[1:]


def _cleaning(w: _Writer, flow: pd.DataFrame) -> list[tuple]:
    rows, t = [], w.t
    if flow.empty:
        return rows
    read = int(flow.loc[flow["step"] == "read", "n"].iloc[0])
    for row in flow[flow["step"] == "not_applied"].itertuples():
        rows.append(("data", row.rule, "rule_not_applied",
                     t("cautions.rule_not_applied", rule=rule_name(row.rule, t.language), reason=w.recorded(row.detail), read=read)))
    for row in flow[(flow["step"] == "cells") & (flow["n"] > 0)].itertuples():
        if "set missing" in row.rule:
            rows.append(("data", row.detail, "cells_set_missing",
                         t("cautions.cells_set_missing", n=row.n, what=w.recorded(row.rule),
                           columns=w.recorded(row.detail))))
    # Rows the study's own filters leave out define its population, not a loss of respondents:
    # the share counts the exclusions among the rows that passed them.
    excluded = flow[flow["step"] == "excluded"]
    filtered = int(excluded.loc[excluded["rule"] == "filter", "n"].sum())
    lost, eligible = int(excluded["n"].sum()) - filtered, read - filtered
    if eligible and lost / eligible > EXCLUSION_SHARE_LIMIT:
        key = "cautions.excluded_of_eligible" if filtered else "cautions.excluded_of_read"
        rows.append(("data", "exclusions", "many_exclusions",
                     t(key, lost=lost, eligible=eligible, read=read, share=f"{lost / eligible:.0%}",
                       limit=f"{EXCLUSION_SHARE_LIMIT:.0%}")))
    return rows


def _flagged(table: pd.DataFrame) -> pd.DataFrame:
    """Rows whose ``flags`` column says something."""
    return table[table["flags"].astype("string").fillna("") != ""] if "flags" in table else table.iloc[:0]


def _reliability(w: _Writer, scales: pd.DataFrame, items: pd.DataFrame) -> list[tuple]:
    rows, t = [], w.t
    for row in _flagged(scales).itertuples():
        where = "the whole scale" if row.dimension == "all" else row.dimension
        scope = t("cautions.whole_scale") if row.dimension == "all" else w.name(row.dimension)
        rows.append(("reliability", f"{row.measure}, {where}", "reliability_flag",
                     t("cautions.reliability_flag", measure=w.measure(row.measure), scope=scope,
                       flags=w.recorded(row.flags))))
    # One flag shared by several items of a measure (a 3-item dimension leaves omega undefined for
    # each item dropped) is one caution naming the items, not one per item.
    flagged = _flagged(items)
    for (measure, flags), part in (flagged.groupby(["measure", "flags"], sort=False) if len(flagged) else ()):
        ids = part["item"].astype(str)
        key = "cautions.item_flag_one" if len(part) == 1 else "cautions.item_flag_many"
        rows.append(("reliability", f"{measure}, {', '.join(ids)}", "item_flag",
                     t(key, items=w.join(map(w.name, ids)), measure=w.measure(measure), flags=w.recorded(flags))))
    return rows


def _efa(w: _Writer, fit: pd.DataFrame) -> list[tuple]:
    if fit.empty:
        return []
    return [("factor_structure", row.measure, "efa_warning",
             w.t("cautions.efa_warning", measure=w.measure(row.measure), warning=w.recorded(row.status)))
            for row in fit[fit["status"].fillna("ok") != "ok"].itertuples()]


def _cfa(w: _Writer, fit: pd.DataFrame) -> list[tuple]:
    rows, t = [], w.t
    for row in fit.itertuples() if len(fit) else ():
        subject = t("cautions.cfa_subject", measure=w.measure(row.measure), model=_name(t, "model", row.model))
        if row.status != "ok":
            rows.append(w.status_row("factor_structure", f"{row.measure}, {row.model}", row.status, subject,
                                     row.reason))
        if row.model != "instrument" or pd.isna(row.n):
            continue
        needed = max(CFA_MIN_N, CFA_N_PER_PARAMETER * int(row.npar)) if pd.notna(row.npar) else CFA_MIN_N
        if row.n < needed:
            rows.append(("factor_structure", row.measure, "small_sample",
                         t("cautions.small_sample", measure=w.measure(row.measure), n=int(row.n),
                           npar=int(row.npar), needed=needed)))
        # the TLI the report shows: the robust one under MLR, the scaled one under WLSMV
        estimator = getattr(row, "estimator", "ML")
        tli = row.tli_robust if estimator == "MLR" else row.tli_scaled if estimator == "WLSMV" else row.tli
        if pd.notna(tli) and tli > 1:
            rows.append(("factor_structure", row.measure, "tli_above_1",
                         t("cautions.tli_above_1", measure=w.measure(row.measure), tli=f"{tli:.3f}")))
    return rows


def _ordinal(w: _Writer, distribution: pd.DataFrame, fit: pd.DataFrame) -> list[tuple]:
    """WLSMV suggested for each measure whose CFA treated the ratings as continuous although they
    have few scale points, or items with a floor or ceiling effect."""
    if distribution.empty or fit.empty or "estimator" not in fit:
        return []
    rows, t = [], w.t
    continuous = fit[fit["estimator"] != "WLSMV"].drop_duplicates("measure")
    for measure, estimator in zip(continuous["measure"], continuous["estimator"]):
        items = distribution[distribution["measure"] == measure]
        if items.empty:
            continue
        points = int(min(items["points_declared"].max(), items["points_used"].max()))
        if points <= ORDINAL_MAX_POINTS:
            rows.append(("factor_structure", measure, "ordinal_few_points",
                         t("cautions.ordinal_few_points", measure=w.measure(measure), points=points,
                           estimator=estimator)))
        ends = items[items["floor"].astype(bool) | items["ceiling"].astype(bool)]
        if len(ends):
            rows.append(("factor_structure", f"{measure}, {', '.join(ends['item'].astype(str))}", "ordinal_floor_ceiling",
                         t("cautions.ordinal_floor_ceiling", measure=w.measure(measure), count=len(ends),
                           total=len(items), limit=f"{float(items['end_share_limit'].iloc[0]):.0%}",
                           items=w.join(ends["item"].astype(str)), estimator=estimator)))
    return rows


def released_constraints(released: object, t: Messages, labels: Mapping[str, str]) -> str:
    """The ``released`` cell of ``ep_invariance`` (``constraint:item;...``) as words, e.g. "the
    intercept of Item 7"."""
    if not isinstance(released, str) or not released:
        return ""
    pieces = (piece.split(":", 1) for piece in released.split(";"))
    return t("cautions.list_separator").join(t(f"cautions.ep_released_{c}", item=labels.get(i, i)) for c, i in pieces)


def released_suffix(released: object) -> str:
    """``"_one"`` when the ``released`` cell of ``ep_invariance`` (``constraint:item;...``) frees
    the constraints of a single item, else ``""``: the key suffix of the singular sentences."""
    if not isinstance(released, str) or not released:
        return ""
    return "_one" if len({piece.split(":", 1)[-1] for piece in released.split(";")}) == 1 else ""


def _ep_invariance(w: _Writer, levels: pd.DataFrame) -> list[tuple]:
    """Whether expectations and perceptions measure the same dimensions, where they do not."""
    if levels.empty:
        return []
    t, rows, concerns = w.t, [], "expectation, perception"
    failed = levels[levels["status"] != "ok"].drop_duplicates(["status", "reason"])
    for row in failed.itertuples():
        rows.append(w.status_row("factor_structure", concerns, row.status, t("cautions.ep_subject"), row.reason))
    if len(failed):
        return rows
    for level in ("metric", "scalar"):
        tried = levels[levels["level"] == level]
        if tried.empty or tried["decision"].iloc[0] != "rejected":
            continue
        last = tried.iloc[-1]
        released = released_constraints(last["released"], t, w.labels)
        if last["decision"] == "rejected":
            rows.append(("factor_structure", concerns, f"ep_{level}_rejected", t(f"cautions.ep_{level}_rejected")))
        else:
            rows.append(("factor_structure", concerns, f"ep_{level}_partial",
                         t(f"cautions.ep_{level}_partial{released_suffix(last['released'])}", released=released)))
        if last["decision"] == "rejected":
            break
    return rows


def _structural(w: _Writer, fit: pd.DataFrame) -> list[tuple]:
    """The structural model where it could not be estimated, is improper or fits poorly."""
    if fit.empty:
        return []
    row, t = fit.iloc[0], w.t
    if row["status"] != "ok":
        return [w.status_row("factor_structure", "structural model", row["status"], t("cautions.structural_subject"),
                             row["reason"])]
    rows = []
    if row["verdict"] == "poor":
        rows.append(("factor_structure", "structural model", "structural_poor_fit",
                     t("cautions.structural_poor_fit", cfi=f"{row['cfi']:.3f}", rmsea=f"{row['rmsea']:.3f}",
                       srmr=f"{row['srmr']:.3f}")))
    failed = int(row.get("draws_failed", 0) or 0)
    if failed:
        key = "structural_draws_failed_all" if failed == int(row["n_draws"]) else "structural_draws_failed"
        rows.append(("factor_structure", "structural model", "structural_draws_failed",
                     t(f"cautions.{key}", failed=failed, n=int(row["n_draws"]), used=int(row["n_draws"]) - failed)))
    return rows


#: Decimals of each validity criterion's value and criterion in its text.
_VALIDITY_DIGITS = {"ave": (3, 2), "cr": (3, 2), "fornell_larcker": (3, 3), "htmt": (2, 2)}


def _validity(w: _Writer, validity: pd.DataFrame) -> list[tuple]:
    if validity.empty:
        return []
    failed = validity[validity["ok"].astype("boolean").eq(False).fillna(False)]
    rows, t = [], w.t
    for row in failed.itertuples():
        b = row.dimension_b if isinstance(row.dimension_b, str) else ""
        pair = f"{row.dimension_a}–{b}" if b else row.dimension_a
        value, criterion = _VALIDITY_DIGITS[row.kind]
        text = t(f"cautions.validity_{row.kind}", a=w.name(row.dimension_a), b=w.name(b) if b else "",
                 value=f"{row.value:.{value}f}", criterion=f"{row.criterion:.{criterion}f}")
        measure = w.measure(row.measure)
        rows.append(("factor_structure", f"{row.measure}, {pair}", row.kind,
                     t("cautions.validity", measure=measure[:1].upper() + measure[1:], text=text)))
    return rows


def _segments(w: _Writer, segments: pd.DataFrame) -> list[tuple]:
    if segments.empty or "tested" not in segments:
        return []
    rows, t = [], w.t
    for segment, part in segments.groupby("segment", sort=False):
        handled = part["small_level_list"].dropna().astype(str) if "small_level_list" in part else pd.Series()
        if len(handled) and handled.iloc[0]:
            action = part["small_levels"].iloc[0]
            key = "cautions.segment_pooled" if action == "pool" else "cautions.segment_left_out"
            rows.append(("segments", segment, f"segment_levels_{action}",
                         t(key, segment=segment, min_cell=f"{part['min_cell'].iloc[0]:.0f}", levels=handled.iloc[0])))
        tested = part["tested"].astype(bool)
        small = part.loc[~tested, ["level_value", "n"]].drop_duplicates("level_value")
        if small.empty:
            continue
        levels = w.join(t("cautions.segment_level", level=level, n=f"{n:.0f}") for level, n in small.itertuples(index=False))
        key = "cautions.segment_untested_levels" if tested.any() else "cautions.segment_not_compared"
        rows.append(("segments", segment, "segment_levels_not_tested", t(key, segment=segment, levels=levels)))
    return rows


def _agreement(w: _Writer, agreement: pd.DataFrame) -> list[tuple]:
    if agreement.empty:
        return []
    overall = agreement[agreement["scope"] == "overall"] if "scope" in agreement else agreement.iloc[:0]
    return [("interviews", "coder agreement", "coder_agreement",
             w.t(f"cautions.agreement_{row.alpha_verdict}", alpha=f"{row.krippendorff_alpha:.2f}"))
            for row in overall.itertuples() if row.alpha_verdict in ("tentative", "insufficient")]


def tally(phrases: pd.Series, language: str = "en", labels: Mapping[str, str] | None = None) -> str:
    """Each phrase a step recorded (a problem, a reason), in ``language``, with how often it was
    recorded, most frequent first.

    >>> tally(pd.Series(["reversed", "not found", "reversed"]))
    'reversed (2); not found (1)'
    """
    t = Messages(language)
    return t("cautions.tally_separator").join(
        t("cautions.tally_item", phrase=recorded(phrase, language, labels), n=n)
        for phrase, n in phrases.value_counts().items())


#: Tables whose rows are each one recorded problem -> (topic, subject, caution kind, the column
#: whose phrases the caution counts, the caution's placeholder for that count).
_TALLIED = {
    "segments_left_out": ("interviews", "coded segments", "segments_left_out", "reason", "reasons"),
    "complaint_problems": ("complaints", "complaint log", "complaint_log_faults", "problem", "problems"),
}


def _tallied(w: _Writer, table: str, rows: pd.DataFrame) -> list[tuple]:
    """One caution for a table of recorded problems: how many, and each phrase with its count."""
    if rows.empty:
        return []
    topic, subject, kind, column, placeholder = _TALLIED[table]
    return [(topic, subject, kind, w.t(f"cautions.{kind}", n=len(rows),
                                      **{placeholder: tally(rows[column], w.t.language, w.labels)}))]
