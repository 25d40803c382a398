"""Full-information maximum likelihood (FIML) for incomplete answers (lavaan's ``missing = "ml"``).

Each respondent contributes the normal log-likelihood of the items he answered (Anderson 1957,
J. Am. Stat. Assoc. 52(278); Arbuckle 1996, in Marcoulides & Schumacker (eds.), Advanced
Structural Equation Modeling). Respondents who skipped the same items share a missing-data
pattern k with observed items o_k, count n_k, sums s_k and cross-products C_k of their answers,
and the pattern's contribution depends on the data only through these:

    logL_k = -1/2 [n_k (p_k log 2 pi + log|Sigma_oo|) + tr(Sigma_oo^-1 Q_k)],
    Q_k = C_k - s_k mu_o' - mu_o s_k' + n_k mu_o mu_o',

so the likelihood, its gradient

    dlogL / dSigma = -1/2 sum_k (n_k Sigma_oo^-1 - Sigma_oo^-1 Q_k Sigma_oo^-1),
    dlogL / dmu = sum_k Sigma_oo^-1 (s_k - n_k mu_o)

(zero outside the observed block) and the EM algorithm cost O(patterns), not O(n). All
patterns are handled at once: Sigma_oo is padded to p x p with the identity on the missing
items, which leaves its determinant and (on the observed block) its inverse unchanged.

Computed as lavaan 0.6 computes them (Rosseel 2012, J. Stat. Softw. 48(2);
``lav_mvnorm_missing.R``, ``lav_model_information.R``):

- the model by FIML with a mean structure (free intercepts);
- the unrestricted (H1) model: means and covariance matrix by EM (Dempster, Laird & Rubin 1977,
  J. R. Stat. Soc. B 39(1); lavaan's ``lav_mvnorm_missing_h1_estimate_moments``), and
  chi2 = 2 (logL_H1 - logL_H0) on G (p (p + 1) / 2 + p) - q degrees of freedom;
- the independence (baseline) model, free means and variances, fitted by FIML: with a
  diagonal Sigma the likelihood factors by item, so its estimates are each item's mean and
  ML variance over the respondents who answered it;
- standard errors from the inverse observed information, the negative Hessian of logL
  (lavaan's defaults for ``missing = "ml"``: ``information = "observed"``,
  ``observed.information = "hessian"``), here by central differences of the analytic gradient.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import optimize

from servqual.sem.estimation import GRADIENT_TOL, Estimate, start_values
from servqual.sem.fit import FitIndices, fit_indices
from servqual.sem.gradient import free_derivatives
from servqual.sem.model import NU, Spec, build_spec, group_matrices
from servqual.sem.samplestats import GroupStats

__all__ = ["FimlFit", "Patterns", "em_moments", "estimate_fiml", "fiml_fit", "fiml_gradient", "fiml_loglik",
           "fiml_observed_information", "independence_loglik", "missing_patterns", "moments_loglik",
           "with_intercepts"]

_LOG_2PI = np.log(2 * np.pi)


@dataclass(frozen=True)
class Patterns:
    """Respondents of one group grouped by missing-data pattern (rows with no answer dropped).

    ``observed`` (K x p, bool) marks the answered items of each pattern; ``count`` (K) its
    respondents; ``sums`` (K x p) and ``crossprod`` (K x p x p) their sums and cross-products,
    zero for items not answered.
    """

    observed: np.ndarray
    count: np.ndarray
    sums: np.ndarray
    crossprod: np.ndarray

    @property
    def n(self) -> int:
        """Respondents with at least one answer."""
        return int(self.count.sum())

    @property
    def n_patterns(self) -> int:
        """Number of distinct missing-data patterns."""
        return len(self.count)

    @property
    def n_incomplete(self) -> int:
        """Respondents who skipped at least one item (and answered at least one)."""
        return int(self.count[~self.observed.all(axis=1)].sum())


def missing_patterns(x: np.ndarray) -> Patterns:
    """Group the rows of ``x`` (NaN = missing) by missing-data pattern, once.

    >>> pat = missing_patterns(np.array([[1.0, np.nan], [2.0, np.nan], [1.0, 3.0], [np.nan, np.nan]]))
    >>> pat.n, pat.n_patterns, pat.count.tolist(), pat.sums.tolist()
    (3, 2, [2, 1], [[3.0, 0.0], [1.0, 3.0]])
    """
    answered = ~np.isnan(x)
    keep = answered.any(axis=1)
    x, answered = np.where(answered, x, 0.0)[keep], answered[keep]
    observed, inverse, count = np.unique(answered, axis=0, return_inverse=True, return_counts=True)
    order = np.argsort(inverse.ravel(), kind="stable")
    starts = np.concatenate([[0], np.cumsum(count)[:-1]])
    rows = x[order]
    sums = np.add.reduceat(rows, starts, axis=0)
    # Cross-products pattern by pattern: one small matrix product each, no n x p x p array.
    crossprod = np.stack([rows[a:a + c].T @ rows[a:a + c] for a, c in zip(starts, count)])
    return Patterns(observed, count, sums, crossprod)


def _padded_inverse(patterns: Patterns, sigma: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sigma_oo^-1 of every pattern, zero-padded to p x p, and log|Sigma_oo|.

    Raises numpy's LinAlgError when a Sigma_oo is not positive definite.
    """
    block = patterns.observed[:, :, None] & patterns.observed[:, None, :]
    padded = np.where(block, sigma, 0.0)
    p = len(sigma)
    padded[:, np.arange(p), np.arange(p)] += ~patterns.observed
    chol = np.linalg.cholesky(padded)
    logdet = 2 * np.log(np.diagonal(chol, axis1=1, axis2=2)).sum(axis=1)
    return np.linalg.inv(padded) * block, logdet


def _centred_crossprod(patterns: Patterns, mu: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Q_k = sum_i (x_i - mu)_o (x_i - mu)_o' and r_k = s_k - n_k mu_o, zero outside o_k."""
    mu_o = patterns.observed * mu
    n = patterns.count[:, None]
    q = (patterns.crossprod - patterns.sums[:, :, None] * mu_o[:, None, :] - mu_o[:, :, None] * patterns.sums[:, None, :]
         + (n * mu_o)[:, :, None] * mu_o[:, None, :])
    return q, patterns.sums - n * mu_o


def moments_loglik(patterns: Patterns, mu: np.ndarray, sigma: np.ndarray, *,
                   gradient: bool = False) -> tuple[float, np.ndarray | None, np.ndarray | None]:
    """Observed-data log-likelihood at means mu and covariance sigma; with ``gradient`` also
    dlogL/dmu and dlogL/dSigma (the latter for Sigma's entries taken as unconstrained).

    >>> x = np.array([[0.0, 1.0], [1.0, np.nan], [2.0, 3.0]])
    >>> round(moments_loglik(missing_patterns(x), np.array([1.0, 2.0]), np.eye(2))[0], 4)
    -6.2568
    """
    inv, logdet = _padded_inverse(patterns, sigma)
    q, resid = _centred_crossprod(patterns, mu)
    n = patterns.count
    p_k = patterns.observed.sum(axis=1)
    loglik = -0.5 * float(n @ (p_k * _LOG_2PI + logdet) + np.einsum("kij,kji->", inv, q))
    if not gradient:
        return loglik, None, None
    grad_mu = np.einsum("kij,kj->i", inv, resid)
    grad_sigma = -0.5 * (np.einsum("k,kij->ij", n.astype(float), inv) - np.einsum("kij,kjl,klm->im", inv, q, inv))
    return loglik, grad_mu, grad_sigma


def with_intercepts(spec: Spec) -> Spec:
    """The same model with a mean structure: a free intercept per item and group (latent means
    0), as lavaan adds for ``missing = "ml"``."""
    slots = list(zip(spec.kind, spec.group, spec.row, spec.col,
                     [None if f < 0 else ("free", f) for f in spec.free], spec.value))
    slots += [(NU, g, i, 0, ("nu", g, i), 0.0) for g in range(spec.n_groups) for i in range(spec.n_items)]
    return build_spec(slots, spec.n_items, spec.n_factors, spec.n_groups, True)


def fiml_loglik(spec: Spec, patterns_list: Sequence[Patterns], params: np.ndarray) -> float:
    """FIML log-likelihood of a (multi-group) model with mean structure: sum_g logL_g(mu_g, Sigma_g)."""
    total = 0.0
    for g, pat in enumerate(patterns_list):
        mats = group_matrices(spec, params, g)
        total += moments_loglik(pat, mats.mu, mats.sigma)[0]
    return total


def fiml_gradient(spec: Spec, patterns_list: Sequence[Patterns], params: np.ndarray) -> np.ndarray:
    """Analytic gradient of the FIML log-likelihood by free parameter:
    dlogL/dtheta = sum_g [tr(G_g dSigma_g/dtheta) + g_g' dmu_g/dtheta], G and g from
    :func:`moments_loglik`."""
    grad = np.zeros(spec.n_free)
    for g, pat in enumerate(patterns_list):
        mats = group_matrices(spec, params, g)
        _, grad_mu, grad_sigma = moments_loglik(pat, mats.mu, mats.sigma, gradient=True)
        dsigma, dmu = free_derivatives(spec, g, mats)
        grad += np.einsum("ij,qij->q", grad_sigma, dsigma) + dmu @ grad_mu
    return grad


def _negative_hessian(spec: Spec, patterns_list: Sequence[Patterns], params: np.ndarray,
                      h: float = 1e-5) -> np.ndarray:
    columns = []
    for step in np.eye(len(params)) * h:
        columns.append(fiml_gradient(spec, patterns_list, params - step)
                       - fiml_gradient(spec, patterns_list, params + step))
    mat = np.column_stack(columns) / (2 * h)
    return (mat + mat.T) / 2


def fiml_observed_information(spec: Spec, patterns_list: Sequence[Patterns], params: np.ndarray) -> np.ndarray:
    """Observed information -d2 logL / dtheta dtheta' by central differences of the analytic
    gradient (lavaan's default for ``missing = "ml"``); its inverse is the covariance matrix of
    the estimates."""
    return _negative_hessian(spec, patterns_list, params)


def em_moments(patterns: Patterns, *, tol: float = 1e-11, max_iter: int = 2000) -> tuple[np.ndarray, np.ndarray, float]:
    """Unrestricted ML means and covariance matrix of incomplete data by EM, and logL at them.

    E-step per pattern, with A_k = Sigma P_k (P_k = padded Sigma_oo^-1) and the pattern's
    centred sums r_k and cross-products Q_k: sum_i E[x_i] = n_k mu + A_k r_k and
    sum_i E[x_i x_i'] = n_k (Sigma - A_k Sigma) + n_k mu mu' + A_k r_k mu' + mu r_k' A_k'
    + A_k Q_k A_k'; M-step mu = T1 / N, Sigma = T2 / N - mu mu'. Starts from each item's
    available-case mean and variance; stops when no moment changes by more than ``tol``
    (Dempster, Laird & Rubin 1977; Little & Rubin 2002, Statistical Analysis with Missing Data,
    ch. 11).

    >>> x = np.array([[0.0, 1.0], [1.0, np.nan], [2.0, 3.0], [3.0, 2.0], [np.nan, 1.0]])
    >>> mu, sigma, ll = em_moments(missing_patterns(x))
    >>> np.round(mu, 4).tolist()
    [1.5, 1.8107]
    """
    n = patterns.n
    counts = patterns.count.astype(float)
    answered = patterns.observed.T @ counts
    mu = patterns.sums.sum(axis=0) / answered
    sigma = np.diag(np.einsum("kii->i", patterns.crossprod) / answered - mu**2)
    for _ in range(max_iter):
        inv, _ = _padded_inverse(patterns, sigma)
        q, resid = _centred_crossprod(patterns, mu)
        a = sigma @ inv  # (K, p, p): Sigma P_k
        shift = np.einsum("kij,kj->i", a, resid)
        t1 = n * mu + shift
        t2 = (n * (sigma + np.outer(mu, mu)) - np.einsum("k,kij,jl->il", counts, a, sigma)
              + np.outer(shift, mu) + np.outer(mu, shift) + np.einsum("kij,kjl,kml->im", a, q, a))
        new_mu = t1 / n
        new_sigma = t2 / n - np.outer(new_mu, new_mu)
        change = max(np.abs(new_mu - mu).max(), np.abs(new_sigma - sigma).max())
        mu, sigma = new_mu, (new_sigma + new_sigma.T) / 2
        if change < tol:
            break
    return mu, sigma, moments_loglik(patterns, mu, sigma)[0]


def independence_loglik(patterns: Patterns) -> float:
    """FIML log-likelihood of the independence model (free means and variances, no
    covariances): per item -n_j / 2 (log 2 pi + log v_j + 1), n_j its respondents and v_j
    their ML variance."""
    counts = patterns.count.astype(float)
    answered = patterns.observed.T @ counts
    mean = patterns.sums.sum(axis=0) / answered
    var = np.einsum("kii->i", patterns.crossprod) / answered - mean**2
    return float(-0.5 * answered @ (_LOG_2PI + np.log(var) + 1))


def _objective_and_gradient(spec: Spec, patterns_list: Sequence[Patterns], n: int):
    """-logL / N and its gradient (lavaan's FIML objective), a large value where Sigma is not
    positive definite (the line search then steps back)."""
    def fun(x: np.ndarray) -> tuple[float, np.ndarray]:
        try:
            return -fiml_loglik(spec, patterns_list, x) / n, -fiml_gradient(spec, patterns_list, x) / n
        except np.linalg.LinAlgError:
            return 1e10, np.zeros_like(x)
    return fun


def estimate_fiml(spec: Spec, patterns_list: Sequence[Patterns], h1_moments: Sequence[tuple[np.ndarray, np.ndarray]],
                  *, nonnegative_variances: bool = True, newton_steps: int = 2) -> Estimate:
    """FIML estimates of a spec with mean structure: L-BFGS-B on -logL / N from
    :func:`~servqual.sem.estimation.start_values` of the EM moments ``h1_moments`` (mu, Sigma
    per group), then Newton steps on the observed information while they shrink the gradient.
    ``fmin`` of the result is -logL / N.
    """
    n = sum(p.n for p in patterns_list)
    stats_list = [GroupStats(p.n, mu, sigma) for p, (mu, sigma) in zip(patterns_list, h1_moments)]
    start = start_values(spec, stats_list)
    fun = _objective_and_gradient(spec, patterns_list, n)
    variances = spec.variance_parameters()
    lower = np.full(spec.n_free, -np.inf)
    if nonnegative_variances:
        lower[variances] = 0.0
    result = optimize.minimize(fun, np.maximum(start, lower), jac=True, method="L-BFGS-B",
                               bounds=optimize.Bounds(lower, np.inf),
                               options={"maxiter": 20000, "maxfun": 40000, "ftol": 1e-15, "gtol": 1e-9})
    params = result.x
    grad = fun(params)[1]
    if (params[variances] > 1e-6).all():
        for _ in range(newton_steps):
            try:
                candidate = params - np.linalg.solve(_negative_hessian(spec, patterns_list, params) / n, -grad)
                new_grad = fun(candidate)[1]
            except np.linalg.LinAlgError:
                break
            if (candidate[variances] <= 0).any() or not np.abs(new_grad).max() < np.abs(grad).max():
                break
            params, grad = candidate, new_grad
    fmin = fun(params)[0]
    at_bound = (params <= 1e-8) & (grad > 0) & (lower == 0)
    gmax = float(np.abs(np.where(at_bound, 0.0, grad)).max())
    converged = bool(fmin < 1e10 and gmax < GRADIENT_TOL)
    return Estimate(params, float(fmin), converged, bool(result.success), str(result.message), gmax)


@dataclass(frozen=True)
class FimlFit:
    """Fit measures of a FIML model: lavaan's fit indices, the three log-likelihoods and the
    EM (H1) moments of each group, which stand in for the sample moments (SRMR)."""

    indices: FitIndices
    loglik: float
    unrestricted_loglik: float
    baseline_loglik: float
    h1_moments: list[tuple[np.ndarray, np.ndarray]]


def fiml_fit(spec: Spec, patterns_list: Sequence[Patterns], params: np.ndarray,
             h1: Sequence[tuple[np.ndarray, np.ndarray, float]]) -> FimlFit:
    """chi2 = 2 (logL_H1 - logL_H0), baseline chi2 = 2 (logL_H1 - logL_indep) on G p (p - 1) / 2
    df, and the indices of :func:`servqual.sem.fit.fit_indices` with N the respondents used.
    ``h1`` holds :func:`em_moments` of each group."""
    model = fiml_loglik(spec, patterns_list, params)
    unrestricted = sum(ll for *_, ll in h1)
    baseline = sum(independence_loglik(p) for p in patterns_list)
    p = spec.n_items
    baseline_df = spec.n_groups * p * (p - 1) // 2
    n = sum(pat.n for pat in patterns_list)
    indices = fit_indices(2 * (unrestricted - model), spec.df, 2 * (unrestricted - baseline), baseline_df, n,
                          spec.n_groups)
    return FimlFit(indices, model, unrestricted, baseline, [(mu, sigma) for mu, sigma, _ in h1])
