# Reference numbers for tests/test_invariance.py, produced with R 4.2.2, lavaan 0.6-14 (Debian
# packages r-base-core, r-cran-lavaan, r-cran-jsonlite).
# Regenerate from the repository root with:
#   Rscript tests/data/invariance_reference.R
# It fits the configural, metric (equal loadings) and scalar (and equal intercepts) multi-group
# CFAs to tests/data/holzinger_swineford.csv by school and to tests/data/cfa_sim4.csv by group
# (group B has shifted intercepts of y3 and y10), and writes tests/data/invariance_reference.json:
# each level's fitMeasures and the chi-square difference test against the level before it.
suppressPackageStartupMessages(library(lavaan))

hs <- read.csv("tests/data/holzinger_swineford.csv")
sim <- read.csv("tests/data/cfa_sim4.csv")

fit_names <- c("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "rmsea.ci.lower", "rmsea.ci.upper",
               "ntotal")
levels <- list(configural = "", metric = "loadings", scalar = c("loadings", "intercepts"))

invariance <- function(model, data, group) {
  fits <- lapply(levels, function(eq) cfa(model, data = data, group = group, group.equal = eq))
  out <- lapply(fits, function(fit) list(fit = as.list(unclass(fitMeasures(fit, fit_names)))))
  for (i in seq_along(fits)[-1]) {
    test <- anova(fits[[i - 1]], fits[[i]])
    out[[i]]$difference <- list(chisq_diff = test[["Chisq diff"]][2], df_diff = test[["Df diff"]][2],
                                p = test[["Pr(>Chisq)"]][2])
  }
  c(list(call = sprintf("cfa(model, data = data, group = '%s', group.equal = eq)", group)), out)
}

m3 <- "visual =~ x1+x2+x3\ntextual =~ x4+x5+x6\nspeed =~ x7+x8+x9"
m4 <- "F1 =~ y1+y2+y3+y4\nF2 =~ y5+y6+y7+y8\nF3 =~ y9+y10+y11+y12\nF4 =~ y13+y14+y15+y16"

jsonlite::write_json(
  list(versions = list(R = R.version.string, lavaan = as.character(packageVersion("lavaan"))),
       holzinger_swineford = invariance(m3, hs, "school"),
       simulated = invariance(m4, sim, "group")),
  "tests/data/invariance_reference.json", digits = NA, auto_unbox = TRUE, pretty = TRUE)
