"""Adapter: the interviews' joint display + complaints per dimension -> three-source display."""

import logging
import sys

# Everything the step says, tracebacks included, goes to its log.
sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: F821
logging.basicConfig(stream=sys.stderr, level=logging.INFO)

from servqual.complaints import triangulate_three  # noqa: E402
from servqual.tables import read_table, write_table  # noqa: E402

inputs = snakemake.input  # noqa: F821
joint = triangulate_three(read_table(inputs.triangulation), read_table(inputs.complaints))
write_table(joint, snakemake.output.joint)  # noqa: F821
