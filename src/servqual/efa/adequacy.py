"""Sampling adequacy of an item battery: Kaiser-Meyer-Olkin and Bartlett's sphericity, as
psych::KMO and psych::cortest.bartlett."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from servqual.distributions import chi2_sf
from servqual.efa.correlations import MissingPolicy, item_correlations


@dataclass(frozen=True)
class SamplingAdequacy:
    """Kaiser-Meyer-Olkin measures and Bartlett's test of sphericity.

    Attributes
    ----------
    kmo : float
        Overall measure of sampling adequacy.
    kmo_items : pandas.Series
        Measure of sampling adequacy per item (index = item ids).
    bartlett_chisq, bartlett_df, bartlett_pvalue : float, int, float
        Bartlett's test that the correlation matrix is an identity matrix.
    n : int
        Respondents used (see :class:`ItemCorrelations`).
    missing_policy : str
        Missing-data policy applied.
    """

    kmo: float
    kmo_items: pd.Series
    bartlett_chisq: float
    bartlett_df: int
    bartlett_pvalue: float
    n: int
    missing_policy: str


def sampling_adequacy(items: pd.DataFrame, missing: MissingPolicy = "listwise") -> SamplingAdequacy:
    """KMO measure of sampling adequacy (overall and per item) and Bartlett's sphericity test.

    ``KMO = sum r_ij^2 / (sum r_ij^2 + sum q_ij^2)`` over i != j, with q the partial (anti-image)
    correlations from R^-1; per item the sums run over column i only. Bartlett:
    ``chisq = -(n - 1 - (2p + 5) / 6) ln det R`` with ``p(p - 1)/2`` degrees of freedom.
    As psych::KMO and psych::cortest.bartlett.

    References: Kaiser (1974), Psychometrika 39(1); Bartlett (1951), Biometrika 38(3/4).

    Parameters
    ----------
    items : pandas.DataFrame
        One row per respondent, one numeric column per item, NaN = missing.
    missing : {"listwise", "pairwise"}
        Missing-data policy, applied before anything is computed.

    Returns
    -------
    SamplingAdequacy

    Examples
    --------
    >>> from pathlib import Path
    >>> import pandas as pd
    >>> csv = Path("tests/data/holzinger_swineford.csv")  # lavaan::HolzingerSwineford1939
    >>> hs = pd.read_csv(csv)[[f"x{i}" for i in range(1, 10)]]
    >>> adequacy = sampling_adequacy(hs)
    >>> round(adequacy.kmo, 3), round(adequacy.bartlett_chisq, 2), adequacy.bartlett_df
    (0.752, 904.1, 36)
    """
    corr = item_correlations(items, missing)
    r = corr.r.to_numpy()
    partial = np.linalg.inv(r)
    scale = 1.0 / np.sqrt(np.diag(partial))
    partial = partial * np.outer(scale, scale)
    off = ~np.eye(len(r), dtype=bool)
    r2 = np.where(off, r**2, 0.0)
    q2 = np.where(off, partial**2, 0.0)
    kmo = r2.sum() / (r2.sum() + q2.sum())
    kmo_items = r2.sum(axis=0) / (r2.sum(axis=0) + q2.sum(axis=0))
    p = len(r)
    chisq = -np.linalg.slogdet(r)[1] * (corr.n - 1 - (2 * p + 5) / 6)
    df = p * (p - 1) // 2
    return SamplingAdequacy(
        kmo=float(kmo),
        kmo_items=pd.Series(kmo_items, index=corr.r.index, name="kmo"),
        bartlett_chisq=float(chisq),
        bartlett_df=df,
        bartlett_pvalue=float(chi2_sf(chisq, df)),
        n=corr.n,
        missing_policy=corr.missing_policy,
    )


def adequacy_table(adequacy: SamplingAdequacy) -> pd.DataFrame:
    """Tidy table of sampling adequacy: one row per item and an ``overall`` row.

    Columns: ``item`` (item id or ``"overall"``), ``kmo``, ``bartlett_chisq``, ``bartlett_df``,
    ``bartlett_pvalue`` (filled on the overall row only), ``n``, ``missing_policy``.
    """
    items = pd.DataFrame(
        {"item": adequacy.kmo_items.index.astype(str), "kmo": adequacy.kmo_items.to_numpy()}
    )
    overall = pd.DataFrame(
        {
            "item": ["overall"],
            "kmo": [adequacy.kmo],
            "bartlett_chisq": [adequacy.bartlett_chisq],
            "bartlett_df": [adequacy.bartlett_df],
            "bartlett_pvalue": [adequacy.bartlett_pvalue],
        }
    )
    table = pd.concat([overall, items], ignore_index=True)
    table["bartlett_df"] = table["bartlett_df"].astype("Int64")
    table["n"] = adequacy.n
    table["missing_policy"] = adequacy.missing_policy
    return table

