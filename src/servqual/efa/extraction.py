"""Factor extraction (minimum residual or maximum likelihood, as psych::fa) and the fit of an
extracted solution (chi-square, RMSEA with its interval, TLI, BIC)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import optimize

from servqual.distributions import chi2_sf
from servqual.efa.correlations import UNIQUENESS_LOWER_BOUND, EFAError, smc
from servqual.sem.fit import rmsea_interval

_EPS = np.finfo(float).eps


def _top_eigen(s: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k largest eigenvalues (descending) and their eigenvectors of a symmetric matrix."""
    values, vectors = np.linalg.eigh(s)
    return values[::-1][:k], vectors[:, ::-1][:, :k]


def _minres_loadings(psi: np.ndarray, r: np.ndarray, k: int) -> np.ndarray:
    """Principal-axis loadings of ``R - diag(psi)`` (psych's FAout.wls)."""
    values, vectors = _top_eigen(r - np.diag(psi), k)
    return vectors * np.sqrt(np.maximum(values, 0.0))


def _minres_objective(psi: np.ndarray, r: np.ndarray, k: int) -> float:
    """Sum of squared off-diagonal residuals (psych's fit.residuals with fm = "minres")."""
    reduced = r - np.diag(psi)
    values, vectors = _top_eigen(reduced, k)
    values = np.where(values < _EPS, 100 * _EPS, values)
    loadings = vectors * np.sqrt(values)
    residual = (reduced - loadings @ loadings.T)[np.tril_indices(len(r), -1)]
    return float(residual @ residual)


def _minres_gradient(psi: np.ndarray, r: np.ndarray, k: int) -> np.ndarray:
    """psych's FAgr.minres: implied communality minus the communality ``1 - psi``."""
    loadings = _minres_loadings(psi, r, k)
    return np.einsum("ij,ij->i", loadings, loadings) + psi - np.diag(r)


def _ml_loadings(psi: np.ndarray, r: np.ndarray, k: int) -> np.ndarray:
    """ML loadings given uniquenesses (psych's FAout; Joreskog 1967)."""
    scale = 1.0 / np.sqrt(psi)
    values, vectors = _top_eigen(r * np.outer(scale, scale), k)
    return np.sqrt(psi)[:, None] * vectors * np.sqrt(np.maximum(values - 1.0, 0.0))


def _ml_objective(psi: np.ndarray, r: np.ndarray, k: int) -> float:
    """ML discrepancy concentrated on psi (psych's FAfn).

    ``-sum(ln e - e) + k - p`` over the p - k smallest eigenvalues e of Psi^-1/2 R Psi^-1/2.
    """
    scale = 1.0 / np.sqrt(psi)
    e = np.linalg.eigvalsh(r * np.outer(scale, scale))[::-1][k:]
    return float(-(np.sum(np.log(e) - e) - k + len(r)))


def _ml_gradient(psi: np.ndarray, r: np.ndarray, k: int) -> np.ndarray:
    """psych's FAgr: ``diag(L L' + Psi - R) / psi^2``."""
    loadings = _ml_loadings(psi, r, k)
    return (np.einsum("ij,ij->i", loadings, loadings) + psi - np.diag(r)) / psi**2


_EXTRACTORS = {
    "minres": (_minres_objective, _minres_gradient, _minres_loadings),
    "ml": (_ml_objective, _ml_gradient, _ml_loadings),
}


def extract(r: np.ndarray, k: int, method: str) -> tuple[np.ndarray, np.ndarray]:
    """Unrotated loadings and uniquenesses, searched as psych's ``fac`` does.

    psych calls R's optim L-BFGS-B from psi = 1 - SMC with bounds [.005, 1], parscale .01,
    memory 5, factr 1e7 and at most 100 iterations; the same settings are used here (the
    parameters are divided by the parscale so that the search takes the same steps).
    """
    objective, gradient, loadings_of = _EXTRACTORS[method]
    scale = 0.01
    start = 1.0 - smc(r)
    result = optimize.minimize(
        lambda x: objective(x * scale, r, k),
        start / scale,
        jac=lambda x: gradient(x * scale, r, k) * scale,
        method="L-BFGS-B",
        bounds=[(UNIQUENESS_LOWER_BOUND / scale, 1.0 / scale)] * len(r),
        options={"maxcor": 5, "ftol": 1e7 * _EPS, "gtol": 0.0, "maxiter": 100},
    )
    psi = result.x * scale
    if result.status != 0:
        _check_estimating_equations(psi, r, k, method, gradient, result.message)
    return loadings_of(psi, r, k), psi


def _check_estimating_equations(
    psi: np.ndarray,
    r: np.ndarray,
    k: int,
    method: str,
    gradient: Callable[[np.ndarray, np.ndarray, int], np.ndarray],
    message: str,
) -> None:
    """Raise unless the uniquenesses solve the estimating equations where they are not at a bound.

    Called when the search stopped without reporting convergence (iteration limit or a failed
    line search, which psych's approximate minres gradient can cause). At a solution the implied
    communalities equal ``1 - psi``; a discrepancy above 1e-3 means the search stopped short.
    """
    g = gradient(psi, r, k) * (psi**2 if method == "ml" else 1.0)
    at_lower = psi <= UNIQUENESS_LOWER_BOUND * (1 + 1e-6)
    at_upper = psi >= 1.0 - 1e-9
    free = ~((at_lower & (g > 0)) | (at_upper & (g < 0)))
    worst = float(np.abs(g[free]).max(initial=0.0))
    if worst > 1e-3:
        raise EFAError(
            f"{method} extraction of {k} factors did not converge ({message}; largest "
            f"communality discrepancy {worst:.2g})"
        )


# --------------------------------------------------------------------------------------------
# Fit
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EFAFit:
    """Fit of the factor model (psych::fa.stats).

    Attributes
    ----------
    objective : float
        ``F = tr(M^-1 R) - ln det(M^-1 R) - p`` with M = L Phi L' + diag(u2).
    chisq, df, pvalue : float, int, float
        ``chisq = (n - 1 - (2p + 5)/6 - 2f/3) F`` and ``df = ((p - f)^2 - (p + f)) / 2``
        (Bartlett 1950, British J. Psychology, Statistical Section 3(2)).
    rmsea, rmsea_ci_low, rmsea_ci_high : float
        ``sqrt(max(chisq / (df n) - 1 / (n - 1), 0))`` and its 90% interval from the noncentral
        chi-square, as psych.
    tli : float
        ``(M0 - Mm) / (M0 - 1 / nm)`` with M0 = F0 / df0, Mm = F / df and nm the chisq
        multiplier (Tucker & Lewis 1973, Psychometrika 38(1)).
    bic : float
        ``chisq - df ln n``.
    """

    objective: float
    chisq: float
    df: int
    pvalue: float
    rmsea: float
    rmsea_ci_low: float
    rmsea_ci_high: float
    tli: float
    bic: float


def fit_statistics(r: np.ndarray, loadings: np.ndarray, phi: np.ndarray, n: int) -> EFAFit:
    p, k = loadings.shape
    df = ((p - k) ** 2 - (p + k)) // 2
    model = loadings @ phi @ loadings.T
    np.fill_diagonal(model, 1.0)
    ratio = np.linalg.solve(_smooth(model), r)
    objective = float(np.trace(ratio) - np.linalg.slogdet(ratio)[1] - p)
    multiplier = n - 1 - (2 * p + 5) / 6 - 2 * k / 3
    chisq = max(objective * multiplier, 0.0)
    if df == 0:
        nan = float("nan")
        return EFAFit(objective, chisq, 0, nan, nan, nan, nan, nan, nan)
    null_objective = -np.linalg.slogdet(r)[1]
    m0 = null_objective * 2 / (p * (p - 1))
    tli = (m0 - objective / df) / (m0 - 1 / multiplier)
    rmsea = np.sqrt(max(chisq / (df * n) - 1 / (n - 1), 0.0))
    # psych's RMSEA divides by n - 1 where lavaan's divides by n: the same interval at n - 1.
    low, high = rmsea_interval(chisq, df, n - 1)
    return EFAFit(
        objective=objective,
        chisq=chisq,
        df=df,
        pvalue=float(chi2_sf(chisq, df)),
        rmsea=float(rmsea),
        rmsea_ci_low=low,
        rmsea_ci_high=high,
        tli=float(tli),
        bic=float(chisq - df * np.log(n)),
    )


def _smooth(model: np.ndarray) -> np.ndarray:
    """psych::cor.smooth: lift non-positive eigenvalues, rescale to trace p, rescale to unit
    diagonal."""
    values, vectors = np.linalg.eigh(model)
    if values[0] >= _EPS:
        return model
    values = np.where(values < 1e-12, 100 * 1e-12, values)
    values = values * len(values) / values.sum()
    smoothed = (vectors * values) @ vectors.T
    scale = 1.0 / np.sqrt(np.diag(smoothed))
    return smoothed * np.outer(scale, scale)

