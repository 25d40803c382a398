# Reference numbers for tests/test_structural.py, produced with R 4.2.2, lavaan 0.6-14 (Debian
# packages r-base-core, r-cran-lavaan, r-cran-jsonlite).
# Regenerate from the repository root with:
#   Rscript tests/data/structural_reference.R
# A structural model of tests/data/structural_sim.csv (written by
# tests/data/structural_sim_generate.py): three dimensions measured by three perception items each
# -> satisfaction -> intention to return and recommendation, with a direct path from b to return.
# sem() with its defaults (ML, the final outcomes' residuals correlated), optimised to the
# minimum (BFGS, reltol 1e-16) as tests/data/cfa_reference.R does; indirect and total effects as
# defined parameters (:=, delta-method SEs). Then the model servqual.structural.fit_structural
# builds with satisfaction as mediator: every outcome also regressed on every dimension.
suppressPackageStartupMessages(library(lavaan))

data <- read.csv("tests/data/structural_sim.csv")
model <- "
A =~ a1 + a2 + a3
B =~ b1 + b2 + b3
C =~ c1 + c2 + c3
sat ~ sa*A + sb*B + sc*C
ret ~ rs*sat + rb*B
rec ~ cs*sat
ind_A_ret := sa*rs
ind_B_ret := sb*rs
ind_C_ret := sc*rs
tot_B_ret := rb + sb*rs
ind_A_rec := sa*cs
ind_B_rec := sb*cs
ind_C_rec := sc*cs
"
mediated <- "
A =~ a1 + a2 + a3
B =~ b1 + b2 + b3
C =~ c1 + c2 + c3
sat ~ sa*A + sb*B + sc*C
ret ~ sat + A + B + C
rec ~ sat + A + B + C
"
fit_names <- c("npar", "chisq", "df", "pvalue", "baseline.chisq", "baseline.df", "cfi", "tli",
               "rmsea", "rmsea.ci.lower", "rmsea.ci.upper", "srmr", "ntotal")

result <- function(model) {
  fit <- sem(model, data = data, optim.method = "BFGS", control = list(reltol = 1e-16, maxit = 10000))
  stopifnot(lavInspect(fit, "converged"), max(abs(lavInspect(fit, "optim.gradient"))) < 1e-7)
  est <- parameterEstimates(fit, level = 0.95)
  std <- standardizedSolution(fit, level = 0.95)
  stopifnot(identical(est$lhs, std$lhs), identical(est$op, std$op), identical(est$rhs, std$rhs))
  list(fit = as.list(unclass(fitMeasures(fit, fit_names))),
       parameters = list(lhs = est$lhs, op = est$op, rhs = est$rhs, est = est$est, se = est$se,
                         z = est$z, pvalue = est$pvalue, ci_lower = est$ci.lower,
                         ci_upper = est$ci.upper, std = std$est.std, std_se = std$se),
       r2 = as.list(lavInspect(fit, "r2")))
}

jsonlite::write_json(
  c(list(versions = list(R = R.version.string, lavaan = as.character(packageVersion("lavaan")))),
    result(model), list(mediated = result(mediated))),
  "tests/data/structural_reference.json", digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null")
