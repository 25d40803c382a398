"""Resampling for percentile intervals: the ordinary bootstrap and the bag of little bootstraps.

Resamples are case weights (how often each row was drawn), so that a statistic computed from
weighted moments serves a point estimate (weights of ones) and all resamples at once (a stack
of B weight vectors). Reliability (alpha, omega) and coder agreement (Krippendorff's alpha)
draw their resamples here; each module computes its own statistic on them.

Up to :data:`BLB_MIN_N` rows every resample draws n rows with replacement (Efron & Tibshirani
1993, *An introduction to the bootstrap*, ch. 13, the percentile interval). Above it, where that
costs ``n_boot x n`` draws per statistic, the bag of little bootstraps (Kleiner, Talwalkar,
Sarkar & Jordan 2014, JRSS-B 76(4)) draws :data:`BLB_SUBSETS` subsets of ``b = n **
BLB_GAMMA`` rows without replacement and resamples each to size n with multinomial(n, 1/b)
weights.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

#: Rows drawn per bootstrap batch (resamples x n): the batch's case weights are one float64 array
#: of this many cells (160 MB), reused from batch to batch.
BOOT_CELLS = 20_000_000
#: Rows drawn and counted at a time within a batch (resamples x n): 0.4 MB of int32 indices and
#: 0.8 MB of counts, which stay in the processor's cache between drawing and counting (at n =
#: 49,000, drawing and counting 20 resamples at a time cost 50% more).
COUNT_CELLS = 100_000
#: Rows above which the bootstrap is the bag of little bootstraps. Up to here every resample draws
#: all n rows (about 14 s CPU for the 18 scales of a SERVQUAL wave at n = 49,000 and B = 2000); the
#: intervals of every existing study, and of the tests against R, come from that exact bootstrap.
BLB_MIN_N = 50_000
#: Subset size b = n ** BLB_GAMMA (Kleiner et al. 2014 simulate 0.5 to 0.9): 3,700 rows at
#: n = 900,000. The cost is n_boot x b multinomial draws per scale (about 0.8 s at n = 900,000;
#: 3 s with 0.7); b matters little for accuracy, since the intervals are centred on the sample
#: estimate and only their offsets come from the subsets (tests/test_reliability.py compares them
#: with the full bootstrap).
BLB_GAMMA = 0.6
#: Subsets s of the bag of little bootstraps; the n_boot resamples are shared out among them,
#: at least BLB_MIN_RESAMPLES each (fewer subsets when n_boot < 1000), since each subset's
#: interval comes from the percentiles of its own resamples (Kleiner et al. use about 100).
BLB_SUBSETS = 10
BLB_MIN_RESAMPLES = 100


def interval_levels(confidence: float) -> list[float]:
    """The two tail probabilities of a two-sided ``confidence`` interval.

    >>> [round(level, 3) for level in interval_levels(0.95)]
    [0.025, 0.975]
    """
    tail = (1 - confidence) / 2
    return [tail, 1 - tail]


def percentile_interval(values: np.ndarray, levels: Sequence[float], method: str = "linear") -> tuple[float, float]:
    """The ``levels`` quantiles of ``values``, NaN left out (``method`` as :func:`numpy.quantile`;
    ``"linear"`` is R's type 7); ``(nan, nan)`` when every value is NaN.

    >>> percentile_interval(np.array([1.0, 2.0, np.nan, 3.0, 4.0]), [0.25, 0.75])
    (1.75, 3.25)
    """
    if np.isnan(values).all():
        return (np.nan, np.nan)
    low, high = np.nanquantile(values, levels, method=method)
    return (float(low), float(high))


def multinomial_weights(n: int, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """``n_boot`` resamples of ``n`` units drawn with replacement, as counts (n_boot, n):
    multinomial(n, 1/n) rows."""
    return rng.multinomial(n, np.full(n, 1 / n), size=n_boot)


def row_bootstrap_weights(n: int, n_boot: int, rng: np.random.Generator) -> Iterator[np.ndarray]:
    """The ordinary bootstrap's ``n_boot`` resamples of ``n`` rows as case weights, in batches of
    at most :data:`BOOT_CELLS` drawn rows (float arrays (batch, n)), so memory stays bounded for
    a large wave; the generator's stream makes the draws the same as in one batch.

    Each batch is the same array refilled, so use it before asking for the next. Its resamples
    are drawn and counted :data:`COUNT_CELLS` rows at a time: row indices as int32 (the
    generator makes the same draws as for int64) and their counts written straight into the
    batch, so indices and integer counts never leave the cache.
    """
    batch = max(1, min(n_boot, BOOT_CELLS // max(n, 1)))
    step = max(1, min(batch, COUNT_CELLS // max(n, 1)))
    weights = np.empty((batch, n))
    # Resample r's draws are counted at flat index r * n + row.
    offsets = n * np.arange(step)[:, None]
    for start in range(0, n_boot, batch):
        size = min(batch, n_boot - start)
        for first in range(0, size, step):
            count = min(step, size - first)
            rows = rng.integers(0, n, size=(count, n), dtype=np.int32) + offsets[:count]
            weights[first : first + count] = np.bincount(rows.ravel(), minlength=count * n).reshape(count, n)
        yield weights[:size]


def little_bootstrap_subsets(n: int, n_boot: int, rng: np.random.Generator) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """The bag of little bootstraps' subsets: for each, the sorted indices of its b rows (drawn
    without replacement) and its resamples to size n as case weights (count, b), the ``n_boot``
    resamples shared out among the subsets (the first ``n_boot % s`` getting one more)."""
    subsets = max(1, min(BLB_SUBSETS, n_boot // BLB_MIN_RESAMPLES))
    size = round(n**BLB_GAMMA)
    counts = np.full(subsets, n_boot // subsets) + (np.arange(subsets) < n_boot % subsets)
    for count in counts:
        rows = np.sort(rng.choice(n, size=size, replace=False))
        yield rows, rng.multinomial(n, np.full(size, 1 / size), size=count).astype(float)


def mean_ends(intervals: Sequence[tuple[float, float]]) -> tuple[float, float]:
    """Average of the subsets' interval endpoints (subsets without an interval left out).

    >>> mean_ends([(0.1, 0.3), (0.2, 0.4), (float("nan"), float("nan"))])
    (0.15000000000000002, 0.35)
    """
    ends = np.array(intervals)
    if np.isnan(ends).all():
        return (np.nan, np.nan)
    low, high = np.nanmean(ends, axis=0)
    return (float(low), float(high))
