# Writes tests/data/holzinger_swineford.csv: the Holzinger & Swineford (1939) data set as lavaan
# ships it (lavaan::HolzingerSwineford1939; 301 pupils of two schools, items x1..x9), so that the
# tests and the reference scripts read the same committed copy.
# Run from the repository root with:
#   Rscript tests/data/holzinger_swineford.R
# The committed CSV was written with R 4.2.2 and lavaan 0.6-14 (Debian r-base-core, r-cran-lavaan).
# write.csv keeps 15 significant digits, more than the 8 the data set holds, so the values are exact.
hs <- lavaan::HolzingerSwineford1939
write.csv(hs, "tests/data/holzinger_swineford.csv", row.names = FALSE)
stopifnot(identical(read.csv("tests/data/holzinger_swineford.csv", stringsAsFactors = TRUE), hs))
