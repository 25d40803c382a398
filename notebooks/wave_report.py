# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# Report of one wave. Every number is read from the tables the analysis steps wrote to
# `reports/<wave>/tables/` and `data/processed/<wave>/`, and every sentence is written by
# `servqual.wave_report` from them in the study's language; this notebook computes nothing. The
# report step joins the HTML this notebook displays into `reports/<wave>/report.html`.

# %% tags=["parameters"]
wave = "wave1"
tables = "reports/wave1/tables"
figures = "reports/wave1/figures"
cleaning_summary = "data/processed/wave1/cleaning_summary.csv"
provenance = "reports/wave1/provenance.json"
methods = "reports/wave1/methods.md"
cautions = "reports/wave1/tables/cautions.csv"
previous_scores = None
title = "Service-quality study"
language = "en"
instrument: dict = {}
segments: list = []
outcomes: list = []
codebook = None

# %%
import json
from pathlib import Path

from IPython.display import HTML, display
from nbconvert.filters.markdown_mistune import markdown2html_mistune

from servqual import wave_report as section
from servqual.report_page import page_header
from servqual.tables import read_tables

context = section.wave_context(
    tables, figures, cleaning_summary, previous_scores=previous_scores, language=language, instrument=instrument,
    segments=segments, outcomes=outcomes, codebook=codebook,
)
display(page_header(title, context.t("report.wave", wave=wave)), raw=True)

# %%
display(HTML(section.summary_section(context, read_tables([cautions])["cautions"])))

# %%
for body_section in section.BODY:
    display(HTML(body_section(context)))

# %%
display(HTML(section.methods_section(context, markdown2html_mistune(Path(methods).read_text(encoding="utf-8")))))

# %%
display(HTML(section.provenance_section(context, json.loads(Path(provenance).read_text(encoding="utf-8")))))
