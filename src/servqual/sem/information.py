"""Information matrices and the covariance matrix of the estimates.

Expected (Fisher) information of one observation from a normal distribution, for parameters
with derivatives dSigma and dmu (Magnus & Neudecker 1988; lavaan's ``lav_model_information.R``):

    I_ab = 1/2 tr(Sigma^-1 dSigma_a Sigma^-1 dSigma_b) + dmu_a' Sigma^-1 dmu_b,

summed over groups weighted by n_g. The observed information is N/2 times the Hessian of
F = sum_g (n_g / N) F_g (the negative Hessian of the log-likelihood), here by central
differences of the analytic gradient. Standard errors are the square roots of the diagonal of
the inverse information (lavaan's default ``se = "standard"``, ``information = "expected"``
for ML with complete data; n, not n - 1). Rosseel (2012), J. Stat. Softw. 48(2).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np

from servqual.sem.gradient import free_derivatives, gradient
from servqual.sem.model import Spec, group_matrices
from servqual.sem.samplestats import GroupStats

__all__ = ["expected_information", "hessian", "observed_information", "parameter_vcov", "unit_information"]


def unit_information(sigma: np.ndarray, dsigma: np.ndarray, dmu: np.ndarray, meanstructure: bool) -> np.ndarray:
    """Expected information of one observation for parameters with derivatives dsigma, dmu:
    1/2 tr(Sigma^-1 dS_a Sigma^-1 dS_b) [+ dmu_a' Sigma^-1 dmu_b], via the Cholesky factor of Sigma.

    >>> round(float(unit_information(np.eye(1) * 2.0, np.ones((1, 1, 1)), np.zeros((1, 1)), False)[0, 0]), 4)
    0.125
    """
    chol_inv = np.linalg.inv(np.linalg.cholesky(sigma))
    white = chol_inv @ dsigma @ chol_inv.T
    info = 0.5 * np.einsum("aij,bij->ab", white, white)
    if meanstructure:
        wmu = dmu @ chol_inv.T
        info += wmu @ wmu.T
    return info


def expected_information(spec: Spec, stats_list: Sequence[GroupStats], params: np.ndarray) -> np.ndarray:
    """Total expected information sum_g n_g [1/2 tr(S^-1 dS_a S^-1 dS_b) + dmu_a' S^-1 dmu_b]."""
    info = np.zeros((spec.n_free, spec.n_free))
    for g, st in enumerate(stats_list):
        mats = group_matrices(spec, params, g)
        dsigma, dmu = free_derivatives(spec, g, mats)
        info += st.n * unit_information(mats.sigma, dsigma, dmu, spec.meanstructure)
    return info


def hessian(spec: Spec, stats_list: Sequence[GroupStats], params: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Hessian of F_ML by central differences of its analytic gradient (error of order h^2)."""
    columns = []
    for i in range(len(params)):
        shift = np.zeros_like(params)
        shift[i] = h
        columns.append((gradient(spec, stats_list, params + shift) - gradient(spec, stats_list, params - shift)) / (2 * h))
    mat = np.column_stack(columns)
    return (mat + mat.T) / 2


def observed_information(spec: Spec, stats_list: Sequence[GroupStats], params: np.ndarray) -> np.ndarray:
    """Total observed information N/2 H(F_ML), the negative Hessian of the log-likelihood."""
    return sum(st.n for st in stats_list) / 2 * hessian(spec, stats_list, params)


def parameter_vcov(spec: Spec, stats_list: Sequence[GroupStats], params: np.ndarray,
                   information: Literal["expected", "observed"] = "expected") -> np.ndarray:
    """Covariance matrix of the free parameters, V = I^-1 (pseudo-inverse) of the total information."""
    info = (expected_information if information == "expected" else observed_information)(spec, stats_list, params)
    return np.linalg.pinv(info)
