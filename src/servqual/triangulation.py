"""Triangulation of interview evidence with the survey: a joint display per dimension, the
survey gap beside the coded interview units, with the convergence codes of Farmer, Robinson,
Elliott & Eyles (2006, Qualitative Health Research 16(3)): agreement, partial agreement,
silence, dissonance; and the evidence the improvement priorities take from it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from servqual.codebook import PROVIDER_GAPS

TRIANGULATION_COLUMNS = [
    "dimension", "survey_gap", "gap_ci_low", "gap_ci_high", "gap_rank", "survey_signal", "problem_units",
    "strength_units", "participants", "interview_signal", "top_provider_gaps", "quote", "quote_document",
    "quote_start", "quote_end", "convergence", "rule",
]
#: The columns of the exemplar quotes :func:`triangulate` reads.
QUOTE_FIELDS = ["level", "value", "valence", "rank", "text", "document", "start", "end"]


def survey_signal(gap: float, low: float, high: float) -> str:
    """``negative`` when the CI lies below 0, ``positive`` above 0, else ``not significant``."""
    if np.isnan(gap):
        return "missing"
    return "negative" if high < 0 else "positive" if low > 0 else "not significant"


def interview_signal(problems: int, strengths: int, dominance: float = 2 / 3) -> str:
    """``problems dominate`` / ``strengths dominate`` when one valence holds at least
    ``dominance`` of the coded units, ``mixed`` otherwise, ``none`` without evidence."""
    total = problems + strengths
    if total == 0:
        return "none"
    return ("problems dominate" if problems / total >= dominance
            else "strengths dominate" if strengths / total >= dominance else "mixed")


def convergence_rule(dominance: float = 2 / 3) -> str:
    """The convergence rule in words, written beside every code of the joint display.

    It states both thresholds, so that a reader of ``triangulation.csv`` can check each label:
    the survey signal of :func:`survey_signal` and the ``dominance`` share of
    :func:`interview_signal`.

    Examples
    --------
    >>> convergence_rule(0.75).split("; ")[1]
    'problems (strengths) dominate = at least 75% of the coded participant units are problems (strengths)'
    """
    return (
        "survey gap negative = its confidence interval lies below 0; "
        f"problems (strengths) dominate = at least {dominance:.0%} of the coded participant units are problems "
        "(strengths); "
        "silence: no interview evidence on the dimension (or no survey gap); "
        "agreement: survey gap negative and problems dominate, or survey gap not negative and strengths dominate; "
        "dissonance: survey gap negative but strengths dominate, or survey gap not negative but problems dominate; "
        "partial agreement: otherwise (mixed interview evidence)."
    )


def convergence(survey: str, interview: str) -> str:
    """Convergence code of one dimension from the survey and interview signals (see
    :func:`convergence_rule`; Farmer, Robinson, Elliott & Eyles 2006, Qualitative Health
    Research 16(3))."""
    if interview == "none" or survey == "missing":
        return "silence"
    negative = survey == "negative"
    if interview == "problems dominate":
        return "agreement" if negative else "dissonance"
    if interview == "strengths dominate":
        return "dissonance" if negative else "agreement"
    return "partial agreement"


def _gap_summary(rows: pd.DataFrame, top: int) -> tuple[str, str]:
    """Provider gaps of problem units, most units first: ('3;1', '3 delivery (8); 1 knowledge (3)')."""
    gaps = rows.assign(gap=rows["provider_gaps"].str.split(";")).explode("gap")
    gaps = gaps[gaps["gap"].fillna("") != ""]
    counts = gaps.groupby("gap")["unit_key"].nunique().sort_values(ascending=False, kind="stable").head(top)
    text = "; ".join(f"{g} {PROVIDER_GAPS[int(g)]} ({n})" for g, n in counts.items())
    return ";".join(counts.index), text


def triangulate(
    survey_gaps: pd.DataFrame, evidence: pd.DataFrame, quotes: pd.DataFrame | None = None,
    *, dominance: float = 2 / 3, top_gaps: int = 3,
) -> pd.DataFrame:
    """Joint display per dimension: survey gap beside interview evidence, with a convergence code.

    Parameters
    ----------
    survey_gaps
        ``dimension``, ``gap``, ``gap_ci_low``, ``gap_ci_high`` (mean P - E per dimension).
    evidence
        One row per coded participant unit (:func:`servqual.interviews.coded_evidence`: human
        coding with codebook codes, participants' units only): ``unit_key``, ``speaker``,
        ``dimensions`` and ``provider_gaps`` (``;``-joined), ``valence``.
    quotes
        :func:`servqual.interviews.exemplar_quotes`; the first quote of the dominant valence is
        shown.
    dominance
        Share of coded units one valence needs to "dominate".

    Returns
    -------
    pandas.DataFrame
        :data:`TRIANGULATION_COLUMNS` plus ``provider_gaps`` (``;``-joined numbers, most
        problem units first): ``dimension``, ``survey_gap``, ``gap_ci_low``, ``gap_ci_high``,
        ``gap_rank`` (1 = most negative), ``survey_signal``, ``problem_units``,
        ``strength_units``, ``participants``, ``interview_signal``, ``top_provider_gaps``,
        ``quote``, ``quote_document``, ``quote_start``, ``quote_end``, ``convergence``,
        ``rule``.
    """
    missing = {"dimension", "gap", "gap_ci_low", "gap_ci_high"} - set(survey_gaps.columns)
    if missing:
        raise ValueError(f"survey_gaps needs columns dimension, gap, gap_ci_low, gap_ci_high; missing {sorted(missing)}.")
    rows = evidence.assign(dimension=evidence["dimensions"].str.split(";")).explode("dimension")
    quotes = quotes if quotes is not None else pd.DataFrame(columns=QUOTE_FIELDS)
    rule = convergence_rule(dominance)
    survey = survey_gaps.assign(gap_rank=survey_gaps["gap"].rank(method="min").astype("Int64"))
    out = []
    for s in survey.itertuples(index=False):
        mine = rows[rows["dimension"] == s.dimension]
        problems = mine[mine["valence"] == "problem"]
        n_problem, n_strength = problems["unit_key"].nunique(), mine.loc[mine["valence"] == "strength", "unit_key"].nunique()
        signal = interview_signal(n_problem, n_strength, dominance)
        survey_sig = survey_signal(float(s.gap), float(s.gap_ci_low), float(s.gap_ci_high))
        gap_ids, gap_text = _gap_summary(problems if n_problem else mine, top_gaps)
        valence = "strength" if signal == "strengths dominate" else "problem"
        pick = quotes[(quotes["level"] == "dimension") & (quotes["value"] == s.dimension)]
        pick = pick.assign(other=pick["valence"] != valence).sort_values(["other", "rank"])
        first = pick.iloc[0] if len(pick) else None
        out.append({
            "dimension": s.dimension, "survey_gap": s.gap, "gap_ci_low": s.gap_ci_low, "gap_ci_high": s.gap_ci_high,
            "gap_rank": s.gap_rank, "survey_signal": survey_sig, "problem_units": n_problem,
            "strength_units": n_strength, "participants": mine["speaker"].nunique(), "interview_signal": signal,
            "top_provider_gaps": gap_text, "quote": "" if first is None else first["text"],
            "quote_document": "" if first is None else first["document"],
            "quote_start": pd.NA if first is None else first["start"],
            "quote_end": pd.NA if first is None else first["end"],
            "convergence": convergence(survey_sig, signal), "rule": rule, "provider_gaps": gap_ids,
        })
    table = pd.DataFrame(out, columns=[*TRIANGULATION_COLUMNS, "provider_gaps"])
    return table.astype({"quote_start": "Int64", "quote_end": "Int64"})


def improvement_evidence(triangulation: pd.DataFrame) -> pd.DataFrame:
    """Per dimension, the provider gaps the interviews point to (input of the priorities table).

    Returns
    -------
    pandas.DataFrame
        ``dimension``, ``provider_gaps`` (``;``-joined gap numbers, most problem units first;
        empty without problem evidence), ``evidence`` (one sentence: units, participants,
        gaps, convergence).
    """
    evidence = [
        f"{t.problem_units} problem and {t.strength_units} strength unit(s) from {t.participants} participant(s); "
        f"provider gaps: {t.top_provider_gaps or 'none coded'}; convergence with the survey: {t.convergence}."
        for t in triangulation.itertuples(index=False)
    ]
    gaps = triangulation["provider_gaps"].where(triangulation["problem_units"] > 0, "")
    return pd.DataFrame({"dimension": triangulation["dimension"], "provider_gaps": gaps, "evidence": evidence})


