"""Adapter: the wave report's tables, in APA format, as a Word document."""

import logging
import sys

from servqual import wave_report
from servqual.apa_docx import write_docx
from servqual.labels import read_table

sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: F821
logging.basicConfig(stream=sys.stderr, level=logging.INFO)

i, p = snakemake.input, snakemake.params  # noqa: F821
context = wave_report.wave_context(
    p.tables, p.figures, i.summary, language=p.language, instrument=p.instrument, segments=p.segments,
    outcomes=p.outcomes, codebook=p.codebook, previous_scores=i.previous[0] if i.previous else None,
)
wave_report.summary_section(context, read_table(p.tables, "cautions"))
for section in wave_report.BODY:
    section(context)
subtitle = context.t("report.wave", wave=snakemake.wildcards.wave)  # noqa: F821
write_docx(context.printed, snakemake.output.docx, title=p.title, subtitle=subtitle, messages=context.t)  # noqa: F821
