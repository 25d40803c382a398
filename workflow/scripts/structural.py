"""Adapter: cleaned responses -> the structural model from the dimensions to the outcomes."""

from servqual.adapters import begin_step

begin_step(snakemake.log[0])

import logging

import pandas as pd

from servqual.instrument import instrument_from_config
from servqual.structural import FIT_COLUMNS, PATH_COLUMNS, STRUCTURAL_EFFECT_COLUMNS, structural_tables
from servqual.tables import write_tables

p = snakemake.params
instrument = instrument_from_config(p.instrument, p.measures, p.outcomes)
responses = pd.read_parquet(snakemake.input.responses)
result = structural_tables(responses, instrument, confidence=p.confidence, seed=p.seed, **p.options)
if result is None:
    logging.info("the study has no outcomes: no structural model")
    tables = {name: pd.DataFrame(columns=columns) for name, columns in
              (("sem_fit", FIT_COLUMNS), ("sem_paths", PATH_COLUMNS), ("sem_effects", STRUCTURAL_EFFECT_COLUMNS))}
else:
    tables = {"sem_fit": result.fit, "sem_paths": result.paths, "sem_effects": result.effects}
write_tables(tables, snakemake.output, wave=snakemake.wildcards.wave)
