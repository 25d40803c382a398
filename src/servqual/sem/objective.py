"""The normal-theory ML discrepancy function and the log-likelihood.

For one group with n_g respondents, sample means m and covariance S (divisor n_g), and implied
moments mu and Sigma:

    F_g = log|Sigma| + tr(S Sigma^-1) - log|S| - p [+ (m - mu)' Sigma^-1 (m - mu)],

and over G groups F = sum_g (n_g / N) F_g, whose minimum times N is the ML chi-square
(Jöreskog 1969, Psychometrika 34(2); Jöreskog 1971, Psychometrika 36(4), for groups). The
log-likelihood is -n/2 (p log 2 pi + log|Sigma| + tr(S Sigma^-1) [+ ...]) (lavaan's
``lav_model_objective.R`` and ``lav_model_loglik.R``; Rosseel 2012, J. Stat. Softw. 48(2)).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from servqual.sem.model import Matrices, Spec, group_matrices
from servqual.sem.samplestats import GroupStats

__all__ = ["discrepancy", "loglik", "objective"]


def discrepancy(stats_g: GroupStats, mats: Matrices, meanstructure: bool, inv: np.ndarray | None = None) -> float:
    """F_ML of one group: log|Sigma| + tr(S Sigma^-1) - log|S| - p (+ (m - mu)' Sigma^-1 (m - mu));
    ``inv``: Sigma^-1 where the caller has it.

    Raises numpy's LinAlgError when Sigma is not positive definite.
    """
    chol = np.linalg.cholesky(mats.sigma)
    inv = np.linalg.inv(mats.sigma) if inv is None else inv
    f = 2 * np.log(np.diag(chol)).sum() + np.sum(stats_g.cov * inv)
    f -= stats_g.logdet + len(stats_g.mean)
    if meanstructure:
        d = stats_g.mean - mats.mu
        f += d @ inv @ d
    return float(f)


def objective(spec: Spec, stats_list: Sequence[GroupStats], params: np.ndarray) -> float:
    """Multi-group F_ML = sum_g (n_g / N) F_g; the ML chi-square is N times its minimum."""
    n = sum(st.n for st in stats_list)
    return sum(st.n / n * discrepancy(st, group_matrices(spec, params, g), spec.meanstructure)
               for g, st in enumerate(stats_list))


def loglik(spec: Spec, stats_list: Sequence[GroupStats], params: np.ndarray) -> tuple[float, float]:
    """Model and unrestricted (saturated) log-likelihoods,
    -n/2 (p log 2 pi + log|Sigma| + tr(S Sigma^-1) [+ (m - mu)' Sigma^-1 (m - mu)])."""
    model = unrestricted = 0.0
    for g, st in enumerate(stats_list):
        p = len(st.mean)
        f = discrepancy(st, group_matrices(spec, params, g), spec.meanstructure)
        base = p * np.log(2 * np.pi) + st.logdet + p
        model += -st.n / 2 * (base + f)
        unrestricted += -st.n / 2 * base
    return model, unrestricted
