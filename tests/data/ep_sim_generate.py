"""Regenerate ep_sim.csv: 500 simulated respondents rating 12 items twice (expectation E, perception P).

Three dimensions of four items (a1..a4, b1..b4, c1..c4). The same respondent's E and P factors
correlate .3 and each item's E and P residuals share .25 of their variance (the same wording read
twice). Loadings are equal on both occasions; intercepts are too, except that P of b2 is shifted
by .6 on top of the latent mean difference (an item that does not measure the same thing in P),
so that scalar equality of E and P fails. 10 cells are set missing. Run from the repository
root: python tests/data/ep_sim_generate.py
"""

import numpy as np
import pandas as pd

rng = np.random.default_rng(20261130)
n, p, m = 500, 12, 3
load = np.array([.8, .7, .65, .6, .75, .7, .6, .55, .8, .7, .6, .5])
L = np.zeros((p, m))
L[np.arange(p), np.repeat(np.arange(m), 4)] = load
phi = np.array([[1, .5, .4], [.5, 1, .45], [.4, .45, 1]])
cov = np.block([[phi, .3 * phi], [.3 * phi, phi]])
eta = rng.multivariate_normal(np.zeros(2 * m), cov, n)
shared = rng.standard_normal((n, p)) * np.sqrt(.25 * (1 - load**2))
own = np.sqrt(.75 * (1 - load**2))
e = eta[:, :m] @ L.T + shared + rng.standard_normal((n, p)) * own
latent_shift = np.array([-.5, -.3, -.4])
shift = L @ latent_shift
shift[5] += .6
perc = (eta[:, m:] @ L.T) + shift + shared + rng.standard_normal((n, p)) * own
items = [f"{d}{i}" for d in "abc" for i in range(1, 5)]
data = pd.DataFrame(np.clip(np.rint(np.hstack([5.5 + 1.1 * e, 4.8 + 1.1 * perc])), 1, 7),
                    columns=[f"E_{i}" for i in items] + [f"P_{i}" for i in items])
values = data.to_numpy(copy=True)
values.flat[rng.choice(values.size, 10, replace=False)] = np.nan
data.iloc[:, :] = values
data.to_csv("tests/data/ep_sim.csv", index=False, float_format="%.0f")
