"""Group-block linear algebra of multi-group fits (servqual.sem.blocks) against dense numpy."""

from __future__ import annotations

import numpy as np
import pytest

from servqual.sem.blocks import (
    block_cholesky,
    block_inverse,
    block_solve,
    parameter_blocks,
)
from servqual.sem.estimation import estimate_ml
from servqual.sem.information import observed_information
from servqual.sem.model import multigroup_spec
from servqual.sem.robust import casewise_scores, information_inverse, score_crossproduct
from servqual.sem.samplestats import group_stats

LEVELS = {"configural": (), "metric": ("loadings",), "scalar": ("loadings", "intercepts"),
          "strict": ("loadings", "intercepts", "residuals")}


def group_block_matrix(spec, rng: np.random.Generator) -> np.ndarray:
    """A positive-definite matrix that is a sum of per-group blocks, as an information matrix is."""
    out = np.zeros((spec.n_free, spec.n_free))
    for layout in spec.layouts:
        r = rng.standard_normal((len(layout.free), len(layout.free)))
        out[np.ix_(layout.free, layout.free)] += r @ r.T + np.eye(len(layout.free))
    return out


@pytest.mark.parametrize("level", LEVELS)
def test_block_solve_and_inverse_equal_the_dense_ones(level):
    spec = multigroup_spec([0, 0, 0, 1, 1, 1], 2, 4, equal=LEVELS[level])
    rng = np.random.default_rng(7)
    a = group_block_matrix(spec, rng)
    blocks = parameter_blocks(spec)
    assert sorted(np.concatenate([blocks.shared, *blocks.local]).tolist()) == list(range(spec.n_free))
    factor = block_cholesky(a, blocks)
    b = rng.standard_normal((spec.n_free, 3))
    np.testing.assert_allclose(block_solve(factor, b), np.linalg.solve(a, b), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(block_inverse(factor), np.linalg.inv(a), rtol=1e-10, atol=1e-12)


def test_a_matrix_that_is_not_positive_definite_raises_and_the_inverse_falls_back_to_the_pseudo_inverse():
    spec = multigroup_spec([0, 0, 0], 1, 2, equal=("loadings",))
    a = group_block_matrix(spec, np.random.default_rng(3))
    a[spec.layouts[1].free[-1], spec.layouts[1].free[-1]] = -50.0  # indefinite
    with pytest.raises(np.linalg.LinAlgError):
        block_cholesky(a, parameter_blocks(spec))
    np.testing.assert_allclose(information_inverse(a, parameter_blocks(spec)), np.linalg.pinv(a, hermitian=True))


def test_robust_parts_by_group_equal_the_dense_scores_and_inverse():
    """The meat summed group by group is the N x q score matrix's crossproduct, and the information
    inverted by blocks (it is positive definite at the estimates) its dense pseudo-inverse."""
    spec = multigroup_spec([0, 0, 0, 1, 1, 1], 2, 3, equal=("loadings", "intercepts"))
    rng = np.random.default_rng(11)
    data = [rng.standard_normal((150, 2)) @ rng.uniform(0.5, 1, (2, 6)) + rng.standard_normal((150, 6))
            for _ in range(3)]
    stats = [group_stats(x) for x in data]
    params = estimate_ml(spec, stats).params
    scores = casewise_scores(spec, data, params)
    np.testing.assert_allclose(score_crossproduct(spec, data, params), scores.T @ scores, rtol=1e-12, atol=1e-10)
    info = observed_information(spec, stats, params)
    block_cholesky(info, parameter_blocks(spec))  # no fallback to the pseudo-inverse
    np.testing.assert_allclose(information_inverse(info, parameter_blocks(spec)), np.linalg.pinv(info, hermitian=True),
                               rtol=1e-8, atol=1e-12)
