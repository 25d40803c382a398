"""Modification indices and expected parameter changes of fixed-to-zero parameters.

The modification index of a parameter fixed at 0 is the score (Lagrange multiplier) test of
freeing it (Sörbom 1989, Psychometrika 54(3); lavaan's ``lav_modification.R``):

    MI = n g^2 / (I_cc - I_c. I_..^-1 I_.c),   EPC = -g / (I_cc - I_c. I_..^-1 I_.c),

with g = d(F_ML / 2) / d theta_c = 1/2 tr(W dSigma_c) at the estimates, W = Sigma^-1 -
Sigma^-1 S Sigma^-1, and I the expected information of one observation over the free
parameters (.) and the candidate (c). Candidates: residual covariances between items and
cross-loadings of items on factors other than their own (single-group models without mean
structure). The standardized EPC (lavaan's ``sepc.all``) is the EPC on the std.all scale of the
candidate: a residual covariance divided by the two residual standard deviations, a
cross-loading times sd(eta_k) / sd(x_i).

Under WLSMV (:func:`wlsmv_modification_indices`, lavaan's ``modindices`` of a fit with
``ordered`` items, delta parameterization) the score test is that of the DWLS fit function
F = (r - sigma)' W (r - sigma) on the polychoric correlations r (W = diag(Gamma)^-1) with the
expected information J'WJ of the correlations' Jacobian J over the free parameters and the
candidate:

    g = (N - 1)/N J_c' W (r - sigma),   v = I_cc - I_c. I_..^-1 I_.c,   MI = N g^2 / v,   EPC = g / v

(lavaan weighs the gradient of the DWLS fit function by (N - 1) / N, its expected information
by 1, as in :func:`servqual.sem.wlsmv_groups.wlsmv_score_tests`).

The std.all scale of a candidate takes the latent responses' variances as 1 and their residual
variances as 1 - communality.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import pandas as pd

from servqual.sem.blas import single_blas_thread
from servqual.sem.gradient import entry_derivatives, free_derivatives
from servqual.sem.information import unit_information
from servqual.sem.model import LAMBDA, THETA, Spec, group_matrices
from servqual.sem.ordinal import OrdinalStats
from servqual.sem.samplestats import GroupStats
from servqual.sem.standardize import std_all_scale
from servqual.sem.wlsmv import WLSMVFit

__all__ = ["MODIFICATION_COLUMNS", "modification_indices", "wlsmv_modification_indices"]

#: Columns of :func:`modification_indices`.
MODIFICATION_COLUMNS = ["lhs", "op", "rhs", "mi", "epc", "sepc_all"]


def _candidates(spec: Spec, kinds: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Model-matrix entries not in the model: residual covariances (i > j) and cross-loadings."""
    in_model = set(zip(spec.kind.tolist(), spec.row.tolist(), spec.col.tolist()))
    entries = []
    if "residual_covariances" in kinds:
        entries += [(THETA, i, j) for j in range(spec.n_items) for i in range(j + 1, spec.n_items)
                    if (THETA, i, j) not in in_model]
    if "cross_loadings" in kinds:
        measured = sorted(set(spec.col[spec.kind == LAMBDA].tolist()))
        entries += [(LAMBDA, i, k) for k in measured for i in range(spec.n_items) if (LAMBDA, i, k) not in in_model]
    if not entries:
        return np.zeros(0, int), np.zeros(0, int), np.zeros(0, int)
    return tuple(np.array(column) for column in zip(*entries))


@single_blas_thread
def modification_indices(spec: Spec, st: GroupStats, params: np.ndarray, items: Sequence[str],
                         factors: Sequence[str],
                         kinds: Sequence[str] = ("residual_covariances", "cross_loadings")) -> pd.DataFrame:
    """Modification index and expected parameter change of every residual covariance and
    cross-loading not in a single-group model (formulas in the module docstring).

    Parameters
    ----------
    spec, st, params
        A single-group model without mean structure, its sample statistics and estimates.
    items, factors : sequence of str
        Names of the observed and latent variables.
    kinds : sequence of str
        ``residual_covariances`` (item ~~ item) and/or ``cross_loadings`` (factor =~ item).

    Returns
    -------
    pd.DataFrame
        Columns lhs, op, rhs, mi, epc, sepc_all in model order (residual covariances by column of Theta,
        then cross-loadings by factor), as lavaan's ``modindices``.
    """
    kind, row, col = _candidates(spec, kinds)
    if not len(kind):
        return pd.DataFrame(columns=MODIFICATION_COLUMNS)
    mats = group_matrices(spec, params, 0)
    inv = np.linalg.inv(mats.sigma)
    w = inv - inv @ st.cov @ inv
    p = spec.n_items
    dfree, _ = free_derivatives(spec, 0, mats)
    dcand, _ = entry_derivatives(kind, row, col, p, mats)
    info = unit_information(mats.sigma, np.concatenate([dfree, dcand]), np.zeros((spec.n_free + len(kind), p)), False)
    q = spec.n_free
    i11, i12, i22 = info[:q, :q], info[:q, q:], np.diag(info[q:, q:])
    v = i22 - np.einsum("qc,qc->c", i12, np.linalg.pinv(i11) @ i12)
    grad = 0.5 * np.einsum("ij,cij->c", w, dcand)
    epc = -grad / v
    return _table(kind, row, col, items, factors, st.n * grad**2 / v, epc, epc * std_all_scale(kind, row, col, mats))


def _table(kind: np.ndarray, row: np.ndarray, col: np.ndarray, items: Sequence[str], factors: Sequence[str],
           mi: np.ndarray, epc: np.ndarray, sepc_all: np.ndarray) -> pd.DataFrame:
    theta = kind == THETA
    return pd.DataFrame({
        "lhs": [items[c] if t else factors[c] for t, c in zip(theta, col)],
        "op": np.where(theta, "~~", "=~"),
        "rhs": [items[i] for i in row],
        "mi": mi,
        "epc": epc,
        "sepc_all": sepc_all,
    })


@single_blas_thread
def wlsmv_modification_indices(fit: WLSMVFit, ostats: OrdinalStats, items: Sequence[str], factors: Sequence[str],
                               kinds: Sequence[str] = ("residual_covariances", "cross_loadings")) -> pd.DataFrame:
    """Modification index and expected parameter change of every residual covariance and
    cross-loading not in a single-group WLSMV fit (:func:`servqual.sem.wlsmv.fit_wlsmv`;
    formulas in the module docstring), as lavaan's ``modindices(fit, sort. = FALSE)``.

    Parameters
    ----------
    fit, ostats
        The WLSMV fit and the ordinal sample statistics it was fitted to.
    items, factors, kinds
        As :func:`modification_indices`.

    Returns
    -------
    pd.DataFrame
        Columns of :data:`MODIFICATION_COLUMNS`, in the order of :func:`modification_indices`.
    """
    spec = fit.spec
    kind, row, col = _candidates(spec, kinds)
    if not len(kind):
        return pd.DataFrame(columns=MODIFICATION_COLUMNS)
    p = spec.n_items
    cols, rows = np.triu_indices(p, 1)
    mats = group_matrices(spec, fit.params, 0)
    dfree, _ = free_derivatives(spec, 0, mats)
    dcand, _ = entry_derivatives(kind, row, col, p, mats)
    jac = np.concatenate([dfree, dcand])[:, rows, cols].T
    n_th = len(ostats.gamma) - len(rows)
    w = 1 / np.diag(ostats.gamma)[n_th:]
    info = jac.T @ (w[:, None] * jac)
    q = spec.n_free
    i11, i12, i22 = info[:q, :q], info[:q, q:], np.diag(info[q:, q:])
    v = i22 - np.einsum("qc,qc->c", i12, np.linalg.pinv(i11) @ i12)
    residual = ostats.correlations[rows, cols] - mats.sigma[rows, cols]
    grad = (ostats.n - 1) / ostats.n * jac[:, q:].T @ (w * residual)
    epc = grad / v
    communality = np.diag(mats.sigma)
    unit = dataclasses.replace(mats, theta=np.diag(1 - communality), sigma=mats.sigma + np.diag(1 - communality))
    return _table(kind, row, col, items, factors, ostats.n * grad**2 / v, epc,
                  epc * std_all_scale(kind, row, col, unit))
