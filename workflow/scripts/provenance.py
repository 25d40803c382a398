"""Adapter: a wave's raw inputs and configuration -> its provenance record."""

import json
import logging
import os
import sys
from pathlib import Path

# Everything the step says, tracebacks included, goes to its log.
sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: F821
logging.basicConfig(stream=sys.stderr, level=logging.INFO)

from servqual.provenance import input_checksums, software_versions, workflow_commit  # noqa: E402

inputs, p, out = snakemake.input, snakemake.params, snakemake.output  # noqa: F821
named = inputs.keys()
raw = [inputs.survey, *inputs.get("interviews", [])]
raw += [inputs[name] for name in ("complaints", "codebook") if name in named]
versions = software_versions()
record = {
    "wave": snakemake.wildcards.wave,  # noqa: F821
    "raw_inputs": input_checksums(raw),
    "config": p.config,
    "software": versions,
    "seed": p.config["analysis"]["seed"],
    # This script's folder is inside the workflow's checkout.
    "workflow_commit": workflow_commit(snakemake.scriptdir),  # noqa: F821
    "command": os.environ.get("SERVQUAL_COMMAND", "unknown"),
}
Path(out.record).write_text(json.dumps(record, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
