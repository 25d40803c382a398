"""Multi-group WLSMV (servqual.sem.wlsmv_groups) against lavaan.

Reference numbers from tests/data/ordinal_invariance_reference.json, written by
``Rscript tests/data/ordinal_invariance_reference.R`` (lavaan 0.6-14): the ten A and N items of
the complete cases of tests/data/efa_bfi.csv collapsed to five points, in two groups (the first
and the second half of the rows); cfa(..., ordered = TRUE, group =) at the configural level, with
group.equal = "loadings" and with c("thresholds", "loadings"); lavTestLRT of the three.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from servqual.sem.fit import fit_indices
from servqual.sem.ordinal import ordinal_stats
from servqual.sem.wlsmv_groups import fit_wlsmv_groups, wlsmv_difference

DATA = Path(__file__).parent / "data"
REFERENCE = json.loads((DATA / "ordinal_invariance_reference.json").read_text())
LEVELS = {"configural": (), "metric": ("loadings",), "scalar": ("loadings", "thresholds")}
FACTOR_OF_ITEM = [0] * 5 + [1] * 5


@pytest.fixture(scope="module")
def fits():
    data = pd.read_csv(DATA / "efa_bfi.csv").dropna()[REFERENCE["items"]]
    data = data.where(data != 1, 2) - 1
    half = len(data) // 2
    assert (half, len(data) - half) == (REFERENCE["n_first"], REFERENCE["n_second"])
    stats = [ordinal_stats(part.to_numpy(float)) for part in (data.iloc[:half], data.iloc[half:])]
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
def test_estimates_and_robust_ses_match_lavaan(fits, level):
    """Loadings, thresholds, factor (co)variances, and under scalar invariance the second group's
    latent means and scaling factors, with their robust SEs, to 1e-4."""
    fit = fits[level]
    table = pd.DataFrame(REFERENCE["levels"][level]["parameters"])
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
