"""The improvement loop in the reports' words (servqual.loop_report): every kind of check row
written in each language, the scorecard table with its verdicts and goals."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from latin import latin_runs

from servqual.actions import ACTION_COLUMNS
from servqual.i18n import LANGUAGES, Messages
from servqual.kpi import SCORECARD_COLUMNS
from servqual.loop_report import action_paragraphs, kpi_lead, loop_html, scorecard_table
from servqual.report_context import ReportContext


def context(language: str, tables: dict[str, pd.DataFrame] | None = None) -> ReportContext:
    return ReportContext(Messages(language), tables or {}, {"res": "R", "emp": "E"}, {"res1": "R1"}, Path("."),
                         segments={"branch": "B"})


def check(**cells) -> dict:
    row = dict.fromkeys(ACTION_COLUMNS, np.nan) | {
        "action": "a", "title": "T", "evidence": "survey", "comparison": "untargeted", "wave_before": "w1",
        "wave_after": "w2", "targets": "res", "segments": "", "effect": "mean_difference", "unit": "points",
        "invariance": "holds", "confidence": 0.95}
    return row | cells


NUMBERS = {"before": 4.8, "after": 5.1, "change": 0.3, "change_ci_low": 0.1, "change_ci_high": 0.5, "other_change": 0.0,
           "other_ci_low": -0.1, "other_ci_high": 0.1, "difference": 0.3, "difference_ci_low": 0.1,
           "difference_ci_high": 0.5}
RATIOS = {**NUMBERS, "change": 0.5, "change_ci_low": 0.4, "change_ci_high": 0.7, "other_change": 1.0,
          "difference": 0.5, "difference_ci_low": 0.35, "difference_ci_high": 0.72}
CHECKS = pd.DataFrame([
    check(**NUMBERS, compared_with="emp", verdict="improved", invariance="partial", items_left_out="res1"),
    check(**NUMBERS, comparison="without_rollout", segments="branch=North", verdict="improved", invariance="not_assessed"),
    check(**RATIOS, evidence="complaints", complaint_categories="res; billing", effect="rate_ratio", unit="per_month",
          invariance="", verdict="improved", compared_with="emp; fees"),
    check(**RATIOS, evidence="complaints", complaint_categories="res; billing", effect="rate_ratio", unit="per_month",
          invariance="", verdict="no_change", comparison="without_rollout"),
    check(action="b", title="U", verdict="not_comparable", invariance="rejected"),
    check(action="c", title="V", wave_after="", verdict="not_yet"),
    check(action="d", title="W", targets="res1", verdict="no_data"),
    check(**NUMBERS | {"other_change": np.nan, "difference": np.nan}, action="e", title="X", verdict="no_comparison",
          compared_with=""),
    check(**RATIOS, action="e", title="X", evidence="complaints", complaint_categories="res", effect="rate_ratio",
          unit="per_month", invariance="", verdict="no_comparison", compared_with=""),
    check(action="f", title="Y", targets="res1", verdict="not_comparable", invariance="partial", items_left_out="res1"),
])


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_kind_of_check_is_written(language):
    text = action_paragraphs(context(language), CHECKS)
    assert text.count("<p>") == 6 and "nan" not in text and "{" not in text
    t = Messages(language)
    for verdict in ("improved", "no_change"):
        assert t(f"report.action_verdict.{verdict}") in text
    if language != "en":
        assert latin_runs(text) == []


def test_the_english_sentences_say_what_happened():
    text = action_paragraphs(context("en"), CHECKS)
    assert ("mean perception of R rose by 0.30 (95% CI [0.10, 0.50]), while the other dimensions not targeted by "
            "any action (E) did not change") in text
    # Partial invariance: the item read differently is named, and left out or, alone targeted, not compared.
    assert "Customers read R1 differently in w1 and w2 (partial scalar invariance), so these items are left out" in text
    assert "Y (started after w1, checked in w2): customers read the targeted items (R1) differently" in text
    # Nothing left to compare with, said for the survey and the complaints.
    assert "X (started after w1, checked in w2): mean perception of R rose by 0.30 (95% CI [0.10, 0.50]); every other " \
           "dimension was targeted by an action over the same waves, so there is nothing to compare it with" in text
    assert "every other complaint is about what an action over the same waves targeted" in text
    assert "Where it was rolled out (B: North), R rose by 0.30" in text
    assert "could not be assessed" in text
    # The complaints counted: a dimension by its label, a category as the logs record it.
    assert "Complaints about R, billing went from 4.80 to 5.10 per month (rate ratio 0.50" in text
    assert "complaints about what no action targeted (E, fees) changed by a rate ratio of 1.00" in text
    assert "customers did not read the items the same way in both waves" in text
    assert "V started after w1, the last wave so far" in text and "W: there are too few" in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_scorecard_table_and_its_lead(language):
    card = pd.DataFrame([
        dict.fromkeys(SCORECARD_COLUMNS, np.nan) | {
            "wave": "w2", "target_id": t, "measure": m, "of": of, "segment": seg, "level": lev, "direction": d,
            "target_value": v, "unit": u, "estimate": e, "ci_low": lo, "ci_high": hi, "verdict": verdict,
            "change": 0.1, "change_ci_low": -0.1, "change_ci_high": 0.3, "confidence": 0.95}
        for t, m, of, seg, lev, d, v, u, e, lo, hi, verdict in [
            ("g", "gap", "res", "branch", "North", "at_least", -0.8, "points", -0.7, -0.9, -0.5, "cannot_tell"),
            ("r", "complaint_rate", "", "", "", "at_most", 20, "per_month", 15, 12, 18, "met"),
            ("f", "first_contact_resolution", "", "", "", "at_least", 0.5, "share", 0.4, 0.35, 0.45, "not_met"),
            ("s", "outcome", "overall", "", "", "at_least", 5, "points", np.nan, np.nan, np.nan, "no_data"),
        ]])
    ctx = context(language, {"kpi_trend": card, "action_checks": CHECKS})
    lead = kpi_lead(ctx, card, "summary.kpi_lead")
    table = scorecard_table(ctx, card)
    assert "3" in lead and Messages(language)("report.kpi_verdict.cannot_tell") in table
    if language == "en":
        assert "1 of 3 met, 1 not met, and for 1 the data cannot tell" in lead
        assert "1 target(s) could not be measured" in lead
        assert "Gap (P − E): R — B: North" in table and "≤ 20.00 per month" in table and "≥ 50%" in table
    assert "nan" not in loop_html(ctx)


def test_a_study_without_targets_or_actions_says_so():
    text = loop_html(context("en"))
    assert "No targets are set" in text and "No improvement actions are recorded" in text
