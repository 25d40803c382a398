"""Did an improvement action work? Each action of the register checked by the wave after it.

An action starts after one wave (``after_wave``) and is checked between that wave and the next
one in the waves sheet. The change of what it targets is compared with the change, over the same
waves, of what it does not target, and, where it was rolled out in some segment levels only,
with the change of its target in the levels without it: a difference-in-differences, which
removes whatever moved every score (a season, a new sample frame) from the action's apparent
effect (Angrist & Pischke 2009, *Mostly Harmless Econometrics*, ch. 5). The interval of a
difference between two independent estimates is ``d ± z sqrt(se_1² + se_2²)`` (Altman & Bland
2003, BMJ 326(7382), 219).

Survey evidence is the mean perception of the targeted items (a dimension stands for its items)
against the mean perception of the items of the other dimensions; within a respondent the two
are paired, so the first comparison is Welch's test of the per-respondent difference between
the waves. Means are compared only where the instrument is read the same way in both waves
(scalar invariance, :func:`servqual.invariance.measurement_invariance`); where it is rejected
the check says so and compares nothing. Complaint evidence is the monthly rate of the targeted
complaints against the other complaints, as rate ratios after/before with log-normal intervals,
``se(log RR) = sqrt(1/k_1 + 1/k_2)`` and for the ratio of two rate ratios the sum of the four
reciprocal counts (Rothman, Greenland & Lash 2008, *Modern Epidemiology*, 3rd ed., ch. 14).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from servqual.complaints import all_periods
from servqual.distributions import norm_ppf
from servqual.instrument import Instrument, measure_frames
from servqual.invariance import HOLDS, measurement_invariance
from servqual.kpi import WaveData, complaints_about
from servqual.loop_config import COMPLAINT_SEGMENTS, rollout_segments, split_list
from servqual.waves import welch_comparison

ACTION_COLUMNS = [
    "action", "title", "evidence", "comparison", "wave_before", "wave_after", "targets", "provider_gap", "owner",
    "segments", "effect", "unit", "n_before", "n_after", "before", "after", "change", "change_ci_low", "change_ci_high",
    "other_change", "other_ci_low", "other_ci_high", "difference", "difference_ci_low", "difference_ci_high",
    "invariance", "verdict", "confidence",
]
#: Verdicts of a check.
VERDICTS = ("improved", "worsened", "no_change", "not_comparable", "not_yet", "no_data")


def wave_after(waves: Sequence[str], after: str) -> str | None:
    """The wave an action started after ``after`` is checked by: the next one in the sheet.

    >>> wave_after(["w1", "w2"], "w1"), wave_after(["w1", "w2"], "w2")
    ('w2', None)
    """
    position = list(waves).index(after)
    return waves[position + 1] if position + 1 < len(waves) else None


def targeted_items(targets: Sequence[str], item_dimension: Mapping[str, str]) -> tuple[list[str], list[str]]:
    """The items an action targets (a dimension stands for all its items) and the items of the
    dimensions it does not touch at all (the comparison).

    >>> targeted_items(["res"], {"r1": "res", "r2": "res", "a1": "ass", "t1": "tan"})
    (['r1', 'r2'], ['a1', 't1'])
    >>> targeted_items(["r1"], {"r1": "res", "r2": "res", "a1": "ass"})
    (['r1'], ['a1'])
    """
    chosen = [i for i, d in item_dimension.items() if i in targets or d in targets]
    touched = {item_dimension[i] for i in chosen}
    return chosen, [i for i, d in item_dimension.items() if d not in touched]


def invariance_state(table: pd.DataFrame) -> str:
    """``holds``, ``rejected`` or ``not_assessed`` from a two-wave invariance table
    (:func:`servqual.invariance.measurement_invariance`): holds where scalar invariance holds,
    not assessed where no model level could be judged."""
    if bool(table["means_comparable"].any()):
        return "holds"
    judged = table["decision"].isin([*HOLDS, "rejected"])
    return "rejected" if judged.any() else "not_assessed"


def pair_invariance(before: pd.DataFrame, after: pd.DataFrame, instrument: Instrument, *,
                    min_group_size: int = 50) -> str:
    """Scalar invariance of the perception items between two waves' cleaned responses
    (:func:`invariance_state`)."""
    pooled = pd.concat([before, after], keys=["before", "after"], names=["wave", "row"]).reset_index("wave")
    items = measure_frames(pooled, instrument, with_gap=False)["perception"]
    table = measurement_invariance(items, instrument.item_dimension, pooled["wave"], min_group_size=min_group_size)
    return invariance_state(table)


def _z(confidence: float) -> float:
    return float(norm_ppf((1 + confidence) / 2))


def _welch(a: pd.Series, b: pd.Series, confidence: float) -> dict[str, float]:
    """Welch's change b - a with its interval and standard error (NaN with fewer than two each)."""
    a, b = a.dropna().to_numpy(float), b.dropna().to_numpy(float)
    if len(a) < 2 or len(b) < 2:
        return {"n_a": len(a), "n_b": len(b), "mean_a": np.nan, "mean_b": np.nan, "diff": np.nan,
                "diff_ci_low": np.nan, "diff_ci_high": np.nan, "se": np.nan}
    result = welch_comparison(a, b, confidence)
    return {**result, "se": np.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))}


def _difference(first: Mapping[str, float], second: Mapping[str, float], confidence: float) -> tuple[float, float, float]:
    """``first - second`` of two independent changes with a normal interval."""
    diff = first["diff"] - second["diff"]
    half = _z(confidence) * np.hypot(first["se"], second["se"])
    return diff, diff - half, diff + half


def _survey_verdict(low: float, high: float) -> str:
    if np.isnan(low):
        return "no_data"
    return "improved" if low > 0 else "worsened" if high < 0 else "no_change"


def survey_checks(before: pd.DataFrame, after: pd.DataFrame, targeted: Sequence[str], other: Sequence[str], *,
                  rolled_before: pd.Series | None = None, rolled_after: pd.Series | None = None,
                  invariance: str = "holds", confidence: float = 0.95) -> list[dict]:
    """The survey checks of one action between two waves.

    Parameters
    ----------
    before, after
        Perception item frames (columns item ids) of the wave before and the wave after.
    targeted, other
        Items the action targets and items of the dimensions it does not touch
        (:func:`targeted_items`).
    rolled_before, rolled_after
        Where the action was rolled out in some segment levels only: whether each respondent is
        in one of them (None = everywhere).
    invariance
        ``holds``, ``rejected`` or ``not_assessed`` (:func:`invariance_state`); ``rejected``
        makes every check ``not_comparable``, with no estimate.

    Returns
    -------
    list of dict
        ``untargeted``: targeted and other mean perception change (Welch), and the change of
        their per-respondent difference; ``without_rollout`` (segment roll-outs only): the
        targeted change where the action ran, where it did not, and their difference.
    """
    def scores(frame: pd.DataFrame, items: Sequence[str]) -> pd.Series:
        return frame[list(items)].mean(axis=1) if len(items) else pd.Series(np.nan, index=frame.index)

    inside_before = before if rolled_before is None else before[rolled_before]
    inside_after = after if rolled_after is None else after[rolled_after]
    comparisons = ["untargeted"] if rolled_before is None else ["untargeted", "without_rollout"]
    rows = []
    for comparison in comparisons:
        row = {"comparison": comparison, "effect": "mean_difference", "unit": "points", "invariance": invariance}
        if invariance == "rejected":
            rows.append(row | {"verdict": "not_comparable"})
            continue
        change = _welch(scores(inside_before, targeted), scores(inside_after, targeted), confidence)
        if comparison == "untargeted":
            reference = _welch(scores(inside_before, other), scores(inside_after, other), confidence)
            paired = _welch(scores(inside_before, targeted) - scores(inside_before, other),
                            scores(inside_after, targeted) - scores(inside_after, other), confidence)
            difference = (paired["diff"], paired["diff_ci_low"], paired["diff_ci_high"])
        else:
            reference = _welch(scores(before[~rolled_before], targeted), scores(after[~rolled_after], targeted),
                               confidence)
            difference = _difference(change, reference, confidence)
        rows.append(row | {
            "n_before": change["n_a"], "n_after": change["n_b"], "before": change["mean_a"], "after": change["mean_b"],
            "change": change["diff"], "change_ci_low": change["diff_ci_low"], "change_ci_high": change["diff_ci_high"],
            "other_change": reference["diff"], "other_ci_low": reference["diff_ci_low"],
            "other_ci_high": reference["diff_ci_high"], "difference": difference[0],
            "difference_ci_low": difference[1], "difference_ci_high": difference[2],
            "verdict": _survey_verdict(difference[1], difference[2]),
        })
    return rows


def _rate_ratio(k_before: int, t_before: int, k_after: int, t_after: int, confidence: float) -> dict[str, float]:
    """Rate ratio (after / before) of two Poisson counts over their periods, log-normal interval."""
    if min(k_before, k_after, t_before, t_after) == 0:
        return {"ratio": np.nan, "low": np.nan, "high": np.nan, "var": np.nan}
    ratio = (k_after / t_after) / (k_before / t_before)
    var = 1 / k_before + 1 / k_after
    half = _z(confidence) * np.sqrt(var)
    return {"ratio": ratio, "low": ratio * np.exp(-half), "high": ratio * np.exp(half), "var": var}


def complaint_checks(before: pd.DataFrame, after: pd.DataFrame, categories: Sequence[str], *,
                     periods_before: int, periods_after: int, rollout: Sequence[tuple[str, str]] = (),
                     period: str = "month", confidence: float = 0.95) -> list[dict]:
    """The complaint checks of one action: its complaints' rate ratio against the other complaints'
    (``untargeted``) and, rolled out in some branches or departments, against the same complaints
    where it did not run (``without_rollout``).

    Parameters
    ----------
    before, after
        Coded complaints of the logs of the wave before and the wave after.
    categories
        Dimension ids the complaints are coded to, or categories as recorded
        (:func:`servqual.kpi.complaints_about`); a complaint matching any is targeted.
    periods_before, periods_after
        Periods each log covers (the rates' denominators), of kind ``period`` (month or week).
    rollout
        (field, level) pairs where the action ran; fields other than the log's branch,
        department and channel are left out (the log cannot tell them).

    Returns
    -------
    list of dict
        ``before``/``after``: targeted complaints per period; ``change``: their rate ratio;
        ``other_change``: the comparison's rate ratio; ``difference``: the ratio of the two.
        ``improved`` when the ratio's interval lies below 1.
    """
    def about(frame: pd.DataFrame) -> pd.Series:
        found = pd.Series(False, index=frame.index)
        for category in categories:
            found |= complaints_about(frame, category)
        return found

    def ran(frame: pd.DataFrame) -> pd.Series:
        inside = pd.Series(False, index=frame.index)
        for field, level in rollout:
            inside |= frame[field].astype("string") == level
        return inside

    rollout = [(f, v) for f, v in rollout if f in COMPLAINT_SEGMENTS]
    hit_before, hit_after = about(before), about(after)
    inside_before = ran(before) if rollout else pd.Series(True, index=before.index)
    inside_after = ran(after) if rollout else pd.Series(True, index=after.index)
    pairs = {"untargeted": ((hit_before & inside_before, hit_after & inside_after),
                            (~hit_before & inside_before, ~hit_after & inside_after))}
    if rollout:
        pairs["without_rollout"] = ((hit_before & inside_before, hit_after & inside_after),
                                    (hit_before & ~inside_before, hit_after & ~inside_after))
    rows = []
    for comparison, ((target_b, target_a), (other_b, other_a)) in pairs.items():
        k = [int(target_b.sum()), int(target_a.sum()), int(other_b.sum()), int(other_a.sum())]
        target = _rate_ratio(k[0], periods_before, k[1], periods_after, confidence)
        other = _rate_ratio(k[2], periods_before, k[3], periods_after, confidence)
        ratio = target["ratio"] / other["ratio"]
        half = _z(confidence) * np.sqrt(target["var"] + other["var"])
        low, high = ratio * np.exp(-half), ratio * np.exp(half)
        verdict = "no_data" if np.isnan(ratio) else "improved" if high < 1 else "worsened" if low > 1 else "no_change"
        rows.append({
            "comparison": comparison, "effect": "rate_ratio", "unit": f"per_{period}", "invariance": "",
            "n_before": k[0], "n_after": k[1],
            "before": k[0] / periods_before if periods_before else np.nan,
            "after": k[1] / periods_after if periods_after else np.nan,
            "change": target["ratio"], "change_ci_low": target["low"], "change_ci_high": target["high"],
            "other_change": other["ratio"], "other_ci_low": other["low"], "other_ci_high": other["high"],
            "difference": ratio, "difference_ci_low": low, "difference_ci_high": high, "verdict": verdict,
        })
    return rows


def _rolled(responses: pd.DataFrame, rollout: Sequence[tuple[str, str]]) -> pd.Series | None:
    if not rollout:
        return None
    inside = pd.Series(False, index=responses.index)
    for segment, level in rollout:
        inside |= responses[segment].astype("string") == level
    return inside


def check_actions(register: Sequence[Mapping[str, str]], data: Mapping[str, WaveData], instrument: Instrument, *,
                  invariance: Mapping[tuple[str, str], str], period: str = "month",
                  confidence: float = 0.95) -> pd.DataFrame:
    """Every action of the register checked by the wave after it.

    Parameters
    ----------
    register
        The action register's rows (``id``, ``title``, ``targets``, ``complaint_categories``,
        ``provider_gap``, ``owner``, ``after_wave``, ``segments``), validated.
    data
        Wave id -> :class:`servqual.kpi.WaveData`, in the waves sheet's order.
    invariance
        (wave before, wave after) -> :func:`invariance_state` of that pair, for every pair an
        action is checked on.
    period
        The complaint logs' period (``month`` or ``week``): the unit of the rates.

    Returns
    -------
    pandas.DataFrame
        :data:`ACTION_COLUMNS`: per action, its survey checks (:func:`survey_checks`), and its
        complaint checks (:func:`complaint_checks`) where both waves have a complaint log; an
        action started after the last wave has one ``not_yet`` row.
    """
    rows = []
    for action in register:
        base = {"action": action["id"], "title": action["title"], "wave_before": action["after_wave"],
                "targets": action["targets"], "provider_gap": action.get("provider_gap", ""),
                "owner": action.get("owner", ""), "segments": action.get("segments", ""), "confidence": confidence}
        later = wave_after(list(data), action["after_wave"])
        if later is None:
            rows.append(base | {"evidence": "survey", "comparison": "untargeted", "wave_after": "", "verdict": "not_yet"})
            continue
        first, second = data[action["after_wave"]], data[later]
        rollout = rollout_segments(action.get("segments", ""))
        targeted, other = targeted_items(split_list(action["targets"]), instrument.item_dimension)
        frames = [measure_frames(w.responses, instrument, with_gap=False)["perception"] for w in (first, second)]
        for row in survey_checks(*frames, targeted, other, rolled_before=_rolled(first.responses, rollout),
                                 rolled_after=_rolled(second.responses, rollout),
                                 invariance=invariance[(first.wave, second.wave)], confidence=confidence):
            rows.append(base | {"evidence": "survey", "wave_after": later} | row)
        if first.complaints is None or second.complaints is None:
            continue
        categories = split_list(action.get("complaint_categories", "")) or sorted(
            {instrument.item_dimension[i] for i in targeted})
        periods = [len(all_periods(w.complaints["received"], period)) for w in (first, second)]
        for row in complaint_checks(first.complaints, second.complaints, categories, periods_before=periods[0],
                                    periods_after=periods[1], rollout=rollout, period=period, confidence=confidence):
            rows.append(base | {"evidence": "complaints", "wave_after": later} | row)
    return pd.DataFrame(rows, columns=ACTION_COLUMNS)
