"""Fit indices of ML factor models, computed as lavaan 0.6 does.

Chi-square based indices from the model's and the baseline (independence) model's chi-squares
(lavaan's ``lav_fit_cfi.R``, ``lav_fit_rmsea.R``): CFI (Bentler 1990, Psychol. Bull. 107(2)),
TLI (Tucker & Lewis 1973, Psychometrika 38(1)), RMSEA with its confidence interval and p-close
(Steiger 1990, Multivariate Behav. Res. 25(2); Browne & Cudeck 1993), and SRMR (Bentler 1995,
``lav_fit_srmr.R``). As in lavaan, the low-level functions take N as given: always N, the total
sample size over all groups (if N - 1 is wanted, pass N - 1). Verdicts against Hu & Bentler's
(1999, Struct. Equ. Modeling 6(1)) cutoffs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize

from servqual.distributions import chi2_sf, ncx2_cdf, ncx2_sf
from servqual.sem.samplestats import GroupStats

__all__ = ["CFI_CUTOFFS", "RMSEA_CUTOFFS", "SRMR_CUTOFF", "TLI_CUTOFFS", "FitIndices", "IncrementalIndices", "baseline_chisq",
           "fit_indices", "fit_verdict", "rmsea_interval", "srmr"]

#: Hu & Bentler (1999, Struct. Equ. Modeling 6(1)) cutoffs: (good, acceptable).
CFI_CUTOFFS = (0.95, 0.90)
TLI_CUTOFFS = (0.95, 0.90)
RMSEA_CUTOFFS = (0.06, 0.08)
SRMR_CUTOFF = 0.08


@dataclass(frozen=True)
class IncrementalIndices:
    """CFI, TLI and RMSEA with the RMSEA's interval and p-close, as one test statistic and its
    baseline give them."""

    cfi: float
    tli: float
    rmsea: float
    rmsea_ci_low: float
    rmsea_ci_high: float
    rmsea_pclose: float


@dataclass(frozen=True)
class FitIndices(IncrementalIndices):
    """Chi-square based fit indices, computed as lavaan 0.6 does for ML."""

    chisq: float
    df: int
    pvalue: float
    baseline_chisq: float
    baseline_df: int


def baseline_chisq(stats_list: Sequence[GroupStats]) -> tuple[float, int]:
    """Independence model (free variances and means): chi2 = sum_g n_g (sum log s_ii - log|S_g|),
    df = G p (p - 1) / 2."""
    chisq = sum(st.n * (np.log(np.diag(st.cov)).sum() - np.linalg.slogdet(st.cov)[1]) for st in stats_list)
    p = len(stats_list[0].mean)
    return float(chisq), len(stats_list) * p * (p - 1) // 2


def rmsea_interval(chisq: float, df: int, n: int, n_groups: int = 1, level: float = 0.90) -> tuple[float, float]:
    """Confidence interval of the RMSEA by inverting the noncentral chi-square (lavaan's
    ``lav_fit_rmsea_ci``).

    The noncentrality lambda_L with P(X2; df, lambda_L) = 1 - a/2 and lambda_U with
    P(X2; df, lambda_U) = a/2 give the bounds sqrt(lambda / (N df)) sqrt(G); 0 where the
    chi-square is too small to reach them, and (0, 0) at df 0.

    Examples
    --------
    >>> [round(v, 4) for v in rmsea_interval(85.30552, 24, 301)]  # Holzinger-Swineford, lavaan
    [0.0714, 0.1137]
    """
    if df < 1:
        return 0.0, 0.0
    upper_p, lower_p = 1 - (1 - level) / 2, (1 - level) / 2

    def cdf(lam: float) -> float:
        return ncx2_cdf(chisq, df, lam)

    low = 0.0 if cdf(0) < upper_p else optimize.brentq(lambda x: cdf(x) - upper_p, 0, chisq, xtol=1e-10)
    top = max(n, 4 * chisq)
    high = (0.0 if cdf(0) < lower_p or cdf(top) > lower_p
            else optimize.brentq(lambda x: cdf(x) - lower_p, 0, top, xtol=1e-10))
    scale = np.sqrt(n_groups / (n * df))
    return float(np.sqrt(low) * scale), float(np.sqrt(high) * scale)


def fit_indices(chisq: float, df: int, baseline_chisq: float, baseline_df: int, n: int, n_groups: int = 1, *,
                level: float = 0.90, close_fit: float = 0.05) -> FitIndices:
    """CFI, TLI, RMSEA with its confidence interval and p-close, from the model and baseline chi-squares.

    CFI = 1 - max(X2 - df, 0) / max(X2 - df, X2_0 - df_0, 0) (Bentler 1990, Psychol. Bull.
    107(2)), 1 when both are 0; TLI = 1 - (X2 - df) df_0 / ((X2_0 - df_0) df) (Tucker & Lewis
    1973, Psychometrika 38(1)), not clamped, as lavaan; RMSEA = sqrt(max(X2/df - 1, 0) / N)
    * sqrt(G) (Steiger 1990, Multivariate Behav. Res. 25(2); the multi-group factor as lavaan),
    with N = total sample size (not N - 1); its interval by :func:`rmsea_interval`; p-close =
    P(chi2(df, lambda0) > X2) with lambda0 = N df .05^2 / G (Browne & Cudeck 1993).

    Parameters
    ----------
    chisq, df : float, int
        Model chi-square (N F_ML) and its degrees of freedom.
    baseline_chisq, baseline_df : float, int
        Chi-square and df of the independence (baseline) model.
    n : int
        Total sample size N over all groups.
    n_groups : int
        Number of groups G.
    level : float
        Confidence level of the RMSEA interval.
    close_fit : float
        RMSEA under the null hypothesis of close fit.

    Returns
    -------
    FitIndices

    Examples
    --------
    >>> fi = fit_indices(85.30552, 24, 918.8516, 36, 301)  # Holzinger-Swineford, lavaan
    >>> round(fi.cfi, 4), round(fi.rmsea, 4), round(fi.rmsea_ci_low, 4), round(fi.rmsea_ci_high, 4)
    (0.9306, 0.0921, 0.0714, 0.1137)
    """
    pvalue = float(chi2_sf(chisq, df)) if df > 0 else np.nan
    t1 = max(chisq - df, 0.0)
    t2 = max(chisq - df, baseline_chisq - baseline_df, 0.0)
    cfi = 1.0 if np.isclose(t1, 0) and np.isclose(t2, 0) else 1 - t1 / t2
    tli_den = (baseline_chisq - baseline_df) * df
    tli = 1 - (chisq - df) * baseline_df / tli_den if df > 0 and tli_den != 0 else 1.0
    scale = np.sqrt(n_groups / (n * df)) if df > 0 else 0.0  # lavaan: RMSEA and its CI are 0 at df 0
    rmsea = float(np.sqrt(max(chisq - df, 0.0)) * scale)
    low, high = rmsea_interval(chisq, df, n, n_groups, level)
    pclose = ncx2_sf(chisq, df, n * df * close_fit**2 / n_groups) if df > 0 else np.nan
    return FitIndices(chisq=float(chisq), df=int(df), pvalue=pvalue, baseline_chisq=float(baseline_chisq),
                      baseline_df=int(baseline_df), cfi=float(cfi), tli=float(tli), rmsea=rmsea, rmsea_ci_low=low,
                      rmsea_ci_high=high, rmsea_pclose=pclose)


def srmr(sample_cov: np.ndarray | pd.DataFrame, implied_cov: np.ndarray | pd.DataFrame,
         sample_mean: np.ndarray | None = None, implied_mean: np.ndarray | None = None) -> float:
    """Standardized root mean square residual (lavaan's ``srmr``).

    SRMR = sqrt( sum_{i<=j} ((s_ij - sigma_ij) / sqrt(s_ii s_jj))^2 / (p (p + 1) / 2) )
    (Bentler 1995, EQS manual; Hu & Bentler 1999, Struct. Equ. Modeling 6(1)). With a mean
    structure (means given) the p mean residuals (m_i - mu_i) / sqrt(s_ii) join the sum and the
    divisor becomes p (p + 1) / 2 + p (lavaan's ``srmr_bentler`` "total").

    Parameters
    ----------
    sample_cov, implied_cov : array (p x p)
        Sample covariance matrix and the model-implied covariance matrix.
    sample_mean, implied_mean : array (p), optional
        Sample and model-implied means, for a model with mean structure.

    Returns
    -------
    float

    Examples
    --------
    >>> s = np.array([[1.0, 0.5], [0.5, 1.0]])
    >>> round(srmr(s, np.eye(2)), 4)
    0.2887
    """
    s, sigma = np.asarray(sample_cov, float), np.asarray(implied_cov, float)
    sd = np.sqrt(np.diag(s))
    resid = (s - sigma) / np.outer(sd, sd)
    lower = resid[np.tril_indices_from(resid)]
    if sample_mean is not None and implied_mean is not None:
        lower = np.concatenate([lower, (np.asarray(sample_mean) - np.asarray(implied_mean)) / sd])
    return float(np.sqrt(np.mean(lower**2)))


def fit_verdict(cfi: float, tli: float, rmsea: float, srmr_value: float) -> str:
    """Verdict on model fit against Hu & Bentler's (1999, Struct. Equ. Modeling 6(1)) cutoffs.

    ``good``: CFI and TLI >= .95, RMSEA <= .06, SRMR <= .08; ``acceptable``: CFI and TLI >= .90,
    RMSEA <= .08, SRMR <= .08; ``poor`` otherwise; ``not assessed`` when an index is missing.

    Examples
    --------
    >>> fit_verdict(0.931, 0.896, 0.092, 0.065)
    'poor'
    """
    values = np.array([cfi, tli, rmsea, srmr_value], dtype=float)
    if np.isnan(values).any():
        return "not assessed"
    for label, rank in (("good", 0), ("acceptable", 1)):
        if (cfi >= CFI_CUTOFFS[rank] and tli >= TLI_CUTOFFS[rank] and rmsea <= RMSEA_CUTOFFS[rank]
                and srmr_value <= SRMR_CUTOFF):
            return label
    return "poor"
