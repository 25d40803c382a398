"""The CFA models in lavaan syntax, an R script that refits them, and a check of the syntax.

A reviewer refits the models in R (lavaan), JASP or jamovi and compares the fit with
``cfa_fit.csv``. The models are written from the definitions :func:`servqual.cfa.fit_cfa` fits
(:func:`servqual.sem.model.model_indicators`) for every measure and model of the run's ``cfa_fit``
table, with the estimator it names. Our estimates are identified by marker variables (the first
indicator of each factor loads 1), lavaan's default (``std.lv = FALSE``); ML takes the covariance
matrix with divisor N (``likelihood = "normal"``) after listwise deletion over the model's items,
as lavaan's ``missing = "listwise"`` does, or full-information ML (``missing = "ml"``) where
``cfa_fit`` says ``missing_policy`` ml. Indicators are named as the columns of the cleaned
data in ``responses.sav`` (``P_<item>``; ``G_<item>`` = P − E for the gap, which refit.R computes),
so each block fits as written.

lavaan's model syntax: Rosseel (2012), J. Stat. Softw. 48(2), section 4.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from servqual.i18n import text
from servqual.instrument import ITEM_MEASURES
from servqual.sem.model import model_indicators

#: Statuses of cfa_fit whose model was estimated (the others fitted nothing to compare with).
FITTED = ("ok", "heywood", "latent_correlation", "not_converged")
#: Fit measures refit.R prints, named as lavaan's fitMeasures() and our cfa_fit columns.
FIT_MEASURES = ("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr", "aic", "bic")
_NAME = r"[A-Za-z.][A-Za-z0-9._]*"
_OPERATORS = ("=~", "~~", "~")


@dataclass(frozen=True)
class LavaanModel:
    """One CFA as lavaan syntax: its measure, model, estimator, and factor -> indicators."""

    measure: str
    model: str
    estimator: str
    indicators: Mapping[str, Sequence[str]]
    missing: str = "listwise"

    @property
    def name(self) -> str:
        return f"{self.measure}.{self.model}"

    @property
    def syntax(self) -> str:
        return "\n".join(f"{factor} =~ {' + '.join(ind)}" for factor, ind in self.indicators.items())


def indicator(measure: str, item: str) -> str:
    """Column of the analysed data holding ``item`` of ``measure`` (``P_rel1``; ``G_rel1`` for the gap).

    >>> indicator("perception", "rel1"), indicator("gap", "rel1")
    ('P_rel1', 'G_rel1')
    """
    return f"{'G' if measure == 'gap' else ITEM_MEASURES[measure]}_{item}"


def lavaan_models(fit: pd.DataFrame, item_dimension: Mapping[str, str]) -> list[LavaanModel]:
    """The models of a ``cfa_fit`` table that were estimated, in its order, as :class:`LavaanModel`.

    >>> fit = pd.DataFrame({"measure": ["perception"], "model": ["instrument"], "estimator": ["ML"],
    ...                     "status": ["ok"]})
    >>> print(lavaan_models(fit, {"a1": "a", "a2": "a", "b1": "b", "b2": "b"})[0].syntax)
    a =~ P_a1 + P_a2
    b =~ P_b1 + P_b2
    """
    models = []
    for row in fit.itertuples(index=False):
        if row.status not in FITTED:
            continue
        factors = model_indicators(item_dimension, row.model)
        items = set(item_dimension)
        models.append(LavaanModel(row.measure, row.model, row.estimator, {
            factor: [indicator(row.measure, x) if x in items else x for x in ind] for factor, ind in factors.items()
        }, getattr(row, "missing_policy", "listwise")))
    return models


def model_file(models: Sequence[LavaanModel], wave: str, language: str) -> str:
    """``model.lavaan``: a comment saying what it holds, then one block per model, each opened by
    ``## <measure>.<model>`` and a comment naming it in the study's language."""
    estimators = ", ".join(dict.fromkeys(m.estimator for m in models)) or "ML"
    lines = [f"# {text(language, 'exports.lavaan_intro', wave=wave, estimators=estimators)}", ""]
    for m in models:
        measure = text(language, f"exports.measure_{m.measure}")
        lines += [f"## {m.name}", f"# {text(language, 'exports.lavaan_block', measure=measure, model=m.model)}",
                  m.syntax, ""]
    return "\n".join(lines)


def refit_script(models: Sequence[LavaanModel], *, wave: str, model_path: str, data_path: str,
                 fit_table: str, script_path: str, language: str) -> str:
    """``refit.R``: reads the cleaned data (``responses.sav``, with R's recommended package foreign)
    and ``model.lavaan`` (paths from the study folder, or
    the script's two arguments) and prints lavaan's fit measures of each block beside the
    estimator and missing-data treatment it used (``cfa(..., estimator =, std.lv = FALSE, missing =)``;
    under WLSMV with ``ordered = TRUE``: the items as ordinal)."""
    estimators = ", ".join(f'"{m.name}" = "{m.estimator}"' for m in models)
    missing = ", ".join(f'"{m.name}" = "{m.missing}"' for m in models)
    measures = ", ".join(f'"{x}"' for x in FIT_MEASURES)
    intro = text(language, "exports.r_intro", wave=wave, fit_table=fit_table, script=script_path)
    return f"""# {intro}
library(lavaan)
args <- commandArgs(trailingOnly = TRUE)
model_file <- if (length(args) >= 1) args[1] else "{model_path}"
data_file <- if (length(args) >= 2) args[2] else "{data_path}"
# {text(language, "exports.r_data")}
d <- foreign::read.spss(data_file, to.data.frame = TRUE, use.value.labels = FALSE)
lines <- readLines(model_file, encoding = "UTF-8")
for (g in setdiff(grep("^G_", unlist(strsplit(lines, "[^A-Za-z0-9_.]+")), value = TRUE), names(d))) {{
  d[[g]] <- d[[sub("^G_", "P_", g)]] - d[[sub("^G_", "E_", g)]]
}}
starts <- grep("^## ", lines)
ends <- c(starts[-1] - 1, length(lines))
estimators <- c({estimators})
missing <- c({missing})
rows <- list()
for (i in seq_along(starts)) {{
  name <- sub("^## ", "", lines[starts[i]])
  block <- lines[(starts[i] + 1):ends[i]]
  syntax <- paste(block[!grepl("^\\\\s*#", block)], collapse = "\\n")
  ordinal <- estimators[[name]] == "WLSMV"
  fit <- cfa(syntax, data = d, estimator = estimators[[name]], std.lv = FALSE, ordered = ordinal,
             likelihood = if (ordinal) "default" else "normal", missing = missing[[name]])
  rows[[name]] <- fitMeasures(fit, c({measures}))
}}
print(round(do.call(rbind, rows), 6))
"""


def syntax_problems(syntax: str, variables: Iterable[str]) -> list[str]:
    """Faults of lavaan model syntax that lavaan would refuse or that would fit other data: a line
    that is not ``lhs op rhs`` with op ``=~``, ``~~`` or ``~``, a name that is not a valid name, an
    observed variable missing from ``variables``, a factor without indicators; by line.

    >>> syntax_problems("f =~ x1 + x2 + 0.5*x3\\nf ~~ f\\ny ~ f", ["x1", "x2", "x3", "y"])
    []
    >>> syntax_problems("f =~ x1 + x9\\ng = x1", ["x1"])
    ['line 1: x9 is neither a factor nor a column of the data', "line 2: no operator =~, ~~ or ~ in 'g = x1'"]
    """
    known = set(variables)
    lines = [(k, re.sub(r"#.*", "", line).strip()) for k, line in enumerate(syntax.splitlines(), start=1)]
    lines = [(k, line) for k, line in lines if line]
    parsed, problems = [], []
    for k, line in lines:
        op = next((o for o in _OPERATORS if o in line), None)
        if op is None:
            problems.append((k, f"line {k}: no operator =~, ~~ or ~ in {line!r}"))
            continue
        lhs, rhs = (part.strip() for part in line.split(op, 1))
        terms = [t.strip() for t in rhs.split("+")]
        names = [t.split("*")[-1].strip() for t in terms]
        bad = [n for n in [lhs, *names] if not re.fullmatch(_NAME, n)]
        if bad:
            problems.append((k, f"line {k}: not a variable name: {', '.join(repr(b) for b in bad)}"))
            continue
        parsed.append((k, lhs, op, names))
    factors = {lhs for _, lhs, op, _ in parsed if op == "=~"}
    for k, lhs, op, names in parsed:
        for name in [lhs, *names] if op != "=~" else names:
            if name not in factors and name not in known:
                problems.append((k, f"line {k}: {name} is neither a factor nor a column of the data"))
    return [problem for _, problem in sorted(problems)]
