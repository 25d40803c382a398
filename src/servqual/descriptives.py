"""Descriptive statistics of each item-level measure (and the gap P - E) per item and dimension."""

from __future__ import annotations

import pandas as pd

from servqual.gaps import dimension_scores, mean_confidence_intervals
from servqual.instrument import Instrument, measure_frames

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
