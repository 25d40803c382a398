"""Adapter: cleaned responses -> descriptives, gap tests, scores, importance, IPA, segments."""

import logging
import sys

import pandas as pd

# Everything the step says, tracebacks included, goes to its log.
sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: F821
logging.basicConfig(stream=sys.stderr, level=logging.INFO)

from servqual.descriptives import describe_measures  # noqa: E402
from servqual.gaps import ZONE_COLUMNS, paired_gap_tests, servqual_scores, zone_of_tolerance  # noqa: E402
from servqual.instrument import OVERALL, instrument_from_config, measure_frames  # noqa: E402
from servqual.outcomes import outcome_scores, outcome_table  # noqa: E402
from servqual.priorities import IPA_COLUMNS, importance_performance, importance_table  # noqa: E402
from servqual.segments import POSTHOC_COLUMNS, SEGMENT_COLUMNS, segment_gap_comparisons  # noqa: E402
from servqual.tables import write_table  # noqa: E402

p = snakemake.params
o = p.options
instrument = instrument_from_config(p.instrument, p.measures, p.outcomes)
# Only the columns analysed are read: the pseudonym column alone costs seconds at a million respondents.
columns = instrument.rating_columns() + list(p.segments or [])
columns += instrument.importance_columns if instrument.has_importance else []
columns += instrument.item_importance_columns if instrument.has_item_importance else []
columns += [c for outcome in instrument.outcomes for c in outcome.canonical_columns]
columns += [OVERALL] if instrument.has_overall else []
responses = pd.read_parquet(snakemake.input.responses, columns=columns)
frames = measure_frames(responses, instrument, with_gap=False)
dims = instrument.item_dimension
E, P = frames.get("expectation"), frames["perception"]
importance = None
if instrument.has_importance:
    importance = responses[instrument.importance_columns].set_axis(instrument.dimension_ids, axis=1)
overall = responses[OVERALL] if instrument.has_overall else None
outcomes = outcome_scores(responses, instrument)
# Derived importance comes from the overall item, else from the first outcome.
derived_from = outcomes.iloc[:, 0] if len(outcomes.columns) else None
rated = (responses[instrument.item_importance_columns].set_axis(instrument.item_ids, axis=1)
         if instrument.has_item_importance else None)
tests = dict(zero_method=o["zero_method"], p_adjust=o["p_adjust"], confidence=p.confidence)
tables = {
    "descriptives": describe_measures(responses, instrument, p.confidence),
    "item_gaps": paired_gap_tests(E, P, dims, level="item", **tests),
    "dimension_gaps": paired_gap_tests(E, P, dims, level="dimension", **tests),
    "scores": servqual_scores(P, dims, E, importance, overall, p.confidence),
    "importance": importance_table(P, dims, importance, derived_from, p.confidence),
    "outcomes": outcome_table(P, dims, outcomes, E, importance, p.confidence),
}
# IPA needs the importance it is asked for: stated (item ratings, else points per dimension), or
# overall satisfaction to derive it.
ipa_source = (importance if rated is None else rated) if o["ipa_importance"] == "stated" else derived_from
tables["ipa"] = (
    importance_performance(P, dims, importance=importance, overall=derived_from, kind=o["ipa_importance"],
                           item_importance=rated)
    if ipa_source is not None
    else pd.DataFrame(columns=IPA_COLUMNS)
)
if p.segments:
    comparison = segment_gap_comparisons(
        E, P, dims, responses[p.segments], min_cell=o["min_cell"], p_adjust=o["p_adjust"], confidence=p.confidence,
        small_levels=p.small_levels,
    )
    tables["segments"], tables["posthoc"] = comparison.table, comparison.posthoc
else:
    tables["segments"], tables["posthoc"] = pd.DataFrame(columns=SEGMENT_COLUMNS), pd.DataFrame(columns=POSTHOC_COLUMNS)
three_column = {"adequate", "desired"} <= frames.keys()
tables["zone_of_tolerance"] = (
    zone_of_tolerance(frames["adequate"], frames["desired"], P, dims, p.confidence)
    if three_column
    else pd.DataFrame(columns=ZONE_COLUMNS)
)
for name, table in tables.items():
    table.insert(0, "wave", snakemake.wildcards.wave)
    write_table(table, snakemake.output[name])
