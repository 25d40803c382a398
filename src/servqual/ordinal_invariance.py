"""Measurement invariance of ordinal ratings by multi-group WLSMV (``cfa.estimator: WLSMV``).

The configural, metric, scalar and strict models of :mod:`servqual.sem.wlsmv_groups`, as lavaan's
``cfa(..., ordered = TRUE, group =, group.equal =)``: metric holds the loadings equal, scalar the
loadings and the thresholds (the cut points of the ratings on their latent responses; lavaan
then frees the latent means and the scaling factors of groups 2..G), strict also the residual
variances of the latent responses. Each level is judged
against the one before it as :func:`servqual.invariance.measurement_invariance` judges them,
on the scaled-and-shifted difference test (lavaan's ``lavTestLRT`` for WLSMV, Satorra 2000) and
the changes in the scaled CFI and RMSEA (lavaan's ``cfi.scaled``, ``rmsea.scaled``, with N - G
and sqrt(G)).

Respondents with a missing answer are left out (listwise). Every item must have the same
answered categories in every group: a category some group never used is merged, in every group,
with the next lower category all groups used (the lowest with the next higher), and ``reason``
names the items merged.

Partial invariance (Byrne, Shavelson & Muthén 1989) is searched as for ML and MLR, by
:func:`servqual.invariance.search_ladder`: where metric or scalar equality is rejected, the
constraint with the largest univariate score test (:func:`servqual.sem.wlsmv_groups.wlsmv_score_tests`,
lavaan's ``lavTestScore(fit)$uni`` for a WLSMV fit: one test per loading, and per threshold, of
groups 2..G bound to group 1) is released and the level refitted, one at a time, while each
dimension keeps at least two items bound. Released thresholds go by item: the threshold with the
largest test frees all thresholds of its item in every group (lavaan's
``group.partial = c("x|t1", "x|t2", ...)``), since an item's thresholds jointly place its
categories; the released table names the item. Under the delta parameterization the item's scaling
factor stays free in groups 2..G, as lavaan keeps it; since the correlations hold loading and scale
only as their product, the item's standardized loading is then free too (Wu & Estabrook 2016):
releasing its loading as well gives the same fit (its scale then fixed to 1,
:func:`servqual.sem.wlsmv_groups.fit_wlsmv_groups`). An item whose loading was released at the metric level also has its thresholds
released at the scalar level (Millsap & Yun-Tein 2004, Multivariate Behav. Res. 39(3)). Latent
means are compared where scalar invariance holds, fully or partially.

Strict invariance (equal residual variances of the latent responses) is fitted in lavaan's theta
parameterization (``parameterization = "theta"``: the residual variances are parameters, 1 in
the first group, free in the others under scalar invariance, 1 in every group under strict), the
only one in which they are parameters; the levels below it are fitted in the delta
parameterization, whose fit is the same, and the scaled-and-shifted difference test is invariant
to the reparameterization. A rejected strict level is not searched for partial invariance (its
``reason`` says so). Where scalar invariance holds, fully or partially, the latent mean
differences come with robust SEs and intervals (std_diff in the first group's latent standard
deviations), from the delta-parameterized (partial) scalar model.

The table has the columns of :data:`servqual.invariance.INVARIANCE_COLUMNS` (chisq, cfi, tli and rmsea
those of the DWLS statistic; scaling_factor, chisq_scaled, pvalue_scaled of the
scaled-and-shifted one; delta_chisq_scaled the scaled-and-shifted difference, whose p is ``p``;
cfi_robust, tli_robust, rmsea_robust and its interval Savalei's (2021) robust indices as lavaan's
``cfi.robust`` etc., NaN at the levels with equal thresholds, where lavaan 0.6-14 gives none),
then :data:`ORDINAL_COLUMNS`: cfi_scaled, tli_scaled, rmsea_scaled, rmsea_scaled_ci_low,
rmsea_scaled_ci_high and shift_parameter.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from servqual.invariance import (
    HOLDS,
    INVARIANCE_COLUMNS,
    LATENT_DIFFERENCE_COLUMNS,
    RELEASED_COLUMNS,
    FittedLevel,
    Invariance,
    compare_levels,
    released_table,
    search_ladder,
)
from servqual.sem.fit import fit_indices
from servqual.sem.model import identification_problem, measurement_layout
from servqual.sem.ordinal import OrdinalStats, ordinal_stats
from servqual.sem.parameters import wald
from servqual.sem.postcheck import HEYWOOD_TOL, latent_dependence
from servqual.sem.samplestats import check_items
from servqual.sem.wlsmv_groups import (
    WLSMVGroupFit,
    fit_wlsmv_groups,
    wlsmv_difference,
    wlsmv_group_robust_indices,
    wlsmv_score_tests,
)

__all__ = ["ORDINAL_ADDED", "ORDINAL_COLUMNS", "ORDINAL_EQUAL", "ordinal_invariance"]

#: lavaan's ``group.equal`` of each level for ordinal items.
ORDINAL_EQUAL: dict[str, tuple[str, ...]] = {"configural": (), "metric": ("loadings",),
                                             "scalar": ("loadings", "thresholds"),
                                             "strict": ("loadings", "thresholds", "residuals")}
#: The constraint each level adds, the one partial invariance may release.
ORDINAL_ADDED = {"metric": "loadings", "scalar": "thresholds"}
#: Columns the WLSMV ladder adds to :data:`servqual.invariance.COLUMNS`.
ORDINAL_COLUMNS = ["cfi_scaled", "tli_scaled", "rmsea_scaled", "rmsea_scaled_ci_low", "rmsea_scaled_ci_high",
                   "shift_parameter"]


def ordinal_invariance(data: pd.DataFrame, item_dimension: Mapping[str, str], group: pd.Series, *,
                       levels: Sequence[str], min_group_size: int, estimator_rule: str | None = None,
                       confidence: float = 0.95) -> Invariance:
    """The invariance ladder of ordinal ratings by WLSMV (module docstring).

    Parameters
    ----------
    data, item_dimension, group
        As :func:`servqual.invariance.measurement_invariance` (group checked there).
    levels : sequence of str
        Levels to fit, in the order configural, metric, scalar, strict.
    min_group_size : int
        Groups with fewer complete respondents are left out and named in ``reason``.
    estimator_rule : str, optional
        What the study asked for (default WLSMV).
    confidence : float
        Level of the latent mean differences' intervals.

    Returns
    -------
    Invariance
        ``levels``: one row per level, columns :data:`servqual.invariance.INVARIANCE_COLUMNS`
        then :data:`ORDINAL_COLUMNS`, a rejected level followed by its partial refit;
        ``released``: the constraints released by score test (columns
        :data:`servqual.invariance.RELEASED_COLUMNS`, estimator WLSMV); ``latent_means``: as
        :func:`servqual.invariance.latent_mean_differences`, from the (partial) scalar model.
    """
    levels = [lv for lv in levels if lv in ORDINAL_EQUAL]
    columns = [*INVARIANCE_COLUMNS, *ORDINAL_COLUMNS]
    items = check_items(data, item_dimension)
    factor_of_item, factors = measurement_layout(item_dimension, "instrument")
    x = data[items].to_numpy(dtype=float)
    labels = group.to_numpy()
    used = ~np.isnan(x).any(axis=1) & pd.notna(labels)
    x, labels = x[used], labels[used]
    kept, skipped = [], []
    for label in pd.unique(labels):
        n = int((labels == label).sum())
        (kept if n >= min_group_size else skipped).append(label)
    notes = [f"skipped groups: {', '.join(f'{g} (n = {(labels == g).sum()} < {min_group_size})' for g in skipped)}"
             if skipped else ""]
    x, labels = x[np.isin(labels, kept)], labels[np.isin(labels, kept)]
    x, merged = _common_categories(x, labels, kept)
    if merged:
        notes.append(f"categories not answered in every group merged with a neighbour: {[items[i] for i in merged]}")
    base = dict(partial=False, released="", estimator="WLSMV", estimator_rule=estimator_rule or "WLSMV", n=len(x), missing_policy="listwise",
                n_incomplete=0, n_patterns=len(kept), n_groups=len(kept), groups=", ".join(map(str, kept)))
    note = "; ".join(filter(None, notes))
    problem = (f"{len(kept)} group(s) large enough to compare; invariance needs at least 2" if len(kept) < 2
               else identification_problem(factor_of_item, factors, 0))
    constant = [items[i] for i in range(len(items)) if len(np.unique(x[:, i])) < 2] if len(x) else []
    if not problem and constant:
        problem = f"items answered with a single scale point in every group: {constant}"
    if problem:
        status = "too_few_groups" if len(kept) < 2 else "not_identified"
        rows = [dict(base, level=lv, status=status, reason="; ".join(filter(None, [problem, note])),
                     decision="not_assessed", means_comparable=False) for lv in levels]
        return Invariance(pd.DataFrame(rows).reindex(columns=columns).astype({"df": "Int64", "delta_df": "Int64"}),
                          pd.DataFrame(columns=RELEASED_COLUMNS), pd.DataFrame(columns=LATENT_DIFFERENCE_COLUMNS))
    names = ([str(i) for i in items], factors, [str(g) for g in kept])
    model = _OrdinalLadder(factor_of_item, names, [ordinal_stats(x[labels == g]) for g in kept], base, note)
    fits, steps = search_ladder(model, levels, tuple(ORDINAL_ADDED), ORDINAL_ADDED)
    table = pd.DataFrame([f.row for f in fits]).reindex(columns=columns)
    scalar = [f for f in fits if f.row["level"] == "scalar" and f.estimate is not None]
    holds = [f for f in scalar if f.row["decision"] in HOLDS]
    table["means_comparable"] = bool(holds)
    means = (_latent_means((holds or scalar)[-1].estimate, factors, names[2], confidence, bool(holds)) if scalar
             else pd.DataFrame(columns=LATENT_DIFFERENCE_COLUMNS))
    return Invariance(table.astype({"df": "Int64", "delta_df": "Int64"}), released_table(steps, names, "WLSMV"),
                      means)


class _OrdinalLadder:
    """The multi-group WLSMV models of one grouping (:class:`servqual.invariance.LadderModel`)."""

    def __init__(self, factor_of_item: list[int], names: tuple[Sequence[str], Sequence[str], Sequence[str]],
                 stats: list[OrdinalStats], base: dict, note: str) -> None:
        self.factor_of_item, self.names, self.stats, self.base, self.note = factor_of_item, names, stats, base, note

    def fit(self, level: str, released: frozenset, reference: FittedLevel | None, *,
            assessed: bool = True) -> FittedLevel:
        items, factors, groups = self.names
        row = dict(self.base, level=level, partial=any(c in ORDINAL_EQUAL[level] for c, _ in released),
                   released=";".join(f"{c}:{items[i]}" for c, i in sorted(released)))
        try:
            fit = fit_wlsmv_groups(self.factor_of_item, len(factors), self.stats, ORDINAL_EQUAL[level], released,
                                   "theta" if level == "strict" else "delta")
        except (np.linalg.LinAlgError, ValueError, ArithmeticError) as err:
            row |= dict(status="failed", reason=f"the WLSMV estimation failed: {err}", chisq=np.nan, df=np.nan)
            return FittedLevel(None, None, released, row | compare_levels(row, None, False))
        row |= _level_row(fit, self.stats, (items, factors, groups), self.note, self.base["n"])
        previous = reference.estimate if reference is not None else None
        difference = (wlsmv_difference(fit, previous) if isinstance(previous, WLSMVGroupFit)
                      and fit.test.df > previous.test.df else None)
        row |= compare_levels(row, reference.row if reference else None, assessed, difference)
        if row["decision"] == "rejected" and level not in ORDINAL_ADDED:
            note = "partial strict invariance not searched under WLSMV"
            row["reason"] = "; ".join(filter(None, [row["reason"], note]))
        return FittedLevel(None, fit, released, row)

    def constraint_slots(self, fitted: FittedLevel, constraint: str) -> dict[int, int]:
        if not isinstance(fitted.estimate, WLSMVGroupFit) or fitted.estimate.layout is None:
            return {}
        return {slot: item for slot, (c, _, _, item) in enumerate(fitted.estimate.layout.equalities())
                if c == constraint}

    def score_tests(self, fitted: FittedLevel, slots: Sequence[int]) -> pd.DataFrame | None:
        tests = wlsmv_score_tests(fitted.estimate)
        return tests[tests["slot"].isin(list(slots))]


def _latent_means(fit: WLSMVGroupFit, factors: Sequence[str], groups: Sequence[str], confidence: float,
                  comparable: bool) -> pd.DataFrame:
    """Latent means of groups 2..G (the first group's are 0) with robust SEs, or the rows without
    estimates where scalar invariance does not hold."""
    if not comparable:
        rows = [dict(factor=f, group=g, reference=groups[0], comparable=False) for g in groups[1:] for f in factors]
        return pd.DataFrame(rows, columns=LATENT_DIFFERENCE_COLUMNS)
    se_all = np.sqrt(np.clip(np.diag(fit.vcov), 0, None))
    index = np.concatenate(fit.alpha_index[1:])
    est, se = fit.params[index], se_all[index]
    sd = np.tile(np.sqrt(np.clip(np.diag(fit.values["psi"][0]), 0, None)), len(groups) - 1)
    w = wald(est, se, confidence)
    return pd.DataFrame({
        "factor": list(factors) * (len(groups) - 1), "group": np.repeat(groups[1:], len(factors)),
        "reference": groups[0], "diff": est, "se": se, "z": w["z"], "pvalue": w["pvalue"], "ci_low": w["low"],
        "ci_high": w["high"], "std_diff": np.where(sd > 0, est / np.where(sd > 0, sd, 1), np.nan),
        "confidence": float(confidence), "comparable": True}, columns=LATENT_DIFFERENCE_COLUMNS)


def _common_categories(x: np.ndarray, labels: np.ndarray, kept: Sequence) -> tuple[np.ndarray, list[int]]:
    """Each item's answers mapped onto the categories every group used (a value not used by every
    group to the next lower common one, below the lowest to the lowest), and the items that
    needed it."""
    x, merged = x.copy(), []
    for i in range(x.shape[1]):
        common = sorted(set.intersection(*(set(x[labels == g, i]) for g in kept))) if len(kept) else []
        if not common or set(np.unique(x[:, i])) == set(common):
            continue
        merged.append(i)
        position = np.searchsorted(common, x[:, i], side="right") - 1
        x[:, i] = np.asarray(common)[np.maximum(position, 0)]
    return x, merged


def _level_row(fit: WLSMVGroupFit, stats: Sequence[OrdinalStats],
               names: tuple[Sequence[str], Sequence[str], Sequence], note: str, n: int) -> dict:
    """Status and fit measures of one level (plain and scaled indices with N - G, sqrt(G); the
    robust ones of :func:`servqual.sem.wlsmv_groups.wlsmv_group_robust_indices`, NaN where the
    thresholds are equal)."""
    items, factors, groups = names
    g = len(groups)
    test, baseline = fit.test, fit.baseline
    plain = fit_indices(test.chisq, test.df, baseline.chisq, baseline.df, n - g, g)
    scaled = fit_indices(test.chisq_scaled, test.df, baseline.chisq_scaled, baseline.df, n - g, g)
    robust = wlsmv_group_robust_indices(fit, stats)
    problems = []
    for k, label in enumerate(groups):
        lam, psi, delta = fit.values["lam"][k], fit.values["psi"][k], fit.values["delta"][k]
        residual = 1 / delta ** 2 - np.diag(lam @ psi @ lam.T)
        problems += [f"residual variance of {items[i]} in group {label} = {residual[i]:.4g}"
                     for i in np.flatnonzero(residual <= HEYWOOD_TOL)]
        if np.linalg.eigvalsh(psi).min() <= HEYWOOD_TOL * max(np.diag(psi).max(), 1e-300):
            problems.append(latent_dependence(psi, factors, f" in group {label}"))
    if not fit.converged:
        status, reason = "not_converged", "the DWLS minimiser stopped before the gradient of the fit function vanished"
    elif problems:
        status = "heywood" if any(p.startswith("residual") for p in problems) else "latent_correlation"
        reason = f"improper solution: {'; '.join(problems)}"
    else:
        status, reason = "ok", ""
    return dict(status=status, reason="; ".join(filter(None, [reason, note])), chisq=test.chisq, df=test.df,
                pvalue=test.pvalue, cfi=plain.cfi, tli=plain.tli, rmsea=plain.rmsea, rmsea_ci_low=plain.rmsea_ci_low,
                rmsea_ci_high=plain.rmsea_ci_high, scaling_factor=test.scaling_factor,
                chisq_scaled=test.chisq_scaled, pvalue_scaled=test.pvalue_scaled, cfi_scaled=scaled.cfi,
                tli_scaled=scaled.tli, rmsea_scaled=scaled.rmsea, rmsea_scaled_ci_low=scaled.rmsea_ci_low,
                rmsea_scaled_ci_high=scaled.rmsea_ci_high, shift_parameter=test.shift, cfi_robust=robust.cfi,
                tli_robust=robust.tli, rmsea_robust=robust.rmsea, rmsea_robust_ci_low=robust.rmsea_ci_low,
                rmsea_robust_ci_high=robust.rmsea_ci_high)
