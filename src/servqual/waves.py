"""Change over sampling waves: scores per wave, Welch comparisons between waves, and the tables
that put each wave's reliability, fit and exclusions side by side.

Comparing means across waves is only defensible where the instrument measures the same thing in
each wave; :func:`servqual.invariance.measurement_invariance` tests that (scalar invariance), and
the cross-wave report words its conclusions by that result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import pairwise

import numpy as np
import pandas as pd

from servqual.distributions import t_ppf, t_sf
from servqual.gaps import dimension_scores, mean_confidence_intervals, respondent_scores
from servqual.instrument import Instrument, measure_frames
from servqual.multiple_comparisons import adjust_pvalues

#: Columns of :func:`wave_scores`.
SCORE_COLUMNS = ["wave", "measure", "target", "n", "mean", "sd", "ci_low", "ci_high", "confidence"]
#: Columns of :func:`wave_changes`.
CHANGE_COLUMNS = [
    "measure", "target", "comparison", "wave_a", "wave_b", "n_a", "n_b", "mean_a", "mean_b", "diff",
    "diff_ci_low", "diff_ci_high", "t", "df", "p", "p_adj", "hedges_g", "confidence", "p_adjust",
]


def respondent_targets(responses: pd.DataFrame, instrument: Instrument) -> pd.DataFrame:
    """Per respondent, the scores followed across waves, as columns ``(measure, target)``.

    ``gap``: each dimension's mean item gap P - E and ``overall`` = the unweighted SERVQUAL
    score; ``perception``: each dimension's mean perception and ``overall`` = the SERVPERF score
    (Parasuraman, Zeithaml & Berry 1988; Cronin & Taylor 1992). Perception-only studies have the
    perception block alone.
    """
    frames = measure_frames(responses, instrument, with_gap=False)
    dims = instrument.item_dimension
    scores = respondent_scores(frames["perception"], dims, frames.get("expectation"))
    blocks = {"perception": dimension_scores(frames["perception"], dims).assign(overall=scores["servperf"])}
    if instrument.has_gap:
        blocks = {"gap": scores[instrument.dimension_ids].assign(overall=scores["servqual"]), **blocks}
    return pd.concat(blocks, axis=1, names=["measure", "target"])


def wave_scores(targets: Mapping[str, pd.DataFrame], confidence: float = 0.95) -> pd.DataFrame:
    """n, mean, SD and t-based CI of every score in every wave.

    Parameters
    ----------
    targets
        Wave id -> :func:`respondent_targets` of that wave, in wave order.
    confidence
        Level of the intervals.

    Returns
    -------
    pandas.DataFrame
        Columns wave, measure, target, n, mean, sd, ci_low, ci_high, confidence.
    """
    parts = []
    for wave, frame in targets.items():
        summary = mean_confidence_intervals(frame, confidence)
        summary.index = pd.MultiIndex.from_tuples(summary.index, names=["measure", "target"])
        parts.append(summary.reset_index().assign(wave=wave, confidence=confidence))
    return pd.concat(parts, ignore_index=True)[SCORE_COLUMNS]


def welch_comparison(a: np.ndarray, b: np.ndarray, confidence: float = 0.95) -> dict[str, float]:
    """Welch's t-test of mean(b) - mean(a) with its CI and Hedges' g.

    ``t = (mean_b - mean_a) / sqrt(s_a^2/n_a + s_b^2/n_b)`` with Welch–Satterthwaite df (Welch
    1947, Biometrika 34(1-2)); ``g = J * (mean_b - mean_a) / s_pooled`` with
    ``J = 1 - 3 / (4 (n_a + n_b) - 9)`` (Hedges 1981, J. Educational Statistics 6(2)).

    Examples
    --------
    >>> r = welch_comparison(np.array([1.0, 2, 3, 4]), np.array([3.0, 4, 5, 6, 7]))
    >>> [round(float(r[k]), 4) for k in ("t", "df", "p")]  # as scipy.stats.ttest_ind(b, a, equal_var=False)
    [2.6112, 6.9808, 0.0349]
    """
    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    n_a, n_b = len(a), len(b)
    va, vb = a.var(ddof=1) / n_a, b.var(ddof=1) / n_b
    diff = b.mean() - a.mean()
    se = np.sqrt(va + vb)
    df = (va + vb) ** 2 / (va**2 / (n_a - 1) + vb**2 / (n_b - 1))
    t = diff / se
    half = t_ppf((1 + confidence) / 2, df) * se
    pooled = np.sqrt(((n_a - 1) * a.var(ddof=1) + (n_b - 1) * b.var(ddof=1)) / (n_a + n_b - 2))
    return {
        "n_a": n_a, "n_b": n_b, "mean_a": a.mean(), "mean_b": b.mean(), "diff": diff,
        "diff_ci_low": diff - half, "diff_ci_high": diff + half, "t": t, "df": df,
        "p": 2 * t_sf(abs(t), df), "hedges_g": (1 - 3 / (4 * (n_a + n_b) - 9)) * diff / pooled,
    }


def comparisons(waves: list[str]) -> list[tuple[str, str, str]]:
    """The wave pairs compared: each wave with the one before it (``consecutive``) and, from the
    third wave on, with the first (``from_first``).

    >>> comparisons(["w1", "w2", "w3"])
    [('consecutive', 'w1', 'w2'), ('consecutive', 'w2', 'w3'), ('from_first', 'w1', 'w3')]
    """
    pairs = [("consecutive", a, b) for a, b in pairwise(waves)]
    return pairs + [("from_first", waves[0], b) for b in waves[2:]]


def wave_changes(
    targets: Mapping[str, pd.DataFrame], confidence: float = 0.95, p_adjust: str = "holm"
) -> pd.DataFrame:
    """Change of every score between waves (:func:`comparisons`), by Welch's t-test.

    p-values are adjusted (Holm by default, Benjamini–Hochberg with ``"bh"``) over the targets
    of one measure in one wave pair.

    Returns
    -------
    pandas.DataFrame
        Columns measure, target, comparison, wave_a, wave_b, n_a, n_b, mean_a, mean_b, diff
        (b - a), diff_ci_low, diff_ci_high, t, df, p, p_adj, hedges_g; empty with one wave.
    """
    rows = []
    for comparison, wave_a, wave_b in comparisons(list(targets)):
        for measure, target in targets[wave_a].columns:
            result = welch_comparison(
                targets[wave_a][(measure, target)].to_numpy(float), targets[wave_b][(measure, target)].to_numpy(float),
                confidence,
            )
            rows.append({"measure": measure, "target": target, "comparison": comparison,
                         "wave_a": wave_a, "wave_b": wave_b, **result})
    table = pd.DataFrame(rows, columns=[c for c in CHANGE_COLUMNS if c not in ("p_adj", "confidence", "p_adjust")])
    family = table.groupby(["measure", "comparison", "wave_a", "wave_b"], sort=False)["p"]
    table["p_adj"] = family.transform(lambda p: adjust_pvalues(p.to_numpy(), p_adjust))
    table["confidence"], table["p_adjust"] = confidence, p_adjust
    return table[CHANGE_COLUMNS]


def stack_waves(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Per-wave tables one under the other, with a leading ``wave`` column (kept when present)."""
    parts = [t if "wave" in t.columns else t.assign(wave=w)[["wave", *t.columns]] for w, t in tables.items()]
    return pd.concat(parts, ignore_index=True)


def pooled_invariance(responses: Mapping[str, pd.DataFrame], instrument: Instrument, segments: Sequence[str] = (),
                      *, min_group_size: int = 100, estimator: str = "ML", missing: str = "listwise",
                      confidence: float = 0.95) -> dict[str, pd.DataFrame]:
    """Measurement invariance (:func:`servqual.invariance.invariance_ladder`) of the
    expectation and perception items across waves, and across the levels of each segment with
    all waves pooled: the tables ``invariance``, ``invariance_released`` and ``latent_means``,
    each with leading columns ``grouping`` (``wave`` or the segment) and ``measure``.
    One estimator for every model (:func:`servqual.cfa.choose_wave_estimator` over every wave's
    items: with ``auto``, MLR when any of them departs from normality; WLSMV fits the ordinal
    ladder of :mod:`servqual.ordinal_invariance`); missing answers as
    :func:`servqual.cfa.missing_treatment` says."""
    # Imported here: the KPI step reads this module for respondent_targets, not the SEM engine.
    from servqual.cfa import choose_wave_estimator
    from servqual.invariance import (
        INVARIANCE_COLUMNS,
        LATENT_DIFFERENCE_COLUMNS,
        RELEASED_COLUMNS,
        invariance_ladder,
    )

    pooled = pd.concat(responses.values(), keys=responses.keys(), names=["wave", "row"]).reset_index("wave")
    groupings = {"wave": pooled["wave"], **{s: pooled[s].astype("string") for s in segments}}
    frames = measure_frames(pooled, instrument, with_gap=False)
    measures = [m for m in ("expectation", "perception") if m in instrument.item_measures]
    chosen = choose_wave_estimator([frames[m][(pooled["wave"] == w).to_numpy()] for m in measures for w in responses],
                                   instrument.item_dimension, estimator)
    results = {(grouping, measure): invariance_ladder(frames[measure], instrument.item_dimension, labels,
                                                      min_group_size=min_group_size, estimator=chosen,
                                                      estimator_rule=estimator, missing=missing, confidence=confidence)
               for measure in measures for grouping, labels in groupings.items()}
    columns = {"invariance": INVARIANCE_COLUMNS, "invariance_released": RELEASED_COLUMNS,
               "latent_means": LATENT_DIFFERENCE_COLUMNS}
    attribute = {"invariance": "levels", "invariance_released": "released", "latent_means": "latent_means"}
    tables = {}
    for name, cols in columns.items():
        parts = [getattr(r, attribute[name]).assign(grouping=g, measure=m) for (g, m), r in results.items()]
        table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["grouping", "measure", *cols])
        tables[name] = table[["grouping", "measure", *cols]]
    return tables


def exclusion_flows(summaries: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Every wave's cleaning flow, stacked, with each step's rows as a share of the rows its wave
    read (``share_of_read``; the first row of each flow is the rows read)."""
    flows = stack_waves(summaries)
    flows["share_of_read"] = flows["n"] / flows.groupby("wave")["n"].transform("first")
    return flows


def cross_wave_tables(
    responses: Mapping[str, pd.DataFrame],
    per_wave: Mapping[str, Mapping[str, pd.DataFrame]],
    instrument: Instrument,
    *,
    segments: Sequence[str] = (),
    confidence: float = 0.95,
    p_adjust: str = "holm",
    min_group_size: int = 100,
    estimator: str = "ML",
    missing: str = "listwise",
) -> dict[str, pd.DataFrame]:
    """The cross-wave step's tables, named by their files: ``wave_gaps`` (:func:`wave_scores`),
    ``wave_changes`` (:func:`wave_changes`), ``invariance``, ``invariance_released`` and
    ``latent_means`` (:func:`pooled_invariance`),
    ``wave_exclusions`` (:func:`exclusion_flows` of ``per_wave["cleaning_summary"]``) and
    ``wave_<name>`` for each other table of ``per_wave`` (``{name: {wave: table}}``), stacked.
    """
    targets = {w: respondent_targets(frame, instrument) for w, frame in responses.items()}
    tables = {
        "wave_gaps": wave_scores(targets, confidence),
        "wave_changes": wave_changes(targets, confidence, p_adjust),
        **pooled_invariance(responses, instrument, segments, min_group_size=min_group_size, estimator=estimator,
                            missing=missing, confidence=confidence),
        "wave_exclusions": exclusion_flows(per_wave["cleaning_summary"]),
    }
    for name, tables_of_waves in per_wave.items():
        if name != "cleaning_summary":
            tables[f"wave_{name}"] = stack_waves(tables_of_waves) if tables_of_waves else pd.DataFrame(columns=["wave"])
    return tables
