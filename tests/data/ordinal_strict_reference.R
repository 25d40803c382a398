# Reference numbers for WLSMV strict invariance (theta parameterization), produced with R 4.2.2 and
# lavaan 0.6-14 (Debian packages r-base-core, r-cran-lavaan, r-cran-jsonlite).
# Regenerate from the repository root with:
#   Rscript tests/data/ordinal_strict_reference.R
# Data as tests/data/ordinal_invariance_reference.R (the ten A and N items of the complete cases of
# tests/data/efa_bfi.csv collapsed to five points, two halves). Models: lavaan's
# cfa(..., ordered = TRUE, group = "g", parameterization = "theta") at the scalar level
# (group.equal = c("thresholds", "loadings"): the residual variances of the latent responses fixed
# to 1 in the first group and free in the second) and the strict level (also "residuals": fixed
# to 1 in both), with fit measures, parameterEstimates and lavTestLRT of the two.
suppressPackageStartupMessages(library(lavaan))

bfi <- na.omit(read.csv("tests/data/efa_bfi.csv"))
items <- c("A1", "A2", "A3", "A4", "A5", "N1", "N2", "N3", "N4", "N5")
d <- bfi[, items]
d[d == 1] <- 2
d <- d - 1
d$g <- ifelse(seq_len(nrow(d)) <= nrow(d) %/% 2, "first", "second")
model <- "
A =~ A1 + A2 + A3 + A4 + A5
N =~ N1 + N2 + N3 + N4 + N5
"
fit_level <- function(equal) {
  fit <- cfa(model, data = d, ordered = TRUE, group = "g", group.equal = equal, estimator = "WLSMV",
             parameterization = "theta", optim.method = "BFGS", control = list(reltol = 1e-16, maxit = 10000))
  stopifnot(lavInspect(fit, "converged"))
  fit
}
levels <- list(scalar = fit_level(c("thresholds", "loadings")),
               strict = fit_level(c("thresholds", "loadings", "residuals")))
result <- function(fit) {
  est <- parameterEstimates(fit, level = 0.95)
  list(fit = as.list(unclass(fitMeasures(fit, c("npar", "chisq", "df", "chisq.scaled", "cfi.scaled",
                                                 "rmsea.scaled")))),
       parameters = list(group = est$group, lhs = est$lhs, op = est$op, rhs = est$rhs, est = est$est,
                         se = est$se))
}
lrt <- lavTestLRT(levels$scalar, levels$strict)
jsonlite::write_json(
  list(versions = list(R = R.version.string, lavaan = as.character(packageVersion("lavaan"))),
       levels = lapply(levels, result),
       lrt = list(df = lrt$Df, chisq = lrt$Chisq, delta_chisq = lrt$`Chisq diff`, delta_df = lrt$`Df diff`,
                  pvalue = lrt$`Pr(>Chisq)`)),
  "tests/data/ordinal_strict_reference.json", digits = NA, auto_unbox = TRUE, pretty = FALSE)
