"""The methods paragraph of one wave, written from the tables that wave's run produced.

One sentence per analysis that produced rows, with its options read from the table's own method
columns (``confidence``, ``p_adjust``, ``zero_method``, ``missing_policy``, ``boot_method``,
``method``, ``rotation``, ``estimator``, ``importance_kind``, ``min_cell``), so the paragraph
cannot describe an analysis that did not run or an option that was not used. An analysis that
was switched on but produced nothing is named as not done, with the reason its table gives.
References follow the options (Holm or Benjamini–Hochberg, the bootstrap variant).

Every sentence is a message of the ``methods`` catalogue in the study's language
(:mod:`servqual.i18n`); options the tables record in words (a bootstrap method, a retention rule)
are read back with :func:`servqual.cautions.recorded`. The reference list stays in its original form.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from servqual.cautions import recorded, rule_name
from servqual.i18n import Messages

ADJUSTMENTS = {"holm": "Holm", "bh": "Benjamini–Hochberg"}

REFERENCES = {
    "servqual": "Parasuraman, A., Zeithaml, V. A. & Berry, L. L. (1988). SERVQUAL: A multiple-item scale for "
    "measuring consumer perceptions of service quality. Journal of Retailing, 64(1), 12-40.",
    "servperf": "Cronin, J. J. & Taylor, S. A. (1992). Measuring service quality: A reexamination and extension. "
    "Journal of Marketing, 56(3), 55-68.",
    "careless": "Meade, A. W. & Craig, S. B. (2012). Identifying careless responses in survey data. "
    "Psychological Methods, 17(3), 437-455.",
    "feldt": "Feldt, L. S., Woodruff, D. J. & Salih, F. A. (1987). Statistical inference for coefficient alpha. "
    "Applied Psychological Measurement, 11(1), 93-103.",
    "duhachek": "Duhachek, A. & Iacobucci, D. (2004). Alpha's standard error (ASE): An accurate and precise "
    "confidence interval estimate. Journal of Applied Psychology, 89(5), 792-808.",
    "omega": "McDonald, R. P. (1999). Test theory: A unified treatment. Mahwah, NJ: Erlbaum.",
    "blb": "Kleiner, A., Talwalkar, A., Sarkar, P. & Jordan, M. I. (2014). A scalable bootstrap for massive "
    "data. Journal of the Royal Statistical Society: Series B, 76(4), 795-816.",
    "difference": "Peter, J. P., Churchill, G. A. & Brown, T. J. (1993). Caution in the use of difference scores "
    "in consumer research. Journal of Consumer Research, 19(4), 655-662.",
    "horn": "Horn, J. L. (1965). A rationale and test for the number of factors in factor analysis. "
    "Psychometrika, 30(2), 179-185.",
    "hu_bentler": "Hu, L. & Bentler, P. M. (1999). Cutoff criteria for fit indexes in covariance structure "
    "analysis. Structural Equation Modeling, 6(1), 1-55.",
    "arbuckle": "Arbuckle, J. L. (1996). Full information estimation in the presence of incomplete data. In "
    "G. A. Marcoulides & R. E. Schumacker (Eds.), Advanced structural equation modeling (pp. 243-277). "
    "Mahwah, NJ: Erlbaum.",
    "fornell_larcker": "Fornell, C. & Larcker, D. F. (1981). Evaluating structural equation models with "
    "unobservable variables and measurement error. Journal of Marketing Research, 18(1), 39-50.",
    "htmt": "Henseler, J., Ringle, C. M. & Sarstedt, M. (2015). A new criterion for assessing discriminant "
    "validity in variance-based structural equation modeling. JAMS, 43(1), 115-135.",
    "holm": "Holm, S. (1979). A simple sequentially rejective multiple test procedure. Scandinavian Journal of "
    "Statistics, 6(2), 65-70.",
    "bh": "Benjamini, Y. & Hochberg, Y. (1995). Controlling the false discovery rate: A practical and powerful "
    "approach to multiple testing. Journal of the Royal Statistical Society: Series B, 57(1), 289-300.",
    "ipa": "Martilla, J. A. & James, J. C. (1977). Importance-performance analysis. Journal of Marketing, "
    "41(1), 77-79.",
    "welch": "Welch, B. L. (1951). On the comparison of several mean values: An alternative approach. "
    "Biometrika, 38(3/4), 330-336.",
    "gaps_model": "Zeithaml, V. A., Berry, L. L. & Parasuraman, A. (1988). Communication and control processes in "
    "the delivery of service quality. Journal of Marketing, 52(2), 35-48.",
    "widaman": "Widaman, K. F., Ferrer, E. & Conger, R. D. (2010). Factorial invariance within longitudinal "
    "structural equation models: Measuring the same construct across time. Child Development Perspectives, "
    "4(1), 10-18.",
    "byrne": "Byrne, B. M., Shavelson, R. J. & Muthén, B. (1989). Testing for the equivalence of factor covariance "
    "and mean structures: The issue of partial measurement invariance. Psychological Bulletin, 105(3), 456-466.",
    "cheung_rensvold": "Cheung, G. W. & Rensvold, R. B. (2002). Evaluating goodness-of-fit indexes for testing "
    "measurement invariance. Structural Equation Modeling, 9(2), 233-255.",
    "preacher_selig": "Preacher, K. J. & Selig, J. P. (2012). Advantages of Monte Carlo confidence intervals for "
    "indirect effects. Communication Methods and Measures, 6(2), 77-98.",
    "efron": "Efron, B. (1987). Better bootstrap confidence intervals. Journal of the American Statistical "
    "Association, 82(397), 171-185.",
    "krippendorff": "Krippendorff, K. (2004). Content analysis: An introduction to its methodology (2nd ed.). "
    "Thousand Oaks, CA: Sage.",
    "yuan_bentler": "Yuan, K.-H. & Bentler, P. M. (2000). Three likelihood-based methods for mean and covariance "
    "structure analysis with nonnormal missing data. Sociological Methodology, 30(1), 165-200.",
    "brosseau_liard": "Brosseau-Liard, P. E. & Savalei, V. (2014). Adjusting incremental fit indices for "
    "nonnormality. Multivariate Behavioral Research, 49(5), 460-470.",
    "olsson": "Olsson, U. (1979). Maximum likelihood estimation of the polychoric correlation coefficient. "
    "Psychometrika, 44(4), 443-460.",
    "muthen_wlsmv": "Muthén, B., du Toit, S. H. C. & Spisic, D. (1997). Robust inference using weighted least "
    "squares and quadratic estimating equations in latent variable modeling with categorical and continuous "
    "outcomes. Unpublished technical report.",
    "asparouhov_muthen": "Asparouhov, T. & Muthén, B. (2010). Simple second order chi-square correction. "
    "Mplus technical appendix.",
    "mardia": "Mardia, K. V. (1970). Measures of multivariate skewness and kurtosis with applications. "
    "Biometrika, 57(3), 519-530.",
}

#: A sentence writer takes the wave's tables and the catalogue of the study's language and returns
#: its sentence and the references it cites, or None when its analysis produced no rows.
Sentence = Callable[[Mapping[str, pd.DataFrame], Messages], "tuple[str, list[str]] | None"]


def methods_paragraph(
    config: Mapping[str, Any],
    tables: Mapping[str, pd.DataFrame],
    flow: pd.DataFrame,
    versions: Mapping[str, str],
    language: str = "en",
) -> str:
    """A methods paragraph for one wave, then the references it cites (Markdown).

    Parameters
    ----------
    config
        The validated study configuration: only the instrument's size and scale and the seed are
        read from it (the analyses' options come from the tables).
    tables
        Table name (as in ``reports/<wave>/tables/<name>.csv``) -> table; missing tables count as
        analyses that produced no rows.
    flow
        The wave's ``cleaning_summary.csv``.
    versions
        Package -> version, as from :func:`servqual.provenance.software_versions`.
    language
        Language of the paragraph (the ``methods`` catalogue of :mod:`servqual.i18n`); the
        references stay in their original form.

    Examples
    --------
    >>> flow = pd.DataFrame({"step": ["read", "kept"], "rule": ["rows read", "respondents kept"],
    ...                      "n": [10, 10], "detail": ["", ""]})
    >>> config = {"instrument": {"items": [{}] * 3, "dimensions": [{}], "scale": {"min": 1, "max": 5}},
    ...           "measures": {"perception": {"pattern": "P{index}"}}, "analysis": {"seed": 1}}
    >>> print(methods_paragraph(config, {}, flow, {"servqual": "1.0"}).split("\\n")[0])
    Service quality was measured with 3 items in 1 dimensions on a 1-5 scale (perception; perceptions only, SERVPERF, Cronin & Taylor, 1992). Of 10 responses, 10 were analysed. Analyses ran in servqual 1.0 (), seed 1.
    >>> print(methods_paragraph(config, {}, flow, {"servqual": "1.0"}, "zh").split("\\n")[0])
    服务质量采用 1 个维度共 3 个题项测量，采用 1–5 点量表（感知；仅测量感知，即 SERVPERF，Cronin & Taylor, 1992）。在 10 份回答中，10 份纳入分析。分析使用 servqual 1.0（）完成，随机种子为 1。
    """
    t = Messages(language)
    measures = [m for m, spec in config["measures"].items() if spec]
    gap = {"expectation", "perception"} <= set(measures)
    instrument = config["instrument"]
    text = [t("methods.instrument", items=len(instrument["items"]), dimensions=len(instrument["dimensions"]),
              scale=_scale_words(t, instrument["scale"]),
              measures=t("methods.list_separator").join(_measure(t, m) for m in measures),
              design=t("methods.design_servqual" if gap else "methods.design_servperf"))]
    cited = ["servqual" if gap else "servperf"]
    sample, sample_refs = _sample(t, flow)
    text.append(sample)
    cited += sample_refs
    for sentence in SENTENCES:
        written = sentence(tables, t)
        if written:
            text.append(written[0])
            cited += written[1]
    packages = ", ".join(t("methods.software_package", package=k, version=v) for k, v in versions.items()
                         if k != "servqual")
    text.append(t("methods.software", version=versions.get("servqual", "?"), packages=packages,
                  seed=config["analysis"]["seed"]))
    references = "\n".join(f"- {REFERENCES[key]}" for key in sorted(set(cited), key=lambda k: REFERENCES[k]))
    return t("methods.sentence_separator").join(text) + f"\n\n**{t('methods.references')}**\n\n" + references


def _option(t: Messages, kind: str, value: object) -> str:
    """An option recorded in a table as the catalogue names it, else as recorded."""
    key = f"methods.{kind}_{value}"
    return t(key) if key in t else str(value)


def _measure(t: Messages, measure: str) -> str:
    key = f"cautions.measure_{measure}"
    return t(key) if key in t else measure


def _scale_words(t: Messages, scale: Mapping[str, Any]) -> str:
    if scale.get("min") is None or scale.get("max") is None:
        return t("methods.scale_continuous")
    return t("methods.scale_range", min=f"{scale['min']:g}", max=f"{scale['max']:g}")


def _first(table: pd.DataFrame, column: str) -> Any:
    return table[column].dropna().iloc[0]


def _level(table: pd.DataFrame) -> str:
    return f"{_first(table, 'confidence'):.0%}"


def _sample(t: Messages, flow: pd.DataFrame) -> tuple[str, list[str]]:
    counts = flow.groupby("step")["n"].sum()
    excluded = flow[(flow["step"] == "excluded") & (flow["n"] > 0)]
    clauses = []
    if len(excluded):
        reasons = t("methods.list_separator").join(
            t("methods.sample_rule", rule=rule_name(rule, t.language), n=n) for rule, n in zip(excluded["rule"], excluded["n"]))
        clauses.append(t("methods.sample_excluded", excluded=int(counts["read"] - counts["kept"]), reasons=reasons))
    unapplied = flow[flow["step"] == "not_applied"]
    clauses += [t("methods.sample_not_applied", rule=rule_name(r, t.language), reason=recorded(d, t.language))
                for r, d in zip(unapplied["rule"], unapplied["detail"])]
    separator = t("methods.clause_separator")
    text = t("methods.sample", read=int(counts["read"]), kept=int(counts["kept"]),
             clauses="".join(separator + c for c in clauses))
    return text, ["careless"] if len(excluded) else []


def _reliability(tables: Mapping[str, pd.DataFrame], t: Messages) -> tuple[str, list[str]] | None:
    table = tables.get("reliability", pd.DataFrame())
    if table.empty:
        return None
    # Each scale's method names its own n; the paragraph names the method once.
    methods = list(dict.fromkeys(re.sub(r" of the n = [\d,]+ rows", "", m) for m in table["boot_method"].dropna()))
    little = any("little bootstraps" in m for m in methods)
    has_difference = table["difference_score_reliability"].notna().any()
    text = t("methods.reliability", level=_level(table),
             methods=t("methods.clause_separator").join(recorded(m, t.language) for m in methods),
             missing=_option(t, "missing", _first(table, "missing_policy")),
             difference=t("methods.reliability_difference") if has_difference else "")
    return text, ["feldt", "duhachek", "omega"] + (["blb"] if little else []) + (["difference"] if has_difference else [])


def _efa(tables: Mapping[str, pd.DataFrame], t: Messages) -> tuple[str, list[str]] | None:
    fit, parallel = tables.get("efa_fit", pd.DataFrame()), tables.get("parallel_analysis", pd.DataFrame())
    if fit.empty and parallel.empty:
        return None
    parts, cited = [], []
    if len(parallel):
        parts.append(t("methods.efa_parallel", rule=recorded(_first(parallel, "rule"), t.language)))
        cited.append("horn")
    if len(fit):
        factors = t("methods.list_separator").join(
            t("methods.efa_measure_factors", measure=_measure(t, m), n=int(k)) for m, k in zip(fit["measure"], fit["n_factors"]))
        parts.append(t("methods.efa_factors", method=_option(t, "extraction", _first(fit, "method")),
                       rotation=_option(t, "rotation", _first(fit, "rotation")), factors=factors))
    return t("methods.efa", parts=t("methods.efa_and").join(parts)), cited


def _cfa(tables: Mapping[str, pd.DataFrame], t: Messages) -> tuple[str, list[str]] | None:
    fit, validity = tables.get("cfa_fit", pd.DataFrame()), tables.get("cfa_validity", pd.DataFrame())
    fitted = fit[fit["chisq"].notna()] if len(fit) else fit
    if fitted.empty:
        return None
    models = t("methods.list_separator").join(_option(t, "cfa_model", m) for m in dict.fromkeys(fitted["model"]))
    estimator = _first(fitted, "estimator")
    text = t("methods.cfa", estimator=_option(t, "estimator", estimator), models=models,
             validity=t("methods.cfa_validity") if len(validity) else "")
    cited = ["hu_bentler"] + (["fornell_larcker", "htmt"] if len(validity) else [])
    if estimator == "MLR":
        cited += ["yuan_bentler", "brosseau_liard"]
    if estimator == "WLSMV":
        cited += ["olsson", "muthen_wlsmv", "asparouhov_muthen"]
    if "estimator_rule" in fitted and fitted["estimator_rule"].iloc[0] == "auto":
        # the z that decided: the largest departure over the wave's measures
        z = fitted.drop_duplicates("measure")["kurtosis_z"] if "measure" in fitted else fitted["kurtosis_z"]
        z = z.iloc[z.abs().argmax()]
        fiml = "missing_policy" in fitted and _first(fitted, "missing_policy") == "ml"
        key = "methods.cfa_auto_fiml" if fiml else f"methods.cfa_auto_{estimator}"
        z_text = f"{z:.2f}" if estimator == "MLR" or fiml else f"{abs(z):.2f}"
        text += t("methods.sentence_separator") + t(key, z=z_text)
        cited.append("mardia")
    missing, missing_cited = _cfa_missing(fitted, t)
    return text + missing, cited + missing_cited


def _cfa_missing(fitted: pd.DataFrame, t: Messages) -> tuple[str, list[str]]:
    """The CFA's treatment of missing answers and, per measure, the respondents it used (with
    FIML: how many of them had incomplete answers; listwise: how many were left out for a
    skipped item); nothing for tables without these columns."""
    if "missing_policy" not in fitted:
        return "", []
    per_measure = fitted.drop_duplicates("measure") if "measure" in fitted else fitted.head(1)
    policy = _first(per_measure, "missing_policy")
    excluded = per_measure["n_excluded"] if "n_excluded" in per_measure else [0] * len(per_measure)
    counts = t("methods.list_separator").join(
        t(f"methods.cfa_count_{policy}{'_excluded' if policy == 'listwise' and e > 0 else ''}",
          measure=_measure(t, m) if "measure" in per_measure else "", n=int(n), incomplete=int(k), excluded=int(e))
        for m, n, k, e in zip(per_measure.get("measure", [""] * len(per_measure)), per_measure["n"],
                              per_measure["n_incomplete"], excluded))
    return t(f"methods.cfa_missing_{policy}", counts=counts), ["arbuckle"] if policy == "ml" else []


def _ep_invariance(tables: Mapping[str, pd.DataFrame], t: Messages) -> tuple[str, list[str]] | None:
    levels = tables.get("ep_invariance", pd.DataFrame())
    if levels.empty:
        return None
    if (levels["status"] != "ok").any():
        result = t("methods.ep_not_assessed")
    else:
        scalar = levels[levels["level"] == "scalar"]
        rejected = levels[levels["decision"] == "rejected"]
        if bool(levels["means_comparable"].iloc[0]):
            partial = bool(scalar["partial"].iloc[-1])
            released = len(str(scalar["released"].iloc[-1]).split(";")) if partial else 0
            result = t("methods.ep_partial", n=released) if partial else t("methods.ep_holds")
        else:
            result = t("methods.ep_rejected", level=_option(t, "ep_level", rejected["level"].iloc[-1]))
    used = _first(levels, "estimator") if "estimator" in levels else "ML"
    text = t("methods.ep_invariance", result=result, estimator=_option(t, "estimator", used))
    fit = tables.get("cfa_fit", pd.DataFrame())
    if "estimator" in fit and (fit["estimator"] == "WLSMV").any() and used != "WLSMV":
        text += t("methods.ep_continuous")
    return text, ["widaman", "byrne", "cheung_rensvold"]


def _structural(tables: Mapping[str, pd.DataFrame], t: Messages) -> tuple[str, list[str]] | None:
    fit = tables.get("sem_fit", pd.DataFrame())
    if fit.empty or fit["status"].iloc[0] != "ok":
        return None
    row = fit.iloc[0]
    if not (isinstance(row["mediator"], str) and row["mediator"]):
        return t("methods.structural", mediation=""), ["hu_bentler"]
    mediated = t("methods.structural_mediated", interval=_option(t, "interval", row["interval"]),
                 draws=int(row["n_draws"]))
    interval_reference = "preacher_selig" if row["interval"] == "monte_carlo" else "efron"
    return t("methods.structural", mediation=mediated), ["hu_bentler", interval_reference]


def _gaps(tables: Mapping[str, pd.DataFrame], t: Messages) -> tuple[str, list[str]] | None:
    table = tables.get("gaps_dimensions", pd.DataFrame())
    if table.empty or table["gap"].isna().all():
        return None
    adjust = _first(table, "p_adjust")
    return t("methods.gaps", zero_method=_first(table, "zero_method"), adjustment=_option(t, "adjustment", adjust),
             test=_option(t, "test", _first(table, "adjusted_test")), level=_level(table)), [adjust]


def _ipa(tables: Mapping[str, pd.DataFrame], t: Messages) -> tuple[str, list[str]] | None:
    table = tables.get("ipa", pd.DataFrame())
    if table.empty:
        return None
    kind = _first(table, "importance_kind")
    source = t(f"methods.importance_{kind}" if kind in ("stated", "stated_items") else "methods.importance_derived")
    return t("methods.ipa", source=source), ["ipa"]


def _outcomes(tables: Mapping[str, pd.DataFrame], t: Messages) -> tuple[str, list[str]] | None:
    table = tables.get("outcomes", pd.DataFrame())
    if table.empty:
        return None
    names = t("methods.list_separator").join(dict.fromkeys(table["outcome"]))
    return t("methods.outcomes", outcomes=names, level=_level(table)), ["servperf"]


def _segments(tables: Mapping[str, pd.DataFrame], t: Messages) -> tuple[str, list[str]] | None:
    table = tables.get("segments", pd.DataFrame())
    if table.empty:
        return None
    names = t("methods.list_separator").join(dict.fromkeys(table["segment"]))
    min_cell = int(_first(table, "min_cell"))
    if not table["tested"].astype(bool).any():
        return t("methods.segments_described", segments=names, min_cell=min_cell), []
    adjust = _first(table, "p_adjust")
    return t("methods.segments_compared", segments=names, min_cell=min_cell,
             adjustment=_option(t, "adjustment", adjust)), ["welch", adjust]


def _priorities(tables: Mapping[str, pd.DataFrame], t: Messages) -> tuple[str, list[str]] | None:
    table = tables.get("priorities", pd.DataFrame())
    if table.empty:
        return None
    if table["provider_gaps"].fillna("").ne("").any():
        return t("methods.priorities_provider_gaps"), ["gaps_model"]
    return t("methods.priorities"), []


def _interviews(tables: Mapping[str, pd.DataFrame], t: Messages) -> tuple[str, list[str]] | None:
    agreement = tables.get("coder_agreement", pd.DataFrame())
    codes = tables.get("interview_codes", pd.DataFrame())
    if codes.empty:
        return None
    if len(agreement):
        return t("methods.interviews_agreement", level=_level(agreement)), ["krippendorff"]
    return t("methods.interviews"), []


def _complaints(tables: Mapping[str, pd.DataFrame], t: Messages) -> tuple[str, list[str]] | None:
    table = tables.get("complaints_by_dimension", pd.DataFrame())
    if table.empty:
        return None
    return t("methods.complaints"), []


#: Sentence writers in the order of the paragraph.
SENTENCES: tuple[Sentence, ...] = (
    _reliability, _efa, _cfa, _ep_invariance, _gaps, _outcomes, _structural, _ipa, _segments, _priorities,
    _interviews, _complaints,
)
