"""servqual.distributions gives the numbers of scipy.stats to the last bit (the snapshot of the
example's tables depends on it), including at the ends of the support."""

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
