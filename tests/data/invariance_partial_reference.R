# Reference numbers for the strict and partial levels in tests/test_invariance.py, produced with
# R 4.2.2, lavaan 0.6-14 (Debian packages r-base-core, r-cran-lavaan, r-cran-jsonlite).
# Regenerate from the repository root with:
#   Rscript tests/data/invariance_partial_reference.R
# Holzinger & Swineford (1939) by school (tests/data/holzinger_swineford.csv, lavaan's
# HolzingerSwineford1939), the three-factor model, with ML and with MLR:
# - each level's fit: configural, metric (group.equal = "loadings"), scalar (and "intercepts"),
#   strict (and "residuals");
# - lavTestScore(scalar)$uni: the univariate score test of each equality constraint;
# - partial scalar invariance: group.partial = "x3 ~ 1" (the largest score test), its score
#   tests, then group.partial = c("x3 ~ 1", "x7 ~ 1"); partial strict on top of the latter;
# - the latent means of the Grant-White school (group 2) under partial scalar invariance, with
#   SEs and 95% CIs, and the factor variances of Pasteur (group 1, the reference group).
# Optimised to the minimum (BFGS, reltol 1e-16) as tests/data/cfa_reference.R does.
suppressPackageStartupMessages(library(lavaan))

hs <- read.csv("tests/data/holzinger_swineford.csv")
model <- "visual =~ x1+x2+x3\ntextual =~ x4+x5+x6\nspeed =~ x7+x8+x9"
equal <- list(configural = "", metric = "loadings", scalar = c("loadings", "intercepts"),
              strict = c("loadings", "intercepts", "residuals"))

fit_tight <- function(eq, partial = "", estimator = "ML") {
  fit <- cfa(model, data = hs, group = "school", group.equal = eq, group.partial = partial,
             estimator = estimator, optim.method = "BFGS", control = list(reltol = 1e-16, maxit = 20000))
  stopifnot(lavInspect(fit, "converged"), max(abs(lavInspect(fit, "optim.gradient"))) < 1e-7)
  fit
}

fit_names <- c("npar", "chisq", "df", "pvalue", "cfi", "tli", "rmsea", "rmsea.ci.lower", "rmsea.ci.upper")
robust_names <- c(fit_names, "chisq.scaled", "chisq.scaling.factor", "cfi.robust", "tli.robust", "rmsea.robust")

score_table <- function(fit) {
  score <- lavTestScore(fit)$uni
  pt <- parTable(fit)
  row <- match(score$rhs, pt$plabel)  # the group-2 side of each constraint
  list(lhs = pt$lhs[row], op = pt$op[row], rhs = pt$rhs[row], group = pt$group[row], x2 = score$X2,
       df = score$df, pvalue = score$p.value)
}

ladder <- function(estimator) {
  names <- if (estimator == "ML") fit_names else robust_names
  fits <- lapply(equal, fit_tight, estimator = estimator)
  partial1 <- fit_tight(equal$scalar, "x3 ~ 1", estimator)
  partial2 <- fit_tight(equal$scalar, c("x3 ~ 1", "x7 ~ 1"), estimator)
  strict <- fit_tight(equal$strict, c("x3 ~ 1", "x7 ~ 1"), estimator)
  measures <- function(f) as.list(unclass(fitMeasures(f, names)))
  est <- parameterEstimates(partial2, level = 0.95)
  means <- est[est$op == "~1" & est$lhs %in% c("visual", "textual", "speed") & est$group == 2, ]
  vars <- est[est$op == "~~" & est$lhs == est$rhs & est$lhs %in% c("visual", "textual", "speed"), ]
  list(fit = lapply(fits, measures),
       scalar_partial = list(x3 = measures(partial1), x3_x7 = measures(partial2)),
       strict_partial = measures(strict),
       score_scalar = score_table(fits$scalar), score_scalar_x3 = score_table(partial1),
       latent_means = list(factor = means$lhs, est = means$est, se = means$se, z = means$z,
                           pvalue = means$pvalue, ci_lower = means$ci.lower, ci_upper = means$ci.upper),
       factor_variances = list(factor = vars$lhs, group = vars$group, est = vars$est))
}

jsonlite::write_json(
  list(versions = list(R = R.version.string, lavaan = as.character(packageVersion("lavaan"))),
       ML = ladder("ML"), MLR = ladder("MLR")),
  "tests/data/invariance_partial_reference.json", digits = NA, auto_unbox = TRUE, pretty = TRUE)
