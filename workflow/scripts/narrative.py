"""Adapter: a wave's tables and cleaning flow -> its cautions table and methods paragraph."""

from servqual.adapters import begin_step

begin_step(snakemake.log[0])

from pathlib import Path

from servqual.cautions import caution_labels, wave_cautions
from servqual.methods import methods_paragraph
from servqual.provenance import software_versions
from servqual.tables import read_table, read_tables, write_tables

p, inputs, out = snakemake.params, snakemake.input, snakemake.output
tables = read_tables([*inputs.tables, *inputs.evidence])
flow = read_table(inputs.cleaning_summary, keep_default_na=False, na_values=[""])
cautions = wave_cautions(tables, flow, p.language, caution_labels(p.instrument, p.language))
write_tables({"cautions": cautions}, out, wave=snakemake.wildcards.wave)
methods = methods_paragraph(p.study, tables, flow, software_versions(), p.language)
Path(out.methods).write_text(methods, encoding="utf-8")
