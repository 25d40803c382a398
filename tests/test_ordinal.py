"""Ordinal items (servqual.sem.ordinal) against lavaan.

Reference numbers from tests/data/ordinal_reference.json, written by
``Rscript tests/data/ordinal_reference.R`` (lavaan 0.6-14): the complete cases of
tests/data/efa_bfi.csv (the first 1000 rows of psych::bfi), the 25 six-point items, and 10 of
them collapsed to five points; thresholds, polychoric correlations and Gamma (lavaan's
lavInspect(fit, "gamma"): whole for the five-point items, its diagonal for the six-point ones).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from servqual.sem.ordinal import bivariate_normal_cdf, ordinal_stats

DATA = Path(__file__).parent / "data"
REFERENCE = json.loads((DATA / "ordinal_reference.json").read_text())
FIVE_POINT_ITEMS = ["A1", "A2", "A3", "A4", "A5", "N1", "N2", "N3", "N4", "N5"]


def ratings(name: str) -> np.ndarray:
    """The complete bfi ratings of one reference case, the five-point one with 1 and 2 merged."""
    data = pd.read_csv(DATA / "efa_bfi.csv").dropna()[REFERENCE[name]["items"]]
    if name == "five_point":
        data = data.where(data != 1, 2) - 1
    return data.to_numpy(float)


@pytest.fixture(scope="module", params=["five_point", "six_point"])
def case(request):
    return request.param, ordinal_stats(ratings(request.param)), REFERENCE[request.param]


def test_thresholds_and_polychoric_correlations_match_lavaan(case):
    _, st, ref = case
    assert np.concatenate(st.thresholds) == pytest.approx(ref["thresholds"], abs=1e-12)
    # lavaan's own optimiser stops within about 1e-8 of the maximum
    assert st.correlations == pytest.approx(np.array(ref["polychoric"]), abs=1e-7)


def test_gamma_matches_lavaan(case):
    name, st, ref = case
    expected = np.array(ref["gamma"])
    ours = st.gamma if expected.ndim == 2 else np.diag(st.gamma)
    assert ours == pytest.approx(expected, rel=1e-6, abs=1e-7)


def test_bivariate_normal_cdf_matches_scipy_including_zero_and_infinite_limits():
    rng = np.random.default_rng(1)
    h, k, r = rng.normal(size=40) * 1.5, rng.normal(size=40) * 1.5, rng.uniform(-0.95, 0.95, 40)
    h[::7], k[::5] = 0.0, 0.0
    for a, b, rho in zip(h, k, r):
        expected = stats.multivariate_normal([0, 0], [[1, rho], [rho, 1]]).cdf([a, b])
        assert float(bivariate_normal_cdf(np.array(a), np.array(b), rho)) == pytest.approx(expected, abs=1e-9)
    assert bivariate_normal_cdf(np.array([np.inf, 0.3, -np.inf]), np.array([0.3, np.inf, 1.0]), 0.4) == \
        pytest.approx([stats.norm.cdf(0.3), stats.norm.cdf(0.3), 0.0])
