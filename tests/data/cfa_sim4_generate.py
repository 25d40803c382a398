"""Regenerate cfa_sim4.csv: 400 simulated respondents, 16 items rated 1..7 in 4 dimensions.

Two groups (A 220, B 180). Misfit on purpose: y8 cross-loads .35 on F3 and y13, y14 share a
residual factor; group B has intercepts of y3 and y10 shifted by .5 and latent means by .2.
12 cells are set missing. Run from the repository root: python tests/data/cfa_sim4_generate.py
"""

import numpy as np
import pandas as pd

rng = np.random.default_rng(20240611)
p, m = 16, 4
load = np.array([.8, .7, .6, .5, .75, .7, .65, .6, .8, .6, .55, .5, .7, .7, .6, .45])
L = np.zeros((p, m))
L[np.arange(p), np.repeat(np.arange(m), 4)] = load
L[7, 2] = 0.35
Phi = np.array([[1, .5, .4, .3], [.5, 1, .45, .35], [.4, .45, 1, .5], [.3, .35, .5, 1]])
frames = []
for g, ng in {"A": 220, "B": 180}.items():
    eta = rng.multivariate_normal(np.zeros(m), Phi, ng)
    eps = rng.standard_normal((ng, p)) * np.sqrt(1 - load**2)
    x = eta @ L.T + eps
    x[:, [12, 13]] += 0.4 * rng.standard_normal((ng, 1))
    if g == "B":
        shift = np.zeros(p)
        shift[[2, 9]] = 0.5
        x = x + shift + 0.2 * L.sum(1)
    frame = pd.DataFrame(np.clip(np.rint(4 + 1.3 * x), 1, 7), columns=[f"y{i + 1}" for i in range(p)])
    frame.insert(0, "group", g)
    frames.append(frame)
data = pd.concat(frames, ignore_index=True)
values = data.iloc[:, 1:].to_numpy(copy=True)
values.flat[rng.choice(values.size, 12, replace=False)] = np.nan
data.iloc[:, 1:] = values
data.to_csv("tests/data/cfa_sim4.csv", index=False, float_format="%.0f")
