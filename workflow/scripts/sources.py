"""Adapter: the interviews' joint display + complaints per dimension -> three-source display."""

import logging
import sys

# Everything the step says, tracebacks included, goes to its log.
sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: F821
logging.basicConfig(stream=sys.stderr, level=logging.INFO)

import pandas as pd  # noqa: E402

from servqual.complaints import triangulate_three  # noqa: E402

inputs = snakemake.input  # noqa: F821
joint = triangulate_three(pd.read_csv(inputs.triangulation), pd.read_csv(inputs.complaints))
joint.to_csv(snakemake.output.joint, index=False)  # noqa: F821
