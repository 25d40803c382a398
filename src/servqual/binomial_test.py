"""The exact binomial test, from the binomial distribution of :mod:`servqual.distributions`
(``scipy.stats.binomtest`` takes scipy.stats' 0.5 to 1 s import with it)."""

from __future__ import annotations

import numpy as np
from scipy import special

from servqual.checks import check_choice
from servqual.distributions import binom_cdf, binom_sf

#: The alternatives offered, as scipy.stats.binomtest and R's binom.test name them.
ALTERNATIVES = ("two-sided", "less", "greater")
#: Relative tolerance under which two probabilities count as equal (R's binom.test, scipy).
RELATIVE_ERROR = 1 + 1e-7


def binomial_test(k: int, n: int, p: float = 0.5, alternative: str = "two-sided") -> float:
    """p-value of the exact test that ``k`` successes in ``n`` trials come from success
    probability ``p``.

    Two-sided, the probability of every outcome no more likely than the one observed,
    ``p = sum_i P(X = i) [P(X = i) <= P(X = k) (1 + 1e-7)]`` with ``X ~ Binomial(n, p)`` (the
    tolerance counts as equal the probabilities that are equal but for rounding), at most 1;
    one-sided, the tail: ``P(X <= k)`` (``less``), ``P(X >= k)`` (``greater``). As the
    probabilities fall away from the mode on either side, the outcomes counted on the far side
    of ``n p`` are a run from its end, found by bisection; the tails come from the regularized
    incomplete beta function (:func:`~servqual.distributions.binom_cdf`,
    :func:`~servqual.distributions.binom_sf`). The probabilities are compared in logs,
    ``log P(X = i) = log n! - log i! - log (n - i)! + i log p + (n - i) log(1 - p)`` by
    ``gammaln``, good to about 1e-16 n log n relative (1e-11 at n = 5,000, 3e-9 at a million),
    inside the tolerance.

    Parameters
    ----------
    k, n : int
        Successes and trials, ``0 <= k <= n``, ``n >= 1``.
    p : float
        Success probability under the hypothesis, in [0, 1].
    alternative : {"two-sided", "less", "greater"}

    Returns
    -------
    float
        The p-value (as ``scipy.stats.binomtest(k, n, p, alternative).pvalue`` and R's
        ``binom.test(k, n, p, alternative)$p.value``; agrees with scipy to 1e-12 relative down
        to 1e-200, below which scipy's binomial distribution function loses its digits, tested).

    References
    ----------
    Clopper, C. J., & Pearson, E. S. (1934). The use of confidence or fiducial limits
    illustrated in the case of the binomial. Biometrika, 26(4), 404-413. Agresti, A. (2013).
    Categorical Data Analysis (3rd ed.), Wiley, section 1.4. R: ``stats::binom.test``.

    Examples
    --------
    >>> float(f"{binomial_test(33, 122):.6g}")  # R: binom.test(33, 122)$p.value
    4.04035e-07
    >>> round(binomial_test(7, 20, 0.2, "greater"), 6)  # R: binom.test(7, 20, 0.2, "greater")
    0.086693
    """
    check_choice(alternative, ALTERNATIVES, "alternative")
    if not (n >= 1 and 0 <= k <= n and 0 <= p <= 1):
        raise ValueError(f"binomial_test: need 0 <= k <= n, n >= 1 and p in [0, 1]; got k={k}, n={n}, p={p}")
    if alternative == "less":
        return float(binom_cdf(k, n, p))
    if alternative == "greater":
        return float(binom_sf(k - 1, n, p))
    mean = n * p
    if k == mean:
        return 1.0
    if p in (0.0, 1.0):  # every outcome but n p is impossible
        return 0.0
    log_pmf = _log_pmf(n, p)
    bound = log_pmf(k) + np.log(RELATIVE_ERROR)
    if k < mean:  # upper side: the outcomes from the first one at most as likely as k up to n
        first = _first_true(lambda i: log_pmf(i) <= bound, int(np.ceil(mean)), n)
        return min(1.0, float(binom_cdf(k, n, p) + binom_sf(first - 1, n, p)))
    # lower side: the outcomes from 0 up to the last one at most as likely as k
    last = _first_true(lambda i: log_pmf(i) > bound, 0, int(np.floor(mean))) - 1
    return min(1.0, float(binom_cdf(last, n, p) + binom_sf(k - 1, n, p)))


def _log_pmf(n: int, p: float):
    """log P(X = i) for X ~ Binomial(n, p), 0 < p < 1."""
    log_n = special.gammaln(n + 1.0)
    log_p, log_q = np.log(p), np.log1p(-p)

    def log_pmf(i: int) -> float:
        return log_n - special.gammaln(i + 1.0) - special.gammaln(n - i + 1.0) + i * log_p + (n - i) * log_q

    return log_pmf


def _first_true(holds, lo: int, hi: int) -> int:
    """The first i in lo..hi for which ``holds(i)``, false before it and true after it; hi + 1
    if there is none."""
    hi += 1
    while lo < hi:
        mid = (lo + hi) // 2
        if holds(mid):
            hi = mid
        else:
            lo = mid + 1
    return lo
