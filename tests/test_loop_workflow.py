"""The improvement loop in the example study: every wave's KPI scorecard, the targets across
waves, and the check of its two actions (the queue-management programme, which worked on
responsiveness, and the courtesy coaching, which did not show)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

pytestmark = pytest.mark.slow


def text_of(page: Path) -> str:
    """The visible text of a report page, tags dropped and white space collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", page.read_text(encoding="utf-8")).split())


def test_every_wave_has_a_scorecard_of_the_configured_targets(example):
    config = yaml.safe_load((example / "config/config.yaml").read_text(encoding="utf-8"))
    ids = [t["id"] for t in config["targets"]]
    for wave in ("wave1", "wave2"):
        card = pd.read_csv(example / f"reports/{wave}/tables/kpi_scorecard.csv")
        assert card["target_id"].tolist() == ids
        assert card["estimate"].notna().all() and (card["ci_low"] <= card["estimate"]).all()
    card = pd.read_csv(example / "reports/wave2/tables/kpi_scorecard.csv").set_index("target_id")
    # The example's targets show all three verdicts.
    assert {"met", "not_met", "cannot_tell"} <= set(card["verdict"])
    assert card.loc["responsiveness_gap", "previous_wave"] == "wave1"
    assert card.loc["responsiveness_gap", "change_ci_low"] > 0  # the gap closed by about 0.2
    trend = pd.read_csv(example / "reports/waves/tables/kpi_trend.csv")
    assert list(dict.fromkeys(trend["wave"])) == ["wave1", "wave2"] and len(trend) == 2 * len(ids)
    assert (example / "reports/waves/figures/kpi_trend.png").stat().st_size > 20_000


def test_the_queue_management_programme_worked_and_the_coaching_did_not_show(example):
    checks = pd.read_csv(example / "reports/waves/tables/action_checks.csv", keep_default_na=False, na_values=[""])
    by = checks.set_index(["action", "evidence"])
    queue = by.loc[("queue_management", "survey")]
    assert queue["invariance"] == "holds" and queue["verdict"] == "improved"
    assert queue["change"] == pytest.approx(0.32, abs=0.01) and queue["other_ci_low"] < 0 < queue["other_ci_high"]
    assert by.loc[("queue_management", "complaints"), "verdict"] == "improved"
    # No categories in the register: the complaints coded to the targeted dimension are counted.
    assert by.loc[("queue_management", "complaints"), "complaint_categories"] == "responsiveness"
    assert by.loc[("courtesy_coaching", "survey"), "verdict"] == "no_change"
    # The two actions ran over the same waves: each is compared with what neither targets.
    assert queue["compared_with"] == by.loc[("courtesy_coaching", "survey"), "compared_with"] == \
        "tangibles; reliability; assurance"
    coaching = by.loc[("courtesy_coaching", "complaints")]
    assert "responsiveness" not in coaching["compared_with"] and coaching["verdict"] == "no_change"
    # Without the responsiveness complaints the queue programme cut, the coaching's ratio is 1.21, not 1.51.
    assert [coaching["difference"], coaching["difference_ci_low"], coaching["difference_ci_high"]] == pytest.approx(
        [1.205, 0.717, 2.025], abs=0.001)


def test_the_reports_open_with_the_scorecard_and_the_action_checks(example):
    waves = text_of(example / "reports/waves/report.html")
    summary = waves[waves.index("Targets and actions"):waves.index("Cautions")]
    assert "Targets in wave2:" in summary and "KPI scorecard" in summary
    assert re.search(r"Queue-management programme .*: mean perception of Responsiveness rose by 0\.32 "
                     r"\(95% CI \[0\.17, 0\.47\]\), while the other dimensions not targeted by any action "
                     r"\(Tangibles, Reliability, Assurance\) fell by 0\.09", summary)
    assert "is a clear improvement" in summary
    assert "Courtesy and personal-attention coaching" in summary and "not distinguishable from no effect" in summary
    wave = text_of(example / "reports/wave2/report.html")
    opening = wave[wave.index("Summary"):]
    # The scorecard is the summary's first table.
    assert opening.index("KPI scorecard") < opening.index("Overall service quality") < opening.index("What to fix first")
