"""Regenerate structural_sim.csv: 600 simulated respondents, 9 perception items in 3 dimensions
(a, b, c) and three one-item outcomes: satisfaction (sat), intention to return (ret) and
recommendation (rec), rated 1..7.

Known paths: sat = .3 a + .4 b + .2 c; ret = .5 sat + .15 b (a direct effect of b besides the
one through satisfaction); rec = .6 sat (satisfaction mediates fully). Run from the repository
root: python tests/data/structural_sim_generate.py
"""

import numpy as np
import pandas as pd

rng = np.random.default_rng(7)
n = 600
phi = np.array([[1, .5, .4], [.5, 1, .45], [.4, .45, 1]])
eta = rng.multivariate_normal(np.zeros(3), phi, n)
load = np.array([.8, .7, .6, .75, .7, .6, .8, .65, .55])
x = np.repeat(eta, 3, axis=1) * load + rng.standard_normal((n, 9)) * np.sqrt(1 - load**2)
sat = .3 * eta[:, 0] + .4 * eta[:, 1] + .2 * eta[:, 2] + rng.standard_normal(n) * .7
ret = .5 * sat + .15 * eta[:, 1] + rng.standard_normal(n) * .8
rec = .6 * sat + rng.standard_normal(n) * .75
data = pd.DataFrame(np.clip(np.rint(4 + 1.2 * x), 1, 7), columns=[f"{d}{i}" for d in "abc" for i in (1, 2, 3)])
for name, values in (("sat", sat), ("ret", ret), ("rec", rec)):
    data[name] = np.clip(np.rint(4 + 1.2 * values), 1, 7)
data.to_csv("tests/data/structural_sim.csv", index=False, float_format="%.0f")
