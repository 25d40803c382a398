"""Adapter: cleaned responses -> reliability tables per measure and dimension."""

from servqual.adapters import begin_step

begin_step(snakemake.log[0])

import pandas as pd

from servqual.instrument import instrument_from_config, measure_frames
from servqual.reliability import reliability_tables
from servqual.tables import write_tables

p = snakemake.params
instrument = instrument_from_config(p.instrument, p.measures)
# Only the ratings are read: the pseudonym column alone costs seconds at a million respondents.
responses = pd.read_parquet(snakemake.input.responses, columns=instrument.rating_columns())
# Frequencies per point, and answers off the points, only mean something on a rating scale.
on_points = instrument.scale.points
scales, items = reliability_tables(
    measure_frames(responses, instrument),
    instrument.item_dimension,
    scale_min=instrument.scale.min if on_points else None,
    scale_max=instrument.scale.max if on_points else None,
    seed=p.seed,
    missing=p.options["missing_policy"],
    n_boot=p.options["n_boot"],
    threshold=p.options["threshold"],
    ci=p.confidence,
)
write_tables({"reliability": scales, "item_reliability": items}, snakemake.output, wave=snakemake.wildcards.wave)
