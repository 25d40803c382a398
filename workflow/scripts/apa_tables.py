"""Adapter: the wave report's tables, in APA format, as a Word document."""

from servqual.adapters import begin_step

begin_step(snakemake.log[0])

from servqual import wave_report
from servqual.apa_docx import write_docx
from servqual.tables import table_in

i, p = snakemake.input, snakemake.params
context = wave_report.wave_context(
    p.tables, p.figures, i.cleaning_summary, language=p.language, instrument=p.instrument, segments=p.segments,
    outcomes=p.outcomes, codebook=p.codebook, previous_scores=i.previous[0] if i.previous else None,
    renders_html=False,
)
wave_report.summary_section(context, table_in(p.tables, "cautions"))
for section in wave_report.BODY:
    section(context)
subtitle = context.t("report.wave", wave=snakemake.wildcards.wave)
write_docx(context.printed, snakemake.output.docx, title=p.title, subtitle=subtitle, messages=context.t)
