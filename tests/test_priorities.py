"""Tests of servqual.priorities: importance against R, IPA and priorities on hand cases.

Derived importance reference numbers are read from tests/data/priorities_reference.json, written
by ``Rscript tests/data/priorities_reference.R`` (R 4.2.2, base stats) on tests/data/gaps_paired.csv
(dimension perception scores tan = mean(P_q1, P_q2), rel = mean(P_q3, P_q4)): cor.test with
overall satisfaction (derived_r, Fisher CI), lm of the standardized scores with confint
(derived_beta) and the item correlations.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_gaps import DIMS, survey  # noqa: F401  (shared data and fixture)

from servqual.gaps import paired_gap_tests
from servqual.priorities import (
    DEFAULT_PLAYBOOK,
    IMPORTANCE_COLUMNS,
    IPA_COLUMNS,
    NO_EVIDENCE_NOTE,
    PLAYBOOK_REFERENCE,
    PRIORITY_COLUMNS,
    derived_importance,
    importance_performance,
    importance_table,
    improvement_priorities,
    ipa_quadrants,
    parse_provider_gaps,
    stated_importance,
)

REFERENCE = json.loads((Path(__file__).parent / "data" / "priorities_reference.json").read_text())


def r_importance(kind: str) -> list[list[float]]:
    """R's value and CI per dimension (tan, rel) of one kind of derived importance."""
    return [[REFERENCE[kind][dim][c] for c in ("value", "ci_low", "ci_high")] for dim in ("tan", "rel")]


def test_playbook_follows_the_gaps_model():
    assert set(DEFAULT_PLAYBOOK) == {1, 2, 3, 4}
    assert "market research" in DEFAULT_PLAYBOOK[1]
    assert "fewer management layers" in DEFAULT_PLAYBOOK[1]
    assert "measurable goals" in DEFAULT_PLAYBOOK[2]
    assert "role clarity" in DEFAULT_PLAYBOOK[3] and len(DEFAULT_PLAYBOOK[3]) == 6
    assert "no over-promising in advertising" in DEFAULT_PLAYBOOK[4]
    assert "Journal of Marketing" in PLAYBOOK_REFERENCE and "1988" in PLAYBOOK_REFERENCE


def test_stated_importance_normalises_points_by_hand():
    # Respondent 2's points sum to 50 and are doubled.
    points = pd.DataFrame({"tan": [20, 10, 40], "rel": [80, 40, 60]})
    table = stated_importance(points, DIMS)
    assert list(table.columns) == IMPORTANCE_COLUMNS
    assert table["kind"].tolist() == ["stated", "stated"]
    np.testing.assert_allclose(table["value"], [80 / 3, 220 / 3])
    assert table["n"].tolist() == [3, 3]
    half = 4.302652730 * np.std([20, 20, 40], ddof=1) / np.sqrt(3)  # qt(.975, 2) = 4.302653
    assert (table.loc[0, "ci_low"], table.loc[0, "ci_high"]) == pytest.approx(
        (80 / 3 - half, 80 / 3 + half)
    )


def test_derived_importance_matches_r(survey):
    _, p, overall = survey
    table = derived_importance(p, DIMS, overall).set_index(["kind", "dimension"])
    r = table.loc["derived_r"]
    np.testing.assert_allclose(r[["value", "ci_low", "ci_high"]].to_numpy(), r_importance("derived_r"), rtol=1e-8)
    beta = table.loc["derived_beta"]
    np.testing.assert_allclose(
        beta[["value", "ci_low", "ci_high"]].to_numpy(), r_importance("derived_beta"), rtol=1e-8
    )
    assert beta["n"].tolist() == [40, 40]


def test_importance_table_combines_what_exists(survey):
    _, p, overall = survey
    points = pd.DataFrame({"tan": np.full(40, 60.0), "rel": np.full(40, 40.0)})
    both = importance_table(p, DIMS, points, overall)
    assert both["kind"].tolist() == ["stated"] * 2 + ["derived_r"] * 2 + ["derived_beta"] * 2
    assert importance_table(p, DIMS).empty
    assert list(importance_table(p, DIMS).columns) == IMPORTANCE_COLUMNS


def test_ipa_quadrants_by_hand():
    importance = pd.Series({"A": 30.0, "B": 25.0, "C": 15.0, "D": 10.0, "E": 20.0})  # mean 20
    performance = pd.Series({"A": 4.0, "B": 6.0, "C": 4.5, "D": 6.5, "E": 5.0})  # mean 5.2
    table = ipa_quadrants(importance, performance)
    assert table["quadrant"].to_dict() == {
        "A": "concentrate here",
        "B": "keep up the good work",
        "C": "low priority",
        "D": "possible overkill",
        "E": "concentrate here",  # importance at the cut counts as high
    }
    assert (table["importance_cut"].iloc[0], table["performance_cut"].iloc[0]) == (20, 5.2)


def test_importance_performance_stated_and_derived(survey):
    _, p, overall = survey
    points = pd.DataFrame({"tan": np.r_[np.full(20, 70.0), np.full(20, 35.0)],
                           "rel": np.r_[np.full(20, 30.0), np.full(20, 15.0)]})
    stated = importance_performance(p, DIMS, importance=points)
    assert list(stated.columns) == IPA_COLUMNS
    assert stated["level"].tolist() == ["dimension"] * 2 + ["item"] * 4
    # Every respondent's points normalise to tan 70, rel 30; items take their dimension's.
    np.testing.assert_allclose(stated["importance"], [70, 30, 70, 70, 30, 30])
    # Dimension performance: tan 4.9125, rel 5.2875 (cut 5.1); items 4.725 5.1 5.4 5.175.
    assert stated["quadrant"].tolist() == [
        "concentrate here", "possible overkill",
        "concentrate here", "keep up the good work", "possible overkill", "possible overkill",
    ]
    derived = importance_performance(p, DIMS, overall=overall, kind="derived")
    assert (derived["importance_kind"] == "derived_r").all()
    expected = [REFERENCE["derived_r"][dim]["value"] for dim in ("tan", "rel")]
    expected += [REFERENCE["item_r"][item] for item in ("q1", "q2", "q3", "q4")]
    np.testing.assert_allclose(derived["importance"], expected, rtol=1e-8)
    with pytest.raises(ValueError, match="overall satisfaction"):
        importance_performance(p, DIMS, kind="derived")


def _hand_case() -> tuple[pd.DataFrame, pd.DataFrame]:
    gaps = pd.DataFrame(
        {
            "measure_pair": "P-E",
            "level": ["dimension"] * 3 + ["item"] * 3,
            "dimension": ["A", "B", "C", "A", "B", "C"],
            "item": ["", "", "", "a1", "b1", "c1"],
            "gap": [-1.0, -0.5, 0.2, -0.4, -1.2, -0.1],
            "gap_ci_low": [-1.4, -0.9, -0.1, -0.8, -1.5, -0.3],
            "gap_ci_high": [-0.6, -0.1, 0.5, 0.0, -0.9, 0.1],
        }
    )
    ipa = pd.DataFrame(
        {
            "level": ["dimension"] * 3 + ["item"] * 3,
            "dimension": ["A", "B", "C", "A", "B", "C"],
            "item": ["", "", "", "a1", "b1", "c1"],
            "importance": [20.0, 50.0, 30.0, 20.0, 50.0, 30.0],
            "quadrant": ["low priority", "concentrate here", "possible overkill",
                         "low priority", "concentrate here", "possible overkill"],
        }
    )
    return gaps, ipa


def test_priorities_order_and_index_by_hand():
    gaps, ipa = _hand_case()
    evidence = pd.DataFrame(
        {
            "dimension": ["B", "B"],
            "provider_gaps": ["Gap 3 (staff not trained)", [4]],
            "evidence": ["staff interviews: no training on the new system", "ads promise 24 h"],
        }
    )
    table = improvement_priorities(gaps, ipa, evidence)
    assert list(table.columns) == PRIORITY_COLUMNS
    # Dimension weights .2 .5 .3: A 1.0*.2 = .2, B .5*.5 = .25, C positive gap -> 0.
    dims = table[table["level"] == "dimension"]
    assert dims["dimension"].tolist() == ["B", "A", "C"]
    assert dims["rank"].tolist() == [1, 2, 3]
    np.testing.assert_allclose(dims["priority_index"], [0.25, 0.2, 0.0])
    # Items: a1 .4*.2 = .08, b1 1.2*.5 = .6, c1 .1*.3 = .03.
    items = table[table["level"] == "item"]
    assert items["item"].tolist() == ["b1", "a1", "c1"]
    np.testing.assert_allclose(items["priority_index"], [0.6, 0.08, 0.03])
    b = dims.iloc[0]
    assert b["quadrant"] == "concentrate here" and b["gap_ci_high"] == -0.1
    assert b["provider_gaps"] == "3 delivery, 4 communication"
    assert b["actions"].startswith("training; teamwork") and "managing customer expectations" in b["actions"]
    assert "no training" in b["evidence"] and "24 h" in b["evidence"]
    assert items.iloc[0]["provider_gaps"] == "3 delivery, 4 communication"
    a = dims.iloc[1]
    assert a["provider_gaps"] == "" and a["actions"] == ""
    assert a["evidence"] == "no interview evidence for this dimension"


def test_priorities_without_evidence_say_so_and_ties_go_to_larger_shortfall():
    gaps, ipa = _hand_case()
    ipa["importance"] = [40.0, 20.0, 40.0, 40.0, 20.0, 40.0]
    gaps["gap"] = [-0.5, -1.0, 0.2, -0.4, -1.2, -0.1]  # A .5*.4 = .2, B 1.0*.2 = .2 (tie)
    table = improvement_priorities(gaps, ipa)
    assert table.loc[table["level"] == "dimension", "dimension"].tolist() == ["B", "A", "C"]
    assert (table["evidence"] == NO_EVIDENCE_NOTE).all()
    assert (table["actions"] == "").all()


def test_priorities_from_real_tables(survey):
    e, p, _ = survey
    points = pd.DataFrame({"tan": np.full(40, 40.0), "rel": np.full(40, 60.0)})
    gaps = pd.concat([paired_gap_tests(e, p, DIMS),
                      paired_gap_tests(e, p, DIMS, level="dimension")])
    ipa = importance_performance(p, DIMS, importance=points)
    table = improvement_priorities(gaps, ipa)
    dims = table[table["level"] == "dimension"].set_index("dimension")
    # tan .6125 * .4 = .245, rel .3375 * .6 = .2025
    assert dims["priority_index"].to_dict() == pytest.approx({"tan": 0.245, "rel": 0.2025})
    assert dims["rank"].to_dict() == {"tan": 1, "rel": 2}


def test_parse_provider_gaps():
    assert parse_provider_gaps("gap 1; Gap 3 and 3") == [1, 3]
    assert parse_provider_gaps("gap 12") == []
    assert parse_provider_gaps((2, 4)) == [2, 4]
    assert parse_provider_gaps(None) == []
    with pytest.raises(ValueError, match="1..4"):
        parse_provider_gaps([5])


def test_item_importance_ratings_give_the_ipa_its_importance():
    """A survey that rates each item's importance had no place for it, so the IPA and the
    priorities came out empty; an item now takes its mean rating and a dimension its items' mean."""
    perceptions = pd.DataFrame({"t1": [5, 6, 7, 4], "t2": [4, 5, 6, 5], "r1": [3, 2, 4, 3], "r2": [2, 3, 3, 4]})
    rated = pd.DataFrame({"t1": [4, 5, 4, 5], "t2": [3, 3, 4, 2], "r1": [7, 6, 7, 7], "r2": [6, 7, 6, 6]})
    dims = {"t1": "tan", "t2": "tan", "r1": "rel", "r2": "rel"}
    table = importance_performance(perceptions, dims, item_importance=rated).set_index(["level", "item"])
    assert table.loc[("item", "r1"), "importance"] == pytest.approx(6.75)
    assert table.loc[("dimension", ""), "importance"].tolist() == pytest.approx([3.75, 6.5])
    assert set(table["importance_kind"]) == {"stated_items"}
    assert table.loc[("dimension", ""), "quadrant"].tolist() == ["possible overkill", "concentrate here"]
