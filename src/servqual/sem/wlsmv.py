"""WLSMV: diagonally weighted least squares on polychoric correlations, with robust standard
errors and the mean- and variance-adjusted test (lavaan's ``estimator = "WLSMV"`` for
``ordered`` items, Muthén, du Toit & Spisic 1997; Rosseel 2012, J. Stat. Softw. 48(2)).

The latent responses y* have unit variances (lavaan's ``parameterization = "delta"``), so the
model's correlations are the off-diagonal elements of Lambda Psi Lambda'; the residual variances
1 - diag(Lambda Psi Lambda') are not free. With r the polychoric correlations, Gamma their
asymptotic covariance (:func:`servqual.sem.ordinal.ordinal_stats`), W = diag(Gamma)^-1 and
J = d sigma / d theta:

- estimates minimise F = (r - sigma)' W (r - sigma) (thresholds are saturated and drop out);
- T = (N - 1) F at the minimum, df = p(p - 1)/2 - q;
- robust covariance of the estimates (J'WJ)^-1 J'W Gamma W J (J'WJ)^-1 / (N - 1);
- the scaled and shifted statistic T* = a T + b with a = sqrt(df / tr((U Gamma)^2)), b = df -
  a tr(U Gamma), U = W - W J (J'WJ)^-1 J'W (Asparouhov & Muthén 2010); lavaan reports 1/a as the
  scaling factor and b as the shift;
- the baseline model: all correlations 0 (U = W);
- RMSEA with N - 1: lavaan's (D)WLS statistics all count N - 1 (Gamma being N times the
  covariance of the sample statistics);
- the robust CFI, TLI and RMSEA of Savalei (2021, Multivariate Behav. Res. 56(3)), as lavaan
  0.6-13 and later (:func:`wlsmv_robust_indices`): the normal-theory ML statistic of the model's
  correlations at the DWLS estimates against the polychoric ones, T3 = N F_ML(R, Sigma), with
  c3 = tr(U' V U Gamma) / df, U = I - J (J'WJ)^-1 J'W and V the ML weight of correlations at
  Sigma (V_ij,kl = s^ik s^jl + s^il s^jk, s^ = Sigma^-1); the baseline T3_0 = -N log|R| with
  c3_0 = tr(Gamma) / (p(p - 1)/2); then CFI = 1 - max(T3 - c3 df, 0) / max(T3 - c3 df,
  T3_0 - c3_0 df_0, 0), TLI = 1 - (T3 - c3 df) df_0 / ((T3_0 - c3_0 df_0) df), RMSEA =
  sqrt(max(T3 / ((N - 1) df) - c3 / (N - 1), 0)), its interval and p-close those of T3 / c3 on
  df times sqrt(c3).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import linalg, optimize

from servqual.distributions import chi2_sf, ncx2_sf
from servqual.sem.estimation import start_values
from servqual.sem.fit import IncrementalIndices, rmsea_interval
from servqual.sem.gradient import free_derivatives
from servqual.sem.model import BETA, LAMBDA, THETA, Spec, build_spec, group_matrices, slot_values
from servqual.sem.ordinal import OrdinalStats
from servqual.sem.parameters import PARAMETER_COLUMNS, wald
from servqual.sem.samplestats import GroupStats
from servqual.sem.standardize import central_difference_jacobian, delta_method_se

__all__ = ["GRADIENT_TOL", "RobustIndices", "ScaledTest", "WLSMVFit", "delta_spec", "fit_wlsmv", "savalei_indices",
           "scaled_shifted", "wlsmv_parameter_table", "wlsmv_robust_indices", "wlsmv_srmr"]

#: Largest component of the gradient of F accepted as converged.
GRADIENT_TOL = 1e-7


def delta_spec(spec: Spec) -> Spec:
    """The spec without residual variances: under the delta parameterization they follow from
    the model (1 - communality)."""
    keep = spec.kind != THETA
    slots = [(int(k), int(g), int(r), int(c), None if f < 0 else ("free", int(f)), float(v))
             for k, g, r, c, f, v in zip(spec.kind[keep], spec.group[keep], spec.row[keep], spec.col[keep],
                                         spec.free[keep], spec.value[keep])]
    return build_spec(slots, spec.n_items, spec.n_factors, spec.n_groups, spec.meanstructure)


@dataclass(frozen=True)
class ScaledTest:
    """A test statistic T, its df, and the scaled-and-shifted T* = T / scaling_factor + shift."""

    chisq: float
    df: int
    scaling_factor: float
    shift: float

    @property
    def chisq_scaled(self) -> float:
        return self.chisq / self.scaling_factor + self.shift

    @property
    def pvalue(self) -> float:
        return float(chi2_sf(self.chisq, self.df)) if self.df > 0 else np.nan

    @property
    def pvalue_scaled(self) -> float:
        return float(chi2_sf(self.chisq_scaled, self.df)) if self.df > 0 else np.nan


def scaled_shifted(chisq: float, df: int, u_gamma: np.ndarray) -> ScaledTest:
    """T* = a T + b, a = sqrt(df / tr((U Gamma)^2)), b = df - a tr(U Gamma)."""
    a = np.sqrt(df / np.trace(u_gamma @ u_gamma))
    return ScaledTest(float(chisq), int(df), float(1 / a), float(df - a * np.trace(u_gamma)))


@dataclass(frozen=True)
class WLSMVFit:
    """The DWLS estimates of a delta-parameterized spec with their robust covariance matrix,
    the model's and the baseline's scaled tests, and whether the minimiser converged."""

    spec: Spec
    params: np.ndarray
    vcov: np.ndarray
    test: ScaledTest
    baseline: ScaledTest
    converged: bool
    residuals: np.ndarray


def _lower(p: int) -> tuple[np.ndarray, np.ndarray]:
    """Row and column of each correlation in lavaan's order (the lower triangle by column)."""
    cols, rows = np.triu_indices(p, 1)
    return rows, cols


def _model_correlations(spec: Spec, params: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    return group_matrices(spec, params, 0).sigma[rows, cols]


def _jacobian(spec: Spec, params: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    dsigma, _ = free_derivatives(spec, 0, group_matrices(spec, params, 0))
    return dsigma[:, rows, cols].T


def fit_wlsmv(spec: Spec, ostats: OrdinalStats) -> WLSMVFit:
    """DWLS estimates, robust covariance and tests of a single-group spec (its residual
    variances are dropped, :func:`delta_spec`) from ordinal sample statistics (module docstring).
    """
    spec = delta_spec(spec)
    p, n = spec.n_items, ostats.n
    rows, cols = _lower(p)
    r = ostats.correlations[rows, cols]
    n_th = len(ostats.gamma) - len(r)
    gamma = ostats.gamma[n_th:, n_th:]
    w = 1 / np.diag(gamma)
    root_w = np.sqrt(w)
    start = start_values(spec, [GroupStats(n, np.zeros(p), ostats.correlations)])
    result = optimize.least_squares(lambda t: root_w * (r - _model_correlations(spec, t, rows, cols)), start,
                                    jac=lambda t: -root_w[:, None] * _jacobian(spec, t, rows, cols),
                                    method="lm", xtol=1e-15, ftol=1e-15, gtol=1e-15, max_nfev=2000)
    params = result.x
    resid = r - _model_correlations(spec, params, rows, cols)
    jac = _jacobian(spec, params, rows, cols)
    bread = np.linalg.inv(jac.T @ (w[:, None] * jac))
    wj = w[:, None] * jac
    vcov = bread @ wj.T @ gamma @ wj @ bread / (n - 1)
    u = np.diag(w) - wj @ bread @ wj.T
    df = len(r) - spec.n_free
    test = scaled_shifted((n - 1) * float(resid @ (w * resid)), df, u @ gamma)
    baseline = scaled_shifted((n - 1) * float(r @ (w * r)), len(r), w[:, None] * gamma)
    grad = jac.T @ (w * resid)
    converged = bool(result.success and np.abs(grad).max() < GRADIENT_TOL)
    return WLSMVFit(spec, params, vcov, test, baseline, converged, resid)


def wlsmv_srmr(fit: WLSMVFit, p: int) -> float:
    """SRMR of the correlation residuals over the p(p + 1)/2 elements of the lower triangle
    (the diagonal's are 0)."""
    return float(np.sqrt(np.sum(fit.residuals ** 2) / (p * (p + 1) / 2)))



@dataclass(frozen=True)
class RobustIndices(IncrementalIndices):
    """Savalei's (2021) robust CFI, TLI and RMSEA with the RMSEA's interval and p-close."""


def wlsmv_robust_indices(fit: WLSMVFit, ostats: OrdinalStats, *, level: float = 0.90,
                         close_fit: float = 0.05) -> RobustIndices:
    """lavaan's cfi.robust, tli.robust and rmsea.robust of a single-group WLSMV fit (module
    docstring); NaN where the polychoric matrix is not positive definite, as lavaan."""
    p = ostats.correlations.shape[0]
    rows, cols = _lower(p)
    sigma = group_matrices(fit.spec, fit.params, 0).sigma
    gamma = ostats.gamma[len(ostats.gamma) - len(rows):, len(ostats.gamma) - len(rows):]
    jac = _jacobian(fit.spec, fit.params, rows, cols)
    info_inv = np.linalg.inv(jac.T @ (jac / np.diag(gamma)[:, None]))
    return savalei_indices([ostats.n], [ostats.correlations], [sigma], [gamma], jac, info_inv, fit.test.df,
                           level=level, close_fit=close_fit)


def savalei_indices(n: Sequence[int], r: Sequence[np.ndarray], sigma: Sequence[np.ndarray],
                    gamma: Sequence[np.ndarray], jac: np.ndarray, info_inv: np.ndarray, df: int, *,
                    level: float = 0.90, close_fit: float = 0.05) -> RobustIndices:
    """Savalei's (2021) robust CFI, TLI and RMSEA of a WLSMV fit of G groups, as lavaan's
    ``lav_fit_catml_dwls`` (module docstring, with the groups stacked): T3 = sum_g n_g F_ML(R_g,
    Sigma_g); with f_g = n_g / N, c3 = tr(U' V U Gamma) / df, V = blockdiag(f_g V_g), Gamma =
    blockdiag(Gamma_g / f_g), U = I - J E^-1 J' W, W = blockdiag(f_g diag(Gamma_g)^-1), J the
    correlations' rows of the Jacobian and E^-1 the inverse expected information of the DWLS fit;
    T3_0 = -sum_g n_g log|R_g|, c3_0 = tr(Gamma) / df_0, df_0 = G p(p - 1)/2; then the indices
    with N - G and sqrt(G) as the scaled ones. NaN where a polychoric matrix is not positive
    definite, as lavaan.

    Parameters
    ----------
    n, r, sigma, gamma : sequences over the groups
        Group sizes, polychoric correlations, the model's correlations (any diagonal) and the
        asymptotic covariance of the correlations (N_g times the covariance of the estimates).
    jac : np.ndarray
        Derivatives of the stacked model correlations (lower triangle by column, group after
        group) with respect to the free parameters.
    info_inv : np.ndarray
        Inverse of the expected information sum_g f_g J_g' diag(Gamma_g)^-1 J_g (threshold rows
        included where the thresholds are not saturated).
    df : int
        Degrees of freedom of the model's test.
    """
    n_groups, total = len(n), float(sum(n))
    if df <= 0 or any(np.linalg.eigvalsh(x).min() < np.sqrt(np.finfo(float).eps) for x in r):
        return RobustIndices(*[np.nan] * 6)
    share = np.asarray(n, float) / total
    p = r[0].shape[0]
    rows, cols = _lower(p)
    t3 = t3_null = 0.0
    v_blocks, w, gammas = [], [], []
    for n_g, f_g, r_g, s_g, gam in zip(n, share, r, sigma, gamma):
        s_g = s_g.copy()
        np.fill_diagonal(s_g, 1.0)
        inv = np.linalg.inv(s_g)
        t3 += n_g * (np.linalg.slogdet(s_g)[1] + np.trace(r_g @ inv) - np.linalg.slogdet(r_g)[1] - p)
        t3_null -= n_g * np.linalg.slogdet(r_g)[1]
        v_blocks.append(f_g * (inv[rows][:, rows] * inv[cols][:, cols] + inv[rows][:, cols] * inv[cols][:, rows]))
        w.append(f_g / np.diag(gam))
        gammas.append(gam / f_g)
    v, gamma_all, w = linalg.block_diag(*v_blocks), linalg.block_diag(*gammas), np.concatenate(w)
    df_null = n_groups * len(rows)
    u = np.eye(len(w)) - jac @ info_inv @ (jac.T * w)
    c3, c3_null = np.trace(u.T @ v @ u @ gamma_all) / df, np.trace(gamma_all) / df_null
    excess, excess_null = t3 - c3 * df, t3_null - c3_null * df_null
    top = max(excess, excess_null, 0.0)
    cfi = 1.0 if np.isclose(max(excess, 0.0), 0) and np.isclose(top, 0) else 1 - max(excess, 0.0) / top
    tli = 1 - excess * df_null / (excess_null * df)
    n_eff = total - n_groups
    rmsea = float(np.sqrt(max(t3 / (n_eff * df) - c3 / n_eff, 0.0)) * np.sqrt(n_groups))
    low, high = rmsea_interval(t3 / c3, df, n_eff, n_groups, level)
    pclose = ncx2_sf(t3 / c3, df, n_eff * df * close_fit ** 2 / (c3 * n_groups))
    return RobustIndices(float(cfi), float(tli), rmsea, float(low * np.sqrt(c3)), float(high * np.sqrt(c3)), pclose)


def _standardized(spec: Spec, params: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """std.all of each slot (y* has unit variance, sd(eta) from the implied latent covariance
    A Psi A'): a loading times sd(eta), a second-order loading b_kl sd(eta_l) / sd(eta_k), a
    latent (co)variance over sd(eta_k) sd(eta_l); then the residual variances 1 - communality
    with their std.all (the same)."""
    mats = group_matrices(spec, params, 0)
    sd_eta = np.sqrt(np.abs(np.diag(mats.eta_cov)))
    values = slot_values(spec, params)
    loading, beta = spec.kind == LAMBDA, spec.kind == BETA
    other = ~(loading | beta)
    std = np.empty(len(values))
    std[loading] = values[loading] * sd_eta[spec.col[loading]]
    std[beta] = values[beta] * sd_eta[spec.col[beta]] / sd_eta[spec.row[beta]]
    std[other] = values[other] / (sd_eta[spec.row[other]] * sd_eta[spec.col[other]])
    residual = 1 - np.diag(mats.sigma)
    return std, residual, np.concatenate([std, residual])


def _slot_rows(spec: Spec, items: Sequence[str], factors: Sequence[str]) -> list[tuple[str, str, str, str]]:
    """lhs, op, rhs and the parameter's name of each slot, as lavaan names them."""
    endogenous = set(spec.row[spec.kind == BETA])
    rows = []
    for k, r, c in zip(spec.kind, spec.row, spec.col):
        if k == LAMBDA:
            rows.append((factors[c], "=~", items[r], "loading"))
        elif k == BETA:
            rows.append((factors[c], "=~", factors[r], "second_order_loading"))
        else:
            a, b = min(r, c), max(r, c)
            name = ("disturbance_variance" if a in endogenous else "factor_variance") if a == b else "factor_covariance"
            rows.append((factors[a], "~~", factors[b], name))
    return rows


def wlsmv_parameter_table(fit: WLSMVFit, ostats: OrdinalStats, items: Sequence[str], factors: Sequence[str],
                          confidence: float = 0.95) -> pd.DataFrame:
    """Loadings, factor (co)variances, the residual variances of the latent responses (1 -
    communality, not free) and the thresholds, with robust SEs, Wald tests and intervals and
    their std.all values with delta-method SEs, as lavaan's ``parameterEstimates`` and
    ``standardizedSolution`` of a WLSMV fit (columns of
    :data:`servqual.sem.parameters.PARAMETER_COLUMNS`, ``parameter`` also ``threshold``, whose
    ``rhs`` is t1, t2, ...)."""
    spec, params = fit.spec, fit.params
    values = slot_values(spec, params)
    free = spec.free >= 0
    se = np.where(free, np.sqrt(np.diag(fit.vcov))[np.maximum(spec.free, 0)], 0.0)
    std, residual, _ = _standardized(spec, params)
    std_se = delta_method_se(central_difference_jacobian(lambda t: _standardized(spec, t)[2], params), fit.vcov)
    n_slots = len(values)
    rows = _slot_rows(spec, items, factors)
    table = pd.DataFrame(rows, columns=["lhs", "op", "rhs", "parameter"]).assign(
        free=free, estimate=values, se=np.where(free, se, np.nan), std_all=std, std_se=std_se[:n_slots])
    # a factor's own standardized variance is 1 by construction
    table.loc[table["parameter"] == "factor_variance", "std_se"] = 0.0
    resid = pd.DataFrame({"lhs": list(items), "op": "~~", "rhs": list(items), "parameter": "residual_variance",
                          "free": False, "estimate": residual, "se": np.nan, "std_all": residual,
                          "std_se": std_se[n_slots:]})
    taus = np.concatenate(ostats.thresholds)
    tau_se = np.sqrt(np.diag(ostats.gamma)[:len(taus)] / (ostats.n - 1))
    tau_rows = pd.DataFrame({"lhs": [i for i, t in zip(items, ostats.thresholds) for _ in t], "op": "|",
                             "rhs": [f"t{k + 1}" for t in ostats.thresholds for k in range(len(t))],
                             "parameter": "threshold", "free": True, "estimate": taus, "se": tau_se,
                             "std_all": taus, "std_se": tau_se})
    table = pd.concat([table, resid, tau_rows], ignore_index=True)
    tests, std_tests = wald(table["estimate"].to_numpy(), table["se"].fillna(0).to_numpy(), confidence), \
        wald(table["std_all"].to_numpy(), table["std_se"].to_numpy(), confidence)
    return table.assign(
        group="", z=tests["z"], pvalue=tests["pvalue"], ci_low=np.where(table["free"], tests["low"], np.nan),
        ci_high=np.where(table["free"], tests["high"], np.nan), std_z=std_tests["z"], std_pvalue=std_tests["pvalue"],
        std_ci_low=std_tests["low"], std_ci_high=std_tests["high"],
        r2=np.where(table["parameter"].isin(["residual_variance", "disturbance_variance"]), 1 - table["std_all"],
                    np.nan),
        confidence=float(confidence))[PARAMETER_COLUMNS]
