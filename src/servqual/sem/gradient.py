"""Analytic derivatives of the implied moments and of the ML discrepancy function.

The model matrices are linear in their entries, so the derivative of each with respect to a free
parameter is a constant 0/1 matrix (:attr:`servqual.sem.model.GroupLayout.directions`); the
implied moments follow by the product rule, for all parameters at once (dA = A dB A):

    dM = A dB M + M dB' A' + A dPsi A',   M = A Psi A',
    dSigma = dLambda M Lambda' + Lambda M dLambda' + Lambda dM Lambda' + dTheta,
    dmu = dnu + dLambda A alpha + Lambda (A dB A alpha + A dalpha).

With W = Sigma^-1 - Sigma^-1 (S + d d') Sigma^-1 and d = m - mu, the gradient of F_g is

    dF_g / dtheta = tr(W dSigma/dtheta) - 2 d' Sigma^-1 dmu/dtheta,

computed once with respect to the entries of the model matrices (:func:`matrix_gradient`) and
mapped to the parameters by their directions.

Neudecker & Satorra (1991), Linear Algebra Appl. 149; lavaan's ``lav_model_gradient.R``
(Rosseel 2012, J. Stat. Softw. 48(2)).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from servqual.sem.model import (
    Matrices,
    Spec,
    entry_directions,
    group_matrices,
    split_matrices,
)
from servqual.sem.samplestats import GroupStats

__all__ = ["Derivatives", "ResidualWeights", "discrepancy_gradient", "entry_derivatives", "free_derivatives",
           "gradient", "group_derivatives", "matrix_gradient", "model_derivatives", "residual_weights",
           "slot_derivatives"]


@dataclass(frozen=True)
class Derivatives:
    """Derivatives of one group's model along q directions (free parameters or single entries).

    ``lam``, ``psi``, ``alpha``: of Lambda, Psi, alpha; ``a_beta``: A dB (so dA = A dB A);
    ``eta_cov``: of M = A Psi A'; ``sigma`` (q x p x p) and ``mu`` (q x p): of the implied moments.
    """

    lam: np.ndarray
    a_beta: np.ndarray
    psi: np.ndarray
    alpha: np.ndarray
    eta_cov: np.ndarray
    sigma: np.ndarray
    mu: np.ndarray


def _sandwich(left: np.ndarray, stack: np.ndarray, right: np.ndarray) -> np.ndarray:
    """left @ stack[k] @ right for every k, as two matrix products over the whole stack."""
    q, a, b = stack.shape
    inner = (stack.reshape(q * a, b) @ right).reshape(q, a, -1)
    return np.matmul(left, inner)


def model_derivatives(mats: Matrices, directions: np.ndarray) -> Derivatives:
    """dM, dSigma and dmu along ``directions`` (q x entries of the model matrices laid end to
    end, :func:`servqual.sem.model.split_matrices`) by the product rule of the module docstring."""
    p, m = mats.lam.shape
    q = len(directions)
    dlam, dbeta, dpsi, dtheta, dnu, dalpha = split_matrices(directions, p, m)
    a_beta = np.matmul(mats.a_inv, dbeta)
    half = (a_beta.reshape(q * m, m) @ mats.eta_cov).reshape(q, m, m)
    deta = half + half.transpose(0, 2, 1) + _sandwich(mats.a_inv, dpsi, mats.a_inv.T)
    h = (dlam.reshape(q * p, m) @ (mats.eta_cov @ mats.lam.T)).reshape(q, p, p)
    dsigma = h + h.transpose(0, 2, 1) + _sandwich(mats.lam, deta, mats.lam.T) + dtheta
    a_alpha = mats.a_inv @ mats.alpha
    d_a_alpha = a_beta @ a_alpha + dalpha @ mats.a_inv.T
    dmu = dnu + dlam @ a_alpha + d_a_alpha @ mats.lam.T
    return Derivatives(dlam, a_beta, dpsi, dalpha, deta, dsigma, dmu)


def group_derivatives(spec: Spec, g: int, mats: Matrices) -> tuple[np.ndarray, Derivatives]:
    """The free parameters of group g and the derivatives of its model with respect to them."""
    layout = spec.layouts[g]
    return layout.free, model_derivatives(mats, layout.directions)


def entry_derivatives(kind: np.ndarray, row: np.ndarray, col: np.ndarray, n_items: int,
                      mats: Matrices) -> tuple[np.ndarray, np.ndarray]:
    """dSigma and dmu of arbitrary model-matrix entries (fixed or free), e.g. candidate
    parameters of modification indices."""
    directions = entry_directions(kind, row, col, np.eye(len(kind)), n_items, mats.lam.shape[1])
    deriv = model_derivatives(mats, directions)
    return deriv.sigma, deriv.mu


def slot_derivatives(spec: Spec, g: int, mats: Matrices) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Derivatives of Sigma and mu of group g with respect to its free slots.

    Returns the free indices of the slots, dSigma (slots x p x p) and dmu (slots x p).
    """
    sel = np.flatnonzero((spec.group == g) & (spec.free >= 0))
    return (spec.free[sel], *entry_derivatives(spec.kind[sel], spec.row[sel], spec.col[sel], spec.n_items, mats))


def free_derivatives(spec: Spec, g: int, mats: Matrices) -> tuple[np.ndarray, np.ndarray]:
    """dSigma (free x p x p) and dmu (free x p) of group g by free parameter (shared slots summed)."""
    free, deriv = group_derivatives(spec, g, mats)
    p = spec.n_items
    dsigma, dmu = np.zeros((spec.n_free, p, p)), np.zeros((spec.n_free, p))
    dsigma[free], dmu[free] = deriv.sigma, deriv.mu
    return dsigma, dmu


@dataclass(frozen=True)
class ResidualWeights:
    """Sigma^-1, the mean residual d = m - mu (0 without mean structure), C = S + d d' and
    W = Sigma^-1 - Sigma^-1 C Sigma^-1 of one group."""

    inv: np.ndarray
    d: np.ndarray
    c: np.ndarray
    w: np.ndarray


def residual_weights(stats_g: GroupStats, mats: Matrices, meanstructure: bool) -> ResidualWeights:
    """:class:`ResidualWeights` of one group at its model matrices."""
    inv = np.linalg.inv(mats.sigma)
    d = stats_g.mean - mats.mu if meanstructure else np.zeros(len(stats_g.mean))
    c = stats_g.cov + np.outer(d, d)
    return ResidualWeights(inv, d, c, inv - inv @ c @ inv)


def matrix_gradient(mats: Matrices, weights: ResidualWeights) -> np.ndarray:
    """dF_g with respect to every entry of the model matrices, laid end to end as
    :func:`servqual.sem.model.split_matrices` lays them (module docstring): with N = Lambda' W Lambda,
    v = Sigma^-1 d, a = A alpha and r = A' Lambda' v,

        dF/dLambda = 2 W Lambda M - 2 v a',   dF/dB = 2 A' N M - 2 r a',   dF/dPsi = A' N A,
        dF/dTheta = W,   dF/dnu = -2 v,   dF/dalpha = -2 r

    (each entry on its own; a symmetric off-diagonal parameter of Psi or Theta moves two entries
    and adds both). The gradient with respect to parameters is then one product with their
    directions, without the derivatives of Sigma along each of them (Neudecker & Satorra 1991;
    lavaan's ``lav_model_gradient.R`` takes the same route for ML)."""
    lam, a_inv, eta_cov, w = mats.lam, mats.a_inv, mats.eta_cov, weights.w
    n_mat = lam.T @ w @ lam
    v = weights.inv @ weights.d
    a_alpha = a_inv @ mats.alpha
    r = a_inv.T @ (lam.T @ v)
    parts = (2 * w @ lam @ eta_cov - 2 * np.outer(v, a_alpha), 2 * a_inv.T @ n_mat @ eta_cov - 2 * np.outer(r, a_alpha),
             a_inv.T @ n_mat @ a_inv, w, -2 * v, -2 * r)
    return np.concatenate([part.ravel() for part in parts])


def discrepancy_gradient(spec: Spec, stats_g: GroupStats, mats: Matrices, g: int) -> np.ndarray:
    """Analytic gradient of F_ML of group g by free parameter: dF = tr(W dSigma) - 2 d' Sigma^-1 dmu,
    W = Sigma^-1 - Sigma^-1 (S + d d') Sigma^-1, d = m - mu, by :func:`matrix_gradient` and the
    group's parameter directions."""
    layout = spec.layouts[g]
    out = np.zeros(spec.n_free)
    out[layout.free] = layout.directions @ matrix_gradient(mats, residual_weights(stats_g, mats, spec.meanstructure))
    return out


def gradient(spec: Spec, stats_list: Sequence[GroupStats], params: np.ndarray) -> np.ndarray:
    """Gradient of the multi-group F_ML = sum_g (n_g / N) F_g by free parameter."""
    n = sum(st.n for st in stats_list)
    return sum(st.n / n * discrepancy_gradient(spec, st, group_matrices(spec, params, g), g)
               for g, st in enumerate(stats_list))
