"""Adapter: a wave's tables, cleaned responses and CFA fit -> workbook, SPSS file, lavaan models."""

import logging
import sys
from pathlib import Path

import pandas as pd

# Everything the step says, tracebacks included, goes to its log.
sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: F821
logging.basicConfig(stream=sys.stderr, level=logging.INFO)

from servqual.exports import write_sav, write_workbook  # noqa: E402
from servqual.instrument import instrument_from_config  # noqa: E402
from servqual.lavaan import lavaan_models, model_file, refit_script  # noqa: E402
from servqual.tables import read_table  # noqa: E402

p, out, wave = snakemake.params, snakemake.output, snakemake.wildcards.wave  # noqa: F821
instrument = instrument_from_config(p.instrument, p.measures, p.outcomes)
i = snakemake.input  # noqa: F821
paths = [*i.cleaning, *i.analyses, *i.evidence, i.kpi, i.cautions]
tables = {Path(path).stem: read_table(path, keep_default_na=False, na_values=[""]) for path in paths}
write_workbook(tables, out.workbook, p.language)
responses = pd.read_parquet(i.responses)
write_sav(responses, out.sav, instrument, p.segments, p.language)
fit = read_table(i.fit, keep_default_na=False, na_values=[""])
models = lavaan_models(fit, instrument.item_dimension)
Path(out.model).write_text(model_file(models, wave, p.language), encoding="utf-8")
script = refit_script(models, wave=wave, model_path=out.model, data_path=out.sav, fit_table=i.fit,
                      script_path=out.refit, language=p.language)
Path(out.refit).write_text(script, encoding="utf-8")
logging.info("%d sheets, %d respondents, %d lavaan models", len(tables), len(responses), len(models))
