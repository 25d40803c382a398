# Reference numbers for tests/test_agreement.py, produced with R 4.2.2 and psych 2.2.9 (Debian
# packages r-base-core, r-cran-psych, r-cran-jsonlite).
# Regenerate from the repository root with:
#   Rscript tests/data/agreement_reference.R
# It writes tests/data/agreement_reference.json: Cohen's kappa (psych::cohen.kappa, unweighted)
# of two pairs of coders, the first being example A of Krippendorff (2011), "Computing
# Krippendorff's alpha-reliability" (binary data, two observers, ten units).
suppressPackageStartupMessages(library(psych))

# psych warns when a kappa's confidence bound passes 1 and clips it; only kappa itself is used.
kappa_case <- function(a, b) {
  list(a = a, b = b, kappa = suppressWarnings(cohen.kappa(cbind(a, b)))$kappa)
}

jsonlite::write_json(
  list(versions = list(R = R.version.string, psych = as.character(packageVersion("psych"))),
       cohen_kappa = list(
         krippendorff_example_a = kappa_case(c(0, 1, 0, 0, 0, 0, 0, 0, 1, 0),
                                             c(1, 1, 1, 0, 0, 1, 0, 0, 0, 0)),
         five_categories = kappa_case(c(1, 2, 3, 3, 2, 1, 4, 1, 2, 5, 1, 3, 3, 2),
                                      c(1, 2, 3, 3, 2, 2, 4, 1, 2, 5, 1, 3, 2, 2)))),
  "tests/data/agreement_reference.json", digits = NA, auto_unbox = TRUE, pretty = TRUE)
