"""Importance, Importance-Performance Analysis and improvement priorities.

Importance is stated (the 100 points a respondent splits over the dimensions) or derived from
how perception relates to overall satisfaction (correlation or standardized regression weight).
Importance-Performance Analysis (Martilla & James 1977, J. Marketing 41(1)) places each
attribute on an importance x performance grid cut at the means. Improvement priorities rank
negative gaps by importance and join them with the provider gaps of the Gaps Model that
interview evidence points to and with the actions the literature ties to each provider gap
(Zeithaml, Berry & Parasuraman 1988, J. Marketing 52(2)).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict
from typing import Any

import numpy as np
import pandas as pd

from servqual.distributions import t_ppf
from servqual.i18n import Messages
from servqual.gaps import (
    check_aligned,
    check_dimensions,
    check_item_frame,
    dimension_scores,
    mean_confidence_intervals,
    normalise_importance,
    pearson_r_ci,
)

#: Provider gaps of the Gaps Model by id.
PROVIDER_GAPS: dict[int, str] = {1: "knowledge", 2: "standards", 3: "delivery", 4: "communication"}

#: Actions the service-quality literature ties to each provider gap: Zeithaml, Berry &
#: Parasuraman (1988), "Communication and control processes in the delivery of service quality",
#: Journal of Marketing 52(2), 35-48; the gaps themselves from Parasuraman, Zeithaml & Berry
#: (1985), "A conceptual model of service quality and its implications for future research",
#: Journal of Marketing 49(4), 41-50.
def default_playbook(language: str = "en") -> dict[int, tuple[str, ...]]:
    """The default actions per provider gap in ``language`` (catalogue ``playbook.gap<k>``,
    actions separated by ``;``).

    >>> default_playbook("en")[2]
    ('set standards from customer-defined priorities', 'standardise repetitive tasks', 'measurable goals')
    """
    t = Messages(language)
    return {gap: tuple(a.strip() for a in t(f"playbook.gap{gap}").split(";") if a.strip()) for gap in range(1, 5)}


DEFAULT_PLAYBOOK = default_playbook("en")


def playbook_in(playbook: Mapping[str, Any] | None, language: str) -> dict[int, tuple[str, ...]]:
    """The study's playbook (``priorities.playbook`` of the config: provider gap -> actions, a
    list or a list by language code) in ``language``; the defaults where it is null. A gap the
    study lists without that language takes its English actions, else its first language's.

    >>> playbook_in({"3": {"en": ["training"], "zh": ["培训"]}, "4": ["fewer ads"]}, "zh")
    {3: ('培训',), 4: ('fewer ads',)}
    """
    if playbook is None:
        return default_playbook(language)
    resolved = {}
    for gap, actions in playbook.items():
        if isinstance(actions, Mapping):
            actions = actions.get(language) or actions.get("en") or next(iter(actions.values()), [])
        resolved[int(gap)] = tuple(str(a) for a in actions)
    return resolved


PLAYBOOK_REFERENCE = (
    "Zeithaml, V. A., Berry, L. L. & Parasuraman, A. (1988). Communication and control processes "
    "in the delivery of service quality. Journal of Marketing, 52(2), 35-48."
)

#: Quadrant names by (importance high, performance high) (Martilla & James 1977).
QUADRANTS: dict[tuple[bool, bool], str] = {
    (True, False): "concentrate here",
    (True, True): "keep up the good work",
    (False, False): "low priority",
    (False, True): "possible overkill",
}
IMPORTANCE_KINDS = ("stated", "derived")

IMPORTANCE_COLUMNS = ["dimension", "kind", "value", "ci_low", "ci_high", "n", "confidence"]
IPA_COLUMNS = [
    "level", "dimension", "item", "importance", "importance_kind", "performance",
    "importance_cut", "performance_cut", "quadrant",
]
PRIORITY_COLUMNS = [
    "rank", "level", "dimension", "item", "gap", "gap_ci_low", "gap_ci_high", "importance",
    "priority_index", "quadrant", "quadrant_note", "provider_gaps", "evidence", "actions",
]
NO_EVIDENCE_NOTE = "no interview evidence supplied"
NO_DIMENSION_EVIDENCE_NOTE = "no interview evidence for this dimension"


# --------------------------------------------------------------------------------------------
# Importance


def stated_importance(
    importance: pd.DataFrame, dimensions: Mapping[str, str], confidence: float = 0.95
) -> pd.DataFrame:
    """Mean importance points per dimension with a t-based CI, after normalising rows to 100.

    ``value = mean_r 100 * points[r, k] / sum_k points[r, k]`` (constant-sum importance,
    Parasuraman, Zeithaml & Berry 1988, J. Retailing 64(1)).

    Returns
    -------
    DataFrame with columns dimension, kind ('stated'), value, ci_low, ci_high, n.
    """
    summary = mean_confidence_intervals(normalise_importance(importance, dimensions), confidence)
    return _importance_rows(summary.rename(columns={"mean": "value"}), "stated", confidence)


def standardized_regression_weights(
    predictors: pd.DataFrame, outcome: pd.Series, confidence: float = 0.95
) -> pd.DataFrame:
    """Standardized OLS weights of the predictors on the outcome, listwise complete cases.

    ``beta = (Z_x' Z_x)^-1 Z_x' z_y`` on z-scores; CI ``beta +- t_{n-k-1} * se`` with
    ``se^2 = diag((Z_x' Z_x)^-1) * RSS / (n - k - 1)`` (treats the sample SDs as fixed).

    Returns
    -------
    DataFrame indexed by the predictor names with columns value, ci_low, ci_high, n.
    """
    data = pd.concat([predictors, outcome.rename("__outcome__")], axis=1).dropna()
    n, k = len(data), predictors.shape[1]
    empty = pd.DataFrame(np.nan, index=predictors.columns, columns=["value", "ci_low", "ci_high"])
    if n <= k + 1:
        return empty.assign(n=n)
    z = ((data - data.mean()) / data.std(ddof=1)).to_numpy()
    x, y = z[:, :k], z[:, k]
    xtx_inv = np.linalg.pinv(x.T @ x)
    beta = xtx_inv @ x.T @ y
    residual_variance = np.sum((y - x @ beta) ** 2) / (n - k - 1)
    half = t_ppf((1 + confidence) / 2, n - k - 1) * np.sqrt(
        np.diag(xtx_inv) * residual_variance
    )
    return pd.DataFrame(
        {"value": beta, "ci_low": beta - half, "ci_high": beta + half, "n": n},
        index=predictors.columns,
    )


def derived_importance(
    perceptions: pd.DataFrame,
    dimensions: Mapping[str, str],
    overall: pd.Series,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Derived importance of each dimension from its perception score and overall satisfaction.

    ``derived_r``: Pearson r of the dimension perception score with overall satisfaction, Fisher-z
    CI, pairwise complete cases. ``derived_beta``: standardized regression weight of the
    dimension in the regression of overall satisfaction on all dimension perception scores
    (listwise complete), t-based CI (see :func:`standardized_regression_weights`). Derived
    importance in IPA: Matzler et al. (2004, Industrial Marketing Management 33(4)).

    Returns
    -------
    DataFrame with columns dimension, kind ('derived_r', 'derived_beta'), value, ci_low,
    ci_high, n.
    """
    check_dimensions(dimensions)
    check_item_frame(perceptions, dimensions, "perceptions")
    check_aligned({"perceptions": perceptions, "overall": overall})
    scores = dimension_scores(perceptions, dimensions)
    correlations = _correlations(scores, overall, confidence)
    betas = standardized_regression_weights(scores, overall, confidence)
    return pd.concat(
        [_importance_rows(correlations, "derived_r", confidence), _importance_rows(betas, "derived_beta", confidence)],
        ignore_index=True,
    )


def importance_table(
    perceptions: pd.DataFrame,
    dimensions: Mapping[str, str],
    importance: pd.DataFrame | None = None,
    overall: pd.Series | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Stated and derived importance of every dimension, as far as the data allow.

    Stated rows need ``importance`` (points), derived rows need ``overall``; see
    :func:`stated_importance` and :func:`derived_importance`.

    Returns
    -------
    DataFrame with columns dimension, kind (stated, derived_r, derived_beta), value, ci_low,
    ci_high, n, confidence; no rows when neither input is given.
    """
    check_aligned({"perceptions": perceptions, "importance": importance, "overall": overall})
    parts = [pd.DataFrame(columns=IMPORTANCE_COLUMNS)]
    if importance is not None:
        parts.append(stated_importance(importance, dimensions, confidence))
    if overall is not None:
        parts.append(derived_importance(perceptions, dimensions, overall, confidence))
    return pd.concat(parts, ignore_index=True)[IMPORTANCE_COLUMNS]


def _correlations(scores: pd.DataFrame, overall: pd.Series, confidence: float) -> pd.DataFrame:
    results = [asdict(pearson_r_ci(scores[col], overall, confidence)) for col in scores.columns]
    table = pd.DataFrame(results, index=scores.columns).rename(columns={"r": "value"})
    return table[["value", "ci_low", "ci_high", "n"]]


def _importance_rows(summary: pd.DataFrame, kind: str, confidence: float) -> pd.DataFrame:
    return summary.assign(dimension=summary.index, kind=kind, confidence=confidence).reset_index(drop=True)[
        IMPORTANCE_COLUMNS
    ]


# --------------------------------------------------------------------------------------------
# Importance-Performance Analysis


def ipa_quadrants(importance: pd.Series, performance: pd.Series) -> pd.DataFrame:
    """Martilla & James (1977, J. Marketing 41(1)) quadrants with the grid cut at the means.

    High means at or above the mean over the attributes given. "concentrate here" = high
    importance and low performance; "keep up the good work" = high, high; "low priority" =
    low, low; "possible overkill" = low importance and high performance.

    Returns
    -------
    DataFrame indexed like the inputs with columns importance, performance, importance_cut,
    performance_cut, quadrant.

    Examples
    --------
    >>> imp = pd.Series({"a": 30.0, "b": 10.0, "c": 20.0})
    >>> perf = pd.Series({"a": 4.0, "b": 6.0, "c": 5.5})
    >>> ipa_quadrants(imp, perf)["quadrant"].tolist()
    ['concentrate here', 'possible overkill', 'keep up the good work']
    """
    importance_cut, performance_cut = importance.mean(), performance.mean()
    keys = zip(importance >= importance_cut, performance >= performance_cut)
    return pd.DataFrame(
        {
            "importance": importance,
            "performance": performance,
            "importance_cut": importance_cut,
            "performance_cut": performance_cut,
            "quadrant": [QUADRANTS[(bool(hi), bool(hp))] for hi, hp in keys],
        }
    )


def _item_correlations(
    perceptions: pd.DataFrame, items: Iterable[str], overall: pd.Series
) -> pd.Series:
    return pd.Series({item: pearson_r_ci(perceptions[item], overall).r for item in items})


def importance_performance(
    perceptions: pd.DataFrame,
    dimensions: Mapping[str, str],
    *,
    importance: pd.DataFrame | None = None,
    overall: pd.Series | None = None,
    kind: str = "stated",
    item_importance: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Importance-Performance Analysis table per dimension and per item for one wave.

    Performance is the mean perception (dimension score or item). ``kind='stated'``: with
    ``item_importance`` (each item's importance rated, columns = item ids) an item's importance
    is its mean rating and a dimension's the mean of its items' (``importance_kind``
    ``stated_items``); otherwise importance is the mean normalised points of the dimension, and
    an item takes its dimension's points.
    ``kind='derived'``: importance is the Pearson r of the dimension's (or item's) perception
    with overall satisfaction. Each level is cut at its own means (:func:`ipa_quadrants`).

    Returns
    -------
    DataFrame with dimension rows, then item rows, and columns level, dimension, item ('' for
    dimension rows), importance, importance_kind ('stated' or 'derived_r'), performance,
    importance_cut, performance_cut, quadrant.
    """
    if kind not in IMPORTANCE_KINDS:
        raise ValueError(f"kind must be one of {list(IMPORTANCE_KINDS)}, not {kind!r}")
    check_dimensions(dimensions)
    check_item_frame(perceptions, dimensions, "perceptions")
    source = (importance if item_importance is None else item_importance) if kind == "stated" else overall
    if source is None:
        needed = "importance points or item importance ratings" if kind == "stated" else "an overall satisfaction item"
        raise ValueError(f"{kind} importance needs {needed}")
    check_aligned({"perceptions": perceptions, "importance": importance, "overall": overall,
                   "item_importance": item_importance})
    items = list(dimensions)
    scores = dimension_scores(perceptions, dimensions)
    rated_items = kind == "stated" and item_importance is not None
    if rated_items:
        item_importance = item_importance[items].mean()
        dim_importance = item_importance.groupby(pd.Series(dimensions)).mean()[scores.columns]
    elif kind == "stated":
        dim_importance = normalise_importance(importance, dimensions).mean()
        item_importance = pd.Series({item: dim_importance[dimensions[item]] for item in items})
    else:
        dim_importance = _item_correlations(scores, scores.columns, overall)
        item_importance = _item_correlations(perceptions, items, overall)
    dim_rows = ipa_quadrants(dim_importance, scores.mean()).assign(
        level="dimension", dimension=scores.columns, item=""
    )
    item_rows = ipa_quadrants(item_importance, perceptions[items].mean()).assign(
        level="item", dimension=[dimensions[i] for i in items], item=items
    )
    table = pd.concat([dim_rows, item_rows], ignore_index=True)
    table["importance_kind"] = "derived_r" if kind == "derived" else "stated_items" if rated_items else "stated"
    return table[IPA_COLUMNS]


# --------------------------------------------------------------------------------------------
# Improvement priorities


def priority_index(gap: pd.Series, weight: pd.Series) -> pd.Series:
    """``max(0, -gap) * weight``: the size of a shortfall times its importance weight.

    Zero when perception meets or exceeds the comparison standard; NaN when the gap is NaN.
    """
    return (-gap).clip(lower=0) * weight


def _importance_weights(importance: pd.Series, level: pd.Series) -> pd.Series:
    """Importance shares within each level; negative (derived) importance carries no weight."""
    clipped = importance.clip(lower=0)
    return clipped / clipped.groupby(level).transform("sum")


def parse_provider_gaps(value: object) -> list[int]:
    """Provider gap ids (1..4) from a list of ids or a text such as 'Gap 3; gap 4 (promises)'."""
    if isinstance(value, str):
        return sorted({int(g) for g in re.findall(r"(?<!\d)[1-4](?!\d)", value)})
    if isinstance(value, Iterable):
        ids = sorted({int(g) for g in value})
        unknown = [g for g in ids if g not in PROVIDER_GAPS]
        if unknown:
            raise ValueError(f"provider gap ids must be 1..4, not {unknown}")
        return ids
    return []


def _evidence_by_dimension(
    provider_evidence: pd.DataFrame | None, playbook: Mapping[int, Sequence[str]]
) -> pd.DataFrame:
    columns = ["provider_gaps", "evidence", "actions"]
    if provider_evidence is None or provider_evidence.empty:
        return pd.DataFrame(columns=columns)
    missing = {"dimension", "provider_gaps", "evidence"} - set(provider_evidence.columns)
    if missing:
        raise ValueError(f"provider_evidence lacks the columns {sorted(missing)}")
    rows = {}
    for dim, group in provider_evidence.groupby("dimension", sort=False):
        ids = sorted({g for value in group["provider_gaps"] for g in parse_provider_gaps(value)})
        rows[dim] = {
            "provider_gaps": ", ".join(f"{g} {PROVIDER_GAPS[g]}" for g in ids),
            "evidence": "; ".join(str(e) for e in group["evidence"] if pd.notna(e) and str(e)),
            "actions": "; ".join(action for g in ids for action in playbook.get(g, ())),
        }
    return pd.DataFrame.from_dict(rows, orient="index", columns=columns)


def improvement_priorities(
    gaps: pd.DataFrame,
    ipa: pd.DataFrame,
    provider_evidence: pd.DataFrame | None = None,
    playbook: Mapping[int, Sequence[str]] = DEFAULT_PLAYBOOK,
) -> pd.DataFrame:
    """Dimensions and items ranked by a priority index, with provider gaps and actions.

    ``priority_index = max(0, -gap) * w`` where ``w`` is the IPA importance of the row divided
    by the sum of the importances of its level (negative derived importance clipped to 0), so
    the index is the shortfall weighted by the importance share; zero when the gap is not
    negative. Ranks run within each level, 1 = highest index; ties go to the larger shortfall,
    then instrument order. Provider gaps follow the Gaps Model (1 knowledge, 2 standards,
    3 delivery, 4 communication; Zeithaml, Berry & Parasuraman 1988, J. Marketing 52(2)); an
    item takes its dimension's evidence, and actions come from ``playbook`` for the named gaps.

    Parameters
    ----------
    gaps : gap rows of :func:`servqual.gaps.paired_gap_tests` (item and/or dimension level;
        only measure_pair 'P-E' is used when that column is present).
    ipa : table of :func:`importance_performance` for the same wave.
    provider_evidence : optional DataFrame with columns dimension, provider_gaps (list of ids or
        text naming them, e.g. 'gap 3, gap 4') and evidence (interview note); several rows per
        dimension are combined.
    playbook : provider gap id -> action texts; :data:`DEFAULT_PLAYBOOK` by default.

    Returns
    -------
    DataFrame with dimension rows, then item rows, each in rank order, and columns rank, level,
    dimension, item, gap, gap_ci_low, gap_ci_high, importance (the IPA importance),
    priority_index, quadrant, quadrant_note (:func:`quadrant_note`), provider_gaps (e.g. '3 delivery, 4 communication'; '' without
    evidence), evidence (the interview notes, or why there are none), actions ('; '-separated).
    """
    required = {"level", "dimension", "item", "gap", "gap_ci_low", "gap_ci_high"}
    if required - set(gaps.columns):
        raise ValueError(f"gaps lacks the columns {sorted(required - set(gaps.columns))}")
    if "measure_pair" in gaps.columns:
        gaps = gaps[gaps["measure_pair"] == "P-E"]
    keys = ["level", "dimension", "item"]
    table = gaps[[*required]].merge(
        ipa[[*keys, "importance", "quadrant"]], on=keys, how="left", validate="one_to_one"
    )
    table["order"] = np.arange(len(table))
    table["priority_index"] = priority_index(
        table["gap"], _importance_weights(table["importance"], table["level"])
    )
    evidence = _evidence_by_dimension(provider_evidence, playbook)
    table = table.join(evidence, on="dimension")
    no_evidence = NO_EVIDENCE_NOTE if evidence.empty else NO_DIMENSION_EVIDENCE_NOTE
    table["evidence"] = table["evidence"].fillna(no_evidence)
    table[["provider_gaps", "actions"]] = table[["provider_gaps", "actions"]].fillna("")
    table["level_order"] = table["level"].map({"dimension": 0, "item": 1})
    table = table.sort_values(
        ["level_order", "priority_index", "gap", "order"],
        ascending=[True, False, True, True],
        na_position="last",
    )
    table["rank"] = table.groupby("level").cumcount() + 1
    table["quadrant_note"] = [quadrant_note(q, g, i) for q, g, i in
                              zip(table["quadrant"], table["gap"], table["priority_index"])]
    return table.reset_index(drop=True)[PRIORITY_COLUMNS]


def priority_table(
    gaps_items: pd.DataFrame,
    gaps_dimensions: pd.DataFrame,
    ipa: pd.DataFrame,
    provider_evidence: pd.DataFrame | None = None,
    playbook: Mapping[int, Sequence[str]] = DEFAULT_PLAYBOOK,
) -> pd.DataFrame:
    """The priorities step of a wave: :func:`improvement_priorities` of its item and dimension
    gaps as read back from their tables, or an empty table (:data:`PRIORITY_COLUMNS`) where the
    wave has no gap scores (no expectations) or no importance to weight them with.

    The tables' empty item and dimension cells are read back as missing; they are the join keys
    of gaps and IPA, so they are compared as empty text.
    """
    gaps = pd.concat([gaps_dimensions, gaps_items], ignore_index=True)
    if not gaps["gap"].notna().any() or ipa.empty:
        return pd.DataFrame(columns=PRIORITY_COLUMNS)
    keys = ["level", "dimension", "item"]
    gaps[keys], ipa = gaps[keys].fillna(""), ipa.assign(**{k: ipa[k].fillna("") for k in keys})
    return improvement_priorities(gaps, ipa, provider_evidence, playbook)


def quadrant_note(quadrant: object, gap: float, index: float) -> str:
    """Why a row's IPA quadrant and its priority seem to disagree ('' where they agree).

    The two answer different questions: the priority ranks the shortfall of perceptions against
    expectations (P - E), weighted by importance; the quadrant places the perception level
    against the average of all rows. A dimension customers rate highly can still fall short of
    what they expect, and one they rate poorly can meet their low expectations.

    Examples
    --------
    >>> quadrant_note("keep up the good work", -0.9, 0.35)
    'performance above the average of the rows, yet perceptions fall 0.90 short of expectations: ranked by that shortfall'
    >>> quadrant_note("concentrate here", 0.1, 0.0)
    'performance below the average of the rows, but perceptions meet expectations (gap +0.10): not a priority'
    """
    if not isinstance(quadrant, str) or pd.isna(gap):
        return ""
    if index > 0 and quadrant != "concentrate here":
        where = "above" if quadrant in ("keep up the good work", "possible overkill") else "below"
        return (f"performance {where} the average of the rows, yet perceptions fall {-gap:.2f} short of "
                "expectations: ranked by that shortfall")
    if index <= 0 and quadrant == "concentrate here":
        return (f"performance below the average of the rows, but perceptions meet expectations (gap {gap:+.2f}): "
                "not a priority")
    return ""
