# What the ordinal references share (sourced by ordinal_reference.R and
# ordinal_invariance_reference.R, run from the repository root): the ten A and N items of the
# bfi sample collapsed to five points (categories 1 and 2 merged), their two-factor model, and
# the WLSMV fit measures the tests compare.
five_point_items <- c("A1", "A2", "A3", "A4", "A5", "N1", "N2", "N3", "N4", "N5")
five_point <- function(bfi) {
  d <- bfi[, five_point_items]
  d[d == 1] <- 2
  d - 1
}
two_factor <- "
A =~ A1 + A2 + A3 + A4 + A5
N =~ N1 + N2 + N3 + N4 + N5
"
wlsmv_fit_names <- c("npar", "chisq", "df", "pvalue", "chisq.scaled", "df.scaled", "pvalue.scaled",
                     "chisq.scaling.factor", "baseline.chisq", "baseline.df", "baseline.chisq.scaled",
                     "cfi", "tli", "rmsea", "cfi.scaled", "tli.scaled", "rmsea.scaled",
                     "rmsea.ci.lower.scaled", "rmsea.ci.upper.scaled", "srmr", "ntotal")
