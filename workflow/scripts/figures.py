"""Adapter: a wave's tables -> its figures (PNG and SVG)."""

import logging
import sys
from pathlib import Path

# Everything the step says, tracebacks included, goes to its log.
sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: F821
logging.basicConfig(stream=sys.stderr, level=logging.INFO)

from servqual import plots  # noqa: E402
from servqual.figures import wave_figures  # noqa: E402
from servqual.labels import dimension_labels, item_labels, segment_labels  # noqa: E402
from servqual.tables import read_table  # noqa: E402

p, inputs = snakemake.params, snakemake.input  # noqa: F821
tables = {Path(path).stem: read_table(path) for path in inputs.tables}
tables["cleaning_summary"] = read_table(inputs.summary)
dimensions, items = dimension_labels(p.instrument, p.language), item_labels(p.instrument, p.language)
figures = wave_figures(
    tables, p.names, dimensions, items, snakemake.wildcards.wave,  # noqa: F821
    language=p.language, segment_labels=segment_labels(p.segments, p.language),
)
for name, figure in figures.items():
    plots.save(figure, Path(snakemake.output[name]).with_suffix(""))  # noqa: F821
