"""Item correlations under the missing-data policy, the checks every factor analysis shares,
and squared multiple correlations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from servqual.checks import check_items

Method = Literal["minres", "ml"]
Rotation = Literal["oblimin", "promax", "varimax", "none"]
MissingPolicy = Literal["listwise", "pairwise"]
ParallelRule = Literal["quantile", "mean"]

METHODS: tuple[str, ...] = ("minres", "ml")
ROTATIONS: tuple[str, ...] = ("oblimin", "promax", "varimax", "none")
MISSING_POLICIES: tuple[str, ...] = ("listwise", "pairwise")
PARALLEL_RULES: tuple[str, ...] = ("quantile", "mean")

#: psych bounds uniquenesses below by this value during extraction (optim lower = 0.005).
UNIQUENESS_LOWER_BOUND = 0.005


class EFAError(ValueError):
    """An exploratory factor analysis could not be computed; the message says why."""


@dataclass(frozen=True)
class ItemCorrelations:
    """Pearson correlations of the items and the sample size behind them.

    Attributes
    ----------
    r : pandas.DataFrame
        Item x item correlation matrix (positive definite).
    n : int
        Respondents used: complete cases (listwise) or the smallest pairwise count (pairwise).
    missing_policy : str
        ``"listwise"`` or ``"pairwise"``.
    """

    r: pd.DataFrame
    n: int
    missing_policy: str


def item_correlations(items: pd.DataFrame, missing: MissingPolicy = "listwise") -> ItemCorrelations:
    """Correlation matrix of an item frame after applying the missing-data policy.

    ``r_ij = cov(x_i, x_j) / (sd_i sd_j)`` over complete cases (listwise) or over the respondents
    who answered both items (pairwise, as R's ``cor(use = "pairwise")``).

    Parameters
    ----------
    items : pandas.DataFrame
        One row per respondent, one numeric column per item, NaN = missing.
    missing : {"listwise", "pairwise"}
        Missing-data policy.

    Returns
    -------
    ItemCorrelations

    Raises
    ------
    EFAError
        Fewer than 3 items, fewer respondents than items + 1, a constant item, or a singular or
        indefinite correlation matrix.

    Examples
    --------
    >>> import pandas as pd
    >>> x = pd.DataFrame({"a": [1, 2, 3, 4, 5], "b": [2, 1, 4, 3, 5], "c": [5, 3, 4, 1, 2]})
    >>> float(round(item_correlations(x).r.loc["a", "b"], 2))
    0.8
    """
    _check_factorable(items)
    if missing not in MISSING_POLICIES:
        raise ValueError(f"missing must be one of {MISSING_POLICIES}, got {missing!r}")
    values = items.to_numpy(dtype=float)
    if missing == "listwise":
        values = values[~np.isnan(values).any(axis=1)]
        n = len(values)
    else:
        answered = (~np.isnan(values)).astype(float)
        counts = answered.T @ answered
        n = int(counts[~np.eye(len(counts), dtype=bool)].min())
    p = values.shape[1]
    if n <= p:
        raise EFAError(
            f"too few respondents: {n} usable under {missing} deletion for {p} items "
            f"(need more respondents than items)"
        )
    observed = ~np.isnan(values)
    highest = np.where(observed, values, -np.inf).max(axis=0)
    spread = highest - np.where(observed, values, np.inf).min(axis=0)
    constant = items.columns[~(spread > 0)].tolist()  # one value, or none
    if constant:
        raise EFAError(
            f"items without variance cannot be correlated: {', '.join(map(str, constant))}"
        )
    if missing == "listwise":
        # Complete rows: one matrix product (BLAS), not pandas' pair-by-pair loop.
        matrix = np.corrcoef(values, rowvar=False)
        np.fill_diagonal(matrix, 1.0)
        r = pd.DataFrame(matrix, index=items.columns, columns=items.columns)
    else:
        r = pd.DataFrame(values, columns=items.columns).corr(method="pearson")
    if r.isna().to_numpy().any():
        raise EFAError("some item pairs have no respondents in common or no variance in common")
    smallest = np.linalg.eigvalsh(r.to_numpy())[0]
    if smallest <= 1e-10:
        cause = "some items are linear combinations of others"
        if missing == "pairwise":
            cause += ", or pairwise deletion made the correlations inconsistent"
        raise EFAError(
            "the correlation matrix is singular or not positive definite (smallest eigenvalue "
            f"{smallest:.2e}): {cause}"
        )
    return ItemCorrelations(r=r, n=n, missing_policy=missing)


def _check_factorable(items: pd.DataFrame) -> None:
    check_items(items)
    if items.shape[1] < 3:
        raise EFAError(f"factor analysis needs at least 3 items, got {items.shape[1]}")


def smc(r: np.ndarray) -> np.ndarray:
    """Squared multiple correlations ``1 - 1 / diag(R^-1)`` of a stack of correlation matrices,
    clipped to [0, 1] as psych::smc."""
    inverse_diagonal = np.diagonal(np.linalg.inv(r), axis1=-2, axis2=-1)
    return np.clip(1.0 - 1.0 / inverse_diagonal, 0.0, 1.0)

