"""Checks of improvement actions (servqual.actions): targeted against untargeted change, roll-outs
in some segments only, waves that are not invariant, complaint rates before and after."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from servqual.actions import (
    PairInvariance,
    check_actions,
    complaint_checks,
    invariance_state,
    pair_invariance,
    survey_checks,
    targeted_items,
)
from servqual.instrument import instrument_from_config
from servqual.kpi import WaveData

DIMENSIONS = ("res", "emp", "tan")


def instrument():
    return instrument_from_config(
        {"scale": {"min": 1, "max": 7}, "dimensions": [{"id": d} for d in DIMENSIONS],
         "items": [{"id": f"{d}{k}", "dimension": d} for d in DIMENSIONS for k in (1, 2, 3)]},
        {"perception": {"pattern": "P{index}"}},
    )


def wave(n: int, seed: int, shift: dict[str, float] | None = None, *, where: str | None = None,
         intercept: dict[str, float] | None = None) -> pd.DataFrame:
    """Cleaned responses of one wave: one factor per dimension (loadings .8), item means 5, plus
    ``shift`` on a dimension's items (only in branch ``where`` when given) and ``intercept`` on
    single items (what breaks scalar invariance)."""
    rng = np.random.default_rng(seed)
    branch = np.where(np.arange(n) % 2, "North", "East")
    frame = {"branch": branch}
    for d in DIMENSIONS:
        factor = rng.normal(0, 1, n)
        moved = (shift or {}).get(d, 0.0) * (branch == where if where else 1)
        for k in (1, 2, 3):
            item = f"{d}{k}"
            frame[f"P_{item}"] = 5 + 0.8 * factor + rng.normal(0, 0.6, n) + moved + (intercept or {}).get(item, 0.0)
    return pd.DataFrame(frame)


def perception(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.filter(like="P_").rename(columns=lambda c: c[2:])


def test_targeted_items_and_the_comparison():
    dims = instrument().item_dimension
    assert targeted_items(["res"], dims) == (["res1", "res2", "res3"], ["emp1", "emp2", "emp3", "tan1", "tan2", "tan3"])
    # An item stands alone, and its dimension's other items belong to neither side.
    assert targeted_items(["res2", "emp"], dims) == (["res2", "emp1", "emp2", "emp3"], ["tan1", "tan2", "tan3"])
    # What another action over the same waves targets is in neither side (an item stands for its dimension).
    assert targeted_items(["res"], dims, ["emp2"]) == (["res1", "res2", "res3"], ["tan1", "tan2", "tan3"])
    assert targeted_items(["res"], dims, ["emp", "tan"]) == (["res1", "res2", "res3"], [])


def test_a_targeted_rise_is_an_improvement_against_the_untargeted_dimensions():
    before, after = wave(400, 1), wave(400, 2, {"res": 0.4})
    targeted, other = targeted_items(["res"], instrument().item_dimension)
    (row,) = survey_checks(perception(before), perception(after), targeted, other)
    assert row["comparison"] == "untargeted" and row["verdict"] == "improved"
    assert row["change"] == pytest.approx(0.4, abs=0.15) and row["other_ci_low"] < 0 < row["other_ci_high"]
    assert row["difference_ci_low"] > 0


def test_a_general_rise_is_no_effect_of_the_action():
    # Everything rose by 0.4: the targeted change is clear, but not relative to the others.
    before, after = wave(400, 1), wave(400, 2, {d: 0.4 for d in DIMENSIONS})
    targeted, other = targeted_items(["res"], instrument().item_dimension)
    (row,) = survey_checks(perception(before), perception(after), targeted, other)
    assert row["change_ci_low"] > 0 and row["verdict"] == "no_change"


def test_roll_out_in_some_segments_compares_with_the_segments_without_it():
    before, after = wave(600, 3), wave(600, 4, {"res": 0.5}, where="North")
    targeted, other = targeted_items(["res"], instrument().item_dimension)
    rows = survey_checks(perception(before), perception(after), targeted, other,
                         rolled_before=before["branch"] == "North", rolled_after=after["branch"] == "North")
    by = {r["comparison"]: r for r in rows}
    assert set(by) == {"untargeted", "without_rollout"}
    # Within the roll-out the action's dimension rose against the others; against the branch
    # without it, the same rise shows as the difference.
    assert by["untargeted"]["n_after"] == 300 and by["untargeted"]["verdict"] == "improved"
    assert by["without_rollout"]["other_ci_low"] < 0 < by["without_rollout"]["other_ci_high"]
    assert by["without_rollout"]["difference"] == pytest.approx(0.5, abs=0.2)
    assert by["without_rollout"]["verdict"] == "improved"


def test_a_rise_everywhere_is_not_credited_to_a_roll_out_in_one_segment():
    before, after = wave(600, 3), wave(600, 4, {"res": 0.5})
    targeted, other = targeted_items(["res"], instrument().item_dimension)
    rows = survey_checks(perception(before), perception(after), targeted, other,
                         rolled_before=before["branch"] == "North", rolled_after=after["branch"] == "North")
    by = {r["comparison"]: r for r in rows}
    assert by["untargeted"]["verdict"] == "improved" and by["without_rollout"]["verdict"] == "no_change"


def test_waves_that_are_not_invariant_are_not_compared():
    # Two items read differently in the second wave (intercept shifts): scalar invariance fails.
    inst = instrument()
    before, after = wave(500, 5), wave(500, 6, {"res": 0.4}, intercept={"res1": 1.2, "emp2": -1.0})
    assert pair_invariance(before, after, inst) == PairInvariance("rejected")
    assert pair_invariance(before, wave(500, 7, {"res": 0.4}), inst) == PairInvariance("holds")
    register = [{"id": "queue", "title": "Queue", "targets": "res", "after_wave": "w1"}]
    data = {"w1": WaveData("w1", before), "w2": WaveData("w2", after)}
    table = check_actions(register, data, inst, invariance={("w1", "w2"): PairInvariance("rejected")})
    assert table["verdict"].tolist() == ["not_comparable"]
    assert table[["change", "other_change", "difference"]].isna().all(axis=None)


def test_invariance_state_from_the_table():
    def table(decisions, comparable=False):
        return pd.DataFrame({"level": ["configural", "metric", "scalar"], "decision": decisions, "released": "",
                             "means_comparable": comparable})
    assert invariance_state(table(["reference", "holds", "holds"], True)) == PairInvariance("holds")
    assert invariance_state(table(["reference", "holds", "rejected"])) == PairInvariance("rejected")
    assert invariance_state(table(["not_assessed"] * 3)) == PairInvariance("not_assessed")


def test_partial_invariance_leaves_the_non_invariant_items_out():
    inst = instrument()
    # One item of empathy reads lower in the second wave: scalar invariance holds once its intercept is released.
    before = wave(500, 5)
    assert pair_invariance(before, wave(500, 8, {"res": 0.4}, intercept={"emp2": -0.5}), inst) == PairInvariance(
        "partial", ("emp2",))
    # res1 reads 1 point higher in w2 with no change in responsiveness: counted, it would look like a rise.
    after = wave(500, 9, intercept={"res1": 1.0})
    register = [{"id": "queue", "title": "Queue", "targets": "res", "after_wave": "w1"},
                {"id": "one", "title": "One item", "targets": "res1", "after_wave": "w1"}]
    data = {"w1": WaveData("w1", before), "w2": WaveData("w2", after)}
    table = check_actions(register, data, inst, invariance={("w1", "w2"): PairInvariance("partial", ("res1",))})
    queue, one = table.to_dict("records")
    assert queue["invariance"] == "partial" and queue["items_left_out"] == "res1"
    assert queue["verdict"] == "no_change" and abs(queue["change"]) < 0.15
    # An action whose targeted items are all non-invariant is not compared.
    assert one["verdict"] == "not_comparable" and np.isnan(one["change"]) and one["items_left_out"] == "res1"
    counted = check_actions(register[:1], data, inst, invariance={("w1", "w2"): PairInvariance("holds")})
    assert counted.loc[0, "change"] > 0.2 and counted.loc[0, "items_left_out"] == ""


def test_what_other_actions_over_the_same_waves_target_is_not_the_comparison():
    inst = instrument()
    # Coaching raised empathy by 0.6 over the same waves; the queue programme raised responsiveness by 0.4.
    register = [{"id": "queue", "title": "Queue", "targets": "res", "after_wave": "w1"},
                {"id": "coaching", "title": "Coaching", "targets": "emp", "after_wave": "w1"}]
    data = {"w1": WaveData("w1", wave(400, 1), complaint_log({"res": 120, "emp": 120, "tan": 60})),
            "w2": WaveData("w2", wave(400, 2, {"res": 0.4, "emp": 0.6}), complaint_log({"res": 60, "emp": 60, "tan": 60}))}
    table = check_actions(register, data, inst, invariance={("w1", "w2"): PairInvariance("holds")})
    by = table.set_index(["action", "evidence"])
    queue = by.loc[("queue", "survey")]
    assert queue["compared_with"] == "tan" and queue["other_ci_low"] < 0 < queue["other_ci_high"]
    assert queue["difference"] == pytest.approx(0.4, abs=0.15) and queue["verdict"] == "improved"
    # Complaints about empathy fell with the coaching: the queue's complaints compare with tangibles' only.
    complaints = by.loc[("queue", "complaints")]
    assert complaints["compared_with"] == "tan" and complaints["other_change"] == pytest.approx(1.0)
    assert complaints["difference"] == pytest.approx(0.5)
    assert by.loc[("coaching", "survey"), "compared_with"] == "tan"


def test_nothing_left_to_compare_with_is_said():
    inst = instrument()
    register = [{"id": d, "title": d, "targets": d, "after_wave": "w1"} for d in DIMENSIONS]
    data = {"w1": WaveData("w1", wave(300, 1), complaint_log({"res": 60, "emp": 60, "tan": 60})),
            "w2": WaveData("w2", wave(300, 2, {"res": 0.5}), complaint_log({"res": 30, "emp": 60, "tan": 60}))}
    table = check_actions(register, data, inst, invariance={("w1", "w2"): PairInvariance("holds")})
    assert set(table["verdict"]) == {"no_comparison"}
    first = table.iloc[0]
    assert first["compared_with"] == "" and first["change_ci_low"] > 0 and np.isnan(first["difference"])
    (row,) = complaint_checks(complaint_log({"res": 60, "emp": 60}), complaint_log({"res": 30, "emp": 60}), ["res"],
                              periods_before=6, periods_after=6, excluded=["emp"])
    assert row["verdict"] == "no_comparison" and row["change"] == pytest.approx(0.5)


def complaint_log(counts: dict[str, int], months: int = 6, north_share: float = 0.5) -> pd.DataFrame:
    rows = []
    for dimension, n in counts.items():
        days = np.linspace(0, months * 30 - 1, n)
        north = np.arange(n) < round(n * north_share)
        rows.append(pd.DataFrame({"received": pd.Timestamp("2026-01-01") + pd.to_timedelta(days, unit="D"),
                                  "dimensions": dimension, "category": "service",
                                  "branch": np.where(north, "North", "East")}))
    return pd.concat(rows, ignore_index=True)


def test_complaints_about_the_target_fall_against_the_others():
    before, after = complaint_log({"res": 120, "emp": 60}), complaint_log({"res": 60, "emp": 60})
    (row,) = complaint_checks(before, after, ["res"], periods_before=6, periods_after=6)
    assert (row["before"], row["after"], row["unit"]) == (20.0, 10.0, "per_month")
    assert row["change"] == pytest.approx(0.5) and row["other_change"] == pytest.approx(1.0)
    # se(log ratio of ratios) = sqrt(1/120 + 1/60 + 1/60 + 1/60)
    half = 1.959963984540054 * np.sqrt(1 / 120 + 3 / 60)
    assert [row["difference_ci_low"], row["difference_ci_high"]] == pytest.approx([0.5 * np.exp(-half), 0.5 * np.exp(half)])
    assert row["verdict"] == "improved"


def test_complaints_of_a_roll_out_compare_with_branches_without_it():
    before = complaint_log({"res": 120, "emp": 60})
    after = complaint_log({"res": 80, "emp": 60}, north_share=0.25)  # North: 20 of 80, East: 60
    rows = complaint_checks(before, after, ["res"], periods_before=6, periods_after=6, rollout=[("branch", "North")])
    by = {r["comparison"]: r for r in rows}
    assert by["without_rollout"]["change"] == pytest.approx(20 / 60)
    assert by["without_rollout"]["other_change"] == pytest.approx(60 / 60)
    assert by["without_rollout"]["verdict"] == "improved"


def test_no_complaints_is_no_data():
    (row,) = complaint_checks(complaint_log({"emp": 30}), complaint_log({"emp": 30}), ["res"], periods_before=6,
                              periods_after=6)
    assert row["verdict"] == "no_data"


def test_an_action_after_the_last_wave_is_not_yet_checked_and_survey_and_complaints_are_both_checked():
    inst = instrument()
    register = [{"id": "queue", "title": "Queue", "targets": "res", "complaint_categories": "", "after_wave": "w1",
                 "segments": ""},
                {"id": "later", "title": "Later", "targets": "tan1", "after_wave": "w2"}]
    data = {"w1": WaveData("w1", wave(300, 1), complaint_log({"res": 120, "emp": 60})),
            "w2": WaveData("w2", wave(300, 2, {"res": 0.5}), complaint_log({"res": 60, "emp": 60}))}
    table = check_actions(register, data, inst, invariance={("w1", "w2"): PairInvariance("holds")})
    assert table[["action", "evidence", "verdict"]].values.tolist() == [
        ["queue", "survey", "improved"], ["queue", "complaints", "improved"], ["later", "survey", "not_yet"]]
    assert table.loc[0, "wave_after"] == "w2" and table.loc[2, "wave_after"] == ""


def test_the_checks_name_each_action_in_the_report_language():
    inst = instrument()
    register = [{"id": "queue", "title": "Queue management", "title_zh": "排队管理", "title_ko": "", "targets": "res",
                 "after_wave": "w1"}]
    data = {"w1": WaveData("w1", wave(100, 1)), "w2": WaveData("w2", wave(100, 2))}
    titles = {language: check_actions(register, data, inst, invariance={("w1", "w2"): PairInvariance("rejected")},
                                      language=language)["title"].tolist()
              for language in ("en", "zh", "ko")}
    # No Korean title in the register: the title as written.
    assert titles == {"en": ["Queue management"], "zh": ["排队管理"], "ko": ["Queue management"]}


def test_a_roll_out_level_no_respondent_has_is_an_error_naming_it():
    register = [{"id": "pilot", "title": "Pilot", "targets": "res", "after_wave": "w1", "segments": "branch=Nort"}]
    data = {"w1": WaveData("w1", wave(100, 1)), "w2": WaveData("w2", wave(100, 2))}
    with pytest.raises(ValueError, match=r"action pilot, column segments: branch=Nort matches no respondent of w1 or "
                                         r"w2 \(levels of branch: East, North\)"):
        check_actions(register, data, instrument(), invariance={("w1", "w2"): PairInvariance("holds")})
