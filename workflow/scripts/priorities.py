"""Adapter: gap tables, IPA and (where the wave has interviews) triangulation -> priorities."""

from servqual.adapters import begin_step

begin_step(snakemake.log[0])

import logging

from servqual.triangulation import improvement_evidence
from servqual.priorities import playbook_in, priority_table
from servqual.tables import read_table, write_tables

i, p = snakemake.input, snakemake.params
triangulation = i.get("triangulation")  # only where the wave has interviews
evidence = improvement_evidence(read_table(triangulation)) if triangulation else None
tables = [read_table(i[name]) for name in ("gaps_items", "gaps_dimensions", "ipa")]
table = priority_table(*tables, evidence, playbook_in(p.playbook, p.language))
if table.empty:
    logging.info("no gap scores or no importance: improvement priorities do not apply")
write_tables({"priorities": table}, snakemake.output, wave=snakemake.wildcards.wave)
