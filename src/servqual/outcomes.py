"""Outcomes: what service quality leads to (overall satisfaction, intention to return,
recommendation), and how well the study's scores predict each.

A survey carries any number of outcomes, each one item or several forming a scale
(``outcomes:`` in the config; the legacy ``measures.overall`` item counts as the outcome
``overall``). For every outcome, :func:`outcome_table` gives its mean, the predictive validity
of the SERVQUAL, weighted SERVQUAL and SERVPERF scores (Pearson r with a Fisher-z interval; Cronin
& Taylor 1992, J. Marketing 56(3)) and the importance of each dimension derived from it (r and
standardized regression weights, :func:`servqual.priorities.derived_importance`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict

import pandas as pd

from servqual.gaps import mean_confidence_intervals, pearson_r_ci, respondent_scores
from servqual.instrument import OVERALL, Instrument
from servqual.priorities import derived_importance

#: Columns of :func:`outcome_table`.
OUTCOME_COLUMNS = ["outcome", "kind", "predictor", "n", "value", "ci_low", "ci_high", "confidence"]
#: Scores whose predictive validity is given.
PREDICTORS = ("servqual", "servqual_weighted", "servperf")


def outcome_scores(responses: pd.DataFrame, instrument: Instrument) -> pd.DataFrame:
    """One column per outcome: the mean of its items per respondent (missing where all are),
    with the legacy ``overall`` item first where the study has one.

    Examples
    --------
    >>> from servqual.instrument import instrument_from_config
    >>> inst = instrument_from_config(
    ...     {"scale": {"min": 1, "max": 7}, "dimensions": [{"id": "d"}], "items": [{"id": "a", "dimension": "d"}]},
    ...     {"perception": {"pattern": "P{index}"}}, [{"id": "loyalty", "columns": ["return", "recommend"]}])
    >>> outcome_scores(pd.DataFrame({"O_loyalty_1": [6.0, None], "O_loyalty_2": [4.0, 5.0]}), inst)["loyalty"].tolist()
    [5.0, 5.0]
    """
    scores = {OVERALL: responses[OVERALL]} if instrument.has_overall else {}
    for outcome in instrument.outcomes:
        scores[outcome.id] = responses[outcome.canonical_columns].mean(axis=1)
    return pd.DataFrame(scores, index=responses.index)


def outcome_table(
    perceptions: pd.DataFrame,
    dimensions: Mapping[str, str],
    outcomes: pd.DataFrame,
    expectations: pd.DataFrame | None = None,
    importance: pd.DataFrame | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Each outcome's mean, the scores' predictive validity for it, and the dimensions' importance
    derived from it.

    Returns
    -------
    pandas.DataFrame
        :data:`OUTCOME_COLUMNS`, per outcome: a ``mean`` row (predictor ``''``), ``r`` rows for
        the SERVQUAL, weighted SERVQUAL and SERVPERF scores (those the data allow), and
        ``derived_r`` and ``derived_beta`` rows per dimension. No rows without outcomes.
    """
    scores = respondent_scores(perceptions, dimensions, expectations, importance)
    parts = [pd.DataFrame(columns=OUTCOME_COLUMNS)]
    for outcome in outcomes.columns:
        y = outcomes[outcome]
        mean = mean_confidence_intervals(y.to_frame(outcome), confidence).iloc[0]
        rows = [{"kind": "mean", "predictor": "", "n": mean["n"], "value": mean["mean"], "ci_low": mean["ci_low"],
                 "ci_high": mean["ci_high"]}]
        for name in PREDICTORS:
            if scores[name].notna().any():
                r = asdict(pearson_r_ci(scores[name], y, confidence))
                rows.append({"kind": "r", "predictor": name, "n": r["n"], "value": r["r"], "ci_low": r["ci_low"],
                             "ci_high": r["ci_high"]})
        derived = derived_importance(perceptions, dimensions, y, confidence).rename(columns={"dimension": "predictor"})
        parts += [pd.DataFrame(rows), derived]
        parts[-2:] = [part.assign(outcome=outcome, confidence=confidence) for part in parts[-2:]]
    return pd.concat(parts, ignore_index=True)[OUTCOME_COLUMNS]
