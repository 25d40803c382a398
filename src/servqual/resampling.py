"""Resampling for percentile intervals: the ordinary bootstrap and the bag of little bootstraps.

Resamples are case weights (how often each row was drawn), so that a statistic computed from
weighted moments serves a point estimate (weights of ones) and all resamples at once (a stack
of B weight vectors). Reliability (alpha, omega) and coder agreement (Krippendorff's alpha)
draw their resamples here; each module computes its own statistic on them.

Up to :data:`BLB_MIN_N` rows every resample draws n rows with replacement (Efron & Tibshirani
1993, *An introduction to the bootstrap*, ch. 13, the percentile interval). Above it, where that
costs ``n_boot x n`` draws per statistic, the bag of little bootstraps (Kleiner, Talwalkar,
Sarkar & Jordan 2014, JRSS-B 76(4)) draws :data:`BLB_SUBSETS` subsets of ``b = max(n **
BLB_GAMMA, switch)`` rows without replacement (:func:`little_bootstrap_size`; ``switch`` is
:data:`BLB_MIN_N` unless the caller sets another) and resamples each to size n with
multinomial(n, 1/b) weights (:func:`uniform_multinomial`), drawn in O(b) per resample.

Cost: a resample of the ordinary bootstrap costs about n draws, one of the little bootstraps about
b, so the floor b >= switch keeps the cost from dropping where the method changes (subsets of n **
0.6 = 668 rows at 51,000 rows cost a quarter of the ordinary bootstrap at 49,000) and leaves it
nearly flat above: it grows with n only through the work on all n rows (point estimates, drawing
the subsets). The floor is b = n ** 0.89 at 200,000 rows and n ** 0.78 at a million, within the
0.5 to 0.9 Kleiner et al. simulate; larger subsets bring the little bootstraps closer to the
ordinary bootstrap.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

#: Rows drawn per bootstrap batch (resamples x n): the batch's case weights are one float64 array
#: of this many cells (160 MB), reused from batch to batch.
BOOT_CELLS = 20_000_000
#: Rows drawn and counted at a time within a batch (resamples x n): 0.4 MB of int32 indices and
#: 0.8 MB of counts, which stay in the processor's cache between drawing and counting (at n =
#: 49,000, drawing and counting 20 resamples at a time cost 50% more). The little bootstraps'
#: multinomial counts are drawn this many cells (resamples x b) at a time, for the same reason.
COUNT_CELLS = 100_000
#: Rows above which the bootstrap is the bag of little bootstraps. Up to here every resample draws
#: all n rows (about 14 s CPU for the 18 scales of a SERVQUAL wave at n = 49,000 and B = 2000); the
#: intervals of every existing study, and of the tests against R, come from that exact bootstrap.
BLB_MIN_N = 50_000
#: Subset size b = n ** BLB_GAMMA (Kleiner et al. 2014 simulate 0.5 to 0.9) once that exceeds
#: the switch to the little bootstraps (b = 50,000 up to 67 million rows with the default
#: switch). b matters little for accuracy, since the intervals are centred on the sample estimate
#: and only their offsets come from the subsets (tests/test_reliability.py compares them with the
#: full bootstrap).
BLB_GAMMA = 0.6
#: The Poisson counts of :func:`uniform_multinomial` have mean (n - BLB_POISSON_MARGIN sqrt(n)) /
#: b, so that their total falls short of n (and is completed with uniform draws) in all but 0.13%
#: of the resamples; those are drawn again.
BLB_POISSON_MARGIN = 3.0
#: Cells of the guide table of :func:`uniform_multinomial`'s Poisson draws (128 KB of float64).
_GUIDE_CELLS = 1 << 14
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


def little_bootstrap_size(n: int, switch: int) -> int:
    """Rows b in each subset of the bag of little bootstraps of n > ``switch`` rows: ``max(n **
    BLB_GAMMA, switch)``, so that a resample costs at least what the ordinary bootstrap's does at
    the switch.

    >>> little_bootstrap_size(1_000_000, 50_000), little_bootstrap_size(10**9, 50_000)
    (50000, 251189)
    """
    return max(round(n**BLB_GAMMA), switch)


def little_bootstrap_subsets(
    n: int, n_boot: int, rng: np.random.Generator, switch: int
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """The bag of little bootstraps' subsets of n > ``switch`` rows: for each, the sorted indices
    of its b rows (:func:`little_bootstrap_size`, drawn without replacement) and case weights
    (1 + count, b): a first row of ones (the subset itself, the centre of its resamples), then its
    resamples to size n (:func:`uniform_multinomial`). The ``n_boot`` resamples are shared out
    among the subsets, the first ``n_boot % s`` getting one more.

    Each subset's weights are the same array refilled, so use them before asking for the next.
    """
    subsets = max(1, min(BLB_SUBSETS, n_boot // BLB_MIN_RESAMPLES))
    size = little_bootstrap_size(n, switch)
    counts = np.full(subsets, n_boot // subsets) + (np.arange(subsets) < n_boot % subsets)
    weights = np.empty((1 + counts[0], size))
    weights[0] = 1.0
    for count in counts:
        rows = np.sort(rng.choice(n, size=size, replace=False))
        uniform_multinomial(n, weights[1 : 1 + count], rng)
        yield rows, weights[: 1 + count]


def uniform_multinomial(n: int, out: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Fill ``out`` (size, b; C-contiguous) with ``size`` draws of multinomial(n; 1/b, ..., 1/b)
    as float counts, in O(b) per draw whatever n is; returns ``out``.

    numpy's ``Generator.multinomial`` makes b - 1 binomial draws per resample, about 50 ns each at
    b = 50,000 and n = 51,000 and 120 ns at n = 1,000,000 (for the 36,000 resamples of a
    SERVQUAL wave's 18 scales, 90 to 220 s); n uniform row numbers counted into b bins cost 2 to 4
    ns per row, so grow with n. Instead each count is Poisson with mean mu = (n -
    :data:`BLB_POISSON_MARGIN` sqrt(n)) / b (at least n / 2b), drawn by inversion of one uniform
    with a guide table, about 3 ns. Given their total S, independent Poisson counts are
    multinomial(S; 1/b, ...) whatever mu is (Johnson, Kotz & Balakrishnan 1997, *Discrete
    multivariate distributions*, ch. 35); a resample whose S exceeds n is drawn again (the choice
    depends on S only, so this law given S holds), and n - S more rows, drawn uniformly, complete
    it to multinomial(n; 1/b, ...). The counts are exact up to the Poisson CDF's rounding in
    float64.

    >>> counts = uniform_multinomial(1000, np.empty((3, 4)), np.random.default_rng(1))
    >>> counts.sum(axis=1)
    array([1000., 1000., 1000.])
    """
    size, b = out.shape
    mean = max(n - BLB_POISSON_MARGIN * np.sqrt(n), n / 2) / b
    step = max(1, min(size, COUNT_CELLS // b))
    offsets = b * np.arange(step)
    poisson = _PoissonSampler(mean, step * b, rng)
    for first in range(0, size, step):
        block = out[first : first + step]
        totals = poisson.fill(block).sum(axis=1)
        while (over := np.flatnonzero(totals > n)).size:
            block[over] = poisson.fill(np.empty((len(over), b)))
            totals[over] = block[over].sum(axis=1)
        extra = (n - totals).astype(np.intp)
        rows = rng.integers(0, b, size=int(extra.sum())) + np.repeat(offsets[: len(block)], extra)
        block += np.bincount(rows, minlength=block.size).reshape(block.shape)
    return out


class _PoissonSampler:
    """Poisson(mean) draws by inversion with a guide table (Chen & Asau 1974, AIIE Transactions
    6(2); Devroye 1986, *Non-uniform random variate generation*, III.2.4), into reused buffers.

    A uniform u gives the count X = #{k : F(k) <= u}, F the Poisson CDF over 0..top, top = mean
    + 20 sqrt(mean) + 40 (the tail beyond is below 1e-40). The table holds X for each of the
    :data:`_GUIDE_CELLS` equal cells of [0, 1) in which X is constant, -1 in the others (at most
    one per CDF step: 0.2% of the draws at mean 20), where X is looked up in F.
    """

    def __init__(self, mean: float, cells: int, rng: np.random.Generator) -> None:
        top = int(np.ceil(mean + 20 * np.sqrt(mean) + 40))
        k = np.arange(top + 1)
        log_factorial = np.concatenate([[0.0], np.cumsum(np.log(k[1:]))])
        cdf = np.cumsum(np.exp(k * np.log(mean) - mean - log_factorial))
        self.cdf = cdf / cdf[-1]
        edges = np.arange(_GUIDE_CELLS + 1) / _GUIDE_CELLS
        low = np.searchsorted(self.cdf, edges[:-1], side="right")
        high = np.searchsorted(self.cdf, edges[1:], side="left")
        self.guide = np.where(low == high, low, -1).astype(float)
        self.rng, self.uniform, self.cell = rng, np.empty(cells), np.empty(cells, dtype=np.intp)

    def fill(self, out: np.ndarray) -> np.ndarray:
        """Fill ``out`` (C-contiguous, at most ``cells`` cells) with draws; returns ``out``."""
        flat = out.reshape(-1)
        uniform, cell = self.uniform[: flat.size], self.cell[: flat.size]
        self.rng.random(out=uniform)
        uniform *= _GUIDE_CELLS
        np.copyto(cell, uniform, casting="unsafe")
        self.guide.take(cell, out=flat, mode="clip")
        steps = np.flatnonzero(flat < 0)
        flat[steps] = np.searchsorted(self.cdf, uniform[steps] / _GUIDE_CELLS, side="right")
        return out


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
