"""Adapter: raw survey export -> cleaned responses, exclusion log, flow table, provenance."""

import logging
import sys

# Everything the step says, tracebacks included, goes to its log.
sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: F821
logging.basicConfig(stream=sys.stderr, level=logging.INFO)

from servqual.cleaning import clean_survey, provenance, write_outputs  # noqa: E402
from servqual.instrument import instrument_from_config  # noqa: E402
from servqual.io import read_wave_export  # noqa: E402
from servqual.privacy import load_salt  # noqa: E402

p = snakemake.params  # noqa: F821
instrument = instrument_from_config(p.instrument, p.measures, p.outcomes)
wave = {"reader": p.reader, "encoding": p.encoding, "sheet": p.sheet, "export_format": p.export_format or "plain"}
raw = read_wave_export(snakemake.input.survey, **wave)  # noqa: F821
salt = load_salt(".", scheme=p.pseudonym_scheme)
result = clean_survey(raw, instrument, p.columns, p.cleaning, salt, names=snakemake.config["privacy"]["names"])  # noqa: F821
for warning in result.warnings:
    logging.warning(warning)
used = {"wave": snakemake.wildcards.wave, **wave, "instrument": p.instrument, "measures": p.measures}  # noqa: F821
used |= {"columns": p.columns, "cleaning": p.cleaning, "pseudonym_scheme": salt.scheme}
write_outputs(result, dict(snakemake.output.items()), provenance(raw, result, used))  # noqa: F821
logging.info("kept %d of %d rows", len(result.responses), len(raw.frame))
