"""Measurement invariance of the instrument across groups (waves, segments) by multi-group CFA.

The multi-group ML CFA with mean structure is fitted by :mod:`servqual.sem`: groups are stacked in
one parameter vector, equality constraints are shared parameters, and the multi-group discrepancy
F = sum_g (n_g / N) F_g is minimised by Fisher scoring and Newton steps on its analytic derivatives
(the same engine as the single-group CFA of :mod:`servqual.cfa`). The identification and the constraints are lavaan's for ``cfa(model, data, group = ,
group.equal = )`` (Rosseel 2012, J. Stat. Softw. 48(2)): the first item of every dimension is its
marker (loading 1 in every group), factor variances and covariances are free in every group, and

- configural: loadings and intercepts free per group, latent means 0;
- metric: loadings equal across groups (``group.equal = "loadings"``);
- scalar: loadings and intercepts equal, latent means free in groups 2..G
  (``group.equal = c("loadings", "intercepts")``).

Decision (each level against the one before it, Widaman & Reise 1997): the chi-square difference
test (p >= .05), the change in CFI (Delta CFI = CFI_level - CFI_previous >= -.01; Cheung &
Rensvold 2002, Struct. Equ. Modeling 9(2)) and in RMSEA (Delta RMSEA <= .015; Chen 2007,
Struct. Equ. Modeling 14(3)). ``holds`` when all three agree, ``holds_by_fit_indices`` when
only the chi-square difference rejects (it does so for trivial differences in large samples),
``rejected`` when Delta CFI or Delta RMSEA exceeds its cutoff, ``not_assessed`` when a fit
failed or the level below did not hold. Means may be compared across groups only where scalar
invariance holds (``means_comparable``).

With ``estimator = "MLR"`` (lavaan's ``cfa(..., estimator = "MLR")``, :mod:`servqual.sem.robust`)
each level also carries its Yuan-Bentler scaled chi-square and robust CFI/TLI/RMSEA, and the
decision uses the Satorra-Bentler (2001, Psychometrika 66(4)) scaled difference test (lavaan's
``lavTestLRT(..., method = "satorra.bentler.2001")``) and the changes in the robust CFI and RMSEA.

Table ``invariance`` (:func:`measurement_invariance`; the pipeline adds ``grouping``): level,
estimator, estimator_rule, status, reason, n, missing_policy, n_incomplete, n_patterns (summed over
the groups), n_groups, groups, chisq, df, pvalue, cfi, tli, rmsea, rmsea_ci_low, rmsea_ci_high,
scaling_factor, chisq_scaled, pvalue_scaled, cfi_robust, tli_robust, rmsea_robust,
rmsea_robust_ci_low, rmsea_robust_ci_high (NaN under ML), delta_chisq, delta_df,
delta_chisq_scaled, difference_scaling_factor (NaN under ML), p, delta_cfi, delta_rmsea, decision,
means_comparable.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from servqual.cfa import Missing, missing_treatment
from servqual.distributions import chi2_sf
from servqual.sem.blas import single_blas_thread
from servqual.sem.estimation import Estimate, estimate_ml
from servqual.sem.fit import FitIndices, baseline_chisq, fit_indices
from servqual.sem.missing import (
    Patterns,
    em_moments,
    estimate_fiml,
    fiml_fit,
    missing_patterns,
)
from servqual.sem.model import (
    Spec,
    identification_problem,
    measurement_layout,
    multigroup_spec,
)
from servqual.sem.postcheck import improper_solution
from servqual.sem.robust import (
    choose_estimator,
    robust_fit,
    robust_fit_indices,
    scaled_difference,
)
from servqual.sem.samplestats import (
    GroupStats,
    check_items,
    group_stats,
    is_well_conditioned,
)

__all__ = ["EQUAL", "HOLDS", "LEVELS", "constraint_decision", "invariance_spec", "measurement_invariance"]

LEVELS: tuple[str, ...] = ("configural", "metric", "scalar")
#: Cheung & Rensvold (2002): a drop in CFI of more than .01 rejects the constraints.
DELTA_CFI_MIN = -0.01
#: Chen (2007): a rise in RMSEA of more than .015 rejects the constraints.
DELTA_RMSEA_MAX = 0.015
ALPHA = 0.05
HOLDS = ("holds", "holds_by_fit_indices")

_ROBUST = ["scaling_factor", "chisq_scaled", "pvalue_scaled", "cfi_robust", "tli_robust", "rmsea_robust",
           "rmsea_robust_ci_low", "rmsea_robust_ci_high"]
_COLUMNS = ["level", "estimator", "estimator_rule", "status", "reason", "n", "missing_policy", "n_incomplete",
            "n_patterns", "n_groups", "groups", "chisq", "df", "pvalue", "cfi", "tli", "rmsea", "rmsea_ci_low",
            "rmsea_ci_high", *_ROBUST, "delta_chisq", "delta_df", "delta_chisq_scaled", "difference_scaling_factor",
            "p", "delta_cfi", "delta_rmsea", "decision", "means_comparable"]


#: lavaan's ``group.equal`` of each level.
EQUAL: dict[str, tuple[str, ...]] = {"configural": (), "metric": ("loadings",), "scalar": ("loadings", "intercepts")}


def invariance_spec(factor_of_item: Sequence[int], n_factors: int, n_groups: int, level: str) -> Spec:
    """Multi-group spec with mean structure and lavaan's constraints for ``level``
    (:func:`servqual.sem.model.multigroup_spec` with the level's ``group.equal``)."""
    return multigroup_spec(factor_of_item, n_factors, n_groups, equal=EQUAL[level])


def _check_group(data: pd.DataFrame, group: pd.Series) -> pd.Series:
    if not isinstance(group, pd.Series):
        raise TypeError("group must be a pandas Series of group labels, indexed like data")
    if not group.index.equals(data.index):
        if not group.index.isin(data.index).all() or len(group) != len(data):
            raise ValueError("group must have the same index as data (one label per respondent)")
        group = group.reindex(data.index)
    return group


def _check_levels(levels: Sequence[str]) -> list[str]:
    levels = list(levels)
    unknown = [lv for lv in levels if lv not in LEVELS]
    if unknown or not levels:
        raise ValueError(f"levels must be taken from {LEVELS}; got {levels}")
    if levels != sorted(levels, key=LEVELS.index) or len(set(levels)) != len(levels):
        raise ValueError(f"levels must be in the order {LEVELS} without repeats; got {levels}")
    return levels


def _usable_groups(x: np.ndarray, labels: np.ndarray, min_group_size: int,
                   fiml: bool) -> tuple[list, list[str], dict]:
    """Groups with at least min_group_size respondents (complete ones, or with FIML all who
    answered an item) and a positive-definite covariance matrix (with FIML its EM estimate), and
    each kept group's sample statistics: GroupStats, or with FIML (Patterns, EM moments)."""
    kept, skipped, group_data = [], [], {}
    for label in pd.unique(labels):
        rows = labels == label
        n = int(rows.sum())
        st = group_stats(x[rows]) if n > x.shape[1] else None
        if n < min_group_size:
            skipped.append(f"{label} (n = {n} < {min_group_size})")
            continue
        rows = x[labels == label]
        try:
            patterns = missing_patterns(rows) if fiml else None
            data = (patterns, em_moments(patterns)) if fiml else group_stats(rows)
            cov = data[1][1] if fiml else data.cov
        except (np.linalg.LinAlgError, ValueError):  # an item without answers, a singular EM iterate
            cov = None
        if n <= x.shape[1] or cov is None or not is_well_conditioned(cov):
            skipped.append(f"{label} (item covariance matrix not positive definite)")
        else:
            kept.append(label)
            group_data[label] = data
    return kept, skipped, group_data


@single_blas_thread
def measurement_invariance(
    data: pd.DataFrame,
    item_dimension: Mapping[str, str],
    group: pd.Series,
    *,
    levels: Sequence[str] = LEVELS,
    min_group_size: int = 50,
    estimator: str = "ML",
    estimator_rule: str | None = None,
    missing: Missing = "listwise",
) -> pd.DataFrame:
    """Configural, metric and scalar invariance of the instrument's CFA across groups.

    chi2 = sum_g n_g F_g with F_g = log|Sigma_g| + tr(S_g Sigma_g^-1) - log|S_g| - p
    + (m_g - mu_g)' Sigma_g^-1 (m_g - mu_g) (multi-group ML, Jöreskog 1971, Psychometrika 36(4)),
    S_g with divisor n_g; CFI/TLI/RMSEA as lavaan (RMSEA times sqrt(G)) against the baseline of
    independent items with free means and variances per group. Tests: Delta chi2 on Delta df
    between consecutive levels; Delta CFI >= -.01 (Cheung & Rensvold 2002, Struct. Equ.
    Modeling 9(2)); Delta RMSEA <= .015 (Chen 2007, Struct. Equ. Modeling 14(3)).

    Listwise deletion over the items and the group label, or with ``missing="ml"``
    full-information ML per group (:mod:`servqual.sem.missing`; lavaan's ``missing = "ml"``:
    chi2 = 2 (logL_H1 - logL_H0) against each group's EM moments, the baseline fitted by FIML);
    ``auto`` is ``ml`` when an item has a missing answer. Groups smaller than
    ``min_group_size`` (or with a singular covariance matrix) are left out and named in
    ``reason``; with fewer than two groups left, or a failed fit, the rows carry a status
    instead of raising.

    Parameters
    ----------
    data : pd.DataFrame
        One row per respondent, one numeric column per item.
    item_dimension : mapping
        Item id -> dimension id in the instrument's order (first item = marker of its dimension).
    group : pd.Series
        Group label per respondent (same index as ``data``), e.g. wave or segment.
    levels : sequence of str
        Levels to fit, in the order configural, metric, scalar.
    min_group_size : int
        Groups with fewer complete cases (with FIML: respondents) are skipped.
    estimator : {"ML", "MLR", "auto"}
        ``MLR`` adds the scaled and robust statistics and decides on them (module docstring);
        ``auto`` uses MLR when Mardia's kurtosis test rejects normality in any group
        (:func:`servqual.sem.robust.choose_estimator`).
    estimator_rule : str, optional
        What the study asked for, recorded as ``estimator_rule`` (default ``estimator``).
    missing : {"listwise", "ml", "auto"}
        Treatment of missing answers (:func:`servqual.cfa.missing_treatment`).

    Returns
    -------
    pd.DataFrame
        The ``invariance`` table, one row per level (columns in the module docstring):
        ``status`` is ok, heywood, latent_correlation, not_converged, not_identified or too_few_groups.

    Examples
    --------
    >>> hs = pd.read_csv("tests/data/holzinger_swineford.csv")  # lavaan::HolzingerSwineford1939
    >>> dims = {f"x{i}": ["visual", "textual", "speed"][(i - 1) // 3] for i in range(1, 10)}
    >>> table = measurement_invariance(hs, dims, hs["school"])
    >>> table[["level", "chisq", "df", "decision"]].round(3).values.tolist()  # doctest: +NORMALIZE_WHITESPACE
    [['configural', 115.851, 48, 'reference'], ['metric', 124.044, 54, 'holds'],
     ['scalar', 164.103, 60, 'rejected']]
    """
    items = check_items(data, item_dimension)
    group = _check_group(data, group)
    levels = _check_levels(levels)
    factor_of_item, factors = measurement_layout(item_dimension, "instrument")
    complete = ~np.isnan(data[items].to_numpy(dtype=float)).any(axis=1) & pd.notna(group.to_numpy())
    chosen = choose_estimator([data[items].to_numpy(dtype=float)[complete & (group.to_numpy() == g)]
                               for g in pd.unique(group[complete])], estimator)
    treatment = missing_treatment(data, items, missing, chosen)
    chosen = "ML" if treatment == "ml" else chosen  # robust FIML is not implemented
    x = data[items].to_numpy(dtype=float)
    labels = group.to_numpy()
    used = (~np.isnan(x).all(axis=1) if treatment == "ml" else ~np.isnan(x).any(axis=1)) & pd.notna(labels)
    x, labels = x[used], labels[used]
    kept, skipped, group_data = _usable_groups(x, labels, min_group_size, treatment == "ml")
    note = f"skipped groups: {', '.join(skipped)}" if skipped else ""
    in_kept = np.isin(labels, kept)
    patterns = [group_data[label][0] for label in kept] if treatment == "ml" else []
    base = dict(n=int(in_kept.sum()), missing_policy=treatment,
                n_incomplete=int(np.isnan(x[in_kept]).any(axis=1).sum()),
                n_patterns=sum(p.n_patterns for p in patterns) if patterns else len(kept),
                n_groups=len(kept), groups=", ".join(map(str, kept)), estimator=chosen,
                estimator_rule=estimator_rule or estimator)
    problem = _invariance_problem(factor_of_item, factors, kept)
    if problem:
        status = "too_few_groups" if len(kept) < 2 else "not_identified"
        rows = [dict(base, level=lv, status=status, reason="; ".join(filter(None, [problem, note])),
                     decision="not_assessed", means_comparable=False) for lv in levels]
        return pd.DataFrame(rows, columns=_COLUMNS)
    names = (items, factors, kept)
    if treatment == "ml":
        h1 = [group_data[label][1] for label in kept]
        rows = [dict(base, level=lv, **_fit_level_fiml(lv, factor_of_item, patterns, h1, names, note))
                for lv in levels]
    else:
        groups_data = ([group_data[label] for label in kept], [x[labels == label] for label in kept])
        rows = [dict(base, level=lv, **_fit_level(lv, factor_of_item, groups_data, names, note, chosen == "MLR"))
                for lv in levels]
    return _add_decisions(pd.DataFrame(rows, columns=_COLUMNS))


def _invariance_problem(factor_of_item: Sequence[int], factors: Sequence[str], kept: list) -> str:
    if len(kept) < 2:
        return f"{len(kept)} group(s) large enough to compare; invariance needs at least 2"
    return identification_problem(factor_of_item, factors, 0)


def _fit_level(level: str, factor_of_item: Sequence[int], groups_data: tuple[list[GroupStats], list[np.ndarray]],
               names: tuple[Sequence[str], Sequence[str], Sequence], note: str, robust: bool) -> dict:
    """Fit one level (with the MLR statistics when ``robust``) from each group's statistics and
    rows; ``names`` are the item, factor and group names used in messages."""
    stats_list, data_list = groups_data
    spec = invariance_spec(factor_of_item, len(names[1]), len(stats_list), level)
    estimate = estimate_ml(spec, stats_list)
    status, reason = _level_status(spec, estimate, names)
    n = sum(st.n for st in stats_list)
    fi = fit_indices(n * estimate.fmin, spec.df, *baseline_chisq(stats_list), n, len(stats_list))
    row = _level_row(status, reason, note, fi)
    if robust:
        rf = robust_fit(spec, data_list, estimate.params, stats_list)
        if np.isfinite(rf.scaling_factor):
            ri = robust_fit_indices(fi.chisq, fi.df, rf.scaling_factor, fi.baseline_chisq, fi.baseline_df,
                                    rf.baseline_scaling_factor, n, len(stats_list))
            row |= {k: getattr(ri, k) for k in _ROBUST}
    return row


def _fit_level_fiml(level: str, factor_of_item: Sequence[int], patterns: list[Patterns],
                    h1: list[tuple[np.ndarray, np.ndarray, float]],
                    names: tuple[Sequence[str], Sequence[str], Sequence], note: str) -> dict:
    """:func:`_fit_level` by full-information ML (unbounded variances, as the listwise fit)."""
    spec = invariance_spec(factor_of_item, len(names[1]), len(patterns), level)
    estimate = estimate_fiml(spec, patterns, [moments[:2] for moments in h1], nonnegative_variances=False)
    status, reason = _level_status(spec, estimate, names)
    return _level_row(status, reason, note, fiml_fit(spec, patterns, estimate.params, h1).indices)


def _level_status(spec: Spec, estimate: Estimate,
                  names: tuple[Sequence[str], Sequence[str], Sequence]) -> tuple[str, str]:
    items, factors, groups = names
    if not estimate.converged:
        return "not_converged", estimate.reason
    status, improper = improper_solution(spec, estimate.params, items, factors, [str(g) for g in groups])
    return status, f"improper solution: {improper}" if improper else ""


def _level_row(status: str, reason: str, note: str, fi: FitIndices) -> dict:
    return dict(status=status, reason="; ".join(filter(None, [reason, note])), chisq=fi.chisq, df=fi.df,
                pvalue=fi.pvalue, cfi=fi.cfi, tli=fi.tli, rmsea=fi.rmsea, rmsea_ci_low=fi.rmsea_ci_low,
                rmsea_ci_high=fi.rmsea_ci_high)


def _add_decisions(table: pd.DataFrame) -> pd.DataFrame:
    """Differences to the previous level and the decision, cumulative over the levels (under MLR
    the Satorra-Bentler scaled difference and the robust CFI and RMSEA)."""
    previous = table.shift(1)
    table["delta_chisq"] = table["chisq"] - previous["chisq"]
    table["delta_df"] = (table["df"] - previous["df"]).astype("Int64")
    valid = table["delta_df"].fillna(0).to_numpy() > 0
    table["p"] = np.where(valid, chi2_sf(table["delta_chisq"].clip(lower=0).fillna(0),
                                               table["delta_df"].fillna(1).astype(float)), np.nan)
    robust = (table["estimator"] == "MLR").all()
    if robust:
        for i in np.flatnonzero(valid):
            d = scaled_difference(table["chisq"].iloc[i], int(table["df"].iloc[i]), table["scaling_factor"].iloc[i],
                                  table["chisq"].iloc[i - 1], int(table["df"].iloc[i - 1]),
                                  table["scaling_factor"].iloc[i - 1])
            table.loc[i, ["delta_chisq_scaled", "difference_scaling_factor", "p"]] = [d.chisq, d.scaling_factor,
                                                                                      d.pvalue]
    cfi, rmsea = ("cfi_robust", "rmsea_robust") if robust else ("cfi", "rmsea")
    table["delta_cfi"] = table[cfi] - previous[cfi]
    table["delta_rmsea"] = table[rmsea] - previous[rmsea]
    decisions: list[str] = []
    for i, row in table.iterrows():
        decisions.append(_decision(row, None if i == 0 else table.loc[i - 1, "status"],
                                   None if i == 0 else decisions[-1]))
    table["decision"] = decisions
    scalar = table.loc[table["level"] == "scalar", "decision"]
    table["means_comparable"] = bool(len(scalar) and scalar.iloc[0] in HOLDS)
    return table.astype({"df": "Int64"})


def _decision(row: pd.Series, previous_status: str | None, previous_decision: str | None) -> str:
    if row["status"] != "ok":
        return "not_assessed"
    if previous_status is None:
        return "reference"
    if previous_status != "ok" or previous_decision not in ("reference", *HOLDS):
        return "not_assessed"
    return constraint_decision(row["delta_cfi"], row["delta_rmsea"], row["p"])


def constraint_decision(delta_cfi: float, delta_rmsea: float, p: float) -> str:
    """Whether added equality constraints hold: ``rejected`` when CFI drops by more than .01 or
    RMSEA rises by more than .015, else ``holds`` when the chi-square difference test keeps them
    (p >= .05) and ``holds_by_fit_indices`` when only it rejects them.

    >>> constraint_decision(-0.004, 0.002, 0.01), constraint_decision(-0.03, 0.0, 0.5)
    ('holds_by_fit_indices', 'rejected')
    """
    if delta_cfi < DELTA_CFI_MIN or delta_rmsea > DELTA_RMSEA_MAX:
        return "rejected"
    return "holds" if p >= ALPHA else "holds_by_fit_indices"
