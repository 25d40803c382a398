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
previous_wave = None
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

import pandas as pd
from IPython.display import HTML, display
from nbconvert.filters.markdown_mistune import markdown2html_mistune

from servqual import wave_report as section
from servqual.i18n import Messages
from servqual.labels import code_labels, dimension_labels, item_labels, outcome_labels, read_table, segment_labels
from servqual.report_page import page_header

names = [path.stem for path in sorted(Path(tables).glob("*.csv"))]
context = section.WaveContext(
    t=Messages(language),
    tables={name: read_table(tables, name) for name in names},
    flow=pd.read_csv(cleaning_summary, keep_default_na=False, na_values=[""]),
    dimensions=dimension_labels(instrument, language),
    items=item_labels(instrument, language),
    figures=Path(figures),
    segments=segment_labels(segments, language),
    outcomes=outcome_labels(outcomes, language),
    codes=code_labels(codebook, language),
    previous_wave=previous_wave,
    previous_scores=read_table(Path(previous_scores).parent, Path(previous_scores).stem) if previous_scores else None,
)

display(page_header(title, context.t("report.wave", wave=wave)), raw=True)

# %%
display(HTML(section.summary_section(context, read_table(Path(cautions).parent, Path(cautions).stem))))

# %%
display(HTML(section.data_section(context)))

# %%
display(HTML(section.descriptives_section(context)))

# %%
display(HTML(section.reliability_section(context)))

# %%
display(HTML(section.factor_section(context)))

# %%
display(HTML(section.gaps_section(context)))

# %%
display(HTML(section.importance_section(context)))

# %%
display(HTML(section.segments_section(context)))

# %%
display(HTML(section.interviews_section(context)))

# %%
display(HTML(section.complaints_section(context)))

# %%
display(HTML(section.priorities_section(context)))

# %%
display(HTML(section.methods_section(context, markdown2html_mistune(Path(methods).read_text(encoding="utf-8")))))

# %%
display(HTML(section.provenance_section(context, json.loads(Path(provenance).read_text(encoding="utf-8")))))
