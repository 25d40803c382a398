"""Tests of servqual.reliability against psych (R), REFERENCE.md, pingouin and hand formulas.

R reference numbers were produced with R 4.2.2, psych 2.2.9, lavaan 0.6 (Debian r-cran-*) by:

    library(psych); library(lavaan)
    hs <- read.csv(".../semopy/examples/holzinger_swineford39_data.csv", row.names = 1)
    x <- hs[, paste0("x", 1:9)]
    alpha(x)                                      # totals, Duhachek and Feldt bounds
    sapply(1:9, function(i) omega(x[, -i], 1, flip = FALSE)$omega.tot)
    for (f in list(c("x1","x2","x3"), c("x4","x5","x6"), c("x7","x8","x9")))
        omega(hs[, f], 1, flip = FALSE)$omega.tot
    pd <- PoliticalDemocracy                      # lavaan
    write.csv(pd, "tests/data/reliability_political_democracy.csv", row.names = FALSE)
    for (f in list(paste0("y", 1:4), paste0("y", 5:8), paste0("y", 1:8))) {
        a <- alpha(pd[, f]); a$total; unlist(a$feldt)[1:3]; a$alpha.drop[, 1]; a$item.stats$r.drop
        a$total$raw_alpha + c(-1, 1) * qnorm(.975) * a$total$ase      # Duhachek bounds
        omega(pd[, f], 1, flip = FALSE)$omega.tot
        sapply(seq_along(f), function(i) omega(pd[, f[-i]], 1, flip = FALSE)$omega.tot)
    }
    A <- bfi[, paste0("A", 1:5)]                  # psych; A1 is reverse-keyed, left unreversed
    write.csv(A, "tests/data/reliability_bfi_agreeableness.csv", row.names = FALSE, na = "")
    a <- alpha(A, warnings = FALSE)               # pairwise (psych's default use = "pairwise")
    omega(A, 1, flip = FALSE)$omega.tot           # cor(use = "pairwise")
    Ac <- na.omit(A); a <- alpha(Ac, warnings = FALSE); unlist(a$feldt)[1:3]   # listwise, n 2709
    omega(Ac, 1, flip = FALSE)$omega.tot
    sapply(1:5, function(i) omega(Ac[, -i], 1, flip = FALSE)$omega.tot)

(``options(digits = 10)``; each number below is that output.)
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import numpy as np
import pandas as pd
import pingouin
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def hs() -> pd.DataFrame:
    path = files("semopy") / "examples" / "holzinger_swineford39_data.csv"
    return pd.read_csv(path, index_col=0)


@pytest.fixture(scope="module")
def nine(hs) -> pd.DataFrame:
    return hs[[f"x{i}" for i in range(1, 10)]]


@pytest.fixture(scope="module")
def political_democracy() -> pd.DataFrame:
    return pd.read_csv(DATA / "reliability_political_democracy.csv")


@pytest.fixture(scope="module")
def agreeableness() -> pd.DataFrame:
    return pd.read_csv(DATA / "reliability_bfi_agreeableness.csv")


# --- Holzinger-Swineford (REFERENCE.md section 4 and psych) -------------------------------------


def test_holzinger_swineford_scale_matches_reference(nine):
    r = scale_reliability(nine, n_boot=0)
    # REFERENCE.md section 4, to 1e-3
    assert r.alpha == pytest.approx(0.76049, abs=1e-3)
    assert r.alpha_std == pytest.approx(0.76040, abs=1e-3)
    assert r.lambda6 == pytest.approx(0.80849, abs=1e-3)
    assert r.average_r == pytest.approx(0.26070, abs=1e-3)
    assert r.omega_total == pytest.approx(0.77070, abs=1e-3)
    assert (r.alpha_feldt_low, r.alpha_feldt_high) == pytest.approx((0.72, 0.80), abs=1e-2)
    # psych::alpha(x), psych::omega(x, 1, flip = FALSE), digits = 10
    assert r.alpha == pytest.approx(0.760488595824792, abs=1e-9)
    assert r.median_r == pytest.approx(0.2069444, abs=1e-6)
    assert r.omega_total == pytest.approx(0.7706982837, abs=1e-6)
    assert (r.alpha_feldt_low, r.alpha_feldt_high) == pytest.approx((0.717717, 0.799079), abs=1e-6)
    # psych prints Duhachek bounds alpha -+ 1.96 ase: (0.719653, 0.801324); with ase = 0.02083427076
    # and the exact normal quantile:
    ase, z = 0.02083427076, 1.959963984540054
    assert (r.alpha_duhachek_low, r.alpha_duhachek_high) == pytest.approx(
        (0.760488595824792 - z * ase, 0.760488595824792 + z * ase), abs=1e-9
    )
    assert (r.alpha_duhachek_low, r.alpha_duhachek_high) == pytest.approx(
        (0.719653, 0.801324), abs=2e-6
    )
    assert (r.n, r.k, r.missing_policy, r.flags) == (301, 9, "listwise", "")


def test_holzinger_swineford_items_match_reference(nine):
    items = item_reliability(nine)
    assert list(items.columns) == list(ITEM_COLUMNS)
    rest_r = [0.522, 0.275, 0.370, 0.581, 0.525, 0.595, 0.246, 0.369, 0.495]
    if_dropped = [0.725, 0.764, 0.749, 0.715, 0.724, 0.714, 0.766, 0.748, 0.731]
    np.testing.assert_allclose(items["item_rest_r"], rest_r, atol=1e-3)
    np.testing.assert_allclose(items["alpha_if_dropped"], if_dropped, atol=1e-3)
    omega_if_dropped = [
        0.7432377316,
        0.7740211662,
        0.7644342921,
        0.7239531629,
        0.7307935574,
        0.7221550225,
        0.7760915490,
        0.7644848443,
        0.7498850774,
    ]  # psych, R
    np.testing.assert_allclose(items["omega_if_dropped"], omega_if_dropped, atol=1e-6)
    np.testing.assert_allclose(items["mean"], nine.mean(), rtol=1e-12)
    np.testing.assert_allclose(items["sd"], nine.std(), rtol=1e-12)
    assert (items["n"] == 301).all()


@pytest.mark.parametrize(
    ("factor", "alpha", "omega"),
    [
        (["x1", "x2", "x3"], 0.62612, 0.6350717129),
        (["x4", "x5", "x6"], 0.88271, 0.8849615333),
        (["x7", "x8", "x9"], 0.68846, 0.6983737669),
    ],
)
def test_holzinger_swineford_factor_alphas(hs, factor, alpha, omega):
    r = scale_reliability(hs[factor], n_boot=0)
    assert r.alpha == pytest.approx(alpha, abs=1e-5)  # REFERENCE.md
    assert r.omega_total == pytest.approx(omega, abs=1e-6)  # psych, R (3 items: just identified)


# --- Political democracy (lavaan data, psych output) --------------------------------------------

PD_REFERENCE = {
    ("y1", "y2", "y3", "y4"): dict(
        alpha=0.8587945262,
        alpha_std=0.8699025782,
        lambda6=0.8520183725,
        average_r=0.625697632,
        median_r=0.6435726531,
        omega=0.872369841,
        feldt=(0.7982861250, 0.9045893330),
        duhachek=(0.8067450884, 0.9108439640),
        rest_r=[0.7671562575, 0.6730804805, 0.6363700963, 0.8005020000],
        alpha_drop=[0.8097848195, 0.8449700323, 0.8471232596, 0.7786082896],
        omega_drop=[0.8299837641, 0.8549289780, 0.8626428140, 0.8170125493],
    ),
    ("y5", "y6", "y7", "y8"): dict(
        alpha=0.8827393729,
        alpha_std=0.8848965783,
        lambda6=0.8631678982,
        average_r=0.6577639384,
        median_r=0.6538607013,
        omega=0.8860958477,
        feldt=(0.8324916532, 0.9207685485),
        duhachek=(0.8403471239, 0.9251316219),
        rest_r=[0.6999100573, 0.7307457569, 0.7559945824, 0.8150777703],
        alpha_drop=[0.8700468184, 0.8567622806, 0.8455553665, 0.8212893246],
        omega_drop=[0.8741590695, 0.8618255231, 0.8532046723, 0.8309880488],
    ),
    tuple(f"y{i}" for i in range(1, 9)): dict(
        alpha=0.9290715319,
        alpha_std=0.9329219238,
        lambda6=0.9372403538,
        average_r=0.6348365993,
        median_r=0.6507208393,
        omega=0.9335253656,
        feldt=(0.9019421950, 0.9509743519),
        duhachek=(0.9049945962, 0.9531484676),
        rest_r=[
            0.8120599571,
            0.7240264308,
            0.6563705205,
            0.8297208898,
            0.7479526943,
            0.7568163576,
            0.7897541684,
            0.8041981016,
        ],
        alpha_drop=[
            0.9175736369,
            0.9245513501,
            0.9272788459,
            0.9139180487,
            0.9215468506,
            0.9197236981,
            0.9171210178,
            0.9160351022,
        ],
        omega_drop=[
            0.9212396544,
            0.9280443246,
            0.9316244584,
            0.9203870436,
            0.9257384808,
            0.9258908525,
            0.9229755252,
            0.9220112999,
        ],
    ),
}


@pytest.mark.parametrize("columns", list(PD_REFERENCE))
def test_political_democracy_matches_psych(political_democracy, columns):
    ref = PD_REFERENCE[columns]
    x = political_democracy[list(columns)]
    r = scale_reliability(x, n_boot=0)
    for name in ("alpha", "alpha_std", "lambda6", "average_r", "median_r"):
        assert getattr(r, name) == pytest.approx(ref[name], abs=1e-9), name
    assert r.omega_total == pytest.approx(ref["omega"], abs=1e-6)
    assert (r.alpha_feldt_low, r.alpha_feldt_high) == pytest.approx(ref["feldt"], abs=1e-9)
    assert (r.alpha_duhachek_low, r.alpha_duhachek_high) == pytest.approx(ref["duhachek"], abs=1e-9)
    items = item_reliability(x)
    np.testing.assert_allclose(items["item_rest_r"], ref["rest_r"], atol=1e-9)
    np.testing.assert_allclose(items["alpha_if_dropped"], ref["alpha_drop"], atol=1e-9)
    np.testing.assert_allclose(items["omega_if_dropped"], ref["omega_drop"], atol=1e-6)


# --- bfi agreeableness: missing data, an unreversed item ----------------------------------------


def test_bfi_listwise_matches_psych_on_complete_rows(agreeableness):
    r = scale_reliability(agreeableness, n_boot=0)
    assert r.n == 2709
    assert r.alpha == pytest.approx(0.430616923, abs=1e-9)
    assert r.alpha_std == pytest.approx(0.4574264959, abs=1e-9)
    assert r.lambda6 == pytest.approx(0.5319449408, abs=1e-9)
    assert r.omega_total == pytest.approx(0.5918557535, abs=1e-6)
    assert (r.alpha_feldt_low, r.alpha_feldt_high) == pytest.approx(
        (0.3959991667, 0.4638293257), abs=1e-9
    )
    assert (r.alpha_duhachek_low, r.alpha_duhachek_high) == pytest.approx(
        (0.3981793224, 0.4630545237), abs=1e-9
    )
    items = item_reliability(agreeableness)
    np.testing.assert_allclose(
        items["item_rest_r"],
        [-0.3114013006, 0.3718529230, 0.4778999352, 0.3650855756, 0.4480578250],
        atol=1e-9,
    )
    np.testing.assert_allclose(
        items["omega_if_dropped"],
        [0.7309966533, 0.4865208764, 0.4128499230, 0.5262922969, 0.4641673979],
        atol=1e-6,
    )


def test_bfi_pairwise_matches_psych_default(agreeableness):
    r = scale_reliability(agreeableness, missing="pairwise", n_boot=0)
    assert r.missing_policy == "pairwise"
    assert r.alpha == pytest.approx(0.4314561053, abs=1e-9)
    assert r.alpha_std == pytest.approx(0.4598190919, abs=1e-9)
    assert r.lambda6 == pytest.approx(0.5331690478, abs=1e-9)
    assert r.average_r == pytest.approx(0.1454790565, abs=1e-9)
    assert r.omega_total == pytest.approx(0.5919868034, abs=1e-6)
    # n is the smallest pairwise count, which the intervals use (psych uses all 2800 rows)
    observed = agreeableness.notna().astype(int)
    assert r.n == (observed.T @ observed).to_numpy().min()
    items = item_reliability(agreeableness, missing="pairwise", scale_min=1, scale_max=6)
    np.testing.assert_allclose(
        items["item_rest_r"],
        [-0.3084177395, 0.3723948245, 0.4769092166, 0.3653018573, 0.4494663801],
        atol=1e-9,
    )
    np.testing.assert_allclose(
        items["alpha_if_dropped"],
        [0.7185173570, 0.2790150758, 0.1769562328, 0.2534376779, 0.2079274604],
        atol=1e-9,
    )
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
    assert feldt_interval(0.760488595824792, 301, 9) == pytest.approx(
        (0.717717, 0.799079), abs=1e-6
    )


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
    import servqual.reliability as module

    rng = np.random.default_rng(1)
    x = pd.DataFrame(rng.integers(1, 8, (500, 5)).astype(float))
    whole = module.scale_reliability(x, seed=3, n_boot=300)
    monkeypatch.setattr(module, "BOOT_CELLS", 500 * 7)
    batched = module.scale_reliability(x, seed=3, n_boot=300)
    for field in ("alpha_boot_low", "alpha_boot_high", "omega_boot_low", "omega_boot_high"):
        assert getattr(batched, field) == pytest.approx(getattr(whole, field), abs=1e-12)


# --- Bag of little bootstraps (large waves) --------------------------------------------------------


def _one_factor_likert(n: int, k: int, seed: int) -> pd.DataFrame:
    """n respondents, k 7-point items loading .5 to .8 on one factor."""
    rng = np.random.default_rng(seed)
    loadings = np.linspace(0.5, 0.8, k)
    latent = rng.normal(size=(n, 1)) * loadings + rng.normal(size=(n, k)) * np.sqrt(1 - loadings**2)
    return pd.DataFrame(np.clip(np.round(latent * 1.3 + 4), 1, 7), columns=[f"q{i}" for i in range(k)])


def test_bag_of_little_bootstraps_agrees_with_the_row_bootstrap():
    """Above BLB_MIN_N rows (60,000 > 50,000) the intervals come from the bag of little
    bootstraps; they match the full row bootstrap's to well within Monte-Carlo error. Over 10
    seeds at this n (blb_check, 2000 resamples each) the endpoints of both methods scatter with an
    SD of 0.02-0.04 half-widths and their means differ by at most 0.03 half-widths; the tolerance
    is 0.15 half-widths."""
    import servqual.reliability as module

    x = _one_factor_likert(60_000, 5, seed=11)
    assert len(x) > module.BLB_MIN_N
    blb = scale_reliability(x, n_boot=2000, seed=4)
    full = scale_reliability(x, n_boot=2000, seed=4, blb_min_n=10**9)
    assert blb.boot_method.startswith("bag of little bootstraps")
    assert "10 subsets of b = 736 rows" in blb.boot_method  # round(60,000 ** 0.6)
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
    assert "300 resamples of n = 3,000 from 3 subsets of b = 122 rows" in runs[0].boot_method


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
