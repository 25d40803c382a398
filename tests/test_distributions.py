"""servqual.distributions gives the numbers of scipy.stats to the last bit (the snapshot of the
example's tables depends on it), including at the ends of the support; the binomial distribution
function and the studentized range's upper tail to 1e-12 relative and 1e-11 absolute."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from servqual import distributions as d

X = np.array([-50, -3.2, -1, -1e-15, 0, 1e-300, 1e-8, 0.3, 0.975, 1, 1.96, 2.5, 7, 33.3, 200, 1e4, np.inf, np.nan])
Q = np.array([1e-300, 1e-12, 0.005, 0.025, 0.05, 0.5, 0.95, 0.975, 0.995, 1 - 1e-12, 1, np.nan])
DF = [0.5, 1, 2, 3.7, 10, 24, 99, 398, 1e4, np.nan, 0, -1]


def same(a, b) -> bool:
    a, b = np.asarray(a, float), np.asarray(b, float)
    return bool(((a == b) | (np.isnan(a) & np.isnan(b))).all())


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_normal():
    assert same(d.norm_pdf(X), stats.norm.pdf(X))
    assert same(d.norm_cdf(X), stats.norm.cdf(X))
    assert same(d.norm_sf(X), stats.norm.sf(X))
    assert same(d.norm_ppf(Q), stats.norm.ppf(Q))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("df", DF)
def test_chi_square_t_and_f(df):
    assert same(d.chi2_sf(X, df), stats.chi2.sf(X, df))
    assert same(d.chi2_cdf(X, df), stats.chi2.cdf(X, df))
    assert same(d.chi2_ppf(Q, df), stats.chi2.ppf(Q, df))
    assert same(d.t_sf(X, df), stats.t.sf(X, df))
    assert same(d.t_ppf(Q, df), stats.t.ppf(Q, df))
    for dfd in (1, 5.5, 40, 1e3):
        assert same(d.f_sf(X, df, dfd), stats.f.sf(X, df, dfd))
        assert same(d.f_ppf(Q, df, dfd), stats.f.ppf(Q, df, dfd))


@pytest.mark.parametrize("df", [0.5, 1, 3.7, 24, 398])
@pytest.mark.parametrize("nc", [0, 1e-6, 0.5, 3, 40, 900])
def test_noncentral_chi_square(df, nc):
    assert same(d.ncx2_cdf(X, df, nc), stats.ncx2.cdf(X, df, nc))


def test_scalars_give_numpy_floats_and_series_their_values():
    assert type(d.chi2_sf(3.0, 2)) is type(stats.chi2.sf(3.0, 2)) is np.float64
    assert type(d.norm_ppf(0.975)) is np.float64
    values = pd.Series([1.0, 2.0], index=[5, 6])
    assert isinstance(d.t_sf(values, 3), np.ndarray)


@pytest.mark.parametrize("df", [0.5, 1, 3.7, 24, 200, 398, 1e4])
@pytest.mark.parametrize("nc", [0, 1e-6, 0.5, 3, 40, 900, 2.5e5])
def test_noncentral_chi_square_upper_tail(df, nc):
    """The Poisson mixture gives scipy's (Boost's) upper tail to 1e-10 relative, far into the tail
    (2e-23 at a noncentrality of 250,000, where both lose digits in Q(a, x) with a near 125,000),
    including p-close values of badly fitting models (7e-97: chi-square 1506 on 209 df, n = 358)."""
    for x in (0, 0.3, 2.5, 33.3, 200, 415.7, 1177.05, 1505.96, 1e4, 2.6e5, 3e5):
        theirs = stats.ncx2.sf(x, df, nc)
        assert d.ncx2_sf(x, df, nc) == pytest.approx(theirs, rel=1e-10, abs=1e-300), (x, theirs)
    assert np.isnan(d.ncx2_sf(3.0, 0, 2.0)) and np.isnan(d.ncx2_sf(np.nan, 3, 2.0))


BINOMIAL_N = [1, 2, 3, 7, 20, 99, 100, 101, 1000, 2500, 5000]
BINOMIAL_P = [0, 1e-6, 0.01, 0.25, 1 / 3, 0.5, 0.77, 0.999, 1]


@pytest.mark.parametrize("n", BINOMIAL_N)
@pytest.mark.parametrize("p", BINOMIAL_P)
def test_binomial_distribution_function_and_upper_tail(n, p):
    """The upper tail is scipy's to the last bit (both Boost's ibeta); the distribution function
    to 1e-12 relative down to 1e-200, below which scipy's binomial (Boost in double precision)
    loses its digits (next test); 0 and 1 outside 0..n as scipy, at every k from -2 to n + 2."""
    k = np.arange(-2, n + 3)
    assert same(d.binom_sf(k, n, p), stats.binom.sf(k, n, p))
    ours, theirs = d.binom_cdf(k, n, p), stats.binom.cdf(k, n, p)
    assert (ours[k < 0] == 0).all() and (ours[k >= n] == 1).all()
    digits = theirs > 1e-200
    np.testing.assert_allclose(ours[digits], theirs[digits], rtol=1e-12, atol=0)
    assert (ours[~digits] < 1e-199).all()
    assert type(d.binom_cdf(1, n, p)) is np.float64 and d.binom_sf(n + 0.5, n, p) == 0


def test_binomial_distribution_function_in_the_far_tail():
    """By mpmath at 40 digits, ``mpmath.betainc(n - k, k + 1, 0, 1 - p, regularized=True)``:
    P(X <= 3185) for X ~ Binomial(5000, 0.77) is 9.6732886501254907e-100 (scipy.stats:
    9.67328865012008e-100), P(X <= 26) for X ~ Binomial(2500, 1/4) 8.8321244575358636e-264
    (scipy.stats: 0)."""
    assert d.binom_cdf(3185, 5000, 0.77) == pytest.approx(9.6732886501254907e-100, rel=1e-15)
    assert d.binom_cdf(26, 2500, 0.25) == pytest.approx(8.8321244575358636e-264, rel=1e-15)


SR_Q = [0.1, 0.3, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 5, 6, 8, 10, 15, 20]
SR_DF = [2, 3, 5, 10, 30, 100, 1000, np.inf]


def studentized_range_agrees(k_values, df):
    q, k = np.meshgrid(SR_Q, k_values)
    theirs = stats.studentized_range.sf(q, k, df)
    np.testing.assert_allclose(d.studentized_range_sf(q, k, df), theirs, rtol=0, atol=1e-11)


@pytest.mark.parametrize("df", SR_DF)
def test_studentized_range_upper_tail(df):
    """scipy.stats' nested adaptive quadrature (to 1e-11) and the trapezoidal sums agree to 1e-11
    absolute, for 2 to 20 groups (all of them in the slow test below)."""
    studentized_range_agrees([2, 3, 5, 10, 20], df)


@pytest.mark.slow
@pytest.mark.parametrize("df", SR_DF)
def test_studentized_range_upper_tail_for_every_number_of_groups(df):
    studentized_range_agrees(range(2, 21), df)


@pytest.mark.parametrize("df", [1, 1.5, 2, 3.7, 10, 100, 1e4, 1e6, np.inf])
def test_studentized_range_of_two_groups_is_twice_a_t_tail(df):
    """For k = 2 the range is |X1 - X2| ~ sqrt(2) |Z|: P(Q > q) = 2 P(T_df > q / sqrt 2), also at
    df below scipy's grid and far above its switch to df = inf (from 100,000)."""
    q = np.array([0.01, 0.1, 0.5, 1, 2, 4, 8, 12, 20, 50])
    np.testing.assert_allclose(d.studentized_range_sf(q, 2, df), 2 * stats.t.sf(q / np.sqrt(2), df), rtol=0, atol=1e-14)


def test_studentized_range_at_the_ends_and_outside_its_parameters():
    assert d.studentized_range_sf(0, 3, 10) == 1 and d.studentized_range_sf(np.inf, 3, 10) == 0
    assert type(d.studentized_range_sf(3.0, 4, 12.5)) is np.float64
    with np.errstate(invalid="raise"):
        found = d.studentized_range_sf([np.nan, 2, 2, 2, 2], [3, 1, 3, 3, np.nan], [10, 10, 0, np.nan, 10])
    assert np.isnan(found).all()
    assert d.studentized_range_sf(np.array([]), 3, np.array([])).shape == (0,)
