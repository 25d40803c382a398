"""Standardized solution (lavaan's ``std.all``) and its delta-method standard errors.

With model-implied standard deviations of the items (sqrt sigma_ii) and of the latent
variables (sqrt of diag(A Psi A')) (Bollen 1989, Structural Equations with Latent Variables,
Wiley, ch. 7; lavaan's ``lav_standardize.R``):

- loading lambda_ij: lambda_ij sd(eta_j) / sd(x_i); regression b_kl: b_kl sd(eta_l) / sd(eta_k);
- variance: theta_ii / sigma_ii, psi_kk / var(eta_k) (1 for an exogenous factor);
- covariance: a correlation, psi_kl / sqrt(psi_kk psi_ll) and theta_ij / sqrt(theta_ii theta_jj)
  (residual covariances scaled by residual variances, lavaan's ``cov.std = TRUE``);
- intercept nu_i / sd(x_i), latent mean alpha_k / sd(eta_k).

SE = sqrt(diag(J V J')) with V the covariance matrix of the free parameters and J the Jacobian of
the standardized values by central differences (the delta method; lavaan's
``standardizedSolution``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

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
)

__all__ = ["delta_method_se", "r_squared", "standardized_loading_vector", "std_all", "std_all_scale"]


def std_all(spec: Spec, params: np.ndarray) -> np.ndarray:
    """Standardized (std.all) value of every slot of the spec, in slot order."""
    out = np.full(len(spec.kind), np.nan)
    values = slot_values(spec, params)
    for g in range(spec.n_groups):
        sel = np.flatnonzero(spec.group == g)
        scale = std_all_scale(spec.kind[sel], spec.row[sel], spec.col[sel], group_matrices(spec, params, g))
        out[sel] = values[sel] * scale
    return out


def std_all_scale(kind: np.ndarray, row: np.ndarray, col: np.ndarray, mats: Matrices) -> np.ndarray:
    """Factor taking model-matrix entries (kind, row, col) of one group to their std.all values.

    Loadings lambda_ik sd(eta_k)/sd(x_i); variances by the variance; covariances between
    residuals (Theta, Psi) by the residual standard deviations, as lavaan; intercepts by the
    standard deviation. Also the scale of lavaan's ``sepc.all`` for a candidate parameter.
    """
    sd_x = np.sqrt(np.diag(mats.sigma))
    sd_eta = np.sqrt(np.abs(np.diag(mats.eta_cov)))
    sd_theta = np.sqrt(np.abs(np.diag(mats.theta)))
    sd_psi = np.sqrt(np.abs(np.diag(mats.psi)))
    scale = np.ones(len(kind))
    diag = row == col
    s = kind == LAMBDA
    scale[s] = sd_eta[col[s]] / sd_x[row[s]]
    s = kind == BETA
    scale[s] = sd_eta[col[s]] / sd_eta[row[s]]
    s = (kind == THETA) & diag
    scale[s] = 1 / sd_x[row[s]] ** 2
    s = (kind == THETA) & ~diag
    scale[s] = 1 / (sd_theta[row[s]] * sd_theta[col[s]])
    s = (kind == PSI) & diag
    scale[s] = 1 / sd_eta[row[s]] ** 2
    s = (kind == PSI) & ~diag
    scale[s] = 1 / (sd_psi[row[s]] * sd_psi[col[s]])
    s = kind == NU
    scale[s] = 1 / sd_x[row[s]]
    s = kind == ALPHA
    scale[s] = 1 / sd_eta[row[s]]
    return scale


def standardized_loading_vector(spec: Spec, params: np.ndarray) -> np.ndarray:
    """Std.all loadings of group 1 (Lambda slots, then B slots) followed by the model-implied
    correlations of all latent variables (pairs k < l)."""
    mats = group_matrices(spec, params, 0)
    sd_item = np.sqrt(np.diag(mats.sigma))
    sd_eta = np.sqrt(np.abs(np.diag(mats.eta_cov)))
    lam = spec.kind == LAMBDA
    beta = spec.kind == BETA
    vals = slot_values(spec, params)
    std_lam = vals[lam] * sd_eta[spec.col[lam]] / sd_item[spec.row[lam]]
    std_beta = vals[beta] * sd_eta[spec.col[beta]] / sd_eta[spec.row[beta]]
    corr = mats.eta_cov / np.outer(sd_eta, sd_eta)
    return np.concatenate([std_lam, std_beta, corr[np.triu_indices(spec.n_factors, 1)]])


def delta_method_se(func: Callable[[np.ndarray], np.ndarray], params: np.ndarray, vcov: np.ndarray) -> np.ndarray:
    """SE of func(params) by the delta method: sqrt(diag(J V J')), J by central differences with
    steps 1e-6 max(|theta|, 1).

    >>> delta_method_se(lambda p: 2 * p, np.array([1.0]), np.array([[0.25]])).round(6).tolist()
    [1.0]
    """
    steps = 1e-6 * np.maximum(np.abs(params), 1.0)
    jac = np.column_stack([(func(params + e) - func(params - e)) / (2 * h) for h, e in zip(steps, np.diag(steps))])
    return np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", jac, vcov, jac), 0.0))


def r_squared(spec: Spec, params: np.ndarray, g: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """R^2 of the items, 1 - theta_ii / sigma_ii, and of the latent variables, 1 - psi_kk / var(eta_k)
    (NaN where var(eta_k) is 0; 0 for an exogenous factor)."""
    mats = group_matrices(spec, params, g)
    eta_var = np.diag(mats.eta_cov)
    return (1 - np.diag(mats.theta) / np.diag(mats.sigma),
            1 - np.diag(mats.psi) / np.where(eta_var != 0, eta_var, np.nan))
