"""Tests of servqual.reliability against psych (R), pingouin and hand formulas.

R reference numbers are read from tests/data/reliability_reference.json, written by
``Rscript tests/data/reliability_reference.R`` (R 4.2.2, psych 2.2.9, lavaan 0.6-14):
psych::alpha and psych::omega(x, 1, flip = FALSE) (omega total, also with each item dropped) of
the Holzinger-Swineford items (tests/data/holzinger_swineford.csv), of lavaan's political
democracy data (tests/data/reliability_political_democracy.csv) and of psych's bfi
agreeableness items (tests/data/reliability_bfi_agreeableness.csv), the last two written by the
same script.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pingouin
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from references import read_data, reference

from servqual.reliability import (
    ITEM_COLUMNS,
    RELIABILITY_COLUMNS,
    difference_score_reliability,
    duhachek_interval,
    feldt_interval,
    item_reliability,
    reliability_tables,
    scale_reliability,
)

REFERENCE = reference("reliability_reference")
HS_REFERENCE = REFERENCE["holzinger_swineford"]


@pytest.fixture(scope="module")
def nine(hs) -> pd.DataFrame:
    return hs[[f"x{i}" for i in range(1, 10)]]


@pytest.fixture(scope="module")
def political_democracy() -> pd.DataFrame:
    return read_data("reliability_political_democracy")


@pytest.fixture(scope="module")
def agreeableness() -> pd.DataFrame:
    return read_data("reliability_bfi_agreeableness")


# --- Holzinger-Swineford (psych) --------------------------------------------------------------


def assert_matches_psych(r, ref: dict, tolerances: dict[str, float], interval_tol: float = 1e-9) -> None:
    """The scale statistics of ``r`` against psych's (``ref``): those named in ``tolerances`` to
    their absolute tolerance, omega total to 1e-6 (psych's fa stops there), and Feldt's and
    Duhachek's intervals of alpha to ``interval_tol``."""
    for name, tol in tolerances.items():
        assert getattr(r, name) == pytest.approx(ref[name], abs=tol), name
    assert r.omega_total == pytest.approx(ref["omega"], abs=1e-6)
    assert (r.alpha_feldt_low, r.alpha_feldt_high) == pytest.approx(ref["feldt"], abs=interval_tol)
    assert (r.alpha_duhachek_low, r.alpha_duhachek_high) == pytest.approx(ref["duhachek"], abs=1e-9)


def assert_items_match_psych(items: pd.DataFrame, ref: dict, drop_tol: float) -> None:
    """Item-rest r and alpha if dropped to ``drop_tol``, omega if dropped to 1e-6."""
    np.testing.assert_allclose(items["item_rest_r"], ref["rest_r"], atol=drop_tol)
    np.testing.assert_allclose(items["alpha_if_dropped"], ref["alpha_drop"], atol=drop_tol)
    np.testing.assert_allclose(items["omega_if_dropped"], ref["omega_drop"], atol=1e-6)


def test_holzinger_swineford_scale_matches_reference(nine):
    r = scale_reliability(nine, n_boot=0)
    ref = HS_REFERENCE["all"]
    assert_matches_psych(r, ref, {"alpha_std": 1e-3, "lambda6": 1e-3, "average_r": 1e-3, "alpha": 1e-9,
                                  "median_r": 1e-6}, interval_tol=1e-6)
    # Duhachek bounds alpha -+ z ase with the exact normal quantile; psych prints them with 1.96.
    assert (r.alpha_duhachek_low, r.alpha_duhachek_high) == pytest.approx(
        ref["duhachek_printed"], abs=2e-6
    )
    assert (r.n, r.k, r.missing_policy, r.flags) == (301, 9, "listwise", "")


def test_holzinger_swineford_items_match_reference(nine):
    items = item_reliability(nine)
    ref = HS_REFERENCE["all"]
    assert list(items.columns) == list(ITEM_COLUMNS)
    assert_items_match_psych(items, ref, drop_tol=1e-3)
    np.testing.assert_allclose(items["mean"], nine.mean(), rtol=1e-12)
    np.testing.assert_allclose(items["sd"], nine.std(), rtol=1e-12)
    assert (items["n"] == 301).all()


@pytest.mark.parametrize("factor", ["visual", "textual", "speed"])
def test_holzinger_swineford_factor_alphas(hs, factor):
    ref = HS_REFERENCE[factor]
    r = scale_reliability(hs[ref["items"]], n_boot=0)
    assert r.alpha == pytest.approx(ref["alpha"], abs=1e-5)
    assert r.omega_total == pytest.approx(ref["omega"], abs=1e-6)  # 3 items: just identified


# --- Political democracy (lavaan data, psych output) --------------------------------------------

PD_REFERENCE = REFERENCE["political_democracy"]
#: The statistics psych's alpha() reports for a scale, as scale_reliability names them.
SCALE_STATISTICS = ("alpha", "alpha_std", "lambda6", "average_r", "median_r")


@pytest.mark.parametrize("scale", list(PD_REFERENCE))
def test_political_democracy_matches_psych(political_democracy, scale):
    ref = PD_REFERENCE[scale]
    x = political_democracy[ref["items"]]
    assert_matches_psych(scale_reliability(x, n_boot=0), ref, dict.fromkeys(SCALE_STATISTICS, 1e-9))
    assert_items_match_psych(item_reliability(x), ref, drop_tol=1e-9)


# --- bfi agreeableness: missing data, an unreversed item ----------------------------------------


def test_bfi_listwise_matches_psych_on_complete_rows(agreeableness):
    ref = REFERENCE["bfi_agreeableness"]["listwise"]
    r = scale_reliability(agreeableness, n_boot=0)
    assert r.n == ref["n"] == 2709
    assert_matches_psych(r, ref, dict.fromkeys(SCALE_STATISTICS[:3], 1e-9))
    items = item_reliability(agreeableness)
    np.testing.assert_allclose(items["item_rest_r"], ref["rest_r"], atol=1e-9)
    np.testing.assert_allclose(items["omega_if_dropped"], ref["omega_drop"], atol=1e-6)


def test_bfi_pairwise_matches_psych_default(agreeableness):
    ref = REFERENCE["bfi_agreeableness"]["pairwise"]
    r = scale_reliability(agreeableness, missing="pairwise", n_boot=0)
    assert r.missing_policy == "pairwise"
    for name in SCALE_STATISTICS[:4]:
        assert getattr(r, name) == pytest.approx(ref[name], abs=1e-9), name
    assert r.omega_total == pytest.approx(ref["omega"], abs=1e-6)
    # n is the smallest pairwise count, which the intervals use (psych uses all 2800 rows)
    observed = agreeableness.notna().astype(int)
    assert r.n == (observed.T @ observed).to_numpy().min()
    items = item_reliability(agreeableness, missing="pairwise", scale_min=1, scale_max=6)
    np.testing.assert_allclose(items["item_rest_r"], ref["rest_r"], atol=1e-9)
    np.testing.assert_allclose(items["alpha_if_dropped"], ref["alpha_drop"], atol=1e-9)
    np.testing.assert_array_equal(items["n"], agreeableness.notna().sum())
    counts = agreeableness.apply(lambda c: c.value_counts()).reindex(range(1, 7)).fillna(0).T
    np.testing.assert_array_equal(items[[f"freq_{v}" for v in range(1, 7)]], counts)


def test_unreversed_item_is_flagged(agreeableness):
    r = scale_reliability(agreeableness, n_boot=0)
    assert "negative item-rest r: A1" in r.flags
    assert "alpha rises by > 0.02 without: A1" in r.flags
    assert "alpha 0.431 < 0.70" in r.flags and "omega 0.592 < 0.70" in r.flags
    flags = item_reliability(agreeableness)["flags"]
    assert "negative item-rest r (likely an unreversed item)" in flags[0]
    assert "alpha rises by 0.287 if dropped" in flags[0]
    assert (flags[1:] == "").all()
    reversed_ = agreeableness.assign(A1=7 - agreeableness["A1"])
    assert "negative" not in scale_reliability(reversed_, n_boot=0).flags


# --- Intervals ----------------------------------------------------------------------------------


def test_duhachek_interval_is_the_published_formula(political_democracy):
    """Duhachek & Iacobucci (2004), eq. for the asymptotic variance of alpha (their Q), by hand."""
    x = political_democracy[["y1", "y2", "y3", "y4"]].to_numpy()
    n, k = x.shape
    v = np.cov(x, rowvar=False)
    j = np.ones(k)
    jvj = j @ v @ j
    q = (2 * k**2 / ((k - 1) ** 2 * jvj**3)) * (
        jvj * (np.trace(v @ v) + np.trace(v) ** 2) - 2 * np.trace(v) * (j @ v @ v @ j)
    )
    alpha = k / (k - 1) * (1 - np.trace(v) / jvj)
    half = 1.959963984540054 * np.sqrt(q / n)
    assert duhachek_interval(v, n) == pytest.approx((alpha - half, alpha + half), abs=1e-12)
    assert duhachek_interval(v, n, ci=0.90)[0] > alpha - half


def test_feldt_interval_uses_the_n_given():
    wide = feldt_interval(0.8, 50, 5)
    narrow = feldt_interval(0.8, 500, 5)
    assert wide[0] < narrow[0] < 0.8 < narrow[1] < wide[1]
    ref = HS_REFERENCE["all"]
    assert feldt_interval(ref["alpha"], 301, 9) == pytest.approx(ref["feldt"], abs=1e-6)


@pytest.mark.parametrize(
    ("columns",), [(["x1", "x2", "x3", "x4", "x5", "x6"],), (["x4", "x5", "x6"],)]
)
def test_alpha_and_feldt_agree_with_pingouin(hs, columns):
    x = hs[columns]
    alpha, interval = pingouin.cronbach_alpha(x)
    r = scale_reliability(x, n_boot=0)
    assert r.alpha == pytest.approx(alpha, abs=1e-12)
    # pingouin rounds its interval to 3 decimals
    assert (r.alpha_feldt_low, r.alpha_feldt_high) == pytest.approx(
        tuple(interval), abs=5e-4 + 1e-12
    )


def test_bootstrap_is_reproducible_and_seeded(nine):
    a = scale_reliability(nine, n_boot=300, seed=7)
    b = scale_reliability(nine, n_boot=300, seed=7)
    c = scale_reliability(nine, n_boot=300, seed=8)
    assert a == b
    assert a.alpha_boot_low != c.alpha_boot_low
    assert a.alpha_boot_low < a.alpha < a.alpha_boot_high
    assert a.omega_boot_low < a.omega_total < a.omega_boot_high


def test_bootstrap_equals_a_loop_over_resamples(political_democracy):
    """The batched weights/einsum/minres path equals plain per-resample numpy + scipy fits."""
    from scipy.optimize import minimize

    x = political_democracy[["y1", "y2", "y3", "y4", "y5"]].to_numpy()
    n, k = x.shape
    n_boot = 40
    rows = np.random.default_rng(3).integers(0, n, size=(n_boot, n))

    def psych_minres_omega(corr):
        # psych::fa minres: minimise residuals of R - diag(psi) from its first axis, psi >= .005
        def residual(psi):
            reduced = corr - np.diag(psi)
            values, vectors = np.linalg.eigh(reduced)
            loading = vectors[:, -1] * np.sqrt(max(values[-1], 0))
            return ((reduced - np.outer(loading, loading)) ** 2).sum(), loading

        start = 1 / np.diag(np.linalg.inv(corr))
        fit = minimize(
            lambda p: residual(p)[0],
            start,
            method="L-BFGS-B",
            bounds=[(0.005, 1)] * k,
            options={"ftol": 1e-15, "gtol": 1e-12},
        )
        loading = residual(fit.x)[1]
        return 1 - (k - (loading**2).sum()) / corr.sum()

    alphas, omegas = [], []
    for resample in rows:
        cov = np.cov(x[resample], rowvar=False)
        alphas.append(k / (k - 1) * (1 - np.trace(cov) / cov.sum()))
        omegas.append(psych_minres_omega(np.corrcoef(x[resample], rowvar=False)))
    r = scale_reliability(pd.DataFrame(x), n_boot=n_boot, seed=3)
    assert (r.alpha_boot_low, r.alpha_boot_high) == pytest.approx(
        tuple(np.quantile(alphas, [0.025, 0.975])), abs=1e-12
    )
    assert (r.omega_boot_low, r.omega_boot_high) == pytest.approx(
        tuple(np.quantile(omegas, [0.025, 0.975])), abs=1e-7
    )


@pytest.mark.slow
def test_bootstrap_percentile_interval_covers_population_values():
    """One-factor normal data, loadings known: population alpha and omega are exact."""
    loadings = np.array([0.5, 0.6, 0.7, 0.7, 0.8])
    k = len(loadings)
    sigma = np.outer(loadings, loadings) + np.diag(1 - loadings**2)
    alpha = k / (k - 1) * (1 - np.trace(sigma) / sigma.sum())  # 0.79246
    omega = loadings.sum() ** 2 / sigma.sum()  # 0.79722
    rng = np.random.default_rng(2024)
    replications = 200
    hits = np.zeros(2)
    for replication in range(replications):
        x = pd.DataFrame(rng.multivariate_normal(np.zeros(k), sigma, size=200))
        r = scale_reliability(x, n_boot=1000, seed=replication)
        hits += [
            r.alpha_boot_low <= alpha <= r.alpha_boot_high,
            r.omega_boot_low <= omega <= r.omega_boot_high,
        ]
    # 200 replications: the SE of a 95% coverage is 0.015
    assert ((0.90 <= hits / replications) & (hits / replications <= 0.99)).all(), (
        hits / replications
    )


# --- Missing data, degenerate scales --------------------------------------------------------------


def test_pairwise_equals_listwise_on_complete_data(political_democracy):
    x = political_democracy[["y1", "y2", "y3", "y4", "y5"]]
    listwise = scale_reliability(x, n_boot=200, seed=1)
    pairwise = scale_reliability(x, missing="pairwise", n_boot=200, seed=1)
    for name in RELIABILITY_COLUMNS:
        if hasattr(listwise, name) and name != "missing_policy":
            assert getattr(pairwise, name) == pytest.approx(
                getattr(listwise, name), abs=1e-12
            ), name
    pd.testing.assert_frame_equal(item_reliability(x), item_reliability(x, missing="pairwise"))


def test_listwise_drops_incomplete_rows(agreeableness):
    complete = agreeableness.dropna()
    a = scale_reliability(agreeableness, n_boot=100, seed=5)
    b = scale_reliability(complete, n_boot=100, seed=5)
    assert a == b


def test_zero_variance_item_does_not_crash(political_democracy):
    x = political_democracy[["y1", "y2", "y3", "y4"]].assign(constant=3.0)
    r = scale_reliability(x, n_boot=100, seed=1)
    cov = np.cov(x.to_numpy(), rowvar=False)
    assert r.alpha == pytest.approx(5 / 4 * (1 - np.trace(cov) / cov.sum()), abs=1e-12)
    assert np.isnan(r.alpha_std) and np.isnan(r.omega_total) and np.isnan(r.omega_boot_low)
    assert np.isfinite(r.alpha_boot_low)
    assert "zero variance: constant (correlation-based statistics undefined)" in r.flags
    items = item_reliability(x, scale_min=1, scale_max=10)
    assert np.isnan(items["item_rest_r"].iloc[-1])
    assert items["flags"].iloc[-1].startswith("zero variance")
    assert items["freq_3"].iloc[-1] == len(x)


def test_too_few_items_are_flagged_not_raised(political_democracy):
    one = scale_reliability(political_democracy[["y1"]], n_boot=10, seed=1)
    assert one.k == 1 and np.isnan(one.alpha) and np.isnan(one.omega_total)
    assert one.flags == "too few items (k = 1 < 2)"
    two = scale_reliability(political_democracy[["y1", "y2"]], n_boot=10, seed=1)
    assert np.isfinite(two.alpha) and np.isnan(two.omega_total)
    assert "a one-factor model needs 3 items" in two.flags
    items = item_reliability(political_democracy[["y1", "y2"]])
    assert items["alpha_if_dropped"].isna().all()
    assert (items["flags"] == "alpha if dropped undefined (1 item left)").all()


def test_boundary_checks_speak_plainly(political_democracy):
    with pytest.raises(ValueError, match="missing must be one of"):
        scale_reliability(political_democracy, missing="mean")
    with pytest.raises(TypeError, match="non-numeric columns: label"):
        scale_reliability(political_democracy.assign(label="a"))
    with pytest.raises(ValueError, match="both scale_min and scale_max"):
        item_reliability(political_democracy, scale_min=1)


@settings(max_examples=15, deadline=None)
@given(st.permutations(range(6)))
def test_statistics_do_not_depend_on_item_order(political_democracy, order):
    x = political_democracy[[f"y{i}" for i in range(1, 7)]]
    a = scale_reliability(x, n_boot=0)
    b = scale_reliability(x.iloc[:, list(order)], n_boot=0)
    for name in ("alpha", "alpha_std", "lambda6", "average_r", "median_r", "alpha_duhachek_low"):
        assert getattr(b, name) == pytest.approx(getattr(a, name), abs=1e-12)
    assert b.omega_total == pytest.approx(a.omega_total, abs=1e-9)


# --- Difference scores and the pipeline tables --------------------------------------------------


def _servqual_wave(n: int = 300, seed: int = 11) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
    rng = np.random.default_rng(seed)
    item_dimension = {f"q{i}": ("tangibles" if i <= 4 else "reliability") for i in range(1, 10)}
    style = rng.normal(0, 0.4, n)

    def measure(mean):
        factor = rng.normal(size=(n, 2))
        columns = {}
        for i, (item, dimension) in enumerate(item_dimension.items()):
            f = factor[:, 0 if dimension == "tangibles" else 1]
            columns[item] = np.clip(
                np.round(mean + 1.1 * (0.75 * f + 0.66 * rng.normal(size=n)) + style), 1, 7
            )
        return pd.DataFrame(columns)

    expectation, perception = measure(5.8), measure(5.2)
    perception.iloc[:5, 2] = np.nan
    measures = {
        "expectation": expectation,
        "perception": perception,
        "gap": perception - expectation,
    }
    return measures, item_dimension


def test_difference_score_reliability_by_hand():
    measures, item_dimension = _servqual_wave()
    items = [i for i, d in item_dimension.items() if d == "tangibles"]
    keep = measures["perception"][items].notna().all(axis=1)
    p, e = measures["perception"].loc[keep, items], measures["expectation"].loc[keep, items]
    sp, se = p.sum(axis=1).std(), e.sum(axis=1).std()
    rp, re = pingouin.cronbach_alpha(p)[0], pingouin.cronbach_alpha(e)[0]
    rpe = np.corrcoef(p.sum(axis=1), e.sum(axis=1))[0, 1]
    expected = (sp**2 * rp + se**2 * re - 2 * sp * se * rpe) / (sp**2 + se**2 - 2 * sp * se * rpe)
    got = difference_score_reliability(
        measures["perception"][items], measures["expectation"][items]
    )
    assert got == pytest.approx(expected, abs=1e-12)
    assert 0 < got < min(rp, re)


def test_reliability_tables_layout_and_values():
    measures, item_dimension = _servqual_wave()
    scales, items = reliability_tables(
        measures, item_dimension, scale_min=1, scale_max=7, n_boot=200, seed=9
    )
    assert list(scales.columns) == list(RELIABILITY_COLUMNS)
    assert list(items.columns) == [
        "measure",
        "dimension",
        *ITEM_COLUMNS,
        *[f"freq_{v}" for v in range(1, 8)],
    ]
    assert scales[["measure", "dimension"]].values.tolist() == [
        [m, d]
        for m in ("expectation", "perception", "gap")
        for d in ("tangibles", "reliability", "all")
    ]
    assert len(items) == 3 * (9 + 9)
    gap = scales[scales["measure"] == "gap"]
    assert gap["difference_score_reliability"].notna().all()
    assert scales.loc[scales["measure"] != "gap", "difference_score_reliability"].isna().all()
    tangibles = [i for i, d in item_dimension.items() if d == "tangibles"]
    gap_tangibles = gap.set_index("dimension").loc["tangibles"]
    assert gap_tangibles["alpha"] == pytest.approx(
        scale_reliability(measures["gap"][tangibles], n_boot=0).alpha
    )
    assert gap_tangibles["difference_score_reliability"] == pytest.approx(
        difference_score_reliability(
            measures["perception"][tangibles], measures["expectation"][tangibles]
        )
    )
    perception = scales[scales["measure"] == "perception"].set_index("dimension")
    assert perception.loc["all", "n"] == 295 and perception.loc["tangibles", "n"] == 295
    assert perception.loc["reliability", "n"] == 300
    freq = [f"freq_{v}" for v in range(1, 8)]
    assert items.loc[items["measure"] == "gap", freq].isna().all().all()
    e_items = items[(items["measure"] == "expectation") & (items["dimension"] == "tangibles")]
    np.testing.assert_array_equal(e_items[freq].sum(axis=1), e_items["n"])
    assert (scales["missing_policy"] == "listwise").all()


def test_reliability_tables_seed_per_scale_is_order_independent():
    measures, item_dimension = _servqual_wave()
    both, _ = reliability_tables(
        measures, item_dimension, scale_min=1, scale_max=7, n_boot=100, seed=9
    )
    alone, _ = reliability_tables(
        {"perception": measures["perception"]},
        item_dimension,
        scale_min=1,
        scale_max=7,
        n_boot=100,
        seed=9,
    )
    pd.testing.assert_frame_equal(
        both[both["measure"] == "perception"].reset_index(drop=True), alone.reset_index(drop=True)
    )


def test_reliability_tables_reports_missing_items():
    measures, item_dimension = _servqual_wave()
    with pytest.raises(ValueError, match="measure 'gap' lacks the items q9"):
        reliability_tables(
            {"gap": measures["gap"].drop(columns="q9")},
            item_dimension,
            scale_min=1,
            scale_max=7,
            seed=1,
        )


def test_bootstrap_in_batches_gives_the_same_intervals(monkeypatch):
    """Large waves resample in batches to bound memory; the draws, so the intervals, are the
    same as in one batch (up to floating-point summation order)."""
    import servqual.resampling

    rng = np.random.default_rng(1)
    x = pd.DataFrame(rng.integers(1, 8, (500, 5)).astype(float))
    whole = scale_reliability(x, seed=3, n_boot=300)
    monkeypatch.setattr(servqual.resampling, "BOOT_CELLS", 500 * 7)
    batched = scale_reliability(x, seed=3, n_boot=300)
    for field in ("alpha_boot_low", "alpha_boot_high", "omega_boot_low", "omega_boot_high"):
        assert getattr(batched, field) == pytest.approx(getattr(whole, field), abs=1e-12)



@pytest.mark.parametrize("boot_cells, count_cells", [(10**6, 10**5), (37 * 5, 37 * 2), (1, 1)])
def test_bootstrap_weights_count_the_generators_draws(monkeypatch, boot_cells, count_cells):
    """The row bootstrap's weights count the draws ``rng.integers(0, n, (n_boot, n))`` whatever
    the batch and the counting step (drawn as int32, counted a few resamples at a time into a
    reused batch)."""
    import servqual.resampling

    n, n_boot = 37, 23
    draws = np.random.default_rng(5).integers(0, n, size=(n_boot, n))
    expected = np.stack([np.bincount(row, minlength=n) for row in draws]).astype(float)
    monkeypatch.setattr(servqual.resampling, "BOOT_CELLS", boot_cells)
    monkeypatch.setattr(servqual.resampling, "COUNT_CELLS", count_cells)
    weights = servqual.resampling.row_bootstrap_weights(n, n_boot, np.random.default_rng(5))
    np.testing.assert_array_equal(np.concatenate([batch.copy() for batch in weights]), expected)

# --- Bag of little bootstraps (large waves) --------------------------------------------------------


@pytest.mark.parametrize("n, b, count_cells", [(4, 2, 10**5), (30, 4, 10**5), (30, 4, 4 * 7), (12, 3, 10**5)])
def test_uniform_multinomial_draws_multinomial_counts(monkeypatch, n, b, count_cells):
    """The little bootstraps' resamples: Poisson counts completed to n are multinomial(n; 1/b, ...)
    whatever the block of cells drawn at a time. Each resample sums to n; a bin's count is
    binomial(n, 1/b) (chi-square over 60,000 resamples below its 0.1% point) and two bins
    correlate -1/(b - 1). n = 4, b = 2: Poisson(2) totals exceed n in 5% of the resamples, which
    are drawn again."""
    import servqual.resampling
    from servqual.resampling import uniform_multinomial

    monkeypatch.setattr(servqual.resampling, "COUNT_CELLS", count_cells)
    size = 60_000
    counts = uniform_multinomial(n, np.empty((size, b)), np.random.default_rng(8))
    assert (counts.sum(axis=1) == n).all()
    assert (counts >= 0).all() and (counts == np.round(counts)).all()
    k = np.arange(n + 1)
    binomial = np.array([math.comb(n, i) for i in k]) * (1 / b) ** k * (1 - 1 / b) ** (n - k)
    expected = binomial * size
    kept = expected > 20
    observed = np.bincount(counts[:, 0].astype(int), minlength=n + 1)
    chi_square = (((observed - expected) ** 2)[kept] / expected[kept]).sum()
    # 0.1% points of chi-square: 4 df (n = 4) 18.5, 7 df 24.3, up to 12 df 32.9.
    assert chi_square < {4: 18.5, 12: 24.3, 30: 32.9}[n]
    assert np.corrcoef(counts[:, 0], counts[:, 1])[0, 1] == pytest.approx(-1 / (b - 1), abs=0.02)
    again = uniform_multinomial(n, np.empty((size, b)), np.random.default_rng(8))
    np.testing.assert_array_equal(again, counts)


def test_little_bootstrap_subsets_are_as_large_as_the_switch():
    """Subsets of max(n ** 0.6, switch) distinct rows, sorted; their weights a row of ones (the
    subset itself) and the resamples to n, the 350 resamples shared out as 117, 117, 116."""
    from servqual.resampling import little_bootstrap_size, little_bootstrap_subsets

    assert little_bootstrap_size(51_000, 50_000) == 50_000
    assert little_bootstrap_size(10**8, 50_000) == round(1e8**0.6) == 63_096
    sizes = []
    for rows, weights in little_bootstrap_subsets(5_000, 350, np.random.default_rng(2), 1_000):
        assert len(rows) == len(np.unique(rows)) == 1_000 and (np.diff(rows) > 0).all()
        assert rows.min() >= 0 and rows.max() < 5_000
        assert (weights[0] == 1).all() and (weights[1:].sum(axis=1) == 5_000).all()
        sizes.append(len(weights) - 1)
    assert sizes == [117, 117, 116]


def _one_factor_likert(n: int, k: int, seed: int) -> pd.DataFrame:
    """n respondents, k 7-point items loading .5 to .8 on one factor."""
    rng = np.random.default_rng(seed)
    loadings = np.linspace(0.5, 0.8, k)
    latent = rng.normal(size=(n, 1)) * loadings + rng.normal(size=(n, k)) * np.sqrt(1 - loadings**2)
    return pd.DataFrame(np.clip(np.round(latent * 1.3 + 4), 1, 7), columns=[f"q{i}" for i in range(k)])


def test_bag_of_little_bootstraps_agrees_with_the_row_bootstrap():
    """Above BLB_MIN_N rows (60,000 > 50,000) the intervals come from the bag of little
    bootstraps; they match the full row bootstrap's to well within Monte-Carlo error. Over 10
    seeds at this n (2000 resamples each, subsets of 50,000 rows) the endpoints of both methods
    scatter with an SD of 0.02-0.04 half-widths and their means differ by at most 0.03
    half-widths (the same with the earlier subsets of n ** 0.6 = 736 rows); the tolerance is 0.15
    half-widths."""
    import servqual.reliability as module

    x = _one_factor_likert(60_000, 5, seed=11)
    assert len(x) > module.BLB_MIN_N
    blb = scale_reliability(x, n_boot=2000, seed=4)
    full = scale_reliability(x, n_boot=2000, seed=4, blb_min_n=10**9)
    assert blb.boot_method.startswith("bag of little bootstraps")
    # Subsets of max(round(60,000 ** 0.6) = 736, the switch) rows.
    assert "10 subsets of b = 50,000 rows" in blb.boot_method
    assert full.boot_method == "percentile bootstrap, 2000 resamples of the n = 60,000 rows"
    for name, estimate in (("alpha", full.alpha), ("omega", full.omega_total)):
        low, high = getattr(full, f"{name}_boot_low"), getattr(full, f"{name}_boot_high")
        half_width = (high - low) / 2
        assert getattr(blb, f"{name}_boot_low") == pytest.approx(low, abs=0.15 * half_width)
        assert getattr(blb, f"{name}_boot_high") == pytest.approx(high, abs=0.15 * half_width)
        assert getattr(blb, f"{name}_boot_low") < estimate < getattr(blb, f"{name}_boot_high")
    # The point estimates and the other intervals do not depend on the bootstrap.
    for field in ("alpha", "omega_total", "alpha_feldt_low", "alpha_duhachek_high", "flags"):
        assert getattr(blb, field) == getattr(full, field)


def test_bag_of_little_bootstraps_is_seeded():
    x = _one_factor_likert(3000, 4, seed=2)
    runs = [scale_reliability(x, n_boot=300, seed=seed, blb_min_n=1000) for seed in (7, 7, 8)]
    assert runs[0] == runs[1]
    assert runs[0].alpha_boot_low != runs[2].alpha_boot_low
    assert runs[0].boot_method.startswith("bag of little bootstraps")
    assert "(n > 1,000)" in runs[0].boot_method
    # At least 100 resamples per subset: 300 resamples make 3 subsets, not 10.
    # Subsets as large as the switch: b = max(round(3,000 ** 0.6) = 122, 1,000).
    assert "300 resamples of n = 3,000 from 3 subsets of b = 1,000 rows" in runs[0].boot_method


def test_bootstrap_method_follows_the_threshold_and_shares_out_resamples():
    x = _one_factor_likert(2000, 3, seed=3)
    assert scale_reliability(x, n_boot=50, seed=1, blb_min_n=2000).boot_method.startswith(
        "percentile bootstrap, 50 resamples"
    )
    # 1005 resamples over 10 subsets: 101 in five of them, 100 in the others.
    blb = scale_reliability(x, n_boot=1005, seed=1, blb_min_n=1999)
    assert "1005 resamples of n = 2,000 from 10 subsets" in blb.boot_method
    assert scale_reliability(x, n_boot=0).boot_method == ""


def test_bag_of_little_bootstraps_with_pairwise_deletion():
    x = _one_factor_likert(4000, 5, seed=5)
    rng = np.random.default_rng(0)
    x = x.mask(rng.random(x.shape) < 0.05)
    r = scale_reliability(x, missing="pairwise", n_boot=400, seed=2, blb_min_n=1000)
    assert r.boot_method.startswith("bag of little bootstraps")
    assert r.alpha_boot_low < r.alpha < r.alpha_boot_high
    assert r.omega_boot_low < r.omega_total < r.omega_boot_high
    assert r.flags == ""


def test_unreliable_difference_scores_are_flagged():
    """P close to E item by item: the gap is mostly noise, so its reliability falls under the
    threshold and the scale's flags say so (Peter, Churchill & Brown 1993)."""
    rng = np.random.default_rng(4)
    trait = rng.normal(0, 1, (300, 1))
    e = pd.DataFrame(4 + trait + rng.normal(0, 0.5, (300, 4)), columns=[f"q{j}" for j in range(4)])
    p = e + rng.normal(0, 0.3, e.shape)
    measures = {"expectation": e, "perception": p, "gap": p - e}
    scales, _ = reliability_tables(measures, dict.fromkeys(e.columns, "d"), scale_min=1, scale_max=7, n_boot=50,
                                   seed=1)
    gap = scales[(scales["measure"] == "gap") & (scales["dimension"] == "d")].iloc[0]
    assert gap["difference_score_reliability"] < 0.70
    assert f"difference-score reliability {gap['difference_score_reliability']:.3f} < 0.70" in gap["flags"]
    assert "difference-score" not in scales.loc[scales["measure"] == "perception", "flags"].fillna("").str.cat()
