"""Adapter: cleaned responses -> CFA fit, loadings, parameters, factor correlations, validity and hints per measure."""

import logging
import sys

import pandas as pd

# Everything the step says, tracebacks included, goes to its log.
sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: F821
logging.basicConfig(stream=sys.stderr, level=logging.INFO)

from servqual.cfa import cfa_tables  # noqa: E402
from servqual.instrument import instrument_from_config, measure_frames  # noqa: E402
from servqual.tables import stack_by_measure, write_table  # noqa: E402

p = snakemake.params
instrument = instrument_from_config(p.instrument, p.measures)
# Only the ratings are read: the pseudonym column alone costs seconds at a million respondents.
responses = pd.read_parquet(snakemake.input.responses, columns=instrument.rating_columns())
frames = measure_frames(responses, instrument, with_gap=False)
per_measure = {}
for measure in ("expectation", "perception"):
    if measure in frames:
        result = cfa_tables(frames[measure], instrument.item_dimension, confidence=p.confidence,
                            missing=p.options["missing"])
        per_measure[measure] = {
            "fit": result.fit,
            "loadings": result.loadings,
            "parameters": result.parameters,
            "correlations": result.factor_correlations,
            "validity": result.validity,
            "hints": result.hints,
        }
tables = stack_by_measure(per_measure, snakemake.wildcards.wave)
for name in ("fit", "loadings", "parameters", "correlations", "validity", "hints"):
    write_table(tables[name], snakemake.output[name])
