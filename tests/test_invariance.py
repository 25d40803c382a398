"""Tests of servqual.invariance against lavaan.

Reference numbers are read from tests/data/invariance_reference.json, written by
``Rscript tests/data/invariance_reference.R`` (R 4.2.2, lavaan 0.6-14): fitMeasures of the
configural, metric and scalar fits (``cfa(model, group = ..., group.equal = ...)``) and
``anova`` of each level against the one before it, on the Holzinger-Swineford data by school
(tests/data/holzinger_swineford.csv) and on tests/data/cfa_sim4.csv by group (group B has shifted
intercepts of y3 and y10).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import optimize

# the Heywood data and the reference fit are those of the CFA tests; hs and sim are conftest fixtures
from test_cfa import HEY_DIMS, HS_FIT, heywood_data  # noqa: E402

from references import HS_DIMS, SIM_DIMS  # noqa: E402

from servqual import invariance
from servqual.sem.estimation import minimize_ml, start_values
from servqual.sem.gradient import gradient
from servqual.sem.model import measurement_layout
from servqual.sem.objective import objective
from servqual.sem.samplestats import group_stats

REFERENCE = json.loads((Path(__file__).parent / "data" / "invariance_reference.json").read_text())

#: Our table's columns by lavaan's fitMeasures names.
FIT_COLUMNS = {"chisq": "chisq", "df": "df", "pvalue": "pvalue", "cfi": "cfi", "tli": "tli",
               "rmsea": "rmsea", "rmsea.ci.lower": "rmsea_ci_low", "rmsea.ci.upper": "rmsea_ci_high",
               "ntotal": "n"}


def lavaan_fits(data: str) -> dict[str, dict[str, float]]:
    """lavaan's fit measures of each invariance level under our column names."""
    return {level: {ours: REFERENCE[data][level]["fit"][theirs] for theirs, ours in FIT_COLUMNS.items()}
            for level in ("configural", "metric", "scalar")}


HS_LAVAAN = lavaan_fits("holzinger_swineford")
SIM_LAVAAN = lavaan_fits("simulated")


@pytest.fixture(scope="module")
def hs_table(hs) -> pd.DataFrame:
    table = invariance.measurement_invariance(hs, HS_DIMS, hs["school"])
    return table[~table["partial"]].set_index("level")


def test_holzinger_swineford_by_school_difference_tests(hs_table):
    metric, scalar = (REFERENCE["holzinger_swineford"][level]["difference"] for level in ("metric", "scalar"))
    assert hs_table.loc["metric", "delta_chisq"] == pytest.approx(metric["chisq_diff"], abs=1e-2)
    assert hs_table.loc["metric", "p"] == pytest.approx(metric["p"], abs=1e-3)
    assert hs_table.loc["scalar", "delta_chisq"] == pytest.approx(scalar["chisq_diff"], abs=1e-2)
    assert hs_table.loc["scalar", "p"] == pytest.approx(scalar["p"], rel=0.05)
    assert hs_table["delta_df"].tolist()[1:] == [metric["df_diff"], scalar["df_diff"]] == [6, 6]


def test_holzinger_swineford_by_school_lavaan_digits(hs_table):
    for level, values in HS_LAVAAN.items():
        for key, value in values.items():
            assert hs_table.loc[level, key] == pytest.approx(value, abs=1e-3), (level, key)


def test_holzinger_swineford_decisions(hs_table):
    assert hs_table["decision"].tolist() == ["reference", "holds", "rejected"]
    configural, metric = HS_LAVAAN["configural"], HS_LAVAAN["metric"]
    assert hs_table.loc["metric", "delta_cfi"] == pytest.approx(metric["cfi"] - configural["cfi"], abs=1e-4)
    assert hs_table.loc["metric", "delta_rmsea"] == pytest.approx(metric["rmsea"] - configural["rmsea"], abs=1e-4)
    assert hs_table.loc["scalar", "delta_cfi"] < -0.01
    assert hs_table["means_comparable"].all()  # under partial scalar invariance
    assert (hs_table["status"] == "ok").all() and (hs_table["n"] == 301).all()


def test_simulated_two_groups(sim):
    table = invariance.measurement_invariance(sim, SIM_DIMS, sim["group"])
    table = table[~table["partial"]].set_index("level")
    for level, values in SIM_LAVAAN.items():
        for key, value in values.items():
            tol = 1e-2 if key == "chisq" else 1e-3
            assert table.loc[level, key] == pytest.approx(value, abs=tol), (level, key)
    assert (table["n"] == 388).all()
    # metric: chi-square difference p = .032 but Delta CFI -.008 and Delta RMSEA .002 within cutoffs
    metric_p = REFERENCE["simulated"]["metric"]["difference"]["p"]
    assert table.loc["metric", "p"] == pytest.approx(metric_p, abs=1e-4)
    assert table["decision"].tolist() == ["reference", "holds_by_fit_indices", "rejected"]


def test_group_order_does_not_matter(sim):
    reversed_rows = sim.iloc[::-1]
    a = invariance.measurement_invariance(sim, SIM_DIMS, sim["group"])
    b = invariance.measurement_invariance(reversed_rows, SIM_DIMS, reversed_rows["group"])
    assert b["groups"].iloc[0] == "B, A"
    assert b["chisq"].to_numpy() == pytest.approx(a["chisq"].to_numpy(), abs=1e-4)


def test_single_group_engine_reproduces_lavaan_cfa(hs):
    """The engine's configural model on one group is the CFA (means saturated): lavaan's chisq."""
    factor_of_item, factors = measurement_layout(HS_DIMS, "instrument")
    stats = [group_stats(hs[list(HS_DIMS)].to_numpy())]
    spec = invariance.invariance_spec(factor_of_item, len(factors), 1, "configural")
    fit = minimize_ml(spec, stats, start_values(spec, stats))
    assert 301 * fit.fun == pytest.approx(HS_FIT["chisq"], abs=1e-4)
    assert spec.df == 24


@pytest.mark.parametrize("level", invariance.LEVELS)
def test_analytic_gradient_matches_finite_differences(sim, level):
    factor_of_item, factors = measurement_layout(SIM_DIMS, "instrument")
    complete = sim.dropna()
    stats = [group_stats(complete.loc[complete["group"] == g, list(SIM_DIMS)].to_numpy()) for g in "AB"]
    spec = invariance.invariance_spec(factor_of_item, len(factors), 2, level)
    start = start_values(spec, stats)
    point = start + np.random.default_rng(0).normal(0, 0.02, size=start.size)
    error = optimize.check_grad(lambda p: objective(spec, stats, p),
                                lambda p: gradient(spec, stats, p), point)
    assert error < 1e-5 * max(1.0, np.abs(gradient(spec, stats, point)).max())


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
    assert table["level"].tolist()[:2] == ["configural", "scalar"]
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


# --- strict and partial invariance, latent means: tests/data/invariance_partial_reference.json,
# written by ``Rscript tests/data/invariance_partial_reference.R`` (lavaan 0.6-14)

PARTIAL = json.loads((Path(__file__).parent / "data" / "invariance_partial_reference.json").read_text())
LADDER_FIT = {"chisq": "chisq", "df": "df", "cfi": "cfi", "tli": "tli", "rmsea": "rmsea"}
ROBUST_FIT = {"chisq.scaled": "chisq_scaled", "chisq.scaling.factor": "scaling_factor", "cfi.robust": "cfi_robust",
              "tli.robust": "tli_robust", "rmsea.robust": "rmsea_robust"}


@pytest.fixture(scope="module", params=["ML", "MLR"])
def ladder(request, hs):
    return request.param, invariance.invariance_ladder(hs, HS_DIMS, hs["school"], estimator=request.param)


def _assert_fit(row: pd.Series, expected: dict, estimator: str) -> None:
    names = LADDER_FIT | (ROBUST_FIT if estimator == "MLR" else {})
    for theirs, ours in names.items():
        assert row[ours] == pytest.approx(expected[theirs], rel=1e-6, abs=1e-8), ours


def test_strict_and_partial_levels_match_lavaan(ladder):
    estimator, result = ladder
    levels, expected = result.levels, PARTIAL[estimator]
    assert levels["level"].tolist() == ["configural", "metric", "scalar", "scalar", "strict"]
    for i, level in enumerate(("configural", "metric", "scalar")):
        _assert_fit(levels.iloc[i], expected["fit"][level], estimator)
    _assert_fit(levels.iloc[3], expected["scalar_partial"]["x3_x7"], estimator)
    _assert_fit(levels.iloc[4], expected["strict_partial"], estimator)
    assert levels["released"].tolist()[3:] == ["intercepts:x3;intercepts:x7"] * 2
    assert levels["compared_with"].tolist() == ["", "configural", "metric", "metric", "scalar (partial)"]
    assert levels["means_comparable"].all()


def test_full_strict_model_matches_lavaan(hs):
    table = invariance.measurement_invariance(hs, HS_DIMS, hs["school"].where(hs["school"] == "Pasteur", "GW"),
                                              levels=("configural", "strict"))
    _assert_fit(table.iloc[1], PARTIAL["ML"]["fit"]["strict"], "ML")


def test_released_constraints_follow_lavtestscore(ladder):
    estimator, result = ladder
    released = result.released
    assert released[["level", "order", "constraint", "item", "group", "groups"]].values.tolist() == [
        ["scalar", 1, "intercepts", "x3", "Grant-White", "Grant-White"],
        ["scalar", 2, "intercepts", "x7", "Grant-White", "Grant-White"]]
    for row, score in zip(released.itertuples(), ("score_scalar", "score_scalar_x3")):
        assert row.chisq == pytest.approx(max(PARTIAL[estimator][score]["x2"]), rel=1e-6)
    assert (released["estimator"] == estimator).all()


def test_score_tests_of_every_constraint_match_lavaan(hs):
    """lavTestScore(scalar)$uni: one univariate test per equality constraint (group 2 vs 1)."""
    from servqual.sem.estimation import estimate_ml
    from servqual.sem.score import release_score_tests

    factor_of_item, factors = measurement_layout(HS_DIMS, "instrument")
    stats = [group_stats(hs.loc[hs["school"] == g, list(HS_DIMS)].to_numpy()) for g in ("Pasteur", "Grant-White")]
    spec = invariance.invariance_spec(factor_of_item, len(factors), 2, "scalar")
    tests = release_score_tests(spec, stats, estimate_ml(spec, stats).params)
    kind = {0: "=~", 4: "~1"}
    ours = {(f"x{spec.row[s] + 1}", kind[spec.kind[s]]): chi for s, chi in zip(tests["slot"], tests["chisq"])}
    ref = PARTIAL["ML"]["score_scalar"]
    theirs = {(rhs if op == "=~" else lhs, op): x2
              for lhs, op, rhs, x2 in zip(ref["lhs"], ref["op"], ref["rhs"], ref["x2"])}
    assert ours.keys() == theirs.keys()
    for key, value in theirs.items():
        assert ours[key] == pytest.approx(value, rel=1e-5, abs=1e-7), key


def test_latent_mean_differences_match_lavaan(ladder):
    estimator, result = ladder
    means, expected = result.latent_means, PARTIAL[estimator]["latent_means"]
    assert means["factor"].tolist() == expected["factor"]
    assert (means["group"] == "Grant-White").all() and (means["reference"] == "Pasteur").all()
    for ours, theirs in {"diff": "est", "se": "se", "z": "z", "pvalue": "pvalue", "ci_low": "ci_lower",
                         "ci_high": "ci_upper"}.items():
        assert means[ours].to_numpy() == pytest.approx(expected[theirs], rel=1e-6, abs=1e-9), ours
    variances = PARTIAL[estimator]["factor_variances"]
    reference_sd = np.sqrt([v for v, g in zip(variances["est"], variances["group"]) if g == 1])
    assert means["std_diff"].to_numpy() == pytest.approx(np.array(expected["est"]) / reference_sd, rel=1e-6)
    assert means["comparable"].all()


def test_released_parameter_is_free_in_every_group(hs):
    """group.partial semantics: with G groups a released intercept adds G - 1 parameters."""
    factor_of_item, factors = measurement_layout(HS_DIMS, "instrument")
    full = invariance.invariance_spec(factor_of_item, len(factors), 3, "scalar")
    partial = invariance.invariance_spec(factor_of_item, len(factors), 3, "scalar", frozenset({("intercepts", 2)}))
    assert full.df - partial.df == 2
    three = hs["school"].where(hs.index % 3 > 0, "third")
    result = invariance.invariance_ladder(hs, HS_DIMS, three, min_group_size=50)
    groups = result.levels["groups"].iloc[0].split(", ")
    means = result.latent_means
    assert len(means) == 6 and set(means["group"]) == set(groups[1:]) and (means["reference"] == groups[0]).all()


def test_latent_means_not_comparable_without_scalar_invariance(hs):
    result = invariance.invariance_ladder(hs, HS_DIMS, hs["school"], levels=("configural", "metric", "scalar"))
    assert result.latent_means["comparable"].all()
    metric_only = invariance.invariance_ladder(hs, HS_DIMS, hs["school"], levels=("configural", "metric"))
    assert metric_only.latent_means.empty and metric_only.released.empty


def test_fiml_ladder_does_not_search_partial_invariance_and_says_so():
    data = pd.read_csv(Path(__file__).parent / "data" / "holzinger_swineford_missing.csv")
    result = invariance.invariance_ladder(data, HS_DIMS, data["school"], missing="ml")
    levels = result.levels
    assert (levels["missing_policy"] == "ml").all() and not levels["partial"].any()
    rejected = levels[levels["decision"] == "rejected"]
    assert len(rejected) == 1 and "partial invariance not searched under FIML" in rejected["reason"].iloc[0]
    assert result.released.empty
    assert not result.latent_means["comparable"].any() and result.latent_means["diff"].isna().all()
