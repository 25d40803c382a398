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
# Report across sampling waves. Every number is read from `reports/waves/tables/`, which the
# cross-wave step wrote from each wave's cleaned data and tables, and every sentence is written
# by `servqual.waves_report` from them in the study's language; this notebook computes nothing.

# %% tags=["parameters"]
tables = "reports/waves/tables"
figures = "reports/waves/figures"
title = "Service-quality study"
language = "en"
instrument: dict = {}
segments: list = []
outcomes: list = []

# %%
from pathlib import Path

from IPython.display import HTML, display

from servqual import waves_report as section
from servqual.i18n import Messages
from servqual.labels import dimension_labels, item_labels, outcome_labels, segment_labels
from servqual.report_context import ReportContext
from servqual.report_page import page_header
from servqual.tables import read_tables

context = ReportContext(
    t=Messages(language),
    tables=read_tables(sorted(Path(tables).glob("*.csv"))),
    dimensions=dimension_labels(instrument, language),
    items=item_labels(instrument, language),
    figures=Path(figures),
    segments=segment_labels(segments, language),
    outcomes=outcome_labels(outcomes, language),
)
display(page_header(title, context.t("report.waves_title")), raw=True)

# %%
display(HTML(section.summary_section(context)))

# %%
display(HTML(section.invariance_section(context)))

# %%
display(HTML(section.scores_section(context)))

# %%
display(HTML(section.changes_section(context)))

# %%
display(HTML(section.psychometrics_section(context)))

# %%
display(HTML(section.segments_section(context)))

# %%
display(HTML(section.complaints_section(context)))
