"""Adapter: cleaned responses -> the structural model from the dimensions to the outcomes."""

import logging
import sys

import pandas as pd

# Everything the step says, tracebacks included, goes to its log.
sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: F821
logging.basicConfig(stream=sys.stderr, level=logging.INFO)

from servqual.instrument import instrument_from_config  # noqa: E402
from servqual.structural import FIT_COLUMNS, PATH_COLUMNS, STRUCTURAL_EFFECT_COLUMNS, StructuralResult  # noqa: E402
from servqual.structural import structural_tables  # noqa: E402
from servqual.tables import write_table  # noqa: E402

p = snakemake.params  # noqa: F821
instrument = instrument_from_config(p.instrument, p.measures, p.outcomes)
responses = pd.read_parquet(snakemake.input.responses)  # noqa: F821
result = structural_tables(responses, instrument, confidence=p.confidence, seed=p.seed, **p.options)
if result is None:
    logging.info("the study has no outcomes: no structural model")
    result = StructuralResult(*(pd.DataFrame(columns=c) for c in (FIT_COLUMNS, PATH_COLUMNS, STRUCTURAL_EFFECT_COLUMNS)))
wave = snakemake.wildcards.wave  # noqa: F821
for name in ("fit", "paths", "effects"):
    table = getattr(result, name)
    write_table(table.assign(wave=wave)[["wave", *table.columns]], snakemake.output[name])  # noqa: F821
