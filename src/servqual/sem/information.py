"""Information matrices and the covariance matrix of the estimates.

Expected (Fisher) information of one observation from a normal distribution, for parameters
with derivatives dSigma and dmu (Magnus & Neudecker 1988; lavaan's ``lav_model_information.R``):

    I_ab = 1/2 tr(Sigma^-1 dSigma_a Sigma^-1 dSigma_b) + dmu_a' Sigma^-1 dmu_b,

summed over groups weighted by n_g. The observed information is N/2 times the Hessian of
F = sum_g (n_g / N) F_g (the negative Hessian of the log-likelihood), analytic: with
W = Sigma^-1 - Sigma^-1 C Sigma^-1, C = S + d d', d = m - mu and v = Sigma^-1 d,

    d2F_g / da db = tr(W Sigma_ab) - 2 v' mu_ab - tr(Sigma^-1 Sigma_a Sigma^-1 Sigma_b)
                    + 2 tr(Sigma^-1 Sigma_a Sigma^-1 C Sigma^-1 Sigma_b) + 2 mu_a' Sigma^-1 mu_b
                    + 2 mu_a' Sigma^-1 Sigma_b v + 2 mu_b' Sigma^-1 Sigma_a v,

the second derivatives Sigma_ab and mu_ab of Sigma = Lambda A Psi A' Lambda' + Theta and
mu = nu + Lambda A alpha by the product rule (Lambda, B, Psi, alpha enter linearly, A = (I - B)^-1
with dA = A dB A). Standard errors are the square roots of the diagonal of the inverse
information (lavaan's default ``se = "standard"``, ``information = "expected"`` for ML with
complete data; n, not n - 1). Rosseel (2012), J. Stat. Softw. 48(2).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np

from servqual.sem.gradient import (
    Derivatives,
    ResidualWeights,
    group_derivatives,
    matrix_gradient,
    residual_weights,
)
from servqual.sem.model import Matrices, Spec, group_matrices
from servqual.sem.objective import discrepancy
from servqual.sem.samplestats import GroupStats

__all__ = ["discrepancy_hessian", "expected_information", "fit_derivatives", "hessian", "observed_information",
           "parameter_vcov", "unit_information"]


def _flat(stack: np.ndarray) -> np.ndarray:
    return stack.reshape(len(stack), -1)


def unit_information(sigma: np.ndarray, dsigma: np.ndarray, dmu: np.ndarray, meanstructure: bool) -> np.ndarray:
    """Expected information of one observation for parameters with derivatives dsigma, dmu:
    1/2 tr(Sigma^-1 dS_a Sigma^-1 dS_b) [+ dmu_a' Sigma^-1 dmu_b], via the Cholesky factor of Sigma.

    >>> round(float(unit_information(np.eye(1) * 2.0, np.ones((1, 1, 1)), np.zeros((1, 1)), False)[0, 0]), 4)
    0.125
    """
    chol_inv = np.linalg.inv(np.linalg.cholesky(sigma))
    white = _flat(np.matmul(chol_inv, np.matmul(dsigma, chol_inv.T)))
    info = 0.5 * white @ white.T
    if meanstructure:
        wmu = dmu @ chol_inv.T
        info += wmu @ wmu.T
    return info


def expected_information(spec: Spec, stats_list: Sequence[GroupStats], params: np.ndarray) -> np.ndarray:
    """Total expected information sum_g n_g [1/2 tr(S^-1 dS_a S^-1 dS_b) + dmu_a' S^-1 dmu_b]."""
    info = np.zeros((spec.n_free, spec.n_free))
    for g, st in enumerate(stats_list):
        mats = group_matrices(spec, params, g)
        free, deriv = group_derivatives(spec, g, mats)
        info[np.ix_(free, free)] += st.n * unit_information(mats.sigma, deriv.sigma, deriv.mu, spec.meanstructure)
    return info


def _second_derivative_terms(mats: Matrices, weights: ResidualWeights, deriv: Derivatives) -> np.ndarray:
    """tr(W Sigma_ab) - 2 v' mu_ab for all pairs of directions.

    With L = dLambda, D = A dB (dA = D A), P = dPsi, N = Lambda' W Lambda, a = A alpha and
    r = Lambda' v, the product rule gives tr(W Sigma_ab) = 2 <L_a' W Lambda, dM_b> + (a <-> b)
    + 2 <W L_a M, L_b> + 2 <D_a', M N D_b> + (a <-> b) + 2 <A' D_a' N A, P_b> + (a <-> b)
    + 2 <N D_a M, D_b>, and v' mu_ab = (L_a' v + D_a' r)' da_b + (a <-> b) with
    da_b = D_b a + A dalpha_b the derivative of a.
    """
    lam, a_inv, eta_cov, w = mats.lam, mats.a_inv, mats.eta_cov, weights.w
    dlam, dab = deriv.lam, deriv.a_beta
    n_mat = lam.T @ w @ lam
    swap = dlam.transpose(0, 2, 1)
    pair = 2 * _flat(np.matmul(swap, w @ lam)) @ _flat(deriv.eta_cov).T
    pair += 2 * _flat(dab.transpose(0, 2, 1)) @ _flat(np.matmul(eta_cov @ n_mat, dab)).T
    pair += 2 * _flat(np.matmul(a_inv.T, np.matmul(dab.transpose(0, 2, 1), n_mat @ a_inv))) @ _flat(deriv.psi).T
    v = weights.inv @ weights.d
    d_a_alpha = dab @ (a_inv @ mats.alpha) + deriv.alpha @ a_inv.T
    pair -= 2 * (swap @ v + dab.transpose(0, 2, 1) @ (lam.T @ v)) @ d_a_alpha.T
    own = 2 * _flat(np.matmul(w, np.matmul(dlam, eta_cov))) @ _flat(dlam).T
    own += 2 * _flat(np.matmul(n_mat, np.matmul(dab, eta_cov))) @ _flat(dab).T
    return own + pair + pair.T


def discrepancy_hessian(mats: Matrices, weights: ResidualWeights, deriv: Derivatives,
                        meanstructure: bool) -> np.ndarray:
    """Analytic Hessian of F_ML of one group along the directions of ``deriv`` (module docstring),
    from its :func:`servqual.sem.gradient.residual_weights`."""
    chol_inv = np.linalg.inv(np.linalg.cholesky(mats.sigma))
    white = np.matmul(chol_inv, np.matmul(deriv.sigma, chol_inv.T))
    white_c = chol_inv @ weights.c @ chol_inv.T
    hess = _second_derivative_terms(mats, weights, deriv)
    hess += _flat(np.matmul(white, 2 * white_c) - white) @ _flat(white).T
    if meanstructure:
        wmu = deriv.mu @ chol_inv.T
        wmu_sigma = white @ (chol_inv @ weights.d)
        hess += 2 * wmu @ wmu.T + 2 * (wmu @ wmu_sigma.T + wmu_sigma @ wmu.T)
    return (hess + hess.T) / 2


def fit_derivatives(spec: Spec, stats_list: Sequence[GroupStats], params: np.ndarray,
                    second: Literal["observed", "expected"] | None = "observed",
                    ) -> tuple[float, np.ndarray, np.ndarray | None]:
    """F_ML = sum_g (n_g / N) F_g, its gradient, and its Hessian (``observed``) or the Fisher
    scoring matrix 2 sum_g (n_g / N) I_g (``expected``, I_g the expected information of one
    observation), in one pass over the groups; with ``second=None`` F and the gradient alone
    (None for the matrix: the Newton steps near the minimum need no new Hessian).

    Raises numpy's LinAlgError where a Sigma is not positive definite.
    """
    n = sum(st.n for st in stats_list)
    f, grad = 0.0, np.zeros(spec.n_free)
    hess = None if second is None else np.zeros((spec.n_free, spec.n_free))
    for g, st in enumerate(stats_list):
        mats = group_matrices(spec, params, g)
        layout = spec.layouts[g]
        weights = residual_weights(st, mats, spec.meanstructure)
        f += st.n / n * discrepancy(st, mats, spec.meanstructure, weights.inv)
        grad[layout.free] += st.n / n * (layout.directions @ matrix_gradient(mats, weights))
        if second is not None:
            free, deriv = group_derivatives(spec, g, mats)
            block = (discrepancy_hessian(mats, weights, deriv, spec.meanstructure) if second == "observed"
                     else 2 * unit_information(mats.sigma, deriv.sigma, deriv.mu, spec.meanstructure))
            hess[np.ix_(free, free)] += st.n / n * block
    return f, grad, hess


def hessian(spec: Spec, stats_list: Sequence[GroupStats], params: np.ndarray) -> np.ndarray:
    """Analytic Hessian of the multi-group F_ML = sum_g (n_g / N) F_g (module docstring)."""
    return fit_derivatives(spec, stats_list, params)[2]


def observed_information(spec: Spec, stats_list: Sequence[GroupStats], params: np.ndarray) -> np.ndarray:
    """Total observed information N/2 H(F_ML), the negative Hessian of the log-likelihood."""
    return sum(st.n for st in stats_list) / 2 * hessian(spec, stats_list, params)


def parameter_vcov(spec: Spec, stats_list: Sequence[GroupStats], params: np.ndarray,
                   information: Literal["expected", "observed"] = "expected") -> np.ndarray:
    """Covariance matrix of the free parameters, V = I^-1 (pseudo-inverse) of the total information."""
    info = (expected_information if information == "expected" else observed_information)(spec, stats_list, params)
    return np.linalg.pinv(info)
