"""Adapter: raw survey export -> cleaned responses, exclusion log, flow table, provenance."""

import json
import logging
import sys
from pathlib import Path


# Everything the step says, tracebacks included, goes to its log.
sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: F821
logging.basicConfig(stream=sys.stderr, level=logging.INFO)

from servqual.cleaning import clean_survey  # noqa: E402
from servqual.instrument import instrument_from_config  # noqa: E402
from servqual.io import read_survey, sha256  # noqa: E402
from servqual.privacy import load_salt  # noqa: E402

p = snakemake.params
instrument = instrument_from_config(p.instrument, p.measures)
raw = read_survey(
    snakemake.input.survey,
    reader=p.reader or None,
    encoding=p.encoding or None,
    sheet=p.sheet or None,
    export_format=p.export_format or "plain",
)
result = clean_survey(raw, instrument, p.columns, p.cleaning, load_salt("."))
result.responses.to_parquet(snakemake.output.responses, index=False)
result.exclusions.to_csv(snakemake.output.exclusions, index=False)
result.summary.to_csv(snakemake.output.summary, index=False)
provenance = {
    "wave": snakemake.wildcards.wave,
    "raw": {
        "path": snakemake.input.survey,
        "sha256": sha256(snakemake.input.survey),
        "bytes": Path(snakemake.input.survey).stat().st_size,
        "encoding": raw.encoding,
    },
    "config": {"columns": p.columns, "cleaning": p.cleaning, "measures": p.measures},
}
Path(snakemake.output.provenance).write_text(json.dumps(provenance, indent=2, ensure_ascii=False))
logging.info("kept %d of %d rows", len(result.responses), len(raw.frame))
