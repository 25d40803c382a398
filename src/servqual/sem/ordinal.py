"""Sample statistics of ordinal items: thresholds, polychoric correlations and their asymptotic
covariance matrix (Muthén 1984's first three stages, as lavaan's ``lav_muthen1984``).

Each rating y_i is a coarsened latent response y*_i ~ N(0, 1): y_i = c when tau_i,c-1 < y*_i <=
tau_i,c (Olsson 1979, Psychometrika 44(4)).

1. Thresholds from the marginal proportions, tau_i,c = Phi^-1(P(y_i <= c)).
2. Polychoric correlations, one pair at a time with the thresholds fixed ("two-step"): the rho
   maximizing sum_ab n_ab log pi_ab(rho), pi_ab = Phi2(tau_a, tau_b; rho) - Phi2(tau_a-1, tau_b)
   - Phi2(tau_a, tau_b-1) + Phi2(tau_a-1, tau_b-1).
3. Their joint asymptotic covariance by the sandwich B^-1 (S'S) B^-T of the stacked estimating
   equations: S the casewise scores (of each item's thresholds, then of each pair's rho), B
   block-triangular with the thresholds' information per item (A11), the cross-derivatives of
   the rho scores by the thresholds (A21) and the rhos' information (A22, diagonal), each
   estimated by cross-products of scores (Muthén & Satorra 1995, Sociol. Methodol. 25).
   NACOV = N times it is the Gamma of WLSMV.

The bivariate normal distribution function is computed with Owen's T function (Owen 1956, Ann.
Math. Stat. 27(4)).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, special

from servqual.distributions import norm_cdf, norm_pdf, norm_ppf

__all__ = ["OrdinalStats", "bivariate_normal_cdf", "cell_probabilities", "ordinal_codes", "ordinal_stats",
           "polychoric", "thresholds"]

#: Smallest and largest polychoric correlation searched.
RHO_BOUND = 0.9999


def ordinal_codes(x: np.ndarray) -> tuple[np.ndarray, list[int]]:
    """Each column's values as category codes 0..K-1 (in the order of the values) and K per column."""
    codes = np.empty(x.shape, dtype=int)
    sizes = []
    for j in range(x.shape[1]):
        values, codes[:, j] = np.unique(x[:, j], return_inverse=True)
        sizes.append(len(values))
    return codes, sizes


def thresholds(codes: np.ndarray, size: int) -> np.ndarray:
    """tau_c = Phi^-1(share of codes <= c), c = 0..K-2.

    >>> thresholds(np.array([0, 0, 1, 1]), 2).tolist()
    [0.0]
    """
    shares = np.cumsum(np.bincount(codes, minlength=size))[:-1] / len(codes)
    return norm_ppf(shares)


def bivariate_normal_cdf(h: np.ndarray, k: np.ndarray, rho: float) -> np.ndarray:
    """Phi2(h, k; rho) = P(X <= h, Y <= k) for standard normals correlated rho, elementwise; h and
    k may be infinite.

    Owen (1956): Phi2 = (Phi(h) + Phi(k)) / 2 - T(h, a_h) - T(k, a_k) - beta, with
    a_h = (k - rho h) / (h sqrt(1 - rho^2)), a_k likewise, beta = 1/2 where h k < 0 or h k = 0
    with h + k < 0 (and T(0, +-inf) = +-1/4).

    >>> round(float(bivariate_normal_cdf(np.array(0.0), np.array(0.0), 0.5)), 12)  # 1/4 + asin(.5)/(2 pi)
    0.333333333333
    """
    h, k = np.broadcast_arrays(np.asarray(h, float), np.asarray(k, float))
    out = np.zeros(h.shape)
    finite = np.isfinite(h) & np.isfinite(k)
    out[np.isposinf(h) & np.isfinite(k)] = norm_cdf(k[np.isposinf(h) & np.isfinite(k)])
    out[np.isposinf(k) & np.isfinite(h)] = norm_cdf(h[np.isposinf(k) & np.isfinite(h)])
    out[np.isposinf(h) & np.isposinf(k)] = 1.0
    hf, kf = h[finite], k[finite]
    root = np.sqrt(1 - rho * rho)
    out[finite] = 0.5 * (norm_cdf(hf) + norm_cdf(kf)) - _owen(hf, kf, rho, root) - _owen(kf, hf, rho, root)
    out[finite] -= np.where((hf * kf < 0) | ((hf * kf == 0) & (hf + kf < 0)), 0.5, 0.0)
    return np.clip(out, 0.0, 1.0)


def _owen(h: np.ndarray, k: np.ndarray, rho: float, root: float) -> np.ndarray:
    """T(h, (k - rho h) / (h root)), with its limit at h = 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        a = (k - rho * h) / (h * root)
        t = special.owens_t(h, a)
    at_zero = h == 0
    # T(0, a) = atan(a) / (2 pi): +-1/4 as a -> +-inf; both zero: atan((-rho) / root) ... from the limit
    t[at_zero] = np.where(k[at_zero] != 0, np.sign(k[at_zero]) * 0.25,
                          np.arctan((1 - rho) / root) / (2 * np.pi))
    return t


def _bounds(tau: np.ndarray) -> np.ndarray:
    return np.concatenate([[-np.inf], tau, [np.inf]])


def cell_probabilities(tau_a: np.ndarray, tau_b: np.ndarray, rho: float) -> np.ndarray:
    """pi_ab(rho) of every cell of the two items' table (Ka x Kb)."""
    ha, hb = _bounds(tau_a), _bounds(tau_b)
    cdf = bivariate_normal_cdf(ha[:, None], hb[None, :], rho)
    return np.diff(np.diff(cdf, axis=0), axis=1)


def _normal_pdf2(h: np.ndarray, k: np.ndarray, rho: float) -> np.ndarray:
    """phi2(h, k; rho), 0 where h or k is infinite (d Phi2 / d rho)."""
    root2 = 1 - rho * rho
    with np.errstate(invalid="ignore", over="ignore"):
        q = (h * h - 2 * rho * h * k + k * k) / root2
        out = np.exp(-q / 2) / (2 * np.pi * np.sqrt(root2))
    return np.where(np.isfinite(h) & np.isfinite(k), out, 0.0)


def _rho_derivative(tau_a: np.ndarray, tau_b: np.ndarray, rho: float) -> np.ndarray:
    """d pi_ab / d rho of every cell."""
    ha, hb = _bounds(tau_a), _bounds(tau_b)
    dens = _normal_pdf2(ha[:, None], hb[None, :], rho)
    return np.diff(np.diff(dens, axis=0), axis=1)


def polychoric(table: np.ndarray, tau_a: np.ndarray, tau_b: np.ndarray) -> float:
    """Two-step ML polychoric correlation of a Ka x Kb contingency table with fixed thresholds:
    Fisher scoring from the product-moment correlation of the category codes, or a bounded
    search where scoring does not settle."""
    rho = _newton_rho(table, tau_a, tau_b, _code_correlation(table))
    if rho is not None:
        return rho

    def negloglik(value: float) -> float:
        pi = cell_probabilities(tau_a, tau_b, value)
        return -float(np.sum(table * np.log(np.maximum(pi, 1e-300))))

    result = optimize.minimize_scalar(negloglik, bounds=(-RHO_BOUND, RHO_BOUND), method="bounded",
                                      options={"xatol": 1e-12})
    return _newton_rho(table, tau_a, tau_b, float(result.x)) or float(result.x)


def _code_correlation(table: np.ndarray) -> float:
    """Pearson correlation of the category codes of a table (a start for the polychoric)."""
    a, b = np.arange(table.shape[0]), np.arange(table.shape[1])
    n = table.sum()
    ma, mb = table.sum(1) @ a / n, table.sum(0) @ b / n
    cov = (a - ma) @ table @ (b - mb) / n
    va, vb = table.sum(1) @ (a - ma) ** 2 / n, table.sum(0) @ (b - mb) ** 2 / n
    return float(np.clip(cov / np.sqrt(va * vb), -0.95, 0.95)) if va > 0 and vb > 0 else 0.0


def _newton_rho(table: np.ndarray, tau_a: np.ndarray, tau_b: np.ndarray, rho: float) -> float | None:
    """Fisher scoring on the polychoric log-likelihood from ``rho``, to a step below 1e-13;
    None when it leaves (-1, 1) or does not settle in 50 steps."""
    for _ in range(50):
        pi = np.maximum(cell_probabilities(tau_a, tau_b, rho), 1e-300)
        dpi = _rho_derivative(tau_a, tau_b, rho)
        step = float(np.sum(table * dpi / pi)) / float(table.sum() * np.sum(dpi * dpi / pi))
        rho += step
        if not -RHO_BOUND < rho < RHO_BOUND:
            return None
        if abs(step) < 1e-13:
            return rho
    return None


@dataclass(frozen=True)
class OrdinalStats:
    """Thresholds per item, the polychoric correlation matrix and Gamma, the asymptotic
    covariance of sqrt(N) times (thresholds, then correlations in the order of the lower
    triangle by column), as lavaan's ``lavInspect(fit, "gamma")``."""

    n: int
    thresholds: list[np.ndarray]
    correlations: np.ndarray
    gamma: np.ndarray


def _threshold_scores(codes: np.ndarray, tau: np.ndarray) -> np.ndarray:
    """Casewise d log P(y = c) / d tau_k: phi(tau_c)/P at k = c, -phi(tau_c-1)/P at k = c - 1."""
    bounds = _bounds(tau)
    dens = np.where(np.isfinite(bounds), norm_pdf(bounds), 0.0)
    prob = np.diff(norm_cdf(bounds))
    scores = np.zeros((len(codes), len(tau)))
    rows = np.arange(len(codes))
    upper = codes < len(tau)
    scores[rows[upper], codes[upper]] = dens[codes[upper] + 1] / prob[codes[upper]]
    lower = codes > 0
    scores[rows[lower], codes[lower] - 1] = -dens[codes[lower]] / prob[codes[lower]]
    return scores


def _pair_threshold_derivatives(tau_a: np.ndarray, tau_b: np.ndarray, rho: float) -> np.ndarray:
    """d pi_ab / d tau_a,k for every cell (Ka x Kb x Ka-1): d Phi2(h, k') / d h = phi(h)
    Phi((k' - rho h) / sqrt(1 - rho^2))."""
    ha, hb = _bounds(tau_a), _bounds(tau_b)
    root = np.sqrt(1 - rho * rho)
    with np.errstate(invalid="ignore"):
        inner = norm_cdf((hb[None, :] - rho * ha[1:-1, None]) / root)  # (Ka-1) x (Kb+1)
    inner = np.where(np.isposinf(hb)[None, :], 1.0, np.where(np.isneginf(hb)[None, :], 0.0, inner))
    dcdf = norm_pdf(ha[1:-1])[:, None] * np.diff(inner, axis=1)  # d (Phi2(tau_k, b_j) - Phi2(tau_k, b_j-1))
    out = np.zeros((len(ha) - 1, len(hb) - 1, len(ha) - 2))
    for k in range(len(ha) - 2):
        out[k, :, k] += dcdf[k]  # cell a = k has tau_k as its upper bound
        out[k + 1, :, k] -= dcdf[k]  # cell a = k + 1 has it as its lower bound
    return out


def ordinal_stats(x: np.ndarray) -> OrdinalStats:
    """Thresholds, polychoric correlations and Gamma of complete ordinal ratings (module docstring).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> z = rng.multivariate_normal([0, 0], [[1, .5], [.5, 1]], 2000)
    >>> st = ordinal_stats(np.digitize(z, [-1, 0, 1]))
    >>> round(float(st.correlations[0, 1]), 2)
    0.5
    """
    n, p = x.shape
    codes, sizes = ordinal_codes(x)
    taus = [thresholds(codes[:, j], sizes[j]) for j in range(p)]
    th_index = np.cumsum([0] + [len(t) for t in taus])
    pairs = [(i, j) for j in range(p) for i in range(j + 1, p)]
    corr = np.eye(p)
    sc_th = np.hstack([_threshold_scores(codes[:, j], taus[j]) for j in range(p)])
    sc_rho = np.empty((n, len(pairs)))
    a21 = np.zeros((len(pairs), th_index[-1]))
    for m, (i, j) in enumerate(pairs):
        table = np.zeros((sizes[i], sizes[j]))
        np.add.at(table, (codes[:, i], codes[:, j]), 1)
        rho = polychoric(table, taus[i], taus[j])
        corr[i, j] = corr[j, i] = rho
        pi = np.maximum(cell_probabilities(taus[i], taus[j], rho), 1e-300)
        sc_rho[:, m] = (_rho_derivative(taus[i], taus[j], rho) / pi)[codes[:, i], codes[:, j]]
        d_i = _pair_threshold_derivatives(taus[i], taus[j], rho) / pi[:, :, None]
        d_j = _pair_threshold_derivatives(taus[j], taus[i], rho).transpose(1, 0, 2) / pi[:, :, None]
        a21[m, th_index[i]:th_index[i + 1]] = sc_rho[:, m] @ d_i[codes[:, i], codes[:, j]]
        a21[m, th_index[j]:th_index[j + 1]] = sc_rho[:, m] @ d_j[codes[:, i], codes[:, j]]
    scores = np.hstack([sc_th, sc_rho])
    inner = scores.T @ scores
    a11 = np.zeros((th_index[-1], th_index[-1]))
    for j in range(p):
        block = slice(th_index[j], th_index[j + 1])
        a11[block, block] = inner[block, block]
    a11_inv = np.linalg.inv(a11)
    a22_inv = np.diag(1 / np.einsum("ij,ij->j", sc_rho, sc_rho))
    b_inv = np.block([[a11_inv, np.zeros((len(a11), len(pairs)))], [-a22_inv @ a21 @ a11_inv, a22_inv]])
    return OrdinalStats(n, taus, corr, n * b_inv @ inner @ b_inv.T)
