"""Measurement invariance of the instrument across groups (waves, segments) by multi-group CFA.

The multi-group ML CFA with mean structure is fitted by :mod:`servqual.sem`: groups are stacked in
one parameter vector, equality constraints are shared parameters, and the multi-group discrepancy
F = sum_g (n_g / N) F_g is minimised by Fisher scoring and Newton steps on its analytic derivatives
(the same engine as the single-group CFA of :mod:`servqual.cfa`). The identification and the
constraints are lavaan's for ``cfa(model, data, group = , group.equal = , group.partial = )``
(Rosseel 2012, J. Stat. Softw. 48(2)): the first item of every dimension is its
marker (loading 1 in every group), factor variances and covariances are free in every group, and

- configural: loadings and intercepts free per group, latent means 0;
- metric: loadings equal across groups (``group.equal = "loadings"``);
- scalar: loadings and intercepts equal, latent means free in groups 2..G
  (``group.equal = c("loadings", "intercepts")``);
- strict: also the residual variances equal (``c("loadings", "intercepts", "residuals")``).

Decision (each level against the model accepted before it, Widaman & Reise 1997): the chi-square difference
test (p >= .05), the change in CFI (Delta CFI = CFI_level - CFI_previous >= -.01; Cheung &
Rensvold 2002, Struct. Equ. Modeling 9(2)) and in RMSEA (Delta RMSEA <= .015; Chen 2007,
Struct. Equ. Modeling 14(3)). ``holds`` when all three agree, ``holds_by_fit_indices`` when
only the chi-square difference rejects (it does so for trivial differences in large samples),
``rejected`` when Delta CFI or Delta RMSEA exceeds its cutoff, ``not_assessed`` when a fit
failed or the level below did not hold.

Partial invariance (Byrne, Shavelson & Muthén 1989, Psychol. Bull. 105(3)): where metric, scalar
or strict invariance is rejected, the equality constraint with the largest univariate score test
(:func:`servqual.sem.score.release_score_tests`, lavaan's ``lavTestScore(fit)$uni``: each
constraint binds a parameter of group g to the same parameter of the first group) is released and
the level refitted, one at a time, until the level holds or releasing would leave a dimension with
fewer than two items bound (its marker counts). The released parameter becomes free in every group,
as lavaan's ``group.partial`` and semTools' ``partialInvariance`` free it; the group whose
constraint had the largest test is recorded, with every group whose test was significant at that
step. An item whose loading was released also has its intercept released at the scalar level.
Means may be compared across groups where scalar invariance holds, fully or partially
(``means_comparable``); the latent mean differences are then the free latent means of groups
2..G (the first group's being 0), with Wald SEs and intervals (:func:`latent_mean_differences`).

With ``estimator = "MLR"`` (lavaan's ``cfa(..., estimator = "MLR")``, :mod:`servqual.sem.robust`)
each level also carries its Yuan-Bentler scaled chi-square and robust CFI/TLI/RMSEA, and the
decision uses the Satorra-Bentler (2001, Psychometrika 66(4)) scaled difference test (lavaan's
``lavTestLRT(..., method = "satorra.bentler.2001")``) and the changes in the robust CFI and RMSEA;
the latent means have Huber-White sandwich SEs. The score tests are the ordinary (ML, expected
information) ones under both estimators, as lavaan 0.6-14's ``lavTestScore`` falls back to for
MLR. With full-information ML (missing answers) the partial search is not run (no score tests),
and a rejected level says so in ``reason``. With ``estimator = "WLSMV"`` the ratings are ordinal
and the ladder is that of :mod:`servqual.ordinal_invariance` (thresholds instead of intercepts).

Table ``invariance`` (:func:`measurement_invariance`; the pipeline adds ``grouping`` and
``measure``): level, partial, released (``constraint:item`` separated by ``;``), estimator,
estimator_rule, status, reason, n, missing_policy, n_incomplete, n_patterns (summed over the
groups), n_groups, groups, chisq, df, pvalue, cfi, tli, rmsea, rmsea_ci_low, rmsea_ci_high,
scaling_factor, chisq_scaled, pvalue_scaled, cfi_robust, tli_robust, rmsea_robust,
rmsea_robust_ci_low, rmsea_robust_ci_high (NaN under ML; under WLSMV the robust indices NaN at the
levels with equal thresholds, :mod:`servqual.ordinal_invariance`), compared_with, delta_chisq, delta_df,
delta_chisq_scaled, difference_scaling_factor (NaN under ML), p, delta_cfi, delta_rmsea, decision,
means_comparable. Table ``invariance_released`` (:func:`invariance_ladder`): level, order,
constraint, item, group (largest test), groups (groups whose test had p < .05, ``;``-separated),
chisq, df, pvalue, estimator. Table ``latent_means``: factor, group, reference, diff, se, z,
pvalue, ci_low, ci_high, std_diff (diff over the reference group's latent SD), confidence,
comparable.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pandas as pd

from servqual.cfa import Missing, missing_treatment
from servqual.distributions import chi2_sf
from servqual.sem.blas import single_blas_thread
from servqual.sem.estimation import Estimate, estimate_ml
from servqual.sem.fit import FitIndices, baseline_chisq, fit_indices
from servqual.sem.information import parameter_vcov
from servqual.sem.missing import (
    em_moments,
    estimate_fiml,
    fiml_fit,
    fiml_observed_information,
    missing_patterns,
)
from servqual.sem.model import (
    ALPHA,
    LAMBDA,
    NU,
    PSI,
    THETA,
    Spec,
    identification_problem,
    measurement_layout,
    multigroup_spec,
)
from servqual.sem.parameters import wald
from servqual.sem.postcheck import improper_solution
from servqual.sem.robust import (
    RobustFit,
    choose_estimator,
    robust_fit,
    robust_fit_indices,
    sample_kurtosis,
    scaled_difference,
)
from servqual.sem.samplestats import (
    check_items,
    group_stats,
    is_well_conditioned,
)
from servqual.sem.score import equality_slots, release_score_tests
from servqual.sem.wlsmv_groups import DifferenceTest, WLSMVGroupFit

__all__ = ["ADDED", "EQUAL", "HOLDS", "INVARIANCE_COLUMNS", "LATENT_DIFFERENCE_COLUMNS", "LEVELS", "MIN_BOUND_ITEMS",
           "RELEASED_COLUMNS", "FittedLevel", "Invariance", "LadderModel", "compare_levels", "constraint_decision",
           "invariance_ladder", "invariance_spec", "latent_mean_differences", "measurement_invariance", "releasable",
           "released_table", "search_ladder", "spec_constraint_slots"]

LEVELS: tuple[str, ...] = ("configural", "metric", "scalar", "strict")
#: Cheung & Rensvold (2002): a drop in CFI of more than .01 rejects the constraints.
DELTA_CFI_MIN = -0.01
#: Chen (2007): a rise in RMSEA of more than .015 rejects the constraints.
DELTA_RMSEA_MAX = 0.015
ALPHA_LEVEL = 0.05
HOLDS = ("holds", "holds_by_fit_indices")
#: Fewest items of a dimension bound by a level's constraints for partial invariance (Byrne,
#: Shavelson & Muthén 1989); the marker counts as bound.
MIN_BOUND_ITEMS = 2

_ROBUST = ["scaling_factor", "chisq_scaled", "pvalue_scaled", "cfi_robust", "tli_robust", "rmsea_robust",
           "rmsea_robust_ci_low", "rmsea_robust_ci_high"]
#: The columns of an invariance ladder (one row per level), as :func:`measurement_invariance` returns it.
INVARIANCE_COLUMNS = [
    "level", "partial", "released", "estimator", "estimator_rule", "status", "reason", "n", "missing_policy",
    "n_incomplete", "n_patterns", "n_groups", "groups", "chisq", "df", "pvalue", "cfi", "tli", "rmsea",
    "rmsea_ci_low", "rmsea_ci_high", *_ROBUST, "compared_with", "delta_chisq", "delta_df", "delta_chisq_scaled",
    "difference_scaling_factor", "p", "delta_cfi", "delta_rmsea", "decision", "means_comparable"]
RELEASED_COLUMNS = ["level", "order", "constraint", "item", "group", "groups", "chisq", "df", "pvalue", "estimator"]
LATENT_DIFFERENCE_COLUMNS = ["factor", "group", "reference", "diff", "se", "z", "pvalue", "ci_low", "ci_high",
                             "std_diff", "confidence", "comparable"]

#: lavaan's ``group.equal`` of each level.
EQUAL: dict[str, tuple[str, ...]] = {"configural": (), "metric": ("loadings",), "scalar": ("loadings", "intercepts"),
                                     "strict": ("loadings", "intercepts", "residuals")}
#: The constraint a level adds, the one partial invariance may release.
ADDED = {"metric": "loadings", "scalar": "intercepts", "strict": "residuals"}
_KIND = {"loadings": LAMBDA, "intercepts": NU, "residuals": THETA}


def invariance_spec(factor_of_item: Sequence[int], n_factors: int, n_groups: int, level: str,
                    released: frozenset[tuple[str, int]] = frozenset()) -> Spec:
    """Multi-group spec with mean structure and lavaan's constraints for ``level``
    (:func:`servqual.sem.model.multigroup_spec` with the level's ``group.equal`` and the
    ``released`` (constraint, item) pairs as ``group.partial``)."""
    return multigroup_spec(factor_of_item, n_factors, n_groups, equal=EQUAL[level], released=released)


# --- the ladder and its partial search, shared with servqual.ep_invariance -----------------------


@dataclass(frozen=True)
class FittedLevel:
    """One fitted level: its spec and estimates (for WLSMV the multi-group fit and no spec; None
    where the fit failed), released (constraint, item) pairs and table row; under MLR the robust
    parts of the fit (its sandwich covariance for the latent means), None otherwise."""

    spec: Spec | None
    estimate: Estimate | WLSMVGroupFit | None
    released: frozenset[tuple[str, int]]
    row: dict
    robust: RobustFit | None = None


class LadderModel(Protocol):
    """What :func:`search_ladder` needs of a family of invariance models."""

    factor_of_item: list[int]

    def fit(self, level: str, released: frozenset, reference: FittedLevel | None, *,
            assessed: bool = True) -> FittedLevel:
        """Fit ``level`` with ``released`` left out, its row compared with ``reference``."""

    def constraint_slots(self, fitted: FittedLevel, constraint: str) -> dict[int, int]:
        """The equality slots of ``constraint`` (one per bound parameter of groups 2..G) -> item."""

    def score_tests(self, fitted: FittedLevel, slots: Sequence[int]) -> pd.DataFrame | None:
        """Univariate score tests of releasing ``slots`` (lavaan's ``lavTestScore(fit)$uni``):
        columns slot, chisq, df, pvalue, group (index); None where unavailable."""


def spec_constraint_slots(spec: Spec, constraint: str, first_item: int = 0) -> dict[int, int]:
    """Equality slots of ``constraint`` in a spec -> item (its row minus ``first_item``)."""
    return {int(s): int(spec.row[s]) - first_item for s in equality_slots(spec)
            if spec.kind[s] == _KIND[constraint] and (spec.kind[s] != THETA or spec.row[s] == spec.col[s])}


def search_ladder(model: LadderModel, levels: Sequence[str], partial_levels: Sequence[str],
                  added: Mapping[str, str] = ADDED) -> tuple[list[FittedLevel], list[dict]]:
    """Fit the levels in order, each against the model accepted before it; where one of
    ``partial_levels`` is rejected, release the constraint it adds (``added``; under WLSMV
    thresholds instead of intercepts) by score test (module docstring).

    Returns the fitted rows (a rejected level followed by its partial refit) and the releases,
    each a dict with level, order, constraint, item (index), slot and the step's ``tests``.
    """
    fits = [model.fit(levels[0], frozenset(), None)]
    accepted, releases = fits[0], []
    for level in levels[1:]:
        if accepted.row["decision"] not in ("reference", *HOLDS):
            fits.append(model.fit(level, accepted.released, accepted, assessed=False))
            continue
        fitted = model.fit(level, _carried(accepted.released, level, added), accepted)
        fits.append(fitted)
        if fitted.row["decision"] == "rejected" and level in partial_levels:
            fitted, steps = _release(model, level, added[level], fitted, accepted)
            if steps:
                fits.append(fitted)
                releases += steps
        accepted = fitted
    return fits, releases


def _carried(released: frozenset, level: str, added: Mapping[str, str]) -> frozenset:
    """Released constraints carried to ``level``: an item with a free loading also gets free
    intercepts (thresholds) at the scalar level."""
    if level != "scalar":
        return released
    return released | {(added["scalar"], i) for c, i in released if c == "loadings"}


def _release(model: LadderModel, level: str, constraint: str, rejected: FittedLevel,
             reference: FittedLevel) -> tuple[FittedLevel, list[dict]]:
    """Release the level's constraints one at a time, largest score test first."""
    fitted, steps = rejected, []
    while fitted.row["decision"] == "rejected":
        candidates = releasable(model, fitted, constraint)
        tests = model.score_tests(fitted, list(candidates)) if candidates else None
        if tests is None:
            break
        slot = int(tests.loc[tests["chisq"].idxmax(), "slot"])
        item = candidates[slot][1]
        same = tests[[candidates[s] == (constraint, item) for s in tests["slot"]]]
        steps.append(dict(level=level, order=len(steps) + 1, constraint=constraint, item=item, slot=slot, tests=same))
        fitted = model.fit(level, fitted.released | {(constraint, item)}, reference)
    return fitted, steps


def releasable(model: LadderModel, fitted: FittedLevel, constraint: str) -> dict[int, tuple[str, int]]:
    """Equality slots of ``constraint`` whose release leaves each dimension at least
    :data:`MIN_BOUND_ITEMS` items bound (its marker counts as bound), -> (constraint, item)."""
    sizes = np.bincount(model.factor_of_item)
    freed_items = {i for c, i in fitted.released if c in ("loadings", constraint)}
    freed = np.bincount([model.factor_of_item[i] for i in freed_items], minlength=len(sizes))
    out = {}
    for slot, item in model.constraint_slots(fitted, constraint).items():
        dim = model.factor_of_item[item]
        if sizes[dim] - freed[dim] - 1 >= MIN_BOUND_ITEMS:
            out[slot] = (constraint, item)
    return out


def compare_levels(row: dict, reference: dict | None, assessed: bool = True,
                   difference: DifferenceTest | None = None) -> dict:
    """The differences of a level's row to the model accepted before it and the decision
    (:func:`constraint_decision`; under MLR on the robust CFI and RMSEA and the Satorra-Bentler
    2001 scaled difference; under WLSMV on the scaled CFI and RMSEA and ``difference``, the
    scaled-and-shifted difference test of :func:`servqual.sem.wlsmv_groups.wlsmv_difference`)."""
    if reference is None:
        return dict(compared_with="", decision="reference" if row["status"] == "ok" else "not_assessed")
    label = reference["level"] + (" (partial)" if reference["partial"] else "")
    delta_chisq, delta_df = row["chisq"] - reference["chisq"], row["df"] - reference["df"]
    p = float(chi2_sf(max(delta_chisq, 0.0), delta_df)) if delta_df > 0 else np.nan
    cfi, rmsea = {"MLR": ("cfi_robust", "rmsea_robust"), "WLSMV": ("cfi_scaled", "rmsea_scaled")}.get(
        row["estimator"], ("cfi", "rmsea"))
    out = dict(compared_with=label, delta_chisq=delta_chisq, delta_df=delta_df, p=p,
               delta_cfi=row.get(cfi, np.nan) - reference.get(cfi, np.nan),
               delta_rmsea=row.get(rmsea, np.nan) - reference.get(rmsea, np.nan))
    if row["estimator"] == "MLR" and delta_df > 0:
        d = scaled_difference(row["chisq"], row["df"], row.get("scaling_factor", np.nan), reference["chisq"],
                              reference["df"], reference.get("scaling_factor", np.nan))
        out |= dict(delta_chisq_scaled=d.chisq, difference_scaling_factor=d.scaling_factor, p=d.pvalue)
    if difference is not None:
        out |= dict(delta_chisq_scaled=difference.chisq, p=difference.pvalue)
    ok = assessed and row["status"] == "ok" and reference["status"] == "ok" and delta_df > 0
    out["decision"] = constraint_decision(out["delta_cfi"], out["delta_rmsea"], out["p"]) if ok else "not_assessed"
    return out


def constraint_decision(delta_cfi: float, delta_rmsea: float, p: float) -> str:
    """Whether added equality constraints hold: ``rejected`` when CFI drops by more than .01 or
    RMSEA rises by more than .015, else ``holds`` when the chi-square difference test keeps them
    (p >= .05) and ``holds_by_fit_indices`` when only it rejects them.

    >>> constraint_decision(-0.004, 0.002, 0.01), constraint_decision(-0.03, 0.0, 0.5)
    ('holds_by_fit_indices', 'rejected')
    """
    if delta_cfi < DELTA_CFI_MIN or delta_rmsea > DELTA_RMSEA_MAX:
        return "rejected"
    return "holds" if p >= ALPHA_LEVEL else "holds_by_fit_indices"


# --- the multi-group ladder ------------------------------------------------------------------------


@dataclass(frozen=True)
class Invariance:
    """The ``invariance``, ``invariance_released`` and ``latent_means`` tables of one grouping."""

    levels: pd.DataFrame
    released: pd.DataFrame
    latent_means: pd.DataFrame


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
        n = int((labels == label).sum())
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


class _GroupLadder:
    """The multi-group models of one grouping (:class:`LadderModel`): complete data (ML or
    MLR), or FIML from each group's missing-data patterns."""

    def __init__(self, factor_of_item: list[int], names: tuple[Sequence[str], Sequence[str], Sequence],
                 group_data: list, rows: list[np.ndarray], base: dict, note: str) -> None:
        self.factor_of_item, self.names, self.base, self.note = factor_of_item, names, base, note
        self.fiml = base["missing_policy"] == "ml"
        self.group_data, self.rows = group_data, rows
        self.robust = base["estimator"] == "MLR" and not self.fiml
        self.kurtosis = sample_kurtosis(rows) if self.robust else None

    def spec(self, level: str, released: frozenset) -> Spec:
        return invariance_spec(self.factor_of_item, len(self.names[1]), len(self.group_data), level, released)

    def fit(self, level: str, released: frozenset, reference: FittedLevel | None, *,
            assessed: bool = True) -> FittedLevel:
        spec = self.spec(level, released)
        if self.fiml:
            patterns = [d[0] for d in self.group_data]
            h1 = [d[1] for d in self.group_data]
            estimate = estimate_fiml(spec, patterns, [m[:2] for m in h1], nonnegative_variances=False)
            fi = fiml_fit(spec, patterns, estimate.params, h1).indices
        else:
            estimate = estimate_ml(spec, self.group_data)
            n = sum(st.n for st in self.group_data)
            fi = fit_indices(n * estimate.fmin, spec.df, *baseline_chisq(self.group_data), n, len(self.group_data))
        status, reason = _level_status(spec, estimate, self.names)
        row = dict(self.base, level=level, partial=any(c in EQUAL[level] for c, _ in released),
                   released=";".join(f"{c}:{self.names[0][i]}" for c, i in sorted(released)),
                   **_level_row(status, reason, self.note, fi))
        robust = robust_fit(spec, self.rows, estimate.params, self.group_data, self.kurtosis) if self.robust else None
        if robust is not None:
            row |= _robust_row(robust, fi, sum(st.n for st in self.group_data), len(self.group_data))
        row |= compare_levels(row, reference.row if reference else None, assessed)
        if self.fiml and row["decision"] == "rejected" and level in ADDED:
            row["reason"] = "; ".join(filter(None, [row["reason"], "partial invariance not searched under FIML "
                                                                  "(score tests need complete data)"]))
        return FittedLevel(spec, estimate, released, row, robust)

    def constraint_slots(self, fitted: FittedLevel, constraint: str) -> dict[int, int]:
        return spec_constraint_slots(fitted.spec, constraint)

    def score_tests(self, fitted: FittedLevel, slots: Sequence[int]) -> pd.DataFrame | None:
        if self.fiml:
            return None
        tests = release_score_tests(fitted.spec, self.group_data, fitted.estimate.params, slots=slots)
        return tests.assign(group=fitted.spec.group[tests["slot"].to_numpy(int)])

    def vcov(self, fitted: FittedLevel) -> np.ndarray:
        """Covariance of the estimates: expected information (ML), sandwich (MLR), observed
        information (FIML), lavaan's defaults."""
        spec, params = fitted.spec, fitted.estimate.params
        if self.fiml:
            return np.linalg.pinv(fiml_observed_information(spec, [d[0] for d in self.group_data], params))
        if self.robust:
            return fitted.robust.vcov
        return parameter_vcov(spec, self.group_data, params)


@single_blas_thread
def invariance_ladder(
    data: pd.DataFrame,
    item_dimension: Mapping[str, str],
    group: pd.Series,
    *,
    levels: Sequence[str] = LEVELS,
    min_group_size: int = 50,
    estimator: str = "ML",
    estimator_rule: str | None = None,
    missing: Missing = "listwise",
    confidence: float = 0.95,
) -> Invariance:
    """Configural, metric, scalar and strict invariance of the instrument's CFA across groups,
    with partial invariance where a level is rejected and the latent mean differences.

    chi2 = sum_g n_g F_g with F_g = log|Sigma_g| + tr(S_g Sigma_g^-1) - log|S_g| - p
    + (m_g - mu_g)' Sigma_g^-1 (m_g - mu_g) (multi-group ML, Jöreskog 1971, Psychometrika 36(4)),
    S_g with divisor n_g; CFI/TLI/RMSEA as lavaan (RMSEA times sqrt(G)) against the baseline of
    independent items with free means and variances per group. Tests: Delta chi2 on Delta df
    against the model accepted before; Delta CFI >= -.01 (Cheung & Rensvold 2002, Struct. Equ.
    Modeling 9(2)); Delta RMSEA <= .015 (Chen 2007, Struct. Equ. Modeling 14(3)). Partial
    invariance by score test (LM = s' I^-1 s, df 1; Byrne, Shavelson & Muthén 1989, Psychol.
    Bull. 105(3)); module docstring.

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
        Levels to fit, in the order configural, metric, scalar, strict.
    min_group_size : int
        Groups with fewer complete cases (with FIML: respondents) are skipped.
    estimator : {"ML", "MLR", "WLSMV", "auto"}
        ``MLR`` adds the scaled and robust statistics and decides on them (module docstring);
        ``WLSMV`` fits the ordinal ladder of :func:`servqual.ordinal_invariance.ordinal_invariance`;
        ``auto`` uses MLR when Mardia's kurtosis test rejects normality in any group
        (:func:`servqual.sem.robust.choose_estimator`).
    estimator_rule : str, optional
        What the study asked for, recorded as ``estimator_rule`` (default ``estimator``).
    missing : {"listwise", "ml", "auto"}
        Treatment of missing answers (:func:`servqual.cfa.missing_treatment`).
    confidence : float
        Level of the latent mean differences' intervals.

    Returns
    -------
    Invariance
        ``levels``: the ``invariance`` table, one row per level and one more per partial refit
        (``status`` is ok, heywood, latent_correlation, not_converged, not_identified or
        too_few_groups); ``released``: the ``invariance_released`` table; ``latent_means``: the
        ``latent_means`` table (columns in the module docstring), ``comparable`` False and no
        estimates where scalar invariance is rejected.

    Examples
    --------
    >>> hs = pd.read_csv("tests/data/holzinger_swineford.csv")  # lavaan::HolzingerSwineford1939
    >>> dims = {f"x{i}": ["visual", "textual", "speed"][(i - 1) // 3] for i in range(1, 10)}
    >>> result = invariance_ladder(hs, dims, hs["school"])
    >>> result.levels[["level", "released", "decision"]].values.tolist()  # doctest: +NORMALIZE_WHITESPACE
    [['configural', '', 'reference'], ['metric', '', 'holds'], ['scalar', '', 'rejected'],
     ['scalar', 'intercepts:x3;intercepts:x7', 'holds'],
     ['strict', 'intercepts:x3;intercepts:x7', 'holds_by_fit_indices']]
    >>> result.latent_means[["factor", "diff"]].round(3).values.tolist()
    [['visual', 0.051], ['textual', 0.576], ['speed', -0.071]]
    """
    items = check_items(data, item_dimension)
    group = _check_group(data, group)
    levels = _check_levels(levels)
    if estimator == "WLSMV":  # ordinal ratings (that module imports this one)
        from servqual.ordinal_invariance import ordinal_invariance
        return ordinal_invariance(data, item_dimension, group, levels=levels, min_group_size=min_group_size,
                                  estimator_rule=estimator_rule, confidence=confidence)
    factor_of_item, factors = measurement_layout(item_dimension, "instrument")
    x, labels = data[items].to_numpy(dtype=float), group.to_numpy()
    complete = ~np.isnan(x).any(axis=1) & pd.notna(labels)
    chosen = choose_estimator([x[complete & (labels == g)] for g in pd.unique(group[complete])], estimator)
    treatment = missing_treatment(data, items, missing, chosen)
    chosen = "ML" if treatment == "ml" else chosen  # robust FIML is not implemented
    used = (~np.isnan(x).all(axis=1) if treatment == "ml" else complete) & pd.notna(labels)
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
        rows = [dict(base, level=lv, partial=False, released="", status=status,
                     reason="; ".join(filter(None, [problem, note])), decision="not_assessed", means_comparable=False)
                for lv in levels]
        return Invariance(pd.DataFrame(rows, columns=INVARIANCE_COLUMNS).astype({"df": "Int64", "delta_df": "Int64"}),
                          pd.DataFrame(columns=RELEASED_COLUMNS), pd.DataFrame(columns=LATENT_DIFFERENCE_COLUMNS))
    names = ([str(i) for i in items], factors, [str(g) for g in kept])
    model = _GroupLadder(factor_of_item, names, [group_data[label] for label in kept],
                         [x[labels == label] for label in kept], base, note)
    fits, steps = search_ladder(model, levels, tuple(ADDED))
    table = pd.DataFrame([f.row for f in fits], columns=INVARIANCE_COLUMNS)
    scalar = [f for f in fits if f.row["level"] == "scalar" and f.row["decision"] in HOLDS]
    table["means_comparable"] = bool(scalar)
    means = latent_mean_differences(scalar[-1].spec, scalar[-1].estimate.params, model.vcov(scalar[-1]), factors,
                                    names[2], confidence) if scalar else _not_comparable(fits, factors, names[2])
    return Invariance(table.astype({"df": "Int64", "delta_df": "Int64"}), released_table(steps, names, chosen), means)


def measurement_invariance(data: pd.DataFrame, item_dimension: Mapping[str, str], group: pd.Series,
                           **options) -> pd.DataFrame:
    """Configural, metric, scalar and strict invariance of the instrument's CFA across groups:
    the ``invariance`` table of :func:`invariance_ladder` (same arguments), as lavaan's
    ``cfa(model, data, group = , group.equal = , group.partial = )`` fits.

    chi2 = sum_g n_g F_g (multi-group ML, Jöreskog 1971, Psychometrika 36(4)); each level holds
    when Delta CFI >= -.01 (Cheung & Rensvold 2002) and Delta RMSEA <= .015 (Chen 2007) against
    the model accepted before it, partially where constraints released by score test make it
    hold (Byrne, Shavelson & Muthén 1989).

    Examples
    --------
    >>> hs = pd.read_csv("tests/data/holzinger_swineford.csv")  # lavaan::HolzingerSwineford1939
    >>> dims = {f"x{i}": ["visual", "textual", "speed"][(i - 1) // 3] for i in range(1, 10)}
    >>> table = measurement_invariance(hs, dims, hs["school"], levels=("configural", "metric", "scalar"))
    >>> table[["level", "chisq", "df", "decision"]].round(3).values.tolist()  # doctest: +NORMALIZE_WHITESPACE
    [['configural', 115.851, 48, 'reference'], ['metric', 124.044, 54, 'holds'],
     ['scalar', 164.103, 60, 'rejected'], ['scalar', 129.422, 58, 'holds']]
    """
    return invariance_ladder(data, item_dimension, group, **options).levels


def _invariance_problem(factor_of_item: Sequence[int], factors: Sequence[str], kept: list) -> str:
    if len(kept) < 2:
        return f"{len(kept)} group(s) large enough to compare; invariance needs at least 2"
    return identification_problem(factor_of_item, factors, 0)


def _level_status(spec: Spec, estimate: Estimate,
                  names: tuple[Sequence[str], Sequence[str], Sequence]) -> tuple[str, str]:
    items, factors, groups = names
    if not estimate.converged:
        return "not_converged", estimate.reason
    status, improper = improper_solution(spec, estimate.params, items, factors, [str(g) for g in groups])
    return status, f"improper solution: {improper}" if improper else ""


def _robust_row(rf: RobustFit, fi: FitIndices, n: int, n_groups: int) -> dict:
    """The Yuan-Bentler scaled chi-square and the robust fit indices of one level ({} without a
    scaling factor)."""
    if not np.isfinite(rf.scaling_factor):
        return {}
    ri = robust_fit_indices(fi.chisq, fi.df, rf.scaling_factor, fi.baseline_chisq, fi.baseline_df,
                            rf.baseline_scaling_factor, n, n_groups)
    return {k: getattr(ri, k) for k in _ROBUST}


def _level_row(status: str, reason: str, note: str, fi: FitIndices) -> dict:
    return dict(status=status, reason="; ".join(filter(None, [reason, note])), chisq=fi.chisq, df=fi.df,
                pvalue=fi.pvalue, cfi=fi.cfi, tli=fi.tli, rmsea=fi.rmsea, rmsea_ci_low=fi.rmsea_ci_low,
                rmsea_ci_high=fi.rmsea_ci_high)


def released_table(steps: list[dict], names: tuple[Sequence[str], Sequence[str], Sequence[str]],
                    estimator: str) -> pd.DataFrame:
    """One row per released constraint: the largest score test of the step and its group, and
    every group whose test of the same parameter had p < .05."""
    items, _, groups = names
    rows = []
    for step in steps:
        tests, slot = step["tests"], step["slot"]
        best = tests[tests["slot"] == slot].iloc[0]
        significant = dict.fromkeys(groups[int(g)] for g, p in zip(tests["group"], tests["pvalue"]) if p < ALPHA_LEVEL)
        rows.append(dict(level=step["level"], order=step["order"], constraint=step["constraint"],
                         item=items[step["item"]], group=groups[int(best["group"])], groups=";".join(significant),
                         chisq=float(best["chisq"]), df=int(best["df"]), pvalue=float(best["pvalue"]),
                         estimator=estimator))
    return pd.DataFrame(rows, columns=RELEASED_COLUMNS)


def latent_mean_differences(spec: Spec, params: np.ndarray, vcov: np.ndarray, factors: Sequence[str],
                            groups: Sequence[str], confidence: float = 0.95) -> pd.DataFrame:
    """Latent mean of each factor in groups 2..G minus the first group's (0 by identification)
    under (partial) scalar invariance, with Wald SE, z, p and interval (lavaan's
    ``parameterEstimates``), and std_diff = diff / sqrt(psi_kk of the first group), the
    difference in the reference group's latent standard deviations (a latent Cohen's d;
    Hancock 2001, Psychometrika 66(3)).

    >>> spec = multigroup_spec([0, 0, 0], 1, 2, equal=("loadings", "intercepts"))
    >>> params = np.zeros(spec.n_free); params[spec.free[(spec.kind == ALPHA)][0]] = 0.5
    >>> params[spec.free[(spec.kind == PSI) & (spec.group == 0)][0]] = 4.0
    >>> table = latent_mean_differences(spec, params, np.eye(spec.n_free) * 0.01, ["f"], ["a", "b"])
    >>> table[["group", "diff", "std_diff"]].values.tolist()
    [['b', 0.5, 0.25]]
    """
    se_all = np.sqrt(np.clip(np.diag(vcov), 0, None))
    alpha = np.flatnonzero((spec.kind == ALPHA) & (spec.free >= 0))
    psi_ref = {int(spec.row[s]): params[spec.free[s]] for s in np.flatnonzero(
        (spec.kind == PSI) & (spec.group == 0) & (spec.row == spec.col))}
    free = spec.free[alpha]
    est, se = params[free], se_all[free]
    w = wald(est, se, confidence)
    k = spec.row[alpha].astype(int)
    sd = np.sqrt(np.array([max(psi_ref[j], 0.0) for j in k]))
    with np.errstate(divide="ignore", invalid="ignore"):
        std = np.where(sd > 0, est / sd, np.nan)
    return pd.DataFrame({
        "factor": [factors[j] for j in k], "group": [groups[g] for g in spec.group[alpha]], "reference": groups[0],
        "diff": est, "se": se, "z": w["z"], "pvalue": w["pvalue"], "ci_low": w["low"], "ci_high": w["high"],
        "std_diff": std, "confidence": float(confidence), "comparable": True}, columns=LATENT_DIFFERENCE_COLUMNS)


def _not_comparable(fits: list[FittedLevel], factors: Sequence[str], groups: Sequence[str]) -> pd.DataFrame:
    """One row per factor and group 2..G without estimates, where scalar invariance was tested
    and not accepted (none where the scalar level was not fitted)."""
    if not any(f.row["level"] == "scalar" for f in fits):
        return pd.DataFrame(columns=LATENT_DIFFERENCE_COLUMNS)
    rows = [dict(factor=f, group=g, reference=groups[0], comparable=False) for g in groups[1:] for f in factors]
    return pd.DataFrame(rows, columns=LATENT_DIFFERENCE_COLUMNS)
