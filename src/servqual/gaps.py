"""Gap analysis: paired perception-expectation tests, SERVQUAL and SERVPERF scores, zone of tolerance.

The customer gap of SERVQUAL is perception minus expectation, P - E (Parasuraman, Zeithaml &
Berry 1988, J. Retailing 64(1)). A dimension score is a respondent's mean over the dimension's
items; the unweighted SERVQUAL score is the respondent's mean of the dimension gaps and the
weighted score sums the dimension gaps weighted by the respondent's own importance points.
SERVPERF is the mean perception (Cronin & Taylor 1992, J. Marketing 56(3)). The three-column
format compares perception with the adequate (A) and desired (D) service levels: the measure of
service adequacy MSA = P - A and of service superiority MSS = P - D; between A and D lies the
zone of tolerance (Parasuraman, Zeithaml & Berry 1994, J. Retailing 70(3)).

All functions take item frames with one row per respondent (columns = item ids, NaN = missing,
rows aligned across frames) and an ordered mapping item id -> dimension id.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields

import numpy as np
import pandas as pd

from servqual.checks import check_choice, check_confidence, check_items
from servqual.distributions import norm_ppf, norm_sf, t_ppf, t_sf
from servqual.multiple_comparisons import P_ADJUST_METHODS, adjust_pvalues

ZERO_METHODS = ("pratt", "wilcox", "zsplit")
ADJUSTED_TESTS = ("t", "wilcoxon")

GAP_COLUMNS = [
    "measure_pair", "level", "dimension", "item", "n", "mean_e", "mean_p", "gap", "gap_sd",
    "gap_ci_low", "gap_ci_high", "t", "p_t", "w", "p_w", "p_adj", "d_z", "d_av", "rank_biserial",
    "confidence", "p_adjust", "adjusted_test", "zero_method",
]
SCORE_COLUMNS = [
    "score", "n", "mean", "sd", "ci_low", "ci_high", "r_overall", "r_ci_low", "r_ci_high", "r2",
    "r2_ci_low", "r2_ci_high", "note", "confidence",
]
ZONE_COLUMNS = [
    "level", "dimension", "item", "n", "mean_adequate", "mean_desired", "mean_p", "msa",
    "msa_ci_low", "msa_ci_high", "mss", "mss_ci_low", "mss_ci_high", "share_below",
    "share_inside", "share_above", "confidence",
]
PERCEPTION_ONLY_NOTE = (
    "perception-only study (no expectations): gap analysis does not apply; SERVPERF is reported"
)
NO_IMPORTANCE_NOTE = "no importance points: the weighted SERVQUAL score cannot be computed"


# --------------------------------------------------------------------------------------------
# Input checks


def check_dimensions(dimensions: Mapping[str, str]) -> None:
    """Raise if the item -> dimension mapping is empty or not a mapping of strings."""
    if not isinstance(dimensions, Mapping) or len(dimensions) == 0:
        raise ValueError("dimensions must be a non-empty mapping item id -> dimension id")


def check_item_frame(frame: pd.DataFrame, dimensions: Mapping[str, str], name: str) -> None:
    """Raise if ``frame`` lacks items of the mapping or holds non-numeric ratings."""
    check_items(frame, dimensions, name=name)


def check_aligned(frames: Mapping[str, pd.DataFrame | pd.Series | None]) -> None:
    """Raise unless all given frames have the same respondents (index) in the same order."""
    present = {name: f for name, f in frames.items() if f is not None}
    names = list(present)
    for name in names[1:]:
        if not present[name].index.equals(present[names[0]].index):
            raise ValueError(
                f"{name} and {names[0]} must hold the same respondents in the same row order"
            )


# --------------------------------------------------------------------------------------------
# Building blocks


def dimension_ids(dimensions: Mapping[str, str]) -> list[str]:
    """Dimension ids in the order in which the instrument first names them."""
    return list(dict.fromkeys(dimensions.values()))


def dimension_scores(items: pd.DataFrame, dimensions: Mapping[str, str]) -> pd.DataFrame:
    """Each respondent's mean over the answered items of each dimension.

    ``score[r, k] = mean_{i in k, x[r, i] observed} x[r, i]``; NaN where no item of the dimension
    was answered. Columns are the dimension ids in instrument order.
    """
    item_dimension = pd.Series(dimensions)
    scores = {}
    for dim in dimension_ids(dimensions):
        values = items[item_dimension.index[item_dimension == dim]].to_numpy(dtype=float)
        observed = ~np.isnan(values)
        with np.errstate(invalid="ignore", divide="ignore"):
            scores[dim] = np.where(observed, values, 0.0).sum(axis=1) / observed.sum(axis=1)
    return pd.DataFrame(scores, index=items.index)


def mean_confidence_intervals(frame: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """n, mean, SD and t-based confidence interval of every column, ignoring NaN.

    ``mean +- t_{(1+confidence)/2, n-1} * sd / sqrt(n)`` (Student 1908, Biometrika 6(1)).

    Returns
    -------
    DataFrame indexed by the columns of ``frame`` with columns n, mean, sd, ci_low, ci_high.
    """
    # Column by column on numpy arrays: pandas' NaN-aware reductions copy the whole frame for
    # each statistic, which costs seconds at a million respondents.
    n, mean, sd = (np.zeros(frame.shape[1]) for _ in range(3))
    for j in range(frame.shape[1]):
        values = frame.iloc[:, j].to_numpy(dtype=float)
        values = values[~np.isnan(values)]
        n[j] = values.size
        mean[j] = values.mean() if values.size else np.nan
        sd[j] = values.std(ddof=1) if values.size > 1 else np.nan
    with np.errstate(invalid="ignore", divide="ignore"):
        half = t_ppf((1 + confidence) / 2, n - 1) * sd / np.sqrt(n)
    return pd.DataFrame(
        {"n": n.astype(int), "mean": mean, "sd": sd, "ci_low": mean - half, "ci_high": mean + half},
        index=frame.columns,
    )


@dataclass(frozen=True)
class SignedRankResult:
    """Wilcoxon signed-rank test of paired differences, normal approximation.

    Attributes
    ----------
    n : differences used (after dropping zeros for the 'wilcox' method)
    n_zero : zero differences among the observed ones
    r_plus, r_minus : sums of the ranks of the positive and negative differences (``r_plus`` is
        R's ``V``); with 'zsplit' each includes half the ranks of the zeros
    z : standardised ``r_plus`` with tie (and, for Pratt, zero) correction, no continuity
        correction
    p : two-sided p-value from the normal distribution
    rank_biserial : matched-pairs rank-biserial correlation ``(r_plus - r_minus)/(r_plus + r_minus)``
    zero_method : 'pratt', 'wilcox' or 'zsplit'
    """

    n: int
    n_zero: int
    r_plus: float
    r_minus: float
    z: float
    p: float
    rank_biserial: float
    zero_method: str


def wilcoxon_signed_rank(
    differences: Sequence[float] | np.ndarray, zero_method: str = "pratt"
) -> SignedRankResult:
    """Wilcoxon signed-rank test with a stated treatment of zero differences.

    ``z = (R+ - mu) / sigma`` with ``mu = n(n+1)/4`` and
    ``sigma^2 = n(n+1)(2n+1)/24 - sum(t^3 - t)/48`` over tie groups t, without continuity
    correction (Wilcoxon 1945, Biometrics Bulletin 1(6)). Zero methods: 'pratt' ranks the zeros
    with the other absolute differences and then drops their ranks, with
    ``mu`` and ``sigma^2`` reduced by the zeros' share (Pratt 1959, JASA 54(287); Cureton 1967,
    JASA 62(319)); 'wilcox' drops zeros before ranking; 'zsplit' ranks them and gives half of
    their ranks to each sign. The rank-biserial correlation is Kerby's (2014, Comprehensive
    Psychology 3) ``(R+ - R-) / (R+ + R-)`` over the same ranks. Agrees with
    ``scipy.stats.wilcoxon(d, zero_method=..., correction=False, method="asymptotic")`` and, for
    'wilcox', with R's ``wilcox.test(paired=TRUE, correct=FALSE, exact=FALSE)``.

    Examples
    --------
    >>> round(wilcoxon_signed_rank([1, 2, 0, -1, 3, 2, 0, 4]).p, 4)
    0.0646
    """
    check_choice(zero_method, ZERO_METHODS, "zero_method")
    d = np.asarray(differences, dtype=float)
    d = d[~np.isnan(d)]
    if zero_method == "wilcox":
        d = d[d != 0]
    # Ranks of |d| by distinct value (one sort; rating gaps take few values): a value's average
    # rank is the count below it plus (its count + 1) / 2.
    magnitudes, value_of, ties = np.unique(np.abs(d), return_inverse=True, return_counts=True)
    average_rank = np.cumsum(ties) - (ties - 1) / 2
    positive = np.bincount(value_of[d > 0], minlength=magnitudes.size)
    negative = np.bincount(value_of[d < 0], minlength=magnitudes.size)
    n, n_zero = d.size, int(ties[0]) if magnitudes.size and magnitudes[0] == 0 else 0
    r_plus, r_minus = float(positive @ average_rank), float(negative @ average_rank)
    zero_ranks = n_zero * (n_zero + 1) / 2
    mean = n * (n + 1) / 4
    variance = n * (n + 1) * (2 * n + 1) / 24
    if zero_method == "pratt":
        mean -= n_zero * (n_zero + 1) / 4
        variance -= n_zero * (n_zero + 1) * (2 * n_zero + 1) / 24
        ties = ties[1:] if n_zero else ties
    elif zero_method == "zsplit":
        r_plus += zero_ranks / 2
        r_minus += zero_ranks / 2
    variance -= np.sum(ties**3 - ties) / 48
    if variance <= 0:
        z = p = rank_biserial = np.nan
    else:
        z = (r_plus - mean) / np.sqrt(variance)
        p = 2 * norm_sf(abs(z))
        rank_biserial = (r_plus - r_minus) / (r_plus + r_minus)
    return SignedRankResult(
        n, n_zero, float(r_plus), float(r_minus), float(z), float(p), float(rank_biserial),
        zero_method,
    )


@dataclass(frozen=True)
class CorrelationResult:
    """Pearson correlation with a Fisher-z confidence interval and R^2 = r^2 with its interval."""

    n: int
    r: float
    ci_low: float
    ci_high: float
    r2: float
    r2_ci_low: float
    r2_ci_high: float


def pearson_r_ci(x: pd.Series, y: pd.Series, confidence: float = 0.95) -> CorrelationResult:
    """Pearson r over the pairwise complete cases, Fisher-z CI, and R^2 with the squared r CI.

    ``tanh(atanh(r) +- z_{(1+confidence)/2} / sqrt(n - 3))`` (Fisher 1921, Metron 1). The R^2
    interval squares the r interval; where that contains 0 it becomes ``[0, max(lo^2, hi^2)]``.
    It is therefore the interval of the squared correlation of a single predictor, as R^2 of a
    simple regression is.
    """
    complete = x.notna() & y.notna()
    n = int(complete.sum())
    if n < 4:
        return CorrelationResult(n, *(np.nan,) * 6)
    half = norm_ppf((1 + confidence) / 2) / np.sqrt(n - 3)
    # A constant variable gives r = NaN and a perfect fit r = +-1; neither needs a warning.
    with np.errstate(invalid="ignore", divide="ignore"):
        r = float(np.corrcoef(x[complete], y[complete])[0, 1])
        low, high = np.tanh(np.arctanh(r) + np.array([-half, half]))
    squared = sorted((low**2, high**2))
    r2_low = 0.0 if low < 0 < high else squared[0]
    return CorrelationResult(n, r, float(low), float(high), r**2, float(r2_low), float(squared[1]))


# --------------------------------------------------------------------------------------------
# Paired gap tests


def _paired_complete(
    comparison: pd.DataFrame, perceptions: pd.DataFrame, dimensions: Mapping[str, str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Both frames restricted to the mapped items, each rating kept only where its pair exists.

    Masking keeps a dimension gap equal to P-score minus comparison-score over the same items.
    """
    items = list(dimensions)
    c = comparison[items].to_numpy(dtype=float, copy=True)
    p = perceptions[items].to_numpy(dtype=float, copy=True)
    missing = np.isnan(c) | np.isnan(p)
    c[missing] = p[missing] = np.nan
    return (pd.DataFrame(c, index=comparison.index, columns=items),
            pd.DataFrame(p, index=perceptions.index, columns=items))


def _estimate(name: str, summary: pd.DataFrame) -> dict[str, np.ndarray]:
    """Columns ``name``, ``name_ci_low`` and ``name_ci_high`` from a
    :func:`mean_confidence_intervals` summary."""
    return {name: summary["mean"].to_numpy(), f"{name}_ci_low": summary["ci_low"].to_numpy(),
            f"{name}_ci_high": summary["ci_high"].to_numpy()}


def _labels(columns: pd.Index, dimensions: Mapping[str, str], level: str) -> pd.DataFrame:
    if level == "item":
        return pd.DataFrame({"dimension": [dimensions[c] for c in columns], "item": list(columns)})
    return pd.DataFrame({"dimension": list(columns), "item": [""] * len(columns)})


def _perception_only_gaps(
    perceptions: pd.DataFrame, dimensions: Mapping[str, str], level: str
) -> pd.DataFrame:
    p = perceptions[list(dimensions)]
    if level == "dimension":
        p = dimension_scores(p, dimensions)
    table = _labels(p.columns, dimensions, level).assign(
        measure_pair="P-E", level=level, n=p.count().to_numpy(), mean_p=p.mean().to_numpy()
    )
    table = table.reindex(columns=GAP_COLUMNS)
    table.attrs["note"] = PERCEPTION_ONLY_NOTE
    return table


def paired_gap_tests(
    comparison: pd.DataFrame | None,
    perceptions: pd.DataFrame,
    dimensions: Mapping[str, str],
    *,
    level: str = "item",
    measure_pair: str = "P-E",
    zero_method: str = "pratt",
    p_adjust: str = "holm",
    adjust_test: str = "t",
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Per item or per dimension: mean gap P - comparison with CI, paired t and Wilcoxon tests.

    ``gap = mean(P - C)``, ``CI = gap +- t_{.975, n-1} sd(d)/sqrt(n)``; paired t-test
    ``t = gap / (sd(d)/sqrt(n))`` (Student 1908, Biometrika 6(1)); Wilcoxon signed-rank test
    as in :func:`wilcoxon_signed_rank` (normal approximation with tie correction, no continuity
    correction; zero differences by Pratt's method unless ``zero_method`` says otherwise);
    ``d_z = mean(d)/sd(d)`` and ``d_av = mean(d)/((sd_C + sd_P)/2)`` (Lakens 2013, Frontiers in
    Psychology 4:863); matched-pairs rank-biserial correlation (Kerby 2014, Comprehensive
    Psychology 3). A dimension score is the respondent's mean over the dimension's items, using
    only items where both ratings exist, so the dimension gap is the mean of its item gaps.

    Parameters
    ----------
    comparison : expectation (or adequate / desired) item frame; ``None`` for a perception-only
        study, which returns the rows with ``n`` and ``mean_p`` only, the rest NaN, and the reason
        in ``result.attrs["note"]``.
    perceptions : perception item frame, rows aligned with ``comparison``.
    dimensions : ordered mapping item id -> dimension id.
    level : 'item' or 'dimension'.
    measure_pair : label for the comparison: 'P-E', 'P-A' (MSA) or 'P-D' (MSS).
    zero_method : 'pratt' (default), 'wilcox' or 'zsplit'.
    p_adjust : 'holm' (default) or 'bh'; the family is the rows of this table, so item and
        dimension tables are adjusted as separate families.
    adjust_test : which p-value ``p_adj`` adjusts: 't' (default, ``p_t``) or 'wilcoxon' (``p_w``).
    confidence : level of the gap confidence interval.

    Returns
    -------
    DataFrame with one row per item or dimension (instrument order) and columns
    measure_pair, level, dimension, item ('' for dimension rows), n (complete pairs), mean_e
    (mean of the comparison measure), mean_p, gap, gap_sd, gap_ci_low, gap_ci_high, t, p_t,
    w (Wilcoxon R+, the sum of the ranks of positive gaps), p_w, p_adj, d_z, d_av,
    rank_biserial. ``result.attrs["methods"]`` states the methods used.

    Examples
    --------
    >>> e = pd.DataFrame({"q1": [5, 6, 7, 5, 6], "q2": [6, 6, 7, 7, 5]})
    >>> p = pd.DataFrame({"q1": [4, 5, 7, 4, 4], "q2": [5, 6, 6, 7, 4]})
    >>> paired_gap_tests(e, p, {"q1": "A", "q2": "A"})["gap"].round(2).tolist()
    [-1.0, -0.6]
    """
    check_dimensions(dimensions)
    check_item_frame(perceptions, dimensions, "perceptions")
    check_choice(level, ("item", "dimension"), "level")
    check_choice(zero_method, ZERO_METHODS, "zero_method")
    check_choice(adjust_test, ADJUSTED_TESTS, "adjust_test")
    check_choice(p_adjust, P_ADJUST_METHODS, "p_adjust")
    check_confidence(confidence)
    if comparison is None:
        return _perception_only_gaps(perceptions, dimensions, level)
    check_item_frame(comparison, dimensions, "comparison ratings")
    check_aligned({"comparison ratings": comparison, "perceptions": perceptions})

    c, p = _paired_complete(comparison, perceptions, dimensions)
    if level == "dimension":
        c, p = dimension_scores(c, dimensions), dimension_scores(p, dimensions)
    d = p - c
    summary = mean_confidence_intervals(d, confidence)
    c_summary, p_summary = mean_confidence_intervals(c), mean_confidence_intervals(p)
    ranks = [wilcoxon_signed_rank(d[col].to_numpy(), zero_method) for col in d.columns]
    with np.errstate(invalid="ignore", divide="ignore"):
        t = summary["mean"] / (summary["sd"] / np.sqrt(summary["n"]))
        p_t = 2 * t_sf(np.abs(t), summary["n"] - 1)
        d_av = summary["mean"] / ((c_summary["sd"] + p_summary["sd"]) / 2)
    p_w = np.array([r.p for r in ranks])
    table = _labels(d.columns, dimensions, level).assign(
        measure_pair=measure_pair,
        level=level,
        n=summary["n"].to_numpy(),
        mean_e=c_summary["mean"].to_numpy(),
        mean_p=p_summary["mean"].to_numpy(),
        **_estimate("gap", summary),
        gap_sd=summary["sd"].to_numpy(),
        t=t.to_numpy(),
        p_t=np.asarray(p_t),
        w=[r.r_plus for r in ranks],
        p_w=p_w,
        p_adj=adjust_pvalues(np.asarray(p_t) if adjust_test == "t" else p_w, p_adjust),
        d_z=(summary["mean"] / summary["sd"]).to_numpy(),
        d_av=d_av.to_numpy(),
        rank_biserial=[r.rank_biserial for r in ranks],
        # The method choices travel with the numbers: a report or caption reads them from here.
        confidence=confidence,
        p_adjust=p_adjust,
        adjusted_test=adjust_test,
        zero_method=zero_method,
    )[GAP_COLUMNS]
    table.attrs["methods"] = (
        f"{confidence:.0%} t-based CI; two-sided paired t-test; Wilcoxon signed-rank test, "
        f"zero differences by the {zero_method} method, normal approximation with tie "
        f"correction and no continuity correction; p_adj = {p_adjust} adjustment of "
        f"{'p_t' if adjust_test == 't' else 'p_w'} across the {len(table)} {level} rows"
    )
    return table


# --------------------------------------------------------------------------------------------
# SERVQUAL / SERVPERF scores


def normalise_importance(points: pd.DataFrame, dimensions: Mapping[str, str]) -> pd.DataFrame:
    """Each respondent's importance points rescaled to sum to 100 over the dimensions.

    ``w[r, k] = 100 * points[r, k] / sum_k points[r, k]``; rows with a missing value or a zero
    total become NaN. Columns are the dimension ids in instrument order.
    """
    dims = dimension_ids(dimensions)
    missing = [d for d in dims if d not in points.columns]
    if missing:
        raise ValueError(f"importance points lack the dimensions {missing}")
    values = points[dims].astype(float)
    if (values < 0).any().any():
        raise ValueError("importance points must not be negative")
    total = values.sum(axis=1, skipna=False)
    return values.div(total.where(total > 0), axis=0) * 100


def respondent_scores(
    perceptions: pd.DataFrame,
    dimensions: Mapping[str, str],
    expectations: pd.DataFrame | None = None,
    importance: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Per respondent: dimension gaps, SERVQUAL (unweighted and weighted) and SERVPERF scores.

    ``servqual = mean_k gap_k``; ``servqual_weighted = sum_k gap_k * w_k / 100`` with the
    respondent's points ``w`` normalised to sum 100; ``servperf = mean_i P_i`` over the answered
    perception items (Parasuraman, Zeithaml & Berry 1988, J. Retailing 64(1); Cronin & Taylor
    1992, J. Marketing 56(3)). A respondent's SERVQUAL scores are NaN unless every dimension has
    at least one item with both ratings.

    Returns
    -------
    DataFrame (index of ``perceptions``) with one column per dimension id (its gap; NaN without
    expectations), then servqual, servqual_weighted, servperf.
    """
    check_dimensions(dimensions)
    check_item_frame(perceptions, dimensions, "perceptions")
    check_aligned({"perceptions": perceptions, "expectations": expectations,
                   "importance": importance})
    dims = dimension_ids(dimensions)
    if expectations is None:
        gaps = pd.DataFrame(np.nan, index=perceptions.index, columns=dims)
    else:
        check_item_frame(expectations, dimensions, "expectations")
        e, p = _paired_complete(expectations, perceptions, dimensions)
        gaps = dimension_scores(p - e, dimensions)
    if importance is None:
        weighted = pd.Series(np.nan, index=perceptions.index)
    else:
        weights = normalise_importance(importance, dimensions)
        weighted = (gaps * weights / 100).sum(axis=1, skipna=False)
    return gaps.assign(
        servqual=gaps.mean(axis=1, skipna=False),
        servqual_weighted=weighted,
        servperf=perceptions[list(dimensions)].mean(axis=1),
    )


def servqual_scores(
    perceptions: pd.DataFrame,
    dimensions: Mapping[str, str],
    expectations: pd.DataFrame | None = None,
    importance: pd.DataFrame | None = None,
    overall: pd.Series | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Mean SERVQUAL, weighted SERVQUAL and SERVPERF scores and how each predicts overall satisfaction.

    Scores per respondent as in :func:`respondent_scores`; mean with t-based CI; prediction of
    ``overall`` by Pearson r with a Fisher-z CI and R^2 = r^2 with the squared r CI
    (:func:`pearson_r_ci`). Cronin & Taylor (1992, J. Marketing 56(3)) compared SERVQUAL and
    SERVPERF this way.

    Returns
    -------
    DataFrame with rows servqual, servqual_weighted, servperf and columns score, n, mean, sd,
    ci_low, ci_high, r_overall, r_ci_low, r_ci_high, r2, r2_ci_low, r2_ci_high, note (why a row
    is empty: perception-only study, no importance points; '' otherwise). The r columns are NaN
    without ``overall``.

    Examples
    --------
    >>> e = pd.DataFrame({"q1": [5, 6, 7], "q2": [6, 6, 7]})
    >>> p = pd.DataFrame({"q1": [4, 5, 7], "q2": [5, 7, 6]})
    >>> servqual_scores(p, {"q1": "A", "q2": "B"}, e)["mean"].round(3).tolist()
    [-0.5, nan, 5.667]
    """
    check_confidence(confidence)
    check_aligned({"perceptions": perceptions, "overall": overall})
    scores = respondent_scores(perceptions, dimensions, expectations, importance)
    names = ["servqual", "servqual_weighted", "servperf"]
    table = mean_confidence_intervals(scores[names], confidence)
    prediction = pd.DataFrame(
        [asdict(pearson_r_ci(scores[name], overall, confidence)) for name in names]
        if overall is not None else np.nan,
        index=names,
        columns=[f.name for f in fields(CorrelationResult)],
    ).rename(columns={"r": "r_overall", "ci_low": "r_ci_low", "ci_high": "r_ci_high"})
    table = table.join(prediction.drop(columns="n")).assign(
        score=names,
        note=[
            PERCEPTION_ONLY_NOTE if expectations is None else "",
            PERCEPTION_ONLY_NOTE if expectations is None
            else NO_IMPORTANCE_NOTE if importance is None else "",
            "",
        ],
    )
    return table.reset_index(drop=True).assign(confidence=confidence)[SCORE_COLUMNS]


# --------------------------------------------------------------------------------------------
# Three-column format


def zone_of_tolerance(
    adequate: pd.DataFrame,
    desired: pd.DataFrame,
    perceptions: pd.DataFrame,
    dimensions: Mapping[str, str],
    confidence: float = 0.95,
) -> pd.DataFrame:
    """MSA, MSS and the shares of respondents below, inside and above the zone of tolerance.

    ``MSA = P - A`` and ``MSS = P - D`` with t-based CIs; below: ``P < A``; above: ``P > D``
    (and not below); inside: ``A <= P <= D`` (Parasuraman, Zeithaml & Berry 1994, J. Retailing
    70(3)). Only respondents with all three ratings count; a dimension's ratings are the means
    over its items with all three ratings. The table is also the data of a zone-of-tolerance
    chart (a bar from mean_adequate to mean_desired with a marker at mean_p).

    Returns
    -------
    DataFrame with item rows, then dimension rows, and columns level, dimension, item ('' for
    dimension rows), n, mean_adequate, mean_desired, mean_p, msa, msa_ci_low, msa_ci_high, mss,
    mss_ci_low, mss_ci_high, share_below, share_inside, share_above (shares of n, 0..1).
    """
    check_dimensions(dimensions)
    check_confidence(confidence)
    frames = {"adequate": adequate, "desired": desired, "perceptions": perceptions}
    for name, frame in frames.items():
        check_item_frame(frame, dimensions, name)
    check_aligned(frames)
    items = list(dimensions)
    complete = adequate[items].notna() & desired[items].notna() & perceptions[items].notna()
    a, d, p = (frame[items].where(complete) for frame in frames.values())
    tables = [_zone_rows(a, d, p, dimensions, "item", confidence)]
    scored = [dimension_scores(frame, dimensions) for frame in (a, d, p)]
    tables.append(_zone_rows(*scored, dimensions, "dimension", confidence))
    return pd.concat(tables, ignore_index=True).assign(confidence=confidence)[ZONE_COLUMNS]


def _zone_rows(
    a: pd.DataFrame,
    d: pd.DataFrame,
    p: pd.DataFrame,
    dimensions: Mapping[str, str],
    level: str,
    confidence: float,
) -> pd.DataFrame:
    observed = p.notna()
    n = observed.sum()
    below = p < a
    above = (p > d) & ~below
    return _labels(p.columns, dimensions, level).assign(
        level=level,
        n=n.to_numpy(),
        mean_adequate=a.mean().to_numpy(),
        mean_desired=d.mean().to_numpy(),
        mean_p=p.mean().to_numpy(),
        **_estimate("msa", mean_confidence_intervals(p - a, confidence)),
        **_estimate("mss", mean_confidence_intervals(p - d, confidence)),
        share_below=(below.sum() / n).to_numpy(),
        share_inside=((observed & ~below & ~above).sum() / n).to_numpy(),
        share_above=(above.sum() / n).to_numpy(),
    )
