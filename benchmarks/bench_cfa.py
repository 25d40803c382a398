"""Benchmark of servqual.cfa and servqual.invariance on simulated SERVQUAL-shaped data.

A 22-item, 5-factor model (4, 5, 4, 4, 5 items, as SERVQUAL's dimensions) is simulated with numpy
from known loadings and factor correlations, rated 1..7. The CFA is fitted at n = 400 and
n = 100,000: the fit works on the covariance matrix, so its time should not grow with n; only the
covariance matrix (one pass over the data) does. Then one invariance run (configural, metric,
scalar) over two groups. Run: .venv/bin/python benchmarks/bench_cfa.py
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from servqual.cfa import fit_cfa
from servqual.invariance import measurement_invariance
from servqual.sem.samplestats import group_stats

SIZES = (4, 5, 4, 4, 5)
DIMENSIONS = ("tangibles", "reliability", "responsiveness", "assurance", "empathy")
REPEATS = 3


def simulate(n: int, seed: int = 0) -> tuple[pd.DataFrame, dict[str, str]]:
    """Ratings 1..7 from a 5-factor model with loadings .55-.85 and factor correlations .4-.6."""
    rng = np.random.default_rng(seed)
    factor = np.repeat(np.arange(len(SIZES)), SIZES)
    loadings = rng.uniform(0.55, 0.85, factor.size)
    phi = 0.4 + 0.2 * rng.uniform(size=(5, 5))
    phi = np.triu(phi, 1) + np.triu(phi, 1).T + np.eye(5)
    eta = rng.multivariate_normal(np.zeros(5), phi, n)
    x = eta[:, factor] * loadings + rng.standard_normal((n, factor.size)) * np.sqrt(1 - loadings**2)
    items = [f"{DIMENSIONS[k][:3].upper()}{i + 1}" for i, k in enumerate(factor)]
    data = pd.DataFrame(np.clip(np.rint(4.5 + 1.4 * x), 1, 7), columns=items)
    return data, {item: DIMENSIONS[k] for item, k in zip(items, factor)}


def best_of(func, repeats: int = REPEATS) -> tuple[float, object]:
    """Smallest wall time of ``repeats`` calls (seconds) and the last result."""
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    fit_cfa(*simulate(200))  # warm up
    print("CFA, 22 items, 5 correlated factors (ML on the covariance matrix by servqual.sem)")
    print(f"{'n':>9} {'covariance s':>13} {'fit_cfa s':>10} {'fit - cov s':>12} {'chisq':>10} {'df':>4} "
          f"{'CFI':>6} {'RMSEA':>6} status")
    for n in (400, 100_000):
        data, dims = simulate(n)
        x = data.to_numpy(float)
        t_cov, _ = best_of(lambda: group_stats(x))
        t_fit, res = best_of(lambda: fit_cfa(data, dims))
        fi = res.indices
        print(f"{n:>9,} {t_cov:>13.4f} {t_fit:>10.3f} {t_fit - t_cov:>12.3f} {fi.chisq:>10.2f} "
              f"{fi.df:>4} {fi.cfi:>6.3f} {fi.rmsea:>6.3f} {res.status}")

    data, dims = simulate(2_000, seed=1)
    group = pd.Series(np.repeat(["wave 1", "wave 2"], 1_000), index=data.index)
    t_inv, table = best_of(lambda: measurement_invariance(data, dims, group))
    print(f"\nMeasurement invariance, 22 items, 2 groups of 1,000 (configural, metric, scalar): "
          f"{t_inv:.3f} s")
    print(table[["level", "chisq", "df", "cfi", "rmsea", "delta_chisq", "p", "delta_cfi", "decision"]]
          .to_string(index=False, float_format=lambda v: f"{v:.3f}"))


if __name__ == "__main__":
    main()
