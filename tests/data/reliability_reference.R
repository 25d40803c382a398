# Reference numbers for tests/test_reliability.py, produced with R 4.2.2, psych 2.2.9 and
# lavaan 0.6-14 (Debian packages r-base-core, r-cran-psych, r-cran-lavaan, r-cran-jsonlite).
# Regenerate from the repository root with:
#   Rscript tests/data/reliability_reference.R
# It writes tests/data/reliability_political_democracy.csv (lavaan::PoliticalDemocracy),
# tests/data/reliability_bfi_agreeableness.csv (psych::bfi items A1..A5, NA = empty cell; A1 is
# reverse-keyed and left unreversed) and tests/data/reliability_reference.json: psych::alpha and
# psych::omega(x, 1, flip = FALSE) of each scale the tests use, on those files and on
# tests/data/holzinger_swineford.csv.
suppressPackageStartupMessages({ library(psych); library(lavaan) })

write.csv(PoliticalDemocracy, "tests/data/reliability_political_democracy.csv", row.names = FALSE)
write.csv(bfi[, paste0("A", 1:5)], "tests/data/reliability_bfi_agreeableness.csv",
          row.names = FALSE, na = "")
hs <- read.csv("tests/data/holzinger_swineford.csv")
pd <- read.csv("tests/data/reliability_political_democracy.csv")
agreeableness <- read.csv("tests/data/reliability_bfi_agreeableness.csv")

# McDonald's omega total of a one-factor model, as jamovi reports it. psych warns that omega
# hierarchical is meaningless with one factor; only omega total is used.
omega_total <- function(x) suppressMessages(suppressWarnings(omega(x, 1, flip = FALSE)))$omega.tot

# alpha() uses pairwise covariances by default; a complete data set gives the listwise figures.
scale_reference <- function(x) {
  a <- alpha(x, warnings = FALSE)
  z <- qnorm(0.975)
  out <- list(
    items = names(x), n = nrow(x),
    alpha = a$total$raw_alpha, alpha_std = a$total$std.alpha, lambda6 = a$total[["G6(smc)"]],
    average_r = a$total$average_r, median_r = a$total$median_r, ase = a$total$ase,
    feldt = unname(c(a$feldt$lower.ci, a$feldt$upper.ci)),
    duhachek = a$total$raw_alpha + c(-1, 1) * z * a$total$ase,
    duhachek_printed = a$total$raw_alpha + c(-1, 1) * 1.96 * a$total$ase,  # what psych prints
    rest_r = unname(a$item.stats$r.drop), alpha_drop = unname(a$alpha.drop$raw_alpha),
    omega = omega_total(x))
  # omega if an item is dropped needs three items left
  if (ncol(x) >= 4) out$omega_drop <- sapply(seq_along(x), function(i) omega_total(x[, -i]))
  out
}

columns <- function(prefix, numbers) paste0(prefix, numbers)

jsonlite::write_json(
  list(versions = list(R = R.version.string, psych = as.character(packageVersion("psych")),
                       lavaan = as.character(packageVersion("lavaan"))),
       holzinger_swineford = list(
         all = scale_reference(hs[, columns("x", 1:9)]),
         visual = scale_reference(hs[, columns("x", 1:3)]),
         textual = scale_reference(hs[, columns("x", 4:6)]),
         speed = scale_reference(hs[, columns("x", 7:9)])),
       political_democracy = list(
         y1_y4 = scale_reference(pd[, columns("y", 1:4)]),
         y5_y8 = scale_reference(pd[, columns("y", 5:8)]),
         y1_y8 = scale_reference(pd[, columns("y", 1:8)])),
       bfi_agreeableness = list(
         listwise = scale_reference(na.omit(agreeableness)),
         pairwise = scale_reference(agreeableness))),
  "tests/data/reliability_reference.json", digits = NA, auto_unbox = TRUE, pretty = TRUE)
