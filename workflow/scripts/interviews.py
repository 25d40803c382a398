"""Adapter: interview folder + codebook + survey dimension gaps -> coded segments, evidence
counts, coder agreement, exemplar quotes, the triangulation joint display and the code chart."""

import logging
import sys
from pathlib import Path

# Everything the step says, tracebacks included, goes to its log.
sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: F821
logging.basicConfig(stream=sys.stderr, level=logging.INFO)
# Departures of coded-segment files from REFI-QDA are warnings: keep them in the log.
logging.captureWarnings(True)

import pandas as pd  # noqa: E402

from servqual.interviews import (  # noqa: E402
    analyse_interviews,
    dimension_gap_units,
)
from servqual.i18n import text  # noqa: E402
from servqual.labels import dimension_labels  # noqa: E402
from servqual.plots import interview_code_chart, save  # noqa: E402
from servqual.privacy import load_salt  # noqa: E402
from servqual.tables import read_table, write_free_text_tables  # noqa: E402

p, inputs, output = snakemake.params, snakemake.input, snakemake.output  # noqa: F821
o = p.options
wave = snakemake.wildcards.wave  # noqa: F821
result = analyse_interviews(
    p.folder,
    inputs.codebook,
    read_table(inputs.survey_gaps),
    unit=o["unit"],
    salt=load_salt(".", scheme=p.pseudonym_scheme),
    extra_names=snakemake.config["privacy"]["names"],  # noqa: F821
    suggest=o["suggestions"],
    speaker_pattern=o["speaker_pattern"],
    n_boot=o["n_boot"],
    confidence=p.confidence,
    seed=p.seed,
    quotes_per_group=o["quotes_per_group"],
    # Files the interview folder names stay inside the study folder, the working directory.
    root=".",
)
for note in result.notes:
    logging.warning(note)
if len(result.repairs):
    logging.info("positions repaired or not found:\n%s", result.repairs.to_string(index=False))

result.segments.to_parquet(output.segments, index=False)
tables = ("interview_codes", "coder_agreement", "disagreements", "quotes", "triangulation")
write_free_text_tables({name: getattr(result, name) for name in tables}, output, wave)

labels = pd.Series(dimension_labels({"dimensions": p.dimensions}, p.language))
figure = interview_code_chart(
    dimension_gap_units(result.segments), labels, text(p.language, "figures.title_interview_codes", wave=wave),
    language=p.language,
)
save(figure, Path(output.figure_png).with_suffix(""))
