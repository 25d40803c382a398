# Reference numbers for WLSMV measurement invariance (ordinal items), produced with R 4.2.2 and
# lavaan 0.6-14 (Debian packages r-base-core, r-cran-lavaan, r-cran-jsonlite).
# Regenerate from the repository root with:
#   Rscript tests/data/ordinal_invariance_reference.R
# Data: the complete cases of tests/data/efa_bfi.csv (the first 1000 rows of psych::bfi), the
# ten A and N items collapsed to five points (categories 1 and 2 merged, as in
# ordinal_reference.R), in two groups: the first half of the complete rows and the second.
# Models: lavaan's cfa(..., ordered = TRUE, group = "g") (WLSMV, delta parameterization) at the
# configural level, with group.equal = "loadings" (metric) and with
# group.equal = c("thresholds", "loadings") (scalar: lavaan then frees the latent means and the
# scaling factors of the second group), optimised to the minimum; fit measures, the scaled test's
# shift and scale, parameterEstimates (with the group), and lavTestLRT of the three (its default
# for WLSMV: the scaled-and-shifted difference test, method "satorra.2000").
# Partial invariance: lavTestScore's univariate score tests of the equality constraints of the
# metric and scalar models (for DWLS: N g' Z1+ g with g lavaan's gradient and the expected
# information J'WJ, the "ordinary" test lavaan falls back to), with the parameter table to name
# them, and the scalar model refitted with every threshold of the item whose threshold
# constraint had the largest test released (group.partial = c("item|t1", ...)).
# The scalar model with that item's loading released as well (its scale factor fixed to 1).
# Strict invariance: parameterization = "theta" at the scalar level (the residual variances of the
# latent responses fixed to 1 in the first group, free in the second) and with "residuals" added
# (1 in both groups), with lavTestLRT of the two.
suppressPackageStartupMessages(library(lavaan))
source("tests/data/ordinal_common.R")

bfi <- na.omit(read.csv("tests/data/efa_bfi.csv"))
d <- five_point(bfi)
d$g <- ifelse(seq_len(nrow(d)) <= nrow(d) %/% 2, "first", "second")
model <- two_factor
# with the robust CFI, TLI and RMSEA (Savalei 2021; lavaan 0.6-14 gives them only where the
# thresholds are free across groups: NA at the scalar and strict levels)
fit_names <- c(wlsmv_fit_names, "cfi.robust", "tli.robust", "rmsea.robust", "rmsea.ci.lower.robust",
               "rmsea.ci.upper.robust", "rmsea.pvalue.robust")

fit_level <- function(equal, partial = "", parameterization = "delta", syntax = model) {
  fit <- cfa(syntax, data = d, ordered = TRUE, group = "g", group.equal = equal, group.partial = partial,
             estimator = "WLSMV", parameterization = parameterization,
             optim.method = "BFGS", control = list(reltol = 1e-16, maxit = 10000))
  stopifnot(lavInspect(fit, "converged"))
  fit
}
levels <- list(configural = fit_level(""), metric = fit_level("loadings"),
               scalar = fit_level(c("thresholds", "loadings")))
result <- function(fit) {
  est <- parameterEstimates(fit, level = 0.95)
  test <- lavInspect(fit, "test")
  list(fit = as.list(unclass(fitMeasures(fit, fit_names))),
       gradient = max(abs(lavInspect(fit, "optim.gradient"))),
       test = list(shift = test[[2]]$shift.parameter, scale = test[[2]]$scaling.factor),
       parameters = list(group = est$group, lhs = est$lhs, op = est$op, rhs = est$rhs, est = est$est,
                         se = est$se))
}
scores <- function(fit) {
  uni <- suppressWarnings(lavTestScore(fit))$uni
  pt <- parTable(fit)
  list(lhs = uni$lhs, rhs = uni$rhs, X2 = uni$X2,
       table = list(plabel = pt$plabel, lhs = pt$lhs, op = pt$op, rhs = pt$rhs, group = pt$group))
}
score_tests <- list(metric = scores(levels$metric), scalar = scores(levels$scalar))
pt <- parTable(levels$scalar)
uni <- suppressWarnings(lavTestScore(levels$scalar))$uni
is_threshold <- pt$op[match(uni$rhs, pt$plabel)] == "|"
worst <- pt$lhs[match(uni$rhs[is_threshold][which.max(uni$X2[is_threshold])], pt$plabel)]
partial_fit <- fit_level(c("thresholds", "loadings"),
                         partial = pt$lhs[pt$op == "|" & pt$lhs == worst & pt$group == 1] |>
                           paste0("|", pt$rhs[pt$op == "|" & pt$lhs == worst & pt$group == 1]))
# the same item's loading and thresholds released: its scale factor fixed to 1 in both groups
# (lavaan keeps it free otherwise, and that model is not identified)
both_fit <- fit_level(c("thresholds", "loadings"), partial = c(paste0("A=~", worst), pt$lhs[pt$op == "|" &
                        pt$lhs == worst & pt$group == 1] |> paste0("|", pt$rhs[pt$op == "|" & pt$lhs == worst &
                        pt$group == 1])), syntax = paste0(model, worst, " ~*~ c(1, 1)*", worst, "\n"))
theta <- list(scalar = fit_level(c("thresholds", "loadings"), parameterization = "theta"),
              strict = fit_level(c("thresholds", "loadings", "residuals"), parameterization = "theta"))
strict_lrt <- lavTestLRT(theta$scalar, theta$strict)
lrt <- lavTestLRT(levels$configural, levels$metric, levels$scalar)
jsonlite::write_json(
  list(versions = list(R = R.version.string, lavaan = as.character(packageVersion("lavaan"))),
       items = five_point_items, n_first = sum(d$g == "first"), n_second = sum(d$g == "second"),
       levels = lapply(levels, result),
       lrt = list(model = rownames(lrt), df = lrt$Df, chisq = lrt$Chisq, delta_chisq = lrt$`Chisq diff`,
                  delta_df = lrt$`Df diff`, pvalue = lrt$`Pr(>Chisq)`, method = attr(lrt, "heading")),
       score_tests = score_tests, partial = c(list(item = worst), result(partial_fit)),
       both = result(both_fit),
       theta = list(levels = lapply(theta, result),
                    lrt = list(df = strict_lrt$Df, delta_chisq = strict_lrt$`Chisq diff`,
                               delta_df = strict_lrt$`Df diff`, pvalue = strict_lrt$`Pr(>Chisq)`))),
  "tests/data/ordinal_invariance_reference.json", digits = NA, auto_unbox = TRUE, pretty = FALSE)
