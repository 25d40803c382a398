# Reference numbers for tests/test_sem_fiml.py, produced with R 4.2.2, lavaan 0.6-14 (Debian packages
# r-base-core, r-cran-lavaan, r-cran-jsonlite).
# Regenerate from the repository root with:
#   Rscript tests/data/sem_fiml_reference.R
# It reads tests/data/holzinger_swineford_missing.csv (written by
# tests/data/holzinger_swineford_missing_generate.py: the Holzinger-Swineford data with ~10% of
# x1..x9 deleted completely at random) and writes tests/data/sem_fiml_reference.json: the
# three-factor CFA and the one-factor model by full-information ML (missing = "ml", lavaan's
# defaults otherwise: observed information from the Hessian, intercepts free), and measurement
# invariance across the two schools by FIML.
suppressPackageStartupMessages(library(lavaan))

hs <- read.csv("tests/data/holzinger_swineford_missing.csv")

# BFGS with reltol 1e-16 instead of nlminb (which stops with a gradient of about 1e-6), so that
# estimates can be compared to 1e-6 (see tests/data/cfa_reference.R).
fit_tight <- function(model) {
  fit <- cfa(model, data = hs, missing = "ml", optim.method = "BFGS",
             control = list(reltol = 1e-16, maxit = 10000))
  opt <- lavInspect(fit, "options")
  stopifnot(lavInspect(fit, "converged"), max(abs(lavInspect(fit, "optim.gradient"))) < 1e-7,
            opt$information[1] == "observed", opt$observed.information[1] == "hessian")
  fit
}

fit_names <- c("npar", "chisq", "df", "pvalue", "baseline.chisq", "baseline.df", "cfi", "tli",
               "rmsea", "rmsea.ci.lower", "rmsea.ci.upper", "rmsea.pvalue", "srmr", "logl",
               "unrestricted.logl", "aic", "bic", "ntotal")

# parameterEstimates (est, se) and standardizedSolution (std.all, delta-method se) side by side,
# with R^2 of the items; lavaan gives a fixed parameter se 0.
model_result <- function(fit) {
  est <- parameterEstimates(fit)
  std <- standardizedSolution(fit)
  stopifnot(identical(est$lhs, std$lhs), identical(est$op, std$op), identical(est$rhs, std$rhs))
  list(fit = as.list(unclass(fitMeasures(fit, fit_names))),
       patterns = nrow(lavInspect(fit, "patterns")),
       parameters = list(lhs = est$lhs, op = est$op, rhs = est$rhs, est = est$est, se = est$se,
                         std = std$est.std, std_se = std$se),
       r2 = as.list(lavInspect(fit, "r2")))
}

m3 <- "visual =~ x1+x2+x3\ntextual =~ x4+x5+x6\nspeed =~ x7+x8+x9"
# Measurement invariance across the two schools by FIML (configural, metric, scalar).
invariance <- lapply(list(configural = NULL, metric = "loadings", scalar = c("loadings", "intercepts")),
  function(equal) {
    fit <- cfa(m3, data = hs, group = "school", missing = "ml", group.equal = if (is.null(equal)) "" else equal,
               optim.method = "BFGS", control = list(reltol = 1e-16, maxit = 10000))
    stopifnot(lavInspect(fit, "converged"))
    as.list(unclass(fitMeasures(fit, c("chisq", "df", "cfi", "tli", "rmsea", "rmsea.ci.lower",
                                        "rmsea.ci.upper", "ntotal"))))
  })

jsonlite::write_json(
  list(versions = list(R = R.version.string, lavaan = as.character(packageVersion("lavaan"))),
       instrument = model_result(fit_tight(m3)),
       one_factor = model_result(fit_tight("g =~ x1+x2+x3+x4+x5+x6+x7+x8+x9")),
       invariance = invariance),
  "tests/data/sem_fiml_reference.json", digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null")

