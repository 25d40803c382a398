"""Outcomes: several outcome scales per survey, each with its mean, the predictive validity of the
overall scores and the importance derived from it (a single 'overall' column had no room for
intention to return or recommendation)."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from servqual.gaps import respondent_scores
from servqual.instrument import instrument_from_config
from servqual.outcomes import OUTCOME_COLUMNS, outcome_scores, outcome_table

RNG = np.random.default_rng(12)
DIMS = {"t1": "tan", "t2": "tan", "r1": "rel", "r2": "rel"}


def survey(n: int = 120) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    trait = RNG.normal(0, 1, (n, 1))
    p = pd.DataFrame(np.clip(np.rint(4 + trait + RNG.normal(0, 1, (n, 4))), 1, 7), columns=list(DIMS))
    e = pd.DataFrame(np.clip(np.rint(6 + RNG.normal(0, 0.8, (n, 4))), 1, 7), columns=list(DIMS))
    outcomes = pd.DataFrame({"satisfaction": np.clip(np.rint(4 + trait[:, 0] + RNG.normal(0, 1, n)), 1, 7),
                             "loyalty": np.clip(np.rint(4 + 0.5 * trait[:, 0] + RNG.normal(0, 1, n)), 1, 7)})
    return p, e, outcomes


def test_each_outcome_gets_its_mean_validity_and_derived_importance():
    p, e, outcomes = survey()
    table = outcome_table(p, DIMS, outcomes, e)
    assert list(table.columns) == OUTCOME_COLUMNS
    assert list(dict.fromkeys(table["outcome"])) == ["satisfaction", "loyalty"]
    loyalty = table[table["outcome"] == "loyalty"].set_index(["kind", "predictor"])
    assert loyalty.loc[("mean", ""), "value"] == pytest.approx(outcomes["loyalty"].mean())
    scores = respondent_scores(p, DIMS, e)
    r = stats.pearsonr(scores["servperf"], outcomes["loyalty"])[0]
    assert loyalty.loc[("r", "servperf"), "value"] == pytest.approx(r, abs=1e-12)
    # Without importance points the weighted score has no values, so no validity row.
    assert ("r", "servqual_weighted") not in loyalty.index and ("r", "servqual") in loyalty.index
    rel = p[["r1", "r2"]].mean(axis=1)
    assert loyalty.loc[("derived_r", "rel"), "value"] == pytest.approx(np.corrcoef(rel, outcomes["loyalty"])[0, 1])
    assert outcome_table(p, DIMS, outcomes.iloc[:, :0], e).empty


def test_outcome_scales_average_their_items_and_overall_comes_first():
    instrument = instrument_from_config(
        {"scale": {"min": 1, "max": 7}, "dimensions": [{"id": "tan"}], "items": [{"id": "t1", "dimension": "tan"}]},
        {"perception": {"pattern": "P{index}"}, "overall": {"column": "overall"}},
        [{"id": "loyalty", "columns": ["Q30 return", "Q31 recommend"], "scale": {"min": 0, "max": 10}}],
    )
    assert instrument.raw_to_canonical()["Q31 recommend"] == "O_loyalty_2"
    assert instrument.outcomes[0].scale.max == 10
    responses = pd.DataFrame({"overall": [5.0, 6.0], "O_loyalty_1": [8.0, None], "O_loyalty_2": [6.0, 9.0]})
    scores = outcome_scores(responses, instrument)
    assert list(scores.columns) == ["overall", "loyalty"] and scores["loyalty"].tolist() == [7.0, 9.0]
    with pytest.raises(ValueError, match="ids must be distinct"):
        instrument_from_config({"scale": {"min": 1, "max": 7}, "dimensions": [{"id": "tan"}],
                                "items": [{"id": "t1", "dimension": "tan"}]},
                               {"perception": {"pattern": "P{index}"}}, [{"id": "overall", "columns": ["x"]}])
