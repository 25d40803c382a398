# Reference numbers for tests/test_ep_invariance.py, produced with R 4.2.2, lavaan 0.6-14 (Debian
# packages r-base-core, r-cran-lavaan, r-cran-jsonlite).
# Regenerate from the repository root with:
#   Rscript tests/data/ep_invariance_reference.R
# Do expectations (E) and perceptions (P) of the same respondents measure the same constructs?
# A two-occasion CFA of tests/data/ep_sim.csv (written by tests/data/ep_sim_generate.py): factors
# E_a, E_b, E_c on the E items and P_a, P_b, P_c on the P items, all six correlated, the first item
# of each factor its marker, and the E and P residuals of each item correlated. Levels
# (Widaman, Ferrer & Conger 2010, Child Dev. Perspect. 4(1); semTools' measEq.syntax with
# longFacNames): configural; metric (each P loading equal to its E loading); scalar (also each P
# intercept equal to its E intercept, P factor means free, E factor means 0); strict (also each P
# residual variance equal to its E residual variance). ML with mean structure, listwise deletion,
# optimised to the minimum (BFGS, reltol 1e-16) as tests/data/cfa_reference.R does.
suppressPackageStartupMessages(library(lavaan))

data <- read.csv("tests/data/ep_sim.csv")
items <- list(a = paste0("a", 1:4), b = paste0("b", 1:4), c = paste0("c", 1:4))

factor_lines <- function(occasion, level) {
  sapply(names(items), function(d) {
    terms <- sapply(seq_along(items[[d]]), function(k) {
      v <- paste0(occasion, "_", items[[d]][k])
      if (k > 1 && level != "configural") paste0("l_", items[[d]][k], "*", v) else v
    })
    paste0(occasion, "_", d, " =~ ", paste(terms, collapse = " + "))
  })
}

model_syntax <- function(level) {
  all_items <- unlist(items)
  lines <- c(factor_lines("E", level), factor_lines("P", level),
             paste0("E_", all_items, " ~~ P_", all_items))
  if (level %in% c("scalar", "strict")) {
    lines <- c(lines, paste0("E_", all_items, " ~ i_", all_items, "*1"),
               paste0("P_", all_items, " ~ i_", all_items, "*1"),
               paste0("P_", names(items), " ~ NA*1"))
  }
  if (level == "strict") {
    lines <- c(lines, paste0("E_", all_items, " ~~ r_", all_items, "*E_", all_items),
               paste0("P_", all_items, " ~~ r_", all_items, "*P_", all_items))
  }
  paste(lines, collapse = "\n")
}

fit_tight <- function(level, estimator = "ML") {
  fit <- cfa(model_syntax(level), data = data, meanstructure = TRUE, estimator = estimator,
             optim.method = "BFGS", control = list(reltol = 1e-16, maxit = 20000))
  stopifnot(lavInspect(fit, "converged"), max(abs(lavInspect(fit, "optim.gradient"))) < 1e-7)
  fit
}

levels <- c("configural", "metric", "scalar", "strict")
fits <- lapply(levels, fit_tight)
names(fits) <- levels
fit_names <- c("npar", "chisq", "df", "pvalue", "baseline.chisq", "baseline.df", "cfi", "tli",
               "rmsea", "rmsea.ci.lower", "rmsea.ci.upper", "srmr", "ntotal")
means <- parameterEstimates(fits$scalar, level = 0.95)
means <- means[means$op == "~1" & means$lhs %in% paste0("P_", names(items)), ]
std_means <- standardizedSolution(fits$scalar, level = 0.95)
std_means <- std_means[std_means$op == "~1" & std_means$lhs %in% paste0("P_", names(items)), ]
# Score tests of releasing each equality constraint of the scalar model (lavTestScore, univariate):
# the intercept of b2 should stand out.
score <- lavTestScore(fits$scalar)$uni
labels <- parTable(fits$scalar)

# The same levels with MLR: the Yuan-Bentler scaled chi-square, robust CFI and RMSEA, and the
# Satorra-Bentler (2001) scaled difference of each level against the one before.
mlr <- lapply(levels, fit_tight, estimator = "MLR")
names(mlr) <- levels
robust_names <- c("chisq", "chisq.scaled", "chisq.scaling.factor", "cfi.robust", "rmsea.robust")
sb <- function(a, b) {
  d <- lavTestLRT(mlr[[b]], mlr[[a]], method = "satorra.bentler.2001")
  list(chisq = d[["Chisq diff"]][2], df = d[["Df diff"]][2], p = d[["Pr(>Chisq)"]][2])
}

jsonlite::write_json(
  list(versions = list(R = R.version.string, lavaan = as.character(packageVersion("lavaan"))),
       fit = lapply(fits, function(f) as.list(unclass(fitMeasures(f, fit_names)))),
       mlr = lapply(mlr, function(f) as.list(unclass(fitMeasures(f, robust_names)))),
       mlr_difference = list(metric = sb("configural", "metric"), scalar = sb("metric", "scalar")),
       latent_means = list(factor = means$lhs, est = means$est, se = means$se, z = means$z,
                           pvalue = means$pvalue, ci_lower = means$ci.lower, ci_upper = means$ci.upper,
                           std = std_means$est.std),
       score = list(lhs = score$lhs, rhs = score$rhs, x2 = score$X2, df = score$df,
                    pvalue = score$p.value,
                    lhs_label = labels$label[match(score$lhs, labels$plabel)],
                    rhs_label = labels$label[match(score$rhs, labels$plabel)])),
  "tests/data/ep_invariance_reference.json", digits = NA, auto_unbox = TRUE, pretty = TRUE)
