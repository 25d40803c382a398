"""Tests of servqual.efa against psych::fa.

Oracles
- tests/data/efa_reference.json, written by ``Rscript tests/data/efa_reference.R`` (R 4.2.2,
  psych 2.2.9, GPArotation 2022.10-2). Each entry records the exact R call in its ``call``
  field, for example ``fa(hs, nfactors = 3, fm = 'minres', rotate = 'promax')``,
  ``fa(bfi_complete, nfactors = 5, fm = 'ml', rotate = 'promax')`` with
  ``bfi_complete <- na.omit(psych::bfi[1:1000, 1:25])``, ``KMO(hs)``,
  ``cortest.bartlett(cor(hs), n = nrow(hs))`` and
  ``options(mc.cores = 1); set.seed(20240501); fa.parallel(hs, fa = 'both', SMC = TRUE,
  n.iter = 200, plot = FALSE)``. The data sets are tests/data/holzinger_swineford.csv (lavaan's
  copy, written by tests/data/holzinger_swineford.R) and tests/data/efa_bfi.csv,
  ``psych::bfi[1:1000, 1:25]`` exported by efa_reference.R (NA = empty cell).
- The first tests check the Holzinger-Swineford solution (3 factors, minres, oblimin), KMO and
  Bartlett to the 3 decimals psych prints, as a reader would compare them.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linear_sum_assignment

from servqual import efa
from servqual.efa import parallel, rotation

DATA = Path(__file__).parent / "data"
REFERENCE = json.loads((DATA / "efa_reference.json").read_text())
HS_DIMENSIONS = {
    **dict.fromkeys(["x1", "x2", "x3"], "visual"),
    **dict.fromkeys(["x4", "x5", "x6"], "textual"),
    **dict.fromkeys(["x7", "x8", "x9"], "speed"),
}


@pytest.fixture(scope="module")
def hs() -> pd.DataFrame:
    return pd.read_csv(DATA / "holzinger_swineford.csv")[[f"x{i}" for i in range(1, 10)]]


@pytest.fixture(scope="module")
def bfi() -> pd.DataFrame:
    return pd.read_csv(DATA / "efa_bfi.csv")


@pytest.fixture(scope="module")
def hs_solution(hs) -> efa.FactorSolution:
    return efa.factor_analysis(hs, 3)


def _matrix(entry: dict) -> pd.DataFrame:
    """A named matrix from the JSON (jsonlite unboxes one-element name vectors to strings)."""
    names = [[n] if isinstance(n, str) else n for n in (entry["rows"], entry["cols"])]
    return pd.DataFrame(entry["values"], index=names[0], columns=names[1])


def _align_to(reference: np.ndarray, ours: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column permutation and signs that best match ``ours`` to ``reference`` (factor order and
    sign are arbitrary in EFA)."""
    similarity = reference.T @ ours
    _, order = linear_sum_assignment(-np.abs(similarity))
    signs = np.sign(similarity[np.arange(len(order)), order])
    return order, signs


# --------------------------------------------------------------------------------------------
# psych's printed output, 3 decimals
# --------------------------------------------------------------------------------------------

# fa(hs, nfactors = 3, fm = 'minres', rotate = 'oblimin'): columns textual, visual, speed.
PUBLISHED = REFERENCE["fa"]["hs_minres_oblimin"]
PUBLIC_LOADINGS = _matrix(PUBLISHED["loadings"]).to_numpy()
PUBLIC_U2 = PUBLISHED["u2"]
PUBLIC_PHI = _matrix(PUBLISHED["phi"]).to_numpy()


def test_holzinger_swineford_solution_matches_published_psych_output(hs_solution):
    order, signs = _align_to(PUBLIC_LOADINGS, hs_solution.loadings.to_numpy())
    loadings = hs_solution.loadings.to_numpy()[:, order] * signs
    np.testing.assert_allclose(loadings, PUBLIC_LOADINGS, atol=1e-2)
    np.testing.assert_allclose(hs_solution.uniquenesses, PUBLIC_U2, atol=1e-2)
    phi = hs_solution.phi.to_numpy()[np.ix_(order, order)] * np.outer(signs, signs)
    np.testing.assert_allclose(phi, PUBLIC_PHI, atol=1e-2)


def test_holzinger_swineford_fit_matches_published_psych_output(hs_solution):
    fit = hs_solution.fit
    assert fit.chisq == pytest.approx(PUBLISHED["chisq"], abs=1e-2)
    assert fit.df == PUBLISHED["dof"] == 12
    assert fit.rmsea == pytest.approx(PUBLISHED["rmsea"][0], abs=1e-3)
    assert fit.rmsea_ci_low == pytest.approx(PUBLISHED["rmsea"][1], abs=1e-3)
    assert fit.rmsea_ci_high == pytest.approx(PUBLISHED["rmsea"][2], abs=1e-3)
    assert fit.tli == pytest.approx(PUBLISHED["tli"], abs=1e-3)
    assert fit.bic == pytest.approx(PUBLISHED["bic"], abs=1e-2)


def test_holzinger_swineford_adequacy_matches_published_psych_output(hs):
    adequacy = efa.sampling_adequacy(hs)
    expected = REFERENCE["adequacy"]["hs"]
    assert adequacy.kmo == pytest.approx(expected["kmo"], abs=1e-3)
    np.testing.assert_allclose(adequacy.kmo_items, expected["kmo_items"], atol=1e-3)
    assert adequacy.bartlett_chisq == pytest.approx(expected["chisq"], abs=1e-3)
    assert adequacy.bartlett_df == expected["df"] == 36
    assert adequacy.n == 301


def test_oblique_communalities_use_phi_not_row_sums_of_squares(hs_solution):
    """factor-analyzer reports x1 h2 = .390 (row sum of squared pattern loadings); psych .477."""
    L, phi = hs_solution.loadings.to_numpy(), hs_solution.phi.to_numpy()
    np.testing.assert_allclose(hs_solution.communalities, np.diag(L @ phi @ L.T), atol=1e-12)
    assert hs_solution.communalities["x1"] == pytest.approx(PUBLISHED["h2"][0], abs=1e-3)
    assert (L[0] ** 2).sum() == pytest.approx((PUBLIC_LOADINGS[0] ** 2).sum(), abs=1e-3)
    np.testing.assert_allclose(hs_solution.structure, L @ phi, atol=1e-12)


# --------------------------------------------------------------------------------------------
# psych::fa output produced for these tests (tests/data/efa_reference.R)
# --------------------------------------------------------------------------------------------

FA_CASES = {
    "hs_minres_oblimin": ("hs", 3, "minres", "oblimin", "listwise"),
    "hs_minres_promax": ("hs", 3, "minres", "promax", "listwise"),
    "hs_minres_varimax": ("hs", 3, "minres", "varimax", "listwise"),
    "hs_minres_none": ("hs", 3, "minres", "none", "listwise"),
    "hs_ml_oblimin": ("hs", 3, "ml", "oblimin", "listwise"),
    "hs_ml_varimax": ("hs", 3, "ml", "varimax", "listwise"),
    "hs_minres_1": ("hs", 1, "minres", "oblimin", "listwise"),
    "bfi_minres_oblimin": ("bfi", 5, "minres", "oblimin", "listwise"),
    "bfi_ml_promax": ("bfi", 5, "ml", "promax", "listwise"),
    "bfi_pairwise_minres_oblimin": ("bfi", 5, "minres", "oblimin", "pairwise"),
}


@pytest.mark.parametrize("case", list(FA_CASES))
def test_solution_matches_psych(case, hs, bfi):
    data, k, method, rotation, missing = FA_CASES[case]
    expected = REFERENCE["fa"][case]
    items = {"hs": hs, "bfi": bfi}[data]
    solution = efa.factor_analysis(items, k, method=method, rotation=rotation, missing=missing)

    # psych numbers factors by extraction order; the column order (by SS loadings) is the same.
    loadings = _matrix(expected["loadings"])
    np.testing.assert_allclose(solution.loadings, loadings, atol=1e-6)
    np.testing.assert_allclose(solution.structure, _matrix(expected["structure"]), atol=1e-6)
    np.testing.assert_allclose(solution.communalities, expected["h2"], atol=1e-6)
    np.testing.assert_allclose(solution.uniquenesses, expected["u2"], atol=1e-6)
    np.testing.assert_allclose(solution.complexity, expected["complexity"], atol=1e-6)
    if "phi" in expected:
        np.testing.assert_allclose(solution.phi, _matrix(expected["phi"]), atol=1e-6)
    else:
        np.testing.assert_allclose(solution.phi, np.eye(k), atol=1e-12)
    vaccounted = _matrix(expected["vaccounted"])
    np.testing.assert_allclose(
        solution.variance["ss_loadings"], vaccounted.loc["SS loadings"], atol=1e-6
    )
    np.testing.assert_allclose(
        solution.variance["proportion_var"], vaccounted.loc["Proportion Var"], atol=1e-6
    )
    if k > 1:
        np.testing.assert_allclose(
            solution.variance["cumulative_var"], vaccounted.loc["Cumulative Var"], atol=1e-6
        )
        np.testing.assert_allclose(
            solution.variance["proportion_explained"],
            vaccounted.loc["Proportion Explained"],
            atol=1e-6,
        )
    if missing == "pairwise":
        # psych tests pairwise solutions with the number of rows (1000); this module uses the
        # smallest pairwise count, so only the objective function can be compared.
        assert solution.n == 978
        assert solution.fit.objective == pytest.approx(expected["objective"], abs=1e-6)
        return
    fit = solution.fit
    assert solution.n == expected["n_obs"]
    assert fit.objective == pytest.approx(expected["objective"], abs=1e-6)
    assert fit.chisq == pytest.approx(expected["chisq"], abs=1e-4)
    assert fit.df == expected["dof"]
    assert fit.pvalue == pytest.approx(expected["pvalue"], rel=1e-4, abs=1e-300)
    np.testing.assert_allclose(
        [fit.rmsea, fit.rmsea_ci_low, fit.rmsea_ci_high], expected["rmsea"], atol=1e-5
    )
    assert fit.tli == pytest.approx(expected["tli"], abs=1e-6)
    assert fit.bic == pytest.approx(expected["bic"], abs=1e-4)


@pytest.mark.parametrize("case", ["hs", "bfi_listwise", "bfi_pairwise"])
def test_adequacy_matches_psych(case, hs, bfi):
    expected = REFERENCE["adequacy"][case]
    items, missing = {
        "hs": (hs, "listwise"),
        "bfi_listwise": (bfi, "listwise"),
        "bfi_pairwise": (bfi, "pairwise"),
    }[case]
    adequacy = efa.sampling_adequacy(items, missing)
    assert adequacy.kmo == pytest.approx(expected["kmo"], abs=1e-10)
    np.testing.assert_allclose(adequacy.kmo_items, expected["kmo_items"], atol=1e-10)
    assert list(adequacy.kmo_items.index) == expected["items"]
    assert adequacy.bartlett_chisq == pytest.approx(expected["chisq"], abs=1e-6)
    assert adequacy.bartlett_df == expected["df"]
    assert adequacy.bartlett_pvalue == pytest.approx(expected["pvalue"], abs=1e-12)


def test_missing_policy_is_applied_and_leaves_no_nan(bfi):
    assert bfi.isna().any().any()
    listwise = efa.adequacy_table(efa.sampling_adequacy(bfi))
    pairwise = efa.adequacy_table(efa.sampling_adequacy(bfi, "pairwise"))
    assert set(listwise["n"]) == {len(bfi.dropna())} == {874}
    assert set(pairwise["n"]) == {978}
    for table in (listwise, pairwise):
        assert table[["kmo", "n"]].notna().all().all()
        overall = table.iloc[0]
        assert overall["item"] == "overall"
        assert np.isfinite([overall["bartlett_chisq"], overall["bartlett_pvalue"]]).all()
        assert table["bartlett_chisq"].iloc[1:].isna().all()
    assert set(listwise["missing_policy"]) == {"listwise"}


# --------------------------------------------------------------------------------------------
# Parallel analysis
# --------------------------------------------------------------------------------------------


def test_parallel_observed_eigenvalues_match_r(hs, bfi):
    for name, items in (("hs", hs), ("bfi_listwise", bfi)):
        analysis = efa.parallel_analysis(items, n_iter=5, seed=1)
        np.testing.assert_allclose(
            analysis.observed_pc, REFERENCE["parallel"][name]["pc"], atol=1e-10
        )
        np.testing.assert_allclose(
            analysis.observed_fa, REFERENCE["parallel"][name]["fa"], atol=1e-10
        )


def test_parallel_holzinger_swineford_suggests_three_factors_like_psych(hs):
    analysis = efa.parallel_analysis(hs, n_iter=200, seed=7)
    expected = REFERENCE["parallel"]["hs"]["psych_fa_parallel"]
    assert (
        (analysis.n_factors, analysis.n_components)
        == (expected["nfact"], expected["ncomp"])
        == (3, 3)
    )
    assert analysis.kaiser == 3
    # psych reports the mean of its simulations; ours, with the mean rule, agrees up to
    # Monte Carlo error (sd of a mean of 200 first eigenvalues is about .004).
    means = efa.parallel_analysis(hs, n_iter=200, seed=7, rule="mean")
    np.testing.assert_allclose(means.simulated_pc, expected["pc_sim"], atol=0.03)
    np.testing.assert_allclose(means.simulated_fa, expected["fa_sim"], atol=0.03)
    assert (analysis.simulated_pc > means.simulated_pc).all()


def test_parallel_analysis_is_reproducible_with_a_seed(hs):
    first = efa.parallel_analysis_table(efa.parallel_analysis(hs, n_iter=50, seed=11))
    again = efa.parallel_analysis_table(efa.parallel_analysis(hs, n_iter=50, seed=11))
    other = efa.parallel_analysis_table(efa.parallel_analysis(hs, n_iter=50, seed=12))
    pd.testing.assert_frame_equal(first, again)
    assert not np.allclose(first["simulated_pc"], other["simulated_pc"])


def _three_factor_data(n: int = 400, seed: int = 5) -> pd.DataFrame:
    """Four items per factor, loadings .7, factor correlations .3."""
    rng = np.random.default_rng(seed)
    phi = np.full((3, 3), 0.3) + 0.7 * np.eye(3)
    factors = rng.standard_normal((n, 3)) @ np.linalg.cholesky(phi).T
    pattern = np.kron(np.eye(3), np.full((4, 1), 0.7))
    noise = rng.standard_normal((n, 12)) * np.sqrt(1 - 0.49)
    return pd.DataFrame(factors @ pattern.T + noise, columns=[f"q{i + 1}" for i in range(12)])


def test_parallel_analysis_recovers_a_known_three_factor_structure():
    analysis = efa.parallel_analysis(_three_factor_data(), n_iter=100, seed=3)
    assert analysis.n_factors == 3
    assert analysis.n_components == 3
    table = efa.parallel_analysis_table(analysis)
    assert table["retained_fa"].sum() == 3
    assert list(table.columns) == [
        "position", "observed_pc", "simulated_pc", "observed_fa", "simulated_fa", "rule",
        "retained_pc", "retained_fa", "kaiser", "n", "n_iter", "seed", "missing_policy",
    ]  # fmt: skip
    assert set(table["rule"]) == {"95th percentile of 100 simulations"}


def test_parallel_rule_must_be_known(hs):
    with pytest.raises(ValueError, match="rule"):
        efa.parallel_analysis(hs, rule="median")


# --------------------------------------------------------------------------------------------
# Heywood cases and failures
# --------------------------------------------------------------------------------------------


def _heywood_items() -> pd.DataFrame:
    """200 respondents whose correlations are exactly those of one factor with loadings
    (1.02, .6, .6, .6, .6): positive definite, but the first communality must exceed 1."""
    loadings = np.array([1.02, 0.6, 0.6, 0.6, 0.6])
    r = np.outer(loadings, loadings)
    np.fill_diagonal(r, 1.0)
    z = np.random.default_rng(0).standard_normal((200, 5))
    z -= z.mean(axis=0)
    z = z @ np.linalg.inv(np.linalg.cholesky(np.cov(z.T)).T)
    return pd.DataFrame(z @ np.linalg.cholesky(r).T, columns=list("abcde"))


def test_heywood_case_is_reported_not_clamped():
    """R: lam <- c(1.02, .6, .6, .6, .6); r <- lam %o% lam; diag(r) <- 1
    fa(r, 1, n.obs = 200)$communality -> 1.0108 .3626 .3626 .3626 .3626 ("ultra-Heywood")
    fa(r, 1, n.obs = 200, fm = "ml")$communality -> 0.9950 .3761 .3761 .3761 .3761"""
    items = _heywood_items()
    minres = efa.factor_analysis(items, 1)
    assert minres.heywood_items == ("a",)
    assert minres.communalities["a"] == pytest.approx(1.0108, abs=1e-3)
    assert minres.uniquenesses["a"] < 0
    np.testing.assert_allclose(minres.communalities.iloc[1:], 0.3626, atol=1e-3)
    assert "Heywood" in minres.status
    fit = efa.fit_table(minres)
    assert fit.loc[0, "heywood"] and "Heywood" in fit.loc[0, "status"]
    ml = efa.factor_analysis(items, 1, method="ml")
    assert ml.communalities["a"] == pytest.approx(0.9950, abs=1e-4)
    assert ml.heywood_items == ("a",)


def test_proper_solution_has_status_ok(hs_solution):
    assert hs_solution.heywood_items == ()
    assert hs_solution.status == "ok"


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda x: x.iloc[:9], "too few respondents"),
        (lambda x: x.assign(x2=3.0), "without variance"),
        (lambda x: x.assign(x10=x["x1"] + x["x2"]), "singular"),
        (lambda x: x[["x1", "x2"]], "at least 3 items"),
    ],
)
def test_impossible_analyses_raise_efa_error(hs, mutate, message):
    items = mutate(hs)
    for run in (
        lambda: efa.factor_analysis(items, 1),
        lambda: efa.sampling_adequacy(items),
        lambda: efa.parallel_analysis(items, n_iter=2, seed=0),
    ):
        with pytest.raises(efa.EFAError, match=message):
            run()


def test_too_many_factors_raise_efa_error(hs):
    with pytest.raises(efa.EFAError, match="too many factors"):
        efa.factor_analysis(hs, 6)


def test_rotation_that_does_not_converge_raises(hs, monkeypatch):
    monkeypatch.setattr(rotation, "_oblimin", lambda L, start: (L, np.eye(L.shape[1]), 0.0, False))
    with pytest.raises(efa.EFAError, match="did not converge"):
        efa.factor_analysis(hs, 3)


def test_invalid_arguments_raise_value_error(hs):
    with pytest.raises(ValueError, match="method"):
        efa.factor_analysis(hs, 3, method="pa")
    with pytest.raises(ValueError, match="rotation"):
        efa.factor_analysis(hs, 3, rotation="quartimax")
    with pytest.raises(ValueError, match="n_factors"):
        efa.factor_analysis(hs, 0)
    with pytest.raises(TypeError, match="numeric"):
        efa.factor_analysis(hs.assign(x1="a"), 3)


# --------------------------------------------------------------------------------------------
# Rotation details
# --------------------------------------------------------------------------------------------


def test_random_starts_find_the_same_oblimin_solution(hs, hs_solution):
    restarted = efa.factor_analysis(hs, 3, random_starts=5, seed=3)
    np.testing.assert_allclose(restarted.loadings, hs_solution.loadings, atol=1e-4)
    np.testing.assert_allclose(restarted.phi, hs_solution.phi, atol=1e-4)


def test_solution_does_not_depend_on_item_order(hs, hs_solution):
    reordered = efa.factor_analysis(hs[hs.columns[::-1]], 3)
    np.testing.assert_allclose(
        reordered.loadings.loc[hs_solution.loadings.index], hs_solution.loadings, atol=1e-5
    )


# --------------------------------------------------------------------------------------------
# Dimensions and tables
# --------------------------------------------------------------------------------------------


def test_factors_are_matched_to_dimensions_and_misfits_flagged(hs_solution):
    match = efa.match_dimensions(hs_solution, HS_DIMENSIONS)
    assert match.factor_labels == {"MR1": "textual", "MR2": "visual", "MR3": "speed"}
    flagged = match.flags.stack()
    flagged = flagged[flagged != ""]
    # x9 (speed) loads .382 on the visual factor; every own-factor loading is above .40.
    assert flagged.to_dict() == {("x9", "MR2"): "cross_loading"}
    strict = efa.match_dimensions(hs_solution, HS_DIMENSIONS, primary_min=0.6)
    assert strict.flags.loc["x2", "MR2"] == "low_primary"  # .509 on visual
    assert strict.flags.loc["x9", "MR3"] == "low_primary"  # .456 on speed


def test_more_factors_than_dimensions_leave_a_factor_unlabelled(hs_solution):
    two = {
        item: ("verbal" if dim == "textual" else "nonverbal") for item, dim in HS_DIMENSIONS.items()
    }
    match = efa.match_dimensions(hs_solution, two)
    assert match.factor_labels["MR1"] == "verbal"
    assert sorted(label for label in match.factor_labels.values() if label) == [
        "nonverbal",
        "verbal",
    ]
    assert list(match.factor_labels.values()).count(None) == 1


def test_efa_tables_for_the_pipeline(hs):
    tables = efa.efa_tables(hs, "parallel", dimensions=HS_DIMENSIONS, n_iter=50, seed=1)
    assert list(tables.as_dict()) == [
        "efa_adequacy", "parallel_analysis", "efa_loadings", "efa_factor_correlations", "efa_fit",
    ]  # fmt: skip
    assert list(tables.efa_adequacy.columns) == [
        "item", "kmo", "bartlett_chisq", "bartlett_df", "bartlett_pvalue", "n", "missing_policy",
    ]  # fmt: skip
    loadings = tables.efa_loadings
    assert list(loadings.columns) == [
        "item", "factor", "loading", "structure", "h2", "u2", "complexity", "heywood",
        "factor_ss_loadings", "factor_proportion_var", "factor_cumulative_var",
        "dimension", "factor_label", "own_factor", "flag",
    ]  # fmt: skip
    assert len(loadings) == 27
    row = loadings.set_index(["item", "factor"]).loc[("x1", "MR2")]
    assert row["loading"] == pytest.approx(0.592, abs=1e-3)
    assert row["h2"] == pytest.approx(0.477, abs=1e-3)
    assert (row["dimension"], row["factor_label"], row["flag"]) == ("visual", "visual", "")
    assert row["own_factor"]
    assert loadings["own_factor"].sum() == 9
    correlations = tables.efa_factor_correlations
    assert list(correlations.columns) == ["factor_a", "factor_b", "r", "label_a", "label_b"]
    np.testing.assert_allclose(sorted(correlations["r"]), [0.213, 0.261, 0.323], atol=1e-3)
    fit = tables.efa_fit
    assert list(fit.columns) == [
        "n", "n_factors", "method", "rotation", "missing_policy", "objective", "chisq", "df",
        "pvalue", "rmsea", "rmsea_ci_low", "rmsea_ci_high", "tli", "bic", "heywood", "status",
    ]  # fmt: skip
    assert fit.loc[0, "n_factors"] == 3 and fit.loc[0, "status"] == "ok"
    assert fit.loc[0, "chisq"] == pytest.approx(22.555, abs=1e-3)


def test_efa_tables_number_of_factors_from_dimensions_or_given(hs):
    by_dimensions = efa.efa_tables(hs, "dimensions", dimensions=HS_DIMENSIONS, n_iter=5, seed=1)
    assert by_dimensions.efa_fit.loc[0, "n_factors"] == 3
    given = efa.efa_tables(hs, 2, rotation="varimax", n_iter=5, seed=1)
    assert given.efa_fit.loc[0, "n_factors"] == 2
    assert given.efa_loadings["dimension"].isna().all()
    assert (given.efa_factor_correlations["r"] == 0).all()
    with pytest.raises(ValueError, match="mapping"):
        efa.efa_tables(hs, "dimensions", n_iter=5, seed=1)


def test_parallel_analysis_for_large_samples_draws_the_same_distribution(monkeypatch):
    """Above _WISHART_ROWS the simulated correlation matrices come from their Wishart
    distribution; their eigenvalues agree with simulated data in distribution."""
    rng = np.random.default_rng(11)
    simulated_pc, simulated_fa = parallel._simulated_eigenvalues(400, 6, 2000, rng)
    monkeypatch.setattr(parallel, "_WISHART_ROWS", 100)
    drawn_pc, drawn_fa = parallel._simulated_eigenvalues(400, 6, 2000, rng)
    np.testing.assert_allclose(drawn_pc.mean(axis=0), simulated_pc.mean(axis=0), atol=0.01)
    np.testing.assert_allclose(drawn_fa.mean(axis=0), simulated_fa.mean(axis=0), atol=0.01)
    np.testing.assert_allclose(
        np.quantile(drawn_pc, 0.95, axis=0), np.quantile(simulated_pc, 0.95, axis=0), atol=0.02
    )
