# Reference intervals for tests/test_kpi.py (R 4, base stats only):
#   Rscript tests/data/kpi_reference.R > tests/data/kpi_reference.json
# Wilson score interval = prop.test without continuity correction; exact (Garwood) Poisson
# interval = poisson.test.
wilson <- function(x, n) unname(prop.test(x, n, correct = FALSE)$conf.int[1:2])
garwood <- function(k) unname(poisson.test(k)$conf.int[1:2])
out <- list(
  wilson_8_10 = wilson(8, 10),
  wilson_0_25 = wilson(0, 25),
  wilson_302_361 = wilson(302, 361),
  garwood_30 = garwood(30),
  garwood_0 = garwood(0),
  garwood_107 = garwood(107)
)
cat("{\n")
cat(paste0('  "', names(out), '": [', sapply(out, function(v) paste(sprintf("%.12g", v), collapse = ", ")), "]", collapse = ",\n"))
cat("\n}\n")
