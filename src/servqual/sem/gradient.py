"""Analytic derivatives of the implied moments and of the ML discrepancy function.

With W = Sigma^-1 - Sigma^-1 (S + d d') Sigma^-1 and d = m - mu, the gradient of F_g is

    dF_g / dtheta = tr(W dSigma/dtheta) - 2 d' Sigma^-1 dmu/dtheta,

and dSigma = H + H' for each model-matrix entry: H = e_i (Lambda M)_j' for a loading lambda_ij,
(Lambda A)_k (Lambda M)_l' for a regression B_kl, halved outer products on the diagonal of Psi
and Theta (M = A Psi A'). Neudecker & Satorra (1991), Linear Algebra Appl. 149; lavaan's
``lav_model_gradient.R`` (Rosseel 2012, J. Stat. Softw. 48(2)).
"""

from __future__ import annotations

from collections.abc import Sequence

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
)
from servqual.sem.samplestats import GroupStats

__all__ = ["discrepancy_gradient", "entry_derivatives", "free_derivatives", "gradient", "slot_derivatives"]


def slot_derivatives(spec: Spec, g: int, mats: Matrices) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Derivatives of Sigma and mu of group g with respect to its free slots.

    Returns the free indices of the slots, dSigma (slots x p x p) and dmu (slots x p).
    """
    return _derivatives(spec.kind, spec.row, spec.col, np.flatnonzero((spec.group == g) & (spec.free >= 0)),
                        spec.free, spec.n_items, mats)


def entry_derivatives(kind: np.ndarray, row: np.ndarray, col: np.ndarray, n_items: int,
                      mats: Matrices) -> tuple[np.ndarray, np.ndarray]:
    """dSigma and dmu of arbitrary model-matrix entries (fixed or free), e.g. candidate
    parameters of modification indices."""
    sel = np.arange(len(kind))
    return _derivatives(kind, row, col, sel, sel, n_items, mats)[1:]


def _derivatives(kind_all, row_all, col_all, sel, free_all, p, mats):
    kind, row, col = kind_all[sel], row_all[sel], col_all[sel]
    la = mats.lam @ mats.a_inv
    lm = mats.lam @ mats.eta_cov
    a_alpha = mats.a_inv @ mats.alpha
    n = len(sel)
    h = np.zeros((n, p, p))
    dmu = np.zeros((n, p))
    idx = np.arange(n)

    s = kind == LAMBDA
    h[idx[s], row[s], :] = lm[:, col[s]].T
    dmu[idx[s], row[s]] = a_alpha[col[s]]
    s = kind == BETA
    h[s] = la[:, row[s]].T[:, :, None] * lm[:, col[s]].T[:, None, :]
    dmu[s] = la[:, row[s]].T * a_alpha[col[s]][:, None]
    s = kind == PSI
    half = np.where(row[s] == col[s], 0.5, 1.0)
    h[s] = half[:, None, None] * la[:, row[s]].T[:, :, None] * la[:, col[s]].T[:, None, :]
    s = kind == THETA
    h[idx[s], row[s], col[s]] = np.where(row[s] == col[s], 0.5, 1.0)
    s = kind == NU
    dmu[idx[s], row[s]] = 1.0
    s = kind == ALPHA
    dmu[s] = la[:, row[s]].T
    return free_all[sel], h + h.transpose(0, 2, 1), dmu


def free_derivatives(spec: Spec, g: int, mats: Matrices) -> tuple[np.ndarray, np.ndarray]:
    """dSigma (free x p x p) and dmu (free x p) of group g by free parameter (shared slots summed)."""
    free, dsigma, dmu = slot_derivatives(spec, g, mats)
    onehot = np.zeros((spec.n_free, len(free)))
    onehot[free, np.arange(len(free))] = 1.0
    return np.einsum("qs,sij->qij", onehot, dsigma), onehot @ dmu


def discrepancy_gradient(spec: Spec, stats_g: GroupStats, mats: Matrices, g: int) -> np.ndarray:
    """Analytic gradient of F_ML of group g: dF = tr(W dSigma) - 2 d' Sigma^-1 dmu,
    W = Sigma^-1 - Sigma^-1 (S + d d') Sigma^-1, d = m - mu."""
    inv = np.linalg.inv(mats.sigma)
    d = stats_g.mean - mats.mu if spec.meanstructure else np.zeros(spec.n_items)
    w = inv - inv @ (stats_g.cov + np.outer(d, d)) @ inv
    free, dsigma, dmu = slot_derivatives(spec, g, mats)
    slot_grad = np.einsum("ij,sij->s", w, dsigma) - 2 * dmu @ (inv @ d)
    return np.bincount(free, weights=slot_grad, minlength=spec.n_free)


def gradient(spec: Spec, stats_list: Sequence[GroupStats], params: np.ndarray) -> np.ndarray:
    """Gradient of the multi-group F_ML = sum_g (n_g / N) F_g by free parameter."""
    n = sum(st.n for st in stats_list)
    return sum(st.n / n * discrepancy_gradient(spec, st, group_matrices(spec, params, g), g)
               for g, st in enumerate(stats_list))
