"""Standardized solution (lavaan's ``std.all``) and its delta-method standard errors.

With model-implied standard deviations of the items (sqrt sigma_ii) and of the latent
variables (sqrt of diag(A Psi A')) (Bollen 1989, Structural Equations with Latent Variables,
Wiley, ch. 7; lavaan's ``lav_standardize.R``):

- loading lambda_ij: lambda_ij sd(eta_j) / sd(x_i); regression b_kl: b_kl sd(eta_l) / sd(eta_k);
- variance: theta_ii / sigma_ii, psi_kk / var(eta_k) (1 for an exogenous factor);
- covariance: a correlation, psi_kl / sqrt(psi_kk psi_ll) and theta_ij / sqrt(theta_ii theta_jj)
  (residual covariances scaled by residual variances, lavaan's ``cov.std = TRUE``);
- intercept nu_i / sd(x_i), latent mean alpha_k / sd(eta_k).

Each is the value times a product of powers of variances, v prod_r |var_r|^e_r (absolute
values, so that a negative variance still gives a number, as in lavaan). SE =
sqrt(diag(J V J')) with V the covariance matrix of the free parameters and J the analytic
Jacobian of the standardized values (the delta method; lavaan's ``standardizedSolution``):

    d std / d theta = prod_r |var_r|^e_r dv / d theta + std sum_r e_r (d var_r / d theta) / var_r,

with the derivatives of the implied variances from :mod:`servqual.sem.gradient`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from servqual.sem.gradient import group_derivatives
from servqual.sem.model import (
    ALPHA,
    BETA,
    LAMBDA,
    NU,
    PSI,
    THETA,
    Matrices,
    Spec,
    group_matrices,
    slot_values,
    split_matrices,
)

__all__ = ["central_difference_jacobian", "delta_method_se", "r_squared", "standardized_loading_jacobian", "standardized_loading_vector",
           "std_all", "std_all_jacobian", "std_all_scale"]


def _scaling(spec: Spec, slots: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each slot, the two variances its standardization divides or multiplies by, as indices
    into (diag Sigma, diag M, diag Theta, diag Psi) laid end to end, and their exponents."""
    return _entry_scaling(spec.kind[slots], spec.row[slots], spec.col[slots], spec.n_items, spec.n_factors)


def _entry_scaling(kind: np.ndarray, row: np.ndarray, col: np.ndarray, p: int, m: int
                   ) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_scaling` of model-matrix entries (kind, row, col) of a model with p items and m factors."""
    x, eta, theta, psi = 0, p, p + m, 2 * p + m
    diag = row == col
    ref, exponent = np.zeros((len(kind), 2), dtype=int), np.zeros((len(kind), 2))
    rules = [  # (slots, first variance, second variance, exponents)
        (kind == LAMBDA, eta + col, x + row, (0.5, -0.5)),
        (kind == BETA, eta + col, eta + row, (0.5, -0.5)),
        ((kind == THETA) & diag, x + row, x + row, (-1.0, 0.0)),
        ((kind == THETA) & ~diag, theta + row, theta + col, (-0.5, -0.5)),
        ((kind == PSI) & diag, eta + row, eta + row, (-1.0, 0.0)),
        ((kind == PSI) & ~diag, psi + row, psi + col, (-0.5, -0.5)),
        (kind == NU, x + row, x + row, (-0.5, 0.0)),
        (kind == ALPHA, eta + row, eta + row, (-0.5, 0.0)),
    ]
    for s, first, second, powers in rules:
        ref[s] = np.column_stack([first[s], second[s]])
        exponent[s] = powers
    return ref, exponent


def _variances(mats: Matrices) -> np.ndarray:
    """diag Sigma, diag M, diag Theta and diag Psi laid end to end."""
    return np.concatenate([np.diag(mats.sigma), np.diag(mats.eta_cov), np.diag(mats.theta), np.diag(mats.psi)])


def _group_std(spec: Spec, params: np.ndarray, g: int, jacobian: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """Std.all values of the slots of group g and, with ``jacobian``, their derivatives
    (slots x free parameters)."""
    slots = np.flatnonzero(spec.group == g)
    mats = group_matrices(spec, params, g)
    ref, exponent = _scaling(spec, slots)
    variances = _variances(mats)
    scale = np.prod(np.abs(variances[ref]) ** exponent, axis=1)
    std = slot_values(spec, params)[slots] * scale
    if not jacobian:
        return std, None
    free, deriv = group_derivatives(spec, g, mats)
    _, _, dpsi, dtheta, _, _ = split_matrices(spec.layouts[g].directions, spec.n_items, spec.n_factors)
    dvar = np.concatenate([np.diagonal(d, axis1=1, axis2=2) for d in (deriv.sigma, deriv.eta_cov, dtheta, dpsi)],
                          axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = np.where(exponent[:, :, None] != 0, exponent[:, :, None] * dvar.T[ref] / variances[ref][:, :, None], 0.0)
    local = std[:, None] * relative.sum(axis=1)
    key = spec.free[slots]
    own = np.flatnonzero(key >= 0)
    local[own, np.searchsorted(free, key[own])] += scale[own]
    out = np.zeros((len(slots), spec.n_free))
    out[:, free] = local
    return std, out


def std_all(spec: Spec, params: np.ndarray) -> np.ndarray:
    """Standardized (std.all) value of every slot of the spec, in slot order."""
    out = np.full(len(spec.kind), np.nan)
    for g in range(spec.n_groups):
        out[spec.group == g] = _group_std(spec, params, g, False)[0]
    return out


def std_all_scale(kind: np.ndarray, row: np.ndarray, col: np.ndarray, mats: Matrices) -> np.ndarray:
    """Factor taking model-matrix entries (kind, row, col) of one group to their std.all values,
    also for entries the model leaves out: the scale of lavaan's ``sepc.all`` of a candidate."""
    p, m = mats.lam.shape
    ref, exponent = _entry_scaling(kind, row, col, p, m)
    return np.prod(np.abs(_variances(mats)[ref]) ** exponent, axis=1)


def std_all_jacobian(spec: Spec, params: np.ndarray) -> np.ndarray:
    """Analytic Jacobian of :func:`std_all` (slots x free parameters)."""
    out = np.zeros((len(spec.kind), spec.n_free))
    for g in range(spec.n_groups):
        out[spec.group == g] = _group_std(spec, params, g, True)[1]
    return out


def _loading_slots(spec: Spec) -> np.ndarray:
    """Lambda slots, then B slots, of group 1."""
    first = spec.group == 0
    return np.concatenate([np.flatnonzero(first & (spec.kind == LAMBDA)), np.flatnonzero(first & (spec.kind == BETA))])


def standardized_loading_vector(spec: Spec, params: np.ndarray) -> np.ndarray:
    """Std.all loadings of group 1 (Lambda slots, then B slots) followed by the model-implied
    correlations of all latent variables (pairs k < l)."""
    mats = group_matrices(spec, params, 0)
    sd_eta = np.sqrt(np.abs(np.diag(mats.eta_cov)))
    corr = mats.eta_cov / np.outer(sd_eta, sd_eta)
    return np.concatenate([std_all(spec, params)[_loading_slots(spec)], corr[np.triu_indices(spec.n_factors, 1)]])


def standardized_loading_jacobian(spec: Spec, params: np.ndarray) -> np.ndarray:
    """Analytic Jacobian of :func:`standardized_loading_vector` (entries x free parameters): the
    rows of :func:`std_all_jacobian`, and for a correlation r_kl = M_kl / sqrt(M_kk M_ll)
    dr_kl = dM_kl / sqrt(M_kk M_ll) - r_kl (dM_kk / M_kk + dM_ll / M_ll) / 2."""
    mats = group_matrices(spec, params, 0)
    free, deriv = group_derivatives(spec, 0, mats)
    var = np.diag(mats.eta_cov)
    k, l = np.triu_indices(spec.n_factors, 1)
    corr = mats.eta_cov[k, l] / np.sqrt(np.abs(var[k] * var[l]))
    dvar = np.diagonal(deriv.eta_cov, axis1=1, axis2=2)
    local = (deriv.eta_cov[:, k, l] / np.sqrt(np.abs(var[k] * var[l]))
             - corr * (dvar[:, k] / var[k] + dvar[:, l] / var[l]) / 2).T
    correlations = np.zeros((len(k), spec.n_free))
    correlations[:, free] = local
    return np.vstack([std_all_jacobian(spec, params)[_loading_slots(spec)], correlations])


def delta_method_se(jacobian: np.ndarray, vcov: np.ndarray) -> np.ndarray:
    """SE of a function of the parameters by the delta method, sqrt(diag(J V J')), from its
    Jacobian J and the covariance matrix V of the parameters.

    >>> delta_method_se(np.array([[2.0]]), np.array([[0.25]])).round(6).tolist()
    [1.0]
    """
    return np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", jacobian, vcov, jacobian), 0.0))


def central_difference_jacobian(func: Callable[[np.ndarray], np.ndarray], params: np.ndarray,
                                h: float = 1e-6) -> np.ndarray:
    """Jacobian of ``func`` at ``params`` by central differences (error of order h^2 plus
    round-off of order eps / h, about 1e-10 relative), for functions without an analytic one.

    >>> central_difference_jacobian(lambda t: t**2, np.array([3.0])).round(6).tolist()
    [[6.0]]
    """
    columns = []
    for i in range(len(params)):
        shift = np.zeros_like(params)
        shift[i] = h
        columns.append((np.asarray(func(params + shift)) - np.asarray(func(params - shift))) / (2 * h))
    return np.column_stack(columns)


def r_squared(spec: Spec, params: np.ndarray, g: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """R^2 of the items, 1 - theta_ii / sigma_ii, and of the latent variables, 1 - psi_kk / var(eta_k)
    (NaN where var(eta_k) is 0; 0 for an exogenous factor)."""
    mats = group_matrices(spec, params, g)
    eta_var = np.diag(mats.eta_cov)
    return (1 - np.diag(mats.theta) / np.diag(mats.sigma),
            1 - np.diag(mats.psi) / np.where(eta_var != 0, eta_var, np.nan))
