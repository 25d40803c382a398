"""Adapter: a wave's (and the previous wave's) cleaned responses and coded complaints -> the KPI scorecard."""

from servqual.adapters import begin_step

begin_step(snakemake.log[0])

import pandas as pd

from servqual.instrument import instrument_from_config
from servqual.kpi import WaveData, scorecard
from servqual.tables import write_tables

p, i = snakemake.params, snakemake.input
instrument = instrument_from_config(p.instrument, p.measures, p.outcomes)


def wave_data(wave, responses, complaints):
    return WaveData(wave, pd.read_parquet(responses), pd.read_parquet(complaints) if complaints else None)


current = wave_data(snakemake.wildcards.wave, i.responses, i.get("complaints"))
previous = wave_data(p.previous, i.previous_responses, i.get("previous_complaints")) if p.previous else None
table = scorecard(p.targets, current, instrument, previous=previous, period=p.period, confidence=p.confidence)
write_tables({"kpi_scorecard": table}, snakemake.output)
