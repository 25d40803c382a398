"""Adapter: raw survey export -> cleaned responses, exclusion log, flow table, provenance."""

from servqual.adapters import begin_step

begin_step(snakemake.log[0])

import logging

from servqual.cleaning import clean_survey, provenance, write_outputs
from servqual.instrument import instrument_from_config
from servqual.io import read_wave_export
from servqual.privacy import load_salt

p = snakemake.params
instrument = instrument_from_config(p.instrument, p.measures, p.outcomes)
wave = {"reader": p.reader, "encoding": p.encoding, "sheet": p.sheet, "export_format": p.export_format or "plain"}
raw = read_wave_export(snakemake.input.survey, **wave)
salt = load_salt(".", scheme=p.pseudonym_scheme)
result = clean_survey(raw, instrument, p.columns, p.cleaning, salt, names=snakemake.config["privacy"]["names"])
for warning in result.warnings:
    logging.warning(warning)
used = {"wave": snakemake.wildcards.wave, **wave, "instrument": p.instrument, "measures": p.measures}
used |= {"columns": p.columns, "cleaning": p.cleaning, "pseudonym_scheme": salt.scheme}
write_outputs(result, dict(snakemake.output.items()), provenance(raw, result, used))
logging.info("kept %d of %d rows", len(result.responses), len(raw.frame))
