"""Adapter: complaint log + codebook -> coded complaints, counts per period with control limits,
response-time compliance, the Pareto table, the problems found, and two figures."""

import logging
import sys
from pathlib import Path

# Everything the step says, tracebacks included, goes to its log.
sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: F821
logging.basicConfig(stream=sys.stderr, level=logging.INFO)

import pandas as pd  # noqa: E402

from servqual.complaints import analyse_complaints  # noqa: E402
from servqual.i18n import text  # noqa: E402
from servqual.labels import dimension_labels  # noqa: E402
from servqual.plots import complaint_pareto, control_chart, save  # noqa: E402
from servqual.privacy import load_salt  # noqa: E402
from servqual.tables import write_free_text_tables  # noqa: E402

p, inputs, output = snakemake.params, snakemake.input, snakemake.output  # noqa: F821
o = p.options
wave = snakemake.wildcards.wave  # noqa: F821
result = analyse_complaints(
    inputs.register,
    inputs.codebook,
    o["promises"],
    columns=o["columns"],
    salt=load_salt(".", scheme=p.pseudonym_scheme),
    names=snakemake.config["privacy"]["names"],  # noqa: F821
    manual_code=o["manual_code"],
    exposure=o["exposure"],
    period=o["period"],
    sigma=o["sigma"],
    baseline=o["baseline_periods"],
    earliest=pd.Timestamp(p.earliest) if p.earliest else None,
)
for note in result.notes:
    logging.warning(note)
if len(result.problems):
    logging.warning("problems in %s:\n%s", inputs.register, result.problems.to_string(index=False))

result.complaints.to_parquet(output.complaints, index=False)
tables = ("by_dimension", "monthly", "response_times", "pareto", "problems")
write_free_text_tables({name: getattr(result, name) for name in tables}, output, wave)

labels = pd.Series(dimension_labels({"dimensions": p.dimensions}, p.language))
save(
    complaint_pareto(result.pareto, text(p.language, "figures.title_complaints_pareto", wave=wave), language=p.language),
    Path(output.pareto_png).with_suffix(""),
)
save(
    control_chart(
        result.monthly, labels, text(p.language, "figures.title_complaints_control", wave=wave,
                                     period=text(p.language, f"figures.period_{o['period']}")),
        language=p.language,
    ),
    Path(output.control_png).with_suffix(""),
)
