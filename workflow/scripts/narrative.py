"""Adapter: a wave's tables and cleaning flow -> its cautions table and methods paragraph."""

import logging
import sys
from pathlib import Path

# Everything the step says, tracebacks included, goes to its log.
sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: F821
logging.basicConfig(stream=sys.stderr, level=logging.INFO)

from servqual.cautions import caution_labels, wave_cautions  # noqa: E402
from servqual.labels import read_table  # noqa: E402
from servqual.methods import methods_paragraph  # noqa: E402
from servqual.provenance import software_versions  # noqa: E402
from servqual.tables import read_table as read_csv_table, write_table  # noqa: E402

p, inputs, out = snakemake.params, snakemake.input, snakemake.output  # noqa: F821
paths = [Path(p) for p in [*inputs.tables, *inputs.evidence] if p.endswith(".csv")]
tables = {path.stem: read_table(path.parent, path.stem) for path in paths}
flow = read_csv_table(inputs.summary, keep_default_na=False, na_values=[""])
cautions = wave_cautions(tables, flow, p.language, caution_labels(p.instrument, p.language))
cautions.insert(0, "wave", snakemake.wildcards.wave)  # noqa: F821
write_table(cautions, out.cautions)
methods = methods_paragraph(p.study, tables, flow, software_versions(), p.language)
Path(out.methods).write_text(methods, encoding="utf-8")
