"""The distribution functions the statistics need, from :mod:`scipy.special`.

``scipy.stats`` takes 0.5 to 1 s to import (it loads scipy's optimizers, integrators,
interpolators and sparse matrices, and processes the docstrings of its hundred distributions),
more than most workflow steps spend computing; no workflow step imports it. Most functions here
are the ufunc that ``scipy.stats`` itself evaluates for the same distribution (scipy 1.17,
``scipy/stats/_continuous_distns.py``), so the numbers are the same to the last bit for valid
arguments; only the argument checks and ``loc``/``scale`` of ``scipy.stats`` are left out. Three
have no ufunc and are computed here, each tested against scipy.stats to the precision stated.
Arguments are arrays or scalars (a pandas Series is taken as its values); a scalar argument gives
a numpy float. As in ``scipy.stats``, a chi-square or F statistic below 0 (a rounding error's
-1e-15) counts as 0, the lower end of the support, and a chi-square on 0 df has no p-value
(NaN); probabilities are in (0, 1).

- normal: Phi = ``ndtr``, its inverse ``ndtri``, density exp(-x^2 / 2) / sqrt(2 pi);
- chi-square with k df: P(X <= x) = P(k/2, x/2), the regularized lower incomplete gamma function
  (``chdtr``; ``chdtrc`` its complement; quantile 2 P^-1(k/2, p) by ``gammaincinv``);
- noncentral chi-square with noncentrality lambda > 0: ``chndtr`` (the central one at 0); its
  upper tail, which has no public ufunc, as the Poisson mixture of central upper tails
  sum_j Pois(j; lambda / 2) Q((k + 2j) / 2, x / 2) (Johnson, Kotz & Balakrishnan 1995, 29.2),
  a sum of positive terms, so small p-values keep their relative precision (agrees with
  ``scipy.stats.ncx2.sf`` to 1e-10 relative or better, tested);
- Student's t with nu df: ``stdtr`` and its inverse ``stdtrit``;
- F with (d1, d2) df: ``fdtrc`` (upper tail) and ``fdtri`` (quantile);
- binomial with n trials: P(X > k) = I_p(k + 1, n - k), the regularized incomplete beta function
  (``betainc``, Boost's ibeta as in scipy.stats, to the last bit), P(X <= k) its complement
  (``betaincc``; to 1e-12 relative of scipy.stats, whose double-precision Boost binomial loses
  digits below 1e-200, where this one keeps them) (Johnson, Kemp & Kotz 2005, 3.3); the exact
  binomial test built on them is :func:`servqual.binomial_test.binomial_test`;
- studentized range (Games-Howell's p-values): its upper tail as the double integral over the
  range of k normals and the scale's chi distribution (Lund & Lund 1983), by trapezoidal sums
  that halve their step until they agree (to 1e-11 absolute of scipy.stats' adaptive
  quadrature, tested; 0.2 to 1 ms a value).

References: Abramowitz & Stegun (1964), Handbook of Mathematical Functions, chapters 6 and 26;
the Cephes library (Moshier 1989) and Boost.Math behind these ufuncs; Johnson, Kotz &
Balakrishnan (1995), Continuous Univariate Distributions, vol. 2, chapter 29; Johnson, Kemp &
Kotz (2005), Univariate Discrete Distributions, 3rd ed., chapter 3; Lund & Lund (1983), Applied
Statistics 32(2).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

_SQRT_2PI = np.sqrt(2 * np.pi)


def _support(x: ArrayLike) -> np.ndarray:
    """``x`` as floats, values below 0 raised to 0 (NaN kept)."""
    return np.maximum(np.asarray(x, dtype=float), 0.0)


def _degrees(df: ArrayLike) -> np.ndarray:
    """Chi-square degrees of freedom as floats, NaN where not positive (``chdtrc(0, x)`` is 0)."""
    df = np.asarray(df, dtype=float)
    return np.where(df > 0, df, np.nan)


def norm_pdf(x: ArrayLike) -> np.ndarray | np.floating:
    """Standard normal density phi(x) = exp(-x^2 / 2) / sqrt(2 pi) (``scipy.stats.norm.pdf``)."""
    x = np.asarray(x, dtype=float)
    return np.exp(-x**2 / 2.0) / _SQRT_2PI


def norm_cdf(x: ArrayLike) -> np.ndarray | np.floating:
    """Standard normal distribution function Phi(x) (``scipy.stats.norm.cdf``)."""
    return special.ndtr(np.asarray(x, dtype=float))


def norm_sf(x: ArrayLike) -> np.ndarray | np.floating:
    """Standard normal upper tail 1 - Phi(x) = Phi(-x) (``scipy.stats.norm.sf``)."""
    return special.ndtr(-np.asarray(x, dtype=float))


def norm_ppf(q: ArrayLike) -> np.ndarray | np.floating:
    """Standard normal quantile Phi^-1(q) (``scipy.stats.norm.ppf``)."""
    return special.ndtri(np.asarray(q, dtype=float))


def chi2_cdf(x: ArrayLike, df: ArrayLike) -> np.ndarray | np.floating:
    """Chi-square distribution function P(df/2, x/2) (``scipy.stats.chi2.cdf``)."""
    return special.chdtr(_degrees(df), _support(x))


def chi2_sf(x: ArrayLike, df: ArrayLike) -> np.ndarray | np.floating:
    """Chi-square upper tail (p-value of a chi-square statistic x on df degrees of freedom)
    (``scipy.stats.chi2.sf``)."""
    return special.chdtrc(_degrees(df), _support(x))


def chi2_ppf(q: ArrayLike, df: ArrayLike) -> np.ndarray | np.floating:
    """Chi-square quantile 2 P^-1(df/2, q) (``scipy.stats.chi2.ppf``)."""
    return 2 * special.gammaincinv(_degrees(df) / 2, np.asarray(q, dtype=float))


def ncx2_cdf(x: ArrayLike, df: ArrayLike, nc: float) -> np.ndarray | np.floating:
    """Noncentral chi-square distribution function with noncentrality ``nc`` (the central one at
    0) (``scipy.stats.ncx2.cdf``)."""
    if nc == 0:
        return chi2_cdf(x, df)
    with np.errstate(over="ignore"):  # as scipy.stats (scipy issue 17432)
        return special.chndtr(_support(x), _degrees(df), float(nc))


def ncx2_sf(x: float, df: float, nc: float) -> float:
    """Noncentral chi-square upper tail P(X > x) with noncentrality ``nc`` (the central one at 0)
    (``scipy.stats.ncx2.sf``), for a scalar statistic: the Poisson mixture

        sum_j exp(-nc / 2) (nc / 2)^j / j! * Q((df + 2j) / 2, x / 2),

    Q the regularized upper incomplete gamma function. The terms are summed from 12 standard
    deviations (plus 40 terms) below the weights' mode to as far above both the mode and (x - df) / 2
    (where Q turns towards 1; far in the upper tail the largest terms lie there, not at the
    mode); the terms left out add less than 1e-30 of the sum. The weights come from the mode by
    the ratios w_(j+1) / w_j = (nc / 2) / (j + 1) and are then scaled to sum to 1 over the
    weights: j log(nc / 2) - log j! would lose ten digits to cancellation when nc is in the
    hundreds of thousands (a million respondents)."""
    if not df > 0 or np.isnan(x):
        return np.nan
    if nc == 0:
        return float(chi2_sf(x, df))
    mean = nc / 2
    mode = int(np.floor(mean))
    x = max(x, 0.0)
    spread = 12 * np.sqrt(max(mean, x / 2)) + 40
    j = np.arange(max(0, int(mode - spread)), int(max(mode, (x - df) / 2) + spread) + 1, dtype=float)
    up = np.cumprod(mean / j[j > mode])  # w_(mode+1) / w_mode, w_(mode+2) / w_mode, ...
    down = np.cumprod((j[j <= mode][::-1] / mean)[:-1])  # w_(mode-1) / w_mode, ...
    weights = np.concatenate([down[::-1], [1.0], up])
    return float(np.sum(weights * special.gammaincc(df / 2 + j, x / 2)) / weights.sum())


def t_sf(x: ArrayLike, df: ArrayLike) -> np.ndarray | np.floating:
    """Student's t upper tail P(T > x) (``scipy.stats.t.sf``)."""
    return special.stdtr(np.asarray(df, dtype=float), -np.asarray(x, dtype=float))


def t_ppf(q: ArrayLike, df: ArrayLike) -> np.ndarray | np.floating:
    """Student's t quantile (``scipy.stats.t.ppf``)."""
    return special.stdtrit(np.asarray(df, dtype=float), np.asarray(q, dtype=float))


def f_sf(x: ArrayLike, dfn: ArrayLike, dfd: ArrayLike) -> np.ndarray | np.floating:
    """F upper tail P(F > x) on (dfn, dfd) degrees of freedom (``scipy.stats.f.sf``)."""
    return special.fdtrc(np.asarray(dfn, dtype=float), np.asarray(dfd, dtype=float), _support(x))


def f_ppf(q: ArrayLike, dfn: ArrayLike, dfd: ArrayLike) -> np.ndarray | np.floating:
    """F quantile on (dfn, dfd) degrees of freedom (``scipy.stats.f.ppf``)."""
    return special.fdtri(np.asarray(dfn, dtype=float), np.asarray(dfd, dtype=float), np.asarray(q, dtype=float))


def binom_cdf(k: ArrayLike, n: ArrayLike, p: ArrayLike) -> np.ndarray | np.floating:
    """Binomial distribution function P(X <= k) for X ~ Binomial(n, p) (``scipy.stats.binom.cdf``):

        P(X <= k) = 1 - I_p(k + 1, n - k),

    I the regularized incomplete beta function, its complement by ``betaincc`` (Boost's ibetac,
    the function scipy.stats' binomial calls; agrees to 1e-13 relative, tested), 0 below k = 0
    and 1 from k = n on; ``k`` is rounded down to a count."""
    k, n, p = np.floor(np.asarray(k, dtype=float)), np.asarray(n, dtype=float), np.asarray(p, dtype=float)
    inside = (k >= 0) & (k < n)
    with np.errstate(invalid="ignore"):  # betaincc(k + 1, n - k, p) is NaN where k is outside 0..n-1
        return np.where(inside, special.betaincc(k + 1, n - k, p), np.where(k < 0, 0.0, 1.0) + 0 * p)[()]


def binom_sf(k: ArrayLike, n: ArrayLike, p: ArrayLike) -> np.ndarray | np.floating:
    """Binomial upper tail P(X > k) = I_p(k + 1, n - k) for X ~ Binomial(n, p)
    (``scipy.stats.binom.sf``, to the last bit: both are Boost's ibeta), 1 below k = 0 and 0
    from k = n on; ``k`` is rounded down to a count."""
    k, n, p = np.floor(np.asarray(k, dtype=float)), np.asarray(n, dtype=float), np.asarray(p, dtype=float)
    inside = (k >= 0) & (k < n)
    with np.errstate(invalid="ignore"):
        return np.where(inside, special.betainc(k + 1, n - k, p), np.where(k < 0, 1.0, 0.0) + 0 * p)[()]


def studentized_range_sf(q: ArrayLike, k: ArrayLike, df: ArrayLike) -> np.ndarray | np.floating:
    """Upper tail of the studentized range: P(Q > q) for the range of ``k`` independent standard
    normals divided by an independent s with ``df`` degrees of freedom (``df * s^2 ~ chi^2``;
    ``np.inf`` for a known variance) (``scipy.stats.studentized_range.sf``, R ``ptukey(q, k, df,
    lower.tail = FALSE)``):

        P(Q > q) = int_0^inf f(s; df) H(q s) ds,
        H(w) = P(range > w) = k int phi(z) [Phi(z)^(k-1) - (Phi(z) - Phi(z - w))^(k-1)] dz,

    f the density of s (Lund & Lund 1983; Copenhaver & Holland 1988). H is summed as the upper
    tail itself, not 1 minus the distribution function: the largest of the k normals at z times
    the chance that another one lies below z - w, k phi(z) Phi(z)^(k-1) (1 - (1 - r)^(k-1)) with
    r = Phi(z - w) / Phi(z), the last factor as -expm1((k - 1) log1p(-r)). Both integrals
    are trapezoidal sums, which converge geometrically for smooth integrands that vanish at both
    ends: H over z in [-8.5, 9] in steps of 0.2 (0.5 / sqrt(2 log k) from k = 23 on, as the
    largest normal's spread narrows); the outer one over t = log s, whose density is
    proportional to exp(-(df / 2)(e^(2t) - 1 - 2t)), between its 1e-17 quantiles (from the
    chi-square's), in steps that start at min(0.25, 1 / sqrt(df)) and halve until two successive
    sums agree to 1e-13; the sum of the weights is normalised to 1, which leaves out the
    normalising constant (and its rounding for large df). With df = inf, H(q). Agrees with the
    exact value for k = 2 (2 P(T_df > q / sqrt 2)) to 1e-14 and with scipy.stats (nested adaptive
    quadrature to 1e-11) to 1e-11 absolute, tested; 0.2 to 1 ms per value (scipy.stats: 4 to
    7 ms). scipy.stats replaces df from 100,000 on by inf (0.09634686 becomes 0.09633846 at
    q = 3.5, k = 5); here df is kept. NaN for k < 2, df <= 0 or a NaN argument.

    >>> studentized_range_sf([3.5, 4.2], 5, 30).round(6)  # R: ptukey(3.5, 5, 30, lower.tail = FALSE)
    array([0.123548, 0.042727])

    References: Lund, R. E., & Lund, J. R. (1983). Algorithm AS 190: Probabilities and upper
    quantiles for the studentized range. Applied Statistics, 32(2), 204-210. Copenhaver, M. D.,
    & Holland, B. S. (1988). Computation of the distribution of the maximum studentized range
    statistic with application to multiple significance testing of simple effects. Journal of
    Statistical Computation and Simulation, 30(1), 1-15. Trefethen, L. N., & Weideman, J. A. C.
    (2014). The exponentially convergent trapezoidal rule. SIAM Review, 56(3), 385-458.
    """
    return np.vectorize(_studentized_range_sf, otypes=[float])(q, k, df)[()]


#: Probability of s left out at each end of the outer integral of the studentized range.
_SCALE_TAIL = 1e-17
#: Agreement of two successive halvings of the outer step that ends them.
_HALVING_TOLERANCE = 1e-13


def _studentized_range_sf(q: float, k: float, df: float) -> float:
    if np.isnan(q) or np.isnan(k) or np.isnan(df) or not (k >= 2 and df > 0):
        return np.nan
    if q <= 0 or q == np.inf:
        return float(q <= 0)
    if df == np.inf:
        return float(_range_sf(np.array([q]), k)[0])
    half = df / 2
    low = 0.5 * np.log(2 * special.gammaincinv(half, _SCALE_TAIL) / df)
    high = 0.5 * np.log(2 * special.gammainccinv(half, _SCALE_TAIL) / df)
    count = int(np.ceil((high - low) / min(0.25, 1 / np.sqrt(df))))
    weighted, total, previous = 0.0, 0.0, np.nan
    for _ in range(8):
        t = np.linspace(low, high, count + 1)
        if np.isfinite(previous):
            t = t[1::2]  # the nodes the halving adds
        log_density = -half * (np.expm1(2 * t) - 2 * t)
        density = np.exp(log_density)  # at most 1: the exponent is at most 0
        weighted, total = weighted + density @ _range_sf(q * np.exp(t), k), total + density.sum()
        estimate = weighted / total
        if abs(estimate - previous) <= _HALVING_TOLERANCE:
            break
        previous, count = estimate, 2 * count
    return float(estimate)


def _range_sf(w: np.ndarray, k: float) -> np.ndarray:
    """P(range of k standard normals > w) at each w > 0 (:func:`studentized_range_sf`)."""
    step = min(0.2, 0.5 / np.sqrt(2 * np.log(k)))
    z = np.arange(-8.5, 9.0 + step / 2, step)
    top = special.ndtr(z)
    share = np.minimum(special.ndtr(z - w[:, None]) / top, 1.0)  # rounding can put it above 1
    with np.errstate(divide="ignore"):  # share 1 (w near 0): log1p(-1) = -inf, the factor 1
        below = -np.expm1((k - 1) * np.log1p(-share))
    return step * (below @ (k * np.exp(-(z**2) / 2) / _SQRT_2PI * top ** (k - 1)))
