"""Reliability of multi-item scales: alpha, omega, their intervals, item analysis and gap scores.

Everything is computed from covariance matrices with numpy, so that the same code serves a point
estimate (one matrix) and a bootstrap (a stack of ``B`` matrices): the bootstrap resamples row
indices, turns them into case weights (how often each row was drawn) and forms the ``B``
covariance matrices with a few matrix products, weights times each row's item products (upper
triangle), item values and a one; alpha and the one-factor omega are then evaluated on the
whole stack at once.

Conventions follow R's psych package (Revelle, psych 2.2.9), which jamovi and JASP wrap:

* raw alpha from covariances, standardized alpha, Guttman's lambda 6 (smc) and the average and
  median inter-item correlation from the correlation matrix ``R = cov2cor(C)`` (``psych::alpha``);
* item-rest correlation as ``psych::alpha``'s ``r.drop``;
* omega total as ``psych::omega(x, 1, flip=FALSE)$omega.tot`` (jamovi's omega): a one-factor
  minres (unweighted least squares) fit to the correlation matrix, uniquenesses bounded below at
  .005 as in ``psych::fa``, and ``omega = (sum(R) - sum(u2)) / sum(R)``.

Missing data: ``"listwise"`` (default) keeps the respondents who answered every item of the
scale; ``"pairwise"`` estimates every covariance from the respondents who answered both items
(psych's default ``use="pairwise"``). With pairwise deletion ``n`` is the smallest pairwise
count, which is what the Feldt and Duhachek-Iacobucci intervals use, and the bootstrap resamples
all respondents.

Bootstrap: up to :data:`BLB_MIN_N` rows (50,000) every resample draws n rows with replacement
(the ordinary percentile bootstrap). Above it, where that costs ``n_boot x n`` draws per scale
(10^12 operations for the 18 scales of a wave of a million respondents), the intervals come from
the bag of little bootstraps (Kleiner, Talwalkar, Sarkar & Jordan 2014, JRSS-B 76(4)):
:data:`BLB_SUBSETS` subsets of ``b = max(n ** BLB_GAMMA, switch)`` rows (50,000 up to 67 million
rows) drawn without replacement, each resampled to size n with multinomial(n, 1/b) case weights;
the percentiles of the resamples' deviations from their subset's coefficient, averaged over
subsets, are added to the sample coefficient. With subsets at least as large as the switch, a
wave costs about as much just above it as just below, and little more at a million rows
(:mod:`servqual.resampling`). The method used is stated in each scale's ``boot_method``.

BLAS: :func:`scale_reliability` and :func:`reliability_tables` run with one BLAS thread
(:func:`servqual.sem.blas.single_blas_thread`). With two, OpenBLAS's second thread spins after
each matrix product while the next resamples are drawn and counted, and on a shared 2-core
machine a wave's CPU time nearly doubled (18 scales, B = 2000: 24 s against 14 s at 49,000 rows),
for the same numbers.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import pandas as pd

from servqual.checks import check_choice, check_confidence, check_items
from servqual.distributions import f_ppf, norm_ppf
from servqual.resampling import (
    BLB_MIN_N,
    interval_levels,
    little_bootstrap_subsets,
    mean_ends,
    percentile_interval,
    row_bootstrap_weights,
)
from servqual.sem.blas import single_blas_thread

MISSING_POLICIES = ("listwise", "pairwise")

#: How omega total is estimated (stated with every omega this module reports).
OMEGA_ESTIMATOR = (
    "omega total from a one-factor minres (unweighted least squares) fit to the correlation "
    "matrix, uniquenesses >= .005, as psych::omega(x, 1, flip=FALSE)$omega.tot (jamovi)"
)

#: Measures built as differences of two others: measure -> (minuend, subtrahend).
DEFAULT_DIFFERENCE_PAIRS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {"gap": ("perception", "expectation")}
)

#: Columns of :func:`reliability_tables`' scale table, in order.
RELIABILITY_COLUMNS = (
    "measure",
    "dimension",
    "n",
    "k",
    "missing_policy",
    "alpha",
    "alpha_std",
    "lambda6",
    "average_r",
    "median_r",
    "omega_total",
    "alpha_feldt_low",
    "alpha_feldt_high",
    "alpha_duhachek_low",
    "alpha_duhachek_high",
    "alpha_boot_low",
    "alpha_boot_high",
    "omega_boot_low",
    "omega_boot_high",
    "boot_method",
    "confidence",
    "difference_score_reliability",
    "flags",
)

#: Columns of :func:`item_reliability` before the ``freq_<v>`` columns.
ITEM_COLUMNS = (
    "item",
    "n",
    "mean",
    "sd",
    "item_rest_r",
    "alpha_if_dropped",
    "omega_if_dropped",
    "flags",
)

# psych::fa bounds uniquenesses at .005 (optim lower bound), so communalities at .995.
_MAX_COMMUNALITY = 0.995
_NEWTON_STEPS = 50
_PAF_WARMUP = 3
_PAF_MAX_ITER = 2000
_TOL = 1e-10


@dataclass(frozen=True)
class ScaleReliability:
    """Reliability coefficients of one scale with their confidence intervals.

    Attributes
    ----------
    n
        Respondents used (listwise: complete rows; pairwise: the smallest pairwise count).
    k
        Number of items.
    missing_policy
        ``"listwise"`` or ``"pairwise"``.
    alpha, alpha_std, lambda6, average_r, median_r
        Raw and standardized Cronbach's alpha, Guttman's lambda 6 (smc), mean and median
        inter-item correlation.
    omega_total
        McDonald's omega total, estimated as :data:`OMEGA_ESTIMATOR` says.
    alpha_feldt_low, alpha_feldt_high
        Feldt (1965) interval for alpha.
    alpha_duhachek_low, alpha_duhachek_high
        Duhachek & Iacobucci (2004) asymptotic interval for alpha.
    alpha_boot_low, alpha_boot_high, omega_boot_low, omega_boot_high
        Percentile bootstrap intervals (NaN when ``n_boot`` is 0).
    boot_method
        How those intervals were obtained: the row bootstrap, or above ``blb_min_n`` rows the
        bag of little bootstraps with its subset count and size ('' when ``n_boot`` is 0).
    flags
        Problems found, ``"; "``-separated (empty when none).
    ci, n_boot
        Confidence level and number of bootstrap resamples.
    omega_estimator
        The estimator of omega total.
    """

    n: int
    k: int
    missing_policy: str
    alpha: float
    alpha_std: float
    lambda6: float
    average_r: float
    median_r: float
    omega_total: float
    alpha_feldt_low: float
    alpha_feldt_high: float
    alpha_duhachek_low: float
    alpha_duhachek_high: float
    alpha_boot_low: float
    alpha_boot_high: float
    omega_boot_low: float
    omega_boot_high: float
    boot_method: str
    flags: str
    ci: float
    n_boot: int
    omega_estimator: str = OMEGA_ESTIMATOR


@dataclass(frozen=True)
class _Moments:
    """Covariance matrix of a scale's items on the respondents a missing-data policy keeps."""

    data: np.ndarray  # (rows, k) items of the rows kept, NaN where missing (pairwise only)
    cov: np.ndarray  # (k, k)
    corr: np.ndarray  # (k, k) pairwise correlations (equal to cov2cor(cov) when complete)
    n: int


# ---------------------------------------------------------------------------------------------
# Public statistics
# ---------------------------------------------------------------------------------------------


@single_blas_thread
def scale_reliability(
    items: pd.DataFrame,
    *,
    missing: str = "listwise",
    n_boot: int = 2000,
    seed: int | Sequence[int] | None = None,
    ci: float = 0.95,
    threshold: float = 0.70,
    drop_gain: float = 0.02,
    blb_min_n: int | None = None,
) -> ScaleReliability:
    """Cronbach's alpha, omega total and related coefficients of one scale, with intervals.

    alpha = k/(k-1) (1 - tr C / 1'C1); omega_t = (1'R1 - sum u2) / 1'R1 with u2 the
    uniquenesses of a one-factor minres fit (McDonald 1999, *Test theory*; Revelle & Zinbarg
    2009, Psychometrika 74(1)).

    Parameters
    ----------
    items
        One row per respondent, one numeric column per item, NaN = missing. Reverse-keyed items
        must already be reverse-scored.
    missing
        ``"listwise"`` or ``"pairwise"`` (see the module notes).
    n_boot
        Bootstrap resamples for the percentile intervals of alpha and omega; 0 skips them.
    seed
        Seed of ``numpy.random.default_rng`` for the bootstrap.
    ci
        Confidence level of every interval.
    threshold
        Alpha or omega below this is flagged.
    drop_gain
        An item whose removal raises alpha by more than this is flagged.
    blb_min_n
        Rows (kept by the missing-data policy) above which the bootstrap is the bag of little
        bootstraps instead of resampling all rows, and the least size of its subsets; None
        means :data:`BLB_MIN_N` (50,000).

    Returns
    -------
    ScaleReliability
        Coefficients, intervals (Feldt, Duhachek-Iacobucci, bootstrap) and flags. Statistics
        that cannot be computed (k < 2, zero-variance items for correlation-based statistics,
        omega with fewer than 3 items) are NaN and the flags say why.

    References
    ----------
    Cronbach (1951), Psychometrika 16(3); Guttman (1945), Psychometrika 10(4); Feldt (1965),
    Psychometrika 30(3); Duhachek & Iacobucci (2004), J. Applied Psychology 89(5).

    Examples
    --------
    Alpha is R's ``psych::alpha(x)$total$raw_alpha``, omega ``psych::omega(x, 1, flip = FALSE)$omega.tot``:

    >>> import pandas as pd
    >>> x = pd.DataFrame({"a": [1, 2, 3, 4, 5], "b": [2, 2, 3, 5, 4], "c": [1, 3, 3, 4, 5]})
    >>> round(scale_reliability(x, n_boot=0).alpha, 4)
    0.9451
    """
    check_items(items)
    _check_options(missing, n_boot, ci)
    return _scale_reliability(
        items.columns, _moments(items, missing), missing, n_boot, seed, ci, threshold, drop_gain,
        BLB_MIN_N if blb_min_n is None else blb_min_n,
    )


def cronbach_alpha(items: pd.DataFrame, *, missing: str = "listwise") -> float:
    """Cronbach's alpha of one scale, from the covariances of its items.

    alpha = k / (k - 1) * (1 - tr C / 1'C1), with C the k x k covariance matrix of the items
    (``psych::alpha``'s ``raw_alpha``). For its intervals, omega and the item analysis see
    :func:`scale_reliability`.

    Parameters
    ----------
    items : pandas.DataFrame
        One row per respondent, one numeric column per item (reverse-keyed items already
        reverse-scored), NaN = missing.
    missing : {"listwise", "pairwise"}
        Respondents who answered every item, or every covariance from the respondents who
        answered both items.

    Returns
    -------
    float
        NaN with fewer than two items.

    References
    ----------
    Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
    Psychometrika, 16(3), 297-334.

    Examples
    --------
    The speed items of Holzinger & Swineford (1939); R gives the same with
    ``psych::alpha(lavaan::HolzingerSwineford1939[, c("x4", "x5", "x6")])$total$raw_alpha``:

    >>> hs = pd.read_csv("tests/data/holzinger_swineford.csv")
    >>> round(cronbach_alpha(hs[["x4", "x5", "x6"]]), 4)
    0.8827
    """
    moments = _item_moments(items, missing)
    return float(_alpha(moments.cov)) if items.shape[1] >= 2 else np.nan


def guttman_lambda6(items: pd.DataFrame, *, missing: str = "listwise") -> float:
    """Guttman's lambda 6 of one scale, from the correlations of its items.

    lambda6 = 1 - sum(1 - smc_i) / 1'R1, with R the item correlation matrix and smc_i = 1 -
    1 / (R^-1)_ii the squared multiple correlation of item i with the others (``psych::alpha``'s
    ``G6(smc)``).

    Parameters
    ----------
    items, missing
        As :func:`cronbach_alpha`.

    Returns
    -------
    float
        NaN with fewer than two items, a constant item or a singular correlation matrix.

    References
    ----------
    Guttman, L. (1945). A basis for analyzing test-retest reliability. Psychometrika, 10(4),
    255-282.

    Examples
    --------
    R: ``psych::alpha(lavaan::HolzingerSwineford1939[, c("x4", "x5", "x6")])$total$"G6(smc)"``:

    >>> hs = pd.read_csv("tests/data/holzinger_swineford.csv")
    >>> round(guttman_lambda6(hs[["x4", "x5", "x6"]]), 4)
    0.837
    """
    moments = _item_moments(items, missing)
    return _lambda6(_cov_to_corr(moments.cov)) if items.shape[1] >= 2 else np.nan


def omega_total(items: pd.DataFrame, *, missing: str = "listwise") -> float:
    """McDonald's omega total of one scale, from a one-factor fit to the item correlations.

    omega_t = (1'R1 - sum u2_i) / 1'R1, with u2_i the uniquenesses of a one-factor minres
    (unweighted least squares) fit to the correlation matrix R, bounded below at .005 as
    ``psych::fa`` (``psych::omega(x, 1, flip = FALSE)$omega.tot``, jamovi's omega).

    Parameters
    ----------
    items, missing
        As :func:`cronbach_alpha`.

    Returns
    -------
    float
        NaN with fewer than three items (one factor is not identified).

    References
    ----------
    McDonald, R. P. (1999). *Test theory: A unified treatment*. Erlbaum. Revelle, W., &
    Zinbarg, R. E. (2009). Coefficients alpha, beta, omega, and the glb. Psychometrika, 74(1),
    145-154.

    Examples
    --------
    R: ``psych::omega(lavaan::HolzingerSwineford1939[, c("x4", "x5", "x6")], 1, flip = FALSE)$omega.tot``:

    >>> hs = pd.read_csv("tests/data/holzinger_swineford.csv")
    >>> round(omega_total(hs[["x4", "x5", "x6"]]), 3)
    0.885
    """
    moments = _item_moments(items, missing)
    return float(_omega_total(moments.corr)) if items.shape[1] >= 3 else np.nan


def _item_moments(items: pd.DataFrame, missing: str) -> _Moments:
    """The checked items' moments: the one boundary of the single-coefficient functions."""
    check_items(items)
    _check_missing(missing)
    return _moments(items, missing)


def _scale_reliability(
    names: pd.Index,
    moments: _Moments,
    missing: str,
    n_boot: int,
    seed,
    ci: float,
    threshold: float,
    drop_gain: float,
    blb_min_n: int,
) -> ScaleReliability:
    k, n = len(names), moments.n
    flags: list[str] = []
    if k < 2 or n < 3:
        flags.append(f"too few items (k = {k} < 2)" if k < 2 else f"too few respondents (n = {n})")
        return _undefined_scale(n, k, missing, ci, n_boot, flags)

    cov = moments.cov
    constant = np.diag(cov) <= 0
    # psych::alpha standardizes the covariance matrix; psych::omega correlates pairwise.
    corr = _cov_to_corr(cov)
    alpha = float(_alpha(cov))
    omega = float(_omega_total(moments.corr)) if k >= 3 else np.nan
    lambda6 = _lambda6(corr)
    lower = corr[np.tril_indices(k, -1)]
    feldt = feldt_interval(alpha, n, k, ci=ci)
    duhachek = duhachek_interval(cov, n, ci=ci)
    boot = _bootstrap(moments, n_boot, seed, ci, blb_min_n, (alpha, omega))

    rest_r, alpha_drop = _item_rest_and_alpha_drop(cov)
    flags += _scale_flags(
        names, alpha, omega, threshold, constant, rest_r, alpha_drop, drop_gain, lambda6
    )
    flags += boot.flags
    return ScaleReliability(
        n=n,
        k=k,
        missing_policy=missing,
        alpha=alpha,
        alpha_std=float(k / (k - 1) * (1 - k / corr.sum())),
        lambda6=lambda6,
        average_r=float(lower.mean()),
        median_r=float(np.median(lower)),
        omega_total=omega,
        alpha_feldt_low=feldt[0],
        alpha_feldt_high=feldt[1],
        alpha_duhachek_low=duhachek[0],
        alpha_duhachek_high=duhachek[1],
        alpha_boot_low=boot.alpha[0],
        alpha_boot_high=boot.alpha[1],
        omega_boot_low=boot.omega[0],
        omega_boot_high=boot.omega[1],
        boot_method=boot.method,
        flags="; ".join(flags),
        ci=ci,
        n_boot=n_boot,
    )


def item_reliability(
    items: pd.DataFrame,
    *,
    scale_min: int | None = None,
    scale_max: int | None = None,
    missing: str = "listwise",
    drop_gain: float = 0.02,
) -> pd.DataFrame:
    """Item analysis of one scale: descriptives, item-rest r, alpha and omega if dropped.

    item-rest r_i = cov(x_i, sum of the others) / (sd(x_i) sd(sum of the others)), psych's
    ``r.drop`` (the "corrected item-total correlation" of SPSS; Cronbach 1951, Psychometrika).

    Parameters
    ----------
    items
        One row per respondent, one numeric column per item, NaN = missing.
    scale_min, scale_max
        Lowest and highest scale point; when both are given, ``freq_<v>`` columns count the
        respondents giving each point ``v`` (integers from ``scale_min`` to ``scale_max``).
    missing
        ``"listwise"`` or ``"pairwise"``: statistics use the same respondents as
        :func:`scale_reliability`.
    drop_gain
        Flag an item whose removal raises alpha by more than this.

    Returns
    -------
    pandas.DataFrame
        One row per item with columns ``item``, ``n``, ``mean``, ``sd``, ``item_rest_r``,
        ``alpha_if_dropped``, ``omega_if_dropped``, ``flags`` and then ``freq_<v>``.
        ``alpha_if_dropped`` needs 2 items left and ``omega_if_dropped`` 3, else NaN.

    Examples
    --------
    The item-rest correlations are R's ``psych::alpha(x)$item.stats$r.drop``:

    >>> import pandas as pd
    >>> x = pd.DataFrame({"a": [1, 2, 3, 4, 5], "b": [2, 2, 3, 5, 4], "c": [1, 3, 3, 4, 5]})
    >>> item_reliability(x, scale_min=1, scale_max=5)["item_rest_r"].round(3).tolist()
    [0.97, 0.809, 0.899]
    """
    check_items(items)
    _check_missing(missing)
    if (scale_min is None) != (scale_max is None):
        raise ValueError("give both scale_min and scale_max, or neither")
    return _item_table(items.columns, _moments(items, missing), scale_min, scale_max, drop_gain)


def _item_table(
    names: pd.Index,
    moments: _Moments,
    scale_min: int | None,
    scale_max: int | None,
    drop_gain: float,
) -> pd.DataFrame:
    k = len(names)
    cov = moments.cov
    if k >= 2 and moments.n >= 3:
        rest_r, alpha_drop = _item_rest_and_alpha_drop(cov)
        omega_drop = _omega_total(_drop_each(moments.corr)) if k > 3 else np.full(k, np.nan)
        gain = alpha_drop - _alpha(cov)
    else:
        rest_r = alpha_drop = omega_drop = gain = np.full(k, np.nan)
    data = moments.data
    answered = np.count_nonzero(~np.isnan(data), axis=0)
    complete = bool((answered == len(data)).all())
    mean, std = (np.mean, np.std) if complete else (np.nanmean, np.nanstd)
    table = pd.DataFrame(
        {
            "item": names.astype(str),
            "n": answered,
            "mean": mean(data, axis=0) if len(data) else np.nan,
            "sd": std(data, axis=0, ddof=1) if len(data) > 1 else np.nan,
            "item_rest_r": rest_r,
            "alpha_if_dropped": alpha_drop,
            "omega_if_dropped": omega_drop,
        }
    )
    off_scale = None
    if scale_min is not None:
        points = np.arange(int(scale_min), int(scale_max) + 1)
        counts = np.stack([np.count_nonzero(data == point, axis=0) for point in points], axis=1)
        off_scale = answered - counts.sum(axis=1)
    table["flags"] = _item_flags(k, np.diag(cov), rest_r, gain, drop_gain, off_scale)
    if scale_min is not None:
        for j, point in enumerate(points):
            table[f"freq_{point}"] = counts[:, j]
    return table


def feldt_interval(alpha: float, n: int, k: int, *, ci: float = 0.95) -> tuple[float, float]:
    """Feldt's F-distribution confidence interval for Cronbach's alpha.

    [1 - (1 - alpha) F_{1-g/2}(n-1, (n-1)(k-1)), 1 - (1 - alpha) F_{g/2}(n-1, (n-1)(k-1))],
    g = 1 - ci (Feldt 1965, Psychometrika 30(3); Feldt, Woodruff & Salih 1987, Applied
    Psychological Measurement 11(1); psych's ``alpha.ci``).

    Parameters
    ----------
    alpha
        Sample alpha.
    n
        Respondents actually used (after deletion of missing data).
    k
        Number of items.
    ci
        Confidence level.

    Returns
    -------
    tuple of float
        Lower and upper bound.

    Examples
    --------
    R: ``psych::alpha.ci(0.760489, 301, 9)`` gives 0.7177 and 0.7991:

    >>> [round(b, 4) for b in feldt_interval(0.760489, 301, 9)]
    [0.7177, 0.7991]
    """
    if n < 2 or k < 2 or not np.isfinite(alpha):
        return (np.nan, np.nan)
    tail = (1 - ci) / 2
    df1, df2 = n - 1, (n - 1) * (k - 1)
    return (
        float(1 - (1 - alpha) * f_ppf(1 - tail, df1, df2)),
        float(1 - (1 - alpha) * f_ppf(tail, df1, df2)),
    )


def duhachek_interval(cov: np.ndarray, n: int, *, ci: float = 0.95) -> tuple[float, float]:
    """Duhachek & Iacobucci's asymptotic (normal) confidence interval for Cronbach's alpha.

    alpha +- z sqrt(Q/n), Q = 2k^2 / ((k-1)^2 (1'C1)^3) [1'C1 (tr C^2 + tr^2 C) - 2 tr C 1'C^2 1]
    (van Zyl, Neudecker & Nel 2000, Psychometrika 65(3); Duhachek & Iacobucci 2004, J. Applied
    Psychology 89(5); psych's ``ase``).

    Parameters
    ----------
    cov
        k x k covariance matrix of the items.
    n
        Respondents actually used.
    ci
        Confidence level.

    Returns
    -------
    tuple of float
        Lower and upper bound.

    Examples
    --------
    R: ``a <- psych::alpha(c, n.obs = 200)$total; a$raw_alpha + c(-1, 1) * qnorm(.975) * a$ase``:

    >>> import numpy as np
    >>> c = np.array([[1.0, 0.5, 0.4], [0.5, 1.0, 0.3], [0.4, 0.3, 1.0]])
    >>> [round(b, 3) for b in duhachek_interval(c, 200)]
    [0.586, 0.747]
    """
    cov = np.asarray(cov, dtype=float)
    k = cov.shape[0]
    if k < 2 or n < 2:
        return (np.nan, np.nan)
    total, trace = cov.sum(), np.trace(cov)
    square = cov @ cov
    q = (2 * k**2 / ((k - 1) ** 2 * total**3)) * (
        total * (np.trace(square) + trace**2) - 2 * trace * square.sum()
    )
    half = norm_ppf(1 - (1 - ci) / 2) * np.sqrt(q / n)
    alpha = float(_alpha(cov))
    return (float(alpha - half), float(alpha + half))


def difference_score_reliability(
    minuend: pd.DataFrame, subtrahend: pd.DataFrame, *, missing: str = "listwise"
) -> float:
    """Reliability of a difference score such as SERVQUAL's P - E.

    rho_D = (sP^2 rP + sE^2 rE - 2 sP sE rPE) / (sP^2 + sE^2 - 2 sP sE rPE), with sP, sE the SDs
    of the two scale sums, rP, rE their alphas and rPE the correlation of the sums (Johns 1981,
    Organizational Behavior and Human Performance 27(3); Peter, Churchill & Brown 1993,
    J. Consumer Research 19(4)).

    Parameters
    ----------
    minuend, subtrahend
        Item frames of the two components (P and E), rows aligned on the same respondents.
    missing
        ``"listwise"`` keeps respondents who answered every item of both; ``"pairwise"`` forms
        the joint covariance matrix from pairwise-complete respondents.

    Returns
    -------
    float
        rho_D; NaN when either component has fewer than 2 items or too few respondents.

    Examples
    --------
    >>> import pandas as pd
    >>> p = pd.DataFrame({"a": [5, 6, 7, 4, 6, 5], "b": [5, 7, 6, 4, 6, 6]})
    >>> e = pd.DataFrame({"a": [6, 6, 7, 6, 5, 7], "b": [7, 6, 7, 5, 5, 6]})
    >>> round(difference_score_reliability(p, e), 3)
    0.742
    """
    check_items(minuend)
    check_items(subtrahend)
    _check_missing(missing)
    if not minuend.index.equals(subtrahend.index):
        raise ValueError(
            "the two item frames must have the same rows (respondents) in the same order"
        )
    kp, ke = minuend.shape[1], subtrahend.shape[1]
    joint = pd.DataFrame(np.hstack([minuend.to_numpy(float), subtrahend.to_numpy(float)]))
    moments = _moments(joint, missing)
    if kp < 2 or ke < 2 or moments.n < 3:
        return np.nan
    cov = moments.cov
    cov_p, cov_e, cov_pe = cov[:kp, :kp], cov[kp:, kp:], cov[:kp, kp:].sum()
    var_p, var_e = cov_p.sum(), cov_e.sum()
    return float(
        (var_p * _alpha(cov_p) + var_e * _alpha(cov_e) - 2 * cov_pe) / (var_p + var_e - 2 * cov_pe)
    )


@single_blas_thread
def reliability_tables(
    measures: Mapping[str, pd.DataFrame],
    item_dimension: Mapping[str, str],
    *,
    scale_min: int | None,
    scale_max: int | None,
    seed: int,
    missing: str = "listwise",
    n_boot: int = 2000,
    threshold: float = 0.70,
    ci: float = 0.95,
    drop_gain: float = 0.02,
    difference_pairs: Mapping[str, tuple[str, str]] = DEFAULT_DIFFERENCE_PAIRS,
    blb_min_n: int | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Scale and item reliability tables of one wave: every measure, every dimension and 'all'.

    Parameters
    ----------
    measures
        Measure name (expectation, perception, gap, adequate, desired) -> item frame (columns =
        item ids, one row per respondent; a difference measure such as the gap holds P - E per
        item).
    item_dimension
        Item id -> dimension id, in the instrument's order.
    scale_min, scale_max
        Scale points counted in ``freq_<v>`` (NaN for difference measures); None for continuous
        scores, which get no frequency columns and no off-scale flags.
    seed
        Bootstrap seed; each scale's resamples come from ``default_rng([seed, crc32(name)])``, so
        a scale's interval does not depend on which other scales are computed.
    missing, n_boot, threshold, ci, drop_gain, blb_min_n
        As in :func:`scale_reliability`.
    difference_pairs
        Difference measure -> (minuend, subtrahend) measures; their rows get
        ``difference_score_reliability`` (when both components are given) and no frequencies.

    Returns
    -------
    reliability : pandas.DataFrame
        One row per measure x dimension (dimension ``'all'`` = the whole scale), columns
        :data:`RELIABILITY_COLUMNS`.
    item_reliability : pandas.DataFrame
        One row per measure x dimension x item: ``measure``, ``dimension``, then the columns of
        :func:`item_reliability` with ``freq_<scale_min>`` .. ``freq_<scale_max>``.
    """
    _check_dimensions(measures, item_dimension)
    _check_options(missing, n_boot, ci)
    scale_rows, item_frames = [], []
    for measure, frame in measures.items():
        check_items(frame[list(item_dimension)])
        pair = difference_pairs.get(measure)
        is_difference = pair is not None
        has_components = is_difference and all(name in measures for name in pair)
        for dimension, columns in _scales(item_dimension):
            # One pass over the respondents per scale serves the scale and its item table.
            moments = _moments(frame[columns], missing)
            result = _scale_reliability(
                pd.Index(columns),
                moments,
                missing,
                n_boot,
                [seed, zlib.crc32(f"{measure}/{dimension}".encode())],
                ci,
                threshold,
                drop_gain,
                BLB_MIN_N if blb_min_n is None else blb_min_n,
            )
            rho = (
                difference_score_reliability(
                    measures[pair[0]][columns], measures[pair[1]][columns], missing=missing
                )
                if has_components
                else np.nan
            )
            scale_rows.append(
                {
                    "measure": measure,
                    "dimension": dimension,
                    **vars(result),
                    "difference_score_reliability": rho,
                    # Peter, Churchill & Brown (1993): a P - E score can be less reliable than
                    # either component; below the threshold its gaps carry that much more noise.
                    "flags": "; ".join(filter(None, [
                        result.flags,
                        f"difference-score reliability {rho:.3f} < {threshold:.2f}" if rho < threshold else "",
                    ])),
                }
            )
            # Difference scores do not lie on the rating scale: no frequencies, no off-scale flag.
            table = _item_table(
                pd.Index(columns),
                moments,
                None if is_difference else scale_min,
                None if is_difference else scale_max,
                drop_gain,
            )
            if is_difference:
                for point in range(int(scale_min), int(scale_max) + 1) if scale_min is not None else ():
                    table[f"freq_{point}"] = np.nan
            table.insert(0, "dimension", dimension)
            table.insert(0, "measure", measure)
            item_frames.append(table)
    return (
        pd.DataFrame(scale_rows, columns=list(RELIABILITY_COLUMNS)).assign(confidence=ci),
        pd.concat(item_frames, ignore_index=True),
    )


# ---------------------------------------------------------------------------------------------
# Input checks
# ---------------------------------------------------------------------------------------------


def _check_missing(missing: str) -> None:
    check_choice(missing, MISSING_POLICIES, "missing")


def _check_options(missing: str, n_boot: int, ci: float) -> None:
    _check_missing(missing)
    if n_boot < 0:
        raise ValueError(f"n_boot must be 0 (no bootstrap) or positive, got {n_boot}")
    check_confidence(ci, "ci")


def _check_dimensions(
    measures: Mapping[str, pd.DataFrame], item_dimension: Mapping[str, str]
) -> None:
    for measure, frame in measures.items():
        absent = [item for item in item_dimension if item not in frame.columns]
        if absent:
            raise ValueError(f"measure {measure!r} lacks the items {', '.join(map(str, absent))}")


def _scales(item_dimension: Mapping[str, str]) -> Iterator[tuple[str, list[str]]]:
    """Each dimension's items in instrument order, then 'all' (the whole scale)."""
    for dimension in dict.fromkeys(item_dimension.values()):
        yield dimension, [item for item, d in item_dimension.items() if d == dimension]
    yield "all", list(item_dimension)


# ---------------------------------------------------------------------------------------------
# Moments (point estimate and bootstrap share them)
# ---------------------------------------------------------------------------------------------


def _moments(items: pd.DataFrame, missing: str) -> _Moments:
    data = items.to_numpy(dtype=float)
    if missing == "listwise":
        complete = ~np.isnan(data).any(axis=1)
        if not complete.all():
            data = data[complete]
    cov, corr, count = _weighted_moments(data, None)
    n = int(count[0].min()) if data.shape[1] else len(data)
    return _Moments(data=data, cov=cov[0], corr=corr[0], n=n)


def _weighted_moments(
    data: np.ndarray, weights: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairwise-complete covariances and correlations of ``data`` (n, k) under case weights (B, n).

    Bootstrap resamples are weights (how often each row was drawn); ``None`` stands for one set
    of weights of ones, the sample moments (B = 1). Correlations are R's
    ``cor(use="pairwise")``: each pair's means and SDs come from the rows where both items are
    answered. Returns covariances, correlations and pairwise counts, each (B, k, k).
    """
    observed = ~np.isnan(data)
    complete = bool(observed.all())
    # Centring on the full-sample means first keeps the one-pass sums numerically stable.
    if not len(data):
        centred = np.zeros(data.shape)
    elif complete:
        centred = data - data.mean(axis=0)
    else:
        centred = np.where(observed, data - np.nanmean(data, axis=0), 0.0)
    if complete:
        # With one column of ones the same products give each resample's count and item sums.
        one = np.ones((len(data), 1))
        products, sums, total = _weighted_cross(weights, [(centred, centred), (centred, one), (one, one)])
        count = np.broadcast_to(total, products.shape)
        sums = sums[:, :, 0]
        with np.errstate(invalid="ignore", divide="ignore"):
            cov = (products - sums[:, :, None] * sums[:, None, :] / count) / (count - 1)
        return cov, _cov_to_corr(cov), count
    mask = observed.astype(float)
    # sums, squares [b, i, j]: sum (of squares) of item i over the rows where item j is answered.
    products, count, sums, squares = _weighted_cross(
        weights, [(centred, centred), (mask, mask), (centred, mask), (centred**2, mask)]
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        centred_products = products - sums * sums.swapaxes(1, 2) / count
        pair_ss = squares - sums**2 / count
        cov = centred_products / (count - 1)
        corr = centred_products / np.sqrt(pair_ss * pair_ss.swapaxes(1, 2))
    return cov, corr, count


#: Cells (rows x columns) of one block of row-wise products in :func:`_weighted_cross` (64 MB of
#: float64).
_CROSS_CELLS = 8_000_000


def _weighted_cross(
    weights: np.ndarray | None, pairs: Sequence[tuple[np.ndarray, np.ndarray]]
) -> list[np.ndarray]:
    """sum_n w[b, n] left[n, i] right[n, j] for each (left, right) pair: a list of (B, i, j).

    Unit weights (``None``, the point estimate) take one matrix product per pair. Resamples (a
    bootstrap) take one matrix product per block of rows: weights (B, rows) times the rows'
    products (rows, all pairs' columns), so the work is a few large BLAS calls whatever B is. A
    pair of one array with itself is symmetric and contributes its upper triangle only.
    """
    if weights is None:
        return [(left.T @ right)[None] for left, right in pairs]
    columns = list(_product_columns(pairs))
    size, n = weights.shape
    total = np.zeros((size, columns[-1][3].stop))
    block = max(1, min(n, _CROSS_CELLS // total.shape[1]))
    products = np.empty((block, total.shape[1]))
    for start in range(0, n, block):
        rows = slice(start, min(start + block, n))
        out = products[: rows.stop - start]
        for pair, i, j, where in columns:
            left, right = pairs[pair]
            np.multiply(left[rows, i, None], right[rows, j:], out=out[:, where])
        total += weights[:, rows] @ out
    cross = [np.empty((size, left.shape[1], right.shape[1])) for left, right in pairs]
    for pair, i, j, where in columns:
        cross[pair][:, i, j:] = total[:, where]
        if pairs[pair][0] is pairs[pair][1]:
            cross[pair][:, j:, i] = total[:, where]
    return cross


def _product_columns(pairs: Sequence[tuple[np.ndarray, np.ndarray]]) -> Iterator[tuple[int, int, int, slice]]:
    """Layout of the row-wise products in :func:`_weighted_cross`: for each pair and each column i
    of its left array, the columns that hold left[:, i] * right[:, j:], where j = i for a pair of
    one array with itself (its upper triangle) and 0 otherwise."""
    stop = 0
    for pair, (left, right) in enumerate(pairs):
        for i in range(left.shape[1]):
            j = i if left is right else 0
            start, stop = stop, stop + right.shape[1] - j
            yield pair, i, j, slice(start, stop)


def _cov_to_corr(cov: np.ndarray) -> np.ndarray:
    sd = np.sqrt(np.diagonal(cov, axis1=-2, axis2=-1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return cov / sd[..., :, None] / sd[..., None, :]


# ---------------------------------------------------------------------------------------------
# Coefficients on (stacks of) matrices
# ---------------------------------------------------------------------------------------------


def _alpha(cov: np.ndarray) -> np.ndarray:
    k = cov.shape[-1]
    with np.errstate(invalid="ignore", divide="ignore"):
        return k / (k - 1) * (1 - np.trace(cov, axis1=-2, axis2=-1) / cov.sum(axis=(-2, -1)))


def _lambda6(corr: np.ndarray) -> float:
    """Guttman's lambda 6: 1 - sum(1 - smc) / 1'R1 (psych's G6(smc))."""
    if not np.isfinite(corr).all():
        return np.nan
    try:
        smc = 1 - 1 / np.diag(np.linalg.inv(corr))
    except np.linalg.LinAlgError:
        return np.nan
    return float(1 - (len(corr) - smc.sum()) / corr.sum())


def _omega_total(corr: np.ndarray) -> np.ndarray:
    """Omega total (psych): (1'R1 - sum of one-factor uniquenesses) / 1'R1, for (..., k, k)."""
    k = corr.shape[-1]
    communality = _one_factor_communalities(corr)
    return 1 - (k - communality.sum(axis=-1)) / corr.sum(axis=(-2, -1))


def _one_factor_communalities(corr: np.ndarray) -> np.ndarray:
    """Communalities of a one-factor minres fit to each correlation matrix of a (..., k, k) stack.

    psych's minres minimises the squared residuals of ``R - diag(u2)`` from its first principal
    axis over uniquenesses ``u2`` in [.005, 1], starting from 1 - smc. Its stationary points are
    the fixed points of iterated principal axes (h2 = squared first-axis loadings), i.e. the
    unweighted least squares one-factor solution. We warm up with a few principal-axis steps from
    psych's start, polish with Newton steps on the loadings (quadratic convergence), and keep
    iterating principal axes with the .995 bound where Newton does not land on an interior local
    minimum (Heywood cases, saddle points); those iterations stop after 2000 steps and keep the
    last iterate (it happens only where the objective is nearly flat, i.e. one factor hardly fits).
    Matrices with NaN (a zero-variance item) give NaN.
    """
    shape = corr.shape
    stack = corr.reshape(-1, shape[-1], shape[-1])
    valid = np.isfinite(stack).all(axis=(1, 2))
    result = np.full(stack.shape[:2], np.nan)
    if valid.any():
        result[valid] = _fit_one_factor(stack[valid])
    return result.reshape(shape[:-1])


def _fit_one_factor(corr: np.ndarray) -> np.ndarray:
    k = corr.shape[-1]
    eye = np.eye(k)
    off = corr * (1 - eye)
    smc = 1 - 1 / np.diagonal(np.linalg.pinv(corr, hermitian=True), axis1=1, axis2=2)
    communality, loadings = _principal_axes(off, np.clip(smc, 0, _MAX_COMMUNALITY), _PAF_WARMUP)
    loadings, converged = _newton(off, loadings)
    interior = converged & ((loadings**2).max(axis=1) <= _MAX_COMMUNALITY)
    interior[interior] = _is_local_minimum(off[interior], loadings[interior])
    result = loadings**2
    if not interior.all():
        rest = ~interior
        _, rest_loadings = _principal_axes(off[rest], communality[rest], _PAF_MAX_ITER)
        result[rest] = rest_loadings**2
    return result


def _principal_axes(
    off: np.ndarray, communality: np.ndarray, iterations: int
) -> tuple[np.ndarray, np.ndarray]:
    """Iterated principal axes with communalities bounded in [0, .995] (psych's minres bounds)."""
    eye = np.eye(off.shape[-1])
    communality = communality.copy()
    loadings = np.sqrt(communality)
    active = np.arange(len(off))
    for _ in range(iterations):
        values, vectors = np.linalg.eigh(off[active] + eye * communality[active, None, :])
        loadings[active] = vectors[:, :, -1] * np.sqrt(np.maximum(values[:, -1:], 0))
        updated = np.clip(loadings[active] ** 2, 0, _MAX_COMMUNALITY)
        moving = np.abs(updated - communality[active]).max(axis=1) >= _TOL
        communality[active] = updated
        active = active[moving]
        if not len(active):
            break
    return communality, loadings


def _newton(off: np.ndarray, loadings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Newton steps on f(l) = sum_{i != j} (r_ij - l_i l_j)^2 / 4 (unweighted least squares).

    Only matrices still moving are iterated; a non-finite step marks a matrix not converged.
    """
    eye = np.eye(off.shape[-1])
    loadings = loadings.copy()
    converged = np.zeros(len(loadings), dtype=bool)
    active = np.arange(len(loadings))
    for _ in range(_NEWTON_STEPS):
        gradient, hessian = _uls_derivatives(off[active], loadings[active], eye)
        with np.errstate(invalid="ignore"):
            try:
                step = np.linalg.solve(hessian, gradient[:, :, None])[:, :, 0]
            except np.linalg.LinAlgError:  # a singular Hessian in the stack
                step = (np.linalg.pinv(hessian) @ gradient[:, :, None])[:, :, 0]
        loadings[active] -= step
        size = np.abs(step).max(axis=1)
        converged[active] = size < _TOL
        active = active[size >= _TOL]
        if not len(active):
            break
    return loadings, converged


def _uls_derivatives(
    off: np.ndarray, loadings: np.ndarray, eye: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    outer = loadings[:, :, None] * loadings[:, None, :]
    gradient = -np.einsum("bij,bj->bi", off - outer * (1 - eye), loadings)
    rest_ss = (loadings**2).sum(axis=1, keepdims=True) - loadings**2
    hessian = (2 * outer - off) * (1 - eye) + eye * rest_ss[:, None, :]
    return gradient, hessian


def _is_local_minimum(off: np.ndarray, loadings: np.ndarray) -> np.ndarray:
    _, hessian = _uls_derivatives(off, loadings, np.eye(off.shape[-1]))
    return np.linalg.eigvalsh(hessian)[:, 0] > 0


def _item_rest_and_alpha_drop(cov: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Item-rest r (psych r.drop) and alpha if dropped for every item."""
    k = cov.shape[0]
    variance = np.diag(cov)
    column = cov.sum(axis=0)
    rest_var = cov.sum() - 2 * column + variance
    with np.errstate(invalid="ignore", divide="ignore"):
        rest_r = (column - variance) / np.sqrt(variance * rest_var)
    alpha_drop = _alpha(_drop_each(cov)) if k > 2 else np.full(k, np.nan)
    return rest_r, alpha_drop


def _drop_each(matrix: np.ndarray) -> np.ndarray:
    """Stack of the k submatrices with one item removed, (k, k-1, k-1)."""
    k = matrix.shape[0]
    kept = np.nonzero(~np.eye(k, dtype=bool))[1].reshape(k, k - 1)
    return matrix[kept[:, :, None], kept[:, None, :]]


# ---------------------------------------------------------------------------------------------
# Bootstrap
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _BootstrapIntervals:
    alpha: tuple[float, float]
    omega: tuple[float, float]
    flags: list[str]
    method: str


def _bootstrap(
    moments: _Moments,
    n_boot: int,
    seed,
    ci: float,
    blb_min_n: int,
    estimates: tuple[float, float],
) -> _BootstrapIntervals:
    """Percentile intervals of alpha and omega from ``n_boot`` resamples of the kept rows.

    Up to ``blb_min_n`` rows: the ordinary bootstrap, each resample n rows drawn with
    replacement. Above: the bag of little bootstraps (Kleiner et al. 2014). Each of s subsets of
    b = max(n ** BLB_GAMMA, blb_min_n) rows, drawn without replacement, is resampled to size n
    with multinomial(n, 1/b) weights; the percentiles of the resamples' deviations from the
    subset's own coefficient estimate those of the full bootstrap's deviations from the sample
    coefficient; the interval is the
    sample coefficient (``estimates``: alpha, omega) plus the subsets' mean percentiles, which
    is the percentile interval the full bootstrap would give. (The subsets' raw percentiles
    would be centred on the mean of the subsets' own coefficients, which scatters around the
    sample coefficient by sqrt(n / (b s)) / 1.96 half-widths of a 95% interval: 0.72 at a
    million respondents, with b = 50,000 and s = 10.)
    """
    if n_boot == 0:
        return _BootstrapIntervals((np.nan, np.nan), (np.nan, np.nan), [], "")
    n = len(moments.data)
    rng = np.random.default_rng(seed)
    levels = interval_levels(ci)
    if n > blb_min_n:
        alphas, omegas, alpha_interval, omega_interval, method = _little_bootstraps(
            moments.data, n_boot, rng, levels, estimates, blb_min_n
        )
        method = f"{method} (n > {blb_min_n:,})"
    else:
        coefficients = [_resampled_coefficients(moments.data, w) for w in row_bootstrap_weights(n, n_boot, rng)]
        alphas, omegas = (np.concatenate(values) for values in zip(*coefficients, strict=True))
        alpha_interval, omega_interval = percentile_interval(alphas, levels), percentile_interval(omegas, levels)
        method = f"percentile bootstrap, {n_boot} resamples of the n = {n:,} rows"
    flags = []
    for name, values in (("alpha", alphas), ("omega", omegas)):
        undefined = int(np.isnan(values).sum())
        if 0 < undefined < n_boot or (undefined and name == "alpha"):
            flags.append(
                f"bootstrap {name} undefined in {undefined} of {n_boot} resamples (left out)"
            )
    return _BootstrapIntervals(alpha_interval, omega_interval, flags, method)


def _little_bootstraps(
    data: np.ndarray,
    n_boot: int,
    rng: np.random.Generator,
    levels: list[float],
    estimates: tuple[float, float],
    switch: int,
) -> tuple[np.ndarray, np.ndarray, tuple[float, float], tuple[float, float], str]:
    """Bag of little bootstraps of the n > ``switch`` rows: deviations of alpha and omega (n_boot
    each), their intervals."""
    deviations: list[tuple[np.ndarray, np.ndarray]] = []
    ends: list[tuple[tuple[float, float], tuple[float, float]]] = []
    for rows, weights in little_bootstrap_subsets(len(data), n_boot, rng, switch):
        # First row: the subset itself (equal weights), the centre of its resamples.
        alpha, omega = _resampled_coefficients(data[rows], weights)
        pair = (alpha[1:] - alpha[0], omega[1:] - omega[0])
        deviations.append(pair)
        # Hyndman & Fan's median-unbiased quantiles: from 200 resamples the default (linear)
        # 2.5% quantile of normal deviations lies at 1.91 instead of 1.96 SDs on average.
        ends.append(tuple(percentile_interval(d, levels, method="median_unbiased") for d in pair))
    intervals = []
    for which, estimate in enumerate(estimates):
        low, high = mean_ends([end[which] for end in ends])
        intervals.append((estimate + low, estimate + high))
    method = (
        f"bag of little bootstraps (Kleiner et al. 2014): {n_boot} resamples of n = {len(data):,} from "
        f"{len(ends)} subsets of b = {len(rows):,} rows; interval = estimate + mean over subsets of the "
        "percentiles of the resamples' deviations from the subset's estimate"
    )
    return (
        np.concatenate([d[0] for d in deviations]),
        np.concatenate([d[1] for d in deviations]),
        intervals[0],
        intervals[1],
        method,
    )


def _resampled_coefficients(
    data: np.ndarray, weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Alpha and omega of each resample given as case weights (B, rows) on ``data``."""
    cov, corr, _ = _weighted_moments(data, weights)
    omega = _omega_total(corr) if data.shape[1] >= 3 else np.full(len(weights), np.nan)
    return _alpha(cov), omega


# ---------------------------------------------------------------------------------------------
# Flags
# ---------------------------------------------------------------------------------------------


def _scale_flags(
    names: pd.Index,
    alpha: float,
    omega: float,
    threshold: float,
    constant: np.ndarray,
    rest_r: np.ndarray,
    alpha_drop: np.ndarray,
    drop_gain: float,
    lambda6: float,
) -> list[str]:
    names = np.asarray(names.astype(str))
    flags = []
    if constant.any():
        flags.append(
            f"zero variance: {', '.join(names[constant])} (correlation-based statistics undefined)"
        )
    if alpha < threshold:
        flags.append(f"alpha {alpha:.3f} < {threshold:.2f}")
    if len(names) < 3:
        flags.append("omega undefined with k = 2 (a one-factor model needs 3 items)")
    elif np.isnan(omega) and not constant.any():
        flags.append("omega undefined (one-factor fit failed)")
    elif omega < threshold:
        flags.append(f"omega {omega:.3f} < {threshold:.2f}")
    if np.isnan(lambda6) and not constant.any():
        flags.append("lambda 6 undefined (singular correlation matrix)")
    negative = rest_r < 0
    if negative.any():
        flags.append(f"negative item-rest r: {', '.join(names[negative])} (unreversed item?)")
    raises = alpha_drop - alpha > drop_gain
    if raises.any():
        flags.append(f"alpha rises by > {drop_gain:.2f} without: {', '.join(names[raises])}")
    return flags


def _item_flags(
    k: int,
    variance: np.ndarray,
    rest_r: np.ndarray,
    gain: np.ndarray,
    drop_gain: float,
    off_scale: np.ndarray | None,
) -> list[str]:
    rows = []
    for i in range(k):
        flags = []
        if variance[i] <= 0:
            flags.append("zero variance (item-rest r undefined)")
        if rest_r[i] < 0:
            flags.append("negative item-rest r (likely an unreversed item)")
        if gain[i] > drop_gain:
            flags.append(f"alpha rises by {gain[i]:.3f} if dropped")
        if k == 2:
            flags.append("alpha if dropped undefined (1 item left)")
        if k == 3:
            flags.append("omega if dropped undefined (2 items left)")
        if off_scale is not None and off_scale[i] > 0:
            flags.append(f"{off_scale[i]} values off the scale points")
        rows.append("; ".join(flags))
    return rows


def _undefined_scale(
    n: int, k: int, missing: str, ci: float, n_boot: int, flags: list[str]
) -> ScaleReliability:
    nan = np.nan
    return ScaleReliability(
        n=n,
        k=k,
        missing_policy=missing,
        alpha=nan,
        alpha_std=nan,
        lambda6=nan,
        average_r=nan,
        median_r=nan,
        omega_total=nan,
        alpha_feldt_low=nan,
        alpha_feldt_high=nan,
        alpha_duhachek_low=nan,
        alpha_duhachek_high=nan,
        alpha_boot_low=nan,
        alpha_boot_high=nan,
        omega_boot_low=nan,
        omega_boot_high=nan,
        boot_method="",
        flags="; ".join(flags),
        ci=ci,
        n_boot=n_boot,
    )
