"""The methods paragraph of one wave, written from the tables that wave's run produced.

One sentence per analysis that produced rows, with its options read from the table's own method
columns (``confidence``, ``p_adjust``, ``zero_method``, ``missing_policy``, ``boot_method``,
``method``, ``rotation``, ``estimator``, ``importance_kind``, ``min_cell``), so the paragraph
cannot describe an analysis that did not run or an option that was not used. An analysis that
was switched on but produced nothing is named as not done, with the reason its table gives.
References follow the options (Holm or Benjamini–Hochberg, the bootstrap variant).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

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
    "krippendorff": "Krippendorff, K. (2004). Content analysis: An introduction to its methodology (2nd ed.). "
    "Thousand Oaks, CA: Sage.",
}

#: A sentence writer takes the wave's tables and returns its sentence and the references it cites,
#: or None when its analysis produced no rows.
Sentence = Callable[[Mapping[str, pd.DataFrame]], "tuple[str, list[str]] | None"]


def methods_paragraph(
    config: Mapping[str, Any], tables: Mapping[str, pd.DataFrame], flow: pd.DataFrame, versions: Mapping[str, str]
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

    Examples
    --------
    >>> flow = pd.DataFrame({"step": ["read", "kept"], "rule": ["rows read", "respondents kept"],
    ...                      "n": [10, 10], "detail": ["", ""]})
    >>> config = {"instrument": {"items": [{}] * 3, "dimensions": [{}], "scale": {"min": 1, "max": 5}},
    ...           "measures": {"perception": {"pattern": "P{index}"}}, "analysis": {"seed": 1}}
    >>> print(methods_paragraph(config, {}, flow, {"servqual": "1.0"}).split("\\n")[0])
    Service quality was measured with 3 items in 1 dimensions on a 1-5 scale (perception; perceptions only, SERVPERF, Cronin & Taylor, 1992). Of 10 responses, 10 were analysed. Analyses ran in servqual 1.0 (), seed 1.
    """
    measures = [m for m, spec in config["measures"].items() if spec]
    gap = {"expectation", "perception"} <= set(measures)
    instrument = config["instrument"]
    scale = instrument["scale"]
    text = [
        f"Service quality was measured with {len(instrument['items'])} items in {len(instrument['dimensions'])} "
        f"dimensions {_scale_words(scale)} ({', '.join(measures)}; "
        + ("SERVQUAL, Parasuraman et al., 1988)." if gap else "perceptions only, SERVPERF, Cronin & Taylor, 1992).")
    ]
    cited = ["servqual" if gap else "servperf"]
    sample, sample_refs = _sample(flow)
    text.append(sample)
    cited += sample_refs
    for sentence in SENTENCES:
        written = sentence(tables)
        if written:
            text.append(written[0])
            cited += written[1]
    text.append(
        "Analyses ran in servqual " + versions.get("servqual", "?") + " ("
        + ", ".join(f"{k} {v}" for k, v in versions.items() if k != "servqual")
        + f"), seed {config['analysis']['seed']}."
    )
    references = "\n".join(f"- {REFERENCES[key]}" for key in sorted(set(cited), key=lambda k: REFERENCES[k]))
    return " ".join(text) + "\n\n**References**\n\n" + references


def _scale_words(scale: Mapping[str, Any]) -> str:
    if scale.get("min") is None or scale.get("max") is None:
        return "as continuous scores"
    return f"on a {scale['min']:g}-{scale['max']:g} scale"


def _first(table: pd.DataFrame, column: str) -> Any:
    return table[column].dropna().iloc[0]


def _level(table: pd.DataFrame) -> str:
    return f"{_first(table, 'confidence'):.0%}"


def _sample(flow: pd.DataFrame) -> tuple[str, list[str]]:
    counts = flow.groupby("step")["n"].sum()
    excluded = flow[(flow["step"] == "excluded") & (flow["n"] > 0)]
    reasons = ", ".join(f"{rule.replace('_', ' ')} ({n})" for rule, n in zip(excluded["rule"], excluded["n"]))
    text = f"Of {int(counts['read'])} responses, {int(counts['kept'])} were analysed"
    if len(excluded):
        text += (f"; {int(counts['read'] - counts['kept'])} were excluded, each under the first rule it met: "
                 f"{reasons} (screens after Meade & Craig, 2012)")
    unapplied = flow[flow["step"] == "not_applied"]
    if len(unapplied):
        text += "; " + "; ".join(f"the {r.replace('_', ' ')} rule could not be applied ({d})"
                                 for r, d in zip(unapplied["rule"], unapplied["detail"]))
    return text + ".", ["careless"] if len(excluded) else []


def _reliability(tables: Mapping[str, pd.DataFrame]) -> tuple[str, list[str]] | None:
    table = tables.get("reliability", pd.DataFrame())
    if table.empty:
        return None
    # Each scale's method names its own n; the paragraph names the method once.
    methods = list(dict.fromkeys(re.sub(r" of the n = [\d,]+ rows", "", m) for m in table["boot_method"].dropna()))
    little = any("little bootstraps" in m for m in methods)
    text = (f"Reliability was estimated per dimension as Cronbach's alpha with Feldt and Duhachek–Iacobucci "
            f"{_level(table)} intervals and bootstrap intervals ({'; '.join(methods)}), and as McDonald's omega "
            f"total from a one-factor minimum-residual model ({_first(table, 'missing_policy')} deletion)")
    has_difference = table["difference_score_reliability"].notna().any()
    text += ("; the reliability of the P − E difference scores was computed after Peter et al. (1993)."
             if has_difference else ".")
    return text, ["feldt", "duhachek", "omega"] + (["blb"] if little else []) + (["difference"] if has_difference else [])


def _efa(tables: Mapping[str, pd.DataFrame]) -> tuple[str, list[str]] | None:
    fit, parallel = tables.get("efa_fit", pd.DataFrame()), tables.get("parallel_analysis", pd.DataFrame())
    if fit.empty and parallel.empty:
        return None
    parts, cited = [], []
    if len(parallel):
        parts.append(f"Horn's parallel analysis (factors retained while the observed eigenvalue exceeds the "
                     f"{_first(parallel, 'rule')})")
        cited.append("horn")
    if len(fit):
        factors = ", ".join(f"{m}: {int(k)}" for m, k in zip(fit["measure"], fit["n_factors"]))
        parts.append(f"exploratory factor analysis ({_first(fit, 'method')} extraction, {_first(fit, 'rotation')} "
                     f"rotation; factors extracted, {factors})")
    return "Dimensionality was examined with " + " and ".join(parts) + ".", cited


def _cfa(tables: Mapping[str, pd.DataFrame]) -> tuple[str, list[str]] | None:
    fit, validity = tables.get("cfa_fit", pd.DataFrame()), tables.get("cfa_validity", pd.DataFrame())
    fitted = fit[fit["chisq"].notna()] if len(fit) else fit
    if fitted.empty:
        return None
    names = {"instrument": "the instrument's dimensions", "one_factor": "one factor", "second_order": "a second-order factor"}
    models = ", ".join(names.get(m, m) for m in dict.fromkeys(fitted["model"]))
    estimator = {"ML": "maximum-likelihood"}.get(_first(fitted, "estimator"), _first(fitted, "estimator"))
    text = f"Confirmatory factor analysis ({estimator}) fitted {models}, judged by Hu and Bentler's (1999) cutoffs"
    cited = ["hu_bentler"]
    if len(validity):
        text += (", with composite reliability, AVE, the Fornell–Larcker criterion and HTMT (Henseler et al., 2015)"
                 " for convergent and discriminant validity")
        cited += ["fornell_larcker", "htmt"]
    return text + ".", cited


def _gaps(tables: Mapping[str, pd.DataFrame]) -> tuple[str, list[str]] | None:
    table = tables.get("gaps_dimensions", pd.DataFrame())
    if table.empty or table["gap"].isna().all():
        return None
    adjust = _first(table, "p_adjust")
    test = {"t": "t-test", "wilcoxon": "Wilcoxon"}.get(_first(table, "adjusted_test"), _first(table, "adjusted_test"))
    return (f"Gaps (P − E) were tested per item and dimension with paired t-tests and Wilcoxon signed-rank tests "
            f"(zero differences by the {_first(table, 'zero_method')} method), with {ADJUSTMENTS[adjust]}-adjusted "
            f"p-values of the {test}, {_level(table)} confidence intervals and the effect sizes d_z and d_av."), [adjust]


def _ipa(tables: Mapping[str, pd.DataFrame]) -> tuple[str, list[str]] | None:
    table = tables.get("ipa", pd.DataFrame())
    if table.empty:
        return None
    kind = _first(table, "importance_kind")
    source = {"stated": "stated importance points", "stated_items": "each item's rated importance"}.get(
        kind, "importance derived from overall satisfaction")
    return f"Importance-performance analysis used {source} (Martilla & James, 1977).", ["ipa"]


def _outcomes(tables: Mapping[str, pd.DataFrame]) -> tuple[str, list[str]] | None:
    table = tables.get("outcomes", pd.DataFrame())
    if table.empty:
        return None
    names = ", ".join(dict.fromkeys(table["outcome"]))
    return (f"Predictive validity was assessed as the correlation of the overall scores with each outcome ({names}; "
            f"{_level(table)} Fisher-z intervals), and each dimension's importance was derived from the outcomes by "
            "correlation and standardized regression weights (Cronin & Taylor, 1992)."), ["servperf"]


def _segments(tables: Mapping[str, pd.DataFrame]) -> tuple[str, list[str]] | None:
    table = tables.get("segments", pd.DataFrame())
    if table.empty:
        return None
    names = ", ".join(dict.fromkeys(table["segment"]))
    if not table["tested"].astype(bool).any():
        return (f"Segments ({names}) were described but not compared: no segment had two levels of at least "
                f"{int(_first(table, 'min_cell'))} respondents."), []
    adjust = _first(table, "p_adjust")
    return (f"Segments ({names}) were compared with Welch's ANOVA and "
            f"Kruskal–Wallis tests among levels of at least {int(_first(table, 'min_cell'))} respondents, with "
            f"Games–Howell and Dunn ({ADJUSTMENTS[adjust]}-adjusted) pairwise tests."), ["welch", adjust]


def _priorities(tables: Mapping[str, pd.DataFrame]) -> tuple[str, list[str]] | None:
    table = tables.get("priorities", pd.DataFrame())
    if table.empty:
        return None
    text = ("Improvement priorities rank the dimensions and items whose perceptions fall short by the gap "
            "weighted by importance")
    if table["provider_gaps"].fillna("").ne("").any():
        return text + ", and name the provider gaps of the Gaps Model that interview evidence points to " \
                      "(Zeithaml et al., 1988).", ["gaps_model"]
    return text + ".", []


def _interviews(tables: Mapping[str, pd.DataFrame]) -> tuple[str, list[str]] | None:
    agreement = tables.get("coder_agreement", pd.DataFrame())
    codes = tables.get("interview_codes", pd.DataFrame())
    if codes.empty:
        return None
    text = "Interview and focus-group transcripts were coded with the study's codebook"
    if len(agreement):
        return (text + f", with agreement between coders as Krippendorff's alpha with a {_level(agreement)} bootstrap "
                "interval."), ["krippendorff"]
    return text + ".", []


def _complaints(tables: Mapping[str, pd.DataFrame]) -> tuple[str, list[str]] | None:
    table = tables.get("complaints_by_dimension", pd.DataFrame())
    if table.empty:
        return None
    return ("Complaints were coded to dimensions with the same codebook and tracked per month on control "
            "charts."), []


#: Sentence writers in the order of the paragraph.
SENTENCES: tuple[Sentence, ...] = (
    _reliability, _efa, _cfa, _gaps, _outcomes, _ipa, _segments, _priorities, _interviews, _complaints,
)
