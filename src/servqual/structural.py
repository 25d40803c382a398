"""From service quality to satisfaction and loyalty: a structural model of the outcomes.

The instrument's dimensions are latent factors measured by their items (perceptions, or P - E
gap scores); each outcome (overall satisfaction, intention to return, recommendation) is one
rating or a factor of several. Without a mediator every outcome is regressed on the dimensions;
with one (typically satisfaction) the mediator is regressed on the dimensions and every other
outcome on the mediator and the dimensions, so that each dimension has a direct effect and an
indirect effect through the mediator (partial mediation; Baron & Kenny 1986 as tested today:
Zhao, Lynch & Chen 2010, J. Consum. Res. 37(2)). Fitted by ML from the covariance matrix
(:func:`servqual.sem.model.structural_spec`, lavaan's ``sem()`` defaults); indirect effects
with Monte Carlo or bias-corrected bootstrap intervals (:mod:`servqual.sem.effects`).

Tables (:func:`fit_structural`): ``sem_fit`` (status, reason, n, npar, chisq, df, pvalue, cfi,
tli, rmsea, rmsea_ci_low, rmsea_ci_high, srmr, verdict, mediator, interval, n_draws: empty and 0
without a mediator or a proper solution, as no indirect effect is then drawn; draws_failed: the
bootstrap refits that did not converge, left out of the intervals),
``sem_paths`` (outcome, predictor, estimate, se, z, pvalue, ci_low, ci_high, std_all, std_se,
r2 of the outcome, confidence), ``sem_effects`` (outcome, predictor, effect, estimate, se, z,
pvalue, ci_low, ci_high, interval, std_all, std_se, confidence: direct and total effects with
Wald intervals, indirect effects with the ``interval`` method's).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from servqual.instrument import OVERALL, Instrument, measure_frames
from servqual.sem.effects import (
    EFFECT_COLUMNS,
    bias_corrected_interval,
    effect_pairs,
    effect_table,
    effect_values,
    monte_carlo_draws,
)
from servqual.sem.estimation import estimate_ml
from servqual.sem.fit import baseline_chisq, fit_indices, fit_verdict, srmr
from servqual.sem.information import parameter_vcov
from servqual.sem.model import Spec, group_matrices, identification_problem, structural_spec
from servqual.sem.parameters import parameter_table
from servqual.sem.postcheck import improper_solution
from servqual.sem.samplestats import check_items, group_stats, is_well_conditioned

__all__ = ["FIT_COLUMNS", "INTERVALS", "PATH_COLUMNS", "STRUCTURAL_EFFECT_COLUMNS", "StructuralResult", "fit_structural",
           "outcome_columns", "structural_layout", "structural_tables"]

Interval = Literal["monte_carlo", "bootstrap"]
INTERVALS: tuple[Interval, ...] = ("monte_carlo", "bootstrap")
FIT_COLUMNS = ["status", "reason", "n", "npar", "chisq", "df", "pvalue", "cfi", "tli", "rmsea", "rmsea_ci_low",
               "rmsea_ci_high", "srmr", "verdict", "mediator", "interval", "n_draws", "draws_failed"]
#: Fisher-scoring iterations a bootstrap refit gets from the estimates before it counts as failed
#: (a converging refit takes about ten).
BOOTSTRAP_ITERATIONS = 40
PATH_COLUMNS = ["outcome", "predictor", "estimate", "se", "z", "pvalue", "ci_low", "ci_high", "std_all", "std_se",
                "r2", "confidence"]
STRUCTURAL_EFFECT_COLUMNS = [*EFFECT_COLUMNS[:9], "interval", *EFFECT_COLUMNS[9:]]


@dataclass(frozen=True)
class StructuralResult:
    """The ``sem_fit`` (one row), ``sem_paths`` and ``sem_effects`` tables of one model."""

    fit: pd.DataFrame
    paths: pd.DataFrame
    effects: pd.DataFrame


def structural_layout(item_dimension: Mapping[str, str], outcomes: Mapping[str, Sequence[str]],
                      mediator: str | None) -> tuple[list[str], list[int], list[str], dict[int, list[int]]]:
    """Observed variables, the factor of each, the factor names and the regressions of the model.

    >>> structural_layout({"a1": "a", "a2": "a"}, {"sat": ["s"], "ret": ["r"]}, "sat")
    (['a1', 'a2', 's', 'r'], [0, 0, 1, 2], ['a', 'sat', 'ret'], {1: [0], 2: [1, 0]})
    """
    dims = list(dict.fromkeys(item_dimension.values()))
    if mediator is not None and mediator not in outcomes:
        raise ValueError(f"the mediator {mediator!r} is not one of the outcomes {list(outcomes)}")
    factors = dims + list(outcomes)
    columns = list(item_dimension) + [c for cols in outcomes.values() for c in cols]
    factor_of = [dims.index(d) for d in item_dimension.values()]
    factor_of += [factors.index(o) for o, cols in outcomes.items() for _ in cols]
    dim_ids = list(range(len(dims)))
    regressions = {}
    for name in outcomes:
        k = factors.index(name)
        if mediator is None or name == mediator:
            regressions[k] = dim_ids
        else:
            regressions[k] = [factors.index(mediator), *dim_ids]
    return columns, factor_of, factors, regressions


def fit_structural(data: pd.DataFrame, item_dimension: Mapping[str, str], outcomes: Mapping[str, Sequence[str]],
                   *, mediator: str | None = None, confidence: float = 0.95, interval: Interval = "bootstrap",
                   n_draws: int = 1000, seed: int = 0) -> StructuralResult:
    """Fit the structural model from the dimensions to the outcomes (module docstring).

    chi2 = N F_ML of the model Sigma = Lambda (I - B)^-1 Psi (I - B)^-T Lambda' + Theta,
    with lavaan's fit indices; direct effects B, total (I - B)^-1 - I, indirect total - direct.

    Parameters
    ----------
    data : pd.DataFrame
        One row per respondent: the items of ``item_dimension`` and the outcomes' columns
        (listwise deletion over all of them).
    item_dimension : mapping
        Item -> dimension in the instrument's order (the first item of a dimension its marker).
    outcomes : mapping
        Outcome name -> its columns (one column: the rating itself; several: a factor).
    mediator : str, optional
        The outcome through which the dimensions act on the others.
    confidence : float
        Level of every interval.
    interval : {"bootstrap", "monte_carlo"}
        Intervals of the indirect effects: bias-corrected percentiles of ``n_draws`` bootstrap
        refits (resampled respondents, each fit started at the estimates), or percentiles of
        ``n_draws`` Monte Carlo draws from the estimates' asymptotic normal distribution.
    n_draws, seed : int
        Draws or resamples, and the seed of their generator.

    Examples
    --------
    >>> d = pd.read_csv("tests/data/structural_sim.csv")  # lavaan: sem(model, data) with := effects
    >>> dims = {f"{a}{i}": a.upper() for a in "abc" for i in (1, 2, 3)}
    >>> r = fit_structural(d, dims, {"sat": ["sat"], "ret": ["ret"], "rec": ["rec"]}, mediator="sat")
    >>> round(float(r.fit["chisq"].iloc[0]), 3), int(r.fit["df"].iloc[0])
    (38.01, 42)
    """
    if interval not in INTERVALS:
        raise ValueError(f"interval must be one of {INTERVALS}, got {interval!r}")
    columns, factor_of, factors, regressions = structural_layout(item_dimension, outcomes, mediator)
    check_items(data, dict.fromkeys(columns, ""))
    x = data[columns].to_numpy(float)
    x = x[~np.isnan(x).any(axis=1)]
    spec = structural_spec(factor_of, len(factors), regressions)
    base = dict(n=len(x), npar=spec.n_free, df=spec.df, mediator=mediator or "", interval=interval, n_draws=n_draws,
                draws_failed=0)
    problem = _problem(x, factor_of, factors, spec)
    if problem:
        return _empty(dict(base, status="not_identified", reason=problem))
    st = group_stats(x)
    estimate = estimate_ml(spec, [st])
    status, reason = "ok", ""
    if not estimate.converged:
        status, reason = "not_converged", estimate.reason
    else:
        status, improper = improper_solution(spec, estimate.params, columns, factors)
        reason = f"improper solution: {improper}" if improper else ""
    vcov = parameter_vcov(spec, [st], estimate.params)
    paths = _paths(spec, estimate.params, vcov, columns, factors, confidence)
    effects = effect_table(spec, estimate.params, vcov, factors, confidence).assign(interval="wald")
    # Only indirect effects get draws, and only from a proper solution: without a mediator there
    # are none, and refits of an improper model spend minutes on numbers nobody should read.
    if mediator is None or status != "ok":
        base |= dict(interval="", n_draws=0)
    else:
        draws = (_bootstrap(spec, x, estimate.params, n_draws, seed) if interval == "bootstrap" else
                 monte_carlo_draws(lambda p: effect_values(spec, p, effect_pairs(spec)), estimate.params, vcov,
                                   n_draws, np.random.default_rng(seed)))
        base["draws_failed"] = n_draws - len(draws)
        effects = _indirect_intervals(spec, estimate.params, effects, draws, factors, interval, confidence)
    fit = _fit_row(spec, st, estimate, base, status, reason)
    return StructuralResult(pd.DataFrame([fit], columns=FIT_COLUMNS), paths, effects[STRUCTURAL_EFFECT_COLUMNS])


def outcome_columns(instrument: Instrument) -> dict[str, list[str]]:
    """Each outcome of the study (``overall`` first where it has one) -> its canonical columns."""
    columns = {OVERALL: [OVERALL]} if instrument.has_overall else {}
    columns.update({o.id: o.canonical_columns for o in instrument.outcomes})
    return columns


def structural_tables(responses: pd.DataFrame, instrument: Instrument, *, source: str = "perception",
                      mediator: str | None = None, interval: Interval = "bootstrap", n_draws: int = 1000,
                      confidence: float = 0.95, seed: int = 0) -> StructuralResult | None:
    """:func:`fit_structural` on a wave's cleaned responses: the dimensions measured by their
    perception ratings (``source = "perception"``) or P - E gap scores (``"gap"``), to the
    study's outcomes; None where the study has no outcome."""
    outcomes = outcome_columns(instrument)
    if not outcomes:
        return None
    frames = measure_frames(responses, instrument, with_gap=source == "gap")
    data = pd.concat([frames[source], responses[[c for cols in outcomes.values() for c in cols]]], axis=1)
    return fit_structural(data, instrument.item_dimension, outcomes, mediator=mediator, confidence=confidence,
                          interval=interval, n_draws=n_draws, seed=seed)


def _problem(x: np.ndarray, factor_of: Sequence[int], factors: Sequence[str], spec: Spec) -> str:
    measured = [f for f, k in zip(factors, np.bincount(factor_of)) if k > 1]
    layout = [measured.index(factors[f]) for f in factor_of if factors[f] in measured]
    problem = identification_problem(layout, measured, spec.df) if measured else ""
    if problem:
        return problem
    if len(x) <= x.shape[1]:
        return f"too few respondents (n = {len(x)})"
    if not is_well_conditioned(np.cov(x, rowvar=False)):
        return f"{len(x)} complete cases for {x.shape[1]} items: the covariance matrix is singular"
    return ""


def _empty(row: dict) -> StructuralResult:
    return StructuralResult(pd.DataFrame([row], columns=FIT_COLUMNS), pd.DataFrame(columns=PATH_COLUMNS),
                            pd.DataFrame(columns=STRUCTURAL_EFFECT_COLUMNS))


def _fit_row(spec: Spec, st, estimate, base: dict, status: str, reason: str) -> dict:
    fi = fit_indices(st.n * estimate.fmin, spec.df, *baseline_chisq([st]), st.n)
    value = srmr(st.cov, group_matrices(spec, estimate.params, 0).sigma)
    return dict(base, status=status, reason=reason, chisq=fi.chisq, pvalue=fi.pvalue, cfi=fi.cfi, tli=fi.tli,
                rmsea=fi.rmsea, rmsea_ci_low=fi.rmsea_ci_low, rmsea_ci_high=fi.rmsea_ci_high, srmr=value,
                verdict=fit_verdict(fi.cfi, fi.tli, fi.rmsea, value))


def _paths(spec: Spec, params: np.ndarray, vcov: np.ndarray, columns: Sequence[str], factors: Sequence[str],
           confidence: float) -> pd.DataFrame:
    """The regressions with their outcome's R^2 (from its disturbance variance row)."""
    table = parameter_table(spec, params, vcov, columns, factors, confidence=confidence)
    r2 = table[table["parameter"] == "disturbance_variance"].set_index("lhs")["r2"]
    paths = table[table["parameter"] == "regression"].rename(columns={"lhs": "outcome", "rhs": "predictor"})
    return paths.assign(r2=paths["outcome"].map(r2))[PATH_COLUMNS].reset_index(drop=True)


def _bootstrap(spec: Spec, x: np.ndarray, params: np.ndarray, n_draws: int, seed: int) -> np.ndarray:
    """Effects of the refits to ``n_draws`` resamples of the respondents that converge, each
    started at the estimates (Fisher scoring and Newton steps only, at most
    :data:`BOOTSTRAP_ITERATIONS`; the count of the others is the fit row's ``draws_failed``)."""
    rng, pairs = np.random.default_rng(seed), effect_pairs(spec)
    out = []
    for _ in range(n_draws):
        refit = estimate_ml(spec, [group_stats(x[rng.integers(0, len(x), len(x))])], params, fallback=False,
                            max_iterations=BOOTSTRAP_ITERATIONS)
        if refit.converged:
            out.append(effect_values(spec, refit.params, pairs))
    return np.array(out).reshape(len(out), 3 * len(pairs))


def _indirect_intervals(spec: Spec, params: np.ndarray, effects: pd.DataFrame, draws: np.ndarray,
                        factors: Sequence[str], interval: Interval, confidence: float) -> pd.DataFrame:
    """The indirect effects' intervals from the draws: bias-corrected bootstrap percentiles, or
    Monte Carlo percentiles."""
    pairs = effect_pairs(spec)
    if not len(draws):  # no refit converged: no interval rather than the delta method's under another name
        low = high = np.full(3 * len(pairs), np.nan)
    elif interval == "bootstrap":
        low, high = bias_corrected_interval(effect_values(spec, params, pairs), draws, confidence)
    else:
        tail = (1 - confidence) / 2
        low, high = np.quantile(draws, tail, axis=0), np.quantile(draws, 1 - tail, axis=0)
    position = {(factors[o], factors[p]): 3 * i + 1 for i, (o, p) in enumerate(pairs)}  # indirect: 2nd of 3
    effects = effects.copy()
    indirect = effects["effect"] == "indirect"
    at = [position[(o, p)] for o, p in zip(effects.loc[indirect, "outcome"], effects.loc[indirect, "predictor"])]
    effects.loc[indirect, "ci_low"] = low[at]
    effects.loc[indirect, "ci_high"] = high[at]
    effects.loc[indirect, "interval"] = interval
    return effects
