"""Adapter: cleaned responses -> invariance of the measurement model across expectations and perceptions."""

import logging
import sys

import pandas as pd

# Everything the step says, tracebacks included, goes to its log.
sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: F821
logging.basicConfig(stream=sys.stderr, level=logging.INFO)

from servqual.ep_invariance import EP_COLUMNS, LATENT_MEAN_COLUMNS, ep_invariance  # noqa: E402
from servqual.instrument import instrument_from_config, measure_frames  # noqa: E402
from servqual.tables import write_table  # noqa: E402

p = snakemake.params  # noqa: F821
instrument = instrument_from_config(p.instrument, p.measures)
responses = pd.read_parquet(snakemake.input.responses, columns=instrument.rating_columns())  # noqa: F821
frames = measure_frames(responses, instrument, with_gap=False)
if {"expectation", "perception"} <= set(frames):
    result = ep_invariance(frames["expectation"], frames["perception"], instrument.item_dimension,
                           confidence=p.confidence, estimator=p.estimator)
    levels, means = result.levels, result.latent_means
else:  # perceptions only (SERVPERF): nothing to compare
    levels, means = pd.DataFrame(columns=EP_COLUMNS), pd.DataFrame(columns=LATENT_MEAN_COLUMNS)
    logging.info("no expectations measured: E-versus-P invariance not assessed")
wave = snakemake.wildcards.wave  # noqa: F821
write_table(levels.assign(wave=wave)[["wave", *EP_COLUMNS]], snakemake.output.levels)  # noqa: F821
write_table(means.assign(wave=wave)[["wave", *LATENT_MEAN_COLUMNS]], snakemake.output.latent_means)  # noqa: F821
