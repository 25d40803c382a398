"""Targets and the KPI scorecard: each target measured in a wave, with its interval, and a verdict
that respects the uncertainty.

A target (config ``targets``) names a measure the pipeline reports, what it is of, a direction
and a value, optionally for one segment level. Survey measures (a dimension's mean perception or
gap, the overall SERVPERF/SERVQUAL score, an outcome such as overall satisfaction) are means of
respondents with t intervals; complaint measures are a monthly rate with an exact Poisson
interval (Garwood 1936, Biometrika 28(3/4)) and shares (response and resolution on time,
first-contact resolution) with Wilson intervals (Wilson 1927, JASA 22(158)).

The verdict reads the interval, not the point estimate: a target is met when the whole interval
lies on the target's side, not met when the whole interval lies on the other side, and the data
cannot tell when the interval straddles the target value (the practice of judging a specification
limit by a confidence bound; Montgomery 2013, *Introduction to Statistical Quality Control*, 7th
ed., ch. 8).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from servqual.complaints import all_periods
from servqual.distributions import chi2_ppf, norm_ppf
from servqual.gaps import mean_confidence_intervals
from servqual.instrument import Instrument
from servqual.loop_config import SURVEY_MEASURES
from servqual.outcomes import outcome_scores
from servqual.waves import respondent_targets

#: Measures a target can name: from the survey (:data:`SURVEY_MEASURES`) or the complaint log.
COMPLAINT_MEASURES = ("complaint_rate", "response_on_time", "resolution_on_time", "first_contact_resolution")
MEASURES = SURVEY_MEASURES + COMPLAINT_MEASURES
DIRECTIONS = ("at_least", "at_most")
#: Verdicts of a target in one wave.
VERDICTS = ("met", "not_met", "cannot_tell", "no_data")
SCORECARD_COLUMNS = [
    "wave", "target_id", "measure", "of", "segment", "level", "direction", "target_value", "unit", "n",
    "estimate", "ci_low", "ci_high", "verdict", "previous_wave", "previous_estimate", "change",
    "change_ci_low", "change_ci_high", "confidence",
]


@dataclass(frozen=True)
class Estimate:
    """A measured value: how many units it rests on, the estimate and its interval."""

    n: float = 0.0
    estimate: float = np.nan
    ci_low: float = np.nan
    ci_high: float = np.nan


def verdict(ci_low: float, ci_high: float, value: float, direction: str) -> str:
    """Met, not met or cannot tell, from the interval ``[ci_low, ci_high]`` against the target.

    ``at_least``: met when ``ci_low >= value``, not met when ``ci_high < value``; ``at_most``:
    met when ``ci_high <= value``, not met when ``ci_low > value``; otherwise the interval
    straddles the value and the data cannot tell. An interval that touches the value from the
    target's side counts as met. No interval (NaN) is ``no_data``.

    Examples
    --------
    >>> verdict(5.1, 5.4, 5.0, "at_least"), verdict(4.6, 4.9, 5.0, "at_least"), verdict(4.9, 5.2, 5.0, "at_least")
    ('met', 'not_met', 'cannot_tell')
    >>> verdict(0.10, 0.20, 0.25, "at_most"), verdict(float("nan"), 1.0, 0.5, "at_most")
    ('met', 'no_data')
    """
    if np.isnan(ci_low) or np.isnan(ci_high):
        return "no_data"
    if direction == "at_least":
        return "met" if ci_low >= value else "not_met" if ci_high < value else "cannot_tell"
    return "met" if ci_high <= value else "not_met" if ci_low > value else "cannot_tell"


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> Estimate:
    """Share ``successes / n`` with the Wilson score interval.

    ``(p + z²/2n ± z sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)`` (Wilson 1927, JASA 22(158)).

    >>> e = wilson_interval(8, 10)
    >>> round(e.estimate, 2), round(e.ci_low, 4), round(e.ci_high, 4)
    (0.8, 0.4902, 0.9433)
    """
    if n == 0:
        return Estimate(0)
    z = norm_ppf((1 + confidence) / 2)
    p = successes / n
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    return Estimate(n, p, float(centre - half), float(centre + half))


def poisson_rate(count: int, periods: int, confidence: float = 0.95) -> Estimate:
    """Rate ``count / periods`` with the exact (Garwood) Poisson interval.

    ``[chi2_{a/2}(2k) / 2, chi2_{1-a/2}(2k + 2) / 2] / periods`` (Garwood 1936, Biometrika 28(3/4)).

    >>> e = poisson_rate(30, 6)
    >>> e.estimate, round(e.ci_low, 3), round(e.ci_high, 3)
    (5.0, 3.373, 7.138)
    """
    if periods == 0:
        return Estimate(0)
    alpha = 1 - confidence
    low = chi2_ppf(alpha / 2, 2 * count) / 2 if count else 0.0
    high = chi2_ppf(1 - alpha / 2, 2 * count + 2) / 2
    return Estimate(periods, count / periods, float(low / periods), float(high / periods))


def survey_estimate(responses: pd.DataFrame, instrument: Instrument, measure: str, of: str,
                    confidence: float = 0.95) -> Estimate:
    """Mean and t interval of a survey measure over the respondents given.

    ``measure`` ``perception`` or ``gap`` with ``of`` a dimension id or ``overall`` (SERVPERF or
    SERVQUAL score; :func:`servqual.waves.respondent_targets`); ``outcome`` with ``of`` an outcome id
    (``overall`` = the overall-satisfaction item; :func:`servqual.outcomes.outcome_scores`).
    """
    if measure == "outcome":
        outcomes = outcome_scores(responses, instrument)
        values = outcomes[[of]] if of in outcomes else None
    else:
        scores = respondent_targets(responses, instrument)
        values = scores[[(measure, of)]] if (measure, of) in scores.columns else None
    if values is None or values.empty:
        return Estimate(0)
    row = mean_confidence_intervals(values.astype(float), confidence).iloc[0]
    return Estimate(row["n"], row["mean"], row["ci_low"], row["ci_high"])


def complaints_about(complaints: pd.DataFrame, of: str) -> pd.Series:
    """Complaints coded to dimension ``of``, recorded in category ``of``, or all (``of`` empty)."""
    if not of or of == "all":
        return pd.Series(True, index=complaints.index)
    dimensions = complaints["dimensions"].fillna("").str.split(r"\s*;\s*", regex=True)
    return dimensions.map(lambda found: of in found) | (complaints["category"] == of)


def complaint_estimate(complaints: pd.DataFrame, measure: str, of: str, *, periods: int,
                       confidence: float = 0.95) -> Estimate:
    """A complaint measure over the complaints given (coded complaints of one wave's log).

    ``complaint_rate``: complaints about ``of`` (:func:`complaints_about`) per period; the shares:
    responses or resolutions on time among those due with a promise, and complaints resolved at
    first contact among those the log records (column ``first_contact``).
    """
    about = complaints[complaints_about(complaints, of)]
    if measure == "complaint_rate":
        return poisson_rate(len(about), periods, confidence)
    if measure == "first_contact_resolution":
        recorded = about["first_contact"].dropna() if "first_contact" in about else pd.Series(dtype=bool)
        return wilson_interval(int(recorded.astype(bool).sum()), len(recorded), confidence)
    status = about[f"{measure.removesuffix('_on_time')}_status"]
    judged = status.isin(["on time", "late"])
    return wilson_interval(int((status == "on time").sum()), int(judged.sum()), confidence)


def _unit(measure: str, period: str) -> str:
    if measure in SURVEY_MEASURES:
        return "points"
    return f"per_{period}" if measure == "complaint_rate" else "share"


def measure_target(target: Mapping, responses: pd.DataFrame, complaints: pd.DataFrame | None,
                   instrument: Instrument, *, period: str = "month", confidence: float = 0.95) -> Estimate:
    """One target's measure in one wave, in its segment level where it names one; a complaint
    measure of a wave without a complaint log, or a segment level with no data, is no data."""
    segment = target.get("segment") or {}
    if target["measure"] in SURVEY_MEASURES:
        if segment:
            responses = responses[responses[segment["column"]].astype("string") == str(segment["level"])]
        return survey_estimate(responses, instrument, target["measure"], target.get("of") or "overall", confidence)
    if complaints is None:
        return Estimate(0)
    periods = len(all_periods(complaints["received"], period)) if len(complaints) else 0
    if segment:
        complaints = complaints[complaints[segment["column"]].astype("string") == str(segment["level"])]
    return complaint_estimate(complaints, target["measure"], target.get("of") or "", periods=periods,
                              confidence=confidence)


def change_interval(now: Estimate, before: Estimate, confidence: float = 0.95) -> tuple[float, float, float]:
    """Change ``now - before`` with a normal interval from the two independent intervals.

    ``se_i = (ci_high_i - ci_low_i) / (2 z)``; ``change ± z sqrt(se_now² + se_before²)`` (the
    waves are independent samples; Altman & Bland 2003, BMJ 326(7382), 219). Exact for normal
    intervals, approximate for the asymmetric Wilson and Poisson ones.

    >>> [round(v, 3) for v in change_interval(Estimate(100, 5.3, 5.1, 5.5), Estimate(100, 5.0, 4.8, 5.2))]
    [0.3, 0.017, 0.583]
    """
    z = norm_ppf((1 + confidence) / 2)
    se = np.hypot((now.ci_high - now.ci_low) / (2 * z), (before.ci_high - before.ci_low) / (2 * z))
    change = now.estimate - before.estimate
    return float(change), float(change - z * se), float(change + z * se)


@dataclass(frozen=True)
class WaveData:
    """What a wave's measures are read from: its id, cleaned responses and coded complaints."""

    wave: str
    responses: pd.DataFrame
    complaints: pd.DataFrame | None = None


def scorecard(targets: Sequence[Mapping], current: WaveData, instrument: Instrument, *,
              previous: WaveData | None = None, period: str = "month", confidence: float = 0.95) -> pd.DataFrame:
    """The KPI scorecard of one wave: each target measured, its verdict, and the change since
    the previous wave.

    Parameters
    ----------
    targets
        The config's ``targets``: ``id``, ``measure`` (:data:`MEASURES`), ``of``, ``direction``
        (:data:`DIRECTIONS`), ``value`` and optionally ``segment`` ``{column, level}``.
    current, previous
        The wave scored and the one before it in the waves sheet (None for the first wave).
    period
        The complaint log's period (``month`` or ``week``), the unit of complaint rates.

    Returns
    -------
    pandas.DataFrame
        :data:`SCORECARD_COLUMNS`, one row per target in the config's order; ``verdict`` from
        :func:`verdict`, the change and its interval from :func:`change_interval`.
    """
    rows = []
    for target in targets:
        now = measure_target(target, current.responses, current.complaints, instrument, period=period,
                             confidence=confidence)
        before = (measure_target(target, previous.responses, previous.complaints, instrument, period=period,
                                 confidence=confidence) if previous else Estimate(0))
        change = change_interval(now, before, confidence)
        segment = target.get("segment") or {}
        rows.append({
            "wave": current.wave, "target_id": target["id"], "measure": target["measure"],
            "of": target.get("of") or "", "segment": segment.get("column", ""), "level": segment.get("level", ""),
            "direction": target["direction"], "target_value": target["value"], "unit": _unit(target["measure"], period),
            "n": now.n, "estimate": now.estimate, "ci_low": now.ci_low, "ci_high": now.ci_high,
            "verdict": verdict(now.ci_low, now.ci_high, target["value"], target["direction"]),
            "previous_wave": previous.wave if previous else "", "previous_estimate": before.estimate,
            "change": change[0], "change_ci_low": change[1], "change_ci_high": change[2], "confidence": confidence,
        })
    return pd.DataFrame(rows, columns=SCORECARD_COLUMNS)
