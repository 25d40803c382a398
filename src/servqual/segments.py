"""Compare gaps across segments: Welch ANOVA with Games-Howell, Kruskal-Wallis with Dunn.

Segments (branch, channel, customer type, ...) are columns of category labels, one row per
respondent. Levels with fewer respondents than a minimum cell size are described (n, mean, SD)
but left out of the tests, because Welch's and Games-Howell's approximations and the
Kruskal-Wallis chi-square rely on groups that are not small.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd

from servqual.distributions import chi2_sf, f_sf, norm_sf, studentized_range_sf, t_ppf
from servqual.gaps import check_aligned, dimension_ids, dimension_scores, respondent_scores
from servqual.multiple_comparisons import adjust_pvalues

SEGMENT_COLUMNS = [
    "segment", "level_value", "target", "n", "mean", "sd", "ci_low", "ci_high", "tested", "welch_f", "welch_df1",
    "welch_df2", "welch_p", "omega2", "kw_h", "kw_p", "epsilon2", "min_cell", "small_levels", "small_level_list",
    "confidence",
    "p_adjust",
]
#: What :func:`compare_segments` does with levels smaller than ``min_cell``.
SMALL_LEVEL_POLICIES = ("describe", "pool", "drop")
#: The level that ``pool`` merges the small levels into.
POOLED_LEVEL = "other"
POSTHOC_COLUMNS = [
    "segment", "target", "group_a", "group_b", "diff", "games_howell_p", "dunn_z", "dunn_p_adj",
]
DEFAULT_MIN_CELL = 30


@dataclass(frozen=True)
class WelchAnovaResult:
    """Welch's heteroscedastic one-way ANOVA with omega squared."""

    f: float
    df1: float
    df2: float
    p: float
    omega2: float


@dataclass(frozen=True)
class KruskalWallisResult:
    """Kruskal-Wallis H test (tie-corrected) with epsilon squared."""

    h: float
    df: int
    p: float
    epsilon2: float


@dataclass(frozen=True)
class SegmentComparison:
    """The per-level table and the pairwise post-hoc table of :func:`compare_segments`."""

    table: pd.DataFrame
    posthoc: pd.DataFrame


def _as_arrays(groups: Mapping[str, Sequence[float]]) -> dict[str, np.ndarray]:
    arrays = {name: np.asarray(values, dtype=float) for name, values in groups.items()}
    arrays = {name: values[~np.isnan(values)] for name, values in arrays.items()}
    if len(arrays) < 2 or min(v.size for v in arrays.values()) < 2:
        raise ValueError("comparing groups needs at least two groups of at least two values")
    return arrays


def welch_anova(groups: Mapping[str, Sequence[float]]) -> WelchAnovaResult:
    """Welch's (1951, Biometrika 38(3/4)) one-way ANOVA for unequal variances, with omega^2.

    ``w_i = n_i/s_i^2``, ``m = sum w_i m_i / sum w_i``,
    ``F = [sum w_i (m_i - m)^2/(k-1)] / [1 + 2(k-2)/(k^2-1) * L]`` with
    ``L = sum (1 - w_i/W)^2/(n_i - 1)``, ``df2 = (k^2-1)/(3L)``. Equal to R's
    ``oneway.test(y ~ g, var.equal = FALSE)``. Effect size
    ``omega^2 = df1 (F - 1) / (df1 (F - 1) + N)``, the one-way ANOVA omega^2 written in terms of
    F (Hays 1963; Olejnik & Algina 2003, Psychological Methods 8(4)) with Welch's F put in, and
    set to 0 when F < 1.

    Examples
    --------
    >>> r = welch_anova({"a": [1, 2, 3, 4], "b": [2, 4, 6, 8, 9], "c": [5, 6, 7]})
    >>> round(r.f, 4), round(r.df2, 3)
    (7.7977, 5.959)
    """
    arrays = _as_arrays(groups)
    n = np.array([v.size for v in arrays.values()], dtype=float)
    means = np.array([v.mean() for v in arrays.values()])
    variances = np.array([v.var(ddof=1) for v in arrays.values()])
    k = n.size
    w = n / variances
    grand = np.sum(w * means) / w.sum()
    lam = np.sum((1 - w / w.sum()) ** 2 / (n - 1))
    f = (np.sum(w * (means - grand) ** 2) / (k - 1)) / (1 + 2 * (k - 2) * lam / (k**2 - 1))
    df1, df2 = k - 1, (k**2 - 1) / (3 * lam)
    omega2 = max(0.0, df1 * (f - 1) / (df1 * (f - 1) + n.sum()))
    return WelchAnovaResult(float(f), float(df1), float(df2), float(f_sf(f, df1, df2)),
                            omega2)


def kruskal_wallis(groups: Mapping[str, Sequence[float]]) -> KruskalWallisResult:
    """Kruskal-Wallis (1952, JASA 47(260)) H test with tie correction, and epsilon^2.

    ``H = [12/(N(N+1)) sum R_i^2/n_i - 3(N+1)] / (1 - sum(t^3 - t)/(N^3 - N))``, chi-square with
    k - 1 df (R's ``kruskal.test``); ``epsilon^2 = H / ((N^2 - 1)/(N + 1)) = H/(N - 1)``
    (Tomczak & Tomczak 2014, Trends in Sport Sciences 21(1)).

    Examples
    --------
    R: ``kruskal.test(list(north = c(3, 4, 5, 4), south = c(2, 3, 3, 2), east = c(5, 5, 4, 4)))``
    gives chi-squared = 7.4569, df = 2, p-value = 0.02403:

    >>> r = kruskal_wallis({"north": [3, 4, 5, 4], "south": [2, 3, 3, 2], "east": [5, 5, 4, 4]})
    >>> round(r.h, 4), r.df, round(r.p, 5)
    (7.4569, 2, 0.02403)
    """
    arrays = _as_arrays(groups)
    return _kruskal_from_ranks(_PooledRanks.of(arrays))


@dataclass(frozen=True)
class _PooledRanks:
    """Average ranks of the pooled groups (in group order) and the sizes of the tie groups."""

    ranks: np.ndarray
    ties: np.ndarray
    sizes: np.ndarray

    @classmethod
    def of(cls, arrays: Mapping[str, np.ndarray]) -> _PooledRanks:
        # One sort by distinct value (ratings and gaps take few): a value's average rank is the
        # count below it plus (its count + 1) / 2, as scipy's rankdata gives.
        pooled = np.concatenate(list(arrays.values()))
        _, value_of, ties = np.unique(pooled, return_inverse=True, return_counts=True)
        ranks = (np.cumsum(ties) - (ties - 1) / 2)[value_of]
        return cls(ranks, ties.astype(float), np.array([v.size for v in arrays.values()]))

    def mean_ranks(self) -> np.ndarray:
        starts = np.concatenate([[0], np.cumsum(self.sizes)[:-1]])
        return np.add.reduceat(self.ranks, starts) / self.sizes


def _kruskal_from_ranks(pooled: _PooledRanks) -> KruskalWallisResult:
    """H (tie-corrected, as scipy.stats.kruskal and R), its chi-square p and epsilon^2."""
    total = pooled.ranks.size
    h = 12 / (total * (total + 1)) * np.sum(pooled.mean_ranks() ** 2 * pooled.sizes) - 3 * (total + 1)
    with np.errstate(invalid="ignore", divide="ignore"):  # all values tied: H undefined
        h /= 1 - np.sum(pooled.ties**3 - pooled.ties) / (float(total) ** 3 - total)
    df = pooled.sizes.size - 1
    return KruskalWallisResult(float(h), df, float(chi2_sf(h, df)), float(h / (total - 1)))


def games_howell(groups: Mapping[str, Sequence[float]]) -> pd.DataFrame:
    """Games-Howell (1976, J. Educational Statistics 1(2)) pairwise comparisons.

    ``t = (m_a - m_b)/sqrt(s_a^2/n_a + s_b^2/n_b)`` with Welch-Satterthwaite df;
    ``p = P(Q_{k, df} > sqrt(2)|t|)`` from the studentized range distribution over k groups
    (:func:`servqual.distributions.studentized_range_sf`; R ``ptukey(sqrt(2) * abs(t), k, df,
    lower.tail = FALSE)``).

    Returns
    -------
    DataFrame with a row per pair (in the order of ``groups``) and columns group_a, group_b,
    diff (mean_a - mean_b), se, t, df, p.
    """
    arrays = _as_arrays(groups)
    rows = []
    for (a, x), (b, y) in combinations(arrays.items(), 2):
        va, vb = x.var(ddof=1) / x.size, y.var(ddof=1) / y.size
        se = np.sqrt(va + vb)
        df = (va + vb) ** 2 / (va**2 / (x.size - 1) + vb**2 / (y.size - 1))
        rows.append((a, b, x.mean() - y.mean(), se, (x.mean() - y.mean()) / se, df))
    table = pd.DataFrame(rows, columns=["group_a", "group_b", "diff", "se", "t", "df"])
    table["p"] = studentized_range_sf(np.sqrt(2) * table["t"].abs().to_numpy(), len(arrays), table["df"].to_numpy())
    return table


def dunn_test(groups: Mapping[str, Sequence[float]], p_adjust: str = "holm") -> pd.DataFrame:
    """Dunn's (1964, Technometrics 6(3)) pairwise test of mean ranks after Kruskal-Wallis.

    ``z = (Rbar_a - Rbar_b) / sqrt((N(N+1)/12 - sum(t^3 - t)/(12(N-1))) (1/n_a + 1/n_b))`` over
    the ranks of the pooled groups; two-sided normal p, adjusted across the pairs (Holm by
    default, or 'bh').

    Returns
    -------
    DataFrame with a row per pair (in the order of ``groups``) and columns group_a, group_b, z,
    p, p_adj.
    """
    arrays = _as_arrays(groups)
    return _dunn_from_ranks(arrays, _PooledRanks.of(arrays), p_adjust)


def _dunn_from_ranks(
    arrays: Mapping[str, np.ndarray], pooled: _PooledRanks, p_adjust: str
) -> pd.DataFrame:
    total = pooled.ranks.size
    variance = total * (total + 1) / 12 - np.sum(pooled.ties**3 - pooled.ties) / (12 * (total - 1))
    mean_ranks = dict(zip(arrays, pooled.mean_ranks()))
    rows = []
    for a, b in combinations(arrays, 2):
        se = np.sqrt(variance * (1 / arrays[a].size + 1 / arrays[b].size))
        z = (mean_ranks[a] - mean_ranks[b]) / se
        rows.append((a, b, z, 2 * norm_sf(abs(z))))
    table = pd.DataFrame(rows, columns=["group_a", "group_b", "z", "p"])
    table["p_adj"] = adjust_pvalues(table["p"].to_numpy(), p_adjust)
    return table


def _compare_one(
    values: pd.Series, labels: pd.Series, min_cell: int, p_adjust: str, confidence: float
) -> tuple[pd.DataFrame, pd.DataFrame]:
    observed = (values.notna() & labels.notna()).to_numpy()
    # Categorical order if the segment has one, else sorted values (numbers as numbers); levels
    # are compared as text. Integer codes stand for the levels: a million labels as text and
    # grouped by text take seconds.
    categorical = pd.Categorical(labels[observed])
    names = [str(v) for v in categorical.categories]
    levels = list(dict.fromkeys(names))
    level_of = np.array([levels.index(name) for name in names], dtype=np.intp)[categorical.codes]
    x = values.to_numpy(dtype=float)[observed]
    count = np.bincount(level_of, minlength=len(levels))
    with np.errstate(invalid="ignore", divide="ignore"):
        group_mean = np.bincount(level_of, x, minlength=len(levels)) / count
        squares = np.bincount(level_of, (x - group_mean[level_of]) ** 2, minlength=len(levels))
        group_sd = np.sqrt(squares / (count - 1))
    present = count > 0
    index = pd.Index(np.array(levels, dtype=object)[present])
    n, mean, sd = count[present], group_mean[present], group_sd[present]
    big = index[n >= min_cell]
    tested = len(big) >= 2
    with np.errstate(invalid="ignore", divide="ignore"):
        half = t_ppf((1 + confidence) / 2, n - 1) * sd / np.sqrt(n)
    table = pd.DataFrame(
        {
            "level_value": index,
            "n": n.astype(int),
            "mean": mean,
            "sd": sd,
            "ci_low": mean - half,
            "ci_high": mean + half,
            "tested": index.isin(big) & tested,
        }
    )
    if not tested:
        return table, pd.DataFrame(columns=POSTHOC_COLUMNS)
    groups = {level: x[level_of == levels.index(level)] for level in big}
    pooled = _PooledRanks.of(groups)
    welch, kw = welch_anova(groups), _kruskal_from_ranks(pooled)
    table = table.assign(
        welch_f=welch.f, welch_df1=welch.df1, welch_df2=welch.df2, welch_p=welch.p,
        omega2=welch.omega2, kw_h=kw.h, kw_p=kw.p, epsilon2=kw.epsilon2,
    )
    gh, dunn = games_howell(groups), _dunn_from_ranks(groups, pooled, p_adjust)
    posthoc = gh[["group_a", "group_b", "diff"]].assign(
        games_howell_p=gh["p"], dunn_z=dunn["z"], dunn_p_adj=dunn["p_adj"]
    )
    return table, posthoc


def compare_segments(
    targets: pd.DataFrame,
    segments: pd.DataFrame,
    *,
    min_cell: int = DEFAULT_MIN_CELL,
    p_adjust: str = "holm",
    confidence: float = 0.95,
    small_levels: Mapping[str, str] | None = None,
) -> SegmentComparison:
    """Compare each target score across the levels of each segment column.

    For every segment column and target column: n, mean, SD and the t-based CI of the mean per
    level; among the levels with
    at least ``min_cell`` respondents (if two or more), Welch's ANOVA with omega^2
    (:func:`welch_anova`), Kruskal-Wallis with epsilon^2 (:func:`kruskal_wallis`), and the
    pairwise Games-Howell (:func:`games_howell`) and Dunn (:func:`dunn_test`, p adjusted by
    ``p_adjust`` within the segment x target) post-hoc tests.

    Parameters
    ----------
    targets : one row per respondent, one column per score to compare (e.g. the dimension gaps
        and 'servqual' of :func:`servqual.gaps.respondent_scores`).
    segments : segment columns (category labels), rows aligned with ``targets``; missing labels
        are left out.
    min_cell : smallest level size that is tested.
    p_adjust : 'holm' (default) or 'bh' for Dunn's p-values.
    confidence : level of each level mean's confidence interval.
    small_levels : segment -> what to do with its levels of fewer than ``min_cell`` respondents:
        ``describe`` (default: described, left out of the tests), ``pool`` (merged into one level
        ``other``, tested when it is large enough) or ``drop`` (left out of the table).

    Returns
    -------
    SegmentComparison with
    ``table``: segment, level_value (the level as text), target, n, mean, sd, ci_low, ci_high,
    tested (level took
    part in the tests), welch_f, welch_df1, welch_df2, welch_p, omega2, kw_h, kw_p, epsilon2 -
    the test statistics are repeated on every row of the segment x target (NaN when fewer than
    two levels reach ``min_cell``) - the choices min_cell, small_levels, confidence and p_adjust,
    and ``small_level_list`` (the levels ``pool`` or ``drop`` handled, with their sizes);
    ``posthoc``: segment, target, group_a, group_b, diff (mean_a - mean_b), games_howell_p,
    dunn_z (mean rank a minus mean rank b, standardised), dunn_p_adj.
    """
    if min_cell < 2:
        raise ValueError(f"min_cell must be at least 2, not {min_cell}")
    check_aligned({"targets": targets, "segments": segments})
    tables, posthocs = [], []
    for segment in segments.columns:
        policy = (small_levels or {}).get(segment, "describe")
        labels, handled = _small_levels(segments[segment], min_cell, policy)
        for target in targets.columns:
            table, posthoc = _compare_one(targets[target], labels, min_cell, p_adjust, confidence)
            tables.append(table.assign(segment=segment, target=target, min_cell=min_cell, small_levels=policy,
                                       small_level_list=handled, confidence=confidence, p_adjust=p_adjust))
            posthocs.append(posthoc.assign(segment=segment, target=target))
    return SegmentComparison(
        table=pd.concat(tables, ignore_index=True).reindex(columns=SEGMENT_COLUMNS),
        posthoc=pd.concat(posthocs, ignore_index=True).reindex(columns=POSTHOC_COLUMNS),
    )


def _small_levels(labels: pd.Series, min_cell: int, policy: str) -> tuple[pd.Series, str]:
    """The segment's labels after its small-level policy, and the levels pooled or dropped with
    their sizes ('' where the policy left them as they are)."""
    if policy not in SMALL_LEVEL_POLICIES:
        raise ValueError(f"small_levels must be one of {SMALL_LEVEL_POLICIES}, not {policy!r}")
    counts = labels.astype("string").value_counts()
    # In the segment's own level order (categorical), else sorted, as the table lists levels.
    levels = [str(v) for v in (labels.cat.categories if isinstance(labels.dtype, pd.CategoricalDtype) else sorted(counts.index))]
    small = [level for level in levels if level in counts.index and counts[level] < min_cell]
    if policy == "describe" or not small:
        return labels, ""
    text = labels.astype("string")
    handled = ", ".join(f"{level} (n = {counts[level]})" for level in small)
    return text.mask(text.isin(small), None if policy == "drop" else POOLED_LEVEL), handled


def segment_targets(
    expectations: pd.DataFrame | None, perceptions: pd.DataFrame, dimensions: Mapping[str, str]
) -> pd.DataFrame:
    """The scores a SERVQUAL study compares across segments (:func:`compare_segments`), one row
    per respondent: the dimension gaps (mean item P - E) named by dimension id and ``servqual``
    (their mean); without expectations (SERVPERF; Cronin & Taylor 1992, J. Marketing 56(3)) the
    dimension perception scores and ``servperf``.
    """
    scores = respondent_scores(perceptions, dimensions, expectations)
    overall = "servperf" if expectations is None else "servqual"
    if expectations is None:
        scores[dimension_ids(dimensions)] = dimension_scores(perceptions[list(dimensions)], dimensions)
    return scores[[*dimension_ids(dimensions), overall]]
