"""Convergent and discriminant validity of a measurement model.

Composite reliability CR = (sum lambda)^2 / ((sum lambda)^2 + sum(1 - lambda^2)) (Jöreskog 1971,
Psychometrika 36(2)) and average variance extracted AVE = mean(lambda^2) from standardized
loadings (Fornell & Larcker 1981, J. Marketing Res. 18(1); criteria .70 and .50, Bagozzi & Yi
1988, JAMS 16(1)); the Fornell-Larcker criterion |phi_ab| < min(sqrt AVE_a, sqrt AVE_b); and the
heterotrait-monotrait ratio of correlations (Henseler, Ringle & Sarstedt 2015, J. Acad.
Marketing Sci. 43(1)), below .85 (strict) or .90 (liberal).
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import combinations

import numpy as np
import pandas as pd

from servqual.sem.samplestats import check_items

__all__ = ["AVE_CUTOFF", "CR_CUTOFF", "HTMT_CUTOFF", "VALIDITY_COLUMNS", "average_variance_extracted",
           "composite_reliability", "htmt", "validity_table"]

#: Fornell & Larcker (1981, J. Marketing Res. 18(1)); Bagozzi & Yi (1988, JAMS 16(1)).
CR_CUTOFF = 0.70
AVE_CUTOFF = 0.50
#: Henseler, Ringle & Sarstedt (2015, JAMS 43(1)): HTMT below .85 (strict) or .90 (liberal).
HTMT_CUTOFF = 0.85
#: Columns of :func:`validity_table`.
VALIDITY_COLUMNS = ["kind", "dimension_a", "dimension_b", "value", "criterion", "ok"]


def composite_reliability(std_loadings: pd.Series | np.ndarray) -> float:
    """Composite (construct) reliability of one factor from its standardized loadings.

    CR = (sum lambda)^2 / ((sum lambda)^2 + sum(1 - lambda^2)) (Jöreskog 1971, Psychometrika
    36(2); Fornell & Larcker 1981, J. Marketing Res. 18(1)); .70 or more is the usual criterion.

    Examples
    --------
    >>> round(composite_reliability(np.array([0.772, 0.424, 0.581])), 4)
    0.626
    """
    lam = np.asarray(std_loadings, float)
    total = lam.sum() ** 2
    return float(total / (total + np.sum(1 - lam**2)))


def average_variance_extracted(std_loadings: pd.Series | np.ndarray) -> float:
    """Average variance extracted of one factor: AVE = mean(lambda^2) of its standardized loadings.

    Fornell & Larcker (1981, J. Marketing Res. 18(1)); .50 or more is the usual criterion.

    Examples
    --------
    >>> round(average_variance_extracted(np.array([0.772, 0.424, 0.581])), 4)
    0.3711
    """
    lam = np.asarray(std_loadings, float)
    return float(np.mean(lam**2))


def htmt(data: pd.DataFrame, item_dimension: Mapping[str, str]) -> pd.DataFrame:
    """Heterotrait-monotrait ratio of correlations for every pair of dimensions.

    HTMT_ab = mean(r between items of a and items of b)
    / sqrt(mean(r among items of a) * mean(r among items of b)) (Henseler, Ringle & Sarstedt
    2015, J. Acad. Marketing Sci. 43(1)), from the Pearson correlations of listwise-complete
    rows, correlations as signed (not absolute) values as in the original definition.

    Parameters
    ----------
    data : pd.DataFrame
        Item ratings (columns = item ids).
    item_dimension : mapping
        Item id -> dimension id; every dimension needs at least two items.

    Returns
    -------
    pd.DataFrame
        Columns dimension_a, dimension_b, htmt (pairs in the instrument's order).

    Examples
    --------
    >>> rng = np.random.default_rng(1)  # one construct measured twice: HTMT near 1
    >>> f = rng.standard_normal((500, 1))
    >>> x = pd.DataFrame(f + rng.standard_normal((500, 4)), columns=list("abcd"))
    >>> round(float(htmt(x, {"a": "A", "b": "A", "c": "B", "d": "B"})["htmt"].iloc[0]), 2)
    1.06
    """
    items = check_items(data, item_dimension)
    dims = list(dict.fromkeys(item_dimension.values()))
    small = [d for d in dims if list(item_dimension.values()).count(d) < 2]
    if small:
        raise ValueError(f"HTMT needs at least two items per dimension; too few in {small}")
    x = data[items].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):  # a constant item: NaN, as pandas gives
        r = np.corrcoef(x[~np.isnan(x).any(axis=1)], rowvar=False)
    member = np.array([[item_dimension[i] == d for i in items] for d in dims])

    def mono(a: np.ndarray) -> float:
        block = r[np.ix_(a, a)]
        return block[np.triu_indices_from(block, 1)].mean()

    rows = [(dims[a], dims[b], r[np.ix_(member[a], member[b])].mean() / np.sqrt(mono(member[a]) * mono(member[b])))
            for a, b in combinations(range(len(dims)), 2)]
    return pd.DataFrame(rows, columns=["dimension_a", "dimension_b", "htmt"])


def validity_table(std_loadings: pd.DataFrame, factor_correlations: pd.DataFrame, data: pd.DataFrame,
                   item_dimension: Mapping[str, str], *, htmt_cutoff: float = HTMT_CUTOFF) -> pd.DataFrame:
    """CR, AVE, Fornell-Larcker and HTMT rows of a correlated-factor measurement model.

    Parameters
    ----------
    std_loadings : pd.DataFrame
        Columns factor and std_loading, one row per item.
    factor_correlations : pd.DataFrame
        Square matrix of factor correlations indexed by the dimensions.
    data, item_dimension
        The data and mapping the model was fitted on (HTMT uses the item correlations).
    htmt_cutoff : float
        .85 (Kline's strict criterion) or .90 (Gold et al.'s liberal criterion).

    Returns
    -------
    pd.DataFrame
        Columns kind, dimension_a, dimension_b, value, criterion, ok: ``cr`` and ``ave`` per
        dimension, ``fornell_larcker`` diagonal rows with sqrt(AVE) and per pair |phi_ab| against
        min(sqrt AVE_a, sqrt AVE_b), ``htmt`` per pair (``ok`` NaN on diagonal rows).
    """
    dims = list(factor_correlations.index)
    by_dim = std_loadings.groupby("factor", sort=False)["std_loading"]
    cr = {d: composite_reliability(by_dim.get_group(d)) for d in dims}
    ave = {d: average_variance_extracted(by_dim.get_group(d)) for d in dims}
    rows = [("cr", d, None, cr[d], CR_CUTOFF, cr[d] >= CR_CUTOFF) for d in dims]
    rows += [("ave", d, None, ave[d], AVE_CUTOFF, ave[d] >= AVE_CUTOFF) for d in dims]
    rows += [("fornell_larcker", d, d, np.sqrt(ave[d]), np.nan, None) for d in dims]
    phi = factor_correlations
    for a, b in combinations(dims, 2):
        bound = min(np.sqrt(ave[a]), np.sqrt(ave[b]))
        rows.append(("fornell_larcker", a, b, abs(phi.loc[a, b]), bound, abs(phi.loc[a, b]) < bound))
    if len(dims) > 1:
        rows += [("htmt", r.dimension_a, r.dimension_b, r.htmt, htmt_cutoff, r.htmt < htmt_cutoff)
                 for r in htmt(data, item_dimension).itertuples()]
    return pd.DataFrame(rows, columns=VALIDITY_COLUMNS).astype({"ok": "boolean"})
