"""Tests of servqual.cfa against lavaan 0.6-14 (R 4.2).

Reference numbers come from REFERENCE.md section 4 (Holzinger-Swineford) and from this R script,
run on the semopy copy of the Holzinger-Swineford data (``hs``) and on tests/data/cfa_sim4.csv
(``sim``, made by tests/data/cfa_sim4_generate.py: 400 simulated respondents, 16 items rated 1..7
in 4 dimensions of 4 items, with a cross-loading of y8 on F3 and a residual covariance of y13 and
y14 as misfit, 12 missing cells):

    library(lavaan)
    fm <- c("npar","chisq","df","pvalue","baseline.chisq","baseline.df","cfi","tli","rmsea",
            "rmsea.ci.lower","rmsea.ci.upper","rmsea.pvalue","srmr","logl","unrestricted.logl",
            "aic","bic")
    m3 <- "visual =~ x1+x2+x3\\ntextual =~ x4+x5+x6\\nspeed =~ x7+x8+x9"
    f3 <- cfa(m3, data = hs); fitMeasures(f3, fm); standardizedSolution(f3)
    lavInspect(f3, "r2"); modindices(f3, op = "~~"); residuals(f3, type = "cor")
    f1 <- cfa("g =~ x1+x2+x3+x4+x5+x6+x7+x8+x9", data = hs); fitMeasures(f1, fm); anova(f3, f1)
    f2 <- cfa(paste(m3, "\\nq =~ visual + textual + speed"), data = hs); standardizedSolution(f2)
    m4 <- "F1 =~ y1+y2+y3+y4\\nF2 =~ y5+y6+y7+y8\\nF3 =~ y9+y10+y11+y12\\nF4 =~ y13+y14+y15+y16"
    s4 <- cfa(m4, data = sim); fitMeasures(s4, fm); standardizedSolution(s4); nobs(s4)
    modindices(s4, op = "~~")
    s1 <- cfa(paste("G =~", paste(paste0("y", 1:16), collapse = "+")), data = sim)
    s2 <- cfa(paste(m4, "\\nQ =~ F1 + F2 + F3 + F4"), data = sim); standardizedSolution(s2)
    # HTMT by hand from the item correlations (Henseler et al. 2015):
    R <- cor(hs[, paste0("x", 1:9)])
    htmt <- function(R, a, b) { mono <- function(v) { r <- R[v, v]; mean(r[lower.tri(r)]) }
                                mean(R[a, b]) / sqrt(mono(a) * mono(b)) }
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from servqual import cfa

DATA = Path(__file__).parent / "data"
TOL = 1e-3

HS_DIMS = {f"x{i}": ["visual", "textual", "speed"][(i - 1) // 3] for i in range(1, 10)}
SIM_DIMS = {f"y{i}": f"F{(i - 1) // 4 + 1}" for i in range(1, 17)}


@pytest.fixture(scope="module")
def hs() -> pd.DataFrame:
    path = importlib.resources.files("semopy") / "examples/holzinger_swineford39_data.csv"
    return pd.read_csv(path, index_col=0)


@pytest.fixture(scope="module")
def hs_tables(hs) -> cfa.CFATables:
    return cfa.cfa_tables(hs, HS_DIMS)


@pytest.fixture(scope="module")
def sim() -> pd.DataFrame:
    return pd.read_csv(DATA / "cfa_sim4.csv")


@pytest.fixture(scope="module")
def sim_tables(sim) -> cfa.CFATables:
    return cfa.cfa_tables(sim, SIM_DIMS)


def fit_row(tables: cfa.CFATables, model: str) -> pd.Series:
    return tables.fit.set_index("model").loc[model]


def loadings(tables: cfa.CFATables, model: str) -> pd.DataFrame:
    return tables.loadings[tables.loadings["model"] == model].set_index(["factor", "item"])


# lavaan fitMeasures, Holzinger-Swineford three-factor model (REFERENCE.md section 4; 10 digits from R)
HS_FIT = dict(chisq=85.30552177, df=24, baseline_chisq=918.8515893, baseline_df=36, cfi=0.9305596518,
              tli=0.8958394777, rmsea=0.09212148451, rmsea_ci_low=0.07141849044,
              rmsea_ci_high=0.1136780168, rmsea_pclose=6.612367781e-04, srmr=0.06520505718,
              loglik=-3737.744927, aic=7517.489853, bic=7595.339169, npar=21, n=301)
HS_STD = {("visual", "x1"): (0.7718804204, 0.05497272867), ("visual", "x2"): (0.4236009920, 0.05961911656),
          ("visual", "x3"): (0.5811323239, 0.05513930816), ("textual", "x4"): (0.8515822224, 0.02254309495),
          ("textual", "x5"): (0.8550654464, 0.02234124968), ("textual", "x6"): (0.8380100739, 0.02335517803),
          ("speed", "x7"): (0.5695146840, 0.05315486767), ("speed", "x8"): (0.7230444328, 0.05053057757),
          ("speed", "x9"): (0.6650092188, 0.05109434015)}
HS_R2 = dict(x1=0.59579938, x2=0.17943780, x3=0.33771478, x4=0.72519228, x5=0.73113692,
             x6=0.70226088, x7=0.32434698, x8=0.52279325, x9=0.44223726)
HS_PHI = {("visual", "textual"): 0.4585093004, ("visual", "speed"): 0.4705345445,
          ("textual", "speed"): 0.2829847304}


@pytest.mark.parametrize("measure", list(HS_FIT))
def test_holzinger_swineford_fit_measures(hs_tables, measure):
    assert fit_row(hs_tables, "instrument")[measure] == pytest.approx(HS_FIT[measure], abs=TOL)


def test_holzinger_swineford_fit_measures_reference_md(hs_tables):
    row = fit_row(hs_tables, "instrument")
    published = dict(chisq=85.306, df=24, baseline_chisq=918.852, baseline_df=36, cfi=0.93056, tli=0.89584,
                     rmsea=0.0921, rmsea_ci_low=0.071, rmsea_ci_high=0.114, srmr=0.065,
                     loglik=-3737.745, aic=7517.490, bic=7595.339)
    for key, value in published.items():
        assert row[key] == pytest.approx(value, abs=TOL), key
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
    for key, value in dict(chisq=312.2641594, df=27, cfi=0.6768832238, tli=0.5691776318, rmsea=0.1873520611,
                           rmsea_ci_low=0.1689894018, rmsea_ci_high=0.2063060051, srmr=0.1431417488,
                           loglik=-3851.224245, aic=7738.448491, bic=7805.176476).items():
        assert one[key] == pytest.approx(value, abs=TOL), key
    # anova(f3, f1): Chisq diff 226.95864, Df diff 3
    assert one["delta_chisq"] == pytest.approx(226.95864, abs=TOL)
    assert one["delta_df"] == 3 and one["p_difference"] < 1e-40
    second = fit_row(hs_tables, "second_order")
    assert second["chisq"] == pytest.approx(85.30552177, abs=TOL)  # just-identified at the top
    assert second["df"] == 24 and pd.isna(second["p_difference"])
    top = loadings(hs_tables, "second_order").loc["service_quality"]
    for dim, (std, se, r2) in dict(visual=(0.8731501102, 0.11466394975, 0.76239111),
                                   textual=(0.5251222534, 0.07926502542, 0.27575338),
                                   speed=(0.5388937437, 0.08518641843, 0.29040647)).items():
        assert top.loc[dim, ["std_loading", "se", "r2"]].tolist() == pytest.approx([std, se, r2], abs=TOL)


def test_holzinger_swineford_modification_hints(hs_tables):
    hints = hs_tables.hints
    assert hints[["item_a", "item_b"]].apply(tuple, axis=1).tolist() == [("x7", "x8"), ("x8", "x9"), ("x2", "x7")]
    assert hints["mi"].tolist() == pytest.approx([34.1450894, 14.9463917, 8.9180222], abs=TOL)
    # residuals(f3, type = "cor")
    assert hints["residual_r"].tolist() == pytest.approx([0.0749735, -0.0318158, -0.189184], abs=TOL)
    assert hints["rank"].tolist() == [1, 2, 3]


def test_holzinger_swineford_validity(hs_tables):
    v = hs_tables.validity.set_index(["kind", "dimension_a", "dimension_b"])
    # HTMT computed in R from the item correlations (see module docstring)
    htmt_r = {("visual", "textual"): 0.4243230424, ("visual", "speed"): 0.4235418690,
              ("textual", "speed"): 0.2895678628}
    for (a, b), value in htmt_r.items():
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
    assert fl["criterion"] == pytest.approx(np.sqrt(np.mean(np.array([0.77188, 0.42360, 0.58113]) ** 2)), abs=TOL)
    assert fl["ok"]


# lavaan on tests/data/cfa_sim4.csv (listwise: nobs 388)
SIM_FIT = {
    "instrument": dict(npar=38, chisq=153.5559630, df=98, pvalue=2.872041574e-04, baseline_chisq=1455.547315,
                       cfi=0.9584021005, tli=0.9490637965, rmsea=0.03822402701, rmsea_ci_low=0.02606233613,
                       rmsea_ci_high=0.04951416158, rmsea_pclose=0.9573236883, srmr=0.04303316861,
                       loglik=-9932.460217, aic=19940.92043, bic=20091.43864),
    "one_factor": dict(npar=32, chisq=547.8296809, df=104, cfi=0.6676795528, tli=0.6165533301,
                       rmsea=0.1048758850, rmsea_ci_low=0.09631221250, rmsea_ci_high=0.1136153492,
                       srmr=0.08732266726, loglik=-10129.59708, aic=20323.19415, bic=20449.94632),
    "second_order": dict(npar=36, chisq=159.2973434, df=100, pvalue=1.507038182e-04, cfi=0.9556007168,
                         tli=0.9467208602, rmsea=0.03909324809, rmsea_ci_low=0.02724903891,
                         rmsea_ci_high=0.05018272522, rmsea_pclose=0.9469575747, srmr=0.04585793197,
                         loglik=-9935.330907, aic=19942.66181, bic=20085.25801),
}
SIM_STD = {"y1": (0.7780495330, 0.03621514943), "y2": (0.6469886736, 0.04028409468),
           "y3": (0.5602465092, 0.04388835035), "y4": (0.4525717973, 0.04845658581),
           "y5": (0.6910102196, 0.03557328317), "y6": (0.6896090032, 0.03564351439),
           "y7": (0.6038933025, 0.04005663631), "y8": (0.6534926180, 0.03748722795),
           "y9": (0.7508327130, 0.04115414503), "y10": (0.5792559678, 0.04549321205),
           "y11": (0.5148360517, 0.04786161857), "y12": (0.4261095902, 0.05115806308),
           "y13": (0.7340994062, 0.03876968224), "y14": (0.6961275926, 0.03978318941),
           "y15": (0.5301712823, 0.04596127146), "y16": (0.4529149929, 0.04914811517)}
SIM_PHI = {("F1", "F2"): 0.5704117739, ("F1", "F3"): 0.3854444946, ("F1", "F4"): 0.2698495130,
           ("F2", "F3"): 0.5364698774, ("F2", "F4"): 0.4786491376, ("F3", "F4"): 0.4426553944}


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
    assert top["std_loading"].tolist() == pytest.approx([0.6180666874, 0.8782882310, 0.6425598927, 0.5520269252], abs=TOL)
    assert top["se"].tolist() == pytest.approx([0.05642615549, 0.05476345107, 0.05818914748, 0.05876000853], abs=TOL)
    hints = sim_tables.hints
    assert hints[["item_a", "item_b"]].apply(tuple, axis=1).tolist() == [("y8", "y9"), ("y5", "y7"), ("y5", "y8")]
    assert hints["mi"].tolist() == pytest.approx([28.5820056, 14.0467212, 12.4925329], abs=TOL)


def test_simulated_model_comparison(sim_tables):
    fit = sim_tables.fit.set_index("model")
    assert fit.loc["second_order", "delta_chisq"] == pytest.approx(159.2973434 - 153.5559630, abs=TOL)
    assert fit.loc["second_order", "delta_df"] == 2
    assert fit.loc["second_order", "p_difference"] == pytest.approx(np.exp(-(159.2973434 - 153.5559630) / 2), abs=TOL)
    assert fit.loc["instrument", "verdict"] == "acceptable"  # TLI .949 < .95
    assert pd.isna(fit.loc["instrument", "delta_chisq"])


def test_fit_indices_clamps_cfi_but_not_tli():
    # lavaan on an earlier well-fitting draw: chisq 91.699 df 98, baseline 1306.910 / 120, N 400,
    # printed cfi 1.000, tli 1.007, rmsea 0.000, rmsea.ci.upper 0.023
    fi = cfa.fit_indices(91.699, 98, 1306.910, 120, 400)
    assert fi.cfi == 1.0
    assert fi.tli == pytest.approx(1.007, abs=TOL) and fi.tli > 1
    assert fi.rmsea == 0.0 and fi.rmsea_ci_low == 0.0
    assert fi.rmsea_ci_high == pytest.approx(0.023, abs=TOL)


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
    assert fit.loadings.set_index("item").loc["x1", "std_loading"] == pytest.approx(0.7718804204, abs=TOL)


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
    with pytest.raises(ValueError, match="not found in the data"):
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
