"""Multi-group WLSMV (servqual.sem.wlsmv_groups) against lavaan.

Reference numbers from tests/data/ordinal_invariance_reference.json, written by
``Rscript tests/data/ordinal_invariance_reference.R`` (lavaan 0.6-14): the ten A and N items of
the complete cases of tests/data/efa_bfi.csv collapsed to five points, in two groups (the first
and the second half of the rows); cfa(..., ordered = TRUE, group =) at the configural level, with
group.equal = "loadings" and with c("thresholds", "loadings"); lavTestLRT of the three;
lavTestScore's univariate tests of the metric and scalar models, and the scalar model with the
thresholds of the item with the largest threshold test released (group.partial). Strict invariance
with parameterization = "theta" (its scalar and strict models and their lavTestLRT).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from servqual.sem.fit import fit_indices
from servqual.sem.ordinal import ordinal_stats
from servqual.sem.wlsmv_groups import (
    fit_wlsmv_groups,
    wlsmv_difference,
    wlsmv_group_robust_indices,
    wlsmv_score_tests,
)

DATA = Path(__file__).parent / "data"
REFERENCE = json.loads((DATA / "ordinal_invariance_reference.json").read_text())
STRICT = REFERENCE["theta"]
LEVELS = {"configural": (), "metric": ("loadings",), "scalar": ("loadings", "thresholds")}
FACTOR_OF_ITEM = [0] * 5 + [1] * 5


@pytest.fixture(scope="module")
def stats():
    data = pd.read_csv(DATA / "efa_bfi.csv").dropna()[REFERENCE["items"]]
    data = data.where(data != 1, 2) - 1
    half = len(data) // 2
    assert (half, len(data) - half) == (REFERENCE["n_first"], REFERENCE["n_second"])
    return [ordinal_stats(part.to_numpy(float)) for part in (data.iloc[:half], data.iloc[half:])]


@pytest.fixture(scope="module")
def fits(stats):
    return {level: fit_wlsmv_groups(FACTOR_OF_ITEM, 2, stats, equal) for level, equal in LEVELS.items()}


@pytest.mark.parametrize("level", LEVELS)
def test_fit_of_each_level_matches_lavaan(fits, level):
    """The issue's tolerances: chi-square to 1e-3, fit indices to 1e-4 (RMSEA with N - G and
    sqrt(G), as lavaan's categorical multi-group RMSEA)."""
    fit, ref = fits[level], REFERENCE["levels"][level]
    n = ref["fit"]["ntotal"]
    assert fit.converged and fit.test.df == ref["fit"]["df"]
    scaled = fit_indices(fit.test.chisq_scaled, fit.test.df, fit.baseline.chisq_scaled, fit.baseline.df, n - 2, 2)
    plain = fit_indices(fit.test.chisq, fit.test.df, fit.baseline.chisq, fit.baseline.df, n - 2, 2)
    ours = {"chisq": fit.test.chisq, "chisq.scaled": fit.test.chisq_scaled, "baseline.chisq": fit.baseline.chisq,
            "baseline.chisq.scaled": fit.baseline.chisq_scaled, "chisq.scaling.factor": fit.test.scaling_factor,
            "cfi": plain.cfi, "tli": plain.tli, "rmsea": plain.rmsea, "cfi.scaled": scaled.cfi,
            "tli.scaled": scaled.tli, "rmsea.scaled": scaled.rmsea, "rmsea.ci.lower.scaled": scaled.rmsea_ci_low,
            "rmsea.ci.upper.scaled": scaled.rmsea_ci_high}
    for key, value in ours.items():
        assert value == pytest.approx(ref["fit"][key], abs=1e-3 if "chisq" in key else 1e-4), key
    assert fit.test.shift == pytest.approx(ref["test"]["shift"], abs=1e-3)


@pytest.mark.parametrize("level", LEVELS)
def test_robust_indices_of_each_level_match_lavaan(fits, stats, level):
    """cfi.robust, tli.robust, rmsea.robust with its interval and p-close (Savalei 2021) to 1e-4;
    NA in lavaan at the scalar level (equal thresholds), NaN here."""
    ref = REFERENCE["levels"][level]["fit"]
    robust = wlsmv_group_robust_indices(fits[level], stats)
    ours = {"cfi.robust": robust.cfi, "tli.robust": robust.tli, "rmsea.robust": robust.rmsea,
            "rmsea.ci.lower.robust": robust.rmsea_ci_low, "rmsea.ci.upper.robust": robust.rmsea_ci_high,
            "rmsea.pvalue.robust": robust.rmsea_pclose}
    for key, value in ours.items():
        if ref[key] == "NA":
            assert np.isnan(value), key
        else:
            assert value == pytest.approx(ref[key], abs=1e-4), key
    assert (ref["cfi.robust"] == "NA") == (level == "scalar")


@pytest.mark.parametrize("level", LEVELS)
def test_estimates_and_robust_ses_match_lavaan(fits, level):
    """Loadings, thresholds, factor (co)variances, and under scalar invariance the second group's
    latent means and scaling factors, with their robust SEs, to 1e-4."""
    _assert_estimates(fits[level], REFERENCE["levels"][level]["parameters"])


def _assert_estimates(fit, parameters):
    table = pd.DataFrame(parameters)
    se = np.sqrt(np.diag(fit.vcov))
    for g in range(2):
        rows = table[table["group"] == g + 1]
        lam = fit.values["lam"][g][np.arange(10), FACTOR_OF_ITEM]
        assert lam == pytest.approx(rows.loc[rows["op"] == "=~", "est"].to_numpy(), abs=1e-4)
        assert fit.values["tau"][g] == pytest.approx(rows.loc[rows["op"] == "|", "est"].to_numpy(), abs=1e-4)
        psi = fit.values["psi"][g]
        factors = rows[(rows["op"] == "~~") & rows["lhs"].isin(["A", "N"])].set_index(["lhs", "rhs"])
        assert [psi[0, 0], psi[1, 1], psi[0, 1]] == pytest.approx(
            factors.loc[[("A", "A"), ("N", "N"), ("A", "N")], "est"].to_numpy(), abs=1e-4)
        assert fit.values["delta"][g] == pytest.approx(rows.loc[rows["op"] == "~*~", "est"].to_numpy(), abs=1e-4)
        assert fit.values["alpha"][g] == pytest.approx(
            rows.loc[(rows["op"] == "~1") & rows["lhs"].isin(["A", "N"]), "est"].to_numpy(), abs=1e-4)
    # every free parameter's SE is among lavaan's (equal parameters once per group there)
    theirs = np.sort(table.loc[table["se"] > 0, "se"].round(4).unique())
    assert np.isin(np.round(se, 4), theirs).all()


@pytest.mark.parametrize("level", ["metric", "scalar"])
def test_score_tests_match_lavtestscore(fits, level):
    """lavTestScore(fit)$uni of every loading and threshold constraint (8 and 48) to 1e-3,
    each constraint named through lavaan's parameter table."""
    ref = REFERENCE["score_tests"][level]
    table = pd.DataFrame(ref["table"]).set_index("plabel")
    theirs = {}
    for rhs, x2 in zip(ref["rhs"], ref["X2"]):
        lhs, op, name, group = table.loc[rhs, ["lhs", "op", "rhs", "group"]]
        key = ("loadings", REFERENCE["items"].index(name), 0) if op == "=~" else (
            "thresholds", REFERENCE["items"].index(lhs), int(name[1:]))
        theirs[key] = (x2, group - 1)
    ours = wlsmv_score_tests(fits[level])
    assert len(ours) == len(theirs) == {"metric": 8, "scalar": 48}[level]
    for row in ours.itertuples():
        x2, group = theirs[(row.constraint, row.item, row.threshold)]
        assert row.group == group and row.df == 1
        assert row.chisq == pytest.approx(x2, abs=1e-3)


def test_partial_scalar_refit_matches_lavaan(stats):
    """The scalar model with the thresholds of the item with the largest threshold test released
    (lavaan's group.partial): its scaled chi-square to 1e-3, estimates and SEs to 1e-4."""
    ref = REFERENCE["partial"]
    tests = wlsmv_score_tests(fit_wlsmv_groups(FACTOR_OF_ITEM, 2, stats, LEVELS["scalar"]))
    thresholds = tests[tests["constraint"] == "thresholds"]
    item = int(thresholds.loc[thresholds["chisq"].idxmax(), "item"])
    assert REFERENCE["items"][item] == ref["item"]
    fit = fit_wlsmv_groups(FACTOR_OF_ITEM, 2, stats, LEVELS["scalar"], {("thresholds", item)})
    assert fit.converged and fit.test.df == ref["fit"]["df"]
    assert fit.test.chisq == pytest.approx(ref["fit"]["chisq"], abs=1e-3)
    assert fit.test.chisq_scaled == pytest.approx(ref["fit"]["chisq.scaled"], abs=1e-3)
    _assert_estimates(fit, ref["parameters"])
    # its loading released as well: the item's scale factor is then fixed to 1 (lavaan with
    # "A4 ~*~ c(1, 1)*A4"), the same fit on the same df, as the product of loading and scale was free
    both = fit_wlsmv_groups(FACTOR_OF_ITEM, 2, stats, LEVELS["scalar"], {("thresholds", item), ("loadings", item)})
    assert both.converged and both.test.df == REFERENCE["both"]["fit"]["df"] == ref["fit"]["df"]
    assert both.test.chisq_scaled == pytest.approx(REFERENCE["both"]["fit"]["chisq.scaled"], abs=1e-3)
    assert both.values["delta"][1][item] == 1.0
    lam = both.values["lam"][1][np.arange(10), FACTOR_OF_ITEM]
    table = pd.DataFrame(REFERENCE["both"]["parameters"])
    assert lam == pytest.approx(table.loc[(table["group"] == 2) & (table["op"] == "=~"), "est"].to_numpy(), abs=1e-4)


def test_difference_tests_match_lavtestlrt(fits):
    """lavTestLRT's default for WLSMV (satorra.2000, scaled and shifted): metric against
    configural and scalar against metric."""
    lrt = REFERENCE["lrt"]
    assert "satorra.2000" in lrt["method"]
    for k, (restricted, free) in enumerate((("metric", "configural"), ("scalar", "metric")), start=1):
        test = wlsmv_difference(fits[restricted], fits[free])
        assert test.df == lrt["delta_df"][k]
        assert test.chisq == pytest.approx(lrt["delta_chisq"][k], abs=1e-3)
        assert test.pvalue == pytest.approx(lrt["pvalue"][k], abs=1e-4)
    with pytest.raises(ValueError, match="more degrees of freedom"):
        wlsmv_difference(fits["configural"], fits["metric"])


def test_the_invariance_table_under_wlsmv_is_lavaans_ladder():
    """measurement_invariance(..., estimator="WLSMV"): the table's scaled statistics, the
    satorra.2000 differences as p, and decisions on the scaled CFI and RMSEA."""
    from servqual.invariance import INVARIANCE_COLUMNS, invariance_ladder, measurement_invariance
    from servqual.ordinal_invariance import ORDINAL_COLUMNS

    data = pd.read_csv(DATA / "efa_bfi.csv").dropna()[REFERENCE["items"]]
    data = data.where(data != 1, 2) - 1
    group = pd.Series(np.where(np.arange(len(data)) < REFERENCE["n_first"], "first", "second"), index=data.index)
    table = measurement_invariance(data, {i: i[0] for i in REFERENCE["items"]}, group, estimator="WLSMV",
                                   min_group_size=50)
    assert list(table.columns) == [*INVARIANCE_COLUMNS, *ORDINAL_COLUMNS]
    assert (table["estimator"] == "WLSMV").all() and (table["status"] == "ok").all()
    for k, level in enumerate(LEVELS):
        ref = REFERENCE["levels"][level]["fit"]
        row = table.iloc[k]
        assert (row["chisq_scaled"], row["cfi_scaled"], row["rmsea_scaled"]) == pytest.approx(
            (ref["chisq.scaled"], ref["cfi.scaled"], ref["rmsea.scaled"]), abs=1e-4)
        robust = row[["cfi_robust", "tli_robust", "rmsea_robust"]].to_numpy(float)
        if level == "scalar":
            assert np.isnan(robust).all()
        else:
            assert robust == pytest.approx([ref["cfi.robust"], ref["tli.robust"], ref["rmsea.robust"]], abs=1e-4)
    assert table["delta_chisq_scaled"].iloc[1:3].to_numpy() == pytest.approx(REFERENCE["lrt"]["delta_chisq"][1:],
                                                                              abs=1e-3)
    assert table["p"].iloc[1:3].to_numpy() == pytest.approx(REFERENCE["lrt"]["pvalue"][1:], abs=1e-4)
    # strict in the theta parameterization, against the scalar model (lavTestLRT of the theta fits)
    strict = table.iloc[3]
    assert (strict["level"], strict["compared_with"]) == ("strict", "scalar")
    assert strict["df"] == STRICT["levels"]["strict"]["fit"]["df"]
    assert strict["chisq_scaled"] == pytest.approx(STRICT["levels"]["strict"]["fit"]["chisq.scaled"], abs=1e-3)
    assert strict["delta_chisq_scaled"] == pytest.approx(STRICT["lrt"]["delta_chisq"][1], abs=1e-3)
    assert strict["p"] == pytest.approx(STRICT["lrt"]["pvalue"][1], abs=1e-4)
    assert table["decision"].tolist() == ["reference", "holds", "holds", "holds"] and table["means_comparable"].all()
    assert table["level"].tolist() == [*LEVELS, "strict"] and not table["partial"].any()
    means = invariance_ladder(data, {i: i[0] for i in REFERENCE["items"]}, group, estimator="WLSMV",
                              min_group_size=50).latent_means
    lavaan = pd.DataFrame(REFERENCE["levels"]["scalar"]["parameters"])
    alpha = lavaan[(lavaan["group"] == 2) & (lavaan["op"] == "~1") & lavaan["lhs"].isin(["A", "N"])]
    assert means["comparable"].all() and means["factor"].tolist() == ["A", "N"]
    assert means["diff"].to_numpy() == pytest.approx(alpha["est"].to_numpy(), abs=1e-4)
    assert means["se"].to_numpy() == pytest.approx(alpha["se"].to_numpy(), abs=1e-4)


def test_categories_not_used_in_every_group_are_merged_and_named():
    """A category one group never used is merged with its neighbour in every group, so that the
    thresholds can be equal; the reason names the item. A small group is left out and named."""
    from servqual.invariance import measurement_invariance

    rng = np.random.default_rng(3)
    eta = rng.standard_normal((900, 2))
    latent = np.hstack([0.7 * eta[:, [0]].repeat(3, 1), 0.7 * eta[:, [1]].repeat(3, 1)])
    x = pd.DataFrame(np.digitize(latent + 0.7 * rng.standard_normal((900, 6)), [-1.5, -0.5, 0.5, 1.5]) + 1,
                     columns=["a1", "a2", "a3", "b1", "b2", "b3"])
    group = pd.Series(np.repeat(["one", "two", "tiny"], [440, 440, 20]), index=x.index)
    x.loc[(group == "two") & (x["a2"] == 5), "a2"] = 4  # group two never uses the top point of a2
    table = measurement_invariance(x, dict(zip(x.columns, "aaabbb")), group, estimator="WLSMV", min_group_size=50)
    assert (table["status"] == "ok").all() and (table["n_groups"] == 2).all()
    reason = table["reason"].iloc[0]
    assert "categories not answered in every group merged with a neighbour: ['a2']" in reason
    assert "skipped groups: tiny (n = 20 < 50)" in reason


@pytest.mark.parametrize("language", ["en", "zh", "ko"])
def test_the_waves_report_words_a_wlsmv_ladder(language):
    """The cross-wave report's invariance section under WLSMV: its lead, the scalar level named by
    its thresholds, the WLSMV note, and the latent means compared."""
    import html
    import re

    from servqual.i18n import Messages
    from servqual.invariance import invariance_ladder
    from servqual.report_context import ReportContext
    from servqual.waves_report import invariance_section

    data = pd.read_csv(DATA / "efa_bfi.csv").dropna()[REFERENCE["items"]]
    data = data.where(data != 1, 2) - 1
    group = pd.Series(np.where(np.arange(len(data)) < REFERENCE["n_first"], "first", "second"), index=data.index)
    result = invariance_ladder(data, {i: i[0] for i in REFERENCE["items"]}, group, estimator="WLSMV", min_group_size=50)
    named = {"invariance": result.levels, "invariance_released": result.released, "latent_means": result.latent_means}
    tables = {name: t.assign(grouping="half", measure="perception") for name, t in named.items()}
    ctx = ReportContext(Messages(language), tables, {"A": "Agreeableness"}, {}, Path("."), segments={"half": "Half"})
    text = html.unescape(re.sub(r"\s+", " ", re.sub("<[^>]+>", " ", invariance_section(ctx))))
    t = Messages(language)
    for key in ("report.waves.invariance_lead_wlsmv", "report.invariance_level.scalar_thresholds"):
        assert t(key) in text, key
    assert t("report.note.invariance_wlsmv") in text
    assert "Agreeableness" in text and "first" in text


def _shifted_item(seed: int = 1, n: int = 600, shift: float = 0.8) -> pd.DataFrame:
    """Two groups, two factors of four 4-point items, the second group's latent means .3 higher
    and item p3's latent response shifted by ``shift`` (its thresholds differ)."""
    rng = np.random.default_rng(seed)
    parts = []
    for g, mean in (("a", 0.0), ("b", 0.3)):
        eta = rng.multivariate_normal([mean, mean], [[1, .4], [.4, 1]], n)
        latent = np.repeat(eta, 4, axis=1) * 0.7 + np.sqrt(0.51) * rng.standard_normal((n, 8))
        latent[:, 2] += shift if g == "b" else 0.0
        columns = [f"{d}{i}" for d in "pq" for i in range(1, 5)]
        parts.append(pd.DataFrame(np.digitize(latent, [-1, 0, 1]) + 1, columns=columns).assign(g=g))
    return pd.concat(parts, ignore_index=True)


def test_partial_scalar_invariance_under_wlsmv_releases_the_shifted_item():
    """The search of the ML ladder under WLSMV: scalar rejected, the thresholds of p3 released
    first (the largest threshold score test, in group b), the partial refit holds, and the latent
    means are estimated from it."""
    from servqual.invariance import RELEASED_COLUMNS, invariance_ladder

    data = _shifted_item()
    result = invariance_ladder(data.drop(columns="g"), {c: c[0] for c in data.columns if c != "g"}, data["g"],
                               estimator="WLSMV", levels=("configural", "metric", "scalar"))
    levels = result.levels
    assert levels["level"].tolist() == ["configural", "metric", "scalar", "scalar"]
    assert levels["decision"].tolist()[:3] == ["reference", "holds", "rejected"]
    partial = levels.iloc[3]
    assert partial["partial"] and partial["released"].startswith("thresholds:p3")
    assert partial["decision"] in ("holds", "holds_by_fit_indices") and partial["compared_with"] == "metric"
    assert levels["means_comparable"].all()
    released = result.released
    assert list(released.columns) == RELEASED_COLUMNS
    first = released.iloc[0]
    assert (first["level"], first["constraint"], first["item"], first["group"], first["groups"], first["estimator"]) \
        == ("scalar", "thresholds", "p3", "b", "b", "WLSMV")
    assert first["chisq"] > 30 and first["df"] == 1
    means = result.latent_means
    assert means["comparable"].all() and len(means) == 2
    assert means["diff"].between(0.1, 0.5).all()


@pytest.mark.parametrize("language", ["en", "zh", "ko"])
def test_the_waves_report_words_a_partial_wlsmv_ladder(language):
    """Partial scalar invariance under WLSMV reaches the reader: the released thresholds named by
    item, the partial row, and the latent means compared."""
    import html
    import re

    from servqual.i18n import Messages
    from servqual.invariance import invariance_ladder
    from servqual.report_context import ReportContext
    from servqual.waves_report import invariance_section

    data = _shifted_item()
    result = invariance_ladder(data.drop(columns="g"), {c: c[0] for c in data.columns if c != "g"}, data["g"],
                               estimator="WLSMV", levels=("configural", "metric", "scalar"))
    named = {"invariance": result.levels, "invariance_released": result.released, "latent_means": result.latent_means}
    tables = {name: t.assign(grouping="half", measure="perception") for name, t in named.items()}
    ctx = ReportContext(Messages(language), tables, {"p": "Promptness", "q": "Quality"}, {"p3": "Item three"},
                        Path("."), segments={"half": "Half"})
    text = html.unescape(re.sub(r"\s+", " ", re.sub("<[^>]+>", " ", invariance_section(ctx))))
    t = Messages(language)
    assert t("cautions.ep_released_thresholds", item="Item three") in text
    assert t("report.ep.partial") in text
    assert "Promptness" in text and "Quality" in text


def test_strict_invariance_under_the_theta_parameterization_matches_lavaan(stats, fits):
    """parameterization = "theta": the scalar model (residual variances of the latent responses 1
    in the first group, free in the second) fits as the delta one; the strict model (all 1) to
    1e-3 in chi-square, 1e-4 in loadings, thresholds, latent means and SEs; the difference test
    against the (delta) scalar model as lavTestLRT of the two theta fits."""
    equal = {"scalar": LEVELS["scalar"], "strict": (*LEVELS["scalar"], "residuals")}
    theta = {level: fit_wlsmv_groups(FACTOR_OF_ITEM, 2, stats, eq, parameterization="theta")
             for level, eq in equal.items()}
    items = REFERENCE["items"]
    for level, fit in theta.items():
        ref = STRICT["levels"][level]
        assert fit.converged and fit.test.df == ref["fit"]["df"]
        assert fit.test.chisq == pytest.approx(ref["fit"]["chisq"], abs=1e-3)
        assert fit.test.chisq_scaled == pytest.approx(ref["fit"]["chisq.scaled"], abs=1e-3)
        table = pd.DataFrame(ref["parameters"])
        for g in range(2):
            rows = table[table["group"] == g + 1]
            lam = fit.values["lam"][g][np.arange(10), FACTOR_OF_ITEM]
            assert lam == pytest.approx(rows.loc[rows["op"] == "=~", "est"].to_numpy(), abs=1e-4)
            assert fit.values["tau"][g] == pytest.approx(rows.loc[rows["op"] == "|", "est"].to_numpy(), abs=1e-4)
            residual = rows[(rows["op"] == "~~") & rows["lhs"].isin(items) & (rows["lhs"] == rows["rhs"])]
            assert fit.values["theta"][g] == pytest.approx(residual["est"].to_numpy(), abs=1e-4)
            assert fit.values["alpha"][g] == pytest.approx(
                rows.loc[(rows["op"] == "~1") & rows["lhs"].isin(["A", "N"]), "est"].to_numpy(), abs=1e-4)
        theirs = np.sort(table.loc[table["se"] > 0, "se"].round(4).unique())
        assert np.isin(np.round(np.sqrt(np.diag(fit.vcov)), 4), theirs).all()
    assert theta["scalar"].test.chisq_scaled == pytest.approx(fits["scalar"].test.chisq_scaled, abs=1e-6)
    for free in (theta["scalar"], fits["scalar"]):
        test = wlsmv_difference(theta["strict"], free)
        assert test.df == STRICT["lrt"]["delta_df"][1]
        assert test.chisq == pytest.approx(STRICT["lrt"]["delta_chisq"][1], abs=1e-3)
    with pytest.raises(ValueError, match="theta"):
        fit_wlsmv_groups(FACTOR_OF_ITEM, 2, stats, equal["strict"])
