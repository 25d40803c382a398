"""Confirmatory factor analysis (CFA) of the instrument's dimensions, with validity evidence.

The instrument's model puts each dimension on one factor and each item on its dimension's
factor (marker-variable identification: the first item of each factor has loading 1), estimated
by normal-theory maximum likelihood (ML) from the covariance matrix (listwise deletion, divisor
n as lavaan's default ``likelihood = "normal"``). The fit itself is done by semopy; every figure
semopy gets wrong or lacks (chi-square conventions, CFI clamp, RMSEA with N and its confidence
interval, SRMR, log-likelihood, AIC, BIC, standard errors of the standardized solution,
modification indices) is computed here from the estimates, following lavaan 0.6 (Rosseel 2012,
J. Stat. Softw. 48(2)).

The model algebra (LISREL all-y notation, Jöreskog 1973) is shared with
:mod:`servqual.invariance`, which fits multi-group models with equality constraints itself:

    Sigma = Lambda A Psi A' Lambda' + Theta,   mu = nu + Lambda A alpha,   A = (I - B)^-1.

Tables (the pipeline adds ``wave`` and ``measure``):

``cfa_fit`` (:func:`compare_models`)
    model, estimator, converged, status, reason, n, npar, chisq, df, pvalue, baseline_chisq, baseline_df,
    cfi, tli, rmsea, rmsea_ci_low, rmsea_ci_high, rmsea_pclose, srmr, loglik, aic, bic,
    verdict, delta_chisq, delta_df, p_difference (differences against the instrument's model).
``cfa_loadings`` (:func:`standardized_loadings`)
    model, factor, item, std_loading, se, r2, estimate, estimate_se, z, pvalue, ci_low, ci_high,
    std_ci_low, std_ci_high, confidence. For the second-order model the dimensions appear as
    ``item`` of the second-order factor, with their own R^2.
``cfa_factor_correlations`` (:func:`factor_correlation_table`)
    model, factor_a, factor_b, r, se, z, pvalue, ci_low, ci_high, confidence: the factor
    covariances that are free parameters (the instrument's model), standardized.
``cfa_validity`` (:func:`validity_table`)
    kind, dimension_a, dimension_b, value, criterion, ok. ``cr`` and ``ave``: one row per
    dimension (dimension_b empty); ``fornell_larcker``: diagonal rows (a == b) hold sqrt(AVE)
    and pairs hold |factor correlation| with criterion min(sqrt AVE_a, sqrt AVE_b);
    ``htmt``: one row per pair. Pivot ``fornell_larcker`` rows on (a, b) for the usual table.
``cfa_hints`` (:func:`residual_modification_indices`)
    item_a, item_b, mi, residual_r, rank.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Literal

import numpy as np
import pandas as pd
from scipy import optimize, stats

__all__ = [
    "CFAResult",
    "CFATables",
    "FitIndices",
    "average_variance_extracted",
    "cfa_tables",
    "compare_models",
    "composite_reliability",
    "factor_correlation_table",
    "fit_cfa",
    "fit_indices",
    "fit_verdict",
    "htmt",
    "model_indicators",
    "residual_modification_indices",
    "srmr",
    "standardized_loadings",
    "validity_table",
]

Model = Literal["one_factor", "instrument", "second_order"]
MODELS: tuple[Model, ...] = ("one_factor", "instrument", "second_order")
ONE_FACTOR_NAME = "general"
SECOND_ORDER_NAME = "service_quality"

#: Hu & Bentler (1999, Struct. Equ. Modeling 6(1)) cutoffs: (good, acceptable).
CFI_CUTOFFS = (0.95, 0.90)
TLI_CUTOFFS = (0.95, 0.90)
RMSEA_CUTOFFS = (0.06, 0.08)
SRMR_CUTOFF = 0.08
#: Fornell & Larcker (1981, J. Marketing Res. 18(1)); Bagozzi & Yi (1988, JAMS 16(1)).
CR_CUTOFF = 0.70
AVE_CUTOFF = 0.50
#: Henseler, Ringle & Sarstedt (2015, JAMS 43(1)): HTMT below .85 (strict) or .90 (liberal).
HTMT_CUTOFF = 0.85

#: Standardized residual variance at or below this counts as a Heywood case (improper solution).
_HEYWOOD_TOL = 1e-4
#: Largest gradient component of F_ML accepted as converged.
_GRADIENT_TOL = 1e-4

_LAMBDA, _BETA, _PSI, _THETA, _NU, _ALPHA = range(6)
_VARIANCE_KINDS = (_PSI, _THETA)



# --------------------------------------------------------------------------------------------
# Model algebra shared with servqual.invariance
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _GroupStats:
    """Sufficient statistics of one group: n, means and the ML covariance matrix (divisor n)."""

    n: int
    mean: np.ndarray
    cov: np.ndarray


@dataclass(frozen=True)
class _Spec:
    """Parameter table of a factor model over one or more groups.

    One row ("slot") per model-matrix entry that is free or fixed to a non-zero value; slots
    sharing a free index are constrained equal. ``free == -1`` marks a fixed slot.
    """

    n_items: int
    n_factors: int
    n_groups: int
    meanstructure: bool
    kind: np.ndarray
    group: np.ndarray
    row: np.ndarray
    col: np.ndarray
    free: np.ndarray
    value: np.ndarray

    @property
    def n_free(self) -> int:
        return int(self.free.max()) + 1

    @property
    def df(self) -> int:
        p = self.n_items
        moments = p * (p + 1) // 2 + (p if self.meanstructure else 0)
        return self.n_groups * moments - self.n_free


def _build_spec(
    slots: Iterable[tuple[int, int, int, int, Hashable | None, float]],
    n_items: int,
    n_factors: int,
    n_groups: int,
    meanstructure: bool,
) -> _Spec:
    """Turn (kind, group, row, col, key, value) slots into a spec; equal keys share a parameter."""
    rows = list(slots)
    keys: dict[Hashable, int] = {}
    free = [-1 if key is None else keys.setdefault(key, len(keys)) for *_, key, _ in rows]
    kind, group, row, col, _, value = zip(*rows)
    return _Spec(
        n_items, n_factors, n_groups, meanstructure,
        np.array(kind), np.array(group), np.array(row), np.array(col),
        np.array(free), np.array(value, dtype=float),
    )


def _cfa_slots(
    factor_of_item: Sequence[int],
    n_factors: int,
    group: int,
    *,
    key_prefix: Hashable,
    shared_loadings: bool = False,
) -> list[tuple]:
    """Slots of a simple-structure CFA in one group (loadings, factor (co)variances, residuals).

    The first item of each factor is its marker (loading fixed to 1). With ``shared_loadings``
    the free loadings carry group-free keys so that all groups share them (metric invariance).
    """
    slots = []
    seen: set[int] = set()
    for i, j in enumerate(factor_of_item):
        if j in seen:
            key = ("lambda", i) if shared_loadings else (key_prefix, "lambda", i)
            slots.append((_LAMBDA, group, i, j, key, 0.0))
        else:
            seen.add(j)
            slots.append((_LAMBDA, group, i, j, None, 1.0))
    slots += [(_PSI, group, k, l, (key_prefix, "psi", k, l), 0.0)
              for k in range(n_factors) for l in range(k + 1)]
    slots += [(_THETA, group, i, i, (key_prefix, "theta", i), 0.0)
              for i in range(len(factor_of_item))]
    return slots


def _single_group_spec(factor_of_item: Sequence[int], n_factors: int, second_order: bool) -> _Spec:
    """Single-group spec without mean structure: correlated factors, or one second-order factor.

    The second-order factor is the last latent variable; the first dimension is its marker.
    First-order factors then have disturbance variances only (no covariances).
    """
    p = len(factor_of_item)
    slots = _cfa_slots(factor_of_item, n_factors, 0, key_prefix=0)
    if not second_order:
        return _build_spec(slots, p, n_factors, 1, False)
    q = n_factors
    slots = [s for s in slots if s[0] != _PSI]
    slots += [(_BETA, 0, k, q, None if k == 0 else ("beta", k), 1.0 if k == 0 else 0.0)
              for k in range(n_factors)]
    slots += [(_PSI, 0, k, k, ("psi", k), 0.0) for k in range(n_factors + 1)]
    return _build_spec(slots, p, n_factors + 1, 1, False)


@dataclass(frozen=True)
class _Matrices:
    """Model matrices and implied moments of one group."""

    lam: np.ndarray
    beta: np.ndarray
    psi: np.ndarray
    theta: np.ndarray
    nu: np.ndarray
    alpha: np.ndarray
    a_inv: np.ndarray  # A = (I - B)^-1
    eta_cov: np.ndarray  # M = A Psi A'
    sigma: np.ndarray
    mu: np.ndarray


def _slot_values(spec: _Spec, params: np.ndarray) -> np.ndarray:
    return np.where(spec.free >= 0, params[np.maximum(spec.free, 0)], spec.value)


def _group_matrices(spec: _Spec, params: np.ndarray, g: int) -> _Matrices:
    """Fill the model matrices of group g from the parameter vector and compute Sigma and mu."""
    p, m = spec.n_items, spec.n_factors
    sel = spec.group == g
    kind, row, col, val = spec.kind[sel], spec.row[sel], spec.col[sel], _slot_values(spec, params)[sel]
    mats = {_LAMBDA: np.zeros((p, m)), _BETA: np.zeros((m, m)), _PSI: np.zeros((m, m)),
            _THETA: np.zeros((p, p)), _NU: np.zeros(p), _ALPHA: np.zeros(m)}
    for k, mat in mats.items():
        s = kind == k
        if mat.ndim == 1:
            mat[row[s]] = val[s]
        else:
            mat[row[s], col[s]] = val[s]
            if k in _VARIANCE_KINDS:
                mat[col[s], row[s]] = val[s]
    lam, beta, psi, theta = mats[_LAMBDA], mats[_BETA], mats[_PSI], mats[_THETA]
    a_inv = np.linalg.inv(np.eye(m) - beta)
    eta_cov = a_inv @ psi @ a_inv.T
    sigma = lam @ eta_cov @ lam.T + theta
    mu = mats[_NU] + lam @ a_inv @ mats[_ALPHA]
    return _Matrices(lam, beta, psi, theta, mats[_NU], mats[_ALPHA], a_inv, eta_cov, sigma, mu)


def _slot_derivatives(
    spec: _Spec, g: int, mats: _Matrices
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Derivatives of Sigma and mu of group g with respect to its free slots.

    Returns the free indices of the slots, dSigma (slots x p x p) and dmu (slots x p). Each
    dSigma is H + H' with H = e_i (Lambda M)_j' for a loading, (Lambda A)_k (Lambda M)_l' for a
    regression B_kl, and halved outer products on the diagonal of Psi and Theta.
    """
    p = spec.n_items
    sel = np.flatnonzero((spec.group == g) & (spec.free >= 0))
    kind, row, col = spec.kind[sel], spec.row[sel], spec.col[sel]
    la = mats.lam @ mats.a_inv
    lm = mats.lam @ mats.eta_cov
    a_alpha = mats.a_inv @ mats.alpha
    n = len(sel)
    h = np.zeros((n, p, p))
    dmu = np.zeros((n, p))
    idx = np.arange(n)

    s = kind == _LAMBDA
    h[idx[s], row[s], :] = lm[:, col[s]].T
    dmu[idx[s], row[s]] = a_alpha[col[s]]
    s = kind == _BETA
    h[s] = la[:, row[s]].T[:, :, None] * lm[:, col[s]].T[:, None, :]
    dmu[s] = la[:, row[s]].T * a_alpha[col[s]][:, None]
    s = kind == _PSI
    half = np.where(row[s] == col[s], 0.5, 1.0)
    h[s] = half[:, None, None] * la[:, row[s]].T[:, :, None] * la[:, col[s]].T[:, None, :]
    s = kind == _THETA
    h[idx[s], row[s], col[s]] = np.where(row[s] == col[s], 0.5, 1.0)
    s = kind == _NU
    dmu[idx[s], row[s]] = 1.0
    s = kind == _ALPHA
    dmu[s] = la[:, row[s]].T
    return spec.free[sel], h + h.transpose(0, 2, 1), dmu


def _discrepancy(stats_g: _GroupStats, mats: _Matrices, meanstructure: bool) -> float:
    """F_ML of one group: log|Sigma| + tr(S Sigma^-1) - log|S| - p (+ (m - mu)' Sigma^-1 (m - mu))."""
    chol = np.linalg.cholesky(mats.sigma)
    inv = np.linalg.inv(mats.sigma)
    f = 2 * np.log(np.diag(chol)).sum() + np.sum(stats_g.cov * inv)
    f -= np.linalg.slogdet(stats_g.cov)[1] + len(stats_g.mean)
    if meanstructure:
        d = stats_g.mean - mats.mu
        f += d @ inv @ d
    return float(f)


def _discrepancy_gradient(spec: _Spec, stats_g: _GroupStats, mats: _Matrices, g: int) -> np.ndarray:
    """Analytic gradient of F_ML of group g: dF = tr(W dSigma) - 2 d' Sigma^-1 dmu,
    W = Sigma^-1 - Sigma^-1 (S + d d') Sigma^-1, d = m - mu."""
    inv = np.linalg.inv(mats.sigma)
    s = stats_g.cov
    d = stats_g.mean - mats.mu if spec.meanstructure else np.zeros(spec.n_items)
    w = inv - inv @ (s + np.outer(d, d)) @ inv
    free, dsigma, dmu = _slot_derivatives(spec, g, mats)
    slot_grad = np.einsum("ij,sij->s", w, dsigma) - 2 * dmu @ (inv @ d)
    return np.bincount(free, weights=slot_grad, minlength=spec.n_free)


def _objective(spec: _Spec, stats_list: Sequence[_GroupStats], params: np.ndarray) -> float:
    """Multi-group F_ML = sum_g (n_g / N) F_g; the ML chi-square is N times its minimum."""
    n = sum(st.n for st in stats_list)
    return sum(st.n / n * _discrepancy(st, _group_matrices(spec, params, g), spec.meanstructure)
               for g, st in enumerate(stats_list))


def _gradient(spec: _Spec, stats_list: Sequence[_GroupStats], params: np.ndarray) -> np.ndarray:
    n = sum(st.n for st in stats_list)
    return sum(st.n / n * _discrepancy_gradient(spec, st, _group_matrices(spec, params, g), g)
               for g, st in enumerate(stats_list))


def _free_derivatives(spec: _Spec, g: int, mats: _Matrices) -> tuple[np.ndarray, np.ndarray]:
    """dSigma (free x p x p) and dmu (free x p) of group g by free parameter (shared slots summed)."""
    free, dsigma, dmu = _slot_derivatives(spec, g, mats)
    onehot = np.zeros((spec.n_free, len(free)))
    onehot[free, np.arange(len(free))] = 1.0
    return np.einsum("qs,sij->qij", onehot, dsigma), onehot @ dmu


def _information(spec: _Spec, stats_list: Sequence[_GroupStats], params: np.ndarray) -> np.ndarray:
    """Total expected information sum_g n_g [1/2 tr(S^-1 dS_a S^-1 dS_b) + dmu_a' S^-1 dmu_b]."""
    info = np.zeros((spec.n_free, spec.n_free))
    for g, st in enumerate(stats_list):
        mats = _group_matrices(spec, params, g)
        dsigma, dmu = _free_derivatives(spec, g, mats)
        info += st.n * _unit_information(mats.sigma, dsigma, dmu, spec.meanstructure)
    return info


def _unit_information(sigma: np.ndarray, dsigma: np.ndarray, dmu: np.ndarray,
                      meanstructure: bool) -> np.ndarray:
    """Expected information of one observation for parameters with derivatives dsigma, dmu."""
    chol_inv = np.linalg.inv(np.linalg.cholesky(sigma))
    white = chol_inv @ dsigma @ chol_inv.T
    info = 0.5 * np.einsum("aij,bij->ab", white, white)
    if meanstructure:
        wmu = dmu @ chol_inv.T
        info += wmu @ wmu.T
    return info


def _fit_ml(spec: _Spec, stats_list: Sequence[_GroupStats],
            start: np.ndarray) -> optimize.OptimizeResult:
    """Minimise the multi-group F_ML with L-BFGS-B and the analytic gradient.

    Non-positive-definite Sigma during the line search gets a large finite value (the line
    search then steps back), so the optimiser never sees NaN.
    """
    def fun(x: np.ndarray) -> tuple[float, np.ndarray]:
        try:
            return _objective(spec, stats_list, x), _gradient(spec, stats_list, x)
        except np.linalg.LinAlgError:
            return 1e10, np.zeros_like(x)

    return optimize.minimize(fun, start, jac=True, method="L-BFGS-B",
                             options={"maxiter": 20000, "maxfun": 40000, "ftol": 1e-15, "gtol": 1e-9})


def _loglik(spec: _Spec, stats_list: Sequence[_GroupStats], params: np.ndarray) -> tuple[float, float]:
    """Model and unrestricted log-likelihoods,
    -n/2 (p log 2 pi + log|Sigma| + tr(S Sigma^-1) [+ (m - mu)' Sigma^-1 (m - mu)])."""
    model = unrestricted = 0.0
    for g, st in enumerate(stats_list):
        p = len(st.mean)
        mats = _group_matrices(spec, params, g)
        f = _discrepancy(st, mats, spec.meanstructure)
        base = p * np.log(2 * np.pi) + np.linalg.slogdet(st.cov)[1] + p
        model += -st.n / 2 * (base + f)
        unrestricted += -st.n / 2 * base
    return model, unrestricted


def _baseline_chisq(stats_list: Sequence[_GroupStats]) -> tuple[float, int]:
    """Independence model (free variances and means): chi2 = sum_g n_g (sum log s_ii - log|S_g|)."""
    chisq = sum(st.n * (np.log(np.diag(st.cov)).sum() - np.linalg.slogdet(st.cov)[1])
                for st in stats_list)
    p = len(stats_list[0].mean)
    return float(chisq), len(stats_list) * p * (p - 1) // 2


def _group_stats(x: np.ndarray) -> _GroupStats:
    """Means and ML covariance (divisor n, as lavaan with likelihood = "normal")."""
    mean = x.mean(axis=0)
    centred = x - mean
    return _GroupStats(len(x), mean, centred.T @ centred / len(x))


def _is_positive_definite(mat: np.ndarray) -> bool:
    try:
        np.linalg.cholesky(mat)
    except np.linalg.LinAlgError:
        return False
    return True


def _is_well_conditioned(cov: np.ndarray, tol: float = 1e-10) -> bool:
    """Positive definite with a margin: the smallest eigenvalue of the correlation matrix > tol
    (an exact linear combination of items leaves rounding-level eigenvalues that Cholesky accepts)."""
    sd = np.sqrt(np.diag(cov))
    if not (sd > 0).all():
        return False
    return bool(np.linalg.eigvalsh(cov / np.outer(sd, sd)).min() > tol)


def _improper_solution(spec: _Spec, params: np.ndarray, item_names: Sequence[str],
                       factor_names: Sequence[str], group_names: Sequence[str] = ()) -> tuple[str, str]:
    """Status and description of an improper solution, ``("ok", "")`` when it is proper.

    ``heywood``: a Heywood case, a standardized residual (or disturbance) variance <= 0 (within
    tolerance), naming the item or factor. ``latent_correlation``: no variance is improper but
    the factor covariance matrix is not positive definite, i.e. some latent correlation is 1 or
    more, or a dimension is a linear combination of others; the pairs of dimensions whose latent
    correlation reaches .99 are named (they are not distinct).
    """
    variances, latent = [], []
    for g in range(spec.n_groups):
        where = f" in group {group_names[g]}" if group_names else ""
        mats = _group_matrices(spec, params, g)
        item_resid = np.diag(mats.theta) / np.diag(mats.sigma)
        variances += [f"residual variance of {item_names[i]}{where} = {mats.theta[i, i]:.4g}"
                      for i in np.flatnonzero(item_resid <= _HEYWOOD_TOL)]
        eta_var = np.diag(mats.eta_cov)
        endogenous = mats.beta.any(axis=1)
        latent_resid = np.where(endogenous, np.diag(mats.psi) / np.where(eta_var > 0, eta_var, 1.0), 1.0)
        variances += [f"disturbance variance of {factor_names[k]}{where} = {mats.psi[k, k]:.4g}"
                      for k in np.flatnonzero(latent_resid <= _HEYWOOD_TOL)]
        if np.linalg.eigvalsh(mats.eta_cov).min() <= _HEYWOOD_TOL * max(eta_var.max(), 1e-300):
            latent.append(_latent_dependence(mats.eta_cov, factor_names, where))
    if variances:
        return "heywood", "; ".join(dict.fromkeys(variances + latent))
    if latent:
        return "latent_correlation", "; ".join(dict.fromkeys(latent))
    return "ok", ""


#: Latent correlations at or above this (in absolute value) name a pair of dimensions as not distinct.
LATENT_R_LIMIT = 0.99


def _latent_dependence(eta_cov: np.ndarray, factor_names: Sequence[str], where: str) -> str:
    """Words for a factor covariance matrix that is not positive definite: the pairs of factors
    whose correlation reaches :data:`LATENT_R_LIMIT`, or a linear dependence among several."""
    scale = np.sqrt(np.clip(np.diag(eta_cov), 1e-300, None))
    r = eta_cov / np.outer(scale, scale)
    pairs = [f"{factor_names[a]} and {factor_names[b]} (r = {r[a, b]:.3f})"
             for a, b in zip(*np.triu_indices_from(r, 1)) if abs(r[a, b]) >= LATENT_R_LIMIT]
    if pairs:
        return f"latent correlation of {LATENT_R_LIMIT:g} or more{where}, the dimensions are not distinct: " + ", ".join(pairs)
    return f"factor covariance matrix{where} is not positive definite: a dimension is a linear combination of others"


# --------------------------------------------------------------------------------------------
# Fit indices shared with servqual.invariance
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FitIndices:
    """Chi-square based fit indices, computed as lavaan 0.6 does for ML."""

    chisq: float
    df: int
    pvalue: float
    baseline_chisq: float
    baseline_df: int
    cfi: float
    tli: float
    rmsea: float
    rmsea_ci_low: float
    rmsea_ci_high: float
    rmsea_pclose: float


def fit_indices(
    chisq: float,
    df: int,
    baseline_chisq: float,
    baseline_df: int,
    n: int,
    n_groups: int = 1,
    *,
    level: float = 0.90,
    close_fit: float = 0.05,
) -> FitIndices:
    """CFI, TLI, RMSEA with its confidence interval and p-close, from the model and baseline chi-squares.

    CFI = 1 - max(X2 - df, 0) / max(X2 - df, X2_0 - df_0, 0) (Bentler 1990, Psychol. Bull.
    107(2)), 1 when both are 0; TLI = 1 - (X2 - df) df_0 / ((X2_0 - df_0) df) (Tucker & Lewis
    1973, Psychometrika 38(1)), not clamped, as lavaan; RMSEA = sqrt(max(X2/df - 1, 0) / N)
    * sqrt(G) (Steiger 1990, Multivariate Behav. Res. 25(2); the multi-group factor as lavaan),
    with N = total sample size (not N - 1). The CI inverts the noncentral chi-square: the
    noncentrality lambda with P(X2; df, lambda) = .95 (.05) gives the lower (upper) bound
    sqrt(lambda / (N df)) * sqrt(G); p-close = P(chi2(df, lambda0) > X2) with
    lambda0 = N df .05^2 / G (Browne & Cudeck 1993).

    Parameters
    ----------
    chisq, df : float, int
        Model chi-square (N F_ML) and its degrees of freedom.
    baseline_chisq, baseline_df : float, int
        Chi-square and df of the independence (baseline) model.
    n : int
        Total sample size N over all groups.
    n_groups : int
        Number of groups G.
    level : float
        Confidence level of the RMSEA interval.
    close_fit : float
        RMSEA under the null hypothesis of close fit.

    Returns
    -------
    FitIndices

    Examples
    --------
    >>> fi = fit_indices(85.30552, 24, 918.8516, 36, 301)  # Holzinger-Swineford, lavaan
    >>> round(fi.cfi, 4), round(fi.rmsea, 4), round(fi.rmsea_ci_low, 4), round(fi.rmsea_ci_high, 4)
    (0.9306, 0.0921, 0.0714, 0.1137)
    """
    pvalue = float(stats.chi2.sf(chisq, df)) if df > 0 else np.nan
    t1 = max(chisq - df, 0.0)
    t2 = max(chisq - df, baseline_chisq - baseline_df, 0.0)
    cfi = 1.0 if np.isclose(t1, 0) and np.isclose(t2, 0) else 1 - t1 / t2
    tli_den = (baseline_chisq - baseline_df) * df
    tli = 1 - (chisq - df) * baseline_df / tli_den if df > 0 and tli_den != 0 else 1.0
    scale = np.sqrt(n_groups / (n * df)) if df > 0 else 0.0  # lavaan: RMSEA and its CI are 0 at df 0
    rmsea = float(np.sqrt(max(chisq - df, 0.0)) * scale)
    low, high = _rmsea_noncentrality_interval(chisq, df, n, level)
    pclose = float(stats.ncx2.sf(chisq, df, n * df * close_fit**2 / n_groups)) if df > 0 else np.nan
    return FitIndices(float(chisq), int(df), pvalue, float(baseline_chisq), int(baseline_df),
                      float(cfi), float(tli), rmsea, float(np.sqrt(low) * scale),
                      float(np.sqrt(high) * scale), pclose)


def _rmsea_noncentrality_interval(chisq: float, df: int, n: int, level: float) -> tuple[float, float]:
    """Noncentrality bounds lambda_L, lambda_U with P(X2; df, lambda) = 1 - a/2 and a/2 (lavaan)."""
    if df < 1:
        return 0.0, 0.0
    upper_p, lower_p = 1 - (1 - level) / 2, (1 - level) / 2

    def cdf(lam: float) -> float:
        return stats.chi2.cdf(chisq, df) if lam == 0 else stats.ncx2.cdf(chisq, df, lam)

    low = 0.0 if cdf(0) < upper_p else optimize.brentq(lambda x: cdf(x) - upper_p, 0, chisq, xtol=1e-10)
    top = max(n, 4 * chisq)
    high = (0.0 if cdf(0) < lower_p or cdf(top) > lower_p
            else optimize.brentq(lambda x: cdf(x) - lower_p, 0, top, xtol=1e-10))
    return low, high


def srmr(sample_cov: np.ndarray | pd.DataFrame, implied_cov: np.ndarray | pd.DataFrame) -> float:
    """Standardized root mean square residual (lavaan's ``srmr``, no mean structure).

    SRMR = sqrt( sum_{i<=j} ((s_ij - sigma_ij) / sqrt(s_ii s_jj))^2 / (p (p + 1) / 2) )
    (Bentler 1995, EQS manual; Hu & Bentler 1999, Struct. Equ. Modeling 6(1)).

    Parameters
    ----------
    sample_cov, implied_cov : array (p x p)
        Sample covariance matrix and the model-implied covariance matrix.

    Returns
    -------
    float

    Examples
    --------
    >>> s = np.array([[1.0, 0.5], [0.5, 1.0]])
    >>> round(srmr(s, np.eye(2)), 4)
    0.2887
    """
    s, sigma = np.asarray(sample_cov, float), np.asarray(implied_cov, float)
    sd = np.sqrt(np.diag(s))
    resid = (s - sigma) / np.outer(sd, sd)
    lower = resid[np.tril_indices_from(resid)]
    return float(np.sqrt(np.mean(lower**2)))


def fit_verdict(cfi: float, tli: float, rmsea: float, srmr_value: float) -> str:
    """Verdict on model fit against Hu & Bentler's (1999, Struct. Equ. Modeling 6(1)) cutoffs.

    ``good``: CFI and TLI >= .95, RMSEA <= .06, SRMR <= .08; ``acceptable``: CFI and TLI >= .90,
    RMSEA <= .08, SRMR <= .08; ``poor`` otherwise; ``not assessed`` when an index is missing.

    Examples
    --------
    >>> fit_verdict(0.931, 0.896, 0.092, 0.065)
    'poor'
    """
    values = np.array([cfi, tli, rmsea, srmr_value], dtype=float)
    if np.isnan(values).any():
        return "not assessed"
    for label, rank in (("good", 0), ("acceptable", 1)):
        if (cfi >= CFI_CUTOFFS[rank] and tli >= TLI_CUTOFFS[rank] and rmsea <= RMSEA_CUTOFFS[rank]
                and srmr_value <= SRMR_CUTOFF):
            return label
    return "poor"


# --------------------------------------------------------------------------------------------
# Single-group CFA fitted with semopy
# --------------------------------------------------------------------------------------------


_RESULT_LOADING_COLUMNS = ["factor", "item", "std_loading", "se", "r2", "estimate", "estimate_se"]


@dataclass(frozen=True)
class CFAResult:
    """A fitted single-group CFA.

    Attributes
    ----------
    model : str
        ``one_factor``, ``instrument`` or ``second_order``.
    status : str
        ``ok``, ``heywood`` (a residual variance <= 0, numbers reported), ``latent_correlation``
        (factor covariance matrix not positive definite: a latent correlation of 1 or more, numbers
        reported), ``not_converged`` (numbers
        from the last iterate), ``not_positive_definite`` (sample covariance singular, nothing
        fitted), ``not_identified`` (nothing fitted) or ``failed`` (semopy raised).
    reason : str
        Why the status is not ``ok`` ('' when it is).
    converged : bool
        The optimiser reported success and the gradient of F_ML is below tolerance.
    n : int
        Respondents used (listwise complete on the model's items).
    items, factors : tuple of str
        Observed and latent variables (for ``second_order`` the last factor is the
        second-order factor).
    indices : FitIndices or None
        Chi-square based fit indices (None when nothing was fitted).
    srmr, loglik, unrestricted_loglik, aic, bic : float
        Further fit measures (NaN when nothing was fitted).
    npar : int
        Number of free parameters.
    sample_cov, implied_cov : pd.DataFrame or None
        ML sample covariance (divisor n) and the model-implied covariance.
    loadings : pd.DataFrame
        One row per loading: factor, item, std_loading, se, r2, estimate, estimate_se
        (:func:`standardized_loadings` adds the tests and intervals).
    factor_correlations : pd.DataFrame
        Model-implied correlations between the first-order factors (square, factor names).
    factor_correlation_se : pd.DataFrame
        Their delta-method standard errors (square, 0 on the diagonal).
    """

    model: str
    status: str
    reason: str
    converged: bool
    n: int
    items: tuple[str, ...]
    factors: tuple[str, ...]
    indices: FitIndices | None = None
    srmr: float = np.nan
    loglik: float = np.nan
    unrestricted_loglik: float = np.nan
    aic: float = np.nan
    bic: float = np.nan
    npar: int = 0
    sample_cov: pd.DataFrame | None = None
    implied_cov: pd.DataFrame | None = None
    loadings: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=_RESULT_LOADING_COLUMNS, dtype=float).astype({"factor": object, "item": object}))
    factor_correlations: pd.DataFrame = field(default_factory=pd.DataFrame)
    factor_correlation_se: pd.DataFrame = field(default_factory=pd.DataFrame)
    _spec: _Spec | None = field(default=None, repr=False)
    _params: np.ndarray | None = field(default=None, repr=False)

    @property
    def verdict(self) -> str:
        """:func:`fit_verdict` of this fit; ``not assessed`` unless the status is ``ok``."""
        if self.status != "ok" or self.indices is None:
            return "not assessed"
        return fit_verdict(self.indices.cfi, self.indices.tli, self.indices.rmsea, self.srmr)


def _check_items(data: pd.DataFrame, item_dimension: Mapping[str, str]) -> list[str]:
    if not isinstance(data, pd.DataFrame):
        raise TypeError("data must be a pandas DataFrame with one column per item")
    if not item_dimension:
        raise ValueError("item_dimension is empty: give a mapping item id -> dimension id")
    items = list(item_dimension)
    missing = [i for i in items if i not in data.columns]
    if missing:
        raise ValueError(f"items of the mapping not found in the data: {missing}")
    not_numeric = [i for i in items if not pd.api.types.is_numeric_dtype(data[i])]
    if not_numeric:
        raise ValueError(f"items must be numeric ratings; not numeric: {not_numeric}")
    return items


def _model_layout(item_dimension: Mapping[str, str], model: Model) -> tuple[list[int], list[str]]:
    """Factor index of each item and the factor names (in the instrument's order)."""
    if model == "one_factor":
        return [0] * len(item_dimension), [ONE_FACTOR_NAME]
    dims = list(dict.fromkeys(item_dimension.values()))
    factors = dims + [SECOND_ORDER_NAME] if model == "second_order" else dims
    return [dims.index(d) for d in item_dimension.values()], factors


def model_indicators(item_dimension: Mapping[str, str], model: Model) -> dict[str, list[str]]:
    """The model :func:`fit_cfa` fits, as factor -> indicators in order (the first is the marker
    whose loading is fixed to 1): items on their dimensions (``instrument``), all items on
    ``general`` (``one_factor``), and for ``second_order`` also the dimensions on
    ``service_quality``. First-order factors correlate freely only in ``instrument``.

    >>> model_indicators({"a1": "a", "a2": "a", "b1": "b", "b2": "b"}, "one_factor")
    {'general': ['a1', 'a2', 'b1', 'b2']}
    """
    factor_of_item, factors = _model_layout(item_dimension, model)
    indicators = {factors[k]: [i for i, f in zip(item_dimension, factor_of_item) if f == k]
                  for k in sorted(set(factor_of_item))}
    if model == "second_order":
        indicators[factors[-1]] = factors[:-1]
    return indicators


def _identification_problem(factor_of_item: Sequence[int], factors: Sequence[str], spec: _Spec,
                            model: Model) -> str:
    sizes = np.bincount(factor_of_item, minlength=len(set(factor_of_item)))
    single = [factors[k] for k in np.flatnonzero(sizes < 2)]
    if single:
        return f"dimensions with fewer than 2 items cannot be identified: {single}"
    if model == "second_order" and len(sizes) < 3:
        return "a second-order factor needs at least 3 dimensions"
    if len(sizes) == 1 and sizes[0] < 3:
        return "a single factor needs at least 3 items"
    if spec.df < 0:
        return f"more free parameters than moments (df = {spec.df})"
    return ""


def fit_cfa(
    data: pd.DataFrame,
    item_dimension: Mapping[str, str],
    *,
    model: Model = "instrument",
) -> CFAResult:
    """Fit a CFA of the items by normal-theory ML with semopy and compute lavaan's fit measures.

    chi2 = N F_ML, F_ML = log|Sigma| + tr(S Sigma^-1) - log|S| - p, S with divisor N
    (Jöreskog 1969, Psychometrika 34(2); lavaan's default for ML, Rosseel 2012, J. Stat.
    Softw. 48(2)).

    The model is fitted from the covariance matrix, so its cost does not depend on n beyond
    computing that matrix. Missing values: listwise deletion over the model's items. Problems of
    the data or the solution never raise: they are reported in ``status`` and ``reason``.

    Parameters
    ----------
    data : pd.DataFrame
        One row per respondent, one numeric column per item (NaN = missing).
    item_dimension : mapping
        Item id -> dimension id, ordered as the instrument orders them. The first item of each
        dimension is its marker variable.
    model : {"instrument", "one_factor", "second_order"}
        ``instrument``: one factor per dimension, factors correlated; ``one_factor``: all items
        on one factor; ``second_order``: the dimensions load on one second-order factor
        (needs at least 3 dimensions).

    Returns
    -------
    CFAResult

    Examples
    --------
    >>> import importlib.resources
    >>> path = importlib.resources.files("semopy") / "examples/holzinger_swineford39_data.csv"
    >>> hs = pd.read_csv(path, index_col=0)
    >>> dims = {f"x{i}": ["visual", "textual", "speed"][(i - 1) // 3] for i in range(1, 10)}
    >>> fit = fit_cfa(hs, dims)
    >>> round(fit.indices.chisq, 2), fit.indices.df, round(fit.indices.rmsea, 3)
    (85.31, 24, 0.092)
    """
    items = _check_items(data, item_dimension)
    if model not in MODELS:
        raise ValueError(f"model must be one of {MODELS}, got {model!r}")
    factor_of_item, factors = _model_layout(item_dimension, model)
    x = data[items].to_numpy(dtype=float)
    x = x[~np.isnan(x).any(axis=1)]
    base = dict(model=model, n=len(x), items=tuple(items), factors=tuple(factors))
    spec = _single_group_spec(factor_of_item, len(set(factor_of_item)), model == "second_order")
    problem = _identification_problem(factor_of_item, factors, spec, model)
    if problem:
        return CFAResult(status="not_identified", reason=problem, converged=False, **base)
    if len(x) <= len(items):
        return CFAResult(status="not_positive_definite", converged=False, reason=(
            f"{len(x)} complete cases for {len(items)} items: the covariance matrix is singular"),
            **base)
    st = _group_stats(x)
    if not _is_well_conditioned(st.cov):
        return CFAResult(status="not_positive_definite", converged=False, reason=(
            "the item covariance matrix is not positive definite (an item is constant or a "
            "linear combination of others)"), **base)
    try:
        params, success, message = _fit_with_semopy(spec, st)
    except (np.linalg.LinAlgError, ValueError, ArithmeticError, KeyError) as err:
        return CFAResult(status="failed", reason=f"semopy could not fit the model: {err}",
                         converged=False, **base)
    return _assemble_result(spec, st, _newton_polish(spec, [st], params), success, message, base)


def _newton_polish(spec: _Spec, stats_list: Sequence[_GroupStats], params: np.ndarray,
                   steps: int = 3) -> np.ndarray:
    """Finish an optimiser's estimates with Newton steps on F_ML, the Hessian taken by central
    differences of the analytic gradient.

    A quasi-Newton optimiser stops where its tolerance says, a little short of the minimum, at a
    point that depends on its path, and the path differs in the last digits between
    linear-algebra libraries (standardized loadings differed by 1e-9 between OpenBLAS kernels).
    Newton's method converges quadratically: two steps bring the gradient from about 1e-7 to
    1e-15, the minimum itself on every CPU. (Fisher scoring, with the expected information,
    converges only linearly where the model does not fit exactly.) A step is kept only while it
    shrinks the gradient and leaves every variance positive; estimates with a variance at its
    bound (Heywood cases) are left as the optimiser returned them.
    """
    variances = np.unique(spec.free[np.isin(spec.kind, _VARIANCE_KINDS) & (spec.row == spec.col) & (spec.free >= 0)])
    if (params[variances] <= 1e-6).any():
        return params
    gradient = _gradient(spec, stats_list, params)
    for _ in range(steps):
        try:
            candidate = params - np.linalg.solve(_numerical_hessian(spec, stats_list, params), gradient)
            new_gradient = _gradient(spec, stats_list, candidate)
        except np.linalg.LinAlgError:
            break
        if (candidate[variances] <= 0).any() or not np.abs(new_gradient).max() < np.abs(gradient).max():
            break
        params, gradient = candidate, new_gradient
    return params


def _numerical_hessian(spec: _Spec, stats_list: Sequence[_GroupStats], params: np.ndarray,
                       h: float = 1e-5) -> np.ndarray:
    """Hessian of F_ML by central differences of its analytic gradient (error of order h^2)."""
    columns = []
    for i in range(len(params)):
        shift = np.zeros_like(params)
        shift[i] = h
        columns.append((_gradient(spec, stats_list, params + shift) - _gradient(spec, stats_list, params - shift)) / (2 * h))
    hessian = np.column_stack(columns)
    return (hessian + hessian.T) / 2


def _semopy_names(spec: _Spec) -> tuple[list[str], list[str]]:
    return [f"v{i}" for i in range(spec.n_items)], [f"f{k}" for k in range(spec.n_factors)]


def _fit_with_semopy(spec: _Spec, st: _GroupStats) -> tuple[np.ndarray, bool, str]:
    """Fit the spec with semopy's ML (``MLW``) from the covariance matrix; return our parameters.

    Variables get neutral aliases so that any item or dimension id works in semopy's syntax.
    """
    import semopy

    obs, lat = _semopy_names(spec)
    lam = spec.kind == _LAMBDA
    lines = [f"{lat[k]} =~ " + " + ".join(obs[i] for i in spec.row[lam][spec.col[lam] == k])
             for k in range(spec.n_factors) if (spec.col[lam] == k).any()]
    beta = spec.kind == _BETA
    for k in np.unique(spec.col[beta]):
        lines.append(f"{lat[k]} =~ " + " + ".join(lat[r] for r in spec.row[beta][spec.col[beta] == k]))
    sem = semopy.Model("\n".join(lines))
    cov = pd.DataFrame(st.cov, index=obs, columns=obs)
    result = sem.fit(cov=cov, n_samples=st.n, options={"ftol": 1e-12, "maxiter": 10000})
    n_semopy = int(sum(p.active for p in sem.parameters.values()))
    if n_semopy != spec.n_free:
        raise ValueError(f"semopy estimated {n_semopy} parameters, the model has {spec.n_free}")
    est = sem.inspect(what="est", information=None)  # estimates only: our SEs come later
    lookup = {(r.lval, r.op, r.rval): float(r.Estimate) for r in est.itertuples()}
    names = {_LAMBDA: (obs, lat), _BETA: (lat, lat), _PSI: (lat, lat), _THETA: (obs, obs)}
    params = np.zeros(spec.n_free)
    for kind, row, col, free in zip(spec.kind, spec.row, spec.col, spec.free):
        if free < 0:
            continue
        rows, cols = names[kind]
        a, b = rows[row], cols[col]
        if kind in (_LAMBDA, _BETA):
            params[free] = lookup[(a, "~", b)]
        else:
            params[free] = lookup.get((a, "~~", b), lookup.get((b, "~~", a)))
    return params, bool(result.success), str(result.message)


def _projected_gradient(spec: _Spec, st: _GroupStats, params: np.ndarray) -> np.ndarray:
    """Gradient of F_ML, ignoring variances held at semopy's lower bound 0 and pushing below it."""
    grad = _gradient(spec, [st], params)
    variance_free = np.unique(spec.free[np.isin(spec.kind, _VARIANCE_KINDS) & (spec.row == spec.col)
                                        & (spec.free >= 0)])
    at_bound = variance_free[(params[variance_free] <= 1e-8) & (grad[variance_free] > 0)]
    grad[at_bound] = 0.0
    return grad


def _assemble_result(spec: _Spec, st: _GroupStats, params: np.ndarray, success: bool, message: str,
                     base: dict) -> CFAResult:
    items, factors = base["items"], base["factors"]
    mats = _group_matrices(spec, params, 0)
    if not _is_positive_definite(mats.sigma):
        return CFAResult(status="failed", converged=False, reason=(
            "the model-implied covariance matrix is not positive definite"), **base)
    gradient = np.abs(_projected_gradient(spec, st, params)).max()
    converged = success and gradient < _GRADIENT_TOL
    status, improper = _improper_solution(spec, params, items, factors)
    if not converged:
        status, reason = "not_converged", convergence_failure(success, message, gradient)
    elif improper:
        reason = f"improper solution: {improper}"
    else:
        reason = ""
    chisq = st.n * _discrepancy(st, mats, False)
    indices = fit_indices(chisq, spec.df, *_baseline_chisq([st]), st.n)
    loglik, unrestricted = _loglik(spec, [st], params)
    npar = spec.n_free
    loadings, correlations, correlation_se = _standardized_solution(spec, st, params, items, factors)
    return CFAResult(
        status=status, reason=reason, converged=bool(converged), indices=indices,
        srmr=srmr(st.cov, mats.sigma), loglik=loglik, unrestricted_loglik=unrestricted,
        aic=-2 * loglik + 2 * npar, bic=-2 * loglik + npar * np.log(st.n), npar=npar,
        sample_cov=pd.DataFrame(st.cov, index=items, columns=items),
        implied_cov=pd.DataFrame(mats.sigma, index=items, columns=items),
        loadings=loadings, factor_correlations=correlations, factor_correlation_se=correlation_se,
        _spec=spec, _params=params, **base)


def convergence_failure(success: bool, message: str, gradient: float) -> str:
    """Why a fit counts as not converged: the optimiser's own failure, or a gradient of the fit
    function still above tolerance where the optimiser claimed success (its message alone would
    then contradict the status)."""
    if success:
        return (f"the optimiser stopped ({message}) at a point where the gradient of the fit function is "
                f"{gradient:.2g}, above the tolerance {_GRADIENT_TOL:g}: not a minimum")
    return f"the optimiser stopped without converging: {message}"


def _standardized_vector(spec: _Spec, params: np.ndarray) -> np.ndarray:
    """Std.all loadings (Lambda slots, then B slots) followed by the factor correlations (k < l)."""
    mats = _group_matrices(spec, params, 0)
    sd_item = np.sqrt(np.diag(mats.sigma))
    sd_eta = np.sqrt(np.abs(np.diag(mats.eta_cov)))
    lam = spec.kind == _LAMBDA
    beta = spec.kind == _BETA
    vals = _slot_values(spec, params)
    std_lam = vals[lam] * sd_eta[spec.col[lam]] / sd_item[spec.row[lam]]
    std_beta = vals[beta] * sd_eta[spec.col[beta]] / sd_eta[spec.row[beta]]
    corr = mats.eta_cov / np.outer(sd_eta, sd_eta)
    return np.concatenate([std_lam, std_beta, corr[np.triu_indices(spec.n_factors, 1)]])


def _parameter_vcov(spec: _Spec, st: _GroupStats, params: np.ndarray) -> np.ndarray:
    """Covariance matrix of the free parameters, V = (n I_expected)^-1 (lavaan's default
    ``se = "standard"``, ``information = "expected"`` for ML, n not n - 1)."""
    return np.linalg.pinv(_information(spec, [st], params))


def _delta_method_se(spec: _Spec, params: np.ndarray, vcov: np.ndarray) -> np.ndarray:
    """SE of the standardized solution: sqrt(diag(J V J')), V from :func:`_parameter_vcov`,
    J the Jacobian of :func:`_standardized_vector` by central differences."""
    steps = 1e-6 * np.maximum(np.abs(params), 1.0)
    jac = np.column_stack([
        (_standardized_vector(spec, params + e) - _standardized_vector(spec, params - e)) / (2 * h)
        for h, e in zip(steps, np.diag(steps))
    ])
    return np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", jac, vcov, jac), 0.0))


def _standardized_solution(spec: _Spec, st: _GroupStats, params: np.ndarray, items: Sequence[str],
                           factors: Sequence[str]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Loadings (standardized and not, with SEs and R^2), factor correlations and their SEs."""
    vcov = _parameter_vcov(spec, st, params)
    std = _standardized_vector(spec, params)
    se = _delta_method_se(spec, params, vcov)
    mats = _group_matrices(spec, params, 0)
    lam, beta = spec.kind == _LAMBDA, spec.kind == _BETA
    free = np.concatenate([spec.free[lam], spec.free[beta]])
    estimate_se = np.where(free >= 0, np.sqrt(np.maximum(np.diag(vcov)[np.maximum(free, 0)], 0.0)), np.nan)
    values = _slot_values(spec, params)
    r2_item = 1 - np.diag(mats.theta) / np.diag(mats.sigma)
    eta_var = np.diag(mats.eta_cov)
    r2_eta = 1 - np.diag(mats.psi) / np.where(eta_var != 0, eta_var, np.nan)
    n_lam, n_beta = int(lam.sum()), int(beta.sum())
    loadings = pd.DataFrame({
        "factor": [factors[k] for k in np.concatenate([spec.col[lam], spec.col[beta]])],
        "item": [items[i] for i in spec.row[lam]] + [factors[k] for k in spec.row[beta]],
        "std_loading": std[: n_lam + n_beta],
        "se": se[: n_lam + n_beta],
        "r2": np.concatenate([r2_item[spec.row[lam]], r2_eta[spec.row[beta]]]),
        "estimate": np.concatenate([values[lam], values[beta]]),
        "estimate_se": estimate_se,
    })
    first_order = list(factors[: spec.n_factors - 1] if n_beta else factors)
    k = len(first_order)
    iu = np.triu_indices(spec.n_factors, 1)
    square = []
    for pairs, diagonal in ((std[n_lam + n_beta:], 1.0), (se[n_lam + n_beta:], 0.0)):
        mat = np.full((spec.n_factors, spec.n_factors), diagonal)
        mat[iu] = pairs
        mat.T[iu] = pairs
        square.append(pd.DataFrame(mat[:k, :k], index=first_order, columns=first_order))
    return loadings, square[0], square[1]


def _check_confidence(confidence: float) -> None:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence is a confidence level between 0 and 1 (such as 0.95), got {confidence}")


def _wald(estimate: np.ndarray, se: np.ndarray, confidence: float) -> dict[str, np.ndarray]:
    """z = est / se, two-sided p = 2 P(Z > |z|) and the interval est -+ z_(1 - a/2) se (lavaan)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        z = estimate / se
    half = stats.norm.ppf(1 - (1 - confidence) / 2) * se
    return {"z": z, "pvalue": 2 * stats.norm.sf(np.abs(z)), "low": estimate - half, "high": estimate + half}


#: Columns of the ``cfa_loadings`` table (:func:`standardized_loadings`).
LOADING_COLUMNS = ["model", "factor", "item", "std_loading", "se", "r2", "estimate", "estimate_se", "z",
                   "pvalue", "ci_low", "ci_high", "std_ci_low", "std_ci_high", "confidence"]
#: Columns of the ``cfa_factor_correlations`` table (:func:`factor_correlation_table`).
CORRELATION_COLUMNS = ["model", "factor_a", "factor_b", "r", "se", "z", "pvalue", "ci_low", "ci_high",
                       "confidence"]


def standardized_loadings(result: CFAResult, confidence: float = 0.95) -> pd.DataFrame:
    """Loadings, standardized (Std.all) and not, with standard errors, Wald tests, intervals and R^2.

    lambda*_ij = lambda_ij sd(eta_j) / sd(x_i) with model-implied standard deviations;
    SE = sqrt(diag(J V J')) with V the inverse expected information (n, not n - 1) and J the
    Jacobian of the standardized solution (delta method; Bollen 1989, Structural Equations with
    Latent Variables, Wiley); R^2_i = 1 - theta_ii / sigma_ii. The unstandardized ``estimate``
    has ``estimate_se`` = sqrt(V_jj), z = estimate / estimate_se, two-sided normal p and the
    interval estimate -+ z_(1 - a/2) estimate_se (lavaan's ``parameterEstimates``); a marker
    loading, fixed to 1, has no SE, test or interval (lavaan prints se 0 and [1, 1]).
    ``std_ci_low`` and ``std_ci_high`` are std_loading -+ z_(1 - a/2) se (lavaan's
    ``standardizedSolution``).

    Parameters
    ----------
    result : CFAResult
    confidence : float
        Confidence level 1 - a of the intervals (0.95: z_(.975) = 1.96).

    Returns
    -------
    pd.DataFrame
        Columns model, factor, item, std_loading, se, r2, estimate, estimate_se, z, pvalue,
        ci_low, ci_high, std_ci_low, std_ci_high, confidence (no rows when nothing was fitted).

    Examples
    --------
    >>> import importlib.resources
    >>> path = importlib.resources.files("semopy") / "examples/holzinger_swineford39_data.csv"
    >>> hs = pd.read_csv(path, index_col=0)
    >>> dims = {f"x{i}": ["visual", "textual", "speed"][(i - 1) // 3] for i in range(1, 10)}
    >>> x2 = standardized_loadings(fit_cfa(hs, dims)).set_index("item").loc["x2"]
    >>> [round(float(x2[c]), 3) for c in ("estimate", "estimate_se", "ci_low", "ci_high")]
    [0.554, 0.1, 0.358, 0.749]
    """
    _check_confidence(confidence)
    table = result.loadings.assign(model=result.model)
    estimate = table["estimate"].to_numpy(dtype=float)
    wald = _wald(estimate, table["estimate_se"].to_numpy(dtype=float), confidence)
    std = _wald(table["std_loading"].to_numpy(dtype=float), table["se"].to_numpy(dtype=float), confidence)
    table = table.assign(z=wald["z"], pvalue=wald["pvalue"], ci_low=wald["low"], ci_high=wald["high"],
                         std_ci_low=std["low"], std_ci_high=std["high"], confidence=float(confidence))
    return table[LOADING_COLUMNS]


def factor_correlation_table(result: CFAResult, confidence: float = 0.95) -> pd.DataFrame:
    """Correlations between factors whose covariance is a free parameter, with delta-method tests.

    r_ab = psi_ab / sqrt(psi_aa psi_bb) (the standardized covariance); SE = sqrt(J V J') by the
    delta method as in :func:`standardized_loadings`; z = r / SE, two-sided normal p and the
    interval r -+ z_(1 - a/2) SE (lavaan's ``standardizedSolution`` rows ``~~`` between
    factors). Only the instrument's model has such covariances: the one-factor model has no pair
    and in the second-order model the dimensions correlate only through the second-order factor,
    whose loadings are in :func:`standardized_loadings`.

    Parameters
    ----------
    result : CFAResult
    confidence : float
        Confidence level 1 - a of the intervals.

    Returns
    -------
    pd.DataFrame
        Columns model, factor_a, factor_b, r, se, z, pvalue, ci_low, ci_high, confidence, one
        row per pair in the instrument's order (no rows when nothing was fitted).

    Examples
    --------
    >>> import importlib.resources
    >>> path = importlib.resources.files("semopy") / "examples/holzinger_swineford39_data.csv"
    >>> hs = pd.read_csv(path, index_col=0)
    >>> dims = {f"x{i}": ["visual", "textual", "speed"][(i - 1) // 3] for i in range(1, 10)}
    >>> row = factor_correlation_table(fit_cfa(hs, dims)).iloc[0]
    >>> row["factor_a"], row["factor_b"], round(float(row["r"]), 3), round(float(row["ci_low"]), 3)
    ('visual', 'textual', 0.459, 0.334)
    """
    _check_confidence(confidence)
    spec = result._spec
    if spec is None:
        return pd.DataFrame(columns=CORRELATION_COLUMNS)
    covariance = (spec.kind == _PSI) & (spec.row != spec.col) & (spec.free >= 0)
    a, b = np.minimum(spec.row, spec.col)[covariance], np.maximum(spec.row, spec.col)[covariance]
    order = np.lexsort((b, a))
    a, b = a[order], b[order]
    names = result.factors
    r = result.factor_correlations.to_numpy()[a, b]
    se = result.factor_correlation_se.to_numpy()[a, b]
    wald = _wald(r, se, confidence)
    return pd.DataFrame({
        "model": result.model, "factor_a": [names[i] for i in a], "factor_b": [names[i] for i in b],
        "r": r, "se": se, "z": wald["z"], "pvalue": wald["pvalue"], "ci_low": wald["low"],
        "ci_high": wald["high"], "confidence": float(confidence),
    }, columns=CORRELATION_COLUMNS)


# --------------------------------------------------------------------------------------------
# Model comparison
# --------------------------------------------------------------------------------------------

_FIT_COLUMNS = ["model", "estimator", "converged", "status", "reason", "n", "npar", "chisq", "df", "pvalue",
                "baseline_chisq", "baseline_df", "cfi", "tli", "rmsea", "rmsea_ci_low",
                "rmsea_ci_high", "rmsea_pclose", "srmr", "loglik", "aic", "bic", "verdict",
                "delta_chisq", "delta_df", "p_difference"]


def compare_models(results: Sequence[CFAResult], reference: str = "instrument") -> pd.DataFrame:
    """Fit table of several CFAs with chi-square difference tests against a reference model.

    Delta chi2 = chi2_alt - chi2_ref on df_alt - df_ref, p = P(chi2(delta df) > delta chi2)
    (likelihood-ratio test of nested models; Bollen 1989). The one-factor and the second-order
    models are both nested in the instrument's correlated-factor model. AIC and BIC compare the
    models without nesting (smaller is better).

    Parameters
    ----------
    results : sequence of CFAResult
        Fitted models on the same data.
    reference : str
        Model the differences are taken against (its delta columns are empty).

    Returns
    -------
    pd.DataFrame
        The ``cfa_fit`` table, one row per model (columns in the module docstring).
    """
    rows = [_fit_row(r) for r in results]
    table = pd.DataFrame(rows, columns=_FIT_COLUMNS[:-3])
    ref = table[table["model"] == reference]
    if len(ref) == 1 and ref["status"].iloc[0] in ("ok", "heywood", "latent_correlation"):
        delta = table["chisq"] - ref["chisq"].iloc[0]
        ddf = table["df"] - ref["df"].iloc[0]
        usable = (table["model"] != reference) & (ddf > 0)
        table["delta_chisq"] = delta.where(usable)
        table["delta_df"] = ddf.where(usable).astype("Int64")
        table["p_difference"] = pd.Series(stats.chi2.sf(delta.clip(lower=0), ddf.where(usable)),
                                          index=table.index).where(usable)
    else:
        table[["delta_chisq", "delta_df", "p_difference"]] = np.nan
    return table.astype({"df": "Int64", "baseline_df": "Int64"})


def _fit_row(r: CFAResult) -> dict:
    fi = r.indices
    # Maximum likelihood from the listwise-complete covariance matrix, as lavaan's default.
    row = dict(model=r.model, estimator="ML", converged=r.converged, status=r.status, reason=r.reason, n=r.n,
               npar=r.npar if fi else pd.NA, srmr=r.srmr, loglik=r.loglik, aic=r.aic, bic=r.bic,
               verdict=r.verdict)
    if fi is not None:
        row |= {k: getattr(fi, k) for k in ("chisq", "df", "pvalue", "baseline_chisq", "baseline_df",
                                             "cfi", "tli", "rmsea", "rmsea_ci_low", "rmsea_ci_high",
                                             "rmsea_pclose")}
    return row


# --------------------------------------------------------------------------------------------
# Convergent and discriminant validity
# --------------------------------------------------------------------------------------------


def composite_reliability(std_loadings: pd.Series | np.ndarray) -> float:
    """Composite (construct) reliability of one factor from its standardized loadings.

    CR = (sum lambda)^2 / ((sum lambda)^2 + sum(1 - lambda^2)) (Jöreskog 1971, Psychometrika
    36(2); Fornell & Larcker 1981, J. Marketing Res. 18(1)); .70 or more is the usual criterion.

    Examples
    --------
    >>> round(composite_reliability(np.array([0.772, 0.424, 0.581])), 4)
    0.626
    """
    lam = np.asarray(std_loadings, float)
    total = lam.sum() ** 2
    return float(total / (total + np.sum(1 - lam**2)))


def average_variance_extracted(std_loadings: pd.Series | np.ndarray) -> float:
    """Average variance extracted of one factor: AVE = mean(lambda^2) of its standardized loadings.

    Fornell & Larcker (1981, J. Marketing Res. 18(1)); .50 or more is the usual criterion.

    Examples
    --------
    >>> round(average_variance_extracted(np.array([0.772, 0.424, 0.581])), 4)
    0.3711
    """
    lam = np.asarray(std_loadings, float)
    return float(np.mean(lam**2))


def htmt(data: pd.DataFrame, item_dimension: Mapping[str, str]) -> pd.DataFrame:
    """Heterotrait-monotrait ratio of correlations for every pair of dimensions.

    HTMT_ab = mean(r between items of a and items of b)
    / sqrt(mean(r among items of a) * mean(r among items of b)) (Henseler, Ringle & Sarstedt
    2015, J. Acad. Marketing Sci. 43(1)), from the Pearson correlations of listwise-complete
    rows, correlations as signed (not absolute) values as in the original definition.

    Parameters
    ----------
    data : pd.DataFrame
        Item ratings (columns = item ids).
    item_dimension : mapping
        Item id -> dimension id; every dimension needs at least two items.

    Returns
    -------
    pd.DataFrame
        Columns dimension_a, dimension_b, htmt (pairs in the instrument's order).

    Examples
    --------
    >>> rng = np.random.default_rng(1)  # one construct measured twice: HTMT near 1
    >>> f = rng.standard_normal((500, 1))
    >>> x = pd.DataFrame(f + rng.standard_normal((500, 4)), columns=list("abcd"))
    >>> round(float(htmt(x, {"a": "A", "b": "A", "c": "B", "d": "B"})["htmt"].iloc[0]), 2)
    1.06
    """
    items = _check_items(data, item_dimension)
    dims = list(dict.fromkeys(item_dimension.values()))
    small = [d for d in dims if list(item_dimension.values()).count(d) < 2]
    if small:
        raise ValueError(f"HTMT needs at least two items per dimension; too few in {small}")
    x = data[items].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):  # a constant item: NaN, as pandas gives
        r = np.corrcoef(x[~np.isnan(x).any(axis=1)], rowvar=False)
    member = np.array([[item_dimension[i] == d for i in items] for d in dims])

    def mono(a: np.ndarray) -> float:
        block = r[np.ix_(a, a)]
        return block[np.triu_indices_from(block, 1)].mean()

    rows = [(dims[a], dims[b],
             r[np.ix_(member[a], member[b])].mean() / np.sqrt(mono(member[a]) * mono(member[b])))
            for a, b in combinations(range(len(dims)), 2)]
    return pd.DataFrame(rows, columns=["dimension_a", "dimension_b", "htmt"])


def validity_table(result: CFAResult, data: pd.DataFrame, item_dimension: Mapping[str, str], *,
                   htmt_cutoff: float = HTMT_CUTOFF) -> pd.DataFrame:
    """Convergent and discriminant validity of the instrument's model (``cfa_validity`` table).

    Rows: ``cr`` (composite reliability >= .70) and ``ave`` (>= .50) per dimension;
    ``fornell_larcker``: diagonal rows with sqrt(AVE), and per pair |phi_ab| checked against
    min(sqrt AVE_a, sqrt AVE_b) (Fornell & Larcker 1981, J. Marketing Res. 18(1)); ``htmt`` per
    pair against ``htmt_cutoff`` (Henseler, Ringle & Sarstedt 2015, J. Acad. Marketing Sci.
    43(1)). ``ok`` is True when the criterion is met (NaN for diagonal rows).

    Parameters
    ----------
    result : CFAResult
        The instrument's model (``fit_cfa(..., model="instrument")``).
    data, item_dimension
        The data and mapping it was fitted on (HTMT uses the item correlations).
    htmt_cutoff : float
        .85 (Kline's strict criterion) or .90 (Gold et al.'s liberal criterion).

    Returns
    -------
    pd.DataFrame
        Columns kind, dimension_a, dimension_b, value, criterion, ok.
    """
    columns = ["kind", "dimension_a", "dimension_b", "value", "criterion", "ok"]
    if result.model != "instrument":
        raise ValueError("validity_table needs the instrument's model (one factor per dimension)")
    if result.loadings.empty:
        return pd.DataFrame(columns=columns)
    dims = list(result.factor_correlations.index)
    by_dim = result.loadings.groupby("factor", sort=False)["std_loading"]
    cr = {d: composite_reliability(by_dim.get_group(d)) for d in dims}
    ave = {d: average_variance_extracted(by_dim.get_group(d)) for d in dims}
    rows = [("cr", d, None, cr[d], CR_CUTOFF, cr[d] >= CR_CUTOFF) for d in dims]
    rows += [("ave", d, None, ave[d], AVE_CUTOFF, ave[d] >= AVE_CUTOFF) for d in dims]
    rows += [("fornell_larcker", d, d, np.sqrt(ave[d]), np.nan, None) for d in dims]
    phi = result.factor_correlations
    for a, b in combinations(dims, 2):
        bound = min(np.sqrt(ave[a]), np.sqrt(ave[b]))
        rows.append(("fornell_larcker", a, b, abs(phi.loc[a, b]), bound, abs(phi.loc[a, b]) < bound))
    if len(dims) > 1:
        rows += [("htmt", r.dimension_a, r.dimension_b, r.htmt, htmt_cutoff, r.htmt < htmt_cutoff)
                 for r in htmt(data, item_dimension).itertuples()]
    return pd.DataFrame(rows, columns=columns).astype({"ok": "boolean"})


# --------------------------------------------------------------------------------------------
# Where the misfit comes from
# --------------------------------------------------------------------------------------------


def residual_modification_indices(result: CFAResult, top: int = 3) -> pd.DataFrame:
    """Largest modification indices for residual covariances between items (``cfa_hints``).

    MI = n g^2 / (I_cc - I_c. I_..^-1 I_.c): the score test of freeing one residual covariance,
    g = d(F_ML / 2)/d theta_ij at the estimates, I the expected information of one observation
    (Sörbom 1989, Psychometrika 54(3); lavaan's ``modindices``). Each row also gives the residual
    correlation r_ij - rhat_ij (lavaan's ``residuals(type = "cor")``).

    Parameters
    ----------
    result : CFAResult
        A fitted model (empty table when nothing was fitted).
    top : int
        How many pairs to return.

    Returns
    -------
    pd.DataFrame
        Columns item_a, item_b, mi, residual_r, rank (1 = largest MI).
    """
    columns = ["item_a", "item_b", "mi", "residual_r", "rank"]
    if result._spec is None:
        return pd.DataFrame(columns=columns)
    spec, params = result._spec, result._params
    s = result.sample_cov.to_numpy()
    sigma = result.implied_cov.to_numpy()
    p = spec.n_items
    inv = np.linalg.inv(sigma)
    w = inv - inv @ s @ inv
    ia, ib = np.triu_indices(p, 1)
    cand = np.zeros((len(ia), p, p))
    cand[np.arange(len(ia)), ia, ib] = cand[np.arange(len(ia)), ib, ia] = 1.0
    dtheta, _ = _free_derivatives(spec, 0, _group_matrices(spec, params, 0))
    both = np.concatenate([dtheta, cand])
    info = _unit_information(sigma, both, np.zeros((len(both), p)), False)
    q = spec.n_free
    i11, i12, i22 = info[:q, :q], info[:q, q:], np.diag(info[q:, q:])
    v = i22 - np.einsum("qc,qc->c", i12, np.linalg.pinv(i11) @ i12)
    grad = w[ia, ib]  # d(F/2)/d theta_ij = W_ij for a symmetric off-diagonal entry
    mi = result.n * grad**2 / v
    sd_s, sd_m = np.sqrt(np.diag(s)), np.sqrt(np.diag(sigma))
    resid_r = s[ia, ib] / (sd_s[ia] * sd_s[ib]) - sigma[ia, ib] / (sd_m[ia] * sd_m[ib])
    order = np.argsort(-mi, kind="stable")[:top]
    return pd.DataFrame({
        "item_a": [result.items[i] for i in ia[order]],
        "item_b": [result.items[i] for i in ib[order]],
        "mi": mi[order],
        "residual_r": resid_r[order],
        "rank": np.arange(1, len(order) + 1),
    })


# --------------------------------------------------------------------------------------------
# Convenience: everything the pipeline reports
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CFATables:
    """The five CFA tables of one item set (columns in the module docstring)."""

    fit: pd.DataFrame
    loadings: pd.DataFrame
    factor_correlations: pd.DataFrame
    validity: pd.DataFrame
    hints: pd.DataFrame
    results: dict[str, CFAResult]


def cfa_tables(
    data: pd.DataFrame,
    item_dimension: Mapping[str, str],
    *,
    hints: int = 3,
    htmt_cutoff: float = HTMT_CUTOFF,
    confidence: float = 0.95,
) -> CFATables:
    """Fit the one-factor, the instrument's and (with >= 3 dimensions) the second-order model.

    Returns the ``cfa_fit`` table (:func:`compare_models`, differences against the instrument's
    model), ``cfa_loadings`` of all models (:func:`standardized_loadings`),
    ``cfa_factor_correlations`` (:func:`factor_correlation_table`: the instrument's model, the
    only one with free factor covariances), ``cfa_validity`` of
    the instrument's model (:func:`validity_table`) and ``cfa_hints``, its largest modification
    indices for residual covariances (:func:`residual_modification_indices`). Fit problems are
    reported in the status columns and never raise.

    Parameters
    ----------
    data : pd.DataFrame
        One row per respondent, one numeric column per item.
    item_dimension : mapping
        Item id -> dimension id in the instrument's order.
    hints : int
        Number of modification hints.
    htmt_cutoff : float
        HTMT criterion.
    confidence : float
        Confidence level of the intervals of loadings and factor correlations.

    Returns
    -------
    CFATables

    Examples
    --------
    >>> import importlib.resources
    >>> path = importlib.resources.files("semopy") / "examples/holzinger_swineford39_data.csv"
    >>> hs = pd.read_csv(path, index_col=0)
    >>> dims = {f"x{i}": ["visual", "textual", "speed"][(i - 1) // 3] for i in range(1, 10)}
    >>> tables = cfa_tables(hs, dims)
    >>> top = tables.hints.iloc[0]
    >>> top["item_a"], top["item_b"], round(float(top["mi"]), 1)
    ('x7', 'x8', 34.1)
    """
    _check_confidence(confidence)
    n_dims = len(set(item_dimension.values()))
    models = [m for m in MODELS if m != "second_order" or n_dims >= 3]
    if n_dims == 1:
        models = ["one_factor"]
    results = {m: fit_cfa(data, item_dimension, model=m) for m in models}
    main = results.get("instrument", results["one_factor"])
    validity = (validity_table(main, data, item_dimension, htmt_cutoff=htmt_cutoff)
                if main.model == "instrument" else pd.DataFrame(
                    columns=["kind", "dimension_a", "dimension_b", "value", "criterion", "ok"]))
    return CFATables(
        fit=compare_models(list(results.values()), reference=main.model),
        loadings=pd.concat([standardized_loadings(r, confidence) for r in results.values()], ignore_index=True),
        factor_correlations=pd.concat([factor_correlation_table(r, confidence) for r in results.values()],
                                      ignore_index=True),
        validity=validity,
        hints=residual_modification_indices(main, top=hints),
        results=results,
    )
