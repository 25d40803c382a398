"""The response distribution of each item (item_distribution): scale points declared and used,
shares at both ends, floor and ceiling effects by Terwee et al.'s (2007) 15%."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from servqual.descriptives import DISTRIBUTION_COLUMNS, item_distribution
from servqual.instrument import instrument_from_config

MEASURES = {"expectation": {"pattern": "E_{item}"}, "perception": {"pattern": "P_{item}"}}


def instrument(scale: dict):
    return instrument_from_config({"scale": scale, "dimensions": [{"id": "d"}],
                                   "items": [{"id": i, "dimension": "d"} for i in ("a", "b", "c")]}, MEASURES)


def test_shares_at_the_ends_points_used_and_the_fifteen_percent_rule():
    inst = instrument({"min": 1, "max": 5})
    # 20 answers per item: a has 4 at 1 (20%, floor), b 3 at 5 (15%, not above), c one missing and 3 of 19 at 5
    responses = pd.DataFrame({
        "E_a": [1] * 4 + [3] * 16, "E_b": [2] * 17 + [5] * 3, "E_c": [np.nan] + [4] * 16 + [5] * 3,
        "P_a": [2, 3] * 10, "P_b": [1, 5] * 10, "P_c": [3] * 20,
    }).rename(columns=inst.raw_to_canonical())
    table = item_distribution(responses, inst)
    assert list(table.columns) == DISTRIBUTION_COLUMNS
    table = table.set_index(["measure", "item"])
    e = table.loc["expectation"]
    assert e["share_lowest"].tolist() == [0.2, 0.0, 0.0]
    assert e["share_highest"].tolist() == pytest.approx([0.0, 0.15, 3 / 19])
    assert e["floor"].tolist() == [True, False, False] and e["ceiling"].tolist() == [False, False, True]
    assert e["n"].tolist() == [20, 20, 19] and (table["points_declared"] == 5).all()
    p = table.loc["perception"]
    assert p["points_used"].tolist() == [2, 2, 1]
    assert p["floor"].tolist() == [False, True, False] and p["ceiling"].tolist() == [False, True, False]


def test_a_scale_without_points_has_no_distribution():
    inst = instrument({"min": None, "max": None, "integer": False})
    responses = pd.DataFrame({c: [0.5, 1.5] for c in inst.raw_to_canonical()}).rename(columns=inst.raw_to_canonical())
    table = item_distribution(responses, inst)
    assert table.empty and list(table.columns) == DISTRIBUTION_COLUMNS
