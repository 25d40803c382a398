"""Adapter: gap tables, IPA and (where the wave has interviews) triangulation -> priorities."""

import logging
import sys

# Everything the step says, tracebacks included, goes to its log.
sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: F821
logging.basicConfig(stream=sys.stderr, level=logging.INFO)

import pandas as pd  # noqa: E402

from servqual.interviews import improvement_evidence  # noqa: E402
from servqual.priorities import PRIORITY_COLUMNS, improvement_priorities, playbook_in  # noqa: E402
from servqual.tables import read_table, write_table  # noqa: E402

inputs, wave = snakemake.input, snakemake.wildcards.wave  # noqa: F821
playbook = playbook_in(snakemake.params.playbook, snakemake.params.language)  # noqa: F821
gaps = pd.concat([read_table(inputs.dimension_gaps), read_table(inputs.item_gaps)], ignore_index=True)
ipa = read_table(inputs.ipa)
evidence = improvement_evidence(read_table(inputs.triangulation)) if "triangulation" in inputs.keys() else None
if gaps["gap"].notna().any() and not ipa.empty:
    keys = ["level", "dimension", "item"]
    gaps[keys], ipa[keys] = gaps[keys].fillna(""), ipa[keys].fillna("")
    table = improvement_priorities(gaps, ipa, evidence, playbook)
else:
    logging.info("no gap scores or no importance: improvement priorities do not apply")
    table = pd.DataFrame(columns=PRIORITY_COLUMNS)
table.insert(0, "wave", wave)
write_table(table, snakemake.output.priorities)  # noqa: F821
