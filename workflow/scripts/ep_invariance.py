"""Adapter: cleaned responses -> invariance of the measurement model across expectations and perceptions."""

from servqual.adapters import begin_step

begin_step(snakemake.log[0])

import logging

import pandas as pd

from servqual.ep_invariance import EP_COLUMNS, LATENT_MEAN_COLUMNS, ep_invariance
from servqual.instrument import instrument_from_config, measure_frames
from servqual.tables import write_tables

p = snakemake.params
instrument = instrument_from_config(p.instrument, p.measures)
responses = pd.read_parquet(snakemake.input.responses, columns=instrument.rating_columns())
frames = measure_frames(responses, instrument, with_gap=False)
if {"expectation", "perception"} <= set(frames):
    result = ep_invariance(frames["expectation"], frames["perception"], instrument.item_dimension,
                           confidence=p.confidence, estimator=p.estimator)
    tables = {"ep_invariance": result.levels, "ep_latent_means": result.latent_means}
else:  # perceptions only (SERVPERF): nothing to compare
    logging.info("no expectations measured: E-versus-P invariance not assessed")
    tables = {"ep_invariance": pd.DataFrame(columns=EP_COLUMNS),
              "ep_latent_means": pd.DataFrame(columns=LATENT_MEAN_COLUMNS)}
write_tables(tables, snakemake.output, wave=snakemake.wildcards.wave)
