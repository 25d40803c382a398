"""Adapter: cleaned responses -> descriptives, gap tests, scores, importance, IPA, segments."""

from servqual.adapters import begin_step

begin_step(snakemake.log[0])

import pandas as pd

from servqual.instrument import instrument_from_config
from servqual.survey import survey_columns, survey_tables
from servqual.tables import write_tables

p = snakemake.params
instrument = instrument_from_config(p.instrument, p.measures, p.outcomes)
segments = list(p.segments or [])
responses = pd.read_parquet(snakemake.input.responses, columns=survey_columns(instrument, segments))
tables = survey_tables(responses, instrument, p.options, segments=segments, small_levels=p.small_levels,
                       confidence=p.confidence)
write_tables(tables, snakemake.output, wave=snakemake.wildcards.wave)
