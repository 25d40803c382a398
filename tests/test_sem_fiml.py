"""Tests of full-information ML for missing answers (servqual.sem.missing, fit_cfa(missing=...)).

Reference numbers are read from tests/data/sem_fiml_reference.json, written by
``Rscript tests/data/sem_fiml_reference.R`` (R 4.2.2, lavaan 0.6-14): ``cfa(..., missing = "ml")``
of the three-factor and the one-factor model (BFGS, reltol 1e-16), fitted to
tests/data/holzinger_swineford_missing.csv (tests/data/holzinger_swineford_missing_generate.py:
the Holzinger-Swineford data with ~10% of x1..x9 deleted at random, seeded): fitMeasures,
the number of missing-data patterns, parameterEstimates, standardizedSolution and R^2.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from references import HS_DIMS, read_data, reference

from servqual import cfa
from servqual.sem.missing import (
    em_moments,
    fiml_gradient,
    fiml_loglik,
    independence_loglik,
    missing_patterns,
    moments_loglik,
    with_intercepts,
)
from servqual.sem.model import measurement_spec
from servqual.sem.samplestats import group_stats

REFERENCE = reference("sem_fiml_reference")
HS_MISSING = read_data("holzinger_swineford_missing")
HS_COMPLETE = read_data("holzinger_swineford")
DIMS = HS_DIMS
ITEMS = list(DIMS)
#: lavaan's fitMeasures names -> our cfa_fit columns (all but the chi-square: 1e-4).
FIT_COLUMNS = {"npar": "npar", "df": "df", "pvalue": "pvalue", "baseline.chisq": "baseline_chisq",
               "baseline.df": "baseline_df", "cfi": "cfi", "tli": "tli", "rmsea": "rmsea",
               "rmsea.ci.lower": "rmsea_ci_low", "rmsea.ci.upper": "rmsea_ci_high",
               "rmsea.pvalue": "rmsea_pclose", "srmr": "srmr", "logl": "loglik", "aic": "aic", "bic": "bic",
               "ntotal": "n"}
LAVAAN_FACTORS = {"g": cfa.ONE_FACTOR_NAME}


@pytest.fixture(scope="module")
def fits() -> dict[str, cfa.CFAResult]:
    return {m: cfa.fit_cfa(HS_MISSING, DIMS, model=m, missing="ml") for m in ("instrument", "one_factor")}


@pytest.mark.parametrize("model", ["instrument", "one_factor"])
def test_fit_measures_match_lavaan(fits, model):
    ref = REFERENCE[model]["fit"]
    row = cfa.compare_models([fits[model]], reference=model).iloc[0]
    assert row["missing_policy"] == "ml"
    assert row["chisq"] == pytest.approx(ref["chisq"], abs=1e-3)
    for theirs, ours in FIT_COLUMNS.items():
        assert float(row[ours]) == pytest.approx(ref[theirs], abs=1e-4, rel=1e-6), ours
    assert fits[model].unrestricted_loglik == pytest.approx(ref["unrestricted.logl"], abs=1e-4)
    assert row["n_patterns"] == REFERENCE[model]["patterns"]


@pytest.mark.parametrize("model", ["instrument", "one_factor"])
def test_estimates_and_standard_errors_match_lavaan(fits, model):
    ref = pd.DataFrame(REFERENCE[model]["parameters"])
    ref[["lhs", "rhs"]] = ref[["lhs", "rhs"]].replace(LAVAAN_FACTORS)
    ours = cfa.parameter_estimates(fits[model])
    merged = ours.merge(ref, on=["lhs", "op", "rhs"], how="left", validate="one_to_one")
    assert merged["est"].notna().all()
    assert len(ours) == len(ref) - len(fits[model].factors)  # lavaan also lists the latent means, fixed 0
    assert ref.loc[ref["op"].eq("~1") & ref["lhs"].isin(fits[model].factors), "est"].eq(0).all()
    assert (ours["parameter"] == "intercept").sum() == len(ITEMS)
    np.testing.assert_allclose(merged["estimate"], merged["est"], atol=1e-4)
    free = merged["free"].to_numpy(bool)
    np.testing.assert_allclose(merged["se_x"][free], merged["se_y"][free], atol=1e-4)
    np.testing.assert_allclose(merged["std_all"], merged["std"], atol=1e-4)
    np.testing.assert_allclose(merged["std_se_x"].fillna(0), merged["std_se_y"], atol=1e-4)
    r2 = merged.loc[merged["parameter"] == "residual_variance"].set_index("lhs")["r2"]
    np.testing.assert_allclose(r2[ITEMS], [REFERENCE[model]["r2"][i] for i in ITEMS], atol=1e-4)


def test_fiml_on_complete_data_equals_ml():
    listwise = cfa.fit_cfa(HS_COMPLETE, DIMS, missing="listwise")
    fiml = cfa.fit_cfa(HS_COMPLETE, DIMS, missing="ml")
    assert (fiml.missing, fiml.n_incomplete, fiml.n_patterns, fiml.n) == ("ml", 0, 1, 301)
    for field in ("chisq", "df", "baseline_chisq", "cfi", "tli", "rmsea", "rmsea_ci_low", "rmsea_ci_high"):
        assert getattr(fiml.indices, field) == pytest.approx(getattr(listwise.indices, field), rel=1e-6), field
    assert fiml.loglik == pytest.approx(listwise.loglik, rel=1e-9)
    assert fiml.unrestricted_loglik == pytest.approx(listwise.unrestricted_loglik, rel=1e-9)
    np.testing.assert_allclose(fiml.loadings["estimate"], listwise.loadings["estimate"], atol=1e-6)
    np.testing.assert_allclose(fiml.loadings["std_loading"], listwise.loadings["std_loading"], atol=1e-6)


def test_em_on_complete_data_is_the_sample_moments():
    x = HS_COMPLETE[ITEMS].to_numpy(float)
    mu, sigma, loglik = em_moments(missing_patterns(x))
    st = group_stats(x)
    np.testing.assert_allclose(mu, st.mean, atol=1e-10)
    np.testing.assert_allclose(sigma, st.cov, atol=1e-10)
    assert loglik == pytest.approx(-len(x) / 2 * (9 * np.log(2 * np.pi) + np.linalg.slogdet(st.cov)[1] + 9))


def test_loglik_sums_the_rows_own_densities():
    """The pattern-wise likelihood equals the row-by-row sum of observed-data normal densities."""
    from scipy import stats

    x = HS_MISSING[ITEMS].to_numpy(float)[:40]
    rng = np.random.default_rng(3)
    a = rng.standard_normal((9, 9))
    sigma, mu = a @ a.T / 9 + np.eye(9), rng.standard_normal(9) + 4
    by_row = sum(stats.multivariate_normal(mu[o], sigma[np.ix_(o, o)]).logpdf(row[o])
                 for row in x for o in [~np.isnan(row)])
    assert moments_loglik(missing_patterns(x), mu, sigma)[0] == pytest.approx(by_row, rel=1e-12)


def test_gradient_is_the_derivative_of_the_loglik():
    pat = missing_patterns(HS_MISSING[ITEMS].to_numpy(float))
    spec = with_intercepts(measurement_spec([0, 0, 0, 1, 1, 1, 2, 2, 2], 3))
    rng = np.random.default_rng(1)
    params = np.abs(rng.normal(0.6, 0.1, spec.n_free))
    params[spec.variance_parameters()] += 0.5
    steps = np.eye(spec.n_free) * 1e-6
    numeric = [(fiml_loglik(spec, [pat], params + e) - fiml_loglik(spec, [pat], params - e)) / 2e-6 for e in steps]
    np.testing.assert_allclose(fiml_gradient(spec, [pat], params), numeric, rtol=1e-6, atol=1e-4)


def test_independence_model_is_fitted_item_by_item():
    x = HS_MISSING[ITEMS].to_numpy(float)
    mean, var = np.nanmean(x, axis=0), np.nanvar(x, axis=0)
    expected = moments_loglik(missing_patterns(x), mean, np.diag(var))[0]
    assert independence_loglik(missing_patterns(x)) == pytest.approx(expected, rel=1e-12)


def test_patterns_drop_empty_rows_and_count_incomplete_ones():
    x = HS_MISSING[ITEMS].to_numpy(float)
    x = np.vstack([x, np.full((2, 9), np.nan)])
    pat = missing_patterns(x)
    assert pat.n == 301 and pat.n_patterns == 58
    assert pat.n_incomplete == int(np.isnan(x[:301]).any(axis=1).sum())
    np.testing.assert_allclose(pat.sums.sum(axis=0), np.nansum(x, axis=0))


def test_missing_treatment_auto_and_listwise_keep_fewer_respondents():
    assert cfa.missing_treatment(HS_MISSING, ITEMS, "auto") == "ml"
    assert cfa.missing_treatment(HS_COMPLETE, ITEMS, "auto") == "listwise"
    with pytest.raises(ValueError, match="missing must be one of"):
        cfa.missing_treatment(HS_COMPLETE, ITEMS, "pairwise")
    listwise = cfa.fit_cfa(HS_MISSING, DIMS, missing="listwise")
    assert (listwise.missing, listwise.n, listwise.n_incomplete) == ("listwise", 107, 0)
    tables = cfa.cfa_tables(HS_MISSING, DIMS, missing="auto")
    assert set(tables.fit["missing_policy"]) == {"ml"} and set(tables.fit["n"]) == {301}
    assert set(tables.fit["n_incomplete"]) == {194}


def test_invariance_by_fiml_matches_lavaan():
    from servqual.invariance import measurement_invariance

    table = measurement_invariance(HS_MISSING, DIMS, HS_MISSING["school"], missing="auto").set_index("level")
    assert set(table["missing_policy"]) == {"ml"} and set(table["n"]) == {301}
    assert set(table["n_incomplete"]) == {194}
    for level, ref in REFERENCE["invariance"].items():
        row = table.loc[level]
        assert row["chisq"] == pytest.approx(ref["chisq"], abs=1e-3), level
        assert row["df"] == ref["df"]
        for ours, theirs in (("cfi", "cfi"), ("tli", "tli"), ("rmsea", "rmsea"), ("rmsea_ci_low", "rmsea.ci.lower"),
                             ("rmsea_ci_high", "rmsea.ci.upper")):
            assert row[ours] == pytest.approx(ref[theirs], abs=1e-4), (level, ours)


def test_refit_script_asks_lavaan_for_the_treatment_cfa_fit_used():
    from servqual.lavaan import lavaan_models, refit_script

    fit = pd.DataFrame({"measure": ["perception"] * 2, "model": ["instrument", "one_factor"],
                        "estimator": ["ML"] * 2, "status": ["ok"] * 2, "missing_policy": ["ml", "listwise"]})
    models = lavaan_models(fit, {"a1": "a", "a2": "a", "b1": "b", "b2": "b"})
    assert [m.missing for m in models] == ["ml", "listwise"]
    script = refit_script(models, wave="w1", model_path="m.lavaan", data_path="d.sav", fit_table="cfa_fit.csv",
                          script_path="refit.R", language="en")
    assert 'missing <- c("perception.instrument" = "ml", "perception.one_factor" = "listwise")' in script
    assert "missing = missing[[name]]" in script


def test_an_item_nobody_answered_is_reported_not_raised():
    data = HS_MISSING.assign(x1=np.nan)
    result = cfa.fit_cfa(data, DIMS, missing="ml")
    assert result.status == "not_positive_definite" and result.indices is None
    with pytest.raises(ValueError, match="fewer than two answers"):
        em_moments(missing_patterns(data[ITEMS].to_numpy(float)))
