"""The structural model (servqual.sem: structural_spec, effects) against lavaan's sem().

Reference numbers from tests/data/structural_reference.json, written by
``Rscript tests/data/structural_reference.R`` (lavaan 0.6-14): three dimensions -> satisfaction ->
intention to return and recommendation, with a direct path from b to return, fitted to
tests/data/structural_sim.csv (tests/data/structural_sim_generate.py, known paths); indirect and
total effects as lavaan's := defined parameters with delta-method SEs; and the model
servqual.structural.fit_structural builds with satisfaction as mediator (every outcome also on
every dimension), fitted by lavaan the same way.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from servqual.sem.effects import bias_corrected_interval, effect_pairs, effect_table, effect_values, monte_carlo_draws
from servqual.sem.estimation import estimate_ml
from servqual.sem.fit import baseline_chisq, fit_indices
from servqual.sem.information import parameter_vcov
from servqual.sem.model import structural_spec
from servqual.sem.parameters import parameter_table
from servqual.sem.samplestats import group_stats
from servqual import structural
from servqual.structural import fit_structural

DATA = Path(__file__).parent / "data"
REFERENCE = json.loads((DATA / "structural_reference.json").read_text())
FACTORS = ["A", "B", "C", "sat", "ret", "rec"]
FACTOR_OF_ITEM = [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 4, 5]
REGRESSIONS = {3: [0, 1, 2], 4: [3, 1], 5: [3]}
REL = 1e-5


@pytest.fixture(scope="module")
def fitted():
    data = pd.read_csv(DATA / "structural_sim.csv")
    stats_list = [group_stats(data.to_numpy(float))]
    spec = structural_spec(FACTOR_OF_ITEM, len(FACTORS), REGRESSIONS)
    estimate = estimate_ml(spec, stats_list)
    assert estimate.converged
    vcov = parameter_vcov(spec, stats_list, estimate.params)
    return spec, stats_list, estimate, vcov, list(data.columns)


def lavaan_rows(op: str) -> pd.DataFrame:
    table = pd.DataFrame(REFERENCE["parameters"])
    return table[table["op"] == op].set_index(["lhs", "rhs"])


def test_fit_matches_lavaan(fitted):
    spec, stats_list, estimate, _, _ = fitted
    n = stats_list[0].n
    fi = fit_indices(n * estimate.fmin, spec.df, *baseline_chisq(stats_list), n)
    expected = REFERENCE["fit"]
    assert (spec.n_free, spec.df, n) == (expected["npar"], expected["df"], expected["ntotal"])
    for ours, theirs in (("chisq", "chisq"), ("baseline_chisq", "baseline.chisq"), ("cfi", "cfi"), ("tli", "tli"),
                         ("rmsea", "rmsea")):
        assert getattr(fi, ours) == pytest.approx(expected[theirs], rel=REL, abs=1e-9), ours


def test_paths_and_r2_match_lavaan(fitted):
    spec, _, estimate, vcov, items = fitted
    table = parameter_table(spec, estimate.params, vcov, items, FACTORS)
    paths = table[table["parameter"] == "regression"].set_index(["lhs", "rhs"])
    expected = lavaan_rows("~")
    assert sorted(paths.index) == sorted(expected.index)
    for ours, theirs in (("estimate", "est"), ("se", "se"), ("std_all", "std"), ("std_se", "std_se")):
        assert paths.loc[expected.index, ours].to_numpy() == pytest.approx(expected[theirs].to_numpy(), rel=REL), ours
    disturbances = table[table["parameter"] == "disturbance_variance"].set_index("lhs")
    for outcome in ("sat", "ret", "rec"):
        assert disturbances.loc[outcome, "r2"] == pytest.approx(REFERENCE["r2"][outcome], rel=REL)


def test_effects_match_lavaan_defined_parameters(fitted):
    spec, _, estimate, vcov, _ = fitted
    effects = effect_table(spec, estimate.params, vcov, FACTORS).set_index(["outcome", "predictor", "effect"])
    defined = pd.DataFrame(REFERENCE["parameters"]).query("op == ':='").set_index("lhs")
    for name, row in defined.iterrows():
        kind, predictor, outcome = name.split("_")
        ours = effects.loc[(outcome, predictor, {"ind": "indirect", "tot": "total"}[kind])]
        assert [ours["estimate"], ours["se"], ours["std_all"], ours["std_se"]] == pytest.approx(
            [row["est"], row["se"], row["std"], row["std_se"]], rel=REL), name


def test_structural_zeros_are_left_out(fitted):
    spec, _, estimate, vcov, _ = fitted
    effects = effect_table(spec, estimate.params, vcov, FACTORS)
    assert effect_pairs(spec) == [(3, 0), (3, 1), (3, 2), (4, 0), (4, 1), (4, 2), (4, 3), (5, 0), (5, 1), (5, 2), (5, 3)]
    sat = effects[effects["outcome"] == "sat"]
    assert set(sat["effect"]) == {"direct", "total"}  # no mediator before satisfaction
    rec = effects[(effects["outcome"] == "rec") & (effects["predictor"] == "B")]
    assert set(rec["effect"]) == {"indirect", "total"}  # fully mediated


def test_monte_carlo_interval_of_an_indirect_effect_is_near_the_delta_method(fitted):
    spec, _, estimate, vcov, _ = fitted
    pairs = effect_pairs(spec)
    draws = monte_carlo_draws(lambda p: effect_values(spec, p, pairs), estimate.params, vcov, 4000,
                              np.random.default_rng(1))
    center = effect_values(spec, estimate.params, pairs)
    low, high = bias_corrected_interval(center, draws)
    j = pairs.index((5, 1)) * 3 + 1  # indirect effect of B on recommendation
    ref = pd.DataFrame(REFERENCE["parameters"]).set_index("lhs").loc["ind_B_rec"]
    assert low[j] == pytest.approx(ref["ci_lower"], abs=0.01)
    assert high[j] == pytest.approx(ref["ci_upper"], abs=0.01)
    assert low[j] < center[j] < high[j]


def test_bias_corrected_interval_shifts_with_a_biased_distribution():
    rng = np.random.default_rng(2)
    replicates = rng.standard_normal((20000, 1)) + 0.5  # the estimate 0 sits below the replicates' centre
    low, high = bias_corrected_interval(np.array([0.0]), replicates)
    percentile = np.quantile(replicates[:, 0], [0.025, 0.975])
    assert low[0] < percentile[0] and high[0] < percentile[1]


OUTCOMES = {"sat": ["sat"], "ret": ["ret"], "rec": ["rec"]}
DIMENSIONS = {f"{a}{i}": a.upper() for a in "abc" for i in (1, 2, 3)}


@pytest.fixture(scope="module")
def mediated():
    return fit_structural(pd.read_csv(DATA / "structural_sim.csv"), DIMENSIONS, OUTCOMES, mediator="sat",
                          interval="monte_carlo", n_draws=2000)


def test_fit_structural_matches_lavaan(mediated):
    expected = REFERENCE["mediated"]
    fit = mediated.fit.iloc[0]
    assert fit["status"] == "ok" and fit["df"] == expected["fit"]["df"] and fit["npar"] == expected["fit"]["npar"]
    for ours, theirs in (("chisq", "chisq"), ("cfi", "cfi"), ("tli", "tli"), ("rmsea", "rmsea"), ("srmr", "srmr")):
        assert fit[ours] == pytest.approx(expected["fit"][theirs], rel=REL, abs=1e-9), ours
    lavaan = pd.DataFrame(expected["parameters"]).query("op == '~'").set_index(["lhs", "rhs"])
    paths = mediated.paths.set_index(["outcome", "predictor"]).loc[lavaan.index]
    for ours, theirs in (("estimate", "est"), ("se", "se"), ("pvalue", "pvalue"), ("std_all", "std")):
        assert paths[ours].to_numpy() == pytest.approx(lavaan[theirs].to_numpy(), rel=REL, abs=1e-12), ours
    assert paths["r2"].to_numpy() == pytest.approx([expected["r2"][o] for o, _ in lavaan.index], rel=REL)


def test_fit_structural_effects_add_up_and_indirect_intervals_are_monte_carlo(mediated):
    effects = mediated.effects.set_index(["outcome", "predictor", "effect"]).sort_index()
    for predictor in ("A", "B", "C"):
        parts = effects.loc[("rec", predictor), "estimate"]
        assert parts["total"] == pytest.approx(parts["direct"] + parts["indirect"], abs=1e-12)
    assert set(effects.xs("indirect", level="effect")["interval"]) == {"monte_carlo"}
    assert set(effects.xs("direct", level="effect")["interval"]) == {"wald"}
    row = effects.loc[("rec", "B", "indirect")]
    assert row["ci_low"] < row["estimate"] < row["ci_high"]


def test_bootstrap_and_monte_carlo_intervals_agree(mediated):
    """The bias-corrected bootstrap (what reviewers ask for) and the cheap Monte Carlo interval
    agree on these data to within a few hundredths."""
    boot = fit_structural(pd.read_csv(DATA / "structural_sim.csv"), DIMENSIONS, OUTCOMES, mediator="sat",
                          interval="bootstrap", n_draws=300, seed=3)
    mc, bc = (r.effects.query("effect == 'indirect'").set_index(["outcome", "predictor"]) for r in (mediated, boot))
    assert set(bc["interval"]) == {"bootstrap"}
    assert bc["ci_low"].to_numpy() == pytest.approx(mc["ci_low"].to_numpy(), abs=0.03)
    assert bc["ci_high"].to_numpy() == pytest.approx(mc["ci_high"].to_numpy(), abs=0.03)


def test_a_mediator_that_is_not_an_outcome_is_refused():
    with pytest.raises(ValueError, match="mediator"):
        fit_structural(pd.read_csv(DATA / "structural_sim.csv"), DIMENSIONS, OUTCOMES, mediator="loyalty")


def test_too_few_respondents_is_a_status(mediated):
    few = fit_structural(pd.read_csv(DATA / "structural_sim.csv").head(8), DIMENSIONS, OUTCOMES, mediator="sat")
    assert few.fit["status"].iloc[0] == "not_identified" and few.paths.empty and few.effects.empty


def test_no_draws_without_a_mediator():
    result = fit_structural(pd.read_csv(DATA / "structural_sim.csv"), DIMENSIONS, OUTCOMES)
    fit = result.fit.iloc[0]
    assert fit["interval"] == "" and fit["n_draws"] == 0 and fit["mediator"] == ""
    assert set(result.effects["effect"]) == {"direct", "total"}
    assert set(result.effects["interval"]) == {"wald"}


def test_refits_that_do_not_converge_are_counted_and_none_converging_leaves_no_interval(monkeypatch):
    data = pd.read_csv(DATA / "structural_sim.csv")
    boot = fit_structural(data, DIMENSIONS, OUTCOMES, mediator="sat", interval="bootstrap", n_draws=50, seed=3)
    assert boot.fit["draws_failed"].iloc[0] == 0
    monkeypatch.setattr(structural, "BOOTSTRAP_ITERATIONS", 0)  # no refit may take a step
    none = fit_structural(data, DIMENSIONS, OUTCOMES, mediator="sat", interval="bootstrap", n_draws=50, seed=3)
    assert none.fit[["status", "n_draws", "draws_failed"]].iloc[0].tolist() == ["ok", 50, 50]
    indirect = none.effects[none.effects["effect"] == "indirect"]
    assert len(indirect) and indirect[["ci_low", "ci_high"]].isna().all().all()
