"""The data sets and R reference outputs under tests/data/ that several test modules read.

Each ``*_reference.json`` is written by the R script of the same name beside it (the script
records its R calls); the CSV data sets are lavaan's copies or the seeded generators beside them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

DATA = Path(__file__).parent / "data"
#: Holzinger & Swineford's nine items -> their three factors, lavaan's classic CFA example.
HS_DIMS = {f"x{i}": ["visual", "textual", "speed"][(i - 1) // 3] for i in range(1, 10)}
#: The simulated 16 items (tests/data/cfa_sim4.csv) -> their four dimensions.
SIM_DIMS = {f"y{i}": f"F{(i - 1) // 4 + 1}" for i in range(1, 17)}


def reference(name: str) -> dict:
    """The R output ``tests/data/<name>.json``."""
    return json.loads((DATA / f"{name}.json").read_text())


def read_data(name: str) -> pd.DataFrame:
    """The data set ``tests/data/<name>.csv``."""
    return pd.read_csv(DATA / f"{name}.csv")
