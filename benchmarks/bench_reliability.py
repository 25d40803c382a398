"""Benchmark: bootstrap intervals of alpha and omega, batched (servqual) vs a pingouin loop.

Workload: 5 SERVQUAL dimensions (4, 5, 4, 4, 5 items) x 3 measures (expectation, perception,
gap = P - E), n = 1000 respondents, B = 2000 percentile bootstrap resamples for alpha and for
omega total. Data: one factor per dimension drawn with numpy, rounded to a 1..7 scale.

servqual: :func:`servqual.reliability.scale_reliability` per scale (which also computes the point
estimates, Feldt and Duhachek intervals), best of 3 repeats. Reference: ``pingouin.compute_bootci`` on row indices
with a per-resample statistic, which scipy's bootstrap evaluates in a Python loop over the B
resamples: ``pingouin.cronbach_alpha`` for alpha, and for omega the same psych-style one-factor
minres as servqual applied to one resample at a time (pingouin has no omega), so the ratio
measures the batching. The reference runs on a subset of the scales when the full run would take
too long, and its time is scaled to all 15 (the script says so).

``--sizes`` times instead the whole wave (:func:`servqual.reliability.reliability_tables`: 18
scales with their item tables, B = 2000) at 10,000, 49,000, 51,000, 200,000 and 1,000,000 rows,
each size in a fresh process: method (ordinary bootstrap up to
:data:`servqual.resampling.BLB_MIN_N`, bag of little bootstraps with subsets of at least as many rows
above), CPU and wall seconds,
peak resident memory, and whether the CPU time grows with n; ``--profile N`` prints a cProfile
of one such run.

Run: ``python benchmarks/bench_reliability.py [--subset N | --sizes | --profile N]``.
"""

from __future__ import annotations

import argparse
import cProfile
import itertools
import json
import os
import pstats
import resource
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pingouin

from servqual.reliability import omega_total, reliability_tables, scale_reliability
from servqual.resampling import BLB_MIN_N

DIMENSIONS = {"tangibles": 4, "reliability": 5, "responsiveness": 4, "assurance": 4, "empathy": 5}
N, B, SEED = 1000, 2000, 20240501
REPEATS = 3
SIZES = (10_000, 49_000, 51_000, 200_000, 1_000_000)


def simulate(rng: np.random.Generator, n: int = N) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
    """One-factor-per-dimension ratings for E and P on 1..7, and the gap P - E."""
    item_dimension = {}
    for dimension, k in DIMENSIONS.items():
        for _ in range(k):
            item_dimension[f"q{len(item_dimension) + 1}"] = dimension

    def measure(mean: float, spread: float) -> pd.DataFrame:
        factors = {d: rng.normal(size=n) for d in DIMENSIONS}
        columns = {}
        for item, dimension in item_dimension.items():
            loading = rng.uniform(0.65, 0.85)
            latent = loading * factors[dimension] + np.sqrt(1 - loading**2) * rng.normal(size=n)
            columns[item] = np.clip(np.round(mean + spread * latent), 1, 7)
        return pd.DataFrame(columns)

    expectation, perception = measure(5.8, 0.9), measure(5.2, 1.2)
    measures = {
        "expectation": expectation,
        "perception": perception,
        "gap": perception - expectation,
    }
    return measures, item_dimension


def scales(measures, item_dimension):
    for measure, frame in measures.items():
        for dimension in DIMENSIONS:
            yield f"{measure}/{dimension}", frame[
                [i for i, d in item_dimension.items() if d == dimension]
            ]


def pingouin_intervals(items: pd.DataFrame, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rows = np.arange(len(items))

    def alpha(index):
        return pingouin.cronbach_alpha(items.iloc[index])[0]

    def omega(index):
        return omega_total(items.iloc[index])

    options = dict(method="per", n_boot=B, seed=seed, decimals=10)
    return (
        pingouin.compute_bootci(rows, func=alpha, **options),
        pingouin.compute_bootci(rows, func=omega, **options),
    )


def time_wave(n: int) -> dict[str, float]:
    """CPU and wall seconds of one wave's reliability tables at n rows (data made beforehand)."""
    measures, item_dimension = simulate(np.random.default_rng(SEED), n)
    cpu, wall = time.process_time(), time.perf_counter()
    reliability_tables(measures, item_dimension, scale_min=1, scale_max=7, n_boot=B, seed=SEED)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"cpu": time.process_time() - cpu, "wall": time.perf_counter() - wall, "peak_mb": peak}


def sizes() -> None:
    """Time a wave at each of :data:`SIZES`, one fresh process each, and check monotonicity."""
    print(f"reliability_tables, 18 scales (5 dimensions + all, x 3 measures), B = {B}; "
          f"load average before: {os.getloadavg()[0]:.2f}")
    print(f"{'n':>10} {'method':>10} {'CPU s':>8} {'wall s':>8} {'peak MB':>8} {'load':>6}")
    cpus = []
    for n in SIZES:
        out = subprocess.run([sys.executable, __file__, "--one", str(n)], capture_output=True,
                             text=True, check=True).stdout
        row = json.loads(out)
        cpus.append(row["cpu"])
        method = "bootstrap" if n <= BLB_MIN_N else "BLB"
        print(f"{n:>10,} {method:>10} {row['cpu']:8.2f} {row['wall']:8.2f} {row['peak_mb']:8.0f} "
              f"{os.getloadavg()[0]:6.2f}")
    monotone = all(a <= b for a, b in itertools.pairwise(cpus))
    print(f"CPU time monotone in n: {'yes' if monotone else 'no'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subset", type=int, default=3, help="scales timed with pingouin (of 15)")
    parser.add_argument("--sizes", action="store_true", help="time a whole wave at several n")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--profile", type=int, metavar="N", help="cProfile one wave at N rows")
    args = parser.parse_args()
    if args.one:
        print(json.dumps(time_wave(args.one)))
        return
    if args.sizes:
        sizes()
        return
    if args.profile:
        profile = cProfile.Profile()
        profile.runcall(time_wave, args.profile)
        pstats.Stats(profile).sort_stats("tottime").print_stats(12)
        return
    measures, item_dimension = simulate(np.random.default_rng(SEED))
    all_scales = list(scales(measures, item_dimension))

    # The machine is shared: the batched runs are short, so take the best of a few repeats.
    batched = tables = np.inf
    for _ in range(REPEATS):
        start = time.perf_counter()
        ours = {name: scale_reliability(items, n_boot=B, seed=SEED) for name, items in all_scales}
        batched = min(batched, time.perf_counter() - start)
        start = time.perf_counter()
        reliability_tables(measures, item_dimension, scale_min=1, scale_max=7, n_boot=B, seed=SEED)
        tables = min(tables, time.perf_counter() - start)

    subset = all_scales[: args.subset]
    start = time.perf_counter()
    reference = {name: pingouin_intervals(items, SEED) for name, items in subset}
    looped = (time.perf_counter() - start) * len(all_scales) / len(subset)

    print(
        f"workload: {len(all_scales)} scales (5 dimensions x 3 measures), n = {N}, B = {B}, "
        "percentile intervals for alpha and omega"
    )
    print(f"servqual batched, all 15 scales:            {batched:8.2f} s (best of {REPEATS})")
    print(
        f"servqual reliability_tables (+ 'all', items, rho_D): {tables:.2f} s (best of {REPEATS})"
    )
    scaled = (
        ""
        if len(subset) == len(all_scales)
        else f" (measured on {len(subset)} scales, scaled x{len(all_scales) / len(subset):.1f})"
    )
    print(f"pingouin.compute_bootci loop, 15 scales:    {looped:8.2f} s (one run){scaled}")
    print(f"speed-up: {looped / batched:.1f}x")
    print("agreement on the timed subset (different resamples, so only roughly equal):")
    for name, (alpha_ci, omega_ci) in reference.items():
        r = ours[name]
        print(
            f"  {name:28s} alpha [{r.alpha_boot_low:.3f}, {r.alpha_boot_high:.3f}] vs "
            f"[{alpha_ci[0]:.3f}, {alpha_ci[1]:.3f}]; omega [{r.omega_boot_low:.3f}, "
            f"{r.omega_boot_high:.3f}] vs [{omega_ci[0]:.3f}, {omega_ci[1]:.3f}]"
        )


if __name__ == "__main__":
    main()
