"""Agreement between coders of interview transcripts.

The unit of agreement is declared, not character spans (character-level agreement is inflated by
uncoded text): each analysis unit (speaker turn by default, or sentence) x code is one item, and
a coder's value is 1 when the coder applied the code to a segment overlapping the unit, else 0
(Campbell, Quincy, Osserman & Pedersen 2013, Sociological Methods & Research 42(3)). A coder who
coded nothing in a document is missing there, not "absent".

Statistics: percentage agreement, Cohen's kappa (two coders; Cohen 1960, Educational and
Psychological Measurement 20(1)), Fleiss' kappa (complete data; Fleiss 1971, Psychological
Bulletin 76(5)) and Krippendorff's alpha for nominal data (any number of coders, missing values
allowed; Krippendorff 2004, Content Analysis, 2nd ed., ch. 11; Hayes & Krippendorff 2007,
Communication Methods and Measures 1(1)) with a seeded bootstrap interval over units.
Thresholds: alpha >= .800 good, >= .667 tentative conclusions only (Krippendorff 2004); kappa
bands of Landis & Koch (1977, Biometrics 33(1)).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from servqual.resampling import interval_levels, multinomial_weights, percentile_interval
from servqual.transcripts import units_of_segments

ALPHA_GOOD = 0.800
ALPHA_TENTATIVE = 0.667

#: Landis & Koch (1977) bands: (upper bound exclusive, label).
KAPPA_BANDS = ((0.0, "poor"), (0.21, "slight"), (0.41, "fair"), (0.61, "moderate"), (0.81, "substantial"),
               (np.inf, "almost perfect"))

PRESENCE_COLUMNS = ["document", "unit", "code", "coder", "present"]
AGREEMENT_COLUMNS = [
    "scope", "code", "n_documents", "n_units", "n_coders", "coders", "units_coded", "percent_agreement",
    "cohen_kappa", "kappa_band", "fleiss_kappa", "krippendorff_alpha", "alpha_ci_low", "alpha_ci_high",
    "confidence", "alpha_verdict", "n_disagreements",
]


def unit_code_presence(segments: pd.DataFrame, units: pd.DataFrame, *, codes: list[str] | None = None) -> pd.DataFrame:
    """Code presence per unit and coder, the data of every agreement statistic.

    Only human coding counts (rows with ``source == "suggested"`` are dropped) and only
    documents coded by two or more coders. A coder's value is 1 when one of the coder's
    segments with the code overlaps the unit by at least one character, 0 when the coder
    coded the document but not this unit with this code.

    Parameters
    ----------
    segments
        Coded segments: ``document``, ``coder``, ``code``, ``start``, ``end`` (``source``
        optional).
    units
        Analysis units: ``document``, ``unit``, ``start``, ``end``, ``speaker`` -- pass only
        the units that are meant to be coded (e.g. participants' turns, not the moderator's).
    codes
        The codes to assess; default every code the coders used in these documents.

    Returns
    -------
    pandas.DataFrame
        Long table ``document``, ``unit``, ``code``, ``coder``, ``present`` (0/1), one row per
        unit x code x coder of the documents with two or more coders.
    """
    human = segments if "source" not in segments else segments[segments["source"] != "suggested"]
    coders_per_doc = human.groupby("document")["coder"].unique()
    shared = coders_per_doc[coders_per_doc.map(len) >= 2]
    units = units[units["document"].isin(shared.index)]
    human = human[human["document"].isin(shared.index)]
    codes = sorted(human["code"].unique()) if codes is None else list(codes)
    grid = (
        units[["document", "unit"]]
        .merge(pd.DataFrame({"code": codes}), how="cross")
        .merge(shared.rename("coder").explode().reset_index(), on="document")
    )
    hits = units_of_segments(human[["document", "coder", "code", "start", "end"]], units).dropna(subset=["unit"])
    hits = hits[["document", "unit", "code", "coder"]].drop_duplicates().assign(present=1)
    out = grid.merge(hits, on=["document", "unit", "code", "coder"], how="left")
    return out.assign(present=out["present"].fillna(0).astype(int))[PRESENCE_COLUMNS]


def reliability_matrix(presence: pd.DataFrame) -> pd.DataFrame:
    """Coders in rows, items (document, unit, code) in columns, NaN where a coder is missing."""
    return presence.pivot_table(index="coder", columns=["document", "unit", "code"], values="present",
                                aggfunc="max").astype(float)


def _value_counts(data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per unit, how many coders gave each category: (units x categories, categories)."""
    categories = np.unique(data[~np.isnan(data)])
    counts = (data[:, :, None] == categories[None, None, :]).sum(axis=0)
    return counts.astype(float), categories


def _unit_coincidences(counts: np.ndarray) -> np.ndarray:
    """Each unit's contribution to the coincidence matrix: (n_u n_u' - diag n_u) / (m_u - 1)."""
    m = counts.sum(axis=1)
    pairable = m >= 2
    outer = counts[:, :, None] * counts[:, None, :] - np.einsum("uc,ck->uck", counts, np.eye(counts.shape[1]))
    weight = np.divide(1.0, m - 1, out=np.zeros_like(m), where=pairable)
    return outer * weight[:, None, None]


def _alpha_from_coincidences(o: np.ndarray) -> np.ndarray:
    """Nominal alpha from coincidence matrices (..., k, k): 1 - (n-1)(n - tr o) / (n^2 - sum n_c^2)."""
    n_c = o.sum(axis=-1)
    n = n_c.sum(axis=-1)
    expected = n**2 - (n_c**2).sum(axis=-1)
    observed = n - np.trace(o, axis1=-2, axis2=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(expected > 0, 1 - (n - 1) * observed / expected, np.nan)


def krippendorff_alpha(data: np.ndarray) -> float:
    """Krippendorff's alpha for nominal data from a coders x units array (NaN = missing).

    Formula: alpha = 1 - (n - 1) * sum_{c != k} o_ck / sum_{c != k} n_c n_k, with the
    coincidence matrix o_ck = sum_u (pairs of values c, k in unit u) / (m_u - 1), n_c its
    margins and n the number of pairable values (Krippendorff 2004, Content Analysis, ch. 11).
    Undefined (NaN) when fewer than two categories occur.

    Parameters
    ----------
    data : numpy.ndarray
        Coders x units; each cell a category code, NaN where the coder did not code the unit.

    Returns
    -------
    float

    References
    ----------
    Krippendorff, K. (2004). *Content analysis: An introduction to its methodology* (2nd ed.),
    ch. 11. Sage.

    Examples
    --------
    Krippendorff (2011, "Computing Krippendorff's alpha-reliability", binary example), the value
    his hand computation gives; in R, ``irr::kripp.alpha(rbind(a, b), method = "nominal")``
    computes the same coefficient:

    >>> a = [0, 1, 0, 0, 0, 0, 0, 0, 1, 0]
    >>> b = [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]
    >>> round(krippendorff_alpha(np.array([a, b], dtype=float)), 3)
    0.095
    """
    counts, categories = _value_counts(np.asarray(data, dtype=float))
    if len(categories) < 2:
        return float("nan")
    return float(_alpha_from_coincidences(_unit_coincidences(counts).sum(axis=0)))


def krippendorff_alpha_bootstrap(
    data: np.ndarray, *, n_boot: int = 1000, confidence: float = 0.95, seed: int | None = None,
    clusters: np.ndarray | None = None,
) -> tuple[float, float]:
    """Percentile bootstrap interval of nominal alpha, resampling units with replacement.

    Parameters
    ----------
    data
        Coders x items (NaN = missing).
    clusters
        Optional unit label per item: all items of a resampled unit enter together (used
        when items are unit x code pairs). Default: every item is its own unit.

    Returns
    -------
    (low, high)
        Percentiles of the bootstrap distribution (replicates where alpha is undefined are
        dropped); NaN when alpha is undefined.
    """
    counts, categories = _value_counts(np.asarray(data, dtype=float))
    if len(categories) < 2:
        return float("nan"), float("nan")
    per_item = _unit_coincidences(counts)
    labels = np.arange(per_item.shape[0]) if clusters is None else np.unique(clusters, return_inverse=True)[1].ravel()
    per_unit = np.zeros((labels.max() + 1, *per_item.shape[1:]))
    np.add.at(per_unit, labels, per_item)
    weights = multinomial_weights(per_unit.shape[0], n_boot, np.random.default_rng(seed))
    alphas = _alpha_from_coincidences(np.einsum("bu,ujk->bjk", weights, per_unit))
    return percentile_interval(alphas, interval_levels(confidence))


def percent_agreement(data: np.ndarray) -> float:
    """Share of agreeing coder pairs among all pairs of coders who both coded an item.

    With two coders and no missing values this is the share of items they agree on.
    """
    counts, _ = _value_counts(np.asarray(data, dtype=float))
    m = counts.sum(axis=1)
    pairs = m * (m - 1)
    return float((counts * (counts - 1)).sum() / pairs.sum()) if pairs.sum() else float("nan")


def cohen_kappa(a: np.ndarray, b: np.ndarray) -> float:
    """Cohen's kappa of two coders over the items both coded.

    Formula: kappa = (p_o - p_e) / (1 - p_e), p_e = sum_c p_a(c) p_b(c) (Cohen 1960,
    Educational and Psychological Measurement 20(1)). NaN when p_e = 1.

    Examples
    --------
    R: ``psych::cohen.kappa(cbind(a, b))$kappa``:

    >>> a = np.array([1] * 25 + [0] * 25); b = np.array([1] * 20 + [0] * 5 + [1] * 10 + [0] * 15)
    >>> round(cohen_kappa(a, b), 3)
    0.4
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    both = ~(np.isnan(a) | np.isnan(b))
    a, b = a[both], b[both]
    categories = np.unique(np.concatenate([a, b]))
    pa = (a[:, None] == categories).mean(axis=0)
    pb = (b[:, None] == categories).mean(axis=0)
    p_o, p_e = float((a == b).mean()), float(pa @ pb)
    return (p_o - p_e) / (1 - p_e) if p_e < 1 else float("nan")


def fleiss_kappa(data: np.ndarray) -> float:
    """Fleiss' kappa of any number of coders; NaN unless every coder coded every item.

    Formula: kappa = (P_bar - P_e) / (1 - P_e), P_bar = mean_i sum_c n_ic (n_ic - 1) / (m (m - 1)),
    P_e = sum_c p_c^2 (Fleiss 1971, Psychological Bulletin 76(5)).
    """
    data = np.asarray(data, dtype=float)
    if np.isnan(data).any() or data.shape[0] < 2:
        return float("nan")
    counts, _ = _value_counts(data)
    m = data.shape[0]
    p_bar = ((counts * (counts - 1)).sum(axis=1) / (m * (m - 1))).mean()
    p_e = ((counts.sum(axis=0) / counts.sum()) ** 2).sum()
    return float((p_bar - p_e) / (1 - p_e)) if p_e < 1 else float("nan")


def kappa_band(kappa: float) -> str:
    """Landis & Koch (1977) label: poor < 0, slight, fair (.21), moderate (.41), substantial (.61),
    almost perfect (.81)."""
    if np.isnan(kappa):
        return ""
    return next(label for bound, label in KAPPA_BANDS if kappa < bound)


def alpha_verdict(alpha: float) -> str:
    """Krippendorff (2004): ``good`` (>= .800), ``tentative`` (>= .667), else ``insufficient``."""
    if np.isnan(alpha):
        return ""
    return "good" if alpha >= ALPHA_GOOD else "tentative" if alpha >= ALPHA_TENTATIVE else "insufficient"


def _agreement_row(matrix: pd.DataFrame, clusters: np.ndarray, *, n_boot: int, confidence: float,
                   seed: int | None) -> dict[str, object]:
    data = matrix.to_numpy()
    kappa = cohen_kappa(data[0], data[1]) if data.shape[0] == 2 else float("nan")
    alpha = krippendorff_alpha(data)
    low, high = krippendorff_alpha_bootstrap(data, n_boot=n_boot, confidence=confidence, seed=seed,
                                             clusters=clusters)
    values = np.where(np.isnan(data), -1, data)
    disagree = ((values.max(axis=0) == 1) & (values.min(axis=0) == 0) & ((~np.isnan(data)).sum(axis=0) >= 2))
    return {
        "n_documents": matrix.columns.get_level_values("document").nunique(),
        "n_units": len(np.unique(clusters)),
        "n_coders": data.shape[0],
        "coders": ";".join(map(str, matrix.index)),
        "units_coded": int((np.nan_to_num(data) == 1).any(axis=0).sum()),
        "percent_agreement": percent_agreement(data),
        "cohen_kappa": kappa,
        "kappa_band": kappa_band(kappa),
        "fleiss_kappa": fleiss_kappa(data),
        "krippendorff_alpha": alpha,
        "alpha_ci_low": low,
        "alpha_ci_high": high,
        "confidence": confidence,
        "alpha_verdict": alpha_verdict(alpha),
        "n_disagreements": int(disagree.sum()),
    }


def coder_agreement(
    presence: pd.DataFrame, *, n_boot: int = 1000, confidence: float = 0.95, seed: int | None = None
) -> pd.DataFrame:
    """Agreement per code and overall (all unit x code items pooled).

    Parameters
    ----------
    presence
        :func:`unit_code_presence`.
    n_boot, confidence, seed
        Bootstrap of alpha over units (for the overall row a resampled unit brings all its
        codes along).

    Returns
    -------
    pandas.DataFrame
        :data:`AGREEMENT_COLUMNS`: ``scope`` (``code`` or ``overall``), ``code``
        (``(all codes)`` overall), ``n_documents``, ``n_units``, ``n_coders``, ``coders``,
        ``units_coded`` (units at least one coder gave the code), ``percent_agreement``,
        ``cohen_kappa`` (NaN unless two coders), ``kappa_band`` (Landis & Koch),
        ``fleiss_kappa`` (NaN with missing coders), ``krippendorff_alpha``, ``alpha_ci_low``,
        ``alpha_ci_high``, ``confidence`` (the level of that interval), ``alpha_verdict`` (good >= .800, tentative >= .667),
        ``n_disagreements`` (items coded 1 by some coder and 0 by another).
    """
    if presence.empty:
        return pd.DataFrame(columns=AGREEMENT_COLUMNS)
    matrix = reliability_matrix(presence)
    rows = []
    for code in matrix.columns.get_level_values("code").unique():
        part = matrix.xs(code, axis=1, level="code", drop_level=False)
        units = part.columns.droplevel("code").factorize()[0]
        rows.append({"scope": "code", "code": code,
                     **_agreement_row(part, units, n_boot=n_boot, confidence=confidence, seed=seed)})
    units = matrix.columns.droplevel("code").factorize()[0]
    rows.append({"scope": "overall", "code": "(all codes)",
                 **_agreement_row(matrix, units, n_boot=n_boot, confidence=confidence, seed=seed)})
    return pd.DataFrame(rows, columns=AGREEMENT_COLUMNS)


def coder_disagreements(presence: pd.DataFrame) -> pd.DataFrame:
    """List the items the coders disagree on.

    Returns
    -------
    pandas.DataFrame
        ``document``, ``unit``, ``code``, ``coded_by`` and ``not_coded_by`` (``;``-joined
        coders), one row per unit x code where some coder applied the code and another did not.
    """
    grouped = presence.groupby(["document", "unit", "code"])["present"]
    mixed = presence[grouped.transform("min").eq(0) & grouped.transform("max").eq(1)]
    joined = mixed.groupby(["document", "unit", "code", "present"])["coder"].agg(lambda c: ";".join(sorted(c)))
    table = joined.unstack("present").rename(columns={1: "coded_by", 0: "not_coded_by"}).reset_index()
    table.columns.name = None
    return table.reindex(columns=["document", "unit", "code", "coded_by", "not_coded_by"])
