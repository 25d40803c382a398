"""The group-block structure of multi-group information matrices, and solves and inverses that use it.

In a multi-group model most free parameters belong to one group (its factor variances, and its
loadings, intercepts and residual variances where they are not held equal), and only the
parameters constrained equal across groups are shared. The information matrix, the Hessian and
the meat of a sandwich are sums of per-group blocks, sum_g P_g' A_g P_g, so the entries between
two groups' own parameters are zero: with the parameters ordered as each group's own ones l_g and
then the shared ones s, a positive-definite matrix is "arrowhead" by blocks and

    S = A_ss - sum_g A_sg A_gg^-1 A_gs                    (the Schur complement),
    x_s = S^-1 (b_s - sum_g X_g' b_g),  x_g = A_gg^-1 b_g - X_g x_s,  X_g = A_gg^-1 A_gs,
    A^-1 = [[diag_g(A_gg^-1) + X S^-1 X', -X S^-1], [-S^-1 X', S^-1]]     (X the X_g stacked),

(Golub & Van Loan 2013, Matrix Computations, 4th ed., sections 3.2 and 4.2): one Cholesky
factorisation of each group's block and one of S, instead of one of the whole matrix (with
twenty-one waves of the instrument's 22 items, about 1,600 parameters in 76-parameter blocks
and at most 61 shared ones). A is positive definite exactly when every A_gg and S are, so a
failed block factorisation means the whole matrix is not positive definite. A single group is
one block and nothing shared: the plain Cholesky solve.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import linalg

from servqual.sem.model import Spec

__all__ = ["BlockCholesky", "ParameterBlocks", "block_cholesky", "block_inverse", "block_solve", "parameter_blocks"]


@dataclass(frozen=True)
class ParameterBlocks:
    """Free parameters of more than one group (``shared``) and each group's own (``local``)."""

    shared: np.ndarray
    local: tuple[np.ndarray, ...]


def parameter_blocks(spec: Spec) -> ParameterBlocks:
    """The :class:`ParameterBlocks` of a spec: a parameter is shared when slots of two or more
    groups carry it (an equality constraint across groups).

    >>> from servqual.sem.model import multigroup_spec
    >>> blocks = parameter_blocks(multigroup_spec([0, 0, 0], 1, 2, equal=("loadings",)))
    >>> blocks.shared.tolist(), [len(own) for own in blocks.local]
    ([0, 1], [7, 7])
    """
    counts = np.bincount(np.concatenate([layout.free for layout in spec.layouts]), minlength=spec.n_free)
    return ParameterBlocks(np.flatnonzero(counts > 1), tuple(layout.free[counts[layout.free] == 1]
                                                             for layout in spec.layouts))


@dataclass(frozen=True)
class BlockCholesky:
    """Cholesky factors of each group's block A_gg and of the Schur complement S, and the
    couplings X_g = A_gg^-1 A_gs (module docstring)."""

    blocks: ParameterBlocks
    local: tuple[tuple[np.ndarray, bool], ...]
    coupling: tuple[np.ndarray, ...]
    schur: tuple[np.ndarray, bool] | None


def _cho_factor(mat: np.ndarray) -> tuple[np.ndarray, bool]:
    """scipy's Cholesky factor; numpy's LinAlgError (which scipy raises) where mat is not positive definite."""
    return linalg.cho_factor(mat, lower=True, check_finite=False)


def block_cholesky(matrix: np.ndarray, blocks: ParameterBlocks) -> BlockCholesky:
    """Factor a symmetric matrix of the block structure ``blocks`` (module docstring).

    Raises numpy's LinAlgError where the matrix is not positive definite.
    """
    shared = blocks.shared
    schur = matrix[np.ix_(shared, shared)]
    factors, coupling = [], []
    for own in blocks.local:
        factor = _cho_factor(matrix[np.ix_(own, own)])
        x = linalg.cho_solve(factor, matrix[np.ix_(own, shared)], check_finite=False)
        schur = schur - matrix[np.ix_(shared, own)] @ x
        factors.append(factor)
        coupling.append(x)
    return BlockCholesky(blocks, tuple(factors), tuple(coupling), _cho_factor(schur) if len(shared) else None)


def block_solve(factor: BlockCholesky, rhs: np.ndarray) -> np.ndarray:
    """A^-1 b from the block factors (module docstring); ``rhs`` a vector or a matrix of columns.

    >>> from servqual.sem.model import multigroup_spec
    >>> spec = multigroup_spec([0, 0, 0], 1, 2, equal=("loadings",))
    >>> rng = np.random.default_rng(0)
    >>> a = np.eye(spec.n_free) * 4.0
    >>> for layout in spec.layouts:
    ...     r = rng.standard_normal((len(layout.free), len(layout.free)))
    ...     a[np.ix_(layout.free, layout.free)] += r @ r.T
    >>> b = rng.standard_normal(spec.n_free)
    >>> bool(np.allclose(block_solve(block_cholesky(a, parameter_blocks(spec)), b), np.linalg.solve(a, b)))
    True
    """
    blocks = factor.blocks
    own_parts = [linalg.cho_solve(f, rhs[own], check_finite=False) for f, own in zip(factor.local, blocks.local)]
    out = np.empty_like(rhs, dtype=float)
    if factor.schur is not None:
        reduced = rhs[blocks.shared] - sum(x.T @ rhs[own] for x, own in zip(factor.coupling, blocks.local))
        shared = linalg.cho_solve(factor.schur, reduced, check_finite=False)
        out[blocks.shared] = shared
        own_parts = [part - x @ shared for part, x in zip(own_parts, factor.coupling)]
    for own, part in zip(blocks.local, own_parts):
        out[own] = part
    return out


def block_inverse(factor: BlockCholesky) -> np.ndarray:
    """The dense inverse A^-1 from the block factors (module docstring): the group blocks'
    inverses plus X S^-1 X', the cost of a product with the few shared columns instead of a
    factorisation of the whole matrix."""
    blocks = factor.blocks
    local = np.concatenate([*blocks.local, np.zeros(0, dtype=int)])
    order = np.concatenate([local, blocks.shared])
    n_local = len(local)
    permuted = np.zeros((len(order), len(order)))
    if factor.schur is not None:
        schur_inv = linalg.cho_solve(factor.schur, np.eye(len(blocks.shared)), check_finite=False)
        coupling = np.vstack(factor.coupling)
        cross = coupling @ schur_inv
        permuted[:n_local, :n_local] = cross @ coupling.T
        permuted[:n_local, n_local:] = -cross
        permuted[n_local:, :n_local] = -cross.T
        permuted[n_local:, n_local:] = schur_inv
    start = 0
    for f, own in zip(factor.local, blocks.local):
        stop = start + len(own)
        permuted[start:stop, start:stop] += linalg.cho_solve(f, np.eye(len(own)), check_finite=False)
        start = stop
    out = np.empty_like(permuted)
    out[np.ix_(order, order)] = permuted
    return out
