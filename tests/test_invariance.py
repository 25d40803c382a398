"""Tests of servqual.invariance against lavaan 0.6-14 (R 4.2).

Holzinger-Swineford by school: REFERENCE.md section 4, and more digits from

    library(lavaan)
    fm <- c("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "rmsea.ci.lower", "rmsea.ci.upper")
    m3 <- "visual =~ x1+x2+x3\\ntextual =~ x4+x5+x6\\nspeed =~ x7+x8+x9"
    for (eq in list("", "loadings", c("loadings", "intercepts")))
      print(unclass(fitMeasures(cfa(m3, data = hs, group = "school", group.equal = eq), fm)), digits = 10)

and tests/data/cfa_sim4.csv (two groups A and B; group B has shifted intercepts of y3 and y10):

    m4 <- "F1 =~ y1+y2+y3+y4\\nF2 =~ y5+y6+y7+y8\\nF3 =~ y9+y10+y11+y12\\nF4 =~ y13+y14+y15+y16"
    for (eq in list("", "loadings", c("loadings", "intercepts")))
      print(unclass(fitMeasures(cfa(m4, data = sim, group = "group", group.equal = eq), fm)), digits = 10)
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import optimize

from servqual import cfa, invariance

# the data fixtures and mappings are those of the CFA tests
from test_cfa import HEY_DIMS, HS_DIMS, SIM_DIMS, heywood_data, hs, sim  # noqa: E402,F401


@pytest.fixture(scope="module")
def hs_table(hs) -> pd.DataFrame:
    return invariance.measurement_invariance(hs, HS_DIMS, hs["school"]).set_index("level")


def test_holzinger_swineford_by_school_reference_md(hs_table):
    expected = {"configural": (115.851, 48, 0.923, 0.097), "metric": (124.043, 54, 0.921, None),
                "scalar": (164.103, 60, 0.882, None)}
    for level, (chisq, df, cfi, rmsea) in expected.items():
        row = hs_table.loc[level]
        assert row["chisq"] == pytest.approx(chisq, abs=1e-2)
        assert row["df"] == df
        assert row["cfi"] == pytest.approx(cfi, abs=1e-3)
        if rmsea is not None:
            assert row["rmsea"] == pytest.approx(rmsea, abs=1e-3)
    assert hs_table.loc["metric", "delta_chisq"] == pytest.approx(8.192, abs=1e-2)
    assert hs_table.loc["metric", "p"] == pytest.approx(0.2244, abs=1e-3)
    assert hs_table.loc["scalar", "delta_chisq"] == pytest.approx(40.059, abs=1e-2)
    assert hs_table.loc["scalar", "p"] == pytest.approx(4.4e-7, rel=0.05)
    assert hs_table["delta_df"].tolist()[1:] == [6, 6]


def test_holzinger_swineford_by_school_lavaan_digits(hs_table):
    # fitMeasures(...) of the three lavaan fits, printed with digits = 10
    expected = {
        "configural": dict(chisq=115.8513439, pvalue=1.545283084e-07, cfi=0.9233983804, tli=0.8850975706,
                           rmsea=0.09691485677, rmsea_ci_low=0.07450528677, rmsea_ci_high=0.1195828259),
        "metric": dict(chisq=124.0435442, pvalue=1.962798201e-07, cfi=0.9209234686, tli=0.8945646248,
                       rmsea=0.09283653587, rmsea_ci_low=0.07139613180, rmsea_ci_high=0.1144111023),
        "scalar": dict(chisq=164.1028309, pvalue=1.296140972e-11, cfi=0.8824718127, tli=0.8589661752,
                       rmsea=0.1073710981, rmsea_ci_low=0.08790385949, rmsea_ci_high=0.1271943798),
    }
    for level, values in expected.items():
        for key, value in values.items():
            assert hs_table.loc[level, key] == pytest.approx(value, abs=1e-3), (level, key)


def test_holzinger_swineford_decisions(hs_table):
    assert hs_table["decision"].tolist() == ["reference", "holds", "rejected"]
    assert hs_table.loc["metric", "delta_cfi"] == pytest.approx(0.9209234686 - 0.9233983804, abs=1e-4)
    assert hs_table.loc["metric", "delta_rmsea"] == pytest.approx(0.09283653587 - 0.09691485677, abs=1e-4)
    assert hs_table.loc["scalar", "delta_cfi"] < -0.01
    assert not hs_table["means_comparable"].any()
    assert (hs_table["status"] == "ok").all() and (hs_table["n"] == 301).all()


SIM_LAVAAN = {
    "configural": dict(chisq=252.2447480, df=196, pvalue=4.145096499e-03, cfi=0.9575674696, tli=0.9480417995,
                       rmsea=0.03846024860, rmsea_ci_low=0.02259382087, rmsea_ci_high=0.05159135502),
    "metric": dict(chisq=274.8185770, df=208, pvalue=1.301717729e-03, cfi=0.9495902924, tli=0.9418349528,
                   rmsea=0.04069265991, rmsea_ci_low=0.02626257542, rmsea_ci_high=0.05312971123),
    "scalar": dict(chisq=355.1856116, df=220, pvalue=2.014238687e-08, cfi=0.8980123873, tli=0.8887407862,
                   rmsea=0.05627986276, rmsea_ci_low=0.04530291608, rmsea_ci_high=0.06684327612),
}


def test_simulated_two_groups(sim):
    table = invariance.measurement_invariance(sim, SIM_DIMS, sim["group"]).set_index("level")
    for level, values in SIM_LAVAAN.items():
        for key, value in values.items():
            tol = 1e-2 if key == "chisq" else 1e-3
            assert table.loc[level, key] == pytest.approx(value, abs=tol), (level, key)
    assert (table["n"] == 388).all()
    # metric: chi-square difference p = .032 but Delta CFI -.008 and Delta RMSEA .002 within cutoffs
    assert table.loc["metric", "p"] == pytest.approx(0.03157, abs=1e-4)
    assert table["decision"].tolist() == ["reference", "holds_by_fit_indices", "rejected"]


def test_group_order_does_not_matter(sim):
    reversed_rows = sim.iloc[::-1]
    a = invariance.measurement_invariance(sim, SIM_DIMS, sim["group"])
    b = invariance.measurement_invariance(reversed_rows, SIM_DIMS, reversed_rows["group"])
    assert b["groups"].iloc[0] == "B, A"
    assert b["chisq"].to_numpy() == pytest.approx(a["chisq"].to_numpy(), abs=1e-4)


def test_single_group_engine_reproduces_lavaan_cfa(hs):
    """The engine's configural model on one group is the CFA (means saturated): chisq 85.306."""
    factor_of_item, factors = cfa._model_layout(HS_DIMS, "instrument")
    stats = [cfa._group_stats(hs[list(HS_DIMS)].to_numpy())]
    spec = invariance._invariance_spec(factor_of_item, len(factors), 1, "configural")
    fit = cfa._fit_ml(spec, stats, invariance._start_values(spec, stats, factor_of_item))
    assert 301 * fit.fun == pytest.approx(85.30552177, abs=1e-4)
    assert spec.df == 24


@pytest.mark.parametrize("level", invariance.LEVELS)
def test_analytic_gradient_matches_finite_differences(sim, level):
    factor_of_item, factors = cfa._model_layout(SIM_DIMS, "instrument")
    complete = sim.dropna()
    stats = [cfa._group_stats(complete.loc[complete["group"] == g, list(SIM_DIMS)].to_numpy()) for g in "AB"]
    spec = invariance._invariance_spec(factor_of_item, len(factors), 2, level)
    start = invariance._start_values(spec, stats, factor_of_item)
    point = start + np.random.default_rng(0).normal(0, 0.02, size=start.size)
    error = optimize.check_grad(lambda p: cfa._objective(spec, stats, p),
                                lambda p: cfa._gradient(spec, stats, p), point)
    assert error < 1e-5 * max(1.0, np.abs(cfa._gradient(spec, stats, point)).max())


def test_small_groups_are_skipped_with_a_reason(hs):
    group = hs["school"].copy()
    group.iloc[:20] = "tiny"
    table = invariance.measurement_invariance(hs, HS_DIMS, group, min_group_size=30)
    assert (table["n_groups"] == 2).all() and (table["n"] == 281).all()
    assert table["reason"].str.contains(r"tiny \(n = 20 < 30\)").all()
    assert table["status"].eq("ok").all()


def test_too_few_groups_returns_a_status(hs):
    table = invariance.measurement_invariance(hs, HS_DIMS, hs["school"], min_group_size=150)
    assert table["status"].eq("too_few_groups").all()
    assert table["decision"].eq("not_assessed").all()
    assert table["chisq"].isna().all()
    assert "Grant-White (n = 145 < 150)" in table["reason"].iloc[0]


def test_levels_subset_and_checks(hs):
    table = invariance.measurement_invariance(hs, HS_DIMS, hs["school"], levels=("configural", "scalar"))
    assert table["level"].tolist() == ["configural", "scalar"]
    assert table["delta_df"].iloc[1] == 12
    with pytest.raises(ValueError, match="in the order"):
        invariance.measurement_invariance(hs, HS_DIMS, hs["school"], levels=("scalar", "metric"))
    with pytest.raises(ValueError, match="same index"):
        invariance.measurement_invariance(hs, HS_DIMS, hs["school"].iloc[:10])


def test_heywood_case_reports_status_per_group():
    data = heywood_data()
    group = pd.Series(np.where(np.arange(len(data)) % 2, "odd", "even"), index=data.index)
    table = invariance.measurement_invariance(data, HEY_DIMS, group)
    assert table["status"].eq("heywood").all()
    assert "residual variance of a in group odd" in table["reason"].iloc[0]
    assert table["decision"].eq("not_assessed").all() and np.isfinite(table["chisq"]).all()
