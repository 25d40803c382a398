"""Adapter: a wave's tables -> its figures (PNG)."""

from servqual.adapters import begin_step

begin_step(snakemake.log[0])

from pathlib import Path

from servqual import plots
from servqual.figures import wave_figures
from servqual.labels import dimension_labels, item_labels, outcome_labels, segment_labels
from servqual.tables import read_tables

p, inputs = snakemake.params, snakemake.input
tables = read_tables([*inputs.tables, inputs.cleaning_summary])
dimensions, items = dimension_labels(p.instrument, p.language), item_labels(p.instrument, p.language)
figures = wave_figures(
    tables, p.names, dimensions, items, snakemake.wildcards.wave, language=p.language,
    segment_labels=segment_labels(p.segments, p.language), outcome_labels=outcome_labels(p.outcomes, p.language),
)
for name, figure in figures.items():
    plots.save(figure, Path(snakemake.output[name]).with_suffix(""))
