"""Regenerate holzinger_swineford_missing.csv: the Holzinger-Swineford data with ~10% of the nine
test scores deleted completely at random (MCAR).

Each of the 301 x 9 cells of x1..x9 is deleted independently with probability .10 (seeded), a
respondent may lose several or all of them (lavaan's FIML drops rows with no answer at all). The
other columns are kept as they are. Run from the repository root:
python tests/data/holzinger_swineford_missing_generate.py
"""

import numpy as np
import pandas as pd

rng = np.random.default_rng(20261130)
hs = pd.read_csv("tests/data/holzinger_swineford.csv")
items = [f"x{i}" for i in range(1, 10)]
deleted = rng.uniform(size=(len(hs), len(items))) < 0.10
hs[items] = hs[items].mask(deleted)
hs.to_csv("tests/data/holzinger_swineford_missing.csv", index=False)
