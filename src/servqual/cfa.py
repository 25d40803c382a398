"""Confirmatory factor analysis (CFA) of the instrument's dimensions, with validity evidence.

The instrument's model puts each dimension on one factor and each item on its dimension's
factor (marker-variable identification: the first item of each factor has loading 1), estimated
by normal-theory maximum likelihood (ML) from the covariance matrix (listwise deletion, divisor
n as lavaan's default ``likelihood = "normal"``), or by robust ML (MLR, as lavaan's ``estimator =
"MLR"``: the ML estimates with Huber-White sandwich standard errors, the Yuan-Bentler scaled
chi-square and the robust CFI/TLI/RMSEA of :mod:`servqual.sem.robust`); ``auto`` picks MLR when
Mardia's multivariate kurtosis departs from normality (:func:`servqual.sem.robust.choose_estimator`). With ``WLSMV`` the
ratings are taken as ordinal (lavaan's ``cfa(..., ordered = TRUE, estimator = "WLSMV")``): the
model is fitted by diagonally weighted least squares to the polychoric correlations, with robust
standard errors and the mean- and variance-adjusted (scaled-and-shifted) test of
:mod:`servqual.sem.wlsmv`, on the complete cases. Estimation, fit indices, standardization,
modification indices and validity are those of the structural-equation engine
:mod:`servqual.sem`, which follows lavaan 0.6 (Rosseel 2012, J. Stat. Softw. 48(2)); this module
fits the instrument's three models with it and writes the tables.

Tables (the pipeline adds ``wave`` and ``measure``):

``cfa_fit`` (:func:`compare_models`)
    model, estimator, estimator_rule, kurtosis_z, converged, status, reason, n, missing_policy,
    n_incomplete, n_patterns, n_excluded (respondents left out: under listwise deletion those who
    skipped an item of the model, under FIML those who answered none), npar, chisq, df, pvalue, baseline_chisq, baseline_df, cfi, tli, rmsea,
    rmsea_ci_low, rmsea_ci_high, rmsea_pclose, srmr, loglik, aic, bic, verdict, then the MLR
    statistics (NaN under ML): scaling_factor, chisq_scaled, pvalue_scaled, baseline_scaling_factor,
    baseline_chisq_scaled, cfi_scaled, tli_scaled, rmsea_scaled, cfi_robust, tli_robust,
    rmsea_robust, rmsea_robust_ci_low, rmsea_robust_ci_high, rmsea_robust_pclose, and delta_chisq,
    delta_df, p_difference, delta_chisq_scaled, difference_scaling_factor (differences against the
    instrument's model; under MLR p_difference is that of the Satorra-Bentler scaled difference),
    then rmsea_scaled_ci_low, rmsea_scaled_ci_high (the interval of rmsea_scaled), shift_parameter
    and baseline_shift_parameter (WLSMV's shift b of T* = T / scaling_factor + b, NaN otherwise).
    Under WLSMV chisq is the DWLS statistic (N - 1) F_DWLS, chisq_scaled the scaled-and-shifted
    one, cfi/tli/rmsea those of chisq and *_scaled those of chisq_scaled (both with N - 1, as
    lavaan), the robust CFI/TLI/RMSEA Savalei's (2021) catML-based ones (lavaan's *.robust,
    :func:`servqual.sem.wlsmv.wlsmv_robust_indices`), and the verdict is on the scaled ones (as
    the report shows them); loglik, aic and bic do not exist (NaN); npar counts the thresholds, as
    lavaan's; delta_chisq_scaled and p_difference are those of the scaled-and-shifted difference
    test (Satorra 2000, lavaan's lavTestLRT), and missing_policy is always listwise.
``cfa_loadings`` (:func:`standardized_loadings`)
    model, factor, item, std_loading, se, r2, estimate, estimate_se, z, pvalue, ci_low, ci_high,
    std_ci_low, std_ci_high, confidence. For the second-order model the dimensions appear as
    ``item`` of the second-order factor, with their own R^2.
``cfa_parameters`` (:func:`parameter_estimates`)
    model, lhs, op, rhs, parameter, free, estimate, se, z, pvalue, ci_low, ci_high, std_all,
    std_se, std_z, std_pvalue, std_ci_low, std_ci_high, r2, confidence: every parameter of every
    model (:func:`servqual.sem.parameters.parameter_table`); under WLSMV also the thresholds
    (op ``|``, rhs t1, t2, ...) and the latent responses' residual variances, 1 - communality, not
    free (:func:`servqual.sem.wlsmv.wlsmv_parameter_table`).
``cfa_factor_correlations`` (:func:`factor_correlation_table`)
    model, factor_a, factor_b, r, se, z, pvalue, ci_low, ci_high, confidence: the factor
    covariances that are free parameters (the instrument's model), standardized.
``cfa_validity`` (:func:`validity_table`)
    kind, dimension_a, dimension_b, value, criterion, ok. ``cr`` and ``ave``: one row per
    dimension (dimension_b empty); ``fornell_larcker``: diagonal rows (a == b) hold sqrt(AVE)
    and pairs hold |factor correlation| with criterion min(sqrt AVE_a, sqrt AVE_b);
    ``htmt``: one row per pair. Pivot ``fornell_larcker`` rows on (a, b) for the usual table.
``cfa_hints`` (:func:`residual_modification_indices`)
    item_a, item_b, mi, epc, sepc_all, residual_r, rank (under WLSMV the score tests of the DWLS
    fit on the polychoric correlations, and residual_r a residual polychoric correlation).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Literal

import numpy as np
import pandas as pd

from servqual.distributions import chi2_sf
from servqual.sem.blas import single_blas_thread
from servqual.sem.estimation import convergence_failure, estimate_ml
from servqual.sem.fit import (
    CFI_CUTOFFS,
    RMSEA_CUTOFFS,
    SRMR_CUTOFF,
    TLI_CUTOFFS,
    FitIndices,
    baseline_chisq,
    fit_indices,
    fit_verdict,
    srmr,
)
from servqual.sem.information import parameter_vcov
from servqual.sem.missing import (
    em_moments,
    estimate_fiml,
    fiml_fit,
    fiml_observed_information,
    missing_patterns,
    with_intercepts,
)
from servqual.sem.model import (
    BETA,
    LAMBDA,
    MODELS,
    ONE_FACTOR_NAME,
    PSI,
    SECOND_ORDER_NAME,
    Model,
    Spec,
    group_matrices,
    identification_problem,
    measurement_layout,
    measurement_spec,
    model_indicators,
    slot_values,
)
from servqual.sem.modification import MODIFICATION_COLUMNS, modification_indices, wlsmv_modification_indices
from servqual.sem.objective import discrepancy, loglik
from servqual.sem.parameters import PARAMETER_COLUMNS, parameter_table, wald
from servqual.sem.postcheck import HEYWOOD_TOL, LATENT_R_LIMIT, improper_solution
from servqual.sem.ordinal import OrdinalStats, ordinal_stats
from servqual.sem.robust import (
    ESTIMATOR_CHOICES as CONTINUOUS_ESTIMATOR_CHOICES,
    RobustFitIndices,
    choose_estimator,
    mardia_kurtosis,
    robust_fit,
    robust_fit_indices,
    scaled_difference,
)
from servqual.sem.samplestats import (
    GroupStats,
    check_items,
    group_stats,
    is_positive_definite,
    is_well_conditioned,
)
from servqual.sem.standardize import (
    central_difference_jacobian,
    delta_method_se,
    r_squared,
    standardized_loading_jacobian,
    standardized_loading_vector,
)
from servqual.sem.validity import (
    AVE_CUTOFF,
    CR_CUTOFF,
    HTMT_CUTOFF,
    VALIDITY_COLUMNS,
    average_variance_extracted,
    composite_reliability,
    htmt,
)
from servqual.sem.validity import validity_table as _validity_rows
from servqual.sem.wlsmv import GRADIENT_TOL as DWLS_GRADIENT_TOL
from servqual.sem.wlsmv import WLSMVFit, fit_wlsmv, wlsmv_parameter_table, wlsmv_robust_indices, wlsmv_srmr
from servqual.sem.wlsmv_groups import as_group_fit, wlsmv_difference

__all__ = [
    "AVE_CUTOFF",
    "CFI_CUTOFFS",
    "CORRELATION_COLUMNS",
    "CR_CUTOFF",
    "DELTA_COLUMNS",
    "ESTIMATOR_CHOICES",
    "FIT_COLUMNS",
    "HINT_COLUMNS",
    "HTMT_CUTOFF",
    "LATENT_R_LIMIT",
    "LOADING_COLUMNS",
    "MISSING_TREATMENTS",
    "MODELS",
    "ONE_FACTOR_NAME",
    "PARAMETERS_COLUMNS",
    "RMSEA_CUTOFFS",
    "ROBUST_COLUMNS",
    "SCALED_COLUMNS",
    "SECOND_ORDER_NAME",
    "SRMR_CUTOFF",
    "WLSMV_MAX_CATEGORIES",
    "TLI_CUTOFFS",
    "CFAResult",
    "CFATables",
    "FitIndices",
    "average_variance_extracted",
    "cfa_tables",
    "compare_models",
    "composite_reliability",
    "choose_wave_estimator",
    "continuous_estimator",
    "convergence_failure",
    "factor_correlation_table",
    "fit_cfa",
    "fit_indices",
    "fit_verdict",
    "htmt",
    "missing_treatment",
    "model_indicators",
    "modification_table",
    "parameter_estimates",
    "residual_modification_indices",
    "srmr",
    "standardized_loadings",
    "validity_table",
]


# --------------------------------------------------------------------------------------------
# Single-group CFA fitted by servqual.sem
# --------------------------------------------------------------------------------------------


_RESULT_LOADING_COLUMNS = ["factor", "item", "std_loading", "se", "r2", "estimate", "estimate_se"]


@dataclass(frozen=True)
class CFAResult:
    """A fitted single-group CFA.

    Attributes
    ----------
    model : str
        ``one_factor``, ``instrument`` or ``second_order``.
    status : str
        ``ok``, ``heywood`` (a residual variance <= 0, numbers reported), ``latent_correlation``
        (factor covariance matrix not positive definite: a latent correlation of 1 or more, numbers
        reported), ``not_converged`` (numbers
        from the last iterate), ``not_positive_definite`` (sample covariance singular, nothing
        fitted), ``not_identified`` (nothing fitted) or ``failed`` (the estimation raised).
    reason : str
        Why the status is not ``ok`` ('' when it is).
    converged : bool
        The optimiser reported success and the gradient of F_ML is below tolerance.
    n : int
        Respondents used: listwise complete on the model's items, or with FIML every respondent
        who answered at least one of them.
    missing : str
        Treatment of missing answers: ``listwise`` or ``ml`` (FIML).
    n_incomplete : int
        Respondents used who skipped some of the items (0 under listwise deletion).
    n_patterns : int
        Missing-data patterns among the respondents used (1 under listwise deletion).
    items, factors : tuple of str
        Observed and latent variables (for ``second_order`` the last factor is the
        second-order factor).
    indices : FitIndices or None
        Chi-square based fit indices (None when nothing was fitted).
    n_excluded : int
        Respondents left out (listwise: who skipped an item; FIML: who answered none).
    estimator : str
        ``ML``, ``MLR`` or ``WLSMV`` (the one used); ``estimator_rule`` what was asked for
        (``auto``, ``ML``, ``MLR`` or ``WLSMV``) and ``kurtosis_z`` Mardia's multivariate
        kurtosis z of the data fitted.
    robust : RobustFitIndices or None
        Under MLR, the Yuan-Bentler scaled test with the scaled and robust fit indices; under
        WLSMV the scaled-and-shifted test with the scaled and Savalei's (2021) robust indices (None
        under ML, when nothing was fitted, or at df 0).
    shift, baseline_shift : float
        Under WLSMV the shift b of the model's and the baseline's scaled-and-shifted test (NaN
        otherwise).
    srmr, loglik, unrestricted_loglik, aic, bic : float
        Further fit measures (NaN when nothing was fitted).
    npar : int
        Number of free parameters.
    sample_cov, implied_cov : pd.DataFrame or None
        ML sample covariance (divisor n; with FIML the EM estimate of the unrestricted model)
        and the model-implied covariance; under WLSMV the polychoric and the model-implied
        correlations of the latent responses.
    loadings : pd.DataFrame
        One row per loading: factor, item, std_loading, se, r2, estimate, estimate_se
        (:func:`standardized_loadings` adds the tests and intervals).
    factor_correlations : pd.DataFrame
        Model-implied correlations between the first-order factors (square, factor names).
    factor_correlation_se : pd.DataFrame
        Their delta-method standard errors (square, 0 on the diagonal).
    """

    model: str
    status: str
    reason: str
    converged: bool
    n: int
    items: tuple[str, ...]
    factors: tuple[str, ...]
    missing: str = "listwise"
    n_incomplete: int = 0
    n_patterns: int = 1
    n_excluded: int = 0
    indices: FitIndices | None = None
    estimator: str = "ML"
    estimator_rule: str = "ML"
    kurtosis_z: float = np.nan
    robust: RobustFitIndices | None = None
    shift: float = np.nan
    baseline_shift: float = np.nan
    srmr: float = np.nan
    loglik: float = np.nan
    unrestricted_loglik: float = np.nan
    aic: float = np.nan
    bic: float = np.nan
    npar: int = 0
    sample_cov: pd.DataFrame | None = None
    implied_cov: pd.DataFrame | None = None
    loadings: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=_RESULT_LOADING_COLUMNS, dtype=float).astype({"factor": object, "item": object}))
    factor_correlations: pd.DataFrame = field(default_factory=pd.DataFrame)
    factor_correlation_se: pd.DataFrame = field(default_factory=pd.DataFrame)
    _spec: Spec | None = field(default=None, repr=False)
    _params: np.ndarray | None = field(default=None, repr=False)
    _vcov: np.ndarray | None = field(default=None, repr=False)
    _wlsmv: WLSMVFit | None = field(default=None, repr=False)
    _ordinal: OrdinalStats | None = field(default=None, repr=False)

    @property
    def verdict(self) -> str:
        """:func:`fit_verdict` of this fit (on the robust CFI, TLI and RMSEA under MLR, the scaled
        ones under WLSMV); ``not assessed`` unless the status is ``ok``."""
        if self.status != "ok" or self.indices is None:
            return "not assessed"
        if self.robust is not None and self.estimator == "WLSMV":
            r = self.robust
            return fit_verdict(r.cfi_scaled, r.tli_scaled, r.rmsea_scaled, self.srmr)
        if self.robust is not None:
            r = self.robust
            return fit_verdict(r.cfi_robust, r.tli_robust, r.rmsea_robust, self.srmr)
        return fit_verdict(self.indices.cfi, self.indices.tli, self.indices.rmsea, self.srmr)


#: Treatments of missing answers: listwise deletion, full-information ML, or FIML exactly when
#: some analysed answer is missing (the two coincide on complete data).
MISSING_TREATMENTS = ("auto", "listwise", "ml")
#: Most distinct answers an item may have under WLSMV: more are scores, not rating categories.
WLSMV_MAX_CATEGORIES = 15
#: Estimators :func:`fit_cfa` accepts: those of :mod:`servqual.sem.robust` and WLSMV.
ESTIMATOR_CHOICES = (*CONTINUOUS_ESTIMATOR_CHOICES, "WLSMV")
Missing = Literal["auto", "listwise", "ml"]


def missing_treatment(data: pd.DataFrame, items: Sequence[str], missing: Missing, estimator: str = "ML") -> str:
    """The treatment ``missing`` stands for on these items: ``auto`` is ``ml`` when any of
    them has a missing answer and ``listwise`` otherwise (on complete data both give the same
    estimates; listwise works from the covariance matrix alone and is faster). Under MLR
    ``auto`` is ``listwise``: the robust statistics are those of complete data (robust FIML is
    not implemented), and an explicit ``ml`` makes the fit plain ML (:func:`fit_cfa`). Under
    WLSMV it is always ``listwise``: the thresholds and polychoric correlations are those of the
    complete cases (lavaan computes each pair's from the respondents who answered both,
    ``missing = "pairwise"``; not implemented).

    >>> missing_treatment(pd.DataFrame({"a": [1.0, None], "b": [2.0, 3.0]}), ["a", "b"], "auto")
    'ml'
    """
    if missing not in MISSING_TREATMENTS:
        raise ValueError(f"missing must be one of {MISSING_TREATMENTS}, got {missing!r}")
    if estimator == "WLSMV":
        return "listwise"
    if missing != "auto":
        return missing
    return "ml" if estimator != "MLR" and data[list(items)].isna().to_numpy().any() else "listwise"


@single_blas_thread
def fit_cfa(
    data: pd.DataFrame,
    item_dimension: Mapping[str, str],
    *,
    model: Model = "instrument",
    estimator: str = "ML",
    estimator_rule: str | None = None,
    missing: Missing = "listwise",
) -> CFAResult:
    """Fit a CFA of the items by normal-theory ML (or robust ML) and compute lavaan's fit measures.

    chi2 = N F_ML, F_ML = log|Sigma| + tr(S Sigma^-1) - log|S| - p, S with divisor N
    (Jöreskog 1969, Psychometrika 34(2); lavaan's default for ML, Rosseel 2012, J. Stat.
    Softw. 48(2)).

    The model is fitted from the covariance matrix by :func:`servqual.sem.estimation.estimate_ml`
    (Fisher scoring, then Newton steps on the analytic Hessian, from principal-component starting
    values; variances bounded below by 0, where bounded L-BFGS-B takes over), so its cost does
    not depend on n beyond computing that matrix. Missing values: listwise deletion over the model's items, or
    with ``missing="ml"`` full-information ML (lavaan's ``missing = "ml"``,
    :mod:`servqual.sem.missing`): every respondent who answered at least one item counts with
    the answers he gave; the model gains free intercepts, chi2 = 2 (logL_H1 - logL_H0) against
    the EM estimate of the unrestricted model, the baseline is fitted by FIML, SEs come from the
    observed information and SRMR includes the means. Problems of the data or the solution
    never raise: they are reported in ``status`` and ``reason``.

    Parameters
    ----------
    data : pd.DataFrame
        One row per respondent, one numeric column per item (NaN = missing).
    item_dimension : mapping
        Item id -> dimension id, ordered as the instrument orders them. The first item of each
        dimension is its marker variable.
    model : {"instrument", "one_factor", "second_order"}
        ``instrument``: one factor per dimension, factors correlated; ``one_factor``: all items
        on one factor; ``second_order``: the dimensions load on one second-order factor
        (needs at least 3 dimensions).
    estimator : {"ML", "MLR", "WLSMV", "auto"}
        ``ML``: standard errors from the expected information, the ML chi-square (lavaan's
        default); ``MLR``: the same estimates with Huber-White sandwich standard errors and the
        Yuan-Bentler scaled chi-square with robust CFI/TLI/RMSEA (lavaan's ``estimator = "MLR"``,
        :mod:`servqual.sem.robust`); ``WLSMV``: the ratings as ordinal, DWLS on the polychoric
        correlations of the complete cases with robust SEs and the scaled-and-shifted test
        (lavaan's ``cfa(..., ordered = TRUE)``, :mod:`servqual.sem.wlsmv`); ``auto``: MLR when
        Mardia's test of multivariate kurtosis rejects normality at .05, ML otherwise
        (:func:`servqual.sem.robust.choose_estimator`).
    estimator_rule : str, optional
        What the study asked for, recorded as ``estimator_rule`` when a caller resolved ``auto``
        itself (:func:`choose_wave_estimator`); default ``estimator``.
    missing : {"listwise", "ml", "auto"}
        Treatment of missing answers (:func:`missing_treatment`; with FIML the fit is plain ML).

    Returns
    -------
    CFAResult

    Examples
    --------
    >>> hs = pd.read_csv("tests/data/holzinger_swineford.csv")  # lavaan::HolzingerSwineford1939
    >>> dims = {f"x{i}": ["visual", "textual", "speed"][(i - 1) // 3] for i in range(1, 10)}
    >>> fit = fit_cfa(hs, dims)
    >>> round(fit.indices.chisq, 2), fit.indices.df, round(fit.indices.rmsea, 3)
    (85.31, 24, 0.092)
    """
    items = check_items(data, item_dimension)
    if model not in MODELS:
        raise ValueError(f"model must be one of {MODELS}, got {model!r}")
    if estimator not in ESTIMATOR_CHOICES:
        raise ValueError(f"estimator must be one of {ESTIMATOR_CHOICES}, got {estimator!r}")
    factor_of_item, factors = measurement_layout(item_dimension, model)
    x = data[items].to_numpy(dtype=float)
    complete = x[~np.isnan(x).any(axis=1)]
    if estimator == "WLSMV":
        chosen = estimator
    else:
        chosen = choose_estimator([complete], estimator) if estimator != "auto" or len(complete) > len(items) else "ML"
    treatment = missing_treatment(data, items, missing, chosen)
    chosen = "ML" if treatment == "ml" else chosen
    excluded = len(x)
    x = x[~np.isnan(x).all(axis=1)] if treatment == "ml" else complete
    patterns = missing_patterns(x) if treatment == "ml" else None
    base = dict(model=model, n=len(x), items=tuple(items), factors=tuple(factors), missing=treatment,
                n_excluded=excluded - len(x), n_incomplete=patterns.n_incomplete if patterns else 0,
                n_patterns=patterns.n_patterns if patterns else 1, estimator_rule=estimator_rule or estimator,
                estimator=chosen)
    spec = measurement_spec(factor_of_item, len(set(factor_of_item)), second_order=model == "second_order")
    if patterns:
        spec = with_intercepts(spec)
    problem = identification_problem(factor_of_item, factors, spec.df, second_order=model == "second_order")
    if problem:
        return CFAResult(status="not_identified", reason=problem, converged=False, **base)
    if len(x) <= len(items):
        return CFAResult(status="not_positive_definite", converged=False, reason=(
            f"{len(x)} {'respondents' if patterns else 'complete cases'} for {len(items)} items: "
            "the covariance matrix is singular"), **base)
    if chosen == "WLSMV":
        return _wlsmv_result(spec, x, base)
    try:
        h1 = em_moments(patterns) if patterns else None
        st = GroupStats(len(x), h1[0], h1[1]) if patterns else group_stats(x)
    except (np.linalg.LinAlgError, ValueError):  # an item without answers, a singular EM iterate
        st = None
    if st is None or not is_well_conditioned(st.cov):
        return CFAResult(status="not_positive_definite", converged=False, reason=(
            "the item covariance matrix is not positive definite (an item is constant or a "
            "linear combination of others)"), **base)
    base |= dict(kurtosis_z=mardia_kurtosis(complete)[1] if len(complete) > len(items) else np.nan)
    try:
        if patterns:
            estimate = estimate_fiml(spec, [patterns], [h1[:2]])
            measures = partial(_fiml_measures, patterns, h1)
        else:
            estimate = estimate_ml(spec, [st], nonnegative_variances=True)
            measures = partial(_listwise_measures, st)
    except (np.linalg.LinAlgError, ValueError, ArithmeticError) as err:
        return CFAResult(status="failed", reason=convergence_failure(False, str(err), np.nan),
                         converged=False, **base)
    return _assemble_result(spec, x, st, estimate.params, estimate.converged, estimate.reason, base, measures)


@dataclass(frozen=True)
class _Measures:
    """Fit measures and the covariance matrix of the estimates of one fitted model."""

    indices: FitIndices
    srmr: float
    loglik: float
    unrestricted_loglik: float
    vcov: np.ndarray


def _listwise_measures(st: GroupStats, spec: Spec, params: np.ndarray) -> _Measures:
    """ML from the complete-case covariance matrix: chi2 = N F_ML, expected information."""
    mats = group_matrices(spec, params, 0)
    chisq = st.n * discrepancy(st, mats, False)
    model_loglik, unrestricted = loglik(spec, [st], params)
    return _Measures(fit_indices(chisq, spec.df, *baseline_chisq([st]), st.n), srmr(st.cov, mats.sigma),
                     model_loglik, unrestricted, parameter_vcov(spec, [st], params))


def _fiml_measures(patterns, h1, spec: Spec, params: np.ndarray) -> _Measures:
    """FIML: chi2 = 2 (logL_H1 - logL_H0) with the EM moments as H1, SRMR with means against
    them, observed information (lavaan's defaults for ``missing = "ml"``)."""
    mats = group_matrices(spec, params, 0)
    fit = fiml_fit(spec, [patterns], params, [h1])
    vcov = np.linalg.pinv(fiml_observed_information(spec, [patterns], params))
    return _Measures(fit.indices, srmr(h1[1], mats.sigma, h1[0], mats.mu), fit.loglik, fit.unrestricted_loglik,
                     vcov)


def _assemble_result(spec: Spec, x: np.ndarray, st: GroupStats, params: np.ndarray, converged: bool, failure: str,
                     base: dict, measures: Callable[[Spec, np.ndarray], _Measures]) -> CFAResult:
    items, factors = base["items"], base["factors"]
    mats = group_matrices(spec, params, 0)
    if not is_positive_definite(mats.sigma):
        return CFAResult(status="failed", converged=False, reason=(
            "the model-implied covariance matrix is not positive definite"), **base)
    status, improper = improper_solution(spec, params, items, factors)
    if not converged:
        status, reason = "not_converged", failure
    elif improper:
        reason = f"improper solution: {improper}"
    else:
        reason = ""
    m = measures(spec, params)
    npar = spec.n_free
    robust, vcov = None, m.vcov
    if base["estimator"] == "MLR":
        rf = robust_fit(spec, [x], params, [st])
        vcov = rf.vcov
        if np.isfinite(rf.scaling_factor):
            robust = robust_fit_indices(m.indices.chisq, spec.df, rf.scaling_factor, m.indices.baseline_chisq,
                                        m.indices.baseline_df, rf.baseline_scaling_factor, st.n)
    loadings, correlations, correlation_se = _standardized_solution(spec, vcov, params, items, factors)
    return CFAResult(
        status=status, reason=reason, converged=bool(converged), indices=m.indices, robust=robust,
        srmr=m.srmr, loglik=m.loglik, unrestricted_loglik=m.unrestricted_loglik,
        aic=-2 * m.loglik + 2 * npar, bic=-2 * m.loglik + npar * np.log(st.n), npar=npar,
        sample_cov=pd.DataFrame(st.cov, index=items, columns=items),
        implied_cov=pd.DataFrame(mats.sigma, index=items, columns=items),
        loadings=loadings, factor_correlations=correlations, factor_correlation_se=correlation_se,
        _spec=spec, _params=params, _vcov=vcov, **base)


def _wlsmv_result(spec: Spec, x: np.ndarray, base: dict) -> CFAResult:
    """WLSMV fit of complete ordinal ratings (:func:`servqual.sem.wlsmv.fit_wlsmv`) as a CFAResult:
    the DWLS statistic with its fit indices, and the scaled-and-shifted one with the scaled
    indices (both with N - 1, as lavaan)."""
    items, factors = base["items"], base["factors"]
    single = [item for item, column in zip(items, x.T) if len(np.unique(column)) < 2]
    if single:
        return CFAResult(status="not_positive_definite", converged=False, reason=(
            f"items answered with a single scale point have no thresholds or polychoric correlations: {single}"),
            **base)
    many = [item for item, column in zip(items, x.T) if len(np.unique(column)) > WLSMV_MAX_CATEGORIES]
    if many:
        return CFAResult(status="failed", converged=False, reason=(
            f"WLSMV treats answers as ordered categories, but these items have more than "
            f"{WLSMV_MAX_CATEGORIES} distinct values (scores, not ratings; use ML or MLR): {many}"), **base)
    try:
        ostats = ordinal_stats(x)
        fit = fit_wlsmv(spec, ostats) if is_well_conditioned(ostats.correlations) else None
    except (np.linalg.LinAlgError, ValueError, ArithmeticError) as err:
        return CFAResult(status="failed", converged=False, reason=f"the WLSMV estimation failed: {err}", **base)
    if fit is None:
        return CFAResult(status="not_positive_definite", converged=False, reason=(
            "the polychoric correlation matrix is not positive definite (an item is a linear "
            "combination of others, or too few respondents for the number of items)"), **base)
    dspec, params, n = fit.spec, fit.params, ostats.n
    mats = group_matrices(dspec, params, 0)
    status, improper = improper_solution(dspec, params, items, factors)
    residual = 1 - np.diag(mats.sigma)
    heywood = [f"residual variance of {items[i]} = {residual[i]:.4g}" for i in np.flatnonzero(residual <= HEYWOOD_TOL)]
    if heywood:
        status, improper = "heywood", "; ".join(heywood + ([improper] if improper else []))
    if not fit.converged:
        status, reason = "not_converged", (f"the DWLS minimiser stopped where the gradient of the fit "
                                           f"function is above {DWLS_GRADIENT_TOL:g}: not a minimum")
    else:
        reason = f"improper solution: {improper}" if improper else ""
    test, baseline = fit.test, fit.baseline
    indices = fit_indices(test.chisq, test.df, baseline.chisq, baseline.df, n - 1)
    robust = None
    if test.df > 0:
        sc = fit_indices(test.chisq_scaled, test.df, baseline.chisq_scaled, baseline.df, n - 1)
        ri = wlsmv_robust_indices(fit, ostats)
        robust = RobustFitIndices(
            test.scaling_factor, test.chisq_scaled, test.pvalue_scaled, baseline.scaling_factor,
            baseline.chisq_scaled, baseline.pvalue_scaled, sc.cfi, sc.tli, sc.rmsea, sc.rmsea_ci_low,
            sc.rmsea_ci_high, sc.rmsea_pclose, ri.cfi, ri.tli, ri.rmsea, ri.rmsea_ci_low, ri.rmsea_ci_high,
            ri.rmsea_pclose)
    table = wlsmv_parameter_table(fit, ostats, items, factors)
    loadings = table[table["op"] == "=~"]
    r2 = table.loc[table["r2"].notna()].set_index("lhs")["r2"]
    first_order = list(factors[:-1] if (dspec.kind == BETA).any() else factors)
    iu = np.triu_indices(len(first_order), 1)

    def correlations(t: np.ndarray) -> np.ndarray:
        cov = group_matrices(dspec, t, 0).eta_cov[: len(first_order), : len(first_order)]
        sd = np.sqrt(np.abs(np.diag(cov)))
        return (cov / np.outer(sd, sd))[iu]

    r_se = delta_method_se(central_difference_jacobian(correlations, params), fit.vcov)
    square = []
    for values, diagonal in ((correlations(params), 1.0), (r_se, 0.0)):
        mat = np.full((len(first_order), len(first_order)), diagonal)
        mat[iu] = values
        mat.T[iu] = values
        square.append(pd.DataFrame(mat, index=first_order, columns=first_order))
    implied = mats.sigma.copy()
    np.fill_diagonal(implied, 1.0)
    return CFAResult(
        status=status, reason=reason, converged=fit.converged, indices=indices, robust=robust,
        shift=test.shift if robust else np.nan, baseline_shift=baseline.shift,
        srmr=wlsmv_srmr(fit, len(items)), npar=dspec.n_free + sum(len(t) for t in ostats.thresholds),
        sample_cov=pd.DataFrame(ostats.correlations, index=items, columns=items),
        implied_cov=pd.DataFrame(implied, index=items, columns=items),
        loadings=pd.DataFrame({
            "factor": loadings["lhs"].to_numpy(), "item": loadings["rhs"].to_numpy(),
            "std_loading": loadings["std_all"].to_numpy(float), "se": loadings["std_se"].to_numpy(float),
            "r2": loadings["rhs"].map(r2).to_numpy(float), "estimate": loadings["estimate"].to_numpy(float),
            "estimate_se": loadings["se"].to_numpy(float)}),
        factor_correlations=square[0], factor_correlation_se=square[1],
        _spec=dspec, _params=params, _vcov=fit.vcov, _wlsmv=fit, _ordinal=ostats, **base)


def _standardized_solution(spec: Spec, vcov: np.ndarray, params: np.ndarray, items: Sequence[str],
                           factors: Sequence[str]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Loadings (standardized and not, with SEs and R^2), factor correlations and their SEs."""
    std = standardized_loading_vector(spec, params)
    se = delta_method_se(standardized_loading_jacobian(spec, params), vcov)
    lam, beta = spec.kind == LAMBDA, spec.kind == BETA
    free = np.concatenate([spec.free[lam], spec.free[beta]])
    estimate_se = np.where(free >= 0, np.sqrt(np.maximum(np.diag(vcov)[np.maximum(free, 0)], 0.0)), np.nan)
    values = slot_values(spec, params)
    r2_item, r2_eta = r_squared(spec, params)
    n_lam, n_beta = int(lam.sum()), int(beta.sum())
    loadings = pd.DataFrame({
        "factor": [factors[k] for k in np.concatenate([spec.col[lam], spec.col[beta]])],
        "item": [items[i] for i in spec.row[lam]] + [factors[k] for k in spec.row[beta]],
        "std_loading": std[: n_lam + n_beta],
        "se": se[: n_lam + n_beta],
        "r2": np.concatenate([r2_item[spec.row[lam]], r2_eta[spec.row[beta]]]),
        "estimate": np.concatenate([values[lam], values[beta]]),
        "estimate_se": estimate_se,
    })
    first_order = list(factors[: spec.n_factors - 1] if n_beta else factors)
    k = len(first_order)
    iu = np.triu_indices(spec.n_factors, 1)
    square = []
    for pairs, diagonal in ((std[n_lam + n_beta:], 1.0), (se[n_lam + n_beta:], 0.0)):
        mat = np.full((spec.n_factors, spec.n_factors), diagonal)
        mat[iu] = pairs
        mat.T[iu] = pairs
        square.append(pd.DataFrame(mat[:k, :k], index=first_order, columns=first_order))
    return loadings, square[0], square[1]


def _check_confidence(confidence: float) -> None:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence is a confidence level between 0 and 1 (such as 0.95), got {confidence}")


#: Columns of the ``cfa_loadings`` table (:func:`standardized_loadings`).
LOADING_COLUMNS = ["model", "factor", "item", "std_loading", "se", "r2", "estimate", "estimate_se", "z",
                   "pvalue", "ci_low", "ci_high", "std_ci_low", "std_ci_high", "confidence"]
#: Columns of the ``cfa_factor_correlations`` table (:func:`factor_correlation_table`).
CORRELATION_COLUMNS = ["model", "factor_a", "factor_b", "r", "se", "z", "pvalue", "ci_low", "ci_high",
                       "confidence"]


def standardized_loadings(result: CFAResult, confidence: float = 0.95) -> pd.DataFrame:
    """Loadings, standardized (Std.all) and not, with standard errors, Wald tests, intervals and R^2.

    lambda*_ij = lambda_ij sd(eta_j) / sd(x_i) with model-implied standard deviations;
    SE = sqrt(diag(J V J')) with V the inverse expected information (n, not n - 1; under MLR the
    sandwich covariance) and J the
    Jacobian of the standardized solution (delta method; Bollen 1989, Structural Equations with
    Latent Variables, Wiley); R^2_i = 1 - theta_ii / sigma_ii. The unstandardized ``estimate``
    has ``estimate_se`` = sqrt(V_jj), z = estimate / estimate_se, two-sided normal p and the
    interval estimate -+ z_(1 - a/2) estimate_se (lavaan's ``parameterEstimates``); a marker
    loading, fixed to 1, has no SE, test or interval (lavaan prints se 0 and [1, 1]).
    ``std_ci_low`` and ``std_ci_high`` are std_loading -+ z_(1 - a/2) se (lavaan's
    ``standardizedSolution``).

    Parameters
    ----------
    result : CFAResult
    confidence : float
        Confidence level 1 - a of the intervals (0.95: z_(.975) = 1.96).

    Returns
    -------
    pd.DataFrame
        Columns model, factor, item, std_loading, se, r2, estimate, estimate_se, z, pvalue,
        ci_low, ci_high, std_ci_low, std_ci_high, confidence (no rows when nothing was fitted).

    Examples
    --------
    >>> hs = pd.read_csv("tests/data/holzinger_swineford.csv")  # lavaan::HolzingerSwineford1939
    >>> dims = {f"x{i}": ["visual", "textual", "speed"][(i - 1) // 3] for i in range(1, 10)}
    >>> x2 = standardized_loadings(fit_cfa(hs, dims)).set_index("item").loc["x2"]
    >>> [round(float(x2[c]), 3) for c in ("estimate", "estimate_se", "ci_low", "ci_high")]
    [0.554, 0.1, 0.358, 0.749]
    """
    _check_confidence(confidence)
    table = result.loadings.assign(model=result.model)
    estimate = table["estimate"].to_numpy(dtype=float)
    tests = wald(estimate, table["estimate_se"].to_numpy(dtype=float), confidence)
    std = wald(table["std_loading"].to_numpy(dtype=float), table["se"].to_numpy(dtype=float), confidence)
    table = table.assign(z=tests["z"], pvalue=tests["pvalue"], ci_low=tests["low"], ci_high=tests["high"],
                         std_ci_low=std["low"], std_ci_high=std["high"], confidence=float(confidence))
    return table[LOADING_COLUMNS]


def factor_correlation_table(result: CFAResult, confidence: float = 0.95) -> pd.DataFrame:
    """Correlations between factors whose covariance is a free parameter, with delta-method tests.

    r_ab = psi_ab / sqrt(psi_aa psi_bb) (the standardized covariance); SE = sqrt(J V J') by the
    delta method as in :func:`standardized_loadings`; z = r / SE, two-sided normal p and the
    interval r -+ z_(1 - a/2) SE (lavaan's ``standardizedSolution`` rows ``~~`` between
    factors). Only the instrument's model has such covariances: the one-factor model has no pair
    and in the second-order model the dimensions correlate only through the second-order factor,
    whose loadings are in :func:`standardized_loadings`.

    Parameters
    ----------
    result : CFAResult
    confidence : float
        Confidence level 1 - a of the intervals.

    Returns
    -------
    pd.DataFrame
        Columns model, factor_a, factor_b, r, se, z, pvalue, ci_low, ci_high, confidence, one
        row per pair in the instrument's order (no rows when nothing was fitted).

    Examples
    --------
    >>> hs = pd.read_csv("tests/data/holzinger_swineford.csv")  # lavaan::HolzingerSwineford1939
    >>> dims = {f"x{i}": ["visual", "textual", "speed"][(i - 1) // 3] for i in range(1, 10)}
    >>> row = factor_correlation_table(fit_cfa(hs, dims)).iloc[0]
    >>> row["factor_a"], row["factor_b"], round(float(row["r"]), 3), round(float(row["ci_low"]), 3)
    ('visual', 'textual', 0.459, 0.334)
    """
    _check_confidence(confidence)
    spec = result._spec
    if spec is None:
        return pd.DataFrame(columns=CORRELATION_COLUMNS)
    covariance = (spec.kind == PSI) & (spec.row != spec.col) & (spec.free >= 0)
    a, b = np.minimum(spec.row, spec.col)[covariance], np.maximum(spec.row, spec.col)[covariance]
    order = np.lexsort((b, a))
    a, b = a[order], b[order]
    names = result.factors
    r = result.factor_correlations.to_numpy()[a, b]
    se = result.factor_correlation_se.to_numpy()[a, b]
    tests = wald(r, se, confidence)
    return pd.DataFrame({
        "model": result.model, "factor_a": [names[i] for i in a], "factor_b": [names[i] for i in b],
        "r": r, "se": se, "z": tests["z"], "pvalue": tests["pvalue"], "ci_low": tests["low"],
        "ci_high": tests["high"], "confidence": float(confidence),
    }, columns=CORRELATION_COLUMNS)


#: Columns of the ``cfa_parameters`` table (:func:`parameter_estimates`).
PARAMETERS_COLUMNS = ["model", *[c for c in PARAMETER_COLUMNS if c != "group"]]


def parameter_estimates(result: CFAResult, confidence: float = 0.95) -> pd.DataFrame:
    """Every parameter of a fitted model, unstandardized and standardized (``cfa_parameters``).

    One row per loading (marker loadings fixed to 1 included), second-order loading, residual
    variance, factor variance, disturbance variance and factor covariance, named as lavaan
    names them (lhs, op, rhs): estimate, SE (inverse expected information, n not n - 1; under
    MLR the Huber-White sandwich of :func:`servqual.sem.robust.robust_fit`), z,
    two-sided p and the interval est -+ z_(1 - a/2) SE (``parameterEstimates``); the std.all
    value with its delta-method SE, z, p and interval (``standardizedSolution``; for a factor
    covariance this is the factor correlation); R^2 on residual-variance rows
    (:func:`servqual.sem.parameters.parameter_table`). The single-group models have no mean
    structure, hence no intercept rows, except under FIML (``missing="ml"``), which adds them.
    Under WLSMV: robust SEs, the thresholds and the latent responses' residual variances
    (:func:`servqual.sem.wlsmv.wlsmv_parameter_table`).

    Parameters
    ----------
    result : CFAResult
    confidence : float
        Confidence level 1 - a of the intervals.

    Returns
    -------
    pd.DataFrame
        Columns :data:`PARAMETERS_COLUMNS` (no rows when nothing was fitted).

    Examples
    --------
    >>> rng = np.random.default_rng(5)  # two dimensions of three items, loadings .8
    >>> eta = rng.multivariate_normal([0, 0], [[1, 0.5], [0.5, 1]], 500)
    >>> x = pd.DataFrame(0.8 * eta.repeat(3, axis=1) + 0.6 * rng.standard_normal((500, 6)), columns=list("abcdef"))
    >>> table = parameter_estimates(fit_cfa(x, dict(zip("abcdef", "AAABBB"))))
    >>> row = table.query("parameter == 'factor_covariance'").iloc[0]
    >>> row["lhs"], row["op"], row["rhs"], round(float(row["std_all"]), 2)
    ('A', '~~', 'B', 0.46)
    """
    _check_confidence(confidence)
    if result._spec is None:
        return pd.DataFrame(columns=PARAMETERS_COLUMNS)
    if result._wlsmv is not None:
        table = wlsmv_parameter_table(result._wlsmv, result._ordinal, result.items, result.factors, confidence)
        return table.assign(model=result.model)[PARAMETERS_COLUMNS]
    table = parameter_table(result._spec, result._params, result._vcov, result.items, result.factors,
                            confidence=confidence)
    return table.assign(model=result.model)[PARAMETERS_COLUMNS]


def choose_wave_estimator(frames: Sequence[pd.DataFrame], item_dimension: Mapping[str, str], requested: str) -> str:
    """One estimator for several samples of the items (a wave's measures, the waves of an
    invariance analysis): ``requested``, or for ``auto`` MLR when Mardia's kurtosis test rejects
    normality in any sample's complete cases (:func:`servqual.sem.robust.choose_estimator`), so
    that the tables and the methods text of one report name one estimator.

    >>> rng = np.random.default_rng(0)
    >>> frame = pd.DataFrame(rng.standard_t(3, (300, 4)), columns=list("abcd"))
    >>> choose_wave_estimator([frame], dict(zip("abcd", "AABB")), "auto")
    'MLR'
    """
    if requested == "WLSMV":
        return requested
    items = list(item_dimension)
    return choose_estimator([f[items].dropna().to_numpy(dtype=float) for f in frames], requested)


def continuous_estimator(requested: str) -> str:
    """The estimator of the models that have no ordinal version yet (the expectations-versus-
    perceptions model): MLR where the study asked for WLSMV (its ratings' departure from
    normality is what WLSMV answers, and MLR's robust statistics allow for it), ``requested``
    otherwise.

    >>> continuous_estimator("WLSMV"), continuous_estimator("auto")
    ('MLR', 'auto')
    """
    return "MLR" if requested == "WLSMV" else requested


# --------------------------------------------------------------------------------------------
# Model comparison
# --------------------------------------------------------------------------------------------

#: MLR statistics of a ``cfa_fit`` or ``invariance`` row (NaN under ML), named after
#: :class:`servqual.sem.robust.RobustFitIndices`.
ROBUST_COLUMNS = ["scaling_factor", "chisq_scaled", "pvalue_scaled", "baseline_scaling_factor",
                  "baseline_chisq_scaled", "cfi_scaled", "tli_scaled", "rmsea_scaled", "cfi_robust", "tli_robust",
                  "rmsea_robust", "rmsea_robust_ci_low", "rmsea_robust_ci_high", "rmsea_robust_pclose"]
#: The interval of the scaled RMSEA (MLR and WLSMV) and WLSMV's shifts (NaN otherwise).
SCALED_COLUMNS = ["rmsea_scaled_ci_low", "rmsea_scaled_ci_high", "shift_parameter", "baseline_shift_parameter"]
#: The columns of the modification hints (:func:`modification_hints`).
HINT_COLUMNS = ["item_a", "item_b", "mi", "epc", "sepc_all", "residual_r", "rank"]
#: The chi-square difference test of each model against the reference (:func:`compare_models`).
DELTA_COLUMNS = ["delta_chisq", "delta_df", "p_difference", "delta_chisq_scaled", "difference_scaling_factor"]
#: The columns of the fit table (``cfa_fit.csv`` after its ``wave`` and ``measure``).
FIT_COLUMNS = ["model", "estimator", "estimator_rule", "kurtosis_z", "converged", "status", "reason", "n",
               "missing_policy", "n_incomplete", "n_patterns", "n_excluded", "npar",
               "chisq", "df", "pvalue", "baseline_chisq", "baseline_df", "cfi", "tli", "rmsea", "rmsea_ci_low",
               "rmsea_ci_high", "rmsea_pclose", "srmr", "loglik", "aic", "bic", "verdict", *ROBUST_COLUMNS,
               *DELTA_COLUMNS, *SCALED_COLUMNS]


def compare_models(results: Sequence[CFAResult], reference: str = "instrument") -> pd.DataFrame:
    """Fit table of several CFAs with chi-square difference tests against a reference model.

    Delta chi2 = chi2_alt - chi2_ref on df_alt - df_ref, p = P(chi2(delta df) > delta chi2)
    (likelihood-ratio test of nested models; Bollen 1989). Under MLR ``p_difference`` is that of
    the Satorra-Bentler (2001, Psychometrika 66(4)) scaled difference ``delta_chisq_scaled`` =
    delta chi2 / c_d, c_d = (df_alt c_alt - df_ref c_ref) / delta df (``difference_scaling_factor``;
    :func:`servqual.sem.robust.scaled_difference`, lavaan's ``lavTestLRT``); under WLSMV that of
    the scaled-and-shifted difference ``delta_chisq_scaled`` (Satorra 2000, lavaan's
    ``lavTestLRT`` default, :func:`servqual.sem.wlsmv_groups.wlsmv_difference`). The one-factor and the
    second-order models are both nested in the instrument's correlated-factor model. AIC and BIC
    compare the models without nesting (smaller is better).

    Parameters
    ----------
    results : sequence of CFAResult
        Fitted models on the same data.
    reference : str
        Model the differences are taken against (its delta columns are empty).

    Returns
    -------
    pd.DataFrame
        The ``cfa_fit`` table, one row per model (columns in the module docstring).
    """
    rows = [_fit_row(r) for r in results]
    table = pd.DataFrame(rows, columns=[c for c in FIT_COLUMNS if c not in DELTA_COLUMNS])
    table[DELTA_COLUMNS] = np.nan
    table = table[FIT_COLUMNS]
    ref = table[table["model"] == reference]
    if len(ref) == 1 and ref["status"].iloc[0] in ("ok", "heywood", "latent_correlation"):
        ref = ref.iloc[0]
        fitted = {r.model: r for r in results}
        for i, row in table.iterrows():
            if row["model"] != reference and pd.notna(row["df"]) and row["df"] > ref["df"]:
                table.loc[i, DELTA_COLUMNS] = _difference(row, ref, fitted[row["model"]], fitted[reference])
    return table.astype({"df": "Int64", "baseline_df": "Int64", "delta_df": "Int64"})


def _difference(restricted: pd.Series, free: pd.Series, restricted_fit: CFAResult, free_fit: CFAResult) -> list[float]:
    """delta chi2, delta df, p, and under MLR the scaled difference and its scaling factor (under
    WLSMV the scaled-and-shifted difference, without a scaling factor)."""
    delta, ddf = restricted["chisq"] - free["chisq"], int(restricted["df"] - free["df"])
    if restricted["estimator"] == "WLSMV":
        if restricted_fit._wlsmv is None or free_fit._wlsmv is None:
            return [delta, ddf, np.nan, np.nan, np.nan]
        d = wlsmv_difference(as_group_fit(restricted_fit._wlsmv, restricted_fit._ordinal),
                             as_group_fit(free_fit._wlsmv, free_fit._ordinal))
        return [delta, ddf, d.pvalue, d.chisq, np.nan]
    if restricted["estimator"] != "MLR":
        return [delta, ddf, float(chi2_sf(max(delta, 0.0), ddf)), np.nan, np.nan]
    d = scaled_difference(restricted["chisq"], int(restricted["df"]), restricted["scaling_factor"], free["chisq"],
                          int(free["df"]), free["scaling_factor"])
    return [delta, ddf, d.pvalue, d.chisq, d.scaling_factor]


def _fit_row(r: CFAResult) -> dict:
    fi = r.indices
    # Maximum likelihood: from the listwise-complete covariance matrix (lavaan's default) or FIML.
    row = dict(model=r.model, estimator=r.estimator, estimator_rule=r.estimator_rule, kurtosis_z=r.kurtosis_z,
               converged=r.converged, status=r.status, reason=r.reason, n=r.n,
               missing_policy=r.missing, n_incomplete=r.n_incomplete, n_patterns=r.n_patterns,
               n_excluded=r.n_excluded, shift_parameter=r.shift, baseline_shift_parameter=r.baseline_shift,
               npar=r.npar if fi else pd.NA, srmr=r.srmr, loglik=r.loglik, aic=r.aic, bic=r.bic,
               verdict=r.verdict)
    if fi is not None:
        row |= {k: getattr(fi, k) for k in ("chisq", "df", "pvalue", "baseline_chisq", "baseline_df",
                                             "cfi", "tli", "rmsea", "rmsea_ci_low", "rmsea_ci_high",
                                             "rmsea_pclose")}
    if r.robust is not None:
        row |= {k: getattr(r.robust, k) for k in ROBUST_COLUMNS}
        row |= dict(rmsea_scaled_ci_low=r.robust.rmsea_scaled_ci_low, rmsea_scaled_ci_high=r.robust.rmsea_scaled_ci_high)
    return row


# --------------------------------------------------------------------------------------------
# Convergent and discriminant validity
# --------------------------------------------------------------------------------------------


def validity_table(result: CFAResult, data: pd.DataFrame, item_dimension: Mapping[str, str], *,
                   htmt_cutoff: float = HTMT_CUTOFF) -> pd.DataFrame:
    """Convergent and discriminant validity of the instrument's model (``cfa_validity`` table).

    Rows: ``cr`` (composite reliability >= .70) and ``ave`` (>= .50) per dimension;
    ``fornell_larcker``: diagonal rows with sqrt(AVE), and per pair |phi_ab| checked against
    min(sqrt AVE_a, sqrt AVE_b) (Fornell & Larcker 1981, J. Marketing Res. 18(1)); ``htmt`` per
    pair against ``htmt_cutoff`` (Henseler, Ringle & Sarstedt 2015, J. Acad. Marketing Sci.
    43(1)). ``ok`` is True when the criterion is met (NaN for diagonal rows).

    Parameters
    ----------
    result : CFAResult
        The instrument's model (``fit_cfa(..., model="instrument")``).
    data, item_dimension
        The data and mapping it was fitted on (HTMT uses the item correlations).
    htmt_cutoff : float
        .85 (Kline's strict criterion) or .90 (Gold et al.'s liberal criterion).

    Returns
    -------
    pd.DataFrame
        Columns kind, dimension_a, dimension_b, value, criterion, ok.
    """
    if result.model != "instrument":
        raise ValueError("validity_table needs the instrument's model (one factor per dimension)")
    if result.loadings.empty:
        return pd.DataFrame(columns=VALIDITY_COLUMNS)
    return _validity_rows(result.loadings, result.factor_correlations, data, item_dimension, htmt_cutoff=htmt_cutoff)


# --------------------------------------------------------------------------------------------
# Where the misfit comes from
# --------------------------------------------------------------------------------------------


def modification_table(result: CFAResult,
                       kinds: Sequence[str] = ("residual_covariances", "cross_loadings")) -> pd.DataFrame:
    """Modification index, expected parameter change and standardized EPC of every residual
    covariance and cross-loading the fitted model leaves out, as lavaan's
    ``modindices(fit, sort. = FALSE)`` (columns lhs, op, rhs, mi, epc, sepc_all; formulas in
    :mod:`servqual.sem.modification`; under WLSMV the score tests of the DWLS fit,
    :func:`servqual.sem.modification.wlsmv_modification_indices`). Empty when nothing was fitted.
    """
    if result._spec is None:
        return pd.DataFrame(columns=MODIFICATION_COLUMNS)
    if result._wlsmv is not None:
        return wlsmv_modification_indices(result._wlsmv, result._ordinal, result.items, result.factors, kinds=kinds)
    st = GroupStats(result.n, np.zeros(len(result.items)), result.sample_cov.to_numpy())
    return modification_indices(result._spec, st, result._params, result.items, result.factors, kinds=kinds)


def residual_modification_indices(result: CFAResult, top: int = 3) -> pd.DataFrame:
    """Largest modification indices for residual covariances between items (``cfa_hints``).

    MI = n g^2 / (I_cc - I_c. I_..^-1 I_.c): the score test of freeing one residual covariance,
    g = d(F_ML / 2)/d theta_ij at the estimates, I the expected information of one observation
    (Sörbom 1989, Psychometrika 54(3); lavaan's ``modindices``), from :func:`modification_table`,
    with the expected parameter change (EPC) and its std.all value (the residual correlation
    freeing it would add, lavaan's ``sepc.all``). Each row also gives the residual
    correlation r_ij - rhat_ij (lavaan's ``residuals(type = "cor")``). After a FIML fit S is the
    EM estimate of the unrestricted covariance matrix, taken as if complete (an approximation:
    lavaan's score test then uses the FIML information). Under WLSMV the score tests are those of
    the DWLS fit and S the polychoric correlations.

    Parameters
    ----------
    result : CFAResult
        A fitted model (empty table when nothing was fitted).
    top : int
        How many pairs to return.

    Returns
    -------
    pd.DataFrame
        Columns item_a, item_b, mi, epc, sepc_all, residual_r, rank (1 = largest MI); no rows
        when nothing was fitted.
    """
    if result._spec is None:
        return pd.DataFrame(columns=HINT_COLUMNS)
    s = result.sample_cov.to_numpy()
    sigma = result.implied_cov.to_numpy()
    table = modification_table(result, kinds=("residual_covariances",))
    index = {item: i for i, item in enumerate(result.items)}
    ia, ib = table["lhs"].map(index).to_numpy(int), table["rhs"].map(index).to_numpy(int)
    sd_s, sd_m = np.sqrt(np.diag(s)), np.sqrt(np.diag(sigma))
    resid_r = s[ia, ib] / (sd_s[ia] * sd_s[ib]) - sigma[ia, ib] / (sd_m[ia] * sd_m[ib])
    order = np.argsort(-table["mi"].to_numpy(float), kind="stable")[:top]
    top_rows = table.iloc[order]
    return pd.DataFrame({
        "item_a": [result.items[i] for i in ia[order]],
        "item_b": [result.items[i] for i in ib[order]],
        "mi": top_rows["mi"].to_numpy(float),
        "epc": top_rows["epc"].to_numpy(float),
        "sepc_all": top_rows["sepc_all"].to_numpy(float),
        "residual_r": resid_r[order],
        "rank": np.arange(1, len(order) + 1),
    })


# --------------------------------------------------------------------------------------------
# Convenience: everything the pipeline reports
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CFATables:
    """The six CFA tables of one item set (columns in the module docstring)."""

    fit: pd.DataFrame
    loadings: pd.DataFrame
    factor_correlations: pd.DataFrame
    validity: pd.DataFrame
    hints: pd.DataFrame
    results: dict[str, CFAResult]
    parameters: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=PARAMETERS_COLUMNS))


@single_blas_thread
def cfa_tables(
    data: pd.DataFrame,
    item_dimension: Mapping[str, str],
    *,
    hints: int = 3,
    htmt_cutoff: float = HTMT_CUTOFF,
    confidence: float = 0.95,
    estimator: str = "ML",
    estimator_rule: str | None = None,
    missing: Missing = "listwise",
) -> CFATables:
    """Fit the one-factor, the instrument's and (with >= 3 dimensions) the second-order model.

    Returns the ``cfa_fit`` table (:func:`compare_models`, differences against the instrument's
    model), ``cfa_loadings`` of all models (:func:`standardized_loadings`),
    ``cfa_factor_correlations`` (:func:`factor_correlation_table`: the instrument's model, the
    only one with free factor covariances), ``cfa_validity`` of
    the instrument's model (:func:`validity_table`) and ``cfa_hints``, its largest modification
    indices for residual covariances (:func:`residual_modification_indices`), and
    ``cfa_parameters``, every parameter of every model (:func:`parameter_estimates`). Fit
    problems are reported in the status columns and never raise.

    Parameters
    ----------
    data : pd.DataFrame
        One row per respondent, one numeric column per item.
    item_dimension : mapping
        Item id -> dimension id in the instrument's order.
    hints : int
        Number of modification hints.
    htmt_cutoff : float
        HTMT criterion.
    confidence : float
        Confidence level of the intervals of loadings and factor correlations.
    estimator : {"ML", "MLR", "WLSMV", "auto"}
        As in :func:`fit_cfa` (``auto`` decides once, from the items' complete cases, for all models).
    estimator_rule : str, optional
        As in :func:`fit_cfa`.
    missing : {"listwise", "ml", "auto"}
        Treatment of missing answers (:func:`missing_treatment`), the same for every model.

    Returns
    -------
    CFATables

    Examples
    --------
    >>> hs = pd.read_csv("tests/data/holzinger_swineford.csv")  # lavaan::HolzingerSwineford1939
    >>> dims = {f"x{i}": ["visual", "textual", "speed"][(i - 1) // 3] for i in range(1, 10)}
    >>> tables = cfa_tables(hs, dims)
    >>> top = tables.hints.iloc[0]
    >>> top["item_a"], top["item_b"], round(float(top["mi"]), 1)
    ('x7', 'x8', 34.1)
    """
    _check_confidence(confidence)
    n_dims = len(set(item_dimension.values()))
    models = [m for m in MODELS if m != "second_order" or n_dims >= 3]
    if n_dims == 1:
        models = ["one_factor"]
    treatment = missing_treatment(data, list(item_dimension), missing, estimator)
    results = {m: fit_cfa(data, item_dimension, model=m, estimator=estimator, estimator_rule=estimator_rule,
                          missing=treatment) for m in models}
    main = results.get("instrument", results["one_factor"])
    validity = (validity_table(main, data, item_dimension, htmt_cutoff=htmt_cutoff)
                if main.model == "instrument" else pd.DataFrame(columns=VALIDITY_COLUMNS))
    return CFATables(
        fit=compare_models(list(results.values()), reference=main.model),
        loadings=pd.concat([standardized_loadings(r, confidence) for r in results.values()], ignore_index=True),
        factor_correlations=pd.concat([factor_correlation_table(r, confidence) for r in results.values()],
                                      ignore_index=True),
        validity=validity,
        hints=residual_modification_indices(main, top=hints),
        results=results,
        parameters=pd.concat([parameter_estimates(r, confidence) for r in results.values()], ignore_index=True),
    )
