# Reference numbers for tests/test_cfa.py, produced with R 4.2.2, lavaan 0.6-14 (Debian packages
# r-base-core, r-cran-lavaan, r-cran-jsonlite).
# Regenerate from the repository root with:
#   Rscript tests/data/cfa_reference.R
# It reads tests/data/holzinger_swineford.csv (written by tests/data/holzinger_swineford.R) and
# tests/data/cfa_sim4.csv (written by tests/data/cfa_sim4_generate.py: 400 simulated respondents,
# 16 items rated 1..7 in 4 dimensions of 4 items, a cross-loading of y8 on F3 and a residual
# covariance of y13 and y14 as misfit, 12 missing cells), and writes tests/data/cfa_reference.json.
suppressPackageStartupMessages(library(lavaan))

hs <- read.csv("tests/data/holzinger_swineford.csv")
sim <- read.csv("tests/data/cfa_sim4.csv")

# Every model is fitted by ML as cfa() does by default, but optimised to the minimum itself:
# nlminb, lavaan's default optimiser, stops where the gradient is still about 1e-6, which moves
# estimates in their sixth digit (up to 6e-5 relative in the one-factor model); BFGS with
# reltol 1e-16 stops within about 1e-7 of the minimum (lavInspect(fit, "optim.gradient")
# below 3e-8), so that parameter estimates can be compared to 1e-6.
fit_tight <- function(model, data) {
  fit <- cfa(model, data = data, optim.method = "BFGS", control = list(reltol = 1e-16, maxit = 10000))
  stopifnot(lavInspect(fit, "converged"), max(abs(lavInspect(fit, "optim.gradient"))) < 1e-7)
  fit
}

fit_names <- c("npar", "chisq", "df", "pvalue", "baseline.chisq", "baseline.df", "cfi", "tli",
               "rmsea", "rmsea.ci.lower", "rmsea.ci.upper", "rmsea.pvalue", "srmr", "logl",
               "unrestricted.logl", "aic", "bic", "ntotal")

fit_measures <- function(fit) as.list(unclass(fitMeasures(fit, fit_names)))

# Standardized solution (Std.all) of the rows with one operator, as columns lhs, rhs, est, se,
# z, pvalue, ci_lower, ci_upper (delta-method SE; CI est.std +- qnorm(.975) se).
standardized <- function(fit, operator) {
  s <- standardizedSolution(fit, level = 0.95)
  s <- s[s$op == operator & s$lhs != s$rhs, ]
  list(lhs = s$lhs, rhs = s$rhs, est = s$est.std, se = s$se, z = s$z, pvalue = s$pvalue,
       ci_lower = s$ci.lower, ci_upper = s$ci.upper)
}

# Unstandardized estimates of the loadings (=~), as columns lhs, rhs, est, se, z, pvalue,
# ci_lower, ci_upper (SE from the inverse expected information; CI est +- qnorm(.975) se).
# lavaan gives a marker loading (fixed to 1) se 0, z and pvalue NA (null here), CI [1, 1].
unstandardized_loadings <- function(fit) {
  s <- parameterEstimates(fit, level = 0.95)
  s <- s[s$op == "=~", ]
  list(lhs = s$lhs, rhs = s$rhs, est = s$est, se = s$se, z = s$z, pvalue = s$pvalue,
       ci_lower = s$ci.lower, ci_upper = s$ci.upper)
}

# Every parameter (loadings, second-order loadings, residual variances, factor variances and
# covariances) with parameterEstimates (est, se, z, pvalue, CI) and standardizedSolution (std.all
# with its delta-method se, z, pvalue, CI), as columns; lavaan gives a fixed parameter se 0 and z,
# pvalue NA (null here).
all_parameters <- function(fit) {
  est <- parameterEstimates(fit, level = 0.95)
  std <- standardizedSolution(fit, level = 0.95)
  stopifnot(identical(est$lhs, std$lhs), identical(est$op, std$op), identical(est$rhs, std$rhs))
  list(lhs = est$lhs, op = est$op, rhs = est$rhs, est = est$est, se = est$se, z = est$z,
       pvalue = est$pvalue, ci_lower = est$ci.lower, ci_upper = est$ci.upper,
       std = std$est.std, std_se = std$se, std_z = std$z, std_pvalue = std$pvalue,
       std_ci_lower = std$ci.lower, std_ci_upper = std$ci.upper)
}

# Residual-covariance modification indices between items, largest first, with lavaan's residual
# correlation of each pair.
residual_hints <- function(fit) {
  items <- lavNames(fit, "ov")
  mi <- modindices(fit, op = "~~", sort. = TRUE)
  mi <- mi[mi$lhs %in% items & mi$rhs %in% items & mi$lhs != mi$rhs, ]
  resid <- residuals(fit, type = "cor")$cov
  list(lhs = mi$lhs, rhs = mi$rhs, mi = mi$mi,
       residual_r = resid[cbind(mi$lhs, mi$rhs)])
}

model_result <- function(fit) {
  list(fit = fit_measures(fit), loadings = standardized(fit, "=~"),
       estimates = unstandardized_loadings(fit), parameters = all_parameters(fit),
       covariances = standardized(fit, "~~"), r2 = as.list(lavInspect(fit, "r2")))
}

# Heterotrait-monotrait ratio by hand from the item correlations (Henseler et al. 2015).
htmt <- function(R, a, b) {
  mono <- function(v) { r <- R[v, v]; mean(r[lower.tri(r)]) }
  mean(R[a, b]) / sqrt(mono(a) * mono(b))
}

m3 <- "visual =~ x1+x2+x3\ntextual =~ x4+x5+x6\nspeed =~ x7+x8+x9"
f3 <- fit_tight(m3, hs)
f1 <- fit_tight("g =~ x1+x2+x3+x4+x5+x6+x7+x8+x9", hs)
f2 <- fit_tight(paste(m3, "\nq =~ visual + textual + speed"), hs)
comparison <- anova(f3, f1)
R <- cor(hs[, paste0("x", 1:9)])
dims <- list(visual = paste0("x", 1:3), textual = paste0("x", 4:6), speed = paste0("x", 7:9))
pairs <- combn(names(dims), 2, simplify = FALSE)

m4 <- "F1 =~ y1+y2+y3+y4\nF2 =~ y5+y6+y7+y8\nF3 =~ y9+y10+y11+y12\nF4 =~ y13+y14+y15+y16"
s4 <- fit_tight(m4, sim)
s1 <- fit_tight(paste("G =~", paste(paste0("y", 1:16), collapse = "+")), sim)
s2 <- fit_tight(paste(m4, "\nQ =~ F1 + F2 + F3 + F4"), sim)

# Fit indices from summary statistics alone, by lavaan's own functions: a well-fitting model
# (chi-square below its df) where CFI is clamped at 1 and TLI is not.
good <- list(chisq = 91.699, df = 98, baseline_chisq = 1306.910, baseline_df = 120, n = 400)
good_ci <- lavaan:::lav_fit_rmsea_ci(X2 = good$chisq, df = good$df, N = good$n)
good_fit <- c(good, list(
  cfi = lavaan:::lav_fit_cfi(X2 = good$chisq, df = good$df, X2.null = good$baseline_chisq,
                             df.null = good$baseline_df),
  tli = lavaan:::lav_fit_nnfi(X2 = good$chisq, df = good$df, X2.null = good$baseline_chisq,
                              df.null = good$baseline_df),
  rmsea = lavaan:::lav_fit_rmsea(X2 = good$chisq, df = good$df, N = good$n),
  rmsea.ci.lower = good_ci$rmsea.ci.lower, rmsea.ci.upper = good_ci$rmsea.ci.upper))

jsonlite::write_json(
  list(versions = list(R = R.version.string, lavaan = as.character(packageVersion("lavaan"))),
       holzinger_swineford = list(
         instrument = c(model_result(f3), list(hints = residual_hints(f3))),
         one_factor = c(model_result(f1), list(
           anova = list(chisq_diff = comparison[["Chisq diff"]][2],
                        df_diff = comparison[["Df diff"]][2],
                        p = comparison[["Pr(>Chisq)"]][2]))),
         second_order = model_result(f2),
         htmt = list(a = sapply(pairs, `[`, 1), b = sapply(pairs, `[`, 2),
                     value = sapply(pairs, function(p) htmt(R, dims[[p[1]]], dims[[p[2]]])))),
       simulated = list(
         instrument = c(model_result(s4), list(hints = residual_hints(s4))),
         one_factor = model_result(s1),
         second_order = model_result(s2)),
       fit_indices_good_fit = good_fit),
  "tests/data/cfa_reference.json", digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null")
