"""Checks of a solution after estimation: Heywood cases and latent correlations of 1 or more.

A standardized residual (or disturbance) variance at or below 0 is a Heywood case (an improper
solution; Dillon, Kumar & Mulani 1987, Psychol. Bull. 101(1)); a factor covariance matrix that is
not positive definite means a latent correlation of 1 or more, or a linear dependence among
factors (lavaan's ``lav_object_post_check.R``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from servqual.sem.model import THETA, Spec, group_matrices

__all__ = ["HEYWOOD_TOL", "LATENT_R_LIMIT", "improper_solution", "latent_dependence"]

#: Standardized residual variance at or below this counts as a Heywood case (improper solution).
HEYWOOD_TOL = 1e-4
#: Latent correlations at or above this (in absolute value) name a pair of dimensions as not distinct.
LATENT_R_LIMIT = 0.99


def improper_solution(spec: Spec, params: np.ndarray, item_names: Sequence[str], factor_names: Sequence[str],
                      group_names: Sequence[str] = ()) -> tuple[str, str]:
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
        mats = group_matrices(spec, params, g)
        item_resid = np.diag(mats.theta) / np.diag(mats.sigma)
        # an outcome measured by one rating has its residual variance fixed at 0 by design
        estimated = np.zeros(spec.n_items, dtype=bool)
        free_theta = (spec.group == g) & (spec.kind == THETA) & (spec.row == spec.col) & (spec.free >= 0)
        estimated[spec.row[free_theta]] = True
        variances += [f"residual variance of {item_names[i]}{where} = {mats.theta[i, i]:.4g}"
                      for i in np.flatnonzero(estimated & (item_resid <= HEYWOOD_TOL))]
        eta_var = np.diag(mats.eta_cov)
        endogenous = mats.beta.any(axis=1)
        latent_resid = np.where(endogenous, np.diag(mats.psi) / np.where(eta_var > 0, eta_var, 1.0), 1.0)
        variances += [f"disturbance variance of {factor_names[k]}{where} = {mats.psi[k, k]:.4g}"
                      for k in np.flatnonzero(latent_resid <= HEYWOOD_TOL)]
        if np.linalg.eigvalsh(mats.eta_cov).min() <= HEYWOOD_TOL * max(eta_var.max(), 1e-300):
            latent.append(latent_dependence(mats.eta_cov, factor_names, where))
    if variances:
        return "heywood", "; ".join(dict.fromkeys(variances + latent))
    if latent:
        return "latent_correlation", "; ".join(dict.fromkeys(latent))
    return "ok", ""


def latent_dependence(eta_cov: np.ndarray, factor_names: Sequence[str], where: str = "") -> str:
    """Words for a factor covariance matrix that is not positive definite: the pairs of factors
    whose correlation reaches :data:`LATENT_R_LIMIT`, or a linear dependence among several."""
    scale = np.sqrt(np.clip(np.diag(eta_cov), 1e-300, None))
    r = eta_cov / np.outer(scale, scale)
    pairs = [f"{factor_names[a]} and {factor_names[b]} (r = {r[a, b]:.3f})"
             for a, b in zip(*np.triu_indices_from(r, 1)) if abs(r[a, b]) >= LATENT_R_LIMIT]
    if pairs:
        return (f"latent correlation of {LATENT_R_LIMIT:g} or more{where}, the dimensions are not distinct: "
                + ", ".join(pairs))
    return f"factor covariance matrix{where} is not positive definite: a dimension is a linear combination of others"
