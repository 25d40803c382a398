"""Targets and the KPI scorecard (servqual.kpi): verdicts at the edges, the intervals against R,
and a scorecard measured from cleaned responses and coded complaints."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from servqual.instrument import instrument_from_config
from servqual.kpi import (
    Estimate,
    WaveData,
    change_interval,
    poisson_rate,
    scorecard,
    verdict,
    wilson_interval,
)

REFERENCE = json.loads((Path(__file__).parent / "data/kpi_reference.json").read_text())


def instrument():
    return instrument_from_config(
        {"scale": {"min": 1, "max": 7}, "dimensions": [{"id": "res"}, {"id": "emp"}],
         "items": [{"id": f"{d}{k}", "dimension": d} for d in ("res", "emp") for k in (1, 2)]},
        {"expectation": {"pattern": "E{index}"}, "perception": {"pattern": "P{index}"}, "overall": {"column": "sat"}},
    )


def responses(perception: float, n: int = 200, seed: int = 1, branch: str | None = None) -> pd.DataFrame:
    """Cleaned responses: perceptions around ``perception``, expectations around 6, satisfaction 5."""
    rng = np.random.default_rng(seed)
    inst = instrument()
    frame = {c: rng.normal(6.0, 0.5, n) for c in inst.columns("expectation")}
    frame |= {c: rng.normal(perception, 0.5, n) for c in inst.columns("perception")}
    frame["overall"] = rng.normal(5.0, 0.8, n)
    frame["branch"] = branch or np.where(np.arange(n) % 2, "North", "East")
    return pd.DataFrame(frame)


# ---------------------------------------------------------------------------- verdicts


@pytest.mark.parametrize(
    "low, high, value, direction, expected",
    [
        (5.1, 5.4, 5.0, "at_least", "met"),
        (5.0, 5.4, 5.0, "at_least", "met"),  # touching from the target's side
        (4.9, 5.4, 5.0, "at_least", "cannot_tell"),  # straddling
        (4.6, 5.0, 5.0, "at_least", "cannot_tell"),  # the upper bound on the value: not surely below
        (4.6, 4.99, 5.0, "at_least", "not_met"),
        (0.10, 0.25, 0.25, "at_most", "met"),
        (0.20, 0.30, 0.25, "at_most", "cannot_tell"),
        (0.25, 0.30, 0.25, "at_most", "cannot_tell"),
        (0.26, 0.30, 0.25, "at_most", "not_met"),
        (math.nan, math.nan, 0.25, "at_most", "no_data"),
    ],
)
def test_verdict_reads_the_interval_not_the_estimate(low, high, value, direction, expected):
    assert verdict(low, high, value, direction) == expected


def test_a_point_estimate_beyond_the_target_is_not_enough():
    # The mean is above the target but the interval reaches below it.
    rows = responses(5.02, n=30)
    card = scorecard([{"id": "p", "measure": "perception", "of": "res", "direction": "at_least", "value": 5.0}],
                     WaveData("w1", rows), instrument())
    assert card.loc[0, "ci_low"] < 5.0 < card.loc[0, "ci_high"]
    assert card.loc[0, "verdict"] == "cannot_tell"


# ---------------------------------------------------------------------------- intervals against R


@pytest.mark.parametrize("x, n, key", [(8, 10, "wilson_8_10"), (0, 25, "wilson_0_25"), (302, 361, "wilson_302_361")])
def test_wilson_interval_matches_r_prop_test(x, n, key):
    found = wilson_interval(x, n)
    assert [found.ci_low, found.ci_high] == pytest.approx(REFERENCE[key], abs=1e-9)


@pytest.mark.parametrize("k, key", [(30, "garwood_30"), (0, "garwood_0"), (107, "garwood_107")])
def test_poisson_rate_matches_r_poisson_test(k, key):
    found = poisson_rate(k, 6)
    assert [found.ci_low * 6, found.ci_high * 6] == pytest.approx(REFERENCE[key], abs=1e-7)
    assert found.estimate == k / 6


def test_change_interval_adds_the_variances():
    change, _low, high = change_interval(Estimate(100, 1.0, 0.8, 1.2), Estimate(100, 0.5, 0.2, 0.8))
    z = 1.959963984540054
    assert change == pytest.approx(0.5)
    assert high - change == pytest.approx(z * math.hypot(0.2 / z, 0.3 / z))


# ---------------------------------------------------------------------------- the scorecard


def complaints(n_resp: int, months: int, *, first_contact: bool = True) -> pd.DataFrame:
    """Coded complaints: ``n_resp`` about responsiveness and 10 others over ``months`` months."""
    n = n_resp + 10
    received = pd.to_datetime("2026-01-01") + pd.to_timedelta(np.linspace(0, months * 30 - 1, n), unit="D")
    frame = pd.DataFrame({
        "received": received, "branch": np.where(np.arange(n) % 2, "North", "East"), "category": "service",
        "dimensions": ["res"] * n_resp + [""] * 10,
        "response_status": ["on time"] * (n - 5) + ["late"] * 4 + ["pending"],
        "resolution_status": ["on time"] * (n // 2) + ["late"] * (n - n // 2),
    })
    if first_contact:
        frame["first_contact"] = pd.array([True, False, None] * (n // 3) + [True] * (n % 3), dtype="boolean")
    return frame


TARGETS = [
    {"id": "sat", "measure": "outcome", "of": "overall", "direction": "at_least", "value": 4.0},
    {"id": "gap", "measure": "gap", "of": "res", "direction": "at_least", "value": -0.5},
    {"id": "north", "measure": "perception", "of": "res", "direction": "at_least", "value": 5.0,
     "segment": {"column": "branch", "level": "North"}},
    {"id": "rate", "measure": "complaint_rate", "of": "res", "direction": "at_most", "value": 5.0},
    {"id": "on_time", "measure": "response_on_time", "direction": "at_least", "value": 0.5},
    {"id": "resolved", "measure": "resolution_on_time", "direction": "at_least", "value": 0.9},
    {"id": "fcr", "measure": "first_contact_resolution", "direction": "at_least", "value": 0.5},
]


def test_scorecard_measures_every_kind_of_target_and_its_change():
    before = WaveData("w1", responses(4.8, seed=1), complaints(60, 6))
    after = WaveData("w2", responses(5.6, seed=2), complaints(12, 6))
    card = scorecard(TARGETS, after, instrument(), previous=before).set_index("target_id")
    rows = after.responses
    assert card.loc["sat", "estimate"] == pytest.approx(rows["overall"].mean())
    gap = (rows[["P_res1", "P_res2"]].to_numpy() - rows[["E_res1", "E_res2"]].to_numpy()).mean()
    assert card.loc["gap", "estimate"] == pytest.approx(gap)
    north = rows[rows["branch"] == "North"][["P_res1", "P_res2"]].mean(axis=1)
    assert card.loc["north", ["n", "estimate"]].tolist() == pytest.approx([len(north), north.mean()])
    assert card.loc["rate", "estimate"] == pytest.approx(12 / 6) and card.loc["rate", "unit"] == "per_month"
    assert card.loc["on_time", "estimate"] == pytest.approx(17 / 21)  # the pending one is not judged
    assert card.loc["fcr", "n"] == 15  # recorded answers only (two of every three, and the last one)
    assert card.loc["rate", "change"] == pytest.approx(12 / 6 - 60 / 6)
    assert card.loc["gap", "verdict"] == "met" and card.loc["resolved", "verdict"] == "not_met"
    assert card.loc["sat", "previous_wave"] == "w1"
    assert list(card["unit"]) == ["points"] * 3 + ["per_month"] + ["share"] * 3


def test_complaint_targets_of_a_wave_without_a_log_have_no_data():
    card = scorecard(TARGETS, WaveData("w1", responses(5.0)), instrument())
    complaint_rows = card[card["target_id"].isin(["rate", "on_time", "resolved", "fcr"])]
    assert set(complaint_rows["verdict"]) == {"no_data"}
    assert card["previous_wave"].eq("").all() and card["change"].isna().all()


def test_first_contact_resolution_without_the_column_has_no_data():
    card = scorecard(TARGETS[-1:], WaveData("w1", responses(5.0), complaints(20, 3, first_contact=False)), instrument())
    assert card.loc[0, "verdict"] == "no_data" and card.loc[0, "n"] == 0
