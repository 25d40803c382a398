"""Estimation: starting values, Fisher scoring and Newton steps on F_ML, L-BFGS-B where they fail.

F_ML (:mod:`servqual.sem.objective`) is minimised from starting values in the spirit of
lavaan's ``start = "simple"`` refined by the first principal component of each factor's items
(``lav_start.R``) by Fisher scoring, theta <- theta - (2 I / N)^-1 grad F with the expected
information I (:mod:`servqual.sem.information`) and step halving on F (Lee & Jennrich 1979,
Psychometrika 44(1)), then, once the gradient is small, by Newton steps on the analytic Hessian
of F_ML (quadratic convergence: the minimum itself, independent of the path and of the
linear-algebra library); both solve their linear systems by the Cholesky factors of the
groups' blocks and of the shared parameters' Schur complement (:mod:`servqual.sem.blocks`), not
of the whole matrix. Where that fails (Sigma not positive definite at the start, a step
that never lowers F) or, with variances bounded below by 0 (as semopy and lavaan's ``bounds``
do), ends at a negative variance, L-BFGS-B (Byrd, Lu, Nocedal & Zhu 1995, SIAM J. Sci. Comput.
16(5)) on the analytic gradient takes over, finished by the same Newton steps. Without bounds a
Heywood case shows as a negative variance, as in lavaan's default. Rosseel (2012), J. Stat.
Softw. 48(2).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import optimize

from servqual.sem.blas import single_blas_thread
from servqual.sem.blocks import block_cholesky, block_solve, parameter_blocks
from servqual.sem.gradient import gradient
from servqual.sem.information import fit_derivatives, hessian
from servqual.sem.model import BETA, LAMBDA, NU, PSI, THETA, Spec
from servqual.sem.objective import objective
from servqual.sem.samplestats import GroupStats

__all__ = ["GRADIENT_TOL", "MAX_ITERATIONS", "NEWTON_REUSE", "NEWTON_SWITCH", "Estimate", "convergence_failure",
           "estimate_ml", "minimize_ml", "newton_polish", "projected_gradient", "scoring_newton", "start_values"]

#: Largest gradient component of F_ML accepted as converged.
GRADIENT_TOL = 1e-4
#: Fisher scoring hands over to Newton steps below this largest gradient component.
NEWTON_SWITCH = 1e-2
#: Below this largest gradient component a Newton step reuses the Hessian of the step before
#: (:func:`scoring_newton`).
NEWTON_REUSE = 1e-6
#: Iterations of :func:`scoring_newton` at most (the instrument's models take about ten).
MAX_ITERATIONS = 500


def start_values(spec: Spec, stats_list: Sequence[GroupStats]) -> np.ndarray:
    """Starting values of the free parameters of a simple-structure (second-order) CFA.

    Per group: the loadings of each first-order factor from the first principal component of
    its items' covariance matrix, scaled to its marker, the factor variance the marker's
    squared component; residual variances the rest of the item variance (at least 10%);
    factor covariances 0; intercepts the item means. A second-order factor starts with paths 1,
    variance half the smallest first-order variance, and disturbances the rest (at least 10%).
    Shared parameters take the first group's value.
    """
    lam_slot = spec.kind == LAMBDA
    slot_start = np.zeros(len(spec.kind))
    for g, st in enumerate(stats_list):
        in_g = spec.group == g
        item_factor = np.zeros(spec.n_items, dtype=int)
        item_factor[spec.row[in_g & lam_slot]] = spec.col[in_g & lam_slot]
        first_order = np.unique(item_factor)
        lam = np.zeros(spec.n_items)
        psi = np.zeros(spec.n_factors)
        for k in first_order:
            members = np.flatnonzero(item_factor == k)
            vals, vecs = np.linalg.eigh(st.cov[np.ix_(members, members)])
            comp = vecs[:, -1] * np.sqrt(vals[-1])
            comp *= np.sign(comp[0]) or 1.0
            lam[members] = comp / comp[0]
            psi[k] = comp[0] ** 2
        resid = np.maximum(np.diag(st.cov) - lam**2 * psi[item_factor], 0.1 * np.diag(st.cov))
        beta = np.zeros(spec.n_factors)
        higher = np.setdiff1d(spec.col[in_g & (spec.kind == BETA)], first_order)
        if len(higher):
            top = psi[first_order].min() / 2
            beta[first_order] = 1.0
            psi[first_order] = np.maximum(psi[first_order] - top, 0.1 * psi[first_order])
            psi[higher] = top
        by_kind = {LAMBDA: lam, PSI: psi, THETA: resid, NU: st.mean, BETA: beta}
        for kind, values in by_kind.items():
            s = in_g & (spec.kind == kind)
            if kind in (PSI, THETA):
                s &= spec.row == spec.col  # covariances start at 0
            slot_start[s] = values[spec.row[s]]
    start = np.zeros(spec.n_free)
    free = spec.free >= 0
    # reversed so that the first slot of a shared parameter (group 1) is written last
    start[spec.free[free][::-1]] = slot_start[free][::-1]
    return start


@single_blas_thread
def minimize_ml(spec: Spec, stats_list: Sequence[GroupStats], start: np.ndarray, *,
                nonnegative_variances: bool = False) -> optimize.OptimizeResult:
    """Minimise the multi-group F_ML with L-BFGS-B and the analytic gradient.

    Non-positive-definite Sigma during the line search gets a large finite value (the line
    search then steps back), so the optimiser never sees NaN. ``nonnegative_variances`` bounds
    the variances below by 0.
    """
    def fun(x: np.ndarray) -> tuple[float, np.ndarray]:
        try:
            return objective(spec, stats_list, x), gradient(spec, stats_list, x)
        except np.linalg.LinAlgError:
            return 1e10, np.zeros_like(x)

    bounds = None
    if nonnegative_variances:
        lower = np.full(spec.n_free, -np.inf)
        lower[spec.variance_parameters()] = 0.0
        bounds = optimize.Bounds(lower, np.inf)
        start = np.maximum(start, lower)
    return optimize.minimize(fun, start, jac=True, method="L-BFGS-B", bounds=bounds,
                             options={"maxiter": 20000, "maxfun": 40000, "ftol": 1e-15, "gtol": 1e-9})


def _try_objective(spec: Spec, stats_list: Sequence[GroupStats], params: np.ndarray) -> float:
    """F_ML, or infinity where Sigma is not positive definite."""
    try:
        return objective(spec, stats_list, params)
    except np.linalg.LinAlgError:
        return np.inf


def _solve_positive_definite(spec: Spec, mat: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """mat^-1 rhs by the Cholesky factors of the spec's group blocks (:mod:`servqual.sem.blocks`);
    numpy's LinAlgError where mat is not positive definite."""
    return block_solve(block_cholesky(mat, parameter_blocks(spec)), rhs)


def _newton_step(spec: Spec, stats_list: Sequence[GroupStats], params: np.ndarray, grad: np.ndarray,
                 hess: np.ndarray | None) -> tuple[np.ndarray, float, np.ndarray, np.ndarray] | None:
    """A full Newton step on the analytic Hessian ``hess`` (computed here at ``params`` when not
    given): the new point with F and gradient there, and the Hessian the step used; None where
    the Hessian is not positive definite (no minimum nearby) or Sigma is not positive definite at
    the new point."""
    try:
        if hess is None:
            hess = fit_derivatives(spec, stats_list, params)[2]
        candidate = params - _solve_positive_definite(spec, hess, grad)
        f, new_grad, _ = fit_derivatives(spec, stats_list, candidate, None)
        return candidate, f, new_grad, hess
    except np.linalg.LinAlgError:
        return None


def _scoring_step(spec: Spec, stats_list: Sequence[GroupStats], params: np.ndarray, grad: np.ndarray,
                  fisher: np.ndarray, f: float) -> np.ndarray | None:
    """A Fisher scoring step, halved until it lowers F (at most 30 halvings); None if none does."""
    try:
        direction = _solve_positive_definite(spec, fisher, grad)
    except np.linalg.LinAlgError:
        return None
    for halving in range(31):
        candidate = params - 0.5**halving * direction
        if _try_objective(spec, stats_list, candidate) < f:
            return candidate
    return None


@single_blas_thread
def scoring_newton(spec: Spec, stats_list: Sequence[GroupStats], start: np.ndarray, *,
                   max_iterations: int = MAX_ITERATIONS) -> optimize.OptimizeResult:
    """Minimise the multi-group F_ML by Fisher scoring, then Newton steps (module docstring).

    Once the largest gradient component is below :data:`NEWTON_SWITCH`, a Newton step is kept
    when the Hessian is positive definite, F does not rise (beyond round-off) and the largest
    gradient component shrinks; otherwise a Fisher scoring step is taken, halved until it lowers
    F. The iteration ends, converged, when the gradient is below :data:`GRADIENT_TOL` and Newton
    steps no longer shrink it tenfold (quadratic convergence has reached the precision of the
    arithmetic), or, not converged, when no step helps or after ``max_iterations``.

    Second derivatives are computed where a step uses them, not at every point: the Fisher
    scoring matrix before a scoring step, the Hessian before a Newton step, and once the
    gradient is below :data:`NEWTON_REUSE` the Newton steps reuse the last Hessian (the chord,
    or Shamanskii, variant of Newton's method: the error of a Hessian that far along is of the
    order of the last step, so each step still multiplies the gradient by about that much and
    the same round-off-level minimum is reached; Kelley 2003, Solving Nonlinear Equations with
    Newton's Method, SIAM, section 1.6). The points and F are those of the plain method up to
    that step.
    """
    def result(success: bool, message: str, iterations: int) -> optimize.OptimizeResult:
        return optimize.OptimizeResult(x=params, fun=f, success=success, message=message, nit=iterations)

    params, f = np.asarray(start, dtype=float), np.inf
    try:
        f, grad, _ = fit_derivatives(spec, stats_list, params, None)
    except np.linalg.LinAlgError:
        return result(False, "the model-implied covariance matrix is not positive definite at the start", 0)
    hess, iteration = None, 0
    try:
        for iteration in range(max_iterations):
            gmax = np.abs(grad).max()
            if not np.isfinite(gmax):
                break
            if gmax < NEWTON_SWITCH:
                newton = _newton_step(spec, stats_list, params, grad, hess)
                if newton is not None and newton[1] <= f + 1e-12 * (1 + abs(f)) and np.abs(newton[2]).max() < gmax:
                    params, f, grad, hess = newton
                    if gmax / 10 < np.abs(grad).max() < GRADIENT_TOL:
                        return result(True, "Newton steps reached the minimum", iteration + 1)
                    if np.abs(grad).max() >= NEWTON_REUSE:
                        hess = None
                    continue
                if gmax < GRADIENT_TOL:
                    return result(True, "Newton steps reached the minimum", iteration)
            fisher = fit_derivatives(spec, stats_list, params, "expected")[2]
            scoring = _scoring_step(spec, stats_list, params, grad, fisher, f)
            if scoring is None:
                return result(False, "no Fisher scoring step lowers the fit function", iteration)
            params = scoring
            f, grad, _ = fit_derivatives(spec, stats_list, params, None)
            hess = None
        else:
            return result(False, f"no convergence in {max_iterations} iterations", max_iterations)
    except np.linalg.LinAlgError:
        pass
    return result(False, "the derivatives of the fit function could not be computed", iteration)


@single_blas_thread
def newton_polish(spec: Spec, stats_list: Sequence[GroupStats], params: np.ndarray, steps: int = 3) -> np.ndarray:
    """Finish an optimiser's estimates with Newton steps on F_ML (analytic Hessian).

    A quasi-Newton optimiser stops where its tolerance says, a little short of the minimum, at a
    point that depends on its path, and the path differs in the last digits between
    linear-algebra libraries. Newton's method converges quadratically: two steps bring the
    gradient from about 1e-7 to 1e-15, the minimum itself on every CPU. (Fisher scoring, with
    the expected information, converges only linearly where the model does not fit exactly.) A
    step is kept only while it shrinks the gradient and leaves every variance positive;
    estimates with a variance at its bound (Heywood cases) are left as they are.
    """
    variances = spec.variance_parameters()
    if (params[variances] <= 1e-6).any():
        return params
    grad = gradient(spec, stats_list, params)
    for _ in range(steps):
        try:
            candidate = params - np.linalg.solve(hessian(spec, stats_list, params), grad)
            new_grad = gradient(spec, stats_list, candidate)
        except np.linalg.LinAlgError:
            break
        if (candidate[variances] <= 0).any() or not np.abs(new_grad).max() < np.abs(grad).max():
            break
        params, grad = candidate, new_grad
    return params


def projected_gradient(spec: Spec, stats_list: Sequence[GroupStats], params: np.ndarray) -> np.ndarray:
    """Gradient of F_ML, ignoring variances held at the lower bound 0 and pushing below it."""
    grad = gradient(spec, stats_list, params)
    variances = spec.variance_parameters()
    at_bound = variances[(params[variances] <= 1e-8) & (grad[variances] > 0)]
    grad[at_bound] = 0.0
    return grad


def convergence_failure(success: bool, message: str, gradient_max: float) -> str:
    """Why a fit counts as not converged: the optimiser's own failure, or a gradient of the fit
    function still above tolerance where the optimiser claimed success (its message alone would
    then contradict the status)."""
    if success:
        return (f"the optimiser stopped ({message}) at a point where the gradient of the fit function is "
                f"{gradient_max:.2g}, above the tolerance {GRADIENT_TOL:g}: not a minimum")
    return f"the optimiser stopped without converging: {message}"


@dataclass(frozen=True)
class Estimate:
    """ML estimates: the free parameters, F_ML at them, and how the optimiser ended."""

    params: np.ndarray
    fmin: float
    converged: bool
    success: bool
    message: str
    gradient_max: float

    @property
    def reason(self) -> str:
        """:func:`convergence_failure` when not converged, '' otherwise."""
        return "" if self.converged else convergence_failure(self.success, self.message, self.gradient_max)


@single_blas_thread
def estimate_ml(spec: Spec, stats_list: Sequence[GroupStats], start: np.ndarray | None = None, *,
                nonnegative_variances: bool = False, polish: bool = True, fallback: bool = True,
                max_iterations: int = MAX_ITERATIONS) -> Estimate:
    """ML estimates of a spec: :func:`scoring_newton` from :func:`start_values` (or ``start``);
    where it fails, or ends at a negative variance with ``nonnegative_variances``, and with
    ``fallback``, :func:`minimize_ml` (variances bounded below by 0 with
    ``nonnegative_variances``) and, with ``polish``, :func:`newton_polish`. Resampling refits
    started at the estimates pass ``fallback=False`` and fewer ``max_iterations``: a refit that
    scoring cannot settle counts as failed in seconds rather than minutes. Converged when F_ML is finite and the largest
    component of the (projected) gradient is below :data:`GRADIENT_TOL`.

    Examples
    --------
    >>> from servqual.sem.model import measurement_spec
    >>> from servqual.sem.samplestats import group_stats
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal((300, 1)) + rng.standard_normal((300, 4))
    >>> est = estimate_ml(measurement_spec([0, 0, 0, 0], 1), [group_stats(x)])
    >>> est.converged, round(300 * est.fmin, 3)
    (True, 4.079)
    """
    start = start_values(spec, stats_list) if start is None else start
    result = scoring_newton(spec, stats_list, start, max_iterations=max_iterations)
    params = result.x
    if fallback and (not result.success or (nonnegative_variances and (params[spec.variance_parameters()] < 0).any())):
        result = minimize_ml(spec, stats_list, start, nonnegative_variances=nonnegative_variances)
        params = newton_polish(spec, stats_list, result.x) if polish else result.x
    try:
        fmin = objective(spec, stats_list, params)
    except np.linalg.LinAlgError:
        fmin = np.inf
    grad = projected_gradient(spec, stats_list, params) if nonnegative_variances else gradient(spec, stats_list, params)
    gmax = float(np.abs(grad).max())
    converged = bool(np.isfinite(fmin) and gmax < GRADIENT_TOL)
    return Estimate(params, float(fmin), converged, bool(result.success), str(result.message), gmax)
