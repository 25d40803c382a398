"""Descriptive statistics of each item-level measure (and the gap P - E) per item and dimension,
and how each item's answers spread over the scale's points."""

from __future__ import annotations

import numpy as np
import pandas as pd

from servqual.gaps import dimension_scores, mean_confidence_intervals
from servqual.instrument import Instrument, measure_frames

__all__ = ["DESCRIPTIVE_COLUMNS", "DISTRIBUTION_COLUMNS", "END_SHARE_LIMIT", "describe_measures", "item_distribution"]

DESCRIPTIVE_COLUMNS = [
    "measure", "level", "dimension", "item", "n", "mean", "sd", "ci_low", "ci_high", "median", "min", "max",
    "confidence",
]


def describe_measures(responses: pd.DataFrame, instrument: Instrument, confidence: float = 0.95) -> pd.DataFrame:
    """n, mean with its t-based CI, SD, median, min and max of every measure per item and
    dimension.

    A dimension score is a respondent's mean over the dimension's answered items; the gap
    measure is ``P - E`` item by item (Parasuraman, Zeithaml & Berry 1988, J. Retailing 64(1)).

    Parameters
    ----------
    responses
        Cleaned responses with canonical columns (``E_<item>``, ``P_<item>``, ...).
    instrument
        The study's instrument.
    confidence
        Level of the confidence interval of each mean.

    Returns
    -------
    pandas.DataFrame
        Columns: measure, level (item or dimension), dimension, item (empty for dimension rows),
        n, mean, sd, ci_low, ci_high, median, min, max, confidence (the level of the intervals).

    Examples
    --------
    >>> from servqual.simulate import servqual_instrument, simulate_survey
    >>> inst = servqual_instrument()
    >>> raw = simulate_survey(inst, 50, seed=1, problems=False)
    >>> responses = raw.rename(columns=inst.raw_to_canonical())
    >>> table = describe_measures(responses, inst)
    >>> sorted(table["measure"].unique())
    ['expectation', 'gap', 'perception']
    """
    parts = []
    for measure, frame in measure_frames(responses, instrument).items():
        for level, block in (("item", frame), ("dimension", dimension_scores(frame, instrument.item_dimension))):
            stats = mean_confidence_intervals(block, confidence).join(
                block.agg(["median", "min", "max"]).T
            )
            stats["item"] = stats.index if level == "item" else ""
            stats["dimension"] = [instrument.item_dimension.get(i, i) for i in stats.index]
            parts.append(stats.assign(measure=measure, level=level, confidence=confidence).reset_index(drop=True))
    return pd.concat(parts, ignore_index=True)[DESCRIPTIVE_COLUMNS]


#: Share of answers at the lowest (or highest) scale point above which an item has a floor (or
#: ceiling) effect: 15% (Terwee et al. 2007, J. Clin. Epidemiol. 60(1), 34-42).
END_SHARE_LIMIT = 0.15

#: Columns of :func:`item_distribution`.
DISTRIBUTION_COLUMNS = ["measure", "dimension", "item", "n", "points_declared", "points_used", "share_lowest",
                        "share_highest", "end_share_limit", "floor", "ceiling"]


def item_distribution(responses: pd.DataFrame, instrument: Instrument,
                      end_share_limit: float = END_SHARE_LIMIT) -> pd.DataFrame:
    """How each item's answers spread over the scale: the points the scale declares and those
    answered, and the shares of answers at its lowest and highest point, per item-level measure.

    ``floor`` (``ceiling``) is share_lowest (share_highest) > ``end_share_limit``: more than 15% of
    the answers at an end of the scale is a floor or ceiling effect (Terwee et al. 2007, J. Clin.
    Epidemiol. 60(1)). Ratings piled at an end, or on five points or fewer, are far from the
    continuous normal variables ML assumes; treated as ordered categories (WLSMV) their loadings
    and test are not biased by it (Rhemtulla, Brosseau-Liard & Savalei 2012, Psychol. Methods
    17(3)). Shares are of the answers given (missing answers left out).

    Parameters
    ----------
    responses
        Cleaned responses with canonical columns (``E_<item>``, ``P_<item>``, ...).
    instrument
        The study's instrument; a scale without whole-number points (``integer: false`` or an
        open bound) gives an empty table.
    end_share_limit
        Share at one end above which ``floor`` or ``ceiling`` is True.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`DISTRIBUTION_COLUMNS`, one row per measure and item.

    Examples
    --------
    >>> from servqual.simulate import servqual_instrument, simulate_survey
    >>> inst = servqual_instrument()
    >>> responses = simulate_survey(inst, 50, seed=1, problems=False).rename(columns=inst.raw_to_canonical())
    >>> row = item_distribution(responses, inst).iloc[0]
    >>> row["measure"], int(row["points_declared"]), float(row["end_share_limit"])
    ('expectation', 7, 0.15)
    """
    scale = instrument.scale
    if not scale.points:
        return pd.DataFrame(columns=DISTRIBUTION_COLUMNS)
    low, high = scale.min, scale.max
    rows = []
    for measure, frame in measure_frames(responses, instrument, with_gap=False).items():
        answered = frame.notna()
        n = answered.sum()
        with np.errstate(invalid="ignore", divide="ignore"):
            share_low, share_high = (frame == low).sum() / n, (frame == high).sum() / n
        rows.append(pd.DataFrame({
            "measure": measure, "dimension": [instrument.item_dimension[i] for i in frame.columns],
            "item": frame.columns, "n": n.to_numpy(), "points_declared": round(high - low) + 1,
            "points_used": frame.nunique().to_numpy(), "share_lowest": share_low.to_numpy(float),
            "share_highest": share_high.to_numpy(float), "end_share_limit": float(end_share_limit),
            "floor": (share_low > end_share_limit).to_numpy(), "ceiling": (share_high > end_share_limit).to_numpy()}))
    return pd.concat(rows, ignore_index=True)[DISTRIBUTION_COLUMNS] if rows else pd.DataFrame(columns=DISTRIBUTION_COLUMNS)
