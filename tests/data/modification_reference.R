# Reference numbers for tests/test_modification.py, produced with R 4.2.2, lavaan 0.6-14 (Debian
# packages r-base-core, r-cran-lavaan, r-cran-jsonlite).
# Regenerate from the repository root with:
#   Rscript tests/data/modification_reference.R
# Modification indices, expected parameter changes and standardized EPCs (modindices(fit,
# sort. = FALSE): mi, epc, sepc.all) of every residual covariance between items and every
# cross-loading not in the model, for the three-factor model of the Holzinger-Swineford data
# (tests/data/holzinger_swineford.csv) and the four-factor model of tests/data/cfa_sim4.csv
# (a planted cross-loading of y8 on F3 and residual covariance of y13 and y14). Models optimised
# to the minimum as in tests/data/cfa_reference.R (BFGS, reltol 1e-16).
suppressPackageStartupMessages(library(lavaan))

fit_tight <- function(model, data) {
  fit <- cfa(model, data = data, optim.method = "BFGS", control = list(reltol = 1e-16, maxit = 10000))
  stopifnot(lavInspect(fit, "converged"), max(abs(lavInspect(fit, "optim.gradient"))) < 1e-7)
  fit
}

candidates <- function(fit) {
  items <- lavNames(fit, "ov")
  mi <- modindices(fit, sort. = FALSE)
  keep <- (mi$op == "~~" & mi$lhs %in% items & mi$rhs %in% items & mi$lhs != mi$rhs) |
    (mi$op == "=~" & mi$rhs %in% items)
  mi <- mi[keep, ]
  list(lhs = mi$lhs, op = mi$op, rhs = mi$rhs, mi = mi$mi, epc = mi$epc, sepc_all = mi$sepc.all)
}

hs <- read.csv("tests/data/holzinger_swineford.csv")
sim <- read.csv("tests/data/cfa_sim4.csv")
m3 <- "visual =~ x1+x2+x3\ntextual =~ x4+x5+x6\nspeed =~ x7+x8+x9"
m4 <- "F1 =~ y1+y2+y3+y4\nF2 =~ y5+y6+y7+y8\nF3 =~ y9+y10+y11+y12\nF4 =~ y13+y14+y15+y16"

jsonlite::write_json(
  list(versions = list(R = R.version.string, lavaan = as.character(packageVersion("lavaan"))),
       holzinger_swineford = candidates(fit_tight(m3, hs)),
       simulated = candidates(fit_tight(m4, sim))),
  "tests/data/modification_reference.json", digits = NA, auto_unbox = TRUE, pretty = TRUE)
