# Reference numbers for tests/test_gaps.py, produced with R 4.2.2 (Debian packages r-base-core,
# r-cran-jsonlite; base R's stats only).
# Regenerate from the repository root with:
#   Rscript tests/data/gaps_reference.R
# It reads tests/data/gaps_paired.csv (40 respondents, items q1..q4 rated 1..7 for E and P,
# overall satisfaction; dimensions tan = q1, q2 and rel = q3, q4) and writes
# tests/data/gaps_reference.json.
x <- read.csv("tests/data/gaps_paired.csv")

# Wilcoxon signed-rank with Pratt's zero method (Pratt 1959; Cureton 1967): zero differences are
# ranked and then dropped, normal approximation with tie correction, no continuity correction.
# r-cran-coin is not in Debian's R packages used here, so it is written out.
pratt <- function(d) {
  d <- d[!is.na(d)]; n <- length(d); n0 <- sum(d == 0)
  r <- rank(abs(d)); rp <- sum(r[d > 0]); rm <- sum(r[d < 0])
  mu <- (n * (n + 1) - n0 * (n0 + 1)) / 4
  v <- (n * (n + 1) * (2 * n + 1) - n0 * (n0 + 1) * (2 * n0 + 1)) / 24
  t <- table(abs(d[d != 0])); v <- v - sum(t^3 - t) / 48
  z <- (rp - mu) / sqrt(v)
  list(V = rp, p = 2 * pnorm(-abs(z)), rb = (rp - rm) / (rp + rm))
}

# The paired tests of perception p against expectation e, one row of the gaps table.
paired <- function(e, p) {
  d <- p - e
  tt <- t.test(p, e, paired = TRUE)
  w <- wilcox.test(p, e, paired = TRUE, correct = FALSE, exact = FALSE)
  pr <- pratt(d)
  list(gap = mean(d), gap_sd = sd(d), gap_ci_low = tt$conf.int[1], gap_ci_high = tt$conf.int[2],
       t = unname(tt$statistic), p_t = tt$p.value,
       w_pratt = pr$V, p_pratt = pr$p, rb_pratt = pr$rb,
       w_wilcox = unname(w$statistic), p_wilcox = w$p.value,
       d_z = mean(d) / sd(d), d_av = mean(d) / ((sd(e) + sd(p)) / 2))
}

# One family of tests as columns, with Holm and Benjamini-Hochberg adjusted t-test p values.
family <- function(pairs) {
  rows <- lapply(pairs, function(pr) paired(pr$e, pr$p))
  out <- lapply(setNames(names(rows[[1]]), names(rows[[1]])),
                function(col) unname(sapply(rows, `[[`, col)))
  c(list(names = names(pairs)), out,
    list(holm = p.adjust(out$p_t, "holm"), bh = p.adjust(out$p_t, "BH")))
}

items <- paste0("q", 1:4)
item_pairs <- setNames(lapply(items, function(q) list(e = x[[paste0("E_", q)]], p = x[[paste0("P_", q)]])),
                       items)
dimension <- function(qs, measure) rowMeans(x[, paste0(measure, "_", qs)])
dims <- list(tan = c("q1", "q2"), rel = c("q3", "q4"))
dim_pairs <- lapply(dims, function(qs) list(e = dimension(qs, "E"), p = dimension(qs, "P")))

# Respondent scores: unweighted SERVQUAL (mean of the dimension gaps) and SERVPERF (mean perception).
score <- function(s) {
  tt <- t.test(s); r <- cor.test(s, x$overall)
  list(mean = mean(s), sd = sd(s), ci_low = tt$conf.int[1], ci_high = tt$conf.int[2],
       r_overall = unname(r$estimate), r_ci_low = r$conf.int[1], r_ci_high = r$conf.int[2])
}
servqual <- Reduce(`+`, lapply(dim_pairs, function(pr) pr$p - pr$e)) / length(dim_pairs)
servperf <- rowMeans(x[, paste0("P_", items)])

example_p <- c(0.01, 0.04, 0.03, 0.2)
jsonlite::write_json(
  list(versions = list(R = R.version.string),
       items = family(item_pairs), dimensions = family(dim_pairs),
       scores = list(servqual = score(servqual), servperf = score(servperf)),
       p_adjust_example = list(p = example_p, holm = p.adjust(example_p, "holm"),
                               bh = p.adjust(example_p, "BH"))),
  "tests/data/gaps_reference.json", digits = NA, auto_unbox = TRUE, pretty = TRUE)
