"""Per-parameter output: lavaan's ``parameterEstimates`` and ``standardizedSolution`` in one table.

Every slot of the model (free or fixed) is one row, named as lavaan names it: ``=~`` for a
loading (factor =~ item, and factor =~ dimension for a second-order path), ``~~`` for a
(co)variance, ``~1`` for an intercept or latent mean. Unstandardized estimates have the Wald
test z = est / SE, two-sided normal p = 2 P(Z > |z|) and the interval est -+ z_(1 - a/2) SE,
with SE from the inverse information (Rosseel 2012, J. Stat. Softw. 48(2)); a fixed parameter
has none. The standardized (std.all) values of :mod:`servqual.sem.standardize` have their own
delta-method SE, test and interval (a factor covariance standardized is the factor correlation);
R^2 = 1 - residual variance / variance stands on the residual-variance rows.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from servqual.distributions import norm_ppf, norm_sf
from servqual.sem.blas import single_blas_thread
from servqual.sem.model import ALPHA, BETA, LAMBDA, NU, PSI, THETA, Spec, slot_values
from servqual.sem.standardize import (
    delta_method_se,
    r_squared,
    std_all,
    std_all_jacobian,
)

__all__ = ["PARAMETER_COLUMNS", "parameter_table", "wald"]

#: Columns of :func:`parameter_table`.
PARAMETER_COLUMNS = ["group", "lhs", "op", "rhs", "parameter", "free", "estimate", "se", "z", "pvalue", "ci_low",
                     "ci_high", "std_all", "std_se", "std_z", "std_pvalue", "std_ci_low", "std_ci_high", "r2",
                     "confidence"]


def wald(estimate: np.ndarray, se: np.ndarray, confidence: float) -> dict[str, np.ndarray]:
    """z = est / se, two-sided p = 2 P(Z > |z|) and the interval est -+ z_(1 - a/2) se (lavaan);
    no z or p where the SE is 0 (a value fixed by standardization).

    >>> {k: round(float(v[0]), 3) for k, v in wald(np.array([0.5]), np.array([0.1]), 0.95).items()}
    {'z': 5.0, 'pvalue': 0.0, 'low': 0.304, 'high': 0.696}
    """
    # A value fixed by the standardization (a factor's own variance, 1) has SE 0: no test (lavaan: NA).
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se > 0, estimate / se, np.nan)
    half = norm_ppf(1 - (1 - confidence) / 2) * se
    return {"z": z, "pvalue": 2 * norm_sf(np.abs(z)), "low": estimate - half, "high": estimate + half}


def _slot_names(spec: Spec, items: Sequence[str], factors: Sequence[str]) -> tuple[list, list, list, list]:
    """lhs, op, rhs and a plain name of each slot."""
    lhs, op, rhs, kind_name = [], [], [], []
    endogenous = set(spec.row[spec.kind == BETA])
    measured = set(spec.col[spec.kind == LAMBDA])
    for kind, row, col in zip(spec.kind, spec.row, spec.col):
        if kind == LAMBDA:
            entry = (factors[col], "=~", items[row], "loading")
        elif kind == BETA and col in measured:  # a regression among factors measured by items
            entry = (factors[row], "~", factors[col], "regression")
        elif kind == BETA:  # a second-order factor, measured by the first-order ones
            entry = (factors[col], "=~", factors[row], "second_order_loading")
        elif kind == PSI:
            a, b = min(row, col), max(row, col)
            name = ("disturbance_variance" if row in endogenous else "factor_variance") if a == b else "factor_covariance"
            entry = (factors[a], "~~", factors[b], name)
        elif kind == THETA:
            a, b = min(row, col), max(row, col)
            entry = (items[a], "~~", items[b], "residual_variance" if a == b else "residual_covariance")
        elif kind == NU:
            entry = (items[row], "~1", "", "intercept")
        else:
            entry = (factors[row], "~1", "", "latent_mean")
        for column, value in zip((lhs, op, rhs, kind_name), entry):
            column.append(value)
    return lhs, op, rhs, kind_name


_KIND_ORDER = {LAMBDA: 0, BETA: 1, THETA: 2, PSI: 3, NU: 4, ALPHA: 5}


@single_blas_thread
def parameter_table(spec: Spec, params: np.ndarray, vcov: np.ndarray, items: Sequence[str],
                    factors: Sequence[str], groups: Sequence[str] = (), confidence: float = 0.95) -> pd.DataFrame:
    """Every parameter with its estimate, SE, z, p and interval, standardized and not, and R^2.

    Rows are ordered by group, then loadings, second-order loadings, residual (co)variances,
    factor (co)variances, intercepts and latent means, each in model order (lavaan's order).

    Parameters
    ----------
    spec, params
        The model and its estimates.
    vcov : array
        Covariance matrix of the free parameters (:func:`servqual.sem.information.parameter_vcov`).
    items, factors : sequence of str
        Names of the observed and latent variables.
    groups : sequence of str
        Group names ('' for a single group when empty).
    confidence : float
        Level of the intervals.

    Returns
    -------
    pd.DataFrame
        Columns :data:`PARAMETER_COLUMNS`: ``parameter`` is loading, second_order_loading,
        regression (``outcome ~ predictor``), residual_variance, residual_covariance,
        factor_variance, disturbance_variance, factor_covariance, intercept or latent_mean; ``free`` is False for a fixed parameter
        (a marker loading), which has no SE, test or interval; ``std_*`` are the std.all value
        (a correlation for a covariance) with its delta-method SE, test and interval; ``r2`` on
        residual and disturbance variance rows.
    """
    values = slot_values(spec, params)
    free = spec.free >= 0
    se = np.where(free, np.sqrt(np.maximum(np.diag(vcov)[np.maximum(spec.free, 0)], 0.0)), np.nan)
    std = std_all(spec, params)
    std_se = delta_method_se(std_all_jacobian(spec, params), vcov)
    fixed_std = ~np.isfinite(std)
    std_se[fixed_std] = np.nan
    lhs, op, rhs, kind_name = _slot_names(spec, items, factors)
    # An exogenous factor's standardized variance is 1 by construction: SE exactly 0, as lavaan
    # prints it (its Jacobian row is round-off that differs between CPUs).
    std_se[np.array(kind_name) == "factor_variance"] = 0.0
    est_tests, std_tests = wald(values, se, confidence), wald(std, std_se, confidence)
    r2 = np.full(len(values), np.nan)
    for g in range(spec.n_groups):
        r2_item, r2_eta = r_squared(spec, params, g)
        sel = (spec.group == g) & (spec.row == spec.col)
        s = sel & (spec.kind == THETA)
        r2[s] = r2_item[spec.row[s]]
        s = sel & (spec.kind == PSI) & np.isin(spec.row, spec.row[spec.kind == BETA])
        r2[s] = r2_eta[spec.row[s]]
    table = pd.DataFrame({
        "group": [groups[g] if groups else "" for g in spec.group], "lhs": lhs, "op": op, "rhs": rhs,
        "parameter": kind_name, "free": free, "estimate": values, "se": se, "z": est_tests["z"],
        "pvalue": est_tests["pvalue"], "ci_low": est_tests["low"], "ci_high": est_tests["high"], "std_all": std,
        "std_se": std_se, "std_z": std_tests["z"], "std_pvalue": std_tests["pvalue"], "std_ci_low": std_tests["low"],
        "std_ci_high": std_tests["high"], "r2": r2, "confidence": float(confidence),
    })
    order = np.lexsort((np.arange(len(values)), [_KIND_ORDER[k] for k in spec.kind], spec.group))
    return table.iloc[order].reset_index(drop=True)[PARAMETER_COLUMNS]
