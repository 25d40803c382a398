"""Tests of the MLR estimator (servqual.sem.robust, fit_cfa and measurement_invariance with
estimator="MLR") against lavaan.

Reference numbers are read from tests/data/sem_mlr_reference.json, written by
``Rscript tests/data/sem_mlr_reference.R`` (R 4.2.2, lavaan 0.6-14): fitMeasures (with the
Yuan-Bentler scaled and the robust CFI/TLI/RMSEA), parameterEstimates and standardizedSolution of
the Holzinger-Swineford three-factor and second-order models with estimator = "MLR" (and the
three-factor model with "ML"), of the simulated 4-factor Likert data (tests/data/cfa_sim4.csv,
complete cases), the configural, metric and scalar models by school with MLR and
lavTestLRT(method = "satorra.bentler.2001") between them, and Mardia's multivariate kurtosis.
Models are optimised to the minimum (BFGS, reltol 1e-16).

Tolerances: chi-squares (scaled and not) absolute 1e-3; fit indices, scaling factors and p values
absolute 1e-4 (in fact they agree to about 1e-8); estimates absolute 1e-5; standard errors, ML and
robust, relative 1e-4 (they agree to about 1e-7).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from references import HS_DIMS, SIM_DIMS, reference

from servqual import cfa
from servqual.invariance import measurement_invariance
from servqual.sem.estimation import estimate_ml
from servqual.sem.information import expected_information, observed_information
from servqual.sem.model import measurement_spec
from servqual.sem.robust import (
    casewise_scores,
    choose_estimator,
    mardia_kurtosis,
    robust_fit,
    sandwich,
)
from servqual.sem.samplestats import group_stats

REFERENCE = reference("sem_mlr_reference")
HS_REF, SIM_REF = REFERENCE["holzinger_swineford"], REFERENCE["simulated"]
CHISQ_ABS, INDEX_ABS, EST_ABS, SE_REL = 1e-3, 1e-4, 1e-5, 1e-4

#: Our cfa_fit / invariance columns by lavaan's fitMeasures names, with the tolerance of each.
FIT_COLUMNS = {
    "chisq": ("chisq", CHISQ_ABS), "chisq.scaled": ("chisq_scaled", CHISQ_ABS),
    "pvalue.scaled": ("pvalue_scaled", INDEX_ABS), "chisq.scaling.factor": ("scaling_factor", INDEX_ABS),
    "baseline.chisq": ("baseline_chisq", CHISQ_ABS), "baseline.chisq.scaled": ("baseline_chisq_scaled", CHISQ_ABS),
    "baseline.chisq.scaling.factor": ("baseline_scaling_factor", INDEX_ABS),
    "cfi": ("cfi", INDEX_ABS), "tli": ("tli", INDEX_ABS), "cfi.scaled": ("cfi_scaled", INDEX_ABS),
    "tli.scaled": ("tli_scaled", INDEX_ABS), "cfi.robust": ("cfi_robust", INDEX_ABS),
    "tli.robust": ("tli_robust", INDEX_ABS), "rmsea": ("rmsea", INDEX_ABS),
    "rmsea.scaled": ("rmsea_scaled", INDEX_ABS), "rmsea.robust": ("rmsea_robust", INDEX_ABS),
    "rmsea.ci.lower.robust": ("rmsea_robust_ci_low", INDEX_ABS),
    "rmsea.ci.upper.robust": ("rmsea_robust_ci_high", INDEX_ABS),
    "rmsea.pvalue.robust": ("rmsea_robust_pclose", INDEX_ABS), "srmr": ("srmr", INDEX_ABS),
}
#: lavaan's second-order factor name -> ours.
LAVAAN_FACTORS = {"q": cfa.SECOND_ORDER_NAME}


def check_fit(row: pd.Series, reference: dict) -> None:
    for theirs, (ours, tol) in FIT_COLUMNS.items():
        if ours in row.index and theirs in reference:
            assert row[ours] == pytest.approx(reference[theirs], abs=tol), theirs


def check_parameters(table: pd.DataFrame, reference: dict, groups: list[str] | None = None) -> None:
    """Estimates (absolute) and SEs (relative) of every free parameter lavaan reports."""
    theirs = pd.DataFrame({k: reference[k] for k in ("lhs", "op", "rhs", "est", "se")})
    theirs["group"] = [groups[g - 1] for g in reference["group"]] if groups else ""
    theirs["lhs"] = theirs["lhs"].replace(LAVAAN_FACTORS)
    theirs["rhs"] = theirs["rhs"].replace(LAVAAN_FACTORS)
    theirs = theirs[theirs["se"] > 0]  # free parameters (lavaan gives a fixed one se 0)
    ours = table.assign(group=table.get("group", "")).query("free")
    merged = theirs.merge(ours, on=["group", "lhs", "op", "rhs"], how="left", validate="one_to_one")
    assert merged["estimate"].notna().all() and len(merged) == len(ours)
    np.testing.assert_allclose(merged["estimate"], merged["est"], atol=EST_ABS)
    np.testing.assert_allclose(merged["se_y"] if "se_y" in merged else merged["se"], merged["se_x"], rtol=SE_REL)


@pytest.fixture(scope="module")
def hs_mlr(hs) -> cfa.CFATables:
    return cfa.cfa_tables(hs, HS_DIMS, estimator="MLR")


@pytest.fixture(scope="module")
def hs_ml(hs) -> cfa.CFATables:
    return cfa.cfa_tables(hs, HS_DIMS, estimator="ML")


def test_lavaan_chose_the_options_we_follow():
    """lavaan 0.6-14's MLR: sandwich SEs on the observed (Hessian) bread, structured meat, no mean
    structure for a single group, Mplus-variant Yuan-Bentler test."""
    options = HS_REF["mlr"]["options"]
    assert options["se"] == "robust.huber.white" and options["test"] == "yuan.bentler.mplus"
    assert options["information"] == ["observed", "observed"]
    assert options["observed.information"] == ["hessian", "hessian"]
    assert options["h1.information.meat"] == "structured" and options["meanstructure"] is False


def test_hs_mlr_fit_measures(hs_mlr):
    row = hs_mlr.fit.set_index("model").loc["instrument"]
    assert row["estimator"] == "MLR" and row["estimator_rule"] == "MLR"
    check_fit(row, HS_REF["mlr"]["fit"])


def test_hs_mlr_second_order_fit_measures(hs_mlr):
    check_fit(hs_mlr.fit.set_index("model").loc["second_order"], HS_REF["second_order_mlr"]["fit"])


def test_hs_mlr_estimates_and_robust_standard_errors(hs_mlr):
    for model, key in (("instrument", "mlr"), ("second_order", "second_order_mlr")):
        check_parameters(hs_mlr.parameters.query("model == @model"), HS_REF[key]["parameters"])


def test_hs_mlr_standardized_standard_errors_use_the_sandwich(hs_mlr):
    """standardizedSolution's delta-method SEs rest on the robust covariance matrix too."""
    theirs = HS_REF["mlr"]["parameters"]
    ours = hs_mlr.parameters.query("model == 'instrument' and op == '=~'").set_index("rhs")
    for lhs, op, rhs, std_se in zip(theirs["lhs"], theirs["op"], theirs["rhs"], theirs["std_se"]):
        if op == "=~":
            assert ours.loc[rhs, "std_se"] == pytest.approx(std_se, rel=1e-3), rhs


def test_hs_ml_standard_errors_are_unchanged(hs_ml):
    tables = hs_ml
    check_parameters(tables.parameters.query("model == 'instrument'"), HS_REF["ml"]["parameters"])
    assert tables.fit["scaling_factor"].isna().all() and (tables.fit["estimator"] == "ML").all()


def test_the_robust_standard_errors_differ_from_ml_by_more_than_the_tolerance():
    """The comparison can fail: lavaan's ML and MLR standard errors differ far beyond SE_REL."""
    ml, mlr = np.array(HS_REF["ml"]["parameters"]["se"]), np.array(HS_REF["mlr"]["parameters"]["se"])
    free = ml > 0
    assert np.max(np.abs(mlr[free] / ml[free] - 1)) > 100 * SE_REL


def test_a_wrong_bread_would_be_caught(hs):
    """The sandwich with the expected information as bread (lavaan's choice for MLM, not MLR)
    misses lavaan's MLR SEs by more than the tolerance; with the observed information it matches."""
    x = hs[list(HS_DIMS)].to_numpy(float)
    spec, stats = measurement_spec([0, 0, 0, 1, 1, 1, 2, 2, 2], 3), [group_stats(x)]
    params = estimate_ml(spec, stats).params
    scores = casewise_scores(spec, [x], params)
    lavaan_se = np.array(HS_REF["mlr"]["parameters"]["se"])
    lavaan_se = lavaan_se[lavaan_se > 0]
    # our free-parameter order: 6 loadings, 6 factor (co)variances, 9 residual variances;
    # lavaan's: loadings, residual variances, factor (co)variances
    order = np.r_[0:6, 12:21, [6, 8, 11, 7, 9, 10]]

    def se(bread):
        return np.sqrt(np.diag(sandwich(bread, scores.T @ scores)))[order]

    np.testing.assert_allclose(se(observed_information(spec, stats, params)), lavaan_se, rtol=SE_REL)
    wrong = se(expected_information(spec, stats, params))
    assert np.max(np.abs(wrong / lavaan_se - 1)) > 10 * SE_REL


def test_casewise_scores_are_the_gradient_of_each_case(hs):
    """Each row is the gradient of that respondent's log-likelihood (central differences), and the
    rows sum to 0 at the ML estimates."""
    x = hs[list(HS_DIMS)].to_numpy(float)
    spec = measurement_spec([0, 0, 0, 1, 1, 1, 2, 2, 2], 3)
    params = estimate_ml(spec, [group_stats(x)]).params
    scores = casewise_scores(spec, [x], params)
    assert np.abs(scores.sum(axis=0)).max() < 1e-6

    def loglik(theta, row):
        from servqual.sem.model import group_matrices
        sigma = group_matrices(spec, theta, 0).sigma
        d = row - x.mean(axis=0)
        return -0.5 * (np.linalg.slogdet(sigma)[1] + d @ np.linalg.solve(sigma, d))

    h, row = 1e-6, x[7]
    numeric = [(loglik(params + h * e, row) - loglik(params - h * e, row)) / (2 * h) for e in np.eye(len(params))]
    np.testing.assert_allclose(scores[7], numeric, rtol=1e-6, atol=1e-8)


def test_simulated_likert_mlr(sim):
    tables = cfa.cfa_tables(sim, SIM_DIMS, estimator="MLR")
    check_fit(tables.fit.set_index("model").loc["instrument"], SIM_REF["mlr"]["fit"])
    check_parameters(tables.parameters.query("model == 'instrument'"), SIM_REF["mlr"]["parameters"])


def test_mardia_kurtosis(hs, sim):
    for frame, items, ref in ((hs, list(HS_DIMS), HS_REF["mardia"]), (sim, list(SIM_DIMS), SIM_REF["mardia"])):
        x = frame[items].dropna().to_numpy(float)
        b2p, z, _ = mardia_kurtosis(x)
        assert (b2p, z) == (pytest.approx(ref["b2p"], rel=1e-10), pytest.approx(ref["z"], rel=1e-8))


def test_auto_picks_mlr_where_kurtosis_departs_from_normality(hs, sim):
    """Both reference data sets reject multivariate normality (HS leptokurtic, z = 2.8; the Likert
    items platykurtic, z = -3.1); normal data keep ML."""
    assert choose_estimator([hs[list(HS_DIMS)].to_numpy(float)]) == "MLR"
    assert choose_estimator([sim[list(SIM_DIMS)].dropna().to_numpy(float)]) == "MLR"
    normal = np.random.default_rng(3).standard_normal((2000, 6))
    assert choose_estimator([normal]) == "ML"
    assert choose_estimator([normal], "MLR") == "MLR"
    fit = cfa.cfa_tables(hs, HS_DIMS, estimator="auto").fit
    assert (fit["estimator"] == "MLR").all() and (fit["estimator_rule"] == "auto").all()
    assert fit["kurtosis_z"].iloc[0] == pytest.approx(HS_REF["mardia"]["z"], rel=1e-8)


def test_an_unknown_estimator_is_refused(hs):
    with pytest.raises(ValueError, match="estimator must be one of"):
        cfa.fit_cfa(hs, HS_DIMS, estimator="DWLS")
    with pytest.raises(ValueError, match="estimator must be one of"):
        measurement_invariance(hs, HS_DIMS, hs["school"], estimator="mlr")


def test_mlr_verdict_uses_the_robust_indices(hs_mlr):
    row = hs_mlr.fit.set_index("model").loc["instrument"]
    assert row["verdict"] == cfa.fit_verdict(row["cfi_robust"], row["tli_robust"], row["rmsea_robust"], row["srmr"])


def test_mlr_model_comparison_uses_the_scaled_difference(hs_mlr):
    """The one-factor model against the instrument's: Satorra-Bentler (2001) from the two rows."""
    fit = hs_mlr.fit.set_index("model")
    one, ref = fit.loc["one_factor"], fit.loc["instrument"]
    cd = (one["df"] * one["scaling_factor"] - ref["df"] * ref["scaling_factor"]) / (one["df"] - ref["df"])
    assert one["difference_scaling_factor"] == pytest.approx(cd)
    assert one["delta_chisq_scaled"] == pytest.approx((one["chisq"] - ref["chisq"]) / cd)


@pytest.fixture(scope="module")
def hs_invariance(hs) -> pd.DataFrame:
    table = measurement_invariance(hs, HS_DIMS, hs["school"], estimator="MLR")
    return table[~table["partial"]].set_index("level")


@pytest.mark.parametrize("level", ["configural", "metric", "scalar"])
def test_invariance_mlr_levels(hs_invariance, level):
    row = hs_invariance.loc[level]
    assert row["estimator"] == "MLR"
    check_fit(row, HS_REF["invariance_mlr"][level]["fit"])


@pytest.mark.parametrize("level", ["metric", "scalar"])
def test_invariance_satorra_bentler_difference(hs_invariance, level):
    row, ref = hs_invariance.loc[level], HS_REF["invariance_mlr"][level]["difference"]
    assert row["delta_chisq_scaled"] == pytest.approx(ref["chisq_diff"], abs=CHISQ_ABS)
    assert row["delta_df"] == ref["df_diff"]
    assert row["p"] == pytest.approx(ref["p"], abs=INDEX_ABS)


def test_invariance_mlr_robust_standard_errors(hs):
    """The multi-group sandwich (mean structure, shared parameters) against lavaan's, metric level."""
    from servqual.invariance import invariance_spec
    groups = list(pd.unique(hs["school"]))
    data = [hs.loc[hs["school"] == g, list(HS_DIMS)].to_numpy(float) for g in groups]
    spec = invariance_spec([0, 0, 0, 1, 1, 1, 2, 2, 2], 3, 2, "metric")
    params = estimate_ml(spec, [group_stats(x) for x in data]).params
    ours = np.sort(np.sqrt(np.diag(robust_fit(spec, data, params).vcov)))
    ref = HS_REF["invariance_mlr"]["metric"]["parameters"]
    theirs = pd.DataFrame({k: ref[k] for k in ("lhs", "op", "rhs", "group", "se")})
    # equal loadings appear once per group in lavaan's table with the same SE: count them once
    theirs = theirs[theirs["se"] > 0].drop_duplicates(subset=["lhs", "op", "rhs", "se"])
    np.testing.assert_allclose(ours, np.sort(theirs["se"].to_numpy(float)), rtol=SE_REL)


# --- the pipeline's text: methods paragraph and the report's fit table -------------------------


def _config() -> dict:
    import yaml
    return yaml.safe_load((Path(__file__).resolve().parents[1] / "config/config.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("language", ["en", "zh", "ko"])
def test_methods_name_the_estimator_used(hs_ml, hs_mlr, language):
    from servqual.i18n import text
    from servqual.methods import methods_paragraph

    flow = pd.DataFrame({"step": ["read", "kept"], "rule": ["rows read", "respondents kept"], "n": [301, 301],
                         "detail": ["", ""]})
    for estimator, rule in (("ML", "ML"), ("MLR", "MLR"), ("MLR", "auto")):
        tables = hs_mlr if estimator == "MLR" else hs_ml
        fit = tables.fit.assign(measure="perception", estimator_rule=rule)
        paragraph = methods_paragraph(_config(), {"cfa_fit": fit}, flow, {"servqual": "9.9"}, language)
        robust = text(language, "methods.estimator_MLR")
        assert (robust in paragraph) == (estimator == "MLR")
        assert ("Yuan, K.-H. & Bentler" in paragraph) == (estimator == "MLR")
        chosen = text(language, "methods.cfa_auto_MLR", z=f"{HS_REF['mardia']['z']:.2f}")
        assert (chosen in paragraph) == (rule == "auto")
        assert ("Mardia, K. V." in paragraph) == (rule == "auto")


def test_report_fit_table_shows_the_robust_indices_under_mlr(hs_ml, hs_mlr, tmp_path):
    from servqual.i18n import Messages
    from servqual.wave_report import WaveContext, factor_section

    def section(estimator: str) -> str:
        tables = hs_mlr if estimator == "MLR" else hs_ml
        fit = tables.fit.assign(measure="perception")
        loadings = tables.loadings.assign(measure="perception")
        ctx = WaveContext(t=Messages("en"), tables={"cfa_fit": fit, "cfa_loadings": loadings},
                          dimensions={d: d for d in HS_DIMS.values()}, items={}, figures=tmp_path)
        return factor_section(ctx)

    robust, plain = section("MLR"), section("ML")
    ref = HS_REF["mlr"]["fit"]
    # the instrument's row: scaled chi-square and robust CFI under MLR, the ML ones otherwise
    assert f"{ref['chisq.scaled']:.2f}" in robust and f"{ref['chisq']:.2f}" not in robust
    assert f"{ref['cfi.robust']:.3f}"[1:] in robust and f"{ref['chisq']:.2f}" in plain
    assert "Yuan–Bentler scaled chi-square" in robust and "Yuan–Bentler" not in plain
    assert "robust (Huber–White sandwich) standard error" in robust
    assert "standard error from the expected information" in plain


def test_every_robust_fit_index_against_lavaan():
    """All of RobustFitIndices, the scaled RMSEA's interval and p-close (on T with c df, as
    lavaan 0.6) included, from lavaan's own chi-squares and scaling factors."""
    from servqual.sem.robust import robust_fit_indices

    for ref in (HS_REF["mlr"]["fit"], SIM_REF["mlr"]["fit"]):
        r = robust_fit_indices(ref["chisq"], int(ref["df"]), ref["chisq.scaling.factor"], ref["baseline.chisq"],
                               int(ref["baseline.df"]), ref["baseline.chisq.scaling.factor"], int(ref["ntotal"]))
        names = {"rmsea_scaled_ci_low": "rmsea.ci.lower.scaled", "rmsea_scaled_ci_high": "rmsea.ci.upper.scaled",
                 "rmsea_scaled_pclose": "rmsea.pvalue.scaled", "baseline_pvalue_scaled": "baseline.pvalue.scaled"}
        names |= {ours: theirs for theirs, (ours, _) in FIT_COLUMNS.items()}
        for field, value in vars(r).items():
            assert value == pytest.approx(ref[names[field]], abs=INDEX_ABS if "chisq" not in field else CHISQ_ABS), field
