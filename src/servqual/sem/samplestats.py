"""Sample statistics: the means and covariance matrices a normal-theory fit works from.

Maximum likelihood with ``likelihood = "normal"`` (lavaan's default) takes the covariance
matrix with divisor n, S = (1/n) sum (x - m)(x - m)', so that chi2 = n F_ML (lavaan's
``lav_samplestats.R``; Rosseel 2012, J. Stat. Softw. 48(2)). Fits from these statistics cost
the same at any n: only computing them passes over the data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from servqual import checks

__all__ = ["GroupStats", "check_items", "group_stats", "is_positive_definite", "is_well_conditioned"]


@dataclass(frozen=True)
class GroupStats:
    """Sufficient statistics of one group: n, means and the ML covariance matrix (divisor n)."""

    n: int
    mean: np.ndarray
    cov: np.ndarray

    @cached_property
    def logdet(self) -> float:
        """log|S|, computed once: every evaluation of F_ML subtracts it."""
        return float(np.linalg.slogdet(self.cov)[1])


def group_stats(x: np.ndarray) -> GroupStats:
    """Means and ML covariance S = (x - m)'(x - m) / n of complete rows (lavaan's ``likelihood = "normal"``).

    >>> group_stats(np.array([[1.0, 2.0], [3.0, 2.0]])).cov.tolist()
    [[1.0, 0.0], [0.0, 0.0]]
    """
    mean = x.mean(axis=0)
    centred = x - mean
    return GroupStats(len(x), mean, centred.T @ centred / len(x))


def is_positive_definite(mat: np.ndarray) -> bool:
    """True when the Cholesky factorisation of ``mat`` exists."""
    try:
        np.linalg.cholesky(mat)
    except np.linalg.LinAlgError:
        return False
    return True


def is_well_conditioned(cov: np.ndarray, tol: float = 1e-10) -> bool:
    """Positive definite with a margin: the smallest eigenvalue of the correlation matrix > tol
    (an exact linear combination of items leaves rounding-level eigenvalues that Cholesky accepts).

    >>> is_well_conditioned(np.array([[1.0, 1.0], [1.0, 1.0]]))
    False
    """
    sd = np.sqrt(np.diag(cov))
    if not (sd > 0).all():
        return False
    return bool(np.linalg.eigvalsh(cov / np.outer(sd, sd)).min() > tol)


def check_items(data: pd.DataFrame, item_dimension: Mapping[str, str]) -> list[str]:
    """The items of ``item_dimension``, after checking that ``data`` holds them as numeric
    ratings (:func:`servqual.checks.check_items`: the library's one check of an item frame)."""
    if not item_dimension:
        raise ValueError("item_dimension is empty: give a mapping item id -> dimension id")
    items = list(item_dimension)
    checks.check_items(data, items, name="data")
    return items
