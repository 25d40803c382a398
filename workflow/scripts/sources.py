"""Adapter: the interviews' joint display + complaints per dimension -> three-source display."""

from servqual.adapters import begin_step

begin_step(snakemake.log[0])

from servqual.complaints import triangulate_three
from servqual.tables import read_table, write_tables

i = snakemake.input
joint = triangulate_three(read_table(i.triangulation), read_table(i.complaints_by_dimension))
write_tables({"triangulation_sources": joint}, snakemake.output)
