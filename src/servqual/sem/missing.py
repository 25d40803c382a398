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

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy import optimize

from servqual.sem.estimation import GRADIENT_TOL, Estimate, estimate_ml
from servqual.sem.fit import FitIndices, fit_indices
from servqual.sem.gradient import free_derivatives
from servqual.sem.model import NU, Spec, build_spec, group_matrices
from servqual.sem.samplestats import GroupStats

__all__ = ["FimlFit", "Patterns", "em_moments", "estimate_fiml", "fiml_fit", "fiml_gradient", "fiml_loglik",
           "fiml_observed_information", "independence_loglik", "missing_patterns", "moments_loglik",
           "with_intercepts"]

_LOG_2PI = np.log(2 * np.pi)
#: Largest gradient component of -logL / N left to L-BFGS-B alone.
_NEWTON_BELOW = 1e-7


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

    @cached_property
    def by_missing(self) -> list[tuple[slice, np.ndarray]]:
        """For each number m >= 1 of skipped items: the patterns (a slice, as
        :func:`missing_patterns` orders them by m) and their missing items (patterns x m)."""
        n_missing = (~self.observed).sum(axis=1)
        groups = []
        for m in np.unique(n_missing[n_missing > 0]):
            idx = np.flatnonzero(n_missing == m)
            groups.append((slice(idx[0], idx[-1] + 1), np.nonzero(~self.observed[idx])[1].reshape(len(idx), m)))
        return groups

    @cached_property
    def totals(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Pooled over patterns: sum_k C_k, sum_k s_k o_k', sum_k n_k o_k o_k', sum_k s_k and
        sum_k n_k o_k (respondents per item), from which sum_k Q_k and sum_k r_k follow at any mu."""
        weighted = self.observed * self.count[:, None].astype(float)
        return (self.crossprod.sum(axis=0), self.sums.T @ self.observed, weighted.T @ self.observed,
                self.sums.sum(axis=0), weighted.sum(axis=0))

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
    (3, 2, [1, 2], [[1.0, 3.0], [3.0, 0.0]])
    """
    answered = ~np.isnan(x)
    keep = answered.any(axis=1)
    x, answered = np.where(answered, x, 0.0)[keep], answered[keep]
    # One byte string per row (8 items a byte): np.unique on them is far faster than on rows.
    packed = np.ascontiguousarray(np.packbits(answered, axis=1))
    keys = packed.view(np.dtype((np.void, packed.shape[1]))).ravel()
    _, first, inverse, count = np.unique(keys, return_index=True, return_inverse=True, return_counts=True)
    observed = answered[first]
    order = np.argsort(inverse.ravel(), kind="stable")
    starts = np.concatenate([[0], np.cumsum(count)[:-1]])
    rows = x[order]
    sums = np.add.reduceat(rows, starts, axis=0)
    # Cross-products pattern by pattern: one small matrix product each, no n x p x p array.
    crossprod = np.stack([rows[a:a + c].T @ rows[a:a + c] for a, c in zip(starts, count)])
    # Ordered by the number of skipped items, so that patterns alike are contiguous (views, not copies).
    by_m = np.argsort((~observed).sum(axis=1), kind="stable")
    return Patterns(observed[by_m], count[by_m], sums[by_m], crossprod[by_m])


@dataclass(frozen=True)
class _Block:
    """Patterns skipping m items each, at given moments: the selectors E' (K x m x p) of their
    missing items, U = K[:, m] (K x p x m) with K = Sigma^-1, W = (K_mm)^-1 (the conditional
    covariance of the missing items), log|K_mm|, U' r_k (K x m), Y = U' Q_k (K x m x p) and
    Y U, with Q_k and r_k the pattern's cross-products and sums centred at mu_o."""

    idx: slice
    select: np.ndarray
    u: np.ndarray
    w: np.ndarray
    logdet: np.ndarray
    ur: np.ndarray
    y: np.ndarray
    yu: np.ndarray


def _blocks(patterns: Patterns, mu: np.ndarray, k: np.ndarray) -> list[_Block]:
    """Per number of skipped items, the quantities of :class:`_Block`. Sigma_oo^-1, zero-padded,
    is K - U W U' (the inverse of a partitioned matrix), so no p x p matrix is inverted per
    pattern; log|Sigma_oo| = log|Sigma| + log|K_mm|. Y = U' C_k - (U' s_k) mu_o' - (U' mu_o) s_k'
    + n_k (U' mu_o) mu_o' without forming Q_k. Raises numpy's LinAlgError when a K_mm is not
    positive definite."""
    out = []
    p = len(mu)
    for idx, miss in patterns.by_missing:
        u = k[:, miss].transpose(1, 0, 2)
        kmm = k[miss[:, :, None], miss[:, None, :]]
        chol = np.linalg.cholesky(kmm)
        mu_o = patterns.observed[idx] * mu
        sums, n = patterns.sums[idx], patterns.count[idx, None].astype(float)
        us, um = np.einsum("kpm,kp->km", u, sums), np.einsum("kpm,kp->km", u, mu_o)
        y = (u.transpose(0, 2, 1) @ patterns.crossprod[idx] - us[:, :, None] * mu_o[:, None, :]
             + (n * um)[:, :, None] * mu_o[:, None, :] - um[:, :, None] * sums[:, None, :])
        out.append(_Block(idx, np.eye(p)[miss], u, np.linalg.inv(kmm),
                          2 * np.log(np.diagonal(chol, axis1=1, axis2=2)).sum(axis=1), us - n * um, y, y @ u))
    return out


def _pooled(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """sum_k a_k b_k for stacks a (K x p x m) and b (K x m x q), as one matrix product."""
    return a.transpose(1, 0, 2).reshape(a.shape[1], -1) @ b.reshape(-1, b.shape[2])


def moments_loglik(patterns: Patterns, mu: np.ndarray, sigma: np.ndarray, *,
                   gradient: bool = False) -> tuple[float, np.ndarray | None, np.ndarray | None]:
    """Observed-data log-likelihood at means mu and covariance sigma; with ``gradient`` also
    dlogL/dmu and dlogL/dSigma (the latter for Sigma's entries taken as unconstrained).

    With K = Sigma^-1 and, per pattern, P_k = Sigma_oo^-1 (zero-padded) = K - V_k,
    V_k = U_k W_k U_k' (:func:`_blocks`), the sums over patterns split into a part from the
    pooled Q = sum_k Q_k and r = sum_k r_k (O(p^2), whatever the patterns) and rank-m
    corrections: sum_k tr(P_k Q_k) = tr(K Q) - sum_k tr(W_k U_k' Q_k U_k);
    sum_k P_k r_k = K r - sum_k V_k r_k; sum_k P_k Q_k P_k = K Q K - Z K - K Z' + sum_k V_k Q_k V_k,
    Z = sum_k V_k Q_k.

    >>> x = np.array([[0.0, 1.0], [1.0, np.nan], [2.0, 3.0]])
    >>> round(moments_loglik(missing_patterns(x), np.array([1.0, 2.0]), np.eye(2))[0], 4)
    -6.5947
    """
    chol = np.linalg.cholesky(sigma)
    k = np.linalg.inv(sigma)
    cross, sums_obs, n_obs, sums, n_item = patterns.totals
    q_tot = cross - sums_obs * mu - (sums_obs * mu).T + n_obs * np.outer(mu, mu)
    counts = patterns.count.astype(float)
    n = counts.sum()
    const = counts @ patterns.observed.sum(axis=1) * _LOG_2PI + n * 2 * np.log(np.diag(chol)).sum()
    trace = np.sum(k * q_tot)
    blocks = _blocks(patterns, mu, k)
    for b in blocks:
        const += counts[b.idx] @ b.logdet
        trace -= np.sum(b.w * b.yu)
    loglik = -0.5 * float(const + trace)
    if not gradient:
        return loglik, None, None
    grad_mu = k @ (sums - n_item * mu)
    n_v = np.zeros_like(k)
    z = np.zeros_like(k)
    vqv = np.zeros_like(k)
    for b in blocks:
        uw = b.u @ b.w
        grad_mu -= np.einsum("kpm,km->p", uw, b.ur)
        n_v += _pooled(uw * counts[b.idx, None, None], b.u.transpose(0, 2, 1))
        z += _pooled(uw, b.y)
        vqv += _pooled(uw @ b.yu, uw.transpose(0, 2, 1))
    ppp = k @ q_tot @ k - z @ k - k @ z.T + vqv
    return loglik, grad_mu, -0.5 * (n * k - n_v - ppp)


def with_intercepts(spec: Spec) -> Spec:
    """The same model with a mean structure: a free intercept per item and group (latent means
    0), as lavaan adds for ``missing = "ml"``."""
    slots = list(zip(spec.kind, spec.group, spec.row, spec.col,
                     [None if f < 0 else ("free", f) for f in spec.free], spec.value))
    slots += [(NU, g, i, 0, ("nu", g, i), 0.0) for g in range(spec.n_groups) for i in range(spec.n_items)]
    return build_spec(slots, spec.n_items, spec.n_factors, spec.n_groups, True)


def _loglik_and_gradient(spec: Spec, patterns_list: Sequence[Patterns], params: np.ndarray,
                         gradient: bool) -> tuple[float, np.ndarray]:
    total, grad = 0.0, np.zeros(spec.n_free)
    for g, pat in enumerate(patterns_list):
        mats = group_matrices(spec, params, g)
        loglik, grad_mu, grad_sigma = moments_loglik(pat, mats.mu, mats.sigma, gradient=gradient)
        total += loglik
        if gradient:
            dsigma, dmu = free_derivatives(spec, g, mats)
            grad += np.einsum("ij,qij->q", grad_sigma, dsigma) + dmu @ grad_mu
    return total, grad


def fiml_loglik(spec: Spec, patterns_list: Sequence[Patterns], params: np.ndarray) -> float:
    """FIML log-likelihood of a (multi-group) model with mean structure: sum_g logL_g(mu_g, Sigma_g)."""
    return _loglik_and_gradient(spec, patterns_list, params, False)[0]


def fiml_gradient(spec: Spec, patterns_list: Sequence[Patterns], params: np.ndarray) -> np.ndarray:
    """Analytic gradient of the FIML log-likelihood by free parameter:
    dlogL/dtheta = sum_g [tr(G_g dSigma_g/dtheta) + g_g' dmu_g/dtheta], G and g from
    :func:`moments_loglik`."""
    return _loglik_and_gradient(spec, patterns_list, params, True)[1]


def fiml_observed_information(spec: Spec, patterns_list: Sequence[Patterns], params: np.ndarray,
                              h: float = 1e-7) -> np.ndarray:
    """Observed information -d2 logL / dtheta dtheta' (lavaan's default for ``missing = "ml"``),
    its inverse the covariance matrix of the estimates: forward differences of the analytic
    gradient, symmetrised: one gradient per parameter, half the cost of central differences,
    which counts where there are thousands of patterns; the error, of order h, leaves SEs
    within about 1e-6 of central differences.
    """
    grad = fiml_gradient(spec, patterns_list, params)
    columns = [grad - fiml_gradient(spec, patterns_list, params + step) for step in np.eye(len(params)) * h]
    mat = np.column_stack(columns) / h
    return (mat + mat.T) / 2


def _available_case_moments(patterns: Patterns) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each item's mean and ML variance over the respondents who answered it, and their number."""
    _, _, _, sums, answered = patterns.totals
    mean = sums / answered
    return mean, np.einsum("kii->i", patterns.crossprod) / answered - mean**2, answered


def em_moments(patterns: Patterns, *, tol: float = 1e-11, max_iter: int = 2000) -> tuple[np.ndarray, np.ndarray, float]:
    """Unrestricted ML means and covariance matrix of incomplete data by EM, and logL at them.

    E-step per pattern, with A_k = Sigma P_k (P_k = padded Sigma_oo^-1) and the pattern's
    centred sums r_k and cross-products Q_k: sum_i E[x_i] = n_k mu + A_k r_k and
    sum_i E[x_i x_i'] = n_k (Sigma - A_k Sigma) + n_k mu mu' + A_k r_k mu' + mu r_k' A_k'
    + A_k Q_k A_k', where A_k = I - E_m W_k U_k' (E_m selects the missing items, notation of
    :func:`moments_loglik`) and n_k (Sigma - A_k Sigma) = n_k E_m W_k E_m'; M-step mu = T1 / N,
    Sigma = T2 / N - mu mu'. Starts from each item's available-case mean and variance; stops
    when no moment changes by more than ``tol`` (Dempster, Laird & Rubin 1977; Little & Rubin
    2002, Statistical Analysis with Missing Data, ch. 11). Raises a ValueError when an item has
    fewer than two answers, numpy's LinAlgError when an iterate is not positive definite.

    >>> x = np.array([[0.0, 1.0], [1.0, np.nan], [2.0, 3.0], [3.0, 2.0], [np.nan, 1.0]])
    >>> mu, sigma, ll = em_moments(missing_patterns(x))
    >>> np.round(mu, 4).tolist()
    [1.344, 1.7118]
    """
    if (patterns.totals[4] < 2).any():
        raise ValueError("an item has fewer than two answers: its mean and variance are not estimable")
    n = patterns.n
    counts = patterns.count.astype(float)
    mu, var, _ = _available_case_moments(patterns)
    sigma = np.diag(var)
    cross, sums_obs, n_obs, sums, n_item = patterns.totals
    for _ in range(max_iter):
        q_tot = cross - sums_obs * mu - (sums_obs * mu).T + n_obs * np.outer(mu, mu)
        shift = sums - n_item * mu
        scatter = np.zeros_like(sigma)  # sum_k E_m (n_k W_k + W_k Y_k U_k W_k) E_m'
        wy_sum = np.zeros_like(sigma)  # sum_k E_m W_k Y_k
        for b in _blocks(patterns, mu, np.linalg.inv(sigma)):
            shift -= np.einsum("kmp,km->p", b.select, np.einsum("kmn,kn->km", b.w, b.ur))
            inner = b.w * counts[b.idx, None, None] + b.w @ b.yu @ b.w
            scatter += _pooled(b.select.transpose(0, 2, 1) @ inner, b.select)
            wy_sum += _pooled(b.select.transpose(0, 2, 1), b.w @ b.y)
        t1 = n * mu + shift
        t2 = (scatter + n * np.outer(mu, mu) + np.outer(shift, mu) + np.outer(mu, shift) + q_tot
              - wy_sum - wy_sum.T)
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
    _, var, answered = _available_case_moments(patterns)
    return float(-0.5 * answered @ (_LOG_2PI + np.log(var) + 1))


def _objective_and_gradient(spec: Spec, patterns_list: Sequence[Patterns],
                            n: int) -> Callable[[np.ndarray], tuple[float, np.ndarray]]:
    """-logL / N and its gradient (lavaan's FIML objective), a large value where Sigma is not
    positive definite (the line search then steps back)."""
    def fun(x: np.ndarray) -> tuple[float, np.ndarray]:
        try:
            loglik, grad = _loglik_and_gradient(spec, patterns_list, x, True)
            return -loglik / n, -grad / n
        except np.linalg.LinAlgError:
            return 1e10, np.zeros_like(x)
    return fun


def estimate_fiml(spec: Spec, patterns_list: Sequence[Patterns], h1_moments: Sequence[tuple[np.ndarray, np.ndarray]],
                  *, nonnegative_variances: bool = True, newton_steps: int = 2) -> Estimate:
    """FIML estimates of a spec with mean structure: L-BFGS-B on -logL / N from the ML estimates
    (:func:`~servqual.sem.estimation.estimate_ml`) of the EM moments ``h1_moments`` (mu, Sigma
    per group) taken as complete-data moments, then Newton steps on the observed information
    while they shrink the gradient. ``fmin`` of the result is -logL / N.
    """
    n = sum(p.n for p in patterns_list)
    stats_list = [GroupStats(p.n, mu, sigma) for p, (mu, sigma) in zip(patterns_list, h1_moments)]
    # The ML fit to the EM moments as if they came from complete data (the two-stage estimate,
    # cost independent of n) is close to the FIML estimate: L-BFGS-B then needs few iterations.
    start = estimate_ml(spec, stats_list, polish=False, nonnegative_variances=nonnegative_variances).params
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
    # Newton steps (each an observed information, q + 1 gradients) only where L-BFGS-B stopped short of the
    # minimum; not at a variance bound (a Heywood case).
    if np.abs(grad).max() > _NEWTON_BELOW and (params[variances] > 1e-6).all():
        for _ in range(newton_steps):
            try:
                candidate = params - np.linalg.solve(fiml_observed_information(spec, patterns_list, params) / n, grad)
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
