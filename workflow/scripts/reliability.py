"""Adapter: cleaned responses -> reliability tables per measure and dimension."""

import logging
import sys

import pandas as pd

# Everything the step says, tracebacks included, goes to its log.
sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: F821
logging.basicConfig(stream=sys.stderr, level=logging.INFO)

from servqual.instrument import instrument_from_config, measure_frames  # noqa: E402
from servqual.reliability import reliability_tables  # noqa: E402
from servqual.tables import write_table  # noqa: E402

p = snakemake.params
instrument = instrument_from_config(p.instrument, p.measures)
# Only the ratings are read: the pseudonym column alone costs seconds at a million respondents.
responses = pd.read_parquet(snakemake.input.responses, columns=instrument.rating_columns())
scales, items = reliability_tables(
    measure_frames(responses, instrument),
    instrument.item_dimension,
    # Frequencies per point, and answers off the points, only mean something on a rating scale.
    scale_min=instrument.scale.min if instrument.scale.points else None,
    scale_max=instrument.scale.max if instrument.scale.points else None,
    seed=p.seed,
    missing=p.options["missing_policy"],
    n_boot=p.options["n_boot"],
    threshold=p.options["threshold"],
    ci=p.confidence,
)
for table, path in ((scales, snakemake.output.reliability), (items, snakemake.output.item_table)):
    table.insert(0, "wave", snakemake.wildcards.wave)
    write_table(table, path)
