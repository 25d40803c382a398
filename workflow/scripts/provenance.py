"""Adapter: a wave's raw inputs and configuration -> its provenance record."""

from servqual.adapters import begin_step

begin_step(snakemake.log[0])

import json
import os
from pathlib import Path

from servqual.provenance import input_checksums, software_versions, workflow_commit

inputs, p, out = snakemake.input, snakemake.params, snakemake.output
named = inputs.keys()
raw = [inputs.survey, *inputs.get("interviews", [])]
raw += [inputs[name] for name in ("complaints", "codebook") if name in named]
versions = software_versions()
record = {
    "wave": snakemake.wildcards.wave,
    "raw_inputs": input_checksums(raw),
    "config": p.config,
    "software": versions,
    "seed": p.config["analysis"]["seed"],
    # This script's folder is inside the workflow's checkout.
    "workflow_commit": workflow_commit(snakemake.scriptdir),
    "command": os.environ.get("SERVQUAL_COMMAND", "unknown"),
}
Path(out.record).write_text(json.dumps(record, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
