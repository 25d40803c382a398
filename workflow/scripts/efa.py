"""Adapter: cleaned responses -> EFA tables for expectation and perception."""

from servqual.adapters import begin_step

begin_step(snakemake.log[0])

import logging

import pandas as pd

from servqual.efa import EFATables, efa_by_measure
from servqual.instrument import instrument_from_config, measure_frames
from servqual.tables import stack_by_measure, write_tables

p = snakemake.params
instrument = instrument_from_config(p.instrument, p.measures)
# Only the ratings are read: the pseudonym column alone costs seconds at a million respondents.
responses = pd.read_parquet(snakemake.input.responses, columns=instrument.rating_columns())
per_measure, failures = efa_by_measure(measure_frames(responses, instrument), instrument.item_dimension,
                                       p.options, seed=p.seed)
for measure, why in failures.items():
    logging.warning("EFA of %s failed: %s", measure, why)
tables = stack_by_measure(per_measure, snakemake.wildcards.wave)
empty = pd.DataFrame(columns=["wave", "measure"])
write_tables({name: tables.get(name, empty) for name in EFATables.NAMES}, snakemake.output)
