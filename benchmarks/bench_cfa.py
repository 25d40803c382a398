"""Benchmark of servqual.cfa and servqual.invariance against lavaan, side by side in one run.

A 22-item, 5-factor model (4, 5, 4, 4, 5 items, as SERVQUAL's dimensions) is simulated with numpy
from known loadings and factor correlations, rated 1..7. The CFA (ML) is fitted at n = 400 and
n = 100,000: the fit works on the covariance matrix, so its time should not grow with n; only the
covariance matrix (one pass over the data) does. The same CFA with MLR (robust SEs from casewise
scores, the Yuan-Bentler scaled test) passes over the data a few more times, each a matrix
product, against lavaan's ``cfa(..., estimator = "MLR")``. Then invariance runs (configural, metric,
scalar) across 2 and 6 groups. Last, full-information ML (``missing="ml"``, lavaan's
``missing = "ml"``) of the same CFA with 10% of the answers deleted at random (MCAR) at n = 400 and
n = 100,000: its cost grows with the number of missing-data patterns (thousands at n = 100,000),
not with n (lavaan takes about 20 minutes there, so that case is timed once on each side).
Each case is timed for our code (best of 3) and, where Rscript with
lavaan is installed, for lavaan's ``cfa()`` on the same data (best of 3, inside R, reading the
data not counted); without R the lavaan column says so. Our fits run with one BLAS thread
(:mod:`servqual.sem.blas`); lavaan runs on R's BLAS (here the single-threaded reference BLAS).
The load average is printed before and after: on shared cores both times move with it. Run:
.venv/bin/python benchmarks/bench_cfa.py

The figures measured here are in README.md (Benchmarks).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from servqual.cfa import fit_cfa
from servqual.invariance import measurement_invariance

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


LAVAAN = r"""
suppressPackageStartupMessages(library(lavaan))
args <- commandArgs(trailingOnly = TRUE)
data <- read.csv(args[1])
model <- readLines(args[2])
estimator <- args[3]
missing <- args[4]
repeats <- as.integer(args[5])
group <- if (length(args) > 5) args[6] else NULL
best <- function(f) min(sapply(seq_len(repeats), function(i) system.time(f())[["elapsed"]]))
if (is.null(group)) {
  cat(best(function() cfa(model, data = data, estimator = estimator, missing = missing)), "\n")
} else {
  cat(best(function() {
    cfa(model, data = data, group = group)
    cfa(model, data = data, group = group, group.equal = "loadings")
    cfa(model, data = data, group = group, group.equal = c("loadings", "intercepts"))
  }), "\n")
}
"""


def lavaan_seconds(data: pd.DataFrame, dims: dict[str, str], group: str | None = None, *, estimator: str = "ML",
                   missing: str = "listwise", repeats: int = REPEATS) -> str:
    """lavaan's best time of ``repeats`` for the same fit(s), or a note where R or lavaan is missing."""
    rscript = shutil.which("Rscript")
    if rscript is None:
        return "no R: skipped"
    factors = dict.fromkeys(dims.values())
    syntax = "\n".join(f"{f} =~ " + " + ".join(i for i, d in dims.items() if d == f) for f in factors)
    with tempfile.TemporaryDirectory() as tmp:
        paths = [Path(tmp) / "data.csv", Path(tmp) / "model.lav", Path(tmp) / "bench.R"]
        data.to_csv(paths[0], index=False)
        paths[1].write_text(syntax)
        paths[2].write_text(LAVAAN)
        run = subprocess.run([rscript, str(paths[2]), str(paths[0]), str(paths[1]), estimator, missing, str(repeats),
                              *([group] if group else [])], check=False, capture_output=True, text=True)
    if run.returncode != 0:
        return "lavaan failed: " + run.stderr.strip().splitlines()[-1][:60]
    return f"{float(run.stdout.split()[0]):.3f}"


def main() -> None:
    fit_cfa(*simulate(200))  # warm up
    print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    print("22 items, 5 correlated factors, ML and MLR (scaled chi-square, robust CFI and RMSEA); times in seconds "
          "(best of 3), ours and lavaan's")
    print(f"{'case':<42} {'ours s':>8} {'lavaan s':>9} {'chisq':>10} {'df':>4} {'CFI':>6} {'RMSEA':>6} status")
    for n in (400, 100_000):
        data, dims = simulate(n)
        t_fit, res = best_of(lambda data=data, dims=dims: fit_cfa(data, dims))
        fi = res.indices
        print(f"{f'CFA n = {n:,}':<42} {t_fit:>8.3f} {lavaan_seconds(data, dims):>9} {fi.chisq:>10.2f} "
              f"{fi.df:>4} {fi.cfi:>6.3f} {fi.rmsea:>6.3f} {res.status}")
        t_mlr, res = best_of(lambda data=data, dims=dims: fit_cfa(data, dims, estimator="MLR"))
        r = res.robust  # scaled chi-square, robust CFI and RMSEA
        print(f"{f'CFA MLR n = {n:,}':<42} {t_mlr:>8.3f} {lavaan_seconds(data, dims, estimator='MLR'):>9} "
              f"{r.chisq_scaled:>10.2f} {res.indices.df:>4} {r.cfi_robust:>6.3f} {r.rmsea_robust:>6.3f} {res.status}")
    for groups in (2, 6):
        data, dims = simulate(1_000 * groups, seed=1)
        data["wave"] = np.repeat([f"w{g + 1}" for g in range(groups)], 1_000)
        t_inv, table = best_of(lambda data=data, dims=dims: measurement_invariance(
            data, dims, data["wave"], levels=("configural", "metric", "scalar")))
        scalar = table[(table["level"] == "scalar") & ~table["partial"]].iloc[0]
        print(f"{f'invariance, {groups} groups of 1,000 (3 levels)':<42} {t_inv:>8.3f} "
              f"{lavaan_seconds(data, dims, 'wave'):>9} {scalar['chisq']:>10.2f} {scalar['df']:>4} "
              f"{scalar['cfi']:>6.3f} {scalar['rmsea']:>6.3f} {scalar['status']}")
    for n in (400, 100_000):
        data, dims = simulate(n)
        data = data.mask(np.random.default_rng(1).uniform(size=data.shape) < 0.10)  # MCAR, 10%
        repeats = 1 if n > 10_000 else REPEATS
        t_fit, res = best_of(lambda data=data, dims=dims: fit_cfa(data, dims, missing="ml"), repeats)
        fi = res.indices
        print(f"{f'CFA FIML n = {n:,} ({res.n_patterns:,} patterns)':<42} {t_fit:>8.3f} "
              f"{lavaan_seconds(data, dims, missing='ml', repeats=repeats):>9} {fi.chisq:>10.2f} {fi.df:>4} "
              f"{fi.cfi:>6.3f} {fi.rmsea:>6.3f} {res.status}")
    print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
