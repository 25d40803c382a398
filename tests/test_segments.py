"""Tests of servqual.segments against R.

tests/data/gaps_segments.csv holds a gap score for 128 respondents in four regions (east 33,
north 45, south 38, west 12). With the default minimum cell size of 30, west is described but
not tested. Reference numbers on the three tested regions are read from
tests/data/segments_reference.json, written by ``Rscript tests/data/segments_reference.R``
(R 4.2.2, base stats): oneway.test(var.equal = FALSE), kruskal.test, and Games-Howell and Dunn
computed in base R from their published definitions (Games & Howell 1976, J. Educational
Statistics 1(2); Dunn 1964, Technometrics 6(3)), as no R package for them is installed.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from servqual.segments import (
    POSTHOC_COLUMNS,
    SEGMENT_COLUMNS,
    compare_segments,
    dunn_test,
    games_howell,
    kruskal_wallis,
    segment_targets,
    welch_anova,
)

DATA = Path(__file__).parent / "data" / "gaps_segments.csv"
REFERENCE = json.loads((DATA.parent / "segments_reference.json").read_text())
WELCH, KRUSKAL = REFERENCE["welch"], REFERENCE["kruskal"]
GAMES_HOWELL, DUNN = REFERENCE["games_howell"], REFERENCE["dunn"]


@pytest.fixture(scope="module")
def regions() -> pd.DataFrame:
    return pd.read_csv(DATA)


@pytest.fixture(scope="module")
def groups(regions) -> dict[str, np.ndarray]:
    return {g: regions.loc[regions["region"] == g, "gap"].to_numpy()
            for g in ["east", "north", "south"]}


def test_welch_anova_matches_r(groups):
    res = welch_anova(groups)
    assert (res.f, res.df1, res.df2, res.p) == pytest.approx(
        (WELCH["f"], WELCH["df1"], WELCH["df2"], WELCH["p"]), rel=1e-6
    )
    assert res.omega2 == 0  # F < 1


def test_welch_anova_with_an_effect_matches_r_and_gives_omega2():
    hand = REFERENCE["welch_hand_case"]
    y, g = np.array(hand["y"]), np.array(hand["g"])
    res = welch_anova({level: y[g == level] for level in ("a", "b", "c")})
    assert (res.f, res.df2, res.p) == pytest.approx((hand["f"], hand["df2"], hand["p"]), rel=1e-6)
    # omega^2 = df1 (F - 1) / (df1 (F - 1) + N), N = 12
    assert res.omega2 == pytest.approx(2 * (hand["f"] - 1) / (2 * (hand["f"] - 1) + 12), rel=1e-6)


def test_kruskal_wallis_matches_r(groups):
    res = kruskal_wallis(groups)
    assert (res.h, res.df, res.p) == pytest.approx((KRUSKAL["h"], KRUSKAL["df"], KRUSKAL["p"]), rel=1e-6)
    assert res.epsilon2 == pytest.approx(KRUSKAL["h"] / (116 - 1), rel=1e-6)


def test_games_howell_matches_hand_computed_r(groups):
    table = games_howell(groups)
    assert list(zip(table["group_a"], table["group_b"])) == list(
        zip(GAMES_HOWELL["group_a"], GAMES_HOWELL["group_b"])
    )
    for column in ("diff", "t", "df"):
        np.testing.assert_allclose(table[column], GAMES_HOWELL[column], rtol=1e-8, err_msg=column)
    np.testing.assert_allclose(table["p"], GAMES_HOWELL["p"], rtol=1e-5)


def test_dunn_matches_hand_computed_r(groups):
    table = dunn_test(groups)
    np.testing.assert_allclose(table["z"], DUNN["z"], rtol=1e-8)
    np.testing.assert_allclose(table["p_adj"], DUNN["p_adj"], rtol=1e-8)


def test_compare_segments_tests_only_large_levels(regions):
    result = compare_segments(regions[["gap"]], regions[["region"]])
    table, posthoc = result.table, result.posthoc
    assert list(table.columns) == SEGMENT_COLUMNS
    assert list(posthoc.columns) == POSTHOC_COLUMNS
    assert table["level_value"].tolist() == ["east", "north", "south", "west"]
    assert table["n"].tolist() == [33, 45, 38, 12]
    assert table["tested"].tolist() == [True, True, True, False]
    assert table.loc[3, "mean"] == pytest.approx(0.0125)
    np.testing.assert_allclose(table["welch_f"], WELCH["f"], rtol=1e-6)
    np.testing.assert_allclose(table["kw_h"], KRUSKAL["h"], rtol=1e-6)
    assert len(posthoc) == 3 and "west" not in set(posthoc["group_a"]) | set(posthoc["group_b"])
    np.testing.assert_allclose(posthoc["games_howell_p"], GAMES_HOWELL["p"], rtol=1e-5)
    # With a lower minimum cell size west is tested too.
    small = compare_segments(regions[["gap"]], regions[["region"]], min_cell=10)
    assert small.table["tested"].all() and len(small.posthoc) == 6


def test_too_few_large_levels_means_no_test(regions):
    result = compare_segments(regions[["gap"]], regions[["region"]], min_cell=40)
    assert not result.table["tested"].any()
    assert result.table["welch_p"].isna().all() and result.posthoc.empty


def test_categorical_order_is_kept_and_missing_labels_dropped():
    rng = np.random.default_rng(1)
    labels = pd.Series(pd.Categorical(["b", "a", None] * 20, categories=["b", "a", "z"]))
    result = compare_segments(pd.DataFrame({"servqual": rng.normal(size=60)}),
                              pd.DataFrame({"type": labels}), min_cell=10)
    assert result.table["level_value"].tolist() == ["b", "a"]
    assert result.table["n"].tolist() == [20, 20]


def test_segment_targets_are_the_dimension_gaps_and_servqual():
    rng = np.random.default_rng(7)
    n = 80
    e = pd.DataFrame(rng.integers(4, 8, (n, 3)), columns=["q1", "q2", "q3"]).astype(float)
    p = pd.DataFrame(rng.integers(3, 8, (n, 3)), columns=["q1", "q2", "q3"]).astype(float)
    segments = pd.DataFrame({"branch": np.repeat(["x", "y"], n // 2)})
    result = compare_segments(segment_targets(e, p, {"q1": "A", "q2": "A", "q3": "B"}), segments)
    assert result.table["target"].unique().tolist() == ["A", "B", "servqual"]
    gaps = (p - e).assign(A=lambda d: (d.q1 + d.q2) / 2)
    expected = gaps.loc[segments["branch"] == "x", "A"].mean()
    assert result.table.iloc[0]["mean"] == pytest.approx(expected)


def test_input_checks():
    with pytest.raises(ValueError, match="two groups"):
        welch_anova({"a": [1, 2, 3]})
    with pytest.raises(ValueError, match="min_cell"):
        compare_segments(pd.DataFrame({"x": [1.0]}), pd.DataFrame({"s": ["a"]}), min_cell=1)


def test_level_means_carry_t_intervals():
    data = pd.read_csv(Path(__file__).parent / "data" / "gaps_segments.csv")
    table = compare_segments(data[["gap"]], data[["region"]]).table.set_index("level_value")
    east = data.loc[data["region"] == "east", "gap"]
    half = 2.036933343460101 * east.std() / np.sqrt(len(east))  # qt(.975, 32) in R
    assert table.loc["east", "ci_low"] == pytest.approx(east.mean() - half, abs=1e-12)
    assert table.loc["east", "ci_high"] == pytest.approx(east.mean() + half, abs=1e-12)


def test_perception_only_studies_compare_perception_scores():
    rng = np.random.default_rng(4)
    perceptions = pd.DataFrame(rng.integers(1, 8, (90, 4)).astype(float), columns=["a1", "a2", "b1", "b2"])
    labels = pd.DataFrame({"branch": np.repeat(["x", "y", "z"], 30)})
    dims = {"a1": "a", "a2": "a", "b1": "b", "b2": "b"}
    table = compare_segments(segment_targets(None, perceptions, dims), labels).table
    assert list(dict.fromkeys(table["target"])) == ["a", "b", "servperf"]
    x = table[(table["target"] == "a") & (table["level_value"] == "x")]
    assert x["mean"].iloc[0] == pytest.approx(perceptions[["a1", "a2"]].mean(axis=1)[:30].mean())


def test_small_levels_can_be_pooled_or_dropped(regions):
    """Levels of one or two respondents stretched the segment figures; a segment can pool them into
    'other' (tested when large enough) or leave them out, and the table says which it did."""
    pooled = compare_segments(regions[["gap"]], regions[["region"]], min_cell=40, small_levels={"region": "pool"})
    table = pooled.table
    assert table["level_value"].tolist() == ["north", "other"]
    assert table["n"].tolist() == [45, 83] and table["tested"].all()
    assert set(table["small_level_list"]) == {"east (n = 33), south (n = 38), west (n = 12)"}
    dropped = compare_segments(regions[["gap"]], regions[["region"]], small_levels={"region": "drop"}).table
    assert dropped["level_value"].tolist() == ["east", "north", "south"] and dropped["tested"].all()
    assert set(dropped["small_level_list"]) == {"west (n = 12)"} and set(dropped["small_levels"]) == {"drop"}
    np.testing.assert_allclose(dropped["welch_f"], WELCH["f"], rtol=1e-6)  # the tests are the same as before
    with pytest.raises(ValueError, match="small_levels must be one of"):
        compare_segments(regions[["gap"]], regions[["region"]], small_levels={"region": "merge"})
