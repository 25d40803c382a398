"""Invariance across expectations and perceptions (servqual.ep_invariance) against lavaan.

Reference numbers from tests/data/ep_invariance_reference.json, written by
``Rscript tests/data/ep_invariance_reference.R`` (lavaan 0.6-14): the two-occasion CFA of
tests/data/ep_sim.csv (tests/data/ep_sim_generate.py: 12 items in 3 dimensions rated as E and P
by 500 simulated respondents; P of b2 shifted so that scalar equality fails) at the configural,
metric, scalar and strict levels, the latent means of P under scalar equality, and the
univariate score tests of the scalar model's equality constraints (lavTestScore).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from servqual.ep_invariance import EQUAL, ep_invariance, ep_latent_means
from servqual.sem.estimation import estimate_ml
from servqual.sem.model import two_occasion_spec
from servqual.sem.samplestats import group_stats
from servqual.sem.score import release_score_tests

DATA = Path(__file__).parent / "data"
REFERENCE = json.loads((DATA / "ep_invariance_reference.json").read_text())
ITEMS = {f"{a}{i}": a for a in "abc" for i in range(1, 5)}
FACTOR_OF_ITEM = [ord(d) - ord("a") for d in ITEMS.values()]
REL = 1e-6


@pytest.fixture(scope="module")
def ratings() -> tuple[pd.DataFrame, pd.DataFrame]:
    data = pd.read_csv(DATA / "ep_sim.csv")
    return (data.filter(like="E_").set_axis(list(ITEMS), axis=1),
            data.filter(like="P_").set_axis(list(ITEMS), axis=1))


@pytest.fixture(scope="module")
def result(ratings):
    return ep_invariance(*ratings, ITEMS)


@pytest.fixture(scope="module")
def stats_list(ratings):
    x = np.hstack([r.to_numpy(float) for r in ratings])
    return [group_stats(x[~np.isnan(x).any(axis=1)])]


@pytest.mark.parametrize("level", ["configural", "metric", "scalar"])
def test_full_levels_match_lavaan(result, level):
    row = result.levels[(result.levels["level"] == level) & ~result.levels["partial"]].iloc[0]
    expected = REFERENCE["fit"][level]
    assert row["n"] == expected["ntotal"] and row["df"] == expected["df"]
    for ours, theirs in (("chisq", "chisq"), ("cfi", "cfi"), ("tli", "tli"), ("rmsea", "rmsea")):
        assert row[ours] == pytest.approx(expected[theirs], rel=REL, abs=1e-9), ours
    # lavaan finds the interval's bounds by uniroot to about 1e-8
    for ours, theirs in (("rmsea_ci_low", "rmsea.ci.lower"), ("rmsea_ci_high", "rmsea.ci.upper")):
        assert row[ours] == pytest.approx(expected[theirs], abs=1e-6), ours


def test_full_strict_model_matches_lavaan(stats_list):
    """Strict follows the partial scalar model in the ladder; the full strict model is fitted here."""
    spec = two_occasion_spec(FACTOR_OF_ITEM, 3, equal=EQUAL["strict"])
    estimate = estimate_ml(spec, stats_list)
    n = stats_list[0].n
    assert spec.df == REFERENCE["fit"]["strict"]["df"]
    assert n * estimate.fmin == pytest.approx(REFERENCE["fit"]["strict"]["chisq"], rel=REL)


def test_scalar_score_tests_match_lavaan_and_find_the_shifted_item(stats_list):
    spec = two_occasion_spec(FACTOR_OF_ITEM, 3, equal=EQUAL["scalar"])
    estimate = estimate_ml(spec, stats_list)
    tests = release_score_tests(spec, stats_list, estimate.params)
    p = len(ITEMS)
    names = [("l_" if spec.kind[s] == 0 else "i_") + list(ITEMS)[spec.row[s] - p] for s in tests["slot"]]
    ours = dict(zip(names, tests["chisq"]))
    lavaan = dict(zip(REFERENCE["score"]["lhs_label"], REFERENCE["score"]["x2"]))
    assert set(ours) == set(lavaan)
    for name, value in lavaan.items():
        assert ours[name] == pytest.approx(value, rel=1e-5, abs=1e-6), name
    assert max(ours, key=ours.get) == "i_b2"


def test_latent_means_under_scalar_equality_match_lavaan(stats_list):
    spec = two_occasion_spec(FACTOR_OF_ITEM, 3, equal=EQUAL["scalar"])
    estimate = estimate_ml(spec, stats_list)
    means = ep_latent_means(spec, stats_list, estimate.params, ["a", "b", "c"])
    expected = REFERENCE["latent_means"]
    for ours, theirs in (("estimate", "est"), ("se", "se"), ("z", "z"), ("ci_low", "ci_lower"),
                         ("ci_high", "ci_upper"), ("std_all", "std")):
        assert means[ours].to_numpy() == pytest.approx(expected[theirs], rel=1e-5), ours


def test_partial_scalar_invariance_releases_the_shifted_intercept(result):
    levels = result.levels
    scalar = levels[levels["level"] == "scalar"]
    assert scalar["decision"].tolist() == ["rejected", "holds_by_fit_indices"]
    assert scalar["released"].tolist() == ["", "intercepts:b2"]
    assert levels["compared_with"].tolist() == ["", "configural", "metric", "metric", "scalar (partial)"]
    assert levels["means_comparable"].all()
    assert result.latent_means["dimension"].tolist() == ["a", "b", "c"]
    assert (result.latent_means["ci_high"] < 0).all()  # perceptions fall short of expectations


def test_metric_failure_stops_the_ladder(ratings):
    e, p = ratings
    p = p.copy()
    p["a2"] = p["a2"].sample(frac=1, random_state=1).to_numpy()  # a2 no longer measures a in P
    levels = ep_invariance(e, p, ITEMS).levels
    metric = levels[levels["level"] == "metric"]
    assert metric["decision"].iloc[0] == "rejected"
    assert "loadings:a2" in metric["released"].iloc[-1]


def test_too_few_respondents_is_a_status_not_an_error(ratings):
    e, p = ratings
    levels = ep_invariance(e.head(10), p.head(10), ITEMS).levels
    assert set(levels["decision"]) == {"not_assessed"}
    assert "too few" in levels["reason"].iloc[0]
    assert not levels["means_comparable"].any()


def test_mlr_ladder_matches_lavaan(ratings):
    """Under MLR: the scaled chi-square and robust CFI/RMSEA of each full level, and the
    Satorra-Bentler scaled differences the decisions rest on."""
    levels = ep_invariance(*ratings, ITEMS, estimator="MLR").levels
    full = levels[~levels["partial"]].set_index("level")
    for level in ("configural", "metric", "scalar"):
        expected = REFERENCE["mlr"][level]
        assert full.loc[level, "estimator"] == "MLR"
        for ours, theirs in (("chisq_scaled", "chisq.scaled"), ("scaling_factor", "chisq.scaling.factor"),
                             ("cfi_robust", "cfi.robust"), ("rmsea_robust", "rmsea.robust")):
            assert full.loc[level, ours] == pytest.approx(expected[theirs], abs=1e-4), (level, ours)
    for level in ("metric", "scalar"):
        expected = REFERENCE["mlr_difference"][level]
        assert full.loc[level, "delta_chisq_scaled"] == pytest.approx(expected["chisq"], abs=1e-3)
        assert full.loc[level, "p"] == pytest.approx(expected["p"], abs=1e-4)
    assert levels["decision"].tolist() == ["reference", "holds", "rejected", "holds_by_fit_indices", "holds"]
