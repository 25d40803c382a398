"""Adjusting p-values for multiple comparisons: family-wise (Holm) and false-discovery-rate
(Benjamini-Hochberg), for the gap tests, the segment post-hoc tests and the wave changes."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from servqual.checks import check_choice

#: The adjustments offered (the ``p_adjust`` option): Holm, Benjamini-Hochberg.
P_ADJUST_METHODS = ("holm", "bh")


def adjust_pvalues(p: Sequence[float] | np.ndarray, method: str = "holm") -> np.ndarray:
    """Family-wise (Holm) or false-discovery-rate (Benjamini-Hochberg) adjusted p-values.

    Holm: ``p_(i) * (m - i + 1)``, made monotone upward; BH: ``min_{j >= i} p_(j) * m / j``,
    with p_(i) the i-th smallest of the m p-values. NaN entries are left out of the family.

    Parameters
    ----------
    p : array-like of float
        The family's p-values.
    method : {"holm", "bh"}

    Returns
    -------
    numpy.ndarray
        Adjusted p-values in the order of ``p``, at most 1.

    References
    ----------
    Holm, S. (1979). A simple sequentially rejective multiple test procedure. Scandinavian
    Journal of Statistics, 6(2), 65-70. Benjamini, Y., & Hochberg, Y. (1995). Controlling the
    false discovery rate. JRSS B, 57(1), 289-300.

    Examples
    --------
    R: ``p.adjust(c(0.01, 0.04, 0.03, NA), "holm")`` and ``p.adjust(c(0.01, 0.04, 0.03), "BH")``:

    >>> adjust_pvalues([0.01, 0.04, 0.03, float("nan")], "holm").round(4).tolist()
    [0.03, 0.06, 0.06, nan]
    >>> adjust_pvalues([0.01, 0.04, 0.03], "bh").round(4).tolist()
    [0.03, 0.04, 0.04]
    """
    check_choice(method, P_ADJUST_METHODS, "p_adjust")
    p = np.asarray(p, dtype=float)
    adjusted = np.full(p.shape, np.nan)
    observed = ~np.isnan(p)
    m = int(observed.sum())
    if m == 0:
        return adjusted
    order = np.argsort(p[observed], kind="stable")
    ranked = p[observed][order]
    if method == "holm":
        scaled = np.maximum.accumulate((m - np.arange(m)) * ranked)
    else:
        scaled = np.minimum.accumulate((m / np.arange(m, 0, -1)) * ranked[::-1])[::-1]
    values = np.empty(m)
    values[order] = np.minimum(scaled, 1.0)
    adjusted[observed] = values
    return adjusted
