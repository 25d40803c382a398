"""Adapter: complaint log + codebook -> coded complaints, counts per period with control limits,
response-time compliance, the Pareto table, the problems found, and two figures."""

from servqual.adapters import begin_step

begin_step(snakemake.log[0])

import logging
from pathlib import Path

from servqual.complaints import analyse_complaints
from servqual.figures import complaint_figures
from servqual.labels import dimension_labels
from servqual.plots import save
from servqual.privacy import load_salt
from servqual.tables import write_tables

#: Output table -> field of :class:`servqual.complaints.ComplaintResults`.
FIELDS = {"complaints_by_dimension": "by_dimension", "complaints_monthly": "monthly",
          "complaint_response_times": "response_times", "complaints_pareto": "pareto", "complaint_problems": "problems"}

p, i, out = snakemake.params, snakemake.input, snakemake.output
o, wave = p.options, snakemake.wildcards.wave
result = analyse_complaints(
    i.register, i.codebook, o["promises"], columns=o["columns"], salt=load_salt(".", scheme=p.pseudonym_scheme),
    names=snakemake.config["privacy"]["names"], manual_code=o["manual_code"], exposure=o["exposure"],
    period=o["period"], sigma=o["sigma"], baseline=o["baseline_periods"],
    earliest=p.earliest or None,
)
for note in result.notes:
    logging.warning(note)
if len(result.problems):
    logging.warning("problems in %s:\n%s", i.register, result.problems.to_string(index=False))
result.complaints.to_parquet(out.complaints, index=False)
write_tables({name: getattr(result, field) for name, field in FIELDS.items()}, out, wave=wave)
labels = dimension_labels({"dimensions": p.dimensions}, p.language)
figures = complaint_figures(result.pareto, result.monthly, labels, wave, o["period"], language=p.language)
for name, figure in figures.items():
    save(figure, Path(out[name]).with_suffix(""))
