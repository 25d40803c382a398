"""Every status a model-fitting module writes has a caution text, and each kind of problem in the
tables reaches the cautions with what it concerns."""

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from servqual import cautions
from servqual.cautions import (
    STATUS_TEXT,
    TOPICS,
    caution_labels,
    invariance_cautions,
    recorded,
    topic_heading,
    wave_cautions,
)
from servqual.i18n import LANGUAGES, catalogue, fields

SRC = Path(cautions.__file__).parent
FLOW = pd.DataFrame({"step": ["read", "excluded", "kept", "cells"],
                     "rule": ["rows read", "speeder", "respondents kept",
                              "values between the points of an integer scale set missing"],
                     "n": [100, 30, 70, 12], "detail": ["", "", "", "P_q1 (12)"]})
QUIET = FLOW[FLOW["step"].isin(["read", "kept"])]  # a flow with nothing to caution about


@pytest.mark.parametrize("module", ["cfa.py", "invariance.py"])
def test_every_status_a_module_writes_has_a_caution_text(module):
    source = (SRC / module).read_text(encoding="utf-8")
    written = set(re.findall(r"""status(?:=|, reason = |\s*=\s*)"(\w+)\"""", source))
    written |= set(re.findall(r'"(\w+)" if len\(kept\) < 2 else "(\w+)"', source)[0]) if module == "invariance.py" else set()
    written |= {"heywood", "latent_correlation"}  # from _improper_solution
    assert written - {"ok"}, "no status found: the pattern no longer matches the source"
    assert written - {"ok"} <= set(STATUS_TEXT), written - set(STATUS_TEXT)


def test_cleaning_problems_are_cautions():
    table = wave_cautions({}, FLOW)
    assert table["kind"].tolist() == ["cells_set_missing", "many_exclusions"]
    assert table["text"].tolist() == [
        "12 values between the points of an integer scale set missing (by column: P_q1 (12)).",
        "30 of 100 rows (30%) were excluded, more than 20%: the respondents kept may no longer represent the sample.",
    ]


def cfa_row(**values) -> dict:
    row = dict(measure="perception", model="instrument", status="ok", reason="", n=500, npar=30, tli=0.97,
               estimator="ML")
    return row | values


def test_cfa_status_sample_size_and_tli_above_one():
    fit = pd.DataFrame([
        cfa_row(status="latent_correlation", n=58, tli=1.147,
                reason="improper solution: latent correlation of 0.99 or more, the dimensions are not distinct: "
                       "reliability and responsiveness (r = 1.004)"),
        cfa_row(model="one_factor", status="not_converged", reason="the optimiser stopped without converging: x"),
    ])
    table = wave_cautions({"cfa_fit": fit}, QUIET)
    assert table["kind"].tolist() == ["latent_correlation", "small_sample", "tli_above_1", "not_converged"]
    texts = table["text"].tolist()
    assert texts[0].startswith("The CFA of perception, the model of the instrument's dimensions, has an improper "
                               "solution: latent correlation of 0.99 or more")
    assert "reliability and responsiveness (r = 1.004)" in texts[0]
    assert "rests on 58 respondents for 30 estimated parameters; at least 200 are advised" in texts[1]
    assert "TLI of the CFA of perception is 1.147, above 1" in texts[2]
    assert texts[3].startswith("The CFA of perception, the one-factor model, did not converge")


def test_tli_above_one_is_the_robust_tli_under_mlr():
    """Under MLR the report shows the robust TLI; the caution speaks of the same number."""
    fit = pd.DataFrame([cfa_row(estimator="MLR", tli=0.99, tli_robust=1.012),
                        cfa_row(estimator="MLR", measure="expectation", tli=1.02, tli_robust=0.98)])
    table = wave_cautions({"cfa_fit": fit}, QUIET)
    assert table["kind"].tolist() == ["tli_above_1"]
    assert "TLI of the CFA of perception is 1.012, above 1" in table["text"].iloc[0]


def distribution(points: int, lowest: list[float], highest: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"measure": "perception", "dimension": "tan", "item": [f"t{i + 1}" for i in range(len(lowest))],
                         "n": 400, "points_declared": points, "points_used": points, "share_lowest": lowest,
                         "share_highest": highest, "end_share_limit": 0.15,
                         "floor": [x > 0.15 for x in lowest], "ceiling": [x > 0.15 for x in highest]})


def test_wlsmv_is_suggested_for_few_scale_points_or_answers_piled_at_an_end():
    """Five points or fewer, or items with more than 15% of their answers at an end (Terwee et al.
    2007), under a CFA that took the ratings as continuous: WLSMV is suggested, once per measure."""
    ml = pd.DataFrame([cfa_row(estimator="MLR", tli_robust=0.97), cfa_row(estimator="MLR", model="one_factor")])
    few = wave_cautions({"cfa_fit": ml, "item_distribution": distribution(5, [0.05, 0.1], [0.1, 0.1])}, QUIET)
    assert few["kind"].tolist() == ["ordinal_few_points"]
    assert few["text"].iloc[0] == (
        "The perception ratings use only 5 scale points, yet its CFA treated them as continuous (MLR). On five points "
        "or fewer that understates the loadings and distorts the chi-square (Rhemtulla, Brosseau-Liard & Savalei "
        "2012); setting cfa.estimator to WLSMV treats the ratings as ordered categories.")
    ends = wave_cautions({"cfa_fit": ml, "item_distribution": distribution(7, [0.2, 0.05, 0.01], [0.02, 0.4, 0.1])},
                         QUIET)
    assert ends[["concerns", "kind"]].values.tolist() == [["perception, t1, t2", "ordinal_floor_ceiling"]]
    assert ends["text"].iloc[0].startswith("In the perception ratings, 2 of 3 items have more than 15% of their answers "
                                           "at the lowest or highest scale point, a floor or ceiling effect (Terwee et "
                                           "al. 2007): t1, t2.")
    # Already WLSMV, or seven points without piled-up answers: nothing to suggest.
    wlsmv = ml.assign(estimator="WLSMV", tli_scaled=0.97)
    assert wave_cautions({"cfa_fit": wlsmv, "item_distribution": distribution(5, [0.3], [0.3])}, QUIET).empty
    assert wave_cautions({"cfa_fit": ml, "item_distribution": distribution(7, [0.1], [0.15])}, QUIET).empty


def test_failed_validity_criteria_name_the_dimensions():
    validity = pd.DataFrame({
        "measure": "perception", "kind": ["ave", "cr", "fornell_larcker", "htmt", "htmt"],
        "dimension_a": ["tan", "tan", "rel", "rel", "tan"], "dimension_b": [None, None, "res", "res", "rel"],
        "value": [0.41, 0.66, 0.999, 0.97, 0.5], "criterion": [0.5, 0.7, 0.8, 0.85, 0.85],
        "ok": [False, False, False, False, True]})
    table = wave_cautions({"cfa_validity": validity}, QUIET)
    assert table["concerns"].tolist() == ["perception, tan", "perception, tan", "perception, rel–res", "perception, rel–res"]
    assert "Discriminant validity fails for rel and res by the Fornell–Larcker criterion: their latent correlation 0.999" \
        in table["text"].iloc[2]
    assert "HTMT 0.97 is not below 0.85" in table["text"].iloc[3]


def test_reliability_flags_segments_and_complaint_faults():
    tables = {
        "reliability": pd.DataFrame({"measure": ["gap"], "dimension": ["all"], "flags": ["alpha 0.612 < 0.70"]}),
        "item_reliability": pd.DataFrame({"measure": ["perception"], "dimension": ["tan"], "item": ["t1"],
                                          "flags": [np.nan]}),
        "segments": pd.DataFrame({"segment": "branch", "level_value": ["A", "B", "C", "A", "B", "C"],
                                  "target": ["tan"] * 3 + ["rel"] * 3, "n": [40, 35, 2] * 2,
                                  "tested": [True, True, False] * 2}),
        "complaint_problems": pd.DataFrame({"problem": ["timestamp does not parse", "timestamp does not parse"]}),
    }
    table = wave_cautions(tables, QUIET)
    assert table["text"].tolist() == [
        "Reliability of gap, the whole scale: alpha 0.612 < 0.70.",
        "Segment branch: levels too small to test were left out of its comparisons: C (n = 2).",
        "The complaint log has 2 faulty entries, kept and flagged: timestamp does not parse (2).",
    ]


def test_invariance_not_assessed_and_rejected():
    invariance = pd.DataFrame({
        "grouping": ["wave"] * 3 + ["branch"] * 3, "measure": "perception",
        "level": ["configural", "metric", "scalar"] * 2,
        "status": ["too_few_groups"] * 3 + ["ok"] * 3,
        "reason": ["1 group(s) large enough to compare; invariance needs at least 2"] * 3 + [""] * 3,
        "decision": ["not_assessed"] * 3 + ["reference", "holds", "rejected"]})
    table = invariance_cautions(invariance)
    assert table["kind"].tolist() == ["too_few_groups", "invariance_rejected"]
    assert table["text"].iloc[0] == ("Measurement invariance of perception across wave (configural, metric, scalar "
                                     "levels) was not assessed: 1 group(s) large enough to compare; invariance needs "
                                     "at least 2.")
    assert "scalar invariance is rejected" in table["text"].iloc[1]


def test_categories_merged_by_an_ordinal_ladder_are_a_caution():
    table = invariance_cautions(INVARIANCE)
    merged = table[table["kind"] == "categories_merged"]
    assert merged["text"].tolist() == [
        "Measurement invariance of perception across branch: the WLSMV model needs every answer category in every "
        "group, so for t1, t2 a category some group never used was merged with its neighbour."]
def test_partial_and_strict_invariance_are_cautioned():
    """A scalar level that holds only partially names the items left free; strict rejected says
    the observed scores are not equally reliable (latent means stay comparable)."""
    invariance = pd.DataFrame({
        "grouping": "branch", "measure": "perception",
        "level": ["configural", "metric", "scalar", "scalar", "strict"],
        "status": "ok", "reason": "", "partial": [False, False, False, True, True],
        "released": ["", "", "", "intercepts:r2;intercepts:t3", "intercepts:r2;intercepts:t3"],
        "decision": ["reference", "holds", "rejected", "holds", "rejected"]})
    table = invariance_cautions(invariance, "en", {"r2": "Item R2", "t3": "Item T3"})
    assert table["kind"].tolist() == ["invariance_partial", "invariance_strict_rejected"]
    assert ("scalar invariance holds only once the intercept of Item R2, the intercept of Item T3 may differ"
            in table["text"].iloc[0])
    assert "not equally reliable" in table["text"].iloc[1]
    for language in ("zh", "ko"):
        assert len(invariance_cautions(invariance, language, {})) == 2


def test_pooled_segment_levels_are_named():
    segments = pd.DataFrame({"segment": "hall", "level_value": ["North", "other"], "target": "tan", "n": [80, 31],
                             "tested": [True, True], "min_cell": 30, "small_levels": "pool",
                             "small_level_list": "Airport (n = 20), East (n = 11)"})
    table = wave_cautions({"segments": segments}, QUIET)
    assert table["text"].tolist() == ["Segment hall: levels smaller than 30 respondents were pooled into one level "
                                      "'other': Airport (n = 20), East (n = 11)."]


def test_a_flag_shared_by_items_is_one_caution():
    items = pd.DataFrame({"measure": "perception", "dimension": ["a", "a", "a", "b"], "item": ["q1", "q2", "q3", "q4"],
                          "flags": ["omega if dropped undefined (2 items left)"] * 3 + ["negative item-rest r"]})
    table = wave_cautions({"item_reliability": items}, QUIET)
    assert table["text"].tolist() == ["Items q1, q2, q3 (perception): omega if dropped undefined (2 items left).",
                                      "Item q4 (perception): negative item-rest r."]


def test_rows_left_out_by_the_studys_filters_are_not_counted_as_lost():
    flow = pd.DataFrame({"step": ["read", "excluded", "excluded", "kept"],
                         "rule": ["rows read", "filter", "speeder", "respondents kept"],
                         "n": [100, 40, 10, 50], "detail": [""] * 4})
    assert wave_cautions({}, flow).empty  # 10 of the 60 eligible rows: under 20%
    more = flow.assign(n=[100, 40, 15, 45])
    assert wave_cautions({}, more)["text"].tolist() == [
        "15 of 60 rows that passed the study's filters (25%) were excluded, more than 20%: the respondents kept may "
        "no longer represent the sample."]


#: Tables with a problem of every kind the cautions read, as the analysis steps write them.
EVERY_PROBLEM = {
    "reliability": pd.DataFrame({"measure": ["gap", "perception"], "dimension": ["all", "tan"],
                                 "flags": ["alpha 0.612 < 0.70; omega undefined with k = 2 (a one-factor model "
                                           "needs 3 items)", "negative item-rest r: t2 (unreversed item?); bootstrap "
                                           "omega undefined in 3 of 200 resamples (left out)"]}),
    "item_reliability": pd.DataFrame({"measure": "perception", "dimension": "tan", "item": ["t1", "t2"],
                                      "flags": ["omega if dropped undefined (2 items left); 3 values off the scale "
                                                "points", "negative item-rest r (likely an unreversed item)"]}),
    "cfa_fit": pd.DataFrame([
        cfa_row(status="latent_correlation", n=58, tli=1.147,
                reason="improper solution: latent correlation of 0.99 or more, the dimensions are not distinct: "
                       "rel and res (r = 1.004)"),
        cfa_row(model="one_factor", status="heywood", reason="improper solution: residual variance of t1 = -0.02"),
        cfa_row(model="second_order", status="not_converged",
                reason="the optimiser stopped without converging: ABNORMAL_TERMINATION_IN_LNSRCH"),
        cfa_row(measure="expectation", status="failed", estimator="WLSMV", tli_scaled=np.nan,
                reason="WLSMV treats answers as ordered categories, but these items have more than 15 distinct "
                       "values (scores, not ratings; use ML or MLR): ['t1', 't2']"),
    ]),
    "item_distribution": pd.DataFrame({
        "measure": "perception", "dimension": "tan", "item": ["t1", "t2"], "n": 500, "points_declared": 5,
        "points_used": 5, "share_lowest": [0.02, 0.01], "share_highest": [0.31, 0.1], "end_share_limit": 0.15,
        "floor": False, "ceiling": [True, False]}),
    "cfa_validity": pd.DataFrame({
        "measure": "perception", "kind": ["ave", "cr", "fornell_larcker", "htmt"],
        "dimension_a": ["tan", "tan", "rel", "rel"], "dimension_b": [None, None, "res", "res"],
        "value": [0.41, 0.66, 0.999, 0.97], "criterion": [0.5, 0.7, 0.8, 0.85], "ok": False}),
    "segments": pd.DataFrame({"segment": "branch", "level_value": ["A", "B", "C"], "target": "tan", "n": [40, 35, 2],
                              "tested": [True, True, False], "min_cell": 30, "small_levels": "pool",
                              "small_level_list": "Airport (n = 20)"}),
    "coder_agreement": pd.DataFrame({"scope": ["overall"], "krippendorff_alpha": [0.61],
                                     "alpha_verdict": ["insufficient"]}),
    "complaint_problems": pd.DataFrame({"problem": ["timestamp does not parse", "code not in the codebook"]}),
}
EVERY_FLOW = pd.DataFrame({
    "step": ["read", "excluded", "not_applied", "kept", "cells"],
    "rule": ["rows read", "speeder", "duplicate_id", "respondents kept",
             "values outside the scale set missing"],
    "n": [100, 30, 100, 70, 12],
    "detail": ["", "", "no respondent id column is configured in columns.respondent_id", "", "P_q1 (12)"]})
INVARIANCE = pd.DataFrame({
    "grouping": ["wave"] * 3 + ["branch"] * 3, "measure": "perception", "level": ["configural", "metric", "scalar"] * 2,
    "status": ["too_few_groups"] * 3 + ["ok"] * 3,
    "reason": ["1 group(s) large enough to compare; invariance needs at least 2"] * 3
    + ["categories not answered in every group merged with a neighbour: ['t1', 't2']"] * 3,
    "decision": ["not_assessed"] * 3 + ["reference", "holds", "rejected"]})
LABELS = {"zh": {"tan": "有形性", "rel": "可靠性", "res": "响应性", "t1": "T1“设备现代化”", "t2": "T2“设施美观”"},
          "ko": {"tan": "유형성", "rel": "신뢰성", "res": "대응성", "t1": "T1 '현대적 장비'", "t2": "T2 '시설 외관'"}}


@pytest.mark.parametrize("language", ["zh", "ko"])
def test_cautions_in_chinese_and_korean_are_complete_and_hold_no_english_sentence(language):
    from latin import latin_runs

    table = pd.concat([wave_cautions(EVERY_PROBLEM, EVERY_FLOW, language, LABELS[language]),
                       invariance_cautions(INVARIANCE, language, LABELS[language])], ignore_index=True)
    english = pd.concat([wave_cautions(EVERY_PROBLEM, EVERY_FLOW), invariance_cautions(INVARIANCE)], ignore_index=True)
    # The same cautions, about the same things, whatever the language.
    assert table[["topic", "concerns", "kind"]].equals(english[["topic", "concerns", "kind"]])
    assert set(table["kind"]) >= {"rule_not_applied", "cells_set_missing", "many_exclusions", "reliability_flag",
                                  "item_flag", "latent_correlation", "heywood", "not_converged", "small_sample",
                                  "tli_above_1", "ave", "cr", "fornell_larcker", "htmt", "segment_levels_pool",
                                  "segment_levels_not_tested", "coder_agreement", "complaint_log_faults",
                                  "too_few_groups", "invariance_rejected", "ordinal_few_points",
                                  "ordinal_floor_ceiling", "categories_merged"}
    for text in table["text"]:
        assert "{" not in text and "}" not in text, text
        assert latin_runs(text) == [], text
    texts = " ".join(table["text"])
    assert LABELS[language]["rel"] in texts and "rel and res" not in texts  # dimensions by their labels
    assert "ABNORMAL_TERMINATION_IN_LNSRCH" in texts  # an optimiser's message is quoted as it is


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_topic_has_a_heading(language):
    assert all(topic_heading(topic, language) for topic in TOPICS)


def test_recorded_phrases_read_back_in_english_unchanged():
    """Each recorded-phrase message matches the English it was written from (the pattern is built
    from the English message, so a step's wording and the catalogue cannot drift apart silently)."""
    for key, template in catalogue("en").items():
        if key.startswith("cautions.rec_") and key != "cautions.rec_separator":
            phrase = template.format(**{name: f"x{k}" for k, name in enumerate(sorted(fields(template)))})
            assert recorded(phrase) == phrase, key
            assert recorded(phrase, "zh") != phrase, key


def test_labels_name_dimensions_and_items_in_the_study_language():
    instrument = {"dimensions": [{"id": "tan", "label": {"en": "Tangibles", "zh": "有形性"}}],
                  "items": [{"id": "t1", "dimension": "tan", "text": {"en": "Modern equipment.", "zh": "设备现代化。"}}]}
    assert caution_labels(instrument, "zh") == {"tan": "有形性", "t1": "t1“设备现代化”"}
    assert caution_labels(instrument, "en") == {"tan": "Tangibles", "t1": "t1 “Modern equipment”"}
    assert recorded("dimensions with fewer than 2 items cannot be identified: ['tan']", "zh",
                    caution_labels(instrument, "zh")) == "题项少于 2 个的维度无法识别：有形性"


@pytest.mark.parametrize(("language", "phrase"), [("en", "reversed (2)"), ("zh", "结束位置在起始位置之前（2）"),
                                                  ("ko", "끝 위치가 시작 위치보다 앞섬(2건)")])
def test_coded_segments_left_out_reach_the_cautions_with_their_reasons(language: str, phrase: str) -> None:
    left_out = pd.DataFrame({"reason": ["reversed", "unknown document", "reversed"]})
    flow = pd.DataFrame(columns=["step", "rule", "n", "detail"])
    cautions = wave_cautions({"segments_left_out": left_out}, flow, language)
    row = cautions[cautions["kind"] == "segments_left_out"].iloc[0]
    assert row["topic"] == "interviews" and "3" in row["text"] and phrase in row["text"]
    assert wave_cautions({"segments_left_out": left_out.iloc[:0]}, flow, language).empty


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("failed", "kind_text"), [(545, "545"), (1000, "1000")])
def test_bootstrap_refits_that_did_not_converge_are_counted_in_the_cautions(language, failed, kind_text):
    fit = pd.DataFrame([{"status": "ok", "reason": "", "verdict": "good", "cfi": 0.99, "rmsea": 0.01, "srmr": 0.03,
                         "mediator": "overall", "interval": "bootstrap", "n_draws": 1000, "draws_failed": failed}])
    found = wave_cautions({"sem_fit": fit}, pd.DataFrame(), language)
    rows = found[found["kind"] == "structural_draws_failed"]
    assert len(rows) == 1 and kind_text in rows["text"].iloc[0] and "monte_carlo" in rows["text"].iloc[0]
    none = wave_cautions({"sem_fit": fit.assign(draws_failed=0)}, pd.DataFrame(), language)
    assert "structural_draws_failed" not in set(none["kind"])
