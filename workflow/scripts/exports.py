"""Adapter: a wave's tables, cleaned responses and CFA fit -> workbook, SPSS file, lavaan models."""

from servqual.adapters import begin_step

begin_step(snakemake.log[0])

import logging
from pathlib import Path

import pandas as pd

from servqual.exports import write_sav, write_workbook
from servqual.instrument import instrument_from_config
from servqual.lavaan import lavaan_models, model_file, refit_script
from servqual.tables import read_tables

p, i, out, wave = snakemake.params, snakemake.input, snakemake.output, snakemake.wildcards.wave
instrument = instrument_from_config(p.instrument, p.measures, p.outcomes)
tables = read_tables([*i.cleaning, *i.analyses, *i.evidence, i.kpi, i.cautions])
write_workbook(tables, out.workbook, p.language)
responses = pd.read_parquet(i.responses)
write_sav(responses, out.sav, instrument, p.segments, p.language)
models = lavaan_models(tables["cfa_fit"], instrument.item_dimension)
Path(out.model).write_text(model_file(models, wave, p.language), encoding="utf-8")
script = refit_script(models, wave=wave, model_path=out.model, data_path=out.sav, fit_table=i.cfa_fit,
                      script_path=out.refit, language=p.language)
Path(out.refit).write_text(script, encoding="utf-8")
logging.info("%d sheets, %d respondents, %d lavaan models", len(tables), len(responses), len(models))
