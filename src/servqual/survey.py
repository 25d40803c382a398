"""The gap step of a wave: from cleaned responses to its ten survey tables.

One entry point, :func:`survey_tables`, runs the statistics of the gap step in the order a reader
meets them in the report: descriptives, gap tests per item and dimension
(:func:`servqual.gaps.paired_gap_tests`), SERVQUAL scores, importance, outcomes, the
importance-performance analysis, segment comparisons and the zone of tolerance. Each table's
name is its file's stem and its rule's output key (``gaps_items`` is ``gaps_items.csv``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from servqual.descriptives import describe_measures, item_distribution
from servqual.gaps import ZONE_COLUMNS, paired_gap_tests, servqual_scores, zone_of_tolerance
from servqual.instrument import OVERALL, Instrument, measure_frames
from servqual.outcomes import outcome_scores, outcome_table
from servqual.priorities import IPA_COLUMNS, importance_performance, importance_table
from servqual.segments import POSTHOC_COLUMNS, SEGMENT_COLUMNS, compare_segments, segment_targets

#: The tables :func:`survey_tables` returns, in order.
SURVEY_TABLES = (
    "descriptives", "item_distribution", "gaps_items", "gaps_dimensions", "servqual_scores", "importance", "outcomes", "ipa",
    "segments", "segments_posthoc", "zone_of_tolerance",
)


def survey_columns(instrument: Instrument, segments: Sequence[str] = ()) -> list[str]:
    """The response columns :func:`survey_tables` reads: ratings, segments, importance, outcomes
    and the overall item (reading only these matters: a pseudonym column alone costs seconds at a
    million respondents)."""
    columns = instrument.rating_columns() + list(segments)
    columns += instrument.importance_columns if instrument.has_importance else []
    columns += instrument.item_importance_columns if instrument.has_item_importance else []
    columns += [c for outcome in instrument.outcomes for c in outcome.canonical_columns]
    return columns + ([OVERALL] if instrument.has_overall else [])


def survey_tables(
    responses: pd.DataFrame,
    instrument: Instrument,
    options: Mapping[str, Any],
    *,
    segments: Sequence[str] = (),
    small_levels: Mapping[str, str] | None = None,
    confidence: float = 0.95,
) -> dict[str, pd.DataFrame]:
    """The gap step's tables (:data:`SURVEY_TABLES`) of one wave.

    ``options`` is the configuration's ``gaps`` section: ``zero_method`` and ``p_adjust`` of the
    gap tests, ``ipa_importance`` (``"stated"`` or ``"derived"``) and ``min_cell`` of the segment
    comparisons. A table the study has no data for (no segments, no importance, no adequate and
    desired columns) is empty with its documented columns.
    """
    frames = measure_frames(responses, instrument, with_gap=False)
    dims = instrument.item_dimension
    expected, perceived = frames.get("expectation"), frames["perception"]
    importance = (responses[instrument.importance_columns].set_axis(instrument.dimension_ids, axis=1)
                  if instrument.has_importance else None)
    rated = (responses[instrument.item_importance_columns].set_axis(instrument.item_ids, axis=1)
             if instrument.has_item_importance else None)
    outcomes = outcome_scores(responses, instrument)
    # Derived importance comes from the overall item, else from the first outcome.
    overall = responses[OVERALL] if instrument.has_overall else None
    derived_from = outcomes.iloc[:, 0] if len(outcomes.columns) else None
    tests = {"zero_method": options["zero_method"], "p_adjust": options["p_adjust"], "confidence": confidence}
    tables = {
        "descriptives": describe_measures(responses, instrument, confidence),
        "item_distribution": item_distribution(responses, instrument),
        "gaps_items": paired_gap_tests(expected, perceived, dims, level="item", **tests),
        "gaps_dimensions": paired_gap_tests(expected, perceived, dims, level="dimension", **tests),
        "servqual_scores": servqual_scores(perceived, dims, expected, importance, overall, confidence),
        "importance": importance_table(perceived, dims, importance, derived_from, confidence),
        "outcomes": outcome_table(perceived, dims, outcomes, expected, importance, confidence),
    }
    # IPA needs the importance it is asked for: stated (item ratings, else points per dimension),
    # or overall satisfaction to derive it.
    stated = options["ipa_importance"] == "stated"
    tables["ipa"] = (
        importance_performance(perceived, dims, importance=importance, overall=derived_from,
                               kind=options["ipa_importance"], item_importance=rated)
        if ((importance if rated is None else rated) if stated else derived_from) is not None
        else pd.DataFrame(columns=IPA_COLUMNS)
    )
    tables["segments"] = pd.DataFrame(columns=SEGMENT_COLUMNS)
    tables["segments_posthoc"] = pd.DataFrame(columns=POSTHOC_COLUMNS)
    if segments:
        comparison = compare_segments(
            segment_targets(expected, perceived, dims), responses[list(segments)], min_cell=options["min_cell"],
            p_adjust=options["p_adjust"], confidence=confidence, small_levels=small_levels,
        )
        tables["segments"], tables["segments_posthoc"] = comparison.table, comparison.posthoc
    three_column = {"adequate", "desired"} <= frames.keys()
    tables["zone_of_tolerance"] = (
        zone_of_tolerance(frames["adequate"], frames["desired"], perceived, dims, confidence)
        if three_column else pd.DataFrame(columns=ZONE_COLUMNS)
    )
    return {name: tables[name] for name in SURVEY_TABLES}
