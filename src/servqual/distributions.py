"""The distribution functions the statistics need, from :mod:`scipy.special`.

``scipy.stats`` takes 0.3 to 0.5 s to import (it loads scipy's optimizers, integrators,
interpolators and sparse matrices), more than most workflow steps spend computing. Each function
here is the ufunc that ``scipy.stats`` itself evaluates for the same distribution (scipy 1.17,
``scipy/stats/_continuous_distns.py``), so the numbers are the same to the last bit for valid
arguments; only the argument checks and ``loc``/``scale`` of ``scipy.stats`` are left out. Arguments
are arrays or scalars (a pandas Series is taken as its values); a scalar argument gives a numpy
float. As in ``scipy.stats``, a chi-square or F statistic below 0 (a rounding error's -1e-15)
counts as 0, the lower end of the support, and a chi-square on 0 df has no p-value (NaN);
probabilities are in (0, 1).

- normal: Phi = ``ndtr``, its inverse ``ndtri``, density exp(-x^2 / 2) / sqrt(2 pi);
- chi-square with k df: P(X <= x) = P(k/2, x/2), the regularized lower incomplete gamma function
  (``chdtr``; ``chdtrc`` its complement; quantile 2 P^-1(k/2, p) by ``gammaincinv``);
- noncentral chi-square with noncentrality lambda > 0: ``chndtr`` (the central one at 0); its
  upper tail, which has no public ufunc, as the Poisson mixture of central upper tails
  sum_j Pois(j; lambda / 2) Q((k + 2j) / 2, x / 2) (Johnson, Kotz & Balakrishnan 1995, 29.2),
  a sum of positive terms, so small p-values keep their relative precision (agrees with
  ``scipy.stats.ncx2.sf`` to 1e-10 relative or better, tested);
- Student's t with nu df: ``stdtr`` and its inverse ``stdtrit``;
- F with (d1, d2) df: ``fdtrc`` (upper tail) and ``fdtri`` (quantile).

References: Abramowitz & Stegun (1964), Handbook of Mathematical Functions, chapters 6 and 26;
the Cephes library (Moshier 1989) behind these ufuncs; Johnson, Kotz & Balakrishnan (1995),
Continuous Univariate Distributions, vol. 2, chapter 29.
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
