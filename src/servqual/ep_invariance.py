"""Do expectations and perceptions measure the same constructs? Invariance across E and P.

A gap P - E of item means is a difference of constructs only if the respondents read each item
the same way when stating what they expect and what they perceived. The same respondents answer
both, so this is invariance across two occasions, tested by one CFA of both sets of ratings
(Widaman, Ferrer & Conger 2010, Child Dev. Perspect. 4(1); semTools' ``measEq.syntax`` with
``longFacNames``): a factor per dimension on the E items and one on the P items, all factors
correlated, the E and P residuals of each item correlated (the same wording read twice), the
first item of each dimension its marker, ML with mean structure
(:func:`servqual.sem.model.two_occasion_spec`). Levels, each against the model accepted before it:

- configural: the same pattern of loadings on both occasions;
- metric: each P loading equal to its E loading (the dimensions mean the same);
- scalar: also each P intercept equal to its E intercept, P latent means free (differences of
  item means are differences of the dimensions);
- strict: also equal residual variances (differences of observed scores are, too).

Decisions as :func:`servqual.invariance.constraint_decision` (Delta CFI >= -.01, Delta RMSEA <=
.015, chi-square difference test); under MLR (:mod:`servqual.sem.robust`) on the robust CFI and
RMSEA and the Satorra-Bentler (2001) scaled difference, as the invariance across groups. Where metric or scalar equality is rejected, the constraint
with the largest score test (:func:`servqual.sem.score.release_score_tests`, lavaan's
``lavTestScore``) is released and the level refitted, one at a time, until the level holds or a
dimension would keep fewer than two items bound on both occasions (its marker counts): partial
invariance (Byrne, Shavelson & Muthén 1989, Psychol. Bull. 105(3)). An item whose loading was
released also has its intercept released at the scalar level. Latent means of P relative to E
can be compared where scalar equality holds, fully or partially.

Table ``ep_invariance`` (:func:`ep_invariance`): level, partial, released, estimator, status,
reason, n, chisq, df, pvalue, cfi, tli, rmsea, rmsea_ci_low, rmsea_ci_high, scaling_factor,
chisq_scaled, cfi_robust, rmsea_robust (NaN under ML), compared_with, delta_chisq, delta_df,
delta_chisq_scaled (NaN under ML), p, delta_cfi, delta_rmsea, decision, means_comparable. ``released`` lists the
constraints left out as ``constraint:item`` separated by ``;``. Table ``ep_latent_means``
(:func:`ep_latent_means`): dimension, estimate (P latent mean minus E's, in the marker item's
rating points), se, z, pvalue, ci_low, ci_high, std_all, confidence.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from servqual.cfa import continuous_estimator
from servqual.invariance import (
    ADDED,
    EQUAL,
    HOLDS,
    FittedLevel,
    compare_levels,
    search_ladder,
    spec_constraint_slots,
)
from servqual.sem.estimation import estimate_ml
from servqual.sem.fit import baseline_chisq, fit_indices
from servqual.sem.information import parameter_vcov
from servqual.sem.model import Spec, identification_problem, measurement_layout, two_occasion_spec
from servqual.sem.parameters import parameter_table
from servqual.sem.postcheck import improper_solution
from servqual.sem.robust import choose_estimator, robust_fit, robust_fit_indices
from servqual.sem.samplestats import GroupStats, check_items, group_stats, is_well_conditioned
from servqual.sem.score import release_score_tests

__all__ = ["EP_COLUMNS", "EP_LEVELS", "LATENT_MEAN_COLUMNS", "EPInvariance", "ep_invariance", "ep_latent_means"]

EP_LEVELS: tuple[str, ...] = ("configural", "metric", "scalar", "strict")
#: Levels whose rejection is followed by a search for partial invariance.
PARTIAL_LEVELS = ("metric", "scalar")

EP_COLUMNS = ["level", "partial", "released", "estimator", "status", "reason", "n", "chisq", "df", "pvalue", "cfi",
              "tli", "rmsea", "rmsea_ci_low", "rmsea_ci_high", "scaling_factor", "chisq_scaled", "cfi_robust",
              "rmsea_robust", "compared_with", "delta_chisq", "delta_df", "delta_chisq_scaled", "p", "delta_cfi",
              "delta_rmsea", "decision", "means_comparable"]
LATENT_MEAN_COLUMNS = ["dimension", "estimate", "se", "z", "pvalue", "ci_low", "ci_high", "std_all", "confidence"]


@dataclass(frozen=True)
class EPInvariance:
    """The ``ep_invariance`` and ``ep_latent_means`` tables of one set of respondents."""

    levels: pd.DataFrame
    latent_means: pd.DataFrame


def ep_invariance(expectation: pd.DataFrame, perception: pd.DataFrame, item_dimension: Mapping[str, str], *,
                  confidence: float = 0.95, estimator: str = "ML") -> EPInvariance:
    """Invariance of the instrument's measurement model across expectations and perceptions.

    chi2 = N F_ML of the two-occasion model with mean structure (module docstring), CFI, TLI and
    RMSEA as lavaan against the independence model of the 2p ratings; tests between levels as
    :func:`servqual.invariance.measurement_invariance`. Respondents with every E and P rating
    of the items (listwise deletion).

    Parameters
    ----------
    expectation, perception : pd.DataFrame
        The same respondents (same index), one numeric column per item (the same item ids).
    item_dimension : mapping
        Item id -> dimension id in the instrument's order (first item = marker of its dimension).
    confidence : float
        Level of the latent means' intervals.
    estimator : {"ML", "MLR", "WLSMV", "auto"}
        ``MLR`` adds the scaled and robust statistics and decides on them; ``auto`` uses MLR when
        Mardia's kurtosis test rejects normality (:func:`servqual.sem.robust.choose_estimator`);
        ``WLSMV`` (the study's CFA estimator) means MLR here (:func:`servqual.cfa.continuous_estimator`).

    Returns
    -------
    EPInvariance
        ``levels``: the ``ep_invariance`` table; ``latent_means``: the ``ep_latent_means`` table
        from the accepted (partial) scalar model, empty where scalar equality is rejected.

    Examples
    --------
    >>> from pathlib import Path
    >>> d = pd.read_csv(Path("tests/data/ep_sim.csv"))  # semTools::measEq.syntax(longFacNames = ...)
    >>> items = {f"{a}{i}": a for a in "abc" for i in range(1, 5)}
    >>> e = d.filter(like="E_").set_axis(list(items), axis=1)
    >>> p = d.filter(like="P_").set_axis(list(items), axis=1)
    >>> result = ep_invariance(e, p, items)
    >>> result.levels[["level", "partial", "released", "decision"]].values.tolist()  # doctest: +NORMALIZE_WHITESPACE
    [['configural', False, '', 'reference'], ['metric', False, '', 'holds'],
     ['scalar', False, '', 'rejected'], ['scalar', True, 'intercepts:b2', 'holds_by_fit_indices'],
     ['strict', True, 'intercepts:b2', 'holds']]
    """
    items = check_items(expectation, item_dimension)
    check_items(perception, item_dimension)
    estimator = continuous_estimator(estimator)
    factor_of_item, dims = measurement_layout(item_dimension, "instrument")
    x = np.hstack([expectation[items].to_numpy(float), perception.loc[expectation.index, items].to_numpy(float)])
    x = x[~np.isnan(x).any(axis=1)]
    problem = identification_problem(factor_of_item, dims, 0) or _data_problem(x)
    if problem:
        rows = [dict(level=lv, partial=False, released="", estimator=choose_estimator([x], estimator) if len(x) > x.shape[1]
                     else ("ML" if estimator == "auto" else estimator), status="not_identified", reason=problem, n=len(x), decision="not_assessed", means_comparable=False) for lv in EP_LEVELS]
        return EPInvariance(pd.DataFrame(rows, columns=EP_COLUMNS), pd.DataFrame(columns=LATENT_MEAN_COLUMNS))
    search = _Search(factor_of_item, x, items, dims, choose_estimator([x], estimator))
    fits, _ = search_ladder(search, EP_LEVELS, PARTIAL_LEVELS)
    levels = pd.DataFrame([f.row for f in fits], columns=EP_COLUMNS)
    comparable = any(f.row["level"] == "scalar" and f.row["decision"] in HOLDS for f in fits)
    levels["means_comparable"] = comparable
    scalar = [f for f in fits if f.row["level"] == "scalar" and f.row["decision"] in HOLDS]
    means = ep_latent_means(scalar[-1].spec, search.stats, scalar[-1].estimate.params, dims, confidence) \
        if scalar else pd.DataFrame(columns=LATENT_MEAN_COLUMNS)
    return EPInvariance(levels.astype({"df": "Int64", "delta_df": "Int64"}), means)


def _data_problem(x: np.ndarray) -> str:
    """Why the ratings cannot be fitted ('' when they can)."""
    if len(x) <= x.shape[1]:
        return f"too few respondents (n = {len(x)})"
    if not is_well_conditioned(np.cov(x, rowvar=False)):
        return f"{len(x)} complete cases for {x.shape[1]} items: the covariance matrix is singular"
    return ""


class _Search:
    """The two-occasion models of one set of respondents
    (:class:`servqual.invariance.LadderModel`)."""

    def __init__(self, factor_of_item: Sequence[int], x: np.ndarray, items: Sequence[str], dims: Sequence[str],
                 estimator: str) -> None:
        self.factor_of_item, self.x, self.items, self.dims = list(factor_of_item), x, items, dims
        self.stats: list[GroupStats] = [group_stats(x)]
        self.n, self.estimator = len(x), estimator
        self.names = ([f"E_{i}" for i in items] + [f"P_{i}" for i in items],
                      [f"E_{d}" for d in dims] + [f"P_{d}" for d in dims])

    def fit(self, level: str, released: frozenset, reference: FittedLevel | None, *,
            assessed: bool = True) -> FittedLevel:
        spec = two_occasion_spec(self.factor_of_item, len(self.dims), equal=EQUAL[level], released=released)
        estimate = estimate_ml(spec, self.stats)
        status, reason = "not_converged", estimate.reason
        if estimate.converged:
            status, improper = improper_solution(spec, estimate.params, *self.names)
            reason = f"improper solution: {improper}" if improper else ""
        fi = fit_indices(self.n * estimate.fmin, spec.df, *baseline_chisq(self.stats), self.n)
        row = dict(level=level, partial=any(c == ADDED.get(level) or c in EQUAL[level] for c, _ in released),
                   released=";".join(f"{c}:{self.items[i]}" for c, i in sorted(released)), estimator=self.estimator,
                   status=status, reason=reason, n=self.n, chisq=fi.chisq, df=fi.df, pvalue=fi.pvalue, cfi=fi.cfi,
                   tli=fi.tli, rmsea=fi.rmsea, rmsea_ci_low=fi.rmsea_ci_low, rmsea_ci_high=fi.rmsea_ci_high)
        if self.estimator == "MLR":
            row |= self.robust(spec, estimate.params, fi)
        row.update(compare_levels(row, reference.row if reference else None, assessed))
        return FittedLevel(spec, estimate, released, row)

    def robust(self, spec: Spec, params: np.ndarray, fi) -> dict:
        """The Yuan-Bentler scaled chi-square and the robust CFI and RMSEA of one level."""
        rf = robust_fit(spec, [self.x], params, self.stats)
        ri = robust_fit_indices(fi.chisq, fi.df, rf.scaling_factor, fi.baseline_chisq, fi.baseline_df,
                                rf.baseline_scaling_factor, self.n, 1)
        return dict(scaling_factor=ri.scaling_factor, chisq_scaled=ri.chisq_scaled, cfi_robust=ri.cfi_robust,
                    rmsea_robust=ri.rmsea_robust)

    def constraint_slots(self, fitted: FittedLevel, constraint: str) -> dict[int, int]:
        """The second-occasion slots of ``constraint`` -> item."""
        return spec_constraint_slots(fitted.spec, constraint, len(self.items))

    def score_tests(self, fitted: FittedLevel, slots: Sequence[int]) -> pd.DataFrame:
        tests = release_score_tests(fitted.spec, self.stats, fitted.estimate.params, slots=slots)
        return tests.assign(group=fitted.spec.group[tests["slot"].to_numpy(int)])


def ep_latent_means(spec: Spec, stats_list: Sequence[GroupStats], params: np.ndarray, dims: Sequence[str],
                    confidence: float = 0.95) -> pd.DataFrame:
    """P latent means of a (partial) scalar two-occasion model, E's being 0: the change of each
    dimension from expectation to perception, with Wald SE (expected information), test and
    interval, and its std.all value (divided by the P factor's standard deviation), as lavaan's
    ``parameterEstimates`` and ``standardizedSolution``.
    """
    vcov = parameter_vcov(spec, stats_list, params)
    items = [f"i{k}" for k in range(spec.n_items)]
    factors = list(dims) * 2
    table = parameter_table(spec, params, vcov, items, factors, confidence=confidence)
    means = table[table["parameter"] == "latent_mean"]
    return pd.DataFrame({
        "dimension": means["lhs"].to_numpy(), "estimate": means["estimate"].to_numpy(),
        "se": means["se"].to_numpy(), "z": means["z"].to_numpy(), "pvalue": means["pvalue"].to_numpy(),
        "ci_low": means["ci_low"].to_numpy(), "ci_high": means["ci_high"].to_numpy(),
        "std_all": means["std_all"].to_numpy(), "confidence": float(confidence),
    }, columns=LATENT_MEAN_COLUMNS)
