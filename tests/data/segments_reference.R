# Reference numbers for tests/test_segments.py, produced with R 4.2.2 (Debian packages
# r-base-core, r-cran-jsonlite; base R's stats only).
# Regenerate from the repository root with:
#   Rscript tests/data/segments_reference.R
# It reads tests/data/gaps_segments.csv (a gap score for 128 respondents in four regions; west,
# with 12, is below the default minimum cell size and left out) and writes
# tests/data/segments_reference.json: Welch's ANOVA, Kruskal-Wallis, and the Games-Howell and
# Dunn post-hoc tests on the three tested regions, plus Welch's ANOVA on a small hand case.
# No R package for Games-Howell or Dunn is among Debian's (PMCMRplus, dunn.test, FSA are not), so
# both are computed from their published definitions (Games & Howell 1976, J. Educational
# Statistics 1(2); Dunn 1964, Technometrics 6(3)).
s <- read.csv("tests/data/gaps_segments.csv")
t <- s[s$region != "west", ]
t$region <- factor(t$region, c("east", "north", "south"))
g <- split(t$gap, t$region)
pairs <- combn(names(g), 2, simplify = FALSE)

welch <- function(formula, data) {
  w <- oneway.test(formula, data = data, var.equal = FALSE)
  list(f = unname(w$statistic), df1 = unname(w$parameter[1]), df2 = unname(w$parameter[2]),
       p = w$p.value)
}

games_howell <- function(a, b) {
  va <- var(a) / length(a); vb <- var(b) / length(b)
  tt <- (mean(a) - mean(b)) / sqrt(va + vb)
  df <- (va + vb)^2 / (va^2 / (length(a) - 1) + vb^2 / (length(b) - 1))
  list(diff = mean(a) - mean(b), t = tt, df = df,
       p = ptukey(sqrt(2) * abs(tt), length(g), df, lower.tail = FALSE))
}

# Dunn's z on the pooled ranks with the tie correction, Holm-adjusted over the pairs.
dunn <- function() {
  r <- rank(t$gap); N <- length(r); tie <- table(t$gap)
  v <- N * (N + 1) / 12 - sum(tie^3 - tie) / (12 * (N - 1))
  mr <- tapply(r, t$region, mean); n <- table(t$region)
  z <- sapply(pairs, function(p) (mr[[p[1]]] - mr[[p[2]]]) / sqrt(v * (1 / n[[p[1]]] + 1 / n[[p[2]]])))
  list(z = z, p_adj = p.adjust(2 * pnorm(-abs(z)), "holm"))
}

gh <- lapply(pairs, function(p) games_howell(g[[p[1]]], g[[p[2]]]))
kw <- kruskal.test(gap ~ region, data = t)
hand <- data.frame(y = c(1, 2, 3, 4, 2, 4, 6, 8, 9, 5, 6, 7),
                   g = factor(rep(c("a", "b", "c"), c(4, 5, 3))))

jsonlite::write_json(
  list(versions = list(R = R.version.string),
       welch = welch(gap ~ region, t),
       kruskal = list(h = unname(kw$statistic), df = unname(kw$parameter), p = kw$p.value),
       games_howell = list(group_a = sapply(pairs, `[`, 1), group_b = sapply(pairs, `[`, 2),
                           diff = sapply(gh, `[[`, "diff"), t = sapply(gh, `[[`, "t"),
                           df = sapply(gh, `[[`, "df"), p = sapply(gh, `[[`, "p")),
       dunn = dunn(),
       welch_hand_case = c(list(y = hand$y, g = as.character(hand$g)), welch(y ~ g, hand))),
  "tests/data/segments_reference.json", digits = NA, auto_unbox = TRUE, pretty = TRUE)
