"""Tests of servqual.cfa against lavaan.

Reference numbers are read from tests/data/cfa_reference.json, written by
``Rscript tests/data/cfa_reference.R`` (R 4.2.2, lavaan 0.6-14): fitMeasures, standardizedSolution
and parameterEstimates (level .95), lavInspect(fit, "r2"), modindices(fit, op = "~~") and
residuals(fit, type = "cor") of the three-factor, one-factor and second-order models, each
optimised to the minimum (BFGS, reltol 1e-16), fitted to the Holzinger-Swineford data
(tests/data/holzinger_swineford.csv, lavaan's copy) and to tests/data/cfa_sim4.csv (made by
tests/data/cfa_sim4_generate.py: 400 simulated respondents, 16 items rated 1..7 in 4 dimensions
of 4 items, with a cross-loading of y8 on F3 and a residual covariance of y13 and y14 as misfit,
12 missing cells), plus HTMT computed in R from the item correlations. The script records each R
call.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from references import HS_DIMS, SIM_DIMS, reference

from servqual import cfa

TOL = 1e-3
#: Parameter estimates, SEs, z and intervals against lavaan's (relative); p values (absolute).
REL, P_ABS = 1e-6, 1e-6
REFERENCE = reference("cfa_reference")
HS_REF = REFERENCE["holzinger_swineford"]
SIM_REF = REFERENCE["simulated"]


#: Our fit-table columns by lavaan's fitMeasures names.
FIT_COLUMNS = {"npar": "npar", "chisq": "chisq", "df": "df", "pvalue": "pvalue",
               "baseline.chisq": "baseline_chisq", "baseline.df": "baseline_df", "cfi": "cfi",
               "tli": "tli", "rmsea": "rmsea", "rmsea.ci.lower": "rmsea_ci_low",
               "rmsea.ci.upper": "rmsea_ci_high", "rmsea.pvalue": "rmsea_pclose", "srmr": "srmr",
               "logl": "loglik", "aic": "aic", "bic": "bic", "ntotal": "n"}


def lavaan_fit(model: dict) -> dict[str, float]:
    """lavaan's fit measures of one model under our column names."""
    return {ours: model["fit"][theirs] for theirs, ours in FIT_COLUMNS.items()}


def lavaan_standardized(rows: dict) -> dict[tuple[str, str], tuple[float, float]]:
    """Std.all estimate and its SE by (lhs, rhs) from standardizedSolution rows."""
    return {(a, b): (est, se) for a, b, est, se in zip(rows["lhs"], rows["rhs"], rows["est"], rows["se"])}


#: lavaan's factor names in the reference models -> ours.
LAVAAN_FACTORS = {"g": cfa.ONE_FACTOR_NAME, "G": cfa.ONE_FACTOR_NAME, "q": cfa.SECOND_ORDER_NAME,
                  "Q": cfa.SECOND_ORDER_NAME}


def lavaan_rows(rows: dict) -> pd.DataFrame:
    """parameterEstimates or standardizedSolution rows indexed by (factor, item) under our names."""
    table = pd.DataFrame(rows).astype({c: float for c in ("est", "se", "z", "pvalue", "ci_lower", "ci_upper")})
    table["lhs"] = table["lhs"].replace(LAVAAN_FACTORS)
    return table.rename(columns={"lhs": "factor", "rhs": "item"}).set_index(["factor", "item"])


def lavaan_hints(model: dict, top: int = 3) -> pd.DataFrame:
    """The largest residual-covariance modification indices, as lavaan sorts them."""
    return pd.DataFrame(model["hints"]).head(top)


@pytest.fixture(scope="module")
def hs_tables(hs) -> cfa.CFATables:
    return cfa.cfa_tables(hs, HS_DIMS)


@pytest.fixture(scope="module")
def sim_tables(sim) -> cfa.CFATables:
    return cfa.cfa_tables(sim, SIM_DIMS)


def fit_row(tables: cfa.CFATables, model: str) -> pd.Series:
    return tables.fit.set_index("model").loc[model]


def loadings(tables: cfa.CFATables, model: str) -> pd.DataFrame:
    return tables.loadings[tables.loadings["model"] == model].set_index(["factor", "item"])


# Holzinger-Swineford three-factor model
HS_FIT = lavaan_fit(HS_REF["instrument"])
HS_STD = lavaan_standardized(HS_REF["instrument"]["loadings"])
HS_R2 = HS_REF["instrument"]["r2"]
HS_PHI = {pair: est for pair, (est, _) in lavaan_standardized(HS_REF["instrument"]["covariances"]).items()}


@pytest.mark.parametrize("measure", list(HS_FIT))
def test_holzinger_swineford_fit_measures(hs_tables, measure):
    assert fit_row(hs_tables, "instrument")[measure] == pytest.approx(HS_FIT[measure], abs=TOL)


def test_holzinger_swineford_fit_status_and_verdict(hs_tables):
    row = fit_row(hs_tables, "instrument")
    assert row["status"] == "ok" and row["converged"]
    assert row["verdict"] == "poor"  # TLI .896 < .90 and RMSEA .092 > .08


def test_holzinger_swineford_standardized_loadings_se_and_r2(hs_tables):
    table = loadings(hs_tables, "instrument")
    for key, (std, se) in HS_STD.items():
        assert table.loc[key, "std_loading"] == pytest.approx(std, abs=TOL)
        assert table.loc[key, "se"] == pytest.approx(se, abs=TOL)
        assert table.loc[key, "r2"] == pytest.approx(HS_R2[key[1]], abs=TOL)


def test_holzinger_swineford_factor_correlations(hs_tables):
    phi = hs_tables.results["instrument"].factor_correlations
    for (a, b), value in HS_PHI.items():
        assert phi.loc[a, b] == pytest.approx(value, abs=TOL)
        assert phi.loc[b, a] == pytest.approx(value, abs=TOL)


def test_holzinger_swineford_alternative_models(hs_tables):
    one = fit_row(hs_tables, "one_factor")
    for key, value in lavaan_fit(HS_REF["one_factor"]).items():
        assert one[key] == pytest.approx(value, abs=TOL), key
    comparison = HS_REF["one_factor"]["anova"]  # anova(f3, f1)
    assert one["delta_chisq"] == pytest.approx(comparison["chisq_diff"], abs=TOL)
    assert one["delta_df"] == comparison["df_diff"] == 3 and one["p_difference"] < 1e-40
    second = fit_row(hs_tables, "second_order")
    second_ref = HS_REF["second_order"]
    assert second["chisq"] == pytest.approx(second_ref["fit"]["chisq"], abs=TOL)  # just-identified at the top
    assert second["df"] == second_ref["fit"]["df"] == 24 and pd.isna(second["p_difference"])
    top = loadings(hs_tables, "second_order").loc["service_quality"]
    for (factor, dim), (std, se) in lavaan_standardized(second_ref["loadings"]).items():
        if factor == "q":
            expected = [std, se, second_ref["r2"][dim]]
            assert top.loc[dim, ["std_loading", "se", "r2"]].tolist() == pytest.approx(expected, abs=TOL)


def test_holzinger_swineford_modification_hints(hs_tables):
    hints, expected = hs_tables.hints, lavaan_hints(HS_REF["instrument"])
    assert hints[["item_a", "item_b"]].apply(tuple, axis=1).tolist() == list(zip(expected["lhs"], expected["rhs"]))
    assert hints["mi"].tolist() == pytest.approx(expected["mi"].tolist(), abs=TOL)
    assert hints["residual_r"].tolist() == pytest.approx(expected["residual_r"].tolist(), abs=TOL)
    assert hints["rank"].tolist() == [1, 2, 3]


def test_holzinger_swineford_validity(hs_tables):
    v = hs_tables.validity.set_index(["kind", "dimension_a", "dimension_b"])
    htmt_r = HS_REF["htmt"]  # computed in R from the item correlations
    for a, b, value in zip(htmt_r["a"], htmt_r["b"], htmt_r["value"]):
        assert v.loc[("htmt", a, b), "value"] == pytest.approx(value, abs=1e-6)
        assert v.loc[("htmt", a, b), "ok"]
    # CR and AVE from lavaan's Std.all loadings
    for dim in ("visual", "textual", "speed"):
        lam = np.array([std for (f, _), (std, _) in HS_STD.items() if f == dim])
        cr = lam.sum() ** 2 / (lam.sum() ** 2 + (1 - lam**2).sum())
        ave = np.mean(lam**2)
        assert v.xs(("cr", dim), level=[0, 1])["value"].iloc[0] == pytest.approx(cr, abs=TOL)
        assert v.xs(("ave", dim), level=[0, 1])["value"].iloc[0] == pytest.approx(ave, abs=TOL)
        assert v.loc[("fornell_larcker", dim, dim), "value"] == pytest.approx(np.sqrt(ave), abs=TOL)
    assert v.xs(("cr", "textual"), level=[0, 1])["ok"].iloc[0]
    assert not v.xs(("ave", "visual"), level=[0, 1])["ok"].iloc[0]  # AVE .371
    fl = v.loc[("fornell_larcker", "visual", "speed")]
    assert fl["value"] == pytest.approx(HS_PHI[("visual", "speed")], abs=TOL)
    visual = np.array([std for (f, _), (std, _) in HS_STD.items() if f == "visual"])
    assert fl["criterion"] == pytest.approx(np.sqrt(np.mean(visual**2)), abs=TOL)
    assert fl["ok"]


# lavaan on tests/data/cfa_sim4.csv (listwise: nobs 388)
SIM_FIT = {model: lavaan_fit(SIM_REF[model]) for model in ("instrument", "one_factor", "second_order")}
SIM_STD = {item: value for (_, item), value in lavaan_standardized(SIM_REF["instrument"]["loadings"]).items()}
SIM_PHI = {pair: est for pair, (est, _) in lavaan_standardized(SIM_REF["instrument"]["covariances"]).items()}


@pytest.mark.parametrize("model", list(SIM_FIT))
def test_simulated_four_factor_fit_measures(sim_tables, model):
    row = fit_row(sim_tables, model)
    assert row["n"] == 388 and row["status"] == "ok"
    for key, value in SIM_FIT[model].items():
        assert row[key] == pytest.approx(value, abs=TOL), key


def test_simulated_four_factor_solution(sim_tables):
    table = loadings(sim_tables, "instrument")
    for item, (std, se) in SIM_STD.items():
        assert table.loc[(SIM_DIMS[item], item), ["std_loading", "se"]].tolist() == pytest.approx([std, se], abs=TOL)
    phi = sim_tables.results["instrument"].factor_correlations
    for (a, b), value in SIM_PHI.items():
        assert phi.loc[a, b] == pytest.approx(value, abs=TOL)
    top = loadings(sim_tables, "second_order").loc["service_quality"]
    # standardizedSolution(s2), Q =~ F1..F4
    second = [value for (factor, _), value in lavaan_standardized(SIM_REF["second_order"]["loadings"]).items()
              if factor == "Q"]
    assert top["std_loading"].tolist() == pytest.approx([std for std, _ in second], abs=TOL)
    assert top["se"].tolist() == pytest.approx([se for _, se in second], abs=TOL)
    hints, expected = sim_tables.hints, lavaan_hints(SIM_REF["instrument"])
    assert hints[["item_a", "item_b"]].apply(tuple, axis=1).tolist() == list(zip(expected["lhs"], expected["rhs"]))
    assert hints["mi"].tolist() == pytest.approx(expected["mi"].tolist(), abs=TOL)


def test_simulated_model_comparison(sim_tables):
    fit = sim_tables.fit.set_index("model")
    difference = SIM_FIT["second_order"]["chisq"] - SIM_FIT["instrument"]["chisq"]
    assert fit.loc["second_order", "delta_chisq"] == pytest.approx(difference, abs=TOL)
    assert fit.loc["second_order", "delta_df"] == 2
    assert fit.loc["second_order", "p_difference"] == pytest.approx(np.exp(-difference / 2), abs=TOL)
    assert fit.loc["instrument", "verdict"] == "acceptable"  # TLI .949 < .95
    assert pd.isna(fit.loc["instrument", "delta_chisq"])


def test_fit_indices_clamps_cfi_but_not_tli():
    # lavaan's own index functions on a well-fitting model's chi-squares (chisq below df)
    good = REFERENCE["fit_indices_good_fit"]
    fi = cfa.fit_indices(good["chisq"], good["df"], good["baseline_chisq"], good["baseline_df"], good["n"])
    assert fi.cfi == good["cfi"] == 1.0
    assert fi.tli == pytest.approx(good["tli"], abs=TOL) and fi.tli > 1
    assert fi.rmsea == good["rmsea"] == 0.0 and fi.rmsea_ci_low == good["rmsea.ci.lower"] == 0.0
    assert fi.rmsea_ci_high == pytest.approx(good["rmsea.ci.upper"], abs=TOL)


def test_fit_is_computed_from_the_covariance_matrix(hs):
    """Doubling every respondent doubles chi-square and leaves the estimates unchanged."""
    single = cfa.fit_cfa(hs, HS_DIMS)
    double = cfa.fit_cfa(pd.concat([hs, hs]), HS_DIMS)
    assert double.n == 2 * single.n
    assert double.indices.chisq == pytest.approx(2 * single.indices.chisq, rel=1e-5)
    assert double.loadings["std_loading"].to_numpy() == pytest.approx(single.loadings["std_loading"].to_numpy(), abs=1e-5)


def test_marker_choice_does_not_change_fit(hs):
    reordered = {k: HS_DIMS[k] for k in ["x2", "x1", "x3", "x6", "x5", "x4", "x9", "x8", "x7"]}
    fit = cfa.fit_cfa(hs, reordered)
    assert fit.indices.chisq == pytest.approx(HS_FIT["chisq"], abs=TOL)
    x1 = fit.loadings.set_index("item").loc["x1", "std_loading"]
    assert x1 == pytest.approx(HS_STD[("visual", "x1")][0], abs=TOL)


def heywood_data(seed: int = 3) -> pd.DataFrame:
    """Item a correlates .9 with b and c, which correlate .65: lambda_a^2 = .81 / .65 > 1."""
    r = np.eye(6)
    r[0, 1] = r[0, 2] = 0.9
    r[1, 2] = 0.65
    r[3, 4] = r[3, 5] = r[4, 5] = 0.49
    r[np.ix_([0, 1, 2], [3, 4, 5])] = 0.2
    r = np.triu(r) + np.triu(r, 1).T
    rng = np.random.default_rng(seed)
    return pd.DataFrame(rng.multivariate_normal(np.zeros(6), r, 300), columns=list("abcdef"))


HEY_DIMS = dict(a="A", b="A", c="A", d="B", e="B", f="B")


def test_heywood_case_reports_status():
    fit = cfa.fit_cfa(heywood_data(), HEY_DIMS)
    assert fit.status == "heywood"
    assert "residual variance of a" in fit.reason
    assert fit.verdict == "not assessed"
    assert np.isfinite(fit.indices.chisq)


def test_latent_correlation_above_one_is_named_not_a_heywood_case():
    """Two dimensions measuring one factor (every item loads .7 on it): the estimated latent
    correlation passes 1 in this sample, with every residual variance proper."""
    rng = np.random.default_rng(2)
    common = rng.standard_normal((300, 1))
    data = pd.DataFrame(0.7 * common + np.sqrt(0.51) * rng.standard_normal((300, 6)), columns=list("abcdef"))
    fit = cfa.fit_cfa(data, HEY_DIMS)
    assert fit.status == "latent_correlation"
    assert fit.reason == ("improper solution: latent correlation of 0.99 or more, the dimensions are not distinct: "
                          "A and B (r = 1.023)")


def test_singular_covariance_reports_status():
    data = heywood_data().assign(g=lambda d: d["a"] + d["d"])
    fit = cfa.fit_cfa(data, dict(HEY_DIMS, g="B"))
    assert fit.status == "not_positive_definite" and fit.indices is None
    few = cfa.fit_cfa(heywood_data().iloc[:5], HEY_DIMS)
    assert few.status == "not_positive_definite" and "5 complete cases" in few.reason


def test_unidentified_model_completes_the_tables():
    tables = cfa.cfa_tables(heywood_data(), dict(a="A", b="A", c="A", d="B"))
    fit = tables.fit.set_index("model")
    assert fit.loc["instrument", "status"] == "not_identified"
    assert "['B']" in fit.loc["instrument", "reason"]
    assert fit.loc["one_factor", "status"] == "heywood"
    assert tables.validity.empty and tables.hints.empty


def test_listwise_deletion(hs):
    data = hs.copy()
    data.loc[data.index[:10], "x1"] = np.nan
    assert cfa.fit_cfa(data, HS_DIMS).n == 291


def test_bad_input_raises_a_clear_error(hs):
    with pytest.raises(ValueError, match="lacks items of the dimension mapping"):
        cfa.fit_cfa(hs, dict(HS_DIMS, x99="speed"))
    with pytest.raises(ValueError, match="model must be one of"):
        cfa.fit_cfa(hs, HS_DIMS, model="bifactor")


def test_fit_verdict_cutoffs():
    assert cfa.fit_verdict(0.96, 0.95, 0.05, 0.04) == "good"
    assert cfa.fit_verdict(0.96, 0.95, 0.07, 0.04) == "acceptable"
    assert cfa.fit_verdict(0.96, 0.95, 0.05, 0.09) == "poor"
    assert cfa.fit_verdict(np.nan, 0.95, 0.05, 0.04) == "not assessed"


def test_fit_indices_of_a_saturated_model():
    fi = cfa.fit_indices(0.0, 0, 918.852, 36, 301)
    assert (fi.cfi, fi.tli, fi.rmsea, fi.rmsea_ci_low, fi.rmsea_ci_high) == (1.0, 1.0, 0.0, 0.0, 0.0)
    assert np.isnan(fi.pvalue) and np.isnan(fi.rmsea_pclose)


# Unstandardized loadings (parameterEstimates), standardized intervals (standardizedSolution) and
# factor correlations with their tests, against lavaan to 1e-6

PARAMETER_CASES = [(data, model) for data in ("holzinger_swineford", "simulated")
                   for model in ("instrument", "one_factor", "second_order")]


@pytest.fixture(scope="module")
def both_tables(hs_tables, sim_tables) -> dict[str, cfa.CFATables]:
    return {"holzinger_swineford": hs_tables, "simulated": sim_tables}


@pytest.mark.parametrize(("data", "model"), PARAMETER_CASES)
def test_unstandardized_loadings_match_lavaan_parameter_estimates(both_tables, data, model):
    table = loadings(both_tables[data], model)
    expected = lavaan_rows(REFERENCE[data][model]["estimates"])
    assert sorted(table.index) == sorted(expected.index)
    ours = table.loc[expected.index]
    assert ours["estimate"].tolist() == pytest.approx(expected["est"].tolist(), rel=REL)
    free = expected["se"] > 0  # lavaan gives a marker loading (fixed to 1) se 0 and no z or p
    assert free.sum() == len(expected) - (expected.index.get_level_values("factor").nunique())
    mine, theirs = ours[free.to_numpy()], expected[free]
    for column, lavaan_column in (("estimate_se", "se"), ("z", "z"), ("ci_low", "ci_lower"), ("ci_high", "ci_upper")):
        assert mine[column].tolist() == pytest.approx(theirs[lavaan_column].tolist(), rel=REL), column
    assert mine["pvalue"].tolist() == pytest.approx(theirs["pvalue"].tolist(), abs=P_ABS)
    markers = ours[~free.to_numpy()]
    assert (markers["estimate"] == 1).all()
    assert markers[["estimate_se", "z", "pvalue", "ci_low", "ci_high"]].isna().all().all()
    assert (ours["confidence"] == 0.95).all()


@pytest.mark.parametrize(("data", "model"), PARAMETER_CASES)
def test_standardized_loading_intervals_match_lavaan(both_tables, data, model):
    ours = loadings(both_tables[data], model)
    expected = lavaan_rows(REFERENCE[data][model]["loadings"])
    ours = ours.loc[expected.index]
    for column, lavaan_column in (("std_ci_low", "ci_lower"), ("std_ci_high", "ci_upper")):
        assert ours[column].tolist() == pytest.approx(expected[lavaan_column].tolist(), rel=REL), column


@pytest.mark.parametrize("data", ["holzinger_swineford", "simulated"])
def test_factor_correlations_match_lavaan_standardized_covariances(both_tables, data):
    table = both_tables[data].factor_correlations
    assert list(table.columns) == cfa.CORRELATION_COLUMNS
    assert set(table["model"]) == {"instrument"}  # no free factor covariance in the other models
    expected = lavaan_rows(REFERENCE[data]["instrument"]["covariances"])
    ours = table.set_index(["factor_a", "factor_b"])
    assert list(ours.index) == [tuple(i) for i in expected.index]
    for column, lavaan_column in (("r", "est"), ("se", "se"), ("z", "z"), ("ci_low", "ci_lower"), ("ci_high", "ci_upper")):
        assert ours[column].tolist() == pytest.approx(expected[lavaan_column].tolist(), rel=REL), column
    assert ours["pvalue"].tolist() == pytest.approx(expected["pvalue"].tolist(), abs=P_ABS)
    assert (ours["confidence"] == 0.95).all()
    empty = REFERENCE[data]["second_order"]["covariances"]["lhs"]
    assert empty == []  # lavaan's second-order model has no factor covariance either


def test_intervals_follow_the_confidence_level(hs):
    result = cfa.fit_cfa(hs, HS_DIMS)
    wide, narrow = cfa.standardized_loadings(result), cfa.standardized_loadings(result, confidence=0.90)
    z90 = 1.6448536269514722  # qnorm(.95)
    free = narrow["estimate_se"].notna()
    assert (narrow["confidence"] == 0.90).all()
    assert narrow.loc[free, "ci_high"].tolist() == pytest.approx(
        (narrow["estimate"] + z90 * narrow["estimate_se"])[free].tolist(), rel=1e-12)
    assert narrow["std_ci_low"].tolist() == pytest.approx((narrow["std_loading"] - z90 * narrow["se"]).tolist(), rel=1e-12)
    assert (narrow.loc[free, "ci_low"] > wide.loc[free, "ci_low"]).all()
    assert narrow[["z", "pvalue"]].equals(wide[["z", "pvalue"]])
    phi = cfa.factor_correlation_table(result, confidence=0.90)
    assert phi["ci_low"].tolist() == pytest.approx((phi["r"] - z90 * phi["se"]).tolist(), rel=1e-12)
    assert cfa.cfa_tables(hs, HS_DIMS, confidence=0.90).factor_correlations["ci_low"].tolist() == phi["ci_low"].tolist()
    with pytest.raises(ValueError, match="confidence level between 0 and 1"):
        cfa.factor_correlation_table(result, confidence=95)


def test_a_model_not_fitted_gives_empty_parameter_tables():
    tables = cfa.cfa_tables(heywood_data(), {"a": "A", "b": "A", "c": "A", "d": "B"})
    assert tables.factor_correlations.empty and list(tables.factor_correlations.columns) == cfa.CORRELATION_COLUMNS
    assert list(tables.loadings.columns) == cfa.LOADING_COLUMNS
    assert set(tables.loadings["model"]) == {"one_factor"}  # the instrument's model was not identified


# Every parameter (cfa_parameters) against lavaan's parameterEstimates and standardizedSolution

@pytest.mark.parametrize(("data", "model"), PARAMETER_CASES)
def test_every_parameter_matches_lavaan(both_tables, data, model):
    table = both_tables[data].parameters
    assert list(table.columns) == cfa.PARAMETERS_COLUMNS
    ours = table[table["model"] == model]
    expected = pd.DataFrame(REFERENCE[data][model]["parameters"])
    expected[["lhs", "rhs"]] = expected[["lhs", "rhs"]].replace(LAVAAN_FACTORS)
    key = ["lhs", "op", "rhs"]
    assert sorted(map(tuple, ours[key].to_numpy())) == sorted(map(tuple, expected[key].to_numpy()))
    merged = ours.merge(expected.rename(columns=lambda c: c if c in key else f"lavaan_{c}"), on=key)
    assert merged["estimate"].tolist() == pytest.approx(merged["lavaan_est"].tolist(), rel=REL)
    free = merged["free"].to_numpy(bool)
    fixed = merged[~free]  # marker loadings: lavaan's se 0, no test
    assert (fixed["lavaan_se"] == 0).all() and fixed[["se", "z", "pvalue", "ci_low", "ci_high"]].isna().all().all()
    for mine, theirs in (("se", "se"), ("z", "z"), ("ci_low", "ci_lower"), ("ci_high", "ci_upper"),
                         ("std_all", "std"), ("std_se", "std_se"), ("std_z", "std_z"),
                         ("std_ci_low", "std_ci_lower"), ("std_ci_high", "std_ci_upper")):
        rows = merged[free] if mine in ("se", "z", "ci_low", "ci_high") else merged[merged["lavaan_std_se"] > 0]
        assert rows[mine].tolist() == pytest.approx(rows[f"lavaan_{theirs}"].astype(float).tolist(), rel=REL), mine
    for mine, theirs in (("pvalue", "pvalue"), ("std_pvalue", "std_pvalue")):
        rows = merged[merged[f"lavaan_{theirs}"].notna()]
        assert rows[mine].tolist() == pytest.approx(rows[f"lavaan_{theirs}"].astype(float).tolist(), abs=P_ABS), mine
    variances = merged[(merged["op"] == "~~") & (merged["lhs"] == merged["rhs"])]
    r2 = REFERENCE[data][model]["r2"]
    explained = variances[variances["lhs"].isin(list(r2))]
    assert explained["r2"].tolist() == pytest.approx([r2[v] for v in explained["lhs"]], rel=REL)
    assert explained.shape[0] == len(r2)


def test_report_shows_the_scaled_statistics_of_a_wlsmv_row():
    """A WLSMV row of cfa_fit shows the scaled-and-shifted chi-square and its indices (lavaan's
    *.scaled) where the report's columns stand, with the WLSMV note; ML and MLR rows as before."""
    from servqual.report_context import fit_note, show_robust

    fit = pd.DataFrame({"estimator": ["WLSMV"], "chisq": [250.0], "pvalue": [0.0], "cfi": [0.97], "tli": [0.96],
                        "rmsea": [0.08], "rmsea_ci_low": [0.07], "rmsea_ci_high": [0.09], "chisq_scaled": [290.0],
                        "pvalue_scaled": [0.001], "cfi_scaled": [0.95], "tli_scaled": [0.93], "rmsea_scaled": [0.09],
                        "rmsea_scaled_ci_low": [0.08], "rmsea_scaled_ci_high": [0.10], "cfi_robust": [np.nan],
                        "tli_robust": [np.nan], "rmsea_robust": [np.nan], "rmsea_robust_ci_low": [np.nan],
                        "rmsea_robust_ci_high": [np.nan]})
    shown, mlr = show_robust(fit)
    assert not mlr and fit_note(fit) == "cfa_fit_wlsmv"
    assert shown[["chisq", "pvalue", "cfi", "tli", "rmsea", "rmsea_ci_low", "rmsea_ci_high"]].iloc[0].tolist() == \
        [290.0, 0.001, 0.95, 0.93, 0.09, 0.08, 0.10]
    assert fit_note(fit.assign(estimator="MLR")) == "cfa_fit_mlr" and fit_note(fit.assign(estimator="ML")) == "cfa_fit"
