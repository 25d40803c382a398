"""Multi-group WLSMV for ordinal items: the configural, metric and scalar models of measurement
invariance with thresholds (lavaan's ``cfa(..., ordered = TRUE, group =, group.equal =)``, delta
parameterization; Muthén & Asparouhov 2002, Mplus Web Note 4; Wu & Estabrook 2016,
Psychometrika 81(4)).

Per group g the model has loadings Lambda_g (the first item of each factor its marker, fixed to
1), factor (co)variances Psi_g, latent means alpha_g, thresholds tau_g and scaling factors
Delta_g (1 / sd of the latent responses y*). The intercepts of y* are 0. With mu* = Lambda
alpha the model's standardized thresholds and correlations are

    tau*_ic = (tau_ic - mu*_i) Delta_i,  rho_ij = Delta_i Delta_j (Lambda Psi Lambda')_ij.

Identification as lavaan's: ``loadings`` makes Lambda equal across groups; ``thresholds``
makes tau equal and frees alpha and Delta in groups 2..G (fixed to 0 and 1 in group 1, and in
every group without equal thresholds). Where partial invariance releases both the loading and
the thresholds of an item, its Delta in groups 2..G is fixed to 1, as Mplus does (Muthén &
Asparouhov 2002): its loading and scale enter the model only as their product, so lavaan, which
keeps Delta free, fits a model that is not identified (it warns that the covariance of the
estimates is singular, and counts one degree of freedom too few).

With ``parameterization = "theta"`` (lavaan's) the residual variances theta_g of y* are the
parameters instead of Delta, Delta_i = 1 / sqrt((Lambda Psi Lambda')_ii + theta_i): fixed to 1
in group 1 (and in every group without equal thresholds), free in groups 2..G with equal
thresholds, and with ``residuals`` (strict invariance) equal to group 1's, i.e. 1 in every group
while alpha stays free. The configural, metric and scalar models are the delta ones
reparameterized (the same fit); the strict model exists only in this parameterization.

DWLS on the groups' sample statistics s_g (thresholds, then the polychoric correlations in
the order of the lower triangle by column, :func:`servqual.sem.ordinal.ordinal_stats`):
F = sum_g (n_g - 1) (s_g - sigma_g)' W_g (s_g - sigma_g), W_g = diag(Gamma_g)^-1 (lavaan
weighs each group's fit function by (n_g - 1) / N, and T = 2 N F_lavaan). With the stacked
W = blockdiag((n_g - 1) W_g), Gamma = blockdiag(Gamma_g / (n_g - 1)) and J = d sigma / d theta:
the robust covariance H^-1 J'W Gamma W J H^-1 (H = J'WJ) and the scaled-and-shifted test of
:func:`servqual.sem.wlsmv.scaled_shifted` with U = W - W J H^-1 J'W; the baseline model has
free thresholds and no correlations in every group.

The difference test of two nested models (:func:`wlsmv_difference`) is lavaan's ``lavTestLRT``
default for WLSMV, the scaled-and-shifted difference of Satorra (2000, in Innovations in
Multivariate Statistical Analysis, Kluwer) as lavaan 0.6-13 and later compute it (method
``satorra.2000``, ``A`` by the delta method): with J_1, J_0 the two models' Jacobians at their
estimates, A the rows spanning the orthogonal complement of J_1^+ J_0, P = sum_g f_g J_1g' V_g
J_1g (f_g = n_g / N, V_g = diag(Gamma_g)^-1), M = P^-1 A' (A P^-1 A')^+ A P^-1 and
K = sum_g f_g J_1g' V_g Gamma_g V_g J_1g: T_d = (T_0 - T_1) a + b on m = df_0 - df_1 degrees of
freedom, a = sqrt(m / tr((M K)^2)), b = m - a tr(M K).
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import linalg, optimize

from servqual.distributions import chi2_sf
from servqual.sem.model import group_matrices, measurement_spec
from servqual.sem.ordinal import OrdinalStats
from servqual.sem.standardize import central_difference_jacobian
from servqual.sem.wlsmv import RobustIndices, ScaledTest, WLSMVFit, fit_wlsmv, savalei_indices, scaled_shifted

__all__ = ["GROUP_EQUALITIES", "DifferenceTest", "WLSMVGroupFit", "as_group_fit", "fit_wlsmv_groups",
           "wlsmv_difference", "wlsmv_group_robust_indices", "wlsmv_score_tests"]

#: Constraints across groups :func:`fit_wlsmv_groups` accepts (lavaan's ``group.equal``;
#: ``residuals`` only with the theta parameterization).
GROUP_EQUALITIES = ("loadings", "thresholds", "residuals")


@dataclass(frozen=True)
class WLSMVGroupFit:
    """Estimates (``values``: name -> per-group arrays), their robust covariance, the model's and
    the baseline's scaled tests, and what the difference test needs: the Jacobian of the stacked
    sample statistics, the DWLS weights 1 / diag(Gamma_g), the block-diagonal Gamma and each
    statistic's group size, the groups' sizes, and where each group's latent means sit in
    ``params`` (-1: fixed to 0)."""

    params: np.ndarray
    vcov: np.ndarray
    test: ScaledTest
    baseline: ScaledTest
    converged: bool
    values: dict[str, list[np.ndarray]]
    jacobian: np.ndarray
    unit_weights: np.ndarray
    nacov: np.ndarray
    group_n: np.ndarray
    group_sizes: tuple[int, ...]
    alpha_index: tuple[np.ndarray, ...] = ()
    layout: _Layout | None = None
    observed: np.ndarray | None = None


class _Layout:
    """Where each model quantity of each group sits in the parameter vector (-1: fixed)."""

    def __init__(self, factor_of_item: Sequence[int], n_factors: int, n_thresholds: Sequence[int], n_groups: int,
                 equal: Sequence[str], released: Collection[tuple[str, int]] = (), theta: bool = False) -> None:
        self.factor, self.theta = np.asarray(factor_of_item), theta
        self.p, self.m, self.n_groups = len(factor_of_item), n_factors, n_groups
        self.n_thresholds = list(n_thresholds)
        markers = {int(np.flatnonzero(self.factor == k)[0]) for k in range(n_factors)}
        count = 0

        def take(k: int) -> np.ndarray:
            nonlocal count
            count += k
            return np.arange(count - k, count)

        shared_lam = np.full(self.p, -1)
        free_items = [i for i in range(self.p) if i not in markers]
        self.item_of_threshold = np.repeat(np.arange(self.p), self.n_thresholds)
        free_lam = np.isin(np.arange(self.p), [i for c, i in released if c == "loadings"])
        free_tau = np.isin(self.item_of_threshold, [i for c, i in released if c == "thresholds"])
        lam, psi, tau, alpha, delta = [], [], [], [], []
        shared_tau = np.zeros(0, int)
        for g in range(n_groups):
            if "loadings" not in equal or g == 0:
                own = np.full(self.p, -1)
                own[free_items] = take(len(free_items))
                shared_lam = own
            lam.append(shared_lam.copy())
            bound = free_lam & (lam[g] >= 0) & (lam[g] == lam[0])
            if g and bound.any():
                lam[g][bound] = take(int(bound.sum()))
            psi.append(take(n_factors * (n_factors + 1) // 2))
            if "thresholds" not in equal or g == 0:
                shared_tau = take(sum(self.n_thresholds))
            tau.append(shared_tau.copy())
            bound = free_tau & (tau[g] == tau[0])
            if g and bound.any():
                tau[g][bound] = take(int(bound.sum()))
            scaled = "thresholds" in equal and g > 0
            alpha.append(take(n_factors) if scaled else np.full(n_factors, -1))
            # an item with its own loading and thresholds in group g: its scale is not identified
            own_tau = np.ones(self.p, bool)
            np.logical_and.at(own_tau, self.item_of_threshold, tau[g] != tau[0])
            scale = np.full(self.p, -1)
            if scaled and "residuals" not in equal:
                free = ~((lam[g] >= 0) & (lam[g] != lam[0]) & own_tau)
                scale[free] = take(int(free.sum()))
            delta.append(scale)
        self.lam, self.psi, self.tau, self.alpha, self.delta = lam, psi, tau, alpha, delta
        self.n_free = count
        self.lower = np.tril_indices(n_factors)
        cols, rows = np.triu_indices(self.p, 1)
        self.rows, self.cols = rows, cols

    def equalities(self) -> list[tuple[str, int, int, int]]:
        """The equality constraints of groups 2..G to group 1: (constraint, group, position in
        the loadings or thresholds, item)."""
        out = []
        for name, constraint in (("lam", "loadings"), ("tau", "thresholds")):
            index = getattr(self, name)
            for g in range(1, self.n_groups):
                for pos in np.flatnonzero((index[g] >= 0) & (index[g] == index[0])):
                    item = int(pos) if name == "lam" else int(self.item_of_threshold[pos])
                    out.append((constraint, g, int(pos), item))
        return out

    def release_entry(self, constraint: str, g: int, pos: int) -> _Layout:
        """The layout with one loading or threshold of group g given a parameter of its own (last)."""
        wider = copy.deepcopy(self)
        index = (wider.lam if constraint == "loadings" else wider.tau)[g]
        index[pos] = wider.n_free
        wider.n_free += 1
        return wider

    def matrices(self, theta: np.ndarray, g: int) -> dict[str, np.ndarray]:
        pick = lambda idx, fixed: np.where(idx >= 0, theta[np.maximum(idx, 0)], fixed)  # noqa: E731
        lam = np.zeros((self.p, self.m))
        lam[np.arange(self.p), self.factor] = pick(self.lam[g], 1.0)
        psi = np.zeros((self.m, self.m))
        psi[self.lower] = theta[self.psi[g]]
        psi = psi + np.tril(psi, -1).T
        common = np.diag(lam @ psi @ lam.T)
        scale = pick(self.delta[g], 1.0)
        if self.theta:  # scale holds the residual variances of the latent responses
            delta, residual = 1 / np.sqrt(np.clip(common + scale, 1e-12, None)), scale
        else:
            delta, residual = scale, 1 / scale ** 2 - common
        return dict(lam=lam, psi=psi, tau=theta[self.tau[g]], alpha=pick(self.alpha[g], 0.0), delta=delta,
                    theta=residual)

    def implied(self, theta: np.ndarray, g: int) -> np.ndarray:
        mats = self.matrices(theta, g)
        lam, delta = mats["lam"], mats["delta"]
        mu = lam @ mats["alpha"]
        taus = (mats["tau"] - mu[self.item_of_threshold]) * delta[self.item_of_threshold]
        common = lam @ mats["psi"] @ lam.T
        rho = delta[self.rows] * delta[self.cols] * common[self.rows, self.cols]
        return np.concatenate([taus, rho])

    def start(self, stats: Sequence[OrdinalStats]) -> np.ndarray:
        """Loadings and factor (co)variances of group 1's single-group fit, the groups' own
        thresholds (group 1's where they are equal), latent means 0 and scaling factors 1."""
        single = fit_wlsmv(measurement_spec(list(self.factor), self.m), stats[0])
        mats = group_matrices(single.spec, single.params, 0)
        theta = np.zeros(self.n_free)
        for g in range(self.n_groups):
            free = self.lam[g] >= 0
            theta[self.lam[g][free]] = mats.lam[np.arange(self.p), self.factor][free]
            theta[self.psi[g]] = mats.psi[self.lower]
            theta[self.alpha[g][self.alpha[g] >= 0]] = 0.0
            theta[self.delta[g][self.delta[g] >= 0]] = 1.0
        for g in reversed(range(self.n_groups)):
            theta[self.tau[g]] = np.concatenate(stats[g].thresholds)
        return theta


def fit_wlsmv_groups(factor_of_item: Sequence[int], n_factors: int, stats: Sequence[OrdinalStats],
                     equal: Sequence[str] = (), released: Collection[tuple[str, int]] = (),
                     parameterization: str = "delta") -> WLSMVGroupFit:
    """DWLS estimates, robust covariance and scaled-and-shifted tests of the multi-group model
    (module docstring) from each group's ordinal sample statistics.

    Parameters
    ----------
    factor_of_item : sequence of int
        Factor of each item (the first item of each factor is its marker).
    n_factors : int
        Number of factors.
    stats : sequence of OrdinalStats
        Each group's thresholds, polychoric correlations and Gamma
        (:func:`servqual.sem.ordinal.ordinal_stats`); every item needs the same number of
        answered categories in every group.
    equal : sequence of str
        Constraints across groups, of :data:`GROUP_EQUALITIES` (lavaan's ``group.equal``):
        ``()`` configural, ``("loadings",)`` metric, ``("loadings", "thresholds")`` scalar.
    released : collection of (str, int)
        (constraint, item) pairs left free in every group (lavaan's ``group.partial``):
        ``("loadings", i)`` the loading of item i, ``("thresholds", i)`` all its thresholds.

    Returns
    -------
    WLSMVGroupFit

    Examples
    --------
    >>> from servqual.sem.ordinal import ordinal_stats
    >>> rng = np.random.default_rng(0)
    >>> def group(n):  # one factor, loadings .7, four categories
    ...     eta = rng.standard_normal((n, 1))
    ...     return np.digitize(0.7 * eta + np.sqrt(0.51) * rng.standard_normal((n, 6)), [-1, 0, 1])
    >>> fit = fit_wlsmv_groups([0] * 6, 1, [ordinal_stats(group(500)), ordinal_stats(group(400))], ("loadings",))
    >>> fit.test.df, bool(fit.test.pvalue_scaled > 0.05)
    (23, True)
    """
    unknown = set(equal) - set(GROUP_EQUALITIES)
    if unknown:
        raise ValueError(f"equal may hold {GROUP_EQUALITIES}, got {sorted(unknown)}")
    if parameterization not in ("delta", "theta"):
        raise ValueError(f"parameterization must be 'delta' or 'theta', got {parameterization!r}")
    if "residuals" in equal and parameterization != "theta":
        raise ValueError("equal residual variances need parameterization='theta' (under delta they are not parameters)")
    sizes = [[len(t) for t in st.thresholds] for st in stats]
    if any(s != sizes[0] for s in sizes):
        raise ValueError("every item needs the same number of answered categories in every group")
    layout = _Layout(factor_of_item, n_factors, sizes[0], len(stats), equal, released, parameterization == "theta")
    observed = np.concatenate([np.concatenate([*st.thresholds, st.correlations[layout.rows, layout.cols]])
                               for st in stats])
    unit_weights = np.concatenate([1 / np.diag(st.gamma) for st in stats])
    group_n = np.concatenate([np.full(len(st.gamma), st.n) for st in stats])
    nacov = linalg.block_diag(*[st.gamma for st in stats])
    weights, gamma = (group_n - 1) * unit_weights, nacov / (group_n - 1)[:, None]
    root_w = np.sqrt(weights)

    def implied(theta: np.ndarray) -> np.ndarray:
        return np.concatenate([layout.implied(theta, g) for g in range(layout.n_groups)])

    def jacobian(theta: np.ndarray) -> np.ndarray:
        return central_difference_jacobian(implied, theta)

    result = optimize.least_squares(lambda t: root_w * (observed - implied(t)), layout.start(stats),
                                    jac=lambda t: -root_w[:, None] * jacobian(t), method="lm",
                                    xtol=1e-15, ftol=1e-15, gtol=1e-15, max_nfev=5000)
    theta = result.x
    resid = observed - implied(theta)
    jac = jacobian(theta)
    wj = weights[:, None] * jac
    bread = np.linalg.inv(jac.T @ wj)
    vcov = bread @ wj.T @ gamma @ wj @ bread
    u = np.diag(weights) - wj @ bread @ wj.T
    df = len(observed) - layout.n_free
    test = scaled_shifted(float(resid @ (weights * resid)), df, u @ gamma)
    is_corr = np.concatenate([np.r_[np.zeros(sum(layout.n_thresholds), bool), np.ones(len(layout.rows), bool)]
                              for _ in stats])
    w0 = np.where(is_corr, weights, 0.0)
    baseline = scaled_shifted(float(observed @ (w0 * observed)), int(is_corr.sum()), w0[:, None] * gamma)
    grad = jac.T @ (weights * resid)
    values = {k: [layout.matrices(theta, g)[k] for g in range(layout.n_groups)]
              for k in ("lam", "psi", "tau", "alpha", "delta", "theta")}
    converged = bool(result.success and np.abs(grad).max() < 1e-6 * max(1.0, float(weights.max())))
    return WLSMVGroupFit(theta, vcov, test, baseline, converged, values, jac, unit_weights, nacov, group_n,
                         tuple(st.n for st in stats), tuple(layout.alpha), layout, observed)


def wlsmv_score_tests(fit: WLSMVGroupFit) -> pd.DataFrame:
    """Univariate score tests of the equality constraints of a multi-group WLSMV fit, lavaan's
    ``lavTestScore(fit)$uni`` (the ordinary test it computes for DWLS).

    Releasing the constraint of one loading or threshold of group g gives it a parameter of its
    own; at the constrained estimates theta^ (extended by the shared value) the statistic is

        LM = s' I^-1 s,   s = J*' W (s - sigma(theta^)),   I = J*' W_n J*,

    with J* the Jacobian of the released model, W = blockdiag((n_g - 1) diag(Gamma_g)^-1) the
    DWLS weights of :func:`fit_wlsmv_groups` and W_n = blockdiag(n_g diag(Gamma_g)^-1) (lavaan's
    expected information weighs the groups by n_g / N, its gradient by (n_g - 1) / N), on 1 df
    (Rao 1948; Sörbom 1989, Psychometrika 54(3)); lavaan's N g' Z1^+ g with the constraint's
    row left out of the bordered information Z1 is the same quantity.

    Returns
    -------
    pd.DataFrame
        One row per constraint (:meth:`_Layout.equalities` order): slot, constraint, item,
        group (index), threshold (1-based position among the item's thresholds, 0 for a
        loading), chisq, df, pvalue, epc (expected change of the released parameter).
    """
    layout = fit.layout
    if layout is None or fit.observed is None:
        raise ValueError("score tests need a fit of fit_wlsmv_groups")
    weights = (fit.group_n - 1) * fit.unit_weights
    first = np.concatenate([[0], np.cumsum(layout.n_thresholds)])
    rows = []
    for slot, (constraint, g, pos, item) in enumerate(layout.equalities()):
        wider = layout.release_entry(constraint, g, pos)
        shared = (layout.lam if constraint == "loadings" else layout.tau)[g][pos]
        theta = np.append(fit.params, fit.params[shared])

        def implied(t: np.ndarray, wider: _Layout = wider) -> np.ndarray:
            return np.concatenate([wider.implied(t, h) for h in range(wider.n_groups)])

        jac = central_difference_jacobian(implied, theta)
        score = jac.T @ (weights * (fit.observed - implied(theta)))
        step = np.linalg.lstsq(jac.T @ ((fit.group_n * fit.unit_weights)[:, None] * jac), score, rcond=None)[0]
        lm = float(score @ step)
        rows.append(dict(slot=slot, constraint=constraint, item=item, group=g,
                         threshold=0 if constraint == "loadings" else pos - int(first[item]) + 1, chisq=lm, df=1,
                         pvalue=float(chi2_sf(lm, 1)), epc=float(step[-1])))
    return pd.DataFrame(rows, columns=["slot", "constraint", "item", "group", "threshold", "chisq", "df", "pvalue",
                                       "epc"])


def wlsmv_group_robust_indices(fit: WLSMVGroupFit, stats: Sequence[OrdinalStats], *, level: float = 0.90,
                               close_fit: float = 0.05) -> RobustIndices:
    """lavaan's cfi.robust, tli.robust and rmsea.robust of a multi-group WLSMV fit
    (:func:`servqual.sem.wlsmv.savalei_indices` with each group's model correlations, the
    correlations' rows of the Jacobian and the inverse of the expected information
    sum_g (n_g / N) J_g' diag(Gamma_g)^-1 J_g over all sample statistics).

    NaN where a polychoric matrix is not positive definite, and where a scaling factor or residual
    variance of the latent responses is a parameter (equal thresholds: the scalar and strict
    levels), where lavaan 0.6-14 cannot build the model of correlations these indices rest on
    and reports none.
    """
    layout = fit.layout
    if layout is None or fit.observed is None:
        raise ValueError("robust indices need a fit of fit_wlsmv_groups")
    if layout.theta or any((d >= 0).any() for d in layout.delta):
        return RobustIndices(*[np.nan] * 6)
    is_corr = np.concatenate([np.r_[np.zeros(sum(layout.n_thresholds), bool), np.ones(len(layout.rows), bool)]
                              for _ in stats])
    share = fit.group_n / sum(fit.group_sizes)
    info_inv = np.linalg.inv(fit.jacobian.T @ ((share * fit.unit_weights)[:, None] * fit.jacobian))
    p = layout.p
    sigma = []
    for g in range(layout.n_groups):
        rho = np.eye(p)
        rho[layout.rows, layout.cols] = rho[layout.cols, layout.rows] = layout.implied(fit.params, g)[
            sum(layout.n_thresholds):]
        sigma.append(rho)
    gamma = [st.gamma[len(st.gamma) - len(layout.rows):, len(st.gamma) - len(layout.rows):] for st in stats]
    return savalei_indices([st.n for st in stats], [st.correlations for st in stats], sigma, gamma,
                           fit.jacobian[is_corr], info_inv, fit.test.df, level=level, close_fit=close_fit)


def as_group_fit(fit: WLSMVFit, ostats: OrdinalStats) -> WLSMVGroupFit:
    """A single-group fit of :func:`servqual.sem.wlsmv.fit_wlsmv` as one group, for
    :func:`wlsmv_difference` (its thresholds are saturated, so the correlations suffice: with a
    diagonal weight matrix their directions separate from the thresholds')."""
    p = ostats.correlations.shape[0]
    cols, rows = np.triu_indices(p, 1)
    n_th = len(ostats.gamma) - len(rows)
    gamma = ostats.gamma[n_th:, n_th:]
    jac = central_difference_jacobian(lambda t: group_matrices(fit.spec, t, 0).sigma[rows, cols], fit.params)
    return WLSMVGroupFit(fit.params, fit.vcov, fit.test, fit.baseline, fit.converged, {}, jac, 1 / np.diag(gamma),
                         gamma, np.full(len(rows), ostats.n), (ostats.n,))


@dataclass(frozen=True)
class DifferenceTest:
    """The scaled-and-shifted difference T_d = (T_0 - T_1) a + b on ``df`` degrees of freedom."""

    delta_chisq: float
    df: int
    a: float
    b: float

    @property
    def chisq(self) -> float:
        return self.delta_chisq * self.a + self.b

    @property
    def pvalue(self) -> float:
        return float(chi2_sf(self.chisq, self.df))


def wlsmv_difference(restricted: WLSMVGroupFit, free: WLSMVGroupFit) -> DifferenceTest:
    """lavaan's ``lavTestLRT(free, restricted)`` for WLSMV fits of the same data (module docstring)."""
    m = restricted.test.df - free.test.df
    if m <= 0:
        raise ValueError("the restricted model needs more degrees of freedom than the free one")
    d1, d0 = free.jacobian, restricted.jacobian
    a = linalg.null_space((np.linalg.pinv(d1) @ d0).T).T
    share = free.group_n / sum(free.group_sizes)
    p_inv = np.linalg.inv(d1.T @ ((share * free.unit_weights)[:, None] * d1))
    m_mat = p_inv @ a.T @ np.linalg.pinv(a @ p_inv @ a.T) @ a @ p_inv
    vp = free.unit_weights[:, None] * d1
    k = vp.T @ (share[:, None] * free.nacov) @ vp
    mk = m_mat @ k
    scale = np.sqrt(m / np.sum(mk * mk.T))
    return DifferenceTest(restricted.test.chisq - free.test.chisq, m, float(scale), float(m - scale * np.trace(mk)))
