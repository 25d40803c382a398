"""Measurement invariance of ordinal ratings by multi-group WLSMV (``cfa.estimator: WLSMV``).

The configural, metric and scalar models of :mod:`servqual.sem.wlsmv_groups`, as lavaan's
``cfa(..., ordered = TRUE, group =, group.equal =)``: metric holds the loadings equal, scalar the
loadings and the thresholds (the cut points of the ratings on their latent responses; lavaan
then frees the latent means and the scaling factors of groups 2..G). Each level is judged
against the one before it as :func:`servqual.invariance.measurement_invariance` judges them,
on the scaled-and-shifted difference test (lavaan's ``lavTestLRT`` for WLSMV, Satorra 2000) and
the changes in the scaled CFI and RMSEA (lavaan's ``cfi.scaled``, ``rmsea.scaled``, with N - G
and sqrt(G)).

Respondents with a missing answer are left out (listwise). Every item must have the same
answered categories in every group: a category some group never used is merged, in every group,
with the next lower category all groups used (the lowest with the next higher), and ``reason``
names the items merged.

Strict invariance is not fitted: under the delta parameterization the residual variances of the
latent responses are not parameters. Where scalar invariance holds, the latent mean differences
come with robust SEs and intervals (std_diff in the first group's latent standard deviations).

The table has the columns of :data:`servqual.invariance.INVARIANCE_COLUMNS` (chisq, cfi, tli and rmsea
those of the DWLS statistic; scaling_factor, chisq_scaled, pvalue_scaled of the
scaled-and-shifted one; delta_chisq_scaled the scaled-and-shifted difference, whose p is ``p``),
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
    Invariance,
    constraint_decision,
)
from servqual.sem.fit import fit_indices
from servqual.sem.model import identification_problem, measurement_layout
from servqual.sem.ordinal import ordinal_stats
from servqual.sem.parameters import wald
from servqual.sem.postcheck import HEYWOOD_TOL, latent_dependence
from servqual.sem.samplestats import check_items
from servqual.sem.wlsmv_groups import WLSMVGroupFit, fit_wlsmv_groups, wlsmv_difference

__all__ = ["ORDINAL_COLUMNS", "ORDINAL_EQUAL", "ordinal_invariance"]

#: lavaan's ``group.equal`` of each level for ordinal items.
ORDINAL_EQUAL: dict[str, tuple[str, ...]] = {"configural": (), "metric": ("loadings",),
                                             "scalar": ("loadings", "thresholds")}
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
        Levels to fit, in the order configural, metric, scalar (strict is left out).
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
        then :data:`ORDINAL_COLUMNS`; ``released``: empty (no partial search under WLSMV);
        ``latent_means``: as :func:`servqual.invariance.latent_mean_differences`.
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
    stats = [ordinal_stats(x[labels == g]) for g in kept]
    fits: dict[str, WLSMVGroupFit | None] = {}
    rows = []
    for level in levels:
        try:
            fits[level] = fit_wlsmv_groups(factor_of_item, len(factors), stats, ORDINAL_EQUAL[level])
        except (np.linalg.LinAlgError, ValueError, ArithmeticError) as err:
            fits[level] = None
            rows.append(dict(base, level=level, status="failed", reason=f"the WLSMV estimation failed: {err}"))
            continue
        rows.append(dict(base, level=level, **_level_row(fits[level], items, factors, kept, note, len(x))))
    table = _ladder(pd.DataFrame(rows).reindex(columns=columns), fits)
    scalar = fits.get("scalar")
    if scalar is None or "scalar" not in set(table["level"]):
        means = pd.DataFrame(columns=LATENT_DIFFERENCE_COLUMNS)
    else:
        means = _latent_means(scalar, factors, [str(g) for g in kept], confidence,
                              bool(table["means_comparable"].iloc[0]))
    return Invariance(table, pd.DataFrame(columns=RELEASED_COLUMNS), means)


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


def _level_row(fit: WLSMVGroupFit, items: Sequence[str], factors: Sequence[str], groups: Sequence, note: str,
               n: int) -> dict:
    """Status and fit measures of one level (plain and scaled indices with N - G, sqrt(G))."""
    g = len(groups)
    test, baseline = fit.test, fit.baseline
    plain = fit_indices(test.chisq, test.df, baseline.chisq, baseline.df, n - g, g)
    scaled = fit_indices(test.chisq_scaled, test.df, baseline.chisq_scaled, baseline.df, n - g, g)
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
                rmsea_scaled_ci_high=scaled.rmsea_ci_high, shift_parameter=test.shift)


def _ladder(table: pd.DataFrame, fits: Mapping[str, WLSMVGroupFit | None]) -> pd.DataFrame:
    """Differences to the level before (the scaled-and-shifted difference test, the changes in
    the scaled CFI and RMSEA) and the decision, cumulative as in the ML ladder."""
    decisions: list[str] = []
    table["compared_with"] = ""
    for i, row in table.iterrows():
        previous = table.iloc[i - 1] if i > 0 else None
        if previous is not None and fits.get(row["level"]) is not None and fits.get(previous["level"]) is not None:
            test = wlsmv_difference(fits[row["level"]], fits[previous["level"]])
            table.loc[i, ["delta_chisq", "delta_df", "delta_chisq_scaled", "p"]] = [
                test.delta_chisq, test.df, test.chisq, test.pvalue]
            table.loc[i, "compared_with"] = previous["level"]
            table.loc[i, "delta_cfi"] = row["cfi_scaled"] - previous["cfi_scaled"]
            table.loc[i, "delta_rmsea"] = row["rmsea_scaled"] - previous["rmsea_scaled"]
        if row["status"] != "ok":
            decisions.append("not_assessed")
        elif previous is None:
            decisions.append("reference")
        elif previous["status"] != "ok" or decisions[-1] not in ("reference", *HOLDS):
            decisions.append("not_assessed")
        else:
            decisions.append(constraint_decision(table.loc[i, "delta_cfi"], table.loc[i, "delta_rmsea"],
                                                 table.loc[i, "p"]))
    table["decision"] = decisions
    scalar = table.loc[table["level"] == "scalar", "decision"]
    table["means_comparable"] = bool(len(scalar) and scalar.iloc[0] in HOLDS)
    return table.astype({"df": "Int64", "delta_df": "Int64"})
