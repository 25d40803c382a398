"""Adapter: a wave's raw export -> servqual-map's proposal of its measures and columns (YAML)."""

from servqual.adapters import begin_step

begin_step(snakemake.log[0])

from pathlib import Path

from servqual.io import read_wave_export
from servqual.mapping import proposal_yaml, propose_mapping

p = snakemake.params
raw = read_wave_export(snakemake.input.survey, p.reader, p.encoding, p.sheet, p.export_format)
Path(snakemake.output.proposal).write_text(proposal_yaml(propose_mapping(raw)), encoding="utf-8")
