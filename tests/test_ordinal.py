"""Ordinal items (servqual.sem.ordinal) against lavaan.

Reference numbers from tests/data/ordinal_reference.json, written by
``Rscript tests/data/ordinal_reference.R`` (lavaan 0.6-14): the complete cases of
tests/data/efa_bfi.csv (the first 1000 rows of psych::bfi), the 25 six-point items, and 10 of
them collapsed to five points; thresholds, polychoric correlations and Gamma (lavaan's
lavInspect(fit, "gamma"): whole for the five-point items, its diagonal for the six-point ones);
and the WLSMV fits of cfa(..., ordered = TRUE): the five-factor model of the six-point items and
a two-factor model of the five-point ones (fit measures, scaled test, parameterEstimates and
standardizedSolution, modindices); the second-order model of the six-point items (five factors on
one); and lavTestLRT of a one-factor model of the five-point items against their two-factor model.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from servqual.sem.fit import fit_indices
from servqual.sem.model import measurement_spec
from servqual.sem.modification import wlsmv_modification_indices
from servqual.sem.ordinal import bivariate_normal_cdf, ordinal_stats
from servqual.sem.wlsmv import fit_wlsmv, wlsmv_parameter_table, wlsmv_robust_indices, wlsmv_srmr

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


# -- WLSMV -----------------------------------------------------------------------------------
FIT_NAMES = {"chisq": "chisq", "cfi": "cfi", "tli": "tli", "rmsea": "rmsea", "chisq_scaled": "chisq.scaled",
             "cfi_scaled": "cfi.scaled", "tli_scaled": "tli.scaled", "rmsea_scaled": "rmsea.scaled",
             "rmsea_ci_low_scaled": "rmsea.ci.lower.scaled", "rmsea_ci_high_scaled": "rmsea.ci.upper.scaled",
             "srmr": "srmr", "baseline_chisq": "baseline.chisq", "baseline_chisq_scaled": "baseline.chisq.scaled",
             "scaling_factor": "chisq.scaling.factor", "cfi_robust": "cfi.robust", "tli_robust": "tli.robust",
             "rmsea_robust": "rmsea.robust", "rmsea_robust_ci_low": "rmsea.ci.lower.robust",
             "rmsea_robust_ci_high": "rmsea.ci.upper.robust", "rmsea_robust_pclose": "rmsea.pvalue.robust"}


@pytest.fixture(scope="module")
def wlsmv(case):
    name, st, ref = case
    items = ref["items"]
    letters = list(dict.fromkeys(i[0] for i in items))
    factor_of_item = [letters.index(i[0]) for i in items]
    fit = fit_wlsmv(measurement_spec(factor_of_item, len(letters)), st)
    return name, st, ref, fit, wlsmv_parameter_table(fit, st, items, letters)


def our_fit_measures(st, fit) -> dict[str, float]:
    plain = fit_indices(fit.test.chisq, fit.test.df, fit.baseline.chisq, fit.baseline.df, st.n - 1)
    scaled = fit_indices(fit.test.chisq_scaled, fit.test.df, fit.baseline.chisq_scaled, fit.baseline.df, st.n - 1)
    robust = wlsmv_robust_indices(fit, st)
    return {"cfi_robust": robust.cfi, "tli_robust": robust.tli, "rmsea_robust": robust.rmsea,
            "rmsea_robust_ci_low": robust.rmsea_ci_low, "rmsea_robust_ci_high": robust.rmsea_ci_high,
            "rmsea_robust_pclose": robust.rmsea_pclose,"chisq": fit.test.chisq, "cfi": plain.cfi, "tli": plain.tli, "rmsea": plain.rmsea,
            "chisq_scaled": fit.test.chisq_scaled, "cfi_scaled": scaled.cfi, "tli_scaled": scaled.tli,
            "rmsea_scaled": scaled.rmsea, "rmsea_ci_low_scaled": scaled.rmsea_ci_low,
            "rmsea_ci_high_scaled": scaled.rmsea_ci_high, "srmr": wlsmv_srmr(fit, st.correlations.shape[0]),
            "baseline_chisq": fit.baseline.chisq, "baseline_chisq_scaled": fit.baseline.chisq_scaled,
            "scaling_factor": fit.test.scaling_factor}


def test_wlsmv_fit_matches_lavaan(wlsmv):
    """The issue's tolerances: chi-square to 1e-3, fit indices to 1e-4."""
    _, st, ref, fit, _ = wlsmv
    assert fit.converged and fit.test.df == ref["fit"]["df"]
    ours = our_fit_measures(st, fit)
    for key, theirs in FIT_NAMES.items():
        tol = 1e-3 if "chisq" in key else 1e-4
        assert ours[key] == pytest.approx(ref["fit"][theirs], abs=tol), key
    assert fit.test.shift == pytest.approx(ref["test"]["shift"], abs=1e-3)


def test_wlsmv_parameters_match_lavaan(wlsmv):
    """Estimates, robust SEs and the standardized solution (thresholds and the latent responses'
    residual variances included) to 1e-4."""
    _, _, ref, _, table = wlsmv
    lavaan = pd.DataFrame(ref["parameters"]).set_index(["lhs", "op", "rhs"])
    ours = table.set_index(["lhs", "op", "rhs"])
    common = lavaan.index.intersection(ours.index)
    assert len(common) == len(ours) == lavaan.index.get_level_values("op").isin(["=~", "~~", "|"]).sum()
    for mine, theirs in (("estimate", "est"), ("se", "se"), ("std_all", "std"), ("std_se", "std_se")):
        assert ours.loc[common, mine].fillna(0).to_numpy() == pytest.approx(
            lavaan.loc[common, theirs].fillna(0).to_numpy(), abs=1e-4), mine


def test_wlsmv_modification_indices_match_lavaan(wlsmv):
    """modindices of the WLSMV fit: every residual covariance between items and every
    cross-loading, MI to 1e-3, EPC and sepc.all to 1e-4."""
    _, st, ref, fit, _ = wlsmv
    items = ref["items"]
    ours = wlsmv_modification_indices(fit, st, items, list(dict.fromkeys(i[0] for i in items)))
    ours = ours.set_index(["lhs", "op", "rhs"])
    lavaan = pd.DataFrame(ref["modindices"]).set_index(["lhs", "op", "rhs"])
    assert len(ours) == len(lavaan) and lavaan.index.isin(ours.index).all()
    assert_modification_indices_match(ours, lavaan)


def assert_modification_indices_match(ours: pd.DataFrame, lavaan: pd.DataFrame) -> None:
    ours = ours.loc[lavaan.index]
    assert ours["mi"].to_numpy(float) == pytest.approx(lavaan["mi"].to_numpy(), abs=1e-3)
    for column in ("epc", "sepc_all"):
        assert ours[column].to_numpy(float) == pytest.approx(lavaan[column].to_numpy(), abs=1e-4), column


@pytest.fixture(scope="module")
def second_order():
    """The reference's second-order model of the six-point items (five factors on Q), fitted:
    (reference, sample statistics, first-order factor letters, fit)."""
    ref = REFERENCE["second_order"]
    st = ordinal_stats(ratings("six_point"))
    letters = list(dict.fromkeys(i[0] for i in ref["items"]))
    fit = fit_wlsmv(measurement_spec([letters.index(i[0]) for i in ref["items"]], len(letters), second_order=True),
                    st)
    return ref, st, letters, fit


def test_second_order_wlsmv_modification_indices_match_lavaan(second_order):
    """modindices of the second-order model: the residual covariances and the first-order
    cross-loadings (lavaan also lists the second-order factor on each item, which the hints do
    not propose)."""
    ref, st, letters, fit = second_order
    ours = wlsmv_modification_indices(fit, st, ref["items"], [*letters, "Q"]).set_index(["lhs", "op", "rhs"])
    lavaan = pd.DataFrame(ref["modindices"]).set_index(["lhs", "op", "rhs"])
    assert len(ours) == 400 and ours.index.isin(lavaan.index).all()
    assert set(lavaan.index.difference(ours.index).get_level_values("lhs")) == {"Q"}
    assert_modification_indices_match(ours, lavaan.loc[ours.index])


def test_second_order_wlsmv_matches_lavaan(second_order):
    """Second-order loadings and disturbance variances, standardized through the implied latent
    covariance, and the fit."""
    ref, st, letters, fit = second_order
    table = wlsmv_parameter_table(fit, st, ref["items"], [*letters, "Q"]).set_index(["lhs", "op", "rhs"])
    lavaan = pd.DataFrame(ref["parameters"]).set_index(["lhs", "op", "rhs"])
    assert len(lavaan.index.intersection(table.index)) == len(table) == \
        lavaan.index.get_level_values("op").isin(["=~", "~~", "|"]).sum()
    common = table.index
    for mine, theirs in (("estimate", "est"), ("se", "se"), ("std_all", "std"), ("std_se", "std_se")):
        assert table.loc[common, mine].fillna(0).to_numpy() == pytest.approx(
            lavaan.loc[common, theirs].fillna(0).to_numpy(), abs=1e-4), mine
    ours = our_fit_measures(st, fit)
    assert ours["chisq_scaled"] == pytest.approx(ref["fit"]["chisq.scaled"], abs=1e-3)
    for key in ("cfi_robust", "tli_robust", "rmsea_robust"):
        assert ours[key] == pytest.approx(ref["fit"][FIT_NAMES[key]], abs=1e-4), key


# -- the pipeline's CFA tables under WLSMV ---------------------------------------------------
CFA_FIT_NAMES = {"npar": "npar", "chisq": "chisq", "cfi": "cfi", "tli": "tli", "rmsea": "rmsea",
                 "chisq_scaled": "chisq.scaled", "scaling_factor": "chisq.scaling.factor",
                 "baseline_chisq": "baseline.chisq", "baseline_chisq_scaled": "baseline.chisq.scaled",
                 "cfi_scaled": "cfi.scaled", "tli_scaled": "tli.scaled", "rmsea_scaled": "rmsea.scaled",
                 "rmsea_scaled_ci_low": "rmsea.ci.lower.scaled", "rmsea_scaled_ci_high": "rmsea.ci.upper.scaled",
                 "srmr": "srmr", "n": "ntotal", "cfi_robust": "cfi.robust", "tli_robust": "tli.robust",
                 "rmsea_robust": "rmsea.robust", "rmsea_robust_ci_low": "rmsea.ci.lower.robust",
                 "rmsea_robust_ci_high": "rmsea.ci.upper.robust"}


def test_cfa_tables_under_wlsmv_carry_lavaans_numbers():
    """cfa.estimator: WLSMV: the cfa_fit row of the instrument's model, its loadings and
    thresholds as lavaan's cfa(..., ordered = TRUE) on the five-point items; listwise deletion
    counted; the one-factor model against it by lavTestLRT's scaled-and-shifted difference; the
    hints: the three largest modindices of residual covariances, with the residual polychoric
    correlations."""
    from servqual.cfa import cfa_tables

    ref = REFERENCE["five_point"]
    complete = pd.read_csv(DATA / "efa_bfi.csv").dropna()[ref["items"]]
    complete = complete.where(complete != 1, 2) - 1
    gap = complete.iloc[:3].assign(A1=np.nan)  # three respondents who skipped an item
    tables = cfa_tables(pd.concat([complete, gap]), {i: i[0] for i in ref["items"]}, estimator="WLSMV")
    fit = tables.fit.set_index("model")
    row = fit.loc["instrument"]
    assert (row["estimator"], row["missing_policy"], row["n_excluded"], row["status"]) == ("WLSMV", "listwise", 3, "ok")
    for ours, theirs in CFA_FIT_NAMES.items():
        tol = 1e-3 if "chisq" in ours else 1e-4
        assert row[ours] == pytest.approx(ref["fit"][theirs], abs=tol), ours
    assert row["shift_parameter"] == pytest.approx(ref["test"]["shift"], abs=1e-3)
    lrt = REFERENCE["five_point_lrt"]
    assert "satorra.2000" in lrt["method"] and fit.loc["one_factor", "delta_df"] == lrt["delta_df"] == 1
    assert fit.loc["one_factor", "delta_chisq_scaled"] == pytest.approx(lrt["delta_chisq"], abs=1e-3)
    assert fit.loc["one_factor", "p_difference"] == pytest.approx(lrt["pvalue"], abs=1e-4)
    mi = pd.DataFrame(ref["modindices"]).query("op == '~~'").nlargest(3, "mi")
    hints = tables.hints
    assert list(zip(hints["item_a"], hints["item_b"])) == list(zip(mi["lhs"], mi["rhs"]))
    assert hints["mi"].to_numpy(float) == pytest.approx(mi["mi"].to_numpy(), abs=1e-3)
    assert hints["sepc_all"].to_numpy(float) == pytest.approx(mi["sepc_all"].to_numpy(), abs=1e-4)
    assert hints["residual_r"].abs().between(1e-4, 0.2).all()
    lavaan = pd.DataFrame(ref["parameters"])
    loadings = tables.loadings.query("model == 'instrument'").merge(
        lavaan[lavaan["op"] == "=~"], left_on=["factor", "item"], right_on=["lhs", "rhs"], suffixes=("", "_lavaan"))
    assert len(loadings) == 10
    assert loadings["std_loading"].to_numpy() == pytest.approx(loadings["std"].to_numpy(), abs=1e-4)
    assert loadings["se"].to_numpy() == pytest.approx(loadings["std_se"].to_numpy(), abs=1e-4)
    thresholds = tables.parameters.query("model == 'instrument' and op == '|'")
    assert thresholds["estimate"].to_numpy() == pytest.approx(ref["thresholds"], abs=1e-10)
    r = tables.factor_correlations.query("model == 'instrument'").iloc[0]
    theirs = lavaan[(lavaan["lhs"] == "A") & (lavaan["op"] == "~~") & (lavaan["rhs"] == "N")].iloc[0]
    assert (r["r"], r["se"]) == pytest.approx((theirs["std"], theirs["std_se"]), abs=1e-4)


def test_wlsmv_refuses_scores_that_are_not_rating_categories():
    """Continuous scores under WLSMV: every model reports it in status and reason, nothing raises."""
    from servqual.cfa import WLSMV_MAX_CATEGORIES, cfa_tables

    rng = np.random.default_rng(2)
    x = pd.DataFrame(rng.standard_normal((300, 6)), columns=list("abcdef"))
    fit = cfa_tables(x, dict(zip(x.columns, "aaabbb")), estimator="WLSMV").fit
    assert (fit["status"] == "failed").all()
    assert fit["reason"].iloc[0] == (f"WLSMV treats answers as ordered categories, but these items have more than "
                                     f"{WLSMV_MAX_CATEGORIES} distinct values (scores, not ratings; use ML or MLR): "
                                     "['a', 'b', 'c', 'd', 'e', 'f']")


@pytest.mark.parametrize("language", ["en", "zh", "ko"])
def test_the_wave_report_names_the_dwls_score_tests_under_the_hints(tmp_path, language):
    """The misfit table of a WLSMV run: the hints with the note of the DWLS score tests."""
    from servqual.cfa import cfa_tables
    from servqual.i18n import Messages
    from servqual.wave_report import WaveContext, factor_section

    ref = REFERENCE["five_point"]
    complete = pd.read_csv(DATA / "efa_bfi.csv").dropna()[ref["items"]]
    tables = cfa_tables(complete.where(complete != 1, 2) - 1, {i: i[0] for i in ref["items"]}, estimator="WLSMV")
    named = {"cfa_fit": tables.fit, "cfa_loadings": tables.loadings, "cfa_hints": tables.hints}
    ctx = WaveContext(t=Messages(language), tables={k: t.assign(measure="perception") for k, t in named.items()},
                      dimensions={"A": "A", "N": "N"}, items={}, figures=tmp_path)
    text = factor_section(ctx)
    top = pd.DataFrame(ref["modindices"]).query("op == '~~'").nlargest(1, "mi").iloc[0]
    assert f"{top['lhs']} – {top['rhs']}" in text
    assert {"en": "DWLS chi-square (before scaling)", "zh": "DWLS 卡方（缩放前）",
            "ko": "DWLS 카이제곱(척도 조정 전)"}[language] in text
