# Reference numbers for tests/test_efa.py, produced with R 4.2.2, psych 2.2.9,
# GPArotation 2022.10-2 (Debian packages r-cran-psych, r-cran-gparotation).
# Regenerate from the repository root with:
#   Rscript tests/data/efa_reference.R
# It reads tests/data/holzinger_swineford.csv (written by tests/data/holzinger_swineford.R) and
# writes tests/data/efa_bfi.csv (the first 1000 rows of psych::bfi, 25 items, NA = missing) and
# tests/data/efa_reference.json (every number the tests compare with).
suppressPackageStartupMessages(library(psych))

# The Holzinger-Swineford CSV the tests read, lavaan's data set (tests/data/holzinger_swineford.R).
hs <- read.csv("tests/data/holzinger_swineford.csv")[, paste0("x", 1:9)]

bfi_items <- psych::bfi[1:1000, 1:25]
write.csv(bfi_items, "tests/data/efa_bfi.csv", row.names = FALSE, na = "")
bfi_complete <- na.omit(bfi_items)

with_names <- function(m) list(rows = rownames(m), cols = colnames(m), values = unclass(m))

fa_case <- function(call_text) {
  f <- eval(parse(text = call_text))
  loadings <- unclass(f$loadings)
  out <- list(
    call = call_text,
    loadings = with_names(loadings),
    structure = with_names(unclass(f$Structure)),
    h2 = unname(f$communality), u2 = unname(f$uniquenesses),
    complexity = unname(f$complexity),
    vaccounted = with_names(f$Vaccounted),
    n_obs = f$n.obs, chisq = f$STATISTIC, dof = f$dof, pvalue = f$PVAL,
    objective = f$objective, rmsea = unname(f$RMSEA[1:3]), tli = f$TLI, bic = f$BIC
  )
  if (!is.null(f$Phi)) out$phi <- with_names(f$Phi)
  out
}

cases <- c(
  hs_minres_oblimin = "fa(hs, nfactors = 3, fm = 'minres', rotate = 'oblimin')",
  hs_minres_promax = "fa(hs, nfactors = 3, fm = 'minres', rotate = 'promax')",
  hs_minres_varimax = "fa(hs, nfactors = 3, fm = 'minres', rotate = 'varimax')",
  hs_minres_none = "fa(hs, nfactors = 3, fm = 'minres', rotate = 'none')",
  hs_ml_oblimin = "fa(hs, nfactors = 3, fm = 'ml', rotate = 'oblimin')",
  hs_ml_varimax = "fa(hs, nfactors = 3, fm = 'ml', rotate = 'varimax')",
  hs_minres_1 = "fa(hs, nfactors = 1, fm = 'minres')",
  bfi_minres_oblimin = "fa(bfi_complete, nfactors = 5, fm = 'minres', rotate = 'oblimin')",
  bfi_ml_promax = "fa(bfi_complete, nfactors = 5, fm = 'ml', rotate = 'promax')",
  bfi_pairwise_minres_oblimin = "fa(bfi_items, nfactors = 5, fm = 'minres', rotate = 'oblimin', use = 'pairwise')"
)
fa_results <- lapply(cases, fa_case)

adequacy_case <- function(call_kmo, call_bartlett) {
  k <- eval(parse(text = call_kmo))
  b <- eval(parse(text = call_bartlett))
  list(call = c(call_kmo, call_bartlett), kmo = k$MSA, kmo_items = unname(k$MSAi),
       items = names(k$MSAi), chisq = b$chisq, df = b$df, pvalue = b$p.value)
}
adequacy <- list(
  hs = adequacy_case("KMO(hs)", "cortest.bartlett(cor(hs), n = nrow(hs))"),
  bfi_listwise = adequacy_case("KMO(bfi_complete)",
                               "cortest.bartlett(cor(bfi_complete), n = nrow(bfi_complete))"),
  bfi_pairwise = adequacy_case("KMO(cor(bfi_items, use = 'pairwise'))",
                               "cortest.bartlett(cor(bfi_items, use = 'pairwise'), n = min(pairwiseCount(bfi_items)))")
)

# Observed eigenvalues of parallel analysis: components from R, factors from R with SMCs.
eigen_case <- function(x) {
  r <- cor(x)
  r_smc <- r
  diag(r_smc) <- smc(r)
  list(call = "eigen(cor(x))$values; diag(r) <- smc(r); eigen(r)$values",
       pc = eigen(r)$values, fa = eigen(r_smc)$values)
}
parallel <- list(hs = eigen_case(hs), bfi_listwise = eigen_case(bfi_complete))
options(mc.cores = 1)  # fa.parallel simulates through mclapply: one core keeps the seed reproducible
set.seed(20240501)
pa <- fa.parallel(hs, fa = "both", SMC = TRUE, n.iter = 200, plot = FALSE)
parallel$hs$psych_fa_parallel <- list(
  call = "options(mc.cores = 1); set.seed(20240501); fa.parallel(hs, fa = 'both', SMC = TRUE, n.iter = 200, plot = FALSE)",
  nfact = pa$nfact, ncomp = pa$ncomp, pc_sim = pa$pc.sim, fa_sim = pa$fa.sim)

jsonlite::write_json(
  list(versions = list(R = R.version.string, psych = as.character(packageVersion("psych")),
                       GPArotation = as.character(packageVersion("GPArotation"))),
       fa = fa_results, adequacy = adequacy, parallel = parallel),
  "tests/data/efa_reference.json", digits = NA, auto_unbox = TRUE, pretty = TRUE)
