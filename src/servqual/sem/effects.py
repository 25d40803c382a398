"""Direct, indirect and total effects among the latent variables of a structural model.

With eta = B eta + zeta, the total effects are T = (I - B)^-1 - I = B + B^2 + ..., the direct
effects B, and the indirect effects T - B (Bollen 1987, Sociol. Methodol. 17; lavaan's
``lav_model_effects``, and its ``:=`` defined parameters such as ``ind := a*b``). Standardized
(std.all) effects scale by sd(eta_predictor) / sd(eta_outcome), the model-implied standard
deviations. Standard errors by the delta method (Sobel 1982, Sociol. Methodol. 13), as lavaan's
defined parameters; intervals for indirect effects, whose sampling distribution is skewed, by
Monte Carlo draws from the estimates' asymptotic distribution (Preacher & Selig 2012, Commun.
Methods Meas. 6(2)) or by the bias-corrected bootstrap (Efron 1987; MacKinnon, Lockwood &
Williams 2004, Multivariate Behav. Res. 39(1)).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from servqual.distributions import norm_cdf, norm_ppf, norm_sf
from servqual.sem.model import BETA, Spec, group_matrices
from servqual.sem.samplestats import is_positive_definite
from servqual.sem.standardize import central_difference_jacobian, delta_method_se

__all__ = ["EFFECT_COLUMNS", "bias_corrected_interval", "effect_pairs", "effect_table", "effect_values",
           "monte_carlo_draws"]

#: Columns of :func:`effect_table`.
EFFECT_COLUMNS = ["outcome", "predictor", "effect", "estimate", "se", "z", "pvalue", "ci_low", "ci_high",
                  "std_all", "std_se", "confidence"]
EFFECTS = ("direct", "indirect", "total")


def effect_pairs(spec: Spec) -> list[tuple[int, int]]:
    """(outcome, predictor) factor pairs joined by a directed path of the spec, in factor order.

    >>> from servqual.sem.model import structural_spec
    >>> effect_pairs(structural_spec([0, 0, 1, 1, 2, 3], 4, {2: [0, 1], 3: [2]}))
    [(2, 0), (2, 1), (3, 0), (3, 1), (3, 2)]
    """
    m = spec.n_factors
    reach = np.zeros((m, m), dtype=bool)
    beta = spec.kind == BETA
    reach[spec.row[beta], spec.col[beta]] = True
    for _ in range(m):
        reach |= (reach.astype(int) @ reach.astype(int)) > 0
    return [(k, l) for k in range(m) for l in range(m) if reach[k, l]]


def effect_values(spec: Spec, params: np.ndarray, pairs: Sequence[tuple[int, int]],
                  standardized: bool = False) -> np.ndarray:
    """Direct, indirect and total effect of each pair, as one vector (pair-major, EFFECTS order)."""
    mats = group_matrices(spec, params, 0)
    total = mats.a_inv - np.eye(spec.n_factors)
    direct = mats.beta
    k, l = np.array(pairs).T
    values = np.column_stack([direct[k, l], total[k, l] - direct[k, l], total[k, l]])
    if standardized:
        sd = np.sqrt(np.diag(mats.eta_cov))
        values *= (sd[l] / sd[k])[:, None]
    return values.ravel()


def effect_table(spec: Spec, params: np.ndarray, vcov: np.ndarray, factors: Sequence[str],
                 confidence: float = 0.95) -> pd.DataFrame:
    """Every direct, indirect and total effect among the factors with its delta-method SE, Wald
    test and interval, and its std.all value with SE (formulas in the module docstring).

    Returns
    -------
    pd.DataFrame
        Columns :data:`EFFECT_COLUMNS`, one row per (outcome, predictor, effect); effects that
        are structurally 0 (no direct path; no path through a mediator) are left out.
    """
    pairs = effect_pairs(spec)
    if not pairs:
        return pd.DataFrame(columns=EFFECT_COLUMNS)
    raw = lambda p: effect_values(spec, p, pairs)  # noqa: E731
    std = lambda p: effect_values(spec, p, pairs, standardized=True)  # noqa: E731
    estimate, se = raw(params), delta_method_se(central_difference_jacobian(raw, params), vcov)
    z = np.divide(estimate, se, out=np.full_like(estimate, np.nan), where=se > 0)
    half = norm_ppf(1 - (1 - confidence) / 2) * se
    table = pd.DataFrame({
        "outcome": [factors[k] for k, _ in pairs for _ in EFFECTS],
        "predictor": [factors[l] for _, l in pairs for _ in EFFECTS],
        "effect": list(EFFECTS) * len(pairs),
        "estimate": estimate, "se": se, "z": z, "pvalue": 2 * norm_sf(np.abs(z)),
        "ci_low": estimate - half, "ci_high": estimate + half,
        "std_all": std(params), "std_se": delta_method_se(central_difference_jacobian(std, params), vcov), "confidence": float(confidence),
    })
    structural_zero = (table["estimate"] == 0) & (table["se"] == 0)
    return table[~structural_zero].reset_index(drop=True)[EFFECT_COLUMNS]


def monte_carlo_draws(func: Callable[[np.ndarray], np.ndarray], params: np.ndarray, vcov: np.ndarray,
                      draws: int, rng: np.random.Generator) -> np.ndarray:
    """``func`` of parameter vectors drawn from N(params, vcov): draws x len(func(params)), the
    Monte Carlo distribution of a function of the estimates (Preacher & Selig 2012)."""
    method = "cholesky" if is_positive_definite(vcov) else "eigh"
    sample = rng.multivariate_normal(params, vcov, size=draws, method=method)
    return np.array([func(p) for p in sample])


def bias_corrected_interval(estimate: np.ndarray, replicates: np.ndarray, confidence: float = 0.95
                            ) -> tuple[np.ndarray, np.ndarray]:
    """Bias-corrected percentile interval of each column of ``replicates`` around ``estimate``:
    z0 = Phi^-1(share of replicates below the estimate), bounds at the percentiles
    Phi(2 z0 -+ z_(1 - a/2)) (Efron 1987; lavaan's ``boot.ci.type = "bca.simple"``).

    >>> rng = np.random.default_rng(1)
    >>> low, high = bias_corrected_interval(np.array([0.0]), rng.standard_normal((4000, 1)))
    >>> bool(-2.1 < low[0] < -1.8 and 1.8 < high[0] < 2.1)
    True
    """
    below = (replicates < estimate).mean(axis=0)
    z0 = norm_ppf(np.clip(below, 0.5 / len(replicates), 1 - 0.5 / len(replicates)))
    zq = norm_ppf(1 - (1 - confidence) / 2)
    low_q, high_q = norm_cdf(2 * z0 - zq), norm_cdf(2 * z0 + zq)
    low = np.array([np.quantile(replicates[:, j], q) for j, q in enumerate(low_q)])
    high = np.array([np.quantile(replicates[:, j], q) for j, q in enumerate(high_q)])
    return low, high
