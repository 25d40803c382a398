"""A structural-equation engine for the factor models of service-quality instruments.

Organised as lavaan organises its own source (Rosseel 2012, J. Stat. Softw. 48(2)), one module
per family of computation; the low-level functions take plain numbers and trust them, input
checks live in the user-facing modules (:mod:`servqual.cfa`, :mod:`servqual.invariance`):

- :mod:`~servqual.sem.model`: model specification (parameter table, model matrices): the
  instrument's measurement model, one-factor and second-order alternatives, residual
  covariances, multi-group models with equality constraints (``lav_partable``, ``lav_model``);
- :mod:`~servqual.sem.samplestats`: means and ML covariance matrices (``lav_samplestats``);
- :mod:`~servqual.sem.objective`, :mod:`~servqual.sem.gradient`: F_ML, log-likelihood and their
  analytic derivatives (``lav_model_objective``, ``lav_model_gradient``);
- :mod:`~servqual.sem.information`: expected and observed information, standard errors
  (``lav_model_information``, ``lav_model_vcov``);
- :mod:`~servqual.sem.estimation`: starting values, Fisher scoring and Newton steps, L-BFGS-B
  where they fail (``lav_start``, ``lav_optim``);
- :mod:`~servqual.sem.blas`: one BLAS thread for the engine's entry points;
- :mod:`~servqual.sem.missing`: full-information ML for missing answers: missing-data patterns,
  FIML log-likelihood and gradient, EM saturated model, FIML baseline, observed information
  (``lav_mvnorm_missing``, lavaan's ``missing = "ml"``);
- :mod:`~servqual.sem.fit`: chi-square based fit indices, RMSEA interval, SRMR (``lav_fit_*``);
- :mod:`~servqual.sem.robust`: robust ML (MLR): casewise scores, the Huber-White sandwich, the
  Yuan-Bentler scaled test, robust CFI/TLI/RMSEA, Satorra-Bentler scaled differences
  (``lav_scores``, ``lav_model_vcov``, ``lav_test_yuan_bentler``, ``lav_test_diff``);
- :mod:`~servqual.sem.postcheck`: Heywood cases and latent correlations of 1 or more
  (``lav_object_post_check``);
- :mod:`~servqual.sem.standardize`: std.all and delta-method SEs (``lav_standardize``);
- :mod:`~servqual.sem.parameters`: the per-parameter table (``parameterEstimates``,
  ``standardizedSolution``);
- :mod:`~servqual.sem.modification`: modification indices and expected parameter changes
  (``lav_modification``);
- :mod:`~servqual.sem.validity`: CR, AVE, Fornell-Larcker, HTMT.

Single-group and multi-group fits are the same code with G = 1.
"""

from servqual.sem.estimation import Estimate, estimate_ml, start_values
from servqual.sem.fit import (
    FitIndices,
    baseline_chisq,
    fit_indices,
    rmsea_interval,
    srmr,
)
from servqual.sem.information import (
    expected_information,
    observed_information,
    parameter_vcov,
)
from servqual.sem.missing import Patterns, em_moments, estimate_fiml, fiml_fit, missing_patterns
from servqual.sem.model import Spec, measurement_spec, multigroup_spec
from servqual.sem.modification import modification_indices
from servqual.sem.parameters import parameter_table
from servqual.sem.robust import casewise_scores, robust_fit, robust_fit_indices, sandwich
from servqual.sem.samplestats import GroupStats, group_stats
from servqual.sem.standardize import std_all
from servqual.sem.validity import (
    average_variance_extracted,
    composite_reliability,
    htmt,
)

__all__ = [
    "Estimate", "FitIndices", "GroupStats", "Patterns", "Spec", "average_variance_extracted", "baseline_chisq",
    "casewise_scores", "composite_reliability", "em_moments", "estimate_fiml", "estimate_ml", "expected_information",
    "fiml_fit", "fit_indices", "group_stats", "htmt", "measurement_spec", "missing_patterns", "modification_indices",
    "multigroup_spec", "observed_information", "parameter_table", "parameter_vcov", "rmsea_interval", "robust_fit",
    "robust_fit_indices", "sandwich", "srmr", "start_values", "std_all",
]
