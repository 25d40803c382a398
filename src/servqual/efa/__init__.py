"""Exploratory factor analysis of an item battery, computed as psych::fa computes it.

One module per step of the method: :mod:`~servqual.efa.correlations` (item correlations under
the missing-data policy), :mod:`~servqual.efa.adequacy` (KMO and Bartlett),
:mod:`~servqual.efa.parallel` (Horn's parallel analysis), :mod:`~servqual.efa.extraction`
(minres and ML extraction, fit), :mod:`~servqual.efa.rotation` (oblimin, promax, varimax),
:mod:`~servqual.efa.solution` (the rotated solution and its match to the dimensions) and
:mod:`~servqual.efa.tables` (the pipeline's tables). The names below are the package's API.

Sampling adequacy (Kaiser-Meyer-Olkin and Bartlett's sphericity), Horn's parallel analysis,
factor extraction (minimum residual or maximum likelihood), rotation (oblimin, promax, varimax or
none), fit statistics, and the matching of factors to the instrument's dimensions. The numbers
follow psych 2.2.9 (Revelle) and GPArotation 2022.10 (Bernaards & Jennrich) and are tested
against their output on the Holzinger-Swineford (1939) and psych ``bfi`` data.

Why extraction and rotation are implemented here rather than taken from factor-analyzer: the
PyPI release of factor-analyzer (0.5.1) fails with a TypeError under scikit-learn >= 1.8 (it
passes the removed ``force_all_finite`` argument to ``check_array``), and its results differ from
psych::fa in ways a reader of the report would not notice: after an oblique rotation its
communalities are row sums of squared pattern loadings instead of diag(L Phi L'), the factor
correlation matrix is not reordered with the factors, SS loadings ignore Phi, Heywood cases are
clamped silently at a uniqueness of .005, missing values are median-imputed without notice, and
its "minres" is psych's "uls". It also has no parallel analysis and no fit indices. The
algorithms themselves are short (an eigendecomposition inside an L-BFGS-B search, and the
gradient projection rotation of Jennrich 2002), so this module implements them with numpy and
scipy, step for step as psych and GPArotation do, and needs no further dependency.

Missing data are handled by one policy for the whole analysis: ``"listwise"`` (default; only
respondents who answered every item) or ``"pairwise"`` (each correlation from the respondents
who answered both items; the sample size used for tests is then the smallest pairwise count).

Failures that make an analysis impossible (too few respondents, a constant item, a singular
correlation matrix, too many factors, no convergence) raise :class:`EFAError` with the reason, so
that a pipeline can record the status and go on. Problems that leave a solution usable but
suspect (Heywood cases, a just-identified model) are reported in ``warnings``.
"""

from __future__ import annotations

from servqual.efa.adequacy import SamplingAdequacy, adequacy_table, sampling_adequacy
from servqual.efa.correlations import (
    METHODS,
    MISSING_POLICIES,
    PARALLEL_RULES,
    ROTATIONS,
    UNIQUENESS_LOWER_BOUND,
    EFAError,
    ItemCorrelations,
    Method,
    MissingPolicy,
    ParallelRule,
    Rotation,
    item_correlations,
)
from servqual.efa.extraction import EFAFit
from servqual.efa.parallel import ParallelAnalysis, parallel_analysis, parallel_analysis_table
from servqual.efa.solution import DimensionMatch, FactorSolution, factor_analysis, match_dimensions
from servqual.efa.tables import (
    EFATables,
    efa_by_measure,
    efa_tables,
    factor_correlations_table,
    fit_table,
    loadings_table,
)

__all__ = [
    "METHODS",
    "MISSING_POLICIES",
    "PARALLEL_RULES",
    "ROTATIONS",
    "UNIQUENESS_LOWER_BOUND",
    "DimensionMatch",
    "EFAError",
    "EFAFit",
    "EFATables",
    "FactorSolution",
    "ItemCorrelations",
    "Method",
    "MissingPolicy",
    "ParallelAnalysis",
    "ParallelRule",
    "Rotation",
    "SamplingAdequacy",
    "adequacy_table",
    "efa_by_measure",
    "efa_tables",
    "factor_analysis",
    "factor_correlations_table",
    "fit_table",
    "item_correlations",
    "loadings_table",
    "match_dimensions",
    "parallel_analysis",
    "parallel_analysis_table",
    "sampling_adequacy",
]
