"""A rotated factor solution (:func:`factor_analysis`, psych::fa) and the matching of its
factors to the instrument's dimensions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize

from servqual.efa.correlations import (
    METHODS,
    ROTATIONS,
    UNIQUENESS_LOWER_BOUND,
    EFAError,
    Method,
    MissingPolicy,
    Rotation,
    item_correlations,
)
from servqual.efa.extraction import EFAFit, extract, fit_statistics
from servqual.efa.rotation import align, positive_sum_signs, rotate

#: Factor-name prefixes psych uses for each extraction method.
_FACTOR_PREFIX = {"minres": "MR", "ml": "ML"}


@dataclass(frozen=True)
class FactorSolution:
    """A rotated exploratory factor solution.

    Attributes
    ----------
    loadings : pandas.DataFrame
        Pattern loadings, items x factors; factors sorted by SS loadings and signed so that each
        factor's loadings sum positive, as psych. They are numbered in that order (``MR1``,
        ``MR2``... for minres, ``ML1``... for ML), whereas psych keeps the numbers of the
        unrotated factors (columns may read ``MR1 MR3 MR2`` there).
    structure : pandas.DataFrame
        Structure loadings ``L Phi`` (item-factor correlations).
    phi : pandas.DataFrame
        Factor correlations, ordered and signed with the factors (identity if orthogonal).
    communalities, uniquenesses : pandas.Series
        ``h2 = diag(L Phi L')`` and ``u2 = 1 - h2``.
    complexity : pandas.Series
        Item complexity ``(sum_j l_ij^2)^2 / sum_j l_ij^4`` (Hoffman 1978, Multivariate
        Behavioral Research 13(2)).
    variance : pandas.DataFrame
        Per factor: ``ss_loadings`` (diag(Phi L'L), as psych), ``proportion_var``,
        ``cumulative_var``, ``proportion_explained``, ``cumulative_explained``.
    fit : EFAFit
    heywood_items : tuple of str
        Items with h2 >= 1, u2 <= 0, or a uniqueness estimate at the extraction's lower bound.
    warnings : tuple of str
        Problems that leave the solution usable but suspect.
    n, n_factors, method, rotation, missing_policy
        What was fitted, on how many respondents.
    """

    loadings: pd.DataFrame
    structure: pd.DataFrame
    phi: pd.DataFrame
    communalities: pd.Series
    uniquenesses: pd.Series
    complexity: pd.Series
    variance: pd.DataFrame
    fit: EFAFit
    heywood_items: tuple[str, ...]
    warnings: tuple[str, ...]
    n: int
    n_factors: int
    method: str
    rotation: str
    missing_policy: str

    @property
    def status(self) -> str:
        """``"ok"``, or the warnings joined by ``"; "``."""
        return "; ".join(self.warnings) if self.warnings else "ok"


def factor_analysis(
    items: pd.DataFrame,
    n_factors: int,
    *,
    method: Method = "minres",
    rotation: Rotation = "oblimin",
    missing: MissingPolicy = "listwise",
    random_starts: int = 0,
    seed: int | None = None,
) -> FactorSolution:
    """Exploratory factor analysis of the item correlations, as psych::fa.

    Model ``R = L Phi L' + Psi``. ``method="minres"`` minimises the off-diagonal residual sum of
    squares (Harman & Jones 1966, Psychometrika 31(3)); ``"ml"`` maximises the normal likelihood
    (Joreskog 1967, Psychometrika 32(4)). Rotations: oblimin with gamma 0 (quartimin) by
    gradient projection (Jennrich 2002, Psychometrika 67(1)), psych's promax (Hendrickson & White
    1964), varimax with Kaiser normalisation (Kaiser 1958, Psychometrika 23(3)), or none.

    Parameters
    ----------
    items : pandas.DataFrame
        The item battery, as :func:`~servqual.efa.correlations.item_correlations` takes it.
    n_factors : int
        Number of factors to extract.
    method : {"minres", "ml"}
    rotation : {"oblimin", "promax", "varimax", "none"}
    missing : {"listwise", "pairwise"}
    random_starts : int
        Extra random starting rotations for oblimin, besides psych's identity start; the
        solution with the smallest criterion is kept.
    seed : int or None
        Seed for the random starts.

    Returns
    -------
    FactorSolution

    Raises
    ------
    EFAError
        See :func:`item_correlations`; also too many factors for the number of items (negative
        degrees of freedom), or an extraction or rotation that does not converge.

    Examples
    --------
    Holzinger-Swineford x1..x9, 3 factors (psych::fa gives the same numbers):

    >>> from pathlib import Path
    >>> import pandas as pd
    >>> csv = Path("tests/data/holzinger_swineford.csv")  # lavaan::HolzingerSwineford1939
    >>> hs = pd.read_csv(csv)[[f"x{i}" for i in range(1, 10)]]
    >>> solution = factor_analysis(hs, 3)
    >>> round(solution.fit.chisq, 2), solution.fit.df, round(solution.fit.rmsea, 3)
    (22.56, 12, 0.054)
    >>> round(float(solution.communalities["x1"]), 3), round(float(solution.phi.iloc[0, 1]), 3)
    (0.477, 0.323)
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if rotation not in ROTATIONS:
        raise ValueError(f"rotation must be one of {ROTATIONS}, got {rotation!r}")
    if isinstance(n_factors, bool) or not isinstance(n_factors, (int, np.integer)) or n_factors < 1:
        raise ValueError(f"n_factors must be a positive integer, got {n_factors!r}")
    if random_starts < 0:
        raise ValueError(f"random_starts must be 0 or more, got {random_starts}")
    corr = item_correlations(items, missing)
    r = corr.r.to_numpy()
    p, k = len(r), int(n_factors)
    if (p - k) ** 2 < p + k:
        raise EFAError(
            f"too many factors: {k} factors are not identified with {p} items (negative df)"
        )
    unrotated, psi = extract(r, k, method)
    unrotated = unrotated * positive_sum_signs(unrotated)
    pattern, phi = rotate(unrotated, rotation, random_starts, np.random.default_rng(seed))
    pattern, phi = align(pattern, phi)
    names = [f"{_FACTOR_PREFIX[method]}{i + 1}" for i in range(k)]
    item_ids = [str(c) for c in corr.r.index]
    h2 = np.einsum("ij,jk,ik->i", pattern, phi, pattern)
    heywood = (h2 >= 1.0) | (psi <= UNIQUENESS_LOWER_BOUND * (1 + 1e-6))
    fit = fit_statistics(r, pattern, phi, corr.n)
    messages = []
    if heywood.any():
        listed = ", ".join(
            f"{item} (h2 = {value:.3f})"
            for item, value in zip(np.array(item_ids)[heywood], h2[heywood])
        )
        messages.append(f"Heywood case: {listed}; the solution is improper, interpret with care")
    if fit.df == 0:
        messages.append("the model is just identified (df = 0): no fit test")
    complexity = (pattern**2).sum(axis=1) ** 2 / (pattern**4).sum(axis=1)
    return FactorSolution(
        loadings=pd.DataFrame(pattern, index=item_ids, columns=names),
        structure=pd.DataFrame(pattern @ phi, index=item_ids, columns=names),
        phi=pd.DataFrame(phi, index=names, columns=names),
        communalities=pd.Series(h2, index=item_ids, name="h2"),
        uniquenesses=pd.Series(1.0 - h2, index=item_ids, name="u2"),
        complexity=pd.Series(complexity, index=item_ids, name="complexity"),
        variance=_variance_accounted(pattern, phi, names),
        fit=fit,
        heywood_items=tuple(np.array(item_ids)[heywood].tolist()),
        warnings=tuple(messages),
        n=corr.n,
        n_factors=k,
        method=method,
        rotation=rotation if k > 1 else "none",
        missing_policy=corr.missing_policy,
    )


def _variance_accounted(pattern: np.ndarray, phi: np.ndarray, names: list[str]) -> pd.DataFrame:
    """psych's Vaccounted: SS loadings diag(Phi L'L) over p items and over their sum."""
    ss = np.diag(phi @ pattern.T @ pattern)
    proportion = ss / pattern.shape[0]
    explained = ss / ss.sum()
    return pd.DataFrame(
        {
            "ss_loadings": ss,
            "proportion_var": proportion,
            "cumulative_var": np.cumsum(proportion),
            "proportion_explained": explained,
            "cumulative_explained": np.cumsum(explained),
        },
        index=pd.Index(names, name="factor"),
    )


# --------------------------------------------------------------------------------------------
# Factors and the instrument's dimensions
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DimensionMatch:
    """Which dimension each factor represents, and the loadings that do not fit the design.

    Attributes
    ----------
    factor_labels : dict
        Factor name -> dimension id (None for a factor left without a dimension).
    item_dimensions : dict
        Item id -> dimension id, for the analysed items found in the mapping.
    flags : pandas.DataFrame
        Items x factors of ``""``, ``"low_primary"`` (loading on the own dimension's factor
        below ``primary_min``) or ``"cross_loading"`` (absolute loading on another factor
        above ``cross_max``).
    primary_min, cross_max : float
        Thresholds used.
    """

    factor_labels: dict[str, str | None]
    item_dimensions: dict[str, str]
    flags: pd.DataFrame
    primary_min: float
    cross_max: float


def match_dimensions(
    solution: FactorSolution,
    dimensions: Mapping[str, str],
    *,
    primary_min: float = 0.40,
    cross_max: float = 0.30,
) -> DimensionMatch:
    """Label factors with the instrument's dimensions and flag items that do not load as designed.

    Each factor gets the dimension that maximises the total ``sum_{i in d} |l_if|`` over a
    one-to-one assignment (Hungarian algorithm: Kuhn 1955, Naval Research Logistics Quarterly
    2(1)); with unequal numbers some factors or dimensions stay unmatched. An item is flagged
    where its (signed) loading on its own dimension's factor is below ``primary_min`` (a
    negative loading is flagged too: the item runs against its dimension) and where its absolute
    loading on any other factor exceeds ``cross_max``.

    Parameters
    ----------
    solution : FactorSolution
    dimensions : Mapping[str, str]
        Item id -> dimension id, in instrument order (items not analysed are ignored).
    primary_min, cross_max : float
        Flag thresholds (.40 and .30 by the usual convention).

    Returns
    -------
    DimensionMatch
    """
    item_dimensions = {
        item: dimensions[item] for item in solution.loadings.index if item in dimensions
    }
    if not item_dimensions:
        raise ValueError("none of the analysed items appears in the item -> dimension mapping")
    dimension_ids = list(
        dict.fromkeys(dimensions[item] for item in dimensions if item in item_dimensions)
    )
    loadings = solution.loadings
    membership = np.array(
        [[item_dimensions.get(item) == d for item in loadings.index] for d in dimension_ids],
        dtype=float,
    )
    weight = membership @ np.abs(loadings.to_numpy())
    rows, cols = optimize.linear_sum_assignment(weight, maximize=True)
    factor_labels: dict[str, str | None] = {factor: None for factor in loadings.columns}
    factor_labels.update({loadings.columns[c]: dimension_ids[d] for d, c in zip(rows, cols)})
    own = own_factor_mask(loadings, item_dimensions, factor_labels)
    values = loadings.to_numpy()
    flags = np.where(own & (values < primary_min), "low_primary", "")
    flags = np.where(~own & (np.abs(values) > cross_max), "cross_loading", flags)
    return DimensionMatch(
        factor_labels=factor_labels,
        item_dimensions=item_dimensions,
        flags=pd.DataFrame(flags, index=loadings.index, columns=loadings.columns),
        primary_min=primary_min,
        cross_max=cross_max,
    )


def own_factor_mask(
    loadings: pd.DataFrame,
    item_dimensions: Mapping[str, str],
    factor_labels: Mapping[str, str | None],
) -> np.ndarray:
    """Items x factors: True where the factor carries the item's own dimension."""
    return np.array(
        [
            [
                item in item_dimensions and item_dimensions[item] == factor_labels[factor]
                for factor in loadings.columns
            ]
            for item in loadings.index
        ],
        dtype=bool,
    )

