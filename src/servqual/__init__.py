"""servqual: reproducible SERVQUAL service-quality studies.

The public API is one function per statistic, named after what it computes, as pingouin names
its own (``servqual.cronbach_alpha``, ``servqual.parallel_analysis``, ``servqual.fit_cfa``, ...);
each takes pandas or numpy data and returns a number, a small result object or a tidy table
whose columns its docstring lists. The workflow's steps use the modules below them directly.

The names are imported on first use: ``import servqual`` (which every workflow job does) loads
no numerical library, and ``servqual.fit_cfa`` loads only the modules a CFA needs.
"""

from __future__ import annotations

from servqual.lazy import lazy_names

__version__ = "0.1.0"

#: Public name -> the module (below ``servqual``) that defines it, in the order of the methods.
API = {
    # Reliability of multi-item scales
    "cronbach_alpha": "reliability",
    "guttman_lambda6": "reliability",
    "omega_total": "reliability",
    "feldt_interval": "reliability",
    "duhachek_interval": "reliability",
    "scale_reliability": "reliability",
    "item_reliability": "reliability",
    # Exploratory factor analysis
    "sampling_adequacy": "efa.adequacy",
    "parallel_analysis": "efa.parallel",
    "factor_analysis": "efa.solution",
    # Confirmatory factor analysis and measurement invariance
    "fit_cfa": "cfa",
    "measurement_invariance": "invariance",
    "invariance_ladder": "invariance",
    # Gaps and segments
    "paired_gap_tests": "gaps",
    "wilcoxon_signed_rank": "gaps",
    "servqual_scores": "gaps",
    "adjust_pvalues": "multiple_comparisons",
    "welch_anova": "segments",
    "kruskal_wallis": "segments",
    # Agreement of interview coders
    "krippendorff_alpha": "agreement",
    "cohen_kappa": "agreement",
}

__all__ = sorted(API)


__getattr__, __dir__ = lazy_names(__name__, API)
