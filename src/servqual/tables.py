"""Assembling per-measure result tables into the pipeline's tidy output tables."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd


def stack_by_measure(per_measure: Mapping[str, Mapping[str, pd.DataFrame]], wave: str) -> dict[str, pd.DataFrame]:
    """Stack ``{measure: {table: frame}}`` into ``{table: frame}`` with leading wave and measure
    columns, keeping the measures' order."""
    names = dict.fromkeys(name for tables in per_measure.values() for name in tables)
    out = {}
    for name in names:
        parts = [
            tables[name].assign(measure=measure)
            for measure, tables in per_measure.items()
            if name in tables
        ]
        frame = pd.concat(parts, ignore_index=True)
        front = ["measure"] + [c for c in frame.columns if c != "measure"]
        out[name] = frame[front].assign(wave=wave)[["wave", *front]]
    return out
