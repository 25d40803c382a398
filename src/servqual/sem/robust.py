"""Robust ML (MLR): casewise scores, the sandwich covariance and the Yuan-Bentler scaled test.

ML estimates are kept; what changes is their uncertainty and the test of fit, which no longer
assume multivariate normality (lavaan's ``estimator = "MLR"``: ``se = "robust.huber.white"``,
``test = "yuan.bentler.mplus"``; Rosseel 2012, J. Stat. Softw. 48(2)).

Casewise scores. Observation i of group g, with z_i = Sigma^-1 (x_i - mu), contributes to the
log-likelihood the gradient

    s_i,a = 1/2 z_i' dSigma_a z_i - 1/2 tr(Sigma^-1 dSigma_a) + dmu_a' z_i

(without a mean structure mu is the sample mean and the last term is absent, as lavaan's
``lav_mvnorm_scores_vech_sigma``). Each model-matrix entry moves Sigma by H + H' with H = c u v'
of rank one, so 1/2 z_i' dSigma_a z_i = c (z_i'u)(z_i'v): one n x p by p x (p + 2m) matrix
product per group and an elementwise product per parameter, not a loop over cases (nor the
n x p(p+1)/2 products of lavaan's scores with respect to vech Sigma).

Sandwich (Huber 1967; White 1982, Econometrica 50(1)): V = A^-1 B A^-1 with the meat
B = sum_i s_i s_i' (first-order information) and the bread A the observed information, the
negative Hessian of the log-likelihood at the estimates: lavaan 0.6 sets
``information = "observed"`` with ``observed.information = "hessian"`` when
``se = "robust.huber.white"`` (``lav_options.R``), and ``h1.information = "structured"`` for
the meat (scores at the model-implied moments). With several groups both are sums of per-group
blocks: the meat is summed group by group over each group's own parameters (no N x q score
matrix) and the information inverted by its blocks (:mod:`servqual.sem.blocks`; where it is not
positive definite, by the pseudo-inverse of the whole).

Yuan-Bentler scaling, Mplus variant (Yuan & Bentler 2000, Sociol. Methodol. 30; Muthén &
Muthén; lavaan's ``lav_test_yuan_bentler_mplus_trace``): tr(U Gamma) = sum_g tr(A1_g^-1 B1_g)
- tr(A^-1 B), A1 and B1 the information and first-order information of the saturated model at
the sample moments (lavaan forces ``h1.information = "unstructured"`` for this test; observed and
expected information coincide there), A and B the bread and meat above, and the scaling factor
c = tr(U Gamma) / df; the scaled statistic is T / c on df.
For the saturated normal model tr(A1^-1 B1) has a closed form in Mardia's (1970, Biometrika
57(3)) multivariate kurtosis b2p = mean(d_i^4), d_i the Mahalanobis distance:

    tr(A1^-1 B1) = (b2p - p) / 2 [+ p with a mean structure],

(p (p + 1) / 2 [+ p] under normality), and for the independence (baseline) model, whose
parameters are the variances [and means], tr(A^-1 B) = sum_j (k_j - 1) / 2 [+ p] with k_j the
item's kurtosis m4 / m2^2. The difference of nested scaled statistics is Satorra & Bentler's
(2001, Psychometrika 66(4)) test: c_d = (df0 c0 - df1 c1) / (df0 - df1), T_d = (T0 - T1) / c_d.

Robust CFI/TLI/RMSEA (Brosseau-Liard, Savalei & Li 2012, Multivariate Behav. Res. 47(6);
Brosseau-Liard & Savalei 2014, Multivariate Behav. Res. 49(5); lavaan's ``cfi.robust``,
``tli.robust``, ``rmsea.robust``): the unscaled T with c df in place of df,

    CFI_r = 1 - max(T - c df, 0) / max(T - c df, T0 - c0 df0, 0),
    TLI_r = 1 - (T - c df) df0 / ((T0 - c0 df0) df),   RMSEA_r = sqrt(max(T - c df, 0) / (N df)) sqrt(G),

the RMSEA interval from the noncentrality of the scaled statistic, sqrt(c lambda / (N df)) sqrt(G).
The scaled indices of lavaan (``cfi.scaled``, ``rmsea.scaled``) are the plain formulas on the scaled
statistics (the RMSEA interval and p-close on T with c df degrees of freedom, as lavaan 0.6).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import linalg

from servqual.distributions import chi2_sf, ncx2_sf, norm_sf
from servqual.sem.blocks import (
    ParameterBlocks,
    block_cholesky,
    block_inverse,
    parameter_blocks,
)
from servqual.sem.fit import rmsea_interval
from servqual.sem.gradient import slot_derivatives
from servqual.sem.information import observed_information
from servqual.sem.model import BETA, LAMBDA, PSI, THETA, Matrices, Spec, group_matrices
from servqual.sem.samplestats import GroupStats, group_stats

__all__ = [
    "ESTIMATORS",
    "ESTIMATOR_CHOICES",
    "RobustFit",
    "RobustFitIndices",
    "SampleKurtosis",
    "ScaledDifference",
    "baseline_scaling_trace",
    "casewise_scores",
    "choose_estimator",
    "group_scores",
    "h1_trace",
    "information_inverse",
    "mardia_kurtosis",
    "robust_fit",
    "robust_fit_indices",
    "sample_kurtosis",
    "sandwich",
    "scaled_difference",
    "scaling_trace",
    "score_crossproduct",
]

def group_scores(spec: Spec, g: int, x: np.ndarray, params: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Casewise gradients of the log-likelihood of group g's observations with respect to the
    free parameters of group g (the others' are 0 there).

    s_i,a = 1/2 z_i' dSigma_a z_i - 1/2 tr(Sigma^-1 dSigma_a) + dmu_a' z_i, z_i = Sigma^-1 (x_i - mu)
    (module docstring), slots sharing a parameter added up.

    Returns
    -------
    tuple of np.ndarray
        The group's free parameters (sorted) and their scores, parameters x n_g.
    """
    mats = group_matrices(spec, params, g)
    inv = np.linalg.inv(mats.sigma)
    free, dsigma, dmu = slot_derivatives(spec, g, mats)
    centre = mats.mu if spec.meanstructure else x.mean(axis=0)
    z = (x - centre) @ inv
    coef, first, second, basis = _rank_one_factors(spec, g, mats)
    projected = basis.T @ z.T  # (p + 2m) x n: z'e_i, z'(Lambda M)_k, z'(Lambda A)_k; rows contiguous
    slot_scores = coef[:, None] * projected[first] * projected[second]
    slot_scores -= 0.5 * np.einsum("ij,sij->s", inv, dsigma)[:, None]
    if spec.meanstructure:
        slot_scores += dmu @ z.T
    parameters = spec.layouts[g].free
    scores = np.zeros((len(parameters), len(x)))
    for slot, parameter in enumerate(np.searchsorted(parameters, free)):  # slots sharing a parameter add up
        scores[parameter] += slot_scores[slot]
    return parameters, scores


def casewise_scores(spec: Spec, data: Sequence[np.ndarray], params: np.ndarray) -> np.ndarray:
    """Casewise gradients of the log-likelihood, one row per observation (groups stacked in order):
    :func:`group_scores` of every group, 0 for the parameters of other groups.

    s_i,a = 1/2 z_i' dSigma_a z_i - 1/2 tr(Sigma^-1 dSigma_a) + dmu_a' z_i, z_i = Sigma^-1 (x_i - mu);
    mu is the sample mean when the model has no mean structure (lavaan's scores with
    ``meanstructure = FALSE``). Their sum is the gradient of the log-likelihood, 0 at the ML estimates.

    Parameters
    ----------
    spec, params
        The model and the point at which to evaluate.
    data : sequence of arrays (n_g x p)
        Complete raw data of each group.

    Returns
    -------
    np.ndarray
        N x q, q free parameters.

    Examples
    --------
    >>> from servqual.sem.model import measurement_spec
    >>> from servqual.sem.samplestats import group_stats
    >>> from servqual.sem.estimation import estimate_ml
    >>> rng = np.random.default_rng(1)
    >>> x = rng.standard_normal((200, 1)) + rng.standard_normal((200, 3))
    >>> spec = measurement_spec([0, 0, 0], 1)
    >>> est = estimate_ml(spec, [group_stats(x)])
    >>> bool(np.abs(casewise_scores(spec, [x], est.params).sum(axis=0)).max() < 1e-6)
    True
    """
    blocks = []
    for g, x in enumerate(data):
        parameters, scores = group_scores(spec, g, x, params)
        block = np.zeros((len(x), spec.n_free))
        block[:, parameters] = scores.T
        blocks.append(block)
    return np.vstack(blocks)


def _rank_one_factors(spec: Spec, g: int, mats: Matrices) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """dSigma = H + H' of each free slot of group g with H = c u v' of rank one (the structure of
    :mod:`servqual.sem.gradient`): u, v columns of the basis [I_p, Lambda M, Lambda A], so that
    1/2 z' dSigma z = c (z'u)(z'v). Returns c, the basis columns of u and v, and the basis.

    Loading lambda_ij: e_i, (Lambda M)_j; regression B_kl: (Lambda A)_k, (Lambda M)_l; Psi_kl:
    (Lambda A)_k, (Lambda A)_l, c = 1/2 on the diagonal; Theta_ij: e_i, e_j, c = 1/2 on the
    diagonal; intercepts and latent means: c = 0 (they move mu only).
    """
    p, m = spec.n_items, spec.n_factors
    sel = (spec.group == g) & (spec.free >= 0)
    kind, row, col = spec.kind[sel], spec.row[sel], spec.col[sel]
    lm, la = p, p + m  # offsets of Lambda M and Lambda A in the basis
    diagonal_half = np.where(row == col, 0.5, 1.0)
    table = {LAMBDA: (1.0, row, lm + col), BETA: (1.0, la + row, lm + col), PSI: (diagonal_half, la + row, la + col),
             THETA: (diagonal_half, row, col)}
    coef, first, second = np.zeros(len(kind)), np.zeros(len(kind), int), np.zeros(len(kind), int)
    for k, (c, u, v) in table.items():
        s = kind == k
        coef[s] = np.broadcast_to(c, kind.shape)[s]
        first[s], second[s] = u[s], v[s]
    basis = np.hstack([np.eye(p), mats.lam @ mats.eta_cov, mats.lam @ mats.a_inv])
    return coef, first, second, basis


def score_crossproduct(spec: Spec, data: Sequence[np.ndarray], params: np.ndarray) -> np.ndarray:
    """The meat B = sum_i s_i s_i' of the casewise scores, group by group over the group's own
    parameters (:func:`group_scores`): B = sum_g P_g' S_g S_g' P_g. With many groups most
    parameters belong to one group, and neither the N x q score matrix (q in the thousands with
    twenty waves) nor its full product is formed.

    >>> from servqual.sem.model import multigroup_spec
    >>> spec = multigroup_spec([0, 0, 0], 1, 2, equal=("loadings",))
    >>> rng = np.random.default_rng(0)
    >>> data = [rng.standard_normal((50, 3)) + rng.standard_normal((50, 1)) for _ in range(2)]
    >>> params = rng.uniform(0.5, 1.0, spec.n_free)
    >>> scores = casewise_scores(spec, data, params)
    >>> bool(np.allclose(score_crossproduct(spec, data, params), scores.T @ scores))
    True
    """
    meat = np.zeros((spec.n_free, spec.n_free))
    for g, x in enumerate(data):
        parameters, scores = group_scores(spec, g, x, params)
        meat[np.ix_(parameters, parameters)] += scores @ scores.T
    return meat


def information_inverse(information: np.ndarray, blocks: ParameterBlocks | None = None) -> np.ndarray:
    """Inverse A^-1 of a symmetric information matrix by its group blocks (``blocks``; None: one
    block): :func:`servqual.sem.blocks.block_inverse`, a few thousandths of the work of factoring
    the whole matrix with many groups. Where A is not positive definite (a fit that did not reach
    a proper minimum), its pseudo-inverse from the eigendecomposition, as before."""
    blocks = blocks or ParameterBlocks(np.zeros(0, dtype=int), (np.arange(len(information)),))
    try:
        return block_inverse(block_cholesky(information, blocks))
    except np.linalg.LinAlgError:
        return np.linalg.pinv(information, hermitian=True)


def sandwich(bread: np.ndarray, meat: np.ndarray, *, bread_inverse: np.ndarray | None = None) -> np.ndarray:
    """Sandwich covariance A^-1 B A^-1 (inverse of the total information A, :func:`information_inverse`;
    pass ``bread_inverse`` where it is already known).

    >>> sandwich(np.array([[4.0]]), np.array([[32.0]])).tolist()
    [[2.0]]
    """
    inv = information_inverse(bread) if bread_inverse is None else bread_inverse
    return inv @ meat @ inv


def mardia_kurtosis(x: np.ndarray) -> tuple[float, float, float]:
    """Mardia's multivariate kurtosis b2p = mean(d_i^4), its z and two-sided p under normality.

    d_i^2 = (x_i - m)' S^-1 (x_i - m) with S of divisor n; E(b2p) = p (p + 2) under normality and
    z = (b2p - p (p + 2)) / sqrt(8 p (p + 2) / n) (Mardia 1970, Biometrika 57(3); 1974, Sankhya B 36(2)).

    >>> rng = np.random.default_rng(0)
    >>> b2p, z, p = mardia_kurtosis(rng.standard_t(4, size=(500, 3)))
    >>> round(b2p, 1), p < 0.001
    (26.8, True)
    """
    n, p = x.shape
    centred = x - x.mean(axis=0)
    chol = np.linalg.cholesky(centred.T @ centred / n)
    white = linalg.solve_triangular(chol, centred.T, lower=True, check_finite=False)  # p x n, whitened
    d2 = np.einsum("ij,ij->j", white, white)
    b2p = float(np.mean(d2**2))
    z = (b2p - p * (p + 2)) / np.sqrt(8 * p * (p + 2) / n)
    return b2p, float(z), float(2 * norm_sf(abs(z)))


def h1_trace(b2p: float, p: int, meanstructure: bool) -> float:
    """tr(A1^-1 B1) of the saturated normal model at the sample moments: (b2p - p) / 2 [+ p],
    from Mardia's b2p of p items.

    >>> h1_trace(9 * 11, 9, False)  # the kurtosis of a normal distribution: p (p + 1) / 2
    45.0
    """
    return (b2p - p) / 2 + (p if meanstructure else 0)


def scaling_trace(h1: float, information_inv: np.ndarray, meat: np.ndarray) -> float:
    """tr(U Gamma) of the Mplus variant of the Yuan-Bentler statistic (lavaan's ``yuan.bentler.mplus``):
    h1 = sum_g tr(A1_g^-1 B1_g) minus tr(A^-1 B), A^-1 (``information_inv``) the pseudo-inverse of
    the total observed information and B = sum_i s_i s_i' the meat."""
    return h1 - float(np.sum(information_inv * meat))


def baseline_scaling_trace(data: Sequence[np.ndarray], b2p: Sequence[float]) -> float:
    """tr(U Gamma) of the independence (baseline) model: sum_g [(b2p_g - p) / 2 - sum_j (k_gj - 1) / 2],
    k_gj = m4 / m2^2 the kurtosis of item j in group g (the mean parts cancel)."""
    total = 0.0
    for x, b in zip(data, b2p):
        squared = (x - x.mean(axis=0)) ** 2
        kurtosis = np.mean(squared**2, axis=0) / np.mean(squared, axis=0) ** 2
        total += h1_trace(b, x.shape[1], False) - float(np.sum(kurtosis - 1) / 2)
    return total


@dataclass(frozen=True)
class RobustFitIndices:
    """The Yuan-Bentler scaled test with the scaled and robust fit indices (lavaan's MLR names in brackets).

    ``scaling_factor`` c [chisq.scaling.factor], ``chisq_scaled`` T / c [chisq.scaled] and its
    ``pvalue_scaled``; the same for the baseline; ``cfi_scaled``, ``tli_scaled``, ``rmsea_scaled``
    with interval and p-close [*.scaled]; ``cfi_robust``, ``tli_robust``, ``rmsea_robust`` with
    interval and p-close [*.robust].
    """

    scaling_factor: float
    chisq_scaled: float
    pvalue_scaled: float
    baseline_scaling_factor: float
    baseline_chisq_scaled: float
    baseline_pvalue_scaled: float
    cfi_scaled: float
    tli_scaled: float
    rmsea_scaled: float
    rmsea_scaled_ci_low: float
    rmsea_scaled_ci_high: float
    rmsea_scaled_pclose: float
    cfi_robust: float
    tli_robust: float
    rmsea_robust: float
    rmsea_robust_ci_low: float
    rmsea_robust_ci_high: float
    rmsea_robust_pclose: float


def _cfi(t: float, t0: float) -> float:
    """1 - max(t, 0) / max(t, t0, 0) of the excess statistics t = T - df (1 when both are 0)."""
    t1, t2 = max(t, 0.0), max(t, t0, 0.0)
    return 1.0 if np.isclose(t1, 0) and np.isclose(t2, 0) else 1 - t1 / t2


def robust_fit_indices(chisq: float, df: int, scaling: float, baseline_chisq: float, baseline_df: int,
                       baseline_scaling: float, n: int, n_groups: int = 1, *, level: float = 0.90,
                       close_fit: float = 0.05) -> RobustFitIndices:
    """Scaled and robust fit indices from the unscaled chi-squares and their scaling factors.

    Formulas in the module docstring (lavaan 0.6's ``lav_fit_cfi.R`` and ``lav_fit_rmsea.R``).

    Parameters
    ----------
    chisq, df, scaling : float, int, float
        Model chi-square (N F_ML), its degrees of freedom and the Yuan-Bentler scaling factor c.
    baseline_chisq, baseline_df, baseline_scaling
        The same for the independence model.
    n, n_groups : int
        Total sample size N and number of groups G.
    level, close_fit : float
        Level of the RMSEA intervals; RMSEA of the close-fit hypothesis.

    Examples
    --------
    >>> r = robust_fit_indices(85.30552, 24, 0.9790424, 918.8516, 36, 1.0440526, 301)  # HS, lavaan MLR
    >>> round(r.chisq_scaled, 3), round(r.cfi_robust, 4), round(r.rmsea_robust, 4)
    (87.132, 0.9299, 0.0925)
    """
    t_scaled, t0_scaled = chisq / scaling, baseline_chisq / baseline_scaling
    scale = np.sqrt(n_groups / (n * df))
    # scaled: plain formulas on T / c, but lavaan's interval and p-close use T on c df
    cfi_scaled = _cfi(t_scaled - df, t0_scaled - baseline_df)
    tli_scaled = 1 - (t_scaled - df) * baseline_df / ((t0_scaled - baseline_df) * df)
    rmsea_scaled = float(np.sqrt(max(t_scaled - df, 0.0)) * scale)
    scaled_ci = rmsea_interval(chisq, scaling * df, n, n_groups, level)
    pclose_scaled = float(ncx2_sf(chisq, scaling * df, n * scaling * df * close_fit**2 / n_groups))
    # robust: T - c df in place of T - df; the interval from the scaled statistic's noncentrality
    excess, excess0 = chisq - scaling * df, baseline_chisq - baseline_scaling * baseline_df
    cfi_robust = _cfi(excess, excess0)
    tli_robust = 1 - excess * baseline_df / (excess0 * df)
    rmsea_robust = float(np.sqrt(max(excess, 0.0)) * scale)
    low, high = rmsea_interval(t_scaled, df, n, n_groups, level)
    pclose_robust = float(ncx2_sf(t_scaled, df, n * df * close_fit**2 / (scaling * n_groups)))
    return RobustFitIndices(
        float(scaling), float(t_scaled), float(chi2_sf(t_scaled, df)), float(baseline_scaling),
        float(t0_scaled), float(chi2_sf(t0_scaled, baseline_df)), float(cfi_scaled), float(tli_scaled),
        rmsea_scaled, *scaled_ci, pclose_scaled, float(cfi_robust), float(tli_robust), rmsea_robust,
        float(np.sqrt(scaling) * low), float(np.sqrt(scaling) * high), pclose_robust)


@dataclass(frozen=True)
class SampleKurtosis:
    """What the scaled tests take from the data alone, the same for every model of the same groups:
    each group's Mardia b2p (:func:`mardia_kurtosis`) and the independence model's tr(U Gamma)
    (:func:`baseline_scaling_trace`)."""

    b2p: tuple[float, ...]
    baseline_trace: float


def sample_kurtosis(data: Sequence[np.ndarray]) -> SampleKurtosis:
    """The :class:`SampleKurtosis` of each group's complete raw data (computed once for a ladder of models)."""
    b2p = tuple(mardia_kurtosis(x)[0] for x in data)
    return SampleKurtosis(b2p, baseline_scaling_trace(data, b2p))


@dataclass(frozen=True)
class RobustFit:
    """An MLR fit's robust parts: the inverse information (bread) and the meat of the sandwich,
    and the scaled test's scaling factors."""

    information_inverse: np.ndarray
    meat: np.ndarray
    scaling_factor: float
    baseline_scaling_factor: float

    @property
    def vcov(self) -> np.ndarray:
        """Sandwich covariance of the estimates, A^-1 B A^-1 (:func:`sandwich`; formed on each
        access: a fit's test needs the trace alone)."""
        return sandwich(self.information_inverse, self.meat, bread_inverse=self.information_inverse)


def robust_fit(spec: Spec, data: Sequence[np.ndarray], params: np.ndarray,
               stats_list: Sequence[GroupStats] | None = None, kurtosis: SampleKurtosis | None = None) -> RobustFit:
    """Sandwich parts (observed-information bread, casewise-score meat) and the Yuan-Bentler
    scaling factors of the model and of the independence model, at the ML estimates ``params``;
    the covariance of the estimates is its ``vcov``.

    The scaling factor is NaN at df <= 0 (no test), as lavaan's. ``stats_list``: the groups'
    :func:`~servqual.sem.samplestats.group_stats`, and ``kurtosis`` their :func:`sample_kurtosis`,
    when the caller has them (a ladder of models on the same groups).

    Examples
    --------
    >>> from servqual.sem.model import measurement_spec
    >>> from servqual.sem.samplestats import group_stats
    >>> from servqual.sem.estimation import estimate_ml
    >>> rng = np.random.default_rng(2)
    >>> x = rng.standard_normal((2000, 1)) + rng.standard_normal((2000, 4))
    >>> spec = measurement_spec([0, 0, 0, 0], 1)
    >>> fit = robust_fit(spec, [x], estimate_ml(spec, [group_stats(x)]).params)
    >>> round(fit.scaling_factor, 1)  # normal data: close to 1
    1.0
    """
    stats_list = stats_list or [group_stats(x) for x in data]
    kurtosis = kurtosis or sample_kurtosis(data)
    information = observed_information(spec, stats_list, params)
    meat = score_crossproduct(spec, data, params)
    p = spec.n_items
    inverse = information_inverse(information, parameter_blocks(spec))
    trace = scaling_trace(sum(h1_trace(b, p, spec.meanstructure) for b in kurtosis.b2p), inverse, meat)
    baseline_df = len(data) * p * (p - 1) // 2
    scaling = trace / spec.df if spec.df > 0 and trace > 0 else np.nan
    return RobustFit(inverse, meat, float(scaling), float(kurtosis.baseline_trace / baseline_df))


@dataclass(frozen=True)
class ScaledDifference:
    """Satorra-Bentler (2001) scaled difference of nested chi-squares."""

    chisq: float
    df: int
    scaling_factor: float
    pvalue: float


def scaled_difference(chisq0: float, df0: int, scaling0: float, chisq1: float, df1: int,
                      scaling1: float) -> ScaledDifference:
    """Scaled chi-square difference of a restricted model 0 against a less restricted model 1.

    c_d = (df0 c0 - df1 c1) / (df0 - df1), T_d = (T0 - T1) / c_d on df0 - df1 degrees of freedom
    (Satorra & Bentler 2001, Psychometrika 66(4); lavaan's ``lavTestLRT(method =
    "satorra.bentler.2001")``); c1 = 1 for a saturated model 1; NaN when c_d < 0.

    >>> d = scaled_difference(124.0435, 54, 0.984492, 115.8513, 48, 0.951625)  # HS metric vs configural, MLR
    >>> round(d.chisq, 3), d.df, round(d.scaling_factor, 4), round(d.pvalue, 4)  # lavTestLRT: 6.567, p .3627
    (6.567, 6, 1.2474, 0.3627)
    """
    scaling1 = 1.0 if df1 == 0 else scaling1
    m = df0 - df1
    cd = (df0 * scaling0 - df1 * scaling1) / m
    if not cd >= 0:
        return ScaledDifference(np.nan, int(m), np.nan, np.nan)
    t = (chisq0 - chisq1) / cd
    return ScaledDifference(float(t), int(m), float(cd), float(chi2_sf(max(t, 0.0), m)))


#: Estimators: normal-theory ML, and ML with robust SEs and the scaled test (MLR).
ESTIMATORS = ("ML", "MLR")
#: What a study may ask for: an estimator, or ``auto`` (:func:`choose_estimator`).
ESTIMATOR_CHOICES = ("auto", *ESTIMATORS)


def choose_estimator(data: Sequence[np.ndarray], requested: str = "auto", alpha: float = 0.05) -> str:
    """The estimator to use: ``requested`` itself, or for ``auto`` MLR when Mardia's test of
    multivariate kurtosis rejects normality (two-sided p < ``alpha``) in any of the samples, ML otherwise.

    Kurtosis is what biases normal-theory standard errors and the chi-square (Browne 1984, Br. J.
    Math. Stat. Psychol. 37(1); Satorra & Bentler 1994); rating-scale items are rarely
    multivariate normal, in either direction (Likert items are often platykurtic). Under
    normality MLR and ML agree as n grows, so the rule costs little when it picks MLR needlessly.

    >>> rng = np.random.default_rng(0)
    >>> choose_estimator([rng.standard_normal((400, 5))]), choose_estimator([rng.standard_t(3, (400, 5))])
    ('ML', 'MLR')
    """
    if requested not in ESTIMATOR_CHOICES:
        raise ValueError(f"estimator must be one of {ESTIMATOR_CHOICES}, got {requested!r}")
    if requested != "auto":
        return requested
    return "MLR" if any(mardia_kurtosis(x)[2] < alpha for x in data if len(x) > x.shape[1]) else "ML"
