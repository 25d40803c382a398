"""Adapter: interview folder + codebook + survey dimension gaps -> coded segments, evidence
counts, coder agreement, exemplar quotes, the triangulation joint display and the code chart."""

from servqual.adapters import begin_step

begin_step(snakemake.log[0], capture_warnings=True)  # departures from REFI-QDA are warnings: keep them

import logging
from pathlib import Path

import pandas as pd

from servqual.i18n import text
from servqual.interviews import analyse_interviews, dimension_gap_units
from servqual.labels import dimension_labels
from servqual.plots import interview_code_chart, save
from servqual.privacy import load_salt
from servqual.tables import read_table, write_tables

p, i, out = snakemake.params, snakemake.input, snakemake.output
o, wave = p.options, snakemake.wildcards.wave
result = analyse_interviews(
    p.folder, i.codebook, read_table(i.gaps_dimensions), unit=o["unit"],
    salt=load_salt(".", scheme=p.pseudonym_scheme), extra_names=snakemake.config["privacy"]["names"],
    suggest=o["suggestions"], speaker_pattern=o["speaker_pattern"], n_boot=o["n_boot"],
    confidence=p.confidence, seed=p.seed, quotes_per_group=o["quotes_per_group"],
    root=".",  # files the interview folder names stay inside the study folder, the working directory
)
for note in result.notes:
    logging.warning(note)
if len(result.repairs):
    logging.info("positions repaired or not found:\n%s", result.repairs.to_string(index=False))
result.segments.to_parquet(out.segments, index=False)
tables = ("interview_codes", "coder_agreement", "coder_disagreements", "segments_left_out", "quotes", "triangulation")
write_tables({name: getattr(result, name) for name in tables}, out, wave=wave)
labels = pd.Series(dimension_labels({"dimensions": p.dimensions}, p.language))
title = text(p.language, "figures.title_interview_codes", wave=wave)
figure = interview_code_chart(dimension_gap_units(result.segments), labels, title, language=p.language)
save(figure, Path(out.figure_png).with_suffix(""))
