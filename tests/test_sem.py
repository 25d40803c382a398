"""Tests of the derivatives and the optimiser of servqual.sem.

The analytic Hessian of F_ML and the analytic Jacobians of the standardized solution are checked
against finite differences of the analytic gradient and of the standardized values; Fisher
scoring with Newton steps against L-BFGS-B finished by Newton steps, on the Holzinger-Swineford
data (tests/data/holzinger_swineford.csv) and tests/data/cfa_sim4.csv.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from references import DATA, HS_DIMS, SIM_DIMS
from test_cfa import HEY_DIMS, heywood_data
from threadpoolctl import threadpool_info

from servqual import invariance
from servqual.sem.blas import single_blas_thread
from servqual.sem.estimation import (
    estimate_ml,
    minimize_ml,
    newton_polish,
    scoring_newton,
    start_values,
)
from servqual.sem.gradient import gradient
from servqual.sem.information import hessian, observed_information
from servqual.sem.model import measurement_layout, measurement_spec
from servqual.sem.samplestats import group_stats
from servqual.sem.standardize import (
    standardized_loading_jacobian,
    standardized_loading_vector,
    std_all,
    std_all_jacobian,
)


def single_group(data: pd.DataFrame, dims: dict[str, str], model: str):
    factor_of_item, _ = measurement_layout(dims, model)
    spec = measurement_spec(factor_of_item, len(set(factor_of_item)), second_order=model == "second_order")
    return spec, [group_stats(data[list(dims)].dropna().to_numpy())]


def two_groups(data: pd.DataFrame, level: str):
    factor_of_item, factors = measurement_layout(SIM_DIMS, "instrument")
    complete = data.dropna()
    stats = [group_stats(complete.loc[complete["group"] == g, list(SIM_DIMS)].to_numpy()) for g in "AB"]
    return invariance.invariance_spec(factor_of_item, len(factors), 2, level), stats


@pytest.fixture(scope="module", params=["instrument", "second_order", "one_factor", "configural", "scalar"])
def model(request):
    if request.param in invariance.LEVELS:
        return two_groups(pd.read_csv(DATA / "cfa_sim4.csv"), request.param)
    return single_group(pd.read_csv(DATA / "holzinger_swineford.csv"), HS_DIMS, request.param)


def jitter(spec, stats) -> np.ndarray:
    """A point near the start values, away from the minimum (the residuals enter the Hessian)."""
    start = start_values(spec, stats)
    return start + np.random.default_rng(0).normal(0, 0.02, size=start.size)


def numeric_jacobian(func, point: np.ndarray, h: float) -> np.ndarray:
    """Five-point central differences (error of order h^4)."""
    columns = []
    for e in np.eye(len(point)) * h:
        columns.append((-func(point + 2 * e) + 8 * func(point + e) - 8 * func(point - e) + func(point - 2 * e)) / (12 * h))
    return np.column_stack(columns)


def test_analytic_hessian_matches_finite_differences_of_the_gradient(model):
    spec, stats = model
    point = jitter(spec, stats)
    analytic = hessian(spec, stats, point)
    numeric = numeric_jacobian(lambda p: gradient(spec, stats, p), point, 1e-4)
    assert np.abs(analytic - numeric).max() < 1e-7 * np.abs(analytic).max()
    assert np.array_equal(analytic, analytic.T)
    n = sum(st.n for st in stats)
    assert np.allclose(observed_information(spec, stats, point), n / 2 * analytic, rtol=1e-14, atol=0)


def test_standardized_jacobians_match_finite_differences(model):
    spec, stats = model
    point = jitter(spec, stats)
    for values, jacobian in ((std_all, std_all_jacobian), (standardized_loading_vector, standardized_loading_jacobian)):
        analytic = jacobian(spec, point)
        numeric = numeric_jacobian(lambda p, values=values: values(spec, p), point, 1e-4)
        assert analytic.shape == numeric.shape
        assert np.abs(analytic - numeric).max() < 1e-8 * max(np.abs(analytic).max(), 1.0)


def test_scoring_and_newton_reach_the_minimum_lbfgsb_reaches(model):
    spec, stats = model
    start = start_values(spec, stats)
    fit = scoring_newton(spec, stats, start)
    assert fit.success and fit.nit < 20
    assert np.abs(gradient(spec, stats, fit.x)).max() < 1e-12
    reference = newton_polish(spec, stats, minimize_ml(spec, stats, start).x)
    assert fit.x == pytest.approx(reference, rel=1e-8, abs=1e-10)


def test_a_negative_variance_under_bounds_goes_to_bounded_lbfgsb():
    """The Heywood case of the CFA tests: without bounds the minimum has a negative residual
    variance; with them the estimate stops at 0, as the bounded L-BFGS-B finds it."""
    spec, stats = single_group(heywood_data(), HEY_DIMS, "instrument")
    variances = spec.variance_parameters()
    free = scoring_newton(spec, stats, start_values(spec, stats))
    assert free.success and free.x[variances].min() < 0
    bounded = estimate_ml(spec, stats, nonnegative_variances=True)
    assert bounded.converged and bounded.params[variances].min() == 0.0


def blas_threads() -> list[int]:
    return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]


def test_entry_points_run_with_one_blas_thread_and_restore_the_limit():
    before = blas_threads()
    inner = single_blas_thread(blas_threads)
    outer = single_blas_thread(lambda: (inner(), blas_threads()))
    after_inner, after_return = outer()
    assert after_inner and set(after_inner) == {1} and set(after_return) == {1}
    assert blas_threads() == before
    assert set(inner()) == {1} and blas_threads() == before
