# Reference numbers for tests/test_sem_mlr.py (the MLR estimator of servqual.sem), produced with
# R 4.2.2, lavaan 0.6-14 (Debian packages r-base-core, r-cran-lavaan, r-cran-jsonlite).
# Regenerate from the repository root with:
#   Rscript tests/data/sem_mlr_reference.R
# It reads tests/data/holzinger_swineford.csv and tests/data/cfa_sim4.csv and writes
# tests/data/sem_mlr_reference.json:
# - the Holzinger-Swineford three-factor model fitted with estimator = "ML" and "MLR" (fit
#   measures with the Yuan-Bentler scaled and the robust CFI/TLI/RMSEA, every parameter with its
#   standard error; for MLR the Huber-White sandwich SEs), and the MLR options lavaan chose;
# - the configural, metric and scalar multi-group models by school with estimator = "MLR", and
#   lavTestLRT(..., method = "satorra.bentler.2001") between consecutive levels;
# - the simulated 4-factor model (Likert items, misfit) with MLR, as a second data set;
# - Mardia's multivariate kurtosis of both data sets (psych::mardia would do the same; by hand).
suppressPackageStartupMessages(library(lavaan))

hs <- read.csv("tests/data/holzinger_swineford.csv")
sim <- read.csv("tests/data/cfa_sim4.csv")
sim <- sim[complete.cases(sim[, paste0("y", 1:16)]), ]

# Fitted to the minimum itself (see tests/data/cfa_reference.R): BFGS with reltol 1e-16 leaves
# the gradient below 1e-7, so that estimates can be compared to 1e-6.
fit_tight <- function(model, data, ...) {
  fit <- cfa(model, data = data, optim.method = "BFGS", control = list(reltol = 1e-16, maxit = 10000), ...)
  stopifnot(lavInspect(fit, "converged"), max(abs(lavInspect(fit, "optim.gradient"))) < 1e-7)
  fit
}

fit_names <- c("npar", "chisq", "df", "pvalue", "chisq.scaled", "df.scaled", "pvalue.scaled",
               "chisq.scaling.factor", "baseline.chisq", "baseline.df", "baseline.pvalue",
               "baseline.chisq.scaled", "baseline.df.scaled", "baseline.pvalue.scaled",
               "baseline.chisq.scaling.factor", "cfi", "tli", "cfi.scaled", "tli.scaled",
               "cfi.robust", "tli.robust", "rmsea", "rmsea.ci.lower", "rmsea.ci.upper",
               "rmsea.pvalue", "rmsea.scaled", "rmsea.ci.lower.scaled", "rmsea.ci.upper.scaled",
               "rmsea.pvalue.scaled", "rmsea.robust", "rmsea.ci.lower.robust",
               "rmsea.ci.upper.robust", "rmsea.pvalue.robust", "srmr", "logl", "unrestricted.logl",
               "aic", "bic", "ntotal")

fit_measures <- function(fit) {
  available <- fitMeasures(fit)
  as.list(unclass(available[intersect(fit_names, names(available))]))
}

parameters <- function(fit) {
  est <- parameterEstimates(fit, level = 0.95)
  std <- standardizedSolution(fit, level = 0.95)
  list(group = est$group, lhs = est$lhs, op = est$op, rhs = est$rhs, est = est$est, se = est$se,
       z = est$z, pvalue = est$pvalue, std = std$est.std, std_se = std$se)
}

options_of <- function(fit) {
  o <- lavInspect(fit, "options")
  list(estimator = o$estimator, se = o$se, test = o$test, information = o$information,
       observed.information = o$observed.information, h1.information = o$h1.information,
       h1.information.meat = o$h1.information.meat, meanstructure = o$meanstructure)
}

model_result <- function(fit) {
  list(fit = fit_measures(fit), parameters = parameters(fit), options = options_of(fit))
}

# Mardia's multivariate kurtosis b2p = mean(d_i^4), d_i the Mahalanobis distance with the ML
# covariance matrix (divisor n); under normality E(b2p) = p (p + 2), and
# z = (b2p - p (p + 2)) / sqrt(8 p (p + 2) / n) (Mardia 1970, Biometrika 57(3)).
mardia <- function(x) {
  x <- as.matrix(x)
  n <- nrow(x); p <- ncol(x)
  centred <- sweep(x, 2, colMeans(x))
  s <- crossprod(centred) / n
  d2 <- rowSums((centred %*% solve(s)) * centred)
  b2p <- mean(d2^2)
  list(n = n, p = p, b2p = b2p, z = (b2p - p * (p + 2)) / sqrt(8 * p * (p + 2) / n))
}

levels <- list(configural = "", metric = "loadings", scalar = c("loadings", "intercepts"))

invariance <- function(model, data, group) {
  fits <- lapply(levels, function(eq) fit_tight(model, data, group = group, group.equal = eq,
                                                estimator = "MLR"))
  out <- lapply(fits, function(fit) list(fit = fit_measures(fit), parameters = parameters(fit)))
  for (i in seq_along(fits)[-1]) {
    test <- lavTestLRT(fits[[i - 1]], fits[[i]], method = "satorra.bentler.2001")
    out[[i]]$difference <- list(chisq_diff = test[["Chisq diff"]][2], df_diff = test[["Df diff"]][2],
                                p = test[["Pr(>Chisq)"]][2])
  }
  out
}

m3 <- "visual =~ x1+x2+x3\ntextual =~ x4+x5+x6\nspeed =~ x7+x8+x9"
m4 <- "F1 =~ y1+y2+y3+y4\nF2 =~ y5+y6+y7+y8\nF3 =~ y9+y10+y11+y12\nF4 =~ y13+y14+y15+y16"

jsonlite::write_json(
  list(versions = list(R = R.version.string, lavaan = as.character(packageVersion("lavaan"))),
       holzinger_swineford = list(
         ml = model_result(fit_tight(m3, hs, estimator = "ML")),
         mlr = model_result(fit_tight(m3, hs, estimator = "MLR")),
         second_order_mlr = model_result(fit_tight(paste(m3, "\nq =~ visual + textual + speed"), hs,
                                                   estimator = "MLR")),
         invariance_mlr = invariance(m3, hs, "school"),
         mardia = mardia(hs[, paste0("x", 1:9)])),
       simulated = list(
         mlr = model_result(fit_tight(m4, sim, estimator = "MLR")),
         mardia = mardia(sim[, paste0("y", 1:16)]))),
  "tests/data/sem_mlr_reference.json", digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null")
