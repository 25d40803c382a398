"""Did an improvement action work? Each action of the register checked by the wave after it.

An action starts after one wave (``after_wave``) and is checked between that wave and the next
one in the waves sheet. The change of what it targets is compared with the change, over the same
waves, of what no action targets, and, where it was rolled out in some segment levels only,
with the change of its target in the levels without it: a difference-in-differences, which
removes whatever moved every score (a season, a new sample frame) from the action's apparent
effect (Angrist & Pischke 2009, *Mostly Harmless Econometrics*, ch. 5). The untargeted
comparison is a nonequivalent dependent variable (Shadish, Cook & Campbell 2002, *Experimental
and Quasi-Experimental Designs for Generalized Causal Inference*, ch. 4 and 5): an outcome
exposed to the same history as the target but not to the treatment. It is only that if no other
treatment reaches it, so the comparison set of an action leaves out what any other action
started after the same wave (checked over the same pair of waves) targets: the dimensions of its
targeted items and its complaint categories (``compared_with`` names what is left). Where
nothing is left the check says so (``no_comparison``) and reports the targeted change alone.
Roll-outs: the untargeted comparison of an action rolled out in some segment levels is taken
among their respondents, and leaves out the other actions' targets whatever their own roll-out
(the register cannot tell whether roll-outs on different segments overlap, so the exclusion is
the conservative one). The comparison with the segments without the action is its own target
there; an action running everywhere on the same target moves both sides alike and cancels out,
while one rolled out on the same target in other segments would bias it, which the register's
owner should avoid or read the two checks together. The interval of a
difference between two independent estimates is ``d ± z sqrt(se_1² + se_2²)`` (Altman & Bland
2003, BMJ 326(7382), 219).

Survey evidence is the mean perception of the targeted items (a dimension stands for its items)
against the mean perception of the items of the other dimensions; within a respondent the two
are paired, so the first comparison is Welch's test of the per-respondent difference between
the waves. Means are compared only where the instrument is read the same way in both waves
(scalar invariance, :func:`servqual.invariance.invariance_ladder`); where it is rejected the
check says so and compares nothing. Under partial scalar invariance (constraints released by
score test, Byrne, Shavelson & Muthén 1989, Psychol. Bull. 105(3)) the observed mean of an item
whose intercept (or loading) differs between the waves moves for reasons other than the latent
mean, so such items are left out of both sides of the check (``items_left_out``) and the scores
are the means of the invariant items, which partial invariance keeps at two or more per
dimension; an action whose targeted items are all non-invariant is not compared. Complaint evidence is the monthly rate of the targeted
complaints against the other complaints, as rate ratios after/before with log-normal intervals,
``se(log RR) = sqrt(1/k_1 + 1/k_2)`` and for the ratio of two rate ratios the sum of the four
reciprocal counts (Rothman, Greenland & Lash 2008, *Modern Epidemiology*, 3rd ed., ch. 14).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from servqual.complaints import all_periods
from servqual.instrument import Instrument, measure_frames
from servqual.invariance import HOLDS, invariance_ladder
from servqual.kpi import WaveData, complaints_about
from servqual.loop_config import COMPLAINT_SEGMENTS, rollout_segments, split_list
from servqual.waves import welch_comparison

ACTION_COLUMNS = [
    "action", "title", "evidence", "comparison", "wave_before", "wave_after", "targets", "complaint_categories",
    "compared_with", "provider_gap", "owner",
    "segments", "effect", "unit", "n_before", "n_after", "before", "after", "change", "change_ci_low", "change_ci_high",
    "other_change", "other_ci_low", "other_ci_high", "difference", "difference_ci_low", "difference_ci_high",
    "invariance", "items_left_out", "verdict", "confidence",
]
#: Verdicts of a check.
VERDICTS = ("improved", "worsened", "no_change", "no_comparison", "not_comparable", "not_yet", "no_data")


def wave_after(waves: Sequence[str], after: str) -> str | None:
    """The wave an action started after ``after`` is checked by: the next one in the sheet.

    >>> wave_after(["w1", "w2"], "w1"), wave_after(["w1", "w2"], "w2")
    ('w2', None)
    """
    position = list(waves).index(after)
    return waves[position + 1] if position + 1 < len(waves) else None


def action_title(action: Mapping[str, str], language: str) -> str:
    """An action's title in the report's ``language``: the register's ``title_<language>`` where
    given, else its ``title`` as written (the instrument's labels fall back the same way).

    >>> action = {"title": "Queue management", "title_zh": "排队管理", "title_ko": ""}
    >>> action_title(action, "zh"), action_title(action, "ko")
    ('排队管理', 'Queue management')
    """
    return action.get(f"title_{language}") or action["title"]


def targeted_items(targets: Sequence[str], item_dimension: Mapping[str, str],
                   excluded: Sequence[str] = ()) -> tuple[list[str], list[str]]:
    """The items an action targets (a dimension stands for all its items) and the items of the
    dimensions touched neither by it nor by the ``excluded`` targets (those of the other actions
    over the same waves): the comparison.

    >>> targeted_items(["res"], {"r1": "res", "r2": "res", "a1": "ass", "t1": "tan"})
    (['r1', 'r2'], ['a1', 't1'])
    >>> targeted_items(["r1"], {"r1": "res", "r2": "res", "a1": "ass"})
    (['r1'], ['a1'])
    >>> targeted_items(["res"], {"r1": "res", "a1": "ass", "t1": "tan"}, excluded=["a1"])
    (['r1'], ['t1'])
    """
    def chosen(names: Sequence[str]) -> list[str]:
        return [i for i, d in item_dimension.items() if i in names or d in names]

    mine = chosen(targets)
    touched = {item_dimension[i] for i in (*mine, *chosen(excluded))}
    return mine, [i for i, d in item_dimension.items() if d not in touched]


@dataclass(frozen=True)
class PairInvariance:
    """Scalar invariance of the perception items between two waves.

    Attributes
    ----------
    state
        ``holds``, ``partial`` (holds with constraints released), ``rejected`` or ``not_assessed``.
    released
        Items whose intercept (or loading) was released in the accepted scalar model.
    """

    state: str
    released: tuple[str, ...] = ()


def invariance_state(table: pd.DataFrame) -> PairInvariance:
    """The two waves' invariance from their ``invariance`` table
    (:func:`servqual.invariance.invariance_ladder`): holds where scalar invariance holds, partial
    where it holds with constraints released (their items from the accepted scalar row's
    ``released``, ``constraint:item``), not assessed where no model level could be judged.

    >>> table = pd.DataFrame({"level": ["configural", "metric", "scalar", "scalar"],
    ...                       "decision": ["reference", "holds", "rejected", "holds"], "means_comparable": True,
    ...                       "released": ["", "", "", "intercepts:x3;intercepts:x7"]})
    >>> invariance_state(table)
    PairInvariance(state='partial', released=('x3', 'x7'))
    """
    accepted = table[(table["level"] == "scalar") & table["decision"].isin(HOLDS)]
    if bool(table["means_comparable"].any()) and len(accepted):
        cell = accepted["released"].iloc[-1]
        released = tuple(dict.fromkeys(c.split(":", 1)[-1] for c in split_list("" if pd.isna(cell) else str(cell))))
        return PairInvariance("partial" if released else "holds", released)
    judged = table["decision"].isin([*HOLDS, "rejected"])
    return PairInvariance("rejected" if judged.any() else "not_assessed")


def pair_invariance(before: pd.DataFrame, after: pd.DataFrame, instrument: Instrument, *,
                    min_group_size: int = 50) -> PairInvariance:
    """Scalar invariance of the perception items between two waves' cleaned responses, partial
    where constraints had to be released (:func:`invariance_state`)."""
    pooled = pd.concat([before, after], keys=["before", "after"], names=["wave", "row"]).reset_index("wave")
    items = measure_frames(pooled, instrument, with_gap=False)["perception"]
    ladder = invariance_ladder(items, instrument.item_dimension, pooled["wave"], min_group_size=min_group_size,
                               levels=("configural", "metric", "scalar"))
    return invariance_state(ladder.levels)


def _z(confidence: float) -> float:
    return float(stats.norm.ppf((1 + confidence) / 2))


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


def _changed(change: Mapping[str, float]) -> dict[str, float]:
    """The targeted side of a survey check: counts, means and their change."""
    return {"n_before": change["n_a"], "n_after": change["n_b"], "before": change["mean_a"], "after": change["mean_b"],
            "change": change["diff"], "change_ci_low": change["diff_ci_low"], "change_ci_high": change["diff_ci_high"]}


def survey_checks(before: pd.DataFrame, after: pd.DataFrame, targeted: Sequence[str], other: Sequence[str], *,
                  rolled_before: pd.Series | None = None, rolled_after: pd.Series | None = None,
                  invariance: str = "holds", confidence: float = 0.95) -> list[dict]:
    """The survey checks of one action between two waves.

    Parameters
    ----------
    before, after
        Perception item frames (columns item ids) of the wave before and the wave after.
    targeted, other
        Items the action targets and items of the dimensions no action over these waves touches
        (:func:`targeted_items`), invariant ones only (:func:`check_actions`).
    rolled_before, rolled_after
        Where the action was rolled out in some segment levels only: whether each respondent is
        in one of them (None = everywhere).
    invariance
        ``holds``, ``partial``, ``rejected`` or ``not_assessed`` (:attr:`PairInvariance.state`);
        ``rejected``, or no ``targeted`` item left, makes every check ``not_comparable``, with no
        estimate.

    Returns
    -------
    list of dict
        ``untargeted``: targeted and other mean perception change (Welch), and the change of
        their per-respondent difference (with no ``other`` item, the targeted change alone and
        ``no_comparison``); ``without_rollout`` (segment roll-outs only): the targeted change
        where the action ran, where it did not, and their difference.
    """
    def scores(frame: pd.DataFrame, items: Sequence[str]) -> pd.Series:
        return frame[list(items)].mean(axis=1) if len(items) else pd.Series(np.nan, index=frame.index)

    inside_before = before if rolled_before is None else before[rolled_before]
    inside_after = after if rolled_after is None else after[rolled_after]
    comparisons = ["untargeted"] if rolled_before is None else ["untargeted", "without_rollout"]
    rows = []
    for comparison in comparisons:
        row = {"comparison": comparison, "effect": "mean_difference", "unit": "points", "invariance": invariance}
        if invariance == "rejected" or not len(targeted):
            rows.append(row | {"verdict": "not_comparable"})
            continue
        change = _welch(scores(inside_before, targeted), scores(inside_after, targeted), confidence)
        if comparison == "untargeted" and not len(other):
            rows.append(row | _changed(change) | {"verdict": "no_comparison"})
            continue
        if comparison == "untargeted":
            reference = _welch(scores(inside_before, other), scores(inside_after, other), confidence)
            paired = _welch(scores(inside_before, targeted) - scores(inside_before, other),
                            scores(inside_after, targeted) - scores(inside_after, other), confidence)
            difference = (paired["diff"], paired["diff_ci_low"], paired["diff_ci_high"])
        else:
            reference = _welch(scores(before[~rolled_before], targeted), scores(after[~rolled_after], targeted),
                               confidence)
            difference = _difference(change, reference, confidence)
        rows.append(row | _changed(change) | {
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


def _coded(complaints: pd.DataFrame) -> list[str]:
    """What complaints are about: the dimensions they are coded to, else their category as recorded."""
    found = [split_list(str(d)) if pd.notna(d) and split_list(str(d)) else [str(c)]
             for d, c in zip(complaints["dimensions"], complaints["category"])]
    return sorted({name for names in found for name in names})


def complaint_checks(before: pd.DataFrame, after: pd.DataFrame, categories: Sequence[str], *,
                     periods_before: int, periods_after: int, excluded: Sequence[str] = (),
                     rollout: Sequence[tuple[str, str]] = (), period: str = "month",
                     confidence: float = 0.95) -> list[dict]:
    """The complaint checks of one action: its complaints' rate ratio against that of the
    complaints no action targets (``untargeted``) and, rolled out in some branches or departments, against the same complaints
    where it did not run (``without_rollout``).

    Parameters
    ----------
    before, after
        Coded complaints of the logs of the wave before and the wave after.
    categories
        Dimension ids the complaints are coded to, or categories as recorded
        (:func:`servqual.kpi.complaints_about`); a complaint matching any is targeted.
    excluded
        Categories the other actions over the same waves target: their complaints are in
        neither side of the untargeted comparison.
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
        ``improved`` when the ratio's interval lies below 1; ``no_comparison`` when no complaint
        of either log is left to compare with. ``compared_with``: the dimensions the compared
        complaints are coded to, or for uncoded ones their category (untargeted), or
        ``categories`` (without roll-out).
    """
    def about(frame: pd.DataFrame, names: Sequence[str]) -> pd.Series:
        found = pd.Series(False, index=frame.index)
        for category in names:
            found |= complaints_about(frame, category)
        return found

    def ran(frame: pd.DataFrame) -> pd.Series:
        inside = pd.Series(False, index=frame.index)
        for field, level in rollout:
            inside |= frame[field].astype("string") == level
        return inside

    rollout = [(f, v) for f, v in rollout if f in COMPLAINT_SEGMENTS]
    hit_before, hit_after = about(before, categories), about(after, categories)
    rest_before, rest_after = ~hit_before & ~about(before, excluded), ~hit_after & ~about(after, excluded)
    inside_before = ran(before) if rollout else pd.Series(True, index=before.index)
    inside_after = ran(after) if rollout else pd.Series(True, index=after.index)
    pairs = {"untargeted": ((hit_before & inside_before, hit_after & inside_after),
                            (rest_before & inside_before, rest_after & inside_after))}
    if rollout:
        pairs["without_rollout"] = ((hit_before & inside_before, hit_after & inside_after),
                                    (hit_before & ~inside_before, hit_after & ~inside_after))
    compared = {"untargeted": "; ".join(_coded(pd.concat([before[rest_before & inside_before],
                                                          after[rest_after & inside_after]]))),
                "without_rollout": "; ".join(categories)}
    rows = []
    for comparison, ((target_b, target_a), (other_b, other_a)) in pairs.items():
        k = [int(target_b.sum()), int(target_a.sum()), int(other_b.sum()), int(other_a.sum())]
        target = _rate_ratio(k[0], periods_before, k[1], periods_after, confidence)
        other = _rate_ratio(k[2], periods_before, k[3], periods_after, confidence)
        ratio = target["ratio"] / other["ratio"]
        half = _z(confidence) * np.sqrt(target["var"] + other["var"])
        low, high = ratio * np.exp(-half), ratio * np.exp(half)
        verdict = ("no_comparison" if k[2] + k[3] == 0 and comparison == "untargeted" else "no_data" if np.isnan(ratio)
                   else "improved" if high < 1 else "worsened" if low > 1 else "no_change")
        rows.append({
            "comparison": comparison, "compared_with": compared[comparison], "effect": "rate_ratio",
            "unit": f"per_{period}", "invariance": "",
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


def check_rollout(action: str, rollout: Sequence[tuple[str, str]], before: WaveData, after: WaveData) -> None:
    """Each segment level an action was rolled out in must occur among the respondents of the
    two waves that check it; a level found in neither (a misspelt ``North``) would otherwise
    leave the action with no respondents and no check.

    Raises
    ------
    ValueError
        Naming the action, the register's ``segments`` entry and the levels the waves have.
    """
    for segment, level in rollout:
        present = sorted({str(v) for w in (before, after) for v in w.responses[segment].dropna().unique()})
        if level not in present:
            raise ValueError(
                f"action register, action {action}, column segments: {segment}={level} matches no respondent of "
                f"{before.wave} or {after.wave} (levels of {segment}: {', '.join(present) or 'none'}); "
                f"write the level as the cleaned data name it.")


def _in_order(cell: str, dimensions: Sequence[str]) -> str:
    """A ``;``-list of complaint categories with the dimensions first, in the instrument's order."""
    return "; ".join(sorted(split_list(cell), key=lambda n: (dimensions.index(n) if n in dimensions else len(dimensions), n)))


def _categories(action: Mapping[str, str], instrument: Instrument) -> list[str]:
    """The complaint categories an action targets: the register's, else its targeted dimensions."""
    targeted, _ = targeted_items(split_list(action["targets"]), instrument.item_dimension)
    return split_list(action.get("complaint_categories", "")) or sorted({instrument.item_dimension[i] for i in targeted})


def check_actions(register: Sequence[Mapping[str, str]], data: Mapping[str, WaveData], instrument: Instrument, *,
                  invariance: Mapping[tuple[str, str], str], period: str = "month", language: str = "en",
                  confidence: float = 0.95) -> pd.DataFrame:
    """Every action of the register checked by the wave after it.

    Parameters
    ----------
    register
        The action register's rows (``id``, ``title``, optionally ``title_<language>``,
        ``targets``, ``complaint_categories``, ``provider_gap``, ``owner``, ``after_wave``,
        ``segments``), validated.
    data
        Wave id -> :class:`servqual.kpi.WaveData`, in the waves sheet's order.
    invariance
        (wave before, wave after) -> :class:`PairInvariance` of that pair, for every pair an
        action is checked on.
    period
        The complaint logs' period (``month`` or ``week``): the unit of the rates.
    language
        The report's language: ``title`` is the action's title in it (:func:`action_title`).

    Returns
    -------
    pandas.DataFrame
        :data:`ACTION_COLUMNS`: per action, its survey checks (:func:`survey_checks`), and its
        complaint checks (:func:`complaint_checks`) where both waves have a complaint log, with
        the complaint categories they count (``complaint_categories``: the register's, else the
        targeted dimensions); an action started after the last wave has one ``not_yet`` row.
        ``compared_with``: the dimensions of the untargeted comparison (those no action started
        after the same wave targets), the complaint dimensions (instrument order) and recorded
        categories it counts, or for ``without_rollout``
        the action's own targets; ``items_left_out``: non-invariant items (partial invariance)
        left out of the survey checks.

    Raises
    ------
    ValueError
        A roll-out level no respondent of the two waves has (:func:`check_rollout`).
    """
    rows = []
    for action in register:
        base = {"action": action["id"], "title": action_title(action, language), "wave_before": action["after_wave"],
                "targets": action["targets"], "provider_gap": action.get("provider_gap", ""),
                "owner": action.get("owner", ""), "segments": action.get("segments", ""), "confidence": confidence}
        later = wave_after(list(data), action["after_wave"])
        if later is None:
            rows.append(base | {"evidence": "survey", "comparison": "untargeted", "wave_after": "", "verdict": "not_yet"})
            continue
        first, second = data[action["after_wave"]], data[later]
        rollout = rollout_segments(action.get("segments", ""))
        check_rollout(action["id"], rollout, first, second)
        concurrent = [a for a in register if a["after_wave"] == action["after_wave"] and a["id"] != action["id"]]
        targeted, other = targeted_items(split_list(action["targets"]), instrument.item_dimension,
                                         [t for a in concurrent for t in split_list(a["targets"])])
        pair = invariance[(first.wave, second.wave)]
        survey = {"evidence": "survey", "wave_after": later,
                  "items_left_out": "; ".join(i for i in (*targeted, *other) if i in pair.released)}
        targeted, other = [i for i in targeted if i not in pair.released], [i for i in other if i not in pair.released]
        compared = {"untargeted": "; ".join(dict.fromkeys(instrument.item_dimension[i] for i in other)),
                    "without_rollout": action["targets"]}
        frames = [measure_frames(w.responses, instrument, with_gap=False)["perception"] for w in (first, second)]
        for row in survey_checks(*frames, targeted, other, rolled_before=_rolled(first.responses, rollout),
                                 rolled_after=_rolled(second.responses, rollout), invariance=pair.state,
                                 confidence=confidence):
            rows.append(base | survey | {"compared_with": compared[row["comparison"]]} | row)
        if first.complaints is None or second.complaints is None:
            continue
        periods = [len(all_periods(w.complaints["received"], period)) for w in (first, second)]
        categories = _categories(action, instrument)
        for row in complaint_checks(first.complaints, second.complaints, categories, periods_before=periods[0],
                                    periods_after=periods[1], rollout=rollout, period=period, confidence=confidence,
                                    excluded=[c for a in concurrent for c in _categories(a, instrument)]):
            rows.append(base | {"evidence": "complaints", "wave_after": later,
                                "complaint_categories": "; ".join(categories)} | row
                        | {"compared_with": _in_order(row["compared_with"], instrument.dimension_ids)})
    return pd.DataFrame(rows, columns=ACTION_COLUMNS)
