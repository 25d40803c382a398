"""Adapter: a wave's (and the previous wave's) cleaned responses and coded complaints -> the KPI scorecard."""

import logging
import sys

# Everything the step says, tracebacks included, goes to its log.
sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: F821
logging.basicConfig(stream=sys.stderr, level=logging.INFO)

import pandas as pd  # noqa: E402

from servqual.instrument import instrument_from_config  # noqa: E402
from servqual.kpi import WaveData, scorecard  # noqa: E402
from servqual.tables import write_table  # noqa: E402

p, i = snakemake.params, snakemake.input  # noqa: F821
instrument = instrument_from_config(p.instrument, p.measures, p.outcomes)


def wave_data(wave, responses, complaints):
    return WaveData(wave, pd.read_parquet(responses), pd.read_parquet(complaints) if complaints else None)


current = wave_data(snakemake.wildcards.wave, i.responses, i.get("complaints"))  # noqa: F821
previous = wave_data(p.previous, i.previous_responses, i.get("previous_complaints")) if p.previous else None
table = scorecard(p.targets, current, instrument, previous=previous, period=p.period, confidence=p.confidence)
write_table(table, snakemake.output.scorecard)  # noqa: F821
