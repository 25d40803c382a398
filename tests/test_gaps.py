"""Tests of servqual.gaps against R, scipy and hand-computed cases.

Reference numbers marked R are read from tests/data/gaps_reference.json, written by
``Rscript tests/data/gaps_reference.R`` (R 4.2.2, base stats) on tests/data/gaps_paired.csv
(40 respondents, items q1..q4 rated 1..7 for E and P; dimensions tan = q1, q2 and rel = q3, q4):
t.test(paired = TRUE), wilcox.test(paired = TRUE, correct = FALSE, exact = FALSE), d_z, d_av,
p.adjust (Holm, BH), dimension and SERVQUAL/SERVPERF respondent scores with t.test and
cor.test. Pratt's zero method is computed there by a hand-written function (Pratt 1959;
Cureton 1967) and is also checked against
scipy.stats.wilcoxon(zero_method="pratt", correction=False, method="asymptotic").
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from servqual.gaps import (
    GAP_COLUMNS,
    PERCEPTION_ONLY_NOTE,
    SCORE_COLUMNS,
    ZONE_COLUMNS,
    dimension_scores,
    normalise_importance,
    paired_gap_tests,
    pearson_r_ci,
    respondent_scores,
    servqual_scores,
    wilcoxon_signed_rank,
    zone_of_tolerance,
)
from servqual.multiple_comparisons import adjust_pvalues

DATA = Path(__file__).parent / "data" / "gaps_paired.csv"
DIMS = {"q1": "tan", "q2": "tan", "q3": "rel", "q4": "rel"}

REFERENCE = json.loads((DATA.parent / "gaps_reference.json").read_text())


def r_family(name: str) -> pd.DataFrame:
    """One family of R's paired tests, a row per item or dimension."""
    return pd.DataFrame(REFERENCE[name]).set_index("names")


# R: per item q1..q4 and per dimension tan, rel (see module docstring).
R_ITEMS = r_family("items")
R_DIMS = r_family("dimensions")


@pytest.fixture(scope="module")
def survey() -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    x = pd.read_csv(DATA)
    e = x.filter(like="E_").rename(columns=lambda c: c[2:])
    p = x.filter(like="P_").rename(columns=lambda c: c[2:])
    return e, p, x["overall"]


def test_item_gaps_match_r(survey):
    e, p, _ = survey
    table = paired_gap_tests(e, p, DIMS)
    assert list(table.columns) == GAP_COLUMNS
    assert table["item"].tolist() == ["q1", "q2", "q3", "q4"]
    assert table["dimension"].tolist() == ["tan", "tan", "rel", "rel"]
    assert (table["n"] == 40).all() and (table["measure_pair"] == "P-E").all()
    for col in ["gap", "gap_sd", "gap_ci_low", "gap_ci_high", "t", "p_t", "d_z", "d_av"]:
        np.testing.assert_allclose(table[col], R_ITEMS[col], rtol=1e-8, err_msg=col)
    np.testing.assert_allclose(table["w"], R_ITEMS["w_pratt"])
    np.testing.assert_allclose(table["p_w"], R_ITEMS["p_pratt"], rtol=1e-8)
    np.testing.assert_allclose(table["rank_biserial"], R_ITEMS["rb_pratt"], rtol=1e-8)
    np.testing.assert_allclose(table["p_adj"], R_ITEMS["holm"], rtol=1e-8)
    np.testing.assert_allclose(table["mean_p"] - table["mean_e"], table["gap"])
    assert "pratt" in table.attrs["methods"] and "tie correction" in table.attrs["methods"]


def test_wilcox_zero_method_and_bh_match_r(survey):
    e, p, _ = survey
    table = paired_gap_tests(e, p, DIMS, zero_method="wilcox", p_adjust="bh")
    np.testing.assert_allclose(table["w"], R_ITEMS["w_wilcox"])
    np.testing.assert_allclose(table["p_w"], R_ITEMS["p_wilcox"], rtol=1e-8)
    np.testing.assert_allclose(table["p_adj"], R_ITEMS["bh"], rtol=1e-8)


def test_dimension_gaps_match_r_and_form_their_own_family(survey):
    e, p, _ = survey
    table = paired_gap_tests(e, p, DIMS, level="dimension")
    assert table["dimension"].tolist() == ["tan", "rel"]
    assert table["item"].tolist() == ["", ""]
    for col in ["gap", "gap_ci_low", "gap_ci_high", "t", "p_t", "d_z", "d_av"]:
        np.testing.assert_allclose(table[col], R_DIMS[col], rtol=1e-8, err_msg=col)
    np.testing.assert_allclose(table["w"], R_DIMS["w_pratt"])
    np.testing.assert_allclose(table["p_w"], R_DIMS["p_pratt"], rtol=1e-8)
    np.testing.assert_allclose(table["p_adj"], R_DIMS["holm"], rtol=1e-8)
    wilcox = paired_gap_tests(e, p, DIMS, level="dimension", zero_method="wilcox")
    np.testing.assert_allclose(wilcox["p_w"], R_DIMS["p_wilcox"], rtol=1e-8)


def test_adjusting_the_wilcoxon_p(survey):
    e, p, _ = survey
    table = paired_gap_tests(e, p, DIMS, adjust_test="wilcoxon")
    np.testing.assert_allclose(table["p_adj"], adjust_pvalues(R_ITEMS["p_pratt"], "holm"))


@pytest.mark.parametrize("zero_method", ["pratt", "wilcox", "zsplit"])
def test_signed_rank_matches_scipy(survey, zero_method):
    e, p, _ = survey
    for item in DIMS:
        d = (p[item] - e[item]).to_numpy(dtype=float)
        ours = wilcoxon_signed_rank(d, zero_method)
        ref = stats.wilcoxon(d, zero_method=zero_method, correction=False, method="asymptotic")
        assert ours.p == pytest.approx(ref.pvalue, rel=1e-10)
        assert min(ours.r_plus, ours.r_minus) == pytest.approx(ref.statistic)
        assert abs(ours.z) == pytest.approx(abs(ref.zstatistic), rel=1e-10)


def test_signed_rank_zero_methods_on_a_hand_case():
    # d = 1, 2, 0, -1, 3, 2, 0, 4; ranks of |d| with the zeros: 0 0 -> 1.5, 1 1 -> 3.5,
    # 2 2 -> 5.5, 3 -> 7, 4 -> 8; without them: 1 1 -> 1.5, 2 2 -> 3.5, 3 -> 5, 4 -> 6.
    d = [1, 2, 0, -1, 3, 2, 0, 4]
    pratt = wilcoxon_signed_rank(d, "pratt")
    assert (pratt.r_plus, pratt.r_minus, pratt.n_zero) == (3.5 + 5.5 + 7 + 5.5 + 8, 3.5, 2)
    assert pratt.rank_biserial == pytest.approx((29.5 - 3.5) / 33)
    zsplit = wilcoxon_signed_rank(d, "zsplit")
    assert (zsplit.r_plus, zsplit.r_minus) == (29.5 + 1.5, 3.5 + 1.5)
    assert zsplit.rank_biserial == pytest.approx(26 / 36)
    wilcox = wilcoxon_signed_rank(d, "wilcox")
    assert wilcox.n == 6 and (wilcox.r_plus, wilcox.r_minus) == (1.5 + 3.5 + 5 + 3.5 + 6, 1.5)
    assert np.isnan(wilcoxon_signed_rank([0, 0, 0]).p)


def test_adjust_pvalues_matches_r_and_skips_nan():
    # R: p.adjust(c(0.01, 0.04, 0.03, 0.2), "holm") and "BH"; a missing p is skipped
    example = REFERENCE["p_adjust_example"]
    p = np.insert(example["p"], 2, np.nan)
    np.testing.assert_allclose(adjust_pvalues(p, "holm"), np.insert(example["holm"], 2, np.nan))
    np.testing.assert_allclose(adjust_pvalues(p, "bh"), np.insert(example["bh"], 2, np.nan))
    with pytest.raises(ValueError, match="p_adjust"):
        adjust_pvalues(p, "bonferroni")


def test_servqual_scores_match_r(survey):
    e, p, overall = survey
    table = servqual_scores(p, DIMS, e, overall=overall).set_index("score")
    assert list(table.reset_index().columns) == SCORE_COLUMNS
    row = table.loc["servqual"]
    # R: mean(sq), sd(sq), t.test(sq)$conf.int, cor.test(sq, x$overall)
    ref = REFERENCE["scores"]["servqual"]
    columns = ["mean", "sd", "ci_low", "ci_high", "r_overall", "r_ci_low", "r_ci_high"]
    np.testing.assert_allclose(row[columns].astype(float), [ref[c] for c in columns], rtol=1e-8)
    # The r CI contains 0, so the R^2 CI runs from 0 to the larger squared bound.
    assert row["r2"] == pytest.approx(ref["r_overall"] ** 2)
    assert (row["r2_ci_low"], row["r2_ci_high"]) == pytest.approx((0, ref["r_ci_high"] ** 2))
    perf = table.loc["servperf"]
    # R: sp <- rowMeans(x[, paste0("P_q", 1:4)]); cor.test(sp, x$overall)
    ref = REFERENCE["scores"]["servperf"]
    np.testing.assert_allclose(
        perf[["mean", "r_overall", "r_ci_low", "r_ci_high", "r2_ci_low", "r2_ci_high"]].astype(float),
        [ref["mean"], ref["r_overall"], ref["r_ci_low"], ref["r_ci_high"], ref["r_ci_low"] ** 2,
         ref["r_ci_high"] ** 2],
        rtol=1e-8,
    )
    assert np.isnan(table.loc["servqual_weighted", "mean"])
    assert "importance" in table.loc["servqual_weighted", "note"]


def test_weighted_score_by_hand():
    e = pd.DataFrame({"a1": [5, 6], "a2": [5, 6], "b1": [6, 7], "b2": [6, 7]})
    p = pd.DataFrame({"a1": [4, 6], "a2": [4, 6], "b1": [4, 6], "b2": [4, 6]})
    dims = {"a1": "A", "a2": "A", "b1": "B", "b2": "B"}
    # Respondent 1 gives 30/10 points (normalised 75/25), respondent 2 gives 50/50.
    points = pd.DataFrame({"A": [30, 50], "B": [10, 50]})
    scores = respondent_scores(p, dims, e, points)
    # gaps: r1 A -1, B -2; r2 A 0, B -1
    np.testing.assert_allclose(scores["servqual"], [-1.5, -0.5])
    np.testing.assert_allclose(scores["servqual_weighted"], [-1 * 0.75 - 2 * 0.25, -0.5])
    np.testing.assert_allclose(scores["servperf"], [4, 6])
    table = servqual_scores(p, dims, e, points).set_index("score")
    assert table.loc["servqual_weighted", "mean"] == pytest.approx(-0.875)
    assert table.loc["servqual_weighted", "sd"] == pytest.approx(np.std([-1.25, -0.5], ddof=1))
    assert table.loc["servqual_weighted", "note"] == ""
    np.testing.assert_allclose(normalise_importance(points, dims).sum(axis=1), 100)


def test_respondent_scores_need_every_dimension():
    e = pd.DataFrame({"a1": [5, 5], "a2": [5, 5], "b1": [5, np.nan]})
    p = pd.DataFrame({"a1": [4, 4], "a2": [np.nan, 4], "b1": [3, 6]})
    scores = respondent_scores(p, {"a1": "A", "a2": "A", "b1": "B"}, e)
    # r1: A uses only a1 (a2 lacks P) -> -1; B -2. r2: B has no pair -> no SERVQUAL score.
    np.testing.assert_allclose(scores["A"], [-1, -1])
    np.testing.assert_allclose(scores["servqual"], [-1.5, np.nan])


def test_perception_only_study_reports_servperf_and_says_why():
    p = pd.DataFrame({"q1": [4, 5, 6, 7], "q2": [3, 5, 5, 7]})
    dims = {"q1": "A", "q2": "A"}
    table = paired_gap_tests(None, p, dims)
    assert table.attrs["note"] == PERCEPTION_ONLY_NOTE
    assert table["mean_p"].tolist() == [5.5, 5.0] and table["n"].tolist() == [4, 4]
    assert table[["gap", "t", "p_w", "d_z"]].isna().all().all()
    assert paired_gap_tests(None, p, dims, level="dimension")["mean_p"].tolist() == [5.25]
    scores = servqual_scores(p, dims).set_index("score")
    assert scores.loc["servperf", "mean"] == pytest.approx(5.25)
    assert scores.loc["servqual", "note"] == PERCEPTION_ONLY_NOTE
    assert scores.loc["servqual_weighted", "note"] == PERCEPTION_ONLY_NOTE
    assert np.isnan(scores.loc["servqual", "mean"])


def test_zone_of_tolerance_by_hand():
    a = pd.DataFrame({"q1": [4, 4, 4, 5], "q2": [3, 3, 3, 3]})
    d = pd.DataFrame({"q1": [6, 6, 6, 6], "q2": [5, 5, 5, np.nan]})
    p = pd.DataFrame({"q1": [3, 5, 7, 6], "q2": [3, 6, 2, 4]})
    table = zone_of_tolerance(a, d, p, {"q1": "A", "q2": "A"})
    assert list(table.columns) == ZONE_COLUMNS
    q1, q2, dim = (table.iloc[i] for i in range(3))
    assert (q1["share_below"], q1["share_inside"], q1["share_above"]) == (0.25, 0.5, 0.25)
    assert q1["msa"] == pytest.approx(np.mean([-1, 1, 3, 1]))
    assert q1["mss"] == pytest.approx(np.mean([-3, -1, 1, 0]))
    half = stats.t.ppf(0.975, 3) * np.std([-1, 1, 3, 1], ddof=1) / 2
    assert (q1["msa_ci_low"], q1["msa_ci_high"]) == pytest.approx((1 - half, 1 + half))
    # q2: respondent 4 lacks D and is left out.
    assert q2["n"] == 3 and (q2["share_below"], q2["share_above"]) == (1 / 3, 1 / 3)
    assert dim["level"] == "dimension" and dim["item"] == "" and dim["n"] == 4
    # dimension scores: r4 uses q1 only (q2 incomplete): A 5, D 6, P 6 -> inside.
    assert dim["mean_adequate"] == pytest.approx(np.mean([3.5, 3.5, 3.5, 5]))
    assert dim["share_inside"] == pytest.approx(0.75)


def test_dimension_scores_mean_over_answered_items():
    items = pd.DataFrame({"a": [1, np.nan, np.nan], "b": [3, 5, np.nan], "c": [7, 7, 7]})
    scores = dimension_scores(items, {"a": "X", "b": "X", "c": "Y"})
    assert list(scores.columns) == ["X", "Y"]
    np.testing.assert_allclose(scores["X"], [2, 5, np.nan])


def test_pearson_r_ci_r2_interval_squares_a_positive_interval():
    rng = np.random.default_rng(3)
    x = pd.Series(rng.normal(size=200))
    y = x + pd.Series(rng.normal(size=200))
    res = pearson_r_ci(x, y)
    z = np.arctanh(res.r)
    assert res.ci_low == pytest.approx(np.tanh(z - 1.959963985 / np.sqrt(197)))
    assert (res.r2_ci_low, res.r2_ci_high) == pytest.approx((res.ci_low**2, res.ci_high**2))


def test_boundary_checks_speak_plainly(survey):
    e, p, _ = survey
    with pytest.raises(ValueError, match="lacks items.*q4"):
        paired_gap_tests(e.drop(columns="q4"), p, DIMS)
    with pytest.raises(ValueError, match="same respondents"):
        paired_gap_tests(e.iloc[::-1], p, DIMS)
    with pytest.raises(ValueError, match="zero_method"):
        paired_gap_tests(e, p, DIMS, zero_method="exact")
    with pytest.raises(ValueError, match="negative"):
        normalise_importance(pd.DataFrame({"tan": [-1], "rel": [101]}), DIMS)


def test_gap_ci_coverage_is_nominal():
    """95% gap CIs cover the known population gap at about 95%.

    2000 replications, each a column of 25 respondents with correlated normal E and P and a
    known mean gap; the coverage's binomial SE is sqrt(.95 * .05 / 2000) = .0049, so 3 SE = .015.
    """
    rng = np.random.default_rng(20240611)
    reps, n = 2000, 25
    true_gap = rng.uniform(-1.5, 0.5, reps)
    person = rng.normal(0, 0.8, (n, reps))
    e = 5.5 + person + rng.normal(0, 0.6, (n, reps))
    p = 5.5 + true_gap + person + rng.normal(0, 0.9, (n, reps))
    items = [f"r{j}" for j in range(reps)]
    table = paired_gap_tests(
        pd.DataFrame(e, columns=items), pd.DataFrame(p, columns=items), dict.fromkeys(items, "X")
    )
    covered = (table["gap_ci_low"] <= true_gap) & (true_gap <= table["gap_ci_high"])
    assert abs(covered.mean() - 0.95) < 3 * np.sqrt(0.95 * 0.05 / reps)


@settings(max_examples=60, deadline=None)
@given(
    d=st.lists(st.integers(-4, 4), min_size=6, max_size=40),
    zero_method=st.sampled_from(["pratt", "wilcox", "zsplit"]),
)
def test_signed_rank_is_antisymmetric_in_the_sign_of_the_gap(d, zero_method):
    ours = wilcoxon_signed_rank(d, zero_method)
    flipped = wilcoxon_signed_rank([-x for x in d], zero_method)
    assert (ours.r_plus, ours.r_minus) == (flipped.r_minus, flipped.r_plus)
    if not np.isnan(ours.p):
        assert ours.p == pytest.approx(flipped.p)
        assert ours.rank_biserial == pytest.approx(-flipped.rank_biserial)
        assert -1 <= ours.rank_biserial <= 1


def test_dimension_gaps_do_not_depend_on_item_order(survey):
    e, p, _ = survey
    reordered = {item: DIMS[item] for item in ["q4", "q3", "q2", "q1"]}
    a = paired_gap_tests(e, p, DIMS, level="dimension").set_index("dimension")
    b = paired_gap_tests(e[["q2", "q4", "q1", "q3"]], p, reordered, level="dimension")
    pd.testing.assert_frame_equal(a, b.set_index("dimension").loc[a.index])
