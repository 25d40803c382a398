# Reference numbers for tests/test_ordinal.py, produced with R 4.2.2, lavaan 0.6-14 (Debian
# packages r-base-core, r-cran-lavaan, r-cran-jsonlite).
# Regenerate from the repository root with:
#   Rscript tests/data/ordinal_reference.R
# Ordinal CFA of tests/data/efa_bfi.csv (the first 1000 rows of psych::bfi, written by
# tests/data/efa_reference.R), complete cases: the five-factor model on the 25 six-point items,
# and a model of 10 of them collapsed to five points (categories 1 and 2 merged), each fitted as
# lavaan's cfa(..., ordered = TRUE) (WLSMV: DWLS estimates from the polychoric correlations, robust
# standard errors, the mean- and variance-adjusted test), optimised to the minimum. Also the
# sample statistics those fits start from: thresholds, polychoric correlations and their
# asymptotic covariance matrix (lavInspect "gamma"; NACOV = N times the covariance of the
# estimates; whole for the five-point model, its diagonal for the six-point one). And the
# second-order model of the six-point items (the five factors on one factor Q), for the
# standardized second-order loadings and disturbance variances; and lavTestLRT of a one-factor
# model of the five-point items against their two-factor model. And modindices of each model: the
# residual covariances between items and the cross-loadings.
suppressPackageStartupMessages(library(lavaan))
source("tests/data/ordinal_common.R")

bfi <- na.omit(read.csv("tests/data/efa_bfi.csv"))
five <- "
A =~ A1 + A2 + A3 + A4 + A5
C =~ C1 + C2 + C3 + C4 + C5
E =~ E1 + E2 + E3 + E4 + E5
N =~ N1 + N2 + N3 + N4 + N5
O =~ O1 + O2 + O3 + O4 + O5
"
small <- five_point(bfi)
second <- paste(five, "Q =~ A + C + E + N + O\n")
two <- two_factor

fit_names <- c(wlsmv_fit_names, "cfi.robust", "tli.robust", "rmsea.robust", "rmsea.ci.lower.robust", "rmsea.ci.upper.robust",
               "rmsea.pvalue.robust")

# BFGS settles the second-order model's gradient within about 4e-7 (estimates to well below 1e-4)
result <- function(model, data, full_gamma, gradient_tol = 1e-7) {
  fit <- cfa(model, data = data, ordered = TRUE, estimator = "WLSMV",
             optim.method = "BFGS", control = list(reltol = 1e-16, maxit = 10000))
  stopifnot(max(abs(lavInspect(fit, "optim.gradient"))) < gradient_tol)
  stopifnot(lavInspect(fit, "converged"))
  est <- parameterEstimates(fit, level = 0.95)
  std <- standardizedSolution(fit, level = 0.95)
  stats <- lavInspect(fit, "sampstat")
  mi <- modindices(fit, sort. = FALSE)
  mi <- mi[mi$op == "=~" | (mi$op == "~~" & mi$lhs %in% lavNames(fit, "ov") & mi$lhs != mi$rhs), ]
  list(fit = as.list(unclass(fitMeasures(fit, fit_names))),
       test = list(shift = lavInspect(fit, "test")[[2]]$shift.parameter,
                   scale = lavInspect(fit, "test")[[2]]$scaling.factor,
                   stat = lavInspect(fit, "test")[[1]]$stat),
       parameters = list(lhs = est$lhs, op = est$op, rhs = est$rhs, est = est$est, se = est$se,
                         std = std$est.std, std_se = std$se),
       thresholds = unname(stats$th), polychoric = unclass(stats$cov),
       gamma = if (full_gamma) unclass(lavInspect(fit, "gamma")) else diag(lavInspect(fit, "gamma")),
       items = colnames(stats$cov),
       modindices = list(lhs = mi$lhs, op = mi$op, rhs = mi$rhs, mi = mi$mi, epc = mi$epc, sepc_all = mi$sepc.all))
}

# The one-factor model of the five-point items against the two-factor one: lavTestLRT's default
# for WLSMV, the scaled-and-shifted difference (method "satorra.2000").
fit_ordered <- function(model, data) {
  cfa(model, data = data, ordered = TRUE, estimator = "WLSMV", optim.method = "BFGS",
      control = list(reltol = 1e-16, maxit = 10000))
}
one <- "G =~ A1 + A2 + A3 + A4 + A5 + N1 + N2 + N3 + N4 + N5"
lrt <- lavTestLRT(fit_ordered(two, small), fit_ordered(one, small))

jsonlite::write_json(
  list(versions = list(R = R.version.string, lavaan = as.character(packageVersion("lavaan"))),
       six_point = result(five, bfi, FALSE), five_point = result(two, small, TRUE),
       second_order = result(second, bfi, FALSE, 1e-6),
       five_point_lrt = list(delta_chisq = lrt$`Chisq diff`[2], delta_df = lrt$`Df diff`[2],
                             pvalue = lrt$`Pr(>Chisq)`[2], method = attr(lrt, "heading"))),
  "tests/data/ordinal_reference.json", digits = NA, auto_unbox = TRUE, pretty = FALSE)
