"""Descriptive statistics of each item-level measure (and the gap P - E) per item and dimension."""

from __future__ import annotations

import pandas as pd

from servqual.instrument import Instrument, measure_frames


def describe_measures(responses: pd.DataFrame, instrument: Instrument) -> pd.DataFrame:
    """n, mean, SD, median, min and max of every measure per item and per dimension.

    A dimension score is a respondent's mean over the dimension's answered items.

    Returns
    -------
    pandas.DataFrame
        Columns: measure, level (item or dimension), dimension, item (empty for dimension rows),
        n, mean, sd, median, min, max.
    """
    rows = []
    for measure, frame in measure_frames(responses, instrument).items():
        dims = frame.T.groupby(instrument.item_dimension, sort=False).mean().T
        for level, block in (("item", frame), ("dimension", dims)):
            stats = block.agg(["count", "mean", "std", "median", "min", "max"]).T
            stats.columns = ["n", "mean", "sd", "median", "min", "max"]
            stats.insert(0, "item", stats.index if level == "item" else "")
            stats.insert(0, "dimension", [instrument.item_dimension.get(i, i) for i in stats.index])
            stats.insert(0, "level", level)
            stats.insert(0, "measure", measure)
            rows.append(stats.reset_index(drop=True))
    return pd.concat(rows, ignore_index=True)
