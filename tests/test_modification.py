"""Modification indices, expected parameter changes and standardized EPCs against lavaan.

Reference numbers from tests/data/modification_reference.json, written by
``Rscript tests/data/modification_reference.R`` (lavaan 0.6-14 ``modindices(fit, sort. = FALSE)``):
every residual covariance between items and every cross-loading left out of the three-factor
Holzinger-Swineford model and of the four-factor model of tests/data/cfa_sim4.csv, whose planted
misfit, a cross-loading of y8 on F3, must come out on top.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from servqual import cfa

DATA = Path(__file__).parent / "data"
REFERENCE = json.loads((DATA / "modification_reference.json").read_text())
DIMENSIONS = {
    "holzinger_swineford": ("holzinger_swineford.csv",
                            {f"x{i}": ["visual", "textual", "speed"][(i - 1) // 3] for i in range(1, 10)}),
    "simulated": ("cfa_sim4.csv", {f"y{i}": f"F{(i - 1) // 4 + 1}" for i in range(1, 17)}),
}


def ours_and_lavaan(name: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Our modification table and lavaan's, both indexed by (lhs, op, rhs) with lhs <= rhs for ~~."""
    file, dims = DIMENSIONS[name]
    result = cfa.fit_cfa(pd.read_csv(DATA / file), dims)
    ours = cfa.modification_table(result)
    lavaan = pd.DataFrame({k: v for k, v in REFERENCE[name].items()})
    return tuple(unordered_pairs(t).set_index(["lhs", "op", "rhs"]).sort_index() for t in (ours, lavaan))


def unordered_pairs(table: pd.DataFrame) -> pd.DataFrame:
    """lavaan and we may name a residual covariance's two items in either order."""
    swap = (table["op"] == "~~") & (table["lhs"] > table["rhs"])
    table = table.copy()
    table.loc[swap, ["lhs", "rhs"]] = table.loc[swap, ["rhs", "lhs"]].to_numpy()
    return table


@pytest.mark.parametrize("name", sorted(DIMENSIONS))
def test_modification_indices_match_lavaan(name):
    ours, lavaan = ours_and_lavaan(name)
    assert ours.index.equals(lavaan.index)
    for column in ("mi", "epc", "sepc_all"):
        assert ours[column].to_numpy() == pytest.approx(lavaan[column].to_numpy(), rel=1e-5, abs=1e-7), column


def test_planted_cross_loading_has_the_largest_index():
    ours, _ = ours_and_lavaan("simulated")
    assert ours["mi"].idxmax() == ("F3", "=~", "y8")
    assert ours.loc[("F3", "=~", "y8"), "sepc_all"] > 0.3
