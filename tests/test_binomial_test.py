"""The exact binomial test gives scipy.stats.binomtest's p-values (and R's binom.test's) without
importing scipy.stats: two-sided by the outcomes no more likely than the one observed, one-sided
by the tails, at the edges k = 0 and k = n, p = 0 and p = 1, and n up to thousands."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import binomtest

from servqual.binomial_test import binomial_test

N = [*range(1, 31), 50, 99, 100, 101, 250, 333, 1000, 1001, 2500, 5000]
P = [0, 1e-4, 0.01, 0.1, 0.2, 0.25, 1 / 3, 0.4, 0.5, 0.6, 2 / 3, 0.75, 0.9, 0.99, 1]


def outcomes(n: int, p: float) -> list[int]:
    """Every k for small n; else both ends, the mean's neighbours and 25 across the range."""
    if n <= 30:
        return list(range(n + 1))
    near = [0, 1, 2, n - 2, n - 1, n, *range(math.floor(n * p) - 2, math.ceil(n * p) + 3)]
    return sorted({k for k in [*near, *np.linspace(0, n, 25).astype(int).tolist()] if 0 <= k <= n})


@pytest.mark.parametrize("n", N)
@pytest.mark.parametrize("alternative", ["two-sided", "less", "greater"])
def test_the_p_values_of_scipy_binomtest(n, alternative):
    """To 1e-12 relative where scipy's tails have their digits (p above 1e-200; below it scipy's
    binomial distribution function loses them, next test), exactly 0 where scipy gives 0."""
    for p in P:
        for k in outcomes(n, p):
            ours, theirs = binomial_test(k, n, p, alternative), binomtest(k, n, p, alternative).pvalue
            if theirs > 1e-200:
                assert ours == pytest.approx(theirs, rel=1e-12, abs=0), (k, n, p)
            else:
                assert (ours == 0) == (theirs == 0) and ours < 1e-199, (k, n, p)


def test_far_in_the_tail_the_sum_of_the_probabilities():
    """1458 of 2500 at 1/4: the outcomes 0..20 and 1458..2500, summed by mpmath at 50 digits,
    1.1049048002880452e-272 (scipy: 1.10283e-272, its lower tail off by 0.5%)."""
    assert binomial_test(1458, 2500, 0.25) == pytest.approx(1.1049048002880452e-272, rel=1e-12)


def test_r_binom_test():
    """R 4.2.2: binom.test(33, 122)$p.value, binom.test(7, 20, 0.2, "greater")$p.value,
    binom.test(3, 10, 0.3)$p.value (k at the mean), binom.test(0, 12, 0.1)$p.value."""
    assert binomial_test(33, 122) == pytest.approx(4.04034703807614e-07, rel=1e-13)
    assert binomial_test(7, 20, 0.2, "greater") == pytest.approx(0.0866925135674003, rel=1e-13)
    assert binomial_test(3, 10, 0.3) == 1
    assert binomial_test(0, 12, 0.1) == pytest.approx(0.6234272846920004, rel=1e-13)


def test_impossible_outcomes_and_bad_arguments():
    assert binomial_test(3, 10, 0) == 0 and binomial_test(0, 10, 0) == 1 and binomial_test(10, 10, 1) == 1
    with pytest.raises(ValueError, match="alternative"):
        binomial_test(3, 10, 0.5, "two.sided")
    with pytest.raises(ValueError, match="0 <= k <= n"):
        binomial_test(11, 10, 0.5)
