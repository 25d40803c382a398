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
- :mod:`~servqual.sem.blocks`: the group-block structure of multi-group information matrices
  (each group's own parameters and the shared ones), solves and inverses by blocks;
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

from __future__ import annotations

from servqual.lazy import lazy_names

#: Name -> the submodule that defines it. The names are imported on first use, as those of
#: :mod:`servqual`: a step that needs the fit indices alone (the EFA's RMSEA interval) does not
#: load the estimation, FIML and robust modules with them.
API = {
    "Estimate": "estimation", "estimate_ml": "estimation", "start_values": "estimation",
    "FitIndices": "fit", "baseline_chisq": "fit", "fit_indices": "fit", "rmsea_interval": "fit", "srmr": "fit",
    "expected_information": "information", "observed_information": "information", "parameter_vcov": "information",
    "Patterns": "missing", "em_moments": "missing", "estimate_fiml": "missing", "fiml_fit": "missing",
    "missing_patterns": "missing",
    "Spec": "model", "measurement_spec": "model", "multigroup_spec": "model",
    "modification_indices": "modification",
    "parameter_table": "parameters",
    "casewise_scores": "robust", "robust_fit": "robust", "robust_fit_indices": "robust", "sandwich": "robust",
    "GroupStats": "samplestats", "group_stats": "samplestats",
    "std_all": "standardize",
    "average_variance_extracted": "validity", "composite_reliability": "validity", "htmt": "validity",
}

__all__ = sorted(API)


__getattr__, __dir__ = lazy_names(__name__, API)
