# Reference numbers for tests/test_priorities.py, produced with R 4.2.2 (Debian packages
# r-base-core, r-cran-jsonlite; base R's stats only).
# Regenerate from the repository root with:
#   Rscript tests/data/priorities_reference.R
# It reads tests/data/gaps_paired.csv (dimension perception scores tan = mean(P_q1, P_q2),
# rel = mean(P_q3, P_q4); overall satisfaction) and writes tests/data/priorities_reference.json:
# derived importance as the correlation with overall satisfaction (Fisher CI) and as the
# standardized regression weight, per dimension, and the item correlations.
x <- read.csv("tests/data/gaps_paired.csv")
perception <- list(tan = rowMeans(x[, c("P_q1", "P_q2")]), rel = rowMeans(x[, c("P_q3", "P_q4")]))

correlation <- function(s) {
  r <- cor.test(s, x$overall)
  list(value = unname(r$estimate), ci_low = r$conf.int[1], ci_high = r$conf.int[2])
}
m <- lm(scale(x$overall) ~ scale(perception$tan) + scale(perception$rel))
ci <- confint(m)
beta <- lapply(setNames(2:3, names(perception)),
               function(i) list(value = unname(coef(m)[i]), ci_low = ci[i, 1], ci_high = ci[i, 2]))

jsonlite::write_json(
  list(versions = list(R = R.version.string),
       derived_r = lapply(perception, correlation), derived_beta = beta,
       item_r = as.list(sapply(paste0("q", 1:4), function(q) cor(x[[paste0("P_", q)]], x$overall)))),
  "tests/data/priorities_reference.json", digits = NA, auto_unbox = TRUE, pretty = TRUE)
