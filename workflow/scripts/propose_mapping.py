"""Adapter: a wave's raw export -> servqual-map's proposal of its measures and columns (YAML)."""

import logging
import sys
from pathlib import Path

# Everything the step says, tracebacks included, goes to its log.
sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: F821
logging.basicConfig(stream=sys.stderr, level=logging.INFO)

from servqual.io import read_wave_export  # noqa: E402
from servqual.mapping import propose_mapping, proposal_yaml  # noqa: E402

p = snakemake.params  # noqa: F821
raw = read_wave_export(snakemake.input.survey, p.reader, p.encoding, p.sheet, p.export_format)  # noqa: F821
Path(snakemake.output.proposal).write_text(proposal_yaml(propose_mapping(raw)), encoding="utf-8")  # noqa: F821
